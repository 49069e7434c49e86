"""SIGINT and SIGTERM: stop the run promptly, clean up, exit 130 / 143.

The CLI installs :func:`handle_signals` around a verb. A signal raises :class:`Interrupted` in the
main thread; ``finally`` blocks on the way out end worker processes and remove temporary spools.
Code that runs long in other threads polls :func:`cancelled` (set before the exception is raised)
or calls :func:`raise_if_cancelled`.

What a run starts that must not outlive it (a pool of worker processes) is registered with
:func:`register`; :func:`end_all` ends it all at once (the pipeline calls it when the run is
interrupted). As a last resort, a process still alive ``exit_grace`` seconds after the signal —
its interpreter waiting for a thread stuck in a cloud call or a C library — runs every cleanup,
including those registered ``last_resort=True`` (removing the process's spools, which a normal
exit removes itself), and leaves with ``os._exit`` and the same exit status.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from hygiene.exit_codes import ExitCode

log = logging.getLogger(__name__)

#: Seconds between a signal and the last-resort exit (the run promises to stop within 2 s).
EXIT_GRACE = 1.5

_cancel = threading.Event()
_signum: list[int] = [signal.SIGINT]
_lock = threading.RLock()
_cleanups: dict[int, tuple[Callable[[], None], bool]] = {}
_next_token = [0]
_watchdog: list[threading.Timer] = []


class Interrupted(BaseException):
    """The run was stopped by a signal (a BaseException, so ``except Exception`` lets it pass)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM (128 + the signal number)."""
        return ExitCode.TERMINATED if self.signum == signal.SIGTERM else ExitCode.INTERRUPTED


def cancelled() -> bool:
    """Whether a signal asked the run to stop (for loops in worker threads to poll)."""
    return _cancel.is_set()


def cancel(signum: int = signal.SIGINT) -> None:
    """Ask every thread of the run to stop, as the signal ``signum`` does."""
    _signum[0] = signum
    _cancel.set()


def reset() -> None:
    """Forget an earlier cancellation (a new run in the same process starts afresh)."""
    _cancel.clear()


def raise_if_cancelled() -> None:
    """Raise :class:`Interrupted` (with the signal received) once the run was cancelled."""
    if _cancel.is_set():
        raise Interrupted(_signum[0])


def register(cleanup: Callable[[], None], *, last_resort: bool = False) -> Callable[[], None]:
    """Have :func:`end_all` call ``cleanup`` (idempotent and quick; with ``last_resort`` only
    before the last-resort exit); returns the function that unregisters it."""
    with _lock:
        _next_token[0] += 1
        token = _next_token[0]
        _cleanups[token] = (cleanup, last_resort)

    def unregister() -> None:
        with _lock:
            _cleanups.pop(token, None)

    return unregister


def end_all(last_resort: bool = False) -> None:
    """Call the registered cleanups now (worker pools terminated; with ``last_resort`` also
    those kept for the last-resort exit, such as removing spools)."""
    with _lock:
        cleanups = [c for c, final in _cleanups.values() if last_resort or not final]
    for cleanup in cleanups:
        try:
            cleanup()
        except Exception:  # one failing cleanup must not keep the others from running
            log.debug("cleanup %r failed", cleanup, exc_info=True)


def _last_resort(signum: int) -> None:
    """Still alive after the grace period: clean up and leave without waiting for threads."""
    log.warning(
        "still running %.1f s after %s: ending now", EXIT_GRACE, signal.Signals(signum).name
    )
    end_all(last_resort=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed or broken stream: nothing more to say
            stream.flush()
    os._exit(128 + signum)


def _raiser(exit_grace: float | None) -> Callable[[int, FrameType | None], None]:
    def _raise(signum: int, _frame: FrameType | None) -> None:
        cancel(signum)
        if exit_grace is not None and not _watchdog:
            timer = threading.Timer(exit_grace, _last_resort, args=(signum,))
            timer.daemon = True
            timer.name = "hygiene-exit-watchdog"
            _watchdog.append(timer)
            timer.start()
        raise Interrupted(signum)

    return _raise


@contextmanager
def handle_signals(exit_grace: float | None = EXIT_GRACE) -> Iterator[None]:
    """Turn SIGINT/SIGTERM into :class:`Interrupted` in the main thread while the block runs.

    For a process's entry point: ``exit_grace`` seconds after a signal, a process that has not
    exited yet cleans up and exits with ``os._exit(128 + signal)``; ``None`` never does.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reset()
    handler = _raiser(exit_grace)
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
