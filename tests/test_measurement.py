"""The measurement as a model value: which cases a cell holds, its keys and identities, and
their agreement with the records the engine writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from packaging.version import Version

from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.compilers import spec as compiler_spec
from matrix.model.interpreters import InterpreterId
from matrix.model.measurement import Identity, Measurement, identity_of, wanted
from matrix.model.outcomes import Outcome
from matrix.store.paths import PROJECT_ROOT

CASES = load_cases(PROJECT_ROOT / "cases")
CPYTHON = InterpreterId.from_measured("3.11", "3.11.7")


def measurement(cell: Cell, **host: object) -> Measurement:
    facts: dict[str, object] = dict(system_cc="gcc 12.2.0", runner_hash="r1",
                                    machine="Linux-x86_64", cflags=("-O0",), run_timeout_s=60.0)
    facts.update(host)
    return Measurement.of(cell, CPYTHON, CASES, **facts)  # type: ignore[arg-type]


def test_a_core_cell_holds_the_numpy_free_cases_and_a_numpy_cell_the_others() -> None:
    numpy_free = {c.id for c in CASES if not c.needs_numpy}
    assert numpy_free and len(numpy_free) < len(CASES)
    assert {c.id for c in wanted(Cell("3.11", "3.2.4"), CASES)} == numpy_free
    for cell in (Cell("3.11", "3.2.4", "1.26.4", "1.26.4"), Cell("3.11", "3.2.4", "1.26.4",
                                                                "2.1.3")):
        assert {c.id for c in wanted(cell, CASES)} == {c.id for c in CASES} - numpy_free
    assert [c.id for c in measurement(Cell("3.11", "3.2.4")).cases] == [
        c.id for c in CASES if c.id in numpy_free]


def test_the_identity_leaves_the_toolchain_out_and_the_key_does_not() -> None:
    case = next(c for c in CASES if not c.needs_numpy)
    cell = Cell("3.11", "3.2.4")
    here, image = measurement(cell), measurement(cell, system_cc="gcc 14.2.0",
                                                 machine="Linux-aarch64")
    assert here.identity(case) == image.identity(case)
    assert here.key(case) != image.key(case)
    slower = measurement(cell, run_timeout_s=120.0)
    assert slower.identity(case) != here.identity(case) and slower.key(case) != here.key(case)


def test_a_compilers_own_flags_are_added_once() -> None:
    cell = Cell("3.11", "3.2.4", compiler="gcc14-errors")
    assert measurement(cell).cflags == ("-O0", *compiler_spec("gcc14-errors").extra_flags)


def test_the_engines_record_has_the_measurements_key_and_identity(tmp_path: Path) -> None:
    """The engine stamps its records from the measurement, and a stored record gives the
    measurement back (:meth:`Measurement.of_record`): its key and identity agree."""
    from matrix.plan.grid import PlannedCell
    from matrix.plan.interpreters import Interpreter
    from matrix.run.engine import CellMeasurement, EngineSettings, Toolchain
    from matrix.store.paths import Layout

    case = next(c for c in CASES if c.needs_numpy)
    planned = PlannedCell(Cell("3.11", "3.2.4", "1.26.4", "2.1.3", "gcc14-errors"),
                          Interpreter(Version("3.11.7"), Path("/fake/python3.11")))
    settings = EngineSettings()
    engine = CellMeasurement(planned, [case], Layout(tmp_path, tmp_path, tmp_path), settings,
                             Toolchain("gcc 12.2.0", "r1", "Linux-x86_64"), servers=object())  # type: ignore[arg-type]
    record = engine.record(case, Outcome.OK, None, provenance=engine.provenance(None, None, None),
                           log="", duration_s=0.0)
    stated = Measurement.of_record(record)
    assert record.key == stated.key_for(record.case_hash) == stated.key(case)
    assert identity_of(record) == stated.identity(case) == engine.measurement.identity(case)
    assert isinstance(identity_of(record), Identity)
    moved = replace(record, provenance={**record.provenance, "run_timeout_s": 30.0})
    assert identity_of(moved) != engine.measurement.identity(case)
