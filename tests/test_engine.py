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
