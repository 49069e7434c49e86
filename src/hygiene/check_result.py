"""The outcome of one check in one run: what the pipeline produces and the store records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hygiene.findings import Finding

CheckStatus = Literal["ok", "skipped", "error"]


@dataclass
class CheckResult:
    """The outcome of one check in one run."""

    name: str
    status: CheckStatus
    reason: str = ""
    duration_s: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    scopes: list[str] | None = None
    finding_count: int = 0  # findings kept after exceptions (they live in the run's spool)

    def to_contract(self) -> dict[str, Any]:
        """The check's entry in the contract's ``run.checks``."""
        return {
            "status": self.status,
            "reason": self.reason,
            "duration_s": round(self.duration_s, 3),
            "stats": self.stats,
        }
