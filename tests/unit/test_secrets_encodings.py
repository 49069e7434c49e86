"""The engine reads legacy and UTF-16 text: a key in a cp1252 or UTF-16 file is found, not
skipped as binary."""

from __future__ import annotations

import codecs

import pytest

from hygiene.scan.engine import scan_bytes

AWS = "AKIAZ3MHGKQW7P2LSNYT"
TEXT = f'# café configuration\nname = "déjà vu"\nAWS = "{AWS}"\n'


@pytest.mark.parametrize(
    "content",
    [
        TEXT.encode("cp1252"),
        TEXT.replace("\n", "\r\n").encode("cp1252"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-16-le"),  # no BOM
    ],
    ids=["cp1252", "cp1252-crlf", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le"],
)
def test_a_key_in_legacy_or_utf16_text_is_found(content: bytes) -> None:
    result = scan_bytes(content, "settings.py")
    assert result.skipped is None
    assert [(h.rule, h.line, h.preview) for h in result.hits] == [("aws-access-key", 3, "AKIA…")]


def test_binary_is_still_skipped() -> None:
    assert scan_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + AWS.encode(), "x.png").skipped
    assert scan_bytes(b"\x00\x01\x02\x03" + AWS.encode(), "blob.bin").skipped == "binary"
