"""Measure stored results again, from scratch: ``recheck`` and ``aa``.

* ``recheck`` re-measures every (case, cell) whose outcome or behaviour differs from the
  baseline (the report's diff: regressed, fixed, fails at another stage, behaviour changed),
  ``k`` times, so that a change is either *confirmed* (every re-measurement agrees with the new
  result) or *flaky* (they disagree) before anything is called a regression;
* ``aa`` re-measures a random sample of stored results, once each: the A/A figure, how often
  measuring the same thing again disagrees.

Every attempt is independent and from scratch: a fresh cache folder of its own (no generated
C, compiled module, canary digest or ``.pxd`` mirror is reused), with the stored record's
own run timeout and flags, so the re-measurement is the same measurement
(:func:`matrix.model.measurement.identity_of`, checked against the target's
:class:`~matrix.model.measurement.Measurement`).  Environments (exact releases installed by
:mod:`matrix.build.envs`) are shared; one that can no longer be created makes that attempt an
``env-error``, which the log keeps and the verdicts ignore.  Re-measurements go to the
:class:`matrix.model.checks.CheckLog`, never into the results store.
"""

from __future__ import annotations

import datetime
import random
import shutil
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from matrix.build.modules import BuildSettings
from matrix.model.cases import Case
from matrix.model.checks import Purpose, Remeasurement, signature
from matrix.model.compilers import base_cflags
from matrix.model.diff import CHECKABLE, Change, diff
from matrix.model.engines import ENGINE_VERSION
from matrix.model.measurement import identity_of
from matrix.model.records import Record, is_provisional
from matrix.model.selection import CaseInfo, select_current
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.grid import PlannedCell, plan_cell
from matrix.plan.index import ReleaseIndex
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain, measure_cell, measurement_of
from matrix.run.measure import result_or_harness_error
from matrix.run.pool import WorkerPool
from matrix.store.checklog import CheckLog
from matrix.store.paths import Layout

RECHECK_DIR = "rechecks"
"""Under the cache: each attempt's folder; only its logs are kept afterwards."""


@dataclass(frozen=True)
class Target:
    """A stored record to measure again, and the cell to measure it in."""

    record: Record
    case: Case
    planned: PlannedCell
    settings: EngineSettings
    """The run's settings with the record's own run timeout and flags."""


@dataclass(frozen=True)
class Skipped:
    """A stored record that cannot be re-measured here, and why (never a verdict on it)."""

    record: Record
    why: str


def run_id(purpose: Purpose) -> str:
    """``aa-20261125T103107Z``: names one check run in the log, and its folder (no ``:``: the
    folder ends up on ``PYTHONPATH``, where a colon would split it)."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{purpose.value}-{now}"


def plan_targets(records: Sequence[Record], cases: dict[str, Case],
                 interpreters: dict[str, Interpreter], index: ReleaseIndex,
                 settings: EngineSettings, toolchain: Toolchain
                 ) -> tuple[list[Target], list[Skipped]]:
    """How to measure each record again here, or why it cannot be."""
    targets, skipped = [], []
    for record in records:
        why = _cannot_remeasure(record, cases, interpreters, toolchain)
        if why is not None:
            skipped.append(Skipped(record, why))
            continue
        interpreter = interpreters[record.python]
        cell = record.cell
        planned = plan_cell(cell, interpreter, index, interpreters.values())
        if planned.not_possible is not None:
            skipped.append(Skipped(record, f"not possible here: {planned.not_possible}"))
            continue
        p = record.provenance
        cflags = base_cflags(record.compiler,
                             tuple(p.get("cflags") or BuildSettings().cflags))
        timeout = float(p.get("run_timeout_s") or TIMEOUTS.run)
        own = replace(settings, run_timeout_s=timeout,
                      build=replace(settings.build, cflags=cflags))
        case = cases[record.case_id]
        if measurement_of(planned, [case], own, toolchain).identity(case) != identity_of(record):
            skipped.append(Skipped(record, "this host would make another measurement of it"
                                   " (its flags or run timeout cannot be given here)"))
            continue
        targets.append(Target(record, case, planned, own))
    return targets, skipped


def _cannot_remeasure(record: Record, cases: dict[str, Case],
                      interpreters: dict[str, Interpreter], toolchain: Toolchain) -> str | None:
    case = cases.get(record.case_id)
    if case is None:
        return f"no case {record.case_id} any more"
    if case.content_hash != record.case_hash:
        return "the case's code changed since it was measured (run `python -m matrix run`)"
    if record.outcome.could_not_be_tried:
        return f"it was not tried ({record.outcome.value}): nothing to re-measure"
    engine = record.provenance.get("engine_version")
    if engine != ENGINE_VERSION:
        return (f"measured by engine version {engine}, this is {ENGINE_VERSION}"
                " (run `python -m matrix run`)")
    if record.provenance.get("runner_hash") != toolchain.runner_hash:
        return "measured with another in-environment runner (run `python -m matrix run`)"
    if record.python not in interpreters:
        return f"no Python {record.python} interpreter here"
    return None


@dataclass(frozen=True)
class Unit:
    """One attempt at one cell: the targets of that cell (same settings), measured together."""

    targets: tuple[Target, ...]
    attempt: int

    @property
    def name(self) -> str:
        return f"{self.targets[0].planned.cell.id}-{self.attempt}"


def units_of(targets: Sequence[Target], attempts: dict[str, int]) -> list[Unit]:
    """Attempts per cell: ``attempts`` maps a record key to the attempt numbers it needs."""
    by_cell: dict[tuple[object, ...], list[Target]] = {}
    for target in targets:
        same_cell = (target.planned.cell.id, target.settings.run_timeout_s,
                     target.settings.build.cflags)
        by_cell.setdefault(same_cell, []).append(target)
    units = []
    for group in by_cell.values():
        numbers = sorted({n for t in group for n in range(1, attempts.get(t.record.key, 0) + 1)})
        for number in numbers:
            chosen = tuple(t for t in group if attempts.get(t.record.key, 0) >= number)
            units.append(Unit(chosen, number))
    return units


def remeasure(planned: PlannedCell, cases: Sequence[Case], layout: Layout,
              settings: EngineSettings, toolchain: Toolchain, scratch: Path) -> list[Record]:
    """Measure ``cases`` in ``planned`` from scratch in ``scratch`` (module level: it is sent to
    a worker process).  Only the logs are kept; a record's ``log`` points at them."""
    if scratch.exists():
        shutil.rmtree(scratch)
    fresh = replace(layout, cache=scratch, shared_envs=layout.envs)
    try:
        records = measure_cell(planned, cases, fresh, settings, toolchain)
    finally:
        _keep_only_logs(scratch)
    prefix = scratch.relative_to(layout.cache)
    return [replace(r, log=str(prefix / r.log)) if r.log else r for r in records]


