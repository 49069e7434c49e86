"""Logging: JSON lines on stderr carrying the run's correlation id (``run_id``), or plain text.

The library only calls ``logging``; this module is set up once by the CLI.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

run_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("hygiene_run_id", default="")
check_var: contextvars.ContextVar[str] = contextvars.ContextVar("hygiene_check", default="")


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = run_id_var.get()
        if not getattr(record, "check", None):
            record.check = check_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, run_id, check, logger, message (+ extras)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "run_id": getattr(record, "run_id", ""),
            "check": getattr(record, "check", ""),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging(fmt: str = "json", level: str = "INFO") -> None:
    """Route the ``hygiene`` loggers to stderr in ``json`` or ``text`` format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s [%(check)s] %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger("hygiene")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    for noisy in ("botocore", "boto3", "urllib3", "google"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def setup_sentry(dsn: str | None, release: str) -> bool:
    """Enable sentry-sdk error reporting when ``SENTRY_DSN`` is set. Returns whether enabled."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(dsn=dsn, release=f"hygiene@{release}", send_default_pii=False)
    return True
