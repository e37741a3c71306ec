"""The report as data: one pure function of (records, cases, previous run, re-measurements).

:func:`compose` computes everything the renderers show (summary, ranges, detail tables,
build-vs-run tables, notes, diff, provenance); the markdown, JSON, CSV and picture are all
rendered from its :class:`Report`, so they cannot disagree.

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
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Optional, Union

from matrix.model.checks import (
    AaFigure,
    Check,
    Judgement,
    Remeasurement,
    checks_of,
    latest_aa,
    signature,
)
from matrix.model.compilers import DEFAULT_COMPILER
from matrix.model.compilers import spec as compiler_spec
from matrix.model.diff import Diff, diff
from matrix.model.interpreters import DEFAULT_KIND, InterpreterId, kind_id
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import (
    CaseInfo,
    CellKey,
    Selection,
    cell_sort_key,
    is_shipped_c,
    ordered_cases,
    select_current,
    series,
    sorted_versions,
)
from report.background import start
from report.cgeneration import (
    CGeneration,
    GenerationClasses,
    ShippedCells,
    c_generation_of,
    generation_classes_of,
    shipped_cells_of,
)
from report.compilers import CompilerDisagreement, compilers_measured
from report.compilers import disagreements as compiler_disagreements
from report.controls import ToolchainBaseline, toolchain_baseline_of
from report.footnotes import FailureKey, Footnote, FootnoteBook, NoteId, failure_key
from report.legend import SHIPPED_C, Verdict
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
    kind_name,
    measure,
    measure_locks,
    measure_safety,
    measure_semantics,
    probe_errors_text,
    safety_text,
    split_by_kind,
    varies_text,
)
from report.toolchains import ToolchainDisagreement, disagreements, toolchain_counts
from report.verdicts import GroupVerdict, aggregate

_REACHED_IMPORT = frozenset(
    {Outcome.OK, Outcome.IMPORT_ERROR, Outcome.RUN_ERROR, Outcome.CRASH, Outcome.MEMORY_ERROR,
     Outcome.TIMEOUT}
)


@dataclass(frozen=True)
class Provenance:
    """What was measured, where and when (the newest record's time: no wall clock)."""

    date: str
    records: int
    cells: int
    cases: int
    cases_tested: int
    outcomes: tuple[tuple[str, int], ...]
    pythons: tuple[tuple[str, str], ...]
    """``(minor, exact versions)`` of the interpreters tested."""
    cython: tuple[str, ...]
    numpy: tuple[str, ...]
    platforms: tuple[str, ...]
    compilers: tuple[str, ...]
    cflags: tuple[str, ...]
    build_tools: tuple[str, ...]
    env_backends: tuple[str, ...]
    runner_hashes: tuple[str, ...]
    digest: str
    """sha256 (first 16 hex digits) of the keys of the records used."""
    stale: int = 0
    unknown: int = 0
    superseded: int = 0
    unknown_engines: tuple[tuple[str, int], ...] = ()
    """``(engine version, records)`` of the engines this code does not know: never shown as
    the current result (:mod:`matrix.model.engines`), named here."""
    python_sources: tuple[tuple[str, str], ...] = ()
    """``(minor, where the interpreters came from)``, e.g. ``("3.12", "pyenv")``, when known."""
    tried: int = 0
    """Records that were tried (not ``not-possible`` or ``env-error``)."""
    shipped_c: int = 0
    """Tried records measured with shipped C."""
    shipped_cells: tuple[ShippedCells, ...] = ()
    """Where shipped C stood in for Cython, and why."""
    c_generation: tuple[CGeneration, ...] = ()
    """Each Cython release's invariance check, as records before generation classes state it."""
    generation_classes: tuple[GenerationClasses, ...] = ()
    """Each Cython release's generation classes, as the records state them."""
    engine_versions: tuple[str, ...] = ()
    """Versions of the outcome-deciding code (:mod:`matrix.run.engine_version`) of the records."""
    run_timeouts: tuple[str, ...] = ()
    """Seconds a case could run, as the records state it."""
    toolchains: tuple[tuple[str, int], ...] = ()
    """``(toolchain, records shown)``: which compiler, Python patch and machine measured what."""
    toolchain_disagreements: tuple[ToolchainDisagreement, ...] = ()
    """Cells another toolchain measured differently (the tables show the newest record)."""
    compiler_counts: tuple[tuple[str, int], ...] = ()
    """``(compiler, records)``: what each entry of the compiler axis measured."""
    checked: tuple[tuple[str, int], ...] = ()
    """``(judgement, records)`` over the shown records the re-measurement log covers."""
    aa: AaFigure | None = None
    """The latest A/A run (:func:`matrix.model.checks.latest_aa`)."""
    controls: int = 0
    """How many of the cases are toolchain controls (:mod:`report.controls`)."""

    @property
    def knows_c_generation(self) -> bool:
        """The records say how their C was generated (results from before that say nothing)."""
        return bool(self.c_generation or self.generation_classes or self.shipped_cells)


@dataclass(frozen=True)
class VerdictCell:
    """A table cell: a verdict and the notes it refers to."""

    verdict: GroupVerdict
    notes: tuple[NoteId, ...] = ()
    compiler_dependent: bool = False
    """Some cell it covers gave another result with another C compiler (:mod:`report.compilers`)."""


ANSWER_VERDICTS = frozenset({Verdict.OK, Verdict.MIXED, Verdict.FAILED, Verdict.FLAKY})
"""The verdicts that answer for a case (the others: nothing of the case's own was tried)."""


def kind_differs(other: GroupVerdict, cpython: GroupVerdict) -> bool:
    """Whether another interpreter kind's verdict on a series says something CPython's does
    not: both answer for the case (works, fails, flaky) and the verdict, or the stages it fails
    at, differ. A series where only one side answers (the other tried nothing, or hit only its
    toolchain's failures) is no difference: the toolchain table has the rest."""
    return (other.verdict in ANSWER_VERDICTS and cpython.verdict in ANSWER_VERDICTS
            and (other.verdict, other.stages) != (cpython.verdict, cpython.stages))


@dataclass(frozen=True)
class KindSummary:
    """A case's summary on another interpreter kind (PyPy, free-threaded CPython): its own
    verdict per Cython series, judged like CPython's against the same cell's control."""

    kind: str
    """The kind's id in ``matrix/data/interpreters.toml`` (``pypy``)."""
    name: str
    """How texts name it (``PyPy``, ``free-threaded CPython``)."""
    series: tuple[VerdictCell, ...]
    differs: tuple[bool, ...]
    """Per series: :func:`kind_differs` from CPython's verdict over the same language versions
    and numpy builds (PyPy 3.9 against CPython 3.9, not against 3.15)."""
    same: tuple[bool, ...] = ()
    """Per series: both answer for the case there, alike."""

    @property
    def any_difference(self) -> bool:
        return any(self.differs)


@dataclass(frozen=True)
class CaseRow:
    """One row of the summary table, plus the case's inferred ranges."""

    case: CaseInfo
    series: tuple[VerdictCell, ...]
    semantics: Measured
    semantics_notes: tuple[NoteId, ...]
    locks: Measured
    locks_notes: tuple[NoteId, ...]
    safety: Measured
    """After a resize of the source: ``safe``, ``dangles``, ``cannot tell`` (on CPython)."""
    safety_notes: tuple[NoteId, ...]
    safety_contradicted: bool
    documented: str
    contradictions: tuple[str, ...]
    contradiction_notes: tuple[NoteId, ...]
    ranges: tuple[RangeStatement, ...]
    range_notes: tuple[tuple[NoteId, ...], ...]
    """Per range statement, the notes of its failures."""
    tested: bool
    ranges_leave_out_toolchain: bool = False
    """The ranges would read otherwise with the toolchain failures counted as the case's."""
    toolchain_failures: int = 0
    """How many of the case's records are toolchain failures (:mod:`report.controls`)."""
    kinds: tuple[KindSummary, ...] = ()
    """The other interpreter kinds the case was measured on, each with its own verdicts;
    ``series`` (and the semantics columns) answer for CPython."""


@dataclass(frozen=True)
class ToolchainGrid:
    """A control case's results: one axis (Python minors, or numpy built against) x Cython."""

    case_id: str
    """The control case shown."""
    rows_axis: str
    """``Python`` or ``numpy``."""
    rows: tuple[str, ...]
    cython: tuple[str, ...]
    cells: tuple[tuple[VerdictCell, ...], ...]
    """``cells[row][cython]``; a numpy cell covers every Python tested with that numpy."""
    extra: tuple[tuple[str, str, VerdictCell], ...] = ()
    """``(row, cython, cell)`` of releases measured on too few rows (or rows on too few
    releases) to earn a column (a row): the cells bisections added, listed under the table."""


@dataclass(frozen=True)
class ToolchainSection:
    """The measured toolchain baseline, as the report shows it (default compiler)."""

    grids: tuple[ToolchainGrid, ...] = ()
    compilers: tuple[CompilerDisagreement, ...] = ()
    """Cells where the controls' results differ by C compiler."""
    excused: int = 0
    """Conversion-case records (every compiler) that are toolchain failures."""
    judged: int = 0
    """Conversion-case records (every compiler) measured in a cell with a settled control."""


@dataclass(frozen=True)
class DetailRow:
    """One case (and numpy version, for numpy cases) on one Python, per Cython release."""

    case_id: str
    numpy: str | None
    cells: tuple[VerdictCell, ...]


@dataclass(frozen=True)
class DetailTable:
    """Cython x case (x numpy) on one Python."""

    python: str
    versions: tuple[str, ...]
    cython: tuple[str, ...]
    rows: tuple[DetailRow, ...]
    shipped: tuple[ShippedCells, ...] = ()
    """The Cython releases measured here with shipped C, and why."""


@dataclass(frozen=True)
class AbiTable:
    """numpy built against (rows) x numpy run under (columns) on one Python.

    A cell says whether the built modules *import*: ``import-error`` is the ABI failure;
    modules that imported count as working here whatever their run did afterwards.
    """

    python: str
    builds: tuple[str, ...]
    runs: tuple[str, ...]
    cells: tuple[tuple[VerdictCell, ...], ...]
    cython: tuple[str, ...]
    """Cython releases of the build-vs-run (off-diagonal) cells that were tried."""
    cases: int


@dataclass(frozen=True)
class Report:
    """Everything the published files show, computed once."""

    provenance: Provenance
    series: tuple[str, ...]
    rows: tuple[CaseRow, ...]
    details: tuple[DetailTable, ...]
    abi: tuple[AbiTable, ...]
    footnotes: tuple[Footnote, ...]
    failure_notes: dict[FailureKey, NoteId]
    records: tuple[Record, ...]
    diff: Diff | None
    toolchain: ToolchainSection = field(default_factory=ToolchainSection)
    """The toolchain baseline: the control cases' results."""
    toolchain_baseline: ToolchainBaseline = field(
        default_factory=lambda: ToolchainBaseline(frozenset()))
    """Judges which failures are the toolchain's (:mod:`report.controls`)."""
    checks: dict[CellKey, Check] = field(default_factory=dict)
    """What re-measuring said about each shown record that was re-measured."""
    flaky_notes: dict[CellKey, NoteId] = field(default_factory=dict)
    """The note of each flaky record."""
    compiler_records: tuple[Record, ...] = ()
    """The records of the compilers other than the default (the tables show the default's)."""
    compiler_disagreements: tuple[CompilerDisagreement, ...] = ()
    """Cells whose compilers gave different results."""
    gil_at_import: str | None = None
    """What importing the modules did to the GIL on free-threaded builds, said once
    (:func:`report.semantics.gil_at_import_text`); ``None`` without such records."""

    @functools.cached_property
    def toolchain_failures(self) -> frozenset[CellKey]:
        """The ``(case, cell)`` of every shown record that is a toolchain failure (computed
        once: a frozen value's memo)."""
        return self.toolchain_baseline.toolchain_failures((*self.records, *self.compiler_records))


def _distinct(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if v not in (None, "", [])}))


