"""The readiness collector on real git repositories."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hygiene.checks.readiness import evaluate
from hygiene.collect.readiness import collect
from hygiene.context import RunContext
from hygiene.policy import Policy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readiness"


def fixture_commit(name: str) -> dict[str, str | None]:
    root = FIXTURES / name
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def test_collector_reads_tracked_files_only(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "flask_gaps",
        [fixture_commit("flask_gaps"), {"node_modules/x/index.js": "require('express')"}],
    )
    (repo / "untracked.py").write_text("from flask import Flask\n")
    ctx = RunContext(
        run_id="t", as_of=datetime(2026, 11, 27, tzinfo=UTC), policy=Policy(), repos=(repo,)
    )
    collection = collect(ctx)
    records = [r for batch in collection.record_batches() for r in batch]  # one repo a batch
    assert collection.errors == [] and collection.scopes == ["flask_gaps"]
    [record] = records
    assert set(record.files) == {"app.py"}
    assert record.commit is not None and len(record.commit) == 40
    findings = evaluate(records, ctx.policy, ctx.as_of)
    sentry = next(f for f in findings if f.rule == "sentry-dsn-hardcoded")
    assert sentry.location is not None and sentry.location.commit == record.commit


def test_not_a_repo_is_an_error_slice(tmp_path: Path, make_repo: Callable[..., Path]) -> None:
    good = make_repo("go_ok", [fixture_commit("go_ok")])
    plain = tmp_path / "plain"
    plain.mkdir()
    ctx = RunContext(
        run_id="t", as_of=datetime(2026, 11, 27, tzinfo=UTC), policy=Policy(), repos=(good, plain)
    )
    collection = collect(ctx)
    batches = list(collection.record_batches())
    assert [[r.repo for r in batch] for batch in batches] == [["go_ok"]]  # streamed per repo
    assert collection.scopes == ["go_ok"]
    assert {k: collection.stats[k] for k in ("repos", "services", "applications", "alerting")} == {
        "repos": ["go_ok"],
        "services": ["go_ok"],
        "applications": ["go_ok"],
        "alerting": ["go_ok"],
    }
    assert collection.errors == [
        f"{plain}: not inside a git repository; pass the path of a git checkout"
    ]
