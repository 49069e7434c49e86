"""A generic JSON webhook: one POST per run with every alert for the channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hygiene.publish.alerts._http import post_json
from hygiene.publish.alerts.base import AlertBatch

SCHEMA = "hygiene.alerts/v1"


def payload(batch: AlertBatch) -> dict[str, Any]:
    """The webhook's JSON document."""
    return {
        "schema": SCHEMA,
        "channel": batch.channel,
        "run": {"id": batch.run_id, "as_of": batch.as_of, "status": batch.run_status},
        "summary": batch.summary(),
        "alerts": [item.public() for item in batch.items],
    }


@dataclass
class WebhookChannel:
    """POSTs ``payload(batch)`` to a URL taken from the environment."""

    name: str
    url: str
    timeout: float = 15.0

    def send(self, batch: AlertBatch) -> None:
        """Deliver the batch as one JSON POST."""
        post_json(self.url, payload(batch), channel=self.name, timeout=self.timeout)
