"""Pure helpers of the report's rendering: number formats, CSV, deterministic inline SVG charts."""

from __future__ import annotations

import re

from hygiene.publish import charts
from hygiene.publish.report import month_bounds, previous_months
from hygiene.publish.report_render import money, percent, scope_text, share, to_csv


def test_formats() -> None:
    assert money("1234.5", "USD") == "1,234.50 USD"
    assert money(None) == "—" and money("not a number") == "—"
    assert percent(87.456) == "87.5%" and percent(None) == "—"
    assert share(10.41) == "10.4%"
    assert scope_text({"Project": "x", "Env": "prod"}) == "Project=x, Env=prod"
    assert scope_text("SubAccountId=1") == "SubAccountId=1"


def test_csv_quotes_and_nests() -> None:
    text = to_csv([{"a": 'x,"y"', "b": {"k": 1}, "c": None}], ("a", "b", "c"))
    assert text == 'a,b,c\n"x,""y""","{""k"": 1}",\n'


def test_months() -> None:
    start, end = month_bounds("2026-12")
    assert (start.isoformat(), end.isoformat()) == (
        "2026-12-01T00:00:00+00:00",
        "2027-01-01T00:00:00+00:00",
    )
    assert previous_months("2026-02", 3) == ["2025-12", "2026-01", "2026-02"]


def test_charts_are_deterministic_inline_svg_with_unique_ids() -> None:
    one = charts.bar_chart(
        ["a", "b"], {"spend": [1.0, 2.0], "budget": [2.0, 2.0]}, title="t", ylabel="USD", salt="s1"
    )
    two = charts.bar_chart(
        ["a", "b"], {"spend": [1.0, 2.0], "budget": [2.0, 2.0]}, title="t", ylabel="USD", salt="s1"
    )
    line = charts.line_chart(
        ["2026-10", "2026-11"], {"x": [None, 50.0]}, title="t", ylabel="%", salt="s2"
    )
    assert one == two
    assert one.startswith("<svg") and "<?xml" not in one and "<metadata>" not in one
    ids_one = set(re.findall(r'id="([^"]+)"', one))
    ids_line = set(re.findall(r'id="([^"]+)"', line))
    assert ids_one and ids_line and not ids_one & ids_line
    assert all(i.startswith("s1-") for i in ids_one)
