"""Dotenv parsing (python-dotenv's semantics, with lines) and the example lint."""

from __future__ import annotations

from hygiene.checks.env.dotenv_files import is_dotenv, is_example, lint, parse_dotenv

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
        ("missing-equals", 5, "NOEQ"),
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
