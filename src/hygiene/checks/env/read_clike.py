"""Variable reads in Go, JVM languages, Rust, Ruby, PHP, .NET and Elixir: regexes over
comment- and string-masked text, the name read back from the string literal's original content.

Go ``os.Getenv("X")`` / ``os.LookupEnv("X")`` (and the libraries of ``read_go``); Java/Kotlin
``System.getenv("X")``, ``System.getenv().get("X")`` and Spring ``@Value("${X:default}")``
(kind ``spring``; upper-case keys only, a dotted key is a Spring property); Rust
``env::var("X")`` / ``env::var_os`` / ``env!("X")`` / ``option_env!("X")`` / ``dotenvy::var``
and clap's ``#[arg(env = "X")]``; Ruby ``ENV["X"]``, ``ENV.fetch("X")`` (with a default or a
block), ``ENV.key?("X")``, dotenv's ``Dotenv.require_keys("X")`` and Figaro's
``Figaro.env.x`` (the variable ``X``, kind ``figaro``); PHP ``getenv("X")``, ``$_ENV["X"]``,
``$_SERVER["X"]`` (the web server's own ``HTTP_*``, ``REQUEST_*`` … are not variables) and
Laravel's ``env("X", default)`` (kind ``laravel``); C#/F#/VB
``Environment.GetEnvironmentVariable("X")``; Elixir ``System.get_env("X")``,
``System.fetch_env!("X")``.

A non-literal argument is a dynamic read, unless it names a string constant of the file
(``const envPort = "PORT"``; ``os.Getenv(envPort)``) or a parameter of a helper the file calls
with literal names (see ``read_wrappers``). ``System.getenv()`` with no argument (the whole
map) is not a read of a name. Writes are not reads: ``ENV["X"] = v`` and ``$_ENV["X"] = v`` are
left out; ``ENV["X"] ||= v`` gives a default (role ``default``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from hygiene.checks.env.lexing import (
    CSHARP,
    ELIXIR,
    FSHARP,
    GO,
    HIDDEN,
    JAVA,
    PHP,
    RUBY,
    RUST,
    VISUAL_BASIC,
    LineIndex,
    Syntax,
    closing,
    literal_name,
    mask,
    string_at,
    top_level_parts,
)
from hygiene.checks.env.read_go import go_library_reads
from hygiene.checks.env.read_wrappers import Dynamic, wrapper_reads
from hygiene.checks.env.records import EnvRead

_ARG = r"\s*(?P<expr>[^,()\]]*?)\s*"
_QUOTED = re.compile(rf"^(?:r#?|@)?(['\"])({HIDDEN}*)\1#?$")
_AFTER = re.compile(r"[ \t]*(?P<op>\|\|=|\?\?=|=(?![=~>]))")
_CONSTANT = re.compile(
    rf"(?<![\w$.])(?P<ident>[A-Za-z_]\w*)\s*(?::\s*&\s*(?:'static\s+)?str\s*)?=\s*"
    rf"(?P<q>[\"'])(?P<v>{HIDDEN}*)(?P=q)\s*(?=;|$|\))",
    re.MULTILINE,
)
_QUALIFIED = re.compile(r"^\s*(?:[A-Za-z_]\w*\s*(?:\.|::|->)\s*)*\$?(?P<ident>[A-Za-z_]\w*)\s*$")
_UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")
_CGI = re.compile(
    r"^(?:HTTP_\w*|REQUEST_\w*|REMOTE_\w*|SERVER_\w*|SCRIPT_\w*|PHP_\w*|DOCUMENT_ROOT|"
    r"QUERY_STRING|PATH_INFO|PATH_TRANSLATED|ORIG_PATH_INFO|CONTENT_TYPE|CONTENT_LENGTH|HTTPS|"
    r"GATEWAY_INTERFACE|AUTH_TYPE|argv|argc|UNIQUE_ID|REDIRECT_\w*|CONTEXT_\w*)$"
)
_PLACEHOLDER = re.compile(r"\\?\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}")
_SPRING_VALUE = re.compile(r"@Value\s*\(\s*(?:value\s*=\s*)?\"(?P<s>(?:\\.|[^\"\\\n])*)\"")


@dataclass(frozen=True)
class Form:
    """One read form: a regex with group ``expr`` (the name argument) or ``name`` (a bare
    name), the kind of its reads, and whether an assignment after it is a write."""

    pattern: re.Pattern[str]
    kind: str
    writable: bool = False
    upper: bool = False  # the bare name is the variable's name upper-cased (Figaro)
    skip: re.Pattern[str] | None = None  # names that are not variables ($_SERVER's own)


@dataclass(frozen=True)
class Language:
    """How to find reads in one language."""

    syntax: Syntax
    triggers: tuple[str, ...]
    forms: tuple[Form, ...]
    definitions: tuple[re.Pattern[str], ...] = ()
    typed_last: bool = False  # parameters are ``Type name`` (Java, C#), not ``name Type``


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


_JVM_DEFS = (
    _re(r"(?P<name>[A-Za-z_]\w*)\s*\((?P<params>[^()]*)\)\s*(?:throws\s[^{;]*)?\{"),
    _re(r"\bfun\s+(?:<[^>]*>\s*)?(?:\w+\.)?(?P<name>\w+)\s*\((?P<params>[^()]*)\)"),
)
LANGUAGES: dict[str, Language] = {
    "go": Language(
        GO,
        ("Getenv", "LookupEnv", "env", "Env"),
        (Form(_re(rf"(?<![\w.])(?:os|syscall)\.(?:Getenv|LookupEnv)\s*\({_ARG}[,)]"), "go"),),
        (
            _re(
                r"\bfunc\s+(?:\([^()]*\)\s*)?(?P<name>\w+)\s*(?:\[[^\]]*\]\s*)?\((?P<params>[^()]*)\)"
            ),
        ),
    ),
    "java": Language(
        JAVA,
        ("getenv", "@Value"),
        (
            Form(_re(rf"(?<![\w.])(?:java\.lang\.)?System\.getenv\s*\((?!\s*\)){_ARG}\)"), "java"),
            Form(
                _re(
                    r"(?<![\w.])(?:java\.lang\.)?System\.getenv\s*\(\s*\)\s*\.\s*"
                    rf"(?:get|getOrDefault|containsKey)\s*\({_ARG}[,)]"
                ),
                "java",
            ),
        ),
        _JVM_DEFS,
        typed_last=True,
    ),
    "rust": Language(
        RUST,
        ("env",),
        (
            Form(_re(rf"(?<![\w])(?:(?:std::)?env|dotenvy?)::(?:var|var_os)\s*\({_ARG}\)"), "rust"),
            Form(_re(rf"(?<![\w])(?:option_)?env!\s*\({_ARG}[,)]"), "rust"),
            Form(
                _re(rf"#\[\s*(?:arg|clap)\s*\([^\]]*?\benv\s*=\s*(?P<expr>\"{HIDDEN}*\")"),
                "rust",
            ),
        ),
        (_re(r"\bfn\s+(?P<name>\w+)\s*(?:<[^>]*>)?\s*\((?P<params>[^()]*)\)"),),
    ),
    "ruby": Language(
        RUBY,
        ("ENV", "Figaro", "Dotenv"),
        (
            Form(_re(rf"(?<![\w:.])(?:::)?ENV\s*\[{_ARG}\]"), "ruby", writable=True),
            Form(
                _re(
                    rf"(?<![\w:.])(?:::)?ENV\.(?:fetch|key\?|has_key\?|include\?|member\?)\s*\(?{_ARG}[,)\n{{]"
                ),
                "ruby",
            ),
            Form(
                _re(r"(?<![\w:.])(?:::)?Figaro\.env\.(?P<name>[a-z_]\w*)[!?]?"),
                "figaro",
                upper=True,
            ),
        ),
        (_re(r"\bdef\s+(?:self\.)?(?P<name>\w+[?!]?)\s*\(?(?P<params>[^)\n=]*)"),),
    ),
    "php": Language(
        PHP,
        ("getenv", "$_ENV", "$_SERVER", "env"),
        (
            Form(_re(rf"(?<![\w$>:\\])\\?getenv\s*\({_ARG}[,)]"), "php"),
            Form(_re(rf"\$_ENV\s*\[{_ARG}\]"), "php", writable=True),
            Form(_re(rf"\$_SERVER\s*\[{_ARG}\]"), "php", writable=True, skip=_CGI),
            Form(_re(rf"(?<![\w$>:\\])\\?env\s*\({_ARG}[,)]"), "laravel"),
        ),
        (_re(r"\bfunction\s+(?P<name>\w+)\s*\((?P<params>[^()]*)\)"),),
        typed_last=True,
    ),
    "dotnet": Language(
        CSHARP,
        ("GetEnvironmentVariable",),
        (
            Form(
                _re(rf"(?<![\w])(?:System\.)?Environment\.GetEnvironmentVariable\s*\({_ARG}[,)]"),
                "dotnet",
            ),
        ),
        _JVM_DEFS[:1],
        typed_last=True,
    ),
    "elixir": Language(
        ELIXIR,
        ("System.",),
        (
            Form(
                _re(
                    rf"(?<![\w.])System\.(?:get_env|fetch_env!?)(?:\s*\(|[ \t]+)(?!\s*\)){_ARG}[,)\n]"
                ),
                "elixir",
            ),
        ),
        (_re(r"\bdefp?\s+(?P<name>\w+[?!]?)\s*\((?P<params>[^()]*)\)"),),
    ),
}
LANGUAGES["fsharp"] = replace(LANGUAGES["dotnet"], syntax=FSHARP)
LANGUAGES["visual-basic"] = replace(LANGUAGES["dotnet"], syntax=VISUAL_BASIC)


def _constants(code: str, text: str) -> dict[str, str]:
    """String constants bound once in the file whose value can be a variable's name: names
    spelled as constants (``API_KEY_VAR``, ``EnvPort``) or naming an env key (``envPort``); a
    lower-case local (``name = "X"``) is not one."""
    values: dict[str, str | None] = {}
    for m in _CONSTANT.finditer(code):
        value = literal_name(text, m.start("v"), m.end("v"))
        ident = m["ident"]
        if not (ident[0].isupper() or "env" in ident.lower()):
            continue
        values[ident] = value if ident not in values and value else None
    return {k: v for k, v in values.items() if v}


def _finder(language: str) -> Callable[[str, str], list[EnvRead]]:
    spec = LANGUAGES[language]

    def find(path: str, text: str) -> list[EnvRead]:
        if not any(word in text for word in spec.triggers):
            return []
        code = mask(text, spec.syntax)
        lines = LineIndex(text)
        reads: list[EnvRead] = []
        dynamic: list[Dynamic] = []
        constants: dict[str, str] | None = None
        for form in spec.forms:
            for m in form.pattern.finditer(code):
                line = lines.line(m.start())
                if "name" in m.groupdict():
                    name = m["name"].upper() if form.upper else m["name"]
                    reads.append(EnvRead(name, path, line, form.kind))
                    continue
                role = "read"
                if form.writable and (after := _AFTER.match(code, m.end())):
                    if after["op"] == "=":
                        continue  # a write
                    role = "default"
                start, end = m.span("expr")
                if start == end:
                    continue
                quoted = _QUOTED.match(code[start:end])
                name = None
                expression = ""
                if quoted:
                    content_start = start + code[start:end].index(quoted.group(1)) + 1
                    name = literal_name(text, content_start, content_start + len(quoted.group(2)))
                else:
                    expression = text[start:end]
                    if constants is None:
                        constants = _constants(code, text)
                    ref = _QUALIFIED.match(expression)
                    name = constants.get(ref["ident"]) if ref else None
                    if name is None:
                        dynamic.append(Dynamic(m.start(), expression))
                    else:
                        expression = ""
                if name and form.skip is not None and form.skip.match(name):
                    continue
                reads.append(EnvRead(name, path, line, form.kind, expression, role))
        if language == "go":
            reads.extend(go_library_reads(path, text, code, lines))
        if language == "ruby":
            reads.extend(_dotenv_required(path, text, code, lines))
        if language == "java" and "@Value" in text:
            reads.extend(_spring_values(path, text, code, lines))
        if dynamic and spec.definitions:
            calls, explained = wrapper_reads(
                code, text, spec.definitions, dynamic, typed_last=spec.typed_last
            )
            gone = {lines.line(o) for o in explained}
            reads = [r for r in reads if r.name is not None or r.prefix or r.line not in gone]
            kind = spec.forms[0].kind
            for name, offset, expr in calls:
                reads.append(EnvRead(name, path, lines.line(offset), kind, expr))
        return sorted(set(reads), key=lambda r: (r.line, r.name or "", r.kind))

    find.__doc__ = f"Every environment read in {language} source text."
    return find


_REQUIRE_KEYS = re.compile(r"\bDotenv\.require_keys\s*\(")


def _dotenv_required(path: str, text: str, code: str, lines: LineIndex) -> list[EnvRead]:
    reads = []
    for m in _REQUIRE_KEYS.finditer(code):
        paren = m.end() - 1
        for a, b in top_level_parts(code, paren + 1, closing(code, paren)):
            name = string_at(code, text, a, b)
            if name:
                reads.append(EnvRead(name, path, lines.line(a), "ruby"))
    return reads


def _spring_values(path: str, text: str, code: str, lines: LineIndex) -> list[EnvRead]:
    """``@Value("${X}")`` / ``@Value("${X:default}")`` in Java and Kotlin (masked code finds
    the annotation, the original text holds the placeholder)."""
    reads = []
    for m in _SPRING_VALUE.finditer(text):
        if not code.startswith("@Value", m.start()):
            continue  # inside a comment or a string
        for p in _PLACEHOLDER.finditer(m["s"]):
            if _UPPER.match(p["name"]):
                reads.append(EnvRead(p["name"], path, lines.line(m.start()), "spring"))
    return reads


def find_spring_config_reads(path: str, text: str) -> list[EnvRead]:
    """``${X}`` / ``${X:default}`` placeholders in Spring ``application*.yml|properties`` (keys
    upper-case, as environment variables are; ``${server.port}`` is a Spring property)."""
    reads = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip()
        if stripped.startswith(("#", "!")):
            continue
        for m in _PLACEHOLDER.finditer(line):
            if _UPPER.match(m["name"]):
                reads.append(EnvRead(m["name"], path, number, "spring"))
    return reads


_ERB = re.compile(r"<%(?!%)[=\-]?(?P<code>.*?)(?:-?%>|\Z)", re.DOTALL)


def find_erb_reads(path: str, text: str) -> list[EnvRead]:
    """Ruby reads inside the ``<% … %>`` tags of an ERB template (``config/database.yml``,
    ``*.erb``): kind ``erb``."""
    if "<%" not in text:
        return []
    parts: list[str] = []
    at = 0
    for m in _ERB.finditer(text):
        parts.append(re.sub(r"[^\n]", " ", text[at : m.start("code")]))
        parts.append(m["code"])
        at = m.end("code")
    parts.append(re.sub(r"[^\n]", " ", text[at:]))
    ruby = "".join(parts)
    return [
        EnvRead(r.name, r.path, r.line, "erb", r.expression, r.role, r.prefix)
        for r in find_ruby_reads(path, ruby)
    ]


find_go_reads = _finder("go")
find_java_reads = _finder("java")
find_rust_reads = _finder("rust")
find_ruby_reads = _finder("ruby")
find_php_reads = _finder("php")
find_dotnet_reads = _finder("dotnet")
find_fsharp_reads = _finder("fsharp")
find_vb_reads = _finder("visual-basic")
find_elixir_reads = _finder("elixir")
