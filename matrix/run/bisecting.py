"""``bisect``'s steps: each cell measured as the run measures it, skipping what the store holds
as a fact (the run's own rule, :func:`matrix.run.measure.missing_cases`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from matrix.model.cases import Case
from matrix.model.records import Record
from matrix.plan.grid import PlannedCell
from matrix.run.engine import EngineSettings, Toolchain, measure_cell, measurement_of
from matrix.run.measure import missing_cases
from matrix.store.paths import Layout
from matrix.store.results import ResultStore


def step_text(record: Record) -> str:
    """A bisection step's outcome, saying when it was measured with shipped C."""
    return record.outcome.value + (" (shipped C)" if record.shipped_c is not None else "")


@dataclass
class BisectSteps:
    """Measures ``case`` in the cells a bisection visits, and the control cases beside it (built
    alone, as in the grid: a cell the bisection adds has its toolchain baseline like every
    other); what it measures is appended to ``store``."""

    case: Case
    controls: Sequence[Case]
    store: ResultStore
    layout: Layout
    settings: EngineSettings
    toolchain: Toolchain
    stream: TextIO | None = None
    measure: Callable[..., list[Record]] | None = None
    """How a cell's missing cases are measured (default: :func:`matrix.run.engine.
    measure_cell`)."""

    def step(self, planned: PlannedCell) -> list[Record]:
        """The case's record in ``planned``: the stored one if it is already measured, else
        measured now (with whatever else of the cell the store lacks)."""
        measurement = measurement_of(planned, [self.case, *self.controls], self.settings,
                                     self.toolchain)
        missing = missing_cases(planned, measurement, self.store)
        measure = self.measure or measure_cell
        records = (measure(planned, missing, self.layout, self.settings, self.toolchain)
                   if missing else [])
        self.store.append(records)
        fresh = self.case in missing
        mine = (next(r for r in records if r.case_id == self.case.id) if fresh
                else self.store.get(measurement.key(self.case)))
        assert mine is not None
        print(f"  {planned.cell.id}: {step_text(mine)}{'' if fresh else ' (stored)'}",
              file=self.stream or sys.stderr)
        return [mine]
