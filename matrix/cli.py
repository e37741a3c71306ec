"""Command line: ``python -m matrix <command>``.

  run       measure the selected grid (default: the whole default grid) into the results store
  list      print the planned cells (``--json`` for CI fan-out)
  try       measure one cell and print what every case did (for case authors; stores nothing)
  bisect    find the first Cython/numpy release where a case's outcome changes
  recheck   re-measure from scratch, k times, every result that differs from the baseline:
            confirmed or flaky (re-measurements go to results/rechecks.jsonl)
  aa        re-measure a random sample of stored results from scratch: how many flip
  merge     combine stores (or record files) from several machines (shards) into one store
  compact   move superseded records out of the store into an archive: the current state stays
  restore   put records back from an archive or a git ref (a publication's tag)
  publish   merge CI shards' stores into the store, compact, name the baseline (the workflow)
  snapshot  refresh the committed offline snapshot of the package index
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from packaging.version import Version

from matrix.model.cases import Case, load_cases
from matrix.model.cells import Cell
from matrix.model.checks import CHECKS_FILE, Judgement, Purpose, aa_figures, checks_of
from matrix.model.compilers import COMPILERS, DEFAULT_COMPILER
from matrix.model.compilers import spec as compiler_spec
from matrix.model.errors import MatrixError, SelectionError, UnknownVersionError, dispatch
from matrix.model.interpreters import axis_value, python_matches
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, DEFAULT_RUN_TIMEOUT_S, Retry, is_provisional
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, select_current
from matrix.model.storeformat import (
    ARCHIVE_SUFFIX,
    LEGACY_RECORDS_FILE,
    STORE_FILE,
    load_results,
    named_baseline,
    repository_for,
    resolve_commit,
)
from matrix.plan.bisect import BisectRange, bisect
from matrix.plan.grid import (
    Plan,
    PlannedCell,
    Selection,
    final_releases,
    no_interpreter,
    plan_cell,
    plan_grid,
    require_releases,
    select_pythons,
    split_items,
    uncovered_releases,
)
from matrix.plan.index import ReleaseIndex, load_index, write_snapshot
from matrix.plan.interpreters import Interpreter, discover_interpreters
from matrix.plan.shard import Shard, merge_stores
from matrix.run import explain
from matrix.run.engine import CellMeasurement, EngineSettings, Toolchain
from matrix.run.hygiene import SUPERVISED_ENV, Terminated, die_with_parent, supervise
from matrix.run.measure import run_plan
from matrix.store.checklog import CheckLog
from matrix.store.compaction import Compaction, compact, read_log_archive, restore, restore_log
from matrix.store.migrate import migrate_file
from matrix.store.paths import Layout
from matrix.store.results import LayeredStore, ResultStore
from matrix.trust.recheck import Target, aa_sample, changed_since, plan_targets, remeasure_all


def _verdict(record: Record, events: explain.Events | None = None) -> str:
    """What ``try`` prints for a record: labelled probe fields (``events``, the run's probe
    events, say why an unknown ``copies`` is unknown), or ``outcome: first error``."""
    text = _outcome_text(record, events)
    if record.shipped_c is not None and not record.outcome.could_not_be_tried:
        under = record.provenance.get("generated_under", "?")
        text += f"  (shipped C generated under Python {under}: {record.shipped_c})"
    return text


def _outcome_text(record: Record, events: explain.Events | None = None) -> str:
    if record.outcome is not Outcome.OK:
        return f"{record.outcome.value}: {record.first_error}"
    return explain.probe_fields(record.behaviour, events)


def _tried_lines(record: Record, layout: Layout, cases: dict[str, Case],
                 seen: explain.RunsSeen, settings: EngineSettings) -> list[str]:
    """``try -v`` under a record's line: the probe evidence; for a failure, the log without
    the runner's protocol lines, how the run ended and what it printed, and the traceback of
    a run or import error; for an error inside a probe, its traceback (the case run again,
    for display)."""
    case = cases[record.case_id]
    log_path = layout.cache / record.log if record.log else None
    log = log_path.read_text(encoding="utf-8") if log_path and log_path.is_file() else ""
    run = seen.runs.get(case.symbol)
    events = explain.probe_events(run.log if run is not None else log)
    ran = (not run.at_import) if run is not None else bool(events)
    lines = explain.evidence_lines(record, events, ran=ran)
    sources = {f"{c.id}.pyx": c.code for c in cases.values()}
    if record.outcome.failed:
        traceback = None
        place = seen.places.get(case.symbol)
        if place is not None and record.outcome in (Outcome.RUN_ERROR, Outcome.IMPORT_ERROR):
            traceback = explain.replay_traceback(place, case.symbol,
                                                 settings.run_timeout_s + 60, sources)
        lines += explain.failure_lines(record, log, log_path, run, traceback)
    elif record.behaviour.probe_errors and case.symbol in seen.places:
        lines += explain.probe_error_lines(explain.replay_traceback(
            seen.places[case.symbol], case.symbol, settings.run_timeout_s + 60, sources))
    return [f"    {line}" for line in lines]


def selected_cases(layout: Layout, patterns: Sequence[str] | None) -> list[Case]:
    cases = load_cases(layout.cases)
    if patterns is None:
        return cases
    chosen = [c for c in cases if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)]
    if not chosen:
        raise SelectionError(f"--case {','.join(patterns)}: matches no case in {layout.cases}")
    return chosen


def _items(value: str | None, flag: str) -> tuple[str, ...] | None:
    return None if value is None else split_items(value, flag)


def selection_from(args: argparse.Namespace) -> Selection:
    return Selection(
        python=_items(args.python, "--python"),
        cython=_items(args.cython, "--cython"),
        numpy=_items(args.numpy, "--numpy"),
        cells=_items(args.cell, "--cell"),
        abi=not args.no_abi,
        quick=args.quick,
        compilers=_items(args.compiler, "--compiler"),
    )


def make_plan(args: argparse.Namespace, layout: Layout) -> Plan:
    """The selected grid; a selection that plans no cell is an error naming the flag."""
    index = load_index(layout.cache / "index", offline=args.offline)
    for note in index.notes:
        print(f"note: {note}", file=sys.stderr)
    interpreters = discover_interpreters()
    selection = selection_from(args)
    plan = plan_grid(interpreters, index, selection)
    if not plan.cells:
        raise why_nothing_planned(interpreters, index, selection)
    return plan


def why_nothing_planned(interpreters: dict[str, Interpreter], index: ReleaseIndex,
                        selection: Selection) -> MatrixError:
    """The error for a selection that plans no cell, naming the flag that emptied it: no
    interpreter for any ``--python`` item, or a ``--cell`` that matches none of the cells the
    other flags select (unknown releases and compilers are errors while planning)."""
    if selection.python is not None and not select_pythons(interpreters, selection.python,
                                                           Plan()):
        return no_interpreter(",".join(selection.python), interpreters)
    if selection.cells is not None:
        others = plan_grid(interpreters, index, replace(selection, cells=None)).cells
        return SelectionError(f"--cell {','.join(selection.cells)}: matches none of the"
                              f" {len(others)} cells the other flags select")
    return SelectionError("the selection plans no cell")


def new_release_cells(cells: list[PlannedCell], store: ResultStore) -> list[PlannedCell]:
    """Only the cells of Cython/numpy releases (and Python minors) the stored results do not
    cover yet."""
    records = store.records()
    covered_cython = {r.cython for r in records}
    covered_numpy = {v for r in records for v in (r.numpy_build, r.numpy_run) if v is not None}
    covered_python = {r.python for r in records}
    return uncovered_releases(cells, covered_cython, covered_numpy, covered_python)


def require_held(cells: Sequence[Cell], cases: Sequence[Case], case_flag: str | None) -> None:
    """Some cell holds one of ``cases`` (core cells the numpy-free ones, numpy cells the numpy
    ones), or an error naming ``--case`` (``case_flag``, its value): the check ``run`` and
    ``list`` make (:func:`narrow`), for any command given cells and cases."""
    if not any(cell.wants(case) for cell in cells for case in cases):
        flag = f"--case {case_flag}" if case_flag else "the cases"
        raise SelectionError(
            f"{flag}: none of the {len(cells)} planned cells holds these cases (numpy-free"
            " cases are measured in core cells, numpy cases in numpy cells)")


def narrow(cells: list[PlannedCell], args: argparse.Namespace, results: Path,
           cases: Sequence[Case], store: ResultStore | None = None) -> list[PlannedCell]:
    """Keep the cells that hold one of ``cases`` (a core cell the numpy-free ones, a numpy cell
    the numpy ones), then apply ``--new-releases`` (against the store in ``results``) and
    ``--shard``.  Cases that no planned cell holds are an error naming ``--case``; nothing new,
    or a shard with no cell, is not (a note says so): ``run`` then measures nothing."""
    shard = Shard.parse(args.shard) if args.shard else None
    held = [p for p in cells if any(p.cell.wants(case) for case in cases)]
    if cells:
        require_held([p.cell for p in cells], cases, args.case)
    if len(held) < len(cells):
        print(f"note: {len(cells) - len(held)} of the {len(cells)} planned cells hold none of"
              " the selected cases: left out", file=sys.stderr)
    cells = held
    if args.new_releases and cells:
        cells = new_release_cells(cells, store or results_store(results, args))
        if not cells:
            print("note: --new-releases: the stored results cover every Cython, numpy and"
                  " Python of the selection: nothing new", file=sys.stderr)
    if shard is not None and cells:
        part = shard.select(cells)
        if not part:
            print(f"note: --shard {args.shard}: this part of the selection holds no cell (of"
                  f" {len(cells)})", file=sys.stderr)
        cells = part
    return cells


PUBLICATION_TAG_PREFIX = "results-"
"""Each publication is a git tag ``results-YYYY-MM-DD`` (the workflow makes it): the baseline
of the next one."""


def cmd_list(args: argparse.Namespace) -> int:
    layout = _results_layout(args)
    cases = selected_cases(layout, _items(args.case, "--case"))
    plan = make_plan(args, layout)
    plan.cells = narrow(plan.cells, args, layout.results, cases)
    if args.json:
        print(json.dumps([
            {"id": p.cell.id, "kind": p.cell.kind, **p.cell.to_json(),
             "not_possible": p.not_possible, "shipped_c": p.shipped_c}
            for p in plan.cells
        ], indent=1))
        return 0
    for note in plan.not_tested:
        print(f"# {note}")
    for planned in plan.cells:
        if planned.not_possible:
            suffix = f"  (not possible: {planned.not_possible})"
        elif planned.shipped_c:
            generator = planned.generators[0].version if planned.generators else "?"
            suffix = f"  (shipped C, generated under Python {generator}: {planned.shipped_c})"
        else:
            suffix = ""
        print(f"{planned.cell.id}{suffix}")
    print(f"# {len(plan.cells)} cells", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    layout = Layout.default()
    layout = Layout(
        cases=Path(args.cases) if args.cases else layout.cases,
        cache=layout.cache,
        results=Path(args.results) if args.results else layout.results,
        shared_envs=layout.shared_envs,
    )
    cases = selected_cases(layout, _items(args.case, "--case"))
    plan = make_plan(args, layout)
    for note in plan.not_tested:
        print(f"note: {note}", file=sys.stderr)
    selection = plan.cells
    store = results_store(layout.results, args)
    plan.cells = narrow(plan.cells, args, layout.results, cases, store)
    settings = engine_settings(args)
    summary = run_plan(plan.cells, cases, layout, store, settings=settings, jobs=args.jobs,
                       any_toolchain=args.any_toolchain, selection=selection)
    if summary.records:  # nothing appended: the file is as compact as the last run left it
        store.tidy()
    if summary.interrupted:  # its one line is printed: "interrupted: ..."
        return 130
    print(
        f"{summary.planned} cells: {summary.measured} measured, {summary.skipped} already in the "
        f"store, {summary.not_possible} not possible; {summary.records} records written, "
        f"{summary.failures} case failures; {summary.duration_s:.0f}s -> {store.path}",
        file=sys.stderr,
    )
    return 0


def results_store(results: Path, args: argparse.Namespace) -> ResultStore:
    """The store measured into; with ``--held``, read-only stores whose records count as
    measured too (a CI shard measures into an empty folder and uploads only what it
    measured)."""
    held = [Path(p) for p in (getattr(args, "held", None) or [])]
    for path in held:
        if not path.exists():
            raise MatrixError(f"--held {path}: no such results folder or file")
    if not held:
        return ResultStore.in_directory(results)
    return LayeredStore(results, [ResultStore(path) for path in held])


def cmd_try(args: argparse.Namespace) -> int:
    layout = Layout.default()
    if args.cases:
        layout = replace(layout, cases=Path(args.cases))
    patterns = _items(args.case, "--case")
    cases = selected_cases(layout, patterns)
    interpreters = discover_interpreters()
    args.python = _axis_value(args.python)
    interpreter = interpreters.get(args.python)
    if interpreter is None:
        raise UnknownVersionError(
            f"--python {args.python}: no such interpreter here (found: {', '.join(interpreters)})"
        )
    settings = engine_settings(args)
    toolchain = Toolchain.detect(settings)
    index = load_index(layout.cache / "index", offline=args.offline)
    require_releases(index, cython=args.cython, numpy=args.numpy, numpy_run=args.numpy_run)
    if args.numpy is None:
        cases = _core_cases(patterns, cases, index, interpreter)
    by_id = {case.id: case for case in cases}
    compiler = compiler_spec(args.compiler).id
    cells = [Cell(args.python, args.cython, compiler=compiler)]
    if args.numpy:
        cells.append(Cell(args.python, args.cython, args.numpy, args.numpy_run or args.numpy,
                          compiler))
    for cell in cells:
        planned = plan_cell(cell, interpreter, index, interpreters.values())
        if planned.not_possible is not None:
            print(f"{cell.id:32} not possible: {planned.not_possible}")
            continue
        seen = explain.RunsSeen()
        measurement = CellMeasurement(planned, cases, layout, settings, toolchain,
                                      run_module=seen)
        for record in measurement.measure():
            run = seen.runs.get(by_id[record.case_id].symbol)
            events = explain.probe_events(run.log) if run is not None else None
            print(f"{cell.id:32} {record.case_id:44} {_verdict(record, events)}", flush=True)
            if args.verbose:
                for line in _tried_lines(record, layout, by_id, seen, settings):
                    print(line)
    return 0


def _core_cases(patterns: Sequence[str] | None, cases: list[Case], index: ReleaseIndex,
                interpreter: Interpreter) -> list[Case]:
    """``try`` without ``--numpy`` measures the core cell only: a ``--case`` pattern that
    names only numpy cases is an error naming the flag; numpy cases a broader selection picked
    up are left out, with a note saying so."""
    numpy_cases = [case for case in cases if case.needs_numpy]
    if not numpy_cases:
        return cases
    wheels = [v for v in final_releases(index, "numpy", Version("0"))
              if index.installable("numpy", str(v), interpreter.id) is None]
    hint = "give --numpy" + (f" (e.g. --numpy {max(wheels)}, the newest with a wheel for"
                             f" Python {interpreter.label})" if wheels else "")
    needing = {case.id for case in numpy_cases}
    for pattern in patterns or ():
        hits = [case.id for case in cases if fnmatch.fnmatchcase(case.id, pattern)]
        if hits and set(hits) <= needing:
            raise SelectionError(f"--case {pattern}: {', '.join(hits)}"
                                 f" need{'s' if len(hits) == 1 else ''} numpy: {hint}")
    left_out = (f"the {len(numpy_cases)} numpy cases" if patterns is None
                else ", ".join(case.id for case in numpy_cases))
    print(f"note: {left_out} left out (measured in numpy cells): {hint}", file=sys.stderr)
    return [case for case in cases if not case.needs_numpy]


def cmd_bisect(args: argparse.Namespace) -> int:
    layout = _results_layout(args)
    every_case = load_cases(layout.cases)
    case = next((c for c in every_case if c.id == args.case), None)
    if case is None:
        raise SelectionError(f"--case {args.case}: no such case in {layout.cases}")
    controls = [c for c in every_case if c.role == "control" and c.id != case.id]
    ranges = [(axis, value) for axis, value in
              (("cython", args.cython), ("numpy", args.numpy), ("numpy_run", args.numpy_run))
              if value and ".." in value]
    if len(ranges) != 1:
        raise SelectionError("give exactly one range A..B, e.g. --cython 0.27.3..0.28.6")
    span = BisectRange.parse(*ranges[0])
    if (args.numpy is None) == case.needs_numpy:
        raise SelectionError(f"--numpy is {'needed' if case.needs_numpy else 'not used'} for"
                             f" case {case.id}")
    low = str(span.low)
    base = Cell(args.python, low if span.axis == "cython" else args.cython,
                low if span.axis == "numpy" else args.numpy,
                low if span.axis != "cython" else (args.numpy_run or args.numpy),
                compiler_spec(args.compiler).id)
    if base.cython is None or ".." in base.cython:
        raise SelectionError("--cython is required (a release, or the range to bisect)")
    interpreters = discover_interpreters()
    args.python = _axis_value(args.python)
    interpreter = interpreters.get(args.python)
    if interpreter is None:
        raise UnknownVersionError(
            f"--python {args.python}: no such interpreter here (found: {', '.join(interpreters)})"
        )
    index = load_index(layout.cache / "index", offline=args.offline)
    require_releases(index, cython=args.cython, numpy=args.numpy, numpy_run=args.numpy_run)
    settings = engine_settings(args)
    toolchain = Toolchain.detect(settings)
    store = ResultStore.in_directory(layout.results)

    def why_not(cell: Cell) -> str | None:  # what try and the grid measure, shipped C too
        return plan_cell(cell, interpreter, index, interpreters.values()).not_possible

    def measure(cell: Cell) -> list[Record]:
        """The case in ``cell``, and the cell's control case beside it (built alone, as in
        the grid): a cell the bisection adds has its toolchain baseline like every other."""
        planned = plan_cell(cell, interpreter, index, interpreters.values())
        wanted = CellMeasurement(planned, [case, *controls], layout, settings, toolchain)
        held = {c.id: store.get(wanted.key(c)) for c in wanted.cases}
        missing = [c for c in wanted.cases if (found := held[c.id]) is None
                   or is_provisional(found)]
        records = (CellMeasurement(planned, missing, layout, settings, toolchain).measure()
                   if missing else [])
        store.append(records)
        mine = next(r for r in records if r.case_id == case.id) if case in missing else held[
            case.id]
        assert mine is not None
        print(f"  {cell.id}: {_bisect_step(mine)}{'' if case in missing else ' (stored)'}",
              file=sys.stderr)
        return [mine]

    result = bisect(base, span, case.id, index, interpreter.id, measure, why_not)
    store.tidy()
    for version, why in result.skipped:
        print(f"skipped {version}: {why}")
    changed = result.first_changed or ""
    print(f"{case.id} on Python {args.python}: last {result.steps[0][1]} at {span.axis}"
          f" {result.last_same}; first different at {changed}"
          f" ({dict(result.steps).get(changed, '?')})")
    print(f"reproduce with: {result.reproduce}")
    return 0


def _bisect_step(record: Record) -> str:
    """A bisection step's outcome, saying when it was measured with shipped C."""
    return record.outcome.value + (" (shipped C)" if record.shipped_c is not None else "")


