"""Charts for the monthly report: matplotlib figures rendered to inline SVG strings.

Deterministic output (fixed hash salt, no date metadata) so a report for a past month renders
the same bytes twice. Text stays text (``svg.fonttype = none``): small and searchable.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

_PALETTE = ("#2563eb", "#f59e0b", "#94a3b8", "#dc2626", "#16a34a")


def _svg(fig: object, salt: str) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # ids must be unique across the several charts inlined in one page
    return re.sub(r'(id="|url\(#|href="#)([A-Za-z_][\w.-]*)', rf"\g<1>{salt}-\g<2>", text)


def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
    salt: str = "bar",
) -> str:
    """Grouped bars: one group per label, one bar per series (e.g. spend, budget, forecast)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    count = max(len(series), 1)
    width = 0.8 / count
    positions = range(len(labels))
    for index, (name, values) in enumerate(series.items()):
        ax.bar(
            [p + index * width - 0.4 + width / 2 for p in positions],
            list(values),
            width,
            label=name,
            color=_PALETTE[index % len(_PALETTE)],
        )
    ax.set_xticks(list(positions))
    ax.set_xticklabels(list(labels), rotation=20, ha="right", fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False)
    return _svg(fig, salt)


def line_chart(
    x: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str,
    salt: str = "line",
    ylim: tuple[float, float] | None = None,
) -> str:
    """Lines over months; ``None`` leaves a gap (the check did not run that month)."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for index, (name, values) in enumerate(series.items()):
        ys = [float("nan") if v is None else v for v in values]
        ax.plot(list(x), ys, marker="o", label=name, color=_PALETTE[index % len(_PALETTE)])
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    if ylim:
        ax.set_ylim(*ylim)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False)
    return _svg(fig, salt)
