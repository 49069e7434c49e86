"""``audit --validate`` against a local HTTP server standing in for the providers (GitHub, GitLab,
Slack, Stripe, npm, SendGrid, OpenAI and AWS STS): a live token becomes critical and
``validated: true``, a revoked one ``false`` with its severity unchanged, an unreachable or slow
provider ``unknown`` without failing the run, the rate limit holds, and no token reaches a log,
the output, the state DB or any provider but its own."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hygiene.findings import secret_hash
from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from hygiene.sources.validate import Settings, Validator
from hygiene.sources.validate.http import Http, TokenBucket, check_base_url
from tests.conftest import git, run_cli

AS_OF = datetime(2026, 11, 27, 12, tzinfo=UTC)

# one live and one revoked token per provider (none is a real credential)
LIVE = {
    "github": "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",  # pragma: allowlist secret
    "gitlab": "glpat-Xy7Zq2Wv9Ut4Sr1Po6Nm",  # pragma: allowlist secret
    "slack": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",  # pragma: allowlist secret
    "stripe": "sk_live_4eC39HqLyjWDarjtT1zdp7dc",  # pragma: allowlist secret
    "npm": "npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",  # pragma: allowlist secret
    "sendgrid": "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",  # pragma: allowlist secret
    "openai": "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",  # pragma: allowlist secret
    "aws": "AKIAQ3EGRIZKQ5XHJ2VB",  # pragma: allowlist secret
}
REVOKED = {
    "github": "ghp_Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2",  # pragma: allowlist secret
    "gitlab": "glpat-Mn6Po1Sr4Ut9Wv2Zq7Xy",  # pragma: allowlist secret
    "slack": "xoxb-210987654321-3210987654321-XwVuTsRqPoNmLkJiHgFeDcBa",  # pragma: allowlist secret
    "stripe": "sk_live_cd7pdz1TtjraDWjyLqH93Ce4",  # pragma: allowlist secret
    "npm": "npm_Xw1Vu0St9Rq8Po7Nm6Lk5Ji4Hg3Fe2Dc1bA2",  # pragma: allowlist secret
    "sendgrid": "SG.Zz3dE5gH7jK9mN1pQ3sT5v.Yy7yZ9aB1cD3eF5gH7jK9mN1pQ3sT5vW7xY9zA1bC3d",  # pragma: allowlist secret
    "openai": "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",  # pragma: allowlist secret
    "aws": "AKIAZ7NMBV2JHX5QKZIR",  # pragma: allowlist secret
}
AWS_SECRET = {  # the secret half written beside each key id
    "AKIAQ3EGRIZKQ5XHJ2VB": "k9Xq2Lw7Rt4Yp1Zs8Vn3Bm6Hc5Jd0Fg2Ka7Qe4Wi",  # pragma: allowlist secret
    "AKIAZ7NMBV2JHX5QKZIR": "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",  # pragma: allowlist secret
}
ALL = [*LIVE.values(), *REVOKED.values(), *AWS_SECRET.values()]
#: the value each token's findings are of: an AWS key id and its secret are one hit (the
#: kingfisher engine's pair rule), whose value is the secret; the key id's check decides it
FOUND_AS = {token: AWS_SECRET.get(token, token) for token in ALL}
PROVIDER_OF = {v: p for p, v in LIVE.items()} | {v: p for p, v in REVOKED.items()}
#: where each provider's check goes (the stand-in tells them apart by path)
ROUTES = {
    "/user": "github",
    "/api/v4/user": "gitlab",
    "/api/auth.test": "slack",
    "/v1/balance": "stripe",
    "/-/whoami": "npm",
    "/v3/scopes": "sendgrid",
    "/v1/models": "openai",
    "/": "aws",
}


class Provider(BaseHTTPRequestHandler):
    """Every provider at once: live tokens are accepted, others refused as each provider does."""

    seen: ClassVar[list[tuple[str, str, float]]] = []  # (provider, token, when)
    mode: ClassVar[str] = "ok"  # ok | slow | 429-once
    throttled: ClassVar[set[str]] = set()

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        route = ROUTES.get(self.path.split("?")[0])
        token = self._token(route)
        type(self).seen.append((route or "?", token, time.monotonic()))
        if type(self).mode == "slow":
            time.sleep(1.0)
        if type(self).mode == "429-once" and token not in type(self).throttled:
            type(self).throttled.add(token)
            if route == "aws":
                self._send(400, _STS_THROTTLED, {"Content-Type": "text/xml"})
            else:
                self._send(429, b"{}", {"Retry-After": "0"})
            return
        live = token in LIVE.values()
        if route == "slack":
            body = {"ok": True} if live else {"ok": False, "error": "token_revoked"}
            self._send(200, json.dumps(body).encode())
        elif route == "aws":
            if live:
                self._send(200, _STS_OK, {"Content-Type": "text/xml"})
            else:
                self._send(403, _STS_DENIED, {"Content-Type": "text/xml"})
        else:
            self._send(200 if live else 401, b'{"login": "someone"}' if live else b"{}")

    def _token(self, route: str | None) -> str:
        if route == "gitlab":
            return self.headers.get("PRIVATE-TOKEN", "")
        auth = self.headers.get("Authorization", "")
        if route == "aws":
            found = re.search(r"Credential=([A-Z0-9]+)/", auth)
            return found.group(1) if found else ""
        return auth.split(" ", 1)[-1]

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


_STS_OK = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn>"
    b"<UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    b"<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
)
_STS_THROTTLED = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>1</RequestId>"
    b"</ErrorResponse>"
)
_STS_DENIED = (
    b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    b"<Code>InvalidClientTokenId</Code><Message>The security token included in the request is "
    b"invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>"
)


@pytest.fixture
def provider() -> Iterator[str]:
    Provider.seen = []
    Provider.mode = "ok"
    Provider.throttled = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _commit(repo: Path, files: dict[str, bytes | None]) -> None:
    for rel, data in files.items():
        if data is None:
            git(repo, "rm", "-q", rel)
            continue
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(data)
        git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", "c")


def _settings(tokens: dict[str, str]) -> bytes:
    lines = [f'{name.upper()}_TOKEN = "{value}"' for name, value in tokens.items() if name != "aws"]
    lines.append(f"aws_access_key_id = {tokens['aws']}")
    lines.append(f"aws_secret_access_key = {AWS_SECRET[tokens['aws']]}")
    return ("\n".join(lines) + "\n").encode()


def _npmrc(token: str) -> bytes:
    return f"//registry.npmjs.org/:_authToken={token}\n".encode()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Live tokens in the tree (one inside a zip); revoked ones only in history."""
    repo = tmp_path / "svc"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, {"old/settings.py": _settings(REVOKED), "old/.npmrc": _npmrc(REVOKED["npm"])})
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("conf/ci.py", f'GITHUB_TOKEN = "{LIVE["github"]}"\n')
    _commit(
        repo,
        {
            "old/settings.py": None,
            "old/.npmrc": None,
            "app/settings.py": _settings(LIVE),
            ".npmrc": _npmrc(LIVE["npm"]),
            "dist/bundle.zip": packed.getvalue(),
        },
    )
    return repo


