"""The canary lane: what is coming (pre-releases), measured before it ships.

crater runs a compiler's nightly against the released one so that a regression is known before
the release.  Here a *canary cell* is a cell with a pre-release (PEP 440 ``a``/``b``/``rc``) of
Cython or numpy, or one on a pre-release of CPython; each is planned beside its *baseline*: the
same cell with the newest final release below the pre-release in its place, so that the two are
measured by the same machine in the same run and compared case by case
(:mod:`report.coming`).  Neither goes into the released table: ``run --pre`` measures into
``canary/`` (:attr:`matrix.store.paths.Layout.canary`).  (Not to be confused with the generation
class canary of :mod:`matrix.build.invariance`, one module's C compared across Pythons.)

By default the lane takes what is *coming*: the pre-releases newer than the project's newest
final release, on every selected Python they install on (core cells, and numpy cells with the
newest numpy 1.x and 2.x there).  ``--cython``/``--numpy`` name other pre-releases (the replay of
past ones in docs/measuring.md does that); naming one project's measures those only.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace

from packaging.version import Version

from matrix.model.canary import coming_text
from matrix.model.cells import Cell
from matrix.model.compilers import DEFAULT_COMPILER, select_compilers
from matrix.model.errors import SelectionError
from matrix.model.versions import channel
from matrix.plan.grid import (
    AxesConfig,
    Plan,
    PlannedCell,
    Selection,
    final_releases,
    is_glob,
    numpy_for_python,
    plan_cell,
    select_pythons,
)
from matrix.plan.index import ReleaseIndex
from matrix.plan.interpreters import Interpreter


@dataclass(frozen=True)
class CanaryPair:
    """A canary cell and the cell it is measured against."""

    canary: PlannedCell
    baseline: PlannedCell
    coming: str
    """What is new in the canary cell: ``cython 3.3.0b1``, ``numpy 2.5.0rc1``, ``Python
    3.16.0a2``."""


def pre_releases(index: ReleaseIndex, project: str) -> list[Version]:
    """Every pre-release (a, b, rc; not a development build) of ``project`` on the index that
    is not yanked, oldest first."""
    return sorted(r.version for r in index.releases.get(project, ())
                  if channel(str(r.version)) == "pre" and not r.yanked)


def coming_releases(index: ReleaseIndex, project: str) -> list[Version]:
    """The pre-releases newer than ``project``'s newest final release: what is coming."""
    finals = final_releases(index, project, Version("0"))
    newest = finals[-1] if finals else Version("0")
    return [v for v in pre_releases(index, project) if v > newest]


def final_before(index: ReleaseIndex, project: str, version: Version) -> Version | None:
    """The newest final release of ``project`` older than ``version`` (its baseline)."""
    older = [v for v in final_releases(index, project, Version("0")) if v < version]
    return older[-1] if older else None


def chosen_pre_releases(index: ReleaseIndex, project: str,
                        items: Sequence[str] | None) -> list[Version]:
    """``--cython``/``--numpy`` under ``--pre``: the pre-releases the items name (globs match
    pre-releases only; an exact item may also name a development build: ``--cython-from``
    puts its build on the index); none given: :func:`coming_releases`.  An item naming a final
    release, or nothing, is an error naming the flag."""
    if items is None:
        return coming_releases(index, project)
    known = pre_releases(index, project)
    builds = [r.version for r in index.releases.get(project, ())  # --cython-from, a nightly
              if channel(str(r.version)) == "dev" and not r.yanked]
    chosen: set[Version] = set()
    for item in items:
        if is_glob(item):
            matched = [v for v in known if fnmatch.fnmatchcase(str(v), item)]
            if not matched:
                raise SelectionError(f"--{project} {item}: matches no {project} pre-release"
                                     " on the package index")
            chosen.update(matched)
            continue
        try:
            version = Version(item)
        except ValueError:
            raise SelectionError(f"--{project} {item}: not a version") from None
        if version not in known and version not in builds:
            kind = ("a final release: the canary lane measures pre-releases (drop --pre to"
                    " measure it in the released table)" if index.get(project, item)
                    else f"no such {project} pre-release on the package index")
            raise SelectionError(f"--{project} {item}: {kind}")
        chosen.add(version)
    return sorted(chosen)


