"""Dotenv text → keys, lines and lint issues, with python-dotenv's own parser.

python-dotenv decides what a binding is (``export`` prefix, quotes, multiline values, comments);
this module adds the line each key sits on and the dotenv-linter-style lint of example files.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from dotenv.parser import parse_stream
from dotenv.variables import Variable, parse_variables

from hygiene.checks.env.records import EnvEntry, LintIssue

EXAMPLE_NAMES = (".env.example", ".env.sample", ".env.template", "example.env")
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?:'[^']*'|[^=#\s]+)\s*=\s*")


@dataclass(frozen=True)
class Binding:
    """A parsed ``KEY=value`` line. ``value`` stays inside the check (it may be a secret)."""

    key: str
    value: str | None
    line: int
    quoted: bool
    raw: str


@dataclass(frozen=True)
class ParsedDotenv:
    """All bindings of a file plus the lines python-dotenv could not parse."""

    bindings: tuple[Binding, ...]
    invalid_lines: tuple[int, ...]

    def entries(self) -> tuple[EnvEntry, ...]:
        """The bindings as records (no values), with the ``${VAR}`` names each value expands."""
        return tuple(
            EnvEntry(
                key=b.key,
                line=b.line,
                has_value=bool(b.value),
                references=references(b.value) if b.value and _interpolated(b) else (),
            )
            for b in self.bindings
        )


def parse_dotenv(text: str) -> ParsedDotenv:
    """Parse dotenv text the way python-dotenv does, keeping the line of each key."""
    bindings: list[Binding] = []
    invalid: list[int] = []
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        stripped = raw.lstrip()
        line = binding.original.line + raw[: len(raw) - len(stripped)].count("\n")
        if binding.error:
            invalid.append(line)
        elif binding.key is not None:
            after = _ASSIGNMENT.sub("", stripped, count=1) if binding.value is not None else ""
            bindings.append(
                Binding(
                    key=binding.key,
                    value=binding.value,
                    line=line,
                    quoted=after[:1] in ("'", '"'),
                    raw=stripped.rstrip("\r\n"),
                )
            )
    return ParsedDotenv(tuple(bindings), tuple(invalid))


def _interpolated(binding: Binding) -> bool:
    # python-dotenv expands ${VAR} in unquoted and double-quoted values, not in single quotes.
    return not binding.raw.partition("=")[2].lstrip().startswith("'")


def references(value: str) -> tuple[str, ...]:
    """The ``${VAR}`` / ``${VAR:-default}`` names a value expands (python-dotenv's syntax)."""
    return tuple(
        atom.name for atom in parse_variables(value) if isinstance(atom, Variable) and atom.name
    )


def lint(parsed: ParsedDotenv) -> tuple[LintIssue, ...]:
    """dotenv-linter-style problems of an example: duplicated key, lowercase key, unquoted value
    with spaces, missing ``=``, and lines python-dotenv cannot parse."""
    issues: list[LintIssue] = []
    first_line: dict[str, int] = {}
    for b in parsed.bindings:
        if b.key in first_line:
            issues.append(
                LintIssue(
                    "duplicated-key",
                    b.line,
                    b.key,
                    f"{b.key} is already defined on line {first_line[b.key]}",
                )
            )
        else:
            first_line[b.key] = b.line
        if b.key != b.key.upper():
            issues.append(LintIssue("lowercase-key", b.line, b.key, f"{b.key} is not upper case"))
        if b.value is None:
            issues.append(LintIssue("missing-equals", b.line, b.key, f"{b.key} has no '='"))
        elif not b.quoted and re.search(r"\s", b.value):
            issues.append(
                LintIssue(
                    "unquoted-spaces",
                    b.line,
                    b.key,
                    f"the value of {b.key} contains spaces but is not quoted",
                )
            )
    for line in parsed.invalid_lines:
        issues.append(LintIssue("invalid-line", line, None, "python-dotenv cannot parse this line"))
    return tuple(sorted(issues, key=lambda i: (i.line, i.rule)))


def is_example(name: str, example_names: tuple[str, ...] | list[str] = EXAMPLE_NAMES) -> bool:
    """True for an example file's base name (``.env.example``, ``example.env`` …)."""
    return name in example_names


def is_dotenv(name: str, example_names: tuple[str, ...] | list[str] = EXAMPLE_NAMES) -> bool:
    """True for a real dotenv file's base name: ``.env`` or ``.env.*`` but not an example."""
    return (name == ".env" or name.startswith(".env.")) and not is_example(name, example_names)
