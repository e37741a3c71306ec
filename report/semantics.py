"""Measured copy semantics and source locking, beside what the documentation claims.

Only records whose outcome is ``ok`` measure anything; a probe that could not tell (``None``)
is *unknown* and never counts as a contradiction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matrix.model.cases import Expectation
from matrix.model.errorline import normalize_error
from matrix.model.interpreters import KINDS, kind_id
from matrix.model.outcomes import Outcome
from matrix.model.records import Behaviour, Record
from matrix.model.safety import Safety, behaviour_safety, record_safety
from report.footnotes import describe_cells, reproduce_command
from report.legend import SHIPPED_C

VARIES = "varies"
UNKNOWN = "?"
NOTHING = "—"

SEMANTICS_LEGEND = {
    "copy": "the target holds its own copy of the data",
    "read-only copy": "a copy that refuses writes",
    "alias": "the target shares the source's memory (writes allowed, or not probed)",
    "read-only alias": "shares the source's memory, but refuses writes",
    "wrong values": "the target did not hold the source's values right after the conversion",
    VARIES: "differs between cells (see the note)",
    UNKNOWN: "the probe could not tell (or the case does not define it)",
    NOTHING: "nothing measured: the case never worked",
}


def semantics_label(copies: bool | None, readonly: bool | None) -> str | None:
    """``copy`` / ``read-only copy`` / ``alias`` / ``read-only alias``; ``None`` if unknown."""
    if copies is None:
        return None
    kind = "copy" if copies else "alias"
    return f"read-only {kind}" if readonly else kind


def behaviour_label(behaviour: Behaviour) -> str | None:
    """The measured semantics of one record."""
    if behaviour.values_ok is False:
        return "wrong values"
    return semantics_label(behaviour.copies, behaviour.readonly)


def locks_label(locks: bool | None) -> str | None:
    return None if locks is None else ("yes" if locks else "no")


def record_does(record: Record) -> tuple[str, str, str]:
    """What one record's conversion did, as the published rows spell it (compat.csv's
    ``semantics``, ``locks`` and ``safety`` columns, which the query reads, and the page's
    rows): ``("alias", "yes", "safe")``; an empty string where the conversion did not work or
    the probe does not apply (nothing resizes ``bytes``)."""
    worked = record.outcome is Outcome.OK
    verdict = record_safety(record)
    return ((behaviour_label(record.behaviour) or "") if worked else "",
            (locks_label(record.behaviour.locks_source) or "") if worked else "",
            verdict.safety.value if verdict is not None else "")


CANNOT_TELL = Safety.CANNOT_TELL.value

SAFETY_LEGEND = {
    Safety.SAFE.value: "after the source was resized the target is still good: it is a copy,"
    " or the source refused to resize while the target lived (BufferError), or the target"
    " moved with it",
    Safety.DANGLES.value: "measured: the resize moved the source's data and the target kept"
    " the old address (freed memory); AddressSanitizer confirms it where a gcc-asan cell ran",
    CANNOT_TELL: "the probes could not tell: the case offers no resize of its source (bytes,"
    " C memory), or the resize left the data where it was",
}


def safety_label(record: Record) -> str:
    """``safe`` / ``dangles`` / ``cannot tell`` of a worked conversion
    (:func:`matrix.model.safety.behaviour_safety`)."""
    return behaviour_safety(record.behaviour).safety.value


def safety_told(record: Record) -> str | None:
    """:func:`safety_label`, ``None`` where the probes could not tell (no answer to compare)."""
    label = safety_label(record)
    return None if label == CANNOT_TELL else label


def measure_safety(records: Sequence[Record]) -> Measured:
    """The safety verdict over the ``ok`` records: ``safe`` or ``dangles`` (where the cells
    that could tell agree), ``varies`` (they disagree), ``cannot tell`` (no cell could) or ``—``
    (nothing measured); ``where`` also lists the cells that could not tell, if any."""
    told = measure(records, safety_told)
    if told.label == UNKNOWN:
        return Measured(CANNOT_TELL, ((CANNOT_TELL, sum(1 for r in records
                                                         if r.outcome is Outcome.OK)),))
    if told.label == NOTHING:
        return told
    untold = [r for r in records if r.outcome is Outcome.OK and safety_told(r) is None]
    if not untold:
        return told
    where = told.where or ((told.label, describe_cells(
        [r for r in records if r.outcome is Outcome.OK and safety_told(r) is not None],
        marker=SHIPPED_C)),)
    return Measured(told.label, (*told.counts, (CANNOT_TELL, len(untold))),
                    (*where, (CANNOT_TELL, describe_cells(untold, marker=SHIPPED_C))))


def safety_text(measured: Measured) -> str | None:
    """The note of a safety verdict that differs between cells, or holds where the cells could
    tell while others could not; ``None`` otherwise."""
    if not measured.where:
        return None
    parts = "; ".join(f"{value} on {cells}" for value, cells in measured.where)
    if measured.label == VARIES:
        return f"safety after a resize differs between cells: {parts}"
    untold = dict(measured.where).get(CANNOT_TELL, "")
    return (f"safety after a resize: {measured.label} wherever the probes could tell; they could"
            f" not tell on {untold}")


def dangles_text(records: Sequence[Record]) -> str | None:
    """The note for a conversion whose target was measured to dangle: where the address moved
    from under the target, what AddressSanitizer reported at the read after the resize (its
    first line), and a reproducer of the cell that shows the most (an ASan cell where one
    reported); ``None`` when no worked record dangles."""
    dangling = [r for r in records if r.outcome is Outcome.OK
                and behaviour_safety(r.behaviour).safety is Safety.DANGLES]
    if not dangling:
        return None
    by_address = [r for r in dangling if r.behaviour.moves == "dangles"]
    by_asan = [r for r in dangling if r.behaviour.sanitizer_read not in (None, "clean")]
    parts = []
    if by_address:
        parts.append("resizing the source moved its data and the target kept the old address"
                     f" on {describe_cells(by_address, marker=SHIPPED_C)}")
    if by_asan:
        lines = sorted({normalize_error(r.behaviour.sanitizer_report or r.behaviour.sanitizer_read)
                        for r in by_asan})
        parts.append("AddressSanitizer, reading through the target after the resize: "
                     + "; ".join(f"`{line}`" for line in lines)
                     + f" on {describe_cells(by_asan, marker=SHIPPED_C)}")
    example = (by_asan or by_address)[-1]
    return ("dangles: " + "; ".join(parts) + f"; reproduce: `{reproduce_command(example)} -v`"
            + (" (it prints the ASan line)" if by_asan else ""))


@dataclass(frozen=True)
class Measured:
    """One measured property over several records."""

    label: str
    """The single value, ``varies``, ``?`` (unknown) or ``—`` (nothing measured)."""
    counts: tuple[tuple[str, int], ...] = ()
    """Each measured value and how many cells showed it (most frequent first)."""
    where: tuple[tuple[str, str], ...] = ()
    """For ``varies``: each value and the cells that showed it."""


def measure(records: Sequence[Record], label: Callable[[Record], str | None]) -> Measured:
    """The value of ``label`` over the ``ok`` records, or how it varies."""
    measured = [r for r in records if r.outcome is Outcome.OK]
    if not measured:
        return Measured(NOTHING)
    by_value: dict[str, list[Record]] = {}
    for record in measured:
        value = label(record)
        if value is not None:
            by_value.setdefault(value, []).append(record)
    if not by_value:
        return Measured(UNKNOWN)
    ordered = sorted(by_value.items(), key=lambda item: (-len(item[1]), item[0]))
    counts = tuple((value, len(rs)) for value, rs in ordered)
    if len(ordered) == 1:
        return Measured(ordered[0][0], counts)
    where = tuple((value, describe_cells(rs, marker=SHIPPED_C)) for value, rs in ordered)
    return Measured(VARIES, counts, where)


def measure_semantics(records: Sequence[Record]) -> Measured:
    return measure(records, lambda r: behaviour_label(r.behaviour))


def measure_locks(records: Sequence[Record]) -> Measured:
    return measure(records, lambda r: locks_label(r.behaviour.locks_source))


def varies_text(what: str, measured: Measured) -> str:
    """The note for a property that differs between cells."""
    parts = [f"{value} on {describe}" for value, describe in measured.where]
    return f"{what} differs between cells: " + "; ".join(parts)


def split_by_kind(records: Sequence[Record]) -> dict[str, list[Record]]:
    """Records by interpreter kind id (``cpython``, ``pypy``, ...), in the data file's order."""
    found: dict[str, list[Record]] = {}
    for record in records:
        found.setdefault(kind_id(record.python), []).append(record)
    return {kind: found[kind] for kind in KINDS if kind in found}


KIND_PROPERTIES: tuple[tuple[str, Callable[[Record], str | None]], ...] = (
    ("copies", lambda r: None if r.behaviour.copies is None
     else ("copy" if r.behaviour.copies else "alias")),
    ("refuses writes", lambda r: locks_label(r.behaviour.readonly)),
    ("locks the source", lambda r: locks_label(r.behaviour.locks_source)),
    ("safety after a resize", safety_told),
)
"""The measured properties compared between CPython and another interpreter kind, one at a
time (a probe that could not tell on one side is no difference)."""


def kind_difference_text(name: str, what: str, cpython: Measured, other: Measured,
                         records: Sequence[Record],
                         label: Callable[[Record], str | None] | None = None) -> str | None:
    """The note where another interpreter kind measured another answer than CPython's (both
    measured: an unknown or unmeasured side is no difference); ``None`` where they agree.
    ``label`` (the property's label of one record) picks a reproducer among the records that
    measured another answer than CPython's; without it, the newest record that worked."""
    unmeasured = (UNKNOWN, NOTHING)
    if cpython.label in unmeasured or other.label in unmeasured or cpython.label == other.label:
        return None
    worked = [r for r in records if r.outcome is Outcome.OK]
    # The cells that measured the property (a probe that could not tell says nothing).
    told = [r for r in worked if label is None or label(r) is not None] or worked
    where = other.where or ((other.label, describe_cells(told, marker=SHIPPED_C)),)
    parts = "; ".join(f"{value} on {cells}" for value, cells in where)
    # The newest release that measured the difference: a reproducer shows it.
    showing = [r for r in told if label is None or label(r) not in (None, cpython.label)]
    example = (showing or told)[-1]
    return (f"on {name}, {what}: {parts} (CPython: {cpython.label}); reproduce:"
            f" `{reproduce_command(example)} -v`")


