"""notebooks/cost_review.ipynb executed headless (nbclient) against a seeded store and the FOCUS
sample bill: it runs without error and its numbers equal the library's."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from hygiene.checks.budgets.collect import spend_report
from hygiene.config import load_policy
from hygiene.publish.report import build_report
from hygiene.store import Store
from tests.conftest import REPO_ROOT
from tests.fixtures.publish.months import seed_three_months

pytestmark = pytest.mark.integration


def test_cost_review_notebook_runs_headless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.db"
    seed_three_months(state)
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        f"billing:\n  sources: ['{REPO_ROOT / 'data' / 'focus' / 'focus_sample.csv'}']\n"
    )
    monkeypatch.setenv("HYGIENE_STATE", str(state))
    monkeypatch.setenv("HYGIENE_CONFIG", str(policy))
    monkeypatch.setenv("HYGIENE_BILL_MONTH", "2024-09")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend makes PNGs
    notebook = nbformat.read(REPO_ROOT / "notebooks" / "cost_review.ipynb", as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    last = notebook.cells[-1]["outputs"][0]["text"]
    summary = json.loads(last)
    with Store(state) as store:
        report = build_report(store, "2026-11")
    bill = spend_report(
        policy=load_policy([policy]),
        sources=load_policy([policy]).billing.sources,
        month=date(2024, 9, 1),
        by=["Project", "Owner", "Env"],
        as_of=datetime(2024, 10, 1, tzinfo=UTC),
        cache_dir=tmp_path / "cache",
    )
    assert summary == {
        "month": "2026-11",
        "open_findings": report["headline"]["open_findings"],
        "spend_total": "2500.75",
        "tag_compliance_percent": 80.0,
        "bill_total": bill["total"],
    }
    images = [
        o
        for c in notebook.cells
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert len(images) == 2  # spend bars, compliance trend
