"""Bisection to the first release where a case's outcome changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from matrix.model.cells import Cell
from matrix.model.errors import SelectionError
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.plan.bisect import BisectRange, bisect
from matrix.plan.index import ReleaseIndex, releases_from_summary

from .conftest import need_python
from .test_store import make_record

ANY = "py2.py3-none-any"


def index(*cython: str, no_wheel: tuple[str, ...] = ()) -> ReleaseIndex:
    summary = [{"version": v, "wheels": [] if v in no_wheel else [f"Cython-{v}-{ANY}.whl"]}
               for v in cython]
    return ReleaseIndex({"cython": releases_from_summary(summary), "numpy": ()})


def fake_measure(first_bad: str, calls: list[str]):  # type: ignore[no-untyped-def]
    def measure(cell: Cell) -> list[Record]:
        calls.append(cell.cython)
        bad = Version(cell.cython) >= Version(first_bad)
        outcome = Outcome.CYTHONIZE_ERROR if bad else Outcome.OK
        record = make_record(cell.id, outcome, case_id="case-a", cell_id=cell.id)
        return [record]
    return measure


RELEASES = ["0.27.0", "0.27.1", "0.27.2", "0.27.3", "0.28.0", "0.28.1", "0.28.2", "0.28.3",
            "0.28.4", "0.28.5", "0.28.6"]


def test_finds_the_first_changed_release_in_log_steps() -> None:
    calls: list[str] = []
    result = bisect(Cell("3.6", "0.27.0"), BisectRange.parse("cython", "0.27.0..0.28.6"),
                    "case-a", index(*RELEASES), Version("3.6.15"), fake_measure("0.28.2", calls))
    assert (result.last_same, result.first_changed) == ("0.28.1", "0.28.2")
    assert len(calls) <= 6 and len(set(calls)) == len(calls), "no release is measured twice"
    assert result.reproduce == "nox -s matrix -- try --python 3.6 --cython 0.28.2 --case case-a"


def test_releases_without_a_wheel_are_skipped_and_listed() -> None:
    calls: list[str] = []
    result = bisect(Cell("3.6", "0.27.0"), BisectRange.parse("cython", "0.27.0..0.28.6"),
                    "case-a", index(*RELEASES, no_wheel=("0.28.1", "0.28.2")), Version("3.6.15"),
                    fake_measure("0.28.2", calls))
    assert (result.last_same, result.first_changed) == ("0.28.0", "0.28.3")
    assert {v for v, _ in result.skipped} <= {"0.28.1", "0.28.2"} and result.skipped
    assert "0.28.1" not in calls and "0.28.2" not in calls


def test_same_outcome_at_both_ends_is_an_error() -> None:
    with pytest.raises(SelectionError, match="same outcome"):
        bisect(Cell("3.6", "0.27.0"), BisectRange.parse("cython", "0.27.0..0.27.3"), "case-a",
               index(*RELEASES), Version("3.6.15"), fake_measure("9.9", []))


@pytest.mark.parametrize("text", ["0.28..0.27", "0.27", "a..b"])
def test_bad_ranges(text: str) -> None:
    with pytest.raises(SelectionError):
        BisectRange.parse("cython", text)


@pytest.mark.slow
def test_bisect_numpy_int_removal_for_real(interpreters: object, tmp_path: Path) -> None:
    from .test_grid_real import isolated_env

    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    done = subprocess.run(
        [sys.executable, "-m", "matrix", "bisect", "--offline", "--case",
         "numpy-int-to-long-memoryview", "--python", "3.11", "--cython", "3.2.4",
         "--numpy", "1.23.5..1.24.4", "--results", str(tmp_path / "results")],
        env=isolated_env(tmp_path / "cache"), capture_output=True, text=True, timeout=1200,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    assert "last ok at numpy 1.23.5; first different at 1.24.0 (run-error)" in done.stdout
    assert ("reproduce with: nox -s matrix -- try --python 3.11 --cython 3.2.4 --numpy 1.24.0"
            " --case numpy-int-to-long-memoryview") in done.stdout
    from matrix.store.results import ResultStore

    stored = ResultStore(tmp_path / "results").records()
    cells = {r.cell_id for r in stored if r.case_id == "numpy-int-to-long-memoryview"}
    baseline = {r.cell_id for r in stored if r.case_id == "control-numpy"}
    assert len(cells) >= 3 and cells == baseline, (
        "every cell the bisection measured has its toolchain baseline (the control case)")
