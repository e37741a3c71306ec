"""Shipped-C cells (a Cython's C, generated under another Python, measured where that Cython
cannot run) are marked everywhere, and the C-generation check is in the provenance."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from matrix.model.cases import Expectation
from matrix.model.diff import diff
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, is_shipped_c
from report.cgeneration import c_generation_of, shipped_cells_of
from report.compose import compose
from report.export import CSV_COLUMNS, render_csv, render_json
from report.footnotes import refs
from report.legend import SHIPPED_C
from report.model import Report
from report.ranges import infer_ranges
from report.render_md.compat import render_markdown, render_provenance, render_summary
from report.render_md.detail import render_detail
from report.verdicts import aggregate, cell_text
from tests.fixtures.report.factory import rec

WHY = "Cython 0.27.3 cannot run on Python 3.12.1: ModuleNotFoundError: No module named 'imp'"
INVARIANCE = {"cython": "0.27.3", "oldest": "2.7.18", "newest": "3.6.15", "identical": True,
              "detail": "byte-identical C (2 cases, 4,100 lines)"}
SHARED = {"generated_under": "3.6.15", "c_generation": "shared", "c_invariance": INVARIANCE}


def _case(case_id: str) -> CaseInfo:
    return CaseInfo(case_id, "t", "g", "s", "t", False, "h", Expectation(reference="r"))


def _control(case_id: str) -> CaseInfo:
    return CaseInfo(case_id, "t", "control", "s", "t", False, "h", Expectation(reference="r"),
                    role="control")


def _shipped(case_id: str, outcome: str = "ok", **kwargs: Any) -> Record:
    return rec(case_id, "3.12", "0.27.3", outcome, shipped=WHY, provenance=SHARED, **kwargs)


def _native(case_id: str, python: str = "3.6", outcome: str = "ok", **kwargs: Any) -> Record:
    return rec(case_id, python, "0.27.3", outcome,
               provenance={**SHARED, "python_source": "pyenv"}, **kwargs)


def _report(records: list[Record], cases: tuple[str, ...] = ("a",)) -> Report:
    return compose(records, [_case(c) for c in cases])


def test_only_tried_records_count_as_shipped_c() -> None:
    assert is_shipped_c(_shipped("a"))
    assert is_shipped_c(_shipped("a", "cc-error", error="x"))
    assert not is_shipped_c(_shipped("a", "not-possible"))
    assert not is_shipped_c(_shipped("a", "env-error", error="net"))
    assert not is_shipped_c(_native("a"))


def test_aggregate_counts_the_tried_shipped_records() -> None:
    group = aggregate([_native("a"), _shipped("a"), _shipped("a", "cc-error", error="x"),
                       rec("a", "3.13", "0.27.3", "not-possible", shipped=WHY)])
    assert (group.total, group.tried, group.ok, group.shipped) == (4, 3, 2, 2)
    assert aggregate([_native("a"), _native("a", "2.7")]).shipped == 0
    assert aggregate([rec("a", "3.13", "0.27.3", "not-possible", shipped=WHY)]).shipped == 0


def test_cell_text_marks_shipped_c_and_only_shipped_c() -> None:
    assert cell_text(aggregate([_shipped("a")])) == f"✅ {SHIPPED_C}"
    assert cell_text(aggregate([_native("a")])) == "✅"
    failed = aggregate([_shipped("a", "cc-error", error="x")])
    assert cell_text(failed, "<sup>1</sup>") == f"❌ cc<sup>1</sup> {SHIPPED_C}"
    mixed = aggregate([_native("a"), _shipped("a", "cc-error", error="x")])
    assert cell_text(mixed, "<sup>1</sup>", counts=True) == f"⚠️ 1/2 cc<sup>1</sup> {SHIPPED_C}"
    assert cell_text(aggregate([rec("a", "3.13", "0.27.3", "not-possible", shipped=WHY)])) == "n/p"


def test_summary_and_detail_mark_the_shipped_cells() -> None:
    report = _report([_native("a"), _shipped("a"), _native("b"), _native("b", "3.12")],
                     ("a", "b"))
    (works,) = [table for table in render_summary(report).split("\n\n")
                if table.startswith("| Case") and "Semantics" not in table]
    summary = {line.split("|")[1].strip(): line.split("|")[2].strip()
               for line in works.splitlines() if line.startswith("| `")}
    assert summary == {"`a`": f"✅ {SHIPPED_C}", "`b`": "✅"}
    by_python = {t.python: t for t in report.details}
    py312 = render_detail(by_python["3.12"], report)
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip()
            for line in py312.splitlines() if line.startswith("| `")}
    assert rows == {"`a`": f"✅ {SHIPPED_C}", "`b`": "✅"}
    assert f"{SHIPPED_C} Shipped C: Cython 0.27.3 on Python 3.12 (1 record), C generated" \
           f" under Python 3.6.15 — {WHY}" in py312
    py36 = render_detail(by_python["3.6"], report)
    assert SHIPPED_C not in py36


def test_notes_ranges_and_diff_mark_shipped_cells() -> None:
    records = [_native("a", "3.6", "run-error", error="boom"),
               _shipped("a", "run-error", error="boom"), rec("a", "3.6", "0.29.37")]
    report = _report(records)
    (note,) = report.footnotes
    assert note.where == (("a", f"py3.6: cy0.27.3; py3.12: cy0.27.3 {SHIPPED_C}"),)
    assert [s.shipped_c for s in report.rows[0].ranges] == [True]
    assert [s.shipped_c for s in infer_ranges([records[0], records[2]])] == [False]
    page = render_markdown(report)
    assert f"not tested){refs((note.id,))} {SHIPPED_C}" in page
    before = rec("a", "3.12", "0.27.3", "not-possible", error=WHY)
    changes = diff([before, records[0]], records)
    untried = [c for c in changes.changes if c.cell_id == "py3.12-cy0.27.3"]
    assert [c.shipped_c for c in untried] == [True]
    assert not any(c.shipped_c for c in changes.changes if c.cell_id != "py3.12-cy0.27.3")


def test_a_control_that_works_only_as_shipped_c_is_marked_in_the_toolchain_table() -> None:
    records = [_shipped("control-plain"), _native("control-plain")]
    report = compose(records, [_control("control-plain")])
    (grid,) = report.toolchain.grids
    cells = dict(zip(grid.rows, (line[0] for line in grid.cells)))
    assert cell_text(cells["3.12"].verdict) == f"✅ {SHIPPED_C}"
    assert cell_text(cells["3.6"].verdict) == "✅"


def test_csv_and_json_cells_say_shipped_c_and_generated_under() -> None:
    report = _report([_native("a"), _shipped("a"), rec("a", "2.7", "0.27.3")])
    assert {"shipped_c", "generated_under"} <= set(CSV_COLUMNS)
    rows = {r["cell_id"]: r for r in csv.DictReader(io.StringIO(render_csv(report)))}
    assert (rows["py3.12-cy0.27.3"]["shipped_c"], rows["py3.12-cy0.27.3"]["generated_under"]) \
        == ("true", "3.6.15")
    assert (rows["py3.6-cy0.27.3"]["shipped_c"], rows["py3.6-cy0.27.3"]["generated_under"]) \
        == ("false", "3.6.15")
    assert (rows["py2.7-cy0.27.3"]["shipped_c"], rows["py2.7-cy0.27.3"]["generated_under"]) \
        == ("false", "")  # an old record: native, origin of its C unknown
    data = json.loads(render_json(report))
    cells = {c["cell_id"]: c for c in csv.DictReader(io.StringIO(render_csv(report)))}
    assert cells["py3.12-cy0.27.3"]["shipped_c"] == "true"
    (summary,) = data["cases"][0]["summary"]
    assert (summary["tried"], summary["shipped"]) == (3, 1)
    assert data["provenance"]["shipped_c"] == 1
    assert data["provenance"]["c_generation"][0]["identical"] is True


def test_c_generation_per_release_shows_disagreeing_records_apart() -> None:
    differs = {**INVARIANCE, "identical": False, "detail": "differs from line 12: x"}
    records = [
        _native("a"), _native("b"), _shipped("a"),
        rec("a", "3.12", "3.0.12", provenance={"c_generation": "per-python",
                                               "generated_under": "3.12.1",
                                               "c_invariance": {**differs, "cython": "3.0.12"}}),
        rec("b", "3.12", "3.0.12", provenance={"c_generation": "shared",
                                               "generated_under": "3.12.1",
                                               "c_invariance": {**INVARIANCE,
                                                                "cython": "3.0.12"}}),
        rec("a", "2.7", "0.29.37"),  # an old record says nothing
    ]
    found = c_generation_of(records)
    assert [(e.cython, e.identical, e.generation, e.records) for e in found] == [
        ("0.27.3", True, "shared", 3), ("3.0.12", True, "shared", 1),
        ("3.0.12", False, "per-python", 1)]
    assert found[0].how == "shared: generated once, under Python 3.6.15"
    assert found[0].shipped_under == ("3.6.15",)
    assert found[2].how == "per Python: native cells under their own Python"
    (cells,) = shipped_cells_of(records)
    assert (cells.python, cells.cython, cells.records, cells.generated_under, cells.reasons) == (
        "3.12", "0.27.3", 1, ("3.6.15",), (WHY,))


def test_provenance_counts_shipped_records_and_tables_the_c_generation() -> None:
    report = _report([_native("a"), _shipped("a"), _shipped("b", "not-possible")], ("a", "b"))
    p = report.provenance
    assert (p.tried, p.shipped_c) == (2, 1)
    assert p.python_sources == (("3.6", "pyenv"),)
    text = render_provenance(report)
    assert "- **Python:** 3.6 (3.6.1; pyenv), 3.12 (3.12.1)" in text
    assert f"- **Shipped C {SHIPPED_C}:** 1 of 2 tried records were measured with shipped C" in text
    # Records from before generation classes state an invariance check: tabled as they state it.
    assert "**C generation per Cython release (invariance check, records before generation" in text
    table = [line for line in text.splitlines() if line.startswith("| 0.27.3")]
    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == [
        "0.27.3", "0.27", "2.7.18 / 3.6.15", "yes", "byte-identical C (2 cases, 4,100 lines)",
        "shared: generated once, under Python 3.6.15"]


def test_old_records_render_as_before() -> None:
    report = _report([rec("a", "3.6", "0.27.3"), rec("a", "3.12", "0.27.3", "not-possible")])
    text = render_provenance(report)
    assert "Shipped C" not in text and "C generation" not in text
    assert "- **Python:** 3.6 (3.6.1), 3.12 (3.12.1)" in text
    assert SHIPPED_C not in render_summary(report)
    assert all(SHIPPED_C not in render_detail(t, report) for t in report.details)


def test_generation_classes_merge_what_the_records_name_per_release_and_canary() -> None:
    from report.cgeneration import generation_classes_of

    def named(case: str, python: str, members: list[str], generator: str, digest: str,
              canary: tuple[str, ...] = ("a", "b")) -> Record:
        return rec(case, python, "3.2.9", provenance={
            "c_generation": "class", "generated_under": f"{generator}.0",
            "c_class": {"cython": "3.2.9", "members": members, "generator": generator,
                        "generated_under": f"{generator}.0", "digest": digest,
                        "canary": list(canary), "detail": "2 cases, 9 lines of C",
                        "classes": 2}})

    records = [named("a", "3.12", ["3.12", "3.13"], "3.13", "d1"),
               named("a", "pypy3.11", ["pypy3.11", "3.13t", "3.13"], "3.13", "d1"),
               named("a", "3.15", ["3.14", "3.15"], "3.15", "d2"),
               named("z", "3.12", ["3.12"], "3.12", "d3", canary=("z",)),
               rec("b", "3.12", "3.2.9")]  # from before classes: not a class
    [grid, bisection] = generation_classes_of(records)
    assert [c.text for c in grid.classes] == [
        "pypy3.11, 3.12, 3.13, 3.13t (under 3.13.0)", "3.14, 3.15 (under 3.15.0)"]
    assert (grid.cython, grid.canary, grid.records) == ("3.2.9", "2 cases, 9 lines of C", 3)
    assert [c.members for c in bisection.classes] == [("3.12",)]
