"""Output formats of ``hygiene audit``: one enum, one renderer each (a test proves the map is
exhaustive). Renderers take the contract document, so they see exactly what JSON users see."""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from hygiene import __version__


class OutputFormat(StrEnum):
    """Formats for ``--format``."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"


SEVERITIES = ("critical", "high", "medium", "low", "info")


def render_json(document: dict[str, Any]) -> str:
    """The findings contract, pretty-printed."""
    return "".join(iter_json(document))


def iter_json(document: dict[str, Any]) -> Iterator[str]:
    """``render_json`` in chunks, one finding at a time: the same text as
    ``json.dumps(document, indent=2)``, without building it (``findings`` may be a lazy view of
    the run's spool, and is the document's last key)."""
    findings = document["findings"]
    head = json.dumps({**document, "findings": []}, indent=2)
    if list(document)[-1] != "findings" or not head.endswith('"findings": []\n}'):
        yield json.dumps({**document, "findings": list(findings)}, indent=2) + "\n"
        return
    if not len(findings):
        yield head + "\n"
        return
    yield head[: -len("[]\n}")] + "[\n"
    for index, finding in enumerate(findings):
        text = json.dumps(finding, indent=2).replace("\n", "\n    ")
        yield ("    " if index == 0 else ",\n    ") + text
    yield "\n  ]\n}\n"


def render_markdown(document: dict[str, Any]) -> str:
    """A Markdown summary for a pull request or wiki page."""
    run = document["run"]
    out = [f"# hygiene audit — {run['as_of'][:10]}", ""]
    out.append(
        f"Run `{run['id']}` is **{run['status']}**; {len(document['findings'])} finding(s), "
        f"{len(run['resolved'])} resolved since the previous run."
    )
    out += ["", "| check | status | findings | note |", "|---|---|---:|---|"]
    counts = Counter(f["check"] for f in document["findings"])
    for name, check in run["checks"].items():
        note = check.get("reason", "").replace("|", "\\|")
        out.append(f"| {name} | {check['status']} | {counts.get(name, 0)} | {note} |")
    if document["findings"]:
        out += ["", "| severity | check | rule | resource | message |", "|---|---|---|---|---|"]
        for f in document["findings"]:
            cells = [f["severity"], f["check"], f["rule"], _where(f), f["message"]]
            out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out) + "\n"


def _where(finding: dict[str, Any]) -> str:
    loc = finding.get("location")
    if loc:
        line = f":{loc['line']}" if loc.get("line") else ""
        return f"{loc['repo']}:{loc['path']}{line}"
    return str(finding["resource"])


#: How many groups of findings the summary shows per check (``--verbose`` shows every group).
TOP_PER_CHECK = 5
_RANK = {severity: index for index, severity in enumerate(SEVERITIES)}


@dataclass
class FindingGroup:
    """Findings of one rule at one place (a file, or a resource): one line of the table."""

    severity: str
    check: str
    rule: str
    where: str
    message: str
    status: str
    lines: list[int] = field(default_factory=list)
    count: int = 0

    def describe_where(self) -> str:
        """``repo:path:line``, or ``repo:path (lines 3, 9, …)`` for a group."""
        if self.count == 1:
            return f"{self.where}:{self.lines[0]}" if self.lines else self.where
        shown = ", ".join(str(n) for n in self.lines[:5]) + (" …" if len(self.lines) > 5 else "")
        return f"{self.where} (lines {shown})" if self.lines else self.where


def group_findings(findings: Iterable[dict[str, Any]]) -> list[FindingGroup]:
    """Findings grouped by (check, rule, severity, file or resource), most severe first, then
    the biggest group: 8,000 hits of one rule in one file are one line with a count."""
    groups: dict[tuple[str, str, str, str], FindingGroup] = {}
    for f in findings:
        loc = f.get("location") or {}
        where = f"{loc['repo']}:{loc['path']}" if loc else str(f["resource"])
        key = (f["check"], f["rule"], f["severity"], where)
        group = groups.get(key)
        if group is None:
            group = groups[key] = FindingGroup(
                f["severity"], f["check"], f["rule"], where, f["message"], f.get("status") or ""
            )
        group.count += 1
        if loc.get("line"):
            group.lines.append(int(loc["line"]))
    return sorted(groups.values(), key=lambda g: (_RANK.get(g.severity, 9), -g.count, g.where))


def render_table(document: dict[str, Any], verbose: bool = False) -> str:
    """For terminals: a one-screen summary (per check: status, counts by severity), then the
    top findings of each check grouped by rule and file; ``verbose`` lists every group."""
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=140, force_terminal=False, color_system=None)
    run = document["run"]
    summary = Table(title=f"hygiene audit {run['id']} — {run['status']} (as of {run['as_of']})")
    summary.add_column("check")
    summary.add_column("status")
    for severity in SEVERITIES:
        summary.add_column(severity, justify="right")
    summary.add_column("note", overflow="fold")
    by_check: dict[str, Counter[str]] = {}
    for f in document["findings"]:
        by_check.setdefault(f["check"], Counter())[f["severity"]] += 1
    for name, check in run["checks"].items():
        counts = by_check.get(name, Counter())
        summary.add_row(
            name,
            check["status"],
            *(str(counts.get(s, 0) or "") for s in SEVERITIES),
            _short_reason(check.get("reason", "")),
        )
    console.print(summary)
    groups = group_findings(document["findings"])
    shown = groups if verbose else _top(groups, TOP_PER_CHECK)
    if shown:
        title = "Findings" if verbose else f"Top findings (up to {TOP_PER_CHECK} per check)"
        table = Table(title=title, show_lines=False)
        for column in ("severity", "status", "check", "rule", "count", "where", "message"):
            table.add_column(
                column, overflow="fold", justify="right" if column == "count" else "left"
            )
        for g in shown:
            table.add_row(
                g.severity, g.status, g.check, g.rule, str(g.count), g.describe_where(), g.message
            )
        console.print(table)
    total = len(document["findings"])
    line = f"{total} finding(s) in {len(groups)} group(s); {len(run['resolved'])} resolved."
    if len(shown) < len(groups):
        line += (
            f" {len(shown)} group(s) shown: --verbose lists every group, "
            "--format markdown or json every finding."
        )
    console.print(line)
    return buffer.getvalue()


def _short_reason(reason: str) -> str:
    """A check's reason for the summary: without its parenthesised how-to (the JSON and
    Markdown keep it whole), at most 100 characters."""
    short = re.sub(r"\s*\((?:[^()]|\([^()]*\))*\)", "", reason).strip()
    return short if len(short) <= 100 else short[:99] + "…"


def _top(groups: list[FindingGroup], per_check: int) -> list[FindingGroup]:
    seen: Counter[str] = Counter()
    top = []
    for group in groups:
        if seen[group.check] < per_check:
            seen[group.check] += 1
            top.append(group)
    return top


_SARIF_LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
_SARIF_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def sarif_uri(path: str) -> str:
    """A repository path as SARIF's ``artifactLocation.uri``: a relative URI reference, so
    spaces, ``#``, ``%``, ``?``, ``:`` and non-ASCII are percent-encoded (UTF-8); ``/`` stays."""
    return quote(str(path), safe="/")


