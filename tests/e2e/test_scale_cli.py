"""``hygiene audit --shard I/N`` and ``hygiene merge`` through the installed CLI: the merged run
equals the unsharded one (SQLite, and PostgreSQL when a server is configured), a missing shard
exits 3 naming it, usage errors exit 2."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.fixtures.scale.estate import make_repos
from tests.fixtures.scale.postgres import fresh_database

pytestmark = [pytest.mark.e2e]

AS_OF = "2026-11-27"


def audit(repos: list[Path], out: Path, *extra: str, state: str | None = None) -> Any:
    args = [
        "audit",
        "--only",
        "env,secrets,readiness",
        "--as-of",
        AS_OF,
        "--format",
        "json",
        "-o",
        str(out),
    ]
    args += [a for r in repos for a in ("--repo", str(r))]
    env = {"HYGIENE_STATE": state} if state else {}
    return run_cli(*args, *extra, env=env)


def findings(path: Path) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in json.loads(path.read_text())["findings"]}


def statuses(path: Path) -> dict[str, str]:
    return {k: v["status"] for k, v in json.loads(path.read_text())["run"]["checks"].items()}


def sharded_then_merged(repos: list[Path], tmp: Path, merged_state: str) -> Any:
    for i in range(2):
        done = audit(
            repos, tmp / f"part-{i}.json", "--shard", f"{i}/2", state=str(tmp / f"s{i}.db")
        )
        assert done.returncode in (0, 1), done.stderr
    return run_cli(
        "merge",
        str(tmp / "part-0.json"),
        str(tmp / "part-1.json"),
        "--expect",
        "2",
        "--format",
        "json",
        "-o",
        str(tmp / "merged.json"),
        env={"HYGIENE_STATE": merged_state},
    )


def test_merge_of_two_shards_equals_the_unsharded_audit(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repos = make_repos(make_repo, 4)
    whole = audit(repos, tmp_path / "whole.json", state=str(tmp_path / "whole.db"))
    merged = sharded_then_merged(repos, tmp_path, str(tmp_path / "merged.db"))
    assert merged.returncode == whole.returncode == 1, merged.stderr
    assert "merged 2 part(s) of 2: complete" in merged.stderr
    assert findings(tmp_path / "merged.json") == findings(tmp_path / "whole.json")
    assert statuses(tmp_path / "merged.json") == statuses(tmp_path / "whole.json")
    part = json.loads((tmp_path / "part-1.json").read_text())
    assert part["run"]["shard"]["index"] == 1 and part["run"]["shard"]["count"] == 2


@pytest.fixture
def pg() -> Iterator[str]:
    yield from fresh_database()


def test_merge_records_into_postgresql(
    make_repo: Callable[..., Path], tmp_path: Path, pg: str
) -> None:
    url = pg
    repos = make_repos(make_repo, 2)
    whole = audit(repos, tmp_path / "whole.json", state=str(tmp_path / "whole.db"))
    assert whole.returncode in (0, 1), whole.stderr
    merged = sharded_then_merged(repos, tmp_path, url)
    assert merged.returncode == whole.returncode, merged.stderr  # the same verdict as unsharded
    assert findings(tmp_path / "merged.json") == findings(tmp_path / "whole.json")
    again = sharded_then_merged(repos, tmp_path, url)
    assert again.returncode == whole.returncode, again.stderr
    assert {f["status"] for f in findings(tmp_path / "merged.json").values()} == {"open"}


def test_a_missing_shard_exits_3_and_names_it(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repos = make_repos(make_repo, 2)
    audit(repos, tmp_path / "part-0.json", "--shard", "0/3")
    done = run_cli(
        "merge",
        str(tmp_path / "part-0.json"),
        str(tmp_path / "part-2.json"),
        "--expect",
        "3",
        "--no-state",
        "--format",
        "json",
        "-o",
        str(tmp_path / "m.json"),
    )
    assert done.returncode == 3, done.stderr
    checks = json.loads((tmp_path / "m.json").read_text())["run"]["checks"]
    assert checks["shards"]["status"] == "error"
    assert "shard(s) 1/3, 2/3 missing" in checks["shards"]["reason"]
    assert "part-2.json" in checks["shards"]["reason"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    bad = run_cli("audit", "--shard", "3/3", "--only", "env", "--no-state")
    assert bad.returncode == 2 and "--shard 3/3" in bad.stderr
    alert = run_cli("audit", "--shard", "0/2", "--alert", "--only", "env", "--no-state")
    assert alert.returncode == 2
    (tmp_path / "plain.json").write_text(
        json.dumps({"schema": "hygiene.findings/v1", "run": {}, "findings": []})
    )
    merged = run_cli("merge", str(tmp_path / "plain.json"), "--expect", "1", "--no-state")
    assert merged.returncode == 2 and "run.shard is missing" in merged.stderr
