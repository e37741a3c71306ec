"""Inferred ranges: only tested versions are named, gaps are said to be untested."""

from __future__ import annotations

from report.ranges import Run, describe_runs, explain, infer_ranges, runs_of
from tests.fixtures.report.factory import rec


def test_runs_are_ordered_by_version_not_text() -> None:
    runs = runs_of([("3.0.12", True), ("0.29.37", True), ("0.27.3", False), ("3.10.0", True)])
    assert runs == (Run(False, ("0.27.3",)), Run(True, ("0.29.37", "3.0.12", "3.10.0")))


def test_works_since_names_both_sides_of_the_gap() -> None:
    runs = runs_of([("0.27.3", False), ("0.28.6", True), ("0.29.37", True)])
    assert describe_runs("cython", runs) == (
        "works on Cython >= 0.28.6 (fails on 0.27.3; versions between 0.27.3 and 0.28.6"
        " not tested)"
    )


def test_broken_since_on_numpy() -> None:
    runs = runs_of([("1.23.5", True), ("1.24.4", False), ("2.1.3", False), ("1.19.5", True)])
    assert describe_runs("numpy", runs) == (
        "fails on numpy >= 1.24.4 (works on 1.19.5, 1.23.5; versions between 1.23.5 and"
        " 1.24.4 not tested)"
    )


def test_long_runs_are_shortened_to_first_and_last() -> None:
    runs = runs_of([(v, False) for v in ("0.27.3", "0.28.6", "0.29.0", "0.29.37")]
                   + [("3.0.0", True)])
    assert "fails on 0.27.3–0.29.37 (4 tested)" in describe_runs("cython", runs)


def test_three_runs_say_every_gap_is_untested() -> None:
    runs = runs_of([("0.27.3", True), ("0.29.37", False), ("3.0.12", True)])
    assert describe_runs("cython", runs) == (
        "Cython: works on 0.27.3, fails on 0.29.37, works on 3.0.12 (versions between the"
        " tested ones not tested)"
    )


def test_one_run() -> None:
    assert describe_runs("python", runs_of([("3.6", True), ("3.12", True)])) == (
        "works on every tested Python (3.6, 3.12)"
    )


def test_explain_picks_the_axis_that_explains_everything() -> None:
    records = [
        rec("c", "3.6", "0.27.3", "cythonize-error", error="x.pyx:1:1: no"),
        rec("c", "3.12", "0.27.3", "not-possible"),
        rec("c", "3.6", "0.29.37"),
        rec("c", "3.12", "0.29.37"),
        rec("c", "3.12", "3.0.12"),
    ]
    (statement,) = explain(records)
    assert statement.sentence == (
        "works on Cython >= 0.29.37 (fails on 0.27.3; versions between 0.27.3 and 0.29.37"
        " not tested)"
    )
    assert statement.failures == (("cythonize-error", "x.pyx:1:1: no"),)


def test_untried_versions_widen_the_gap() -> None:
    records = [
        rec("c", "3.6", "0.27.3", "cythonize-error"),
        rec("c", "3.6", "0.28.6", "env-error"),
        rec("c", "3.6", "0.29.37"),
    ]
    (statement,) = explain(records)
    assert "versions between 0.27.3 and 0.29.37 not tested" in statement.text


def test_explain_qualifies_by_python_when_no_axis_explains() -> None:
    records = [
        rec("c", "3.6", "0.29.37"), rec("c", "3.6", "3.0.12"),
        rec("c", "3.12", "0.29.37", "run-error"), rec("c", "3.12", "3.0.12"),
    ]
    statements = explain(records)
    assert [s.sentence for s in statements] == [
        "on Python 3.12: works on Cython >= 3.0.12 (fails on 0.29.37; versions between"
        " 0.29.37 and 3.0.12 not tested)",
        "works on every other tested cell",
    ]


def test_numpy_axis_and_abi_cells_are_ignored() -> None:
    records = [
        rec("n", "3.12", "3.0.12", numpy="1.19.5"),
        rec("n", "3.12", "3.0.12", "run-error", numpy="1.26.4"),
        rec("n", "3.12", "3.0.12", "import-error", numpy="1.19.5", run="1.26.4"),
    ]
    (statement,) = explain(records)
    assert statement.text.startswith("fails on numpy >= 1.26.4 (works on 1.19.5;")


