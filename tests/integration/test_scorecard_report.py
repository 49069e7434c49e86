"""The scorecard section of the monthly report, from a recorded run."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from hygiene.publish.report import build_report
from hygiene.publish.report_render import render_markdown
from hygiene.store import Store
from tests.integration.test_readiness_repo import fixture_commit


def test_monthly_report_has_the_scorecard(make_repo: Callable[..., Path], tmp_path: Path) -> None:
    repo = make_repo("express_partial", [fixture_commit("express_partial")])
    state = tmp_path / "state.db"
    run_audit(
        policy=Policy(),
        as_of=datetime(2026, 11, 20, tzinfo=UTC),
        only=["readiness"],
        repos=[repo],
        state_path=state,
    )
    with Store(state) as store:
        report = build_report(store, "2026-11")
        empty = build_report(store, "2026-10")
    card = report["scorecard"]
    assert card["schema"] == "hygiene.scorecard/v1"
    assert [s["label"] for s in card["scopes"]] == ["organisation", "repo:express_partial"]
    cells = {r["item"]: r["cells"]["repo:express_partial"]["status"] for r in card["rows"]}
    assert (cells["Health Checks"], cells["Alerts"], cells["Logging Strategy"]) == (
        "fail",
        "fail",
        "pass",
    )
    assert empty["scorecard"] is None
    markdown = render_markdown(report)
    assert "| Health Checks | Must | FAIL (1) | FAIL (1) |" in markdown
    assert "| Alerts | Must | FAIL (2) +h | FAIL (2) +h |" in markdown
    assert "No run was recorded this month: nothing to score." in render_markdown(empty)
