"""What every rule of the hygiene engine shares: the candidate a rule yields, the text's lines,
and the value tests (reference, placeholder, prose, strength) that decide what is not a secret."""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePosixPath

from hygiene.scan.hits import Category


@dataclass(frozen=True)
class Candidate:
    """A value a rule thinks is a secret, before hygiene's value filters."""

    rule: str
    type: str
    line: int
    value: str
    category: Category
    key_id: str | None = None
    #: value filters this rule's format makes wrong (a legacy npm token *is* a UUID)
    skip_filters: tuple[str, ...] = ()


class Text:
    """A text and where its lines start (1-based line numbers from offsets)."""

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.name = PurePosixPath(path).name
        self.lower_name = self.name.lower()
        self.suffix = PurePosixPath(path).suffix.lower()
        self._starts: list[int] | None = None
        self._lines: list[str] | None = None

    @property
    def lines(self) -> list[str]:
        """The text split on newlines (computed once)."""
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def line_of(self, offset: int) -> int:
        """The 1-based line holding character ``offset``."""
        if self._starts is None:
            starts = [0]
            find = self.text.find
            index = find("\n")
            while index != -1:
                starts.append(index + 1)
                index = find("\n", index + 1)
            self._starts = starts
        return bisect_right(self._starts, offset)

    def line_text(self, number: int) -> str:
        """The text of 1-based line ``number``."""
        return self.lines[number - 1]


#: Files whose assignments are program code: an unquoted right-hand side is an expression.
CODE_SUFFIXES = frozenset(
    [
        ".py",
        ".pyi",
        ".js",
        ".jsx",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".vue",
        ".svelte",
        ".rb",
        ".go",
        ".java",
        ".kt",
        ".kts",
        ".scala",
        ".groovy",
        ".cs",
        ".php",
        ".swift",
        ".rs",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".hpp",
        ".m",
        ".dart",
        ".lua",
        ".pl",
        ".pm",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
        ".r",
        ".jl",
        ".gradle",
        ".coffee",
    ]
)
#: Localisation catalogues: their values are UI text, whatever the keys say.
_LOCALE_PATH = re.compile(
    r"(?:^|/)(?:locales?|i18n|l10n|lang|langs|languages|translations?|messages)/"
    r"|\.(?:po|pot|xlf|xliff|resx|strings|arb)$"
    r"|(?:^|/)(?:messages|strings|translations?)[._-][\w.-]*\.(?:json|ya?ml|properties)$"
    r"|(?:^|/)(?:[a-z]+\.)?(?:en|de|fr|es|it|pt|nl|ru|ja|zh|ko|pl|tr|sv|da|fi|nb|no|cs|uk|ar|he"
    r"|hu|ro|el|bg|id|vi|th|fa|hi)(?:[-_][A-Za-z]{2,4})?\.(?:json|ya?ml|properties)$",
    re.IGNORECASE,
)


def is_code(text: Text) -> bool:
    """True for program source, where only string literals are values."""
    return text.suffix in CODE_SUFFIXES


def is_locale(path: str) -> bool:
    """True for translation catalogues (``locales/de.json``, ``messages.xlf``)."""
    return bool(_LOCALE_PATH.search(path))


# --------------------------------------------------------------------------- value tests

