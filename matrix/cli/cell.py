"""``try`` and ``bisect``: one cell measured and printed, and the first release where a case's
outcome changes."""

from __future__ import annotations

import argparse
from dataclasses import replace

from matrix.cli.options import build_sources, engine_settings, items, layout_from, one_python
from matrix.model.cells import Cell
from matrix.model.compilers import spec as compiler_spec
from matrix.model.errors import SelectionError, UnknownVersionError
from matrix.model.records import Record
from matrix.plan.bisect import bisect, bisect_start
from matrix.plan.devbuilds import indexed, resolve, wheel_for
from matrix.plan.grid import plan_cell, require_releases
from matrix.plan.index import ReleaseIndex, load_index
from matrix.plan.interpreters import Interpreter, discover_interpreters
from matrix.plan.scope import core_cases, selected_cases
from matrix.run.bisecting import BisectSteps
from matrix.run.engine import Toolchain
from matrix.run.trying import try_cell
from matrix.store.paths import Layout
from matrix.store.results import ResultStore


def _interpreter(args: argparse.Namespace) -> tuple[dict[str, Interpreter], Interpreter]:
    """The interpreters found here, and the one ``--python`` names (an error if none)."""
    interpreters = discover_interpreters()
    args.python = one_python(args.python)
    interpreter = interpreters.get(args.python)
    if interpreter is None:
        raise UnknownVersionError(
            f"--python {args.python}: no such interpreter here (found: {', '.join(interpreters)})"
        )
    return interpreters, interpreter


def _index(args: argparse.Namespace, layout: Layout) -> ReleaseIndex:
    """The release index, holding every release the one-cell flags name."""
    index = load_index(layout.cache / "index", offline=args.offline)
    require_releases(index, cython=args.cython, numpy=args.numpy, numpy_run=args.numpy_run)
    return index


def cmd_try(args: argparse.Namespace) -> int:
    layout = layout_from(args)
    sources = build_sources(args)
    if args.cython is None and not any(s.project == "cython" for s in sources):
        raise SelectionError("try needs the Cython to measure: --cython RELEASE or"
                             " --cython-from SOURCE")
    patterns = items(args.case, "--case")
    cases = selected_cases(layout.cases, patterns)
    interpreters, interpreter = _interpreter(args)
    settings = engine_settings(args)
    toolchain = Toolchain.detect(settings)
    index = _index(args, layout)
    if sources:  # development builds: their wheels stand for the releases they replace
        builds = tuple(resolve(source, [interpreter], layout.cache) for source in sources)
        index = indexed(index, builds)
        settings = replace(settings, builds=builds)
        for build in builds:
            setattr(args, build.project, build.version)
            wheel = wheel_for(build, interpreter.id)
            print(f"# {build.describe(wheel or build.wheels[0])}", flush=True)
    if args.numpy is None:
        cases = core_cases(patterns, cases, index, interpreter)
    compiler = compiler_spec(args.compiler).id
    cells = [Cell(args.python, args.cython, compiler=compiler)]
    if args.numpy:
        cells.append(Cell(args.python, args.cython, args.numpy, args.numpy_run or args.numpy,
                          compiler))
    for cell in cells:
        planned = plan_cell(cell, interpreter, index, interpreters.values())
        try_cell(planned, cases, layout, settings, toolchain, verbose=args.verbose)
    return 0


def cmd_bisect(args: argparse.Namespace) -> int:
    layout = layout_from(args)
    # Its case and the controls alone: another case's broken file does not stop a bisection.
    chosen = selected_cases(layout.cases, [args.case], with_controls=True)
    case = next((c for c in chosen if c.id == args.case), None)
    if case is None:
        raise SelectionError(f"--case {args.case}: no such case in {layout.cases}")
    controls = [c for c in chosen if c.is_control and c.id != case.id]
    span, base = bisect_start(case, python=args.python, cython=args.cython, numpy=args.numpy,
                              numpy_run=args.numpy_run, compiler=compiler_spec(args.compiler).id,
                              pre=args.pre)
    if base.is_canary and not args.pre:  # its records would go into the released table
        raise SelectionError(f"cell {base.id}: a pre-release; add --pre (a bisection with"
                             " pre-releases is stored in the canary lane's canary/)")
    interpreters, interpreter = _interpreter(args)
    index = _index(args, layout)
    settings = engine_settings(args)
    toolchain = Toolchain.detect(settings)
    store = ResultStore.in_directory(layout.results)
    steps = BisectSteps(case, controls, store, layout, settings, toolchain)

    def why_not(cell: Cell) -> str | None:  # what try and the grid measure, shipped C too
        return plan_cell(cell, interpreter, index, interpreters.values()).not_possible

    def measure(cell: Cell) -> list[Record]:
        return steps.step(plan_cell(cell, interpreter, index, interpreters.values()))

    result = bisect(base, span, case.id, index, interpreter.id, measure, why_not, pre=args.pre)
    store.tidy()
    for version, why in result.skipped:
        print(f"skipped {version}: {why}")
    changed = result.first_changed or ""
    print(f"{case.id} on Python {args.python}: last {result.steps[0][1]} at {span.axis}"
          f" {result.last_same}; first different at {changed}"
          f" ({dict(result.steps).get(changed, '?')})")
    print(result.walked_line())
    print(f"reproduce with: {result.reproduce}")
    return 0