def _results_layout(args: argparse.Namespace) -> Layout:
    layout = Layout.default()
    if args.results:
        layout = replace(layout, results=Path(args.results))
    return replace(layout, cases=Path(args.cases)) if args.cases else layout


def _axis_value(text: str) -> str:
    """``--python`` of one cell (try, bisect): an axis value or a build identifier."""
    try:
        return axis_value(text)
    except ValueError as exc:
        raise UnknownVersionError(f"--python {text}: {exc}") from None


def _matching(patterns: Sequence[str], values: Sequence[str], flag: str, where: str,
              matches: Callable[[str, str], bool] = fnmatch.fnmatchcase) -> set[str]:
    """The values any pattern matches (``matches(value, pattern)``); a pattern that matches
    none is an error naming it."""
    chosen: set[str] = set()
    for pattern in patterns:
        hits = {v for v in values if matches(v, pattern)}
        if not hits:
            raise SelectionError(f"{flag} {pattern}: matches no {where}")
        chosen |= hits
    return chosen


def _check_targets(args: argparse.Namespace, layout: Layout, records: Sequence[Record],
                   cases: Sequence[Case]) -> tuple[list[Target], ToolchainContext]:
    context = ToolchainContext.make(args, layout)
    targets, skipped = plan_targets(records, {c.id: c for c in cases}, context.interpreters,
                                    context.index, context.settings, context.toolchain)
    for item in skipped:
        print(f"not re-measured here: {item.record.case_id} {item.record.cell_id}: {item.why}",
              file=sys.stderr)
    return targets, context


