"""recheck, end to end through the command line with real builds: a case whose result does
not repeat is classified flaky, a change that repeats is confirmed, and the report and
``regressions --confirmed`` treat them so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from matrix.model.checks import Judgement, Purpose, checks_of
from matrix.model.diff import Change
from matrix.model.outcomes import Outcome
from matrix.store.checklog import CheckLog
from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore
from report.cli import main as report_main

from .conftest import FIXTURES, need_python
from .test_grid_real import isolated_env, matrix_command

pytestmark = pytest.mark.slow

CELL = ("--offline", "--python", "3.11", "--cython", "3.2.4", "--compiler", "gcc")


def cases_dir(root: Path) -> Path:
    """The recheck fixtures with their import counters pointing into ``root``."""
    cases = root / "cases"
    cases.mkdir()
    for path in (FIXTURES / "recheck").iterdir():
        text = path.read_text(encoding="utf-8")
        counter = root / f"{path.stem}.imports"
        (cases / path.name).write_text(text.replace("@COUNTER@", str(counter)), encoding="utf-8")
    shutil.copy(FIXTURES / "cases" / "fixture-copies.toml", cases)
    shutil.copy(FIXTURES / "cases" / "fixture-copies.pyx", cases)
    return cases


def matrix(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(matrix_command(*args), cwd=PROJECT_ROOT,
                          env=isolated_env(root / "cache"), capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def rechecked(interpreters: object, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, Path, str]:
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    root = tmp_path_factory.mktemp("recheck")
    cases = cases_dir(root)
    before, after = root / "before", root / "after"
    # Import 1: both cases work (the baseline); import 2: both crash (the new run).
    matrix(root, "run", *CELL, "--cases", str(cases), "--results", str(before))
    matrix(root, "run", *CELL, "--cases", str(cases), "--results", str(after))
    # Imports 3 and 4, each from scratch: fixture-flaky works once more, fixture-breaks not.
    done = matrix(root, "recheck", "--offline", "--cases", str(cases), "--results", str(after),
                  "--baseline", str(before), "--attempts", "2")
    return cases, after, done.stdout


def test_a_result_that_does_not_repeat_is_flaky_and_a_repeated_change_confirmed(
        rechecked: tuple[Path, Path, str]) -> None:
    _, after, printed = rechecked
    records = ResultStore.in_directory(after).records()
    by_case = {r.case_id: r for r in records}
    assert by_case["fixture-flaky"].outcome is Outcome.CRASH
    assert by_case["fixture-breaks"].outcome is Outcome.CRASH
    log = CheckLog.beside(after).entries()
    assert {(e.record.case_id, e.attempt) for e in log} == {
        ("fixture-flaky", 1), ("fixture-flaky", 2), ("fixture-breaks", 1), ("fixture-breaks", 2)}
    assert all(e.purpose is Purpose.RECHECK for e in log)
    assert len({e.run for e in log}) == 1
    flaky_outcomes = sorted(e.record.outcome.value for e in log
                            if e.record.case_id == "fixture-flaky")
    assert flaky_outcomes == ["crash", "ok"], "each attempt imports a fresh build"
    checks = checks_of(records, log)
    assert checks[("fixture-flaky", "py3.11-cy3.2.4")].judgement is Judgement.FLAKY
    assert checks[("fixture-breaks", "py3.11-cy3.2.4")].judgement is Judgement.CONFIRMED
    assert ("fixture-copies", "py3.11-cy3.2.4") not in checks, "unchanged: not re-measured"
    assert "regressed" in printed and ": flaky (" in printed and ": confirmed (" in printed
    cache = after.parent / "cache"
    for entry in log:  # every attempt from scratch in a folder of its own; its log kept
        assert entry.record.log is not None
        folder = Path(entry.record.log).parts[:3]
        assert folder[:2] == ("rechecks", entry.run) and folder[2].endswith(f"-{entry.attempt}")
        assert (cache / entry.record.log).is_file()
        assert sorted(p.name for p in (cache / Path(*folder)).iterdir()) == ["logs"]


def test_recheck_again_measures_nothing_more(rechecked: tuple[Path, Path, str],
                                             tmp_path: Path) -> None:
    cases, after, _ = rechecked
    before = after.parent / "before"
    count = len(CheckLog.beside(after).entries())
    done = matrix(after.parent, "recheck", "--offline", "--cases", str(cases), "--results",
                  str(after), "--baseline", str(before))
    assert "0 need re-measuring" in done.stderr
    assert len(CheckLog.beside(after).entries()) == count


def test_the_report_keeps_flaky_apart_and_fails_only_on_the_confirmed_change(
        rechecked: tuple[Path, Path, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from report.cli import build_report

    cases, after, _ = rechecked
    baseline = after.parent / "before"
    report = build_report(after, baseline, cases)
    assert report.diff is not None
    assert [c.case_id for c in report.diff.of(Change.REGRESSED)] == ["fixture-breaks"]
    assert [c.case_id for c in report.diff.of(Change.FLAKY)] == ["fixture-flaky"]
    assert report.diff.of(Change.REGRESSED)[0].check == "confirmed"
    args = ["regressions", "--results", str(after), "--baseline",
            str(baseline), "--cases", str(cases), "--confirmed"]
    assert report_main(args) == 1, "the confirmed regression fails the run"
    printed = capsys.readouterr().out
    assert "Flaky" in printed and "fixture-flaky" in printed
    flaky_only = tmp_path / "flaky-only"
    ResultStore(flaky_only).append(r for r in ResultStore(after).records()
                                   if r.case_id != "fixture-breaks")
    shutil.copy(after / "rechecks.jsonl", flaky_only / "rechecks.jsonl")
    args[2] = str(flaky_only)
    assert report_main(args) == 1, "fixture-breaks' results are gone: that fails the run"
    assert "result(s) gone" in capsys.readouterr().err
    assert report_main([*args, "--allow-gone"]) == 0, "a flaky cell never fails the run"
