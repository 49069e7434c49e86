"""The engine: the prefilter never drops a line a plugin would flag; hygiene's filters remove the
false positives detect-secrets reports; the line cap; binary and oversized content.

The prefilter and scan_file comparisons are about the detect-secrets engine and name it; what
every engine set must do (drop the false positives, keep real secrets, honour the allowlist
pragma) is checked for both the detect-secrets engine and the default engines."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from hygiene.findings import secret_hash
from hygiene.scan.engine import EngineConfig, configure, file_filtered, scan_bytes, scan_content
from hygiene.scan.history import FILE_TYPES, file_type

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "secrets" / "corpus"
DETECT_SECRETS = ("detect-secrets",)
#: detect-secrets' verdicts, nothing of hygiene's
RAW = EngineConfig(hygiene_filters=False, engines=DETECT_SECRETS)
NO_PREFILTER = EngineConfig(hygiene_filters=False, prefilter=False, engines=DETECT_SECRETS)
#: the detect-secrets engine with hygiene's filters, and the default engines
ENGINE_SETS = {
    "detect-secrets": EngineConfig(engines=DETECT_SECRETS),
    "default": EngineConfig(),
}


def _keys(hits: list) -> set[tuple[str, int, str]]:
    return {(h.type, h.line, h.hashed_secret) for h in hits}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
def test_prefilter_gives_the_same_hits_as_scanning_every_line(name: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    with_prefilter = scan_content(text, name, RAW).hits
    without = scan_content(text, name, NO_PREFILTER).hits
    assert with_prefilter  # every fixture holds secrets, so equality is not vacuous
    assert _keys(with_prefilter) == _keys(without)


def test_the_corpus_exercises_every_detector_that_can_report() -> None:
    types = set()
    for path in CORPUS.iterdir():
        types |= {h.type for h in scan_content(path.read_text(), path.name, RAW).hits}
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    # Public IPs have no letter, so detect-secrets' default is_not_alphanumeric_string filter
    # drops every one: that detector can never report with the default filters.
    assert set(get_mapping_from_secret_type_to_class()) - types == {"Public IP (ipv4)"}


@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.iterdir()))
def test_engine_reports_what_detect_secrets_scan_file_reports(name: str, tmp_path: Path) -> None:
    from detect_secrets.core.scan import scan_file

    configure()
    target = tmp_path / name
    shutil.copy(CORPUS / name, target)
    theirs = {(s.type, s.line_number, s.secret_hash) for s in scan_file(str(target))}
    ours = _keys(scan_content(target.read_text(), name, RAW).hits)
    assert ours == theirs


FRAGMENTS = [
    "password",
    "api_key",
    "secret",
    "token",
    "AKIA",
    "ghp_",
    "glpat-",
    "sk_live_",
    "xoxb-",
    "eyJ",
    "SG.",
    "://",
    "@",
    "=",
    ": ",
    "'",
    '"',
    " ",
    "_",
    "-",
    ".",
    "AccountKey=",
    "-us1",
    "BEGIN RSA PRIVATE KEY",
    "pypi-AgEIcHlwaS5vcmc",
    "sq0csp-",
    "T3BlbkFJ",
    "aws",
    "cloudant",
    "ibm_cloud_iam_key",
    "softlayer_api_key",
    "secret_access_key",
    "AKC",
    "AP1",
    "12345678:",
]
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=_-"


@pytest.mark.parametrize("path", ["fuzz.py", "fuzz.js", "fuzz.yaml", "fuzz.txt", "fuzz.go"])
def test_prefilter_equivalence_on_random_lines(path: str) -> None:
    rng = random.Random(path)
    lines = []
    for _ in range(1500):
        parts = []
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.5:
                parts.append(rng.choice(FRAGMENTS))
            else:
                parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 70))))
        lines.append("".join(parts))
    text = "\n".join(lines) + "\n"
    with_prefilter = scan_content(text, path, RAW).hits
    assert len(with_prefilter) > 20
    assert _keys(with_prefilter) == _keys(scan_content(text, path, NO_PREFILTER).hits)


def test_keyword_stems_cover_every_keyword() -> None:
    from detect_secrets.plugins.keyword import DENYLIST

    from hygiene.scan.prefilter import KEYWORD_STEMS

    assert all(any(stem in word for stem in KEYWORD_STEMS) for word in DENYLIST)


def test_custom_triggers_are_pinned_to_the_patterns_they_were_derived_from() -> None:
    from detect_secrets.plugins.base import RegexBasedDetector

    from hygiene.scan.engine import _plugins
    from hygiene.scan.prefilter import CUSTOM, DERIVED_FROM, denylist_digest

    configure()
    plugins = {type(p).__name__: p for p in _plugins()}
    assert set(CUSTOM) == set(DERIVED_FROM)
    for name in CUSTOM:
        plugin = plugins[name]
        assert isinstance(plugin, RegexBasedDetector)
        assert denylist_digest(plugin) == DERIVED_FROM[name], f"{name} changed: re-derive"


def test_file_type_table_matches_detect_secrets() -> None:
    from detect_secrets.util.filetype import determine_file_type

    for ext in [*FILE_TYPES, ".rb", ".md", ""]:
        assert file_type(f"dir/file{ext}") == determine_file_type(f"dir/file{ext}").name


# --------------------------------------------------------------------------- false positives

FALSE_POSITIVES = {
    "lock-file integrity hash": (
        "web/deps.json",
        '{"integrity": "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQB0xk0fFnBYmlNsv4ZhKVwqIkcYf5'
        'Fx3EfMsq+lgr/tFlqO=="}\n',
    ),
    "uuid without dashes": ("app/ids.py", 'request_uuid = "3f2504e04f8911d39a0c0305e82c3301"\n'),
    "commit hash in a changelog": (
        "CHANGELOG.md",
        '* 1.2.0: "9fceb02d0ae598e95dc970b74767f19372d61af8" fix retries\n',
    ),
    "commit hash in a YAML changelog": (
        "CHANGELOG.yml",
        "- version: 1.2.0\n  commit: 9fceb02d0ae598e95dc970b74767f19372d61af8\n",
    ),
    "commit sha in code": (
        "app/version.py",
        'git_sha = "9fceb02d0ae598e95dc970b74767f19372d61af8"\n',
    ),
    "environment reference in a URL": (
        "run.bat",
        "set DATABASE_URL=postgres://app:%DB_PASSWORD%@db:5432/app\n",
    ),
    "placeholder changeme": ("app/settings.py", 'password = "changeme"\n'),
    "placeholder YOUR_API_KEY": ("app/settings.py", 'api_key = "YOUR_API_KEY"\n'),
    "placeholder xxxx": ("app/settings.py", 'client_secret = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"\n'),
    "AWS example access key": ("docs/aws.md", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"),
    "AWS example secret key": (
        "docs/aws.py",
        'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    ),
}


@pytest.mark.parametrize("engines", sorted(ENGINE_SETS))
@pytest.mark.parametrize("kind", sorted(FALSE_POSITIVES))
def test_hygiene_drops_a_false_positive_detect_secrets_reports(kind: str, engines: str) -> None:
    path, text = FALSE_POSITIVES[kind]
    assert scan_content(text, path, RAW).hits, "detect-secrets reports it"
    assert scan_content(text, path, ENGINE_SETS[engines]).hits == []


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("app/ids.py", 'REQUEST_ID = "123e4567-e89b-12d3-a456-426614174000"\n'),
        ("app/settings.py", 'password = os.environ["DB_PASSWORD"]\n'),
        (".env.example", "DB_PASSWORD=${DB_PASSWORD}\n"),
        ("app/settings.py", 'api_key = "<your-token>"\n'),
        ("app/db.js", "const password = process.env.DB_PASSWORD;\n"),
    ],
)
def test_neither_reports_what_detect_secrets_already_filters(path: str, text: str) -> None:
    assert scan_content(text, path, RAW).hits == []
    assert all(scan_content(text, path, c).hits == [] for c in ENGINE_SETS.values())


@pytest.mark.parametrize(
    ("path", "text", "rules"),
    [  # the rule each engine set reports it under: detect-secrets', the default engines'
        ("app/settings.py", 'AWS_KEY = "AKIAZ3MHGKQW7P2LSNYT"\n', ("aws-access-key",) * 2),
        (
            "app/ids.py",
            'api_key = "8f14e45fceea167a5a36dedd4bea2543"\n',
            ("hex-high-entropy-string", "secret-assignment"),
        ),
        (
            "CHANGELOG.md",
            "token: ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u\n",
            ("github-token",) * 2,
        ),
        (
            "app/settings.py",
            'password = "Tr0ub4dor&3-horse"\n',
            ("secret-keyword", "password-assignment"),
        ),
    ],
)
def test_real_secrets_survive_the_filters(path: str, text: str, rules: tuple[str, str]) -> None:
    for engines, rule in zip(("detect-secrets", "default"), rules, strict=True):
        found = {h.rule for h in scan_content(text, path, ENGINE_SETS[engines]).hits}
        assert rule in found, (engines, found)


@pytest.mark.parametrize("engines", sorted(ENGINE_SETS))
def test_whole_token_is_hashed_not_the_prefix_detect_secrets_captures(engines: str) -> None:
    token = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"
    hits = scan_content(f'GITHUB_TOKEN = "{token}"\n', "a.py", ENGINE_SETS[engines]).hits
    assert [(h.rule, h.sha256, h.preview) for h in hits] == [
        ("github-token", secret_hash(token), "ghp_…")
    ]


PRAGMA_CASES = {  # (path, text with the pragma, the same text without it)
    "python comment": (
        "a.py",
        'password = "Tr0ub4dor&3-horse"  # pragma: allowlist secret\n',
        'password = "Tr0ub4dor&3-horse"\n',
    ),
    "provider token": (
        "app/settings.py",
        'TOKEN = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"  # pragma: allowlist secret\n',
        'TOKEN = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"\n',
    ),
    "js comment": (
        "app/db.js",
        'const password = "Tr0ub4dor&3-horse"; // pragma: allowlist secret\n',
        'const password = "Tr0ub4dor&3-horse";\n',
    ),
    "nextline": (
        "a.py",
        'x = 1\n# pragma: allowlist nextline secret\npassword = "Tr0ub4dor&3-horse"\n',
        'x = 1\n# a comment\npassword = "Tr0ub4dor&3-horse"\n',
    ),
    "yaml": (
        "deploy/values.yaml",
        "db:\n  password: Tr0ub4dor-3-horse-Qz8  # pragma: allowlist secret\n",
        "db:\n  password: Tr0ub4dor-3-horse-Qz8\n",
    ),
}


@pytest.mark.parametrize("engines", sorted(ENGINE_SETS))
@pytest.mark.parametrize("case", sorted(PRAGMA_CASES))
def test_pragma_allowlist_secret_is_honoured(case: str, engines: str) -> None:
    path, allowed, plain = PRAGMA_CASES[case]
    config = ENGINE_SETS[engines]
    assert scan_content(plain, path, config).hits, "reported without the pragma"
    assert scan_content(allowed, path, config).hits == []


@pytest.mark.parametrize("engines", sorted(ENGINE_SETS))
def test_pragma_covers_only_its_line_or_the_next(engines: str) -> None:
    secret = 'password = "Tr0ub4dor&3-horse"\n'
    texts = [
        "# pragma: allowlist secret\n" + secret,  # not a nextline pragma: its own line only
        "# pragma: allowlist nextline secret\n\n" + secret,  # two lines above
        'x = "y"  # pragma: allowlist nextline secret\n' + secret,  # text before it
    ]
    for text in texts:
        assert scan_content(text, "a.py", ENGINE_SETS[engines]).hits, text


def test_the_allowlist_pragma_equals_detect_secrets_own() -> None:
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.util.code_snippet import get_code_snippet

    from hygiene.scan.engine import is_allowlisted

    comments = ["# ", "#", "// ", "/* ", "' ", "-- ", "<!-- ", "<!--# ", "; ", ""]
    pragmas = [
        "pragma: allowlist secret",
        "pragma:allowlist secret",
        "pragma: whitelist secret",
        "pragma: allowlist-secret",
        "pragma: allowlist nextline secret",
        "pragma: allowlist-nextline secret",
        "pragma: whitelist nextline secret",
        "pragma: allow secret",
    ]
    ends = ["", " */", "*/", " -->", "  ", " trailing"]
    lines = [f"{c}{p}{e}" for c in comments for p in pragmas for e in ends]
    lines += [f'k = "v"  {line}' for line in lines]
    rng = random.Random(7)
    verdicts = set()
    for path in ("a.py", "b.yaml", "c.yml", "d.js", "e"):
        for line in lines:
            previous = rng.choice(lines)
            snippet = get_code_snippet(lines=[previous, line], line_number=2)
            theirs = is_line_allowlisted(path, line, snippet)
            assert is_allowlisted(line, previous, path) == theirs, (path, previous, line)
            verdicts.add(theirs)
    assert verdicts == {True, False}


def test_lines_over_the_cap_are_skipped_and_counted() -> None:
    long_line = 'password = "Tr0ub4dor&3-horse"' + " " * 200 + "# x"
    result = scan_content(long_line + "\n", "a.py", EngineConfig(max_line_length=100))
    assert result.hits == [] and result.long_lines == 1
    assert scan_content(long_line + "\n", "a.py", EngineConfig(max_line_length=1000)).hits


def test_binary_and_oversized_content_are_skipped_with_a_reason() -> None:
    assert scan_bytes(b"\x89PNG\0\0password = 'x'", "a.png").skipped == "binary"
    big = b'password = "Tr0ub4dor&3-horse"\n' * 100
    assert scan_bytes(big, "a.py", EngineConfig(max_file_bytes=100)).skipped == "too-large"


def test_lock_files_are_not_scanned() -> None:
    text = 'token = "Zq3kR8vN2pL5xW9mT4bY7cH1jF6dS0gA8eU3iO5r"\n'
    assert scan_content(text, "sub/pnpm-lock.yaml").skipped == "excluded-file"
    assert scan_content(text, "sub/go.sum").skipped == "excluded-file"


def test_the_file_name_filters_equal_detect_secrets_own() -> None:
    # the engine decides what to scan without importing detect-secrets: its copy of the lists
    # must follow the installed version
    from detect_secrets.filters import heuristic

    from hygiene.scan.engine import DETECT_SECRETS_LOCK_FILES, DETECT_SECRETS_NON_TEXT

    assert set(heuristic.IGNORED_FILE_EXTENSIONS) == DETECT_SECRETS_NON_TEXT
    assert all(heuristic.is_lock_file(f"a/{name}") for name in DETECT_SECRETS_LOCK_FILES)
    assert not heuristic.is_lock_file("a/package.json")
    for path in ("web/swagger-ui.html", "api/swagger/x.yaml", "x.png", "yarn.lock", "a.py"):
        assert file_filtered(path) == (
            heuristic.is_swagger_file(path)
            or heuristic.is_lock_file(path)
            or heuristic.is_non_text_file(path)
        ), path
