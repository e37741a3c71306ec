"""Bisection to the first release where a case's outcome changes; across pre-releases with
``--pre`` (issue 37), saying which kinds of release it walked."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from matrix.cli import cell as cli_cell
from matrix.cli import main
from matrix.model.cells import Cell
from matrix.model.errors import SelectionError
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.plan.bisect import BisectRange, bisect, candidates
from matrix.plan.index import ReleaseIndex, releases_from_summary
from matrix.plan.interpreters import Interpreter
from matrix.run import bisecting
from matrix.run.engine import measurement_of

from .conftest import need_python
from .fixtures.report.factory import rec
from .test_store import make_record

ANY = "py2.py3-none-any"


def index(*cython: str, no_wheel: tuple[str, ...] = (),
          yanked: tuple[str, ...] = ()) -> ReleaseIndex:
    summary = [{"version": v, "wheels": [] if v in no_wheel else [f"Cython-{v}-{ANY}.whl"],
                "yanked": v in yanked}
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


# --- pre-releases (--pre) ---------------------------------------------------------------------

BETA = ["3.0.12", "3.1.0b1", "3.1.0rc1", "3.1.0", "3.2.4"]
"""A fake index whose beta differs: the change comes with 3.1.0b1, not with 3.1.0."""


def test_final_releases_only_by_default_and_says_so() -> None:
    calls: list[str] = []
    result = bisect(Cell("3.11", "3.0.12"), BisectRange.parse("cython", "3.0.12..3.2.4"),
                    "case-a", index(*BETA), Version("3.11.9"), fake_measure("3.1.0b1", calls))
    assert (result.last_same, result.first_changed) == ("3.0.12", "3.1.0")
    assert not {"3.1.0b1", "3.1.0rc1"} & set(calls), "no pre-release is measured"
    assert result.walked == ("final",)
    assert result.walked_line() == ("walked: final releases only (3 candidates from 3.0.12 to"
                                    " 3.2.4, the ends included; pass --pre to include a/b/rc)")


def test_pre_walks_the_betas_and_finds_the_one_that_changed() -> None:
    calls: list[str] = []
    result = bisect(Cell("3.11", "3.0.12"), BisectRange.parse("cython", "3.0.12..3.2.4"),
                    "case-a", index(*BETA), Version("3.11.9"), fake_measure("3.1.0b1", calls),
                    pre=True)
    assert (result.last_same, result.first_changed) == ("3.0.12", "3.1.0b1")
    assert result.walked == ("final", "pre")
    assert result.walked_line() == ("walked: final and pre-releases (a, b, rc): 5 candidates"
                                    " from 3.0.12 to 3.2.4, the ends included")
    assert result.reproduce == "nox -s matrix -- try --python 3.11 --cython 3.1.0b1 --case case-a"


def test_pre_releases_walked_in_pep_440_order_without_dev_builds_or_yanked_ones() -> None:
    """The index's order is not the walk's: ``b1 < rc1 < final`` (a plain string sort puts
    ``3.1.0`` first); development builds and yanked releases are never candidates."""
    shuffled = index("3.2.4", "3.1.0", "3.1.0rc1", "3.1.0.dev1", "3.1.0a1", "3.1.0b1",
                     "3.0.12", "3.3.0a1", yanked=("3.1.0a1",))
    span = BisectRange.parse("cython", "3.0.12..3.2.4", pre=True)
    assert [str(v) for v in candidates(shuffled, span, pre=True)] == [
        "3.0.12", "3.1.0b1", "3.1.0rc1", "3.1.0", "3.2.4"]
    assert [str(v) for v in candidates(shuffled, span)] == ["3.0.12", "3.1.0", "3.2.4"]


def test_a_pre_release_end_with_pre() -> None:
    result = bisect(Cell("3.11", "3.1.0b1"), BisectRange.parse("cython", "3.1.0b1..3.2.4",
                                                               pre=True),
                    "case-a", index(*BETA), Version("3.11.9"), fake_measure("3.1.0", []),
                    pre=True)
    assert (result.last_same, result.first_changed) == ("3.1.0rc1", "3.1.0")
    assert result.candidates == 4


@pytest.mark.parametrize("text", ["3.1.0b1..3.2.4", "3.0.12..3.1.0rc1"])
def test_a_pre_release_end_needs_pre(text: str) -> None:
    with pytest.raises(SelectionError, match=f"--cython {text}: a pre-release end needs --pre"):
        BisectRange.parse("cython", text)
    span = BisectRange.parse("cython", text, pre=True)
    with pytest.raises(SelectionError, match="a pre-release end needs --pre"):
        bisect(Cell("3.11", str(span.low)), span, "case-a", index(*BETA), Version("3.11.9"),
               fake_measure("3.1.0", []))


def test_a_dev_build_is_never_an_end() -> None:
    with pytest.raises(SelectionError, match="--numpy 2.0.0.dev1..2.1.0: a development build"):
        BisectRange.parse("numpy", "2.0.0.dev1..2.1.0", pre=True)


# --- the command, on the fake index (nothing is built) ---------------------------------------

def _command_measure(first_bad: str, measured: list[str]) -> Any:
    """Stands in for the engine: the case fails to cythonize from ``first_bad`` on; the control
    case is ok everywhere."""
    def measure(planned: Any, cases: list[Any], layout: Any, settings: Any,
                toolchain: Any) -> list[Record]:
        cell = planned.cell
        measured.append(cell.cython)
        measurement = measurement_of(planned, cases, settings, toolchain)
        bad = Version(cell.cython) >= Version(first_bad)
        return [replace(rec(case.id, cell.python, cell.cython,
                            "cythonize-error" if bad and not case.is_control else "ok"),
                        key=measurement.key(case))
                for case in measurement.cases]
    return measure


@pytest.fixture()
def beta_index(interpreters: dict[str, Interpreter],
               monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``bisect`` on Python 3.11 reads the fake index whose beta differs; what it measures is
    listed."""
    need_python(interpreters, "3.11")
    measured: list[str] = []
    monkeypatch.setattr(cli_cell, "load_index", lambda *args, **kwargs: index(*BETA))
    monkeypatch.setattr(bisecting, "measure_cell", _command_measure("3.1.0b1", measured))
    return measured


