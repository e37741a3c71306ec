"""Engine pieces that need no build: error normalization, toolchain detection."""

from __future__ import annotations

from matrix.outcomes import Outcome


def test_error_lines_lose_build_and_environment_paths(tmp_path: object) -> None:
    from pathlib import Path

    from matrix.build import ModuleBuild
    from matrix.engine import normalize_error
    from matrix.generate import Generated

    module = ModuleBuild(Generated("mm_0123456789ab", Path("/tmp/cache/build/mm_0123456789ab"),
                                   ("c",), Outcome.CC_ERROR, "3.2.9", "3.11.7"))
    assert normalize_error(
        "/tmp/cache/build/mm_0123456789ab/mm_0123456789ab.c:12:3: error: boom", module
    ) == "<module>.c:12:3: error: boom"
    assert normalize_error(
        "/work/.cache/envs/py3.12.1-cy0.29.37-np2.5.5/lib/python3.12/site-packages/numpy/"
        "__init__.pxd:12:13: Build aborted", module
    ) == "numpy/__init__.pxd:12:13: Build aborted"
    assert normalize_error(None, module) is None


def test_no_compiler_is_a_clear_error_before_anything_runs() -> None:
    import pytest

    from matrix.build import BuildSettings
    from matrix.engine import EngineSettings, Toolchain
    from matrix.errors import MatrixError

    with pytest.raises(MatrixError, match="C compiler 'mm-no-cc' not found"):
        Toolchain.detect(EngineSettings(build=BuildSettings(cc="mm-no-cc")))
