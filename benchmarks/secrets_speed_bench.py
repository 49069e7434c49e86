"""Speed of the secrets check on real histories, against Kingfisher's CLI in the same run.

For each repository path given (a clone; ``git clone --mirror`` keeps every ref), measures under
``/usr/bin/time -v`` (wall time, peak RSS):

* ``hygiene audit --only secrets --repo PATH --no-state`` (tree + full history, cold);
* the same with ``--state`` to a fresh SQLite file, then again warm; the scan cache's size
  (``scan_cache`` rows' bytes) against the history's size (``git count-objects``);
* ``kingfisher scan PATH --no-validate`` (``kingfisher-bin``, full git history), twice (the
  first run may compile its rule cache).

Without paths (``make bench``) it measures the generated corpus of ``secrets_bench`` instead:
hygiene's cold scan (tree + history, and tree alone), its warm rescan (CLI and library call)
against ``detect-secrets scan`` on the checked-out tree.

``--engines kingfisher,hygiene`` (the default here) runs hygiene with those engines, whatever
the policy's default is: a benchmark-only path (``_audit`` below patches the collector's engine
configuration in the child process). ``--engines default`` runs the policy's own.

    python -m benchmarks.secrets_speed_bench /tmp/gotify.git /tmp/hoppscotch.git
    python -m benchmarks.secrets_speed_bench --engines kingfisher /tmp/gotify.git
    python -m benchmarks.secrets_speed_bench --files 3000 --commits 200   # the corpus
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def _timed(args: list[str]) -> dict[str, Any]:
    """Run ``args`` under ``/usr/bin/time -v``: wall seconds, peak RSS in MB, exit code. Python
    may write its bytecode caches (``PYTHONDONTWRITEBYTECODE`` off), as on a user's machine:
    else every run compiles hygiene's and its dependencies' sources again (~0.7 s)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *args], capture_output=True, text=True, check=False, env=env
    )
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    seconds = 0.0
    if wall:
        hours, minutes, secs = wall.groups()
        seconds = int(hours or 0) * 3600 + int(minutes) * 60 + float(secs)
    return {
        "wall_s": round(seconds, 2),
        "peak_rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "exit": proc.returncode,
        "tail": proc.stderr.strip().splitlines()[-25:-23] if proc.returncode not in (0, 1) else [],
    }


def _hygiene(
    repo: Path,
    engines: str | None,
    state: Path | None,
    report: Path,
    config: Path | None = None,
) -> list[str]:
    args = [sys.executable, "-m", "benchmarks.secrets_speed_bench", "_audit"]
    if engines:
        args += ["--engines", engines]
    args += ["--", "audit", "--only", "secrets", "--repo", str(repo), "--format", "json"]
    args += ["--config", str(config)] if config else []
    args += ["-o", str(report), "--no-progress", "--log-level", "ERROR"]
    args += ["--state", str(state)] if state else ["--no-state"]
    return args


def _cache_bytes(state: Path) -> dict[str, int]:
    with sqlite3.connect(state) as db:
        rows, size = db.execute(
            "SELECT count(*), coalesce(sum(length(blob_id) + length(config_fp) + length(result)), 0)"
            " FROM scan_cache"
        ).fetchone()
    return {"rows": rows, "bytes": size, "db_file_bytes": state.stat().st_size}


