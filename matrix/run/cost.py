"""What a run will cost, estimated before it starts from the times the store measured.

Every stored record carries ``duration_s``: its share of its module's generation and
compilation plus its own run (:meth:`matrix.run.engine.CellMeasurement.record`; a build the
cache served keeps the seconds it first took).  A record to measure is estimated from the same
(cell, case) measured before (a provisional record, another engine version's), else from the
median of its case's records, else from the median of all records; records that were never
timed (``0``: not possible, could not be tried) count for nothing.  What no record holds is
not guessed: creating the environments the cache lacks (a Python with a Cython and a numpy)
comes on top, and builds a warm build cache holds take less.  Nothing here is a constant made
up in code: with no timed record in the store there is no estimate.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matrix.model.records import Record


@dataclass(frozen=True)
class StoredTimes:
    """The seconds a store measured: per (cell id, case id), per case, and per cell."""

    by_record: Mapping[tuple[str, str], float]
    """The newest timed record of each (cell id, case id)."""
    by_case: Mapping[str, float]
    """The median of each case's timed records."""
    overall: float | None
    """The median of every timed record (``None``: nothing was timed)."""
    per_cell: float | None
    """The median of a cell's total (its timed records summed), what the line quotes."""

    @classmethod
    def of(cls, records: Iterable[Record]) -> StoredTimes:
        newest: dict[tuple[str, str], Record] = {}
        for record in records:
            if record.duration_s <= 0:
                continue
            pair = (record.cell_id, record.case_id)
            if pair not in newest or record.timestamp > newest[pair].timestamp:
                newest[pair] = record
        cases: dict[str, list[float]] = defaultdict(list)
        cells: dict[str, float] = defaultdict(float)
        for (cell_id, case_id), record in newest.items():
            cases[case_id].append(record.duration_s)
            cells[cell_id] += record.duration_s
        return cls(
            by_record={pair: record.duration_s for pair, record in newest.items()},
            by_case={case_id: statistics.median(times) for case_id, times in cases.items()},
            overall=statistics.median(r.duration_s for r in newest.values()) if newest else None,
            per_cell=statistics.median(cells.values()) if cells else None,
        )

    def seconds(self, cell_id: str, case_id: str) -> float | None:
        """The estimate of one record to measure (``None``: nothing timed to go by)."""
        found = self.by_record.get((cell_id, case_id))
        if found is not None:
            return found
        return self.by_case.get(case_id, self.overall)


@dataclass(frozen=True)
class Estimate:
    """The wall-clock estimate of the cells to measure."""

    seconds: float | None
    """``None``: the store timed nothing to estimate from."""
    jobs: int
    per_cell: float | None
    cells: int
    """The cells to measure."""

    def text(self) -> str:
        """``estimate ~3 min on 2 jobs (...)``: the end of the plan's line."""
        if self.cells == 0:
            return "nothing to measure"
        if self.seconds is None or self.per_cell is None:
            return "no estimate: nothing measured yet to estimate from"
        jobs = f"{self.jobs} {'job' if self.jobs == 1 else 'jobs'}"
        return (f"estimate ~{duration_text(self.seconds)} on {jobs} (this store's measured"
                f" build and run times, median {duration_text(self.per_cell)} per cell;"
                " environments the cache lacks come on top, cached builds take less)")


def estimate(todo: Sequence[tuple[str, Sequence[str]]], times: StoredTimes, jobs: int
             ) -> Estimate:
    """The estimate of measuring ``todo`` (each cell's id and the ids of its cases to measure)
    on ``jobs`` workers: the cells' seconds shared among the workers, never less than the
    longest cell."""
    if times.overall is None:
        return Estimate(None, jobs, None, len(todo))
    cells = [sum(times.seconds(cell_id, case_id) or 0.0 for case_id in case_ids)
             for cell_id, case_ids in todo]
    wall = max(sum(cells) / max(jobs, 1), max(cells, default=0.0))
    return Estimate(wall, jobs, times.per_cell, len(todo))


def duration_text(seconds: float) -> str:
    """``40 s``, ``3 min``, ``1.5 h``: rounded as a rough figure is."""
    if seconds < 90:
        return f"{max(round(seconds), 1)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"
