"""Renderings of a :class:`hygiene.scorecard.Scorecard`: a text table, Markdown, JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum

from hygiene.scorecard import ChecklistRow, Scorecard

MARK = {
    "pass": "pass",
    "fail": "FAIL",
    "not-evidenced": "no-evidence",
    "needs-a-human": "human",
    "n/a": "-",
}


class ScorecardFormat(StrEnum):
    """Output formats of ``hygiene scorecard``."""

    TABLE = "table"
    MARKDOWN = "markdown"
    JSON = "json"


def _cell_text(card: Scorecard, row: ChecklistRow, label: str) -> str:
    cell = card.cell(row.item, label)
    text = MARK[cell.status]
    if cell.status == "pass" and cell.missing:
        text += "*"
    if cell.status == "fail":
        text += f" ({len(cell.findings)})"
    if row.human and cell.status in ("pass", "fail", "not-evidenced"):
        text += " +h"
    return text


def render_table(card: Scorecard) -> str:
    """A fixed-width table: one line per checklist row, one column per scope."""
    labels = [s.label for s in card.scopes]
    item_width = max(len(r.item) for r in card.rows)
    grid = [[_cell_text(card, row, label) for label in labels] for row in card.rows]
    widths = [max(len(label), *(len(line[i]) for line in grid)) for i, label in enumerate(labels)]
    head = f"{'Item':<{item_width}}  Req       " + "  ".join(
        f"{lab:<{w}}" for lab, w in zip(labels, widths, strict=True)
    )
    lines = [
        f"Blueprint scorecard — run {card.run_id or '?'} as of {card.as_of or '?'} ({card.run_status or '?'})",
        "",
        head.rstrip(),
        "-" * len(head.rstrip()),
    ]
    for row, cells in zip(card.rows, grid, strict=True):
        line = f"{row.item:<{item_width}}  {row.required:<8}  " + "  ".join(
            f"{c:<{w}}" for c, w in zip(cells, widths, strict=True)
        )
        lines.append(line.rstrip())
    lines += [
        "",
        "pass: evidenced and clean · pass*: partly evidenced (some evidencing checks did not run) · "
        "FAIL (n): n findings · no-evidence: no evidencing check ran ok · human: a person must confirm · "
        "-: not applicable to this scope · +h: a person confirms the rest",
    ]
    notes = _notes(card)
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n"


def _notes(card: Scorecard) -> list[str]:
    out = []
    organisation = card.scopes[0].label
    for row in card.rows:
        cell = card.cell(row.item, organisation)
        if cell.status in ("not-evidenced", "pass") and cell.missing:
            what = "not evidenced" if cell.status == "not-evidenced" else "partly evidenced"
            out.append(f"{row.item}: {what} — {', '.join(cell.missing)}")
        if row.human and cell.status != "n/a":
            out.append(f"{row.item}: a person confirms {row.human}")
    return out


def render_markdown(card: Scorecard) -> str:
    """A Markdown section (used by the monthly report too)."""
    labels = [s.label for s in card.scopes]
    lines = [
        "## Blueprint scorecard",
        "",
        f"Run `{card.run_id}` as of {card.as_of} ({card.run_status}).",
        "",
        "| Item | Required | " + " | ".join(f"`{lab}`" for lab in labels) + " |",
        "| :--- | :---: | " + " | ".join(":---:" for _ in labels) + " |",
    ]
    for row in card.rows:
        lines.append(
            f"| {row.item} | {row.required} | "
            + " | ".join(_cell_text(card, row, lab) for lab in labels)
            + " |"
        )
    lines += [
        "",
        "*pass\\**: partly evidenced · *+h*: machine evidence covers part of the row; a person "
        "confirms the rest · *-*: not applicable to this scope.",
    ]
    notes = _notes(card)
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def render_json(card: Scorecard) -> str:
    """The scorecard's ``to_dict()`` as indented JSON."""
    return json.dumps(card.to_dict(), indent=2, sort_keys=False) + "\n"


RENDERERS: dict[ScorecardFormat, Callable[[Scorecard], str]] = {
    ScorecardFormat.TABLE: render_table,
    ScorecardFormat.MARKDOWN: render_markdown,
    ScorecardFormat.JSON: render_json,
}


def render(card: Scorecard, fmt: str) -> str:
    """Render in one of :class:`ScorecardFormat`."""
    return RENDERERS[ScorecardFormat(fmt)](card)
