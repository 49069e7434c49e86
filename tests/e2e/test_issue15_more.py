"""Issue 15, the items the audit found without a test of their own.

§1 — the lock is in force: the running environment is exactly ``uv.lock``, the lock was made from
this ``pyproject.toml`` (its direct requirements and constraints), every locked file has a hash,
the library's ranges still admit the boto3 the lock holds back, and ``make install`` / ``lock`` /
``upgrade`` / ``fuzz`` and ``.ci/run`` do what the issue says (their recipes, printed by
``make -n``: nothing is installed or resolved here).

§3.1 beyond formats and the state DB — the dotenv lines of a hostile repository reach neither an
alert's body, the metrics file nor the monthly report's files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections import defaultdict
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from hygiene.exit_codes import ExitCode
from tests.conftest import REPO_ROOT, run_cli
from tests.fixtures.env.hostile import hostile_dotenv, leaks
from tests.fixtures.publish.servers import http_receiver

HYGIENE = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
LOCK = tomllib.loads((REPO_ROOT / "uv.lock").read_text())


def _name(raw: str) -> str:
    """A distribution name as PEP 503 normalises it (what uv.lock writes)."""
    return re.sub(r"[-_.]+", "-", raw).lower()


# --------------------------------------------------------------------------- §1 the lock


def test_the_running_environment_is_exactly_the_lock() -> None:
    """Every installed distribution is in uv.lock at a version the lock holds (the lock forks
    a few packages by Python version: any of its versions for that name)."""
    locked: dict[str, set[str]] = defaultdict(set)
    for package in LOCK["package"]:
        locked[_name(package["name"])].add(package["version"])
    installed = {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    assert {"boto3", "botocore", "moto", "hypothesis"} <= installed.keys()
    assert sorted(n for n in installed if n not in locked) == []  # nothing beside the lock
    assert {n: v for n, v in installed.items() if v not in locked[n]} == {}


def _requirement_key(req: Requirement, extra: str | None) -> tuple[str, str, tuple[str, ...], str]:
    marker = f"extra == '{extra}'" if extra else (str(req.marker) if req.marker else "")
    return (
        _name(req.name),
        str(SpecifierSet(str(req.specifier))),
        tuple(sorted(req.extras)),
        marker,
    )


def test_the_lock_was_made_from_this_pyproject() -> None:
    """What ``uv sync --locked`` refuses when stale: the project's requirements and the
    constraints recorded in the lock are the ones pyproject.toml states now."""
    project = PYPROJECT["project"]
    wanted = {_requirement_key(Requirement(r), None) for r in project["dependencies"]}
    for extra, requirements in project["optional-dependencies"].items():
        wanted |= {_requirement_key(Requirement(r), extra) for r in requirements}
    [root] = [p for p in LOCK["package"] if p["source"] == {"editable": "."}]
    recorded = {
        (
            _name(r["name"]),
            str(SpecifierSet(r.get("specifier", ""))),
            tuple(sorted(r.get("extras", []))),
            r.get("marker", ""),
        )
        for r in root["metadata"]["requires-dist"]
    }
    assert recorded == wanted
    constraints = {
        (_name(c["name"]), str(SpecifierSet(c["specifier"])))
        for c in LOCK["manifest"]["constraints"]
    }
    stated = {
        (_name(r.name), str(r.specifier))
        for r in map(Requirement, PYPROJECT["tool"]["uv"]["constraint-dependencies"])
    }
    assert constraints == stated


def test_every_locked_file_has_a_sha256() -> None:
    registry = [p for p in LOCK["package"] if "registry" in p["source"]]
    assert len(registry) > 100
    unhashed = [
        (p["name"], f.get("url", "?"))
        for p in registry
        for f in [*([p["sdist"]] if "sdist" in p else []), *p.get("wheels", [])]
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", f.get("hash", ""))
    ]
    assert unhashed == []
    assert [p["name"] for p in registry if "sdist" not in p and not p.get("wheels")] == []


def test_only_the_lock_holds_botocore_back_the_library_takes_current_boto3() -> None:
    """The test environment stays below botocore 1.44 (moto 5.2.6 does not route its rest-json
    Athena); people installing the library still get any boto3 the range allows."""
    [boto3] = [
        Requirement(r) for r in PYPROJECT["project"]["dependencies"] if r.startswith("boto3")
    ]
    assert boto3.specifier.contains("1.44.0") and boto3.specifier.contains("1.99.0")
    locked = {_name(p["name"]): p["version"] for p in LOCK["package"]}
    for name in ("boto3", "botocore"):
        assert not SpecifierSet(">=1.44").contains(locked[name]), (name, locked[name])
        assert metadata.version(name) == locked[name]


def _make_n(*args: str) -> str:
    """The recipe make would run (``make -n``): printed, not executed."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    proc = subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO_ROOT), "-n", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_make_install_builds_the_venv_from_the_lock_with_a_pinned_uv_from_the_registry() -> None:
    recipe = _make_n("-B", "install")
    version = re.search(r"^UV_VERSION := (\S+)$", (REPO_ROOT / "Makefile").read_text(), re.M)
    assert version is not None
    assert re.search(rf"-m pip install .*uv=={re.escape(version.group(1))}$", recipe, re.M), (
        recipe
    )  # uv from the package registry, at the Makefile's version, into .tools
    assert re.search(r"^\.tools/bin/uv sync --locked --extra dev\b", recipe, re.M), recipe
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)  # CI goes through the same install
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^test: install\b", makefile, re.M)  # make test installs from the lock


