"""The report's contract: :class:`Report`, everything the published files show, and the small
values it is made of (table cells, rows, tables, the provenance). :func:`report.compose.compose`
makes it; the renderers (markdown, page data, JSON/CSV/Parquet, heatmap) only read it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from matrix.model.checks import AaFigure, Check
from matrix.model.diff import Diff
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, CellKey
from report.cgeneration import CGeneration, GenerationClasses, ShippedCells
from report.coming import Coming
from report.compilers import CompilerDisagreement
from report.controls import ToolchainBaseline
from report.footnotes import FailureKey, Footnote, NoteId, failure_key
from report.ranges import RangeStatement
from report.semantics import Measured
from report.toolchains import ToolchainDisagreement
from report.verdicts import GroupVerdict


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
    """Per series: :func:`report.compose.kind_differs` from CPython's verdict over the same
    language versions and numpy builds (PyPy 3.9 against CPython 3.9, not against 3.15)."""
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
    coming: Coming | None = None
    """The canary lane's section (:mod:`report.coming`); ``None``: no canary store was read."""

    @functools.cached_property
    def toolchain_failures(self) -> frozenset[CellKey]:
        """The ``(case, cell)`` of every shown record that is a toolchain failure (computed
        once: a frozen value's memo)."""
        return self.toolchain_baseline.toolchain_failures((*self.records, *self.compiler_records))


def failure_note(report: Report, record: Record) -> NoteId | None:
    """The note number of a record's failure, if it has one."""
    key = failure_key(record)
    return None if key is None else report.failure_notes.get(key)


def record_note(report: Report, record: Record) -> NoteId | None:
    """The note a table cell of ``record`` refers to: its flaky note if it is flaky, else its
    failure's note (if any)."""
    flaky = report.flaky_notes.get((record.case_id, record.cell_id))
    return flaky if flaky is not None else failure_note(report, record)
