"""The run's estimate (:mod:`matrix.run.cost`) from a small store with known durations: a
record measured before is estimated by its own time, another by its case's median, an unknown
case by the median of all; untimed records count for nothing; the workers share the cells."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from matrix.model.outcomes import Outcome
from matrix.run.cost import Estimate, StoredTimes, duration_text, estimate
from matrix.store.results import ResultStore

from .test_store import make_record


def stored_times(tmp_path: Path) -> StoredTimes:
    """Two cells, two cases, written to a store and read back:

    ===========  ======  ======
    cell         case-a  case-b
    ===========  ======  ======
    cell-1       10 s    30 s
    cell-2       20 s    40 s (an older try: 99 s)
    cell-3       0 s (not possible: never timed)
    ===========  ======  ======
    """
    store = ResultStore.in_directory(tmp_path)
    times = [("k1", "case-a", "py3.11-cy3.2.4", 10.0, "2026-11-25T00:00:00Z"),
             ("k2", "case-b", "py3.11-cy3.2.4", 30.0, "2026-11-25T00:00:00Z"),
             ("k3", "case-a", "py3.12-cy3.2.4", 20.0, "2026-11-25T00:00:00Z"),
             ("k4", "case-b", "py3.12-cy3.2.4", 99.0, "2026-11-24T00:00:00Z"),
             ("k5", "case-b", "py3.12-cy3.2.4", 40.0, "2026-11-25T00:00:00Z"),
             ("k6", "case-a", "py3.13-cy3.2.4", 0.0, "2026-11-25T00:00:00Z")]
    store.append([replace(make_record(key, Outcome.OK if seconds else Outcome.NOT_POSSIBLE,
                                      case_id=case, cell_id=cell),
                          python=cell[2:6], duration_s=seconds, timestamp=at)
                  for key, case, cell, seconds, at in times])
    return StoredTimes.of(ResultStore.in_directory(tmp_path).records())


def test_each_record_is_estimated_from_the_nearest_measured_time(tmp_path: Path) -> None:
    times = stored_times(tmp_path)
    assert times.seconds("py3.12-cy3.2.4", "case-b") == 40.0, "its own newest time"
    assert times.seconds("py3.13-cy3.2.4", "case-a") == 15.0, "case-a's median (0 s untimed)"
    assert times.seconds("py3.13-cy3.2.4", "case-new") == 25.0, "the median of every record"
    assert times.per_cell == 50.0, "median of the cells' totals, 40 s and 60 s"


def test_the_workers_share_the_cells(tmp_path: Path) -> None:
    times = stored_times(tmp_path)
    todo = [("py3.12-cy3.2.4", ["case-a", "case-b"]),   # 20 + 40
            ("py3.13-cy3.2.4", ["case-a", "case-b"]),   # 15 + 35
            ("py3.14-cy3.2.4", ["case-c"])]             # 25
    found = estimate(todo, times, jobs=2)
    assert found.seconds == 67.5  # (60 + 50 + 25) / 2
    assert found.text() == (
        "estimate ~68 s on 2 jobs (this store's measured build and run times, median 50 s per"
        " cell; environments the cache lacks come on top, cached builds take less)")
    one_long_cell = estimate(todo[:1], times, jobs=4)
    assert one_long_cell.seconds == 60.0, "never less than the longest cell"


def test_nothing_timed_gives_no_estimate_and_nothing_to_do_says_so(tmp_path: Path) -> None:
    empty = StoredTimes.of(ResultStore.in_directory(tmp_path / "empty").records())
    assert estimate([("py3.12-cy3.2.4", ["case-a"])], empty, jobs=2).text() == (
        "no estimate: nothing measured yet to estimate from")
    assert Estimate(None, 2, None, 0).text() == "nothing to measure"


def test_duration_text_rounds_as_a_rough_figure() -> None:
    assert [duration_text(s) for s in (0.2, 41.4, 200.0, 5400.0)] == [
        "1 s", "41 s", "3 min", "1.5 h"]
