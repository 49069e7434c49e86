"""Run the engine over many texts across processes.

Work is sent in batches of about ``BATCH_BYTES`` so small files do not pay one round trip each.
Workers are forked (see ``_context``); the engine is configured before the fork so they start
ready. Small jobs run in-process: starting workers costs more than it saves.

Workers never outlive the run: they ignore SIGINT (a Ctrl-C reaches the whole process group; the
parent decides), die on SIGTERM, and on Linux get SIGKILL when the thread that started them ends
(``PR_SET_PDEATHSIG``), so even a SIGKILLed parent leaves none behind. When the run is cancelled
(:mod:`hygiene.interrupts`) the pool is terminated within ``POLL_S`` seconds, not drained.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from hygiene import interrupts
from hygiene.scan.engine import (
    ENGINES,
    ContentResult,
    EngineConfig,
    configure,
    engine_lock,
    scan_bytes,
)

BATCH_BYTES = 512 * 1024
IN_PROCESS_BYTES = 1024 * 1024
#: How often a waiting scan checks whether the run was cancelled (seconds).
POLL_S = 0.2
_PR_SET_PDEATHSIG = 1

#: (key, path used for the scan, content)
Item = tuple[str, str, bytes]


def prepare(config: EngineConfig) -> None:
    """Ready every engine of ``config`` in this process (detect-secrets' settings, which file-name
    filters always need, and each engine module's ``prepare()`` when it has one: Kingfisher
    compiles its rules), so forked workers inherit them instead of each doing it again."""
    with engine_lock():  # no worker is forked while an engine is half-built
        configure()
        for name in config.engines:
            module, _, _ = ENGINES[name].partition(":")
            ready = getattr(importlib.import_module(module), "prepare", None)
            if ready is not None:
                ready()


def prepare_soon(config: EngineConfig) -> Callable[[], None]:
    """Start :func:`prepare` in a thread (Kingfisher compiles its rules without holding the
    GIL, so that overlaps listing the history); returns the function that waits for it. A scan
    that starts first waits for the same engines' locks, never compiles twice."""
    thread = threading.Thread(target=prepare, args=(config,), name="engine-prepare", daemon=True)
    thread.start()
    return thread.join


def _scan_batch(batch: list[Item], config: EngineConfig) -> list[tuple[str, dict[str, object]]]:
    return [(key, scan_bytes(content, path, config).to_json()) for key, path, content in batch]


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item[2])
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where there is one: workers inherit the configured engine and start at once,
    and the caller's ``__main__`` is not re-imported (``spawn``/``forkserver`` do, which breaks
    scripts without a main guard). The children only run the scanner, never the caller's
    threads' code."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _init_worker(parent: int) -> None:
    """In each worker: leave SIGINT to the parent, die on SIGTERM and with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def terminate(pool: ProcessPoolExecutor, wait_s: float = 0.0) -> None:
    """End ``pool``'s workers now (SIGTERM, then SIGKILL after ``wait_s``) and drop its queue."""
    stop = getattr(pool, "terminate_workers", None)  # Python 3.14+
    processes = list((getattr(pool, "_processes", None) or {}).values())
    if stop is not None:
        stop()
    else:
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
    with contextlib.suppress(Exception):
        pool.shutdown(wait=False, cancel_futures=True)
    for process in processes if wait_s > 0 else ():
        with contextlib.suppress(Exception):
            process.join(wait_s)
            if process.is_alive():
                process.kill()


def worker_count(configured: int) -> int:
    """``configured`` processes, or one per CPU when it is 0."""
    return configured if configured > 0 else max(os.cpu_count() or 1, 1)


def scan_items(
    items: Iterable[Item],
    config: EngineConfig,
    workers: int = 0,
    on_done: Callable[[int], None] | None = None,
    total_bytes: int | None = None,
) -> Iterator[tuple[str, ContentResult]]:
    """Scan every item; yields ``(key, result)`` in completion order. ``on_done(n)`` reports
    progress in items. ``items`` may be a lazy stream; pass ``total_bytes`` then (it decides
    whether worker processes are worth starting)."""
    workers = worker_count(workers)
    if total_bytes is None:
        items = list(items)
        total_bytes = sum(len(i[2]) for i in items)
    if workers == 1 or total_bytes < IN_PROCESS_BYTES:
        for key, path, content in items:
            interrupts.raise_if_cancelled()
            yield key, scan_bytes(content, path, config)
            if on_done:
                on_done(1)
        return
    prepare(config)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_context(),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    unregister = interrupts.register(lambda: terminate(pool))
    try:
        yield from _scan_in(pool, items, config, workers, on_done)
    except BaseException:  # cancelled, interrupted, a worker died, or the consumer stopped
        terminate(pool, wait_s=1.0)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        unregister()


def _scan_in(
    pool: ProcessPoolExecutor,
    items: Iterable[Item],
    config: EngineConfig,
    workers: int,
    on_done: Callable[[int], None] | None,
) -> Iterator[tuple[str, ContentResult]]:
    # Start every worker before ``items`` is first pulled: a lazy stream may open pipes
    # (``git cat-file``) that forked workers must not inherit, or git never sees EOF.
    # Fork them while no other thread of this process is inside an engine (engine_lock).
    with engine_lock():
        pool.submit(int).result()
    pending: set[Future[list[tuple[str, dict[str, object]]]]] = set()
    batches = _batches(items)
    for batch in batches:
        pending.add(pool.submit(_scan_batch, batch, config))
        if len(pending) >= workers * 3:
            break
    while pending:
        interrupts.raise_if_cancelled()
        done, pending = wait(pending, timeout=POLL_S, return_when=FIRST_COMPLETED)
        for future in done:
            results = future.result()
            for key, data in results:
                yield key, ContentResult.from_json(data)
            if on_done:
                on_done(len(results))
            nxt = next(batches, None)
            if nxt is not None:
                pending.add(pool.submit(_scan_batch, nxt, config))
