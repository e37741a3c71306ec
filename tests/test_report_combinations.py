"""Combinations that fail for every case: found per cell, listed once, left out of the ranges."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.outcomes import Outcome
from matrix.records import Record
from report.combinations import (
    CombinationFailure,
    combination_failures,
    combination_names,
    group_combinations,
    is_combination_failure,
)
from report.compose import case_ranges
from report.ranges import infer_ranges
from tests.fixtures.report.factory import rec

FIXTURE = Path(__file__).parent / "fixtures" / "report"
CC = "<module>.c:17:5: error: invalid type argument of '->'"


def _cells(records: list[Record]) -> list[str]:
    return [f.cell_id for f in combination_failures(records)]


def test_every_case_failing_to_build_is_a_combination_failure() -> None:
    records = [
        rec("a", "3.13", "0.29.37", "cc-error", error=CC),
        rec("b", "3.13", "0.29.37", "cythonize-error", error="b.pyx:1:1: no"),
        rec("a", "3.12", "0.29.37"), rec("b", "3.12", "0.29.37"),
    ]
    (found,) = combination_failures(records)
    assert (found.cell_id, found.kind, found.python, found.cython, found.numpy) == (
        "py3.13-cy0.29.37", "core", "3.13", "0.29.37", None)
    assert found.cases == ("a", "b")
    assert found.stages == (Outcome.CYTHONIZE_ERROR, Outcome.CC_ERROR)
    assert found.common_failure is None


def test_at_least_two_cases_must_have_been_tried() -> None:
    one = [rec("a", "3.13", "0.29.37", "cc-error", error=CC)]
    assert _cells(one) == []
    # Untried cases are no evidence either way: they neither count nor break the rule.
    untried = one + [rec("b", "3.13", "0.29.37", "env-error", error="net"),
                     rec("c", "3.13", "0.29.37", "not-possible")]
    assert _cells(untried) == []
    assert _cells(untried + [rec("d", "3.13", "0.29.37", "cc-error", error=CC)]) == [
        "py3.13-cy0.29.37"]
    assert is_combination_failure(one, min_cases=1)


def test_mixed_outcomes_are_not_a_combination_failure() -> None:
    records = [
        rec("a", "3.13", "0.29.37", "cc-error", error=CC),
        rec("b", "3.13", "0.29.37", "cc-error", error=CC),
        rec("c", "3.13", "0.29.37"),
    ]
    assert _cells(records) == []


@pytest.mark.parametrize("outcome", ["import-error", "run-error", "crash", "timeout"])
def test_run_stage_failures_are_case_behaviour(outcome: str) -> None:
    every = [rec(case, "3.12", "3.0.12", outcome, error="boom") for case in "abc"]
    assert _cells(every) == []
    # One build failure among run failures does not make the cell a build failure either.
    assert _cells(every + [rec("d", "3.12", "3.0.12", "cc-error", error=CC)]) == []


def test_numpy_cells_are_separate_and_abi_cells_are_left_alone() -> None:
    headers = "numpy/__init__.pxd:12:13: Build aborted"
    records = [
        # The core cell works; its numpy cell (other cases) fails to build for every case.
        rec("core", "3.12", "0.29.37"),
        rec("n1", "3.12", "0.29.37", "cythonize-error", numpy="2.1.3", error=headers),
        rec("n2", "3.12", "0.29.37", "cythonize-error", numpy="2.1.3", error=headers),
        # Build-vs-run cells belong to their own table, even when nothing there builds.
        rec("n1", "3.12", "0.29.37", "cythonize-error", numpy="2.1.3", run="1.26.4",
            error=headers),
        rec("n2", "3.12", "0.29.37", "cythonize-error", numpy="2.1.3", run="1.26.4",
            error=headers),
    ]
    (found,) = combination_failures(records)
    assert (found.cell_id, found.kind, found.numpy) == ("py3.12-cy0.29.37-np2.1.3", "numpy",
                                                        "2.1.3")
    assert found.common_failure == ("cythonize-error", headers)


def test_positions_in_generated_c_do_not_make_errors_differ() -> None:
    records = [rec("a", "3.13", "0.29.37", "cc-error", error=CC),
               rec("b", "3.13", "0.29.37", "cc-error", error=CC.replace(":17:5:", ":1701:9:"))]
    (found,) = combination_failures(records)
    assert found.common_failure == ("cc-error", "<module>.c: error: invalid type argument of '->'")


def _failure(python: str, cython: str, numpy: str | None = None, *, cases: int = 2,
             stages: tuple[Outcome, ...] = (Outcome.CC_ERROR,),
             failures: tuple[tuple[str, str], ...] = (("cc-error", "x"),),
             ) -> CombinationFailure:
    suffix = f"-np{numpy}" if numpy else ""
    return CombinationFailure(f"py{python}-cy{cython}{suffix}", "numpy" if numpy else "core",
                              python, cython, numpy, tuple(f"c{i}" for i in range(cases)),
                              stages, failures)


def test_names_merge_cells_that_differ_on_one_axis() -> None:
    assert combination_names([_failure("3.13", "0.29.37")]) == ("Cython 0.29.37 on Python 3.13",)
    numpys = [_failure("3.13", "0.29.37", n) for n in ("2.2.6", "2.1.3", "2.10.0")]
    assert combination_names(numpys) == (
        "Cython 0.29.37 on Python 3.13 with numpy 2.1.3, 2.2.6, 2.10.0",)
    pythons = [_failure(p, "0.29.37", "2.5.5") for p in ("3.13", "3.12")]
    assert combination_names(pythons) == ("Cython 0.29.37 on Python 3.12, 3.13 with numpy 2.5.5",)
    apart = [_failure("3.8", "3.1.8", "1.17.5"), _failure("3.13", "0.29.37")]
    assert combination_names(apart) == (
        "Cython 0.29.37 on Python 3.13", "Cython 3.1.8 on Python 3.8 with numpy 1.17.5")
    many = [_failure("3.13", "0.29.37", f"2.{minor}.0") for minor in range(7)]
    assert combination_names(many) == (
        "Cython 0.29.37 on Python 3.13 with numpy 2.0.0–2.6.0 (7 versions)",)


def test_groups_by_kind_stage_and_common_error() -> None:
    one_error = (("cythonize-error", "headers"),)
    cythonize = (Outcome.CYTHONIZE_ERROR,)
    groups = group_combinations([
        _failure("3.12", "0.29.37", "2.5.5", stages=cythonize, failures=one_error),
        _failure("3.13", "0.29.37", cases=25, failures=(("cc-error", "x"), ("cc-error", "y"))),
        _failure("3.13", "0.29.37", "2.5.5", cases=3, stages=cythonize, failures=one_error),
        _failure("3.13", "0.29.37", "2.1.3", cases=8, failures=(("cc-error", "x"),)),
    ])
    assert [g.sentence for g in groups] == [
        "Cython 0.29.37 on Python 3.13: all 25 cases tried fail to compile (cc), with various"
        " errors",
        "Cython 0.29.37 on Python 3.12, 3.13 with numpy 2.5.5: all 2–3 numpy cases tried fail"
        " to build (cythonize)",
        "Cython 0.29.37 on Python 3.13 with numpy 2.1.3: all 8 numpy cases tried fail to compile"
        " (cc)",
    ]
    assert groups[0].failures == (("cc-error", "x"), ("cc-error", "y"))
    assert groups[1].common_failure == one_error[0]
    both = group_combinations([_failure("3.6", "3.1.4", "1.19.5", stages=(
        Outcome.CYTHONIZE_ERROR, Outcome.CC_ERROR))])
    assert both[0].what == "both numpy cases tried fail to build (cythonize or cc)"


def test_ranges_leave_out_combination_cells_as_if_untried() -> None:
    records = [
        rec("c", "3.12", "0.27.3", "cythonize-error", error="c.pyx:1:1: const"),
        rec("c", "3.12", "0.29.37"), rec("c", "3.12", "3.0.12"),
        rec("c", "3.13", "0.27.3", "not-possible"),
        rec("c", "3.13", "0.29.37", "cc-error", error=CC), rec("c", "3.13", "3.0.12"),
    ]
    plain = infer_ranges(records)
    assert len(plain) > 1
    ranges, changed = case_ranges(records, frozenset({"py3.13-cy0.29.37"}))
    assert [s.sentence for s in ranges] == [
        "works on Cython >= 0.29.37 (fails on 0.27.3; versions between 0.27.3 and 0.29.37 not"
        " tested)"]
    assert changed
    assert case_ranges(records) == (plain, False)
    assert case_ranges(records, frozenset({"py3.9-cy3.0.12"})) == (plain, False)
    # Leaving out a cell that changes nothing a reader sees is not worth a remark.
    same = records[:3] + [rec("c", "3.11", "0.27.3", "cythonize-error", error="c.pyx:1:1: const"),
                          rec("c", "3.11", "0.29.37")]
    assert case_ranges(same, frozenset({"py3.11-cy0.27.3"})) == (infer_ranges(same), False)
    assert case_ranges([], frozenset({"py3.13-cy0.29.37"})) == ((), False)


def test_fixture_report_lists_combinations_and_cleans_ranges() -> None:
    from report.cli import build_report
    from report.render_md import render_markdown

    report = build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl",
                          FIXTURE / "cases")
    assert [row.group.names for row in report.combinations] == [
        ("Cython 3.1.4 on Python 3.6",),
        ("C from Cython 0.27.3 on Python 3.12 with numpy 2.1.3 📦",),
        ("Cython 0.29.37 on Python 3.12 with numpy 2.1.3",)]
    assert [row.group.shipped_c for row in report.combinations] == [False, True, False]
    assert report.combinations[1].group.what == (
        "both numpy cases tried fail to compile (cc) (shipped C, generated under Python 3.6.15)")
    assert report.combination_cells == {
        "py3.6-cy3.1.4", "py3.12-cy0.27.3-np2.1.3", "py3.12-cy0.29.37-np2.1.3"}
    rows = {row.case.id: row for row in report.rows}
    since = rows["fx-since"]
    assert [s.sentence for s in since.ranges] == [
        "works on Cython >= 0.29.37 (fails on 0.27.3; versions between 0.27.3 and 0.29.37 not"
        " tested)"]
    everything = [r for r in report.records if r.case_id == "fx-since" and r.cell_kind != "abi"]
    assert len(infer_ranges(everything)) == 3  # what it said with the combination counted
    assert since.ranges_leave_out_combinations
    assert not rows["fx-works"].ranges_leave_out_combinations  # untried there: nothing changes
    # The summary still shows the failure of the combination.
    assert since.series[-1].verdict.stages == (Outcome.CC_ERROR,)
    page = render_markdown(report)
    assert page.index("## Combinations that fail for every case") < page.index(
        "## Inferred ranges")
