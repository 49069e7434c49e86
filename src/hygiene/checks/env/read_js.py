"""Variable reads in JavaScript and TypeScript: regexes over comment- and string-masked text.

Reads: ``process.env.X``, ``process.env?.X``, ``process.env["X"]``, destructuring
``const { X, Y: y, Z = 1 } = process.env``, ``import.meta.env.X`` / ``["X"]`` (Vite's own
``MODE``, ``DEV``, ``PROD``, ``SSR``, ``BASE_URL`` are not variables) and ``Deno.env.get("X")``.
``process.env[key]`` with a computed key is a dynamic read.
"""

from __future__ import annotations

import re

from hygiene.checks.env.lexing import HIDDEN, JAVASCRIPT, NAME, LineIndex, literal_name, mask
from hygiene.checks.env.records import EnvRead

VITE_BUILTINS = frozenset({"MODE", "DEV", "PROD", "SSR", "BASE_URL"})
_ENV = r"(?<![\w$.])(?P<obj>process\.env|import\.meta\.env)"
_DOT = re.compile(_ENV + rf"\s*\??\.\s*(?P<name>{NAME})\b")
_INDEX = re.compile(_ENV + r"\s*(?:\?\.)?\s*\[\s*(?P<expr>[^\]]*?)\s*\]")
_DESTRUCTURE = re.compile(
    r"\b(?:const|let|var)\s*\{(?P<body>[^{}]*)\}\s*=\s*(?P<obj>process\.env|import\.meta\.env)\b"
)
_DENO = re.compile(r"(?<![\w$.])Deno\.env\.get\s*\(\s*(?P<expr>[^)]*?)\s*\)")
_QUOTED = re.compile(rf"^(['\"`])({HIDDEN}*)\1$")


def find_js_reads(path: str, text: str) -> list[EnvRead]:
    """Every environment read in JS/TS source ``text``."""
    if "process.env" not in text and "import.meta.env" not in text and "Deno.env" not in text:
        return []  # the common case, without lexing the file
    code = mask(text, JAVASCRIPT)
    lines = LineIndex(text)
    reads: list[EnvRead] = []

    def add(name: str | None, offset: int, obj: str = "", expr: str = "") -> None:
        if name and obj == "import.meta.env" and name in VITE_BUILTINS:
            return
        reads.append(EnvRead(name, path, lines.line(offset), "javascript", expr))

    for m in _DOT.finditer(code):
        add(m["name"], m.start(), m["obj"])
    for m in [*_INDEX.finditer(code), *_DENO.finditer(code)]:
        start, end = m.span("expr")
        quoted = _QUOTED.match(code[start:end])
        name = literal_name(text, start + 1, end - 1) if quoted else None
        obj = m.groupdict().get("obj") or ""
        add(name, m.start(), obj, "" if name else text[start:end])
    for m in _DESTRUCTURE.finditer(code):
        body_start = m.start("body")
        for part in re.finditer(r"[^,]+", m["body"]):
            item = part.group().strip()
            if not item:
                continue
            offset = body_start + part.start() + (len(part.group()) - len(part.group().lstrip()))
            if item.startswith("..."):
                continue  # the rest of the environment: no name to audit
            key = re.match(rf"(?:(['\"])({HIDDEN}*)\1|({NAME}))", item)
            if key is None:
                continue
            if key.group(3):
                add(key.group(3), offset, m["obj"])
            else:
                add(
                    literal_name(text, offset + 1, offset + 1 + len(key.group(2))), offset, m["obj"]
                )
    return sorted(reads, key=lambda r: (r.line, r.name or ""))
