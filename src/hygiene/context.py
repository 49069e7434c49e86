"""What flows between the stages of one run: the run's context and a collector's result."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from hygiene.check_result import CheckResult, CheckStatus
from hygiene.findings import Finding
from hygiene.policy import Policy

if TYPE_CHECKING:
    from hygiene.store import Store

__all__ = [  # CheckResult and CheckStatus are re-exported: their home is hygiene.check_result
    "CheckResult",
    "CheckStatus",
    "Collection",
    "Collector",
    "Evaluator",
    "RunContext",
    "RunMemo",
    "Tally",
    "TallyFactory",
]

T = TypeVar("T")


class RunMemo:
    """Reads shared by the checks of one run (they run in threads): ``once(key, read)`` calls
    ``read`` for the first caller of ``key`` and hands every later caller the same value; a caller
    that arrives while it is being read waits for it. A read that raises is not kept, so the next
    caller reads again and reports its own failure. Values must not be mutated by their users.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[threading.Lock, list[Any]]] = {}

    def once(self, key: Hashable, read: Callable[[], T]) -> T:
        """The value of ``key``, read by ``read`` if no caller has read it yet."""
        with self._lock:
            lock, box = self._entries.setdefault(key, (threading.Lock(), []))
        with lock:
            if not box:
                box.append(read())
            value: T = box[0]
            return value


@dataclass(frozen=True)
class RunContext:
    """Everything a collector may use. ``as_of`` is the run's one clock; ``memo`` holds what
    several checks read from the same source (GCP billing), read once per run."""

    run_id: str
    as_of: datetime
    policy: Policy
    repos: tuple[Path, ...] = ()
    environ: Mapping[str, str] = field(default_factory=dict)
    store: Store | None = None
    cache_dir: Path = Path(".hygiene/cache")
    show_progress: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    memo: RunMemo = field(default_factory=RunMemo, compare=False, repr=False)


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


class Tally(Protocol):
    """Stats that need a check's rules, counted beside ``evaluate``: the pipeline hands it each
    batch of records with the findings kept for it (after the policy's exceptions), so a figure
    such as tag compliance is read off the one evaluation instead of judging the records again."""

    def add(self, records: Any, findings: Sequence[Finding]) -> None:
        """Count one batch of records and the findings kept for it."""

    def stats(self) -> dict[str, Any]:
        """The figures, merged into the check's ``stats`` when the check ends."""


TallyFactory = Callable[[Policy, datetime], Tally]
