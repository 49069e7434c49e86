"""Precision on real code (#17 §2): what real repositories are full of and is not a secret.

Each case is a line seen in a real application's tree or history (values made up) that
detect-secrets' plugins report; hygiene's filters (``scan/filters.py``) must drop it, while a
real credential in the same place is still found.
"""

from __future__ import annotations

import pytest

from hygiene.findings import secret_hash
from hygiene.scan import filters
from hygiene.scan.engine import ContentResult, EngineConfig, scan_content
from hygiene.scan.history import Placement, build_records, profile
from hygiene.scan.hits import SecretHit

HEX40 = "3f1a9c2b7e4d5a6f8091b2c3d4e5f60718293a4b"
HEX64 = HEX40 + "8c9d0e1f2a3b4c5d6e7f"
REAL = "s3cr3tValue9Zq4WxT"  # a made-up password a keyword detector must report

NOT_SECRETS = {
    # natural language: a UI label's key says "key", its value is words
    "ui-label": ("src/components/labels.json", '{\n  "create_api_key": "Create API Key"\n}\n'),
    "ui-message": (
        "app/views/settings.ts",
        'const secret = "Your secret token is shown only once";\n',
    ),
    # translation catalogues
    "xliff-trans-unit": (
        "src/locale/messages.xlf",
        f'<trans-unit id="{HEX40}" datatype="html">\n  <source>Password</source>\n',
    ),
    "locale-json": ("public/locales/de/common.json", '{"api_token": "Zugangsschluessel9x"}\n'),
    "locale-named-json": ("src/lang/fr-FR.json", '{"secret": "MotDePasseSecret42"}\n'),
    "rails-locale": ("config/locales/en.yml", "en:\n  password: Kennwort1Zx9\n"),
    "gettext-po": ("po/de.po", 'msgid "password"\nmsgstr "Passwort_Kx91zq"\n'),
    # lock files and integrity hashes
    "yarn-lock": ("yarn.lock", f'  resolved "https://registry.yarnpkg.com/x#{HEX40}"\n'),
    "sri-attribute": (
        "web/index.html",
        '<script integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC">\n',
    ),
    "docker-digest": ("deploy.yaml", f'image: "app@sha256:{HEX64}"\n'),
    # commit ids
    "gemfile-ref": ("Gemfile", f'gem "foo", git: "https://github.com/x/foo", ref: "{HEX40}"\n'),
    "gemfile-revision": ("Gemfile", f'gem "bar", github: "x/bar", revision: "{HEX40}"\n'),
    "brakeman-fingerprint": (
        "config/brakeman.ignore",
        f'{{"ignored_warnings": [{{"fingerprint": "{HEX64}", "note": "secret"}}]}}\n',
    ),
    "blame-ignore-revs": (".git-blame-ignore-revs", f"# reformat\n{HEX40}\n"),
    "action-pin": ("ci.js", f'const action = "actions/checkout@{HEX40}";\n'),
    "bare-sha-in-json": ("data/versions.json", f'{{"latest": "{HEX40}"}}\n'),
    # UUIDs
    "uuid": ("app/settings.py", 'SECRET_ID = "123e4567-e89b-42d3-a456-426614174000"\n'),
    # encrypted files
    "rails-credentials-enc": (
        "config/credentials.yml.enc",
        "secret = 'a3J0Qm5mN0Z6c2J3bWhZcG5tZk1sWk5qZz09--Zm9vYmFyYmF6cXV4cXV1eA==--aGVsbG8gd29y'\n",
    ),
    "sops-value": (
        "secrets/app.yaml",
        "password: ENC[AES256_GCM,data:Tr7o1eXK5zq9,iv:1Gq3fA=,tag:9x2w==,type:str]\n",
    ),
    "ansible-vault": (
        "group_vars/all/vault.yml",
        "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  "
        + "62313365396662343061393464336163383764373764613633653634306231386433626436623361"
        + "\n",
    ),
    # placeholders and templates
    "fixme": (
        "docker-compose.yml",
        "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: fixme-postgres-password\n",
    ),
    "your-token": ("config.py", 'API_TOKEN = "<your-token-here>"\n'),
    "xxxx": ("settings.py", 'SECRET_KEY = "xxxxxxxxxxxxxxxxxxxx"\n'),
    "dummy": ("settings.py", 'password = "dummy-password-value"\n'),
    "example": ("config.py", 'secret = "example-secret-key-1234"\n'),
    "repeated": ("settings.py", 'password = "aaaaaaaaaaaa"\n'),
    "test123-in-example": ("config/database.yml.example", "production:\n  password: test123\n"),
    "ci-service-default": (
        ".github/workflows/ci.yml",
        "      DATABASE_URL: postgres://postgres:postgres@localhost:5432\n",
    ),
    "tutorial-url": ("config/database.yml", '#   url: "postgres://myuser:mypass@localhost/db"\n'),
    "compose-user-as-password": (
        "docker-compose.yml",
        "      DATABASE_URL: postgresql://umami:umami@db:5432/umami\n",
    ),
    "sample-digits": ("ui/src/apiPreview/docsCreate.js", 'payload.password = "123456789";\n'),
    "ci-weak-local": (
        ".github/workflows/tests.yml",
        "          DATABASE_URL: postgresql://postgres:testpass@localhost:5432/app\n",
    ),
    "repeated-digit-row": ("ci.yml", 'DATA_ENCRYPTION_KEY: "12345678901234567890123456789012"\n'),
    "placeholder-attribute": ("ApiKey.vue", '      placeholder="sk_live_abc123xyz789"\n'),
    "leet-default": ("openapi.spec.ts", '      password: "s3cret",\n'),
    "too-short": ("curl.spec.js", "curl 'http://avs:def@127.0.0.1:8000/api'\n"),
    "auth-scheme": ("ImportExport.vue", 'pwRequest.auth = "OAuth 2.0"\n'),
    "i18n-call": ("Auth.vue", "<Tab :label=\"t('configs.auth_providers.email')\">\n"),
    # references
    "python-format": ("settings.py", 'DATABASE_PASSWORD = "%(db_password)s"\n'),
    "helm": ("templates/secret.yaml", 'password: "{{ .Values.db.password }}"\n'),
    "dollar-var": ("app.py", 'api_key = "$API_KEY"\n'),
    "ruby-env-fetch": ("config/app.rb", "secret = ENV.fetch('SECRET_KEY_BASE')\n"),
    "process-env": ("server.js", "const password = process.env.DB_PASSWORD;\n"),
    "dotted-expression": ("app.py", 'password = "self.settings.password"\n'),
    "identifier": ("config.yml", "password: DB_PASSWORD_FILE\n"),
    "concatenation": ("auth_test.go", '"password":"` + strings.Repeat("a", 72) + `"\n'),
    "erb": ("config/database.yml", "password: <%= ENV['DB_PASSWORD'] %>\n"),
    # prose in Markdown: a keyword, then a backticked code word
    "markdown-code-word": (
        "benchmarks/README.md",
        "| full clone | secrets `history: {}`, `missing_objects: 0`; env `files_skipped: 0` |\n",
    ),
    "markdown-sentence": ("docs/setup.md", "The password: set it in the admin panel.\n"),
}


