"""The collector without AWS credentials: AWS sources are skipped with the reason, never silent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.checks.budgets import SPEC
from hygiene.checks.budgets.collect import collect
from hygiene.context import RunContext
from hygiene.errors import CheckSkipped
from hygiene.pipeline import run_check
from hygiene.policy import Policy

SAMPLE = str(Path(__file__).resolve().parents[2] / "data" / "focus" / "focus_sample.csv")
AS_OF = datetime(2024, 9, 30, 23, 59, 59, tzinfo=UTC)


def context(
    tmp_path: Path, sources: list[str], environ: dict[str, str] | None = None
) -> RunContext:
    policy = Policy.model_validate({"billing": {"sources": sources}})
    return RunContext(
        run_id="t", as_of=AS_OF, policy=policy, cache_dir=tmp_path, environ=environ or {}
    )


def test_no_sources_skips(tmp_path: Path) -> None:
    with pytest.raises(CheckSkipped, match="no billing sources"):
        collect(context(tmp_path, []))


def test_only_aws_sources_without_credentials_skip(tmp_path: Path) -> None:
    with pytest.raises(CheckSkipped, match="aws-budgets: no AWS credentials found"):
        collect(context(tmp_path, ["aws-budgets"]))


def test_a_skipped_source_beside_a_file_is_reported_in_stats(tmp_path: Path) -> None:
    collection = collect(context(tmp_path, ["aws-cost-explorer", SAMPLE]))
    assert collection.errors == []
    assert [s.split(":")[0] for s in collection.stats["skipped_sources"]] == ["aws-cost-explorer"]
    assert collection.stats["line_items"] == 999  # the October billing-period row is not read
    assert "spend" not in collection.stats  # the spend table needs the rules: the tally's
    result = run_check(SPEC, context(tmp_path, ["aws-cost-explorer", SAMPLE]))
    assert (result.status, result.stats["line_items"]) == ("ok", 999)
    assert result.stats["spend"]["total"] == "22.62"


def test_environment_overrides_the_policy_sources(tmp_path: Path) -> None:
    result = run_check(
        SPEC, context(tmp_path, ["aws-budgets"], {"HYGIENE_BILLING_SOURCES": SAMPLE})
    )
    assert result.stats["sources"] == [SAMPLE]
