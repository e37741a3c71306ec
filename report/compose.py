"""The report as data: one pure function of (records, cases, previous run, re-measurements).

:func:`compose` computes everything the renderers show (summary, ranges, detail tables,
build-vs-run tables, notes, diff, provenance); the markdown, JSON, CSV and picture are all
rendered from its :class:`report.model.Report`, so they cannot disagree.

Every conversion case is judged against the measured toolchain baseline
(:mod:`report.controls`): a failure where the cell's control case failed at the same stage is
the toolchain's. The summary, the inferred ranges and the heatmap count a case's own failures;
the toolchain failures are shown once, in the toolchain table (the control cases' results), and
as :data:`~report.verdicts.TOOLCHAIN` in the per-Python tables, which still show every record.

Notes have stable ids (:func:`report.footnotes.note_id`) and are listed in document order:
the toolchain table first, then the summary rows (cells left to right, then the semantics
columns), then the per-Python tables, then the build-vs-run tables.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Optional, Union

from matrix.model.checks import Check, Judgement, Remeasurement, checks_of, signature
from matrix.model.compilers import DEFAULT_COMPILER
from matrix.model.compilers import spec as compiler_spec
from matrix.model.diff import Diff, diff
from matrix.model.interpreters import DEFAULT_KIND, KINDS, InterpreterId, kind_id
from matrix.model.records import Record
from matrix.model.selection import (
    CaseInfo,
    CellKey,
    Selection,
    ordered_cases,
    select_current,
    series,
)
from matrix.model.versions import sorted_versions
from report.background import start
from report.compilers import CompilerDisagreement
from report.compilers import disagreements as compiler_disagreements
from report.controls import ToolchainBaseline, toolchain_baseline_of
from report.footnotes import FailureKey, FootnoteBook, NoteId
from report.legend import SHIPPED_C, Verdict
from report.model import CaseRow, KindSummary, Provenance, Report, VerdictCell
from report.provenance import provenance_of
from report.ranges import RangeStatement, infer_ranges
from report.references import Reference
from report.semantics import (
    KIND_PROPERTIES,
    VARIES,
    Measured,
    contradictions,
    dangles_text,
    documented_text,
    gil_at_import_text,
    kind_difference_text,
    measure,
    measure_locks,
    measure_safety,
    measure_semantics,
    probe_errors_text,
    safety_text,
    split_by_kind,
    varies_text,
)
from report.tables import abi_tables, detail_tables, import_flaky, table_cell, toolchain_section
from report.verdicts import GroupVerdict, aggregate

ANSWER_VERDICTS = frozenset({Verdict.OK, Verdict.MIXED, Verdict.FAILED, Verdict.FLAKY})
"""The verdicts that answer for a case (the others: nothing of the case's own was tried)."""


def kind_differs(other: GroupVerdict, cpython: GroupVerdict) -> bool:
    """Whether another interpreter kind's verdict on a series says something CPython's does
    not: both answer for the case (works, fails, flaky) and the verdict, or the stages it fails
    at, differ. A series where only one side answers (the other tried nothing, or hit only its
    toolchain's failures) is no difference: the toolchain table has the rest."""
    return (other.verdict in ANSWER_VERDICTS and cpython.verdict in ANSWER_VERDICTS
            and (other.verdict, other.stages) != (cpython.verdict, cpython.stages))


def _semantic_notes(book: FootnoteBook, case_id: str, what: str, measured: Measured
                    ) -> tuple[NoteId, ...]:
    if measured.label != VARIES:
        return ()
    return (book.note(case_id, varies_text(what, measured)),)


def _shown(statements: Sequence[RangeStatement]) -> list[tuple[str, frozenset[FailureKey]]]:
    """What a reader sees of range statements: the sentences and the failures they cite."""
    return [(s.sentence, frozenset(s.failures)) for s in statements]


def case_ranges(records: Sequence[Record], left_out: frozenset[CellKey] = frozenset(),
                ) -> tuple[tuple[RangeStatement, ...], bool]:
    """A case's inferred ranges with the records ``left_out`` (its toolchain failures)
    treated as untried, and whether leaving them out changed what the ranges say."""
    if not records:
        return (), False
    kept = [r for r in records if (r.case_id, r.cell_id) not in left_out]
    ranges = infer_ranges(kept)
    if len(kept) == len(records):
        return ranges, False
    return ranges, _shown(ranges) != _shown(infer_ranges(records))


def _place(record: Record) -> tuple[str, str | None, str | None]:
    """Where a record ran, apart from the interpreter kind: its language version and numpy
    builds (``pypy3.9`` and ``3.9`` run in the same place)."""
    try:
        minor = InterpreterId.from_label(record.python).minor
    except ValueError:
        minor = record.python
    return (minor, record.numpy_build, record.numpy_run)


def _case_row(case: CaseInfo, records: Sequence[Record], series_list: Sequence[str],
              book: FootnoteBook, toolchain: frozenset[CellKey] = frozenset(),
              flaky: frozenset[CellKey] = frozenset(),
              compiler_dependent: frozenset[tuple[str, str]] = frozenset(),
              sanitized: Sequence[Record] = ()) -> CaseRow:
    shown = [r for r in records if r.cell_kind != "abi"]
    # The series columns answer for CPython, as the semantics columns do; every other kind has
    # its own verdicts beside them (KindSummary), shown where they differ.
    shown_by_kind = split_by_kind(shown)
    cpython_shown = shown_by_kind.pop(DEFAULT_KIND, [])

    def series_cells(chosen: Sequence[Record]) -> tuple[VerdictCell, ...]:
        return tuple(replace(table_cell(aggregate([r for r in chosen if series(r.cython) == s],
                                                  flaky, toolchain), book),
                             compiler_dependent=(case.id, s) in compiler_dependent)
                     for s in series_list)

    cells = series_cells(cpython_shown)
    kind_rows = []
    for kind, records_of_kind in shown_by_kind.items():
        # Other kinds are measured with the default compiler only: no compiler mark.
        own = tuple(replace(c, compiler_dependent=False) for c in series_cells(records_of_kind))
        differs, same = [], []
        for s, cell in zip(series_list, own):
            # Compared with CPython on the same language versions and numpy builds: PyPy 3.9
            # has numpy wheels from 1.25 only, and CPython 3.15 is no evidence about it.
            alike = {_place(r) for r in records_of_kind if series(r.cython) == s}
            same_place = [r for r in cpython_shown
                          if series(r.cython) == s and _place(r) in alike]
            theirs = aggregate(same_place, flaky, toolchain)
            if cpython_shown:
                differs.append(kind_differs(cell.verdict, theirs))
            else:  # a store without CPython: everything the kind answers is news
                differs.append(cell.verdict.verdict in ANSWER_VERDICTS)
            same.append(cell.verdict.verdict in ANSWER_VERDICTS and not differs[-1]
                        and theirs.verdict in ANSWER_VERDICTS)
        kind_rows.append(KindSummary(kind=kind, name=KINDS[kind].title, series=own,
                                     differs=tuple(differs), same=tuple(same)))
    # Semantics and ranges rest on settled results only: a flaky cell says neither.
    main = [r for r in shown if (r.case_id, r.cell_id) not in flaky]
    # The semantics columns answer for CPython (the guide's interpreter); another kind's
    # answer, where it differs, is a note beside it that names the difference.
    by_kind = split_by_kind(main)
    cpython = by_kind.pop(DEFAULT_KIND, []) or main
    semantics = measure_semantics(cpython)
    semantics_notes = _semantic_notes(book, case.id, "copy semantics", semantics)
    locks = measure_locks(cpython)
    locks_notes = _semantic_notes(book, case.id, "source locking", locks)
    # Safety: the default compiler's cells and the sanitizer's (CPython), settled ones only.
    with_sanitizer = [*cpython, *(r for r in sanitized if (r.case_id, r.cell_id) not in flaky
                                  and kind_id(r.python) == DEFAULT_KIND)]
    safety = measure_safety(with_sanitizer)
    safety_note = safety_text(safety)
    safety_notes: tuple[NoteId, ...] = (book.note(case.id, safety_note),) if safety_note else ()
    dangles = dangles_text(with_sanitizer)
    if dangles is not None:
        safety_notes += (book.note(case.id, dangles),)
    for kind, records_of_kind in by_kind.items():
        # Compared with CPython where it ran alike (language version, numpy builds): a 3.13t
        # answer against CPython 3.13's, not against 2.7's.
        alike = {_place(r) for r in records_of_kind}
        cpython_alike = [r for r in cpython if _place(r) in alike]
        for what, label in KIND_PROPERTIES:
            text = kind_difference_text(KINDS[kind].title, what, measure(cpython_alike, label),
                                        measure(records_of_kind, label), records_of_kind,
                                        label)
            if text is None:
                continue
            if what == "locks the source":
                locks_notes += (book.note(case.id, text),)
            elif what == "safety after a resize":
                safety_notes += (book.note(case.id, text),)
            else:
                semantics_notes += (book.note(case.id, text),)
    probe_errors = probe_errors_text(main)
    if probe_errors is not None:
        semantics_notes += (book.note(case.id, probe_errors),)
    found = contradictions(case.expect, cpython)
    contradiction_notes = tuple(book.note(case.id, text) for text in found)
    ranges, changed = case_ranges(main, toolchain)
    range_notes = tuple(tuple(sorted(book.failures(s.failures))) for s in ranges)
    excused = sum(1 for r in records if (r.case_id, r.cell_id) in toolchain)
    safety_contradicted = bool(contradictions(case.expect, cpython, ("safe",)))
    return CaseRow(case=case, series=cells, semantics=semantics, semantics_notes=semantics_notes,
                   locks=locks, locks_notes=locks_notes, safety=safety, safety_notes=safety_notes,
                   safety_contradicted=safety_contradicted,
                   documented=documented_text(case.expect), contradictions=found,
                   contradiction_notes=contradiction_notes, ranges=ranges,
                   range_notes=range_notes, tested=bool(main), ranges_leave_out_toolchain=changed,
                   toolchain_failures=excused, kinds=tuple(kind_rows))


def _own_results_differ(disagreement: CompilerDisagreement, judge: ToolchainBaseline) -> bool:
    """The compilers disagree on the case's own results (toolchain failures left out)."""
    own = {(r.outcome, signature(r).behaviour) for _, r in disagreement.results
           if not r.outcome.could_not_be_tried and not judge.is_toolchain_failure(r)}
    return len(own) > 1


BaselineSource = Union[Iterable[Record], Callable[[], Optional[Iterable[Record]]], None]
"""The previous run's records, or what reads them (``None``: no baseline), or ``None``."""

BACKGROUND_FROM = 5000
"""From this many records on, the diff (with the reading of its baseline) and the provenance
are computed in a forked process while this one composes the tables (:mod:`report.background`):
on the published grid that is about a third of the work; below, a fork costs more than it
saves."""


def compose(records: Iterable[Record], cases: Iterable[CaseInfo],
            baseline_records: BaselineSource = None,
            rechecks: Iterable[Remeasurement] = (),
            references: Sequence[Reference] = (), *, background: bool | None = None) -> Report:
    """The whole report, from the store's records, the cases, the previous run and the
    re-measurements (:mod:`matrix.model.checks`); failure notes cite the matching ``references``.

    ``baseline_records`` may be a function that reads them (called once, in the background
    where there is one; an error it raises is raised here).  ``background``: whether part of
    the work goes to a forked process (default: from :data:`BACKGROUND_FROM` records on); the
    report is the same either way."""
    records = records if isinstance(records, (list, tuple)) else list(records)
    ordered = ordered_cases(cases)
    selection = select_current(records, ordered)
    everything = selection.records
    # The tables show the default compiler; the others are compared with it (report.compilers).
    current = tuple(r for r in everything if r.compiler == DEFAULT_COMPILER)
    other_compilers = tuple(r for r in everything if r.compiler != DEFAULT_COMPILER)
    log = list(rechecks)
    checks = checks_of(everything, log)
    flaky = frozenset(key for key, check in checks.items()
                      if check.judgement is Judgement.FLAKY)
    case_order = [c.id for c in ordered]
    # Neither the diff nor the provenance reads what the tables are made of below.
    elsewhere = start(functools.partial(
        _diff_and_provenance, baseline_records, everything, case_order, checks, ordered,
        selection, log), fork=len(records) >= BACKGROUND_FROM if background is None else background)
    judge = toolchain_baseline_of(everything, ordered, flaky)
    toolchain = judge.toolchain_failures(everything)
    by_compiler = compiler_disagreements(everything)
    compiler_dependent = frozenset((d.case_id, series(d.cython)) for d in by_compiler
                                   if d.numpy_build == d.numpy_run
                                   and _own_results_differ(d, judge))
    book = FootnoteBook(everything, marker=SHIPPED_C, checks=checks, references=references)
    series_list = tuple(sorted_versions(series(r.cython) for r in current))
    by_case: dict[str, list[Record]] = defaultdict(list)
    for record in current:
        by_case[record.case_id].append(record)
    controls = tuple(case for case in ordered if case.is_control)
    section = toolchain_section(controls, current, everything, judge, book, flaky,
                                by_compiler)
    # The sanitizer's cells answer the safety question too (AddressSanitizer at the read after
    # the resize); their outcomes are compared with gcc's like any other compiler's.
    sanitized: dict[str, list[Record]] = defaultdict(list)
    for record in other_compilers:
        if compiler_spec(record.compiler).sanitizer is not None:
            sanitized[record.case_id].append(record)
    rows = tuple(_case_row(case, by_case.get(case.id, []), series_list, book, toolchain, flaky,
                           compiler_dependent, sanitized.get(case.id, []))
                 for case in ordered if not case.is_control)
    details = detail_tables(ordered, current, book, flaky, toolchain)
    abi = abi_tables(ordered, current, book, import_flaky(checks))
    for key in book.all_failure_keys():  # every failure gets a note, even one no cell shows
        book.failure(key)
    flaky_notes = {key: book.flaky([key])[0] for key in book.all_flaky()}
    notes = {key: book.failure(key) for key in book.all_failure_keys()}
    changes, provenance = elsewhere.result()
    return Report(provenance=provenance, series=series_list, rows=rows, details=details,
                  abi=abi, footnotes=book.notes(), failure_notes=notes, records=current,
                  diff=changes, toolchain=section, toolchain_baseline=judge, checks=checks,
                  flaky_notes=flaky_notes, compiler_records=other_compilers,
                  compiler_disagreements=by_compiler, gil_at_import=gil_at_import_text(current))


def _diff_and_provenance(baseline: BaselineSource, everything: Sequence[Record],
                         case_order: Sequence[str], checks: Mapping[CellKey, Check],
                         ordered: Sequence[CaseInfo], selection: Selection,
                         log: Sequence[Remeasurement]) -> tuple[Diff | None, Provenance]:
    """The diff against the baseline (read first, if ``baseline`` reads it) and the
    provenance: the part of :func:`compose` that needs nothing else it makes."""
    previous = baseline() if callable(baseline) else baseline
    changes = diff(previous, everything, case_order, checks) if previous is not None else None
    provenance = provenance_of(everything, ordered, stale=selection.stale,
                               unknown=selection.unknown, superseded=selection.superseded,
                               unknown_engines=selection.unknown_engines,
                               others=selection.others, checks=checks, rechecks=log)
    return changes, provenance
