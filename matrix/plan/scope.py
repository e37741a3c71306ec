"""What a command measures: the cases and cells its selection names, narrowed as ``run`` and
``list`` narrow them (the cells that hold a selected case, ``--new-releases``, ``--shard``), and
the cases ``try`` measures without numpy.  Every selection that names nothing is an error
naming its flag; a narrowing that leaves nothing is a note (``run`` then measures nothing)."""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from packaging.version import Version

from matrix.model.buildsource import Build, BuildSource
from matrix.model.cases import Case, load_cases_apart
from matrix.model.cells import Cell
from matrix.model.errors import CaseDefinitionError, MatrixError, SelectionError
from matrix.model.folders import cache_root
from matrix.model.measurement import wanted
from matrix.model.records import Record
from matrix.plan.casecode import check_case_code
from matrix.plan.devbuilds import indexed, resolve
from matrix.plan.grid import (
    Plan,
    PlannedCell,
    Selection,
    final_releases,
    holding,
    no_interpreter,
    plan_grid,
    select_pythons,
    uncovered_releases,
)
from matrix.plan.index import ReleaseIndex, load_index
from matrix.plan.interpreters import Interpreter, discover_interpreters
from matrix.plan.shard import Shard


def selected_cases(cases_dir: Path, patterns: Sequence[str] | None, *,
                   stream: TextIO | None = None, with_controls: bool = False) -> list[Case]:
    """The cases in ``cases_dir`` whose id matches one of ``patterns`` (globs; ``None``: all);
    a selection that matches none is an error naming ``--case``.  With ``with_controls``
    (``bisect``: one case and the toolchain baseline), every control case too, and a
    pattern that matches nothing is the caller's to name.  A case file that does not
    load is an error when it is selected and a ``warning:`` line on ``stream`` (default:
    stderr) when it is not: one broken case does not stop the others.  A selected case whose
    class lacks what every case defines is an error (:mod:`matrix.plan.casecode`)."""
    cases, broken = load_cases_apart(cases_dir)

    def chosen(case_id: str) -> bool:
        return patterns is None or any(fnmatch.fnmatchcase(case_id, p) for p in patterns)

    selected_broken = [error for case_id, error in broken.items() if chosen(case_id)]
    if selected_broken:
        others = len(selected_broken) - 1
        if others:
            raise CaseDefinitionError(selected_broken[0].path, selected_broken[0].field,
                                      f"{selected_broken[0].problem} (and {others} more"
                                      " selected case file(s) that do not load)")
        raise selected_broken[0]
    for error in broken.values():
        print(f"warning: {error} (not selected: left out)", file=stream or sys.stderr)
    picked = [c for c in cases if chosen(c.id) or (with_controls and c.is_control)]
    if not picked and patterns is not None and not with_controls:
        raise SelectionError(f"--case {','.join(patterns)}: matches no case in {cases_dir}")
    check_case_code(picked, cache_root() / "case-code")
    return picked


def plan_selection(selection: Selection, index_dir: Path, *, offline: bool,
                   stream: TextIO | None = None, builds: Sequence[Build] = ()) -> Plan:
    """The selected grid (the index's notes go to ``stream``); a selection that plans no cell
    is an error naming the flag.  ``builds``: development builds the index holds besides its
    releases (:func:`with_builds`)."""
    index = indexed(load_index(index_dir, offline=offline), builds)
    for note in index.notes:
        print(f"note: {note}", file=stream or sys.stderr)
    interpreters = discover_interpreters()
    if selection.pre:
        from matrix.plan.canary import plan_canary

        return plan_canary(interpreters, index, selection)[1]
    plan = plan_grid(interpreters, index, selection)
    if not plan.cells:
        raise why_nothing_planned(interpreters, index, selection)
    return plan


def with_builds(selection: Selection, sources: Sequence[BuildSource], cache: Path
                ) -> tuple[Selection, tuple[Build, ...]]:
    """``selection`` with its Cython or numpy axis replaced by the one build each of
    ``sources`` names (``--cython-from``, ``--numpy-from``), resolved for the Pythons it
    selects (:func:`matrix.plan.devbuilds.resolve`), and those builds."""
    if not sources:
        return selection, ()
    interpreters = discover_interpreters()
    pythons = select_pythons(interpreters, selection.python, Plan())
    if not pythons:
        raise no_interpreter(",".join(selection.python or ()), interpreters)
    builds = tuple(resolve(source, pythons, cache) for source in sources)
    for build in builds:
        if build.project == "cython":
            selection = replace(selection, cython=(build.version,))
        else:
            selection = replace(selection, numpy=(build.version,))
    return selection, builds


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


def new_release_cells(cells: list[PlannedCell], records: Sequence[Record]
                      ) -> list[PlannedCell]:
    """Only the cells of Cython/numpy releases (and Python minors) ``records`` do not cover
    yet."""
    covered_cython = {r.cython for r in records}
    covered_numpy = {v for r in records for v in (r.numpy_build, r.numpy_run) if v is not None}
    covered_python = {r.python for r in records}
    return uncovered_releases(cells, covered_cython, covered_numpy, covered_python)


def require_held(cells: Sequence[Cell], cases: Sequence[Case], case_flag: str | None) -> None:
    """Some cell holds one of ``cases`` (core cells the numpy-free ones, numpy cells the numpy
    ones), or an error naming ``--case`` (``case_flag``, its value)."""
    if not any(wanted(cell, cases) for cell in cells):
        flag = f"--case {case_flag}" if case_flag else "the cases"
        raise SelectionError(
            f"{flag}: none of the {len(cells)} planned cells holds these cases (numpy-free"
            " cases are measured in core cells, numpy cases in numpy cells)")


@dataclass(frozen=True)
class Narrowing:
    """How ``run`` and ``list`` narrow the planned cells (their flags' values)."""

    case_flag: str | None = None
    """``--case`` as given (named by the error when no cell holds the cases)."""
    new_releases: bool = False
    shard: str | None = None
    """``--shard i/n`` as given."""


def narrow(cells: list[PlannedCell], cases: Sequence[Case], how: Narrowing,
           stored: Callable[[], Sequence[Record]], stream: TextIO | None = None
           ) -> list[PlannedCell]:
    """Keep the cells that hold one of ``cases``, then apply ``--new-releases`` (against the
    ``stored`` records, read only then) and ``--shard``.  Cases that no planned cell holds are
    an error naming ``--case``; nothing new, or a shard with no cell, is a note."""
    shard = Shard.parse(how.shard) if how.shard else None
    held = holding(cells, cases)
    if cells:
        require_held([p.cell for p in cells], cases, how.case_flag)
    if len(held) < len(cells):
        print(f"note: {len(cells) - len(held)} of the {len(cells)} planned cells hold none of"
              " the selected cases: left out", file=stream or sys.stderr)
    cells = held
    if how.new_releases and cells:
        cells = new_release_cells(cells, stored())
        if not cells:
            print("note: --new-releases: the stored results cover every Cython, numpy and"
                  " Python of the selection: nothing new", file=stream or sys.stderr)
    if shard is not None and cells:
        part = shard.select(cells)
        if not part:
            print(f"note: --shard {how.shard}: this part of the selection holds no cell (of"
                  f" {len(cells)})", file=stream or sys.stderr)
        cells = part
    return cells


def core_cases(patterns: Sequence[str] | None, cases: list[Case], index: ReleaseIndex,
               interpreter: Interpreter, stream: TextIO | None = None) -> list[Case]:
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
    print(f"note: {left_out} left out (measured in numpy cells): {hint}", file=stream or sys.stderr)
    return [case for case in cases if not case.needs_numpy]
