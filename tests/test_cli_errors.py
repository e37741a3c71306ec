"""Errors as promised (docs/measuring.md, "Exit statuses"): bad input gets ``error:`` naming
the flag, file or field, and exit 2, before anything is built or written; the publication
guards refuse what would publish a loss (an empty store, a store that lost most of the
published cells, results that vanished).  Nothing here builds anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from matrix.cli import main as matrix_main
from matrix.store.results import ResultStore
from report.cli import main as report_main

from .conftest import FIXTURES
from .test_store import make_record

REPORT = FIXTURES / "report"


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    return lines[-1] if lines else ""


def _cases_with(tmp_path: Path, name: str, data: bytes) -> Path:
    cases = tmp_path / "cases"
    shutil.copytree(FIXTURES / "cases", cases)
    (cases / name).write_bytes(data)
    return cases


@pytest.mark.parametrize("name", ["fixture-copies.pyx", "fixture-copies.toml"])
def test_a_case_file_that_is_not_utf8_is_named(name: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    cases = _cases_with(tmp_path, name, b"title = \"caf\xe9\"\n")
    code = matrix_main(["list", "--offline", "--cases", str(cases), "--python", "3.11",
                        "--cython", "3.2.9"])
    error = _error(capsys)
    assert code == 2 and error.startswith("error: ") and "fixture-copies" in error
    assert "not UTF-8" in error


@pytest.mark.parametrize("argv, flag", [
    (["run", "--offline", "--jobs", "0"], "--jobs"),
    (["run", "--offline", "--jobs", "-1"], "--jobs"),
    (["run", "--offline", "--retry-delays", "nan"], "--retry-delays"),
    (["run", "--offline", "--retry-delays", "5,inf"], "--retry-delays"),
])
def test_bad_numbers_are_refused_naming_the_flag(argv: list[str], flag: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        matrix_main(argv)
    assert exit_.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err


@pytest.mark.parametrize("flag", ["--numpy", "--python", "--cython", "--cell", "--case"])
def test_an_empty_selection_names_its_flag(flag: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = matrix_main(["list", "--offline", flag, ""])
    error = _error(capsys)
    assert code == 2 and error == f"error: {flag} '': empty (omit the flag to select all)"


def test_a_cases_folder_that_does_not_exist_is_named(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nonexistent"
    assert matrix_main(["list", "--offline", "--cases", str(missing)]) == 2
    assert _error(capsys) == f"error: {missing}: field '<folder>': no such folder of cases"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert report_main(["render", "--results", str(REPORT / "records.jsonl"), "--cases",
                        str(empty), "--no-baseline", "--out", str(tmp_path / "out")]) == 2
    assert "holds no case" in _error(capsys)
    assert not (tmp_path / "out").exists()


def test_a_results_path_that_is_a_file_is_refused_before_measuring(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    results.write_text("not a store\n")
    code = matrix_main(["run", "--offline", "--quick", "--results", str(results)])
    assert code == 2 and _error(capsys).startswith(f"error: {results}: a file, not a results")
    assert results.read_text() == "not a store\n"


def test_query_and_render_name_a_folder_or_file_in_the_wrong_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert report_main(["query", "--data", str(tmp_path)]) == 2
    assert "a folder, not a data file" in _error(capsys)
    out = tmp_path / "out.txt"
    out.write_text("x")
    assert report_main(["render", "--results", str(REPORT / "records.jsonl"), "--no-baseline",
                        "--cases", str(REPORT / "cases"), "--out", str(out)]) == 2
    assert _error(capsys) == f"error: --out {out}: a file; the published files go into a folder"
    assert report_main(["query", "--data", str(REPORT / "expected" / "compat.json"),
                        "--case", ""]) == 2
    assert "--case '': an empty pattern" in _error(capsys)


def test_reading_a_store_writes_nothing_into_it(tmp_path: Path) -> None:
    """A read-only results folder can be read: no lock file, no repair, nothing written."""
    results = tmp_path / "results"
    ResultStore.in_directory(results).append([make_record("k1"), make_record("k2")])
    (results / "rechecks.jsonl").write_text("")
    for lock in results.rglob("*.lock"):
        lock.unlink()
    before = {p: p.stat().st_mtime_ns for p in results.rglob("*")}
    assert len(ResultStore.in_directory(results).records()) == 2
    from matrix.store.checklog import CheckLog

    assert CheckLog.beside(results).entries() == []
    assert {p: p.stat().st_mtime_ns for p in results.rglob("*")} == before


def _render(out: Path, results: Path, *extra: str) -> list[str]:
    return ["render", "--results", str(results), "--no-baseline", "--cases",
            str(REPORT / "cases"), "--references", str(REPORT / "references.toml"),
            "--out", str(out), "--no-heatmap", *extra]


def test_an_empty_store_is_never_published(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    out = tmp_path / "docs"
    assert report_main(_render(out, empty)) == 2
    assert "holds no record" in _error(capsys) and not out.exists()


def test_a_store_that_lost_most_published_cells_is_not_rendered_over_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs"
    assert report_main(_render(out, REPORT / "records.jsonl")) == 0
    published = json.loads((out / "compat.json").read_text())["provenance"]["cells"]
    lines = (REPORT / "records.jsonl").read_text().splitlines(keepends=True)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("".join(lines[: len(lines) // 5]))
    before = (out / "compat.json").read_bytes()
    assert report_main(_render(out, cut)) == 2
    error = _error(capsys)
    assert f"{out} publishes {published}" in error and "--allow-shrink" in error
    assert (out / "compat.json").read_bytes() == before
    assert report_main(_render(out, cut, "--allow-shrink")) == 0


def test_results_that_vanished_fail_the_regressions_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = (REPORT / "baseline.jsonl").read_text().splitlines(keepends=True)
    current = tmp_path / "current.jsonl"
    current.write_text("".join(lines[:-3]))
    argv = ["regressions", "--results", str(current), "--baseline",
            str(REPORT / "baseline.jsonl"), "--cases", str(REPORT / "cases"),
            "--references", str(REPORT / "references.toml")]
    assert report_main(argv) == 1
    err = capsys.readouterr().err
    assert "result(s) gone" in err
    assert report_main([*argv, "--allow-gone"]) == 0


def test_a_closed_pipe_ends_quietly() -> None:
    """`python -m matrix list | head -1`: the reader goes away after a line while the command
    still prints (a line at a time, 1,249 of them); no traceback, exit status 0.  (Both command
    lines share the handling: ``matrix.model.errors.dispatch``.)"""
    import subprocess
    import sys

    from matrix.store.paths import PROJECT_ROOT

    process = subprocess.Popen([sys.executable, "-m", "matrix", "list", "--offline"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"py")
    process.stdout.close()  # as head does
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, error
    assert "Traceback" not in error and "BrokenPipeError" not in error, error


@pytest.mark.parametrize("argv, message", [
    (["run", "--offline", "--cython-from", "cython-3.3.0.dev0-py3-none-any.whl"],
     "error: --cython-from cython-3.3.0.dev0-py3-none-any.whl: a development build is a"
     " canary, measured apart from the released table: add --pre"),
    (["try", "--offline", "--python", "3.11", "--cython-from", "notes.txt"],
     "error: --cython-from notes.txt: not a wheel file (.whl), a URL, a simple index (URL or"
     " folder) or git+URL@ref"),
    (["try", "--offline", "--python", "3.11", "--cython", "3.2.4", "--numpy", "2.3.5",
      "--numpy-from", "numpy-2.5.0.dev0-cp311-cp311-linux_x86_64.whl"],
     "error: --numpy-from numpy-2.5.0.dev0-cp311-cp311-linux_x86_64.whl: names the numpy to"
     " measure, as --numpy does: give one of them"),
    (["try", "--offline", "--python", "3.11"],
     "error: try needs the Cython to measure: --cython RELEASE or --cython-from SOURCE"),
])
def test_a_development_build_is_refused_naming_its_flag(
        argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Before anything is resolved or built; ``run`` measures a build only as a canary."""
    assert matrix_main(argv) == 2
    assert _error(capsys) == message
