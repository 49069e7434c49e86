"""Artefacts written onto hostile paths (devices, FIFOs, symlinks, a full disk) and
``HYGIENE_LOCK_TIMEOUT`` parsing (issue 15, items 6, 9 and 12)."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hygiene.artefacts import (
    ArtefactPathError,
    ArtefactWriteError,
    check_artefact_path,
    os_reason,
    write_artefact,
)
from hygiene.cli.options import lock_timeout
from hygiene.errors import HygieneError
from tests.conftest import REPO_ROOT
from tests.fixtures.io_faults import FULL, FifoReader, device, file_size_limit, stray_files

TEXT = '{"schema": "hygiene.findings/v1"}\n'


def test_a_character_device_is_written_through_never_replaced(tmp_path: Path) -> None:
    node = device(tmp_path / "null")
    before = node.stat()
    write_artefact(node, [TEXT, TEXT])
    after = os.lstat(node)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino  # the very same node, not a file renamed over it
    assert stray_files(tmp_path, "null") == []


def test_a_fifo_with_a_reader_is_written_through(tmp_path: Path) -> None:
    reader = FifoReader(tmp_path / "pipe")
    write_artefact(reader.path, [TEXT, "x" * 200_000, "tail\n"])  # more than a pipe holds
    assert reader.result() == (TEXT + "x" * 200_000 + "tail\n").encode()
    assert stat.S_ISFIFO(os.lstat(reader.path).st_mode)
    assert stray_files(tmp_path, "pipe") == []


def test_a_fifo_nobody_reads_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ArtefactPathError) as caught:
        write_artefact(fifo, TEXT)
    assert str(caught.value) == (
        f"{fifo}: a FIFO that no process is reading; start its reader first, or write to a file"
    )
    assert caught.value.exit_code == 2
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert stray_files(tmp_path, "pipe") == []


def test_a_symlink_keeps_being_a_link_and_its_target_is_replaced_atomically(
    tmp_path: Path,
) -> None:
    target = tmp_path / "real" / "out.json"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_artefact(link, TEXT)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == TEXT
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's permissions
    assert stray_files(target.parent, "out.json") == []


def test_a_symlink_to_a_device_writes_through_the_device(tmp_path: Path) -> None:
    node = device(tmp_path / "null")
    link = tmp_path / "out.json"
    link.symlink_to(node)
    write_artefact(link, TEXT)
    assert link.is_symlink() and stat.S_ISCHR(os.lstat(node).st_mode)


def test_a_descriptor_link_is_written_through_appending(tmp_path: Path) -> None:
    """``-o /dev/stdout >> log`` appends to the log: the descriptor's file is never replaced."""
    log = tmp_path / "log"
    log.write_text("earlier\n")
    with log.open("a") as handle:
        inode = os.fstat(handle.fileno()).st_ino
        write_artefact(Path(f"/dev/fd/{handle.fileno()}"), TEXT)
        write_artefact(Path(f"/proc/self/fd/{handle.fileno()}"), "again\n")
    assert log.read_text() == "earlier\n" + TEXT + "again\n"
    assert log.stat().st_ino == inode
    read, write = os.pipe()
    try:
        write_artefact(Path(f"/proc/self/fd/{write}"), TEXT)
        assert os.read(read, 1000) == TEXT.encode()
    finally:
        os.close(read)
        os.close(write)


def test_directories_block_devices_and_files_in_the_way_are_refused(tmp_path: Path) -> None:
    block = tmp_path / "disk"
    os.mknod(block, stat.S_IFBLK | 0o600, os.makedev(7, 250))
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    cases = {
        block: f"{block}: is a block device; write to a regular file, a character device or a FIFO",
        tmp_path / "dir": f"{tmp_path / 'dir'}: is a directory; write to a regular file, a "
        "character device or a FIFO",
        tmp_path / "file" / "out.json": f"{tmp_path / 'file' / 'out.json'}: cannot be written: "
        "Not a directory",
    }
    for path, message in cases.items():
        with pytest.raises(ArtefactPathError) as before:
            check_artefact_path(path)  # before anything runs
        assert str(before.value) == message
        with pytest.raises(ArtefactPathError):
            write_artefact(path, TEXT)
    assert (tmp_path / "file").read_text() == "x"
    assert stat.S_ISBLK(os.lstat(block).st_mode)
    check_artefact_path(tmp_path / "new" / "deeper" / "out.json")  # created when written


