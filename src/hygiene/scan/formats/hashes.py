"""Committed password hashes: bcrypt, argon2, sha-crypt, md5-crypt/apr1, yescrypt, Django's
PBKDF2, LDAP/proftpd ``{SSHA}``-style, MySQL native; ``.htpasswd`` DES crypt by file name."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from hygiene.scan.formats._common import Candidate, Text

MARKERS = (
    r"\$2[abxy]?\$|\$argon2|\$[1567]\$|\$apr1\$|\$g?y\$|pbkdf2_sha|\{s?sha(?:256|512)?\}|\{s?md5\}"
    r"|\{crypt\}|identified|authentication_string|mysql_native"
)
_B64 = r"[./A-Za-z0-9]"
_HASHES: list[tuple[str, str, re.Pattern[str]]] = [
    ("bcrypt-hash", "bcrypt Hash", re.compile(rf"\$2[abxy]?\$\d\d\${_B64}{{53}}(?!{_B64})")),
    (
        "argon2-hash",
        "Argon2 Hash",
        re.compile(
            r"\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{16,}"
        ),
    ),
    (
        "sha-crypt-hash",
        "SHA-crypt Hash",
        re.compile(
            rf"\$[56]\$(?:rounds=\d+\$)?{_B64}{{1,16}}\$(?:{_B64}{{86}}|{_B64}{{43}})(?!{_B64})"
        ),
    ),
    (
        "md5-crypt-hash",
        "MD5-crypt Hash",
        re.compile(rf"\$(?:1|apr1)\${_B64}{{1,8}}\${_B64}{{22}}(?!{_B64})"),
    ),
    (
        "yescrypt-hash",
        "yescrypt Hash",
        re.compile(rf"\$(?:y|gy|7)\${_B64}+\${_B64}{{0,86}}\${_B64}{{43}}(?!{_B64})"),
    ),
    (
        "pbkdf2-hash",
        "PBKDF2 Hash",
        re.compile(r"pbkdf2_sha(?:1|256|512)\$\d{4,}\$[A-Za-z0-9+/=.]{4,}\$[A-Za-z0-9+/=]{27,}"),
    ),
    (
        "ldap-hash",
        "LDAP-style Password Hash",
        re.compile(
            r"\{(?:SSHA|SHA|MD5|SMD5|SHA256|SSHA256|SHA512|SSHA512)\}[A-Za-z0-9+/]{20,}={0,2}"
            r"|\{CRYPT\}\$\S{20,}",
            re.IGNORECASE,
        ),
    ),
    ("mysql-native-hash", "MySQL Password Hash", re.compile(r"(?<![\w*])\*[0-9A-F]{40}(?![\w])")),
]
#: an exact hash format is never a code reference (``$1$salt$a.b`` looks like ``$x.y`` to it)
_EXACT = ("env-reference",)
_HTPASSWD_DES = re.compile(r"^[^:\s#]+:(?P<h>[./A-Za-z0-9]{13})$")


def find(text: Text, lines: Iterable[int], max_len: int) -> Iterator[Candidate]:
    """Password hashes on the candidate ``lines`` (every line of an ``.htpasswd``)."""
    htpasswd = text.lower_name.startswith(".htpasswd") or text.lower_name == "htpasswd"
    numbers = range(1, len(text.lines) + 1) if htpasswd else lines
    for number in numbers:
        line = text.line_text(number)
        if len(line) > max_len:
            continue
        found = False
        for rule, kind, pattern in _HASHES:
            for match in pattern.finditer(line):
                found = True
                yield Candidate(
                    rule, kind, number, match.group(), "password-hash", skip_filters=_EXACT
                )
        if htpasswd and not found:
            des = _HTPASSWD_DES.match(line.strip())
            if des:
                yield Candidate(
                    "htpasswd-crypt-hash",
                    "htpasswd crypt Hash",
                    number,
                    des.group("h"),
                    "password-hash",
                    skip_filters=_EXACT,
                )
