"""The measured toolchain baseline: a case is judged against its cell's control case; note ids
are stable; and, over the published data, the summary says what is the cases' own doing."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pytest

from matrix.model.cases import Expectation, load_cases
from matrix.model.records import Record
from matrix.model.selection import CaseInfo
from matrix.store.results import ResultStore
from report.compose import compose
from report.controls import toolchain_baseline_of
from report.export import render_csv
from report.legend import Verdict
from report.model import Report
from report.render_md.compat import render_markdown
from report.verdicts import aggregate
from tests.fixtures.report.factory import rec

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "report"
CC = "<module>.c:12:5: error: too few arguments to function '_PyLong_AsByteArray'"
CC_MV = "<module>.c:99:1: error: lvalue required as left operand of assignment"


def _case(case_id: str, *, control: bool = False, numpy: bool = False) -> CaseInfo:
    return CaseInfo(case_id, "t", "control" if control else "g", "s", "t", numpy, "h",
                    Expectation(reference="r"), role="control" if control else "conversion")


CASES = [_case("control-plain", control=True), _case("a"), _case("b")]


def _judge(records: list[Record], flaky: frozenset[tuple[str, str]] = frozenset()) -> set[str]:
    judge = toolchain_baseline_of(records, CASES, flaky)
    return {f"{r.case_id}@{r.cell_id}" for r in records if judge.is_toolchain_failure(r)}


def test_a_failure_at_the_controls_stage_is_the_toolchains() -> None:
    records = [rec("control-plain", "3.13", "0.29.37", "cc-error", error=CC),
               rec("a", "3.13", "0.29.37", "cc-error", error=CC_MV),  # another error, same stage
               rec("b", "3.13", "0.29.37", "cythonize-error", error="b.pyx:1:1: no")]
    assert _judge(records) == {"a@py3.13-cy0.29.37"}  # b fails earlier: its own failure


def test_where_the_control_works_every_failure_is_the_cases_own() -> None:
    records = [rec("control-plain", "2.7", "0.29.37"),
               rec("a", "2.7", "0.29.37", "cc-error", error=CC)]
    assert _judge(records) == set()
    judge = toolchain_baseline_of(records, CASES)
    assert [judge.verdict_text(r) for r in records] == ["", "false"]


def test_an_unsettled_control_excuses_nothing() -> None:
    failing = rec("a", "3.13", "0.29.37", "cc-error", error=CC)
    untried = rec("control-plain", "3.13", "0.29.37", "env-error", error="network")
    assert _judge([untried, failing]) == set()
    assert toolchain_baseline_of([untried, failing], CASES).verdict_text(failing) == ""
    control = rec("control-plain", "3.13", "0.29.37", "cc-error", error=CC)
    assert _judge([control, failing]) == {"a@py3.13-cy0.29.37"}
    flaky = frozenset({("control-plain", "py3.13-cy0.29.37")})
    assert _judge([control, failing], flaky) == set()


def test_a_control_judges_only_its_own_cell() -> None:
    records = [rec("control-plain", "3.13", "0.29.37", "cc-error", error=CC),
               rec("a", "3.13", "0.29.37", "cc-error", numpy="2.1.3", error=CC)]
    assert _judge(records) == set()  # a numpy cell has its own control (none measured here)


def test_toolchain_failures_count_for_neither_side() -> None:
    ok = rec("a", "3.12", "0.29.37")
    broken = rec("a", "3.13", "0.29.37", "cc-error", error=CC)
    own = rec("a", "2.7", "0.29.37", "run-error", error="boom")
    excused = frozenset({("a", broken.cell_id)})
    assert aggregate([ok, broken], toolchain=excused).verdict is Verdict.OK
    alone = aggregate([broken], toolchain=excused)
    assert alone.verdict is Verdict.TOOLCHAIN and alone.toolchain_stages[0].value == "cc-error"
    assert aggregate([ok, broken, own], toolchain=excused).verdict is Verdict.MIXED
    assert aggregate([broken, own], toolchain=excused).verdict is Verdict.FAILED


def _toolchain_report() -> Report:
    records = [
        rec("control-plain", "3.12", "0.29.37"), rec("a", "3.12", "0.29.37"),
        rec("b", "3.12", "0.29.37", "run-error", error="boom"),
        rec("control-plain", "3.13", "0.29.37", "cc-error", error=CC),
        rec("a", "3.13", "0.29.37", "cc-error", error=CC_MV),
        rec("b", "3.13", "0.29.37", "cc-error", error=CC_MV),
        rec("control-plain", "3.13", "3.0.12"), rec("a", "3.13", "3.0.12"),
        rec("b", "3.13", "3.0.12", "run-error", error="boom"),
    ]
    return compose(records, CASES)


def test_the_summary_and_ranges_count_only_the_cases_own_failures() -> None:
    report = _toolchain_report()
    rows = {row.case.id: row for row in report.rows}
    assert set(rows) == {"a", "b"}  # the control is no case row
    assert [c.verdict.verdict for c in rows["a"].series] == [Verdict.OK, Verdict.OK]
    assert [c.verdict.verdict for c in rows["b"].series] == [Verdict.FAILED, Verdict.FAILED]
    assert rows["a"].toolchain_failures == 1
    assert [s.sentence for s in rows["a"].ranges] == ["works on every tested cell"]
    assert rows["a"].ranges_leave_out_toolchain
    # The per-Python table still shows the record, as a toolchain failure with its note.
    table = next(t for t in report.details if t.python == "3.13")
    cell = table.rows[[r.case_id for r in table.rows].index("a")].cells[0]
    assert cell.verdict.verdict is Verdict.TOOLCHAIN and cell.notes
    (grid,) = report.toolchain.grids
    assert (grid.case_id, grid.rows, grid.cython) == ("control-plain", ("3.12", "3.13"),
                                                       ("0.29.37", "3.0.12"))
    assert grid.cells[1][0].verdict.verdict is Verdict.FAILED
    assert (report.toolchain.excused, report.toolchain.judged) == (2, 6)
    page = render_markdown(report)
    assert "## Toolchain baseline" in page
    assert page.index("## Summary") < page.index("## Toolchain baseline") < page.index(
        "## Provenance")


def test_the_data_files_say_which_failures_are_the_toolchains() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(_toolchain_report()))))
    found = {(r["case_id"], r["cell_id"]): (r["toolchain_failure"], r["role"]) for r in rows}
    assert found[("a", "py3.13-cy0.29.37")] == ("true", "conversion")
    assert found[("b", "py3.12-cy0.29.37")] == ("false", "conversion")
    assert found[("control-plain", "py3.13-cy0.29.37")] == ("", "control")


def test_note_ids_survive_adding_a_case() -> None:
    """A note's id is its content's: adding a fixture case (with failures of its own, listed
    before the others) changes no other note's id, in the tables or the data."""
    cases = [CaseInfo.from_case(c) for c in load_cases(FIXTURE / "cases")]
    records = ResultStore(FIXTURE / "records.jsonl").records()
    before = compose(records, cases)
    added = _case("aa-new")
    extra = [rec("aa-new", "2.7", "0.27.3", "crash", error="SIGSEGV in a new place"),
             rec("aa-new", "3.6", "0.29.37", "run-error", error="a brand new error")]
    after = compose(records + extra, [*cases, added])
    assert before.failure_notes.items() <= after.failure_notes.items()
    assert before.flaky_notes.items() <= after.flaky_notes.items()
    assert {n.id for n in before.footnotes} < {n.id for n in after.footnotes}

    def notes_by_row(report: Report) -> dict[tuple[str, str], str]:
        return {(r["case_id"], r["cell_id"]): r["note"]
                for r in csv.DictReader(io.StringIO(render_csv(report)))}

    old = notes_by_row(before)
    new = notes_by_row(after)
    assert old == {key: note for key, note in new.items() if key[0] != "aa-new"}
    assert any(old.values())


