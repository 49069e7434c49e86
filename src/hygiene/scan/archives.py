"""Archives opened in memory for the secret scanner (pure: bytes in, entries out).

zip (jar, war, ear, … and anything else that starts like a zip), tar, tar.gz/tgz, tar.bz2,
tar.xz and single compressed files (.gz, .bz2, .xz), nested up to ``Limits.depth`` levels. An
archive is known by its first bytes, never by its name alone (a Git LFS pointer named
``x.zip`` is text). Nothing is written to disk: an entry's name is only a label, joined to the
archive's as ``a.zip!b.jar!c.properties``; names that would climb out of a directory (``..``,
absolute paths, drive letters, control characters) are refused all the same.

Hostile input is bounded. Declared sizes are never trusted: every entry is read in chunks and
the bytes actually produced by the decompressors count against ``Limits.max_bytes`` (over the
whole archive, all levels: a nested archive's bytes count once as an entry and again as they are
read); ``Limits.max_entries`` members at most are looked at; a file larger than
``Limits.max_entry_bytes`` is not read past that (the scanner would skip it anyway). A zip whose
central directory alone is too large to hold is not opened. Whatever was passed over is counted
in :attr:`Expansion.skipped` under its reason.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import posixpath
import re
import struct
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Protocol, cast

#: Why an entry (or the rest of an archive) was not handed out.
SKIP_REASONS = (
    "depth",  # an archive nested deeper than Limits.depth
    "too-large",  # a file larger than Limits.max_entry_bytes
    "size-limit",  # Limits.max_bytes reached: the rest of the archive is not read
    "entry-limit",  # Limits.max_entries reached (or a zip directory too large to hold)
    "unsafe-name",  # an absolute, ``..`` or control-character name
    "encrypted",  # a password-protected zip entry
    "unsupported",  # a compression method the standard library does not read
    "corrupt",  # data that does not decompress or parse
    "special",  # a link, device or FIFO member (no content of its own)
)
#: Names whose blobs may be archives larger than the scanner's file limit (they are read up to
#: the archive limit; their first bytes still decide).
ARCHIVE_SUFFIXES = (
    ".zip", ".jar", ".war", ".ear", ".aar", ".apk", ".whl", ".nupkg", ".egg",
    ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".gz", ".bz2", ".xz",
)  # fmt: skip
SEPARATOR = "!"
CHUNK = 64 * 1024
#: Bytes of central directory allowed per entry of ``max_entries`` (real jars use ~100).
_CD_BYTES_PER_ENTRY = 512
_COMPRESSED_SUFFIXES = {".gz": "", ".bz2": "", ".xz": "", ".tgz": ".tar", ".tbz": ".tar",
                        ".tbz2": ".tar", ".txz": ".tar"}  # fmt: skip
_BZ2_MAGIC = re.compile(rb"BZh[1-9]1AY&SY")
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Limits:
    """How far into an archive the scanner goes."""

    depth: int = 3  # archive levels opened (1: the archive itself, not archives inside it)
    max_bytes: int = 64 * 1024 * 1024  # decompressed bytes read, all levels together
    max_entries: int = 10_000  # members looked at, all levels together
    max_entry_bytes: int = 2_000_000  # a file inside larger than this is not read


def is_archive_name(path: str) -> bool:
    """True when ``path``'s name says archive (the content must still say so too)."""
    return path.lower().endswith(ARCHIVE_SUFFIXES)


def kind(data: bytes) -> str | None:
    """``zip``, ``tar``, ``gz``, ``bz2`` or ``xz`` from the first bytes, else None."""
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if data.startswith(b"\x1f\x8b"):
        return "gz"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if _BZ2_MAGIC.match(data):
        return "bz2"
    if _looks_like_tar(data):
        return "tar"
    return None


def _looks_like_tar(head: bytes) -> bool:
    """A POSIX/GNU tar header (``ustar`` magic), or a v7 one whose checksum adds up."""
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    if head[0] == 0:
        return False
    try:
        declared = int(head[148:156].split(b"\0", 1)[0].strip() or b"x", 8)
    except ValueError:
        return False
    return declared == sum(head[:148]) + 8 * 32 + sum(head[156:512])


