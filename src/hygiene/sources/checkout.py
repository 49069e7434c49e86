"""Reading files of a checkout safely: regular files inside the repository, and nothing else.

A tracked path is outside input. It may be a symlink to ``/etc/passwd`` or ``~/.aws/credentials``
(reading it would report — or hash — a file the repository does not hold), to ``/dev/stdin`` or
a FIFO (opening it blocks forever), or a device. Every check that reads a checkout's files goes
through :func:`read_checkout_file`: a link is followed only while it stays inside the repository,
the file is opened without blocking and ``fstat``-checked to be regular before a byte is read,
and reads are bounded.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from hygiene.errors import HygieneError

#: Files larger than this are not read by default (a generated bundle, a data dump).
DEFAULT_MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """Why a path was not read: ``outside`` (a link leaving the repository), ``special`` (not a
    regular file: FIFO, device, socket, directory, submodule), ``missing``, or ``too-large``."""

    reason: str


def contained_target(top: Path, rel: str) -> Path | Skipped:
    """The real path ``rel`` names inside ``top``, following links only while they stay in it."""
    root = os.path.realpath(top)
    real = os.path.realpath(os.path.join(root, rel))
    if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
        return Skipped("outside")
    return Path(real)


def read_checkout_file(top: Path, rel: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes | Skipped:
    """The bytes of the regular file ``rel`` of the checkout ``top``, or why it was not read.

    Never follows a link out of the repository, never opens a FIFO or device in a way that
    blocks, never reads more than ``max_bytes`` (+1 to tell it was larger). An I/O error other
    than "gone" is a :class:`HygieneError` naming the file.
    """
    target = contained_target(top, rel)
    if isinstance(target, Skipped):
        return target
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return Skipped("missing")
    except OSError as exc:
        raise HygieneError(f"{top}: cannot read {rel}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        return Skipped("special")
    if info.st_size > max_bytes:
        return Skipped("too-large")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        return Skipped("missing")
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # replaced by a link since the check above
            return Skipped("outside")
        raise HygieneError(f"{top}: cannot read {rel}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a FIFO since the check
            return Skipped("special")
        chunks: list[bytes] = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise HygieneError(f"{top}: cannot read {rel}: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        return Skipped("too-large")
    return data
