"""The compiler axis with real compilers: the same generated C under gcc 12, gcc 12 with GCC
14's error defaults and clang (zig cc, installed by the harness), through the command line."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from matrix.store.paths import PROJECT_ROOT

from .conftest import need_python
from .test_grid_real import isolated_env, matrix_command, run_matrix

pytestmark = pytest.mark.slow

GUIDE = ("--offline", "--python", "3.11", "--cython", "0.29.37", "--numpy", "1.26.4",
         "--case", "pointer-to-numpy-guide")


def try_cell(cache: Path, compiler: str) -> str:
    done = subprocess.run(matrix_command("try", *GUIDE, "--compiler", compiler),
                          cwd=PROJECT_ROOT, env=isolated_env(cache), capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "pointer-to-numpy-guide" in line]
    return line


def test_the_guides_int_shape_compiles_only_under_gcc_12(interpreters: object,
                                                         tmp_path: Path) -> None:
    """``PyArray_SimpleNewFromData(1, &shape, ...)`` with an ``int`` shape: gcc 12 warns and
    builds it (it then crashes: no import_array); GCC 14's defaults and clang reject the
    pointer types.  One C file (generated once), three compilers, three cell ids."""
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    cache = tmp_path / "cache"
    gcc = try_cell(cache, "gcc")
    assert gcc.startswith("py3.11-cy0.29.37-np1.26.4 ") and "crash: SIGSEGV" in gcc
    strict = try_cell(cache, "gcc14-errors")
    assert strict.startswith("py3.11-cy0.29.37-np1.26.4-gcc14-errors ")
    assert "cc-error" in strict and "[-Werror=incompatible-pointer-types]" in strict
    clang = try_cell(cache, "clang")
    assert clang.startswith("py3.11-cy0.29.37-np1.26.4-clang ")
    assert "cc-error" in clang and "incompatible pointer types" in clang
    generated = [p for p in (cache / "generate").glob("mm_*") if p.is_dir()]
    assert len(generated) == 1, "the cell's C was generated once"
    compiled = [p for p in (cache / "compile").iterdir() if p.is_dir()]
    assert len(compiled) == 3, "and compiled once per compiler"



POINTER_CASES = "bytearray-to-char-pointer,array-to-int-pointer,int-memoryview-to-int-pointer"


def test_address_sanitizer_catches_the_dangling_pointer_at_the_read(interpreters: object,
                                                                    tmp_path: Path) -> None:
    """The guide's "NO copy unsafe", measured: a ``char*`` into a bytearray (and an ``int*``
    into an array) still points at the old storage after the source grew (the moves probe,
    under gcc), and AddressSanitizer reports the read through it as a heap-use-after-free (the
    gcc-asan cell, run with ASan preloaded and PYTHONMALLOC=malloc): the conversion worked, the
    target dangles.  A pointer taken from a typed memoryview is safe: the memoryview keeps the
    array from resizing, which contradicts the guide's "unsafe" (❗).  The report's dangles note
    quotes ASan's line, and its reproducer shows it.  Under ASan, the guide's int shape (no
    import_array) is a memory error (ASan's SEGV), not an ordinary crash."""
    from report.cli import build_report

    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    cache, results = tmp_path / "cache", tmp_path / "results"
    run_matrix(cache, "run", "--offline", "--python", "3.11", "--cython", "0.29.37", "--no-abi",
               "--numpy", "1.26.4", "--compiler", "gcc,gcc-asan", "--case",
               f"{POINTER_CASES},control-plain", "--results", str(results))
    report = build_report(results, None, PROJECT_ROOT / "cases")
    rows = {row.case.id: row for row in report.rows}
    assert rows["bytearray-to-char-pointer"].safety.label == "dangles"
    assert rows["array-to-int-pointer"].safety.label == "dangles"
    memoryview = rows["int-memoryview-to-int-pointer"]
    assert memoryview.safety.label == "safe" and memoryview.contradictions  # guide: unsafe
    asan = [r for r in report.compiler_records if r.compiler == "gcc-asan"
            and r.case_id in ("bytearray-to-char-pointer", "array-to-int-pointer")]
    assert len(asan) == 2 and {r.behaviour.sanitizer_read for r in asan} == {
        "heap-use-after-free"}
    notes = [n for n in report.footnotes if n.text.startswith("dangles: ")]
    assert len(notes) == 2  # one per dangling case
    for note in notes:
        assert "`ERROR: AddressSanitizer: heap-use-after-free on address 0x...`" in note.text
        command = shlex.split(note.text.split("reproduce: `")[1].split("`")[0])
        assert command[:5] == ["nox", "-s", "matrix", "--", "try"] and "gcc-asan" in command
        shown = run_matrix(cache, *command[4:], "--offline").stdout
        assert "read after the resize (ASan): heap-use-after-free (ERROR: AddressSanitizer:" \
            " heap-use-after-free on address" in shown, shown
    guide = run_matrix(cache, "try", *GUIDE, "--compiler", "gcc-asan").stdout
    assert "memory-error: AddressSanitizer: SEGV during convert" in guide, guide
