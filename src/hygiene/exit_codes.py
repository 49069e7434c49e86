"""The exit codes of every ``hygiene`` verb: one table, so CI can tell findings from a crash.

``FINDINGS`` (1) means only "findings at or above --fail-on"; a crash is never 1.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a ``hygiene`` process's exit status means."""

    CLEAN = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on
    USAGE = 2  # usage or configuration error, bad input: nothing ran or nothing was written
    INCOMPLETE = (
        3  # incomplete: a check errored, nothing was audited, an alert undelivered, a crash
    )
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM
