"""Bisect releases: find the first Cython or numpy release where a case's outcome changes.

The report can only say "works since 0.28.6 (untested between 0.27.3 and 0.28.6)"; bisection
measures the releases in between (really building them, like every other cell) until two
adjacent installable releases disagree, and hands out a paste-ready reproducer.  It walks final
releases only unless asked to walk pre-releases (``a``/``b``/``rc``) too, and says which it
walked: a change that came with ``3.1.0b1`` is otherwise reported at ``3.1.0``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from packaging.version import Version

from matrix.model.cases import Case
from matrix.model.cells import Cell
from matrix.model.errors import SelectionError
from matrix.model.interpreters import InterpreterId
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.versions import channel, version_key
from matrix.plan.grid import impossible
from matrix.plan.index import ReleaseIndex

AXES = ("cython", "numpy", "numpy_run")


@dataclass(frozen=True)
class BisectRange:
    """``--cython 0.27.3..0.28.6``: the axis to bisect and its known ends."""

    axis: str
    low: Version
    high: Version

    @classmethod
    def parse(cls, axis: str, text: str, *, pre: bool = False) -> BisectRange:
        """The range ``text`` names; its ends may be pre-releases when ``pre`` (``--pre``)
        says pre-releases are walked, never development builds."""
        if axis not in AXES:
            raise SelectionError(f"cannot bisect {axis}: choose one of {', '.join(AXES)}")
        low_text, sep, high_text = text.partition("..")
        flag = f"--{axis.replace('_', '-')}"
        if not sep:
            raise SelectionError(f"{flag} {text}: expected A..B")
        for end in (low_text, high_text):
            try:
                Version(end)
            except ValueError:
                raise SelectionError(f"{flag} {text}: {end!r} is not a version") from None
        low, high = Version(low_text), Version(high_text)
        if not sep or low >= high:
            raise SelectionError(f"{flag} {text}: expected A..B with A < B")
        span = cls(axis, low, high)
        span.check_ends(pre, text)
        return span

    def check_ends(self, pre: bool, text: str | None = None) -> None:
        """An end that is a pre-release needs ``pre``; one that is a development build is
        never walked (both errors name the flag)."""
        flag = f"--{self.axis.replace('_', '-')} {text or f'{self.low}..{self.high}'}"
        kinds = {channel(str(end)) for end in (self.low, self.high)}
        if "dev" in kinds:
            raise SelectionError(f"{flag}: a development build cannot be an end (bisect walks"
                                 " final releases, and pre-releases with --pre)")
        if "pre" in kinds and not pre:
            raise SelectionError(f"{flag}: a pre-release end needs --pre")


@dataclass
class BisectResult:
    """The last release with the low end's outcome and the first with another one."""

    steps: list[tuple[str, str]] = field(default_factory=list)  # (version, outcome) measured
    last_same: str | None = None
    first_changed: str | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (version, why)
    reproduce: str = ""
    walked: tuple[str, ...] = ("final",)
    """The kinds of release walked (:data:`matrix.model.versions.CHANNELS`): final releases,
    and pre-releases with ``--pre``."""
    candidates: int = 0
    """How many releases lie between the range's ends (both included) on the walked channels."""
    span: tuple[str, str] = ("", "")

    def walked_line(self) -> str:
        """``walked: ...``: which kinds of release the bisection walked, between which ends."""
        low, high = self.span
        count = f"{self.candidates} candidate{'' if self.candidates == 1 else 's'}"
        if "pre" in self.walked:
            return (f"walked: final and pre-releases (a, b, rc): {count} from {low} to {high},"
                    " the ends included")
        return (f"walked: final releases only ({count} from {low} to {high}, the ends included;"
                " pass --pre to include a/b/rc)")


def cell_with(base: Cell, axis: str, version: str) -> Cell:
    """``base`` with one axis replaced (numpy sets build and run together)."""
    if axis == "cython":
        return replace(base, cython=version)
    if axis == "numpy":
        return replace(base, numpy_build=version, numpy_run=version)
    return replace(base, numpy_run=version)


def walked_channels(pre: bool) -> tuple[str, ...]:
    """The kinds of release a bisection walks: final releases, and pre-releases with ``pre``
    (development builds never)."""
    return ("final", "pre") if pre else ("final",)


def candidates(index: ReleaseIndex, span: BisectRange, pre: bool = False) -> list[Version]:
    """The releases a bisection walks within ``span`` (ends included, yanked releases left
    out), oldest first in PEP 440 order: final releases, and with ``pre`` the pre-releases
    (``3.1.0b1 < 3.1.0rc1 < 3.1.0``) too."""
    span.check_ends(pre)
    project = "cython" if span.axis == "cython" else "numpy"
    walked = walked_channels(pre)
    found = {r.version for r in index.releases.get(project, ())
             if not r.yanked and channel(str(r.version)) in walked
             and span.low <= r.version <= span.high}
    return sorted(found, key=lambda v: version_key(str(v)))


