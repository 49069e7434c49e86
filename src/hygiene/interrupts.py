"""SIGINT and SIGTERM: stop the run promptly, clean up, exit 130 / 143.

The CLI installs :func:`handle_signals` around a verb. A signal raises :class:`Interrupted` in the
main thread; ``finally`` blocks on the way out end worker processes and remove temporary spools.
Code that runs long in other threads polls :func:`cancelled` (set before the exception is raised).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from hygiene.exit_codes import ExitCode

_cancel = threading.Event()


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


def _raise(signum: int, _frame: FrameType | None) -> None:
    _cancel.set()
    raise Interrupted(signum)


@contextmanager
def handle_signals() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into :class:`Interrupted` in the main thread while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