def test_everywhere_and_nowhere() -> None:
    assert explain([rec("c", "3.6", "0.29.37")])[0].text == "works on every tested cell"
    failing = explain([rec("c", "3.6", "0.29.37", "crash"), rec("c", "3.7", "3.0.0", "cc-error")])
    assert failing[0].text == "fails on every tested cell (cc-error, crash)"
    assert explain([rec("c", "3.6", "0.29.37", "not-possible")])[0].text == (
        "not tried on any cell")


def test_too_many_statements_fall_back_to_one() -> None:
    records = []
    for i, python in enumerate(["3.6", "3.7", "3.8", "3.9"]):
        for j, cython in enumerate(["0.29.1", "0.29.2", "0.29.3", "0.29.4"]):
            outcome = "ok" if (i + j) % 2 else "run-error"
            records.append(rec("c", python, cython, outcome, error="boom"))
    (statement,) = infer_ranges(records, max_statements=2)
    assert "no single version explains" in statement.text
    assert statement.failures == (("run-error", "boom"),)


def test_adjacent_python_minors_have_no_gap() -> None:
    from report.ranges import Run, describe_runs, untested_between

    assert not untested_between("python", "3.12", "3.13")
    assert untested_between("python", "2.7", "3.6")
    assert untested_between("cython", "0.27.3", "0.28")
    text = describe_runs("python", [Run(True, ("3.11", "3.12")), Run(False, ("3.13",))])
    assert text == "fails on Python >= 3.13 (works on 3.11, 3.12)"


def test_adjacent_versions_that_say_the_same_are_one_statement() -> None:
    """A bisection's cells (one Python, releases between two grid releases) add no line of
    their own: "on Cython 0.27.3–0.28.6: fails on every tested cell"."""
    records = []
    for python in ("3.7", "3.8", "3.9", "3.10"):
        records += [rec("a", python, "0.27.3", "cythonize-error", error="crash"),
                    rec("a", python, "0.29.37"),
                    rec("a", python, "3.1.8", *(("run-error",) if python == "3.9" else ()),
                        error="x" if python == "3.9" else None)]
    records += [rec("a", "3.7", c, "cythonize-error", error="crash") for c in ("0.28", "0.28.6")]
    sentences = [s.sentence for s in explain(records)]
    assert sentences[0] == "on Cython 0.27.3–0.28.6: fails on every tested cell (cythonize-error)"
    assert sentences[1].startswith("on Cython 3.1.8: ")
    assert sentences[2:] == ["works on every other tested cell"]


def test_a_python_range_never_spans_interpreter_kinds() -> None:
    """CPython works everywhere, PyPy fails: no "works on 3.9–3.11, fails on pypy3.11, works
    on 3.12" along one Python axis, but one statement per kind."""
    records = [rec("a", python, "3.2.9") for python in ("3.9", "3.10", "3.11", "3.12")]
    records += [rec("a", "pypy3.9", "3.2.9", "import-error", error="no array"),
                rec("a", "pypy3.11", "3.2.9", "import-error", error="no array")]
    sentences = [s.sentence for s in explain(records)]
    assert sentences == ["on PyPy: fails on every tested cell (import-error)",
                         "works on every other tested cell"]
    free = [rec("b", "3.12", "3.0.12"), rec("b", "3.13", "3.0.12"),
            rec("b", "3.13t", "3.0.12", "cc-error", error="x"),
            rec("b", "3.13t", "3.1.8"), rec("b", "3.13", "3.1.8")]
    assert [s.sentence for s in explain(free)] == [
        "on free-threaded CPython: works on Cython >= 3.1.8 (fails on 3.0.12; versions between"
        " 3.0.12 and 3.1.8 not tested)", "works on every other tested cell"]


def test_adjacent_minors_of_another_kind_have_no_gap() -> None:
    runs = runs_of([("pypy3.10", False), ("pypy3.11", True)])
    assert describe_runs("python", runs) == "works on Python >= pypy3.11 (fails on pypy3.10)"
