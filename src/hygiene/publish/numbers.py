"""Numbers as the run's documents carry them (decimal strings), read back for the report."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def decimal(value: Any) -> Decimal | None:
    """A decimal string (or number) as Decimal; None when absent or not a number."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
