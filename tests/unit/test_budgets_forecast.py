"""Forecast to month end (run-rate, trimmed least-squares trend) and robust daily anomalies."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hygiene.checks.budgets.forecast import (
    anomalies,
    elapsed_days,
    forecast_month,
    next_month,
    previous_month,
)

SEP = date(2024, 9, 1)


def end_of(day: int) -> datetime:
    return datetime(2024, 9, day, 23, 59, 59, tzinfo=UTC)


def series(values: list[float], start: date = SEP) -> dict[date, Decimal]:
    return {start + timedelta(days=i): Decimal(str(v)) for i, v in enumerate(values)}


def test_month_arithmetic() -> None:
    assert next_month(date(2024, 12, 1)) == date(2025, 1, 1)
    assert previous_month(date(2025, 1, 1)) == date(2024, 12, 1)
    assert elapsed_days(SEP, end_of(10)) == 10.0
    assert elapsed_days(SEP, datetime(2024, 9, 10, 12, tzinfo=UTC)) == 9.5
    assert elapsed_days(SEP, datetime(2024, 10, 5, tzinfo=UTC)) == 30.0


def test_run_rate_below_the_minimum_number_of_points() -> None:
    daily = series([10] * 5)
    result = forecast_month(daily, SEP, end_of(5), Decimal(50))
    assert (result.amount, result.method, result.points) == (Decimal("300.00"), "run-rate", 5)


def test_trend_projects_a_rising_line() -> None:
    daily = series([float(d) for d in range(1, 11)])  # 1, 2, ... 10
    result = forecast_month(daily, SEP, end_of(10), Decimal(55))
    # the line continues 11 ... 30 over the remaining 20 days: 410 more
    assert (result.amount, result.method, result.points, result.trimmed) == (
        Decimal("465.00"),
        "trend",
        10,
        0,
    )


def test_trend_trims_an_outlier_before_fitting() -> None:
    values = [float(d) for d in range(1, 11)]
    values[4] = 1000.0
    result = forecast_month(series(values), SEP, end_of(10), Decimal(1050))
    assert (result.amount, result.method, result.trimmed) == (Decimal("1460.00"), "trend", 1)


def test_a_complete_month_is_its_total() -> None:
    result = forecast_month(series([3] * 30), SEP, end_of(30), Decimal(90))
    assert (result.amount, result.method) == (Decimal("90.00"), "complete")


def test_anomaly_is_a_day_far_from_its_trailing_median() -> None:
    values = [100.0, 102.0, 98.0, 101.0, 99.0, 100.0, 103.0, 97.0, 100.0, 101.0, 950.0, 100.0]
    daily = series(values)
    days = sorted(daily)
    found = anomalies(daily, days, window=30, min_points=8, threshold=3.5, min_amount=Decimal(10))
    assert [(a.day, a.amount, a.median, a.points) for a in found] == [
        (date(2024, 9, 11), Decimal("950.0"), Decimal("100.0"), 10)
    ]


def test_small_days_are_not_anomalies() -> None:
    values = [1.0] * 10 + [9.0]
    daily = series(values)
    assert anomalies(daily, sorted(daily), min_amount=Decimal(10)) == []
    assert [a.day for a in anomalies(daily, sorted(daily), min_amount=Decimal(5))] == [
        date(2024, 9, 11)
    ]


def test_a_steady_bill_s_weekend_dip_is_no_anomaly() -> None:
    # always-on compute: weekdays within a cent or two, weekends 12 % lower (robust z ≈ 40)
    values = [(88.0 if i % 7 in (5, 6) else 100.0 + (i % 3) * 0.01) for i in range(28)]
    daily = series(values)
    days = sorted(daily)
    assert anomalies(daily, days, min_change_percent=0) != []  # the z-score alone flags them
    assert anomalies(daily, days) == []  # 12 % is under the 25 % floor
    spiked = series([*values, 400.0])
    assert [a.day for a in anomalies(spiked, sorted(spiked))] == [max(spiked)]