def _bisect(tmp_path: Path, span: str, *flags: str) -> list[str]:
    return ["bisect", "--offline", "--python", "3.11", "--cython", span, "--case",
            "bytes-to-char-pointer", "--results", str(tmp_path / "results"), *flags]


def test_the_command_says_it_walked_final_releases_only(
        beta_index: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = main(_bisect(tmp_path, "3.0.12..3.2.4"))
    captured = capfd.readouterr()
    assert code == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[-3:] == [
        "bytes-to-char-pointer on Python 3.11: last ok at cython 3.0.12; first different at"
        " 3.1.0 (cythonize-error)",
        "walked: final releases only (3 candidates from 3.0.12 to 3.2.4, the ends included;"
        " pass --pre to include a/b/rc)",
        "reproduce with: nox -s matrix -- try --python 3.11 --cython 3.1.0 --case"
        " bytes-to-char-pointer"]
    assert "3.1.0b1" not in beta_index


def test_the_command_with_pre_finds_the_beta(
        beta_index: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = main(_bisect(tmp_path, "3.0.12..3.2.4", "--pre"))
    captured = capfd.readouterr()
    assert code == 0, captured.err
    assert captured.out.splitlines()[-3:] == [
        "bytes-to-char-pointer on Python 3.11: last ok at cython 3.0.12; first different at"
        " 3.1.0b1 (cythonize-error)",
        "walked: final and pre-releases (a, b, rc): 5 candidates from 3.0.12 to 3.2.4, the ends"
        " included",
        "reproduce with: nox -s matrix -- try --python 3.11 --cython 3.1.0b1 --case"
        " bytes-to-char-pointer"]


def test_the_command_refuses_a_pre_release_end_without_pre(
        beta_index: list[str], tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    code = main(_bisect(tmp_path, "3.1.0b1..3.2.4"))
    captured = capfd.readouterr()
    assert code == 2
    assert "error: --cython 3.1.0b1..3.2.4: a pre-release end needs --pre" in captured.err
    assert beta_index == [], "nothing is measured"


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


def test_an_end_that_is_no_version_is_named() -> None:
    with pytest.raises(SelectionError, match=r"--cython 3.3.0bl..3.3.1: '3.3.0bl' is not a"):
        BisectRange.parse("cython", "3.3.0bl..3.3.1")
    with pytest.raises(SelectionError, match=r"--cython 3.3.1: expected A..B$"):
        BisectRange.parse("cython", "3.3.1")
