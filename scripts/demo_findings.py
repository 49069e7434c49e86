"""The demo's findings as a canonical JSON file, to prove a refactoring changed no behaviour.

    python scripts/demo_findings.py before.json     # on the old commit
    python scripts/demo_findings.py after.json      # on the new one
    diff before.json after.json                     # empty: the same findings, byte for byte

The demo runs at a fixed instant (2026-11-30T12:00:00Z) in a temporary folder. What differs
between two runs of the same code — moto's random account ids, run ids and times, the temporary
paths — is replaced by stable placeholders; everything else of each finding is kept.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


#: ids moto makes up anew on every run: EC2-style resource ids, UUIDs, access key ids, the
#: random suffix of a Secrets Manager ARN
RANDOM = re.compile(
    r"\b(?:[a-z]{1,8}-[0-9a-f]{8,17}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|AKIA[A-Z0-9]{16}|AROA[A-Z0-9]{16}|AIDA[A-Z0-9]{16})\b|(?<=:secret:)([\w/+=.@-]+)-\w{6}\b"
)


def _stable(text: str, replacements: dict[str, str]) -> str:
    for old, new in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(old, new)
    text = RANDOM.sub("<random>", text)
    text = re.sub(r"\b[0-9a-f]{40}\b", "<commit>", text)  # the demo repo is committed anew
    text = re.sub(r"(?<=commit )[0-9a-f]{12}\b", "<commit>", text)
    return INSTANT.sub(_after_as_of, text)


INSTANT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def _after_as_of(match: re.Match[str]) -> str:
    """moto stamps what it creates with the wall clock, which is after the demo's as_of."""
    moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
    return "<now>" if moment > AS_OF else match.group(0)


def _sorted_lists(value: Any) -> Any:
    """Lists of strings sorted: their order follows random account ids."""
    if isinstance(value, dict):
        return {k: _sorted_lists(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_lists(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value


def canonical(document: dict[str, Any], replacements: dict[str, str]) -> str:
    """The run's checks (status, reason, stats) and findings, with volatile values replaced.

    A finding that names a random id gets ``<id>`` (its fingerprint covers that id), and findings
    are sorted by their stable text, so two runs of the same code give the same file."""
    findings = []
    for finding in document["findings"]:
        text = json.dumps({k: v for k, v in finding.items() if k != "id"}, sort_keys=True)
        stable = _stable(text, replacements)
        item = json.loads(stable)
        item["id"] = finding["id"] if stable == text else "<id>"
        findings.append(item)
    findings = [_sorted_lists(f) for f in findings]
    findings.sort(key=lambda f: json.dumps(f, sort_keys=True))
    checks = _sorted_lists(json.loads(_stable(json.dumps(document["run"]["checks"]), replacements)))
    for check in checks.values():
        check["duration_s"] = 0
    return json.dumps({"checks": checks, "findings": findings}, indent=2, sort_keys=True) + "\n"


def main(out: Path) -> None:
    """Run the demo and write its last run's canonical findings to ``out``."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from demo.run import run_demo  # the demo after it left the package
    except ImportError:
        from hygiene.demo import run_demo  # type: ignore[no-redef]

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        result = run_demo(root, Path(tmp) / "reports", as_of=AS_OF)
        document = result.runs[-1]
        accounts = sorted(
            {m for m in re.findall(r"\b\d{12}\b", json.dumps(document)) if m != "123456789012"}
        )
        replacements = {tmp: "<tmp>"} | {a: f"<account-{i}>" for i, a in enumerate(accounts)}
        out.write_text(canonical(document, replacements), encoding="utf-8")
    print(f"{len(document['findings'])} findings written to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
