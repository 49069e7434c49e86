"""The hygiene engine (scan/formats): each family's true variants are found on the right line
with the right category, and its near-misses are not. Secret values are assembled at run time
(seeded), so this file holds no literal credential."""

from __future__ import annotations

import base64
import hashlib
import random
import string

import pytest

from hygiene.findings import secret_hash
from hygiene.scan.engine import ContentResult, EngineConfig, scan_content
from hygiene.scan.formats import binary_keystore, candidates, detect, version

ONLY = EngineConfig(engines=("hygiene",))
rng = random.Random(1717)
ALNUM = string.ascii_letters + string.digits


def pw() -> str:
    return (
        rng.choice(["Harbor", "Quartz", "Falcon", "Tundra"])
        + str(rng.randint(100, 999))
        + "!"
        + "".join(rng.choice(ALNUM) for _ in range(5))
    )


def tok(n: int = 32) -> str:
    return "".join(rng.choice(ALNUM) for _ in range(n))


def hexs(n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def hits(text: str, path: str) -> list:
    return scan_content(text, path, ONLY).hits


def found(text: str, path: str) -> set[tuple[int, str]]:
    return {(h.line, h.category) for h in hits(text, path)}


P = [pw() for _ in range(30)]
T = [tok() for _ in range(10)]
CRYPT = "./" + ALNUM

TRUE = [
    # config-format passwords
    (
        "netrc one line",
        ".netrc",
        f"machine api.example.org login ops password {P[0]}\n",
        {(1, "password")},
    ),
    (
        "netrc multi-line",
        "_netrc",
        f"machine a.example\n  login me\n  password {P[1]}\n",
        {(3, "password")},
    ),
    ("pgpass", ".pgpass", f"# comment\ndb:5432:app:rw:{P[2]}\n", {(2, "password")}),
    ("pgpass escaped colon", ".pgpass", f"h:5432:*:u:a\\:b{P[3]}\n", {(1, "password")}),
    (
        "git-credentials @ user",
        ".git-credentials",
        f"https://me%40corp.example:{P[4].replace('!', '%21')}@git.example\n",
        {(1, "password")},
    ),
    (
        "esmtprc",
        ".esmtprc",
        f'hostname smtp.example:587\nusername "me"\npassword "{P[5]}"\n',
        {(3, "password")},
    ),
    ("my.cnf", ".my.cnf", f"[client]\nuser=root\npassword={P[6]}\n", {(3, "password")}),
    ("s3cfg", ".s3cfg", f"[default]\nsecret_key = {tok(40)}\n", {(2, "password")}),
    (
        "npmrc authToken UUID",
        ".npmrc",
        f"//registry.npmjs.org/:_authToken={hexs(8)}-{hexs(4)}-4{hexs(3)}-8{hexs(3)}-{hexs(12)}\n",
        {(1, "password")},
    ),
    (
        "npmrc _auth",
        ".npmrc",
        "_auth = " + base64.b64encode(f"ci:{P[7]}".encode()).decode() + "\n",
        {(1, "password")},
    ),
    (
        "docker auths",
        ".docker/config.json",
        '{"auths": {"r.example": {\n  "auth": "'
        + base64.b64encode(f"u:{P[8]}".encode()).decode()
        + '"}}}\n',
        {(2, "password")},
    ),
    (
        "maven",
        "settings.xml",
        f"<server>\n  <password>{P[9]}</password>\n</server>\n",
        {(2, "password")},
    ),
    (
        "nuget",
        "NuGet.Config",
        f'<add key="ClearTextPassword" value="{P[10]}" />\n',
        {(1, "password")},
    ),
    ("pypirc", ".pypirc", f"[corp]\nusername = r\npassword = {P[11]}\n", {(3, "password")}),
    (
        "filezilla",
        "sitemanager.xml",
        '<Pass encoding="base64">' + base64.b64encode(P[12].encode()).decode() + "</Pass>\n",
        {(1, "password")},
    ),
    (
        "robomongo spaced colon",
        "robo3t.json",
        f'{{\n  "userPassword" : "{P[13]}"\n}}\n',
        {(2, "password")},
    ),
    # key-value in any format
    (
        "dotenv export inline comment",
        ".bash_profile",
        f"export DB_PASS={P[14]}  # prod\n",
        {(1, "password")},
    ),
    ("yaml", "config.yml", f"db:\n  password: '{P[15]}'\n", {(2, "password")}),
    ("properties", "app.properties", f"spring.datasource.password={P[16]}\n", {(1, "password")}),
    (
        "xml attribute",
        "context.xml",
        f'<Resource username="a" password="{P[17]}"/>\n',
        {(1, "password")},
    ),
    ("php define", "config.php", f"<?php\ndefine('DB_PASSWORD', '{P[18]}');\n", {(2, "password")}),
    ("python kwarg", "db.py", f'connect(host="h", password="{P[19]}")\n', {(1, "password")}),
    ("generic token", ".env", f"API_TOKEN={T[0]}\n", {(1, "generic")}),
    (
        "login positional",
        "mail.py",
        f'server.login("me@example.org", "{P[20]}")\n',
        {(1, "password")},
    ),
    (
        "connection URL",
        "settings.py",
        f'DB = "postgres://app:{P[21].replace("!", "%21")}@db.internal/app"\n',
        {(1, "password")},
    ),
    # framework keys
    (
        "django with ( [ #",
        "settings.py",
        f"SECRET_KEY = 'django-insecure-{tok(20)}(#[{tok(20)}'\n",
        {(1, "password")},
    ),
    (
        "laravel",
        ".env",
        "APP_KEY=base64:" + base64.b64encode(rng.randbytes(32)).decode() + "\n",
        {(1, "password")},
    ),
    ("rails master.key", "config/master.key", hexs(32) + "\n", {(1, "password")}),
    (
        "rails secret_key_base",
        "config/secrets.yml",
        f"production:\n  secret_key_base: {hexs(128)}\n",
        {(2, "password")},
    ),
    (
        "wordpress",
        "wp-config.php",
        f"define( 'NONCE_SALT', '{tok(30)}|{{ ;{tok(30)}' );\n",
        {(1, "password")},
    ),
    # password hashes
    (
        "bcrypt in SQL",
        "dump.sql",
        "INSERT INTO u VALUES ('a', '$2b$12$"
        + "".join(rng.choice(CRYPT) for _ in range(53))
        + "');\n",
        {(1, "password-hash")},
    ),
    (
        "argon2id",
        "users.json",
        '{"h": "$argon2id$v=19$m=65536,t=3,p=4$' + tok(22) + "$" + tok(43) + '"}\n',
        {(1, "password-hash")},
    ),
    (
        "shadow sha512",
        "etc/shadow",
        "root:$6$"
        + "".join(rng.choice(CRYPT) for _ in range(16))
        + "$"
        + "".join(rng.choice(CRYPT) for _ in range(86))
        + ":19000:0:99999:7:::\n",
        {(1, "password-hash")},
    ),
    (
        "htpasswd apr1",
        ".htpasswd",
        "admin:$apr1$"
        + "".join(rng.choice(CRYPT) for _ in range(8))
        + "$"
        + "".join(rng.choice(CRYPT) for _ in range(22))
        + "\n",
        {(1, "password-hash")},
    ),
    # encrypted files: one info hit on line 1
    (
        "ansible-vault",
        "vault.yml",
        "$ANSIBLE_VAULT;1.1;AES256\n" + "\n".join(hexs(80) for _ in range(4)) + "\n",
        {(1, "encrypted-file")},
    ),
    (
        "rails .enc",
        "config/credentials.yml.enc",
        base64.b64encode(rng.randbytes(90)).decode() + "--" + tok(16) + "==--" + tok(22) + "==",
        {(1, "encrypted-file")},
    ),
]

NEAR = [
    ("netrc template", ".netrc", "machine h login ${USER} password ${HEROKU_API_KEY}\n"),
    ("npmrc env", ".npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
    (
        "references",
        "app.yml",
        "password: ${DB_PASSWORD}\nsecret: '{{ vault_secret }}'\ntoken: %(api_token)s\n",
    ),
    (
        "code references",
        "settings.py",
        'PASSWORD = os.environ["DB_PASSWORD"]\nTOKEN = os.getenv("T")\n',
    ),
    ("js env", "db.ts", "const password = process.env.DB_PASSWORD;\n"),
    (
        "placeholders",
        ".env.example",
        "DB_PASSWORD=changeme\nAPI_TOKEN=xxxxxxxxxxxxxxxx\nSECRET=<your-secret>\nPOSTGRES_PASSWORD=fixme-postgres-password\n",
    ),
    ("empty and booleans", "app.ini", "[a]\npassword =\ntoken = false\nauth = true\n"),
    ("labels", "Login.json", '{"password": "Password", "create_api_key": "Create API Key"}\n'),
    ("comment is not a value", "app.yml", "db:\n  password:   # set in vault\n"),
    ("url empty password", ".env", "DATABASE_URL=postgres://postgres:@localhost/app\n"),
    (
        "url template",
        "s.py",
        'U = f"postgres://{user}:{password}@{host}/db"\nV = "mysql://app:${DB_PASSWORD}@db/app"\n',
    ),
    (
        "dev default",
        "docker-compose.yml",
        "POSTGRES_PASSWORD: postgres\nRABBITMQ_DEFAULT_PASS: guest\n",
    ),
    (
        "wordpress sample",
        "wp-config-sample.php",
        "define( 'AUTH_KEY', 'put your unique phrase here' );\n",
    ),
    ("shell args", "run.sh", 'echo "$1$2"\n'),
    ("truncated bcrypt", "auth.md", "Hashes look like `$2b$12$...`.\n"),
    (
        "elided PEM",
        "keys.md",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----\n",
    ),
    (
        "public key",
        "k.pem",
        "-----BEGIN PUBLIC KEY-----\n"
        + base64.b64encode(rng.randbytes(200)).decode()
        + "\n-----END PUBLIC KEY-----\n",
    ),
    ("vault docs", "secrets.md", "the file starts with `$ANSIBLE_VAULT;1.1;AES256`.\n"),
    (
        "inline vault",
        "all.yml",
        "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  " + hexs(64) + "\n",
    ),
    (
        "sandbox ids",
        "cassette.yml",
        '"access_token": "access-sandbox-0af2c971-41a6-4fc5-a97d-f2b27ab0a648"\n',
    ),
    ("type annotation", "m.py", "class U:\n    password: str\n    token_type = 'bearer'\n"),
]


@pytest.mark.parametrize(("name", "path", "text", "expected"), TRUE, ids=[c[0] for c in TRUE])
def test_true_variants_are_found_on_their_line_with_their_category(
    name: str, path: str, text: str, expected: set[tuple[int, str]]
) -> None:
    assert found(text, path) == expected


@pytest.mark.parametrize(("name", "path", "text"), NEAR, ids=[c[0] for c in NEAR])
def test_near_misses_are_not_found(name: str, path: str, text: str) -> None:
    assert hits(text, path) == []


def _pem(kind: str, lines: int) -> str:
    body = "\n".join(base64.b64encode(rng.randbytes(48)).decode() for _ in range(lines))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


@pytest.mark.parametrize(
    "kind",
    [
        "RSA PRIVATE KEY",
        "EC PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ],
)
def test_a_private_key_is_one_hit_on_its_begin_line_whose_value_is_the_whole_block(
    kind: str,
) -> None:
    key = _pem(kind, 12)
    text = "# deploy key\n" + key
    (hit,) = hits(text, "deploy/id_key")
    assert (hit.line, hit.category, hit.rule) == (2, "private-key", "private-key")
    assert hit.sha256 == secret_hash(key.rstrip("\n"))


def test_a_key_inside_a_json_string_and_a_putty_key_are_found() -> None:
    key = _pem("PRIVATE KEY", 10).strip().replace("\n", "\\n")
    assert found('{\n  "private_key": "' + key + '\\n"\n}\n', "sa.json") == {(2, "private-key")}
    ppk = (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: ci\nPublic-Lines: 1\n"
        f"{tok(60)}\nPrivate-Lines: 1\n{tok(43)}=\nPrivate-MAC: {hexs(64)}\n"
    )
    assert found(ppk, "deploy.ppk") == {(1, "private-key")}


def test_an_encrypted_file_is_one_info_hit_and_never_a_password() -> None:
    sops = (
        f"password: ENC[AES256_GCM,data:{tok(20)}=,iv:{tok(43)}=,tag:{tok(22)}==,type:str]\n"
        f"sops:\n    mac: ENC[AES256_GCM,data:{tok(60)},iv:{tok(43)}=,tag:{tok(22)}==,type:str]\n    version: 3.8.1\n"
    )
    assert [(h.line, h.category, h.rule) for h in hits(sops, "secrets/prod.yaml")] == [
        (1, "encrypted-file", "sops-file")
    ]


def test_an_inline_comment_never_changes_the_value() -> None:
    secret = P[25]
    bare = hits(f"[db]\npassword = {secret}\n", "app.ini")
    commented = hits(f"[db]\npassword = {secret}   # rotated\n", "app.ini")
    yaml = hits(f"db:\n  password: {secret} # rotated in March\n", "app.yml")
    assert (
        {h.sha256 for h in bare}
        == {h.sha256 for h in commented}
        == {h.sha256 for h in yaml}
        == {secret_hash(secret)}
    )


def test_a_legacy_npm_token_is_a_uuid_and_still_reported() -> None:
    token = f"{hexs(8)}-{hexs(4)}-4{hexs(3)}-9{hexs(3)}-{hexs(12)}"
    (hit,) = hits(f"//registry.npmjs.org/:_authToken={token}\n", ".npmrc")
    assert (hit.rule, hit.sha256) == ("npmrc-auth", secret_hash(token))
    assert hits(f'{{"id": "{token}"}}\n', "package.json") == []


def test_hits_carry_the_engine_and_a_stable_rule_and_never_the_value() -> None:
    secret = P[26]
    (hit,) = hits(f"password: {secret}\n", "app.yml")
    assert (hit.engine, hit.rule, hit.preview) == (
        "hygiene",
        "password-assignment",
        secret[:3] + "…",
    )
    assert secret not in repr(hit)


def test_the_prefilter_drops_no_hit() -> None:
    for _name, path, text, _expected in TRUE:
        with_prefilter = candidates(text, path, prefilter=True)[0]
        without = candidates(text, path, prefilter=False)[0]
        assert with_prefilter == without


def test_hygiene_filters_can_be_turned_off_and_long_lines_are_counted() -> None:
    raw = EngineConfig(engines=("hygiene",), hygiene_filters=False, max_line_length=50)
    result = ContentResult()
    text = "password = " + P[27] + " " * 60 + "x\nok = 1\n"
    assert detect(text, "a.ini", raw, result) == []
    assert result.long_lines == 1


def test_binary_keystores_and_git_crypt_are_recognised_by_type() -> None:
    jks = b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + rng.randbytes(200)
    hit = binary_keystore("app/keystore.bin", jks)
    assert hit is not None and (hit.category, hit.rule) == ("private-key", "java-keystore")
    assert hit.sha256 == secret_hash("java-keystore:" + hashlib.sha256(jks).hexdigest())
    p12 = (
        b"\x30\x82\x0a\x00\x02\x01\x03\x30\x82\x09\xc6\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"
        + rng.randbytes(64)
    )
    assert (binary_keystore("cert.p12", p12) or pytest.fail()).rule == "pkcs12-keystore"
    crypt = binary_keystore("secrets.env", b"\x00GITCRYPT\x00" + rng.randbytes(64))
    assert crypt is not None and crypt.category == "encrypted-file"
    assert binary_keystore("logo.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(64)) is None


def test_version_is_a_constant_string() -> None:
    assert isinstance(version(), str) and version() == version()
