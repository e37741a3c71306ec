"""The grid runner without builds: a harness failure in one cell becomes that cell's env-error."""

from __future__ import annotations

import io
from pathlib import Path

from packaging.version import Version

from matrix.model.cases import Case, load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.model.policy import Retry
from matrix.model.records import Behaviour, Record
from matrix.plan.grid import PlannedCell
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain
from matrix.store.paths import Layout
from matrix.store.results import ResultStore

from .conftest import FIXTURES

INTERPRETER = Interpreter(Version("3.11.7"), Path("/fake/python3.11"))
QUICK = EngineSettings(retry=Retry((0.01, 0.01)))
"""The engine's settings with the pauses before a retry cut short (the policy's own are 5 s
and 30 s: a harness failure waited them out, 18 s of this file's time)."""


def fake_measure(planned: PlannedCell, cases: list[Case], layout: Layout,
                 settings: EngineSettings, toolchain: Toolchain, choice: object) -> list[Record]:
    """Pretends to measure (runs in a spawned worker, so it lives at module level)."""
    if planned.cell.cython == "3.1.8":
        raise OSError(28, "No space left on device")
    from matrix.run.engine import CellMeasurement

    measurement = CellMeasurement(planned, cases, layout, settings, toolchain)
    return [measurement.record(case, Outcome.OK, None, behaviour=Behaviour(values_ok=True),
                               provenance={}, log="", duration_s=0.1)
            for case in measurement.cases]


def test_a_harness_failure_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    from matrix.run.measure import run_plan

    layout = Layout(cases=FIXTURES / "cases", cache=tmp_path / "cache",
                    results=tmp_path / "results")
    cases = [c for c in load_cases(layout.cases) if c.id in ("fixture-aliases", "fixture-copies")]
    cells = [PlannedCell(Cell("3.11", v), INTERPRETER) for v in ("3.0.12", "3.1.8", "3.2.4")]
    store = ResultStore.in_directory(layout.results)
    stream = io.StringIO()
    summary = run_plan(cells, cases, layout, store, settings=QUICK, jobs=2,
                       stream=stream, measure=fake_measure)
    assert summary.measured == 3 and not summary.interrupted
    by_cell = {(r.cell_id, r.case_id): r for r in store.records()}
    assert len(by_cell) == 6
    failed = by_cell[("py3.11-cy3.1.8", "fixture-aliases")]
    assert failed.outcome is Outcome.ENV_ERROR
    assert failed.first_error == "harness error: OSError: [Errno 28] No space left on device"
    assert by_cell[("py3.11-cy3.2.4", "fixture-copies")].outcome is Outcome.OK
    assert "[3/3]" in stream.getvalue()
    # env-error is provisional (matrix.policy): the next run tries exactly that cell again.
    again = run_plan(cells, cases, layout, store, settings=QUICK, jobs=1,
                     stream=io.StringIO(), measure=fake_measure)
    assert again.skipped == 2 and again.measured == 1


def test_another_toolchains_fact_counts_as_held_only_with_any_toolchain(tmp_path: Path) -> None:
    from matrix.model.policy import Cause
    from matrix.run.engine import CellMeasurement, measurement_of
    from matrix.run.measure import measured_elsewhere, missing_cases

    layout = Layout(cases=FIXTURES / "cases", cache=tmp_path / "cache",
                    results=tmp_path / "results")
    cases = [c for c in load_cases(layout.cases) if c.id in ("fixture-aliases", "fixture-copies")]
    planned = PlannedCell(Cell("3.11", "3.2.4"), INTERPRETER)
    settings = EngineSettings()
    image = Toolchain("gcc 14.2.0", "runner1", "Linux-x86_64")
    local = Toolchain("gcc 12.2.0", "runner1", "Linux-x86_64")
    measured = CellMeasurement(planned, cases, layout, settings, image)
    store = ResultStore.in_directory(layout.results)
    store.append([measured.record(cases[0], Outcome.OK, None,
                                  provenance=measured.provenance(None, None, None),
                                  log="", duration_s=0.1),
                  measured.record(cases[1], Outcome.ENV_ERROR, "index unreachable",
                                  provenance=measured.provenance(None, None, None),
                                  log="", duration_s=0.0, cause=Cause.NETWORK)])
    here = measurement_of(planned, cases, settings, local)
    own = missing_cases(planned, here, store)
    assert [c.id for c in own] == ["fixture-aliases", "fixture-copies"]
    reused = missing_cases(planned, here, store, measured_elsewhere(store))
    assert [c.id for c in reused] == ["fixture-copies"], "a provisional record is never reused"
    other_timeout = measurement_of(planned, cases, EngineSettings(run_timeout_s=30.0), local)
    assert len(missing_cases(planned, other_timeout, store,
                             measured_elsewhere(store))) == 2, "the timeout is not a toolchain"
