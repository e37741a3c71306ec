"""Bad input through the command line: a clear error naming the file and field; nothing lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.store.results import ResultStore

from .conftest import FIXTURES
from .test_store import make_record


def test_corrupt_results_file_is_named_and_left_untouched(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    ResultStore.in_directory(results).append([make_record("k1"), make_record("k2")])
    records = results / "cp311" / "records.jsonl"
    lines = records.read_text().splitlines(keepends=True)
    content = lines[0] + "{broken\n" + lines[1]
    records.write_text(content)
    code = main(["run", "--offline", "--quick", "--results", str(results)])
    assert code == 2
    assert f"error: {records}:2: not valid JSON" in capfd.readouterr().err
    assert records.read_text() == content, "nothing already measured is lost"


def test_broken_case_file_is_named_before_anything_runs(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(FIXTURES / "cases", cases)
    toml = cases / "fixture-copies.toml"
    toml.write_text(toml.read_text().replace("copies = true", 'copies = "sometimes"'))
    code = main(["run", "--offline", "--cases", str(cases), "--results", str(tmp_path / "r")])
    assert code == 2
    err = capfd.readouterr().err
    assert f"error: {toml}: field 'expect.copies': must be true, false or absent" in err
    assert not (tmp_path / "r").exists()


def test_unknown_version_is_named(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--offline", "--cython", "0.99.1"]) == 2
    assert "error: --cython 0.99.1: no such cython release" in capfd.readouterr().err


@pytest.mark.parametrize("argv", [
    ["list", "--offline", "--compiler", "icc"],
    ["try", "--offline", "--python", "3.11", "--cython", "3.2.4", "--compiler", "icc"],
    ["bisect", "--offline", "--case", "bytes-to-char-pointer", "--python", "3.11",
     "--cython", "0.29.36..0.29.37", "--compiler", "icc"],
])
def test_an_unknown_compiler_is_named(argv: list[str], capfd: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error: --compiler icc: " in capfd.readouterr().err


def test_list_plans_the_compiler_axis(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--offline", "--python", "3.11", "--cython", "3.2.9",
                 "--compiler", "clang,gcc14-*", "--no-abi"]) == 0
    cells = capfd.readouterr().out.split()
    assert "py3.11-cy3.2.9-clang" in cells and "py3.11-cy3.2.9-gcc14-errors" in cells
    assert all(c.endswith(("-clang", "-gcc14-errors")) for c in cells if c.startswith("py"))