# --- the published data ------------------------------------------------------------------

PUBLISHED = ROOT / "docs" / "compat.json"


@pytest.fixture(scope="module")
def published() -> dict[str, object]:
    import json

    if not PUBLISHED.is_file():
        pytest.fail(f"{PUBLISHED} is missing: run `python -m report render`")
    from report.query.data import published_cells

    data: dict[str, object] = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    data["cells"] = published_cells(PUBLISHED, data)  # compat.csv.gz's rows
    return data


def test_the_published_controls_are_measured_in_every_cell(published: dict[str, object]) -> None:
    cells = published["cells"]
    assert isinstance(cells, list)
    controls = {c for c in published["controls"]}  # type: ignore[attr-defined]
    assert controls == {"control-plain", "control-numpy"}
    measured = {row["cell_id"] for row in cells if row["case_id"] in controls}
    others = {row["cell_id"] for row in cells if row["case_id"] not in controls}
    assert others <= measured, sorted(others - measured)[:5]


def test_the_published_summary_is_mostly_the_cases_own_answer(
        published: dict[str, object]) -> None:
    """At most 30% of the summary cells say ⚠️/❌, and none of those only because of a toolchain
    failure: every failing summary cell rests on a failure of the case's own (gcc cells)."""
    cases = published["cases"]
    assert isinstance(cases, list)
    verdicts = Counter(cell["verdict"] for case in cases for cell in case["summary"])
    failing = verdicts[Verdict.MIXED.value] + verdicts[Verdict.FAILED.value]
    total = sum(verdicts.values())
    assert total and failing / total <= 0.30, (failing, total, verdicts)
    rows = [r for r in published["cells"]  # type: ignore[attr-defined]
            if r["compiler"] == "gcc" and r["kind"] != "abi" and r["role"] == "conversion"
            and r["flaky"] != "true"]
    own = {(r["case_id"], r["cython_series"]) for r in rows
           if r["failed"] == "true" and r["toolchain_failure"] != "true"}
    for case in cases:
        for cell in case["summary"]:
            if cell["verdict"] in (Verdict.MIXED.value, Verdict.FAILED.value):
                assert (case["id"], cell["series"]) in own, (case["id"], cell["series"])


