"""Other interpreter kinds in the report: the summary answers for CPython, another kind has its
own verdicts beside it (compared on the same language versions), and a semantic difference is a
note with a reproducer that shows it."""

from __future__ import annotations

import csv
import io
import json

from matrix.model.cases import Expectation
from matrix.model.selection import CaseInfo
from report.compose import compose
from report.export import render_csv, render_json
from report.legend import Verdict
from report.render_md.compat import render_kind_summary, render_markdown, render_summary
from tests.fixtures.report.factory import rec

CASE = CaseInfo("a", "t", "g", "s", "t", False, "h", Expectation(reference="r"))
OTHER = CaseInfo("b", "t", "g", "s", "t", False, "h", Expectation(reference="r"))


def _records() -> list:
    return [
        # a: works on CPython; PyPy 3.9 fails at import on 3.x, works on 0.29.
        rec("a", "3.9", "0.29.37", values_ok=True, copies=False, locks_source=True),
        rec("a", "3.9", "3.2.9", values_ok=True, copies=False, locks_source=True),
        rec("a", "3.15", "3.2.9", values_ok=True, copies=False, locks_source=True),
        rec("a", "pypy3.9", "0.29.37", values_ok=True, copies=False, locks_source=False),
        rec("a", "pypy3.9", "3.2.9", "import-error", error="ValueError: array.array size changed"),
        # b: CPython 3.15 fails, PyPy 3.9 works like CPython 3.9: no difference.
        rec("b", "3.9", "3.2.9", values_ok=True, copies=True),
        rec("b", "3.15", "3.2.9", "cc-error", error="x.c:1: error: gone in 3.15"),
        rec("b", "pypy3.9", "3.2.9", values_ok=True, copies=True),
    ]


def test_the_summary_answers_for_cpython_and_each_kind_has_its_own_row() -> None:
    report = compose(_records(), [CASE, OTHER])
    a, b = report.rows
    assert [c.verdict.verdict for c in a.series] == [Verdict.OK, Verdict.OK], \
        "PyPy's import failure does not turn CPython's answer into a mixed one"
    (pypy,) = a.kinds
    assert (pypy.kind, pypy.name) == ("pypy", "PyPy")
    assert [c.verdict.verdict for c in pypy.series] == [Verdict.OK, Verdict.FAILED]
    assert pypy.differs == (False, True) and pypy.same == (True, False)
    # b: compared with CPython 3.9 only (the language version PyPy 3.9 has), not with 3.15.
    assert b.series[1].verdict.verdict is Verdict.MIXED
    assert b.kinds[0].differs == (False, False) and not b.kinds[0].any_difference


def test_a_semantic_difference_is_a_note_whose_reproducer_shows_it() -> None:
    report = compose(_records(), [CASE, OTHER])
    row = report.rows[0]
    assert row.locks.label == "yes", "the locks column answers for CPython"
    texts = [n.text for n in report.footnotes if n.id in row.locks_notes]
    assert texts == ["on PyPy, locks the source: no on pp3.9: cy0.29.37 (CPython: yes);"
                     " reproduce: `nox -s matrix -- try --python pypy3.9 --cython 0.29.37"
                     " --case a -v`"]


def test_the_markdown_and_the_data_show_the_other_kinds() -> None:
    report = compose(_records(), [CASE, OTHER])
    text = render_kind_summary(report)
    assert text.startswith("### Other interpreters")
    assert "Differing: PyPy: 1 of 2 cases." in text
    (line,) = [ln for ln in text.splitlines() if ln.startswith("| `a`")]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[:3] == ["`a`", "PyPy", "same"] and cells[3].startswith("❌ import")
    assert "| `b`" not in text
    assert "`a`" in render_summary(report).split("### Other interpreters")[1]
    assert "One column per Cython series, on CPython (other interpreters: [below]" in (
        render_markdown(report))
    data = json.loads(render_json(report))
    (case_a,) = [c for c in data["cases"] if c["id"] == "a"]
    (other,) = case_a["other_interpreters"]
    assert other["kind"] == "pypy"
    assert [(s["verdict"], s["differs_from_cpython"], s["same"]) for s in other["summary"]] == [
        ("ok", False, True), ("failed", True, False)]