ENGINE_SETS = [("detect-secrets",), ("kingfisher",), ("hygiene",)]


@pytest.mark.parametrize("engines", ENGINE_SETS, ids="+".join)
@pytest.mark.parametrize("case", sorted(NOT_SECRETS))
def test_real_code_noise_is_not_reported(case: str, engines: tuple[str, ...]) -> None:
    """No engine reports it (an encrypted file is the formats engine's one info hit, by design)."""
    path, text = NOT_SECRETS[case]
    hits = scan_content(text, path, EngineConfig(engines=engines)).hits
    assert [h for h in hits if h.category != "encrypted-file"] == []


#: the value each engine would hand the filters, per case (what a keyword or entropy rule sees)
VALUES = {
    "ui-label": "Create API Key",
    "ui-message": "Your secret token is shown only once",
    "xliff-trans-unit": HEX40,
    "locale-json": "Zugangsschluessel9x",
    "locale-named-json": "MotDePasseSecret42",
    "rails-locale": "Kennwort1Zx9",
    "gettext-po": "Passwort_Kx91zq",
    "yarn-lock": HEX40,
    "docker-digest": HEX64,
    "gemfile-ref": HEX40,
    "gemfile-revision": HEX40,
    "brakeman-fingerprint": HEX64,
    "blame-ignore-revs": HEX40,
    "action-pin": HEX40,
    "bare-sha-in-json": HEX40,
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "rails-credentials-enc": "a3J0Qm5mN0Z6c2J3bWhZcG5tZk1sWk5qZz09--Zm9vYmFyYmF6cXV4cXV1eA==--aGVsbG8gd29y",
    "sops-value": "ENC[AES256_GCM,data:Tr7o1eXK5zq9,iv:1Gq3fA=,tag:9x2w==,type:str]",
    "ansible-vault": "62313365396662343061393464336163383764373764613633653634306231386433626436623361",
    "fixme": "fixme-postgres-password",
    "your-token": "<your-token-here>",
    "xxxx": "xxxxxxxxxxxxxxxxxxxx",
    "dummy": "dummy-password-value",
    "example": "example-secret-key-1234",
    "repeated": "aaaaaaaaaaaa",
    "ci-service-default": "postgres",
    "tutorial-url": "mypass",
    "sample-digits": "123456789",
    "ci-weak-local": "testpass",
    "repeated-digit-row": "12345678901234567890123456789012",
    "placeholder-attribute": "sk_live_abc123xyz789",
    "leet-default": "s3cret",
    "too-short": "def",
    "auth-scheme": "OAuth 2.0",
    "i18n-call": "t('configs.auth_providers.email')",
    "compose-user-as-password": "umami",
    "test123-in-example": "test123",
    "python-format": "%(db_password)s",
    "helm": "{{ .Values.db.password }}",
    "dollar-var": "$API_KEY",
    "ruby-env-fetch": "ENV.fetch('SECRET_KEY_BASE')",
    "process-env": "process.env.DB_PASSWORD",
    "dotted-expression": "self.settings.password",
    "identifier": "DB_PASSWORD_FILE",
    "concatenation": '` + strings.Repeat("a", 72) + `',
    "erb": "<%= ENV['DB_PASSWORD'] %>",
    "markdown-code-word": "history: {}`, `missing_objects: 0",
    "markdown-sentence": "set it in the admin panel.",
}