@dataclass(frozen=True)
class ToolchainContext:
    """What re-measuring needs from this machine."""

    interpreters: dict[str, Interpreter]
    index: ReleaseIndex
    settings: EngineSettings
    toolchain: Toolchain

    @classmethod
    def make(cls, args: argparse.Namespace, layout: Layout) -> ToolchainContext:
        settings = engine_settings(args)
        return cls(discover_interpreters(),
                   load_index(layout.cache / "index", offline=args.offline),
                   settings, Toolchain.detect(settings))


def _selected_records(args: argparse.Namespace, records: Sequence[Record],
                      cases: Sequence[Case], store: ResultStore) -> list[Record]:
    """``--case``/``--cell``/``--python`` applied to ``records``; a pattern that names no case,
    no cell or no Python of the store is an error naming it."""
    chosen = list(records)
    stored = store.records()
    store_path = store.path
    if args.case is not None:
        ids = _matching(split_items(args.case, "--case"), [c.id for c in cases], "--case",
                        f"case in {args.cases or 'cases/'}")
        chosen = [r for r in chosen if r.case_id in ids]
    if args.cell is not None:
        cells = _matching(split_items(args.cell, "--cell"),
                          sorted({r.cell_id for r in stored}),
                          "--cell", f"stored cell in {store_path}")
        chosen = [r for r in chosen if r.cell_id in cells]
    if args.python is not None:
        pythons = _matching(split_items(args.python, "--python"),
                            sorted({r.python for r in stored}),
                            "--python", f"Python of the results in {store_path}",
                            matches=python_matches)
        chosen = [r for r in chosen if r.python in pythons]
    return chosen


