"""The diff against the previous published run, crater-style: per (case, cell), what changed.

* ``regressed`` -- worked in the baseline, fails now;
* ``fixed``     -- failed in the baseline, works now;
* ``failure-changed`` -- fails in both, at another stage;
* ``behaviour-changed`` -- works in both, but a measured property flipped;
* ``new`` / ``gone`` -- the cell is only in the current run / only in the baseline;
* ``untried`` -- one side could not be tried (environment error, not possible): such changes
  are listed apart and never count as a regression or a fix;
* ``flaky`` -- it would be one of the above, but measured again from scratch the current
  result did not repeat (:mod:`matrix.model.checks`): listed apart, never a regression or a fix.

A change whose re-measurements all agree with the current result is *confirmed*
(``CellChange.check``); ``python -m report regressions --confirmed`` fails only on those.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matrix.model.checks import PROPERTIES, Check, Judgement
from matrix.model.errorline import normalize_error
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import CellKey, cell_sort_key, is_shipped_c, latest_per_cell


class Change(str, enum.Enum):
    REGRESSED = "regressed"
    FIXED = "fixed"
    FAILURE_CHANGED = "failure-changed"
    BEHAVIOUR_CHANGED = "behaviour-changed"
    NEW = "new"
    GONE = "gone"
    UNTRIED = "untried"
    FLAKY = "flaky"


CHANGE_TITLES: dict[Change, str] = {
    Change.REGRESSED: "Regressed (worked, now fails)",
    Change.FIXED: "Fixed (failed, now works)",
    Change.FAILURE_CHANGED: "Fails at another stage",
    Change.BEHAVIOUR_CHANGED: "Behaviour changed (copy / read-only / locking flipped)",
    Change.NEW: "New cells (not in the baseline)",
    Change.GONE: "Gone (in the baseline, not measured now)",
    Change.UNTRIED: "Could not be tried in one of the runs (never a regression)",
    Change.FLAKY: "Flaky: measured again, the results disagree (never a regression or a fix)",
}

CHECKABLE = (Change.REGRESSED, Change.FIXED, Change.FAILURE_CHANGED, Change.BEHAVIOUR_CHANGED)
"""Changes of a tried result: what ``python -m matrix recheck`` measures again."""


@dataclass(frozen=True)
class CellChange:
    """One (case, cell) that differs from the baseline."""

    change: Change
    case_id: str
    cell_id: str
    before: str
    """The baseline outcome (``—`` for a new cell)."""
    after: str
    """The current outcome (``—`` for a gone cell)."""
    detail: str = ""
    case_changed: bool = False
    """The case's code differs between the two records (another ``case_hash``)."""
    shipped_c: bool = False
    """Either run measured this cell with shipped C (not with Cython on this Python)."""
    check: str = Judgement.UNCHECKED.value
    """What re-measuring the current result said: ``confirmed``, ``flaky`` or ``unchecked``."""
    remeasured: int = 0
    """How many re-measurements were tried."""


@dataclass(frozen=True)
class Diff:
    """Every change against the baseline, in report order, plus what did not change."""

    changes: tuple[CellChange, ...]
    unchanged: int
    baseline_cells: int
    baseline_date: str

    def of(self, change: Change) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if c.change is change)

    def counts(self) -> dict[str, int]:
        """How many cells of each kind of change (every kind present, zero included)."""
        return {kind.value: len(self.of(kind)) for kind in Change}


def _behaviour_flips(before: Record, after: Record) -> str:
    flips = []
    for name in PROPERTIES:
        old = getattr(before.behaviour, name)
        new = getattr(after.behaviour, name)
        if old is not None and new is not None and old != new:
            flips.append(f"{name}: {str(old).lower()} → {str(new).lower()}")
    return "; ".join(flips)


def classify(before: Record | None, after: Record | None) -> tuple[Change, str] | None:
    """What changed between two records of one (case, cell); ``None`` if nothing did."""
    if before is None and after is None:
        return None
    if before is None:
        return Change.NEW, ""
    if after is None:
        return Change.GONE, ""
    old, new = before.outcome, after.outcome
    if old.could_not_be_tried or new.could_not_be_tried:
        return (Change.UNTRIED, "") if old is not new else None
    if old is Outcome.OK and new.failed:
        return Change.REGRESSED, normalize_error(after.first_error)
    if old.failed and new is Outcome.OK:
        return Change.FIXED, normalize_error(before.first_error)
    if old.failed and new.failed:
        if old is new:
            return None
        return Change.FAILURE_CHANGED, normalize_error(after.first_error)
    flips = _behaviour_flips(before, after)
    return (Change.BEHAVIOUR_CHANGED, flips) if flips else None


def diff(baseline: Iterable[Record], current: Sequence[Record],
         case_order: Sequence[str] = (), checks: Mapping[CellKey, Check] | None = None
         ) -> Diff:
    """Compare the current records (one per cell) with the newest baseline record per cell;
    ``checks`` (:func:`matrix.model.checks.checks_of`) set apart the changes that did not repeat."""
    checks = checks or {}
    old = latest_per_cell(baseline)
    new: dict[CellKey, Record] = {(r.case_id, r.cell_id): r for r in current}
    rank = {case_id: index for index, case_id in enumerate(case_order)}

    def order(key: CellKey) -> tuple[object, ...]:
        record = new.get(key) or old[key]
        return (rank.get(key[0], len(rank)), key[0], cell_sort_key(record), key[1])

    changes = []
    unchanged = 0
    for key in sorted(set(old) | set(new), key=order):
        before, after = old.get(key), new.get(key)
        found = classify(before, after)
        if found is None:
            unchanged += 1
            continue
        kind, detail = found
        check = checks.get(key) if after is not None else None
        if check is not None and check.judgement is Judgement.FLAKY and kind in CHECKABLE:
            kind, detail = Change.FLAKY, check.seen_text()
        changed = before is not None and after is not None and before.case_hash != after.case_hash
        shipped = any(r is not None and is_shipped_c(r) for r in (before, after))
        changes.append(CellChange(
            kind, key[0], key[1],
            before.outcome.value if before is not None else "—",
            after.outcome.value if after is not None else "—",
            detail, changed, shipped,
            check.judgement.value if check is not None else Judgement.UNCHECKED.value,
            check.remeasured if check is not None else 0,
        ))
    newest = max((r.timestamp for r in old.values()), default="")
    return Diff(tuple(changes), unchanged, len(old), newest)