def test_every_case_has_its_value() -> None:
    assert set(VALUES) == set(NOT_SECRETS) - {"sri-attribute"}


@pytest.mark.parametrize("case", sorted(VALUES))
def test_the_filters_every_engine_calls_drop_it(case: str) -> None:
    """Engine-independent: whichever engine finds the value, ``filtered_by`` drops it."""
    path, text = NOT_SECRETS[case]
    value = VALUES[case]
    line = next(line for line in text.splitlines() if value in line or value in line.strip())
    assert filters.filtered_by(value, line, path) is not None


@pytest.mark.parametrize(
    "case",
    sorted(
        {
            "ui-label",
            "xliff-trans-unit",
            "gemfile-ref",
            "brakeman-fingerprint",
            "fixme",
            "markdown-code-word",
            "dotted-expression",
        }
    ),
)
def test_without_hygienes_filters_detect_secrets_reports_it(case: str) -> None:
    """The cases are not vacuous: detect-secrets alone reports each of them."""
    path, text = NOT_SECRETS[case]
    config = EngineConfig(hygiene_filters=False, engines=("detect-secrets",))
    assert scan_content(text, path, config).hits


SECRETS = {
    "password-in-config": ("config/settings.yml", f"db:\n  password: {REAL}\n"),
    "secret-in-python": ("app/settings.py", f'SECRET_KEY = "{REAL}"\n'),
    "hex-token-named-token": ("deploy.py", f'github_token = "{HEX40}"\n'),
    "password-in-html-code": ("docs/deploy.md", f"    password = '{REAL}'\n"),
    "aws-in-changelog-dir": ("notes/deploy.env", "AWS_ACCESS_KEY_ID=AKIAZ7Q3XW5V2N4B6M8P\n"),
    # a real password for a remote database is not a local default
    "remote-db-password": (
        "process.env",
        "DATABASE_URL=postgresql://app:testpass9Qx2Lm@164.92.10.20:5432/app\n",
    ),
    # a generated passphrase as a URL's password is not an identifier
    "url-passphrase": (
        "process.env",
        "DATABASE_URL=postgresql://umami:vexing-quartz-mob@5.161.10.20:5432/umami\n",
    ),
}


@pytest.mark.parametrize("engines", [("detect-secrets",), ("kingfisher", "hygiene")], ids="+".join)
@pytest.mark.parametrize("case", sorted(SECRETS))
def test_real_credentials_are_still_found(case: str, engines: tuple[str, ...]) -> None:
    path, text = SECRETS[case]
    assert scan_content(text, path, EngineConfig(engines=engines)).hits


@pytest.mark.parametrize("engines", [("detect-secrets",), ("kingfisher", "hygiene")], ids="+".join)
@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("config.ini", f"[db]\npassword = {REAL} # the production database\n"),
        ("config/settings.yml", f"db:\n  password: {REAL}  # rotate yearly\n"),
        ("deploy.env", f"PASSWORD={REAL} # from the vault\n"),
    ],
)
def test_an_inline_comment_is_not_part_of_the_value(
    path: str, text: str, engines: tuple[str, ...]
) -> None:
    """Appending or editing ``# comment`` keeps the secret's identity (no new history-only)."""
    config = EngineConfig(engines=engines)
    with_comment = scan_content(text, path, config).hits
    without = scan_content(text.split(" #")[0] + "\n", path, config).hits
    assert [h.sha256 for h in with_comment] == [secret_hash(REAL)]
    assert [h.sha256 for h in without] == [secret_hash(REAL)]


