"""``make demo`` (``python -m demo.run``): the whole job on a made-up organisation, offline.

Starts moto's server in this process (127.0.0.1, a free port) and seeds two accounts with tagged,
mistagged and untagged resources, aged keys and secrets; uses the FOCUS sample bill
(``data/focus/focus_sample.csv``, CC BY 4.0) moved to the last 30 days; generates a git repo with
a planted secret and .env drift under ``.hygiene/demo/``; writes a demo policy; runs the audit
twice through the library with alerts going to a local webhook receiver (the second run shows
deduplication: nothing new is sent again); writes metrics and the monthly report.
No credentials, no network: everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click

log = logging.getLogger(__name__)

REGIONS = ("us-east-1", "eu-west-1")
ROLE = "OrganizationAccountAccessRole"
WEBHOOK_ENV = "HYGIENE_DEMO_WEBHOOK_URL"
BILL_NAME = Path("data") / "focus" / "focus_sample.csv"


def sample_bill() -> Path:
    """The FOCUS sample bill: in the working directory (the checkout's root), else beside demo/."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        if (base / BILL_NAME).is_file():
            return base / BILL_NAME
    from hygiene.errors import HygieneError

    raise HygieneError(
        f"{BILL_NAME}: the FOCUS sample bill is missing; run the demo from the project's root"
    )


# The planted secret: a made-up key (it opens nothing), split so this file holds no key pattern.
# AWS's documented example key would not do: scanners rightly ignore it.
PLANTED_KEY = "AKIA" + "Z7Q4LRX2MNB5TW3H"
PLANTED_SECRET = "q8Vd2kP0xL5mR9tY3wB7" + "nF1hJ6cE4gU0aS2zQ8vK"
#: Resource types the demo audits (moto also lists thousands of public AMI snapshots).
RESOURCE_TYPES = ("ec2:instance", "s3:bucket", "secretsmanager:secret", "iam:user")


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
    """What the local webhook receiver got."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def webhook_receiver() -> Iterator[Inbox]:
    """A JSON webhook receiver on 127.0.0.1 (stands in for Slack or an incident tool)."""
    inbox = Inbox()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            inbox.bodies.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    inbox.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    thread = threading.Thread(target=server.serve_forever, name="demo-webhook", daemon=True)
    thread.start()
    try:
        yield inbox
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- the organisation


def seed_aws(as_of: datetime) -> dict[str, str]:
    """Two accounts (the management account and a member) with resources, keys and secrets.
    Returns {"management": id, "member": id}."""
    import boto3

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    management = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    created = org.create_account(Email="shop@example.invalid", AccountName="shop")
    member = created["CreateAccountStatus"]["AccountId"]
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{ROLE}", RoleSessionName="demo-seed"
    )["Credentials"]
    member_session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    good = {"Project": "checkout", "Owner": "team-payments", "Env": "prod"}
    _seed_account(
        boto3.Session(),
        "mgmt",
        {
            "us-east-1": [
                good,
                {"Project": "search", "owner": "team-search", "Env": "production"},
                {},
            ],
            "eu-west-1": [{"Project": "search", "Owner": "team-search", "Env": "qa"}],
        },
        buckets={"acme-mgmt-logs": {}, "acme-mgmt-assets": good},
    )
    _seed_account(
        member_session,
        "shop",
        {
            "us-east-1": [
                {"Project": "shop", "Owner": "team-shop", "Env": "dev"},
                {"Name": "scratch"},
            ],
            "eu-west-1": [{"Project": "shop", "Owner": "team-shop", "Env": "staging"}],
        },
        buckets={"acme-shop-uploads": {"Project": "shop", "Owner": "team-shop", "Env": "prod"}},
    )
    _age_credentials(management, member, as_of)
    return {"management": management, "member": member}


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _seed_account(
    session: Any,
    name: str,
    instances: dict[str, list[dict[str, str]]],
    buckets: dict[str, dict[str, str]],
) -> None:
    for region, tag_sets in instances.items():
        ec2 = session.client("ec2", region_name=region)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        for tags in tag_sets:
            spec = [{"ResourceType": "instance", "Tags": _tags(tags)}] if tags else []
            ec2.run_instances(
                ImageId=image,
                MinCount=1,
                MaxCount=1,
                InstanceType="t3.micro",
                TagSpecifications=spec,
            )
        secrets = session.client("secretsmanager", region_name=region)
        secrets.create_secret(
            Name=f"{name}/{region}/db-password",
            SecretString="demo-not-a-secret",
            Tags=_tags({"Project": name, "Owner": f"team-{name}", "Env": "prod"}),
        )
    s3 = session.client("s3", region_name="us-east-1")
    for bucket, tags in buckets.items():
        s3.create_bucket(Bucket=bucket)
        if tags:
            s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(tags)})
    iam = session.client("iam", region_name="us-east-1")
    for user in (f"{name}-ci", f"{name}-deploy"):
        iam.create_user(UserName=user, Tags=_tags({"Owner": f"team-{name}"}))
        iam.create_access_key(UserName=user)
    iam.create_access_key(UserName=f"{name}-ci")  # two active keys


def _age_credentials(management: str, member: str, as_of: datetime) -> None:
    """Backdate keys and secrets in moto's in-process backends: AWS has no API that sets a key's
    creation date, and the demo needs overdue ones."""
    from moto.iam.models import iam_backends
    from moto.secretsmanager.models import secretsmanager_backends

    ages = {"mgmt-ci": 200, "mgmt-deploy": 20, "shop-ci": 95, "shop-deploy": 400}
    for account in (management, member):
        for user_name, user in iam_backends[account]["global"].users.items():
            for key in user.access_keys:
                key.create_date = as_of - timedelta(days=ages.get(user_name, 10))
        for region in REGIONS:
            for secret in secretsmanager_backends[account][region].secrets.values():
                secret.created_date = int((as_of - timedelta(days=150)).timestamp())  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the bill and the repo


_STAMP = re.compile(r'"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"')


def write_bill(target: Path, as_of: datetime) -> Path:
    """The FOCUS sample with its charges moved to the 30 days before ``as_of``'s day (the
    billing period recomputed per row), so the demo month has month-to-date spend."""
    lines = sample_bill().read_text(encoding="utf-8").splitlines(keepends=True)
    last = datetime(2024, 9, 30, 23, 0)
    yesterday = as_of.replace(tzinfo=None, minute=0, second=0, microsecond=0) - timedelta(days=1)
    offset = yesterday.replace(hour=23) - last

    def fix(line: str) -> str:
        stamps = _STAMP.findall(line)
        if len(stamps) < 4:
            return line
        start = datetime.fromisoformat(stamps[3]) + offset
        end = datetime.fromisoformat(stamps[2]) + offset
        period = start.replace(day=1, hour=0, minute=0, second=0)
        period_end = (period + timedelta(days=32)).replace(day=1)
        new = [period_end, period, end, start]
        count = iter(range(10))

        def swap(match: re.Match[str]) -> str:
            index = next(count)
            return f'"{new[index]:%Y-%m-%d %H:%M:%S}"' if index < 4 else match.group(0)

        return _STAMP.sub(swap, line)

    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(lines[0] + "".join(fix(line) for line in lines[1:]), encoding="utf-8")
    return target


def make_repo(path: Path) -> Path:
    """A git repo whose history holds a planted AWS key and whose code drifts from .env.example."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Demo",
        "GIT_AUTHOR_EMAIL": "demo@example.invalid",
        "GIT_COMMITTER_NAME": "Demo",
        "GIT_COMMITTER_EMAIL": "demo@example.invalid",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True, env=env)

    path.mkdir(parents=True)
    git("init", "-q", "-b", "main")
    files = {
        "README.md": "# shop-api\n\nDemo service for hygiene.\n",
        ".env.example": "# Settings of shop-api\nDATABASE_URL=postgres://localhost/shop\nLOG_LEVEL=info\nLEGACY_FLAG=0\n",
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
    }
    for rel, text in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "shop-api: first version")
    return path


