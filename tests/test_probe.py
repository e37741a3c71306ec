"""Classifying runner transcripts into outcomes (no builds needed)."""

from __future__ import annotations

import json

from matrix.outcomes import Outcome
from matrix.probe import parse_runner_output
from matrix.procs import Completed


def transcript(*events: dict[str, object], returncode: int | None = 0, timed_out: bool = False,
               extra: str = "") -> Completed:
    lines = [f"@@MM {json.dumps(e)}" for e in events]
    return Completed(("python", "runner.py"), returncode, extra + "\n".join(lines) + "\n", 0.5,
                     timed_out)


IMPORTED = {"kind": "import", "ok": True}
CONVERTED = {"probe": "convert", "ok": True}
DONE = {"kind": "done"}


def test_ok_run_collects_probes() -> None:
    run = parse_runner_output(transcript(
        IMPORTED, CONVERTED, {"probe": "values_ok", "values_ok": True},
        {"probe": "copies", "copies": False, "evidence": ["mutation"]}, DONE,
        extra="a case may print anything\n",
    ))
    assert run.outcome is Outcome.OK
    assert run.first_error is None
    assert run.probes["copies"]["copies"] is False


def test_import_error() -> None:
    run = parse_runner_output(transcript({"kind": "import", "ok": False,
                                          "error": "ImportError: numpy.core.multiarray failed"}))
    assert run.outcome is Outcome.IMPORT_ERROR
    assert run.first_error == "ImportError: numpy.core.multiarray failed"


def test_conversion_error_is_a_run_error() -> None:
    run = parse_runner_output(transcript(
        IMPORTED,
        {"probe": "convert", "error": "AttributeError: module 'numpy' has no attribute 'int'"},
    ))
    assert run.outcome is Outcome.RUN_ERROR
    assert run.first_error == "convert: AttributeError: module 'numpy' has no attribute 'int'"


def test_crash_keeps_finished_probes_and_names_the_running_one() -> None:
    run = parse_runner_output(transcript(
        IMPORTED, CONVERTED, {"probe": "values_ok", "values_ok": True},
        {"probe": "copies", "copies": False}, {"probe": "readonly", "readonly": False},
        returncode=-11,
    ))
    assert run.outcome is Outcome.CRASH
    assert run.first_error == "SIGSEGV during locks_source"
    assert run.probes["copies"]["copies"] is False


def test_timeout() -> None:
    run = parse_runner_output(transcript(IMPORTED, returncode=None, timed_out=True))
    assert run.outcome is Outcome.TIMEOUT
    assert "during convert" in (run.first_error or "")


def test_runner_dying_without_done_is_a_run_error() -> None:
    run = parse_runner_output(transcript(IMPORTED, CONVERTED, returncode=1,
                                         extra="Traceback...\nSystemError: bad\n"))
    assert run.outcome is Outcome.RUN_ERROR


def test_outcome_classes() -> None:
    assert Outcome.NOT_POSSIBLE.could_not_be_tried and not Outcome.NOT_POSSIBLE.failed
    assert Outcome.ENV_ERROR.spurious and not Outcome.ENV_ERROR.failed
    assert Outcome.CRASH.failed and Outcome.CYTHONIZE_ERROR.failed
    assert not Outcome.OK.failed


def test_error_lines_lose_build_and_environment_paths(tmp_path: object) -> None:
    from pathlib import Path

    from matrix.build import ModuleBuild
    from matrix.engine import normalize_error

    module = ModuleBuild("mm_0123456789ab", Path("/tmp/cache/build/mm_0123456789ab"), ("c",),
                         Outcome.CC_ERROR)
    assert normalize_error(
        "/tmp/cache/build/mm_0123456789ab/mm_0123456789ab.c:12:3: error: boom", module
    ) == "<module>.c:12:3: error: boom"
    assert normalize_error(
        "/work/.cache/envs/py3.12.1-cy0.29.37-np2.5.5/lib/python3.12/site-packages/numpy/"
        "__init__.pxd:12:13: Build aborted", module
    ) == "numpy/__init__.pxd:12:13: Build aborted"
    assert normalize_error(None, module) is None


def test_a_missing_program_is_a_result_not_an_exception() -> None:
    from matrix.procs import run_process

    done = run_process(["/nonexistent/mm-no-such-program", "x"], timeout_s=5)
    assert done.returncode == 127 and "cannot run" in done.output


def test_no_compiler_is_a_clear_error_before_anything_runs() -> None:
    import pytest

    from matrix.build import BuildSettings
    from matrix.engine import EngineSettings, Toolchain
    from matrix.errors import MatrixError

    with pytest.raises(MatrixError, match="C compiler 'mm-no-cc' not found"):
        Toolchain.detect(EngineSettings(build=BuildSettings(cc="mm-no-cc")))


def test_c_errors_are_traced_to_case_files_through_cython_markers(tmp_path: object) -> None:
    from pathlib import Path

    from matrix.build import UNATTRIBUTED, cc_error_sources

    c_file = Path(str(tmp_path)) / "mm_x.c"
    lines = ["/* utility code */"] * 200 + [
        '/* "case-a.pyx":7', " *     strlen(b'abc', 1)", " */", "  x = strlen(a, 1);",
    ]
    c_file.write_text("\n".join(lines) + "\n")
    at = len(lines)
    assert cc_error_sources(f"mm_x.c:{at}:7: error: too many arguments", c_file) == {"case-a.pyx"}
    assert cc_error_sources("mm_x.c:50:1: error: in utility code", c_file) == {UNATTRIBUTED}
    assert cc_error_sources("mm_x.c:3:10: fatal error: nope.h: No such file", c_file) == {
        UNATTRIBUTED}
