"""What the provider modules share: reading a provider's JSON answer, and the common mapping of
an HTTP status to a verdict."""

from __future__ import annotations

import json
from typing import Any

from hygiene.sources.validate.base import State
from hygiene.sources.validate.http import Response

USER_AGENT = "hygiene-secrets-validate"


def by_status(
    response: Response, live: tuple[int, ...] = (200,), dead: tuple[int, ...] = (401,)
) -> State:
    """``true`` for a ``live`` status, ``false`` for a ``dead`` one, else ``unknown``."""
    if response.status in live:
        return "true"
    if response.status in dead:
        return "false"
    return "unknown"


def json_body(response: Response) -> dict[str, Any]:
    """The answer's JSON object ({} when it is not one)."""
    try:
        data = json.loads(response.body.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