def provenance_of(records: Sequence[Record], cases: Sequence[CaseInfo], *, stale: int = 0,
                  unknown: int = 0, superseded: int = 0, others: Sequence[Record] = (),
                  unknown_engines: Sequence[Record] = (),
                  checks: Mapping[CellKey, Check] | None = None,
                  rechecks: Sequence[Remeasurement] = ()) -> Provenance:
    """The provenance header, from the records alone."""
    outcomes = Counter(r.outcome for r in records)
    pythons: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, set[str]] = defaultdict(set)
    for record in records:
        exact = record.provenance.get("python_version")
        pythons[record.python].update({str(exact)} if exact else set())
        source = record.provenance.get("python_source")
        sources[record.python].update({str(source)} if source else set())
    digest = hashlib.sha256("\n".join(sorted(r.key for r in records)).encode()).hexdigest()
    return Provenance(
        # The day, not the time: a grid measured in shards on several machines renders the
        # same table as one run on one machine.
        date=max((r.timestamp for r in records), default="")[:10],
        records=len(records),
        cells=len({r.cell_id for r in records}),
        cases=len(cases),
        cases_tested=len({r.case_id for r in records}),
        controls=sum(1 for case in cases if case.is_control),
        outcomes=tuple((o.value, outcomes[o]) for o in Outcome if outcomes[o]),
        pythons=tuple((minor, ", ".join(sorted_versions(pythons[minor])))
                      for minor in sorted_versions(pythons)),
        cython=tuple(sorted_versions(r.cython for r in records)),
        numpy=tuple(sorted_versions(
            [r.numpy_build for r in records] + [r.numpy_run for r in records])),
        platforms=_distinct(r.provenance.get("platform") for r in records),
        compilers=_distinct(r.provenance.get("cc") for r in records),
        cflags=_distinct(" ".join(r.provenance.get("cflags") or []) for r in records),
        build_tools=_distinct(r.provenance.get("build_tool") for r in records),
        env_backends=_distinct(r.provenance.get("env_backend") for r in records),
        runner_hashes=_distinct(r.provenance.get("runner_hash") for r in records),
        digest=digest[:16],
        stale=stale,
        unknown=unknown,
        unknown_engines=tuple(sorted(Counter(
            str(r.provenance.get("engine_version")) for r in unknown_engines).items())),
        superseded=superseded,
        python_sources=tuple((minor, ", ".join(sorted(sources[minor])))
                             for minor in sorted_versions(sources) if sources[minor]),
        tried=sum(1 for r in records if not r.outcome.could_not_be_tried),
        shipped_c=sum(1 for r in records if is_shipped_c(r)),
        shipped_cells=shipped_cells_of(records),
        c_generation=c_generation_of(records),
        generation_classes=generation_classes_of(records),
        engine_versions=_distinct(r.provenance.get("engine_version") for r in records),
        run_timeouts=_distinct(r.provenance.get("run_timeout_s") for r in records),
        toolchains=toolchain_counts(records),
        toolchain_disagreements=disagreements(records, others),
        compiler_counts=compilers_measured(records),
        checked=tuple((j.value, n) for j, n in
                      Counter(c.judgement for c in (checks or {}).values()).most_common()),
        aa=latest_aa(rechecks),
    )


