"""A bounded fan-out shared by the cloud sources: results as they finish, never far ahead.

``as_finished(items, work, workers)`` runs ``work`` on the items in a thread pool and yields each
``(item, future)`` as soon as it is done, keeping at most twice the pool's size of items
submitted but not yet taken. A slow consumer (the pipeline evaluating and spooling each slice)
therefore throttles the listing instead of letting finished results pile up in memory.

When the run is cancelled (:mod:`hygiene.interrupts`) or the consumer stops, the queued items are
dropped and the pool is not waited for: only the calls already in flight finish, in the
background.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from hygiene import interrupts

T = TypeVar("T")
R = TypeVar("R")

#: How often a waiting fan-out checks whether the run was cancelled (seconds).
POLL_S = 0.2


def as_finished(
    items: Iterable[T], work: Callable[[T], R], workers: int, thread_name_prefix: str
) -> Iterator[tuple[T, Future[R]]]:
    """Each item with its finished future (``future.result()`` returns or raises), in finishing
    order, with at most ``2 * workers`` items in flight or waiting to be taken."""
    pending = iter(items)
    window = 2 * max(1, workers)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=thread_name_prefix)
    running: dict[Future[R], T] = {}

    def refill() -> None:
        for item in itertools.islice(pending, window - len(running)):
            running[pool.submit(work, item)] = item

    try:
        refill()
        while running:
            interrupts.raise_if_cancelled()
            done, _ = wait(running, timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future
            refill()
    except BaseException:  # cancelled, or the consumer stopped: do not wait for the queue
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
