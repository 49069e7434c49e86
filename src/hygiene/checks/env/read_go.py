"""Go configuration libraries that name variables outside a call: struct tags and viper.

caarlos0/env ``env:"X"`` (with ``envPrefix:"DB_"`` on a field of a struct type of the file,
and ``env.Options{Prefix: "APP_"}``), kelseyhightower/envconfig ``envconfig:"X"`` (read as X
whatever the prefix: envconfig falls back to the bare tag) — both kind ``go-struct-tag``;
``default:"…"`` / ``envDefault:"…"`` are values, never names. Names no tag spells are
dynamic reads with a prefix: ``envconfig.Process("app", &c)`` (fields read as ``APP_FIELD``),
viper ``AutomaticEnv()`` (with ``SetEnvPrefix("APP")``), koanf ``env.Provider("APP_", …)``.
viper ``BindEnv("key", "X", "Y")`` reads X and Y; ``BindEnv("key")`` alone is dynamic.
A package-level string constant named like an environment key (``EnvServerPort =
"GOTIFY_SERVER_PORT"``, ``envPort``, ``PORT_ENV``) is a read of its value: such constants are
passed to a reading helper in another file, which a per-file finder cannot follow.
"""

from __future__ import annotations

import re

from hygiene.checks.env.lexing import HIDDEN, LineIndex, closing, string_at, top_level_parts
from hygiene.checks.env.records import EnvRead

_STRUCT = re.compile(r"\btype\s+(?P<name>[A-Za-z_]\w*)\s+struct\s*\{")
_FIELD = re.compile(
    rf"^[ \t]*(?P<field>[A-Za-z_]\w*)[ \t]+(?P<type>[^`\n{{}}]*?)[ \t]*`(?P<tag>{HIDDEN}*)`",
    re.MULTILINE,
)
_TAG = re.compile(r'(?P<key>\w+):"(?P<value>[^"]*)"')
_UPPER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ENV_IDENT = re.compile(r"^(?:env|Env|ENV)(?:[A-Z_]|$)|[a-z0-9_]Env(?:[A-Z_]|$)|_ENV(?:_|$)")
_CONST = re.compile(
    rf"^[ \t]*(?:const[ \t]+)?(?P<ident>[A-Za-z_]\w*)[ \t]*(?:string[ \t]*)?=[ \t]*\"(?P<v>{HIDDEN}*)\"[ \t]*(?://[^\n]*)?$",
    re.MULTILINE,
)
_OPTIONS_PREFIX = re.compile(rf"\benv\.Options\s*\{{[^{{}}]*\bPrefix\s*:\s*\"(?P<v>{HIDDEN}*)\"")
_PROCESS = re.compile(r"\benvconfig\.(?:Must)?Process\s*\(")
_AUTOMATIC = re.compile(r"\.AutomaticEnv\s*\(\s*\)")
_SET_PREFIX = re.compile(r"\.SetEnvPrefix\s*\(")
_BIND = re.compile(r"\.BindEnv\s*\(")
_KOANF = re.compile(r"(?<![\w.])env\.Provider(?:WithValue)?\s*\(")


def go_library_reads(path: str, text: str, code: str, lines: LineIndex) -> list[EnvRead]:
    """Struct-tag, viper and koanf reads of one Go file (``code`` is the masked text)."""
    reads: list[EnvRead] = []
    if "`" in text and ("env" in text):
        reads.extend(_tag_reads(path, text, code, lines))
    for m in _PROCESS.finditer(code):
        args = _args(code, m.end() - 1)
        prefix = string_at(code, text, *args[0]) if args else None
        expr = text[m.start() : closing(code, m.end() - 1) + 1]
        reads.append(
            EnvRead(None, path, lines.line(m.start()), "go-struct-tag", expr, prefix=_pfx(prefix))
        )
    automatic = list(_AUTOMATIC.finditer(code))
    if automatic:
        prefix = ""
        for m in _SET_PREFIX.finditer(code):
            args = _args(code, m.end() - 1)
            prefix = _pfx(string_at(code, text, *args[0]) if args else None)
        for m in automatic:
            reads.append(
                EnvRead(None, path, lines.line(m.start()), "viper", "AutomaticEnv()", prefix=prefix)
            )
    for m in _BIND.finditer(code):
        args = _args(code, m.end() - 1)
        names = [string_at(code, text, a, b) for a, b in args[1:]]
        line = lines.line(m.start())
        if len(args) == 1:
            reads.append(EnvRead(None, path, line, "viper", text[slice(*args[0])].strip()))
        for (a, b), name in zip(args[1:], names, strict=True):
            reads.append(EnvRead(name, path, line, "viper", "" if name else text[a:b].strip()))
    for m in _KOANF.finditer(code):
        args = _args(code, m.end() - 1)
        prefix = string_at(code, text, *args[0]) if args else None
        reads.append(
            EnvRead(None, path, lines.line(m.start()), "go", "env.Provider", prefix=prefix or "")
        )
    for m in _CONST.finditer(code):
        value = text[m.start("v") : m.end("v")]
        if _ENV_IDENT.search(m["ident"]) and _UPPER_NAME.match(value):
            reads.append(EnvRead(value, path, lines.line(m.start("ident")), "go"))
    return reads


def _pfx(prefix: str | None) -> str:
    return f"{prefix.upper()}_" if prefix else ""


def _args(code: str, paren: int) -> list[tuple[int, int]]:
    return top_level_parts(code, paren + 1, closing(code, paren))


def _tag_reads(path: str, text: str, code: str, lines: LineIndex) -> list[EnvRead]:
    structs: dict[str, list[tuple[str, int]]] = {}  # type → (tag name, offset) of env tags
    nested: list[tuple[str, str]] = []  # (field type, envPrefix)
    envconfig: list[tuple[str, int]] = []
    for s in _STRUCT.finditer(code):
        brace = s.end() - 1
        end = closing(code, brace)
        fields = structs.setdefault(s["name"], [])
        for f in _FIELD.finditer(code, brace + 1, end):
            tags = {t["key"]: t["value"] for t in _TAG.finditer(text, *f.span("tag"))}
            if "envPrefix" in tags:
                nested.append((f["type"].lstrip("*[]").split(".")[-1].strip(), tags["envPrefix"]))
            name = tags.get("env", "").split(",")[0].strip()
            if name and name != "-":
                fields.append((name, f.start("field")))
            explicit = tags.get("envconfig", "").split(",")[0].strip()
            if explicit and explicit != "-":
                envconfig.append((explicit.upper(), f.start("field")))
    options = _OPTIONS_PREFIX.search(code)
    global_prefix = text[options.start("v") : options.end("v")] if options else ""
    prefixed = {t: p for t, p in nested if t in structs}
    reads = []
    for struct, fields in structs.items():
        prefixes = [p for t, p in nested if t == struct] if struct in prefixed else [""]
        for prefix in prefixes:
            for name, offset in fields:
                full = global_prefix + prefix + name
                reads.append(EnvRead(full, path, lines.line(offset), "go-struct-tag"))
    reads.extend(EnvRead(n, path, lines.line(o), "go-struct-tag") for n, o in envconfig)
    return reads
