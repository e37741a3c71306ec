"""The compiler axis with real compilers: the same generated C under gcc 12, gcc 12 with GCC
14's error defaults and clang (zig cc, installed by the harness), through the command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from matrix.store.paths import PROJECT_ROOT

from .conftest import need_python
from .test_grid_real import isolated_env, matrix_command

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
    # (The invariance check also generates under the oldest Python: a "-py2.7.18" entry.)
    generated = [p for p in (cache / "generate").glob("mm_*") if p.is_dir() and "-py" not in p.name]
    assert len(generated) == 1, "the cell's C was generated once"
    compiled = [p for p in (cache / "compile").iterdir() if p.is_dir()]
    assert len(compiled) == 3, "and compiled once per compiler"


POINTERS = ("--offline", "--python", "3.11", "--cython", "0.29.37", "--case",
            "bytearray-to-char-pointer,array-to-int-pointer,int-memoryview-to-int-pointer")


def test_address_sanitizer_catches_the_dangling_pointer_at_the_read(interpreters: object,
                                                                    tmp_path: Path) -> None:
    """The guide's "NO copy unsafe", measured: a ``char*`` into a bytearray (and an ``int*``
    into an array) still points at the old storage after the source grew (the moves probe,
    under gcc), and AddressSanitizer reports the read through it as a heap-use-after-free (the
    gcc-asan cell, run with ASan preloaded and PYTHONMALLOC=malloc): the conversion worked, the
    target dangles.  A pointer taken from a typed memoryview is safe: the memoryview keeps the
    array from resizing.  Under ASan, the guide's int shape (no import_array) is a memory error
    (ASan's SEGV), not an ordinary crash."""
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    cache = tmp_path / "cache"

    def tried(*args: str) -> dict[str, str]:
        done = subprocess.run(matrix_command("try", *args), cwd=PROJECT_ROOT,
                              env=isolated_env(cache), capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stderr
        return {line.split()[1]: line for line in done.stdout.splitlines()
                if line.startswith("py3.11-")}

    plain = tried(*POINTERS)
    for case in ("bytearray-to-char-pointer", "array-to-int-pointer"):
        assert "locks_source=no moves=dangles safety=dangles" in plain[case], plain[case]
    assert "locks_source=yes" in plain["int-memoryview-to-int-pointer"]
    assert plain["int-memoryview-to-int-pointer"].endswith("safety=safe")
    asan = tried(*POINTERS, "--compiler", "gcc-asan")
    for case in ("bytearray-to-char-pointer", "array-to-int-pointer"):
        line = asan[case]
        assert line.startswith("py3.11-cy0.29.37-gcc-asan ")
        assert "moves=dangles asan_read=heap-use-after-free safety=dangles" in line, line
    assert asan["int-memoryview-to-int-pointer"].endswith("safety=safe")
    guide = tried(*GUIDE, "--compiler", "gcc-asan")["pointer-to-numpy-guide"]
    assert "memory-error: AddressSanitizer: SEGV during convert" in guide, guide
