"""Where the measured C came from: each Cython release's generation classes, and shipped C.

The engine (5 on) generates a canary (the run's numpy-free cases as one module) with each Cython
release under every Python whose cells use it; the Pythons whose C is byte-identical form a
*generation class*, whose C is generated once, under its generator (``c_generation`` is
``class``, the class in ``provenance["c_class"]``: :mod:`matrix.build.invariance`).  Older
records state an *invariance check* instead (``c_invariance``: the C under the oldest and the
newest Python compared; ``shared`` or ``per-python``): both are tabled as the records state them.

Where a Cython release does not install or run on a Python, the cell is measured with *shipped
C*: the C generated under another Python (``provenance["generated_under"]``) is compiled,
imported and run there, as from an sdist shipping it (``Record.shipped_c`` says why).

Both are read from the records alone; records from before these fields existed contribute
nothing here (and are native).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matrix.model.errorline import normalize_error
from matrix.model.records import Record
from matrix.model.selection import generated_under, is_shipped_c, series
from matrix.model.versions import version_key

SHARED = "shared"
PER_PYTHON = "per-python"
CLASS = "class"


@dataclass(frozen=True)
class ClassEntry:
    """One generation class of a release, over every record that names it (same digest)."""

    members: tuple[str, ...]
    """The Pythons (axis values) whose canary C was byte-identical, oldest first."""
    generated_under: tuple[str, ...]
    """The full versions its C was generated under (one, unless records disagree)."""
    records: int

    @property
    def text(self) -> str:
        """``3.8, 3.9, 3.13t, pypy3.11 (under 3.13.0)``."""
        return f"{', '.join(self.members)} (under {', '.join(self.generated_under) or '?'})"


@dataclass(frozen=True)
class GenerationClasses:
    """A Cython release's generation classes for one canary, as its records state them."""

    cython: str
    series: str
    canary: str
    """What the canary was: ``26 cases, 58,052 lines of C`` (its first class's words)."""
    classes: tuple[ClassEntry, ...]

    @property
    def records(self) -> int:
        return sum(c.records for c in self.classes)


@dataclass(frozen=True)
class CGeneration:
    """One Cython release's invariance check and how its C was generated, as records state it.

    A release whose records disagree (another check result, or another way of generating) has
    one entry per distinct statement.
    """

    cython: str
    series: str
    oldest: str
    """The oldest Python the C was generated under for the check ("" when unknown)."""
    newest: str
    identical: bool | None
    """Whether the C generated under :attr:`oldest` and :attr:`newest` was identical."""
    detail: str
    generation: str
    """``shared``, ``per-python``, or "" when the records do not say."""
    generated_under: tuple[str, ...]
    """The Pythons the records' C was generated under, oldest first."""
    shipped_under: tuple[str, ...]
    """The Pythons the shipped-C records' C was generated under, oldest first."""
    records: int

    @property
    def identical_text(self) -> str:
        return {True: "yes", False: "no", None: "?"}[self.identical]

    @property
    def how(self) -> str:
        """``shared: generated once, under Python 3.12.1``; ``per Python (...)``."""
        if self.generation == SHARED:
            under = ", ".join(self.generated_under) or "?"
            return f"shared: generated once, under Python {under}"
        if self.generation == PER_PYTHON:
            shipped = (f"; shipped C under Python {', '.join(self.shipped_under)}"
                       if self.shipped_under else "")
            return f"per Python: native cells under their own Python{shipped}"
        under = ", ".join(self.generated_under)
        return f"{self.generation or '?'}{f', under Python {under}' if under else ''}"


def _invariance(record: Record) -> dict[str, Any]:
    found = record.provenance.get("c_invariance")
    return dict(found) if isinstance(found, dict) else {}