def _cell(group: GroupVerdict, book: FootnoteBook, *, toolchain_notes: bool = False
          ) -> VerdictCell:
    """A table cell; ``toolchain_notes``: also refer to the notes of its toolchain failures
    (the per-Python tables do; the summary leaves them to the toolchain table)."""
    notes = set(book.failures(group.failures)) | set(book.flaky(group.flaky))
    if toolchain_notes:
        notes |= set(book.failures(group.toolchain_failures))
    return VerdictCell(group, tuple(sorted(notes)))


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
        return tuple(replace(_cell(aggregate([r for r in chosen if series(r.cython) == s],
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
        kind_rows.append(KindSummary(kind, kind_name(kind), own, tuple(differs), tuple(same)))
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
            text = kind_difference_text(kind_name(kind), what, measure(cpython_alike, label),
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
    return CaseRow(case, cells, semantics, semantics_notes, locks, locks_notes, safety,
                   safety_notes, safety_contradicted, documented_text(case.expect), found,
                   contradiction_notes, ranges, range_notes, bool(main), changed, excused,
                   tuple(kind_rows))


def _detail_tables(cases: Sequence[CaseInfo], records: Sequence[Record],
                   book: FootnoteBook, flaky: frozenset[CellKey] = frozenset(),
                   toolchain: frozenset[CellKey] = frozenset()) -> tuple[DetailTable, ...]:
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
                    cells.append(_cell(aggregate([record] if record else [], flaky, toolchain),
                                       book, toolchain_notes=True))
                rows.append(DetailRow(case.id, numpy, tuple(cells)))
        versions = sorted_versions(str(r.provenance.get("python_version") or "") for r in here)
        tables.append(DetailTable(python, tuple(versions), cython, tuple(rows),
                                  shipped_cells_of(here)))
    return tuple(tables)


def import_verdict(records: Sequence[Record], flaky: frozenset[CellKey] = frozenset()
                   ) -> GroupVerdict:
    """Did the built modules import? Run-stage outcomes count as imported."""
    reached = [r for r in records if r.outcome in _REACHED_IMPORT]
    if not reached:
        return aggregate(records, flaky)
    untried = [r for r in records if r.outcome.could_not_be_tried]
    imported = [r if r.outcome in (Outcome.OK, Outcome.IMPORT_ERROR)
                else replace(r, outcome=Outcome.OK, first_error=None) for r in reached]
    return aggregate(sorted(imported + untried, key=cell_sort_key), flaky)


def _import_stage(outcome: str) -> str:
    if outcome == Outcome.IMPORT_ERROR.value:
        return "failed"
    reached = {o.value for o in _REACHED_IMPORT}
    return "imported" if outcome in reached else "not reached"


def import_flaky(checks: Mapping[CellKey, Check]) -> frozenset[CellKey]:
    """Flaky records whose re-measurements disagree on *importing* (the build-vs-run table's
    question); one whose run only failed differently imports every time."""
    return frozenset(key for key, check in checks.items()
                     if check.judgement is Judgement.FLAKY
                     and len({_import_stage(sig.outcome) for sig, _ in check.seen}) > 1)


def _abi_tables(cases: Sequence[CaseInfo], records: Sequence[Record],
                book: FootnoteBook, flaky: frozenset[CellKey] = frozenset()
                ) -> tuple[AbiTable, ...]:
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
            tuple(_cell(import_verdict(grouped.get((b, r), []), flaky), book) for r in runs)
            for b in builds
        )
        abi_cython = sorted_versions(r.cython for r in here
                                     if r.cell_kind == "abi" and not r.outcome.could_not_be_tried)
        tables.append(AbiTable(python, builds, runs, cells, tuple(abi_cython),
                               len({r.case_id for r in here})))
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
        return _cell(aggregate(sorted(grouped.get((row, version), []), key=cell_sort_key),
                               flaky), book)

    cells = tuple(tuple(cell(row, version) for version in wide) for row in full)
    extra = tuple((row, version, cell(row, version)) for row in rows for version in cython
                  if (row, version) in grouped and (row not in full or version not in wide))
    axis = "numpy" if control.needs_numpy else "Python"
    return ToolchainGrid(control.id, axis, tuple(full), tuple(wide), cells, extra)


def _toolchain_section(controls: Sequence[CaseInfo], current: Sequence[Record],
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
    section = _toolchain_section(controls, current, everything, judge, book, flaky,
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
    details = _detail_tables(ordered, current, book, flaky, toolchain)
    abi = _abi_tables(ordered, current, book, import_flaky(checks))
    for key in book.all_failure_keys():  # every failure gets a note, even one no cell shows
        book.failure(key)
    flaky_notes = {key: book.flaky([key])[0] for key in book.all_flaky()}
    notes = {key: book.failure(key) for key in book.all_failure_keys()}
    changes, provenance = elsewhere.result()
    return Report(provenance, series_list, rows, details, abi, book.notes(), notes, current,
                  changes, section, judge, checks, flaky_notes, other_compilers,
                  by_compiler, gil_at_import_text(current))


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


def failure_note(report: Report, record: Record) -> NoteId | None:
    """The note number of a record's failure, if it has one."""
    key = failure_key(record)
    return None if key is None else report.failure_notes.get(key)


def record_note(report: Report, record: Record) -> NoteId | None:
    """The note a table cell of ``record`` refers to: its flaky note if it is flaky, else its
    failure's note (if any)."""
    flaky = report.flaky_notes.get((record.case_id, record.cell_id))
    return flaky if flaky is not None else failure_note(report, record)
