"""Prometheus metrics of a run (textfile and Pushgateway), the alert rules (promtool check and
unit tests), the Grafana dashboard and the scheduling examples in deploy/."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from hygiene.publish.metrics import publish_metrics
from tests.conftest import REPO_ROOT
from tests.fixtures.publish.months import seed_three_months
from tests.fixtures.publish.servers import http_receiver

pytestmark = pytest.mark.integration
DEPLOY = REPO_ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "hygiene-rules.yml"


def promtool() -> str:
    exe = shutil.which("promtool")
    assert exe, "promtool (Debian package prometheus) is needed: apt-get install prometheus"
    return exe


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def finished(document: dict) -> float:  # type: ignore[type-arg]
    """A run's finished_at (wall clock: what Prometheus compares with time())."""
    return float(
        int(
            datetime.fromisoformat(
                document["run"]["finished_at"].replace("Z", "+00:00")
            ).timestamp()
        )
    )


@pytest.fixture
def runs(tmp_path: Path) -> dict:  # type: ignore[type-arg]
    return seed_three_months(tmp_path / "state.db")


def test_textfile_holds_the_runs_figures(runs: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    doc, complete = runs["nov2"].to_contract(), runs["nov1"].to_contract()
    path = tmp_path / "textfile" / "hygiene.prom"
    publish_metrics(doc, textfile=path, last_success=complete)
    got = samples(path.read_text())
    assert got[("hygiene_run_incomplete", ())] == 1
    assert got[("hygiene_last_success_timestamp_seconds", ())] == finished(complete)
    assert got[("hygiene_api_calls", (("check", "tags"),))] == 42
    assert got[("hygiene_check_status", (("check", "rotation"), ("status", "error")))] == 1
    assert got[("hygiene_check_status", (("check", "env"), ("status", "skipped")))] == 1
    assert got[("hygiene_check_status", (("check", "tags"), ("status", "ok")))] == 1
    assert (
        got[
            (
                "hygiene_findings",
                (("check", "secrets"), ("severity", "critical"), ("status", "open")),
            )
        ]
        == 1
    )
    assert (
        got[("hygiene_findings", (("check", "secrets"), ("severity", "high"), ("status", "open")))]
        == 1
    )
    assert (
        got[
            (
                "hygiene_findings",
                (("check", "secrets"), ("severity", "critical"), ("status", "new")),
            )
        ]
        == 0
    )
    assert got[("hygiene_findings_resolved", ())] == 1  # TAG_2
    assert got[("hygiene_tag_compliance_percent", ())] == 80.0
    assert (
        got[("hygiene_tag_compliance_by_percent", (("dimension", "owner"), ("value", "(none)")))]
        == 0.0
    )
    assert got[
        ("hygiene_budget_ratio", (("budget", "checkout-prod"), ("currency", "USD")))
    ] == pytest.approx(1.2005)
    assert got[
        ("hygiene_budget_forecast_ratio", (("budget", "search"), ("currency", "USD")))
    ] == pytest.approx(0.525)
    assert (
        got[
            (
                "hygiene_spend",
                (("currency", "USD"), ("group", "Project=checkout,Owner=team-payments,Env=prod")),
            )
        ]
        == 1200.5
    )
    checked = subprocess.run(
        [promtool(), "check", "metrics"],
        input=path.read_text(),
        text=True,
        capture_output=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_push_to_a_gateway(runs: dict) -> None:  # type: ignore[type-arg]
    with http_receiver() as gateway:
        publish_metrics(runs["nov1"].to_contract(), gateway=gateway.url.removesuffix("/hook"))
    assert gateway.paths == ["/metrics/job/hygiene"]
    got = samples(gateway.bodies[0])
    assert got[("hygiene_run_incomplete", ())] == 0
    assert got[("hygiene_last_success_timestamp_seconds", ())] == finished(
        runs["nov1"].to_contract()
    )


def test_rules_pass_promtool_check_and_unit_tests() -> None:
    check = subprocess.run(
        [promtool(), "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(
        [promtool(), "test", "rules", "hygiene-rules.test.yml"],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert unit.returncode == 0, unit.stdout + unit.stderr
    alerts = {
        r["alert"]
        for g in yaml.safe_load(RULES.read_text())["groups"]
        for r in g["rules"]
        if "alert" in r
    }
    assert alerts == {
        "HygieneJobNotSucceeded",
        "HygieneRunIncomplete",
        "HygieneBudgetExceeded",
        "HygieneBudgetForecastExceeded",
        "HygieneNewCriticalFindings",
    }


def test_rules_and_dashboard_use_only_metrics_we_emit(runs: dict, tmp_path: Path) -> None:  # type: ignore[type-arg]
    path = tmp_path / "m.prom"
    publish_metrics(
        runs["nov2"].to_contract(), textfile=path, last_success=runs["nov1"].to_contract()
    )
    emitted = {name for name, _ in samples(path.read_text())}
    dashboard = json.loads((DEPLOY / "grafana" / "hygiene-dashboard.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [r["expr"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    used = {m for e in exprs for m in re.findall(r"\bhygiene_[a-z_]+", e)}
    assert used <= emitted, used - emitted
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])


def _commands(text: str) -> list[list[str]]:
    found = []
    for match in re.finditer(r"hygiene (audit|report)([^\n\]\"]*)", text):
        line = re.sub(r"\"?\$\([^)]*\)\)?\"?", "X", match.group(0))
        found.append(shlex.split(line.replace("\\%", "%"), posix=True))
    return found


def test_scheduling_examples_use_the_real_cli() -> None:
    from hygiene.cli import cli

    texts = {
        p: p.read_text()
        for p in (
            DEPLOY / "cron" / "hygiene.crontab",
            DEPLOY / "github" / "hygiene.yml",
            DEPLOY / "kubernetes" / "cronjob.yaml",
        )
    }
    list(yaml.safe_load_all(texts[DEPLOY / "kubernetes" / "cronjob.yaml"]))
    workflow = yaml.safe_load(texts[DEPLOY / "github" / "hygiene.yml"])
    assert set(workflow["jobs"]) == {"audit", "report"}
    k8s_args = [
        d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"]
        for d in yaml.safe_load_all(texts[DEPLOY / "kubernetes" / "cronjob.yaml"])
    ]
    commands = [c for t in texts.values() for c in _commands(t)] + [["hygiene", *k8s_args[0]]]
    verbs = {c[1] for c in commands}
    assert verbs == {"audit", "report"}
    for command in commands:
        params = {opt for p in cli.commands[command[1]].params for opt in p.opts}  # type: ignore[union-attr]
        options = {a for a in command[2:] if a.startswith("--")}
        assert options <= params, (command, options - params)
