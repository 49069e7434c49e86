"""Sharded runs merged equal the unsharded run on the same estate (moto organisation of two
accounts × two regions, real git repositories), recorded in SQLite; missing and failed shards."""

from __future__ import annotations

import copy
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hygiene.errors import HygieneError
from hygiene.merge import Part, merge_parts, record_merged
from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from hygiene.shard import Shard
from tests.fixtures.scale.estate import make_repos, shard_policy
from tests.fixtures.tags.estate import Estate, seed

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("scale-estate")]

AS_OF = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CHECKS = ["tags", "rotation", "backups", "env", "secrets", "readiness", "budgets"]
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
#: Stats that legitimately differ between a merged and an unsharded run (see hygiene.merge):
#: every shard repeats the discovery calls (organisation, regions, caller identity), and the
#: secret scanner's work depends on what its cache already held and on blobs shared by repos.
DIFFERENT_STATS = {
    "api_calls",
    "api_calls_by_operation",
    "blobs_cached",
    "blobs_scanned",
    "bytes_scanned",
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


def audit(
    policy: Policy,
    repos: list[Path],
    state: Path | str | None,
    shard: Shard | None = None,
    cache: Path | None = None,
) -> dict[str, Any]:
    run = run_audit(
        policy=policy,
        as_of=AS_OF,
        only=CHECKS,
        repos=repos,
        state_path=state,  # type: ignore[arg-type]
        options={"shard": shard} if shard else None,
        cache_dir=cache,
    )
    return run.to_contract()


def sharded(
    policy: Policy, repos: list[Path], count: int, state: Path | str, tmp: Path
) -> dict[str, Any]:
    parts = [
        Part(
            f"part-{i}", audit(policy, repos, tmp / f"shard-{i}.db", Shard(i, count), tmp / "cache")
        )
        for i in range(count)
    ]
    return record_merged(merge_parts(parts, count, policy), state).to_contract()


def without(value: Any, keys: set[str]) -> Any:
    """``value`` without ``keys`` at any depth."""
    if isinstance(value, dict):
        return {k: without(v, keys) for k, v in value.items() if k not in keys}
    return value


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document without what differs by nature: ids, times, durations, API-call counts."""
    run = document["run"]
    checks = {}
    for name, entry in run["checks"].items():
        stats = without(entry["stats"], DIFFERENT_STATS)
        checks[name] = {"status": entry["status"], "reason": entry["reason"], "stats": stats}
    return {
        "status": run["status"],
        "checks": checks,
        "resolved": run["resolved"],
        "findings": {f["id"]: f for f in document["findings"]},
    }


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Leaf paths where two JSON values differ (a readable failure)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return [
            d
            for k in sorted({*left, *right}, key=str)
            for d in differences(left.get(k, "<absent>"), right.get(k, "<absent>"), f"{path}.{k}")
        ]
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]


@pytest.mark.parametrize("count", [2, 3])
def test_merged_shards_equal_the_unsharded_run(
    estate: Estate, make_repo: Callable[..., Path], tmp_path: Path, count: int
) -> None:
    repos = make_repos(make_repo, 5)
    policy = shard_policy()
    whole = audit(policy, repos, tmp_path / "whole.db", cache=tmp_path / "whole-cache")
    merged = sharded(policy, repos, count, tmp_path / "merged.db", tmp_path)
    expected, actual = comparable(whole), comparable(merged)
    assert sorted(
        (f["check"], f["rule"], f["resource"]) for f in actual["findings"].values()
    ) == sorted((f["check"], f["rule"], f["resource"]) for f in expected["findings"].values())
    assert set(actual["findings"]) == set(expected["findings"])
    assert set(actual["checks"]) == set(expected["checks"])
    diffs = differences(actual["checks"], expected["checks"])
    assert not diffs, "\n".join(diffs)
    assert actual == expected
    # the estate is not trivial: each kind of unit produced findings
    assert {f["check"] for f in whole["findings"]} >= {"tags", "env", "secrets", "policy"}
    assert whole["run"]["checks"]["policy"]["stats"]["suppressed"] > 0
    assert [f["status"] for f in merged["findings"]] == ["new"] * len(merged["findings"])


def test_each_unit_runs_in_exactly_one_shard(
    estate: Estate, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repos = make_repos(make_repo, 4)
    policy = shard_policy()
    parts = [audit(policy, repos, None, Shard(i, 3)) for i in range(3)]
    seen: dict[str, int] = {}
    for index, part in enumerate(parts):
        assert part["run"]["shard"]["index"] == index
        assert "policy" not in part["run"]["checks"]
        for finding in part["findings"]:
            assert finding["id"] not in seen, (
                f"{finding['id']} in shards {seen.get(finding['id'])} and {index}"
            )
            seen[finding["id"]] = index
    # non-partitioned checks (budgets) run on shard 0 only
    assert ["budgets" in p["run"]["checks"] for p in parts] == [True, False, False]
    repo_scopes = [set(p["run"]["shard"]["scopes"].get("env") or []) for p in parts]
    assert set().union(*repo_scopes) == {r.name for r in repos}
    assert sum(len(s) for s in repo_scopes) == len(repos)


def test_second_merged_run_resolves_like_the_unsharded_one(
    estate: Estate, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    from tests.conftest import git

    repos = make_repos(make_repo, 3)
    policy = shard_policy()
    audit(policy, repos, tmp_path / "whole.db")
    sharded(policy, repos, 2, tmp_path / "merged.db", tmp_path / "a")
    (repos[1] / ".env.example").write_text("HTTP_TIMEOUT=5\nDATABASE_URL_1=\n", encoding="utf-8")
    git(repos[1], "commit", "-qam", "document DATABASE_URL_1")
    whole = audit(policy, repos, tmp_path / "whole.db")
    merged = sharded(policy, repos, 2, tmp_path / "merged.db", tmp_path / "b")
    assert whole["run"]["resolved"], "the fix resolves findings"
    assert merged["run"]["resolved"] == whole["run"]["resolved"]
    assert comparable(merged) == comparable(whole)
    assert {f["status"] for f in merged["findings"]} == {"open"}


def test_a_missing_shard_makes_the_run_incomplete_and_resolves_nothing_of_its_checks(
    estate: Estate, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repos = make_repos(make_repo, 4)
    policy = shard_policy()
    parts = [Part(f"p{i}", audit(policy, repos, None, Shard(i, 3))) for i in range(3)]
    merged = merge_parts([parts[0], parts[2]], 3, policy).run
    document = merged.to_contract()
    assert document["run"]["status"] == "incomplete"
    checks = document["run"]["checks"]
    assert checks["shards"]["status"] == "error"
    assert "shard(s) 1/3 missing" in checks["shards"]["reason"]
    for name in ("tags", "env", "secrets"):
        assert checks[name]["status"] == "error", name
        assert "1/3 missing" in checks[name]["reason"]
    assert checks["budgets"]["status"] in ("ok", "skipped")  # shard 0 ran it whole
    ids = {f["id"] for p in (parts[0], parts[2]) for f in p.document["findings"]}
    assert {f.id for f in merged.findings if f.check != "policy"} == ids


def test_a_failed_shard_check_makes_the_merged_check_error(
    estate: Estate, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    repos = make_repos(make_repo, 2)
    policy = shard_policy()
    parts = [Part(f"p{i}", audit(policy, repos, None, Shard(i, 2))) for i in range(2)]
    broken = copy.deepcopy(parts[1].document)
    broken["run"]["checks"]["tags"].update(status="error", reason="1 part(s) could not be read: x")
    broken["run"]["checks"]["tags"]["stats"]["errors"] = ["ec2 eu-west-1 123: AccessDenied"]
    document = merge_parts([parts[0], Part("p1", broken)], 2, policy).run.to_contract()
    assert document["run"]["status"] == "incomplete"
    assert document["run"]["checks"]["tags"]["status"] == "error"
    assert "ec2 eu-west-1 123: AccessDenied" in document["run"]["checks"]["tags"]["reason"]


def test_shards_of_different_runs_are_refused(estate: Estate, tmp_path: Path) -> None:
    policy = shard_policy()
    part = audit(policy, [], None, Shard(0, 2))
    other = copy.deepcopy(part)
    other["run"]["shard"]["index"] = 1
    other["run"]["as_of"] = "2026-11-28T00:00:00Z"
    with pytest.raises(HygieneError, match="as_of"):
        merge_parts([Part("a", part), Part("b", other)], 2, policy)
    with pytest.raises(HygieneError, match="given twice"):
        merge_parts([Part("a", part), Part("b", part)], 2, policy)
    with pytest.raises(HygieneError, match="not one of 3 shards"):
        merge_parts([Part("a", part)], 3, policy)
    with pytest.raises(HygieneError, match="another policy"):
        merge_parts(
            [Part("a", part)], 2, shard_policy(repos=[]).model_copy(update={"exceptions": []})
        )
