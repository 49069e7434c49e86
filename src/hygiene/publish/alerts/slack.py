"""Slack incoming webhooks: one Block Kit message per run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hygiene.publish.alerts._http import post_json
from hygiene.publish.alerts.base import AlertBatch, AlertItem, where_of

MAX_ITEMS = 45  # Slack allows 50 blocks per message: header, context and the tail take 3
_EMOJI = {"new": ":rotating_light:", "reminder": ":hourglass:", "resolved": ":white_check_mark:"}


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _item_block(item: AlertItem) -> dict[str, Any]:
    f = item.finding
    label = {
        "new": "New",
        "reminder": f"Still open since {str(f.get('first_seen'))[:10]}",
        "resolved": "Resolved",
    }[item.kind]
    lines = [
        f"{_EMOJI[item.kind]} *{label}* · *{f['severity'].upper()}* · `{f['check']}/{f['rule']}`",
        f"`{escape(where_of(f))}`",
        escape(str(f["message"])),
    ]
    if f.get("owner"):
        lines.append(f"Owner: {escape(str(f['owner']))}")
    return {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}}


def message(batch: AlertBatch) -> dict[str, Any]:
    """The Block Kit message (with a plain ``text`` fallback for notifications)."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"hygiene: {batch.summary()}"[:150]},
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Run `{batch.run_id}` ({batch.run_status}) as of {batch.as_of}",
                }
            ],
        },
    ]
    for item in batch.items[:MAX_ITEMS]:
        blocks.append(_item_block(item))
    if len(batch.items) > MAX_ITEMS:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"… and {len(batch.items) - MAX_ITEMS} more; see the run's report.",
                    }
                ],
            }
        )
    return {"text": batch.subject(), "blocks": blocks}


@dataclass
class SlackChannel:
    """Posts to a Slack incoming-webhook URL taken from the environment."""

    name: str
    url: str
    timeout: float = 15.0

    def send(self, batch: AlertBatch) -> None:
        """Deliver the batch as one Slack message."""
        post_json(self.url, message(batch), channel=self.name, timeout=self.timeout)
