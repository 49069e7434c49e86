"""`hygiene init`: starter files that validate, and never a file overwritten."""

from __future__ import annotations

from pathlib import Path

import yaml

from hygiene.config import load_policy
from tests.conftest import run_cli


def test_init_writes_a_policy_that_validates_and_the_optional_files(tmp_path: Path) -> None:
    done = run_cli(
        "init", "--dir", str(tmp_path), "--project", "checkout", "--owner", "team-payments",
        "--github-actions", "--pre-commit",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    policy = load_policy([str(tmp_path / "hygiene.yaml")])
    assert policy.tags.required == ["Project", "Owner", "Env"]
    [budget] = policy.budgets
    assert (budget.scope, budget.owner) == ({"Project": "checkout"}, "team-payments")
    [channel] = policy.alerts.channels
    assert channel.url_env == "HYGIENE_SLACK_WEBHOOK_URL"  # named by variable, no secret written
    workflow = yaml.safe_load((tmp_path / ".github/workflows/hygiene.yml").read_text())
    steps = " ".join(str(step) for step in workflow["jobs"]["repo-checks"]["steps"])
    assert "--only secrets,env" in steps and "upload-sarif" in steps
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    assert hooks["repos"][0]["hooks"][0]["entry"] == "hygiene secrets scan"
    assert run_cli("policy", "validate", str(tmp_path / "hygiene.yaml")).returncode == 0


def test_init_refuses_when_any_file_exists_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    done = run_cli("init", "--dir", str(tmp_path), "--pre-commit")
    assert done.returncode == 2
    assert ".pre-commit-config.yaml already exist" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".pre-commit-config.yaml"]
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"