def cmd_recheck(args: argparse.Namespace) -> int:
    layout = _results_layout(args)
    store = ResultStore.in_directory(layout.results)
    if args.baseline:
        baseline_name, baseline = args.baseline, load_results(args.baseline, layout.results)
    else:
        named = named_baseline(layout.results)
        if named is None:
            raise MatrixError(f"{layout.results / STORE_FILE}: names no baseline to re-check"
                              " the results against (pass --baseline PATH|REF)")
        baseline_name, baseline = named
    cases = load_cases(layout.cases)
    log = CheckLog(layout.results / CHECKS_FILE)
    changed = changed_since(baseline, store.records(), cases)
    chosen = {r.key for r in _selected_records(args, [c.record for c in changed], cases, store)}
    changed = [c for c in changed if c.record.key in chosen]
    known = checks_of([c.record for c in changed], log.entries())
    needed: dict[str, int] = {}
    for item in changed:
        check = known.get((item.record.case_id, item.record.cell_id))
        done = 0 if check is None else check.remeasured
        if check is None or check.judgement is not Judgement.FLAKY:
            needed[item.record.key] = max(0, args.attempts - done)
    todo = [c.record for c in changed if needed.get(c.record.key)]
    print(f"{len(changed)} results differ from {baseline_name}; {len(todo)} need re-measuring"
          f" ({args.attempts} times each, from scratch)", file=sys.stderr)
    if todo:
        targets, context = _check_targets(args, layout, todo, cases)
        remeasure_all(targets, needed, Purpose.RECHECK, layout, context.toolchain, log,
                      jobs=args.jobs)
    checks = checks_of([c.record for c in changed], log.entries())
    counts = {judgement: 0 for judgement in Judgement}
    for item in changed:
        check = checks.get((item.record.case_id, item.record.cell_id))
        judgement = Judgement.UNCHECKED if check is None else check.judgement
        counts[judgement] += 1
        seen = f" ({check.seen_text()})" if check is not None else ""
        print(f"{item.change.value:18} {item.record.case_id:44} {item.record.cell_id:32}"
              f" {item.before} -> {item.record.outcome.value}: {judgement.value}{seen}")
    print(f"{len(changed)} changes: {counts[Judgement.CONFIRMED]} confirmed,"
          f" {counts[Judgement.FLAKY]} flaky, {counts[Judgement.UNCHECKED]} not re-checked"
          f" -> {log.path}", file=sys.stderr)
    return 0


