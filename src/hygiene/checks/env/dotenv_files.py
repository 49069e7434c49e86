"""Dotenv text → keys, lines and lint issues, with python-dotenv's own parser.

python-dotenv decides what a binding is (``export`` prefix, quotes, multiline values, comments);
this module adds the line each key sits on and the dotenv-linter-style lint of example files.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from dotenv.parser import parse_stream
from dotenv.variables import Variable, parse_variables

from hygiene.checks.env.records import EnvEntry, LintIssue
from hygiene.policy import ENV_EXAMPLE_PATTERNS

EXAMPLE_NAMES = ENV_EXAMPLE_PATTERNS
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?(?:'[^']*'|[^=#\s]+)\s*=\s*")


@dataclass(frozen=True)
class Binding:
    """A parsed ``NAME=value`` line. ``value`` stays inside the check (it may be a secret)."""

    key: str
    value: str
    line: int
    quoted: bool
    raw: str


@dataclass(frozen=True)
class ParsedDotenv:
    """All bindings of a file plus the line numbers of what is not a binding.

    A dotenv line that is not ``NAME=value`` may be anything — a line of an unquoted multi-line
    private key, a pasted token — so only its line number is kept, never its text:
    ``invalid_lines`` (python-dotenv cannot parse it, or its key is not a variable name),
    ``missing_equals`` (no ``=``), ``unquoted_blocks`` (``(key line, first, last)``: the lines
    an unquoted ``-----BEGIN …`` value runs on, up to its ``-----END`` line).
    """

    bindings: tuple[Binding, ...]
    invalid_lines: tuple[int, ...]
    missing_equals: tuple[int, ...] = ()
    unquoted_blocks: tuple[tuple[int, int, int], ...] = ()

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


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PEM_BEGIN, _PEM_END = "-----BEGIN", "-----END"


def is_variable_name(key: str) -> bool:
    """A key that can be a variable's name: letters, digits and ``_``, not starting with a
    digit, and not shaped like a token (20+ characters mixing upper, lower case and digits
    without an ``_``: a line of base64 followed by its ``=`` padding)."""
    if not _NAME.match(key):
        return False
    token = (
        len(key) >= 20
        and "_" not in key
        and any(c.isupper() for c in key)
        and any(c.islower() for c in key)
        and any(c.isdigit() for c in key)
    )
    return not token


def _opens_block(text: str) -> bool:
    return _PEM_BEGIN in text and _PEM_END not in text


def parse_dotenv(text: str) -> ParsedDotenv:
    """Parse dotenv text the way python-dotenv does, keeping the line of each key.

    Only ``NAME=value`` lines whose key is a variable name become bindings; every other line is
    known by its number only (see :class:`ParsedDotenv`). A value that starts a PEM block
    without quotes (``KEY=-----BEGIN PRIVATE KEY-----``) swallows the lines up to its
    ``-----END`` line (or the end of the file): they are the key's, not bindings.
    """
    bindings: list[Binding] = []
    invalid: list[int] = []
    no_equals: list[int] = []
    blocks: list[tuple[int, int, int]] = []
    block: list[int] | None = None  # [key line, first, last] of the open unquoted block
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        stripped = raw.lstrip()
        line = binding.original.line + raw[: len(raw) - len(stripped)].count("\n")
        if not stripped:
            continue
        if block is not None:
            block[1] = block[1] or line
            block[2] = line + stripped.rstrip("\r\n").count("\n")
            if _PEM_END in stripped:
                blocks.append((block[0], block[1], block[2]))
                block = None
            continue
        if binding.error or binding.key is None:
            if binding.error:
                invalid.append(line)
                if _opens_block(stripped):
                    block = [line, 0, 0]
            continue
        if binding.value is None:
            no_equals.append(line)
            continue
        after = _ASSIGNMENT.sub("", stripped, count=1)
        if not is_variable_name(binding.key) or (binding.value and not binding.value.strip("=")):
            invalid.append(line)  # a pasted line of base64 ("…Zm9v==") is not a key
            continue
        quoted = after[:1] in ("'", '"')
        bindings.append(
            Binding(
                key=binding.key,
                value=binding.value,
                line=line,
                quoted=quoted,
                raw=stripped.rstrip("\r\n"),
            )
        )
        if not quoted and _opens_block(binding.value):
            block = [line, 0, 0]
    if block is not None and block[1]:
        blocks.append((block[0], block[1], block[2]))
    return ParsedDotenv(tuple(bindings), tuple(invalid), tuple(no_equals), tuple(blocks))


_COMMENTED = re.compile(r"^[ \t]*#+[ \t]*(?:export[ \t]+)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def commented_entries(text: str, parsed: ParsedDotenv) -> tuple[EnvEntry, ...]:
    """An example's commented-out bindings (``# NAME=default``: documented, optional): upper-case
    names only, each once, none that the file also binds, none inside a multi-line value."""
    bound = {b.key for b in parsed.bindings}
    taken = {
        line for b in parsed.bindings for line in range(b.line, b.line + b.value.count("\n") + 1)
    }
    taken |= {line for _, first, last in parsed.unquoted_blocks for line in range(first, last + 1)}
    found: list[EnvEntry] = []
    for match in _COMMENTED.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        key = match.group(1)
        if key in bound or line in taken or not is_variable_name(key):
            continue
        bound.add(key)
        found.append(EnvEntry(key=key, line=line, has_value=False, commented=True))
    return tuple(found)


def _interpolated(binding: Binding) -> bool:
    # python-dotenv expands ${VAR} in unquoted and double-quoted values, not in single quotes.
    return not binding.raw.partition("=")[2].lstrip().startswith("'")


def references(value: str) -> tuple[str, ...]:
    """The ``${VAR}`` / ``${VAR:-default}`` names a value expands (python-dotenv's syntax);
    only variable names (``${…}`` holding anything else is part of the value)."""
    return tuple(
        atom.name
        for atom in parse_variables(value)
        if isinstance(atom, Variable) and _NAME.match(atom.name)
    )


def lint(parsed: ParsedDotenv) -> tuple[LintIssue, ...]:
    """dotenv-linter-style problems of an example: duplicated key, lowercase key, unquoted value
    with spaces or over several lines, missing ``=``, and lines that are not bindings. A line
    that is not a binding is named by its number only: its text may be a secret."""
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
        if not b.quoted and re.search(r"\s", b.value or ""):
            issues.append(
                LintIssue(
                    "unquoted-spaces",
                    b.line,
                    b.key,
                    f"the value of {b.key} contains spaces but is not quoted",
                )
            )
    for line in parsed.missing_equals:
        issues.append(
            LintIssue(
                "missing-equals",
                line,
                None,
                "this line has no '=' (a value that goes on over several lines must be quoted)",
            )
        )
    for line in parsed.invalid_lines:
        issues.append(
            LintIssue("invalid-line", line, None, "this line is not a NAME=value binding")
        )
    for key_line, first, last in parsed.unquoted_blocks:
        span = f"lines {first}-{last} continue" if last > first else f"line {first} continues"
        issues.append(
            LintIssue(
                "invalid-line",
                first,
                None,
                f"{span} the unquoted multi-line value begun on line {key_line}; quote the value",
            )
        )
    return tuple(sorted(issues, key=lambda i: (i.line, i.rule)))


@lru_cache(maxsize=32)
def _example_pattern(patterns: tuple[str, ...]) -> re.Pattern[str]:
    from fnmatch import translate

    return re.compile("|".join(f"(?:{translate(p.lower())})" for p in patterns) or r"(?!)")


def is_example(name: str, example_names: Sequence[str] = EXAMPLE_NAMES) -> bool:
    """True for an example file's base name: one the ``env.examples`` globs match, case
    insensitively (``.env.example``, ``.env.local.example``, ``.env.sample``, ``example.env`` …)."""
    return bool(_example_pattern(tuple(example_names)).match(name.lower()))


def example_rank(name: str, example_names: Sequence[str] = EXAMPLE_NAMES) -> int:
    """The index of the first glob matching ``name`` (the order examples of one folder are
    consulted in: ``.env.example`` before ``.env.test.example``); ``len`` when none does."""
    from fnmatch import fnmatchcase

    lowered = name.lower()
    return next(
        (i for i, p in enumerate(example_names) if fnmatchcase(lowered, p.lower())),
        len(example_names),
    )


def new_example_name(example_names: Sequence[str] = EXAMPLE_NAMES) -> str:
    """The name a new example gets: the first ``env.examples`` entry that is a plain name."""
    return next((p for p in example_names if not any(c in p for c in "*?[")), ".env.example")


def is_dotenv(name: str, example_names: Sequence[str] = EXAMPLE_NAMES) -> bool:
    """True for a real dotenv file's base name: ``.env`` or ``.env.*`` but not an example."""
    return (name == ".env" or name.startswith(".env.")) and not is_example(name, example_names)
