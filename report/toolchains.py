"""Records from several machines: which toolchain measured what, and where toolchains disagree.

A record's key holds its toolchain (the C compiler's version, the Python patch release and the
machine), so CI images and a developer's machine store separate records of the same cell.  The
report shows one record per (case, cell): the newest, whichever toolchain measured it.  A
toolchain whose own newest record of that cell says something else is never hidden: each such
pair is listed (provenance, "toolchain disagreements"), with both outcomes and first errors.
Two records disagree when their :func:`~matrix.model.checks.signature` differs: the rule a
re-measurement and the diff use (the outcome, the first error line as readers see it, the
behaviour), so that paths and addresses that differ between machines are no disagreement.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from matrix.model.checks import signature
from matrix.model.errorline import normalize_error
from matrix.model.records import Record, toolchain_of


@dataclass(frozen=True)
class Measurement:
    toolchain: str
    outcome: str
    first_error: str | None
    """As readers see it (:func:`~matrix.model.errorline.normalize_error`); ``None`` for
    ``ok``."""
    timestamp: str


@dataclass(frozen=True)
class ToolchainDisagreement:
    case_id: str
    cell_id: str
    shown: Measurement
    """The record the tables show (the newest)."""
    other: Measurement


def _measurement(record: Record) -> Measurement:
    error = None if record.first_error is None else normalize_error(record.first_error)
    return Measurement(toolchain_of(record), record.outcome.value, error, record.timestamp)


def toolchain_counts(records: Iterable[Record]) -> tuple[tuple[str, int], ...]:
    """Records per compiler and machine (the Python patch releases are listed per minor)."""
    counts: dict[str, int] = {}
    for record in records:
        name = toolchain_of(record, with_python=False)
        counts[name] = counts.get(name, 0) + 1
    return tuple(sorted(counts.items()))


def disagreements(shown: Sequence[Record], others: Iterable[Record]
                  ) -> tuple[ToolchainDisagreement, ...]:
    """Each other toolchain's newest record of a shown cell whose measurement differs."""
    by_cell = {(r.case_id, r.cell_id): r for r in shown}
    newest: dict[tuple[str, str, str], Record] = {}
    for record in others:
        chosen = by_cell.get((record.case_id, record.cell_id))
        if chosen is None or toolchain_of(record) == toolchain_of(chosen):
            continue
        slot = (record.case_id, record.cell_id, toolchain_of(record))
        if slot not in newest or record.timestamp > newest[slot].timestamp:
            newest[slot] = record
    found = []
    for (case_id, cell_id, _), record in sorted(newest.items()):
        chosen = by_cell[(case_id, cell_id)]
        if signature(record) != signature(chosen):
            found.append(ToolchainDisagreement(case_id, cell_id, _measurement(chosen),
                                               _measurement(record)))
    return tuple(found)
