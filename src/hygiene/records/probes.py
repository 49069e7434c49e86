"""What a live probe of a service returns (``sources/probes.py``) and the probes check judges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProbeResult:
    """One GET of one service's path. ``status`` is None when no HTTP answer came back."""

    service: str
    url: str
    path: str
    status: int | None
    latency_ms: float | None
    error: str | None = None
    is_metrics: bool = False
    metric_families: int | None = None  # /metrics: families parsed (None: not parsed)
    parse_error: str | None = None
    project: str | None = None
    owner: str | None = None
    env: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300
