"""Output formats of ``hygiene audit``: one enum, one renderer each (a test proves the map is
exhaustive). Renderers take the contract document, so they see exactly what JSON users see."""

from __future__ import annotations

import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
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


def render_table(document: dict[str, Any]) -> str:
    """A rich summary grouped by check and severity, then the findings (for terminals)."""
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
            check.get("reason", ""),
        )
    console.print(summary)
    if document["findings"]:
        table = Table(show_lines=False)
        for column in ("severity", "status", "check", "rule", "where", "message"):
            table.add_column(column, overflow="fold")
        for f in document["findings"]:
            table.add_row(
                f["severity"], f.get("status") or "", f["check"], f["rule"], _where(f), f["message"]
            )
        console.print(table)
    console.print(f"{len(document['findings'])} finding(s); {len(run['resolved'])} resolved.")
    return buffer.getvalue()


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


RENDERERS: dict[OutputFormat, Callable[[dict[str, Any]], str]] = {
    OutputFormat.TABLE: render_table,
    OutputFormat.JSON: render_json,
    OutputFormat.MARKDOWN: render_markdown,
    OutputFormat.SARIF: render_sarif,
}


def render(document: dict[str, Any], fmt: OutputFormat | str) -> str:
    """Render the contract document in ``fmt``."""
    return RENDERERS[OutputFormat(fmt)](document)


def render_chunks(document: dict[str, Any], fmt: OutputFormat | str) -> Iterator[str]:
    """``render`` as chunks: JSON is streamed finding by finding (the format for large runs);
    the human formats are built whole."""
    if OutputFormat(fmt) is OutputFormat.JSON:
        return iter_json(document)
    return iter([render(document, fmt)])
