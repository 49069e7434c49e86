"""Helper functions that read a variable named by their parameter, within one file.

``func getEnv(key, fallback string) string { v, ok := os.LookupEnv(key) … }`` makes the read
inside dynamic, but every ``getEnv("PORT", "8080")`` in the file is a read of ``PORT``. A
dynamic read whose name is a parameter of the function around it makes that function a
wrapper (and a call passing the parameter on makes its caller one too); its calls with a
literal name are reads, calls with a computed name stay dynamic, and the read inside is then
explained (no longer dynamic) when the file calls the wrapper. Pure, regex-based, per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hygiene.checks.env.lexing import closing, string_at, top_level_parts


@dataclass(frozen=True)
class Dynamic:
    """A dynamic read found by a finder: where it is and its name expression."""

    offset: int
    expression: str


@dataclass(frozen=True)
class Def:
    """A function definition: its name, where it starts and its parameters' names."""

    name: str
    start: int
    end: int  # the end of the header
    params: tuple[str, ...]


_KEYWORDS = frozenset(
    {"if", "for", "while", "switch", "catch", "function", "return", "elif", "with"}
)


def _param_names(params: str, typed_last: bool) -> tuple[str, ...]:
    """Parameter names: ``key`` of ``key string`` (Go), ``key: str`` (TS, Kotlin, Rust, Python),
    ``String key`` (Java, C#, with ``typed_last``), ``$key`` (PHP)."""
    names = []
    for part in params.split(","):
        part = part.split("=")[0]
        if ":" in part:
            part = part.split(":")[0]
        idents = re.findall(r"[A-Za-z_]\w*", part.replace("mut ", " "))
        if idents:
            names.append(idents[-1] if typed_last else idents[0])
    return tuple(names)


def _definitions(
    code: str, patterns: tuple[re.Pattern[str], ...], typed_last: bool = False
) -> list[Def]:
    defs = []
    matches = [m for p in patterns for m in p.finditer(code)]
    for m in sorted(matches, key=lambda m: m.start()):
        if m["name"] in _KEYWORDS:
            continue
        defs.append(Def(m["name"], m.start(), m.end(), _param_names(m["params"], typed_last)))
    return defs


def _enclosing(defs: list[Def], offset: int, param: str) -> tuple[Def, int] | None:
    """The nearest definition before ``offset`` that has ``param``, and its index."""
    for d in reversed(defs):
        if d.start < offset and param in d.params:
            return d, d.params.index(param)
    return None


def _param_of(expression: str) -> str | None:
    m = re.fullmatch(r"\s*\$?([A-Za-z_]\w*)\s*", expression)
    return m.group(1) if m else None


_RECEIVER = r"(?:(?:this|self|\$this|static)\s*(?:\.|->|::)\s*)?"


def wrapper_reads(
    code: str,
    original: str,
    definitions: tuple[re.Pattern[str], ...],
    dynamic: list[Dynamic],
    typed_last: bool = False,
) -> tuple[list[tuple[str | None, int, str]], set[int]]:
    """Reads through wrappers: ``(name or None, offset, expression)`` per call, and the offsets
    of the dynamic reads the wrappers explain. ``definitions`` match a function header with
    groups ``name`` and ``params``."""
    defs = _definitions(code, definitions, typed_last)
    if not defs:
        return [], set()
    wrappers: dict[str, int] = {}  # name → index of the name parameter
    inner: dict[int, str] = {}  # offset of a dynamic read → its wrapper
    for read in dynamic:
        param = _param_of(read.expression)
        found = _enclosing(defs, read.offset, param) if param else None
        if found:
            wrappers.setdefault(found[0].name, found[1])
            inner[read.offset] = found[0].name
    calls: list[tuple[str | None, int, str]] = []
    called: set[str] = set()
    pending = dict(wrappers)
    seen: set[tuple[int, int]] = set()
    while pending:
        name, index = pending.popitem()
        pattern = re.compile(rf"(?<![\w$.>:]){_RECEIVER}{re.escape(name)}\s*(?:<[^<>()]*>)?\s*\(")
        for m in pattern.finditer(code):
            if any(d.start <= m.start() < d.end for d in defs):
                continue  # a definition's own header
            paren = m.end() - 1
            args = top_level_parts(code, paren + 1, closing(code, paren))
            if index >= len(args):
                continue
            a, b = args[index]
            if (m.start(), index) in seen:
                continue
            seen.add((m.start(), index))
            literal = string_at(code, original, a, b)
            if literal:
                calls.append((literal, m.start(), ""))
                called.add(name)
                continue
            param = _param_of(original[a:b])
            outer = _enclosing(defs, m.start(), param) if param else None
            if outer and outer[0].name != name:
                if outer[0].name not in wrappers:
                    wrappers[outer[0].name] = outer[1]
                    pending[outer[0].name] = outer[1]
                called.add(name)
                continue
            calls.append((None, m.start(), original[a:b].strip()))
            called.add(name)
    explained = {offset for offset, w in inner.items() if w in called}
    return calls, explained
