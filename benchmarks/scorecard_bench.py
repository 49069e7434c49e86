"""Benchmark of the blueprint-scorecard checks (issue 10): readiness over a large repository,
the backups evaluator over a large inventory, and the scorecard over a large findings document.

1. **readiness** — generates a git repository of ``--files`` source files (FastAPI, Flask,
   Express and Go services with and without health routes, libraries, Prometheus rule files),
   times the collector (tracked files → text) and the evaluator, and, as the baseline, one
   ``git grep`` for the health routes over the same tree (what a shell script would do).
2. **backups** — ``--stores`` data stores against ``--plans`` backup plans (3 selections each,
   ARN globs, tags and conditions) in 4 regions: coverage, RPO and every rule.
3. **scorecard** — ``scorecard.build`` over a findings document of ``--findings`` findings in
   ``--scopes`` accounts and repos.

    python -m benchmarks.scorecard_bench                    # 3,000 files; 20,000 stores × 60 plans; 50,000 findings
    python -m benchmarks.scorecard_bench --files 300 --stores 2000 --plans 12 --findings 5000
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out" / "scorecard"
AS_OF = datetime(2026, 11, 27, tzinfo=UTC)

FASTAPI = 'from fastapi import APIRouter\nrouter = APIRouter()\n\n@router.get("/{route}")\ndef h{n}():\n    return {{}}\n'
FLASK = 'from flask import Blueprint\nbp = Blueprint("b{n}", __name__)\n\n@bp.route("/{route}")\ndef h{n}():\n    return "ok"\n'
EXPRESS = "const express = require('express');\nconst r = express.Router();\nr.get('/{route}', (q, s) => s.send('ok'));\n"
GO = 'package main\n\nimport "net/http"\n\nfunc init() {{ http.HandleFunc("/{route}", nil) }}\n'
LIB = "def f{n}(x: int) -> int:\n    return x + {n}\n" * 20
RULES = (
    "groups:\n- name: g{n}\n  rules:\n"
    '  - alert: E{n}\n    expr: sum(rate(http_requests_total{{code=~"5.."}}[5m])) / sum(rate(http_requests_total[5m])) > 0.0{m}\n    for: 5m\n'
    "  - alert: L{n}\n    expr: histogram_quantile(0.95, rate(h_bucket[5m])) > 0.{m}\n"
)


def make_repo(files: int) -> Path:
    """A committed repository of ``files`` generated files, ten services among them."""
    repo = OUT / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    kinds = [(FASTAPI, "py"), (FLASK, "py"), (EXPRESS, "js"), (GO, "go")]
    for n in range(files):
        if n % 100 == 0:
            text = RULES.format(n=n, m=n % 9 + 1)
            path = repo / "deploy" / f"rules-{n}.yml"
        elif n % 10 == 0:
            template, suffix = kinds[(n // 10) % len(kinds)]
            route = ("healthz", "readyz", "metrics", "api/orders")[(n // 40) % 4]
            text, path = template.format(n=n, route=route), repo / f"svc{n % 10}" / f"h{n}.{suffix}"
        else:
            text, path = LIB.format(n=n), repo / f"pkg{n % 50}" / f"mod{n}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    env = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@b",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@b",
    }
    import os

    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, env={**os.environ, **env})
    return repo


def bench_readiness(files: int) -> dict[str, Any]:
    from hygiene.checks.readiness.collect import read_repo
    from hygiene.checks.readiness.rules import evaluate
    from hygiene.policy import Policy

    repo = make_repo(files)
    policy = Policy()
    started = time.perf_counter()
    record = read_repo(repo, policy)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    findings = evaluate([record], policy, AS_OF)
    eval_s = time.perf_counter() - started
    started = time.perf_counter()
    grep = subprocess.run(
        ["git", "-C", str(repo), "grep", "-c", "-E", "/(healthz|readyz|metrics)"],
        capture_output=True,
        text=True,
    )
    grep_s = time.perf_counter() - started
    return {
        "files": files,
        "files_read": len(record.files),
        "bytes": sum(len(t) for t in record.files.values()),
        "findings": sorted({f.rule for f in findings}),
        "collect_s": round(read_s, 3),
        "evaluate_s": round(eval_s, 3),
        "files_per_s": round(len(record.files) / (read_s + eval_s), 1),
        "baseline_git_grep_s": round(grep_s, 3),
        "baseline_matching_files": len(grep.stdout.splitlines()),
    }


def bench_backups(stores: int, plans: int) -> dict[str, Any]:
    from hygiene.checks.backups.rules import evaluate
    from hygiene.policy import Policy
    from hygiene.records.backups import (
        BackupInventory,
        BackupPlan,
        BackupRule,
        BackupSelection,
        DataStore,
        TagCondition,
    )

    regions = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2")
    kinds = ("rds:db", "rds:cluster", "dynamodb:table", "ebs:volume")
    inventory = BackupInventory()
    for n in range(stores):
        region, kind = regions[n % 4], kinds[(n // 4) % 4]
        service = (
            "dynamodb" if kind == "dynamodb:table" else ("ec2" if kind == "ebs:volume" else "rds")
        )
        inventory.stores.append(
            DataStore(
                provider="aws",
                account=f"{100000000000 + n % 10}",
                region=region,
                kind=kind,
                resource_id=f"arn:aws:{service}:{region}:{100000000000 + n % 10}:{kind.split(':')[1]}/r{n}",
                name=f"r{n}",
                tags={
                    "Env": ("prod", "dev")[n % 2],
                    "Tier": str(n % 3 + 1),
                    "Backup": ("daily", "")[n % 3 == 0],
                },
                retention_days=(0, 7, 30)[n % 3] if service == "rds" else None,
                pitr_enabled=bool(n % 2) if kind == "dynamodb:table" else None,
                latest_snapshot=AS_OF - timedelta(hours=n % 72) if kind == "ebs:volume" else None,
            )
        )
    for p in range(plans):
        account, region = f"{100000000000 + p % 10}", regions[p % 4]
        inventory.plans.append(
            BackupPlan(
                provider="aws",
                account=account,
                region=region,
                plan_id=f"p{p}",
                arn=f"arn:aws:backup:{region}:{account}:backup-plan:p{p}",
                name=f"plan-{p}",
                rules=(
                    BackupRule(
                        "r", ("cron(0 5 ? * * *)", "cron(0 5 ? * SUN *)")[p % 2], (7, 35)[p % 2]
                    ),
                ),
                selections=(
                    BackupSelection("arn", resources=(f"arn:aws:rds:*:*:db/r{p}*",)),
                    BackupSelection(
                        "tag", list_of_tags=(TagCondition("STRINGEQUALS", "Backup", "daily"),)
                    ),
                    BackupSelection(
                        "cond",
                        resources=("arn:aws:dynamodb:*",),
                        conditions=(TagCondition("StringEquals", "Env", "prod"),),
                    ),
                ),
            )
        )
    started = time.perf_counter()
    findings = evaluate(inventory, Policy(), AS_OF)
    elapsed = time.perf_counter() - started
    return {
        "stores": stores,
        "plans": plans,
        "findings": len(findings),
        "evaluate_s": round(elapsed, 3),
        "stores_per_s": round(stores / elapsed, 1),
    }


def bench_scorecard(findings: int, scopes: int) -> dict[str, Any]:
    from hygiene.scorecard import build

    checks = {
        name: {"status": "ok", "stats": {}}
        for name in ("readiness", "env", "secrets", "backups", "tags", "rotation", "budgets")
    }
    checks["readiness"]["stats"] = {
        "repos": [f"repo{i}" for i in range(scopes)],
        "services": [f"repo{i}" for i in range(0, scopes, 2)],
        "applications": [f"repo{i}" for i in range(scopes)],
        "alerting": [],
    }
    rules = [
        ("readiness", "health-endpoint-missing"),
        ("backups", "retention-too-short"),
        ("tags", "missing-tag"),
        ("secrets", "in-tree"),
        ("rotation", "rotation-overdue"),
    ]
    items = []
    for n in range(findings):
        check, rule = rules[n % len(rules)]
        item: dict[str, Any] = {
            "id": f"f{n}",
            "check": check,
            "rule": rule,
            "project": f"proj{n % 7}",
            "details": {},
        }
        if check in ("readiness", "secrets"):
            item["location"] = {"repo": f"repo{n % scopes}", "path": "x"}
        else:
            item["details"] = {"account": f"acct{n % scopes}", "key": "Env"}
        items.append(item)
    document = {
        "schema": "hygiene.findings/v1",
        "run": {"id": "b", "as_of": "2026-11-27T00:00:00Z", "status": "complete", "checks": checks},
        "findings": items,
    }
    started = time.perf_counter()
    card = build(document)
    elapsed = time.perf_counter() - started
    return {
        "findings": findings,
        "scopes": len(card.scopes),
        "cells": len(card.cells),
        "build_s": round(elapsed, 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the three parts; print and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scorecard_bench")
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--stores", type=int, default=20000)
    parser.add_argument("--plans", type=int, default=60)
    parser.add_argument("--findings", type=int, default=50000)
    parser.add_argument("--scopes", type=int, default=40)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    result = {
        "readiness": bench_readiness(args.files),
        "backups": bench_backups(args.stores, args.plans),
        "scorecard": bench_scorecard(args.findings, args.scopes),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
