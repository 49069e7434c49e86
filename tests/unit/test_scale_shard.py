"""Shard assignment (deterministic, balanced, a partition), --shard parsing, stats merging, and
the shipped deploy manifests running N shards and one merge."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hygiene.errors import HygieneError
from hygiene.merge import merge_stats
from hygiene.registry import CHECKS
from hygiene.shard import Shard, active, assign, first_only, partitioning
from hygiene.sources.aws.session import Slice

REPO = Path(__file__).resolve().parents[2]


def slices() -> list[Slice]:
    return [
        Slice(f"{a:012d}", region, service)
        for a in range(20)
        for region in ("us-east-1", "eu-west-1", "ap-south-1", "us-west-2")
        for service in ("ec2", "s3", "rds")
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_every_unit_lands_in_exactly_one_shard_and_shards_are_balanced(count: int) -> None:
    units = slices()
    shares = [Shard(i, count).take(units, key=str) for i in range(count)]
    flat = [u for share in shares for u in share]
    assert sorted(flat, key=str) == sorted(units, key=str)
    assert len(set(map(str, flat))) == len(units)
    sizes = [len(s) for s in shares]
    assert max(sizes) - min(sizes) <= 1


def test_assignment_is_deterministic_and_independent_of_input_order() -> None:
    units = [str(s) for s in slices()]
    first = assign(units, 4)
    again = assign(list(reversed(units)), 4)
    assert first == again
    # shares mix accounts and regions, not contiguous blocks
    share0 = {key.split()[2] for key, shard in first.items() if shard == 0}
    assert len(share0) > 10


def test_order_of_a_share_follows_the_input() -> None:
    units = [str(s) for s in slices()]
    share = Shard(1, 3).take(units)
    assert share == [u for u in units if u in set(share)]


@pytest.mark.parametrize("text", ["2/2", "-1/2", "a/b", "1", "1/0", ""])
def test_bad_shard_specs_are_usage_errors(text: str) -> None:
    with pytest.raises(HygieneError, match="--shard"):
        Shard.parse(text)


def test_parse_and_run_rules() -> None:
    assert Shard.parse(" 3 / 8 ") == Shard(3, 8)
    assert str(Shard(3, 8)) == "3/8"
    budgets = CHECKS["budgets"].partition
    assert Shard(0, 2).runs(budgets) and not Shard(1, 2).runs(budgets)
    assert all(Shard(1, 2).runs(spec.partition) for spec in CHECKS.values() if spec.partition)


def test_partitioning_context_sets_the_active_shard() -> None:
    assert active() is None and first_only()
    with partitioning(Shard(1, 2)):
        assert active() == Shard(1, 2)
        assert not first_only()
    with partitioning(Shard(0, 2)):
        assert first_only()
    assert active() is None


def test_merge_stats_sums_counts_unions_lists_and_recomputes_percentages() -> None:
    left = {
        "resources": 3,
        "compliant": 1,
        "compliance_percent": 33.33,
        "accounts": ["a", "b"],
        "regions": {"a": ["us-east-1", "eu-west-1"]},
        "slices": {"total": 8, "ok": 4},
        "by_owner": {"x": {"resources": 3, "compliant": 1, "percent": 33.33}},
        "gcp": "read",
        "errors": [],
        "truncated": False,
    }
    right = {
        "resources": 1,
        "compliant": 1,
        "compliance_percent": 100.0,
        "accounts": ["a", "b"],
        "regions": {"a": ["us-east-1", "eu-west-1"]},
        "slices": {"total": 8, "ok": 4},
        "by_owner": {
            "x": {"resources": 1, "compliant": 1, "percent": 100.0},
            "y": {"resources": 2, "compliant": 2, "percent": 100.0},
        },
        "errors": ["s3 eu-west-1 a: AccessDenied"],
        "truncated": True,
    }
    merged = merge_stats([left, right], same=(("slices", "total"),))
    assert merged == {
        "resources": 4,
        "compliant": 2,
        "compliance_percent": 50.0,
        "accounts": ["a", "b"],
        "regions": {"a": ["us-east-1", "eu-west-1"]},
        "slices": {"total": 8, "ok": 8},
        "by_owner": {
            "x": {"resources": 4, "compliant": 2, "percent": 50.0},
            "y": {"resources": 2, "compliant": 2, "percent": 100.0},
        },
        "gcp": "read",
        "errors": ["s3 eu-west-1 a: AccessDenied"],
        "truncated": True,
    }


def test_kubernetes_indexed_job_and_merge_agree_on_n() -> None:
    docs = list(
        yaml.safe_load_all((REPO / "deploy" / "kubernetes" / "shards-job.yaml").read_text())
    )
    shards, merge = (d for d in docs if d["kind"] == "Job")
    spec = shards["spec"]
    assert spec["completionMode"] == "Indexed"
    n = spec["completions"]
    assert spec["parallelism"] == n
    for job in (shards, merge):
        env = {
            e["name"]: e.get("value")
            for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["HYGIENE_SHARDS"] == str(n)
    script = shards["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert '--shard "${JOB_COMPLETION_INDEX}/${HYGIENE_SHARDS}"' in script
    assert (
        "hygiene merge $parts --expect"
        in merge["spec"]["template"]["spec"]["containers"][0]["args"][0]
    )


def test_github_matrix_runs_n_shards_then_merges() -> None:
    flow = yaml.safe_load((REPO / "deploy" / "github" / "shards.yml").read_text())
    n = int(flow["env"]["SHARDS"])
    jobs = flow["jobs"]
    assert jobs["shard"]["strategy"]["matrix"]["shard"] == list(range(n))
    assert jobs["shard"]["strategy"]["fail-fast"] is False
    assert set(jobs["merge"]["needs"]) == {"plan", "shard"} and jobs["merge"]["if"] == "always()"
    steps = " ".join(s.get("run", "") for s in jobs["merge"]["steps"])
    assert 'hygiene merge $parts --expect "$SHARDS"' in steps
