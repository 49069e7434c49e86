"""The one expected-error type. The CLI prints its message without a traceback and exits 2."""

from __future__ import annotations


class HygieneError(Exception):
    """A problem a person can act on: bad input, bad configuration, a busy state file.

    The message names the file, line and key where it can, and says what to do.
    """

    exit_code = 2


class ConfigError(HygieneError):
    """A policy file or environment variable is invalid."""


class StateLockedError(HygieneError):
    """Another hygiene run holds the state database."""


class CheckSkipped(Exception):
    """Raised by a collector when its check cannot run here (no credentials, no repo)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
