"""Benchmark of the secrets check against the detect-secrets CLI, on one generated repository.

Generates (deterministically, with ``git fast-import``) a repository of ``--files`` files over
``--commits`` commits with planted secrets — some still in HEAD, some removed from HEAD and left
only in history — and decoys that a scanner should not report (lock-file integrity hashes, UUIDs,
commit hashes in a changelog, ``${VAR}``/``os.environ`` references, placeholders, the AWS
documentation's example keys). Then, in the same run, measures:

* hygiene's cold scan of tree + full history (empty state DB),
* hygiene's warm rescan of the unchanged repository (same state DB), through the CLI and as a
  library call (``scan_repository``, without the CLI's start-up),
* ``detect-secrets scan`` (the CLI, all plugins) on the checked-out tree alone,

and checks recall (every planted secret reported, history-only ones included) and that no decoy
is reported.

    python -m benchmarks.secrets_bench                    # 3,000 files, 200 commits
    python -m benchmarks.secrets_bench --files 300 --commits 30 --skip-detect-secrets
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out" / "secrets"

WORDS = [
    "account",
    "order",
    "invoice",
    "customer",
    "payment",
    "shipment",
    "address",
    "total",
    "amount",
    "status",
    "request",
    "response",
    "handler",
    "service",
    "client",
    "server",
    "config",
    "value",
    "result",
    "item",
    "list",
    "index",
    "count",
    "message",
    "event",
    "queue",
    "worker",
    "job",
    "task",
    "report",
    "record",
    "entry",
    "table",
    "column",
    "field",
    "user",
    "group",
    "role",
    "policy",
    "region",
    "bucket",
    "object",
    "stream",
    "buffer",
    "cache",
    "limit",
    "offset",
    "page",
    "cursor",
    "token",
]


@dataclass(frozen=True)
class Plant:
    """A planted secret: where it goes, and whether it survives to HEAD."""

    path: str
    line: str
    value: str
    live: bool


def _rng_token(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def plants(rng: random.Random) -> list[Plant]:
    """Secrets of several detectors, half live, half history-only."""
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    out = []
    for i in range(12):
        live = i % 2 == 0
        kind = i % 6
        if kind == 0:
            value = "AKIA" + _rng_token(rng, upper, 16)
            line = f'AWS_ACCESS_KEY_ID = "{value}"'
        elif kind == 1:
            value = "ghp_" + _rng_token(rng, alnum, 36)
            line = f'GITHUB_TOKEN = "{value}"'
        elif kind == 2:
            value = "sk_live_" + _rng_token(rng, alnum, 24)
            line = f'stripe.api_key = "{value}"'
        elif kind == 3:
            value = (
                "xoxb-"
                + "-".join(_rng_token(rng, "0123456789", 12) for _ in range(2))
                + "-"
                + _rng_token(rng, alnum, 24)
            )
            line = f'SLACK_BOT_TOKEN = "{value}"'
        elif kind == 4:
            value = _rng_token(rng, alnum, 20) + "!9"
            line = f'db_password = "{value}"'
        else:
            value = _rng_token(rng, alnum + "+/", 44)
            line = f'signing_secret = "{value}"'
        out.append(Plant(f"services/svc{i:02d}/settings.py", line, value, live))
    return out


DECOYS = {
    "package-lock.json": '{\n  "packages": {\n    "node_modules/left-pad": {\n      "integrity": '
    '"sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQB0xk0fFnBYmlNsv4ZhKVwqIkcYf5Fx3EfMsq+lgr/tFlqO=="\n    }\n  }\n}\n',
    "web/yarn-deps.js": 'const lock = { integrity: "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQB0xk0fFnBYmlNsv4ZhKVwqIkcYf5Fx3EfMsq+lgr/tFlqO==" };\n',
    "CHANGELOG.md": "# Changelog\n\n- 1.2.0: fix retries (9fceb02d0ae598e95dc970b74767f19372d61af8)\n"
    "- 1.1.0: secret = 'f1d2d2f924e986ac86fdf7b36c94bcdf32beec15'\n",
    "app/ids.py": 'REQUEST_ID = "123e4567-e89b-12d3-a456-426614174000"\napi_key = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"\n',
    "app/env_refs.py": 'import os\npassword = os.environ["DB_PASSWORD"]\napi_key = os.getenv("API_KEY")\n'
    'secret = "${APP_SECRET}"\n',
    "deploy/values.yaml": "db:\n  password: ${DB_PASSWORD}\n  api_key: changeme\n",
    "docs/example.py": 'password = "changeme"\napi_key = "<your-token>"\ntoken = "xxxxxxxxxxxxxxxxxxxxxxxx"\n'
    'auth_key = "YOUR_API_KEY"\n',
    "docs/aws.md": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
    'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
}


def filler(rng: random.Random, path: str, lines: int) -> str:
    """Plausible, secret-free source text."""
    out = []
    if path.endswith(".py"):
        for _ in range(lines // 4):
            a, b, c = rng.sample(WORDS, 3)
            out += [
                f"def {a}_{b}({c}, limit=10):",
                f'    """Return the {a} {b} for {c}."""',
                f'    return {c}.get("{b}", []) [:limit]',
                "",
            ]
    elif path.endswith(".js"):
        for _ in range(lines // 3):
            a, b = rng.sample(WORDS, 2)
            out += [f"export function {a}{b.title()}(x) {{", f"  return x.{a} ?? '{b}';", "}"]
    elif path.endswith(".json"):
        out.append("{")
        for i in range(lines):
            out.append(f'  "{rng.choice(WORDS)}_{i}": {rng.randint(0, 99999)},')
        out.append('  "end": true\n}')
    else:
        for _ in range(lines):
            out.append(" ".join(rng.choice(WORDS) for _ in range(12)) + ".")
    return "\n".join(out) + "\n"


def generate(root: Path, files: int, commits: int, seed: int = 7) -> dict[str, Any]:
    """Write the repository with ``git fast-import``; returns what was planted."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    exts = [".py", ".js", ".json", ".md", ".txt"]
    paths = [f"src/pkg{i % 40:02d}/mod{i:04d}{exts[i % len(exts)]}" for i in range(files)]
    contents = {p: filler(rng, p, rng.randint(60, 140)) for p in paths}
    planted = plants(rng)
    stream: list[bytes] = []

    def commit(n: int, changes: dict[str, str | None]) -> None:
        stream.append(b"commit refs/heads/main\n")
        stream.append(
            f"committer Bench <bench@example.invalid> {1700000000 + n * 3600} +0000\n".encode()
        )
        message = f"change {n}".encode()
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for path, text in changes.items():
            if text is None:
                stream.append(f"D {path}\n".encode())
            else:
                data = text.encode()
                stream.append(f"M 100644 inline {path}\n".encode())
                stream.append(b"data %d\n%s\n" % (len(data), data))

    commit(0, {**contents, **DECOYS})
    # plant secrets in early commits; remove the history-only ones later
    plant_at = {i + 1: p for i, p in enumerate(planted)}
    remove_at = {len(planted) + 1 + i: p for i, p in enumerate(x for x in planted if not x.live)}
    for n in range(1, commits):
        changes: dict[str, str | None] = {}
        for path in rng.sample(paths, 5):
            contents[path] += f"# revision {n}: {rng.choice(WORDS)} {rng.choice(WORDS)}\n"
            changes[path] = contents[path]
        if n in plant_at:
            p = plant_at[n]
            changes[p.path] = f"# settings\nDEBUG = False\n{p.line}\n"
        if n in remove_at:
            p = remove_at[n]
            changes[p.path] = "# settings\nDEBUG = False\n# moved to the secret manager\n"
        commit(n, changes)
    subprocess.run(
        ["git", "-C", str(root), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(root), "checkout", "-q", "-f", "main"], check=True)
    size = sum(len(t.encode()) for t in contents.values())
    return {
        "planted": planted,
        "files": files + len(DECOYS),
        "commits": commits,
        "tree_bytes": size,
    }


