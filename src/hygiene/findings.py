"""Finding, Severity and fingerprints: the findings JSON contract (DESIGN.md).

A finding's ``id`` is a stable fingerprint of *what* is wrong, never of *where on the page* it is:
the same problem gives the same id across runs and machines. Repo findings are keyed by the repo's
name and the path, never the line number, so editing lines above a secret does not make it "new".
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "hygiene.findings/v1"


class Severity(StrEnum):
    """Finding severity, ordered from most to least serious."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info: compare with ``>=``."""
        return _RANK[self]

    def at_least(self, other: Severity) -> bool:
        """True when this severity is ``other`` or more serious."""
        return self.rank >= other.rank


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Location(BaseModel):
    """Where in a repository a finding sits."""

    model_config = ConfigDict(extra="forbid")

    repo: str
    path: str
    line: int | None = None
    commit: str | None = None


def fingerprint(*parts: object) -> str:
    """A stable 20-hex-digit id for the identity ``parts`` (check, rule, resource, ...)."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def secret_hash(value: str) -> str:
    """SHA-256 of a secret value: the only form of a secret that may leave ``scan/``."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def redact(value: str, keep: int = 4) -> str:
    """At most the first ``keep`` (≤ 4) characters of a secret, then an ellipsis."""
    keep = min(keep, 4, max(len(value) // 4, 0))
    return value[:keep] + "…"


class Finding(BaseModel):
    """One problem found by one check. Serialises to the findings contract."""

    model_config = ConfigDict(extra="forbid")

    id: str
    check: str
    rule: str
    severity: Severity
    resource: str
    message: str
    location: Location | None = None
    owner: str | None = None
    project: str | None = None
    env: str | None = None
    first_seen: datetime | None = None
    status: Literal["new", "open"] | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def create(
        cls,
        *,
        check: str,
        rule: str,
        severity: Severity | str,
        resource: str,
        message: str,
        identity: tuple[object, ...] = (),
        **fields: Any,
    ) -> Finding:
        """Build a finding whose id is the fingerprint of check, rule, resource and ``identity``.

        ``identity`` holds what else tells two problems on one resource apart (a tag key, a
        secret's hash); it must never hold a line number or a timestamp.
        """
        return cls(
            id=fingerprint(check, rule, resource, *identity),
            check=check,
            rule=rule,
            severity=Severity(severity),
            resource=resource,
            message=message,
            **fields,
        )

    @property
    def scope(self) -> str:
        """What a run must have covered to call this finding resolved: its repo or account."""
        if self.location is not None:
            return self.location.repo
        account = self.details.get("account")
        return str(account) if account else ""

    def to_contract(self) -> dict[str, Any]:
        """The finding as the contract's JSON object (datetimes as ...Z strings)."""
        data = self.model_dump(mode="json")
        if self.first_seen is not None:
            data["first_seen"] = iso_z(self.first_seen)
        return data


def iso_z(moment: datetime) -> str:
    """An aware datetime as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""

    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
