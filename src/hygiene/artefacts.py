"""Writing an artefact (a findings document, a metrics file, a baseline) without harming what is
already at its path.

* A regular file, or a path where nothing is yet, is replaced atomically: the text goes to a
  temporary file beside it (with the old file's permissions), is flushed to disk, then renamed
  over it. A reader sees the old file or the new one; a failed write leaves the old file (or no
  file) and no temporary file.
* A character device (``/dev/null``, a terminal) is written through, never replaced.
* A FIFO is written through when a process is reading it; with no reader it is refused rather
  than waited on.
* A symlink is followed and its target gets these same rules: a link to a regular file stays a
  link and its target is replaced atomically. A file-descriptor link (``/dev/stdout``,
  ``/dev/fd/N``, anything under ``/proc``) is written through, appending, like ``>>``.
* A directory, block device or socket is refused.

A refusal is an :class:`ArtefactPathError` (a usage error, exit 2: nothing was written); a write
that fails part-way is an :class:`ArtefactWriteError` (exit 3), naming the file and the OS error
("disk is full" for ENOSPC, EDQUOT and EFBIG).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hygiene.errors import HygieneError

#: The errors a full disk (or a file-size limit, or a quota) shows as.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class ArtefactPathError(HygieneError):
    """The path cannot take an artefact (a directory, a FIFO nobody reads): nothing was written."""


class ArtefactWriteError(HygieneError):
    """Writing the artefact failed (a full disk, a broken pipe); a replaced file is unchanged."""

    exit_code = 3


def os_reason(exc: OSError) -> str:
    """The OS error in words; a full disk, quota or file-size limit says "disk is full"."""
    if exc.errno == errno.ENOSPC:
        return "disk is full"
    if exc.errno == errno.EDQUOT:
        return "disk is full (quota exceeded)"
    if exc.errno == errno.EFBIG:
        return "disk is full (file too large for the file-size limit)"
    return exc.strerror or str(exc) or type(exc).__name__


@dataclass(frozen=True)
class _Target:
    path: Path  # where to write: the resolved path for an atomic replace
    through: bool = False  # open and write (a device, FIFO, descriptor link), never replace
    fifo: bool = False
    mode: int | None = None  # permissions of the regular file being replaced


def check_artefact_path(path: Path) -> None:
    """Refuse, before anything runs, a path no artefact can be written to (ArtefactPathError).

    A FIFO is not opened here (opening and closing it would end its reader's input); whether it
    has a reader is known when the artefact is written.
    """
    target = _target(path)
    if target.through or target.mode is not None:
        return
    ancestor = target.path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        if ancestor.is_symlink():  # a dangling link in the way
            break
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ArtefactPathError(f"{path}: cannot be written: {ancestor} is not a directory")


def write_artefact(path: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or chunks of one) to ``path`` by the rules of this module."""
    target = _target(path)
    chunks = [text] if isinstance(text, str) else text
    if target.through:
        _write_through(path, target, chunks)
    else:
        _replace(path, target, chunks)


def _target(path: Path) -> _Target:
    if _names_descriptor(path):
        try:
            info = os.stat(path)
        except OSError as exc:
            raise ArtefactPathError(f"{path}: cannot be written: {os_reason(exc)}") from None
        return _Target(Path(path), through=True, fifo=stat.S_ISFIFO(info.st_mode))
    real = Path(os.path.realpath(path))
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return _Target(real)
    except OSError as exc:  # ENOTDIR (a file where a directory should be), ELOOP, EACCES
        raise ArtefactPathError(f"{path}: cannot be written: {os_reason(exc)}") from None
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return _Target(real, mode=stat.S_IMODE(mode))
    if stat.S_ISCHR(mode):
        return _Target(real, through=True)
    if stat.S_ISFIFO(mode):
        return _Target(real, through=True, fifo=True)
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    raise ArtefactPathError(
        f"{path}: is {kind}; write to a regular file, a character device or a FIFO"
    )


_KINDS = {stat.S_IFDIR: "a directory", stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


def _names_descriptor(path: Path) -> bool:
    """Whether ``path`` is, or links to, something under ``/proc`` (``/dev/stdout`` →
    ``/proc/self/fd/1``): a file descriptor's own file, written through and never replaced."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        parent = os.path.realpath(os.path.dirname(current))
        if parent == "/proc" or parent.startswith("/proc/"):
            return True
        here = os.path.join(parent, os.path.basename(current))
        if not os.path.islink(here):
            return False
        current = os.path.join(parent, os.readlink(here))
    return False


def _write_through(shown: Path, target: _Target, chunks: Iterable[str]) -> None:
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_CLOEXEC
    try:  # a FIFO with no reader fails at once (ENXIO) instead of blocking forever
        fd = os.open(target.path, flags | (os.O_NONBLOCK if target.fifo else 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO and target.fifo:
            raise ArtefactPathError(
                f"{shown}: a FIFO that no process is reading; start its reader first, "
                "or write to a file"
            ) from None
        raise ArtefactPathError(f"{shown}: cannot open for writing: {os_reason(exc)}") from None
    try:
        if target.fifo:
            os.set_blocking(fd, True)
        with os.fdopen(fd, "w", encoding="utf-8", closefd=True) as handle:
            for chunk in chunks:
                handle.write(chunk)
    except OSError as exc:
        raise ArtefactWriteError(
            f"{shown}: writing failed: {os_reason(exc)}; what was written may be incomplete"
        ) from None


def _replace(shown: Path, target: _Target, chunks: Iterable[str]) -> None:
    parent = target.path.parent
    _make_directory(shown, parent)
    tmp = parent / f".{target.path.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise ArtefactWriteError(f"{shown}: cannot write: {os_reason(exc)}") from None
        raise ArtefactPathError(
            f"{shown}: cannot create a file in {parent}: {os_reason(exc)}"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if target.mode is not None:
                os.fchmod(fd, target.mode)
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(fd)
        os.replace(tmp, target.path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            kept = "unchanged" if target.mode is not None else "not created"
            raise ArtefactWriteError(
                f"{shown}: cannot write: {os_reason(exc)}; nothing was written ({shown} is {kept})"
            ) from None
        raise


def _make_directory(shown: Path, directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ArtefactPathError(
            f"{shown}: cannot be written: a file stands where the directory {directory} "
            "(or one of its parents) should be"
        ) from None
    except OSError as exc:
        if exc.errno in DISK_FULL:
            raise ArtefactWriteError(f"{shown}: cannot write: {os_reason(exc)}") from None
        raise ArtefactPathError(
            f"{shown}: cannot create the directory {directory}: {os_reason(exc)}"
        ) from None
