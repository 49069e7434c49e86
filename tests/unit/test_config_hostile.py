"""Hostile policy files through the installed CLI: each one a single ``file:line`` error on
stderr and exit 2 — never a traceback, never unbounded memory (issue 15, item 8)."""

from __future__ import annotations

import ctypes
import os
import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hygiene.config import MAX_ALIASES, MAX_DEPTH, MAX_INT_DIGITS, MAX_NODES, load_policy
from hygiene.errors import ConfigError

VERBS = (("policy", "validate"), ("audit", "--config"))
GIB = 1 << 30
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def laughs() -> bytes:
    """The classic alias bomb: 9 levels of 9 aliases, ~340 bytes, 9**9 strings expanded."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    previous = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]\n"
        previous = name
    return text.encode()


#: name → (file contents, the stderr message after ``hygiene: error: <path>``)
CASES: dict[str, tuple[bytes, str]] = {
    "latin-1": (
        b"tags:\n  required: [Caf\xe9]\n",
        r":2: not UTF-8 \(byte 0xE9\); policy files must be UTF-8",
    ),
    "utf-16-bom": (
        "tags:\n  required: [Project]\n".encode("utf-16"),
        r":1: the file is UTF-16 \(byte-order mark\); policy files must be UTF-8",
    ),
    "utf-16-no-bom": (
        "tags:\n  required: [Project]\n".encode("utf-16-le"),
        r":1: the file looks like UTF-16 without a byte-order mark",
    ),
    "binary": (bytes(range(256)) * 4, r":1: binary data \(a NUL byte\)"),
    "python-apply": (
        b"tags: !!python/object/apply:os.system ['echo pwned']\n",
        r":1: tags: tag 'python/object/apply:os\.system' is not allowed",
    ),
    "python-name": (
        b"version: 1\nrotation: !!python/name:os.system\n",
        r":2: rotation: tag 'python/name:os\.system' is not allowed",
    ),
    "unknown-tag": (
        b"tags: !custom {required: [a]}\n",
        r":1: tags: tag '!custom' is not allowed",
    ),
    "5000-digit-int": (
        b"rotation:\n  max_age_days: " + b"9" * 5000 + b"\n",
        rf":2: rotation\.max_age_days: integer of more than {MAX_INT_DIGITS} digits",
    ),
    "deep-nesting": (b"[" * 100_000, rf":1: nested deeper than {MAX_DEPTH} levels"),
}


def bounded(extra: Callable[[], None] | None = None) -> Callable[[], None]:
    """A child's pre-exec: at most 1 GiB of address space and 120 s of CPU (so a regression
    fails the test rather than exhausting the shared machine), then ``extra``."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))
        resource.setrlimit(resource.RLIMIT_CPU, (120, 120))
        if extra is not None:
            extra()

    return limit


