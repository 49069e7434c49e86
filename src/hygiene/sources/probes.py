"""Live probes: GET each configured service's paths with a timeout; parse ``/metrics`` with
``prometheus_client.parser``. Read-only (GET), no retries: a probe reports what a load balancer
would see right now."""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from hygiene.policy import ProbeService
from hygiene.records.probes import ProbeResult

MAX_BODY = 5_000_000  # bytes of /metrics read at most


def parse_metrics(text: str) -> tuple[int | None, str | None]:
    """(metric families, None) when ``text`` parses as Prometheus exposition, else (None, error)."""
    try:
        return sum(1 for _ in text_string_to_metric_families(text)), None
    except (ValueError, TypeError, IndexError) as exc:
        return None, f"{type(exc).__name__}: {str(exc)[:200]}"


def probe(
    service: ProbeService, path: str, timeout: float, metrics_path: str = "/metrics"
) -> ProbeResult:
    """One GET; never raises for network problems (they become ``error``)."""
    url = service.url.rstrip("/") + path
    shown = without_userinfo(url)  # findings never carry credentials written into a URL
    is_metrics = path == metrics_path

    def result(status: int | None, latency_ms: float | None, **extra: Any) -> ProbeResult:
        return ProbeResult(
            service=service.name,
            url=shown,
            path=path,
            status=status,
            latency_ms=latency_ms,
            is_metrics=is_metrics,
            project=service.project,
            owner=service.owner,
            env=service.env,
            **extra,
        )

    request = urllib.request.Request(
        url, headers={"User-Agent": "hygiene-probe", "Accept": "text/plain"}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(MAX_BODY if is_metrics else 65536)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return result(exc.code, (time.perf_counter() - started) * 1000)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
            return result(None, None, error=f"timed out after {timeout:g}s")
        return result(None, None, error=f"{type(reason).__name__}: {reason}")
    latency = (time.perf_counter() - started) * 1000
    if is_metrics and 200 <= status < 300:
        families, parse_error = parse_metrics(body.decode("utf-8", "replace"))
        return result(status, latency, metric_families=families, parse_error=parse_error)
    return result(status, latency)


def probe_all(
    services: list[ProbeService],
    timeout: float,
    metrics_path: str = "/metrics",
    max_workers: int = 8,
) -> list[ProbeResult]:
    """Every path of every service, concurrently; results in policy order."""
    jobs = [(s, p) for s in services for p in s.paths]
    if not jobs:
        return []
    with ThreadPoolExecutor(
        max_workers=min(max_workers, len(jobs)), thread_name_prefix="probe"
    ) as pool:
        return list(pool.map(lambda job: probe(job[0], job[1], timeout, metrics_path), jobs))


def without_userinfo(url: str) -> str:
    """``https://user:secret@host:8443/x`` → ``https://host:8443/x``."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
