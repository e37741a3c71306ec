"""Run a planned grid: skip what the store holds, measure the rest on every core, show progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TextIO

from matrix.build.envs import ensure_env, with_builds
from matrix.build.invariance import GeneratorChoice, Untriable, choose_generator
from matrix.model.buildsource import Build
from matrix.model.cases import Case
from matrix.model.errorline import stored_line
from matrix.model.measurement import Identity, Measurement
from matrix.model.outcomes import Outcome
from matrix.model.policy import Cause, Retry
from matrix.model.records import Record
from matrix.plan.grid import PlannedCell, holding
from matrix.plan.interpreters import Interpreter
from matrix.run.cost import StoredTimes, estimate
from matrix.run.engine import (
    CellMeasurement,
    EngineSettings,
    Toolchain,
    measure_cell,
    measurement_of,
)
from matrix.run.hygiene import Terminated
from matrix.run.pool import WorkerPool
from matrix.store.paths import Layout
from matrix.store.results import ResultStore


@dataclass
class RunSummary:
    planned: int = 0
    """The cells that hold at least one of the run's cases (the rest are not counted at all)."""
    not_applicable: int = 0
    """Cells given that hold none of the run's cases (a numpy cell, for numpy-free cases)."""
    skipped: int = 0
    measured: int = 0
    not_possible: int = 0
    records: int = 0
    failures: int = 0
    """The cases' own failures (controls and the toolchain's left out: :class:`Progress`)."""
    toolchain_failures: int = 0
    """Failures where the cell's control case fails at the same stage."""
    duration_s: float = 0.0
    interrupted: bool = False


def is_done(planned: PlannedCell, key: str, store: ResultStore) -> bool:
    """Already measured: stored as a fact (:mod:`matrix.model.policy`), not something a re-run
    should try again (the one rule: ``run`` and ``bisect`` ask it through
    :func:`missing_cases`)."""
    status = store.status(key)
    if status is None or status.provisional:
        return False
    decided_by_plan = status.decided_by == "plan"
    return not (decided_by_plan and planned.not_possible is None)  # a wheel exists now: try it


def measured_elsewhere(store: ResultStore) -> set[Identity]:
    """Identities of the facts the store holds, whatever toolchain measured them."""
    return store.fact_identities()


def missing_cases(planned: PlannedCell, measurement: Measurement, store: ResultStore,
                  elsewhere: set[Identity] | None = None) -> list[Case]:
    """The cases of ``measurement`` (``planned``'s) that the store does not hold yet; with
    ``elsewhere`` (see :func:`measured_elsewhere`), a fact another toolchain measured counts
    as held."""
    return [case for case in measurement.cases
            if not is_done(planned, measurement.key(case), store)
            and not (elsewhere is not None and measurement.identity(case) in elsewhere)]


def not_possible_records(planned: PlannedCell, cases: Sequence[Case], layout: Layout,
                         settings: EngineSettings, toolchain: Toolchain) -> list[Record]:
    measurement = CellMeasurement(planned, cases, layout, settings, toolchain)
    return measurement.untried(Outcome.NOT_POSSIBLE, planned.not_possible or "", "",
                               planned.not_possible_cause, decided_by="plan")


WARMUP_CELLS = 3
"""No ETA before this many cells (or one per worker, if more) have finished: the first cells
carry the run's one-time costs (environments created, the generator checks before them) and,
on several cores, all start at once; extrapolated from them, an ETA was 5x too long."""


