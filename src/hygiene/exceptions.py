"""Policy exceptions: documented, expiring exemptions applied to findings after evaluation.

A live exception hides the findings it matches; an expired one stops applying and is itself
reported (rule ``exception-expired``), so an exemption never outlives its reason unnoticed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from hygiene.findings import Finding, Severity
from hygiene.policy import PolicyException


@dataclass
class Applied:
    """Findings after exceptions: what stays, what was suppressed, expired exceptions."""

    kept: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    expired: list[Finding] = field(default_factory=list)


def field_value(finding: Finding, key: str) -> Any:
    """A finding's value for an exception's match key: a contract field, then details; a dotted
    key reaches into a details mapping (``tags.Env`` is the value of the finding's ``Env`` tag)."""
    if key in ("repo", "path", "commit") and finding.location is not None:
        return getattr(finding.location, key)
    if key in Finding.model_fields and key not in ("details", "location"):
        value = getattr(finding, key)
        return value.value if hasattr(value, "value") else value
    if key not in finding.details and "." in key:  # "tags.Env": a key inside a details mapping
        head, rest = key.split(".", 1)
        nested = finding.details.get(head)
        return nested.get(rest) if isinstance(nested, dict) else None
    return finding.details.get(key)


def matches(exception: PolicyException, finding: Finding) -> bool:
    """True when every match key's glob matches the finding's value (case-sensitive)."""
    for key, pattern in exception.match.items():
        value = field_value(finding, key)
        if value is None:
            return False
        values = value if isinstance(value, list | tuple | set) else [value]
        if not any(fnmatchcase(str(v), pattern) for v in values):
            return False
    return True


def apply_exceptions(
    findings: Sequence[Finding], exceptions: Sequence[PolicyException], as_of: datetime
) -> Applied:
    """Split findings by the live exceptions; report the expired ones that still matched."""
    screen = ExceptionScreen(exceptions, as_of)
    result = Applied()
    for finding in findings:
        (result.kept if screen.keep(finding) else result.suppressed).append(finding)
    result.expired = screen.expired_findings()
    return result


class ExceptionScreen:
    """``apply_exceptions`` one finding at a time, for findings that stream in batches: live
    exceptions suppress, expired ones count what they still match (thread-safe)."""

    def __init__(self, exceptions: Sequence[PolicyException], as_of: datetime) -> None:
        today = as_of.date()
        self.live = [e for e in exceptions if e.expires >= today]
        self.expired = [e for e in exceptions if e.expires < today]
        self.suppressed = 0
        self._hits = [0] * len(self.expired)
        self._lock = threading.Lock()

    def keep(self, finding: Finding) -> bool:
        """False when a live exception covers ``finding``."""
        if any(matches(e, finding) for e in self.live):
            with self._lock:
                self.suppressed += 1
            return False
        hits = [i for i, exception in enumerate(self.expired) if matches(exception, finding)]
        if hits:
            with self._lock:
                for index in hits:
                    self._hits[index] += 1
        return True

    def expired_findings(self) -> list[Finding]:
        """One ``exception-expired`` finding per expired exception, with what it still matched."""
        return [expired_finding(e, self._hits[i]) for i, e in enumerate(self.expired)]


def expired_finding(exception: PolicyException, still_matching: int) -> Finding:
    """The finding that reports an expired exception."""
    match = ", ".join(f"{k}={v}" for k, v in sorted(exception.match.items()))
    return Finding.create(
        check="policy",
        rule="exception-expired",
        severity=Severity.LOW,
        resource=f"exception:{match}",
        message=(
            f"The exception for {match} expired on {exception.expires.isoformat()} "
            f"({still_matching} finding(s) it covered are reported again); renew it with a new "
            f"expiry or fix them. Owner: {exception.owner}."
        ),
        owner=exception.owner,
        details={
            "match": dict(exception.match),
            "reason": exception.reason,
            "expires": exception.expires.isoformat(),
            "still_matching": still_matching,
        },
    )