def render_sarif(document: dict[str, Any]) -> str:
    """SARIF 2.1.0 for GitHub code scanning. Repo findings carry physical locations; cloud
    findings a logical location (the resource)."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for f in document["findings"]:
        rule_id = f"{f['check']}/{f['rule']}"
        rules.setdefault(
            rule_id,
            {
                "id": rule_id,
                "name": f["rule"].replace("-", " ").title().replace(" ", ""),
                "shortDescription": {"text": f"{f['check']}: {f['rule']}"},
                "properties": {
                    "security-severity": _SARIF_SCORE[f["severity"]],
                    "tags": [f["check"]],
                },
            },
        )
        result: dict[str, Any] = {
            "ruleId": rule_id,
            "level": _SARIF_LEVEL[f["severity"]],
            "message": {"text": f["message"]},
            "partialFingerprints": {"hygiene/v1": f["id"]},
            "properties": {"severity": f["severity"], "status": f.get("status")},
        }
        loc = f.get("location")
        if loc:
            physical: dict[str, Any] = {"artifactLocation": {"uri": sarif_uri(loc["path"])}}
            if loc.get("line"):
                physical["region"] = {"startLine": int(loc["line"])}
            result["locations"] = [{"physicalLocation": physical}]
        else:
            result["locations"] = [{"logicalLocations": [{"fullyQualifiedName": f["resource"]}]}]
        results.append(result)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "hygiene",
                        "version": __version__,
                        "informationUri": "https://hygiene.invalid/",
                        "rules": list(rules.values()),
                    }
                },
                "automationDetails": {"id": f"hygiene/{document['run']['id']}"},
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"


RENDERERS: dict[OutputFormat, Callable[..., str]] = {
    OutputFormat.TABLE: render_table,
    OutputFormat.JSON: render_json,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.SARIF: render_sarif,
}


def render(document: dict[str, Any], fmt: OutputFormat | str, verbose: bool = False) -> str:
    """Render the contract document in ``fmt`` (``verbose``: the table lists every group)."""
    if OutputFormat(fmt) is OutputFormat.TABLE:
        return render_table(document, verbose=verbose)
    return RENDERERS[OutputFormat(fmt)](document)


def render_chunks(
    document: dict[str, Any], fmt: OutputFormat | str, verbose: bool = False
) -> Iterator[str]:
    """``render`` as chunks: JSON is streamed finding by finding (the format for large runs);
    the human formats are built whole."""
    if OutputFormat(fmt) is OutputFormat.JSON:
        return iter_json(document)
    return iter([render(document, fmt, verbose=verbose)])