def _keep_only_logs(scratch: Path) -> None:
    """Drop an attempt's builds (hundreds of MB over a run); its logs stay for reading."""
    if not scratch.exists():
        return
    for child in scratch.iterdir():
        if child.name == "logs":
            continue
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink()


def run_units(units: Sequence[Unit], layout: Layout, toolchain: Toolchain, run: str,
              jobs: int) -> Iterator[tuple[Unit, list[Record]]]:
    """Measure every unit on ``jobs`` worker processes, yielding each as it finishes; a
    harness failure in one unit is that unit's ``env-error`` records."""
    def start(pool: ProcessPoolExecutor, unit: Unit) -> Future[list[Record]]:
        first = unit.targets[0]
        scratch = layout.cache / RECHECK_DIR / run / unit.name
        return pool.submit(remeasure, first.planned, [t.case for t in unit.targets], layout,
                           first.settings, toolchain, scratch)

    with WorkerPool(jobs) as workers:
        for unit, future in workers.as_finished(units, start):
            first = unit.targets[0]
            yield unit, result_or_harness_error(future, first.planned,
                                                [t.case for t in unit.targets], layout,
                                                first.settings, toolchain)


def remeasure_all(targets: Sequence[Target], attempts: dict[str, int], purpose: Purpose,
                  layout: Layout, toolchain: Toolchain, log: CheckLog, *, jobs: int,
                  selection: str = "", stream: TextIO = sys.stderr) -> list[Remeasurement]:
    """Measure ``targets`` again (``attempts``: how many times each, by record key), appending
    every re-measurement to ``log`` as its cell finishes (an interrupted run keeps them)."""
    run = run_id(purpose)
    units = units_of(targets, attempts)
    made: list[Remeasurement] = []
    stream.write(f"{purpose.value}: {len(targets)} stored results, {len(units)} cell"
                 f" measurements from scratch on {jobs} {'core' if jobs == 1 else 'cores'}\n")
    for done, (unit, records) in enumerate(run_units(units, layout, toolchain, run, jobs), 1):
        wanted = {t.case.id: t.record for t in unit.targets}
        entries = [Remeasurement(purpose, run, unit.attempt, wanted[r.case_id].key,
                                 signature(wanted[r.case_id]), r, selection)
                   for r in records if r.case_id in wanted]
        log.append(entries)
        made.extend(entries)
        flips = sum(1 for e in entries if e.flipped)
        stream.write(f"[{done}/{len(units)}] {unit.name}: {len(entries)} re-measured,"
                     f" {flips} disagree\n")
        stream.flush()
    return made


def aa_sample(records: Sequence[Record], size: int, seed: int) -> list[Record]:
    """``size`` stored results drawn at random (reproducibly from ``seed``) among those that
    were tried and are facts (:func:`matrix.model.records.is_provisional`)."""
    pool = sorted((r for r in records
                   if not r.outcome.could_not_be_tried and not is_provisional(r)),
                  key=lambda r: (r.case_id, r.cell_id, r.key))
    return random.Random(seed).sample(pool, min(size, len(pool)))


@dataclass(frozen=True)
class Changed:
    """A current record that differs from the baseline."""

    record: Record
    change: Change
    before: str
    """The baseline outcome."""


def changed_since(baseline: Sequence[Record], current: Sequence[Record],
                  cases: Sequence[Case]) -> list[Changed]:
    """The current records (one per cell, as the report picks them) whose result differs from
    the baseline's, in report order."""
    infos = [CaseInfo.from_case(case) for case in cases]
    shown = select_current(current, infos).records
    by_cell = {(r.case_id, r.cell_id): r for r in shown}
    changes = diff(baseline, shown, [c.id for c in infos]).changes
    return [Changed(by_cell[(c.case_id, c.cell_id)], c.change, c.before)
            for c in changes if c.change in CHECKABLE]
