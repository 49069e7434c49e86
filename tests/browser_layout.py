"""Layout measurement of an HTML page in headless Chromium: does anything in a ``<section>``
stick out past the section, and does the page scroll sideways? Also reads a PNG's size from its
IHDR chunk, so screenshots can be checked without Pillow."""

from __future__ import annotations

import html
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.test_publish_report_cli import chromium

# Elements whose right edge is compared with their section's. Block containers are included too:
# a grid of cards or a definition list can overflow as well as a table can.
MEASURED = "table, svg, pre, img, dl, .cards, .charts"

PROBE = (
    """
<pre id="layout-result" style="display:none"></pre>
<script>
window.addEventListener("load", () => {
  const label = (el) => {
    const tag = el.tagName.toLowerCase();
    const cls = el.getAttribute("class");
    const ident = el.id ? "#" + el.id : (cls ? "." + cls.trim().split(/\\s+/)[0] : "");
    const th = el.querySelector("th");
    return {tag: tag, ident: ident, header: th ? th.textContent.trim().slice(0, 60) : ""};
  };
  const sections = [];
  const elements = [];
  const spills = [];
  for (const section of document.querySelectorAll("section")) {
    const box = section.getBoundingClientRect();
    const style = getComputedStyle(section);
    const contentRight = box.right - parseFloat(style.borderRightWidth)
      - parseFloat(style.paddingRight);
    const id = section.id || "(no id)";
    sections.push({id: id, left: box.left, right: box.right, content_right: contentRight,
                   width: box.width});
    for (const el of section.querySelectorAll("""
    + json.dumps(MEASURED)
    + """)) {
      const r = el.getBoundingClientRect();
      elements.push(Object.assign(label(el), {section: id, right: r.right, width: r.width,
                                              scroll_width: el.scrollWidth || 0}));
    }
    for (const cell of section.querySelectorAll("th, td")) {
      if (cell.scrollWidth > cell.clientWidth + 1) {
        const table = cell.closest("table");
        spills.push({section: id, tag: cell.tagName.toLowerCase(),
                     text: cell.textContent.trim().slice(0, 60),
                     header: table ? label(table).header : "",
                     scroll_width: cell.scrollWidth, client_width: cell.clientWidth});
      }
    }
  }
  const doc = document.documentElement;
  const out = {window_width: window.innerWidth, scroll_width: doc.scrollWidth,
               client_width: doc.clientWidth, sections: sections, elements: elements,
               spills: spills};
  document.getElementById("layout-result").textContent = JSON.stringify(out);
});
</script>
"""
)
RESULT = re.compile(r'<pre id="layout-result"[^>]*>(.*?)</pre>', re.DOTALL)


@dataclass(frozen=True)
class Section:
    id: str
    left: float
    right: float
    content_right: float
    width: float


@dataclass(frozen=True)
class Element:
    section: str
    tag: str
    ident: str
    header: str
    right: float
    width: float
    scroll_width: float

    def describe(self) -> str:
        """``<table>.scorecard (first header 'item')``: enough to find the element."""
        head = f" (first header {self.header!r})" if self.header else ""
        return f"<{self.tag}>{self.ident}{head}"


@dataclass(frozen=True)
class Spill:
    """A table cell whose content is wider than the cell (cut off or drawn over its neighbour)."""

    section: str
    tag: str
    text: str
    header: str
    scroll_width: int
    client_width: int


@dataclass(frozen=True)
class Layout:
    window_width: int
    scroll_width: int
    client_width: int
    sections: dict[str, Section]
    elements: list[Element]
    spills: list[Spill]

    def overflows(self, tolerance: float = 1.0) -> list[str]:
        """One sentence per element whose right edge passes its section's by more than
        ``tolerance`` px, per table cell whose content is wider than the cell, and one if the
        page scrolls sideways; empty when the layout fits."""
        problems = []
        for el in self.elements:
            sec = self.sections[el.section]
            if el.right > sec.right + tolerance:
                problems.append(
                    f"section #{el.section}: {el.describe()} is {el.width:.0f} px wide and ends at "
                    f"x={el.right:.0f}, {el.right - sec.right:.0f} px past the section's right "
                    f"edge x={sec.right:.0f} (section {sec.width:.0f} px wide, content box ends "
                    f"at x={sec.content_right:.0f}) at window width {self.window_width}"
                )
        for cell in self.spills:
            problems.append(
                f"section #{cell.section}: <{cell.tag}> {cell.text!r} in the table with first "
                f"header {cell.header!r} holds {cell.scroll_width} px of content in a "
                f"{cell.client_width} px cell at window width {self.window_width}"
            )
        if self.scroll_width > self.client_width:
            problems.append(
                f"the page scrolls sideways at window width {self.window_width}: "
                f"scrollWidth {self.scroll_width} > clientWidth {self.client_width}"
            )
        return problems


def with_probe(page: str) -> str:
    """``page`` with the measuring script added at the end of its body."""
    if "</body>" in page:
        head, _, tail = page.rpartition("</body>")
        return head + PROBE + "</body>" + tail
    return page + PROBE


def measure(tmp_path: Path, page: Path, width: int) -> Layout:
    """Render a copy of ``page`` (with the probe) in headless Chromium at ``width`` px and
    return what the probe measured."""
    probed = tmp_path / f"{page.stem}.probe-{width}.html"
    probed.write_text(with_probe(page.read_text(encoding="utf-8")), encoding="utf-8")
    result = chromium(
        tmp_path,
        probed.as_uri(),
        "--dump-dom",
        "--virtual-time-budget=5000",
        f"--window-size={width},2000",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = RESULT.search(result.stdout)
    assert found and found.group(1).strip(), (
        f"the layout probe wrote nothing at width {width}: {result.stderr[-2000:]}"
    )
    data = json.loads(html.unescape(found.group(1)))
    return Layout(
        window_width=int(data["window_width"]),
        scroll_width=int(data["scroll_width"]),
        client_width=int(data["client_width"]),
        sections={s["id"]: Section(**s) for s in data["sections"]},
        elements=[Element(**e) for e in data["elements"]],
        spills=[Spill(**c) for c in data["spills"]],
    )


def screenshot(tmp_path: Path, page: Path, width: int, height: int = 3000) -> Path:
    """A PNG of ``page`` at ``width`` x ``height`` px, saved in ``tmp_path``."""
    shot = tmp_path / f"{page.stem}-{width}.png"
    result = chromium(
        tmp_path,
        page.as_uri(),
        f"--screenshot={shot}",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return shot


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if ``data`` is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
