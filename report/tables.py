"""The per-Python, build-vs-run and toolchain tables as data (:class:`report.model.DetailTable`,
:class:`report.model.AbiTable`, :class:`report.model.ToolchainSection`), and the table cell
every table of the report is made of (:func:`table_cell`: a verdict and its notes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from matrix.model.checks import Check, Judgement
from matrix.model.outcomes import Outcome, Stage
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, CellKey, cell_sort_key
from matrix.model.versions import sorted_versions
from report.cgeneration import shipped_cells_of
from report.compilers import CompilerDisagreement
from report.controls import ToolchainBaseline
from report.footnotes import FootnoteBook
from report.model import (
    AbiTable,
    DetailRow,
    DetailTable,
    ToolchainGrid,
    ToolchainSection,
    VerdictCell,
)
from report.verdicts import GroupVerdict, aggregate

REACHED_IMPORT = frozenset(o for o in Outcome if o.built)


def table_cell(group: GroupVerdict, book: FootnoteBook, *, toolchain_notes: bool = False
               ) -> VerdictCell:
    """A table cell; ``toolchain_notes``: also refer to the notes of its toolchain failures
    (the per-Python tables do; the summary leaves them to the toolchain table)."""
    notes = set(book.failures(group.failures)) | set(book.flaky(group.flaky))
    if toolchain_notes:
        notes |= set(book.failures(group.toolchain_failures))
    return VerdictCell(verdict=group, notes=tuple(sorted(notes)))


def detail_tables(cases: Sequence[CaseInfo], records: Sequence[Record],
                  book: FootnoteBook, flaky: frozenset[CellKey] = frozenset(),
                  toolchain: frozenset[CellKey] = frozenset()) -> tuple[DetailTable, ...]:
    """Cython x case (x numpy) on each Python: every shown record."""
    tables = []
    for python in sorted_versions(r.python for r in records):
        here = [r for r in records if r.python == python and r.cell_kind != "abi"]
        cython = tuple(sorted_versions(r.cython for r in here))
        numpys = sorted_versions(r.numpy_build for r in here if r.cell_kind == "numpy")
        by_coordinate = {(r.case_id, r.numpy_build, r.cython): r for r in here}
        rows = []
        for case in cases:
            for numpy in (numpys if case.needs_numpy else [None]):
                cells = []
                for version in cython:
                    record = by_coordinate.get((case.id, numpy, version))
                    group = aggregate([record] if record else [], flaky, toolchain)
                    cells.append(table_cell(group, book, toolchain_notes=True))
                rows.append(DetailRow(case_id=case.id, numpy=numpy, cells=tuple(cells)))
        versions = sorted_versions(str(r.provenance.get("python_version") or "") for r in here)
        tables.append(DetailTable(python=python, versions=tuple(versions), cython=cython,
                                  rows=tuple(rows), shipped=shipped_cells_of(here)))
    return tuple(tables)


def import_verdict(records: Sequence[Record], flaky: frozenset[CellKey] = frozenset()
                   ) -> GroupVerdict:
    """Did the built modules import? Run-stage outcomes count as imported."""
    reached = [r for r in records if r.outcome in REACHED_IMPORT]
    if not reached:
        return aggregate(records, flaky)
    untried = [r for r in records if r.outcome.could_not_be_tried]
    imported = [r if r.outcome.stage is not Stage.RUN
                else replace(r, outcome=Outcome.OK, first_error=None) for r in reached]
    return aggregate(sorted(imported + untried, key=cell_sort_key), flaky)


def _import_stage(outcome: str) -> str:
    if outcome == Outcome.IMPORT_ERROR.value:
        return "failed"
    reached = {o.value for o in REACHED_IMPORT}
    return "imported" if outcome in reached else "not reached"


def import_flaky(checks: Mapping[CellKey, Check]) -> frozenset[CellKey]:
    """Flaky records whose re-measurements disagree on *importing* (the build-vs-run table's
    question); one whose run only failed differently imports every time."""
    return frozenset(key for key, check in checks.items()
                     if check.judgement is Judgement.FLAKY
                     and len({_import_stage(sig.outcome) for sig, _ in check.seen}) > 1)


def abi_tables(cases: Sequence[CaseInfo], records: Sequence[Record],
               book: FootnoteBook, flaky: frozenset[CellKey] = frozenset()
               ) -> tuple[AbiTable, ...]:
    """numpy built against x run under on each Python with build-vs-run cells."""
    numpy_cases = {c.id for c in cases if c.needs_numpy and not c.is_control}
    tables = []
    for python in sorted_versions(r.python for r in records):
        here = [r for r in records if r.python == python and r.case_id in numpy_cases
                and r.numpy_build is not None]
        if not any(r.cell_kind == "abi" for r in here):
            continue
        builds = tuple(sorted_versions(r.numpy_build for r in here))
        runs = tuple(sorted_versions(r.numpy_run for r in here))
        grouped: dict[tuple[str | None, str | None], list[Record]] = defaultdict(list)
        for record in here:
            grouped[(record.numpy_build, record.numpy_run)].append(record)
        cells = tuple(
            tuple(table_cell(import_verdict(grouped.get((b, r), []), flaky), book)
                  for r in runs)
            for b in builds
        )
        abi_cython = sorted_versions(r.cython for r in here
                                     if r.cell_kind == "abi" and not r.outcome.could_not_be_tried)
        tables.append(AbiTable(python=python, builds=builds, runs=runs, cells=cells,
                               cython=tuple(abi_cython), cases=len({r.case_id for r in here})))
    return tuple(tables)


def _toolchain_grid(control: CaseInfo, records: Sequence[Record], book: FootnoteBook,
                    flaky: frozenset[CellKey]) -> ToolchainGrid | None:
    """The control's results on Python (core) or numpy built against (numpy) x Cython.

    A release measured on fewer than half of the rows (a bisection's cells: Cython 0.28 on
    Python 3.6 only) gets no column of blanks: its cells are listed apart (``extra``); so does
    a row measured with fewer than half of the remaining releases."""
    mine = [r for r in records if r.case_id == control.id and r.cell_kind != "abi"]
    if not mine:
        return None
    grouped: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in mine:
        row = (record.numpy_build if control.needs_numpy else record.python) or ""
        grouped[(row, record.cython)].append(record)
    cython = sorted_versions(r.cython for r in mine)
    rows = sorted_versions(row for row, _ in grouped)
    wide = [v for v in cython if 2 * sum((row, v) in grouped for row in rows) >= len(rows)]
    full = [row for row in rows if 2 * sum((row, v) in grouped for v in wide) >= len(wide)]

    def cell(row: str, version: str) -> VerdictCell:
        return table_cell(aggregate(sorted(grouped.get((row, version), []),
                                           key=cell_sort_key), flaky), book)

    cells = tuple(tuple(cell(row, version) for version in wide) for row in full)
    extra = tuple((row, version, cell(row, version)) for row in rows for version in cython
                  if (row, version) in grouped and (row not in full or version not in wide))
    axis = "numpy" if control.needs_numpy else "Python"
    return ToolchainGrid(case_id=control.id, rows_axis=axis, rows=tuple(full),
                         cython=tuple(wide), cells=cells, extra=extra)


def toolchain_section(controls: Sequence[CaseInfo], current: Sequence[Record],
                      everything: Sequence[Record], judge: ToolchainBaseline,
                      book: FootnoteBook,
                      flaky: frozenset[CellKey],
                      by_compiler: Sequence[CompilerDisagreement]) -> ToolchainSection:
    made = (_toolchain_grid(c, current, book, flaky) for c in controls)
    grids = tuple(sorted((grid for grid in made if grid is not None),
                         key=lambda grid: (grid.rows_axis != "Python", grid.case_id)))
    cases = [r for r in everything if not judge.is_control(r.case_id)]
    return ToolchainSection(
        grids=grids,
        compilers=tuple(d for d in by_compiler if judge.is_control(d.case_id)),
        excused=sum(1 for r in cases if judge.is_toolchain_failure(r)),
        judged=sum(1 for r in cases if judge.judges(r)),
    )
