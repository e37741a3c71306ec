"""What the canary lane's store says: each canary cell beside its baseline, case by case.

Pure functions of the records in ``canary/`` (``run --pre``, :mod:`matrix.plan.canary`): which
stored cell is a canary and which final cell it is compared with are read from the records
themselves, so the report needs no package index.  A canary cell is one whose Cython or numpy
is a pre-release or development build (:attr:`matrix.model.cells.Cell.channels`), or whose
Python is a pre-release (the record's ``python_version``).  Its baseline is the stored cell
that differs from it on that one axis only, with the newest final release below it there.

A difference is what :func:`matrix.model.diff.classify` calls a change between two records of
one case (regressed, fixed, another failing stage, a behaviour property flipped; a side that
could not be tried is never one).  Where the toolchain baseline (a control case) differs too,
the difference is the toolchain's, shown once, as the released table shows toolchain facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from packaging.version import InvalidVersion, Version

from matrix.model.cells import Cell
from matrix.model.diff import CHECKABLE, Change, classify
from matrix.model.records import Record
from matrix.model.selection import latest_per_cell
from matrix.model.versions import channel, version_key


def python_release(record: Record) -> str:
    """The interpreter's release the record was measured on (``3.16.0a2``), or ``""``."""
    return str(record.provenance.get("python_version") or "")


def is_pre_python(record: Record) -> bool:
    try:
        return Version(python_release(record)).is_prerelease
    except InvalidVersion:
        return False


AXIS_NAMES = {"cython": "cython", "numpy": "numpy", "numpy_run": "numpy run",
              "python": "Python"}
"""How "what is coming" names each axis a canary cell can differ on."""


def coming_text(axis: str, release: str) -> str:
    """What is new in a canary cell: ``cython 3.3.0b1``, ``numpy 2.5.0rc1``, ``Python
    3.16.0a2`` (``axis``: a key of :data:`AXIS_NAMES`)."""
    return f"{AXIS_NAMES[axis]} {release}"


@dataclass(frozen=True)
class CanaryCell:
    """A canary cell of the store and the cell it is compared with."""

    cell_id: str
    baseline_id: str | None
    """``None``: the store holds no final cell to compare it with."""
    axis: str
    """Which axis is new in it (a key of :data:`AXIS_NAMES`)."""
    release: str
    """Its release there: ``3.3.0b1``."""

    @property
    def coming(self) -> str:
        """``cython 3.3.0b1`` (:func:`coming_text`)."""
        return coming_text(self.axis, self.release)


def _axis(cell: Cell, pre_python: str) -> tuple[str, str] | None:
    """The axis that makes ``cell`` a canary and its release: ``("cython", "3.3.0b1")``."""
    if channel(cell.cython) != "final":
        return "cython", cell.cython
    if channel(cell.numpy_build) != "final":
        return "numpy", str(cell.numpy_build)
    if channel(cell.numpy_run) != "final":
        return "numpy_run", str(cell.numpy_run)
    return ("python", pre_python) if pre_python else None


def with_release(cell: Cell, axis: str, value: str) -> Cell:
    """``cell`` with ``value`` on ``axis`` (a key of :data:`AXIS_NAMES`; numpy sets build and
    run together)."""
    if axis == "cython":
        return replace(cell, cython=value)
    if axis == "numpy":
        return replace(cell, numpy_build=value, numpy_run=value)
    if axis == "numpy_run":
        return replace(cell, numpy_run=value)
    return replace(cell, python=value)


def canary_cells(records: Iterable[Record]) -> list[CanaryCell]:
    """Every canary cell of ``records`` with its baseline, in cell order."""
    cells: dict[str, Cell] = {}
    pre_python: dict[str, str] = {}
    for record in records:
        cells.setdefault(record.cell_id, record.cell)
        if is_pre_python(record):
            pre_python[record.cell_id] = python_release(record)
    final_ids = {cell_id for cell_id, cell in cells.items()
                 if _axis(cell, pre_python.get(cell_id, "")) is None}
    found = []
    for cell_id, cell in sorted(cells.items(), key=lambda item: item[1].sort_key()):
        axis = _axis(cell, pre_python.get(cell_id, ""))
        if axis is None:
            continue
        name, release = axis
        below = []
        for other_id in final_ids:
            other = cells[other_id]  # the same cell but for that axis, with an older release
            if with_release(other, name, release_on(cell, name)) == cell and \
                    version_key(release_on(other, name)) < version_key(release_on(cell, name)):
                below.append((version_key(release_on(other, name)), other_id))
        found.append(CanaryCell(cell_id, max(below)[1] if below else None, name, release))
    return found


def release_on(cell: Cell, axis: str) -> str:
    """``cell``'s release on ``axis`` (a key of :data:`AXIS_NAMES`; a Python's axis value)."""
    return {"python": cell.python, "cython": cell.cython, "numpy": str(cell.numpy_build),
            "numpy_run": str(cell.numpy_run)}[axis]


@dataclass(frozen=True)
class Difference:
    """One case that does something else in a canary cell than in its baseline."""

    case_id: str
    canary: Record
    baseline: Record
    change: Change
    detail: str
    cell: CanaryCell
    """The canary cell it is in (what is coming there, and its baseline)."""
    toolchain: bool = False
    """The cell's control case differs too: the toolchain's difference, not the case's."""

    @property
    def coming(self) -> str:
        return self.cell.coming


def cases_by_cell(records: Iterable[Record]) -> dict[str, set[str]]:
    """``cell id -> the ids of the cases measured there``: what a canary cell and its baseline
    both hold is what is compared."""
    held: dict[str, set[str]] = {}
    for record in records:
        held.setdefault(record.cell_id, set()).add(record.case_id)
    return held


def differences(records: Sequence[Record], controls: Iterable[str] = ()) -> list[Difference]:
    """Each case whose result in a canary cell differs from its baseline's (one record per
    (case, cell): the current one, :func:`matrix.model.selection.latest_per_cell`), in cell
    then case order."""
    newest = latest_per_cell(records)
    by_cell: dict[str, dict[str, Record]] = {}
    for (case_id, cell_id), record in newest.items():
        by_cell.setdefault(cell_id, {})[case_id] = record
    control_ids = set(controls)
    found: list[Difference] = []
    for canary in canary_cells(newest.values()):
        if canary.baseline_id is None:
            continue
        mine, theirs = by_cell[canary.cell_id], by_cell.get(canary.baseline_id, {})
        changed: list[tuple[str, Change, str]] = []
        for case_id in sorted(mine):
            change = classify(theirs.get(case_id), mine[case_id]) if case_id in theirs else None
            if change is not None and change[0] in CHECKABLE:
                changed.append((case_id, *change))
        toolchain = any(case_id in control_ids for case_id, _, _ in changed)
        found += [Difference(case_id, mine[case_id], theirs[case_id], change, detail,
                             canary, toolchain)
                  for case_id, change, detail in changed]
    return found
