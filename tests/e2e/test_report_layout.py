"""The monthly HTML report in headless Chromium at 1,400 px and 800 px: no table, chart or card
grid is wider than its section, no cell's text is cut off, the page never scrolls sideways, and
a screenshot of the requested width is taken (issue #19 §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_layout import measure, png_size, screenshot
from tests.conftest import run_cli
from tests.fixtures.publish.months import seed_three_months

pytestmark = pytest.mark.e2e

SECTIONS = {
    "headline",
    "actions",
    "spend",
    "trend",
    "tags",
    "offenders",
    "secrets",
    "env",
    "rotation",
    "scorecard",
    "coverage",
    "resolved",
    "words",
}


def write_report(tmp_path: Path) -> Path:
    state, out = tmp_path / "state.db", tmp_path / "reports"
    seed_three_months(state)
    result = run_cli("report", "--month", "2026-11", "--state", str(state), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "2026-11" / "report.html"


@pytest.mark.parametrize("width", [1400, 800])
def test_report_fits_the_window(tmp_path: Path, width: int) -> None:
    report = write_report(tmp_path)

    shot = screenshot(tmp_path, report, width)
    data = shot.read_bytes()
    assert png_size(data) == (width, 3000)
    assert len(data) > 20_000, f"the {width} px screenshot is {len(data)} bytes: blank?"

    layout = measure(tmp_path, report, width)
    assert layout.window_width == width
    assert set(layout.sections) == SECTIONS
    tables = [e for e in layout.elements if e.tag == "table"]
    assert len(tables) >= 13 and sum(e.tag == "svg" for e in layout.elements) == 2
    problems = layout.overflows()
    assert problems == [], "\n".join(problems)


def test_the_measurement_sees_an_overflow(tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    page.write_text(
        "<!doctype html><html><head><style>"
        "main { width: 600px; } section { overflow: hidden; padding: 10px; }"
        "table { table-layout: fixed; width: 100%; } td { white-space: nowrap; }"
        "</style></head><body><main>"
        '<section id="fits"><table><tr><th>ok</th></tr><tr><td>short</td></tr></table></section>'
        '<section id="clipped"><table class="big x" style="width:2000px">'
        "<tr><th>wide header</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table></section>"
        '<section id="cells"><table><colgroup><col style="width:40px"><col></colgroup>'
        "<tr><th>name</th><th>value</th></tr>"
        "<tr><td>a-very-long-unbreakable-cell-value</td><td>2</td></tr></table></section>"
        "</main></body></html>"
    )
    layout = measure(tmp_path, page, 800)
    problems = layout.overflows()
    assert len(problems) == 2, problems
    clipped, spilled = problems
    assert clipped.startswith("section #clipped: <table>.big (first header 'wide header')")
    assert "is 2000 px wide" in clipped and "at window width 800" in clipped
    assert spilled.startswith(
        "section #cells: <td> 'a-very-long-unbreakable-cell-value' in the table with first "
        "header 'name'"
    )
    assert layout.scroll_width <= layout.client_width  # clipped by the section, not scrolled

    page.write_text(
        '<!doctype html><section id="loose"><pre id="log" style="width:1500px">x</pre></section>'
    )
    loose = measure(tmp_path, page, 800).overflows()
    assert len(loose) == 2, loose
    assert loose[0].startswith("section #loose: <pre>#log is 1500 px wide")
    assert loose[1].startswith("the page scrolls sideways at window width 800: scrollWidth ")


def test_png_size_reads_the_header() -> None:
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (1400).to_bytes(4, "big")
    assert png_size(header + (3000).to_bytes(4, "big")) == (1400, 3000)
    with pytest.raises(ValueError):
        png_size(b"GIF89a" + bytes(30))