def cmd_aa(args: argparse.Namespace) -> int:
    layout = _results_layout(args)
    store = ResultStore.in_directory(layout.results)
    if not len(store):
        raise MatrixError(f"{store.path}: no results to re-measure")
    cases = load_cases(layout.cases)
    infos = [CaseInfo.from_case(case) for case in cases]
    shown = select_current(store.records(), infos).records
    chosen = _selected_records(args, shown, cases, store)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    sample = aa_sample(chosen, args.sample, seed)
    print(f"A/A: {len(sample)} of {len(chosen)} stored results drawn with --seed {seed}",
          file=sys.stderr)
    targets, context = _check_targets(args, layout, sample, cases)
    log = CheckLog(layout.results / CHECKS_FILE)
    selection = " ".join(f"--{name} {value}" for name in ("case", "cell", "python")
                         if (value := getattr(args, name)))
    made = remeasure_all(targets, {t.record.key: 1 for t in targets}, Purpose.AA, layout,
                         context.toolchain, log, jobs=args.jobs, selection=selection)
    figures = aa_figures(made)
    figure = figures[-1] if figures else None
    if figure is None:
        print("A/A: nothing could be re-measured here")
        return 0
    print(f"A/A (--seed {seed}): {figure.text()}")
    for flip in figure.flips:
        print(f"  flipped: {flip.case_id} {flip.cell_id}: stored {flip.stored.text()}"
              f" | again {flip.again.text()}")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    count = merge_stores([Path(p) for p in args.inputs], Path(args.output))
    print(f"merged {len(args.inputs)} inputs: {count} records -> {args.output}", file=sys.stderr)
    return 0


