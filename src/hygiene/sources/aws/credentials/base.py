"""Shared pieces of the AWS credential sources: their logger, tags, dates and error codes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions

from hygiene.findings import iso_z

# One logger for the whole package, named as the single module it was split from, so log lines
# (their ``logger`` field) and anything filtering on that name stay the same.
log = logging.getLogger("hygiene.sources.aws.credentials")


def tag_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{Key, Value}]`` (any key case) as a dict."""
    result: dict[str, str] = {}
    for item in tags or ():
        key = item.get("Key", item.get("key", item.get("TagKey")))
        value = item.get("Value", item.get("value", item.get("TagValue")))
        if key is not None:
            result[str(key)] = "" if value is None else str(value)
    return result


def utc(moment: datetime) -> datetime:
    """``moment``, read as UTC when it has no time zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso(value: Any) -> str | None:
    """A datetime as ``…Z`` text; None for anything else (a missing date)."""
    return iso_z(value) if isinstance(value, datetime) else None


def error_code(exc: botocore.exceptions.ClientError) -> str:
    """The AWS error code of a failed call (``NoSuchEntity``, ``AccessDenied``, …)."""
    return str(exc.response.get("Error", {}).get("Code", ""))
