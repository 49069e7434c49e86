"""Charts for the monthly report: matplotlib figures rendered to inline SVG strings.

Deterministic output (fixed hash salt, no date metadata) so a report for a past month renders
the same bytes twice. Text stays text (``svg.fonttype = none``): small and searchable.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

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


def spend_trend_chart(
    months: Sequence[str],
    spend: Sequence[float | None],
    *,
    forecast: Sequence[float | None],
    budget: Sequence[float | None],
    title: str,
    ylabel: str,
    salt: str = "spend-trend",
) -> str:
    """Monthly spend bars, the month-end forecast as an outlined bar over the current month's,
    and the budget of each month as a step line (a gap where a month had none)."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    xs = list(range(len(months)))
    ax.bar(
        xs,
        [float("nan") if v is None else v for v in forecast],
        0.6,
        label="forecast",
        facecolor="none",
        edgecolor=_PALETTE[0],
        linestyle="--",
        linewidth=1.2,
    )
    ax.bar(xs, [0 if v is None else v for v in spend], 0.6, label="spend", color=_PALETTE[0])
    if any(b is not None for b in budget):
        ax.step(
            [x - 0.5 for x in xs] + [xs[-1] + 0.5],
            [float("nan") if b is None else b for b in [*budget, budget[-1]]],
            where="post",
            color=_PALETTE[3],
            linewidth=1.6,
            label="budget",
        )
    ax.set_xticks(xs)
    ax.set_xticklabels(list(months), fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return _svg(fig, salt)


def lines_with_budgets(
    months: Sequence[str],
    series: Mapping[str, tuple[Sequence[float | None], Sequence[float | None]]],
    *,
    title: str,
    ylabel: str,
    forecasts: Mapping[str, Decimal | float | None] | None = None,
    salt: str = "lines-budgets",
) -> str:
    """One solid line per series (its spend by month) and, in the same colour, a dashed line of
    its budget by month. With ``forecasts`` the last month is still running: its line ends at
    the month before, and a dotted segment leads to that series' month-end forecast (a
    month-to-date point would read as a collapse)."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    labels = list(months)
    for index, (name, (values, budgets)) in enumerate(series.items()):
        colour = _PALETTE[index % len(_PALETTE)]
        points = [float("nan") if v is None else v for v in values]
        forecast = (forecasts or {}).get(name)
        if forecasts is not None and len(points) >= 2:
            ax.plot(labels[:-1], points[:-1], marker="o", color=colour, label=name)
            if forecast is not None and points[-2] == points[-2]:  # not NaN
                ax.plot(
                    labels[-2:],
                    [points[-2], float(forecast)],
                    linestyle=":",
                    marker="o",
                    markerfacecolor="white",
                    color=colour,
                )
        else:
            ax.plot(labels, points, marker="o", color=colour, label=name)
        if any(b is not None for b in budgets):
            ax.plot(
                labels,
                [float("nan") if b is None else b for b in budgets],
                linestyle="--",
                color=colour,
                linewidth=1,
                label=f"{name} budget",
            )
    ax.set_title(title, fontsize=11)
    ax.set_ylabel(ylabel)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, ncol=2, loc="upper left")
    return _svg(fig, salt)


def budget_bars(
    labels: Sequence[str],
    spend: Sequence[float],
    forecast: Sequence[float | None],
    budget: Sequence[float | None],
    *,
    title: str,
    xlabel: str,
    salt: str = "budget-bars",
) -> str:
    """Horizontal bars per group: spend, the forecast as an outline behind it and the budget as
    a red tick, so a group heading over its budget reads at a glance."""
    height = max(1.6, 0.42 * len(labels) + 0.9)
    fig, ax = plt.subplots(figsize=(8, height))
    ys = list(range(len(labels)))[::-1]
    ax.barh(
        ys,
        [0 if f is None else f for f in forecast],
        0.6,
        facecolor="none",
        edgecolor=_PALETTE[0],
        linestyle="--",
        label="forecast",
    )
    ax.barh(ys, list(spend), 0.6, color=_PALETTE[0], label="spend")
    marked = [(y, b) for y, b in zip(ys, budget, strict=True) if b is not None]
    if marked:
        ax.scatter(
            [b for _, b in marked],
            [y for y, _ in marked],
            marker="|",
            s=500,
            linewidths=2.5,
            color=_PALETTE[3],
            label="budget",
            zorder=3,
        )
    ax.set_yticks(ys)
    ax.set_yticklabels(list(labels), fontsize=8)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _svg(fig, salt)
