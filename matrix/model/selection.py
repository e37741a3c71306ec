"""The report's inputs: cases as the report needs them, the current records, version order.

Everything here is a pure function of (records, cases): no clock, no host, no file system.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.version import InvalidVersion, Version

from matrix.model.cases import Case, Expectation, scan_signature
from matrix.model.cells import cell_order
from matrix.model.engines import engine_rank
from matrix.model.records import Record
from matrix.model.versions import VersionKey

CellKey = tuple[str, str]
"""``(case_id, cell_id)``: one coordinate of the report."""


def is_shipped_c(record: Record) -> bool:
    """Whether a *tried* record was measured with shipped C, not with Cython on its Python.

    Such a record's Cython does not install or run on its Python: the C that Cython generated
    under another Python (``provenance["generated_under"]``) was compiled, imported and run
    there, as an sdist shipping that C would be. Records that were not tried say nothing
    either way; a record without the field (older results) is native.
    """
    return record.shipped_c is not None and not record.outcome.could_not_be_tried


def generated_under(record: Record) -> str:
    """The exact Python version the record's C was generated under; ``""`` when unknown."""
    return str(record.provenance.get("generated_under") or "")


@functools.lru_cache(maxsize=4096)
def series(version: str) -> str:
    """The minor series of a release: ``0.29.37`` -> ``0.29``, ``3.1.0a1`` -> ``3.1``."""
    try:
        release = Version(version).release
    except InvalidVersion:
        return version
    return f"{release[0]}.{release[1] if len(release) > 1 else 0}"


@dataclass(frozen=True)
class CaseInfo:
    """What the report shows about a case besides its measurements."""

    id: str
    title: str
    group: str
    source: str
    target: str
    needs_numpy: bool
    content_hash: str
    expect: Expectation
    variant_of: str | None = None
    role: str = "conversion"
    """``conversion`` (an idiom) or ``control`` (the toolchain baseline, :mod:`report.controls`)."""
    options: str = ""
    """How the case is built when not as every case is (``BuildOptions.text``): shown beside
    its conversion."""
    scan: dict[str, Any] | None = None
    """How its conversion looks in code and how it is built, for the scanner
    (:func:`matrix.model.cases.scan_signature`); ``None`` where the case declares none."""
    pair: tuple[str, str] | None = None
    """The representations it converts between (``("bytes", "pointer")``: ids of
    :data:`matrix.model.representations.REPRESENTATIONS`); ``None`` for the controls and the
    cases that name none."""

    @property
    def is_control(self) -> bool:
        return self.role == "control"

    @classmethod
    def from_case(cls, case: Case) -> CaseInfo:
        return cls(
            id=case.id,
            title=case.title,
            group=case.group,
            source=case.source,
            target=case.target,
            needs_numpy=case.needs_numpy,
            content_hash=case.content_hash,
            expect=case.expect,
            variant_of=case.variant_of,
            role=case.role,
            options=case.options.text(),
            scan=scan_signature(case),
            pair=case.pair,
        )

    @property
    def sort_key(self) -> tuple[bool, str, str, bool, str]:
        """Controls first; then group, then base case, variants right after the case they
        vary."""
        return (not self.is_control, self.group, self.variant_of or self.id,
                self.variant_of is not None, self.id)


def ordered_cases(cases: Iterable[Case | CaseInfo]) -> tuple[CaseInfo, ...]:
    """The report's case order: by group, each variant right after its base case."""
    infos = [c if isinstance(c, CaseInfo) else CaseInfo.from_case(c) for c in cases]
    return tuple(sorted(infos, key=lambda c: c.sort_key))


def cell_sort_key(record: Record) -> VersionKey:
    """The record's cell in the one cell order (:func:`matrix.model.cells.cell_order`)."""
    return cell_order(record.python, record.cython, record.numpy_build, record.numpy_run,
                      record.compiler)


def current_order(record: Record) -> tuple[int, str, str]:
    """Which record of a (case, cell) is current (:mod:`matrix.model.engines`): the newest
    known engine's, then the newest timestamp, then the key (a stable pick).  An unknown
    engine's record ranks below every known one (callers leave it out)."""
    rank = engine_rank(record.provenance.get("engine_version"))
    return (-1 if rank is None else rank, record.timestamp, record.key)


def latest_per_cell(records: Iterable[Record]) -> dict[CellKey, Record]:
    """The current record of each (case, cell) (:func:`current_order`)."""
    chosen: dict[CellKey, Record] = {}
    for record in records:
        key = (record.case_id, record.cell_id)
        held = chosen.get(key)
        if held is None or current_order(record) > current_order(held):
            chosen[key] = record
    return chosen


@dataclass(frozen=True)
class Selection:
    """The records the report uses, and what it left out (shown in the provenance header)."""

    records: tuple[Record, ...]
    stale: int = 0
    """Records measured on an older version of a case's code (another ``case_hash``)."""
    unknown: int = 0
    """Records of cases that are no longer defined."""
    superseded: int = 0
    """Older records of a (case, cell) that a newer one replaces (another toolchain)."""
    others: tuple[Record, ...] = ()
    """Those superseded records themselves (for :mod:`report.toolchains`)."""
    unknown_engines: tuple[Record, ...] = ()
    """Records of an engine version this code does not know: never current, shown apart."""


def select_current(records: Iterable[Record], cases: Sequence[CaseInfo]) -> Selection:
    """One record per (case, cell), measured on the case's current code; newest wins.

    A record whose ``case_hash`` differs from the case's current definition measured other
    code: it says nothing about the case as it is now, so it is left out (and counted).
    """
    hashes = {case.id: case.content_hash for case in cases}
    current: list[Record] = []
    stale = unknown = 0
    other_engines: list[Record] = []
    for record in records:
        if record.case_id not in hashes:
            unknown += 1
        elif engine_rank(record.provenance.get("engine_version")) is None:
            other_engines.append(record)
        elif record.case_hash != hashes[record.case_id]:
            stale += 1
        else:
            current.append(record)
    chosen = latest_per_cell(current)
    order = {case.id: index for index, case in enumerate(cases)}
    kept = sorted(chosen.values(), key=lambda r: (order[r.case_id], cell_sort_key(r)))
    picked = {id(r) for r in kept}
    others = tuple(sorted((r for r in current if id(r) not in picked),
                          key=lambda r: (r.case_id, r.cell_id, r.key)))
    return Selection(tuple(kept), stale, unknown, len(current) - len(kept), others,
                     tuple(sorted(other_engines, key=lambda r: (r.case_id, r.cell_id, r.key))))

