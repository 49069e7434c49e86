"""Property tests of the env check's dotenv parsing: over arbitrary text and bytes, parsing,
lint, entries, the secret marks and the env rules never raise (HygieneError is the only error
allowed), and no value of a dotenv file — nor a line that is not a binding — ever appears in a
finding or an ``env report`` row, whatever the file holds around it.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from hygiene.checks.env.dotenv_files import ParsedDotenv, is_variable_name, lint, parse_dotenv
from hygiene.checks.env.records import DotenvFile, EnvRead, RepoEnv
from hygiene.checks.env.report import inventory
from hygiene.checks.env.rules import evaluate
from hygiene.checks.env.secrets import secret_marks
from hygiene.decoding import decode_text
from hygiene.errors import HygieneError
from hygiene.policy import Policy
from hygiene.scan import scan_text
from tests.property.conftest import examples

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
SETTINGS = settings(max_examples=examples(150), deadline=None)

#: every generated value carries it; names never do (they are upper case, it is not)
MARK = "zq7mark"
NAMES = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
#: value characters: anything on one line but "$" (``${NAME}`` in a value names a variable)
VALUE_CHARS = st.characters(blacklist_characters="\n\r$\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
PIECES = st.text(VALUE_CHARS, max_size=12)
VALUES = st.tuples(PIECES, PIECES).map(lambda p: p[0] + MARK + p[1])
#: a line that is not a binding: no "=" at all (a pasted token, a line of a key)
BARE = st.tuples(PIECES, PIECES).map(lambda p: (p[0] + MARK + p[1]).replace("=", ""))
B64 = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", max_size=20)
PEM_LINE = st.tuples(B64, B64, st.sampled_from(["", "=", "=="])).map(
    lambda p: p[0] + MARK + p[1] + p[2]
)


@st.composite
def pem(draw: st.DrawFn) -> str:
    """An unquoted PEM value: ``NAME=-----BEGIN …`` and base64 lines carrying the mark."""
    body = draw(st.lists(PEM_LINE, min_size=1, max_size=4))
    return "\n".join(
        [f"{draw(NAMES)}=-----BEGIN PRIVATE KEY-----", *body, "-----END PRIVATE KEY-----"]
    )


LINE = st.one_of(
    st.tuples(NAMES, st.sampled_from(["=", " = ", "= "]), VALUES).map("".join),
    st.tuples(NAMES, VALUES).map(lambda p: f"export {p[0]}={p[1]}"),
    st.tuples(NAMES, VALUES, st.sampled_from(["'", '"'])).map(
        lambda p: f"{p[0]}={p[2]}{p[1]}{p[2]}"
    ),
    BARE,
    pem(),
    VALUES.map(lambda v: "# " + v),
    st.just(""),
)
FILES = st.lists(LINE, max_size=8).map(lambda lines: "\n".join(lines) + "\n")


def _parse(text: str, path: str = ".env.example") -> tuple[ParsedDotenv, DotenvFile]:
    parsed = parse_dotenv(text)
    return parsed, DotenvFile(
        path,
        parsed.entries(),
        lint=lint(parsed),
        secrets=secret_marks(parsed, scan_text(text, path)),
    )


def _everything_shown(repo: RepoEnv) -> str:
    """All a person or a machine gets of the repo: findings and the env report's rows."""
    findings = evaluate([repo], Policy(), AS_OF)
    contract = [f.to_contract() for f in findings]
    rows = [row.to_json() for row in inventory(repo, Policy().env)]
    return json.dumps([contract, rows], ensure_ascii=False) + repr(findings)


@SETTINGS
@given(st.text(max_size=300))
def test_any_text_parses_lints_and_evaluates(text: str) -> None:
    try:
        parsed, example = _parse(text)
        repo = RepoEnv("r", examples=(example,), local_envs=(_parse(text, ".env")[1],))
        _everything_shown(repo)
    except HygieneError:
        return
    lines = text.count("\n") + 1
    for binding in parsed.bindings:
        assert is_variable_name(binding.key)
        assert 1 <= binding.line <= lines + 1
    for issue in example.lint:
        assert issue.key is None or is_variable_name(issue.key)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_decode_and_parse(data: bytes) -> None:
    text = decode_text(data)
    if text is None:
        return
    with contextlib.suppress(HygieneError):
        _, example = _parse(text)
        _everything_shown(RepoEnv("r", examples=(example,)))


@SETTINGS
@given(FILES, FILES, st.lists(NAMES, max_size=3))
def test_no_value_and_no_bare_line_reaches_a_finding(
    example_text: str, local_text: str, read_names: list[str]
) -> None:
    _, example = _parse(example_text)
    local = DotenvFile(".env", parse_dotenv(local_text).entries(), tracked=False)
    committed = DotenvFile(
        "deploy/.env.production", parse_dotenv(local_text).entries(), tracked=True
    )
    repo = RepoEnv(
        "r",
        examples=(example,),
        local_envs=(local, committed),
        committed_dotenvs=("deploy/.env.production",),
        reads=tuple(EnvRead(name, "app.py", i + 1, "python") for i, name in enumerate(read_names)),
    )
    shown = _everything_shown(repo)
    assert MARK not in shown