def gil_at_import_text(records: Sequence[Record]) -> str | None:
    """What importing the modules did to the GIL on free-threaded builds, said once for all
    cases (it is the build's property, the ``freethreading_compatible`` directive's, not an
    idiom's): how many cases re-enabled it everywhere, and by name those that kept it disabled
    somewhere, with their cells. ``None`` when no record of a free-threaded build says
    (``Behaviour.gil_enabled``: the interpreter's ``RuntimeWarning`` at import)."""
    by_case: dict[str, list[Record]] = {}
    for record in records:
        if record.behaviour.gil_enabled is None:
            continue
        if KINDS[kind_id(record.python)].free_threaded:
            by_case.setdefault(record.case_id, []).append(record)
    if not by_case:
        return None
    reenabled = sorted(c for c, rs in by_case.items() if all(r.behaviour.gil_enabled for r in rs))
    disabled = {c: rs for c, rs in sorted(by_case.items()) if c not in reenabled}
    pythons = sorted({r.python for rs in by_case.values() for r in rs})
    parts = [f"importing the module re-enabled the GIL for {len(reenabled)} of {len(by_case)}"
             f" cases (controls included) wherever it was imported, with the interpreter's"
             f" RuntimeWarning"]
    for case_id, rs in disabled.items():
        kept = [r for r in rs if not r.behaviour.gil_enabled]
        again = [r for r in rs if r.behaviour.gil_enabled]
        text = f"`{case_id}` kept it disabled on {describe_cells(kept, marker=SHIPPED_C)}"
        if again:
            text += f" and re-enabled it on {describe_cells(again, marker=SHIPPED_C)}"
        parts.append(text)
    example = next(iter(disabled.values()), None)
    proof = ""
    if example is not None:
        shown = [r for r in example if not r.behaviour.gil_enabled][-1]
        proof = f"; reproduce: `{reproduce_command(shown)}` (it prints `gil=stayed disabled`)"
    kinds = " and ".join(sorted({KINDS[kind_id(p)].title for p in pythons}))
    return (f"On {kinds} ({', '.join(pythons)}), " + "; ".join(parts)
            + f"{proof}.")