def _archive_path(args: argparse.Namespace, layout: Layout) -> Path:
    if args.archive:
        return Path(args.archive)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return layout.cache / "archive" / f"superseded-{stamp}{ARCHIVE_SUFFIX}"


def _compact(args: argparse.Namespace, layout: Layout) -> Compaction:
    cases = {case.id: case.content_hash for case in load_cases(layout.cases)}
    store = ResultStore.in_directory(layout.results)
    return compact(store, cases, CheckLog(layout.results / CHECKS_FILE),
                   _archive_path(args, layout))


def _has_store(results: Path) -> bool:
    return (results / STORE_FILE).exists() or (results / LEGACY_RECORDS_FILE).exists()


def cmd_compact(args: argparse.Namespace) -> int:
    layout = _results_layout(args)
    if not _has_store(layout.results):
        raise MatrixError(f"{layout.results}: no results store to compact")
    print(_compact(args, layout).text(), file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    layout = _results_layout(args)
    store = ResultStore.in_directory(layout.results)
    total = 0
    for source in args.sources:
        if str(source).endswith(f".rechecks{ARCHIVE_SUFFIX}"):
            log = CheckLog(layout.results / CHECKS_FILE)
            count = restore_log(log, read_log_archive(Path(source)))
            print(f"{source}: {count} re-measurements restored -> {log.path}", file=sys.stderr)
            continue
        count = restore(store, load_results(source, layout.results))
        print(f"{source}: {count} records restored", file=sys.stderr)
        total += count
    print(f"{total} records restored -> {store.path}", file=sys.stderr)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """The scheduled job's publication step, as one command the tests run too: the baseline is
    resolved first (a bad tag changes nothing), then the deltas are merged and the store
    compacted."""
    layout = _results_layout(args)
    tag = args.baseline_tag
    if tag == "auto":
        tag = last_publication(layout.results, args.tag_prefix)
    commit = None
    if tag:
        repo = repository_for(layout.results)
        commit = resolve_commit(repo, tag) if repo is not None else None
        if commit is None:
            raise MatrixError(f"--baseline-tag {tag}: no such tag in this clone")
    deltas = [Path(d) for d in args.deltas]
    inputs = [layout.results, *deltas] if _has_store(layout.results) else deltas
    if inputs:
        count = merge_stores(inputs, layout.results)
        print(f"merged {len(deltas)} shard stores into {layout.results}: {count} records",
              file=sys.stderr)
    print(_compact(args, layout).text(), file=sys.stderr)
    if tag and commit:
        ResultStore.in_directory(layout.results).set_baseline(tag, commit)
        print(f"baseline: {tag} ({commit[:12]})", file=sys.stderr)
    else:
        print("baseline: none (no earlier publication)", file=sys.stderr)
    return 0


def last_publication(results: Path, prefix: str) -> str | None:
    """The newest publication tag (``<prefix>YYYY-MM-DD...``, newest by name) of the
    repository holding ``results``; ``None`` if there is none."""
    repo = repository_for(results)
    if repo is None:
        return None
    out = subprocess.run(["git", "-C", str(repo), "tag", "--list", f"{prefix}*",
                          "--sort=-v:refname"], capture_output=True, text=True)
    tags = out.stdout.split()
    return tags[0] if out.returncode == 0 and tags else None


def cmd_migrate(args: argparse.Namespace) -> int:
    layout = Layout.default()
    cases = {case.id: case for case in load_cases(layout.cases)}
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise MatrixError(f"{path}: no such results file")
        result = migrate_file(path, cases)
        kept = ", ".join(f"{n} {why}" for why, n in sorted(result.kept.items())) or "none"
        print(f"{path}: {result.migrated} migrated, {result.current} already current,"
              f" kept as they were: {kept}", file=sys.stderr)
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    write_snapshot()
    print("wrote matrix/data/index-snapshot.json", file=sys.stderr)
    return 0


def _delays(text: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected seconds, e.g. 5,30") from None
    if not all(0 <= d < float("inf") for d in delays):  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}': pauses are seconds, 0 or more")
    return delays


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected seconds, e.g. 60") from None
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}': must be a number of seconds above 0")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}': must be at least 1")
    return value


FLAGS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "offline": (("--offline",), dict(action="store_true", help="do not ask the package index;"
                                     " use cached or committed release data")),
    "results": (("--results",), dict(help="results directory (default: results/)")),
    "cases": (("--cases",), dict(help="cases directory (default: cases/)")),
    "jobs": (("--jobs", "-j"), dict(type=_positive, default=os.cpu_count() or 1,
                                    help="cells measured at once, 1 or more (default: one per"
                                    " core)")),
    "case": (("--case",), dict(help="case id globs (default: all cases)")),
    "compiler": (("--compiler",), dict(default=DEFAULT_COMPILER, help="C compiler: "
                                       + ", ".join(COMPILERS) + " (default: %(default)s;"
                                       " gcc-asan: AddressSanitizer)")),
    "timeout": (("--timeout",), dict(type=_seconds, default=DEFAULT_RUN_TIMEOUT_S,
                                     help="seconds per case run, above 0 (a key input: part of"
                                     " every record; default: %(default)s)")),
    "retry-delays": (("--retry-delays",), dict(type=_delays, default=DEFAULT_RETRY.delays,
                                               metavar="S,S", help="pauses before a transient"
                                               " failure is tried again (default: %(default)s;"
                                               " see the outcome policy in"
                                               " docs/measuring.md)")),
}
"""Every flag that more than one command takes, declared once (``_flag`` adds it, a command
may override its help or default)."""


