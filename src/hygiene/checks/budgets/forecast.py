"""Pure helpers for month-end forecasts and daily spend anomalies (no I/O, no clock).

Forecast to month end as of ``as_of``:

* **run-rate**: month-to-date ÷ elapsed days × days in the month;
* **trend**: an ordinary least-squares line through up to ``window`` (30) complete daily points
  ending at ``as_of``; points whose residual is more than 3 robust standard deviations
  (1.4826 × MAD) from the median residual are trimmed and the line refitted. The month-to-date
  plus the line's (non-negative) daily values over the rest of the month is the forecast. With
  fewer than ``min_points`` (8) points the run-rate is used, and the method says so.

Anomaly: a day's spend is compared with the ``window`` days before it (days before the first
day with any data do not count). With the median *m* and the median absolute deviation *MAD*,
the robust z-score is 0.6745 × (x − m) ÷ MAD (Iglewicz and Hoaglin); when MAD is 0 the mean
absolute deviation × 1.2533 stands in. A day is anomalous when |z| exceeds the policy's
threshold (3.5), the day or the median is at least ``min_amount`` and the day is at least
``min_change_percent`` (25 %) off the median. The last is an impact floor, as AWS Cost Anomaly
Detection has: a bill of always-on compute varies so little that its weekend dips of a few
percent score far above 3.5, and nobody needs to hear of them.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

CENT = Decimal("0.01")
Method = Literal["trend", "run-rate", "complete", "none"]


@dataclass(frozen=True)
class Forecast:
    """A month-end projection and how it was made."""

    amount: Decimal
    method: Method
    points: int = 0
    trimmed: int = 0


@dataclass(frozen=True)
class Anomaly:
    """One day far outside its trailing window."""

    day: date
    amount: Decimal
    median: Decimal
    score: float
    points: int


def month_start(moment: date | datetime) -> date:
    """First day of the month of ``moment``."""
    return date(moment.year, moment.month, 1)


def next_month(first: date) -> date:
    """First day of the following month."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: date) -> date:
    """First day of the previous month."""
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def days_in_month(first: date) -> int:
    """Number of days in the month starting ``first``."""
    return calendar.monthrange(first.year, first.month)[1]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def elapsed_days(first: date, as_of: datetime) -> float:
    """Days of the month elapsed at ``as_of`` (0 … days in month). A day ending within a second
    of ``as_of`` counts whole, so ``--as-of 2026-10-31`` (23:59:59) covers October 31."""
    start = datetime.combine(first, datetime.min.time())
    seconds = (_utc(as_of) - start).total_seconds()
    seconds = seconds + 1 if seconds % 86400 >= 86399 else seconds
    return max(0.0, min(float(days_in_month(first)), seconds / 86400))


def complete_days(as_of: datetime) -> date:
    """The day after the last complete day at ``as_of`` (exclusive end of complete days)."""
    moment = _utc(as_of) + timedelta(seconds=1)
    return moment.date()


def daily_points(daily: Mapping[date, Decimal], end: date, window: int) -> list[tuple[int, float]]:
    """(day index, cost) for the ``window`` days before ``end`` that follow the first data day;
    days without charges are zeros."""
    if not daily:
        return []
    first_data = min(daily)
    start = max(end - timedelta(days=window), first_data)
    points = []
    day = start
    while day < end:
        points.append(((day - end).days, float(daily.get(day, Decimal(0)))))
        day += timedelta(days=1)
    return points


def _fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return mean_y, 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return mean_y - slope * mean_x, slope


def trimmed_fit(points: list[tuple[int, float]], min_points: int) -> tuple[float, float, int]:
    """Least-squares (intercept, slope) after trimming outliers; and how many were trimmed."""
    intercept, slope = _fit(points)
    residuals = [y - (intercept + slope * x) for x, y in points]
    centre = statistics.median(residuals)
    mad = statistics.median(abs(r - centre) for r in residuals)
    if mad == 0:
        return intercept, slope, 0
    limit = 3 * 1.4826 * mad
    kept = [p for p, r in zip(points, residuals, strict=True) if abs(r - centre) <= limit]
    if len(kept) == len(points) or len(kept) < min_points:
        return intercept, slope, 0
    intercept, slope = _fit(kept)
    return intercept, slope, len(points) - len(kept)


def forecast_month(
    daily: Mapping[date, Decimal],
    first: date,
    as_of: datetime,
    month_to_date: Decimal,
    *,
    window: int = 30,
    min_points: int = 8,
) -> Forecast:
    """Projected month total for the month starting ``first`` (see the module docstring)."""
    total_days = days_in_month(first)
    elapsed = elapsed_days(first, as_of)
    if elapsed >= total_days:
        return Forecast(month_to_date.quantize(CENT), "complete")
    if elapsed <= 0:
        return Forecast(month_to_date.quantize(CENT), "none")
    run_rate = month_to_date / Decimal(str(elapsed)) * total_days
    end = complete_days(as_of)
    points = daily_points(daily, end, window)
    if len(points) < min_points:
        return Forecast(run_rate.quantize(CENT), "run-rate", len(points))
    intercept, slope, trimmed = trimmed_fit(points, min_points)
    remaining = total_days - elapsed
    last_index = (next_month(first) - end).days  # index of month end relative to ``end``
    ahead = [max(0.0, intercept + slope * x) for x in range(0, max(last_index, 1))]
    mean_ahead = statistics.fmean(ahead) if ahead else 0.0
    amount = month_to_date + Decimal(str(mean_ahead * remaining))
    return Forecast(amount.quantize(CENT), "trend", len(points), trimmed)


def robust_score(value: float, window: list[float]) -> tuple[float, float]:
    """(robust z-score of ``value`` against ``window``, the window's median)."""
    centre = statistics.median(window)
    mad = statistics.median(abs(v - centre) for v in window)
    if mad > 0:
        return 0.6745 * (value - centre) / mad, centre
    mean_abs = statistics.fmean(abs(v - centre) for v in window)
    if mean_abs > 0:
        return (value - centre) / (1.2533 * mean_abs), centre
    return (0.0 if value == centre else float("inf") * (1 if value > centre else -1)), centre


def anomalies(
    daily: Mapping[date, Decimal],
    days: list[date],
    *,
    window: int = 30,
    min_points: int = 8,
    threshold: float = 3.5,
    min_amount: Decimal = Decimal("10"),
    min_change_percent: float = 25.0,
) -> list[Anomaly]:
    """The ``days`` whose spend is far outside the trailing window (see the module docstring)."""
    found = []
    for day in days:
        points = daily_points(daily, day, window)
        if len(points) < min_points:
            continue
        value = float(daily.get(day, Decimal(0)))
        score, centre = robust_score(value, [p[1] for p in points])
        change = abs(value - centre) / centre * 100 if centre else float("inf")
        if (
            abs(score) > threshold
            and max(value, centre) >= float(min_amount)
            and change >= min_change_percent
        ):
            found.append(
                Anomaly(
                    day,
                    daily.get(day, Decimal(0)),
                    Decimal(str(round(centre, 2))),
                    score,
                    len(points),
                )
            )
    return found
