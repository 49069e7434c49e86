"""What flows between the stages of one run: the run's context and a collector's result."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hygiene.findings import Finding
from hygiene.policy import Policy

if TYPE_CHECKING:
    from hygiene.store import Store

CheckStatus = Literal["ok", "skipped", "error"]


@dataclass(frozen=True)
class RunContext:
    """Everything a collector may use. ``as_of`` is the run's one clock."""

    run_id: str
    as_of: datetime
    policy: Policy
    repos: tuple[Path, ...] = ()
    environ: Mapping[str, str] = field(default_factory=dict)
    store: Store | None = None
    cache_dir: Path = Path(".hygiene/cache")
    show_progress: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Collection:
    """What a collector returns: plain records, plus what it could not reach.

    ``errors`` name failed slices ("ec2 us-east-1 123456789012: AccessDenied"); any error makes
    the check ``error`` and the run ``incomplete`` while the records still get evaluated.
    ``scopes`` lists the repos/accounts fully covered; ``None`` means the whole check was covered.

    A collector over something large (the AWS inventory, many repositories) *streams*: it sets
    ``batches`` to an iterator of record lists (one slice, one repo) instead of ``records``, and
    the pipeline evaluates and spools each batch as it arrives, so the estate is never in memory
    at once. ``stats``, ``errors`` and ``scopes`` are final once ``batches`` is exhausted. Only a
    check whose evaluator judges each record on its own may stream.
    """

    records: Any = None
    stats: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    scopes: list[str] | None = None
    batches: Iterator[Any] | None = None

    def record_batches(self) -> Iterator[Any]:
        """The records batch by batch: the stream, or ``records`` as one batch."""
        return self.batches if self.batches is not None else iter([self.records])


Collector = Callable[[RunContext], Collection]
Evaluator = Callable[[Any, Policy, datetime], list[Finding]]


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
