"""Which findings a channel should hear about in this run: a pure function of the findings,
the channel's routing, the delivery history and ``as_of``.

A finding alerts when it is new (no delivery since its current ``first_seen``), again as a
``reminder`` once ``reminder_days`` have passed since the last delivery while it stays open, and
once as ``resolved`` after it was resolved — only if the channel had been told about it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from hygiene.findings import Severity, iso_z
from hygiene.policy import AlertChannel
from hygiene.publish.alerts.base import AlertItem

History = Mapping[str, Sequence[tuple[str, str]]]  # finding id -> [(kind, sent_at)], oldest first


def routed(channel: AlertChannel, finding: Mapping[str, Any]) -> bool:
    """True when the finding's severity and Owner are ones this channel takes (an owner named
    in any case, with or without a leading ``@``)."""
    if not Severity(finding["severity"]).at_least(channel.min_severity):
        return False
    if not channel.owners:
        return True
    owner = finding.get("owner")
    return bool(owner) and _name(str(owner)) in {_name(o) for o in channel.owners}


def _name(value: str) -> str:
    return value.strip().lower().lstrip("@")


def plan_channel(
    channel: AlertChannel,
    *,
    current: Iterable[Mapping[str, Any]],
    resolved: Iterable[Mapping[str, Any]],
    history: History,
    as_of: datetime,
    reminder_days: int,
) -> list[AlertItem]:
    """The alerts ``channel`` gets: ``current`` are this run's findings (contract objects),
    ``resolved`` findings resolved by now (any run), ``history`` the channel's deliveries."""
    due = iso_z(as_of - timedelta(days=reminder_days))
    items: list[AlertItem] = []
    for finding in current:
        if not routed(channel, finding):
            continue
        first_seen = str(finding.get("first_seen") or "")
        told = [
            at
            for kind, at in history.get(finding["id"], ())
            if kind != "resolved" and at >= first_seen
        ]
        if not told:
            items.append(AlertItem("new", dict(finding)))
        elif told[-1] <= due:
            items.append(AlertItem("reminder", dict(finding)))
    for finding in resolved:
        if not routed(channel, finding):
            continue
        sends = list(history.get(finding["id"], ()))
        opened = [at for kind, at in sends if kind != "resolved"]
        if not opened:
            continue
        if any(kind == "resolved" and at >= opened[-1] for kind, at in sends):
            continue
        items.append(AlertItem("resolved", dict(finding)))
    return items
