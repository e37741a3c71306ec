"""What is coming: the canary lane's differences, as compat.md, the page and ``report coming``
show them.

Each entry is one case whose result in a canary cell (a pre-release of Cython, numpy or
CPython: :mod:`matrix.model.canary`) differs from its result in the baseline cell, measured in
the same run.  It carries both results, whether re-measuring confirmed it (``python -m matrix
recheck --pre``: crater's re-check before anything is called a regression), a reproducer, and
a report text ready to paste upstream.  Only a *confirmed* difference of the case's own is a
change: one the control case shares is the toolchain's, said once per cell; an unchecked or
flaky one is listed as such and never fails the canary step."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matrix.model.buildsource import stated
from matrix.model.canary import (
    CanaryCell,
    Difference,
    canary_cells,
    cases_by_cell,
    coming_text,
    differences,
    release_on,
)
from matrix.model.checks import Judgement, Remeasurement, checks_of, signature
from matrix.model.diff import Change
from matrix.model.folders import source_url
from matrix.model.records import Record
from matrix.model.selection import CaseInfo
from matrix.model.versions import channel, version_key


@dataclass(frozen=True)
class ComingEntry:
    """One case that does something else with what is coming."""

    case_id: str
    title: str
    coming: str
    """``cython 3.3.0b1``."""
    cell_id: str
    baseline_id: str
    change: str
    """A :class:`matrix.model.diff.Change` value: ``regressed``, ``fixed``, ..."""
    detail: str
    now: str
    """The canary's result as a signature reads (``crash: SIGSEGV during convert``)."""
    before: str
    """The baseline's."""
    check: str
    """``confirmed``, ``flaky`` or ``unchecked`` (:class:`matrix.model.checks.Judgement`)."""
    remeasured: int
    toolchain: bool
    """The control case differs in that cell too: the toolchain's difference."""
    is_control: bool
    """The entry is the control case's own."""
    reproduce: str
    upstream: str
    """The report to paste into the project's issue tracker."""

    @property
    def is_change(self) -> bool:
        """Confirmed, the case's own, and not a fix (a case that failed and now works): what
        fails the canary step."""
        return (self.check == Judgement.CONFIRMED.value and not self.toolchain
                and self.change != Change.FIXED.value)


@dataclass(frozen=True)
class Coming:
    """The canary lane's section: its cells and what differs."""

    cells: tuple[CanaryCell, ...]
    """The canary cells of releases still coming (none of the released table's final
    releases is newer)."""
    entries: tuple[ComingEntry, ...]
    compared: int
    """Case results compared (canary against baseline)."""
    measured: str
    """When the newest canary record was measured (ISO date), ``""`` for none."""
    past: tuple[CanaryCell, ...] = ()
    """Canary cells the store keeps of releases that have shipped since (a final release as
    new or newer is in the released table): history, not what is coming (the replay in
    docs/measuring.md reads them)."""

    @property
    def changes(self) -> tuple[ComingEntry, ...]:
        return tuple(e for e in self.entries if e.is_change)

    @property
    def own(self) -> tuple[ComingEntry, ...]:
        """The differences of the cases' own (the control does not differ in their cell)."""
        return tuple(e for e in self.entries if not e.toolchain)

    def toolchain(self) -> list[tuple[ComingEntry, tuple[str, ...]]]:
        """Per canary cell where the control differs too: the control's entry (or the first
        case's, when only a case differs besides a control that could not be compared) and the
        other cases that differ there: a toolchain fact, said once."""
        cells: dict[str, list[ComingEntry]] = {}
        for entry in self.entries:
            if entry.toolchain:
                cells.setdefault(entry.cell_id, []).append(entry)
        found = []
        for entries in cells.values():
            head = next((e for e in entries if e.is_control), entries[0])
            found.append((head, tuple(e.case_id for e in entries if e is not head)))
        return found


def _versions(record: Record) -> str:
    """``Cython 3.3.0b1, CPython 3.12.7, numpy 2.5.5, gcc 12.2.0``."""
    p = record.provenance
    python = str(p.get("python_version") or record.python)
    parts = [f"Cython {record.cython}", f"Python {python}" + (
        f" ({record.python})" if not record.python[:1].isdigit() else "")]
    if record.numpy_build:
        parts.append(f"numpy {record.numpy_build}" + (
            f" (run under {record.numpy_run})" if record.numpy_run != record.numpy_build else ""))
    parts.append(str(p.get("cc") or record.compiler))
    return ", ".join(parts)


