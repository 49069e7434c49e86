"""Private keys: PEM blocks (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted or not; also inside JSON
strings with ``\\n`` escapes) and PuTTY ``.ppk`` files — one hit per key, on its first line, the
value being the whole key; base64-encoded Java keystores in text; binary keystores by type."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from hygiene.scan.formats._common import Candidate, Text
from hygiene.scan.hits import Category, SecretHit

MARKERS = r"-----begin |putty-user-key-file-|/u3\+7qaaaa|zs7ozgaaaa"
_PEM = re.compile(
    r"-----BEGIN (?P<kind>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----"
    r"(?P<body>.*?)-----END (?P=kind)-----",
    re.DOTALL,
)
_BODY_NOISE = re.compile(
    r"\\[nr]|[\s\"'+,\\]|Proc-Type:[^\n\\]*|DEK-Info:[^\n\\]*|Version:[^\n\\]*|Comment:[^\n\\]*"
)
_BASE64 = re.compile(r"^[A-Za-z0-9+/=]+$")
_PPK = re.compile(
    r"PuTTY-User-Key-File-\d: *\S+.*?Private-Lines: *\d+\n(?:[A-Za-z0-9+/=]+\n)+Private-MAC: *[0-9a-f]+",
    re.DOTALL,
)
_KEYSTORE_B64 = re.compile(r"(?<![A-Za-z0-9+/])(?:/u3\+7QAAAA|zs7OzgAAAA)[A-Za-z0-9+/]{60,}={0,2}")


def find(text: Text) -> Iterator[Candidate]:
    """Every private key in ``text``, once."""
    for match in _PEM.finditer(text.text):
        body = _BODY_NOISE.sub("", match.group("body"))
        if len(body) < 64 or not _BASE64.match(body) or len(set(body)) < 16:
            continue  # an elided, truncated or made-up body ("MIIE...")
        yield Candidate(
            "private-key", "Private Key", text.line_of(match.start()), match.group(), "private-key"
        )
    for match in _PPK.finditer(text.text):
        yield Candidate(
            "putty-private-key",
            "PuTTY Private Key",
            text.line_of(match.start()),
            match.group(),
            "private-key",
        )
    for match in _KEYSTORE_B64.finditer(text.text):
        yield Candidate(
            "java-keystore",
            "Java Keystore",
            text.line_of(match.start()),
            match.group(),
            "private-key",
        )


#: DER of the PKCS#7 ``data`` OID every PKCS#12 file's AuthenticatedSafe carries
_PKCS7_DATA = bytes.fromhex("06092a864886f70d010701")
_KEYSTORE_SUFFIXES = frozenset({".p12", ".pfx", ".jks", ".jceks", ".keystore", ".bks", ".ks"})


def binary_keystore(path: str, data: bytes) -> SecretHit | None:
    """A hit for a binary key store recognised by type — JKS (``FEEDFEED``), JCEKS
    (``CECECECE``), PKCS#12 (DER ``SEQUENCE`` holding the PKCS#7 data OID, or a ``.p12``/``.pfx``
    name), BKS by name — or a git-crypt file (``\\0GITCRYPT\\0``, an encrypted-file hit), or
    DBeaver's ``credentials-config.json`` (encrypted with a key published in DBeaver's source, so a
    password store). The value is the SHA-256 of the bytes; the collector passes binary blobs."""
    name = PurePosixPath(path).name.lower()
    digest = hashlib.sha256(data).hexdigest()
    suffix = PurePosixPath(name).suffix

    def hit(rule: str, kind: str, category: Category) -> SecretHit:
        return SecretHit.of(
            kind, 1, f"{rule}:{digest}", category=category, engine="hygiene", rule=rule
        )

    if data.startswith(b"\x00GITCRYPT\x00"):
        return hit("git-crypt-file", "git-crypt Encrypted File", "encrypted-file")
    if data.startswith(b"\xfe\xed\xfe\xed"):
        return hit("java-keystore", "Java Keystore", "private-key")
    if data.startswith(b"\xce\xce\xce\xce"):
        return hit("java-keystore", "JCEKS Keystore", "private-key")
    is_der = data[:1] == b"\x30" and data[1:2] in (b"\x80", b"\x81", b"\x82", b"\x83")
    if is_der and (_PKCS7_DATA in data[:64] or suffix in (".p12", ".pfx")):
        return hit("pkcs12-keystore", "PKCS#12 Keystore", "private-key")
    if suffix in _KEYSTORE_SUFFIXES and len(data) >= 32:
        return hit("keystore-file", "Keystore File", "private-key")
    if name == "credentials-config.json" and len(data) >= 16:
        return hit("dbeaver-credentials", "DBeaver Credentials", "password")
    return None
