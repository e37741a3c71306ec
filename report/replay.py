"""The canary lane replayed: what it would have reported before each final release, and how
much of that reached the release (``python -m report replay``; docs/measuring.md prints it).

It reads a canary store holding, for each past pre-release, its canary cells and their
baselines (``run --pre --cython '3.1.0*'``), and the same cells with the series' first final
release (``run --cython 3.1.0 --results canary``).  A difference of a case's own
(:mod:`matrix.model.canary`) *reached* the final release when the final release measured what
the pre-release did; it was *gone* when the final release measured what the baseline did
(fixed, or reverted, before the release); anything else is *other*.  Pure functions of the
records and the re-measurement log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.version import Version

from matrix.model.canary import (
    AXIS_NAMES,
    CanaryCell,
    Difference,
    canary_cells,
    cases_by_cell,
    coming_text,
    differences,
    release_on,
    with_release,
)
from matrix.model.checks import Check, Judgement, Remeasurement, checks_of, signature
from matrix.model.records import Record
from matrix.model.selection import latest_per_cell
from matrix.model.versions import version_key
from report.render_md.common import code, md_table


@dataclass(frozen=True)
class ReplayRow:
    """One pre-release on one Python: what its canary cells said against their baselines."""

    axis: str
    """The axis it is new on (:data:`matrix.model.canary.AXIS_NAMES`)."""
    release: str
    python: str
    baseline: str
    final: str | None
    """The series' first final release, if the store holds its cells."""
    cells: int
    compared: int
    own: int
    confirmed: int
    flaky: int
    toolchain_cells: int
    reached: int
    gone: int
    other: int
    fates: tuple[tuple[str, str, str, str, str], ...] = ()
    """``(case id, cell id with the final release, fate, judgement, change)`` of each
    difference of the cases' own: ``reached``, ``gone``, ``other`` or ``untested``;
    ``confirmed``, ``flaky`` or ``unchecked``; a :class:`~matrix.model.diff.Change` value."""

    @property
    def coming(self) -> str:
        return coming_text(self.axis, self.release)


def _final_of(release: str) -> str:
    """``3.1.0b1`` -> ``3.1.0``: the final release a pre-release comes before."""
    return Version(release).base_version


def _final_cell(record: Record, axis: str, final: str) -> str:
    """The id of ``record``'s cell with ``final`` on ``axis``: where the final release was
    measured."""
    return with_release(record.cell, axis, final).id


def replay_rows(records: Sequence[Record], log: Iterable[Remeasurement] = (),
                controls: Iterable[str] = ()) -> list[ReplayRow]:
    """One row per pre-release in the store, oldest first."""
    by_cell = latest_per_cell(records)
    found = differences(list(by_cell.values()), controls)
    checks = checks_of([d.canary for d in found], log)
    cells = canary_cells(by_cell.values())
    cell_of = {r.cell_id: r.cell for r in by_cell.values()}
    cell_python = {cell_id: cell.python for cell_id, cell in cell_of.items()}
    held = cases_by_cell(by_cell.values())
    groups: dict[tuple[str, str, str], list[CanaryCell]] = {}  # per pre-release and Python
    for canary in cells:
        if canary.baseline_id is not None:
            group_key = (canary.axis, canary.release, cell_python[canary.cell_id])
            groups.setdefault(group_key, []).append(canary)
    rows = []
    for (axis, release, python), group in sorted(groups.items(), key=lambda item: (
            item[0][0], Version(item[0][1]), version_key(item[0][2]))):
        ids = {c.cell_id for c in group}
        mine = [d for d in found if d.canary.cell_id in ids]
        own = [d for d in mine if not d.toolchain]
        final = _final_of(release)
        fate = [_fate(d, by_cell, _final_cell(d.canary, axis, final)) for d in own]
        has_final = any(with_release(cell_of[c], axis, final).id in held for c in ids)
        rows.append(ReplayRow(
            axis, release, python,
            release_on(cell_of[str(group[0].baseline_id)], axis),
            final if has_final else None, len(group),
            sum(len(held[c.cell_id] & held.get(str(c.baseline_id), set())) for c in group),
            len(own),
            sum(1 for d in own if (c := checks.get((d.case_id, d.canary.cell_id))) is not None
                and c.judgement is Judgement.CONFIRMED),
            sum(1 for d in own if (c := checks.get((d.case_id, d.canary.cell_id))) is not None
                and c.judgement is Judgement.FLAKY),
            len({d.canary.cell_id for d in mine if d.toolchain}),
            fate.count("reached"), fate.count("gone"), fate.count("other"),
            tuple((d.case_id, _final_cell(d.canary, axis, final), f,
                   _judgement(checks.get((d.case_id, d.canary.cell_id))), d.change.value)
                  for d, f in zip(own, fate))))
    return rows


def _judgement(check: Check | None) -> str:
    return check.judgement.value if check is not None else Judgement.UNCHECKED.value


def _fate(difference: Difference, by_cell: dict[tuple[str, str], Record], final_cell: str
          ) -> str:
    final = by_cell.get((difference.case_id, final_cell))
    if final is None or final.outcome.could_not_be_tried:
        return "untested"
    if signature(final) == signature(difference.canary):
        return "reached"
    if signature(final) == signature(difference.baseline):
        return "gone"
    return "other"


def render_replay(rows: Sequence[ReplayRow]) -> str:
    """The replay as a markdown table and a sentence per final release."""
    table = md_table(
        ["Pre-release", "Python", "Beside", "Cells", "Results compared", "Differ (own)",
         "Confirmed", "Flaky", "Toolchain cells", "Reached the final", "Gone by the final",
         "Other"],
        [[code(r.release) + ("" if r.axis == "cython" else f" ({AXIS_NAMES[r.axis]})"),
          r.python, r.baseline, str(r.cells), str(r.compared), str(r.own), str(r.confirmed),
          str(r.flaky), str(r.toolchain_cells)]
         + ([str(r.reached), str(r.gone), str(r.other)] if r.final else ["—", "—", "—"])
         for r in rows])
    finals: dict[str, list[ReplayRow]] = {}
    for row in rows:
        if row.final:
            finals.setdefault(coming_text(row.axis, row.final), []).append(row)
    lines = []
    for name, group in finals.items():
        # each (case, cell) once: what the last pre-release showing it said
        distinct: dict[tuple[str, str], tuple[str, str, str]] = {}
        for row in group:
            distinct.update(((case, cell), (fate, judged, change))
                            for case, cell, fate, judged, change in row.fates)
        confirmed = [(fate, change) for fate, judged, change in distinct.values()
                     if judged == "confirmed"]
        changes = [fate for fate, change in confirmed if change != "fixed"]
        fixes = [fate for fate, change in confirmed if change == "fixed"]
        flaky = sum(1 for _, judged, _ in distinct.values() if judged == "flaky")
        pres = sorted({r.release for r in group}, key=Version)
        lines.append(
            f"- Before {name} ({len(pres)} pre-releases: {', '.join(pres)}; on"
            f" {', '.join(sorted({r.python for r in group}, key=version_key))}): the canary"
            f" would have reported {len(changes)} confirmed change(s) of the cases' own;"
            f" {changes.count('reached')} reached {name}, {changes.count('gone')} were gone by"
            f" then, {changes.count('other')} other; confirmed fixes: {len(fixes)}"
            f" ({fixes.count('reached')} reached {name}); flaky (listed, never failing): {flaky};"
            f" cells where the control differed too (the toolchain's):"
            f" {sum(r.toolchain_cells for r in group)}.")
    return table + ("\n\n" + "\n".join(lines) if lines else "") + "\n"

