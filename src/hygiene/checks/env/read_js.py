"""Variable reads in JavaScript and TypeScript: regexes over comment- and string-masked text.

Reads: ``process.env.X``, ``process.env?.X``, ``process.env["X"]``, destructuring
``const { X, Y: y, Z = 1 } = process.env``, the same through an alias (``const env =
process.env``, ``const { env } = process``, ``import { env } from "node:process"``),
``import.meta.env.X`` / ``["X"]`` (Vite's own ``MODE``, ``DEV``, ``PROD``, ``SSR``,
``BASE_URL`` are not variables), SvelteKit ``import { X } from "$env/static/private"`` and
``$env/dynamic/*``'s ``env.X``, ``Deno.env.get("X")``, envalid / znv ``cleanEnv(process.env,
{ X: str() })`` (the spec inline or a ``const`` of the file), ``@t3-oss/env`` ``createEnv({
server: { X: z.string() }, client: { … }, shared: { … } })``, a zod schema parsed from the
environment (``z.object({ X: … }).parse(process.env)``), NestJS ``configService.get("X")`` /
``get<T>("X")`` / ``getOrThrow("X")`` (upper-case names only: lower-case keys are the app's own
config namespaces) and helper functions of the file that read the variable their parameter
names (``const env = (k) => process.env[k]``; ``env("X")``).
``process.env[key]`` with a computed key is a dynamic read. Writes are not reads:
``process.env.X = v`` and ``delete process.env.X`` are left out; ``process.env.X ??= v`` (and
``||=``) gives a default (role ``default``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hygiene.checks.env.lexing import (
    HIDDEN,
    JAVASCRIPT,
    NAME,
    LineIndex,
    closing,
    literal_name,
    mask,
    object_keys,
    string_at,
    top_level_parts,
)
from hygiene.checks.env.read_wrappers import Dynamic, wrapper_reads
from hygiene.checks.env.records import EnvRead

_Add = Callable[..., None]
VITE_BUILTINS = frozenset({"MODE", "DEV", "PROD", "SSR", "BASE_URL"})
_TRIGGERS = ("process.env", "import.meta.env", "Deno.env", "$env/", "cleanEnv", "createEnv")
_BASE_OBJECTS = ("process\\.env", "import\\.meta\\.env")
_AFTER = re.compile(r"[ \t]*(?P<op>\?\?=|\|\|=|=(?![=>]))")
_DELETE = re.compile(r"\bdelete\s*$")
_DENO = re.compile(r"(?<![\w$.])Deno\.env\.get\s*\(\s*(?P<expr>[^)]*?)\s*\)")
_QUOTED = re.compile(rf"^(['\"`])({HIDDEN}*)\1$")
_ALIAS = re.compile(
    r"\b(?:const|let|var)\s+(?P<alias>[A-Za-z_$][\w$]*)\s*(?::[^=;\n]*)?=\s*"
    r"(?:process\.env|import\.meta\.env)\s*(?:as\s+[^;\n]*)?(?=[;\n)]|$)"
    r"|\b(?:const|let|var)\s*\{[^{}]*?\benv\b\s*(?::\s*(?P<renamed>[A-Za-z_$][\w$]*))?[^{}]*\}"
    r"\s*=\s*process\b(?!\s*\.)"
)
_IMPORT = re.compile(
    r"\bimport\s*\{(?P<names>[^{}]*)\}\s*from\s*(?P<q>['\"])(?P<module>[^'\"\n]*)(?P=q)"
)
_ENV_MODULES = ("process", "node:process", "$env/dynamic/private", "$env/dynamic/public")
_STATIC_MODULES = ("$env/static/private", "$env/static/public")
_CLEAN_ENV = re.compile(r"(?<![\w$.])(?:cleanEnv|parseEnv)\s*(?:<[^<>()]*>)?\s*\(")
_CREATE_ENV = re.compile(r"(?<![\w$.])createEnv\s*\(\s*\{")
_ZOD_OBJECT = re.compile(r"(?<![\w$.])z\s*\.\s*object\s*\(\s*\{")
_PARSE_TAIL = re.compile(
    r"\s*(?:\.\s*[\w$]+\s*\([^()]*\)\s*)*\.\s*(?:safeParse|parse)(?:Async)?\s*\("
)
_NEST_TYPED = re.compile(r"(?P<recv>[A-Za-z_$][\w$]*)\s*[?!]?\s*:\s*ConfigService\b")
_UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_DEFINITIONS = (
    re.compile(r"\bfunction\s*\*?\s*(?P<name>[\w$]+)\s*(?:<[^<>]*>)?\s*\((?P<params>[^()]*)\)"),
    re.compile(
        r"\b(?:const|let|var)\s+(?P<name>[\w$]+)\s*(?::[^=;]*)?=\s*(?:async\s*)?"
        r"(?:function\s*\*?\s*[\w$]*\s*)?(?:<[^<>]*>)?\s*\((?P<params>[^()]*)\)"
    ),
    re.compile(
        r"\b(?:const|let|var)\s+(?P<name>[\w$]+)\s*=\s*(?:async\s+)?(?P<params>[A-Za-z_$][\w$]*)\s*=>"
    ),
    re.compile(
        r"^[ \t]*(?:(?:public|private|protected|static|async|readonly|override)\s+)*"
        r"(?P<name>[A-Za-z_$][\w$]*)\s*(?:<[^<>]*>)?\s*\((?P<params>[^()]*)\)\s*(?::[^{;\n]*)?\{",
        re.MULTILINE,
    ),
)


def find_js_reads(path: str, text: str) -> list[EnvRead]:
    """Every environment read in JS/TS source ``text``."""
    nest = "ConfigService" in text
    if not nest and not any(word in text for word in _TRIGGERS):
        return []  # the common case, without lexing the file
    code = mask(text, JAVASCRIPT)
    lines = LineIndex(text)
    reads: list[EnvRead] = []
    dynamic: list[Dynamic] = []

    def add(
        name: str | None, offset: int, kind: str = "javascript", expr: str = "", role: str = "read"
    ) -> None:
        reads.append(EnvRead(name, path, lines.line(offset), kind, expr, role))

    objects = list(_BASE_OBJECTS)
    for m in _ALIAS.finditer(code):
        objects.append(re.escape(m["alias"] or m["renamed"] or "env"))
    for m in _IMPORT.finditer(code):
        module = text[m.start("module") : m.end("module")]
        for part in m["names"].split(","):
            imported = re.match(rf"\s*({NAME})(?:\s+as\s+({NAME}))?\s*$", part)
            if imported is None:
                continue
            if module in _ENV_MODULES and imported.group(1) == "env":
                objects.append(re.escape(imported.group(2) or "env"))
            elif module in _STATIC_MODULES:
                add(imported.group(1), m.start("names") + part.index(imported.group(1)))
    env = rf"(?<![\w$.])(?P<obj>{'|'.join(dict.fromkeys(objects))})"
    dot = re.compile(env + rf"\s*\??\.\s*(?P<name>{NAME})\b")
    index = re.compile(env + r"\s*(?:\?\.)?\s*\[\s*(?P<expr>[^\]]*?)\s*\]")
    destructure = re.compile(
        rf"\b(?:const|let|var)\s*\{{(?P<body>[^{{}}]*)\}}\s*=\s*(?P<obj>{'|'.join(objects)})\b(?!\s*\.)"
    )

    def role_at(start: int, end: int) -> str | None:
        """The role of a member access, or None for a plain write (not recorded)."""
        if _DELETE.search(code, max(0, start - 12), start):
            return None
        after = _AFTER.match(code, end)
        if after is None:
            return "read"
        return None if after["op"] == "=" else "default"

    for m in dot.finditer(code):
        role = role_at(m.start(), m.end())
        name = m["name"]
        if role and not (m["obj"] == "import.meta.env" and name in VITE_BUILTINS):
            add(name, m.start(), role=role)
    for m in [*index.finditer(code), *_DENO.finditer(code)]:
        role = role_at(m.start(), m.end())
        if role is None:
            continue
        start, end = m.span("expr")
        quoted = _QUOTED.match(code[start:end])
        name = literal_name(text, start + 1, end - 1) if quoted else None
        if name and m.groupdict().get("obj") == "import.meta.env" and name in VITE_BUILTINS:
            continue
        add(name, m.start(), expr="" if name else text[start:end], role=role)
        if name is None:
            dynamic.append(Dynamic(m.start(), text[start:end]))
    for d in destructure.finditer(code):
        for a, b in top_level_parts(code, d.start("body"), d.end("body")):
            item = code[a:b].lstrip()
            offset = a + (len(code[a:b]) - len(item))
            if item.startswith("..."):
                continue  # the rest of the environment: no name to audit
            key = re.match(rf"(?:(['\"])({HIDDEN}*)\1|({NAME}))", item)
            if key is None:
                continue
            if key.group(3):
                name = key.group(3)
            else:
                name = literal_name(text, offset + 1, offset + 1 + len(key.group(2)))
            if name and not (d["obj"] == "import.meta.env" and name in VITE_BUILTINS):
                add(name, offset)
    _library_reads(code, text, add)
    if nest:
        _nest_reads(code, text, add)
    calls, explained = wrapper_reads(code, text, _DEFINITIONS, dynamic)
    if explained:
        explained_lines = {lines.line(o) for o in explained}
        reads = [r for r in reads if r.name is not None or r.line not in explained_lines]
    for name, offset, expr in calls:
        add(name, offset, expr=expr)
    return sorted(set(reads), key=lambda r: (r.line, r.name or "", r.kind))


def _spec_object(code: str, start: int, end: int) -> int | None:
    """The offset of the ``{`` of an argument that is an object literal or the name of a
    ``const`` of the file bound to one."""
    piece = code[start:end].strip()
    if piece.startswith("{"):
        return start + code[start:end].index("{")
    if re.fullmatch(r"[A-Za-z_$][\w$]*", piece):
        m = re.search(rf"\b(?:const|let|var)\s+{re.escape(piece)}\s*(?::[^=;]*)?=\s*\{{", code)
        if m:
            return m.end() - 1
    return None


def _library_reads(code: str, text: str, add: _Add) -> None:
    """envalid/znv specs, @t3-oss/env ``createEnv`` and zod schemas parsed from the env."""
    for m in _CLEAN_ENV.finditer(code):
        paren = m.end() - 1
        args = top_level_parts(code, paren + 1, closing(code, paren))
        if len(args) >= 2 and (brace := _spec_object(code, *args[1])) is not None:
            for name, offset, _ in object_keys(code, text, brace):
                add(name, offset, "envalid")
    for m in _CREATE_ENV.finditer(code):
        for group, _, value in object_keys(code, text, m.end() - 1):
            if group not in ("server", "client", "shared"):
                continue
            brace = _spec_object(code, *value)
            if brace is None:
                continue
            for name, offset, _ in object_keys(code, text, brace):
                add(name, offset, "t3-env")
    for m in _ZOD_OBJECT.finditer(code):
        paren = code.index("(", m.start())
        end = closing(code, paren)
        tail = _PARSE_TAIL.match(code, end + 1)
        bound = re.search(r"(?:const|let|var)\s+([\w$]+)\s*(?::[^=;]*)?=\s*$", code[: m.start()])
        parsed = False
        if tail:
            parsed = _parses_env(code, tail.end() - 1)
        elif bound:
            name = re.escape(bound.group(1))
            for use in re.finditer(rf"(?<![\w$.]){name}{_PARSE_TAIL.pattern}", code):
                parsed = parsed or _parses_env(code, use.end() - 1)
        if parsed:
            for name, offset, _ in object_keys(code, text, m.end() - 1):
                add(name, offset, "zod")


def _parses_env(code: str, paren: int) -> bool:
    arg = code[paren + 1 : closing(code, paren)].strip()
    return arg in ("process.env", "import.meta.env", "env")


def _nest_reads(code: str, text: str, add: _Add) -> None:
    """NestJS ``ConfigService`` lookups with an upper-case literal key."""
    receivers = {"configService", *(m["recv"] for m in _NEST_TYPED.finditer(code))}
    names = "|".join(re.escape(r) for r in sorted(receivers))
    call = re.compile(
        rf"(?<![\w$])(?:this\s*\.\s*)?(?:{names})\s*\.\s*(?:get|getOrThrow)\s*(?:<[^<>()]*>)?\s*\("
    )
    for m in call.finditer(code):
        paren = m.end() - 1
        args = top_level_parts(code, paren + 1, closing(code, paren))
        if args:
            name = string_at(code, text, *args[0])
            if name and _UPPER.match(name):
                add(name, m.start(), "nestjs-config")


_SCRIPT = re.compile(
    r"(<script\b[^>]*>)(?P<code>.*?)(?:</script\s*>|\Z)", re.DOTALL | re.IGNORECASE
)
_FRONTMATTER = re.compile(r"\A---[ \t]*\n(?P<code>.*?)\n---[ \t]*$", re.DOTALL | re.MULTILINE)


def find_component_reads(path: str, text: str) -> list[EnvRead]:
    """Reads in the ``<script>`` blocks of Vue, Svelte and Astro components (and Astro's
    ``---`` frontmatter); markup is left out (text there is prose, not code)."""
    if "ConfigService" not in text and not any(word in text for word in _TRIGGERS):
        return []  # the common case: no read can be in it
    spans = [m.span("code") for m in _SCRIPT.finditer(text)]
    if (front := _FRONTMATTER.match(text)) is not None:
        spans.append(front.span("code"))
    if not spans:
        return []
    parts, at = [], 0
    for a, b in sorted(spans):  # markup blanked (newlines kept, so line numbers hold)
        if a < at:
            continue
        parts += [_blank(text[at:a]), text[a:b]]
        at = b
    parts.append(_blank(text[at:]))
    return find_js_reads(path, "".join(parts))


def _blank(markup: str) -> str:
    """``markup`` as spaces, its newlines kept."""
    return "\n".join(" " * len(line) for line in markup.split("\n"))
