"""``make demo`` (``python -m demo.run``): the whole job on a made-up organisation, offline.

Acme (``demo.org``) runs three projects in three AWS accounts: moto's server, started in this
process on 127.0.0.1, serves them. The demo lives through the organisation's last six months:
at each month's end it creates the resources the plan starts, re-tags what changed, writes that
month's FOCUS bill (``demo.bill``, generated) and audits tags and budgets as the nightly job
would, alerting to a local webhook receiver, so the report has six months of history (trend,
month-over-month). Then it audits everything twice today (the second run shows deduplication),
with a sample repository that leaks a live access key in its history, writes metrics and the
monthly cost review. No credentials, no network: everything listens on 127.0.0.1.

The FOCUS sample bill (``data/focus/focus_sample.csv``, CC BY 4.0) stays a test fixture.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

from demo.bill import Bill, Placement, write_month
from demo.org import BUDGETS, MONTHS, OWNERS, REGIONS, Calendar
from demo.seed import (
    ROLE,
    Organisation,
    advance,
    age_credentials,
    create_organisation,
    seed_identities,
)

log = logging.getLogger(__name__)

WEBHOOK_ENV = "HYGIENE_DEMO_WEBHOOK_URL"
OWNER_SLACK_ENV = "HYGIENE_DEMO_PAYMENTS_SLACK_URL"  # team-payments' own Slack channel

# The planted secret: a made-up key (it opens nothing), split so this file holds no key pattern.
# AWS's documented example key would not do: scanners rightly ignore it.
PLANTED_KEY = "AKIA" + "Z7Q4LRX2MNB5TW3H"
PLANTED_SECRET = "q8Vd2kP0xL5mR9tY3wB7" + "nF1hJ6cE4gU0aS2zQ8vK"
#: Resource types the demo audits (moto also lists thousands of public AMI snapshots).
RESOURCE_TYPES = (
    "ec2:instance",
    "s3:bucket",
    "rds:db",
    "lambda:function",
    "logs:log-group",
    "dynamodb:table",
    "secretsmanager:secret",
    "iam:user",
)
#: Where the leaked live key sits in the sample repository's history.
LEAK_PATH = "deploy/release.sh"


# --------------------------------------------------------------------------- local servers


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's threaded server on 127.0.0.1; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass
class Inbox:
    """What the local webhook receiver got: the ops webhook's bodies (``url``) and the Slack
    messages of team-payments' own channel (``slack_url``)."""

    url: str = ""
    slack_url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    slack: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[Inbox]:
    """A JSON receiver on 127.0.0.1: ``/alerts`` stands in for an incident tool's webhook,
    ``/slack/team-payments`` for a team's Slack incoming webhook."""
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received = inbox.slack if self.path.startswith("/slack/") else inbox.bodies
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    inbox.url, inbox.slack_url = f"{base}/alerts", f"{base}/slack/team-payments"
    thread = threading.Thread(target=server.serve_forever, name="demo-webhook", daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- the repo


def make_repo(path: Path, leaked: tuple[str, str], as_of: datetime) -> Path:
    """The shop's API repository: code that drifts from its .env.example, a made-up key in
    ``app/aws.py`` (not a live one), and in its history the live deploy key ``leaked``
    (key id, secret), committed in ``deploy/release.sh`` and removed a week later."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Demo",
        "GIT_AUTHOR_EMAIL": "demo@example.invalid",
        "GIT_COMMITTER_NAME": "Demo",
        "GIT_COMMITTER_EMAIL": "demo@example.invalid",
    }

    def commit(message: str, files: dict[str, str], days_ago: int) -> None:
        for rel, text in files.items():
            target = path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        stamp = (as_of - timedelta(days=days_ago)).isoformat()
        dated = {**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        for args in (("add", "."), ("commit", "-q", "-m", message)):
            subprocess.run(
                ["git", "-C", str(path), *args], check=True, capture_output=True, env=dated
            )

    path.mkdir(parents=True)
    subprocess.run(
        ["git", "-C", str(path), "init", "-q", "-b", "main"], check=True, capture_output=True
    )
    commit(
        "shop-api: first version",
        {
            "README.md": "# shop-api\n\nThe shop's API (a hygiene demo repository).\n",
            ".github/CODEOWNERS": "* @acme/team-shop\n/deploy/ @acme/team-platform\n",
            ".env.example": (
                "# Settings of shop-api\nDATABASE_URL=postgres://localhost/shop\n"
                "LOG_LEVEL=info\nLEGACY_FLAG=0\n"
            ),
            "app/settings.py": (
                "import os\n\nDATABASE_URL = os.environ['DATABASE_URL']\n"
                "LOG_LEVEL = os.getenv('LOG_LEVEL', 'info')\n"
                "PAYMENT_API_KEY = os.environ.get('PAYMENT_API_KEY')\n"
                "SENTRY_DSN = os.getenv('SENTRY_DSN')\n"
            ),
            "app/aws.py": (
                "import boto3\n\n# TODO: move to the secret store\n"
                f'AWS_ACCESS_KEY_ID = "{PLANTED_KEY}"\n'
                f'AWS_SECRET_ACCESS_KEY = "{PLANTED_SECRET}"\n\n'
                "def client():\n    return boto3.client('s3', aws_access_key_id=AWS_ACCESS_KEY_ID,\n"
                "                        aws_secret_access_key=AWS_SECRET_ACCESS_KEY)\n"
            ),
        },
        days_ago=120,
    )
    key_id, secret = leaked
    commit(
        "deploy: release script",
        {
            LEAK_PATH: (
                "#!/bin/sh\nset -eu\n"
                f"export AWS_ACCESS_KEY_ID={key_id}\n"
                f"export AWS_SECRET_ACCESS_KEY={secret}\n"
                "aws s3 sync build/ s3://acme-shop-assets/\n"
            )
        },
        days_ago=40,
    )
    commit(
        "deploy: take the credentials from CI",
        {
            LEAK_PATH: (
                "#!/bin/sh\nset -eu\n"
                "# AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY come from the CI secrets\n"
                "aws s3 sync build/ s3://acme-shop-assets/\n"
            )
        },
        days_ago=33,
    )
    return path


def write_policy(path: Path, org: Organisation, bill: Path, repo: Path) -> Path:
    """The demo policy: the organisation, two regions, the bill's folder, Acme's budgets and
    owner directory, the repository, and alerts to the ops webhook and to team-payments' Slack."""
    import yaml

    owners: list[dict[str, Any]] = []
    for owner in OWNERS:
        entry: dict[str, Any] = {"id": owner.id, "name": owner.name}
        if owner.email:
            entry["email"] = owner.email
        if owner.id == "team-payments":
            entry["slack_webhook_env"] = OWNER_SLACK_ENV
        if not owner.active:
            entry["active"] = False
        owners.append(entry)
    policy = {
        "aws": {"organization": True, "role_name": ROLE, "regions": list(REGIONS)},
        "tags": {"resource_types": list(RESOURCE_TYPES)},
        "billing": {"sources": [str(bill.resolve())]},
        "budgets": [
            {
                "name": budget.name,
                **({"scope": budget.scope} if budget.scope else {}),
                "amount": str(budget.amount),
                "owner": budget.owner,
            }
            for budget in BUDGETS
        ],
        "owners": {"entries": owners},  # and the repository's CODEOWNERS
        "repos": [{"url": str(repo.resolve()), "name": "shop-api"}],
        "rotation": {
            "registry": [
                {
                    "name": "stripe-webhook-secret",
                    "owner": "team-payments",
                    "env": "prod",
                    "last_rotated": "2025-06-01",
                }
            ]
        },
        "alerts": {
            "channels": [
                {
                    "name": "ops-webhook",
                    "type": "webhook",
                    "url_env": WEBHOOK_ENV,
                    "min_severity": "medium",
                }
            ],
            "reminder_days": 7,
        },
    }
    path.write_text(
        "# hygiene demo policy (generated by `make demo`)\n"
        + yaml.safe_dump(policy, sort_keys=False),
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- the run


@contextmanager
def demo_environment(endpoint: str, inbox: Inbox) -> Iterator[dict[str, str]]:
    """Point boto3 at moto with fake credentials; restore the environment afterwards."""
    values = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        WEBHOOK_ENV: inbox.url,
        OWNER_SLACK_ENV: inbox.slack_url,
    }
    cleared = (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "SENTRY_DSN",
    )
    saved = {k: os.environ.get(k) for k in (*values, *cleared)}
    os.environ.update(values)
    for key in cleared:
        os.environ.pop(key, None)
    try:
        yield dict(os.environ)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@dataclass
class DemoResult:
    """Where the demo put things and what happened."""

    report: Path
    policy: Path
    state: Path
    metrics: Path
    repo: Path
    history: list[dict[str, Any]]  # the month-end runs (tags and budgets), oldest first
    runs: list[dict[str, Any]]  # today's two full runs
    alerts: list[dict[str, Any]]
    owner_messages: list[dict[str, Any]]
    coverage: dict[str, str]
    sent_per_run: list[int]  # alerts delivered by each of today's runs


class Steps:
    """Progress of the demo on stderr: ``[3/8] seeding … 1.2 s`` (silent when off)."""

    TOTAL = 7

    def __init__(self, enabled: bool) -> None:
        self.enabled, self.number, self.started = enabled, 0, time.perf_counter()

    @contextmanager
    def step(self, what: str) -> Iterator[None]:
        """Announce one step, then say how long it took."""
        self.number += 1
        began = time.perf_counter()
        if self.enabled:
            click.echo(f"[{self.number}/{self.TOTAL}] {what} …", err=True, nl=False)
        yield
        if self.enabled:
            click.echo(f" {time.perf_counter() - began:.1f} s", err=True)

    def elapsed(self) -> float:
        """Seconds since the demo started."""
        return time.perf_counter() - self.started


@dataclass
class _Auditor:
    """Runs an audit of the demo policy and delivers its alerts, as the nightly job does."""

    policy: Any
    state: Path
    repo: Path
    environ: dict[str, str]
    cache: Path

    def audit(self, as_of: datetime, only: tuple[str, ...] = ()) -> tuple[dict[str, Any], int]:
        """One run at ``as_of``; returns its document and how many alerts it delivered."""
        from hygiene.pipeline import run_audit
        from hygiene.publish.alerts import send_alerts

        run = run_audit(
            policy=self.policy,
            as_of=as_of,
            only=only,
            repos=[self.repo],
            state_path=self.state,
            environ=self.environ,
            cache_dir=self.cache,
        )
        document = run.to_contract()
        outcome = send_alerts(
            document, self.policy, state_path=self.state, environ=self.environ, backoff=0.2
        )
        for channel in outcome.failed:
            log.error("demo alert delivery failed: %s", channel.error)
        return document, sum(len(c.batch.items) for c in outcome.channels if c.delivered)


def run_demo(
    root: Path = Path(".hygiene/demo"),
    reports: Path = Path("reports"),
    as_of: datetime | None = None,
    steps: Steps | None = None,
) -> DemoResult:
    """Live through Acme's last six months (month-end audits of tags and budgets), then audit
    everything twice today with alerts; write metrics and the monthly cost review."""
    steps = steps or Steps(enabled=False)
    from hygiene.config import load_policy
    from hygiene.publish.metrics import publish_metrics
    from hygiene.publish.report import monthly_report
    from hygiene.registry import CHECKS

    as_of = (as_of or datetime.now(UTC)).replace(microsecond=0)
    cal = Calendar(as_of)
    with steps.step("loading the secret scanner's detectors"):
        _preload_detect_secrets()
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    bills = root / "billing"
    with ExitStack() as stack:
        with steps.step("starting moto (a local AWS) and a webhook receiver"):
            endpoint = stack.enter_context(moto_server())
            inbox = stack.enter_context(webhook_receiver())
            environ = stack.enter_context(demo_environment(endpoint, inbox))
        with steps.step("creating Acme's three AWS accounts, its users, keys and secrets"):
            org = create_organisation()
            seed_identities(org)
            assert org.leaked_key is not None
            repo = make_repo(root / "shop-api", org.leaked_key, as_of)
            policy_path = write_policy(root / "policy.yaml", org, bills, repo)
            auditor = _Auditor(
                load_policy([policy_path]), root / "state.db", repo, environ, root / "cache"
            )
        history = []
        with steps.step(
            f"living through {MONTHS - 1} months: resources, tags, the bill, month-end audits"
        ):
            for index in range(MONTHS - 1):
                month_end = cal.month_end(index)
                advance(org, cal, month_end)
                write_month(bills, Bill(cal, Placement(org.accounts, dict(org.resources))), index)
                moment = datetime.combine(month_end, day_time(23, 0), UTC)
                history.append(auditor.audit(moment, only=("tags", "budgets"))[0])
        with steps.step("this month: today's resources, tags and bill to yesterday"):
            advance(org, cal, cal.end)
            write_month(bills, Bill(cal, Placement(org.accounts, dict(org.resources))), MONTHS - 1)
            age_credentials(org, as_of)
        documents, sent_per_run = [], []
        with steps.step("auditing every check twice (the second run alerts nothing again)"):
            for moment in (as_of - timedelta(minutes=30), as_of):
                document, sent = auditor.audit(moment)
                documents.append(document)
                sent_per_run.append(sent)
        with steps.step("writing Prometheus metrics and the monthly cost review"):
            metrics = root / "metrics" / "hygiene.prom"
            publish_metrics(
                documents[-1],
                textfile=metrics,
                last_success=documents[-1]
                if documents[-1]["run"]["status"] == "complete"
                else None,
            )
            directory, _ = monthly_report(
                auditor.state, as_of.strftime("%Y-%m"), reports, checks=list(CHECKS)
            )
    received = root / "alerts_received.json"
    received.write_text(
        json.dumps({"ops-webhook": inbox.bodies, "team-payments-slack": inbox.slack}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    coverage = {
        name: check["status"] + (f" ({check['reason']})" if check.get("reason") else "")
        for name, check in documents[-1]["run"]["checks"].items()
    }
    return DemoResult(
        report=directory / "report.html",
        policy=policy_path,
        state=auditor.state,
        metrics=metrics,
        repo=repo,
        history=history,
        runs=documents,
        alerts=inbox.bodies,
        owner_messages=inbox.slack,
        coverage=coverage,
        sent_per_run=sent_per_run,
    )


def _preload_detect_secrets() -> None:
    """Import detect-secrets once, on this thread, before the checks run in parallel: the env and
    secrets checks import it lazily from two threads at once, and its package's circular import
    then fails in one of them (reported to the pipeline's owner; this keeps the demo reliable)."""
    import detect_secrets.core.plugins.util
    import detect_secrets.core.scan
    import detect_secrets.settings  # noqa: F401


@click.command()
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".hygiene/demo"),
    show_default=True,
    help="Where the demo's repo, bill, policy and state go (replaced).",
)
@click.option(
    "--reports",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where the monthly report goes.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Pretend it is this moment (UTC) instead of now; the six months end here.",
)
@click.option("--verbose", is_flag=True, help="Show the library's logs.")
def main(root: Path, reports: Path, as_of: datetime | None, verbose: bool) -> None:
    """Run hygiene end to end on a made-up organisation, offline (moto, a local webhook).

    \b
    Example:
      make demo            # or: python -m demo.run
      python -m demo.run --as-of 2026-12-07T12:00:00
    """
    from hygiene.log import setup_logging

    setup_logging("text", "INFO" if verbose else "ERROR")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    steps = Steps(enabled=True)
    moment = as_of.replace(tzinfo=UTC) if as_of else None
    result = run_demo(root, reports, as_of=moment, steps=steps)
    first, second = result.runs
    click.echo(
        f"hygiene demo: Acme's three AWS accounts in moto, {MONTHS} months of generated FOCUS "
        "bills, one generated repository"
    )
    click.echo(f"  policy:   {result.policy}")
    for name, state in result.coverage.items():
        click.echo(f"  check {name:<14} {state[:150]}")
    click.echo(
        f"  history:  {len(result.history)} month-end runs (tags, budgets); today: "
        f"run 1 {first['run']['status']}, {len(first['findings'])} finding(s); "
        f"run 2 {second['run']['status']}, {len(second['findings'])} finding(s)"
    )
    sent = [a for body in result.alerts for a in body["alerts"]]
    click.echo(
        f"  alerts:   {len(sent)} delivered to the ops webhook over the six months, "
        f"{len(result.owner_messages)} message(s) to team-payments' Slack; today's runs "
        f"{result.sent_per_run[0]} and {result.sent_per_run[1]} (what was alerted is not repeated)"
    )
    click.echo(f"            (what the receiver got: {root / 'alerts_received.json'})")
    click.echo(f"  metrics:  {result.metrics}")
    click.echo(f"  state:    {result.state}")
    click.echo(f"report: {result.report}  (the demo took {steps.elapsed():.0f} s)")


if __name__ == "__main__":
    main()
