"""Failure footnotes: one numbered note per distinct failure, referenced from the table cells.

A *distinct failure* is an outcome plus its first error line, normalized so that the same
failure reads the same in every cell (no environment paths, no addresses). A note's id comes
from what it says, never from its position (:func:`note_id`): ``cc-3f2a1`` is the stage and the
first digits of a hash of the outcome and error line, so adding or removing a case, or another
failure, changes no other note's id or anchor, and an id quoted anywhere stays valid while the
failure is still measured. The same id is used wherever that failure appears (summary, detail
tables, build-vs-run table, the data files). Notes are *listed* in the order the document
first refers to them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from matrix.model.checks import Check, Judgement
from matrix.model.errorline import normalize_error
from matrix.model.interpreters import cell_prefix
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import CellKey, cell_sort_key, is_shipped_c
from matrix.model.versions import version_key
from report.references import Reference, references_for

FailureKey = tuple[str, str]
"""``(outcome, normalized first error line)``."""

NoteId = str
"""A note's stable id, e.g. ``cc-3f2a1`` (:func:`note_id`)."""

ID_DIGITS = 5
"""Hex digits of a note id's hash; a collision (two notes, one id) takes :data:`LONG_ID_DIGITS`."""
LONG_ID_DIGITS = 10
ID_PREFIXES = {
    "cythonize-error": "cy", "cc-error": "cc", "import-error": "imp", "run-error": "run",
    "crash": "crash", "memory-error": "asan", "timeout": "timeout", "env-error": "env",
    "flaky": "flaky",
    "semantics": "sem",
}
"""The readable part of a note id: the failing stage (or the note's kind)."""


def note_id(kind: str, material: Sequence[str], digits: int = ID_DIGITS) -> NoteId:
    """The id of the note of ``kind`` (an outcome, ``flaky`` or ``semantics``) that says
    ``material`` (for a failure: its outcome and normalized first error line; for a flaky
    note: the case and the results seen; for a semantics note: the case and the text)."""
    digest = hashlib.sha256("\0".join((kind, *material)).encode("utf-8")).hexdigest()
    return f"{ID_PREFIXES.get(kind, 'note')}-{digest[:digits]}"

MAX_LISTED_CELLS = 6


def needs_note(outcome: Outcome) -> bool:
    """Failures and environment errors get notes; ``ok`` and ``not-possible`` do not."""
    return outcome.failed or outcome is Outcome.ENV_ERROR


def failure_key(record: Record) -> FailureKey | None:
    """The distinct failure a record shows, or ``None`` if it shows none."""
    if not needs_note(record.outcome):
        return None
    return (record.outcome.value, normalize_error(record.first_error))


def reproduce_command(record: Record) -> str:
    """The record's cell's :meth:`~matrix.model.cells.Cell.try_command` for its case."""
    return record.cell.try_command(record.case_id)


def cell_label(record: Record, marker: str = "") -> str:
    """A record's cell id without its Python part: ``cy3.3.1-np1.26.4-run2.1.3``, followed by
    `` marker`` when the record was measured with shipped C."""
    label = record.cell.id_after_python
    return f"{label} {marker}" if marker and is_shipped_c(record) else label


def _span(values: Iterable[str | None]) -> str:
    ordered = sorted({v for v in values if v}, key=version_key)
    if len(ordered) <= 3:
        return ", ".join(ordered)
    return f"{ordered[0]}–{ordered[-1]} ({len(ordered)} versions)"


def describe_cells(records: Sequence[Record], *, marker: str) -> str:
    """Where a failure happened, compactly: cells per Python, or axis spans when many.

    Cells measured with shipped C are followed by ``marker`` (the report's shipped-C symbol,
    passed in because :mod:`report.verdicts`, which defines it, depends on this module); when
    the cells are summarized by span, how many of them were shipped C is said instead.
    """
    ordered = sorted(records, key=cell_sort_key)
    if len(ordered) > MAX_LISTED_CELLS:
        parts = [f"{len(ordered)} cells: Python {_span(r.python for r in ordered)}",
                 f"Cython {_span(r.cython for r in ordered)}"]
        if any(r.numpy_build for r in ordered):
            parts.append(f"numpy built {_span(r.numpy_build for r in ordered)}")
            if any(r.numpy_run != r.numpy_build for r in ordered):
                parts.append(f"run {_span(r.numpy_run for r in ordered)}")
        shipped = sum(1 for r in ordered if is_shipped_c(r))
        if shipped and marker:
            parts.append(f"{shipped} of them with shipped C {marker}")
        return "; ".join(parts)
    by_python: dict[str, list[str]] = defaultdict(list)
    for record in ordered:
        by_python[record.python].append(cell_label(record, marker))
    return "; ".join(f"{cell_prefix(python)}: {', '.join(labels)}"
                     for python, labels in by_python.items())


@dataclass(frozen=True)
class Footnote:
    """One numbered note.

    ``kind`` is ``failure`` (a case failed), ``environment`` (a cell could not be tried),
    ``flaky`` (measured again, the results disagree: :mod:`matrix.model.checks`) or ``semantics``
    (measured behaviour varies, or contradicts the documentation).
    """

    id: NoteId
    kind: str
    text: str
    outcome: str | None = None
    where: tuple[tuple[str, str], ...] = ()
    """``(case_id, cells)`` pairs: where the failure was seen."""
    reproduce: str = ""
    """A paste-ready command that measures one cell where the failure was seen."""
    references: tuple[Reference, ...] = ()
    """Upstream sources that explain the failure (:mod:`report.references`)."""