def _flag(parser: argparse.ArgumentParser | argparse._ArgumentGroup, name: str,
          **override: Any) -> None:
    names, options = FLAGS[name]
    parser.add_argument(*names, **{**options, **override})


def _add_selection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("selection (comma-separated, globs allowed)")
    group.add_argument("--python", help="Pythons, e.g. '3.11,3.1*', 'pypy3.11', '3.13t', or "
                       "build identifiers as cibuildwheel spells them, 'cp313t,pp3*' "
                       "(default: all found)")
    group.add_argument("--cython", help="Cython releases, e.g. '3.0.11,0.29.*' (default: newest"
                       " patch of every series from 0.27; 'default' and 'latest' are keywords)")
    group.add_argument("--numpy", help="numpy releases, e.g. '1.26.*,2.1.3' (default: newest"
                       " patch of every series with a wheel for that Python)")
    group.add_argument("--cell", help="cell id globs, e.g. 'py3.11-cy3.*-np2.*'")
    _flag(group, "compiler", default=None, help="C compilers, e.g. 'gcc,clang,gcc14-errors'"
          " (default: gcc everywhere, every compiler on core cells and on the newest numpy 1.x"
          " and 2.x cells; --quick: gcc)")
    group.add_argument("--quick", action="store_true",
                       help="10 cells spanning old and new (the oldest Python 3 and the newest"
                       " with numpy 1.x and 2.x; each with its oldest and newest Cython, oldest"
                       " numpy with the oldest, newest with the newest, and one numpy upgrade"
                       " cell): a smoke run of about two minutes from nothing")
    group.add_argument("--no-abi", action="store_true",
                       help="skip the numpy build-vs-run cells")
    _flag(group, "offline")
    group.add_argument("--shard", help="only this part of the grid, e.g. 2/5 (stable by cell id)")
    group.add_argument("--new-releases", action="store_true",
                       help="only cells of Cython/numpy releases or Python minors the stored"
                       " results do not cover")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    _flag(parser, "timeout")
    _flag(parser, "retry-delays")


def _add_check_options(parser: argparse.ArgumentParser) -> None:
    _flag(parser, "case", help="only these case id globs")
    parser.add_argument("--cell", help="only these cell id globs, e.g. 'py3.12-*'")
    parser.add_argument("--python", help="only cells of these Python minors")
    _flag(parser, "results", help="results directory (default: results/); the"
          " re-measurements are appended to rechecks.jsonl there")
    _flag(parser, "cases")
    _flag(parser, "jobs")
    _flag(parser, "retry-delays")
    _flag(parser, "offline")