def hygiene(
    *args: str, cwd: Path, preexec: Callable[[], None] | None = None
) -> tuple[int, str, int]:
    """Run the installed CLI, bounded; (exit code, stderr, the child's peak RSS in KiB)."""
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    child = subprocess.Popen(
        [exe, *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=bounded(preexec),
    )
    assert child.stderr is not None
    with child.stderr:
        stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, stderr, usage.ru_maxrss


def assert_one_error_line(stderr: str, path: Path, message: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert re.fullmatch(f"hygiene: error: {re.escape(str(path))}{message}.*", lines[0]), stderr


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_policy_file_is_one_file_line_error_and_exit_2(
    tmp_path: Path, case: str, verb: tuple[str, str]
) -> None:
    contents, message = CASES[case]
    path = tmp_path / "policy.yaml"
    path.write_bytes(contents)
    code, stderr, _ = hygiene(*verb, str(path), cwd=tmp_path)
    assert code == 2, stderr
    assert_one_error_line(stderr, path, message)


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
def test_billion_laughs_is_refused_in_bounded_memory(tmp_path: Path, verb: tuple[str, str]) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_bytes(laughs())
    assert len(laughs()) < 400

    code, stderr, _ = hygiene(*verb, str(path), cwd=tmp_path)
    assert code == 2, stderr  # before: MemoryError under the 1 GiB limit (exit 1 or 3)
    assert_one_error_line(stderr, path, rf":6: f\[0\]: more than {MAX_NODES} YAML nodes")
    assert peak_rss_kib(*verb, str(path), cwd=tmp_path) < 256 * 1024


#: Starts the CLI from a small process and prints its peak RSS: a child forked straight from the
#: test worker would inherit the worker's (often ~1 GB) high-water mark in ru_maxrss.
PEAK_WRAPPER = """
import os, resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
resource.setrlimit(resource.RLIMIT_CPU, (120, 120))
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(usage.ru_maxrss)
"""


def peak_rss_kib(*args: str, cwd: Path) -> int:
    """The peak RSS (KiB) of the installed CLI run with ``args``, bounded like :func:`hygiene`."""
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    out = subprocess.run(
        [sys.executable, "-c", PEAK_WRAPPER, exe, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return int(out.stdout.strip())


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: v[0])
def test_directory_missing_and_unreadable_files_name_the_file(
    tmp_path: Path, verb: tuple[str, str]
) -> None:
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    code, stderr, _ = hygiene(*verb, str(folder), cwd=tmp_path)
    assert code == 2
    assert_one_error_line(stderr, folder, ": is a directory, not a policy file")

    missing = tmp_path / "missing.yaml"
    code, stderr, _ = hygiene(*verb, str(missing), cwd=tmp_path)
    assert code == 2
    assert_one_error_line(stderr, missing, ": policy file not found")

    locked = tmp_path / "locked.yaml"
    locked.write_text("tags: {}\n")
    locked.chmod(0)
    code, stderr, _ = hygiene(*verb, str(locked), cwd=tmp_path, preexec=_without_root_reads)
    assert code == 2
    assert_one_error_line(stderr, locked, ": cannot read the policy file: Permission denied")


def _without_root_reads() -> None:
    """In the child: root loses the capabilities that read any file, so mode 000 is unreadable
    to it too (a no-op for other users, who cannot read such a file anyway)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


# --------------------------------------------------------------------------- the library


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_policy([path])
    return str(caught.value).removeprefix(f"{path}")


def test_aliases_and_merge_keys_within_the_limits_still_work(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "budgets:\n"
        "  - &web {name: web, amount: 10, scope: &owner {Owner: ops}}\n"
        "  - {<<: *web, name: api}\n"
        "  - {name: db, amount: 5, scope: *owner}\n",
        encoding="utf-8",
    )
    policy = load_policy([path])
    assert [(b.name, b.amount, dict(b.scope)) for b in policy.budgets] == [
        ("web", 10, {"Owner": "ops"}),
        ("api", 10, {"Owner": "ops"}),
        ("db", 5, {"Owner": "ops"}),
    ]


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"\xef\xbb\xbfrotation:\n  max_age_days: 30\n")
    assert load_policy([path]).rotation.max_age_days == 30


def test_too_many_aliases_recursive_alias_and_deep_alias_chains(tmp_path: Path) -> None:
    many = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    assert (
        error_of(tmp_path, many)
        == f":2: b[{MAX_ALIASES}]: more than {MAX_ALIASES} aliases (*name); write the values out"
    )
    assert (
        error_of(tmp_path, "a: &a [*a]\n") == ":1: a[0]: alias *a refers to a node that contains it"
    )
    half = MAX_DEPTH // 2 + 1
    chain = f"a: &a {'[' * half}1{']' * half}\nb: {'[' * half}*a{']' * half}\n"
    assert (
        error_of(tmp_path, chain) == f":2: nested deeper than {MAX_DEPTH} levels (through alias *a)"
    )


def test_values_their_tag_cannot_build_name_line_and_key(tmp_path: Path) -> None:
    text = (
        "exceptions:\n  - match: {rule: x}\n    reason: r\n    owner: o\n    expires: 2024-02-30\n"
    )
    assert error_of(tmp_path, text) == ":5: exceptions[0].expires: not a valid timestamp value"
    assert error_of(tmp_path, "rotation:\n  max_age_days: !!int soon\n") == (
        ":2: rotation.max_age_days: not a valid int value"
    )
    assert error_of(tmp_path, "version: !!bool maybe\n") == ":1: version: not a valid bool value"


def test_control_characters_and_oversized_files(tmp_path: Path) -> None:
    assert error_of(tmp_path, "tags:\n  required: [a\x07]\n") == (
        ":2: invalid YAML: character U+0007 is not allowed"
    )
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (1024 * 1024) + b"\n")
    with pytest.raises(ConfigError, match=r"big\.yaml: larger than 1024 KiB"):
        load_policy([path])


def test_an_empty_policy_file_changes_nothing(tmp_path: Path) -> None:
    """An empty override file (or one of comments only) is the defaults, as the README says."""
    from hygiene.config import load_policy
    from hygiene.policy import Policy

    for text in ("", "# nothing yet\n"):
        empty = tmp_path / "team.yaml"
        empty.write_text(text)
        assert load_policy([str(empty)]) == Policy()
