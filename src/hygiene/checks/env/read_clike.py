"""Variable reads in Go, Java/Kotlin, Rust and Ruby: regexes over comment- and string-masked
text, the name read back from the string literal's original content.

Go ``os.Getenv("X")`` / ``os.LookupEnv("X")``; Java ``System.getenv("X")``; Rust
``env::var("X")`` / ``env::var_os`` / ``env!("X")`` / ``option_env!("X")``; Ruby ``ENV["X"]``,
``ENV.fetch("X")``, ``ENV.key?("X")``. A non-literal argument is a dynamic read; Java's
``System.getenv()`` with no argument (the whole map) is not a read of a name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hygiene.checks.env.lexing import (
    GO,
    HIDDEN,
    JAVA,
    RUBY,
    RUST,
    LineIndex,
    Syntax,
    literal_name,
    mask,
)
from hygiene.checks.env.records import EnvRead

_ARG = r"\s*(?P<expr>[^,()\]]*?)\s*"
_QUOTED = re.compile(rf"^(?:r#?)?(['\"])({HIDDEN}*)\1#?$")

#: a file without any of these words cannot hold a read: it is not lexed at all.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "go": ("Getenv", "LookupEnv"),
    "java": ("getenv",),
    "rust": ("env",),
    "ruby": ("ENV",),
}

_LANGUAGES: dict[str, tuple[Syntax, tuple[re.Pattern[str], ...]]] = {
    "go": (GO, (re.compile(rf"(?<![\w.])(?:os|syscall)\.(?:Getenv|LookupEnv)\s*\({_ARG}[,)]"),)),
    "java": (
        JAVA,
        (re.compile(rf"(?<![\w.])(?:java\.lang\.)?System\.getenv\s*\((?!\s*\)){_ARG}\)"),),
    ),
    "rust": (
        RUST,
        (
            re.compile(rf"(?<![\w])(?:std::)?env::(?:var|var_os)\s*\({_ARG}\)"),
            re.compile(rf"(?<![\w])(?:option_)?env!\s*\({_ARG}[,)]"),
        ),
    ),
    "ruby": (
        RUBY,
        (
            re.compile(rf"(?<![\w:.])(?:::)?ENV\s*\[{_ARG}\]"),
            re.compile(
                rf"(?<![\w:.])(?:::)?ENV\.(?:fetch|key\?|has_key\?|include\?)\s*\(?{_ARG}[,)\n]"
            ),
        ),
    ),
}


def _finder(language: str) -> Callable[[str, str], list[EnvRead]]:
    syntax, patterns = _LANGUAGES[language]

    triggers = _TRIGGERS[language]

    def find(path: str, text: str) -> list[EnvRead]:
        if not any(word in text for word in triggers):
            return []
        code = mask(text, syntax)
        lines = LineIndex(text)
        reads = []
        for pattern in patterns:
            for m in pattern.finditer(code):
                start, end = m.span("expr")
                quoted = _QUOTED.match(code[start:end])
                name = None
                if quoted:
                    content_start = start + code[start:end].index(quoted.group(1)) + 1
                    name = literal_name(text, content_start, content_start + len(quoted.group(2)))
                reads.append(
                    EnvRead(
                        name, path, lines.line(m.start()), language, "" if name else text[start:end]
                    )
                )
        return sorted(reads, key=lambda r: (r.line, r.name or ""))

    find.__doc__ = f"Every environment read in {language} source text."
    return find


find_go_reads = _finder("go")
find_java_reads = _finder("java")
find_rust_reads = _finder("rust")
find_ruby_reads = _finder("ruby")
