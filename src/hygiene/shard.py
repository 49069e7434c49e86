"""Shards: a deterministic, balanced share of a run's work units for ``audit --shard I/N``.

Work units are AWS fan-out slices (account × region × service) and repositories. Every shard
plans the same full list of units (discovery is repeated, it is cheap), orders it by a SHA-256 of
each unit's key and keeps the units whose rank is ``index`` modulo ``count``: every unit lands in
exactly one shard, and shard sizes differ by at most one.

Which checks are partitioned, and how (``CheckSpec.partition``): the AWS parts of the cloud checks by
slice, the repository checks by repository. Every other check — and every part that is not a
slice (GCP, billing, probes, exceptions) — runs on shard 0 only, so the union of the shards is the
unsharded run by construction (``hygiene.merge`` combines the documents).
"""

from __future__ import annotations

import contextvars
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from hygiene.errors import HygieneError
from hygiene.policy import Policy

T = TypeVar("T")


_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise HygieneError(
                f"--shard {self.index}/{self.count}: expected I/N with N >= 1 and 0 <= I < N "
                "(e.g. 0/4 … 3/4)"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, value: str) -> Shard:
        """``"I/N"`` → ``Shard(I, N)``; a usage error names the expected form."""
        match = _SPEC.match(value or "")
        if not match:
            raise HygieneError(f"--shard {value!r}: expected I/N, e.g. 0/4 (shards 0 … N-1 of N)")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def first(self) -> bool:
        """Shard 0 also runs everything that is not partitioned."""
        return self.index == 0

    def take(self, units: Iterable[T], key: Callable[[T], str] = str) -> list[T]:
        """This shard's share of ``units``, in their original order."""
        return _take(self, list(units), key)

    def runs(self, partition: str | None) -> bool:
        """Whether a check partitioned so (``CheckSpec.partition``) runs on this shard: a
        partitioned one on every shard (its share), any other on shard 0 only."""
        return partition is not None or self.first

    def to_contract(self) -> dict[str, int]:
        """The ``run.shard`` object of a partial document."""
        return {"index": self.index, "count": self.count}


def policy_fingerprint(policy: Policy) -> str:
    """A digest of the policy, so a merge refuses shards run under another policy."""
    return hashlib.sha256(policy.model_dump_json().encode("utf-8")).hexdigest()[:16]


def _take(shard: Shard, units: list[T], key: Callable[[T], str]) -> list[T]:
    if shard.count == 1:
        return units
    ranked = sorted(range(len(units)), key=lambda i: (_digest(key(units[i])), key(units[i]), i))
    mine = {position for rank, position in enumerate(ranked) if rank % shard.count == shard.index}
    return [unit for position, unit in enumerate(units) if position in mine]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assign(keys: Iterable[str], count: int) -> dict[str, int]:
    """Which shard each unit key goes to (for inspection and tests)."""
    units = list(keys)
    owner: dict[str, int] = {}
    for index in range(count):
        for key in Shard(index, count).take(units):
            owner[key] = index
    return owner


# The shard that applies to the AWS fan-out of the check running in this context (set by the
# pipeline around a partitioned check only; unset means "all units").
_active: contextvars.ContextVar[Shard | None] = contextvars.ContextVar(
    "hygiene_shard", default=None
)


def active() -> Shard | None:
    """The shard whose share of AWS slices the current check takes, if any."""
    return _active.get()


@contextmanager
def partitioning(shard: Shard | None) -> Iterator[None]:
    """Within this block, ``AwsScope.fan_out`` keeps only ``shard``'s slices."""
    token = _active.set(shard)
    try:
        yield
    finally:
        _active.reset(token)


def first_only() -> bool:
    """True unless the current check runs as a non-zero shard: parts that are not AWS slices
    (e.g. a cloud check's GCP half) run only where this is true."""
    shard = _active.get()
    return shard is None or shard.first