def test_a_new_file_in_new_directories_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "out.json"
    write_artefact(path, iter([TEXT, "x"]))
    assert path.read_text() == TEXT + "x"
    assert stray_files(path.parent, "out.json") == []


WRITE_UNDER_LIMIT = """
import sys
from pathlib import Path
from hygiene.artefacts import ArtefactWriteError, write_artefact
from hygiene.publish.metrics import write_textfile
from prometheus_client import CollectorRegistry, Gauge

registry = CollectorRegistry()
gauge = Gauge("hygiene_test_big", "A metric with many series.", ("name",), registry=registry)
for i in range(5000):
    gauge.labels(f"series-{i:05d}").set(i)
target, how = Path(sys.argv[1]), sys.argv[2]
try:
    if how == "metrics":
        write_textfile(registry, target)
    else:
        write_artefact(target, ("x" * 1000 + "\\n" for _ in range(500)))
except ArtefactWriteError as exc:
    print(exc)
    sys.exit(exc.exit_code)
"""


def _write_under_limit(target: Path, how: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WRITE_UNDER_LIMIT, str(target), how],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        preexec_fn=file_size_limit(64 * 1024),  # writes past 64 KiB fail as on a full disk
        timeout=120,
    )


@pytest.mark.parametrize("how", ["artefact", "metrics"])
def test_a_full_disk_leaves_the_previous_file_and_no_temporary_file(
    tmp_path: Path, how: str
) -> None:
    target = tmp_path / "out.prom"
    target.write_text("previous\n")
    proc = _write_under_limit(target, how)
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.strip() == (
        f"{target}: cannot write: disk is full (file too large for the file-size limit); "
        f"nothing was written ({target} is unchanged)"
    )
    assert target.read_text() == "previous\n"
    assert stray_files(tmp_path, "out.prom") == []
    fresh = tmp_path / "new.prom"
    assert _write_under_limit(fresh, how).returncode == 3
    assert stray_files(tmp_path, "out.prom") == []  # neither the file nor a temporary one


def test_a_full_device_is_a_write_error_naming_the_disk(tmp_path: Path) -> None:
    node = device(tmp_path / "full", FULL)
    with pytest.raises(ArtefactWriteError) as caught:
        write_artefact(node, "x" * 100_000)
    assert str(caught.value) == (
        f"{node}: writing failed: disk is full; what was written may be incomplete"
    )
    assert caught.value.exit_code == 3
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_os_reasons_say_disk_is_full_for_every_way_a_disk_fills() -> None:
    for number in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        assert os_reason(OSError(number, os.strerror(number))).startswith("disk is full")
    assert os_reason(OSError(errno.EACCES, "Permission denied")) == "Permission denied"


@pytest.mark.parametrize("value", ["abc", "-1", "nan", "inf", "1e400", "60s"])
def test_a_bad_lock_timeout_is_a_usage_error_naming_the_variable(value: str) -> None:
    with pytest.raises(HygieneError) as caught:
        lock_timeout({"HYGIENE_LOCK_TIMEOUT": value})
    assert str(caught.value) == (
        f"HYGIENE_LOCK_TIMEOUT={value!r}: expected the seconds to wait for the state lock, "
        "a number 0 or more (default 60)"
    )


def test_lock_timeouts_that_are_numbers_of_seconds() -> None:
    assert lock_timeout({}) == 60.0
    assert lock_timeout({"HYGIENE_LOCK_TIMEOUT": ""}) == 60.0
    assert lock_timeout({"HYGIENE_LOCK_TIMEOUT": " 0.5 "}) == 0.5
    assert lock_timeout({"HYGIENE_LOCK_TIMEOUT": "0"}) == 0.0
