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