def probe_errors_text(records: Sequence[Record]) -> str | None:
    """The note for errors inside probes (``Behaviour.probe_errors``) of the ``ok`` records:
    each distinct error and the cells that raised it; ``None`` when there were none.  Such an
    error leaves that probe unknown (``?``) without failing the conversion."""
    by_error: dict[str, list[Record]] = {}
    for record in records:
        if record.outcome is Outcome.OK:
            for error in record.behaviour.probe_errors:
                by_error.setdefault(error, []).append(record)
    if not by_error:
        return None
    parts = [f"`{error}` on {describe_cells(rs, marker=SHIPPED_C)}"
             for error, rs in sorted(by_error.items())]
    return ("an error inside a probe, not in the conversion, left that probe unknown: "
            + "; ".join(parts))


def documented_text(expect: Expectation) -> str:
    """The documented claims in the table's words: ``alias, locks``; ``—`` when none."""
    parts = []
    label = semantics_label(expect.copies, expect.readonly)
    if label is not None:
        parts.append(label)
    elif expect.readonly is not None:
        parts.append("read-only" if expect.readonly else "writable")
    if expect.locks_source is not None:
        parts.append("locks" if expect.locks_source else "no lock")
    if expect.safe is not None:
        parts.append("safe" if expect.safe else "unsafe")
    return ", ".join(parts) if parts else NOTHING


_CLAIMS: tuple[tuple[str, Callable[[Behaviour], bool | None]], ...] = (
    ("copies", lambda b: b.copies),
    ("readonly", lambda b: b.readonly),
    ("locks_source", lambda b: b.locks_source),
    ("safe", lambda b: {Safety.SAFE: True, Safety.DANGLES: False}.get(
        behaviour_safety(b).safety)),
)


def contradictions(expect: Expectation, records: Sequence[Record],
                   claims: Sequence[str] | None = None) -> tuple[str, ...]:
    """One sentence per documented claim (of ``claims``: ``copies``, ``readonly``,
    ``locks_source``, ``safe``; default all) that a measurement contradicts."""
    measured = [r for r in records if r.outcome is Outcome.OK]
    found = []
    for name, get in _CLAIMS:
        if claims is not None and name not in claims:
            continue
        claimed = getattr(expect, name)
        if claimed is None:
            continue
        known = [r for r in measured if get(r.behaviour) is not None]
        against = [r for r in known if get(r.behaviour) != claimed]
        if not against:
            continue
        cells = describe_cells(against, marker=SHIPPED_C)
        scope = "every measured cell" if len(against) == len(known) else (
            f"{len(against)} of {len(known)} measured cells ({cells})")
        why = ""
        if name == "safe":  # the verdict's reasons: a lock, a copy, a moved address
            reasons = sorted({behaviour_safety(r.behaviour).reason for r in against})
            why = f" ({'; '.join(reasons)})"
        found.append(
            f"documented {name} = {str(claimed).lower()}, but measured {name} ="
            f" {str(not claimed).lower()}{why} on {scope}"
        )
    return tuple(found)