def plan_canary(interpreters: dict[str, Interpreter], index: ReleaseIndex, selection: Selection,
                config: AxesConfig | None = None) -> tuple[list[CanaryPair], Plan]:
    """The canary pairs of ``selection`` (``--pre``), and a plan of every cell to measure
    (canaries and baselines, each once; ``plan.not_tested`` says what is coming and what was
    left out).

    - A Cython pre-release: on each selected Python, its core cell and a numpy cell with the
      newest numpy 1.x and 2.x that has a wheel there; the baseline takes the newest final
      Cython below it.
    - A numpy pre-release: a numpy cell with the newest final Cython, on each selected Python
      it has a wheel for; the baseline takes the newest final numpy below it.
    - A pre-release CPython found on this machine: the newest final Cython's core cell; the
      baseline is the same cell on the newest final Python of that kind below it."""
    config = config or AxesConfig.load()
    plan = Plan()
    pythons = select_pythons(interpreters, selection.python, plan)
    finals = [i for i in pythons if not i.version.is_prerelease]
    compilers = (select_compilers(selection.compilers) if selection.compilers is not None
                 else (DEFAULT_COMPILER,))
    everyone = list(interpreters.values())
    pairs: list[CanaryPair] = []

    def pair(canary: Cell, baseline: Cell, interpreter: Interpreter, base_on: Interpreter,
             coming: str) -> None:
        for compiler in compilers:
            pairs.append(CanaryPair(
                plan_cell(replace(canary, compiler=compiler), interpreter, index, everyone),
                plan_cell(replace(baseline, compiler=compiler), base_on, index, everyone),
                coming))

    named = selection.cython is not None or selection.numpy is not None
    # Naming the pre-releases of one project measures those only, not what else is coming.
    cythons = ([] if named and selection.cython is None
               else chosen_pre_releases(index, "cython", selection.cython))
    numpys = ([] if named and selection.numpy is None
              else chosen_pre_releases(index, "numpy", selection.numpy))
    for project, chosen in (("cython", cythons), ("numpy", numpys)):
        released = final_releases(index, project, Version("0"))
        for version in chosen:
            if released and released[-1] >= version:
                plan.not_tested.append(
                    f"{project} {version}: {project} {released[-1]} has shipped since, so"
                    " \"What is coming\" counts its cells as history (the replay reads them)")
    newest_cython = final_releases(index, "cython", config.cython_floor)
    for cython in cythons:
        base = final_before(index, "cython", cython)
        if base is None:
            plan.not_tested.append(f"cython {cython}: no final release below it to compare with")
            continue
        for interpreter in finals:
            if index.installable("cython", str(cython), interpreter.id) is not None:
                continue  # a pre-release's shipped C is not what the lane asks about
            label = interpreter.label
            pair(Cell(label, str(cython)), Cell(label, str(base)), interpreter, interpreter,
                 coming_text("cython", str(cython)))
            numpy_finals = numpy_for_python(index, interpreter.id, config)
            for major in sorted({v.major for v in numpy_finals}):
                numpy = str(max(v for v in numpy_finals if v.major == major))
                pair(Cell(label, str(cython), numpy, numpy), Cell(label, str(base), numpy, numpy),
                     interpreter, interpreter, coming_text("cython", str(cython)))
    for pre_numpy in numpys:
        base = final_before(index, "numpy", pre_numpy)
        if base is None:
            plan.not_tested.append(f"numpy {pre_numpy}: no final release below it to compare"
                                   " with")
            continue
        for interpreter in finals:
            if (index.installable("numpy", str(pre_numpy), interpreter.id) is not None
                    or index.installable("numpy", str(base), interpreter.id) is not None):
                continue
            usable = [v for v in newest_cython
                      if index.installable("cython", str(v), interpreter.id) is None]
            if not usable:
                continue
            label, final_cython = interpreter.label, str(usable[-1])
            pair(Cell(label, final_cython, str(pre_numpy), str(pre_numpy)),
                 Cell(label, final_cython, str(base), str(base)),
                 interpreter, interpreter, coming_text("numpy", str(pre_numpy)))
    if selection.cython is None and selection.numpy is None:
        for interpreter in pythons:
            if not interpreter.version.is_prerelease:
                continue
            older = [i for i in finals if i.kind == interpreter.kind
                     and i.version < interpreter.version]
            usable = [v for v in newest_cython
                      if index.installable("cython", str(v), interpreter.id) is None]
            if not older or not usable:
                plan.not_tested.append(f"Python {interpreter.version}: nothing to compare with")
                continue
            base_on, final_cython = older[-1], str(usable[-1])
            pair(Cell(interpreter.label, final_cython), Cell(base_on.label, final_cython),
                 interpreter, base_on, coming_text("python", str(interpreter.version)))
    if selection.cells is not None:
        pairs = [p for p in pairs if any(fnmatch.fnmatchcase(p.canary.cell.id, pattern)
                                         for pattern in selection.cells)]
    if not cythons and not numpys and not any(i.version.is_prerelease for i in pythons):
        newest = {project: final_releases(index, project, Version("0"))
                  for project in ("cython", "numpy")}
        plan.not_tested.append(
            "nothing is coming: no pre-release newer than "
            + " or ".join(f"{p} {v[-1]}" for p, v in newest.items() if v)
            + " on the package index, and no pre-release Python here")
    cells: dict[str, PlannedCell] = {}
    for found in pairs:
        cells.setdefault(found.canary.cell.id, found.canary)
        cells.setdefault(found.baseline.cell.id, found.baseline)
    plan.cells = sorted(cells.values(), key=lambda p: p.cell.sort_key())
    plan.beside = {p.canary.cell.id: (p.baseline.cell.id, p.coming) for p in pairs}
    return pairs, plan
