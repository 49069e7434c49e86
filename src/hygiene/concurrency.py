"""A bounded fan-out shared by the cloud sources: results as they finish, never far ahead.

``as_finished(items, work, workers)`` runs ``work`` on the items in a thread pool and yields each
``(item, future)`` as soon as it is done, keeping at most twice the pool's size of items
submitted but not yet taken. A slow consumer (the pipeline evaluating and spooling each slice)
therefore throttles the listing instead of letting finished results pile up in memory.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def as_finished(
    items: Iterable[T], work: Callable[[T], R], workers: int, thread_name_prefix: str
) -> Iterator[tuple[T, Future[R]]]:
    """Each item with its finished future (``future.result()`` returns or raises), in finishing
    order, with at most ``2 * workers`` items in flight or waiting to be taken."""
    pending = iter(items)
    window = 2 * max(1, workers)
    with ThreadPoolExecutor(
        max_workers=max(1, workers), thread_name_prefix=thread_name_prefix
    ) as pool:
        running: dict[Future[R], T] = {}

        def refill() -> None:
            for item in itertools.islice(pending, window - len(running)):
                running[pool.submit(work, item)] = item

        refill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield running.pop(future), future
            refill()