class Progress:
    """One line per finished cell: done/total, the cases' own failures so far (apart from
    those where the cell's control fails at the same stage: the toolchain's), and a rough ETA.

    The ETA is extrapolated from the pace of the cells finished *after* the warm-up
    (:data:`WARMUP_CELLS`, or ``jobs`` if more); until then it says ``ETA not yet``.  It stays
    rough (``~``): cells differ (a numpy cell builds more than a core cell, a new Python's first
    cells create its environments)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, jobs: int = 1,
                 controls: frozenset[str] = frozenset()) -> None:
        self.total = total
        self.done = 0
        self.failures = 0
        """The cases' own failures so far."""
        self.toolchain_failures = 0
        """Failures where the cell's control case failed at the same stage: the toolchain
        builds nothing there (the report judges them so, :mod:`report.controls`)."""
        self.controls = controls
        """The ids of the control cases (``role = "control"``)."""
        self.start = time.monotonic()
        self.stream = stream
        self.warmup = max(WARMUP_CELLS, jobs)
        self.warm_at: float | None = None
        """When the last warm-up cell finished: the pace is measured from there."""

    def eta(self, now: float) -> str:
        if self.done == self.warmup:
            self.warm_at = now
        if self.done >= self.total:
            return "done"
        if self.warm_at is None or self.done <= self.warmup:
            return "ETA not yet"
        per_cell = (now - self.warm_at) / (self.done - self.warmup)
        return f"ETA ~{per_cell * (self.total - self.done) / 60:.1f} min (rough)"

    def cell_done(self, cell_id: str, records: Sequence[Record]) -> None:
        self.done += 1
        control_stages = {r.outcome for r in records
                          if r.case_id in self.controls and r.outcome.failed}
        for record in records:
            if not record.outcome.failed or record.case_id in self.controls:
                continue
            if record.outcome in control_stages:
                self.toolchain_failures += 1
            else:
                self.failures += 1
        now = time.monotonic()
        elapsed = now - self.start
        counts: dict[str, int] = {}
        for record in records:
            counts[record.outcome.value] = counts.get(record.outcome.value, 0) + 1
        summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
        self.stream.write(
            f"[{self.done}/{self.total}] {cell_id}: {summary} | failures so far {self.failures}"
            + (f" (and {self.toolchain_failures} where the control fails too)"
               if self.toolchain_failures else "")
            + f" | elapsed {elapsed / 60:.1f} min, {self.eta(now)}\n"
        )
        self.stream.flush()


def _choose(cython: str, planned: PlannedCell, members: Sequence[Interpreter], shipped: bool,
            cases: Sequence[Case], layout: Layout, retry: Retry,
            builds: tuple[Build, ...] = ()) -> GeneratorChoice | Untriable:
    """Worker side of :func:`choose_generators` (module level: it is sent to a process)."""
    return choose_generator(cython, planned.generators,
                            lambda spec: ensure_env(with_builds(spec, builds), layout.envs,
                                                    retry),
                            cases, None, layout.cache, members, shipped=shipped)


def class_text(choice: GeneratorChoice) -> str:
    """``2 generation classes: 3.8, ..., 3.13, 3.13t (under 3.13.0); 3.14, 3.15 (under
    3.14.10)``: one line of the run's output per Cython release."""
    parts = [f"{', '.join(c.members)} (under {c.generated_under})" for c in choice.classes]
    noun = "class" if len(choice.classes) == 1 else "classes"
    return f"{len(choice.classes)} generation {noun}: {'; '.join(parts)}"


