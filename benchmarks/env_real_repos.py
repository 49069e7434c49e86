"""Real-application benchmark of the env check (issue #18 §5): every finding with its evidence,
timed per repository, scored against hand verdicts.

Takes paths of git checkouts of public applications (cloned by whoever runs it; their code is
never copied here) and runs the env check on each through the library call behind
``hygiene env report`` (collect, evaluate, the default policy). Writes a Markdown file with, per
repository, its commit, tracked files and seconds, then every finding: rule, variable, where it
is read, the example consulted and how it was chosen — what a person needs to judge it.

    python -m benchmarks.env_real_repos /tmp/healthchecks /tmp/hoppscotch -o env.md
    python -m benchmarks.env_real_repos /tmp/* -o env.md --verdicts verdicts.json

``--verdicts FILE`` (JSON) scores the run: ``{"<repo dir name>": {"findings": {"<rule>
<variable>": "tp" | "fp"}, "variables": ["NAME", …]}}``. ``findings`` are hand verdicts on
findings (precision = tp / judged; a finding without a verdict is listed as unjudged);
``variables`` is the hand list of the variables the application really reads from its
environment (recall = listed names the check saw as reads / listed names). ``--json FILE``
writes the raw findings and the names read, for judging.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hygiene.checks.env.collect import env_report
from hygiene.checks.env.resolve import resolve
from hygiene.findings import Finding
from hygiene.policy import Policy


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def key(finding: Finding) -> str:
    """The verdict key of a finding: ``<rule> <variable or path>``."""
    subject = finding.details.get("variable") or (
        finding.location.path if finding.location else finding.resource
    )
    return f"{finding.rule} {subject}"


def run_one(repo: Path, policy: Policy) -> dict[str, Any]:
    """Findings, names read and timing of one repository."""
    started = time.perf_counter()
    report = env_report(repo, policy, datetime.now(UTC))
    seconds = time.perf_counter() - started
    res = resolve(report.record, policy.env)
    return {
        "repo": repo.name,
        "commit": _git(repo, "rev-parse", "HEAD").strip(),
        "files": len(_git(repo, "ls-files").splitlines()),
        "seconds": seconds,
        "examples": [e.path for e in report.record.examples],
        "packages": list(report.record.packages),
        "stats": report.record.stats,
        "read_names": sorted({r.name for r in res.reads if r.name}),
        "findings": report.findings,
    }


def _evidence(f: Finding) -> tuple[str, str, str]:
    d = f.details
    reads = d.get("reads") or []
    path = f.location.path if f.location else ""
    where = ", ".join(f"{r.get('path', path)}:{r['line']}" for r in reads[:3])
    if not where and f.location:
        where = f"{f.location.path}:{f.location.line or ''}".rstrip(":")
    if d.get("read_count", 0) > 3:
        where += f" (+{d['read_count'] - 3})"
    variable = d.get("variable") or ", ".join(d.get("variables", [])[:8]) or ""
    consulted = ", ".join(d.get("consulted") or []) or "—"
    example = d.get("example", "")
    how = d.get("coverage", "")
    shown = f"{example} ({how}); consulted: {consulted}" if how else (example or "—")
    return variable, where, shown


def score(result: dict[str, Any], verdicts: dict[str, Any]) -> dict[str, Any]:
    """Precision and recall of one repository against its hand verdicts."""
    judged = verdicts.get("findings", {})
    tp = fp = unjudged = 0
    for f in result["findings"]:
        verdict = judged.get(key(f))
        if verdict == "tp":
            tp += 1
        elif verdict == "fp":
            fp += 1
        else:
            unjudged += 1
    real = set(verdicts.get("variables", []))
    seen = real & set(result["read_names"])
    return {
        "tp": tp,
        "fp": fp,
        "unjudged": unjudged,
        "precision": tp / (tp + fp) if tp + fp else None,
        "real": len(real),
        "seen": len(seen),
        "missed": sorted(real - seen),
        "recall": len(seen) / len(real) if real else None,
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def markdown(results: list[dict[str, Any]], verdicts: dict[str, Any]) -> str:
    """The report: a summary table, then every finding of every repository."""
    out = ["# env check on real applications", ""]
    out += [
        "| repo | commit | files | seconds | findings | precision | recall |",
        "|---|---|---|---|---|---|---|",
    ]
    totals = {"tp": 0, "fp": 0, "real": 0, "seen": 0}
    for r in results:
        s = score(r, verdicts.get(r["repo"], {}))
        for k in totals:
            totals[k] += s[k]
        out.append(
            f"| {r['repo']} | {r['commit'][:12]} | {r['files']} | {r['seconds']:.2f} | "
            f"{len(r['findings'])} | {_pct(s['precision'])} ({s['tp']}/{s['tp'] + s['fp']}) | "
            f"{_pct(s['recall'])} ({s['seen']}/{s['real']}) |"
        )
    judged = totals["tp"] + totals["fp"]
    out.append(
        f"| **all** | | | | | {_pct(totals['tp'] / judged if judged else None)} "
        f"({totals['tp']}/{judged}) | "
        f"{_pct(totals['seen'] / totals['real'] if totals['real'] else None)} "
        f"({totals['seen']}/{totals['real']}) |"
    )
    for r in results:
        v = verdicts.get(r["repo"], {})
        s = score(r, v)
        out += ["", f"## {r['repo']} ({r['commit'][:12]})", ""]
        out.append(
            f"Examples: {', '.join(r['examples']) or 'none'}; packages: "
            f"{', '.join(r['packages']) or 'none'}; reads {r['stats'].get('reads', 0)}, "
            f"dynamic {r['stats'].get('dynamic_reads', 0)}; {len(r['read_names'])} names read."
        )
        if s["missed"]:
            out.append(f"Missed (hand list, not seen as reads): {', '.join(s['missed'])}.")
        out += ["", "| verdict | rule | variable | read at | example consulted |"]
        out.append("|---|---|---|---|---|")
        for f in r["findings"]:
            variable, where, example = _evidence(f)
            verdict = v.get("findings", {}).get(key(f), "?")
            out.append(f"| {verdict} | {f.rule} | {variable} | {where} | {example} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--verdicts", type=Path)
    parser.add_argument("--json", type=Path, dest="json_out")
    args = parser.parse_args(argv)
    verdicts = json.loads(args.verdicts.read_text()) if args.verdicts else {}
    policy = Policy()
    results = [run_one(repo.resolve(), policy) for repo in args.repos]
    args.output.write_text(markdown(results, verdicts), encoding="utf-8")
    if args.json_out:
        raw = [
            {
                **{k: v for k, v in r.items() if k != "findings"},
                "findings": [{"key": key(f), **f.to_contract()} for f in r["findings"]],
            }
            for r in results
        ]
        args.json_out.write_text(json.dumps(raw, indent=2, default=str), encoding="utf-8")
    for r in results:
        print(
            f"{r['repo']}: {r['files']} files, {r['seconds']:.2f} s, {len(r['findings'])} findings"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
