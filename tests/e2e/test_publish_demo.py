"""``python -m demo.run`` (what ``make demo`` runs), offline: a report with every section,
alerts at the local receiver exactly once per new finding, no planted secret in any artefact."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from demo.run import PLANTED_KEY, PLANTED_SECRET

from hygiene.findings import Severity
from hygiene.store import run_document
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

SECTIONS = {
    "headline",
    "actions",
    "spend",
    "trend",
    "tags",
    "offenders",
    "secrets",
    "env",
    "rotation",
    "scorecard",
    "coverage",
    "resolved",
    "words",
}


def section(html: str, name: str) -> str:
    return html.split(f'<section id="{name}">')[1].split("</section>")[0]


def test_demo_end_to_end(tmp_path: Path) -> None:
    demo, reports = tmp_path / "demo", tmp_path / "reports"
    result = subprocess.run(
        [sys.executable, "-m", "demo.run", "--dir", str(demo), "--reports", str(reports)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},  # demo/ is the checkout's, not installed
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.strip().splitlines()[-1]
    shown = re.fullmatch(r"report: (.+)  \(the demo took \d+ s\)", last)
    assert shown, last
    report = Path(shown[1])
    assert report.parent.parent == reports and report.name == "report.html"
    html = report.read_text()
    assert set(re.findall(r'<section id="([a-z]+)"', html)) == SECTIONS
    for name in ("spend", "tags", "secrets", "env", "rotation"):
        assert "Not covered" not in section(html, name), name  # these checks ran in the demo
    assert "in-tree" in section(html, "secrets") and "shop-api:app/aws.py" in section(
        html, "secrets"
    )
    assert "undocumented-variable" in section(html, "env")
    assert "rotation-overdue" in section(html, "rotation")

    db = sqlite3.connect(demo / "state.db")
    runs = [
        run_document(db, run_id, text)  # the run's findings joined back from run_findings
        for run_id, text in db.execute("SELECT id, document FROM runs ORDER BY as_of")
    ]
    db.close()
    assert len(runs) == 2
    # the planted key id (line 4) and its secret (line 5) are one credential: Kingfisher's AWS
    # rule reports the pair once, at the secret; a provider token in the tree is high
    assert {
        (f["rule"], f["resource"], f["location"]["line"], f["details"]["type"], f["severity"])
        for f in runs[-1]["findings"]
        if f["check"] == "secrets"
    } == {("in-tree", "shop-api:app/aws.py", 5, "aws-access-key", "high")}
    expected = {
        f["id"]
        for run in runs
        for f in run["findings"]
        if f["status"] == "new" and Severity(f["severity"]).at_least(Severity.MEDIUM)
    }
    bodies = json.loads((demo / "alerts_received.json").read_text())
    alerted = [a["id"] for body in bodies for a in body["alerts"]]
    assert sorted(alerted) == sorted(expected)  # each new finding exactly once, nothing else
    assert {a["kind"] for body in bodies for a in body["alerts"]} == {"new"}
    assert any(a["check"] == "secrets" for body in bodies for a in body["alerts"])

    artefacts = [
        *reports.rglob("*"),
        demo / "alerts_received.json",
        demo / "state.db",
        *(demo / "metrics").iterdir(),
    ]
    for path in artefacts:
        if path.is_file():
            data = path.read_bytes()
            assert PLANTED_KEY.encode() not in data and PLANTED_SECRET.encode() not in data, path