_REFERENCE = re.compile(
    r"""\$\{[^}]*\}|\$\(|\#\{|\{\{|\}\}|\{%|<%|%\([\w.-]+\)[sd]|\$[A-Za-z_][A-Za-z0-9_]*$
      |^\$[A-Za-z_]|^%[A-Za-z_][\w]*%$|^@[A-Za-z_][\w.]*@$|^!(?:vault|env|ENV|secret|ref|Ref|Sub|GetAtt)\b
      |^ENC\[|^vault:|^(?:arn|projects)/|^(?:ref|secretref|keyvault)\+?:
      |^(?:os\.environ|os\.getenv|process\.env|import\.meta\.env|ENV\[|ENV\.fetch|getenv\(|env\(
      |System\.getenv|Environment\.GetEnvironmentVariable|settings\.|config\.|Rails\.application)""",
    re.VERBOSE,
)
#: Values that name no secret: booleans, types, modes, the dev defaults every tutorial uses.
DUMMIES = frozenset(
    [
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "none",
        "null",
        "nil",
        "undefined",
        "nan",
        "required",
        "optional",
        "include",
        "omit",
        "same-origin",
        "string",
        "str",
        "text",
        "bool",
        "boolean",
        "int",
        "integer",
        "number",
        "object",
        "array",
        "any",
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "secrets",
        "token",
        "tokens",
        "hidden",
        "masked",
        "redacted",
        "env",
        "prompt",
        "empty",
        "default",
        "basic",
        "bearer",
        "digest",
        "oauth",
        "oauth2",
        "jwt",
        "session",
        "cookie",
        "header",
        "md5",
        "sha1",
        "sha256",
        "sha512",
        "plain",
        "plaintext",
        "scram-sha-256",
        "trust",
        "peer",
        "ident",
        "login",
        "auth",
        "username",
        "user",
        "users",
        "admin",
        "administrator",
        "root",
        "guest",
        "test",
        "tests",
        "testing",
        "demo",
        "example",
        "sample",
        "dev",
        "development",
        "local",
        "localhost",
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "redis",
        "mongo",
        "mongodb",
        "rabbitmq",
        "sa",
        "changeit",
        "secret123",
        "password123",
        "pass123",
        "test123",
        "12345",
        "123456",
        "1234",
        "foo",
        "bar",
        "baz",
        "foobar",
        "qwerty",
        "letmein",
        "abc123",
        "value",
        "key",
        "mykey",
        "mysecret",
        "mypassword",
        "yourpassword",
        "secretkey",
        "apikey",
        "api_key",
        "insecure",
        "unsafe",
        "dummy",
        "fake",
        "mock",
        "stub",
        "xxx",
        "hunter2",
        "s3cr3t",
        "p@ssw0rd",
        "passw0rd",
    ]
)
_NATURAL_WORD = re.compile(r"^[A-Za-z][a-z'’]*[.,!?:;)]?$|^\(?[a-z]+$|^[A-Z]{2,5}[.,:!?]?$")
_PATHLIKE = re.compile(
    r"^(?:~?/|\./|\.\./|[A-Za-z]:\\|file:)[\w./\\~ -]*$"
    r"|^[\w.-]+\.(?:pem|key|crt|cer|der|p12|pfx|jks|json|ya?ml|txt|conf|cfg|ini|env|gpg|asc|pub|enc|keystore|properties|xml)$",
    re.IGNORECASE,
)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")
_IDENTIFIER = re.compile(r"^[A-Za-z]+(?:[_.\-:/][A-Za-z]+)*$")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?[smhdkKMGb%]?$")
_VERSION = re.compile(r"^v?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$")
#: a value that says what it is (``SecurePass123!``, ``valid-token-123``) is a sample
_SAMPLE_WORD = re.compile(
    r"pass|secret|token|example|sample|changeit|test|dummy|fake", re.IGNORECASE
)
_UUID_PART = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
_WORDS_AND_NUMBERS = re.compile(r"^[a-z]{3,}(?:[-_.]+(?:[a-z]{3,}|\d{1,6}))*[-_.]*$")
_REPEAT = re.compile(r"^(.)\1*$|^(..)\2+$")


def is_reference(value: str) -> bool:
    """``${VAR}``, ``%(x)s``, ``{{ x }}``, ``os.environ[...]``: where the secret lives."""
    return bool(_REFERENCE.search(value))


def is_prose(value: str) -> bool:
    """Natural-language text: two or more words, nearly all of them plain words."""
    words = value.split()
    if len(words) < 2:
        return False
    plain = sum(1 for w in words if _NATURAL_WORD.match(w))
    return plain >= max(2, math.ceil(0.75 * len(words)))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _classes(value: str) -> int:
    return sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )


def not_a_value(value: str, key: str = "") -> bool:
    """True for what no rule reports: empty, dummies, references, prose, paths, URLs, numbers."""
    stripped = value.strip()
    low = stripped.lower()
    if len(stripped) < 4 or low in DUMMIES or _REPEAT.match(stripped):
        return True
    if _SAMPLE_WORD.search(stripped):
        return True
    if key and (low == key.lower() or low.replace(" ", "_") == key.lower()):
        return True
    if is_reference(stripped) or is_prose(stripped):
        return True
    if _PATHLIKE.match(stripped) or _URL.match(stripped) or _EMAIL.match(stripped):
        return True
    if _NUMBER.match(stripped) and len(stripped) < 6:
        return True
    return bool(_VERSION.match(stripped)) or low.startswith(
        ("fixme", "todo", "tbd", "your", "my-", "my_", "<")
    )


def password_like(value: str) -> bool:
    """A value that may be a password: passes :func:`not_a_value` and is not a bare identifier."""
    if not_a_value(value):
        return False
    return not (value.isalpha() and value.islower() and len(value) <= 12)  # a dev default: netbox


def strong(value: str) -> bool:
    """High entropy or long enough to be a key of no known format (the generic rule's bar)."""
    if not_a_value(value) or " " in value.strip():
        return False
    if _IDENTIFIER.match(value) and not any(c.isdigit() for c in value):
        return False  # a name: my_api_token, Bearer, some.setting
    if _WORDS_AND_NUMBERS.match(_UUID_PART.sub("", value)):
        return False  # words, numbers and ids: access-sandbox-<uuid>, encrypted_token_1
    n = len(value)
    if n >= 32:
        return entropy(value) >= 3.0
    if n >= 16:
        return entropy(value) >= 3.3 and _classes(value) >= 2
    return n >= 10 and entropy(value) >= 3.0 and _classes(value) >= 3