def test_a_published_toolchain_failure_never_reads_as_the_cases(
        published: dict[str, object]) -> None:
    rows = [r for r in published["cells"] if r["toolchain_failure"] == "true"]  # type: ignore
    assert rows, "the published grid has toolchain failures (e.g. Cython 0.29.37 on 3.13)"
    controls = {(r["cell_id"], r["outcome"]) for r in published["cells"]  # type: ignore
                if r["role"] == "control"}

    def core(row: dict[str, str]) -> str:
        compiler = "" if row["compiler"] == "gcc" else f"-{row['compiler']}"
        return f"py{row['python']}-cy{row['cython']}{compiler}"

    for row in rows:  # a control of its cell, or of its core cell, failed at that stage
        assert ((row["cell_id"], row["outcome"]) in controls
                or (core(row), row["outcome"]) in controls), row


def test_a_numpy_cell_is_also_judged_by_its_core_cells_control() -> None:
    cases = [*CASES, _case("control-numpy", control=True, numpy=True), _case("n", numpy=True)]
    records = [
        rec("control-plain", "3.13", "0.29.37", "cc-error", error=CC),
        rec("control-numpy", "3.13", "0.29.37", "cythonize-error", numpy="2.5.5",
            error="numpy/__init__.pxd:1:1: Cython 3 required"),
        rec("n", "3.13", "0.29.37", "cc-error", numpy="2.5.5", error=CC_MV),  # no cimport
        rec("control-numpy", "3.12", "0.29.37", numpy="2.5.5"),
        rec("n", "3.12", "0.29.37", "cc-error", numpy="2.5.5", error=CC_MV),
    ]
    judge = toolchain_baseline_of(records, cases)
    assert [judge.is_toolchain_failure(r) for r in records] == [False, False, True, False, False]


def test_a_cell_of_only_toolchain_failures_keeps_its_shipped_c_mark() -> None:
    shipped = rec("a", "3.12", "0.27.3", "cc-error", error=CC, shipped="no wheel")
    group = aggregate([shipped], toolchain=frozenset({("a", shipped.cell_id)}))
    assert (group.verdict, group.shipped) == (Verdict.TOOLCHAIN, 1)
