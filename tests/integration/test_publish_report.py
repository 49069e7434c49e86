"""The monthly report from a store seeded through the real pipeline: its numbers equal the
store's, gaps are shown as gaps, publishing is atomic, and no secret value reaches any file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from hygiene.errors import HygieneError
from hygiene.publish.report import build_report, monthly_report, write_report
from hygiene.publish.report_render import render_all
from hygiene.store import Store
from tests.fixtures.publish.months import (
    ENV_API,
    ENV_API2,
    ENV_WEB,
    PLANTED,
    SECRET_FIXED,
    SECRET_NEW,
    SECRET_OLD,
    TAG_1,
    TAG_2,
    seed_three_months,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def state(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    seed_three_months(path)
    return path


def test_sections_equal_the_store(state: Path) -> None:
    with Store(state) as store:
        report = build_report(store, "2026-11")
        latest = store.latest_run()
    assert latest is not None
    assert report["runs"] == {
        "count": 2,
        "complete": 1,
        "incomplete": 1,
        "latest": {
            "id": latest["run"]["id"],
            "as_of": "2026-11-26T06:00:00Z",
            "status": "incomplete",
        },
    }
    # tags and budgets: the latest run's stats, verbatim
    assert (
        report["tags"]["compliance_percent"]
        == latest["run"]["checks"]["tags"]["stats"]["compliance_percent"]
        == 80.0
    )
    assert [r["name"] for r in report["tags"]["by_owner"]] == ["(none)", "alice"]
    assert report["spend"]["total"] == "2500.75" and report["spend"]["currency"] == "USD"
    assert [g["key"] for g in report["spend"]["groups"]] == [
        "checkout / team-payments / prod",
        "search / (no Owner tag) / prod",
        "(no Project tag) / (no Owner tag) / (no Env tag)",
    ]
    # the two Project budgets select disjoint spend: the headline sums them, saying so
    headline = report["headline"]
    assert (headline["budget_total"], headline["budget_basis"]) == ("1800.00", "Project")
    assert headline["budget_names"] == ["checkout-prod", "search"]
    assert headline["budgets_over"] == 1 and headline["budgets_forecast_over"] == 1
    # secrets: what is open in the latest run, with ages from first_seen
    assert {(s["id"], s["age_days"]) for s in report["secrets"]["open"]} == {
        (SECRET_OLD.id, 26),
        (SECRET_NEW.id, 16),
    }
    # env skipped in the last run: data from the run before, flagged by coverage
    assert {r["repo"]: r["by_rule"] for r in report["env"]["repos"]} == {
        "api": {"undocumented-variable": 1, "unused-variable": 1},
        "web": {"undocumented-variable": 1},
    }
    assert {i["id"] for r in report["env"]["repos"] for i in r["items"]} == {
        ENV_API.id,
        ENV_API2.id,
        ENV_WEB.id,
    }
    # rotation errored in the last run: its partial data come from that run (no findings) and say so
    assert report["rotation"]["partial"] is True and "AccessDenied" in report["rotation"]["reason"]
    coverage = {c["check"]: (c["status"], c["covered"]) for c in report["coverage"]}
    assert coverage == {
        "tags": ("ok", True),
        "budgets": ("ok", True),
        "secrets": ("ok", True),
        "env": ("skipped", False),
        "rotation": ("error", False),
    }
    # resolved this month: SECRET_FIXED (gone on Nov 10), TAG_2 (gone on Nov 26)
    assert {r["id"] for r in report["resolved"]} == {SECRET_FIXED.id, TAG_2.id}
    with Store(state) as store:
        resolved_in_store = {
            row[0]
            for row in store.db.execute(
                "SELECT id FROM findings WHERE resolved_at >= '2026-11-01' AND resolved_at < '2026-12-01'"
            )
        }
    assert resolved_in_store == {r["id"] for r in report["resolved"]}
    assert (
        report["headline"]["new_this_month"] == 1 + 2
    )  # SECRET_NEW, ENV_API2, ENV_WEB (all first seen Nov 10)
    assert report["headline"]["open_findings"] == len(
        {TAG_1.id, SECRET_OLD.id, SECRET_NEW.id, ENV_API.id, ENV_API2.id, ENV_WEB.id}
    )


def test_trend_takes_each_months_latest_run_and_leaves_gaps(state: Path) -> None:
    with Store(state) as store:
        trend = build_report(store, "2026-11", trend_months=4)["trend"]
    assert [(p["month"], p["compliance_percent"], p["untagged_share"]) for p in trend] == [
        ("2026-08", None, None),
        ("2026-09", 50.0, None),
        ("2026-10", 70.0, "20.0"),
        ("2026-11", 80.0, "10.4"),
    ]


def test_a_month_without_runs_is_all_gaps(state: Path) -> None:
    with Store(state) as store:
        report = build_report(store, "2026-12")
    assert report["runs"]["count"] == 0
    assert {c["check"]: c["status"] for c in report["coverage"]} == {
        n: "never-ran" for n in ("tags", "budgets", "secrets", "env", "rotation")
    }
    assert all(not report[s]["covered"] for s in ("tags", "spend", "secrets", "env", "rotation"))
    files = render_all(report)  # every format renders an empty month, saying what is missing
    assert files["report.html"].count("Not covered:") == 5
    assert files["report.html"].count("<svg") == 1  # only the trend, from earlier months
    assert files["report.md"].count("**Not covered:**") == 5


def test_files_csv_and_no_secret_value(state: Path, tmp_path: Path) -> None:
    directory, uploaded = monthly_report(state, "2026-11", tmp_path / "reports")
    assert uploaded == []
    names = {p.name for p in directory.iterdir()}
    assert {
        "report.html",
        "report.md",
        "report.json",
        "secrets.csv",
        "coverage.csv",
        "spend_groups.csv",
        "budgets.csv",
        "tags_by_owner.csv",
        "trend.csv",
        "offenders.csv",
        "env.csv",
        "rotation.csv",
        "resolved.csv",
    } <= names
    rows = list(csv.DictReader(io.StringIO((directory / "secrets.csv").read_text())))
    assert {(r["id"], r["age_days"]) for r in rows} == {
        (SECRET_OLD.id, "26"),
        (SECRET_NEW.id, "16"),
    }
    assert json.loads((directory / "report.json").read_text())["month"] == "2026-11"
    html = (directory / "report.html").read_text()
    assert "Not covered: skipped: no repository given" not in html  # env has data from Nov 10 …
    assert html.count("<svg") == 2  # spend bars, compliance trend
    for external in ('src="http', 'href="http', "url(http", "<link", "<script", "@import"):
        assert external not in html  # self-contained: opens offline
    md = (directory / "report.md").read_text()
    assert "| env | skipped | no repository given |" in md
    for path in directory.iterdir():
        text = path.read_text()
        assert PLANTED not in text, path.name
        assert "a" * 64 not in text, path.name  # not even the hash is needed in the report


def test_failed_write_keeps_previous_report(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(state) as store:
        report = build_report(store, "2026-11")
    root = tmp_path / "reports"
    first = write_report(report, root)
    before = (first / "report.html").read_text()

    def broken(_: object) -> dict[str, str]:
        raise RuntimeError("disk full")

    monkeypatch.setattr("hygiene.publish.report_render.render_all", broken)
    with pytest.raises(RuntimeError):
        write_report({**report, "runs": {**report["runs"], "count": 99}}, root)
    assert (first / "report.html").read_text() == before
    assert sorted(p.name for p in root.iterdir()) == ["2026-11"]


def test_bad_month_and_missing_state_are_errors_for_people(tmp_path: Path) -> None:
    with pytest.raises(HygieneError, match="expected YYYY-MM"):
        monthly_report(tmp_path / "none.db", "11-2026", tmp_path)
    with pytest.raises(HygieneError, match="run `hygiene audit` first"):
        monthly_report(tmp_path / "none.db", "2026-11", tmp_path)


def test_upload_to_s3(state: Path, tmp_path: Path, aws: str) -> None:
    import boto3

    boto3.client("s3").create_bucket(Bucket="reports")
    directory, uploaded = monthly_report(
        state, "2026-11", tmp_path / "r", upload_to="s3://reports/hygiene"
    )
    assert "s3://reports/hygiene/2026-11/report.html" in uploaded
    keys = {o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="reports")["Contents"]}
    assert keys == {f"hygiene/2026-11/{p.name}" for p in directory.iterdir()}


def test_upload_to_gcs_json_api(
    state: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """gs:// through google-cloud-storage against a local server speaking the JSON API's
    multipart upload."""
    import json as _json
    import threading
    from email import message_from_bytes
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    stored: dict[str, bytes] = {}

    class Gcs(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            raw = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
            meta, content = message_from_bytes(raw).get_payload()  # type: ignore[misc]
            name = _json.loads(meta.get_payload())["name"]
            stored[name] = content.get_payload(decode=True)
            bucket = self.path.split("/b/")[1].split("/")[0]
            reply = _json.dumps({"name": name, "bucket": bucket, "generation": "1"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gcs)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HYGIENE_GCS_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        directory, uploaded = monthly_report(
            state, "2026-11", tmp_path / "r", upload_to="gs://reports/monthly"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert set(uploaded) == {f"gs://reports/monthly/2026-11/{p.name}" for p in directory.iterdir()}
    assert stored["monthly/2026-11/report.json"] == (directory / "report.json").read_bytes()
