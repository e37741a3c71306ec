"""Inferred version ranges, the way browser-compat-data states support.

From per-version results along one axis (Cython, numpy or Python), ordered oldest first, a
case's support is stated as runs of working / failing versions: "works on Cython >= 0.29.37
(fails on 0.27.3; versions between 0.27.3 and 0.29.37 not tested)". Only tested versions are
named: where the change happened between two tested versions, the statement says so instead of
pretending to know the exact release.

When no single axis explains a case's results, they are split by Python (then numpy) and each
part is explained on its own: "on Python 3.12: fails on numpy >= 2.0.2 (...)".
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from matrix.model.interpreters import InterpreterId
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import is_shipped_c
from matrix.model.versions import version_key
from report.footnotes import FailureKey, failure_key

AXES = ("cython", "numpy", "python")
"""Axes a range can be stated on, in order of preference (the Python axis only within one
interpreter kind: "works on Python >= 3.9" never spans CPython and PyPy)."""
SPLIT_ORDER = ("interpreter", "python", "numpy", "cython")
"""Axes results are split by when no single axis explains them: first the interpreter kind
(CPython, PyPy, free-threaded CPython), whose Pythons form axes of their own."""
AXIS_NAMES = {"cython": "Cython", "numpy": "numpy", "python": "Python", "interpreter": ""}
MAX_SPLIT_DEPTH = 2
"""Splits below the interpreter kind's."""
LISTED_VERSIONS = 3

def axis_value(record: Record, axis: str) -> str | None:
    """The record's version on ``axis`` (numpy only for cells built and run on one numpy)."""
    if axis == "cython":
        return record.cython
    if axis == "python":
        return record.python
    if axis == "numpy":
        return record.numpy_build if record.numpy_build == record.numpy_run else None
    if axis == "interpreter":
        return interpreter_kind(record.python)
    raise ValueError(f"unknown axis {axis!r}")


@functools.lru_cache(maxsize=256)
def interpreter_kind(python: str) -> str:
    """The interpreter kind of a Python axis value, as texts name it: ``CPython`` (``3.11``),
    ``free-threaded CPython`` (``3.13t``), ``PyPy`` (``pypy3.11``); the value itself for one
    no kind has."""
    try:
        found = InterpreterId.from_label(python)
    except ValueError:
        return python
    return found.kind.title

@dataclass(frozen=True)
class Run:
    """Consecutive tested versions (oldest first) that all work, or all fail."""

    works: bool
    versions: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.versions[0]

    @property
    def last(self) -> str:
        return self.versions[-1]

    @property
    def listed(self) -> str:
        """The tested versions: all of them when few, else the first and last."""
        if len(self.versions) <= LISTED_VERSIONS:
            return ", ".join(self.versions)
        return f"{self.first}–{self.last} ({len(self.versions)} tested)"

def runs_of(points: Sequence[tuple[str, bool]]) -> tuple[Run, ...]:
    """Group ``(version, works)`` points, oldest first, into runs of equal ``works``."""
    runs: list[Run] = []
    for version, works in sorted(points, key=lambda p: version_key(p[0])):
        if runs and runs[-1].works == works:
            runs[-1] = Run(works, runs[-1].versions + (version,))
        else:
            runs.append(Run(works, (version,)))
    return tuple(runs)

def _verb(works: bool) -> str:
    return "works" if works else "fails"

def untested_between(axis: str, older: str, newer: str) -> bool:
    """Whether releases may exist between two tested versions.  Python minors are known
    (3.12 and 3.13 are adjacent); for Cython and numpy the report cannot know, so it says so."""
    if axis != "python":
        return True
    try:
        old, new = InterpreterId.from_label(older), InterpreterId.from_label(newer)
    except ValueError:
        return True
    return not (old.kind == new.kind and old.version.major == new.version.major
                and new.version.minor == old.version.minor + 1)


