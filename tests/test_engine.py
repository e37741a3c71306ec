"""Engine pieces that need no build: error normalization, toolchain detection."""

from __future__ import annotations

from matrix.model.outcomes import Outcome


def test_error_lines_lose_build_and_environment_paths(tmp_path: object) -> None:
    from pathlib import Path

    from matrix.build.generate import Generated
    from matrix.build.modules import ModuleBuild
    from matrix.run.engine import module_error

    module = ModuleBuild(Generated("mm_0123456789ab", Path("/tmp/cache/build/mm_0123456789ab"),
                                   ("c",), Outcome.CC_ERROR, "3.2.9", "3.11.7"))
    assert module_error(
        "/tmp/cache/build/mm_0123456789ab/mm_0123456789ab.c:12:3: error: boom", module
    ) == "<module>.c:12:3: error: boom"
    assert module_error(
        "/work/.cache/envs/py3.12.1-cy0.29.37-np2.5.5/lib/python3.12/site-packages/numpy/"
        "__init__.pxd:12:13: Build aborted", module
    ) == "numpy/__init__.pxd:12:13: Build aborted"
    assert module_error(None, module) is None


def test_no_compiler_is_a_clear_error_before_anything_runs() -> None:
    import pytest

    from matrix.build.modules import BuildSettings
    from matrix.model.errors import MatrixError
    from matrix.run.engine import EngineSettings, Toolchain

    with pytest.raises(MatrixError, match="C compiler 'mm-no-cc' not found"):
        Toolchain.detect(EngineSettings(build=BuildSettings(cc="mm-no-cc")))


def test_an_import_failure_is_blamed_on_the_cases_its_message_points_at() -> None:
    """Suspects are built alone, the rest stays batched: a type's size check blames the cases
    that cimport its module (PyPy's array.array is not CPython's), an undefined symbol the
    cases that name it, a numpy ABI failure the cases that cimport numpy; no clue: every one."""
    from dataclasses import replace

    from matrix.model.cases import load_cases
    from matrix.run.engine import blame_import_error
    from matrix.store.paths import PROJECT_ROOT

    some = load_cases(PROJECT_ROOT / "cases")[0]
    mates = [replace(some, id=case_id, code=code) for case_id, code in (
        ("array", "from cpython cimport array\nimport array\n"),
        ("array-dotted", "cimport cpython.array\n"),
        ("numpy", "cimport numpy as cnp\n"),
        ("bytes", "cdef class bytes_case:\n    # an array of bytes\n    pass\n"),
        ("symbol", "cdef extern from *:\n    int mm_missing_symbol()\n"))]

    def blame(error: str) -> list[str]:
        return sorted(blame_import_error(error, mates))

    assert blame("ValueError: array.array size changed, may indicate binary"
                 " incompatibility. Expected 72 from C header, got 24 from PyObject") == [
        "array", "array-dotted"]
    assert blame("ValueError: numpy.dtype size changed") == ["numpy"]
    assert blame("ImportError: x.so: undefined symbol: mm_missing_symbol") == ["symbol"]
    assert blame("ImportError: something else") == sorted(m.id for m in mates)