def test_path_filters_name_the_files_they_skip() -> None:
    assert filters.skipped_file("frontend/yarn.lock") == "lock-file"
    assert filters.skipped_file("app/i18n/es.json") == "translation-catalogue"
    assert filters.skipped_file("config/credentials/production.yml.enc") == "encrypted-file"
    assert filters.skipped_file("secrets.sops.yaml") == "encrypted-file"
    assert filters.skipped_file("config/brakeman.ignore") == "revision-list"
    # a service-account key or a config named like a short word is not a catalogue
    for path in ("key.json", "config/db.json", "app.yml", "src/api.json"):
        assert filters.skipped_file(path) is None


def test_the_formats_engine_may_report_an_encrypted_file_once() -> None:
    """The encrypted-file filters do not drop the formats engine's own encrypted-file hit."""
    path = "config/credentials.yml.enc"
    assert filters.filtered_by("x" * 3 + "Zq9", "", path) == "encrypted-file"
    assert filters.filtered_by("Zq9rT5wL2", "", path, category="encrypted-file") is None


def test_sequences_are_samples_but_not_every_digit_string() -> None:
    for value in ("123456789", "87654321", "abcdefgh", "QWERTY", "0123456789", "1234567890"):
        assert filters.is_sequence(value)
    for value in ("12345679", "31415926", "hunter2x"):
        assert not filters.is_sequence(value)


def test_natural_language_needs_words_not_tokens() -> None:
    assert filters.is_natural_language("Create API Key")
    assert filters.is_natural_language("Your token expires in {days} days.")
    assert filters.is_natural_language("Geben Sie Ihr Passwort ein")
    assert filters.is_natural_language("මුරපද නොගැළපේ.")  # Sinhala: letters and vowel signs
    assert filters.is_natural_language("पासवर्ड मेल नहीं खाते।")
    assert not filters.is_natural_language("s3cr3tValue9Zq4WxT")
    assert not filters.is_natural_language("correct horse a8F3kLm92QxZ battery")
    assert not filters.is_natural_language("word")


def test_a_uuid_shaped_npm_token_is_left_to_the_engine_that_knows_the_format() -> None:
    """A bare UUID is an identifier; the npm ``_authToken`` exception lives in the formats
    engine, which reports the token before this generic filter is asked."""
    assert filters.is_uuid("123e4567-e89b-42d3-a456-426614174000")


def test_filters_that_read_the_path_give_the_path_its_own_scan_profile() -> None:
    """A blob is scanned once per profile: a docs or example path must not share a scan with a
    code path the filters judge differently."""
    assert profile("src/app.yml") != profile("config/database.example.yml")
    assert profile("README.md") != profile("CHANGELOG.md")
    assert profile("a/settings.py") == profile("b/settings.py")


BCRYPT = "$2a$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


def test_a_password_hash_is_recognised_and_never_filtered() -> None:
    """``password: "$2a$…"`` is a hash: no filter drops it (whichever kind an engine gives it,
    a committed hash is still reported)."""
    line = f'    password: "{BCRYPT}"'
    assert filters.filtered_by(BCRYPT, line, "users.yml") is None
    assert filters.filtered_by(BCRYPT, line, "users.yml", category="password-hash") is None
    for value in ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "pbkdf2_sha256$260000$s$h="):
        assert filters.is_password_hash(value)
    assert not filters.is_password_hash("s3cr3tValue9Zq4WxT")


def test_an_encrypted_file_is_one_record_whatever_its_versions() -> None:
    """Each edit re-encrypts the whole file: one record per path, identified by the oldest
    version, in the tree when HEAD has the file."""
    path = "config/credentials.yml.enc"
    versions = [f"v{i}data--iv{i}--tag{i}" for i in range(3)]
    results = {
        f"k{i}": ContentResult(
            hits=[SecretHit.of("Rails encrypted credentials", 1, v, category="encrypted-file")]
        )
        for i, v in enumerate(versions)
    }
    placements = [Placement(f"o{i}", path, f"k{i}", f"c{i}", i) for i in range(3)]
    records = build_records("app", placements, results, {path: "o2"})
    assert [(r.path, r.sha256, r.commit, r.in_tree) for r in records] == [
        (path, secret_hash(versions[0]), "c0", True)
    ]