def choose_generators(pool: ProcessPoolExecutor, todo: Sequence[tuple[PlannedCell, list[Case]]],
                      cases: Sequence[Case], layout: Layout, stream: TextIO,
                      retry: Retry, selection: Sequence[PlannedCell] = (),
                      builds: tuple[Build, ...] = ()
                      ) -> dict[str, GeneratorChoice | Untriable]:
    """Before any cell: for every Cython release to measure, its generation classes over the
    Pythons whose cells of the ``selection`` (default: those to measure) use it natively,
    checked on the run's numpy-free cases (or its numpy cases with the ``.pxd`` Cython bundles
    when it has no others), and its newest CPython.  The classes of one selection are the same
    whatever part of it a run measures (a shard, what the store lacks)."""
    first: dict[str, PlannedCell] = {}
    members: dict[str, dict[str, Interpreter]] = {}
    shipped: set[str] = set()
    for planned, _ in todo:
        first.setdefault(planned.cell.cython, planned)
        if planned.shipped_c is not None:
            shipped.add(planned.cell.cython)
    for planned in [*selection, *(planned for planned, _ in todo)]:
        cython = planned.cell.cython
        if cython in first and planned.shipped_c is None and planned.not_possible is None:
            members.setdefault(cython, {})[planned.interpreter.label] = planned.interpreter
    check = [c for c in cases if not c.needs_numpy] or list(cases)
    futures = {cython: pool.submit(_choose, cython, planned,
                                   tuple(members.get(cython, {}).values()), cython in shipped,
                                   check, layout, retry, builds)
               for cython, planned in first.items()}
    choices: dict[str, GeneratorChoice | Untriable] = {}
    for cython, future in futures.items():
        try:
            choice = future.result()
        except Exception as exc:  # noqa: BLE001 - the cells then decide on their own
            stream.write(f"Cython {cython}: choosing a generator failed ({exc}); each cell"
                         " tries again\n")
            continue
        choices[cython] = choice
        if isinstance(choice, GeneratorChoice):
            stream.write(f"Cython {cython}: {class_text(choice)}\n")
        else:
            stream.write(f"Cython {cython}: {choice.outcome.value}: {choice.reason}\n")
    return choices


def result_or_harness_error(future: Future[list[Record]], planned: PlannedCell,
                             cases: Sequence[Case], layout: Layout, settings: EngineSettings,
                             toolchain: Toolchain) -> list[Record]:
    """The cell's records; if the harness itself failed there (a bug, a full disk, a killed
    worker), ``env-error`` records naming the failure, retried by the next run."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - one cell's harness failure must not end the run
        measurement = CellMeasurement(planned, cases, layout, settings, toolchain)
        reason = f"harness error: {type(exc).__name__}: {exc}"
        return measurement.untried(Outcome.ENV_ERROR, stored_line(reason), reason, Cause.HARNESS)


@dataclass
class Triage:
    """A plan sorted against the store before anything is built: what applies, what is
    stored already, what is not possible (recorded without measuring), what to measure."""

    applicable: list[PlannedCell]
    """The cells that hold at least one of the run's cases."""
    not_applicable: int
    records: int
    """The records the applicable cells hold (every case of each, stored or not)."""
    skipped: int
    not_possible: list[tuple[PlannedCell, list[Case]]]
    todo: list[tuple[PlannedCell, list[Case]]]
    """The cells to measure, each with its cases the store lacks."""


def triage(cells: Sequence[PlannedCell], cases: Sequence[Case], store: ResultStore,
           settings: EngineSettings, toolchain: Toolchain, any_toolchain: bool = False
           ) -> Triage:
    """Sort ``cells`` against ``store`` (see :func:`missing_cases`); builds nothing."""
    applicable = holding(cells, cases)
    sorted_out = Triage(applicable, len(cells) - len(applicable), 0, 0, [], [])
    elsewhere = measured_elsewhere(store) if any_toolchain else None
    for planned in applicable:
        measurement = measurement_of(planned, cases, settings, toolchain)
        sorted_out.records += len(measurement.cases)
        missing = missing_cases(planned, measurement, store, elsewhere)
        if not missing:
            sorted_out.skipped += 1
        elif planned.not_possible is not None:
            sorted_out.not_possible.append((planned, missing))
        else:
            sorted_out.todo.append((planned, missing))
    return sorted_out


