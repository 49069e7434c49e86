"""What the provider modules share: reading a provider's JSON answer, and the common mapping of
an HTTP status to a verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hygiene.sources.validate.base import Client, Outcome, State
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


def bearer_get(
    path: str, live: tuple[int, ...] = (200,), dead: tuple[int, ...] = (401,)
) -> Callable[[str, str, int, Client], Outcome]:
    """A provider's ``check``: ``GET path`` with the token as a bearer token, judged by the
    answer's status (:func:`by_status`)."""

    def check(token: str, text: str, at: int, client: Client) -> Outcome:
        headers = {"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT}
        return Outcome(by_status(client.http.request("GET", path, headers), live, dead))

    return check
