"""The hostile cases of tests/fixtures/hostile/, each doing one hostile thing, built by Cython and
measured end to end by ``python -m matrix run`` on one cell: each gets its honest outcome, and
the checkout and the machine are left as they were (no file changed, no process left).

The runner-level twin of this test, without builds and on Python 2.7 too, is
``tests/test_runner_hostile.py``."""

from __future__ import annotations

import os
import uuid

import pytest

from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python
from .test_grid_real import run_matrix
from .test_hygiene_real import processes_with

pytestmark = pytest.mark.slow

TIMEOUT_S = "3"


def _checkout() -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in PROJECT_ROOT.iterdir()}


@pytest.fixture(scope="module")
def measured(interpreters: object, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, Record]:
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    tmp = tmp_path_factory.mktemp("hostile")
    token = f"mm-hostile-{uuid.uuid4().hex}"
    before = _checkout()
    os.environ["MM_HOSTILE_TEST"] = token  # every process the run starts carries it
    try:
        run_matrix(tmp / "cache", "run", "--offline", "--cases", str(FIXTURES / "hostile"),
                   "--python", "3.11", "--cython", "3.2.9", "--no-abi", "--compiler", "gcc",
                   "--jobs", "1", "--timeout", TIMEOUT_S, "--retry-delays", "0",
                   "--results", str(tmp / "results"))
    finally:
        del os.environ["MM_HOSTILE_TEST"]
    assert _checkout() == before, "a case changed the checkout"
    assert processes_with(token) == [], "a process the run started is still there"
    return {r.case_id: r for r in ResultStore(tmp / "results").records()}


def test_a_hang_after_a_fake_protocol_line_is_a_timeout(measured: dict[str, Record]) -> None:
    record = measured["hostile-prints-then-hangs"]
    assert record.outcome is Outcome.TIMEOUT
    assert (record.first_error or "").startswith(f"timed out after {TIMEOUT_S}s during convert")


def test_a_crash_after_half_a_line_keeps_its_signal(measured: dict[str, Record]) -> None:
    record = measured["hostile-prints-then-crashes"]
    assert (record.outcome, record.first_error) == (Outcome.CRASH, "SIGSEGV during convert")


def test_50_mb_of_output_is_cut_and_the_record_says_so(measured: dict[str, Record]) -> None:
    record = measured["hostile-prints-50-mb"]
    assert record.outcome is Outcome.OK
    assert record.provenance["output_cut"] == "52428800 bytes printed, 65536 kept"


def test_a_case_that_deletes_its_folder_works_in_its_own(measured: dict[str, Record]) -> None:
    assert measured["hostile-deletes-its-folder"].outcome is Outcome.OK


def test_a_child_left_behind_changes_nothing(measured: dict[str, Record]) -> None:
    assert measured["hostile-leaves-a-child"].outcome is Outcome.OK


def test_a_hang_at_import_is_the_module_s_own_timeout(measured: dict[str, Record]) -> None:
    record = measured["hostile-hangs-at-import"]
    assert record.outcome is Outcome.TIMEOUT
    assert f"timed out after {TIMEOUT_S}s during import" in (record.first_error or "")
    others = [r for case_id, r in measured.items() if case_id != "hostile-hangs-at-import"]
    assert all("during import" not in (r.first_error or "") for r in others), (
        "the import hang is blamed on its own module, not on its batch mates")
