"""POST a JSON document; any failure becomes ``DeliveryError`` (never naming the URL, which is a
secret for Slack and most webhooks)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from hygiene.publish.alerts.base import DeliveryError


def post_json(url: str, payload: dict[str, Any], *, channel: str, timeout: float = 15.0) -> None:
    """POST ``payload`` as JSON to ``url``; raise ``DeliveryError`` unless the answer is 2xx."""
    body = json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "hygiene-alerts"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"channel {channel}: the receiver answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"channel {channel}: could not reach the receiver ({reason})") from None
