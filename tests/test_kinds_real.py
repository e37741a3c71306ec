"""Other interpreter kinds, for real: the fixture cases built and run on PyPy, and on a
free-threaded CPython with and without ``freethreading_compatible`` (Cython 3.2.9).

PyPy must be here under ``CI`` (the nox tests session installs Debian's); a free-threaded
CPython is used when present (``../shared/tools/provision-python 3.13t``) and its absence is
reported as a skip that says so."""

from __future__ import annotations

import pytest

from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain, measure_cell
from matrix.store.paths import PROJECT_ROOT, Layout

from .conftest import FIXTURES, missing_prerequisite, need_python, planned

pytestmark = pytest.mark.slow
CYTHON = "3.2.9"


def _measure(interpreter: Interpreter, cases_dir: str, root: object, python_3: Interpreter,
             case_ids: set[str]) -> dict[str, Record]:
    from pathlib import Path

    folder = FIXTURES / cases_dir
    layout = Layout(cases=folder, cache=Path(str(root)) / "cache",
                    results=Path(str(root)) / "results",
                    shared_envs=PROJECT_ROOT / ".cache" / "envs")
    settings = EngineSettings(run_timeout_s=30)
    cases = [c for c in load_cases(folder) if c.id in case_ids]
    cell = Cell(interpreter.label, CYTHON)
    found = measure_cell(planned(cell, interpreter, (python_3,)), cases, layout, settings,
                         Toolchain.detect(settings))
    return {record.case_id: record for record in found}


@pytest.fixture(scope="module")
def pypy(interpreters: dict[str, Interpreter],
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Record]:
    found = [i for label, i in interpreters.items() if label.startswith("pypy")]
    if not found:
        missing_prerequisite("no PyPy (pypy3.X) on this machine")
    return _measure(found[-1], "cases", tmp_path_factory.mktemp("pypy"),
                    need_python(interpreters, "3.11"),
                    {"fixture-aliases", "fixture-copies", "fixture-run-error"})


def test_pypy_builds_runs_and_names_itself(pypy: dict[str, Record]) -> None:
    aliases = pypy["fixture-aliases"]
    assert aliases.outcome is Outcome.OK, aliases.first_error
    assert aliases.python.startswith("pypy") and aliases.cell_id.startswith("pp3.")
    assert aliases.provenance["implementation_version"].startswith("7.3.")
    # Alone (as `try` measures it), the cell's Python is classified by itself: its C is its own
    # class's, generated under PyPy, and the record names the class.
    assert aliases.provenance["c_generation"] == "class"
    generation = aliases.provenance["c_class"]
    assert generation["members"] == [aliases.python] and generation["generator"] == aliases.python
    assert aliases.provenance["generated_under"] == aliases.provenance["python_version"]
    assert aliases.behaviour.gil_enabled is None  # not a free-threaded build
    assert pypy["fixture-run-error"].outcome is Outcome.RUN_ERROR


def test_pypy_measures_its_own_semantics(pypy: dict[str, Record]) -> None:
    """PyPy's cpyext hands out the bytearray's storage, but does not refuse a resize while a
    typed memoryview holds it (CPython raises BufferError): a measured difference."""
    aliases, copies = pypy["fixture-aliases"].behaviour, pypy["fixture-copies"].behaviour
    assert aliases.copies is False and copies.copies is True
    assert aliases.locks_source is False


@pytest.fixture(scope="module")
def free_threaded(interpreters: dict[str, Interpreter],
                  tmp_path_factory: pytest.TempPathFactory) -> dict[str, Record]:
    found = [i for i in interpreters.values() if i.kind.free_threaded]
    if not found:
        pytest.skip("no free-threaded CPython (python3.13t) on this machine: the GIL-at-import"
                    " measurement is not tested here (../shared/tools/provision-python 3.13t)")
    return _measure(found[-1], "options_cases", tmp_path_factory.mktemp("ft"),
                    need_python(interpreters, "3.11"), {"opt-plain", "opt-freethreading"})


def test_free_threaded_records_whether_the_import_re_enabled_the_gil(
        free_threaded: dict[str, Record]) -> None:
    plain, declared = free_threaded["opt-plain"], free_threaded["opt-freethreading"]
    assert plain.outcome is Outcome.OK and declared.outcome is Outcome.OK
    assert plain.behaviour.gil_enabled is True
    assert declared.behaviour.gil_enabled is False
    assert plain.cell_id.startswith("py3.13t-") and plain.python.endswith("t")
