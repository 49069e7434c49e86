"""``hygiene audit --only tags`` as installed, against moto's server: the exact non-compliant
resources of a seeded organisation (never-tagged ones included), exit codes, and a service that
answers AccessDenied making the run incomplete (exit 3) while the rest still reports."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO_ROOT, run_cli
from tests.fixtures.tags.estate import REGIONS, Estate, finding_key, seed

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("tags-estate")]

SCHEMA = json.loads((REPO_ROOT / "docs" / "findings-v1.schema.json").read_text())
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


@pytest.fixture(scope="module")
def seeded(moto_endpoint: str) -> Iterator[Estate]:
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL": moto_endpoint}.items():
            mp.setenv(name, value)
        urllib.request.urlopen(
            urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
        )
        yield seed(per_type=1)


@pytest.fixture
def estate(seeded: Estate, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Estate:
    for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL": moto_endpoint}.items():
        monkeypatch.setenv(name, value)
    return seeded


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "org.yaml"
    path.write_text(
        "aws:\n  organization: true\n  regions: [" + ", ".join(REGIONS) + "]\n", encoding="utf-8"
    )
    return path


def test_audit_reports_exactly_the_non_compliant_resources(
    estate: Estate, policy_file: Path, tmp_path: Path
) -> None:
    proc = run_cli(
        "audit",
        "--only",
        "tags",
        "--format",
        "json",
        "--config",
        str(policy_file),
        "--no-state",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr  # nothing at or above high
    document = json.loads(proc.stdout)
    jsonschema.validate(document, SCHEMA)
    assert document["run"]["status"] == "complete"
    assert document["run"]["checks"]["tags"]["status"] == "ok"
    assert {finding_key(f) for f in document["findings"]} == estate.expected()
    never = {f["resource"] for f in document["findings"] if f["details"]["tags"] == {}}
    assert never == {arn for arn, (_a, _t, p) in estate.resources.items() if p == "never"}

    failing = run_cli(
        "audit",
        "--only",
        "tags",
        "--format",
        "json",
        "--config",
        str(policy_file),
        "--no-state",
        "--fail-on",
        "medium",
        cwd=tmp_path,
    )
    assert failing.returncode == 1, failing.stderr


class _Denied(BaseHTTPRequestHandler):
    """Answers every request as DynamoDB does when IAM denies it."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps(
            {
                "__type": "com.amazon.coral.service#AccessDeniedException",
                "message": "User is not authorized to perform: dynamodb:ListTables",
            }
        ).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def denying_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), _Denied)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()


def test_access_denied_for_one_service_exits_3_and_still_reports_the_rest(
    estate: Estate, policy_file: Path, tmp_path: Path, denying_endpoint: str
) -> None:
    proc = run_cli(
        "audit",
        "--only",
        "tags",
        "--format",
        "json",
        "--config",
        str(policy_file),
        "--no-state",
        cwd=tmp_path,
        env={"AWS_ENDPOINT_URL_DYNAMODB": denying_endpoint},
    )
    assert proc.returncode == 3, proc.stderr
    document = json.loads(proc.stdout)
    check = document["run"]["checks"]["tags"]
    assert document["run"]["status"] == "incomplete"
    assert check["status"] == "error"
    assert sorted(check["stats"]["errors"]) == sorted(
        f"dynamodb {region} {account}: ListTables: AccessDeniedException "
        "(User is not authorized to perform: dynamodb:ListTables)"
        for account in estate.accounts
        for region in REGIONS
    )
    assert {finding_key(f) for f in document["findings"]} == estate.expected(
        exclude_types=("dynamodb:",)
    )
    assert "hygiene: incomplete" in proc.stderr and "errors: tags" in proc.stderr
