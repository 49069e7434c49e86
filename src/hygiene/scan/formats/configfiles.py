"""Passwords in credential-store formats that are not ``key = value``: ``.netrc``/``_netrc``
(``machine … login … password …`` over any lines, and the same phrase in any text), ``.pgpass``
(``host:port:db:user:password`` with ``\\:`` escapes), the ``password value`` lines of
``.esmtprc``/``.msmtprc``/``.fetchmailrc``, ``.npmrc``'s ``_auth``/``_authToken``/``_password``
(legacy UUID tokens included), Docker ``config.json`` ``auths`` (base64 ``user:password``); and
which files are credential stores, so what the key–value rule finds there is a password."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from hygiene.scan.formats._common import Candidate, Text, is_reference, not_a_value

MARKERS = r"machine\s|_auth|_password|\"auths\""
NETRC_NAMES = frozenset({".netrc", "_netrc", ".authinfo", "netrc"})
PGPASS_NAMES = frozenset({".pgpass", "pgpass.conf", "pgpass"})
SPACED_NAMES = frozenset(
    {".esmtprc", "esmtprc", ".msmtprc", "msmtprc", ".fetchmailrc", ".mbsyncrc"}
)
#: Files that store credentials: a secret found in them is a password, whatever its key says.
CREDENTIAL_STORES = frozenset(
    {
        ".s3cfg", ".my.cnf", "my.cnf", ".mylogin.cnf", ".pypirc", "pip.conf", "pip.ini",
        "settings.xml", "settings-security.xml", "nuget.config", "sitemanager.xml",
        "recentservers.xml", "filezilla.xml", "credentials-config.json", "data-sources.json",
        "robomongo.json", "robo3t.json", "3t.json", "logins.json", ".npmrc", "npmrc", ".yarnrc",
        ".git-credentials", ".gitcredentials", ".boto", ".esmtprc", ".msmtprc", ".fetchmailrc",
        "credentials", ".muttrc", "wp-config.php", "database.yml",
    }
)  # fmt: skip

_NETRC_ANYWHERE = re.compile(
    r"\bmachine\s+\S+(?:\s+(?:login|account)\s+\S+)*\s+password\s+(?P<v>\S+)", re.IGNORECASE
)
_NETRC_TOKEN = re.compile(r"\S+")
_SPACED = re.compile(
    r"^\s*(?:set\s+)?(?P<k>password|pass|passwd)\s*[= ]\s*(?P<v>\"[^\"]*\"|'[^']*'|\S+)",
    re.IGNORECASE,
)
_NPM = re.compile(
    r"^\s*(?:(?://|@)[^\s=]*:)?(?P<k>_auth|_authToken|_password)\s*=\s*(?P<v>\"[^\"]*\"|'[^']*'|[^\s#;]+)",
    re.MULTILINE,
)
_DOCKER_AUTH = re.compile(r'"(?:auth|identitytoken)"\s*:\s*"(?P<v>[A-Za-z0-9+/=_.\-]{8,})"')


def is_store(text: Text) -> bool:
    """True for a credential-store file (``.pypirc``, ``settings.xml``, ``.docker/config.json``)."""
    return text.lower_name in CREDENTIAL_STORES or text.path.endswith(".docker/config.json")


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] in "\"'" and value[-1] == value[0] else value


def find(text: Text) -> Iterator[Candidate]:
    """Credentials of the formats above in ``text``."""
    name = text.lower_name
    if name in NETRC_NAMES:
        yield from _netrc(text)
    else:
        for match in _NETRC_ANYWHERE.finditer(text.text):
            value = _unquote(match.group("v"))
            if not not_a_value(value):
                yield Candidate(
                    "netrc-password",
                    "netrc Password",
                    text.line_of(match.start("v")),
                    value,
                    "password",
                )
    if name in PGPASS_NAMES:
        yield from _pgpass(text)
    if name in SPACED_NAMES:
        for number, line in enumerate(text.lines, 1):
            spaced = _SPACED.match(line)
            if spaced and not line.lstrip().startswith("#"):
                value = _unquote(spaced.group("v"))
                if not not_a_value(value):
                    yield Candidate(
                        "mail-client-password", "Mail Client Password", number, value, "password"
                    )
    if "_auth" in text.text or "_password" in text.text:
        for match in _NPM.finditer(text.text):
            value = _unquote(match.group("v"))
            if is_reference(value) or not_a_value(value):
                continue
            yield Candidate(
                "npmrc-auth",
                "npm Auth Token",
                text.line_of(match.start("v")),
                value,
                "password",
                skip_filters=("uuid",),
            )
    if '"auths"' in text.text:
        yield from _docker(text)


def _netrc(text: Text) -> Iterator[Candidate]:
    expect = False
    for match in _NETRC_TOKEN.finditer(text.text):
        token = match.group()
        if expect:
            expect = False
            value = _unquote(token)
            if not not_a_value(value):
                yield Candidate(
                    "netrc-password",
                    "netrc Password",
                    text.line_of(match.start()),
                    value,
                    "password",
                )
        elif token in ("password", "passwd"):
            expect = True


_PGPASS_COLON = re.compile(r"(?<!\\):")


def _pgpass(text: Text) -> Iterator[Candidate]:
    for number, line in enumerate(text.lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = _PGPASS_COLON.split(line.rstrip())
        if len(fields) < 5:
            continue
        password = ":".join(fields[4:])
        value = re.sub(r"\\(.)", r"\1", password)
        if value and value != "*" and not not_a_value(value):
            yield Candidate("pgpass-password", "pgpass Password", number, value, "password")


def _docker(text: Text) -> Iterator[Candidate]:
    for match in _DOCKER_AUTH.finditer(text.text):
        value = match.group("v")
        if match.group().startswith('"auth"'):
            try:
                decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode(
                    "utf-8"
                )
            except (binascii.Error, UnicodeDecodeError, ValueError):
                continue
            _user, sep, password = decoded.partition(":")
            if not sep or not password or not_a_value(password):
                continue
        yield Candidate(
            "docker-config-auth",
            "Docker Registry Auth",
            text.line_of(match.start("v")),
            value,
            "password",
        )
