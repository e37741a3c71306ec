"""``run`` and ``list``: the selected grid, measured or printed."""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
from dataclasses import replace

from matrix.cli.options import (
    build_sources,
    items,
    layout_from,
    results_store,
    selection_from,
)
from matrix.cli.options import engine_settings as settings_from
from matrix.model.buildsource import Build
from matrix.model.cases import Case
from matrix.model.errors import MatrixError, SelectionError
from matrix.plan.grid import Plan, PlannedCell
from matrix.plan.scope import Narrowing, narrow, plan_selection, selected_cases, with_builds
from matrix.run.engine import EngineSettings, Toolchain
from matrix.run.measure import plan_line, run_plan, triage
from matrix.store.paths import Layout
from matrix.store.results import ResultStore


def _plan(args: argparse.Namespace, layout: Layout) -> tuple[Plan, tuple[Build, ...]]:
    """The selected grid, and the development builds that replace its Cython or numpy axis
    (``--cython-from``, ``--numpy-from``: canaries, so ``run`` takes them with ``--pre``
    only)."""
    sources = build_sources(args)
    if sources and not getattr(args, "pre", False):
        first = sources[0]
        raise SelectionError(f"{first.flag} {first.text}: a development build is a canary,"
                             " measured apart from the released table: add --pre")
    selection, builds = with_builds(selection_from(args), sources, layout.cache)
    for build in builds:
        print(f"note: {build.project} {build.version} from {build.source.kind}"
              f" {build.source.location}: "
              + ", ".join(f"{w.filename} (sha256 {w.sha256[:12]})" for w in build.wheels),
              file=sys.stderr)
    return plan_selection(selection, layout.cache / "index", offline=args.offline,
                          builds=builds), builds


def _narrowing(args: argparse.Namespace) -> Narrowing:
    return Narrowing(case_flag=args.case, new_releases=args.new_releases, shard=args.shard)


def _cases(args: argparse.Namespace, layout: Layout) -> list[Case]:
    """The cases ``--case`` selects; in the canary lane (``--pre``) with the control cases,
    against which a difference is judged the toolchain's or the case's."""
    patterns = items(args.case, "--case")
    cases = selected_cases(layout.cases, patterns, with_controls=args.pre)
    if patterns is not None and not any(fnmatch.fnmatchcase(case.id, p)
                                        for case in cases for p in patterns):
        raise SelectionError(f"--case {args.case}: matches no case in {layout.cases}")
    return cases


def _held_by(cases: list[Case]) -> list[Case]:
    """The cases a planned cell must hold to be measured: the controls the canary lane adds
    measure beside them, never a cell of their own."""
    return [case for case in cases if not case.is_control] or cases


def cmd_list(args: argparse.Namespace) -> int:
    layout = layout_from(args)
    cases = _cases(args, layout)
    plan, _ = _plan(args, layout)
    plan.cells = narrow(plan.cells, _held_by(cases), _narrowing(args),
                        lambda: ResultStore.in_directory(layout.results).records())
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
        if planned.cell.id in plan.beside:
            baseline, coming = plan.beside[planned.cell.id]
            suffix += f"  (canary: {coming}; beside {baseline})"
        elif plan.beside:
            suffix += "  (baseline)"
        print(f"{planned.cell.id}{suffix}")
    print(f"# {plan_text(plan.cells, cases, layout)}", file=sys.stderr)
    return 0


def plan_text(cells: list[PlannedCell], cases: list[Case], layout: Layout) -> str:
    """What ``run`` would print before it starts (:func:`matrix.run.measure.plan_line`), for
    the default settings and one job per core; without a C compiler, the count alone."""
    settings = EngineSettings()
    try:
        toolchain = Toolchain.detect(settings)
    except MatrixError:
        return f"{len(cells)} cells"
    store = ResultStore.in_directory(layout.results)
    return plan_line(triage(cells, cases, store, settings, toolchain), cases,
                     os.cpu_count() or 1, store)


def cmd_run(args: argparse.Namespace) -> int:
    layout = layout_from(args)
    cases = _cases(args, layout)
    plan, builds = _plan(args, layout)
    for note in plan.not_tested:
        print(f"note: {note}", file=sys.stderr)
    selection = plan.cells
    store = results_store(layout.results, args.held)
    plan.cells = narrow(plan.cells, _held_by(cases), _narrowing(args), store.records)
    settings = replace(settings_from(args), builds=builds)
    summary = run_plan(plan.cells, cases, layout, store, settings=settings,
                       jobs=args.jobs, any_toolchain=args.any_toolchain, selection=selection)
    if summary.records:  # nothing appended: the file is as compact as the last run left it
        store.tidy()
    if summary.interrupted:  # its one line is printed: "interrupted: ..."
        return 130
    print(
        f"{summary.planned} cells: {summary.measured} measured, {summary.skipped} already in the "
        f"store, {summary.not_possible} not possible; {summary.records} records written, "
        f"{summary.failures} case failures"
        + (f" (and {summary.toolchain_failures} where the control fails too)"
           if summary.toolchain_failures else "")
        + f"; {summary.duration_s:.0f}s -> {store.path}",
        file=sys.stderr,
    )
    return 0
