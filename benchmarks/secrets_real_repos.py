"""Real-repository benchmark of the secrets check (issue #17 §5(b)): findings per severity.

Takes paths of git repositories (full clones of any public projects; their code is never copied
here), runs ``hygiene audit --only secrets --format json`` on each (tree + whole history, no
state DB so nothing is cached between runs), counts the findings per severity, and writes a
Markdown file listing every medium-or-worse finding (``--show low``: low too) — repo, path, line,
rule, detector, category, engine, preview (4 characters; never a value) — with an empty verdict
column for a person to fill in (real secret / test fixture / false positive). A repository the
check could not wholly read (exit 3, e.g. objects missing from a fetched snapshot) is still
counted, and the table's last column says why.

    python -m benchmarks.secrets_real_repos /tmp/healthchecks /tmp/umami -o out.md
    python -m benchmarks.secrets_real_repos --engines kingfisher,hygiene --show low \
        /tmp/gotify /tmp/pocketbase -o out.md --json out.json

``--engines`` picks the scan engines (names of ``hygiene.scan.engine.ENGINES``) through a
benchmark-only path: the audit runs in a child process whose ``engine_config`` is wrapped to set
them, so the benchmark works whether or not the policy's own engine setting is wired in yet.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low", "info")


def _child(engines: str, argv: list[str]) -> None:
    """Run the hygiene CLI with ``engines`` forced into the secrets engine configuration."""
    from dataclasses import replace

    import hygiene.checks.secrets.collect as collect
    from hygiene.cli import main

    if engines:
        original = collect.engine_config
        chosen = tuple(name for name in engines.split(",") if name)

        def engine_config(policy: Any) -> Any:
            return replace(original(policy), engines=chosen)

        collect.engine_config = engine_config
    sys.argv = ["hygiene", *argv]
    main()


def audit(repo: Path, engines: str, config: Path | None) -> tuple[dict[str, Any], float]:
    """The JSON report of ``hygiene audit --only secrets`` on ``repo``, and its wall time."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = ["audit", "--only", "secrets", "--repo", str(repo), "--format", "json"]
        args += ["-o", str(report), "--no-state", "--no-progress", "--log-level", "ERROR"]
        if config is not None:
            args += ["--config", str(config)]
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.secrets_real_repos",
                "--child",
                engines,
                "--",
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if proc.returncode not in (0, 1, 3) or not report.exists():
            raise SystemExit(f"{repo}: hygiene exited {proc.returncode}: {proc.stderr[-2000:]}")
        return json.loads(report.read_text()), elapsed


def summarise(
    repo: Path, report: dict[str, Any], elapsed: float, show: str = "medium"
) -> dict[str, Any]:
    """Counts per severity and the findings at ``show`` or worse (no values: previews only)."""
    shown = SEVERITIES[: SEVERITIES.index(show) + 1]
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    findings = [f for f in report["findings"] if f["check"] == "secrets"]
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}
    listed = []
    for f in findings:
        if f["severity"] not in shown:
            continue
        details, location = f.get("details") or {}, f.get("location") or {}
        listed.append(
            {
                "severity": f["severity"],
                "path": location.get("path"),
                "line": location.get("line"),
                "rule": f["rule"],
                "detector": details.get("type"),
                "category": details.get("category", ""),
                "engine": details.get("engine", ""),
                "preview": details.get("preview"),
                "commit": (location.get("commit") or "")[:12],
            }
        )
    order = {s: i for i, s in enumerate(SEVERITIES)}
    listed.sort(key=lambda x: (order[x["severity"]], x["path"] or "", x["line"] or 0))
    check = report["run"]["checks"].get("secrets", {})
    return {
        "repo": repo.name,
        "commit": commit,
        "status": f"{check.get('status', '?')} {check.get('reason', '')}".strip(),
        "seconds": round(elapsed, 1),
        "counts": counts,
        "total": len(findings),
        "listed": listed,
    }


def markdown(results: list[dict[str, Any]], engines: str) -> str:
    """The per-repo table and every medium+ finding, for a person to judge."""
    out = [f"# Secrets on real repositories (engines: {engines or 'policy default'})", ""]
    out += ["| repo | commit | " + " | ".join(SEVERITIES) + " | total | seconds | check |"]
    out += ["|---" * (len(SEVERITIES) + 5) + "|"]
    for r in results:
        cells = " | ".join(str(r["counts"][s]) for s in SEVERITIES)
        row = f"| {r['repo']} | {r['commit'][:12]} | {cells} | {r['total']} | {r['seconds']} |"
        out += [f"{row} {r['status']} |"]
    for r in results:
        out += ["", f"## {r['repo']} — {len(r['listed'])} finding(s) listed", ""]
        if not r["listed"]:
            continue
        out += ["| sev | path | line | rule | detector | category | engine | preview | verdict |"]
        out += ["|---" * 9 + "|"]
        for f in r["listed"]:
            cells = [
                f["severity"],
                f"`{f['path']}`",
                str(f["line"]),
                f["rule"],
                str(f["detector"]),
                str(f["category"]),
                str(f["engine"]),
                f"`{f['preview']}`",
                "",
            ]
            out += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        _child(argv[1], argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", type=Path, help="paths of git repositories")
    parser.add_argument("--engines", default="", help="comma-separated engine names")
    parser.add_argument("--config", type=Path, help="a policy file to audit with")
    parser.add_argument("-o", "--output", type=Path, required=True, help="Markdown file")
    parser.add_argument("--json", type=Path, help="also write the summary as JSON")
    parser.add_argument(
        "--show", choices=SEVERITIES, default="medium", help="list findings this bad or worse"
    )
    args = parser.parse_args(argv)
    results = []
    for repo in args.repos:
        report, elapsed = audit(repo.resolve(), args.engines, args.config)
        result = summarise(repo.resolve(), report, elapsed, args.show)
        results.append(result)
        print(
            f"{result['repo']}: {result['counts']} ({len(result['listed'])} listed) "
            f"in {result['seconds']} s; check {result['status']}",
            flush=True,
        )
    args.output.write_text(markdown(results, args.engines))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