def _identical(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _text(value: object) -> str:
    """Free text from a record, normalized like error lines (no paths); "" when empty."""
    text = "" if value is None else str(value)
    return normalize_error(text) if text.strip() else ""


def _versions(values: set[str]) -> tuple[str, ...]:
    return tuple(sorted(values - {""}, key=version_key))


def c_generation_of(records: Sequence[Record]) -> tuple[CGeneration, ...]:
    """The distinct invariance-check statements per Cython release, oldest release first
    (records of generation classes: :func:`generation_classes_of`)."""
    grouped: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for record in records:
        invariance = _invariance(record)
        generation = str(record.provenance.get("c_generation") or "")
        if (not invariance and not generation) or generation == CLASS:
            continue
        statement = json.dumps(invariance, sort_keys=True, default=str)
        grouped[(record.cython, statement, generation)].append(record)
    entries = []
    for (cython, statement, generation), found in grouped.items():
        invariance = json.loads(statement)
        entries.append(CGeneration(
            cython=cython,
            series=series(cython),
            oldest=str(invariance.get("oldest") or ""),
            newest=str(invariance.get("newest") or ""),
            identical=_identical(invariance.get("identical")),
            detail=_text(invariance.get("detail")),
            generation=generation,
            generated_under=_versions({generated_under(r) for r in found}),
            shipped_under=_versions({generated_under(r) for r in found if is_shipped_c(r)}),
            records=len(found),
        ))
    return tuple(sorted(entries, key=lambda e: (version_key(e.cython), e.oldest, e.newest,
                                                e.detail, e.generation)))


@dataclass(frozen=True)
class ShippedCells:
    """The cells of one (Python, Cython release) measured with shipped C, and why."""

    python: str
    cython: str
    records: int
    generated_under: tuple[str, ...]
    """The Pythons the C was generated under, oldest first (empty when unknown)."""
    reasons: tuple[str, ...]
    """Why Cython itself could not be used on this Python (normalized, distinct)."""

    @property
    def sentence(self) -> str:
        """``Cython 0.27.3 on Python 3.12 (10 records), C generated under Python 3.6.15 —
        cython 0.27.3 has no wheel for CPython 3.12 ...``"""
        noun = "record" if self.records == 1 else "records"
        under = (f"C generated under Python {', '.join(self.generated_under)}"
                 if self.generated_under else "C generated under another Python")
        reasons = "; ".join(self.reasons)
        return (f"Cython {self.cython} on Python {self.python} ({self.records} {noun}), {under}"
                f"{f' — {reasons}' if reasons else ''}")


def shipped_cells_of(records: Sequence[Record]) -> tuple[ShippedCells, ...]:
    """Where shipped C stood in for Cython, per (Python, Cython release), oldest first."""
    grouped: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        if is_shipped_c(record):
            grouped[(record.python, record.cython)].append(record)
    entries = []
    for (python, cython), found in grouped.items():
        reasons = {_text(r.shipped_c) for r in found} - {""}
        entries.append(ShippedCells(python, cython, len(found),
                                    _versions({generated_under(r) for r in found}),
                                    tuple(sorted(reasons))))
    return tuple(sorted(entries, key=lambda e: (version_key(e.python), version_key(e.cython))))



def generation_classes_of(records: Sequence[Record]) -> tuple[GenerationClasses, ...]:
    """Each release's generation classes per canary (a bisection's canary is its own two cases),
    merged over the records: a class is its canary digest, its members the union of what the
    records name; a Python the run could not classify (no digest) is a class of its own."""
    by_canary: dict[tuple[str, tuple[str, ...]], dict[str, list[Record]]] = defaultdict(
        lambda: defaultdict(list))
    details: dict[tuple[str, tuple[str, ...]], str] = {}
    # The records of a cell share its class's facts (one dict): each is read once.
    read: dict[int, tuple[tuple[str, ...], str, str]] = {}
    for record in records:
        found = record.provenance.get("c_class")
        if (not isinstance(found, dict) or not found
                or str(record.provenance.get("c_generation") or "") != CLASS):
            continue
        facts = read.get(id(found))
        if facts is None:
            facts = read[id(found)] = (
                tuple(str(c) for c in found.get("canary") or ()),
                str(found.get("digest") or "") or f"own: {found.get('generator')}",
                _text(found.get("detail")) if found.get("digest") else "")
        canary, digest, detail = facts
        key = (record.cython, canary)
        by_canary[key][digest].append(record)
        if detail and not details.get(key):
            details[key] = detail
    entries = []
    for (cython, canary), classes in by_canary.items():
        rows = []
        for named in classes.values():
            distinct = list({id(c): c for c in (r.provenance.get("c_class") for r in named)
                             if isinstance(c, dict)}.values())
            members = {str(m) for c in distinct for m in c.get("members") or ()}
            under = {str(c.get("generated_under") or "") for c in distinct}
            rows.append(ClassEntry(tuple(sorted(members, key=version_key)), _versions(under),
                                   len(named)))
        rows.sort(key=lambda c: version_key(c.members[0]) if c.members else ())
        entries.append(GenerationClasses(cython, series(cython),
                                         details.get((cython, canary)) or "", tuple(rows)))
    return tuple(sorted(entries, key=lambda e: (version_key(e.cython), -e.records)))