def plan_line(sorted_out: Triage, cases: Sequence[Case], jobs: int, store: ResultStore) -> str:
    """The plan's size and the estimate of measuring it (:mod:`matrix.run.cost`), one line:
    ``14 cells (378 records of 49 cases + 2 controls): 7 already measured, ...``."""
    controls = sum(1 for case in cases if case.is_control)
    left_out = (f", {sorted_out.not_applicable} more hold none of the selected cases"
                if sorted_out.not_applicable else "")
    to_measure = sum(len(missing) for _, missing in sorted_out.todo)
    todo = [(planned.cell.id, [case.id for case in missing])
            for planned, missing in sorted_out.todo]
    cost = estimate(todo, StoredTimes.of(store.records()), jobs) if todo else None
    return (
        f"{len(sorted_out.applicable)} cells ({sorted_out.records} records of"
        f" {len(cases) - controls} case{'' if len(cases) - controls == 1 else 's'} + {controls}"
        f" control{'' if controls == 1 else 's'}{left_out}):"
        f" {sorted_out.skipped} already measured, {len(sorted_out.not_possible)} not possible,"
        f" {len(sorted_out.todo)} to measure ({to_measure} records) on {jobs}"
        f" {'core' if jobs == 1 else 'cores'}; "
        + (cost.text() if cost is not None else "nothing to measure"))


def run_plan(
    cells: Sequence[PlannedCell],
    cases: Sequence[Case],
    layout: Layout,
    store: ResultStore,
    *,
    settings: EngineSettings,
    jobs: int = 2,
    stream: TextIO = sys.stderr,
    measure: Callable[..., list[Record]] = measure_cell,
    any_toolchain: bool = False,
    selection: Sequence[PlannedCell] = (),
) -> RunSummary:
    """Measure every planned cell the store does not already hold; records are appended as
    each cell finishes, so an interrupted run keeps everything finished so far.

    With ``any_toolchain``, a case the store holds as a fact measured by another toolchain
    (another compiler version, Python patch release or machine: a CI image) is not measured
    again here; without it, every toolchain measures everything for itself.  ``selection``
    (default: ``cells``) is the whole selection ``cells`` were taken from (before a shard or
    ``--new-releases``): the generation classes are measured over its Pythons."""
    start = time.monotonic()
    toolchain = Toolchain.detect(settings)
    sorted_out = triage(cells, cases, store, settings, toolchain, any_toolchain)
    applicable = sorted_out.applicable
    summary = RunSummary(planned=len(applicable), not_applicable=sorted_out.not_applicable,
                         skipped=sorted_out.skipped)
    stream.write(f"plan: {plan_line(sorted_out, cases, jobs, store)}\n")
    for planned, missing in sorted_out.not_possible:
        records = not_possible_records(planned, missing, layout, settings, toolchain)
        store.append(records)
        summary.not_possible += 1
        summary.records += len(records)
    todo = sorted_out.todo
    progress = Progress(len(todo), stream, jobs,
                        frozenset(case.id for case in cases if case.is_control))
    choices: dict[str, GeneratorChoice | Untriable] = {}

    def start_cell(pool: ProcessPoolExecutor, item: tuple[PlannedCell, list[Case]]
                   ) -> Future[list[Record]]:
        planned, missing = item
        return pool.submit(measure, planned, missing, layout, settings, toolchain,
                           choices.get(planned.cell.cython))

    classified = holding(selection, cases) or applicable
    try:
        with WorkerPool(jobs) as workers:
            choices.update(choose_generators(workers.executor, todo, cases, layout, stream,
                                             settings.retry, classified, settings.builds))
            for (planned, missing), future in workers.as_finished(todo, start_cell):
                records = result_or_harness_error(future, planned, missing, layout, settings,
                                                   toolchain)
                store.append(records)
                summary.measured += 1
                summary.records += len(records)
                progress.cell_done(planned.cell.id, records)
                summary.failures = progress.failures
                summary.toolchain_failures = progress.toolchain_failures
    except (KeyboardInterrupt, Terminated):
        summary.interrupted = True
        stream.write("interrupted: finished cells are stored; run again to resume\n")
    summary.duration_s = time.monotonic() - start
    return summary
