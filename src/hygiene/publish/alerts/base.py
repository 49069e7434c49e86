"""The alert channel interface: what one delivery carries, and the Protocol channels implement.

A channel turns one ``AlertBatch`` (every alert of one run for that channel) into one message and
delivers it, raising ``DeliveryError`` when it could not. Alerts carry the finding's contract
fields but never its ``details``: nothing beyond the message, resource and location leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

AlertKind = Literal["new", "reminder", "resolved"]

#: The finding fields an alert carries (``details`` deliberately left out).
ALERT_FIELDS = (
    "id",
    "check",
    "rule",
    "severity",
    "resource",
    "message",
    "location",
    "owner",
    "project",
    "env",
    "first_seen",
)


class DeliveryError(Exception):
    """A channel could not deliver a batch (network, HTTP status, SMTP refusal)."""


@dataclass(frozen=True)
class AlertItem:
    """One finding to announce, and why: ``new``, a ``reminder`` that it is still open, or
    ``resolved``."""

    kind: AlertKind
    finding: dict[str, Any]

    @property
    def finding_id(self) -> str:
        """The finding's stable id."""
        return str(self.finding["id"])

    def public(self) -> dict[str, Any]:
        """The alert as JSON: its kind plus the finding's public fields."""
        return {"kind": self.kind, **{k: self.finding.get(k) for k in ALERT_FIELDS}}


@dataclass(frozen=True)
class AlertBatch:
    """Everything one channel is sent for one run."""

    channel: str
    run_id: str
    as_of: str
    run_status: str
    items: list[AlertItem] = field(default_factory=list)

    def count(self, kind: AlertKind) -> int:
        """How many items are of ``kind``."""
        return sum(1 for item in self.items if item.kind == kind)

    def summary(self) -> str:
        """``2 new, 1 reminder, 1 resolved`` (kinds with no item left out)."""
        parts = [f"{self.count(k)} {k}" for k in ("new", "reminder", "resolved") if self.count(k)]
        return ", ".join(parts) or "nothing"

    def subject(self) -> str:
        """A one-line title for the batch."""
        return f"hygiene: {self.summary()} finding(s) as of {self.as_of[:10]}"


class Channel(Protocol):
    """An alert destination. ``name`` is the policy channel's name (the dedup key)."""

    name: str

    def send(self, batch: AlertBatch) -> None:
        """Deliver ``batch`` or raise ``DeliveryError``."""


def describe(item: AlertItem) -> str:
    """One plain-text line for an alert: kind, severity, where, and the message."""
    f = item.finding
    label = {"new": "NEW", "reminder": "STILL OPEN", "resolved": "RESOLVED"}[item.kind]
    where = where_of(f)
    owner = f" (owner: {f['owner']})" if f.get("owner") else ""
    since = f" since {str(f.get('first_seen'))[:10]}" if item.kind == "reminder" else ""
    return f"[{label}{since}] {f['severity'].upper()} {f['check']}/{f['rule']} {where}{owner}: {f['message']}"


def where_of(finding: dict[str, Any]) -> str:
    """``repo:path:line`` for repo findings, else the resource."""
    loc = finding.get("location")
    if loc:
        line = f":{loc['line']}" if loc.get("line") else ""
        return f"{loc['repo']}:{loc['path']}{line}"
    return str(finding["resource"])
