"""``recheck`` and ``aa``: stored results measured again from scratch."""

from __future__ import annotations

import argparse
import fnmatch
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matrix.cli.options import engine_settings, layout_from
from matrix.model.canary import differences
from matrix.model.cases import Case, load_cases
from matrix.model.checks import CHECKS_FILE, Judgement, Purpose, aa_figures, checks_of
from matrix.model.errors import MatrixError, SelectionError
from matrix.model.interpreters import python_matches
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, select_current
from matrix.model.storeformat import STORE_FILE, load_results, named_baseline
from matrix.plan.grid import split_items
from matrix.plan.index import ReleaseIndex, load_index
from matrix.plan.interpreters import Interpreter, discover_interpreters
from matrix.run.engine import EngineSettings, Toolchain
from matrix.store.checklog import CheckLog
from matrix.store.paths import Layout
from matrix.store.results import ResultStore
from matrix.trust.recheck import (
    Changed,
    Target,
    aa_sample,
    changed_since,
    plan_targets,
    remeasure_all,
)


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


def _check_targets(args: argparse.Namespace, layout: Layout, records: Sequence[Record],
                   cases: Sequence[Case]) -> tuple[list[Target], ToolchainContext]:
    context = ToolchainContext.make(args, layout)
    targets, skipped = plan_targets(records, {c.id: c for c in cases}, context.interpreters,
                                    context.index, context.settings, context.toolchain)
    for item in skipped:
        print(f"not re-measured here: {item.record.case_id} {item.record.cell_id}: {item.why}",
              file=sys.stderr)
    return targets, context


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
    layout = layout_from(args)
    store = ResultStore.in_directory(layout.results)
    cases = load_cases(layout.cases)
    if args.pre:  # the canary lane: each canary cell against its baseline, in the same store
        if not (layout.results / STORE_FILE).is_file():
            raise MatrixError(f"{layout.results}: no canary store to re-check (measure one with"
                              " `nox -s matrix -- run --pre`)")
        if args.baseline:
            raise SelectionError("--baseline: the canary lane compares each canary cell with"
                                 " its baseline cell in the same store (drop --baseline)")
        baseline_name = "their baseline cells"
        controls = {c.id for c in cases if c.is_control}
        # A cell whose control differs too is the toolchain's difference: its control is
        # measured again, once for the cell, not each case the toolchain took down with it.
        changed = [Changed(d.canary, d.change, d.baseline.outcome.value)
                   for d in differences(store.records(), controls)
                   if not d.toolchain or d.case_id in controls]
    elif args.baseline:
        baseline_name, baseline = args.baseline, load_results(args.baseline, layout.results)
    else:
        named = named_baseline(layout.results)
        if named is None:
            raise MatrixError(f"{layout.results / STORE_FILE}: names no baseline to re-check"
                              " the results against (pass --baseline PATH|REF)")
        baseline_name, baseline = named
    if not args.pre:
        changed = changed_since(baseline, store.records(), cases)
    log = CheckLog(layout.results / CHECKS_FILE)
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
    layout = layout_from(args)
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