def test_make_lock_upgrade_and_fuzz_recipes() -> None:
    assert re.search(r"^\.tools/bin/uv lock$", _make_n("lock"), re.M)
    upgrade = _make_n("upgrade").splitlines()
    bump = upgrade.index(".tools/bin/uv lock --upgrade")
    after = upgrade[bump + 1 :]
    assert "make test" in after and any("-m pytest" in line for line in after), upgrade
    [fuzz] = [line for line in _make_n("fuzz").splitlines() if "pytest" in line]
    assert fuzz.startswith("HYPOTHESIS_PROFILE=fuzz ") and fuzz.rstrip().endswith("tests/property")


# --------------------------------------------------------------------------- §3.1 alerts, report


ALERT_POLICY = """\
alerts:
  channels:
    - name: hook
      type: webhook
      url_env: HOOK_URL
      min_severity: info
"""


@pytest.mark.e2e
def test_dotenv_lines_reach_no_alert_metrics_or_monthly_report(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repo = make_repo(
        "hostile",
        [
            {
                ".gitignore": ".env\n",
                ".env.example": hostile_dotenv(),
                "deploy/.env.production": hostile_dotenv("PROD_ONLY=1\n"),
                "app.py": "import os\nos.environ['APP_PORT']\nos.environ['PRIVATE_KEY']\n",
            }
        ],
    )
    (repo / ".env").write_text(hostile_dotenv("LOCAL_ONLY=1\n"))  # git-ignored, on disk only
    policy = tmp_path / "policy.yaml"
    policy.write_text(ALERT_POLICY)
    state, metrics, out = tmp_path / "state.db", tmp_path / "m.prom", tmp_path / "reports"
    with http_receiver() as hook:
        audit = run_cli(
            "audit", "--config", str(policy), "--only", "env", "--repo", str(repo),
            "--state", str(state), "--as-of", "2026-11-20", "--format", "json",
            "--alert", "--metrics-file", str(metrics), "--no-progress",
            cwd=tmp_path, env={"HOOK_URL": hook.url},
        )  # fmt: skip
    assert audit.returncode == ExitCode.FINDINGS, audit.stderr
    assert "alerts: hook: sent" in audit.stderr
    [body] = hook.bodies
    sent = json.dumps(body)
    # the alert carries the findings (so the check below is not vacuous) ...
    assert {a["rule"] for a in body["alerts"]} >= {"missing-equals", "invalid-line"}
    report = run_cli("report", "--month", "2026-11", "--state", str(state), "--out", str(out))
    assert report.returncode == 0, report.stderr
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    report_text = "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)
    assert "hostile" in report_text  # ... and so does the report
    texts = [sent, metrics.read_text(), report_text, audit.stdout, audit.stderr, report.stderr]
    assert [leaks(text) for text in texts] == [[]] * len(texts)


# --------------------------------------------------------------------------- §2 HYGIENE_ALLOW_EMPTY


@pytest.mark.e2e
def test_hygiene_allow_empty_in_the_environment_is_the_flag(tmp_path: Path) -> None:
    """docs/operations.md: ``--allow-empty`` or ``HYGIENE_ALLOW_EMPTY=1`` accepts a run that
    audited nothing (here: outside any git checkout, no cloud credentials)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GOOGLE_", "GCP_"))},
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "GIT_CEILING_DIRECTORIES": str(tmp_path.parent),
    }
    codes = {}
    for value in ("1", "0"):
        proc = subprocess.run(
            [HYGIENE, "audit", "--no-state", "--format", "json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**env, "HYGIENE_ALLOW_EMPTY": value},  # not run_cli: it adds os.environ back
            timeout=300,
        )
        assert "nothing was audited (every check was skipped" in proc.stderr
        codes[value] = (proc.returncode, json.loads(proc.stdout)["run"]["status"])
    assert codes == {
        "1": (ExitCode.CLEAN, "complete"),
        "0": (ExitCode.INCOMPLETE, "incomplete"),
    }