def engine_settings(args: argparse.Namespace) -> EngineSettings:
    """The run's settings (``recheck``/``aa`` take each record's own run timeout)."""
    return EngineSettings(run_timeout_s=getattr(args, "timeout", DEFAULT_RUN_TIMEOUT_S),
                          retry=Retry(args.retry_delays))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="measure the selected grid into the results store")
    _add_selection(run)
    _flag(run, "case")
    _flag(run, "jobs")
    _add_engine_options(run)
    _flag(run, "results")
    _flag(run, "cases")
    run.add_argument("--held", action="append", metavar="PATH",
                     help="a store whose records count as measured, read only (repeatable):"
                     " measure into an empty --results and keep only what was measured")
    run.add_argument("--any-toolchain", action="store_true",
                     help="skip what the store holds as measured by another toolchain (another"
                     " gcc, Python patch release or machine), as CI images do")
    run.set_defaults(func=cmd_run)

    list_ = sub.add_parser("list", help="print the planned cells")
    _add_selection(list_)
    list_.add_argument("--json", action="store_true", help="machine-readable, for CI fan-out")
    _flag(list_, "case", help="case id globs: only the cells that hold one of them, as run"
          " plans them (default: all cases)")
    _flag(list_, "results")
    _flag(list_, "cases")
    list_.set_defaults(func=cmd_list)

    try_ = sub.add_parser("try", help="measure one cell and print the results")
    try_.add_argument("--python", required=True,
                      help="Python, e.g. 3.11, pypy3.11, 3.13t (or cp311, pp311, cp313t)")
    try_.add_argument("--cython", required=True, help="exact Cython release, e.g. 3.2.4")
    try_.add_argument("--numpy", help="exact numpy release for numpy cases (omit: core cases"
                      " only; a --case naming only numpy cases is then an error)")
    try_.add_argument("--numpy-run", help="run numpy cases under this numpy (ABI check)")
    _flag(try_, "case")
    _flag(try_, "cases")
    _flag(try_, "compiler")
    _add_engine_options(try_)
    try_.add_argument("--verbose", "-v", action="store_true",
                      help="print the probe evidence of every case; for a failing case also"
                      " its log, what its run printed and, for a run or import error, the"
                      " Python traceback (the case run again to show it)")
    _flag(try_, "offline")
    try_.set_defaults(func=cmd_try)

    bisect_ = sub.add_parser("bisect", help="first release where a case's outcome changes")
    _flag(bisect_, "case", required=True, help="case id")
    bisect_.add_argument("--python", required=True,
                         help="Python, e.g. 3.11, pypy3.11, 3.13t (or cp311, pp311, cp313t)")
    bisect_.add_argument("--cython", help="a release, or the range to bisect: 0.27.3..0.28.6")
    bisect_.add_argument("--numpy", help="a release, or the range to bisect: 1.23.5..1.24.4")
    bisect_.add_argument("--numpy-run", help="run under this numpy, or bisect a range of them")
    _flag(bisect_, "compiler")
    _flag(bisect_, "results")
    _flag(bisect_, "cases")
    _add_engine_options(bisect_)
    _flag(bisect_, "offline")
    bisect_.set_defaults(func=cmd_bisect)

    recheck = sub.add_parser("recheck", help="re-measure what differs from the baseline,"
                             " k times from scratch: confirmed or flaky")
    recheck.add_argument("--attempts", "-k", type=_positive, default=2,
                         help="re-measurements per changed result (default: %(default)s)")
    recheck.add_argument("--baseline", help="previous results to compare with: a store"
                         " folder, an archive or records file, or a git ref (default: the"
                         " publication results/store.json names)")
    _add_check_options(recheck)
    recheck.set_defaults(func=cmd_recheck)

    aa = sub.add_parser("aa", help="re-measure a random sample of stored results from scratch"
                        " and count the flips")
    aa.add_argument("--sample", "-n", type=_positive, required=True,
                    help="how many stored results to re-measure")
    aa.add_argument("--seed", type=int, help="random seed (default: a fresh one, printed)")
    _add_check_options(aa)
    aa.set_defaults(func=cmd_aa)

    merge = sub.add_parser("merge", help="combine stores (e.g. CI shards') into one")
    merge.add_argument("output", help="store folder to write (or a .jsonl records file); it"
                       " may be one of the inputs")
    merge.add_argument("inputs", nargs="+", help="store folders, archives or records files")
    merge.set_defaults(func=cmd_merge)

    compact_ = sub.add_parser("compact", help="move superseded records into an archive")
    _flag(compact_, "results")
    _flag(compact_, "cases")
    compact_.add_argument("--archive", help="archive to write (.jsonl.gz; default:"
                          " .cache/archive/superseded-<UTC time>.jsonl.gz)")
    compact_.set_defaults(func=cmd_compact)

    restore_ = sub.add_parser("restore", help="put records back from archives or git refs")
    restore_.add_argument("sources", nargs="+", help="archive (.jsonl.gz), records file,"
                          " store folder or git ref (a publication's tag)")
    _flag(restore_, "results")
    _flag(restore_, "cases")
    restore_.set_defaults(func=cmd_restore)

    publish = sub.add_parser("publish", help="merge CI shards' stores into the store, compact,"
                             " name the baseline (what the scheduled job runs)")
    publish.add_argument("deltas", nargs="*", help="shard store folders (globs allowed)")
    _flag(publish, "results")
    _flag(publish, "cases")
    publish.add_argument("--archive", help="where superseded records go (.jsonl.gz)")
    publish.add_argument("--baseline-tag", default="auto",
                         help="the previous publication's tag (default: the newest tag"
                         " starting with --tag-prefix; '' for none)")
    publish.add_argument("--tag-prefix", default=PUBLICATION_TAG_PREFIX,
                         help="publication tags' prefix (default: %(default)s)")
    publish.set_defaults(func=cmd_publish)

    migrate = sub.add_parser("migrate", help="carry stored records over to the current key"
                             " scheme, exactly (see matrix/store/migrate.py)")
    migrate.add_argument("files", nargs="+", help="results files, rewritten in place")
    migrate.set_defaults(func=cmd_migrate)

    snapshot = sub.add_parser("snapshot", help="refresh the offline package-index snapshot")
    snapshot.set_defaults(func=cmd_snapshot)
    return parser


SPAWNING_COMMANDS = frozenset({"run", "try", "bisect", "recheck", "aa"})
"""Commands that start builds and runs: from the command line they run under
:func:`matrix.run.hygiene.supervise` (see ``matrix/__main__.py``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; under a supervisor (``MATRIX_SUPERVISED``), this process also dies
    with its parent and unwinds on SIGTERM (:mod:`matrix.run.hygiene`)."""
    if os.environ.get(SUPERVISED_ENV):
        try:
            die_with_parent()
            return dispatch(build_parser(), argv)
        except (KeyboardInterrupt, Terminated):
            return 130
    return dispatch(build_parser(), argv)


def command_line() -> int:
    """``python -m matrix``: a command that starts processes runs as the child of a supervisor
    that ends whatever it leaves behind, however it ends."""
    arguments = sys.argv[1:]
    if arguments[:1] and arguments[0] in SPAWNING_COMMANDS and not os.environ.get(SUPERVISED_ENV):
        return supervise([sys.executable, "-m", "matrix", *arguments])
    return main(arguments)
