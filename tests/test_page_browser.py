"""The published web page (docs/index.html) in a real browser: Playwright driving Debian's
Chromium, the page loaded from disk (file://), its filters and its support-range query checked
against the published data (docs/compat.json) and against ``python -m report query``.

Needs ``chromium`` on PATH (Debian: ``apt-get install chromium``; ``.ci/run`` installs it) and
the ``playwright`` package (the ``test`` extra).  With ``CI`` set a missing one fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from matrix.paths import PROJECT_ROOT
from report.query import SupportRange, answer, load_data

DOCS = PROJECT_ROOT / "docs"
PAGE = (DOCS / "index.html").as_uri()
SCREENSHOTS = PROJECT_ROOT / ".cache" / "screenshots"

pytestmark = pytest.mark.browser


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}, and CI is set: the browser tests must run")
    pytest.skip(what)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[test]')")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _missing("no chromium on PATH (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.errors = errors
    yield opened
    context.close()
    assert not errors, f"the page logged errors: {errors}"


@pytest.fixture(scope="module")
def published() -> dict[str, Any]:
    return json.loads((DOCS / "compat.json").read_text(encoding="utf-8"))


def load(page: Any, suffix: str = "") -> None:
    page.goto(PAGE + suffix)
    page.wait_for_selector("section.case")


def visible_cases(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(
        "section.case:not(.hidden)", "nodes => nodes.map(n => n.id)"))


def test_the_page_shows_every_case_and_the_provenance(page: Any,
                                                      published: dict[str, Any]) -> None:
    load(page)
    assert visible_cases(page) == [c["id"] for c in published["cases"]]
    header = page.inner_text("#provenance")
    p = published["provenance"]
    assert f"Results as of {p['date']}: {p['cells']} cells, {p['records']} records" in header
    assert p["aa"]["run"] and "A/A: 200 stored results" in header
    assert page.locator("#notes > li").count() == len(published["notes"])


def test_the_grid_cells_say_what_the_published_cells_say(page: Any,
                                                        published: dict[str, Any]) -> None:
    """Every Python x Cython cell of every numpy-free case, against its compat.json row."""
    load(page)
    shown = page.eval_on_selector_all(
        "table.grid[data-view=folded] td.cell",
        """cells => cells.map(td => [td.closest('table').dataset.case,
                                    td.closest('tr').dataset.python, td.dataset.cython,
                                    td.dataset.verdict])""")
    expected = {}
    for row in published["cells"]:
        if row["kind"] != "core" or row["compiler"] != "gcc":  # the grids show gcc's cells
            continue
        if row["flaky"] == "true":
            verdict = "flaky"
        elif row["outcome"] == "ok":
            verdict = "ok"
        elif row["failed"] == "true":
            verdict = "failed"
        else:
            verdict = row["outcome"]
        expected[(row["case_id"], row["python"], row["cython"])] = verdict
    core = {case for case, _, _ in expected}
    found = {(case, python, cython): verdict for case, python, cython, verdict in shown
             if case in core and verdict != "not-tested"}
    assert found == expected
    assert len(found) > 500


def test_the_group_filter_shows_that_group(page: Any, published: dict[str, Any]) -> None:
    load(page)
    page.select_option("#group", "numpy")
    assert visible_cases(page) == [c["id"] for c in published["cases"] if c["group"] == "numpy"]


@pytest.mark.parametrize(("python", "cython", "numpy", "shipped"), [
    (">=3.8", ">=3.0", ">=1.26", False),
    ("<3.9", ">=0.29,<3.1", "", True),
])
def test_the_range_query_answers_as_report_query(page: Any, python: str, cython: str,
                                                 numpy: str, shipped: bool) -> None:
    expected = answer(load_data(DOCS / "compat.json"),
                      SupportRange.parse(python, cython, numpy), shipped_c=shipped)
    load(page)
    page.fill("#python", python)
    page.fill("#cython", cython)
    page.fill("#numpy", numpy)
    if shipped:
        page.check("#shipped")
    page.click("#apply")
    badges = dict(page.eval_on_selector_all(
        "section.case", "nodes => nodes.map(n => [n.id, n.dataset.query])"))
    assert badges == {c.case_id: c.verdict for c in expected.cases}
    summary = page.locator("#query-summary")
    assert summary.get_attribute("data-failing") == str(len(expected.failing))
    page.select_option("#verdict", "fails")
    assert visible_cases(page) == [c.case_id for c in expected.failing]


def test_a_bad_specifier_is_reported_not_applied(page: Any) -> None:
    load(page)
    before = page.inner_text("#query-summary")
    page.fill("#python", "from 3.8 on")
    page.click("#apply")
    assert "python 'from 3.8 on': not a version specifier" in page.inner_text("#query-error")
    assert page.inner_text("#query-summary") == before


def test_deep_link_note_reproducer_and_a_screenshot(page: Any,
                                                   published: dict[str, Any]) -> None:
    """#case-id opens at that case (range from the address); a note link opens that note, with
    its own reproducer and a working copy button; the numpy toggle unfolds the grid. The
    screenshot (a filter applied, the grid, a note open) is kept in .cache/screenshots/."""
    load(page, "?python=%3E%3D3.9&cython=%3E%3D0.29#pointer-to-numpy")
    page.wait_for_function(
        "document.getElementById('pointer-to-numpy').getBoundingClientRect().top < 200")
    assert page.eval_on_selector("#pointer-to-numpy", "n => n.matches(':target')")
    assert page.input_value("#python") == ">=3.9"
    page.select_option("#group", "numpy")
    section = page.locator("#pointer-to-numpy")
    toggle = section.locator("button.toggle")
    toggle.click()
    assert section.locator("table.grid").get_attribute("data-view") == "numpy"
    toggle.click()
    assert section.locator("table.grid").get_attribute("data-view") == "folded"
    link = section.locator(".answer a[href^='#note-']").first
    number = int(link.get_attribute("href").removeprefix("#note-"))
    link.click()
    panel = page.locator("#note-panel")
    assert panel.is_visible() and panel.get_attribute("data-note") == str(number)
    published_note = next(n for n in published["notes"] if n["number"] == number)
    assert panel.locator("code.command").inner_text() == published_note["reproduce"]
    assert page.locator(f"#note-{number} > details").get_attribute("open") is not None
    button = panel.locator("button.copy")
    button.click()
    assert button.inner_text() == "Copied"
    assert page.evaluate("window.getSelection().toString()") == published_note["reproduce"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "page.png"
    section.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -90)")
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 20_000
