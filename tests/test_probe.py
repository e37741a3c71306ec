"""Classifying runner transcripts into per-case outcomes (no builds needed)."""

from __future__ import annotations

import json

from matrix.model.outcomes import Outcome
from matrix.run.probe import CaseRun, parse_runner_output

IMPORTED = {"kind": "import", "ok": True}
CONVERTED = {"probe": "convert", "ok": True}
DONE = {"kind": "done"}


def case(symbol: str, *events: dict[str, object], signal: int | None = None,
         timed_out: bool = False, code: int | None = 0, ended: bool = True) -> list[object]:
    """A case's part of a transcript: its start marker, its child's events, how it ended."""
    ending = {"kind": "exit", "symbol": symbol, "timed_out": timed_out, "signal": signal,
              "code": None if signal or timed_out else code, "seconds": 0.25}
    return [{"kind": "case", "symbol": symbol}, *events, *([ending] if ended else [])]


def parse(*parts: object, symbols: tuple[str, ...] = ("a",), returncode: int | None = 0,
          timed_out: bool = False) -> dict[str, CaseRun]:
    lines = [p if isinstance(p, str) else f"@@MM {json.dumps(p)}" for p in parts]
    return parse_runner_output("\n".join(lines) + "\n", symbols, timed_out=timed_out,
                               returncode=returncode, duration_s=0.5, transcript="log")


def test_ok_run_collects_probes() -> None:
    run = parse(IMPORTED, *case("a", CONVERTED, {"probe": "values_ok", "values_ok": True},
                                "a case may print anything",
                                {"probe": "copies", "copies": False, "evidence": ["mutation"]},
                                DONE))["a"]
    assert run.outcome is Outcome.OK and run.first_error is None
    assert run.probes["copies"]["copies"] is False
    assert "a case may print anything" in run.log and run.duration_s == 0.25


def test_import_error_is_every_case_s_and_marked_as_at_import() -> None:
    runs = parse({"kind": "import", "ok": False,
                  "error": "ImportError: numpy.core.multiarray failed"}, symbols=("a", "b"))
    assert set(runs) == {"a", "b"}
    for run in runs.values():
        assert run.outcome is Outcome.IMPORT_ERROR and run.at_import
        assert run.first_error == "ImportError: numpy.core.multiarray failed"


def test_a_crash_or_hang_during_import_is_an_import_time_failure() -> None:
    crashed = parse(symbols=("a", "b"), returncode=-11)
    assert {r.outcome for r in crashed.values()} == {Outcome.CRASH}
    assert crashed["a"].first_error == "SIGSEGV during import" and crashed["a"].at_import
    hung = parse(symbols=("a",), returncode=None, timed_out=True)["a"]
    assert hung.outcome is Outcome.TIMEOUT and hung.at_import


def test_conversion_error_is_a_run_error() -> None:
    run = parse(IMPORTED, *case("a", {"probe": "convert", "error":
                                      "AttributeError: module 'numpy' has no attribute 'int'"}))
    assert run["a"].outcome is Outcome.RUN_ERROR
    assert run["a"].first_error == ("convert: AttributeError: module 'numpy' has no attribute"
                                    " 'int'")


def test_a_crash_is_only_its_own_case_s_and_names_the_running_probe() -> None:
    runs = parse(IMPORTED,
                 *case("a", CONVERTED, {"probe": "values_ok", "values_ok": True},
                       {"probe": "copies", "copies": False}, {"probe": "readonly",
                                                               "readonly": False}, signal=11),
                 *case("b", CONVERTED, DONE), symbols=("a", "b"))
    assert runs["a"].outcome is Outcome.CRASH
    assert runs["a"].first_error == "SIGSEGV during locks_source"
    assert runs["a"].probes["copies"]["copies"] is False
    assert runs["b"].outcome is Outcome.OK


def test_timeout_is_its_own_case_s() -> None:
    runs = parse(IMPORTED, *case("a", timed_out=True), *case("b", CONVERTED, DONE),
                 symbols=("a", "b"))
    assert runs["a"].outcome is Outcome.TIMEOUT
    assert "during convert" in (runs["a"].first_error or "")
    assert runs["b"].outcome is Outcome.OK


def test_a_child_exiting_without_done_is_a_run_error() -> None:
    run = parse(IMPORTED, *case("a", CONVERTED, "Traceback...", "SystemError: bad", code=1))
    assert run["a"].outcome is Outcome.RUN_ERROR and run["a"].first_error == "SystemError: bad"


def test_the_runner_dying_blames_the_running_case_and_leaves_the_rest_unreached() -> None:
    runs = parse(IMPORTED, *case("a", CONVERTED, DONE), *case("b", CONVERTED, ended=False),
                 symbols=("a", "b", "c"), returncode=-9)
    assert runs["a"].outcome is Outcome.OK
    assert runs["b"].outcome is Outcome.CRASH
    assert runs["b"].first_error == "the runner died during values_ok"
    assert "c" not in runs, "an unreached case is run again, not given another case's fate"


def test_outcome_classes() -> None:
    assert Outcome.NOT_POSSIBLE.could_not_be_tried and not Outcome.NOT_POSSIBLE.failed
    assert Outcome.ENV_ERROR.could_not_be_tried and not Outcome.ENV_ERROR.failed
    assert Outcome.CRASH.failed and Outcome.CYTHONIZE_ERROR.failed
    assert not Outcome.OK.failed


ASAN_UAF = ["==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000031a50 at pc"
            " 0x7f03683dce10 bp 0x7fff88216fd0 sp 0x7fff88216fc8",
            "READ of size 1 at 0x602000031a50 thread T0",
            "SUMMARY: AddressSanitizer: heap-use-after-free in __pyx_pw_target"]


def test_asan_at_the_read_after_the_resize_is_the_safety_verdict_not_a_failure() -> None:
    """Under ASan the runner reads through the target after a resize; a report there is what
    the read found (the record's ``sanitizer_read``), and the case still worked."""
    from matrix.model.records import Behaviour

    events = (CONVERTED, {"probe": "locks_source", "locks_source": False},
              {"probe": "moves", "moves": "dangles"}, {"kind": "reading"})
    ending = {"kind": "exit", "symbol": "a", "timed_out": False, "signal": None, "code": 1,
              "seconds": 0.25, "sanitizer": ASAN_UAF}
    run = parse(IMPORTED, {"kind": "case", "symbol": "a"}, *events, ending)["a"]
    assert run.outcome is Outcome.OK and run.first_error is None
    b = Behaviour.from_probes(run.probes)
    assert b.sanitizer_read == "heap-use-after-free"
    assert b.sanitizer_report == ("ERROR: AddressSanitizer: heap-use-after-free on address"
                                  " 0x602000031a50")
    assert "[AddressSanitizer] READ of size 1" in run.log
    clean = parse(IMPORTED, *case("a", *events, {"kind": "read"}, DONE))["a"]
    assert Behaviour.from_probes(clean.probes).sanitizer_read == "clean"


def test_asan_anywhere_else_is_a_memory_error_never_a_crash() -> None:
    ending = {"kind": "exit", "symbol": "a", "timed_out": False, "signal": None, "code": 1,
              "seconds": 0.25, "sanitizer": ["==7==ERROR: AddressSanitizer:"
                                             " stack-buffer-overflow on address 0x7ffd at pc 0x1"]}
    run = parse(IMPORTED, {"kind": "case", "symbol": "a"}, ending)["a"]
    assert run.outcome is Outcome.MEMORY_ERROR
    assert run.first_error == "AddressSanitizer: stack-buffer-overflow during convert"
