"""The compiler axis in the report: where the C compilers disagree.

The summary, detail and build-vs-run tables, ranges and toolchain table show the default compiler
(gcc), as they always did; the records of the other compilers (:mod:`matrix.model.compilers`) are
compared with it cell by cell.  A *disagreement* is a (case, Python, Cython, numpy) whose
compilers did not all give the same outcome (or, where all worked, the same behaviour): two
compilers rejecting the same C in their own words agree.  The report lists every one, with each
compiler's result, first error line and note, and marks the summary cells whose verdict depends
on the compiler.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matrix.model.checks import signature
from matrix.model.compilers import COMPILERS, DEFAULT_COMPILER
from matrix.model.records import Record
from matrix.model.selection import cell_sort_key

Coordinate = tuple[str, str, str, str | None, str | None]
"""``(case_id, python, cython, numpy_build, numpy_run)``: a cell without its compiler."""


def coordinate(record: Record) -> Coordinate:
    return (record.case_id, record.python, record.cython, record.numpy_build, record.numpy_run)


@dataclass(frozen=True)
class CompilerDisagreement:
    """One cell whose compilers gave different results."""

    case_id: str
    python: str
    cython: str
    numpy_build: str | None
    numpy_run: str | None
    results: tuple[tuple[str, Record], ...]
    """``(compiler, record)`` in :data:`matrix.model.compilers.COMPILERS` order."""

    @property
    def cell_id(self) -> str:
        return self.results[0][1].cell_id


def compiler_order(compiler: str) -> int:
    """The compiler's place on the axis (the default first)."""
    order = list(COMPILERS)
    return order.index(compiler) if compiler in order else len(order)


def disagreements(records: Iterable[Record]) -> tuple[CompilerDisagreement, ...]:
    """Every cell measured by several compilers whose results differ (tried results only: a
    compiler that could not be tried there is no disagreement)."""
    by_cell: dict[Coordinate, list[Record]] = defaultdict(list)
    for record in records:
        by_cell[coordinate(record)].append(record)
    found = []
    for cell, group in by_cell.items():
        tried = [r for r in group if not r.outcome.could_not_be_tried]
        results = {(r.outcome, signature(r).behaviour) for r in tried}
        if len({r.compiler for r in tried}) < 2 or len(results) < 2:
            continue
        ordered = sorted(group, key=lambda r: compiler_order(r.compiler))
        found.append(CompilerDisagreement(*cell, tuple((r.compiler, r) for r in ordered)))
    base = {id(d): min((r for _, r in d.results if r.compiler == DEFAULT_COMPILER),
                       key=cell_sort_key, default=d.results[0][1]) for d in found}
    return tuple(sorted(found, key=lambda d: (d.case_id, cell_sort_key(base[id(d)]))))


def compilers_measured(records: Sequence[Record]) -> tuple[tuple[str, int], ...]:
    """``(compiler, records)`` in axis order."""
    counts: dict[str, int] = defaultdict(int)
    for record in records:
        counts[record.compiler] += 1
    return tuple(sorted(counts.items(), key=lambda item: compiler_order(item[0])))
