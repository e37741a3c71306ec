"""The published docs/compat.md as GitHub shows it: rendered by GitHub's own markdown library
(cmarkgfm, GitHub-flavoured: tables, autolinks, strikethrough, the tag filter; raw HTML kept,
as GitHub keeps ``<sup>`` and ``<a id>``), styled with the essentials of GitHub's markdown CSS
for tables, in a column exactly as wide as GitHub's README column (1,012 px), and measured in
Chromium (Playwright driving Debian's Chromium, as tests/test_page_browser.py does).

No table a reader scans per case (every table under "## Summary": the groups' tables and the
other interpreters' one) may scroll sideways there: a table scrolls when its columns' narrowest
widths add up to more than the column, and GitHub then hides its right-hand columns. And the
copy and safety answer (Semantics, Locks source, Safety, Documented) comes first in each group,
before the versions.

Needs ``chromium`` on PATH, the ``playwright`` and ``cmarkgfm`` packages (the ``test`` extra).
With ``CI`` set a missing one fails the run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from matrix.store.paths import PROJECT_ROOT
from tests.conftest import missing_prerequisite

COMPAT = PROJECT_ROOT / "docs" / "compat.md"
GITHUB_WIDTH = 1012
"""The width of GitHub's markdown column on a repository's file view (px)."""
SUMMARY = "Summary"
OTHER_INTERPRETERS = "Other interpreters"
WHAT_IT_DOES = ("Semantics", "Locks source", "Safety", "Documented")
SERIES = re.compile(r"\d+\.\d+")
"""A Cython series column's header (``0.29``, ``3.1``)."""

GITHUB_CSS = f"""
body {{ margin: 0; }}
.markdown-body {{
  width: {GITHUB_WIDTH}px; box-sizing: border-box;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial,
    sans-serif, "Apple Color Emoji", "Segoe UI Emoji";
  font-size: 16px; line-height: 1.5; word-wrap: break-word;
}}
.markdown-body table {{
  display: block; width: max-content; max-width: 100%; overflow: auto;
  border-spacing: 0; border-collapse: collapse;
}}
.markdown-body td, .markdown-body th {{ padding: 6px 13px; border: 1px solid #d1d9e0; }}
.markdown-body code {{
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono",
    monospace;
  font-size: 85%; padding: .2em .4em; white-space: break-spaces;
}}
"""
"""The table-related rules of GitHub's ``.markdown-body`` stylesheet (``sup`` keeps the
browser's default)."""

MEASURE = """() => {
  const found = [];
  let section = "", heading = "";
  for (const node of document.querySelectorAll(".markdown-body h2, .markdown-body h3,"
                                               + " .markdown-body table")) {
    if (node.tagName === "H2") { section = heading = node.textContent.trim(); continue; }
    if (node.tagName === "H3") { heading = node.textContent.trim(); continue; }
    found.push({section, heading,
                headers: Array.from(node.querySelectorAll("thead th"),
                                    th => th.textContent.trim()),
                scrollWidth: node.scrollWidth, clientWidth: node.clientWidth});
  }
  return found;
}"""


@dataclass(frozen=True)
class Table:
    """One rendered table: the ``##`` section and the nearest heading above it, its column
    headers and its widths (px)."""

    section: str
    heading: str
    headers: tuple[str, ...]
    scroll_width: int
    client_width: int

    @property
    def scrolls(self) -> bool:
        return self.scroll_width > self.client_width


def github_html(markdown: str) -> str:
    """``markdown`` as GitHub renders it, in a page with GitHub's table styles."""
    try:
        import cmarkgfm
        from cmarkgfm.cmark import Options
    except ImportError:
        missing_prerequisite("the cmarkgfm package is not installed (pip install -e '.[test]')")
    body = str(cmarkgfm.github_flavored_markdown_to_html(markdown,
                                                         options=Options.CMARK_OPT_UNSAFE))
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><style>' + GITHUB_CSS
            + '</style></head><body><article class="markdown-body">' + body
            + "</article></body></html>")


def measure(browser: Any, markdown: str, folder: Path) -> list[Table]:
    """Every table of ``markdown`` rendered at GitHub's width, in document order."""
    page_file = folder / "compat.html"
    page_file.write_text(github_html(markdown), encoding="utf-8")
    page = browser.new_page(viewport={"width": GITHUB_WIDTH + 268, "height": 900})
    try:
        page.goto(page_file.as_uri())
        found = page.evaluate(MEASURE)
    finally:
        page.close()
    return [Table(t["section"], t["heading"], tuple(t["headers"]), t["scrollWidth"],
                  t["clientWidth"]) for t in found]


@pytest.fixture(scope="module")
def tables(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> list[Table]:
    return measure(browser, COMPAT.read_text(encoding="utf-8"),
                   tmp_path_factory.mktemp("github-width"))


def summary_tables(tables: list[Table]) -> list[Table]:
    found = [t for t in tables if t.section == SUMMARY]
    assert found, f"no table under '## {SUMMARY}' in {COMPAT}"
    return found


def test_no_summary_table_scrolls_at_githubs_width(tables: list[Table]) -> None:
    """Every per-case table of the summary fits GitHub's column: nothing is cut off."""
    scrolling = [f"{t.heading!r} ({', '.join(t.headers[:3])}, ...): {t.scroll_width} px"
                 f" wide in {t.client_width} px" for t in summary_tables(tables) if t.scrolls]
    assert not scrolling, (f"tables of {COMPAT.name}'s summary scroll sideways at"
                           f" {GITHUB_WIDTH} px: " + "; ".join(scrolling))


def test_what_it_does_comes_before_the_versions(tables: list[Table]) -> None:
    """In every group of the summary the copy and safety answer (Semantics, Locks source,
    Safety, Documented) is there, in the group's first table, before any Cython series
    column: the reader sees it first, not at the right-hand end of the versions."""
    groups: dict[str, list[Table]] = {}
    for table in summary_tables(tables):
        if table.heading not in (SUMMARY, OTHER_INTERPRETERS):
            groups.setdefault(table.heading, []).append(table)
    assert groups, f"no group (### heading) with a table under '## {SUMMARY}'"
    wrong = []
    for heading, found in groups.items():
        columns = [c for t in found for c in t.headers]
        missing = [c for c in WHAT_IT_DOES if c not in columns]
        series = [i for i, c in enumerate(columns) if SERIES.fullmatch(c)]
        if missing:
            wrong.append(f"{heading!r} has no {', '.join(missing)} column")
        elif not series:
            wrong.append(f"{heading!r} has no Cython series column")
        elif not all(c in found[0].headers for c in WHAT_IT_DOES) or max(
                columns.index(c) for c in WHAT_IT_DOES) > series[0]:
            wrong.append(f"{heading!r}: {', '.join(WHAT_IT_DOES)} do not all come in its first"
                         f" table before the series columns (columns: {' | '.join(columns)})")
    assert not wrong, "; ".join(wrong)