def upstream_text(difference: Difference, case: CaseInfo | None, code: str, check: str,
                  remeasured: int) -> str:
    """The ready-to-paste report of one difference: versions, the case's code, what the
    canary did and what the release before it did, and how sure the measurement is."""
    canary, baseline = difference.canary, difference.baseline
    title = case.title if case is not None else difference.case_id
    checked = (f"confirmed: measured again {remeasured} time(s) from scratch, every time the"
               " same" if check == Judgement.CONFIRMED.value else
               f"{check}: measured again {remeasured} time(s)" if remeasured else
               "not yet (`nox -s matrix -- recheck --pre` measures it again from scratch)")
    lines = [
        f"{difference.coming}: {title} ({difference.change.value} against"
        f" {_release_of(baseline, difference.cell)})",
        "",
        f"Versions: {_versions(canary)}"
        + (f"; {canary.provenance['machine']}." if canary.provenance.get("machine") else "."),
        f"Before ({_versions(baseline)}): {signature(baseline).text()}",
        f"Now ({difference.coming}): {signature(canary).text()}",
        f"Re-measured: {checked}.",
        *[f"Build: {_build_text(entry)}." for entry in stated(canary.provenance)],
        "",
        f"Code (`{difference.case_id}`, built as a module and run by the harness):",
        "",
        "```cython",
        code.rstrip("\n"),
        "```",
        "",
        f"Reproduce: `{reproducer(canary, difference.case_id)}` in a clone of"
        f" {source_url()}",
    ]
    return "\n".join(lines)


def _build_text(entry: Mapping[str, Any]) -> str:
    """A development build as a record names it (``--cython-from``): where from, which
    commit, which wheel."""
    where = {"git": f"git {entry.get('repository')}@{entry.get('ref')} commit"
                    f" {entry.get('commit')}",
             "index": f"index {entry.get('index')}", "url": f"{entry.get('url')}"}.get(
        str(entry.get("source")), "a wheel file")
    return (f"{entry.get('project')} {entry.get('version')} from {where}, {entry.get('wheel')}"
            f" sha256 {entry.get('sha256')}")


def reproducer(record: Record, case_id: str) -> str:
    """``try`` of ``record``'s cell and case; a development build's axis named by where the
    build comes from (``--cython-from git+URL@commit``, its URL, index or wheel file)."""
    command = record.cell.try_command(case_id)
    for entry in stated(record.provenance):
        project, version = str(entry.get("project")), str(entry.get("version"))
        where = {"git": f"git+{entry.get('repository')}@{entry.get('commit')}",
                 "index": str(entry.get("index")), "url": str(entry.get("url"))}.get(
            str(entry.get("source")), str(entry.get("wheel")))
        flag = "--cython" if project == "cython" else "--numpy"
        command = command.replace(f"{flag} {version}", f"{flag}-from {where}")
    return command


def _release_of(record: Record, canary: CanaryCell) -> str:
    """The baseline's release on the axis that is coming: ``cython 3.2.9`` (a Python's full
    release, where the record names it)."""
    value = release_on(record.cell, canary.axis)
    if canary.axis == "python":
        value = str(record.provenance.get("python_version") or value)
    return coming_text(canary.axis, value)


def has_shipped(canary: CanaryCell, released: Sequence[Record]) -> bool:
    """Whether the release ``canary`` measures has shipped: the released table holds a final
    release of that project as new or newer (of that Python, for a Python pre-release)."""
    if canary.axis == "python":
        minor = ".".join(canary.release.split(".")[:2])
        return any(str(r.provenance.get("python_version") or "").startswith(minor + ".")
                   and channel(str(r.provenance.get("python_version"))) == "final"
                   for r in released)
    versions = ({r.cython for r in released} if canary.axis == "cython" else
                {v for r in released for v in (r.numpy_build, r.numpy_run) if v})
    finals = [version_key(v) for v in versions if channel(v) == "final"]
    return bool(finals) and max(finals) >= version_key(canary.release)


def compose_coming(records: Sequence[Record], cases: Iterable[CaseInfo],
                   log: Iterable[Remeasurement] = (),
                   code: Mapping[str, str] | None = None,
                   released: Sequence[Record] = ()) -> Coming:
    """The section from the canary store's records, its re-measurement log, the cases' code
    (``case id -> .pyx text``, for the upstream texts) and the released table's records (a
    canary of a release that has shipped since is history: :func:`has_shipped`)."""
    infos = {case.id: case for case in cases}
    controls = [case_id for case_id, case in infos.items() if case.is_control]
    every = canary_cells(records)
    past = tuple(c for c in every if has_shipped(c, released))
    shipped = {c.cell_id for c in past}
    found = [d for d in differences(records, controls) if d.canary.cell_id not in shipped]
    checks = checks_of([d.canary for d in found], log)
    entries = []
    for d in found:
        check = checks.get((d.case_id, d.canary.cell_id))
        judgement = check.judgement.value if check is not None else Judgement.UNCHECKED.value
        remeasured = check.remeasured if check is not None else 0
        case = infos.get(d.case_id)
        entries.append(ComingEntry(
            d.case_id, case.title if case is not None else d.case_id, d.coming,
            d.canary.cell_id, d.baseline.cell_id, d.change.value, d.detail,
            signature(d.canary).text(), signature(d.baseline).text(), judgement, remeasured,
            d.toolchain, case is not None and case.is_control,
            reproducer(d.canary, d.case_id),
            upstream_text(d, case, (code or {}).get(d.case_id, "(not available)"), judgement,
                          remeasured)))
    cells = [c for c in every if c.cell_id not in shipped]
    held = cases_by_cell(records)
    compared = sum(len(held[c.cell_id] & held.get(c.baseline_id or "", set())) for c in cells)
    canary_ids = {c.cell_id for c in cells}
    measured = max((r.timestamp for r in records if r.cell_id in canary_ids), default="")[:10]
    return Coming(tuple(cells), tuple(entries), compared, measured, past)

