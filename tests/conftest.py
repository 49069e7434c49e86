"""Shared fixtures: guards that keep tests off the real home directory and network, real
temporary git repos, and moto's HTTP server for boto3."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- guards

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            is_local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            is_local = host in ("localhost",)
        if not is_local:
            raise OSError(f"test tried to reach {host}: tests may only talk to 127.0.0.1")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _guard_home_and_network(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads the real $HOME, AWS/GCP config, or reaches beyond loopback."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in list(os.environ):
        if name.startswith(("AWS_", "HYGIENE_", "GOOGLE_", "CLOUDSDK_")) or name == "SENTRY_DSN":
            monkeypatch.delenv(name, raising=False)
    # Kingfisher's compiled rules (6 s to build, 0.5 s to load) are cached per test worker, not
    # per temporary $HOME: every `hygiene` the tests start would otherwise compile them again
    monkeypatch.setenv("KF_RULE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "kingfisher"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


# --------------------------------------------------------------------------- git


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in ``repo`` with a fixed identity; returns stdout."""
    full_env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        **(env or {}),
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=full_env
    ).stdout


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a real git repo from ``{path: text}`` commits, oldest first.

    ``make_repo("name", [{"a.py": "x"}, {"a.py": None}])`` commits twice; ``None`` deletes.
    """

    def factory(name: str = "repo", commits: list[dict[str, str | None]] | None = None) -> Path:
        repo = tmp_path / name
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        for number, files in enumerate(commits or [], start=1):
            for rel, text in files.items():
                target = repo / rel
                if text is None:
                    git(repo, "rm", "-q", rel)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                git(repo, "add", rel)
            git(repo, "commit", "-q", "--allow-empty", "-m", f"commit {number}")
        return repo

    return factory


# --------------------------------------------------------------------------- moto


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's threaded HTTP server on 127.0.0.1, for boto3 via AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean moto estate for one test; boto3 in this process and subprocesses points at it."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    yield moto_endpoint


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``hygiene`` console script in a subprocess."""
    import shutil
    import sys

    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    return subprocess.run(
        [exe, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=input,
        timeout=600,
    )
