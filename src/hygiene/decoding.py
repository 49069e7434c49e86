"""Bytes to text the way the repo checks read files: a pure function (no I/O), shared by the
secret scanner (``scan/``) and the checkouts' readers (``sources/checkout.py``)."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_text(data: bytes) -> str | None:
    """Text of a file's bytes, or None for binary.

    UTF-8 (with or without a BOM) and BOM-marked UTF-16/32 decode as such; BOM-less UTF-16 is
    recognised by its NUL pattern; other bytes that are not UTF-8 are read as cp1252 (latin-1
    where cp1252 leaves a byte undefined), so a key in a Windows-1252 config is still seen.
    NUL bytes otherwise mean binary.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    head = data[:8192]
    if b"\0" in head:
        return _bomless_utf16(head, data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _bomless_utf16(head: bytes, data: bytes) -> str | None:
    """UTF-16 text without a BOM: ASCII-range text has a NUL in every other byte."""
    if len(head) < 4 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    even, odd = head[0::2], head[1::2]
    for zeros, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if zeros and zeros.count(0) >= 0.9 * len(zeros):
            try:
                text = data[: len(data) - len(data) % 2].decode(encoding)
            except UnicodeDecodeError:
                return None
            return None if "\0" in text else text
    return None
