"""Key–value secrets in any text format: ``KEY=value`` (INI, TOML, dotenv, shell ``export``,
properties), ``key: value`` (YAML, JSON with or without spaces before the colon), ``key => value``
(PHP, Ruby), ``define('KEY', 'value')`` and ``f("KEY", "value")``, XML elements and attributes,
``<add key="…" value="…"/>``, ``--password=…`` flags, framework keys (Django ``SECRET_KEY``,
Rails ``secret_key_base``, Laravel ``APP_KEY``, WordPress salts), and credentials passed as
literal arguments (``login(user, "…")``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from hygiene.scan.formats._common import (
    Candidate,
    Text,
    is_code,
    is_locale,
    not_a_value,
    password_like,
    strong,
)
from hygiene.scan.hits import Category

#: What the prefilter looks for to send a line here.
MARKERS = (
    r"pass|pwd|secret|token|credential|creds|auth|salt|nonce_key|logged_in_key"
    r"|(?:api|access|private|signing|encryption|master|app|client|account|storage|shared|service"
    r"|webhook|consumer|hmac|jwt|session|license|subscription|sas|aes|crypt)[_.\-]?key"
)
ARG_MARKERS = (
    r"log_?in\s*\(|sign_?in\s*\(|authenticate\s*\(|basic_?auth\s*\(|\.connect\s*\("
    r"|[\"']ac[0-9a-f]{32}[\"']\s*,"
)

PASSWORD_PARTS = frozenset(
    [
        "password",
        "passwd",
        "passwort",
        "pwd",
        "pass",
        "passphrase",
        "passcode",
        "pword",
        "pw",
        "kennwort",
        "contrasena",
    ]
)
GENERIC_PARTS = frozenset(
    [
        "secret",
        "secrets",
        "token",
        "tokens",
        "credential",
        "credentials",
        "creds",
        "auth",
        "authorization",
        "apikey",
        "apitoken",
        "accesstoken",
        "authtoken",
        "refreshtoken",
        "secretkey",
        "accesskey",
        "privatekey",
        "clientsecret",
        "salt",
    ]
)
KEY_QUALIFIERS = frozenset(
    [
        "api",
        "access",
        "private",
        "signing",
        "encryption",
        "encrypt",
        "master",
        "app",
        "auth",
        "client",
        "account",
        "storage",
        "shared",
        "service",
        "webhook",
        "consumer",
        "hmac",
        "jwt",
        "session",
        "license",
        "subscription",
        "sas",
        "aes",
        "crypt",
        "crypto",
        "cipher",
        "secret",
    ]
)
_SUFFIXES = ("password", "passwd", "passphrase", "secret", "token", "apikey", "secretkey")
#: Parts of a key that make it name something about a secret, not the secret itself.
EXCLUDED_PARTS = frozenset(
    [
        "length",
        "len",
        "min",
        "max",
        "minlength",
        "maxlength",
        "policy",
        "policies",
        "field",
        "fields",
        "label",
        "labels",
        "placeholder",
        "hint",
        "message",
        "messages",
        "msg",
        "prompt",
        "title",
        "description",
        "desc",
        "help",
        "error",
        "errors",
        "url",
        "uri",
        "urls",
        "endpoint",
        "endpoints",
        "path",
        "paths",
        "file",
        "files",
        "filename",
        "dir",
        "directory",
        "type",
        "types",
        "kind",
        "name",
        "names",
        "expiry",
        "expires",
        "expiration",
        "expire",
        "ttl",
        "timeout",
        "lifetime",
        "age",
        "header",
        "headers",
        "param",
        "params",
        "regex",
        "pattern",
        "reset",
        "forgot",
        "confirm",
        "confirmation",
        "confirmed",
        "validator",
        "validators",
        "validation",
        "required",
        "enabled",
        "enable",
        "disabled",
        "disable",
        "hash",
        "hashed",
        "hasher",
        "hashers",
        "digest",
        "strength",
        "complexity",
        "rules",
        "rule",
        "chars",
        "count",
        "size",
        "mode",
        "method",
        "methods",
        "backend",
        "backends",
        "provider",
        "providers",
        "class",
        "format",
        "version",
        "store",
        "manager",
        "handler",
        "cache",
        "prefix",
        "suffix",
        "scope",
        "scopes",
        "flow",
        "grant",
        "ref",
        "reference",
        "source",
        "changed",
        "updated",
        "created",
        "date",
        "time",
        "last",
        "history",
        "visible",
        "show",
        "toggle",
        "input",
        "form",
        "view",
        "page",
        "route",
        "template",
        "usage",
        "limit",
        "attempts",
        "retry",
        "retries",
        "rotation",
        "generator",
        "generate",
        "through",
        "thru",
        "filenames",
        "fail",
        "rate",
        "filter",
        "by",
        "env",
        "var",
        "variable",
        "tmp",
        "mount",
        "location",
        "locations",
        "arn",
        "id_token_hint",
        "audience",
        "issuer",
        "algorithm",
        "alg",
    ]
)
WORDPRESS = frozenset(
    [
        "AUTH_KEY",
        "SECURE_AUTH_KEY",
        "LOGGED_IN_KEY",
        "NONCE_KEY",
        "AUTH_SALT",
        "SECURE_AUTH_SALT",
        "LOGGED_IN_SALT",
        "NONCE_SALT",
    ]
)

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

_QUOTED = r"""(?:[rRbBuU]{0,2}(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`\n]*`))"""
_PAIR = re.compile(
    r"""<(?P<xk>[\w:.-]+)(?:\s[^<>\n]*)?>(?P<xv>[^<>\n]*)</(?P=xk)>
      | \bkey\s*=\s*["'](?P<ak>[^"'\n]+)["']\s+value\s*=\s*(?P<av>"[^"\n]*"|'[^'\n]*')
      | \(\s*(?P<cq>["'])(?P<ck>[\w.\-]+)(?P=cq)\s*,\s*(?P<cv>"""
    + _QUOTED
    + r""")
      | (?P<k>(?:--?)?[A-Za-z_$@][\w.\-$@]*|"[^"\n]+"|'[^'\n]+')
        \s*(?P<op>:=|=>|(?<![=!<>])=(?![=~>])|:(?![:/\\])(?:\s*[A-Za-z_][\w\[\]., |]*\s*=(?!=))?)
        [ \t]*""",
    re.VERBOSE,
)
_ARGS = re.compile(
    r"(?P<fn>log_?in|sign_?in|authenticate|basic_?auth|HTTPBasicAuth|\.connect)\s*\(\s*(?P<args>[^()\n]*)\)",
    re.IGNORECASE,
)
_ARG = re.compile(
    r"""\s*(?:(?P<kw>\w+)\s*=\s*)?(?P<v>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^,]+)\s*(?:,|$)"""
)
_SCHEME = re.compile(r"^(?:Bearer|Basic|Token|token|Digest|Bot|ApiKey)\s+(?=\S+$)")
_SCHEME_TOKEN = re.compile(
    r"(?:Bearer|Basic|Token|token|Bot)\s+(?P<v>[A-Za-z0-9+/=_.~-]{8,})(?=[\"'`\s]|$)"
)
_CONNECTION_FIELD = re.compile(r";\s*\w+=.*$")  # AccountKey=…;EndpointSuffix=…
_CONTINUATION = re.compile(r"\s+\\$")
_DOC_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?[A-Za-z_][\w.-]*\s*[=:]\s*\S+\s*$")
_DOCS = frozenset({".md", ".markdown", ".mdx", ".rst", ".adoc", ".txt", ".html", ".htm"})
_AWS_KEY_ID = re.compile(r"^(?:AKIA|ASIA|AIDA|AROA)[A-Z2-7]{16}$")
_INLINE_COMMENT = re.compile(r"\s+(?:#|;|//).*$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def parts(key: str) -> list[str]:
    """``dbPassword`` → ``[db, password]``; ``SMTP_PASS`` → ``[smtp, pass]``."""
    out: list[str] = []
    for chunk in _SPLIT.split(key):
        out += [p.lower() for p in _CAMEL.findall(chunk)] or ([chunk.lower()] if chunk else [])
    return out


def key_kind(key: str) -> str | None:
    """``password`` or ``generic`` when ``key`` names a secret, else None."""
    words = parts(key)
    if not words or EXCLUDED_PARTS.intersection(words):
        return None
    joined = "".join(words)
    if any(w in PASSWORD_PARTS for w in words) or joined.endswith(
        ("password", "passwd", "passphrase")
    ):
        return "password"
    if any(w in GENERIC_PARTS for w in words) or joined.endswith(_SUFFIXES):
        return "generic"
    for before, after in itertools.pairwise(words):
        if after == "key" and before in KEY_QUALIFIERS:
            return "generic"
    return None


def _unquote(raw: str) -> tuple[str, bool, str]:
    """(value, was quoted, string prefix) of a literal or bare value."""
    prefix = ""
    while raw and raw[0] in "rRbBuUfF" and len(raw) > 1 and raw[1] in "\"'`rRbBuUfF":
        prefix, raw = prefix + raw[0], raw[1:]
    if len(raw) >= 2 and raw[0] in "\"'`" and raw[-1] == raw[0]:
        body = raw[1:-1]
        if "\\" in body and raw[0] != "`":
            body = re.sub(r"\\(.)", r"\1", body)
        return body, True, prefix.lower()
    return raw, False, prefix.lower()


def _read_value(line: str, start: int) -> tuple[str, bool, str] | None:
    """The value that begins at ``line[start:]``: a string literal, or a bare word to the end
    (an inline comment is not part of it)."""
    rest = line[start:]
    if not rest:
        return None
    match = re.match(_QUOTED, rest)
    if match:
        if rest.startswith(('"""', "'''")):
            return None
        return _unquote(match.group())
    if rest[0] in "\"'`":
        return None  # an unterminated or multi-line string
    scheme = _SCHEME_TOKEN.match(rest)
    if scheme:
        return scheme.group("v"), True, ""
    bare = _CONNECTION_FIELD.sub("", _INLINE_COMMENT.sub("", rest)).strip()
    bare = _CONTINUATION.sub("", bare).rstrip(",;")
    if not bare or bare[0] in "|>{[(&*!" or bare[-1] in "([{)]}\"'`" or " " in bare:
        return None  # nested data, an expression, or words
    return bare, False, ""


def _framework(key: str, text: Text) -> tuple[str, str, Category] | None:
    """(rule, type, category) for a framework's signing key."""
    bare = key.strip("\"'$@")
    if bare == "SECRET_KEY" and text.suffix == ".py":
        return "django-secret-key", "Django Secret Key", "password"
    if bare.endswith("secret_key_base"):
        return "rails-secret-key-base", "Rails secret_key_base", "password"
    if bare == "APP_KEY":
        return "laravel-app-key", "Laravel APP_KEY", "password"
    if bare in WORDPRESS:
        return "wordpress-salt", "WordPress Salt", "password"
    return None


def _judge(
    key: str, value: str, quoted: bool, prefix: str, text: Text, line: str = ""
) -> tuple[str, str, Category] | None:
    """(rule, type, category) when ``key = value`` is a secret."""
    if "f" in prefix and "{" in value:
        return None
    if not quoted and is_code(text):
        return None  # an expression, not a literal
    if not quoted and text.suffix in _DOCS and not _DOC_ASSIGNMENT.match(line):
        return None  # prose or a code sample's expression; a bare KEY=value line still counts
    value = _SCHEME.sub("", value)
    framework = _framework(key, text)
    if framework:
        if framework[0] == "laravel-app-key" and not value.startswith("base64:"):
            return None
        return (
            framework
            if (
                (len(value) >= 16 and strong(value))
                or (len(value) >= 40 and not not_a_value(value))
            )
            else None
        )
    kind = key_kind(key.strip("\"'"))
    if kind == "password":
        if not password_like(value) or not_a_value(value, key.strip("\"'$@-")):
            return None
        if is_code(text) and not quoted:
            return None
        return "password-assignment", "Password Assignment", "password"
    if kind == "generic" and _AWS_KEY_ID.match(value):
        return None  # the public half of an AWS key (the provider rules pair it with its secret)
    if kind == "generic" and strong(value) and not not_a_value(value, key.strip("\"'$@-")):
        return "secret-assignment", "Secret Keyword", "generic"
    return None


def find(
    text: Text, lines: Iterable[int], long_lines: list[int], max_len: int
) -> Iterator[Candidate]:
    """Key–value secrets on the candidate ``lines`` of ``text``."""
    if is_locale(text.path):
        return
    if text.lower_name in ("master.key",) or (
        text.path.endswith(".key") and "/credentials/" in text.path
    ):
        body = text.text.strip()
        if _HEX32.match(body):
            yield Candidate("rails-master-key", "Rails master.key", 1, body, "password")
        return
    for number in lines:
        line = text.line_text(number)
        if len(line) > max_len:
            long_lines.append(number)
            continue
        yield from _pairs(line, number, text)


def _pairs(line: str, number: int, text: Text) -> Iterator[Candidate]:
    for match in _PAIR.finditer(line):
        if match.group("xk") is not None:
            key, got = match.group("xk"), (match.group("xv").strip(), True, "")
        elif match.group("ak") is not None:
            key, got = match.group("ak"), _unquote(match.group("av"))
        elif match.group("ck") is not None:
            key, got = match.group("ck"), _unquote(match.group("cv"))
        else:
            key = match.group("k")
            start = match.end()
            if match.group("op").startswith(":") and match.group("op") != ":" and not is_code(text):
                start = match.start("op") + 1  # `key: a=b` in YAML is no type annotation
                while start < len(line) and line[start] in " \t":
                    start += 1
            read = _read_value(line, start)
            if read is None:
                continue
            got = read
        value, quoted, prefix = got
        if not value:
            continue
        verdict = _judge(key.lstrip("-"), value, quoted, prefix, text, line)
        if verdict:
            rule, kind, category = verdict
            yield Candidate(rule, kind, number, _SCHEME.sub("", value), category)


_TWILIO_PAIR = re.compile(
    r"""["'](?P<sid>AC[0-9a-f]{32})["']\s*,\s*["'](?P<token>[0-9a-f]{32})["']"""
)


def find_arguments(text: Text, lines: Iterable[int], max_len: int) -> Iterator[Candidate]:
    """Credentials passed as literal positional arguments: ``login("admin", "S3cr3t!")``, and a
    Twilio account SID passed with its auth token (``twilio('AC…', '<32 hex>')``)."""
    if not is_code(text):
        return
    for number in lines:
        line = text.line_text(number)
        if len(line) > max_len:
            continue
        for pair in _TWILIO_PAIR.finditer(line):
            yield Candidate(
                "twilio-auth-token",
                "Twilio Auth Token",
                number,
                pair.group("token"),
                "provider-token",
                key_id=pair.group("sid"),
            )
        for call in _ARGS.finditer(line):
            positional = [
                m.group("v").strip()
                for m in _ARG.finditer(call.group("args"))
                if m.group("v") and not m.group("kw")
            ]
            if len(positional) < 2 or positional[1][:1] not in "\"'":
                continue
            value, _quoted, _prefix = _unquote(positional[1])
            if password_like(value) and any(not c.isalpha() for c in value):
                yield Candidate("password-argument", "Password Argument", number, value, "password")
