"""End to end through the command line: a real slice of the grid, re-runs, resume after SIGKILL."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python

pytestmark = pytest.mark.slow


def matrix_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "matrix", *args]


def isolated_env(cache: Path) -> dict[str, str]:
    """Own cache for builds, logs and index data; the environments are shared (and reused)."""
    env = dict(os.environ)
    env["MATRIX_CACHE_DIR"] = str(cache)
    env["MATRIX_ENVS_DIR"] = str(PROJECT_ROOT / ".cache" / "envs")
    return env


def run_matrix(cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(matrix_command(*args), cwd=PROJECT_ROOT, env=isolated_env(cache),
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    return done


SLICE = ("--offline", "--compiler", "gcc", "--python", "3.11", "--cython", "0.29.37,3.2.4",
         "--numpy", "1.26.4,2.3.5")


@pytest.fixture(scope="module")
def slice_run(interpreters: object, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, Path, dict[tuple[str, str], Record], str]:
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    root = tmp_path_factory.mktemp("slice")
    cache, results = root / "cache", root / "results"
    done = run_matrix(cache, "run", *SLICE, "--results", str(results))
    records = {(r.case_id, r.cell_id): r for r in ResultStore.in_directory(results).records()}
    return cache, results, records, done.stderr


def test_slice_covers_every_case_in_every_cell(
        slice_run: tuple[Path, Path, dict[tuple[str, str], Record], str]) -> None:
    from matrix.model.cases import load_cases

    _, _, records, log = slice_run
    cases = load_cases(PROJECT_ROOT / "cases")
    numpy_cases = [c.id for c in cases if c.needs_numpy]
    core_cases = [c.id for c in cases if not c.needs_numpy]
    cells = {cell for _, cell in records}
    assert cells == {
        "py3.11-cy0.29.37", "py3.11-cy3.2.4",
        "py3.11-cy0.29.37-np1.26.4", "py3.11-cy0.29.37-np2.3.5",
        "py3.11-cy3.2.4-np1.26.4", "py3.11-cy3.2.4-np2.3.5",
        "py3.11-cy3.2.4-np1.26.4-run2.3.5", "py3.11-cy3.2.4-np2.3.5-run1.26.4",
    }
    assert len(records) == 2 * len(core_cases) + 6 * len(numpy_cases)
    assert "[8/8]" in log and "ETA" in log, "progress is shown"


def test_slice_measures_what_the_guide_claims(
        slice_run: tuple[Path, Path, dict[tuple[str, str], Record], str]) -> None:
    _, _, records, _ = slice_run
    aliased = records[("bytearray-to-char-memoryview", "py3.11-cy3.2.4")]
    assert aliased.outcome is Outcome.OK and aliased.behaviour.copies is False
    copied = records[("memoryview-tobytes", "py3.11-cy0.29.37")]
    assert copied.outcome is Outcome.OK and copied.behaviour.copies is True
    # np.int is gone since numpy 1.24: the guide's idiom fails when converting.
    np_int = records[("numpy-int-to-long-memoryview", "py3.11-cy3.2.4-np1.26.4")]
    assert np_int.outcome is Outcome.RUN_ERROR
    assert "has no attribute 'int'" in (np_int.first_error or "")
    fixed = records[("numpy-int-underscore-to-long-memoryview", "py3.11-cy3.2.4-np1.26.4")]
    assert fixed.outcome is Outcome.OK and fixed.behaviour.copies is False


def test_slice_numpy_build_vs_run(
        slice_run: tuple[Path, Path, dict[tuple[str, str], Record], str]) -> None:
    _, _, records, _ = slice_run
    old_on_new = records[("numpy-intp-to-intp-memoryview", "py3.11-cy3.2.4-np1.26.4-run2.3.5")]
    assert old_on_new.outcome is Outcome.IMPORT_ERROR
    assert old_on_new.provenance["numpy_build_version"] == "1.26.4"
    assert old_on_new.provenance["numpy_run_version"] == "2.3.5"
    new_on_old = records[("numpy-intp-to-intp-memoryview", "py3.11-cy3.2.4-np2.3.5-run1.26.4")]
    assert new_on_old.outcome is Outcome.OK


def test_rerun_with_nothing_changed_builds_nothing(
        slice_run: tuple[Path, Path, dict[tuple[str, str], Record], str]) -> None:
    cache, results, records, _ = slice_run

    def stage_entries() -> list[str]:
        return sorted(str(p.relative_to(cache)) for stage in ("generate", "compile")
                      for p in (cache / stage).iterdir())

    before = stage_entries()
    assert any(p.startswith("generate/") for p in before)
    assert any(p.startswith("compile/") for p in before)
    done = run_matrix(cache, "run", *SLICE, "--results", str(results))
    assert "0 measured, 8 already in the store" in done.stderr
    assert stage_entries() == before
    assert len(ResultStore.in_directory(results)) == len(records)


def test_resume_after_sigkill(interpreters: object, tmp_path: Path) -> None:
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    cache, results = tmp_path / "cache", tmp_path / "results"
    args = ("run", "--offline", "--cases", str(FIXTURES / "cases"),
            "--case", "fixture-aliases,fixture-copies", "--python", "3.11",
            "--cython", "3.0.12,3.1.8,3.2.4", "--no-abi", "--compiler", "gcc", "--jobs", "1",
            "--results", str(results))
    process = subprocess.Popen(matrix_command(*args), cwd=PROJECT_ROOT, env=isolated_env(cache),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    records_file = results / "cp311" / "records.jsonl"  # the store's shard of Python 3.11
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if records_file.exists() and records_file.read_text().count("\n") >= 2:
            break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    finished = ResultStore(results).records()
    assert 2 <= len(finished) < 6, "killed part-way through the grid"
    with open(records_file, "a") as handle:
        handle.write('{"schema": 1, "key": "half-writ')  # a write cut short by the kill
    done = run_matrix(cache, *args)
    assert "half-written last record" in done.stderr
    final = {r.key: r for r in ResultStore(results).records()}
    assert len(final) == 6
    for record in finished:
        assert final[record.key] == record, "finished records survive the interruption"
    assert "already in the store" in done.stderr


def test_cython_027_rejects_const_memoryview_at_cythonize(interpreters: object,
                                                          tmp_path: Path) -> None:
    """The oldest Cython on the oldest Python 3 of the grid, with the case it refuses built in
    one module with one it takes (the batch isolates the refusal; the slice above builds every
    case)."""
    need_python(interpreters, "3.6")  # type: ignore[arg-type]
    results = tmp_path / "results"
    run_matrix(tmp_path / "cache", "run", "--offline", "--python", "3.6", "--cython", "0.27.3",
               "--case", "bytes-to-const-char-memoryview,bytearray-to-char-memoryview",
               "--no-abi", "--compiler", "gcc", "--results", str(results))
    records = {r.case_id: r for r in ResultStore.in_directory(results).records()}

    assert set(records) == {"bytes-to-const-char-memoryview", "bytearray-to-char-memoryview"}
    const = records["bytes-to-const-char-memoryview"]
    assert const.outcome is Outcome.CYTHONIZE_ERROR
    assert const.first_error is not None and "Assignment to const" in const.first_error
    assert const.first_error.startswith("bytes-to-const-char-memoryview.pyx:")
    assert records["bytearray-to-char-memoryview"].outcome is Outcome.OK


def test_every_notes_reproducer_reproduces_the_note(
        slice_run: tuple[Path, Path, dict[tuple[str, str], Record], str]) -> None:
    """Each failure note's paste-ready command builds that one case alone, in that one cell:
    it must show the outcome and first error the note records (measured in batches).

    A case that reads garbage (the guide's broken ``PyArray_SimpleNewFromData``) may give
    another error line, or even another outcome (a crash instead of a run error), each time, or
    the same one a few times in a row: where the reproducer differs, it is run up to three
    times more.  It passes if one reproduction shows the recorded outcome and line, or if the
    reproductions differ from each other (flaky: measured, not declared, as ``recheck`` would
    judge it), or if what they steadily show is itself a published measurement of that case
    (the same outcome and line, in another cell or run: garbage on the C stack depends on what
    ran before in the process, so a batch and ``try`` may each be steady and differ on another
    machine); reproductions that all agree on a result never measured for the case fail."""
    from report.cli import build_report

    cache, results, records, _ = slice_run
    published = {(r.case_id, f"{r.outcome.value}: {r.first_error}")
                 for r in ResultStore.in_directory(PROJECT_ROOT / "results").records()}
    report = build_report(results, None, PROJECT_ROOT / "cases")
    notes = [note for note in report.footnotes if note.reproduce]
    assert len(notes) >= 5, "the slice has failures of several kinds"
    # one note of each outcome and kind of cell (core, numpy, numpy run apart): each
    # reproduction is a build of its own, and the rest repeat the same path
    kinds = {(note.outcome, shlex.split(note.reproduce).count("--numpy-run") > 0,
              "--numpy" in shlex.split(note.reproduce)): note for note in notes}
    notes = list(kinds.values())
    assert len(notes) >= 3, "failures of several kinds"

    def reproduce(command: list[str], case_id: str) -> list[tuple[str, str]]:
        done = run_matrix(cache, *command[4:], "--offline")
        lines = [line.split(None, 2) for line in done.stdout.splitlines()]
        return [(cell, rest) for cell, case, rest in lines if case == case_id]

    for note in notes:
        command = shlex.split(note.reproduce)
        assert command[:5] == ["nox", "-s", "matrix", "--", "try"]  # the README's spelling
        case_id = command[command.index("--case") + 1]
        ((cell, verdict),) = reproduce(command, case_id)
        recorded = records[(case_id, cell)]
        assert note.outcome == recorded.outcome.value, (note.reproduce, note.text)
        wanted = f"{recorded.outcome.value}: {recorded.first_error}"
        seen = [verdict]
        while wanted not in seen and len(set(seen)) == 1 and len(seen) < 4:
            ((_, again),) = reproduce(command, case_id)
            seen.append(again)
        assert wanted in seen or len(set(seen)) > 1 or (case_id, verdict) in published, (
            f"{note.reproduce} reproduces steadily, but not what was recorded:"
            f" {verdict!r} vs {recorded.first_error!r}")