class FootnoteBook:
    """Registers notes in first-reference order; one stable id per distinct note.

    ``marker`` follows the cells measured with shipped C in the notes' "seen in" lists.
    """

    def __init__(self, records: Iterable[Record], *, marker: str,
                 checks: Mapping[CellKey, Check] | None = None,
                 references: Sequence[Reference] = ()) -> None:
        self._marker = marker
        self._references = tuple(references)
        self._seen: dict[FailureKey, list[Record]] = defaultdict(list)
        self._flaky: dict[tuple[str, tuple[str, ...]], list[Record]] = defaultdict(list)
        self._flaky_of: dict[CellKey, tuple[str, tuple[str, ...]]] = {}
        checks = checks or {}
        for record in records:
            check = checks.get((record.case_id, record.cell_id))
            if check is not None and check.judgement is Judgement.FLAKY:
                results = tuple(sorted(sig.text() for sig, _ in check.seen))
                self._flaky[(record.case_id, results)].append(record)
                self._flaky_of[(record.case_id, record.cell_id)] = (record.case_id, results)
                continue
            key = failure_key(record)
            if key is not None:
                self._seen[key].append(record)
        self._numbers: dict[tuple[str, ...], NoteId] = {}
        self._notes: list[Footnote] = []

    def failure(self, key: FailureKey) -> NoteId:
        """The id of the note for ``key`` (registered on first use)."""
        ident = ("failure", *key)
        if ident not in self._numbers:
            outcome, error = key
            records = self._seen.get(key, [])
            by_case: dict[str, list[Record]] = defaultdict(list)
            for record in records:
                by_case[record.case_id].append(record)
            where = tuple((case_id, describe_cells(rs, marker=self._marker))
                          for case_id, rs in by_case.items())
            kind = "environment" if outcome == Outcome.ENV_ERROR.value else "failure"
            first = min(records, key=lambda r: (cell_sort_key(r), r.case_id), default=None)
            command = reproduce_command(first) if first is not None else ""
            cited = references_for(self._references, outcome, error, records)
            self._add(ident, Footnote(self._new_id(outcome, key), kind, error, outcome, where,
                                      command, cited))
        return self._numbers[ident]

    def failures(self, keys: Iterable[FailureKey]) -> tuple[NoteId, ...]:
        """Ids of several failures' notes, in the given order, without repeats."""
        numbers: list[NoteId] = []
        for key in keys:
            number = self.failure(key)
            if number not in numbers:
                numbers.append(number)
        return tuple(numbers)

    def flaky(self, cells: Iterable[CellKey]) -> tuple[NoteId, ...]:
        """The notes of flaky records: one per case and set of disagreeing results."""
        numbers: list[NoteId] = []
        for cell in cells:
            group = self._flaky_of[cell]
            ident = ("flaky", group[0], *group[1])
            if ident not in self._numbers:
                records = self._flaky[group]
                where = ((group[0], describe_cells(records, marker=self._marker)),)
                first = min(records, key=cell_sort_key)
                text = ("measured again from scratch, the results disagree: "
                        + " | ".join(group[1]))
                self._add(ident, Footnote(self._new_id("flaky", group[1], group[0]), "flaky",
                                          text, None, where, reproduce_command(first)))
            if self._numbers[ident] not in numbers:
                numbers.append(self._numbers[ident])
        return tuple(numbers)

    def all_flaky(self) -> list[CellKey]:
        """Every flaky (case, cell), in first-seen order."""
        return list(self._flaky_of)

    def note(self, case_id: str, text: str, where: str = "") -> NoteId:
        """A semantics note about one case (registered on first use)."""
        ident = ("semantics", case_id, text)
        if ident not in self._numbers:
            pairs = ((case_id, where),)
            self._add(ident, Footnote(self._new_id("semantics", (case_id, text)), "semantics",
                                      text, None, pairs))
        return self._numbers[ident]

    def _new_id(self, kind: str, material: Sequence[str], case_id: str = "") -> NoteId:
        """The note's content id; on the (rare) collision with another note's id, a longer
        one (still a pure function of the note's content)."""
        full = (case_id, *material) if case_id else tuple(material)
        ident = note_id(kind, full)
        if any(note.id == ident for note in self._notes):
            ident = note_id(kind, full, LONG_ID_DIGITS)
        return ident

    def _add(self, ident: tuple[str, ...], note: Footnote) -> None:
        self._numbers[ident] = note.id
        self._notes.append(note)

    def all_failure_keys(self) -> list[FailureKey]:
        """Every distinct failure in the records, in first-seen order."""
        return list(self._seen)

    def notes(self) -> tuple[Footnote, ...]:
        return tuple(self._notes)


NOTES_FILE = "notes.md"
"""The notes, in a file of their own (``docs/notes.md``): compat.md links each id there and stays
small enough for GitHub to render."""


def refs(ids: Sequence[NoteId], *, link: bool = True) -> str:
    """``<sup>[cc-3f2a1](notes.md#cc-3f2a1),[run-0b7c2](notes.md#run-0b7c2)</sup>``: how a cell
    refers to notes in markdown, each a link to the note's anchor in :data:`NOTES_FILE`
    (``link=False``: the bare ids); empty for none."""
    if not ids:
        return ""
    return "<sup>" + ",".join(f"[{i}]({NOTES_FILE}#{i})" if link else i for i in ids) + "</sup>"
