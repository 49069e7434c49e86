"""RunMemo: what several checks of one run read from the same source is read once, in whichever
thread asks first; the others wait for it; a failed read is not kept."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from hygiene.context import RunContext, RunMemo
from hygiene.policy import Policy


def test_one_read_per_key_shared_by_every_thread() -> None:
    memo = RunMemo()
    started, release = threading.Event(), threading.Event()
    reads: list[str] = []

    def read() -> list[str]:
        reads.append(threading.current_thread().name)
        started.set()
        release.wait(5)  # the other callers arrive while this read is still running
        return ["billing"]

    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(memo.once, "gcp", read)
        started.wait(5)
        others = [pool.submit(memo.once, "gcp", read) for _ in range(2)]
        release.set()
        values = [first.result(), *(f.result() for f in others)]
    assert len(reads) == 1
    assert all(v is values[0] for v in values)
    assert memo.once("other", lambda: 2) == 2  # another key is its own read


def test_a_failed_read_is_not_kept() -> None:
    memo = RunMemo()

    def fail() -> int:
        raise RuntimeError("denied")

    with pytest.raises(RuntimeError, match="denied"):
        memo.once("gcp", fail)
    assert memo.once("gcp", lambda: 7) == 7
    assert memo.once("gcp", lambda: 8) == 7


def test_each_run_context_has_its_own_memo() -> None:
    as_of = datetime(2026, 11, 20, tzinfo=UTC)
    one = RunContext(run_id="a", as_of=as_of, policy=Policy())
    two = RunContext(run_id="b", as_of=as_of, policy=Policy())
    one.memo.once("k", lambda: "one")
    assert two.memo.once("k", lambda: "two") == "two"
