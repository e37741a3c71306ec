"""report.background: work in a forked process gives what it gives here, errors included; and
the report composed with it is the report composed without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matrix.model.errors import MatrixError, ResultsFileError
from report.background import BackgroundError, can_fork, standby, start

FIXTURE = Path(__file__).parent / "fixtures" / "report"


@pytest.fixture
def forking() -> None:
    if not can_fork():
        if os.environ.get("CI"):
            pytest.fail("CI: this runner cannot fork or has one core; the forked path is untested")
        pytest.skip("fork is not available here, or there is one core")


def test_the_work_runs_in_another_process_and_its_value_comes_back(forking: None) -> None:
    pending = start(lambda: (os.getpid(), [1, "two", {"three": 3.0}]))
    pid, value = pending.result()
    assert pid != os.getpid()
    assert value == [1, "two", {"three": 3.0}]
    assert pending.result()[1] is value  # asked twice: the same value, not a second run


def test_without_fork_the_work_waits_until_asked(tmp_path: Path) -> None:
    ran: list[int] = []
    pending = start(lambda: ran.append(os.getpid()) or len(ran), fork=False)
    assert ran == []
    assert pending.result() == 1 and ran == [os.getpid()]


def _bad_store() -> None:
    raise ResultsFileError(Path("results/cp311/records.jsonl"), 7, "not a valid record: x")


def test_a_matrix_error_comes_back_as_one_with_its_message(forking: None) -> None:
    """ResultsFileError does not survive pickling (its arguments are three, its ``args`` one):
    the parent still gets a MatrixError (``error: ...``, exit 2) with the file and line."""
    with pytest.raises(MatrixError, match=r"^results/cp311/records\.jsonl:7: not a valid record"):
        start(_bad_store).result()


def test_an_ordinary_exception_comes_back_as_itself(forking: None) -> None:
    with pytest.raises(KeyError, match="missing"):
        start(lambda: {}["missing"]).result()


def test_a_process_that_dies_is_an_error_naming_its_exit_status(forking: None) -> None:
    with pytest.raises(BackgroundError, match=r"died \(exit status 3\)"):
        start(lambda: os._exit(3)).result()


def test_a_result_that_does_not_pickle_is_an_error(forking: None) -> None:
    with pytest.raises(BackgroundError, match="could not be sent back"):
        start(lambda: (lambda: None)).result()


def test_compose_gives_the_same_report_with_and_without_a_background(forking: None) -> None:
    from matrix.model.cases import load_cases
    from matrix.model.selection import CaseInfo
    from matrix.store.results import ResultStore
    from report.compose import compose
    from report.publish import render_files

    records = ResultStore(FIXTURE / "records.jsonl").records()
    baseline = ResultStore(FIXTURE / "baseline.jsonl").records()
    cases = [CaseInfo.from_case(c) for c in load_cases(FIXTURE / "cases")]
    here = compose(records, cases, baseline, background=False)
    forked = compose(records, cases, lambda: baseline, background=True)
    assert forked == here
    assert render_files(forked) == render_files(here)


def test_a_baseline_that_cannot_be_read_fails_compose_with_its_error(forking: None) -> None:
    from matrix.model.cases import load_cases
    from matrix.model.selection import CaseInfo
    from matrix.store.results import ResultStore
    from report.compose import compose

    records = ResultStore(FIXTURE / "records.jsonl").records()
    cases = [CaseInfo.from_case(c) for c in load_cases(FIXTURE / "cases")]
    with pytest.raises(MatrixError, match=r"records\.jsonl:7: not a valid record"):
        compose(records, cases, _bad_store, background=True)


def _pid_and_double(number: int) -> tuple[int, int]:
    return os.getpid(), 2 * number


def test_a_standby_process_prepares_then_works_on_what_it_is_given(forking: None) -> None:
    prepared: list[int] = []
    waiting = standby(_pid_and_double, lambda: prepared.append(1))
    with pytest.raises(RuntimeError, match="given nothing"):
        waiting.result()
    waiting.give(21)
    pid, value = waiting.result()
    assert (pid != os.getpid(), value) == (True, 42)
    assert prepared == []  # prepared over there, not here
    with pytest.raises(RuntimeError, match="one argument"):
        waiting.give(1)


def test_without_fork_a_standby_works_here_when_asked() -> None:
    waiting = standby(_pid_and_double, lambda: None, fork=False)
    waiting.give(4)
    assert waiting.result() == (os.getpid(), 8)