def describe_runs(axis: str, runs: Sequence[Run]) -> str:
    """A sentence for ``runs`` along ``axis`` that names only tested versions."""
    name = AXIS_NAMES.get(axis, axis)
    if not runs:
        return f"not tested on any {name}"
    if len(runs) == 1:
        return f"{_verb(runs[0].works)} on every tested {name} ({runs[0].listed})"
    if len(runs) == 2:
        before, after = runs
        gap = (f"; versions between {before.last} and {after.first} not tested"
               if untested_between(axis, before.last, after.first) else "")
        return (
            f"{_verb(after.works)} on {name} >= {after.first} ({_verb(before.works)} on"
            f" {before.listed}{gap})"
        )
    parts = ", ".join(f"{_verb(run.works)} on {run.listed}" for run in runs)
    return f"{name}: {parts} (versions between the tested ones not tested)"

@dataclass(frozen=True)
class RangeStatement:
    """One inferred statement, possibly qualified (``on Python 3.12``)."""

    text: str
    qualifier: tuple[tuple[str, str], ...] = ()
    failures: tuple[FailureKey, ...] = ()
    shipped_c: bool = False
    """Some of the cells the statement rests on were measured with shipped C."""

    @property
    def qualifier_text(self) -> str:
        """``on Python 3.12, numpy 1.26.4``; empty when unqualified."""
        if not self.qualifier:
            return ""
        return "on " + ", ".join(f"{AXIS_NAMES[a]} {v}".strip() for a, v in self.qualifier)

    @property
    def sentence(self) -> str:
        prefix = self.qualifier_text
        return f"{prefix}: {self.text}" if prefix else self.text

def _failures(records: Sequence[Record]) -> tuple[FailureKey, ...]:
    keys: list[FailureKey] = []
    for record in records:
        key = failure_key(record)
        if key is not None and record.outcome.failed and key not in keys:
            keys.append(key)
    return tuple(keys)

class _Point(NamedTuple):
    """A tried record with its value on every axis, read once (:func:`axis_value`)."""

    record: Record
    ok: bool
    values: dict[str, str | None]


def _points(records: Sequence[Record]) -> list[_Point]:
    return [_Point(r, r.outcome is Outcome.OK, {axis: axis_value(r, axis) for axis in ALL_AXES})
            for r in records if not r.outcome.could_not_be_tried and r.cell_kind != "abi"]


ALL_AXES = (*AXES, "interpreter")


def _pure_points(points: Sequence[_Point], axis: str) -> list[tuple[str, bool]] | None:
    """``(version, works)`` per version if every version's records agree; else ``None``."""
    if axis == "python" and len({p.values["interpreter"] for p in points}) > 1:
        return None  # a Python axis spans one interpreter kind
    seen: dict[str, bool] = {}
    for point in points:
        value = point.values[axis]
        if value is None:
            return None
        if seen.setdefault(value, point.ok) != point.ok:
            return None
    return list(seen.items()) if len(seen) > 1 else None

def _stages(records: Sequence[Record]) -> str:
    found = {r.outcome for r in records if r.outcome.failed}
    return ", ".join(o.value for o in Outcome if o in found)

def explain(records: Sequence[Record],
            qualifier: tuple[tuple[str, str], ...] = ()) -> list[RangeStatement]:
    """Inferred statements for the tried records of one case (ABI cells excluded).

    Args:
        records: the case's records (``abi`` cells are ignored; untried ones are no evidence).
        qualifier: the axis values the records were already narrowed to.
    """
    return _explain(_points(records), qualifier)