class _Reader(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _Stop(Exception):
    """The archive's budget is spent: nothing more is read (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Expansion:
    """The files inside one archive, as ``(inner path, bytes)``; iterate once.

    While it is iterated it counts what it opened and what it passed over (``skipped``: reason →
    count, see :data:`SKIP_REASONS`); the counts are final when the iteration ends.
    """

    path: str
    data: bytes
    limits: Limits
    archives: int = 0  # archives opened, nested ones included
    entries: int = 0  # files handed out
    skipped: Counter[str] = field(default_factory=Counter)
    _bytes_left: int = 0
    _members_left: int = 0

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        self._bytes_left = self.limits.max_bytes
        self._members_left = self.limits.max_entries
        found = kind(self.data)
        if found is None:
            return
        if self.limits.depth < 1:
            self.skipped["depth"] += 1
            return
        try:
            yield from self._open(found, posixpath.basename(self.path), self.data, 1)
        except _Stop as stop:
            self.skipped[stop.reason] += 1

    # -- one archive ------------------------------------------------------------------------

    def _open(self, found: str, name: str, data: bytes, level: int) -> Iterator[tuple[str, bytes]]:
        """The files of the archive ``data`` (of kind ``found``, called ``name``)."""
        self.archives += 1
        if found == "zip":
            yield from self._zip(data, level)
        elif found == "tar":
            yield from self._tar(_Charged(io.BytesIO(data), self), level)
        else:
            yield from self._compressed(found, name, data, level)

    def _zip(self, data: bytes, level: int) -> Iterator[tuple[str, bytes]]:
        if _central_directory_size(data) > self.limits.max_entries * _CD_BYTES_PER_ENTRY:
            self.skipped["entry-limit"] += 1
            return
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except Exception:  # hostile bytes: zipfile raises many kinds
            self.skipped["corrupt"] += 1
            return
        with archive:
            for info in infos:
                self._count_member()
                if info.is_dir():
                    continue
                name = safe_name(info.filename)
                if name is None:
                    self.skipped["unsafe-name"] += 1
                    continue
                if info.flag_bits & 0x1:
                    self.skipped["encrypted"] += 1
                    continue
                try:
                    with archive.open(info) as stream:
                        content = self._read(stream, name, charged=True)
                except _Stop:
                    raise
                except NotImplementedError:
                    self.skipped["unsupported"] += 1
                    continue
                except Exception:  # CRC, zlib, truncated data, a lying header
                    self.skipped["corrupt"] += 1
                    continue
                if content is not None:
                    yield from self._entry(name, content, level)

    def _tar(self, stream: _Reader, level: int) -> Iterator[tuple[str, bytes]]:
        try:
            archive = tarfile.open(fileobj=cast(IO[bytes], stream), mode="r|")  # noqa: SIM115
        except _Stop:
            raise
        except Exception:
            self.skipped["corrupt"] += 1
            return
        with archive:
            members = iter(archive)
            while True:
                try:
                    member = next(members)
                except StopIteration:
                    return
                except _Stop:
                    raise
                except Exception:  # a bad header: tarfile cannot find the next one
                    self.skipped["corrupt"] += 1
                    return
                self._count_member()
                if member.isdir():
                    continue
                if not member.isfile():
                    self.skipped["special"] += 1
                    continue
                name = safe_name(member.name)
                if name is None:
                    self.skipped["unsafe-name"] += 1
                    continue
                try:
                    extracted = archive.extractfile(member)
                    assert extracted is not None  # a regular file
                    content = self._read(extracted, name, charged=False)
                except _Stop:
                    raise
                except Exception:
                    self.skipped["corrupt"] += 1
                    return  # the stream is out of step: nothing after this can be trusted
                if content is not None:
                    yield from self._entry(name, content, level)

    def _compressed(
        self, found: str, name: str, data: bytes, level: int
    ) -> Iterator[tuple[str, bytes]]:
        """A .gz/.bz2/.xz: a compressed tar's members, or the one file it holds."""
        raw = _Charged(_decompressor(found, io.BytesIO(data)), self)
        try:
            head = _read_up_to(raw, 512)
        except _Stop:
            raise
        except Exception:
            self.skipped["corrupt"] += 1
            return
        if _looks_like_tar(head):
            yield from self._tar(_Prefixed(head, raw), level)
            return
        inner = _decompressed_name(name)
        try:
            rest = self._read(raw, inner, charged=False, already=len(head))
        except _Stop:
            raise
        except Exception:
            self.skipped["corrupt"] += 1
            return
        if rest is not None:
            yield from self._entry(inner, head + rest, level)

    # -- entries ----------------------------------------------------------------------------

    def _entry(self, name: str, content: bytes, level: int) -> Iterator[tuple[str, bytes]]:
        """A file of the archive at ``level``: an archive in turn (opened when ``level`` allows),
        else handed out."""
        nested = kind(content)
        if nested is None:
            self.entries += 1
            yield name, content
            return
        if level >= self.limits.depth:
            self.skipped["depth"] += 1
            return
        for inner, data in self._open(nested, posixpath.basename(name), content, level + 1):
            yield f"{name}{SEPARATOR}{inner}", data

    def _read(self, stream: _Reader, name: str, *, charged: bool, already: int = 0) -> bytes | None:
        """A member's bytes, read in chunks; None (counted ``too-large``) past the entry limit —
        an archive by name may be as large as what is left of the budget. ``charged``: these
        bytes count against the budget here (a tar's stream counts its own)."""
        cap = self.limits.max_entry_bytes - already
        if is_archive_name(name):
            cap = max(cap, self._bytes_left)
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            chunk = stream.read(min(CHUNK, cap + 1 - size))
            if not chunk:
                return b"".join(chunks)
            if charged:
                self.charge(len(chunk))
            size += len(chunk)
            chunks.append(chunk)
        self.skipped["too-large"] += 1
        return None

    def charge(self, size: int) -> None:
        """Count ``size`` decompressed bytes; stop the whole archive past ``max_bytes``."""
        self._bytes_left -= size
        if self._bytes_left < 0:
            raise _Stop("size-limit")

    def _count_member(self) -> None:
        self._members_left -= 1
        if self._members_left < 0:
            raise _Stop("entry-limit")


def expand(path: str, data: bytes, limits: Limits | None = None) -> Expansion:
    """The files inside the archive ``data`` (the blob at ``path``), as an iterable
    :class:`Expansion` of ``(inner path, bytes)`` that counts what it skipped and why. Data that
    is not an archive (see :func:`kind`) expands to nothing."""
    return Expansion(path, data, limits or Limits())


def safe_name(name: str) -> str | None:
    """An entry's name as a label (``./`` and repeated ``/`` dropped, ``\\`` read as ``/``), or
    None when it is absolute, climbs with ``..``, names a drive, or holds control characters."""
    if not name or _UNSAFE_CHARS.search(name):
        return None
    unified = name.replace("\\", "/")
    if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
        return None
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _decompressor(found: str, data: IO[bytes]) -> _Reader:
    """A reader of the decompressed stream of kind ``found`` (gz, bz2, xz)."""
    if found == "gz":
        return gzip.GzipFile(fileobj=data)
    if found == "bz2":
        return bz2.BZ2File(data)
    return lzma.LZMAFile(data)


def _read_up_to(stream: _Reader, size: int) -> bytes:
    """``size`` bytes of ``stream``, fewer only at its end."""
    chunks: list[bytes] = []
    got = 0
    while got < size:
        chunk = stream.read(size - got)
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _decompressed_name(name: str) -> str:
    """``notes.txt.gz`` → ``notes.txt``; a name without a known suffix is kept as it is."""
    lowered = name.lower()
    for suffix, replacement in _COMPRESSED_SUFFIXES.items():
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + replacement
    return name


def _central_directory_size(data: bytes) -> int:
    """The size a zip's end record declares for its central directory (0 when not found):
    zipfile holds one object per entry of it, so a huge one is refused before it is parsed."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or len(data) < at + 22:
        return 0
    size: int = struct.unpack_from("<L", data, at + 12)[0]
    if size == 0xFFFFFFFF:  # zip64: the real size is in the zip64 end record
        locator = data.rfind(b"PK\x06\x06", max(0, at - 1024), at)
        if locator >= 0 and len(data) >= locator + 48:
            size = struct.unpack_from("<Q", data, locator + 40)[0]
    return size


class _Charged(io.RawIOBase):
    """A stream whose every byte read counts against the expansion's budget."""

    def __init__(self, inner: _Reader, expansion: Expansion) -> None:
        self._inner = inner
        self._expansion = expansion

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        try:
            data = self._inner.read(size)
        except (EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
            raise ValueError("corrupt compressed data") from exc
        self._expansion.charge(len(data))
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Prefixed(io.RawIOBase):
    """``head`` (already read) then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: _Reader) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        if self._head:
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._stream.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