def test_a_store_of_cpython_alone_shows_no_other_interpreters() -> None:
    report = compose([r for r in _records() if not r.python.startswith("pypy")], [CASE, OTHER])
    assert render_kind_summary(report) == ""
    assert "One column per Cython series: ✅" in render_markdown(report)
    assert all(not row.kinds for row in report.rows)


def test_what_import_did_to_the_gil_is_said_once_for_all_cases() -> None:
    records = [
        rec("a", "3.13t", "3.1.8", values_ok=True, gil_enabled=True),
        rec("a", "3.13t", "3.2.9", values_ok=True, gil_enabled=True),
        rec("c", "3.13t", "3.1.8", values_ok=True, gil_enabled=True),
        rec("b", "3.13t", "3.1.8", values_ok=True, gil_enabled=False),
        rec("b", "3.13t", "3.2.9", values_ok=True, gil_enabled=False),
        rec("b", "3.13", "3.2.9", values_ok=True),
        rec("a", "3.13t", "0.29.37", "cc-error", error="x.c:1: error: no"),
    ]
    third = CaseInfo("c", "t", "g", "s", "t", False, "h", Expectation(reference="r"))
    report = compose(records, [CASE, OTHER, third])
    assert report.gil_at_import == (
        "On free-threaded CPython (3.13t), importing the module re-enabled the GIL for 2 of 3"
        " cases (controls included) wherever it was imported, with the interpreter's"
        " RuntimeWarning; `b` kept it disabled on py3.13t: cy3.1.8, cy3.2.9; reproduce:"
        " `nox -s matrix -- try --python 3.13t --cython 3.2.9 --case b` (it prints"
        " `gil=stayed disabled`).")
    assert report.gil_at_import in render_kind_summary(report)
    data = json.loads(render_json(report))
    assert data["gil_at_import"] == report.gil_at_import
    gil = {(c["case_id"], c["cell_id"]): (c["interpreter"], c["gil_enabled"])
           for c in csv.DictReader(io.StringIO(render_csv(report)))}
    assert gil[("b", "py3.13t-cy3.1.8")] == ("cpython-freethreaded", "false")
    assert gil[("a", "py3.13t-cy3.2.9")] == ("cpython-freethreaded", "true")
    assert gil[("b", "py3.13-cy3.2.9")] == ("cpython", "")
    assert compose(records[-2:], [CASE, OTHER]).gil_at_import is None


def test_a_difference_names_only_the_cells_that_measured_it() -> None:
    records = [rec("a", "3.9", "3.0.12", values_ok=True, readonly=True),
               rec("a", "3.9", "3.2.9", values_ok=True, readonly=True),
               rec("a", "pypy3.9", "3.0.12", values_ok=True, readonly=False),
               rec("a", "pypy3.9", "3.2.9", values_ok=True, readonly=None,
                   probe_errors=("readonly: write_target() raised TypeError: no",))]
    report = compose(records, [CASE])
    texts = [n.text for n in report.footnotes if n.id in report.rows[0].semantics_notes]
    assert ("on PyPy, refuses writes: no on pp3.9: cy3.0.12 (CPython: yes); reproduce:"
            " `nox -s matrix -- try --python pypy3.9 --cython 3.0.12 --case a -v`") in texts


def test_a_difference_is_judged_against_cpython_of_the_same_language_version() -> None:
    """2.7 does not lock an array.array; 3.13 and 3.13t do: no difference for 3.13t."""
    records = [rec("a", "2.7", "3.2.9", values_ok=True, locks_source=False),
               rec("a", "3.13", "3.2.9", values_ok=True, locks_source=True),
               rec("a", "3.13t", "3.2.9", values_ok=True, locks_source=True)]
    row = compose(records, [CASE]).rows[0]
    assert row.locks.label == "varies"
    report = compose(records, [CASE])
    assert not [n for n in report.footnotes if n.text.startswith("on free-threaded")]
