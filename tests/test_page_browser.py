"""The web page (docs/index.html) in a real browser: Playwright driving Debian's Chromium, the
page loaded from disk (file://), rendered into a temporary folder by ``write_outputs`` from the
golden fixture (tests/fixtures/report/) and from the published results (results/, what docs/
is rendered from). Its overview and toolchain table are checked cell by cell against
the compat.json rendered beside it, its filters and its support-range query against
``python -m report query`` (report.query) on that compat.json, and a deep link against the
sticky filter bar.

Needs ``chromium`` on PATH (Debian: ``apt-get install chromium``; ``.ci/run`` installs it) and
the ``playwright`` package (the ``test`` extra).  With ``CI`` set a missing one fails the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from matrix.model.outcomes import Outcome
from matrix.model.selection import series as selection_series
from matrix.model.versions import sorted_versions
from matrix.store.paths import PROJECT_ROOT
from report.cli import DEFAULT_CANARY, DEFAULT_CASES, DEFAULT_RESULTS, NAMED, build_report
from report.diagram import (
    STROKE_DEFAULT,
    STROKE_PX,
    arrows,
    pair_title,
    pairs,
    render_svg,
)
from report.legend import (
    COLOURS,
    DANGLES,
    DIAGRAM_COLOURS,
    DIAGRAM_STYLES,
    FLAKY,
    SHIPPED_C,
    STAGES,
    SYMBOLS,
    TOOLCHAIN,
    Verdict,
)
from report.publish import write_outputs
from report.query.answer import Property, answer
from report.query.data import load_data, published_cells
from report.query.range import SupportRange

FIXTURE = Path(__file__).parent / "fixtures" / "report"
SCREENSHOTS = PROJECT_ROOT / ".cache" / "screenshots"
BLANK = "rgb(236, 238, 241)"
"""The page's ``--blank``: cells of combinations with no result (never a verdict colour)."""

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Site:
    """A rendered copy of the published files."""

    name: str
    folder: Path
    published: dict[str, Any]

    @property
    def url(self) -> str:
        return (self.folder / "index.html").as_uri()


SPARSE_LEFT_OUT = {("fx-since", "3.12", "3.1.4"), ("fx-works", None, "3.0.12")}
"""``(case, python or any, cython)`` left out of the fixture's records for the ``sparse`` site:
fx-since's Cython 3.1 is then only a toolchain failure (🧱) and a Python where nothing can be
built, fx-works has no Cython 3.0 result (a blank, grey overview cell)."""


def _sparse_records(folder: Path) -> Path:
    kept = []
    for line in (FIXTURE / "records.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not any(record.get("case_id") == case and record.get("cython") == cython
                   and python in (None, record.get("python"))
                   for case, python, cython in SPARSE_LEFT_OUT):
            kept.append(line)
    path = folder / "records.jsonl"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


def _pypy_records(folder: Path) -> Path:
    """The fixture's records plus a PyPy 3.12 copy of its CPython 3.12 cells (another
    interpreter kind: ``pypy3.12``, cells ``pp3.12-...``), where fx-works fails to compile."""
    lines = (FIXTURE / "records.jsonl").read_text(encoding="utf-8").splitlines()
    added = []
    for line in lines:
        record = json.loads(line)
        if record.get("python") != "3.12":
            continue
        record["python"] = "pypy3.12"
        record["cell_id"] = "pp3.12-" + record["cell_id"].removeprefix("py3.12-")
        record["key"] = "pp" + record["key"][2:]
        record["provenance"] = dict(record["provenance"], python_version="3.12.7",
                                    implementation_version="7.3.17")
        if record["case_id"] == "fx-works" and record["cell_id"] == "pp3.12-cy3.0.12":
            record.update(outcome="cc-error", first_error="x.c:1:1: error: not on PyPy")
        added.append(json.dumps(record, sort_keys=True, separators=(",", ":")))
    path = folder / "records.jsonl"
    path.write_text("\n".join(lines + added) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["fixture", "sparse", "results", "pypy"])