def _options(url: str, **extra: Any) -> dict[str, Any]:
    urls = {name: url for name in LIVE}
    return {"validate": True, "validate_urls": urls, "validate_backoff": 0.01, **extra}


def _audit(repo: Path, options: dict[str, Any] | None = None, **kwargs: Any):  # type: ignore[no-untyped-def]
    return run_audit(
        policy=Policy(), as_of=AS_OF, only=["secrets"], repos=[repo], options=options, **kwargs
    )


def _by_sha(run: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for finding in run.findings:
        out.setdefault(finding.details["sha256"], []).append(finding)
    return out


def test_live_tokens_become_critical_and_revoked_ones_keep_their_severity(
    repo: Path, provider: str
) -> None:
    plain = _by_sha(_audit(repo))
    run = _audit(repo, _options(provider))
    assert run.status == "complete"
    found = _by_sha(run)
    assert set(found) == set(plain)  # the same findings, with verdicts
    for name, token in LIVE.items():
        for finding in found[secret_hash(FOUND_AS[token])]:
            assert finding.details["validated"] == "true", name
            assert finding.severity.value == "critical", name
            assert datetime.fromisoformat(finding.details["validated_at"]) <= datetime.now(UTC)
    for name, token in REVOKED.items():
        before = {f.id: f.severity for f in plain[secret_hash(FOUND_AS[token])]}
        for finding in found[secret_hash(FOUND_AS[token])]:
            assert finding.details["validated"] == "false", name
            assert finding.severity == before[finding.id], name
    # the zip's copy of the GitHub token was checked too (from the archive, expanded again)
    zipped = [f for f in found[secret_hash(LIVE["github"])] if "!" in f.location.path]
    assert [f.location.path for f in zipped] == ["dist/bundle.zip!conf/ci.py"]
    stats = run.results[0].stats
    assert stats["validated_true"] == len(LIVE) and stats["validated_false"] == len(REVOKED)
    assert stats["validated_unknown"] == 0 and stats["validation_unreachable"] == 0
    # each value was asked once, and only of its own provider
    asked = [(route, token) for route, token, _ in Provider.seen]
    assert sorted(asked) == sorted({(PROVIDER_OF[t], t) for t in PROVIDER_OF})


def test_validation_is_off_by_default_and_on_with_the_environment(
    repo: Path, provider: str
) -> None:
    run = _audit(repo)
    assert Provider.seen == []
    assert all("validated" not in f.details for f in run.findings)
    assert "validated_true" not in run.results[0].stats
    urls = {f"HYGIENE_VALIDATE_{name.upper()}_URL": provider for name in LIVE}
    run = _audit(repo, environ={"HYGIENE_VALIDATE": "1", **urls})
    assert run.results[0].stats["validated_true"] == len(LIVE)


def test_an_unreachable_provider_is_unknown_and_does_not_fail_the_run(
    repo: Path, provider: str
) -> None:
    closed = "http://127.0.0.1:9"  # discard port: nothing listens
    run = _audit(repo, _options(closed, validate_retries=1))
    assert run.status == "complete" and run.results[0].status != "error"
    verdicts = {f.details.get("validated") for f in run.findings if f.details["sha256"] in
                {secret_hash(FOUND_AS[t]) for t in PROVIDER_OF}}  # fmt: skip
    assert verdicts == {"unknown"}
    stats = run.results[0].stats
    assert stats["validated_unknown"] == len(PROVIDER_OF) == stats["validation_unreachable"]
    live = [f for f in run.findings if f.details["sha256"] == secret_hash(LIVE["github"])]
    assert live and all(f.severity.value != "critical" for f in live)


def test_a_provider_slower_than_the_timeout_is_unknown(repo: Path, provider: str) -> None:
    Provider.mode = "slow"
    options = _options(provider, validate_timeout=0.2, validate_retries=0)
    options["validate_urls"] = {"github": provider}  # the rest: unreachable stand-ins
    options["validate_urls"].update({n: "http://127.0.0.1:9" for n in LIVE if n != "github"})
    run = _audit(repo, options)
    assert run.status == "complete"
    github = [f for f in run.findings if f.details["sha256"] == secret_hash(LIVE["github"])]
    assert github and {f.details["validated"] for f in github} == {"unknown"}


def test_the_rate_limit_spaces_the_calls_to_one_provider(repo: Path, provider: str) -> None:
    rate = 5.0
    _audit(repo, _options(provider, validate_rate=rate, validate_burst=1))
    for name in LIVE:
        times = sorted(when for route, _, when in Provider.seen if route == name)
        assert len(times) == 2
        assert times[1] - times[0] >= 0.9 / rate  # the bucket made the second call wait


def test_a_429_is_retried_after_its_retry_after(repo: Path, provider: str) -> None:
    Provider.mode = "429-once"
    run = _audit(repo, _options(provider))
    assert run.results[0].stats["validated_true"] == len(LIVE)
    github = [t for route, t, _ in Provider.seen if route == "github"]
    assert sorted(github) == sorted([LIVE["github"]] * 2 + [REVOKED["github"]] * 2)


def test_no_token_reaches_a_log_the_output_or_the_state(
    repo: Path, provider: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state.db"
    with caplog.at_level(logging.DEBUG):
        run = _audit(repo, _options(provider), state_path=state)
        down = _audit(repo, _options("http://127.0.0.1:9", validate_retries=0), state_path=state)
    assert run.status == down.status == "complete"
    texts = [
        caplog.text,
        json.dumps([f.model_dump(mode="json") for f in [*run.findings, *down.findings]]),
        json.dumps([r.stats for r in [*run.results, *down.results]], default=str),
    ]
    raw = state.read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("state.db*"))
    for token in ALL:
        assert all(token not in text for text in texts), token
        assert token.encode() not in raw, token
        assert token[4:20].encode() not in raw  # not even a stretch of it


def test_the_cli_flag_validates(repo: Path, provider: str, tmp_path: Path) -> None:
    env = {f"HYGIENE_VALIDATE_{name.upper()}_URL": provider for name in LIVE}
    proc = run_cli(
        "audit", "--only", "secrets", "--repo", str(repo), "--no-state", "--validate",
        "--format", "json", "--log-level", "DEBUG", env=env,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # critical findings
    document = json.loads(proc.stdout)
    live = {secret_hash(FOUND_AS[t]) for t in LIVE.values()}
    confirmed = [f for f in document["findings"] if f["details"].get("validated") == "true"]
    assert {f["details"]["sha256"] for f in confirmed} == live
    assert all(f["severity"] == "critical" for f in confirmed)
    for token in ALL:
        assert token not in proc.stdout and token not in proc.stderr


# --------------------------------------------------------------------------- the parts


def test_the_token_bucket_waits_for_its_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0], sleep=sleep)
    for _ in range(6):
        bucket.take()
    assert slept == [0.5, 0.5, 0.5, 0.5]  # two at once, then one every half second


def test_plain_http_only_to_loopback() -> None:
    assert check_base_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert check_base_url("https://api.github.com") == "https://api.github.com"
    for bad in ("http://api.github.com", "ftp://x", "file:///etc/passwd", "https://"):
        with pytest.raises(ValueError):
            check_base_url(bad)
    with pytest.raises(ValueError, match="github") as caught:
        Validator(Settings(urls={"github": "http://example.com/" + LIVE["github"]}))
    assert LIVE["github"] not in str(caught.value)


def test_redirects_are_not_followed(provider: str) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", provider + "/user")
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        http = Http(f"http://127.0.0.1:{server.server_address[1]}", timeout=2, retries=0)
        assert http.request("GET", "/user", {"Authorization": "token x"}).status == 302
    finally:
        server.shutdown()
        server.server_close()
    assert Provider.seen == []  # the credential never reached the redirect's target