def _history_bytes(repo: Path) -> dict[str, int]:
    """The history's size: its reachable blobs' bytes (what a scanner reads) and its packs'."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--objects", "--all", "--missing=print"],
        capture_output=True,
        check=True,
    ).stdout
    oids = b"".join(line[:40] + b"\n" for line in listing.splitlines() if line[:1] != b"?")
    sizes = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-check=%(objecttype) %(objectsize)"],
        input=oids,
        capture_output=True,
        check=True,
    ).stdout.split()
    blobs = [int(sizes[i + 1]) for i in range(0, len(sizes) - 1, 2) if sizes[i] == b"blob"]
    out = subprocess.run(
        ["git", "-C", str(repo), "count-objects", "-v"], capture_output=True, text=True, check=True
    ).stdout
    fields = dict(line.split(": ") for line in out.splitlines() if ": " in line)
    packed = (int(fields.get("size", 0)) + int(fields.get("size-pack", 0))) * 1024
    return {"blobs": len(blobs), "blob_bytes": sum(blobs), "pack_bytes": packed}


def _repo_facts(repo: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "path": str(repo),
        "head": git("rev-parse", "HEAD"),
        "commits": int(git("rev-list", "--all", "--count") or 0),
        **_history_bytes(repo),
    }


def _findings(report: Path) -> dict[str, Any]:
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError):
        return {}
    stats = data["run"]["checks"].get("secrets", {}).get("stats", {})
    keys = ("blobs", "blobs_scanned", "blobs_cached", "bytes_scanned", "secrets")
    return {"findings": len(data.get("findings", [])), **{k: stats.get(k) for k in keys}}


def measure(repo: Path, engines: str | None, runs: int = 1) -> dict[str, Any]:
    """Every measurement of the module docstring for one repository."""
    out: dict[str, Any] = {"repo": _repo_facts(repo), "engines": engines or "default"}
    kingfisher = shutil.which("kingfisher", path=str(BIN)) or shutil.which("kingfisher")
    work = Path(tempfile.mkdtemp(prefix="secrets-speed-"))
    try:
        report = work / "report.json"
        _timed(_hygiene(repo, engines, None, report))  # warm-up: bytecode, Kingfisher's rules
        cold = [_timed(_hygiene(repo, engines, None, report)) for _ in range(runs)]
        out["hygiene_no_state"] = min(cold, key=lambda r: r["wall_s"])
        out["hygiene_findings"] = _findings(report)
        state = work / "state.db"
        out["hygiene_state_cold"] = _timed(_hygiene(repo, engines, state, report))
        out["hygiene_state_warm"] = _timed(_hygiene(repo, engines, state, report))
        out["scan_cache"] = _cache_bytes(state)
        out["scan_cache"]["of_history"] = round(
            out["scan_cache"]["bytes"] / max(out["repo"]["blob_bytes"], 1), 5
        )
        if kingfisher:
            args = [kingfisher, "scan", str(repo), "--no-validate", "--no-update-check"]
            args += ["--git-history", "full", "--format", "json", "-o", str(work / "kf.json")]
            runs_kf = [_timed(args) for _ in range(max(runs, 2))]
            out["kingfisher_cli"] = min(runs_kf, key=lambda r: r["wall_s"])
            out["kingfisher_cli_first"] = runs_kf[0]
            out["ratio_to_kingfisher"] = round(
                out["hygiene_no_state"]["wall_s"] / max(out["kingfisher_cli"]["wall_s"], 0.01), 2
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _audit(argv: list[str]) -> int:
    """The child: ``hygiene`` with the collector's engines replaced (``--engines a,b``)."""
    engines: tuple[str, ...] | None = None
    if argv and argv[0] == "--engines":
        engines = tuple(argv[1].split(","))
        argv = argv[2:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if engines:
        _patched_engines(engines)
    from hygiene.cli import main as cli

    sys.argv = ["hygiene", *argv]
    try:
        cli()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def _patched_engines(engines: tuple[str, ...]) -> None:
    import dataclasses

    import hygiene.checks.secrets.collect as collect

    original = collect.engine_config
    collect.engine_config = lambda policy: dataclasses.replace(original(policy), engines=engines)


def _warm_library(repo: Path, state: Path, engines: str | None) -> float:
    """The warm rescan as a library call (no CLI start-up), with the same engines."""
    import time

    if engines:
        _patched_engines(tuple(engines.split(",")))
    from hygiene.checks.secrets.collect import Target, scan_repository
    from hygiene.policy import SecretsPolicy
    from hygiene.store import Store

    with Store(state) as store:
        started = time.perf_counter()
        scan = scan_repository(Target(str(repo)), SecretsPolicy(), store=store)
        elapsed = time.perf_counter() - started
    if scan.stats["blobs_scanned"]:
        raise SystemExit(f"warm rescan scanned {scan.stats['blobs_scanned']} blob(s)")
    return round(elapsed, 3)


def corpus(files: int, commits: int, engines: str | None, detect_secrets: bool) -> dict[str, Any]:
    """The generated corpus of ``secrets_bench``: cold/warm hygiene vs ``detect-secrets scan``."""
    from benchmarks.secrets_bench import OUT, generate, run_detect_secrets

    repo = OUT.parent / "secrets_speed" / "repo"
    info = generate(repo, files, commits)
    work = Path(tempfile.mkdtemp(prefix="secrets-speed-"))
    try:
        report, state = work / "report.json", work / "state.db"
        tree_only = work / "tree-only.yaml"
        tree_only.write_text("secrets:\n  history: false\n")
        _timed(_hygiene(repo, engines, None, report))  # warm-up: bytecode, Kingfisher's rules
        out: dict[str, Any] = {
            "files": info["files"],
            "commits": info["commits"],
            "tree_mb": round(info["tree_bytes"] / 1e6, 2),
            "engines": engines or "default",
            "hygiene_tree_only": _timed(_hygiene(repo, engines, None, report, tree_only)),
            "hygiene_cold": _timed(_hygiene(repo, engines, state, report)),
        }
        out["findings"] = _findings(report)
        out["hygiene_warm_cli"] = _timed(_hygiene(repo, engines, state, report))
        out["hygiene_warm_library_s"] = _warm_library(repo, state, engines)
        out["scan_cache"] = _cache_bytes(state)
        if detect_secrets:
            ds_s, ds_results = run_detect_secrets(repo)
            out["detect_secrets_tree_s"] = round(ds_s, 2)
            out["detect_secrets_results"] = ds_results
            out["speedup_tree_only"] = round(ds_s / out["hygiene_tree_only"]["wall_s"], 1)
            out["speedup_tree_and_history"] = round(ds_s / out["hygiene_cold"]["wall_s"], 1)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure every repository given; prints and returns the results."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_audit":
        sys.exit(_audit(argv[1:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="*", type=Path)
    parser.add_argument("--engines", default="kingfisher,hygiene", help="or 'default'")
    parser.add_argument("--runs", type=int, default=1, help="best of N for the no-state run")
    parser.add_argument("--files", type=int, default=3000, help="corpus size (no repos given)")
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--skip-detect-secrets", action="store_true")
    args = parser.parse_args(argv)
    engines = None if args.engines == "default" else args.engines
    results: dict[str, Any]
    if args.repos:
        results = {"runs": [measure(repo, engines, args.runs) for repo in args.repos]}
    else:
        results = {
            "corpus": corpus(args.files, args.commits, engines, not args.skip_detect_secrets)
        }
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
