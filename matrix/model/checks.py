"""Re-measurements, and what they say about a stored result (crater's "spurious" check).

``python -m matrix recheck`` and ``python -m matrix aa`` measure stored (case, cell) pairs
again from scratch (:mod:`matrix.trust.recheck`) and append each re-measurement here, to
``results/rechecks.jsonl``: an append-only log beside the results store, with the same
locking and the same file:line errors.  The results store is never touched by a re-check:
a re-measurement is evidence *about* a record, not a newer record.

From the log alone (pure functions, used by the report):

* a record is **flaky** when its own result and the re-measurements of the same measurement
  (same case code, cell, engine version, runner, timeout and flags: :func:`identity_of`)
  do not all agree;
* it is **confirmed** when at least one re-measurement was made and all agree with it;
* it is **unchecked** otherwise.  A re-measurement that could not be tried (the environment
  can no longer be created: ``env-error``) is kept in the log but is never a flip and never
  confirms anything.

"Agree" means the same :class:`Signature`: outcome, first error line as readers see it
(:func:`matrix.model.errorline.normalize_error`) and the four behaviour properties.
"""

from __future__ import annotations

import enum
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix.model.errorline import normalize_error
from matrix.model.jsonlines import read_lines
from matrix.model.measurement import Identity, identity_of
from matrix.model.outcomes import Outcome
from matrix.model.records import Record

CHECKS_FILE = "rechecks.jsonl"
PROPERTIES = ("values_ok", "copies", "readonly", "locks_source")
"""The behaviour properties a flip is counted on (warnings are not: their text varies)."""


class Purpose(str, enum.Enum):
    """Why a pair was re-measured."""

    RECHECK = "recheck"
    """It differs from the baseline: is the change real?"""
    AA = "aa"
    """A random sample of stored results: how often does measuring again disagree?"""


@dataclass(frozen=True)
class Signature:
    """What two measurements of one pair must share to agree."""

    outcome: str
    error: str
    """The first error line as shown (empty for ``ok``)."""
    behaviour: tuple[bool | None, ...] = ()
    """:data:`PROPERTIES`, in order (empty for a failure)."""

    def text(self) -> str:
        """``crash: SIGSEGV during convert`` or ``ok (values_ok=yes, copies=no, ...)``."""
        if self.outcome != Outcome.OK.value:
            return f"{self.outcome}: {self.error}"
        shown = ", ".join(f"{name}={'?' if value is None else ('yes' if value else 'no')}"
                          for name, value in zip(PROPERTIES, self.behaviour))
        return f"ok ({shown})"

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "error": self.error, "behaviour": list(self.behaviour)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signature:
        return cls(str(data["outcome"]), str(data["error"]), tuple(data["behaviour"]))


def signature(record: Record) -> Signature:
    """The record's :class:`Signature`."""
    if record.outcome is not Outcome.OK:
        return Signature(record.outcome.value, normalize_error(record.first_error))
    return Signature(record.outcome.value, "",
                     tuple(getattr(record.behaviour, name) for name in PROPERTIES))


@dataclass(frozen=True)
class Remeasurement:
    """One re-measurement of a stored record, as the log keeps it."""

    purpose: Purpose
    run: str
    """The check run it belongs to (``aa-20261125T100000Z``): an A/A figure is one run."""
    attempt: int
    """1..k: the k re-measurements of one record in one run are independent, each from
    scratch."""
    checked_key: str
    """The key of the stored record that was re-measured."""
    checked: Signature
    """That record's signature (the log says what was compared even once the store moves on)."""
    record: Record
    selection: str = ""
    """How the run chose what to re-measure when not from the whole store (``--case ...``):
    the report's headline A/A figure is the latest run over the whole store."""

    @property
    def triable(self) -> bool:
        return not self.record.outcome.could_not_be_tried

    @property
    def flipped(self) -> bool:
        """A tried re-measurement that disagrees with the record it re-measured."""
        return self.triable and signature(self.record) != self.checked

    def to_line(self) -> str:
        data = {"purpose": self.purpose.value, "run": self.run, "attempt": self.attempt,
                "checked_key": self.checked_key, "checked": self.checked.to_json(),
                "record": self.record.to_json()}
        if self.selection:
            data["selection"] = self.selection
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Remeasurement:
        """Parse a logged re-measurement; raises ``KeyError``, ``ValueError`` or ``TypeError``."""
        return cls(Purpose(data["purpose"]), str(data["run"]), int(data["attempt"]),
                   str(data["checked_key"]), Signature.from_json(data["checked"]),
                   Record.from_json(data["record"]), str(data.get("selection", "")))


