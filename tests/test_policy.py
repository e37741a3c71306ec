"""The outcome policy: one table, consulted everywhere, shown in docs/measuring.md."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matrix.build.procs import Completed
from matrix.build.tools import process_verdict
from matrix.model.outcomes import Outcome
from matrix.model.policy import (
    POLICY,
    Cause,
    Fate,
    Retry,
    markdown_table,
    rule,
)
from matrix.model.records import is_provisional
from matrix.store.paths import PROJECT_ROOT

from .test_store import make_record


def completed(returncode: int | None, output: str = "", timed_out: bool = False) -> Completed:
    return Completed(("gcc",), returncode, output, 1.0, timed_out)


def test_every_outcome_has_a_rule_and_untried_outcomes_are_never_facts_of_a_case() -> None:
    assert {outcome for outcome, _ in POLICY} == set(Outcome)
    for (outcome, cause), found in POLICY.items():
        if outcome is Outcome.ENV_ERROR or outcome is Outcome.TIMEOUT:
            assert found.fate is Fate.PROVISIONAL, (outcome, cause)
            assert not found.build_cached, (outcome, cause)
        assert found.attempts >= 1


@pytest.mark.parametrize(("done", "verdict"), [
    (completed(0), (Outcome.OK, Cause.REPORTED)),
    (completed(1, "x.c:3:1: error: unknown type name"), (Outcome.CC_ERROR, Cause.REPORTED)),
    (completed(-9), (Outcome.ENV_ERROR, Cause.TOOL_KILLED)),
    (completed(1, "gcc: fatal error: Killed signal terminated program cc1"),
     (Outcome.ENV_ERROR, Cause.TOOL_KILLED)),
    (completed(None, timed_out=True), (Outcome.TIMEOUT, Cause.BUILD_TIMEOUT)),
], ids=["ok", "reported", "sigkill", "oom-killed-cc1", "timeout"])
def test_a_build_tool_run_is_judged_by_how_it_ended(done: Completed,
                                                    verdict: tuple[Outcome, Cause]) -> None:
    assert process_verdict(done, Outcome.CC_ERROR) == verdict


def test_retry_tries_a_transient_cause_as_often_as_the_rule_says() -> None:
    pauses: list[float] = []
    retry = Retry((1.0, 2.0), sleep=pauses.append)
    calls = iter([(Outcome.ENV_ERROR, Cause.NETWORK)] * 5)
    result, tries = retry.run(lambda: next(calls), lambda verdict: verdict)
    assert result == (Outcome.ENV_ERROR, Cause.NETWORK)
    assert tries == rule(Outcome.ENV_ERROR, Cause.NETWORK).attempts == 3
    assert pauses == [1.0, 2.0]


def test_retry_stops_at_the_first_lasting_answer() -> None:
    pauses: list[float] = []
    answers = iter([(Outcome.ENV_ERROR, Cause.TOOL_KILLED), (Outcome.CC_ERROR, Cause.REPORTED)])
    result, tries = Retry((0.5,), sleep=pauses.append).run(lambda: next(answers), lambda v: v)
    assert (result, tries, pauses) == ((Outcome.CC_ERROR, Cause.REPORTED), 2, [0.5])


def test_provisional_records_are_measured_again() -> None:
    ok = make_record("k")
    assert not is_provisional(ok)
    killed = replace(ok, outcome=Outcome.ENV_ERROR,
                     provenance={"cause": Cause.TOOL_KILLED.value})
    assert is_provisional(killed) and killed.cause is Cause.TOOL_KILLED
    assert is_provisional(replace(ok, outcome=Outcome.TIMEOUT, provenance={}))
    assert not is_provisional(replace(ok, outcome=Outcome.NOT_POSSIBLE, provenance={}))


def test_the_docs_show_the_policy_table() -> None:
    page = (PROJECT_ROOT / "docs" / "measuring.md").read_text(encoding="utf-8")
    assert markdown_table() in page, "docs/measuring.md's outcome policy table is out of date"


def test_a_record_carries_its_cause_as_a_typed_field() -> None:
    from tests.fixtures.report.factory import rec

    assert rec("a", "3.12", "3.1.8", "timeout").cause is Cause.RUN_TIMEOUT  # from before causes
    assert rec("a", "3.12", "3.1.8", "run-error").cause is Cause.REPORTED
    stored = rec("a", "3.12", "3.1.8", "env-error", provenance={"cause": Cause.NETWORK.value})
    assert stored.cause is Cause.NETWORK