def write_policy(path: Path, accounts: dict[str, str], bill: Path, repo: Path) -> Path:
    """The demo policy: both accounts, two regions, the shifted bill, budgets, a webhook channel."""
    import yaml

    policy = {
        "aws": {"organization": True, "role_name": ROLE, "regions": list(REGIONS)},
        "tags": {"resource_types": list(RESOURCE_TYPES)},
        "billing": {"sources": [str(bill.resolve())]},
        "budgets": [
            {
                "name": "atlas-orion",
                "scope": {"SubAccountId": "11353890204"},
                "amount": "10",
                "owner": "team-payments",
            },
            {"name": "dev", "scope": {"Env": "dev"}, "amount": "5", "owner": "team-platform"},
            {"name": "prod", "scope": {"Env": "prod"}, "amount": "50", "owner": "team-platform"},
        ],
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
def demo_environment(endpoint: str, webhook: str) -> Iterator[dict[str, str]]:
    """Point boto3 at moto with fake credentials; restore the environment afterwards."""
    values = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        WEBHOOK_ENV: webhook,
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
    runs: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    coverage: dict[str, str]
    sent_per_run: list[int]


class Steps:
    """Progress of the demo on stderr: ``[3/8] seeding … done in 1.2 s`` (silent when off)."""

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


def run_demo(
    root: Path = Path(".hygiene/demo"),
    reports: Path = Path("reports"),
    as_of: datetime | None = None,
    steps: Steps | None = None,
) -> DemoResult:
    """Build the demo organisation, audit it twice with alerts, write metrics and the report."""
    steps = steps or Steps(enabled=False)
    from hygiene.config import load_policy
    from hygiene.pipeline import run_audit
    from hygiene.publish.alerts import send_alerts
    from hygiene.publish.metrics import publish_metrics
    from hygiene.publish.report import monthly_report
    from hygiene.registry import CHECKS

    as_of = (as_of or datetime.now(UTC)).replace(microsecond=0)
    with steps.step("loading the secret scanner's detectors"):
        _preload_detect_secrets()
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    state = root / "state.db"
    with ExitStack() as stack:
        with steps.step("starting moto (a local AWS) and a webhook receiver"):
            endpoint = stack.enter_context(moto_server())
            inbox = stack.enter_context(webhook_receiver())
            environ = stack.enter_context(demo_environment(endpoint, inbox.url))
        with steps.step("seeding two AWS accounts: resources, tags, keys, secrets, budgets"):
            accounts = seed_aws(as_of)
        with steps.step("writing the bill (the FOCUS sample) and a sample repository"):
            bill = write_bill(root / "billing" / "focus_demo.csv", as_of)
            repo = make_repo(root / "shop-api")
            policy_path = write_policy(root / "policy.yaml", accounts, bill, repo)
            policy = load_policy([policy_path])
        documents = []
        sent_per_run = []
        for number, moment in enumerate((as_of - timedelta(minutes=30), as_of), start=1):
            what = "auditing every check, alerting" + (
                " (a second run: open findings are not alerted again)" if number == 2 else ""
            )
            with steps.step(f"run {number}: {what}"):
                run = run_audit(
                    policy=policy,
                    as_of=moment,
                    repos=[repo],
                    state_path=state,
                    environ=environ,
                    cache_dir=root / "cache",
                )
                document = run.to_contract()
                documents.append(document)
                outcome = send_alerts(
                    document, policy, state_path=state, environ=environ, backoff=0.2
                )
                sent_per_run.append(
                    sum(len(c.batch.items) for c in outcome.channels if c.delivered)
                )
                for channel in outcome.failed:
                    log.error("demo alert delivery failed: %s", channel.error)
        with steps.step("writing Prometheus metrics and the monthly report"):
            metrics = root / "metrics" / "hygiene.prom"
            publish_metrics(
                documents[-1],
                textfile=metrics,
                last_success=documents[-1]
                if documents[-1]["run"]["status"] == "complete"
                else None,
            )
            directory, _ = monthly_report(
                state, as_of.strftime("%Y-%m"), reports, checks=list(CHECKS)
            )
    received = root / "alerts_received.json"
    received.write_text(json.dumps(inbox.bodies, indent=2) + "\n", encoding="utf-8")
    coverage = {
        name: check["status"] + (f" ({check['reason']})" if check.get("reason") else "")
        for name, check in documents[-1]["run"]["checks"].items()
    }
    return DemoResult(
        report=directory / "report.html",
        policy=policy_path,
        state=state,
        metrics=metrics,
        runs=documents,
        alerts=inbox.bodies,
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
@click.option("--verbose", is_flag=True, help="Show the library's logs.")
def main(root: Path, reports: Path, verbose: bool) -> None:
    """Run hygiene end to end on a made-up organisation, offline (moto + a local webhook).

    \b
    Example:
      make demo            # or: python -m demo.run
    """
    from hygiene.log import setup_logging

    setup_logging("text", "INFO" if verbose else "ERROR")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    steps = Steps(enabled=True)
    result = run_demo(root, reports, steps=steps)
    first, second = result.runs
    click.echo("hygiene demo: two accounts in moto, the FOCUS sample bill, one generated repo")
    click.echo(f"  policy:   {result.policy}")
    for name, state in result.coverage.items():
        click.echo(f"  check {name:<14} {state[:150]}")
    click.echo(
        f"  run 1: {first['run']['status']}, {len(first['findings'])} finding(s); "
        f"run 2: {second['run']['status']}, {len(second['findings'])} finding(s)"
    )
    sent = [a for body in result.alerts for a in body["alerts"]]
    click.echo(
        f"  alerts:   {len(sent)} delivered to the local webhook "
        f"(run 1: {result.sent_per_run[0]}, run 2: {result.sent_per_run[1]}; open findings already alerted are not repeated)"
    )
    click.echo(f"            (what the receiver got: {root / 'alerts_received.json'})")
    click.echo(f"  metrics:  {result.metrics}")
    click.echo(f"  state:    {result.state}")
    click.echo(f"report: {result.report}  (the demo took {steps.elapsed():.0f} s)")


if __name__ == "__main__":
    main()