def run_hygiene(repo: Path, state: Path) -> tuple[float, dict[str, Any]]:
    """One ``hygiene audit --only secrets`` run; wall time and the JSON document."""
    exe = shutil.which("hygiene", path=str(Path(sys.executable).parent)) or "hygiene"
    started = time.perf_counter()
    proc = subprocess.run(
        [
            exe,
            "audit",
            "--only",
            "secrets",
            "--repo",
            str(repo),
            "--state",
            str(state),
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"hygiene failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed, json.loads(proc.stdout)


def warm_in_process(repo: Path, state: Path) -> float:
    """The warm rescan as a library call (no CLI start-up): ``scan_repository`` with the cache."""
    from hygiene.checks.secrets.collect import Target, scan_repository
    from hygiene.policy import SecretsPolicy
    from hygiene.store import Store

    with Store(state) as store:
        started = time.perf_counter()
        scan = scan_repository(Target(str(repo)), SecretsPolicy(), store=store)
        elapsed = time.perf_counter() - started
    if scan.stats["blobs_scanned"]:
        raise SystemExit(f"warm rescan scanned {scan.stats['blobs_scanned']} blob(s)")
    return elapsed


def run_detect_secrets(repo: Path) -> tuple[float, int]:
    """``detect-secrets scan`` on the checked-out tree; wall time and the number of results."""
    exe = shutil.which("detect-secrets", path=str(Path(sys.executable).parent)) or "detect-secrets"
    started = time.perf_counter()
    proc = subprocess.run([exe, "scan"], cwd=repo, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - started
    results = json.loads(proc.stdout)["results"]
    return elapsed, sum(len(v) for v in results.values())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Generate, run, print and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.secrets_bench")
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--commits", type=int, default=200)
    parser.add_argument("--skip-detect-secrets", action="store_true")
    args = parser.parse_args(argv)
    repo = OUT / "repo"
    info = generate(repo, args.files, args.commits)
    state = OUT / "state.db"
    for stale in OUT.glob("state.db*"):
        stale.unlink()
    cold_s, cold = run_hygiene(repo, state)
    warm_s, warm = run_hygiene(repo, state)
    warm_lib_s = warm_in_process(repo, state)
    planted: list[Plant] = info["planted"]
    found = {(f["location"]["path"], f["rule"]) for f in cold["findings"]}
    expected = {(p.path, "in-tree" if p.live else "history-only") for p in planted}
    missed = sorted(expected - found)
    decoy_paths = set(DECOYS)
    decoys_reported = sorted({f["location"]["path"] for f in cold["findings"]} & decoy_paths)
    other = sorted(
        {f["location"]["path"] for f in cold["findings"]} - decoy_paths - {p.path for p in planted}
    )
    stats = cold["run"]["checks"]["secrets"]["stats"]
    numbers: dict[str, Any] = {
        "files": info["files"],
        "commits": info["commits"],
        "tree_mb": round(info["tree_bytes"] / 1e6, 2),
        "unique_blobs": stats.get("blobs"),
        "hygiene_cold_s": round(cold_s, 2),
        "hygiene_warm_s": round(warm_s, 2),
        "hygiene_warm_library_s": round(warm_lib_s, 2),
        "warm_blobs_scanned": warm["run"]["checks"]["secrets"]["stats"].get("blobs_scanned"),
        "planted": len(expected),
        "recall": round((len(expected) - len(missed)) / len(expected), 3),
        "missed": missed,
        "decoys_reported": decoys_reported,
        "other_paths_reported": other[:10],
    }
    if not args.skip_detect_secrets:
        ds_s, ds_results = run_detect_secrets(repo)
        numbers["detect_secrets_tree_s"] = round(ds_s, 2)
        numbers["detect_secrets_results"] = ds_results
        numbers["speedup_cold_vs_detect_secrets"] = round(ds_s / cold_s, 1)
    print(json.dumps(numbers, indent=2))
    return numbers


if __name__ == "__main__":
    main()
