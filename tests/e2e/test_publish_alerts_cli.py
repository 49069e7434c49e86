"""``hygiene audit --alert / --dry-run / --metrics-file`` through the installed CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fixtures.publish.servers import http_receiver

pytestmark = pytest.mark.e2e

POLICY = """\
alerts:
  channels:
    - name: hook
      type: webhook
      url_env: HOOK_URL
      min_severity: low
exceptions:
  - match: {rule: missing-tag}
    reason: legacy buckets
    owner: platform
    expires: 2026-01-31
"""


def audit(tmp_path: Path, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return run_cli(
        "audit",
        "--config",
        str(policy),
        "--only",
        "policy",
        "--repo",
        str(tmp_path),
        "--state",
        str(tmp_path / "state.db"),
        "--as-of",
        "2026-11-20",
        "--format",
        "json",
        "--no-progress",
        *extra,
        cwd=tmp_path,
        env=env,
    )


def test_alert_once_then_nothing_and_metrics(tmp_path: Path) -> None:
    with http_receiver() as hook:
        env = {"HOOK_URL": hook.url}
        dry = audit(tmp_path, "--dry-run", env=env)
        first = audit(tmp_path, "--alert", "--metrics-file", str(tmp_path / "m.prom"), env=env)
        second = audit(tmp_path, "--alert", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "alerts: hook: would send 1 new" in dry.stderr
    assert (
        "hook: [NEW] LOW policy/exception-expired exception:rule=missing-tag (owner: platform)"
        in dry.stderr
    )
    assert first.returncode == 0, first.stderr
    assert "alerts: hook: sent 1 new (1 attempt(s))" in first.stderr
    assert "alerts: hook: nothing to send" in second.stderr
    assert [[(a["kind"], a["rule"]) for a in body["alerts"]] for body in hook.bodies] == [
        [("new", "exception-expired")]
    ]
    metrics = (tmp_path / "m.prom").read_text()
    assert (
        'hygiene_findings{check="policy",severity="low",status="open"} 1.0' in metrics
    )  # new in the dry run


def test_alert_without_its_secret_stops_before_running(tmp_path: Path) -> None:
    result = audit(tmp_path, "--alert")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "hygiene: error: alerts.channels[hook].url_env: environment variable HOOK_URL is not set; "
        "export it (or put it in .env) before running with --alert"
    )
    assert not (tmp_path / "state.db").exists()
