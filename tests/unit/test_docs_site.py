"""The README fits on a screen and points into the documentation site, which has a page for every
registered check (mkdocs build --strict, in make lint, checks every link between pages)."""

from __future__ import annotations

import re

import yaml

from hygiene.registry import CHECKS
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"


def test_the_readme_is_at_most_300_lines_and_its_links_resolve() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert local and all((REPO_ROOT / t).exists() for t in local), local


def test_every_check_has_a_page_in_the_site_navigation() -> None:
    config = yaml.load(
        (REPO_ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader
    )
    pages = set(re.findall(r"[\w/.-]+\.md", str(config["nav"])))
    for name in CHECKS:
        assert (DOCS / "checks" / f"{name}.md").exists(), name
        assert f"checks/{name}.md" in pages, name
    on_disk = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert on_disk == pages  # no page left out of the navigation, none listed that is missing