class Judgement(str, enum.Enum):
    CONFIRMED = "confirmed"
    FLAKY = "flaky"
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class Check:
    """What the re-measurements of one stored record say about it."""

    judgement: Judgement
    seen: tuple[tuple[Signature, int], ...]
    """Distinct results (the record's own first) and how often each was measured, the record
    included."""
    remeasured: int
    """Re-measurements that were tried."""
    untriable: int
    """Re-measurements that could not be tried (never a flip)."""

    def seen_text(self) -> str:
        """``ok ×2; crash: SIGSEGV during convert ×1``."""
        return "; ".join(f"{sig.text()} ×{count}" for sig, count in self.seen)


def judge(record: Record, remeasured: Iterable[Record]) -> Check:
    """The :class:`Check` of ``record`` from re-measurements of the same measurement."""
    again = list(remeasured)
    tried = [r for r in again if not r.outcome.could_not_be_tried]
    counts = Counter([signature(record)] + [signature(r) for r in tried])
    seen = tuple(sorted(counts.items(), key=lambda item: item[0] != signature(record)))
    if len(counts) > 1:
        judgement = Judgement.FLAKY
    elif tried:
        judgement = Judgement.CONFIRMED
    else:
        judgement = Judgement.UNCHECKED
    return Check(judgement, seen, len(tried), len(again) - len(tried))


CellKey = tuple[str, str]


def checks_of(records: Iterable[Record], log: Iterable[Remeasurement]
              ) -> dict[CellKey, Check]:
    """``(case_id, cell_id) -> Check`` for every record the log holds re-measurements of."""
    by_identity: dict[Identity, list[Record]] = {}
    for entry in log:
        by_identity.setdefault(identity_of(entry.record), []).append(entry.record)
    found = {}
    for record in records:
        again = by_identity.get(identity_of(record))
        if again:
            found[(record.case_id, record.cell_id)] = judge(record, again)
    return found


@dataclass(frozen=True)
class Flip:
    """An A/A re-measurement that disagreed with the stored record."""

    case_id: str
    cell_id: str
    stored: Signature
    again: Signature


@dataclass(frozen=True)
class AaFigure:
    """One A/A run: how many stored results were measured again, and how many flipped."""

    run: str
    date: str
    """When the run's last re-measurement was made (UTC day)."""
    sampled: int
    """Stored records re-measured (tried or not)."""
    selection: str
    """What the sample was drawn from, if not the whole store (``--case ...``)."""
    untriable: int
    """Of those, re-measurements that could not be tried."""
    flips: tuple[Flip, ...]

    def text(self) -> str:
        tried = self.sampled - self.untriable
        untried = f" ({self.untriable} could not be tried)" if self.untriable else ""
        drawn = f" (drawn from {self.selection})" if self.selection else ""
        return (f"{self.sampled} stored results{drawn} re-measured from scratch on {self.date}"
                f"{untried}: {len(self.flips)} of {tried} flipped (outcome, first error line"
                " or behaviour)")


def aa_figures(log: Iterable[Remeasurement]) -> list[AaFigure]:
    """Every A/A run in the log, oldest first."""
    runs: dict[str, list[Remeasurement]] = {}
    for entry in log:
        if entry.purpose is Purpose.AA:
            runs.setdefault(entry.run, []).append(entry)
    figures = []
    for run, entries in runs.items():
        figures.append(AaFigure(
            run=run,
            date=max(e.record.timestamp for e in entries)[:10],
            sampled=len({e.checked_key for e in entries}),
            selection=entries[0].selection,
            untriable=sum(1 for e in entries if not e.triable),
            flips=tuple(Flip(e.record.case_id, e.record.cell_id, e.checked, signature(e.record))
                        for e in entries if e.flipped),
        ))
    return sorted(figures, key=lambda f: (f.date, f.run))


def latest_aa(log: Iterable[Remeasurement]) -> AaFigure | None:
    """The latest A/A run drawn from the whole store (a run drawn from a selection, such as
    one case, says nothing about the table as a whole)."""
    figures = [f for f in aa_figures(log) if not f.selection]
    return figures[-1] if figures else None


def load_log(path: Path) -> list[Remeasurement]:
    """Every re-measurement logged in ``path`` (none if it does not exist), oldest first,
    without the writers' lock (a reader such as the report; raises ``ResultsFileError`` naming
    file:line)."""
    return read_lines(path, Remeasurement.from_json, warn=True) if path.exists() else []


def log_beside(results: Path) -> Path:
    """The re-measurement log that belongs to a results store (in its folder) or to a
    layout-1 records file (beside it)."""
    return results / CHECKS_FILE if results.is_dir() else results.with_name(CHECKS_FILE)
