"""Variable reads in shell scripts and Dockerfiles.

Shell: ``$X``, ``${X}``, ``${X:-d}``, ``${X:=d}``, ``${X?}``, ``${#X}`` outside comments, single
quotes and quoted here-documents. Only upper-case names count (lower-case names are the script's
own locals by convention), and a name the script assigns (``X=…``, ``export X=…``, ``read X``,
``for X in``) counts only where it is read before, or on the line of, its first assignment —
``X="${X:-default}"`` reads X.
Dockerfile: the names of ``ARG`` and ``ENV`` instructions (the variables the image expects or
sets: role ``set``, not reads from the operator's environment).
"""

from __future__ import annotations

import re

from hygiene.checks.env.records import EnvRead

_EXPANSION = re.compile(
    r"\$(?:\{#?(?P<braced>[A-Za-z_][A-Za-z0-9_]*)|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
_ESCAPED = re.compile(r"\\\$|\$\$")
_UPPER = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_ASSIGN = re.compile(
    r"(?:^\s*|[;&|({]\s*|\b(?:export|local|readonly|declare|typeset)(?:\s+-\w+)*\s+)"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\+?="
)
_LOOP_READ = re.compile(
    r"\b(?:for\s+(?P<for>[A-Za-z_]\w*)\s+in\b|read\s+(?:-\w+\s+)*(?P<read>[A-Za-z_][\w ]*))"
)
_HEREDOC = re.compile(r"<<-?\s*(?P<q>['\"]?)(?P<tag>[A-Za-z_][A-Za-z0-9_]*)(?P=q)")


def _code_spans(line: str, in_double: bool) -> tuple[list[tuple[int, int]], bool]:
    """Spans of ``line`` where expansions happen (outside single quotes and comments)."""
    spans: list[tuple[int, int]] = []
    start = 0
    i, n = 0, len(line)
    in_single = False
    while i < n:
        ch = line[i]
        if in_single:
            if ch == "'":
                in_single = False
                start = i + 1
        elif ch == "\\":
            i += 2
            continue
        elif ch == '"':
            in_double = not in_double
        elif ch == "'" and not in_double:
            spans.append((start, i))
            in_single = True
        elif ch == "#" and not in_double and (i == 0 or line[i - 1] in " \t;|&("):
            spans.append((start, i))
            return spans, in_double
        i += 1
    if not in_single:
        spans.append((start, n))
    return spans, in_double


def find_shell_reads(path: str, text: str) -> list[EnvRead]:
    """Every upper-case environment variable a shell script reads."""
    candidates: list[EnvRead] = []
    first_assigned: dict[str, float] = {}
    heredoc: tuple[str, bool] | None = None  # (tag, quoted)
    in_double = False
    for number, line in enumerate(text.splitlines(), start=1):
        if heredoc is not None:
            tag, quoted = heredoc
            if line.strip() == tag:
                heredoc = None
            elif not quoted:
                for m in _EXPANSION.finditer(line):
                    candidates.append(EnvRead(m["braced"] or m["plain"], path, number, "shell"))
            continue
        if number == 1 and line.startswith("#!"):
            continue
        spans, in_double = _code_spans(line, in_double)
        code = "".join(
            line[a:b] if (a, b) in spans else " " * (b - a) for a, b in _cover(spans, len(line))
        )
        code = _ESCAPED.sub("  ", code)  # \$X and $$ are not expansions
        for m in _EXPANSION.finditer(code):
            candidates.append(EnvRead(m["braced"] or m["plain"], path, number, "shell"))
        for m in _ASSIGN.finditer(code):
            first_assigned.setdefault(m["name"], number)
        for m in _LOOP_READ.finditer(code):
            for name in (m["for"] or m["read"] or "").split():
                first_assigned.setdefault(name, number - 0.5)  # the loop's own line is not a read
        doc = _HEREDOC.search(line)
        if doc and any(a <= doc.start() < b for a, b in spans):
            heredoc = (doc["tag"], bool(doc["q"]))
    return [
        read
        for read in candidates
        if read.name
        and _UPPER.match(read.name)
        and read.line <= first_assigned.get(read.name, read.line)
    ]


def _cover(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """``spans`` plus the gaps between them, in order, covering ``0..length``."""
    out: list[tuple[int, int]] = []
    at = 0
    for a, b in spans:
        if a > at:
            out.append((at, a))
        out.append((a, b))
        at = b
    if at < length:
        out.append((at, length))
    return out


_INSTRUCTION = re.compile(r"^\s*(?P<op>ARG|ENV)\s+(?P<rest>.*)$", re.IGNORECASE)
_ENV_PAIR = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)=(?:\"(?:\\.|[^\"])*\"|'[^']*'|\S*)")


def find_dockerfile_reads(path: str, text: str) -> list[EnvRead]:
    """The names of a Dockerfile's ``ARG`` and ``ENV`` instructions (line continuations joined)."""
    reads: list[EnvRead] = []
    logical, first = "", 0
    for number, line in enumerate([*text.splitlines(), ""], start=1):
        if not logical and line.lstrip().startswith("#"):
            continue
        if not logical:
            first = number
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        m = _INSTRUCTION.match(logical)
        logical = ""
        if not m:
            continue
        rest = m["rest"].strip()
        if m["op"].upper() == "ARG":
            names = [rest.split("=", 1)[0].split()[0]] if rest else []
        elif "=" in rest.split(maxsplit=1)[0]:
            names = [p["name"] for p in _ENV_PAIR.finditer(rest)]
        else:
            names = rest.split()[:1]  # legacy "ENV NAME value"
        reads.extend(EnvRead(name, path, first, "dockerfile", role="set") for name in names)
    return reads