def _explain(points: list[_Point], qualifier: tuple[tuple[str, str], ...]
             ) -> list[RangeStatement]:
    tried = [p.record for p in points]
    shipped = any(is_shipped_c(r) for r in tried)
    if not tried:
        return [RangeStatement("not tried on any cell", qualifier)]
    if all(p.ok for p in points):
        return [RangeStatement(EVERYWHERE, qualifier, (), shipped)]
    if not any(p.ok for p in points):
        text = f"fails on every tested cell ({_stages(tried)})"
        return [RangeStatement(text, qualifier, _failures(tried), shipped)]
    fixed = {axis for axis, _ in qualifier}
    candidates: list[tuple[int, int, str, tuple[Run, ...]]] = []
    for rank, axis in enumerate(AXES):
        if axis in fixed:
            continue
        pure = _pure_points(points, axis)
        if pure is not None:
            runs = runs_of(pure)
            candidates.append((len(runs), rank, axis, runs))
    if candidates:
        _, _, axis, runs = min(candidates)
        return [RangeStatement(describe_runs(axis, runs), qualifier, _failures(tried), shipped)]
    if sum(axis != "interpreter" for axis, _ in qualifier) < MAX_SPLIT_DEPTH:
        splits: list[tuple[int, int, list[RangeStatement]]] = []
        kinds = len({p.values["interpreter"] for p in points})
        for rank, axis in enumerate(SPLIT_ORDER):
            if axis in fixed:
                continue
            by_value: dict[str | None, list[_Point]] = {}
            for point in points:
                by_value.setdefault(point.values[axis], []).append(point)
            if None in by_value or len(by_value) < 2:
                continue
            if axis == "python" and kinds > 1:
                continue  # Pythons of several kinds: split by kind first
            parts = [(value, _explain(by_value[value], qualifier + ((axis, value),)))
                     for value in sorted((v for v in by_value if v is not None), key=version_key)]
            statements = _collapse(_merge_adjacent(parts, qualifier, axis), qualifier)
            splits.append((len(statements), rank, statements))
        if splits:
            return min(splits, key=lambda split: split[:2])[2]
    return [RangeStatement("varies; see the per-Python tables", qualifier, _failures(tried),
                           shipped)]


EVERYWHERE = "works on every tested cell"


def _merge_adjacent(parts: list[tuple[str, list[RangeStatement]]],
                    qualifier: tuple[tuple[str, str], ...], axis: str) -> list[RangeStatement]:
    """The statements of a split, adjacent versions that say the same thing merged into one
    (``on Cython 0.27.3–0.29.32: fails on every tested cell``: a bisection's cells then add no
    line of their own)."""
    merged: list[tuple[list[str], list[RangeStatement]]] = []
    for value, statements in parts:
        last = merged[-1] if merged else None
        if (last is not None and len(statements) == 1 and len(last[1]) == 1
                and statements[0].text == last[1][0].text
                and statements[0].shipped_c == last[1][0].shipped_c):
            last[0].append(value)
            held = last[1][0]
            failures = held.failures + tuple(f for f in statements[0].failures
                                             if f not in held.failures)
            last[1][0] = RangeStatement(held.text, held.qualifier, failures, held.shipped_c)
            continue
        merged.append(([value], list(statements)))
    out: list[RangeStatement] = []
    for values, statements in merged:
        if len(values) > 1:
            span = f"{values[0]}–{values[-1]}"
            statements = [RangeStatement(s.text, qualifier + ((axis, span),), s.failures,
                                         s.shipped_c) for s in statements]
        out.extend(statements)
    return out


def _collapse(statements: list[RangeStatement],
              qualifier: tuple[tuple[str, str], ...]) -> list[RangeStatement]:
    """Fold the parts that simply work into one trailing "works on every other tested cell"."""
    working = [s for s in statements if s.text == EVERYWHERE]
    rest = [s for s in statements if s.text != EVERYWHERE]
    if not working or not rest:
        return statements
    shipped = any(s.shipped_c for s in working)
    return rest + [RangeStatement("works on every other tested cell", qualifier, (), shipped)]


def infer_ranges(records: Sequence[Record], *, max_statements: int = 8,
                 ) -> tuple[RangeStatement, ...]:
    """:func:`explain`, falling back to one summary statement when it needs too many."""
    statements = explain(records)
    if len(statements) <= max_statements:
        return tuple(statements)
    tried = [r for r in records if not r.outcome.could_not_be_tried and r.cell_kind != "abi"]
    return (RangeStatement(
        "works on some cells and fails on others in a pattern no single version explains;"
        " see the per-Python tables", (), _failures(tried),
        any(is_shipped_c(r) for r in tried)),)