def bisect(base: Cell, span: BisectRange, case_id: str, index: ReleaseIndex,
           python: Version | InterpreterId, measure: Callable[[Cell], Sequence[Record]],
           why_not: Callable[[Cell], str | None] | None = None, *,
           pre: bool = False) -> BisectResult:
    """Binary search between the range's ends for the first release whose outcome differs
    from the low end's.  Releases that cannot be measured there are skipped (and listed).

    ``why_not`` says why a cell cannot be measured here (``None``: it can); the command line
    passes what ``try`` plans (:func:`matrix.plan.grid.plan_cell`), so a Cython without a
    wheel for this Python is measured with its shipped C, as ``try`` and the grid measure it.
    Without it, only what the index alone tells is used: such a release is skipped.

    Final releases are walked, and pre-releases too with ``pre`` (:func:`candidates`); the
    result says which (:meth:`BisectResult.walked_line`)."""
    result = BisectResult(walked=walked_channels(pre), span=(str(span.low), str(span.high)))

    def index_only(cell: Cell) -> str | None:
        return impossible(index, cell, python) or index.installable("cython", cell.cython, python)

    unmeasurable = why_not or index_only
    versions = [str(v) for v in candidates(index, span, pre)]
    if str(span.low) not in versions or str(span.high) not in versions:
        raise SelectionError(f"{span.low} and {span.high} must both be {span.axis} releases")
    result.candidates = len(versions)
    outcomes: dict[str, Outcome] = {}

    def outcome_of(version: str) -> Outcome | None:
        if version in outcomes:
            return outcomes[version]
        cell = cell_with(base, span.axis, version)
        why = unmeasurable(cell)
        if why is not None:
            result.skipped.append((version, why))
            return None
        records = [r for r in measure(cell) if r.case_id == case_id]
        if not records:
            raise SelectionError(f"case {case_id} is not measured in cell {cell.id}")
        outcome = records[0].outcome
        if outcome.could_not_be_tried:
            result.skipped.append((version, records[0].first_error or outcome.value))
            return None
        outcomes[version] = outcome
        result.steps.append((version, outcome.value))
        return outcome

    low, high = 0, len(versions) - 1
    low_outcome, high_outcome = outcome_of(versions[low]), outcome_of(versions[high])
    if low_outcome is None or high_outcome is None:
        whys = dict(result.skipped)
        ends = "; ".join(f"{end} end {v}: {whys.get(v, '?')}" for end, v, outcome in
                         (("low", versions[low], low_outcome),
                          ("high", versions[high], high_outcome)) if outcome is None)
        raise SelectionError(f"both ends of the range must be measurable on this Python"
                             f" ({ends})")
    if low_outcome is high_outcome:
        raise SelectionError(
            f"{case_id} has the same outcome ({low_outcome.value}) at both ends: nothing to bisect")
    while high - low > 1:
        middle = (low + high) // 2
        probe = middle
        found = outcome_of(versions[probe])
        while found is None and probe + 1 < high:  # not installable: try its neighbours
            probe += 1
            found = outcome_of(versions[probe])
        if found is None:
            probe = middle
            while found is None and probe - 1 > low:
                probe -= 1
                found = outcome_of(versions[probe])
        if found is None:
            break  # nothing measurable strictly between: the change lies in that gap
        if found is low_outcome:
            low = probe
        else:
            high = probe
    result.last_same, result.first_changed = versions[low], versions[high]
    result.reproduce = cell_with(base, span.axis, versions[high]).try_command(case_id)
    return result


def bisect_start(case: Case, *, python: str, cython: str | None, numpy: str | None,
                 numpy_run: str | None, compiler: str,
                 pre: bool = False) -> tuple[BisectRange, Cell]:
    """The range ``bisect``'s flags name (exactly one of ``cython``, ``numpy``, ``numpy_run``
    is ``A..B``; its ends pre-releases only with ``pre``) and the cell at its low end; each
    flag's misuse is an error naming it."""
    ranges = [(axis, value) for axis, value in
              (("cython", cython), ("numpy", numpy), ("numpy_run", numpy_run))
              if value and ".." in value]
    if len(ranges) != 1:
        raise SelectionError("give exactly one range A..B, e.g. --cython 0.27.3..0.28.6")
    span = BisectRange.parse(*ranges[0], pre=pre)
    if (numpy is None) == case.needs_numpy:
        raise SelectionError(f"--numpy is {'needed' if case.needs_numpy else 'not used'} for"
                             f" case {case.id}")
    low = str(span.low)
    base = Cell(python, low if span.axis == "cython" else (cython or ""),
                low if span.axis == "numpy" else numpy,
                low if span.axis != "cython" else (numpy_run or numpy), compiler)
    if not base.cython or ".." in base.cython:
        raise SelectionError("--cython is required (a release, or the range to bisect)")
    return span, base
