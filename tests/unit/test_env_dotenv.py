"""Dotenv parsing (python-dotenv's semantics, with lines) and the example lint."""

from __future__ import annotations

from hygiene.checks.env.dotenv_files import (
    is_dotenv,
    is_example,
    is_variable_name,
    lint,
    parse_dotenv,
)
from tests.fixtures.env.hostile import GARBAGE, PEM_BODY, hostile_dotenv, leaks

TEXT = """# a comment line
export EXPORTED=1

QUOTED="a # not a comment"
SINGLE='${NOT_EXPANDED}'
MULTI="first
second"
AFTER_MULTI=x # trailing comment
URL=${HOST}/v1/${PATH_PART:-api}
EMPTY=
"""


def test_keys_lines_and_values_follow_python_dotenv() -> None:
    parsed = parse_dotenv(TEXT)
    got = {(b.key, b.line, b.value, b.quoted) for b in parsed.bindings}
    assert got == {
        ("EXPORTED", 2, "1", False),
        ("QUOTED", 4, "a # not a comment", True),
        ("SINGLE", 5, "${NOT_EXPANDED}", True),
        ("MULTI", 6, "first\nsecond", True),
        ("AFTER_MULTI", 8, "x", False),
        ("URL", 9, "${HOST}/v1/${PATH_PART:-api}", False),
        ("EMPTY", 10, "", False),
    }
    assert parsed.invalid_lines == ()


def test_references_are_expanded_names_except_in_single_quotes() -> None:
    entries = {e.key: e for e in parse_dotenv(TEXT).entries()}
    assert entries["URL"].references == ("HOST", "PATH_PART")
    assert entries["SINGLE"].references == ()
    assert entries["EMPTY"].has_value is False


def test_lint_reports_each_dotenv_linter_problem_once() -> None:
    text = (
        "GOOD=1\nlower=1\nSPACED=hello world\nQUOTED_SPACES='hello world'\nNOEQ\nGOOD=2\n!!! bad\n"
    )
    issues = {(i.rule, i.line, i.key) for i in lint(parse_dotenv(text))}
    assert issues == {
        ("lowercase-key", 2, "lower"),
        ("unquoted-spaces", 3, "SPACED"),
        ("missing-equals", 5, None),
        ("duplicated-key", 6, "GOOD"),
        ("invalid-line", 7, None),
    }


def test_lint_of_a_clean_example_is_empty() -> None:
    assert lint(parse_dotenv('A=1\nB="two words"\n# note\nexport C=3\n')) == ()


def test_example_and_dotenv_names() -> None:
    assert {
        n
        for n in [".env.example", ".env.sample", ".env.template", "example.env", ".env"]
        if is_example(n)
    } == {".env.example", ".env.sample", ".env.template", "example.env"}
    assert {
        n
        for n in [".env", ".env.local", ".env.production", ".env.example", ".envrc", "x.env"]
        if is_dotenv(n)
    } == {".env", ".env.local", ".env.production"}


def test_lines_that_are_not_bindings_are_known_by_number_only() -> None:
    text = hostile_dotenv()  # 1 APP_PORT, 2 PRIVATE_KEY=-----BEGIN, 3-5 body, 6 END, 7 garbage
    parsed = parse_dotenv(text)
    assert [(b.key, b.line) for b in parsed.bindings] == [
        ("APP_PORT", 1),
        ("PRIVATE_KEY", 2),
        ("LAST_SETTING", 8),
    ]
    assert [e.key for e in parsed.entries()] == ["APP_PORT", "PRIVATE_KEY", "LAST_SETTING"]
    assert parsed.unquoted_blocks == ((2, 3, 6),)
    assert parsed.missing_equals == (7,)
    assert parsed.invalid_lines == ()
    issues = lint(parsed)
    assert {(i.rule, i.line, i.key) for i in issues} == {
        ("unquoted-spaces", 2, "PRIVATE_KEY"),
        ("invalid-line", 3, None),
        ("missing-equals", 7, None),
    }
    assert leaks(repr(issues)) == []


def test_keys_that_are_not_variable_names_are_invalid_lines() -> None:
    padded = PEM_BODY[-1]  # "…==": python-dotenv's key "…" with the value "="
    text = f"GOOD=1\n{padded}\n{GARBAGE}=x\n'quoted key'=1\nspring.profile=dev\nNOEQ\n"
    parsed = parse_dotenv(text)
    assert [b.key for b in parsed.bindings] == ["GOOD"]
    assert parsed.invalid_lines == (2, 3, 4, 5)
    assert parsed.missing_equals == (6,)
    assert leaks(repr(lint(parsed))) == []


def test_an_unterminated_quoted_key_swallows_its_block_and_stops_at_the_end_line() -> None:
    text = hostile_dotenv().replace("PRIVATE_KEY=", 'PRIVATE_KEY="', 1)  # no closing quote
    parsed = parse_dotenv(text)
    assert [b.key for b in parsed.bindings] == ["APP_PORT", "LAST_SETTING"]
    assert parsed.invalid_lines == (2,)
    assert parsed.unquoted_blocks == ((2, 3, 6),)
    assert parsed.missing_equals == (7,)


def test_references_are_variable_names_only() -> None:
    [entry] = parse_dotenv("URL=${HOST}/${not a name}/${PORT:-80}\n").entries()
    assert entry.references == ("HOST", "PORT")


def test_variable_names() -> None:
    assert is_variable_name("DATABASE_URL") and is_variable_name("lower_case")
    assert is_variable_name("_X1") and is_variable_name("APIKEY2")
    assert not is_variable_name("1X") and not is_variable_name("A-B")
    assert not is_variable_name("Ab1" * 7)  # 21 characters mixing cases and digits: a token
