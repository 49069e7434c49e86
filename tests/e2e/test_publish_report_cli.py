"""``hygiene report`` through the installed CLI, and the HTML opened in headless Chromium:
every section present, no console errors, a screenshot taken."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.fixtures.publish.months import PLANTED, seed_three_months

pytestmark = pytest.mark.e2e

SECTIONS = (
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
)
CONSOLE = re.compile(r"CONSOLE|Uncaught|Failed to load resource|net::ERR_")


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian's chromium is needed for this test: run `make browser`"
    return subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE.search(line)]


def test_console_error_detection_works(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text(
        "<!doctype html><p>x</p><script>console.error('boom'); undefinedCall();</script>"
    )
    result = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert any("boom" in line for line in console_errors(result.stderr))


def test_report_cli_writes_a_page_chromium_renders(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    seed_three_months(state)
    out = tmp_path / "reports"
    result = run_cli("report", "--month", "2026-11", "--state", str(state), "--out", str(out))
    assert result.returncode == 0, result.stderr
    html = out / "2026-11" / "report.html"
    assert result.stdout.splitlines()[0] == f"report: {html}"

    dom = chromium(tmp_path, html.as_uri(), "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_errors(dom.stderr) == []
    ids = set(re.findall(r'<section id="([a-z]+)"', dom.stdout))
    assert ids == set(SECTIONS)
    assert dom.stdout.count("<svg") == 2
    assert "Not covered" not in dom.stdout.split('id="secrets"')[1].split("</section>")[0]
    assert PLANTED not in dom.stdout

    shot = tmp_path / "report.png"
    taken = chromium(
        tmp_path,
        html.as_uri(),
        f"--screenshot={shot}",
        "--window-size=1200,3000",
        "--hide-scrollbars",
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert console_errors(taken.stderr) == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_report_cli_errors_are_for_people(tmp_path: Path) -> None:
    result = run_cli("report", "--month", "2026-13", "--state", str(tmp_path / "none.db"))
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "hygiene: error: --month '2026-13': expected YYYY-MM, e.g. 2026-11"
    )
    missing = run_cli("report", "--month", "2026-11", "--state", str(tmp_path / "none.db"))
    assert missing.returncode == 2 and "run `hygiene audit` first" in missing.stderr


def test_report_with_a_fresh_audit(tmp_path: Path, make_repo) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(
        "svc", [{"README.md": "# svc\n", "app.py": "import os\nTOKEN = os.environ['API_TOKEN']\n"}]
    )
    state, out = tmp_path / "state.db", tmp_path / "reports"
    result = run_cli(
        "report",
        "--audit",
        "--repo",
        str(repo),
        "--state",
        str(state),
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("hygiene: audit ")
    month = result.stdout.split("reports/")[1][:7]
    report = json.loads((out / month / "report.json").read_text())
    coverage = {c["check"]: c["status"] for c in report["coverage"]}
    assert coverage["secrets"] == "ok" and coverage["env"] == "ok"
    assert coverage["tags"] == "skipped"  # no AWS credentials here: a gap, listed as such
    assert "tags" in report["headline"]["checks_not_covered"]
    assert report["runs"]["count"] == 1
