"""Probes that tell the truth: the real runner, on 2.7 and a current Python, drives plain-Python
case classes whose probe methods misbehave the ways real cases did (cases/README.md, "The
probe contract"), and the host classifies its output as the engine does."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from matrix.build.envs import RUNNER
from matrix.model.outcomes import Outcome
from matrix.model.records import Behaviour
from matrix.plan.interpreters import Interpreter
from matrix.run.explain import probe_events, probe_fields
from matrix.run.probe import CaseRun, parse_runner_output

from .conftest import need_python

CASES = textwrap.dedent('''
    class Base(object):
        def __init__(self):
            self.data = [1, 2, 3]
            self.view = self.data          # an alias
        def source(self):
            return list(self.data)
        def target(self):
            return list(self.view)
        def mutate_source(self):
            self.data[0] = 9
        def write_target(self):
            self.view[1] = 7

    class not_a_refusal(Base):
        """Python 2.7 + Cython 0.29: the write failed for a reason that is not read-only."""
        def write_target(self):
            raise TypeError("'int' does not have the buffer interface")

    class refused_read_only(Base):
        def write_target(self):
            raise TypeError("Cannot assign to read-only memoryview")

    class refused_by_numpy(Base):
        def write_target(self):
            raise ValueError("assignment destination is read-only")

    class refused_immutable(Base):
        def write_target(self):
            raise TypeError("'bytes' object does not support item assignment")

    class refused_buffer(Base):
        def write_target(self):
            raise BufferError("the exporter refuses writes")

    class write_changed_nothing(Base):
        def write_target(self):
            pass

    class python_not_implemented(Base):
        """Python 2.7's memoryview.tolist() on a non-byte view, inside target()."""
        def target(self):
            raise NotImplementedError("memoryview: format i not supported")

    class case_cannot_tell(Base):
        def resize_source(self):
            raise NotImplementedError("cannot tell: the control refuses to resize too")

    class resize_refused_otherwise(Base):
        def resize_source(self):
            raise ValueError("cannot resize an array that references another array")

    class resize_locked(Base):
        def resize_source(self):
            raise BufferError("Existing exports of data: object cannot be re-sized")

    class addresses_broken(Base):
        def addresses(self):
            raise AttributeError("no buffer")

    class conversion_fails(Base):
        def __init__(self):
            raise ValueError("Buffer dtype mismatch")

    class Moving(Base):
        """Addresses as a pointer case reports them: the source's storage, the target's."""
        def __init__(self):
            Base.__init__(self)
            self.source_at = self.target_at = 4096
        def addresses(self):
            return self.source_at, self.target_at

    class moves_dangles(Moving):
        def resize_source(self):
            self.source_at = 8192          # reallocated; the pointer kept the old address

    class moves_follows(Moving):
        def resize_source(self):
            self.source_at = self.target_at = 8192

    class moves_stayed(Moving):
        def resize_source(self):
            pass                            # grown in place: nothing moved

    class moves_copy(Moving):
        def __init__(self):
            Moving.__init__(self)
            self.target_at = 65536          # a copy elsewhere
        def resize_source(self):
            self.source_at = 8192

    class moves_locked(Moving):
        def resize_source(self):
            raise BufferError("Existing exports of data: object cannot be re-sized")
    ''')

SYMBOLS = ("not_a_refusal", "refused_read_only", "refused_by_numpy", "refused_immutable",
           "refused_buffer", "write_changed_nothing", "python_not_implemented",
           "case_cannot_tell", "resize_refused_otherwise", "resize_locked", "addresses_broken",
           "conversion_fails", "moves_dangles", "moves_follows", "moves_stayed", "moves_copy",
           "moves_locked")


@pytest.fixture(scope="module", params=["2.7", "3.11"])
def runs(request: pytest.FixtureRequest, interpreters: dict[str, Interpreter],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseRun]:
    interpreter = need_python(interpreters, request.param)
    folder = tmp_path_factory.mktemp(f"probes-{request.param}")
    (folder / "mm_probe_cases.py").write_text(CASES)
    done = subprocess.run([str(interpreter.path), str(RUNNER), "run", str(folder),
                           "mm_probe_cases", "30", *SYMBOLS], capture_output=True, text=True,
                          timeout=120, check=True)
    return parse_runner_output(done.stdout, SYMBOLS, timed_out=False, returncode=0,
                               duration_s=1.0, transcript=done.stdout)


def behaviour(run: CaseRun) -> Behaviour:
    assert run.outcome is Outcome.OK, (run.outcome, run.first_error)
    return Behaviour.from_probes(run.probes)


def test_a_write_refused_for_another_reason_is_not_read_only(runs: dict[str, CaseRun]) -> None:
    b = behaviour(runs["not_a_refusal"])
    assert b.readonly is None
    assert b.readonly_detail == ("cannot tell: error in the probe: write_target() raised"
                                 " TypeError: 'int' does not have the buffer interface")
    assert b.probe_errors == ("readonly: write_target() raised TypeError: 'int' does not have"
                              " the buffer interface",)


@pytest.mark.parametrize("symbol", ["refused_read_only", "refused_by_numpy",
                                    "refused_immutable", "refused_buffer"])
def test_a_read_only_refusal_is_read_only(runs: dict[str, CaseRun], symbol: str) -> None:
    b = behaviour(runs[symbol])
    assert b.readonly is True and not b.probe_errors
    assert b.copies is False  # the other probes still measured


def test_a_write_that_changed_nothing_is_not_called_read_only(runs: dict[str, CaseRun]) -> None:
    b = behaviour(runs["write_changed_nothing"])
    assert b.readonly is None
    assert b.readonly_detail == ("cannot tell: write_target() raised nothing but changed"
                                 " nothing")


def test_a_failing_probe_method_is_the_probe_s_result_not_a_run_error(
        runs: dict[str, CaseRun]) -> None:
    run = runs["python_not_implemented"]
    b = behaviour(run)
    assert b.values_ok is None and b.copies is None and b.readonly is None
    error = "target() raised NotImplementedError: memoryview: format i not supported"
    assert b.probe_errors == (f"values_ok: {error}", f"copies: {error}", f"readonly: {error}")
    assert run.probes["copies"]["mutation"] == f"cannot tell: error in the probe: {error}"
    fields = probe_fields(b, probe_events(run.log))
    assert f"values_ok=? (cannot tell: error in the probe: {error})" in fields
    assert f"copies=? (cannot tell: error in the probe: {error})" in fields


def test_the_case_s_own_cannot_tell_is_told_apart_from_an_error(
        runs: dict[str, CaseRun]) -> None:
    own = behaviour(runs["case_cannot_tell"])
    assert own.locks_source is None and not own.probe_errors
    assert own.locks_detail == "cannot tell: the control refuses to resize too"
    other = behaviour(runs["resize_refused_otherwise"])
    assert other.locks_source is None
    assert other.locks_detail == ("cannot tell: error in the probe: resize_source() raised"
                                  " ValueError: cannot resize an array that references another"
                                  " array")
    assert behaviour(runs["resize_locked"]).locks_source is True


def test_a_broken_address_probe_leaves_the_mutation_evidence(runs: dict[str, CaseRun]) -> None:
    run = runs["addresses_broken"]
    b = behaviour(run)
    assert b.copies is False and b.copies_evidence == ("mutation",)
    assert b.probe_errors == ("copies: addresses() raised AttributeError: no buffer",)


def test_only_the_conversion_fails_a_case(runs: dict[str, CaseRun]) -> None:
    run = runs["conversion_fails"]
    assert run.outcome is Outcome.RUN_ERROR
    assert run.first_error == "convert: ValueError: Buffer dtype mismatch"
    assert {symbol for symbol, r in runs.items() if r.outcome is not Outcome.OK} == {
        "conversion_fails"}


def test_the_moves_probe_tells_a_dangling_target_from_one_that_follows(
        runs: dict[str, CaseRun]) -> None:
    """After a resize that took place, the addresses again: the source moved and the target
    kept the old one (dangles), both moved (follows), nothing moved (could not tell), the target
    was never at the source (a copy: nothing to dangle); a locked source is no move at all."""
    from matrix.model.safety import Safety, behaviour_safety

    dangles = behaviour(runs["moves_dangles"])
    assert dangles.locks_source is False and dangles.moves == "dangles"
    assert behaviour_safety(dangles).safety is Safety.DANGLES
    assert behaviour(runs["moves_follows"]).moves == "follows"
    assert behaviour_safety(behaviour(runs["moves_follows"])).safety is Safety.SAFE
    stayed = behaviour(runs["moves_stayed"])
    assert stayed.moves is None
    assert stayed.moves_detail == "cannot tell: the resize left the source's data where it was"
    assert behaviour_safety(stayed).safety is Safety.CANNOT_TELL
    copy = behaviour(runs["moves_copy"])
    assert copy.moves is None and copy.moves_detail == (
        "cannot tell: the target was not at the source's address before the resize")
    locked = behaviour(runs["moves_locked"])
    assert locked.locks_source is True and locked.moves_detail == "no resize took place"
    assert behaviour_safety(locked).safety is Safety.SAFE
    # Without a sanitizer the runner never reads through the target after the resize.
    assert "reading" not in runs["moves_dangles"].log
    assert dangles.sanitizer_read is None


def test_probe_errors_survive_the_record_round_trip() -> None:
    from matrix.model.records import Record
    from tests.test_store import make_record  # noqa: PLC0415 -- the store tests' record maker

    record = make_record("k1")
    assert "probe_errors" not in record.to_json()["behaviour"]  # old records keep their bytes
    with_errors = Record.from_json({**record.to_json(), "behaviour": {
        **record.to_json()["behaviour"], "probe_errors": ["copies: target() raised X"]}})
    assert with_errors.behaviour.probe_errors == ("copies: target() raised X",)
    assert with_errors.to_json()["behaviour"]["probe_errors"] == ["copies: target() raised X"]


def test_the_runner_contract_is_documented() -> None:
    readme = (Path(__file__).parents[1] / "cases" / "README.md").read_text(encoding="utf-8")
    assert 'NotImplementedError("cannot tell: why")' in readme
    assert "error in the probe" in readme