def site(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The page, its data and compat.json, rendered from the golden fixture (as is, with
    some records left out, or with a PyPy copy of its Python 3.12 cells), or from the
    published results (the page as docs/ shows it, without re-rendering docs/)."""
    name = request.param
    folder = tmp_path_factory.mktemp(f"site-{name}")
    if name in ("fixture", "sparse", "pypy"):
        made = {"sparse": _sparse_records, "pypy": _pypy_records}
        records = FIXTURE / "records.jsonl" if name == "fixture" else made[name](
            tmp_path_factory.mktemp("records"))
        report = build_report(records, FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                              rechecks=FIXTURE / "rechecks.jsonl",
                              references=FIXTURE / "references.toml", canary=FIXTURE / "canary")
    else:
        if not (DEFAULT_RESULTS / "store.json").is_file():
            pytest.skip(f"{DEFAULT_RESULTS}: no published results")
        report = build_report(DEFAULT_RESULTS, NAMED, DEFAULT_CASES, canary=DEFAULT_CANARY)
    write_outputs(report, folder, heatmap=False)
    path = folder / "compat.json"
    published = json.loads(path.read_text(encoding="utf-8"))
    published["cells"] = published_cells(path, published)  # the rows of compat.csv.gz
    return Site(name, folder, published)


@pytest.fixture()
def context(browser: Any) -> Iterator[Any]:
    opened = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield opened
    opened.close()


def _watch(opened: Any) -> Any:
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    opened.errors = errors
    return opened


@pytest.fixture()
def page(context: Any) -> Iterator[Any]:
    opened = _watch(context.new_page())
    yield opened
    assert not opened.errors, f"the page logged errors: {opened.errors}"


def load(page: Any, site: Site, suffix: str = "") -> None:
    page.goto(site.url + suffix)
    page.wait_for_selector("section.case")


def visible_cases(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(
        "section.case:not(.hidden)", "nodes => nodes.map(n => n.id)"))


def tint(verdict: str, alpha: float) -> str:
    """The background the page gives a cell of ``verdict`` (its legend colour, tinted)."""
    if verdict in (Verdict.NOT_TESTED.value, Verdict.NOT_POSSIBLE.value):
        return BLANK
    colour = COLOURS[Verdict(verdict)]
    n = int(colour[1:], 16)
    return f"rgba({n >> 16}, {(n >> 8) & 255}, {n & 255}, {alpha})"


def stage_names(outcomes: list[str]) -> str:
    return ", ".join(STAGES[Outcome(o)] for o in outcomes)


def short(measured: Property) -> str:
    """A property as the overview's cell shows it (the whole text is its title): its value,
    ``varies``, or ``—``."""
    if measured.varies:
        return "varies"
    return next(iter(measured.told), "—")


def check_cell(shown: dict[str, Any], cell: dict[str, Any], *, counts: bool = False,
               blank: bool = False) -> None:
    """A page cell (``verdict``, ``text``, ``notes``) says what a compat.json verdict cell
    (summary or toolchain grid) says."""
    verdict = cell["verdict"]
    where = f"{shown}"
    assert shown["verdict"] == verdict, where
    text = shown["text"].replace("\u00a0", " ").strip()
    if blank and verdict == Verdict.NOT_TESTED.value:
        assert text == "", where  # a combination with no result is blank (and grey)
        return
    assert text.startswith(SYMBOLS[Verdict(verdict)]), where
    stages = cell["toolchain_stages"] if verdict == Verdict.TOOLCHAIN.value else cell["stages"]
    if verdict in ("mixed", "failed", "toolchain") and stages:
        detail = f" {cell['ok']}/{cell['tried']}" if counts and verdict == "mixed" else ""
        assert text.startswith(f"{SYMBOLS[Verdict(verdict)]}{detail} {stage_names(stages)}"), where
    assert shown["notes"] == cell["notes"], where
    assert (SHIPPED_C in text) == bool(cell["shipped"]), where
    assert ("⚙" in text) == bool(cell["compiler_dependent"]), where
    assert (FLAKY in text) == bool(cell["flaky"] or verdict == Verdict.FLAKY.value), where


CELLS_JS = """cells => cells.map(td => ({
    verdict: td.dataset.verdict, text: td.innerText,
    notes: [...td.querySelectorAll("a[href^='#note-']")].map(a => a.getAttribute('href').slice(6)),
    background: getComputedStyle(td).backgroundColor, series: td.dataset.series || '',
    cython: td.dataset.cython || '', row: td.closest('tr').dataset.row || '' }))"""


def test_the_page_opens_with_the_overview_then_the_toolchain_table(page: Any,
                                                                  site: Site) -> None:
    """The first screen is the answer: the overview table starts in it, then the toolchain
    table, then the per-case grids (every case), the provenance one click away."""
    load(page, site)
    tops = page.evaluate("""() => ['overview-table', 'toolchain', 'grids', 'notes-title']
        .map(id => document.getElementById(id).getBoundingClientRect().top)""")
    assert tops == sorted(tops) and tops[0] < 500, tops
    assert visible_cases(page) == [c["id"] for c in site.published["cases"]]
    p = site.published["provenance"]
    line = page.inner_text("#provenance-line")
    assert f"Results as of {p['date']}: {p['cells']} cells, {p['records']} records" in line
    page.click("#provenance-line")
    assert f"Results digest {p['digest']}" in page.inner_text("#provenance")
    assert page.locator("#notes > li").count() == len(site.published["notes"])
    legend = page.eval_on_selector_all("#legend [data-verdict]",
                                       "n => n.map(x => x.dataset.verdict)")
    assert legend == [v.value for v in Verdict]


def test_the_overview_says_what_compat_json_says(page: Any, site: Site) -> None:
    """Every case (rows, in order, grouped, variants indented, linking to its grid) x every
    Cython series, cell by cell against compat.json's ``cases[i].summary[j]``: verdict, symbol,
    stages, notes, marks and colour (grey, never red, where nothing was measured); what it
    does in the whole range, as the query answers it (semantics and safety, with the notes of
    what varies and the ❗ of a contradicted claim)."""
    load(page, site)
    headers = page.eval_on_selector_all("#overview-table thead th[data-series]",
                                        "n => n.map(x => x.dataset.series)")
    assert headers == site.published["series"]
    whole = {c.case_id: c for c in answer(load_data(site.folder / "compat.json"),
                                          SupportRange.parse("", "", "")).cases}
    rows = page.eval_on_selector_all("#overview-table tbody tr[data-case]:not(.kind-row)", f"""
      rows => rows.map(tr => ({{
        id: tr.dataset.case, group: tr.closest('tbody').dataset.group,
        name: tr.querySelector('th.case').innerText,
        href: tr.querySelector('th.case a').getAttribute('href'),
        variant: tr.querySelector('th.case').classList.contains('variant'),
        semantics: tr.querySelector('td.semantics').innerText,
        semanticsNotes: [...tr.querySelectorAll("td.semantics a")].map(a => a.getAttribute('href')),
        safety: tr.querySelector('td.safety').innerText,
        safetyNotes: [...tr.querySelectorAll("td.safety a")].map(a => a.getAttribute('href')),
        cells: ({CELLS_JS})([...tr.querySelectorAll('td.cell')]) }}))""")
    cases = site.published["cases"]
    assert [r["id"] for r in rows] == [c["id"] for c in cases]
    checked = 0
    for row, case in zip(rows, cases):
        assert row["group"] == case["group"]
        assert row["href"] == f"#{case['id']}"
        assert row["variant"] == bool(case["variant_of"])
        assert row["name"].startswith("↳ ") == bool(case["variant_of"])
        does = whole[case["id"]]
        semantics, safety = does.property("semantics"), does.property("safety")
        assert row["semantics"].startswith(short(semantics)), row
        assert row["semanticsNotes"] == ([f"#note-{n}" for n in case["semantics"]["notes"]]
                                         if semantics.varies else [])
        assert row["safety"].startswith(short(safety)), row  # the verdict comes first
        assert (DANGLES in row["safety"]) == bool(does.dangles), row
        assert ("❗" in row["safety"]) == (case["safety"]["contradicts_documented"]
                                          and "dangles" in safety.values), row
        assert row["safetyNotes"] == ([f"#note-{n}" for n in case["safety"]["notes"]]
                                      if safety.varies or does.dangles else [])
        assert [c["series"] for c in row["cells"]] == [s["series"] for s in case["summary"]]
        for shown, cell in zip(row["cells"], case["summary"], strict=True):
            check_cell(shown, cell, blank=True)
            assert shown["background"] == tint(cell["verdict"], 0.3), (case["id"], shown)
            checked += 1
    assert checked == len(cases) * len(site.published["series"]) > 20
    # Another interpreter that answers otherwise somewhere: a row of its own under the case's.
    kind_rows = page.eval_on_selector_all("#overview-table tbody tr.kind-row", f"""
      rows => rows.map(tr => ({{
        id: tr.dataset.case, kind: tr.dataset.kind, name: tr.querySelector('th').innerText,
        same: [...tr.querySelectorAll('td[data-series]')].map(td => td.classList.contains('same')),
        cells: ({CELLS_JS})([...tr.querySelectorAll('td.cell')]) }}))""")
    expected = [(c["id"], k) for c in cases for k in c["other_interpreters"]
                if any(s["differs_from_cpython"] for s in k["summary"])]
    assert [(r["id"], r["kind"]) for r in kind_rows] == [(i, k["kind"]) for i, k in expected]
    for row, (_, kind) in zip(kind_rows, expected):
        assert row["name"] == f"↳ on {kind['name']}"
        assert row["same"] == [s["same"] for s in kind["summary"]]
        for shown, cell in zip(row["cells"], [s for s in kind["summary"] if not s["same"]],
                               strict=True):
            check_cell(shown, cell, blank=True)
    # CPython alone is in range until another kind is ticked: their rows are left out, and
    # the page says how many.
    shown = page.eval_on_selector_all("#overview-table tbody tr.kind-row",
                                      "rows => rows.filter(tr => tr.offsetParent).length")
    assert shown == 0
    if kind_rows:
        assert page.inner_text("#overview-hidden").startswith(
            f"{len(kind_rows)} row{'s' if len(kind_rows) > 1 else ''} of ")
    if site.name == "pypy":
        assert kind_rows, "the PyPy fixture has a case that fails on PyPy alone"
    if site.name == "sparse":  # the fixture left sparse has both kinds of cell to check
        verdicts = {c["verdict"] for r in rows for c in r["cells"]}
        assert {"toolchain", "not-tested"} <= verdicts, verdicts
    assert page.locator(f"#{cases[0]['id']}").count() == 1  # the link's target exists


def test_the_toolchain_tables_say_what_compat_json_says(page: Any, site: Site) -> None:
    """Each control's grid (Python x Cython, numpy headers x Cython with k/n), cell by cell
    against compat.json's ``toolchain.grids``, and the explanation with its counts."""
    load(page, site)
    toolchain = site.published["toolchain"]
    assert toolchain["grids"], "the data has no toolchain grid"
    lead = page.inner_text("#toolchain-lead")
    assert f"{toolchain['excused']} of the {toolchain['judged']} case records" in lead
    assert TOOLCHAIN in lead and "same stage" in lead
    tables = page.eval_on_selector_all(
        "#toolchain-grids table", "t => t.map(x => [x.dataset.case, x.dataset.axis])")
    assert tables == [[g["case_id"], g["rows_axis"]] for g in toolchain["grids"]]
    for grid in toolchain["grids"]:
        table = f"#toolchain-grids table[data-case='{grid['case_id']}']"
        head = page.eval_on_selector_all(f"{table} thead th", "n => n.map(x => x.innerText)")
        assert head == [f"{grid['rows_axis']} ↓ / Cython →", *grid["cython"]]
        shown = page.eval_on_selector_all(f"{table} td.cell", CELLS_JS)
        expected = [(row, cython, cell) for row, line in zip(grid["rows"], grid["cells"])
                    for cython, cell in zip(grid["cython"], line)]
        assert len(shown) == len(expected)
        for got, (row, cython, cell) in zip(shown, expected):
            assert (got["row"], got["cython"]) == (row, cython)
            check_cell(got, cell, counts=grid["rows_axis"] == "numpy")
            assert got["background"] == tint(cell["verdict"], 0.22), got
    # Cells a bisection added outside the grid are listed under their table, never dropped.
    extras = page.eval_on_selector_all("#toolchain-grids p.toolchain-extra",
                                       "n => n.map(x => x.innerText)")
    listed = [g for g in toolchain["grids"] if g["extra"]]
    assert len(extras) == len(listed)
    for text, grid in zip(extras, listed):
        for cell in grid["extra"]:
            assert f"Cython {cell['cython']} with {grid['rows_axis']} {cell['row']}:" in text


def test_the_grid_cells_say_what_the_published_cells_say(page: Any, site: Site) -> None:
    """Every Python x Cython cell of every numpy-free case against its compat.json row; a
    toolchain failure is 🧱 in the toolchain colour, never the case's ❌ (every interpreter
    kind ticked: ``?interpreter=all``)."""
    load(page, site, "?interpreter=all")
    shown = page.eval_on_selector_all(
        "table.grid[data-view=folded] td.cell",
        """cells => cells.map(td => [td.closest('table').dataset.case,
                                    td.closest('tr').dataset.python, td.dataset.cython,
                                    td.dataset.verdict, td.innerText,
                                    getComputedStyle(td).backgroundColor])""")
    expected = {}
    for row in site.published["cells"]:
        if row["kind"] != "core" or row["compiler"] != "gcc" or row["role"] == "control":
            continue  # the grids show gcc's cells of the conversion cases
        if row["flaky"] == "true":
            verdict = "flaky"
        elif row["toolchain_failure"] == "true":
            verdict = "toolchain"
        elif row["outcome"] == "ok":
            verdict = "ok"
        elif row["failed"] == "true":
            verdict = "failed"
        else:
            verdict = row["outcome"]
        stage = STAGES.get(Outcome(row["outcome"]), "") if verdict != "flaky" else ""
        expected[(row["case_id"], row["python"], row["cython"])] = (
            verdict, f"{SYMBOLS[Verdict(verdict)]} {stage}".strip())
    core = {case for case, _, _ in expected}
    found = {(case, python, cython): (verdict, text.replace("\u00a0", " "))
             for case, python, cython, verdict, text, _ in shown
             if case in core and verdict != "not-tested"}
    assert {k: v for k, (v, _) in found.items()} == {k: v for k, (v, _) in expected.items()}
    for key, (_, start) in expected.items():  # the symbol, and the stage that failed
        assert found[key][1].startswith(start), (key, found[key], start)
    assert len(found) > (500 if site.name == "results" else 30)
    bricks = [(text, background) for _, _, _, verdict, text, background in shown
              if verdict == "toolchain"]
    assert bricks, "no toolchain cell in the grids"
    assert all(text.startswith(TOOLCHAIN) and background == tint("toolchain", 0.22)
               for text, background in bricks)
    untested = {background for *_, verdict, _, background in shown if verdict == "not-tested"}
    assert untested <= {BLANK}


def test_the_group_filter_shows_that_group(page: Any, site: Site) -> None:
    load(page, site)
    group = site.published["cases"][-1]["group"]
    page.select_option("#group", group)
    assert visible_cases(page) == [c["id"] for c in site.published["cases"]
                                   if c["group"] == group]


RANGES = [
    ("", "", "", False),
    (">=3.8", ">=3.0", ">=1.26", False),
    ("<3.9", ">=0.29,<3.1", "", True),
    (">3.9", "", "", False),          # 3.9 measured on 3.9.x: in range (patch-aware)
    ("<3.7", ">=3.1", "", False),     # where the toolchain builds nothing
    ("==3.99", "", "", False),        # nothing tried: untested, not works
]


@pytest.mark.parametrize(("python", "cython", "numpy", "shipped"), RANGES)
def test_the_range_query_answers_as_report_query(page: Any, site: Site, python: str,
                                                 cython: str, numpy: str,
                                                 shipped: bool) -> None:
    """Per case: the verdict (own failures only), how many cells were built and how many
    toolchain failures are kept apart; for the range: how many cases fail, whether nothing was
    tried (untested), and the toolchains that build nothing, as ``report query`` says."""
    expected = answer(load_data(site.folder / "compat.json"),
                      SupportRange.parse(python, cython, numpy), shipped_c=shipped)
    load(page, site)
    page.fill("#python", python)
    page.fill("#cython", cython)
    page.fill("#numpy", numpy)
    if shipped:
        page.check("#shipped")
    page.click("#apply")
    got = page.eval_on_selector_all("section.case", """nodes => nodes.map(n => [n.id,
        n.dataset.query, Number(n.dataset.built), Number(n.dataset.toolchain),
        Number(n.dataset.failures)])""")
    assert got == [[c.case_id, c.verdict, c.works + len(c.failures),
                    len(c.toolchain_failures), len(c.failures)] for c in expected.cases]
    summary = page.locator("#query-summary")
    assert summary.get_attribute("data-failing") == str(len(expected.failing))
    assert summary.get_attribute("data-untested") == ("true" if expected.untested else "false")
    if expected.untested:
        assert "untested, not a success" in summary.inner_text()
    else:
        assert (f"{len(expected.failing)} of {len(expected.cases)} cases fail somewhere in it"
                " (on their own)") in summary.inner_text()
    groups = page.eval_on_selector_all("#query-toolchain li", """n => n.map(x => [
        x.dataset.control, x.dataset.cython, x.dataset.stage, x.dataset.note,
        Number(x.dataset.cells), x.dataset.shipped === 'true'])""")
    assert groups == [[t.control, t.cython, t.stage, t.note, len(t.cells), t.shipped_c]
                      for t in expected.toolchain]
    page.select_option("#verdict", "fails")
    assert visible_cases(page) == [c.case_id for c in expected.failing]


def test_the_whole_range_counts_only_a_cases_own_failures(page: Any, site: Site) -> None:
    """The header counts the cases that fail on their own; a case whose only failures are
    toolchain failures works (where the toolchain builds), and says so."""
    expected = answer(load_data(site.folder / "compat.json"), SupportRange.parse("", "", ""))
    load(page, site)
    summary = page.inner_text("#query-summary")
    assert f"{len(expected.failing)} of {len(expected.cases)} cases fail somewhere" in summary
    assert "toolchain failures are listed in the toolchain table" in summary
    apart = [c for c in expected.cases if c.verdict == "works" and c.toolchain_failures]
    assert len(expected.failing) < len(expected.cases) and apart
    badge = page.inner_text(f"#{apart[0].case_id} .badge")
    assert badge.startswith("works (where the toolchain builds)")
    assert "toolchain failure" in page.inner_text(f"#{apart[0].case_id} .answer")


def test_a_bad_specifier_is_reported_not_applied(page: Any, site: Site) -> None:
    load(page, site)
    before = page.inner_text("#query-summary")
    page.fill("#python", "from 3.8 on")
    page.click("#apply")
    assert "python 'from 3.8 on': not a version specifier" in page.inner_text("#query-error")
    assert page.inner_text("#query-summary") == before


TITLE_AND_BAR = """id => {
    const title = document.getElementById(id).querySelector('h2').getBoundingClientRect();
    const bar = document.getElementById('controls').getBoundingClientRect();
    return { titleTop: title.top, titleBottom: title.bottom, barTop: bar.top,
             barBottom: bar.bottom, viewport: window.innerHeight, scrolled: window.scrollY };
}"""


def assert_lands_below_the_bar(page: Any, case_id: str) -> None:
    page.wait_for_function(
        "id => Math.abs(document.getElementById(id).getBoundingClientRect().top) < 400",
        arg=case_id)
    box = page.evaluate(TITLE_AND_BAR, case_id)
    assert box["scrolled"] > 0 and abs(box["barTop"]) < 1, box  # the bar is stuck at the top
    assert box["titleTop"] >= box["barBottom"], f"the title is under the sticky bar: {box}"
    assert box["titleBottom"] <= box["viewport"], f"the title is below the viewport: {box}"


@pytest.mark.parametrize("width", [1400, 640])
def test_a_deep_linked_case_lands_below_the_sticky_bar(browser: Any, site: Site,
                                                       width: int) -> None:
    """``index.html#<case-id>`` opens with the case's title visible, not under the sticky filter
    bar (which wraps to more lines on a narrow screen); so does a click on a case in the
    overview, also on a case the group filter hides."""
    context = browser.new_context(viewport={"width": width, "height": 700})
    try:
        page = _watch(context.new_page())
        cases = site.published["cases"]
        target = cases[len(cases) // 2]["id"]
        load(page, site, f"#{target}")
        assert_lands_below_the_bar(page, target)
        assert page.eval_on_selector(f"#{target}", "n => n.matches(':target')")
        other = next(c for c in cases if c["group"] != cases[-1]["group"])["id"]
        page.select_option("#group", cases[-1]["group"])
        assert other not in visible_cases(page)
        page.evaluate("window.scrollTo(0, 0)")
        page.click(f"#overview-table a[href='#{other}']")
        assert_lands_below_the_bar(page, other)
        assert other in visible_cases(page)
        assert not page.errors, page.errors
    finally:
        context.close()


def test_notes_reproducer_numpy_toggle_and_screenshots(page: Any, site: Site) -> None:
    """A note link (string ids) opens that note, with its own reproducer and a working copy
    button; ``#note-<id>`` opens the note in the list; a note link in the overview opens it
    too; the numpy toggle unfolds the grid. Screenshots (the page top; a case with a note open)
    are kept in .cache/screenshots/."""
    published = site.published
    expected = answer(load_data(site.folder / "compat.json"), SupportRange.parse("", "", ""))
    failing = expected.failing[0].case_id
    load(page, site, f"#{failing}")
    section = page.locator(f"#{failing}")
    link = section.locator(".answer a[href^='#note-']").first
    note = link.get_attribute("href").removeprefix("#note-")
    link.click()
    panel = page.locator("#note-panel")
    assert panel.is_visible() and panel.get_attribute("data-note") == note
    published_note = next(n for n in published["notes"] if n["id"] == note)
    assert panel.locator("code.command").inner_text() == published_note["reproduce"]
    assert page.locator(f"[id='note-{note}'] > details").get_attribute("open") is not None
    button = panel.locator("button.copy")
    button.click()
    assert button.inner_text() == "Copied"
    assert page.evaluate("window.getSelection().toString()") == published_note["reproduce"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"page-{site.name}.png"))
    numpy_case = next(c["id"] for c in published["cases"] if c["group"] == "numpy")
    toggle = page.locator(f"#{numpy_case} button.toggle")
    toggle.click()
    assert page.locator(f"#{numpy_case} table.grid").get_attribute("data-view") == "numpy"
    toggle.click()
    assert page.locator(f"#{numpy_case} table.grid").get_attribute("data-view") == "folded"
    overview_note = page.locator("#overview-table td.cell a[href^='#note-']:visible").first
    other = overview_note.get_attribute("href").removeprefix("#note-")
    overview_note.click()
    assert panel.get_attribute("data-note") == other
    last = published["notes"][-1]["id"]
    page.goto(f"{site.url}#note-{last}")
    page.wait_for_selector(f"[id='note-{last}'] > details[open]")
    assert page.locator(f"[id='note-{last}']").is_visible()
    top = SCREENSHOTS / f"page-top-{site.name}.png"
    page.goto(site.url)
    page.wait_for_selector("section.case")
    page.screenshot(path=str(top))
    assert top.read_bytes().startswith(b"\x89PNG") and top.stat().st_size > 20_000


def test_a_range_in_the_address_opens_the_page_with_its_answer(page: Any, site: Site) -> None:
    """``index.html?python=...`` answers first, above the overview: the cases that fail on
    their own in that range, as the range check below says, each a link to its grid."""
    page.goto(site.url + "?python=>=3.6&cython=>=0.29")
    page.wait_for_selector("#range-answer:not(.hidden)")
    box = page.locator("#range-answer")
    overview = page.locator("#overview-table")
    assert box.bounding_box()["y"] < overview.bounding_box()["y"]
    failing = page.get_attribute("#range-answer", "data-failing").split()
    assert failing == page.eval_on_selector_all(
        "#cases section.case", "s => s.filter(x => x.dataset.query === 'fails').map(x => x.id)")
    assert failing, "some case fails in that range"
    links = page.eval_on_selector_all("#range-answer a[href^='#']:not(.dangling)",
                                      "a => a.map(x => x.getAttribute('href'))")
    assert [f"#{case}" for case in failing] == [h for h in links if h != "#toolchain"]
    page.goto(site.url)
    page.wait_for_selector("#overview-table tr")
    assert page.locator("#range-answer").is_hidden()  # no range: no answer box


def test_a_range_names_its_interpreter_kinds_as_the_query_does(page: Any, site: Site) -> None:
    """CPython alone is in range until another kind is ticked (``python -m report query
    --interpreter``): PyPy's rows and its failure join the answer only then."""
    kinds = {c["interpreter"] for c in site.published["cells"]}
    if site.name != "pypy":
        # The data of the other sites: one box per kind it has, shown only where there is a
        # choice, CPython alone ticked; the fx-works walk-through below is the PyPy fixture's.
        load(page, site)
        boxes = page.eval_on_selector_all(
            "#interpreters input", "n => n.map(x => [x.value, x.checked, x.hidden])")
        shown = len(kinds) > 1
        assert {v for v, _, _ in boxes} == kinds, boxes
        assert all(hidden is not shown for _, _, hidden in boxes), boxes
        assert all(checked == (v == "cpython" or not shown) for v, checked, _ in boxes), boxes
        return
    load(page, site, "?python===3.12.*&cython===3.0.12")
    page.wait_for_selector("#range-answer:not(.hidden)")
    rows = "section.case#fx-works table.grid[data-view=folded] tbody tr"
    pythons = page.eval_on_selector_all(rows, "n => n.map(x => x.dataset.python)")
    assert pythons == ["3.12"], pythons
    assert "fx-works" not in page.get_attribute("#range-answer", "data-failing").split()
    page.check("#kind-pypy")
    page.wait_for_function("document.querySelector('#range-answer').dataset.failing"
                           ".split(' ').includes('fx-works')")
    assert page.eval_on_selector_all(rows, "n => n.map(x => x.dataset.python)") == [
        "3.12", "pypy3.12"]
    assert "interpreters cpython, pypy" in page.inner_text("#range-answer")
    load(page, site, "?python===3.12.*&cython===3.0.12&interpreter=cpython,pypy")
    assert page.is_checked("#kind-pypy") and page.is_checked("#kind-cpython")


ANSWER_RANGES = [
    (">=3.8", ">=3.0", ">=1.26"),  # the README's query
    (">=3.9", ">=3.0", ">=1.26"),  # the range of issue 33's walk-through
]
"""Ranges whose whole answer (works/fails, what it does, where it dangles) the page and
``report query --json`` must give alike."""


def query_json(site: Site, python: str, cython: str, numpy: str) -> dict[str, Any]:
    """``python -m report query --json`` on the site's compat.json, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "report", "query", "--data", str(site.folder / "compat.json"),
         "--json", "--python", python, "--cython", cython, "--numpy", numpy],
        capture_output=True, text=True, cwd=PROJECT_ROOT, check=False)
    assert done.returncode in (0, 1, 4), done.stderr  # works, fails, untested: an answer
    answered: dict[str, Any] = json.loads(done.stdout)
    return answered


@pytest.mark.parametrize(("python", "cython", "numpy"), ANSWER_RANGES)
def test_every_view_of_the_page_follows_the_range_as_report_query_json(
        page: Any, site: Site, python: str, cython: str, numpy: str) -> None:
    """For the range in the address: each case's verdict, what it does where it worked
    (semantics, locks, safety, each value with its cells), its dangling cells; the overview's
    Cython series, its semantics and safety columns; the range box's failing and dangling
    cases; the "dangles" filter: all as ``report query --json`` answers."""
    expected = query_json(site, python, cython, numpy)
    load(page, site, "?" + urlencode({"python": python, "cython": cython, "numpy": numpy}))
    page.wait_for_selector("#range-answer:not(.hidden)")
    sections = page.eval_on_selector_all("section.case", """s => s.map(x => ({id: x.id,
        verdict: x.dataset.query, does: JSON.parse(x.dataset.does), dangles: x.dataset.dangles,
        line: x.querySelector('.does').innerText, badge: x.querySelector('.badge').innerText}))""")
    assert [s["id"] for s in sections] == [c["case_id"] for c in expected["cases"]]
    overview = {row["id"]: row for row in page.eval_on_selector_all(
        "#overview-table tbody tr[data-case]:not(.kind-row)", """rows => rows.map(tr => ({
        id: tr.dataset.case, semantics: tr.querySelector('td.semantics').innerText,
        safety: tr.querySelector('td.safety').innerText}))""")}
    varied = dangled = 0
    for shown, case in zip(sections, expected["cases"], strict=True):
        where = (case["case_id"], python)
        assert shown["verdict"] == case["verdict"], where
        values = {p["name"]: p["values"] for p in case["does"]}
        assert shown["does"] == values, where
        texts = {p["name"]: Property(p["name"], {v: tuple(c) for v, c in p["values"].items()})
                 for p in case["does"]}
        assert (f"In range it does: {texts['semantics'].text()} · locks source:"
                f" {texts['locks'].text()} · safety after a resize: {texts['safety'].text()}"
                ) in shown["line"], where
        assert shown["dangles"].split() == [d["cell_id"] for d in case["dangles"]], where
        assert ("its target dangles" in shown["badge"]) == bool(
            case["dangles"] and case["verdict"] == "works"), where
        row = overview[case["case_id"]]
        assert row["semantics"].startswith(short(texts["semantics"])), where
        assert row["safety"].startswith(short(texts["safety"])), where
        assert (DANGLES in row["safety"]) == bool(case["dangles"]), where
        varied += any(t.varies for t in texts.values())
        dangled += bool(case["dangles"])
    if site.name == "results":  # the published data has both in these ranges
        assert dangled and expected["failing_cases"], expected["range"]
    box = page.locator("#range-answer")
    assert (box.get_attribute("data-failing") or "").split() == expected["failing_cases"]
    assert (box.get_attribute("data-dangling") or "").split() == expected["dangling_cases"]
    for case_id in expected["dangling_cases"]:
        assert page.locator(f"#range-answer a.dangling[href='#{case_id}']").count() == 1
    series = page.eval_on_selector_all(
        "#overview-table thead th[data-series]",
        "n => n.filter(x => x.offsetParent).map(x => x.dataset.series)")
    assert series == sorted_versions({selection_series(v) for v in expected["tested"]["cython"]})
    assert page.locator("#legend [data-mark=dangles]").inner_text().startswith(DANGLES)
    page.select_option("#verdict", "dangles")
    assert visible_cases(page) == expected["dangling_cases"]


def test_the_range_form_is_one_line_in_the_first_screen(browser: Any, site: Site) -> None:
    """At 1,280 px the range and filter bar is one line, and it starts in the first screen
    (so does the overview's first row): the range is where a reader starts."""
    opened = _watch(browser.new_page(viewport={"width": 1280, "height": 800}))
    try:
        load(opened, site)
        bar = opened.eval_on_selector("#controls", """f => ({
            box: f.getBoundingClientRect().toJSON(),
            tops: [...f.children].filter(c => c.offsetParent && c.getBoundingClientRect().height)
                .map(c => [c.id || c.tagName, c.getBoundingClientRect().top,
                           c.getBoundingClientRect().bottom])})""")
        assert bar["box"]["bottom"] < 800, bar["box"]
        bottoms = [bottom for _, _, bottom in bar["tops"]]
        # One line: every control ends on the same baseline row, no control below another.
        assert max(top for _, top, _ in bar["tops"]) < min(bottoms), bar["tops"]
        assert bar["box"]["height"] < 80, bar["box"]
        first_row = opened.locator("#overview-table tbody tr[data-case]").first.bounding_box()
        assert first_row["y"] < 800
        assert not opened.errors, opened.errors
    finally:
        opened.close()


@pytest.mark.parametrize(("python", "cython"), [("", ""), (">=3.12", ">=3.0")])
def test_the_diagram_draws_what_compat_json_says(page: Any, site: Site, python: str,
                                                 cython: str) -> None:
    """Pair by pair, for the default range and another: the pair, its cases, its line, colour,
    line width, lock and dangle marks and each case's tooltip line are what
    :func:`report.diagram.pairs` sums up from :func:`report.diagram.arrows` (the functions
    diagram.svg is drawn with) over the compat.json beside the page; each arrow links to its
    first case's grid, and the default range's drawing is docs/diagram.svg's with those links."""
    support = SupportRange.parse(python, cython, None)
    expected = pairs(arrows(load_data(site.folder / "compat.json"), support))
    assert expected and all(c in {c["id"] for c in site.published["cases"]}
                            for p in expected for c in p.case_ids)
    query = "?" + urlencode({"python": python, "cython": cython}) if python else ""
    load(page, site, query)
    shown = page.eval_on_selector_all("#diagram-drawing .arrow", """n => n.map(x => ({
        tag: x.tagName, href: x.getAttribute('href'), pair: x.dataset.pair,
        cases: x.dataset.cases, style: x.dataset.style,
        colour: x.dataset.colour, locks: x.dataset.locks, dangles: x.dataset.dangles,
        stroke: x.querySelector('path').getAttribute('stroke'),
        width: x.querySelector('path').getAttribute('stroke-width'),
        dash: x.querySelector('path').getAttribute('stroke-dasharray') || '',
        marks: x.querySelector('text.marks').textContent,
        count: (x.querySelector('text.count') || {}).textContent || '',
        title: x.querySelector('title').textContent}))""")
    assert [(s["pair"], s["cases"]) for s in shown] == [
        (p.key, " ".join(p.case_ids)) for p in expected]
    for got, pair in zip(shown, expected, strict=True):
        assert got["tag"] == "a" and got["href"] == f"#{pair.case_ids[0]}", got
        assert (got["style"], got["colour"], got["locks"], got["dangles"]) == (
            pair.style, pair.colour, str(pair.locks).lower(), str(pair.dangles).lower()), got
        assert got["stroke"] == DIAGRAM_COLOURS[pair.colour][0], got
        assert float(got["width"]) == STROKE_PX.get(pair.colour, STROKE_DEFAULT), got
        assert got["dash"] == DIAGRAM_STYLES[pair.style][0], got
        assert got["marks"] == pair.marks and got["count"] == pair.count, got
        assert got["title"] == pair_title(pair), got
        assert page.locator(f"section.case[id='{pair.case_ids[0]}']").count() == 1
    if not python:
        drawn = (site.folder / "diagram.svg").read_text(encoding="utf-8")
        assert drawn == render_svg(arrows(load_data(site.folder / "compat.json")))
    scope = page.text_content("#diagram-drawing .scope") or ""
    assert scope.startswith(f"python {python or 'any'}, cython {cython or 'any'}")


def test_what_is_coming_says_what_compat_json_says(page: Any, site: Site) -> None:
    """The canary lane's section, row by row against compat.json's ``coming`` (issue 37): each
    difference of a case's own, then one row per cell whose control differs too, each with
    both results, its re-measurement, a reproducer and the report text for upstream."""
    load(page, site)
    coming = site.published["coming"]
    lead = page.inner_text("#coming-lead")
    assert "`" not in lead and "](" not in lead, "the lead's markdown is rendered"
    if coming is None:
        assert lead.startswith("No canary run here")
        return
    if not coming["cells"]:
        assert lead.startswith("Nothing is coming")
        assert page.query_selector("#coming-table") is None
        return
    entries = coming["entries"]
    own = [e for e in entries if not e["toolchain"]]
    toolchain_cells: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry["toolchain"] and (entry["cell_id"] not in toolchain_cells
                                   or entry["is_control"]):
            toolchain_cells[entry["cell_id"]] = entry
    expected = own + list(toolchain_cells.values())
    assert f"of {coming['compared']} case results compared" in lead
    rows = page.eval_on_selector_all("#coming-table tbody tr", """rows => rows.map(r => ({
        cells: [...r.children].map(td => td.innerText),
        upstream: r.querySelector('pre.upstream').textContent,
        change: r.dataset.change, link: r.querySelector('a').getAttribute('href')}))""")
    assert len(rows) == len(expected) and expected
    for row, entry in zip(rows, expected):
        case, coming_text, cell, before, now, change, checked, reproduce = row["cells"]
        assert (case, coming_text, cell, before, now) == (
            entry["case_id"], entry["coming"], entry["cell_id"], entry["before"], entry["now"])
        assert change.startswith(entry["change"] + "; ")
        assert ("the case's own" in change) == (not entry["toolchain"])
        assert checked.startswith(entry["check"])
        assert reproduce.startswith(entry["reproduce"])
        assert row["upstream"] == entry["upstream"]
        assert row["change"] == ("true" if entry["is_change"] else "false")
        assert row["link"] == f"#{entry['case_id']}"
