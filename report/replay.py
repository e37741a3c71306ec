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

from matrix.model.canary import CanaryCell, Difference, canary_cells, differences
from matrix.model.checks import Check, Judgement, Remeasurement, checks_of, signature
from matrix.model.records import Record
from matrix.model.versions import version_key
from report.render_md.common import code, md_table


@dataclass(frozen=True)
class ReplayRow:
    """One pre-release: what its canary cells said against their baselines."""

    coming: str
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


def _release(coming: str) -> str:
    return coming.split(" ", 1)[1].removeprefix("run ")


def _project(coming: str) -> str:
    return coming.split(" ", 1)[0]


def _final_of(release: str) -> str:
    """``3.1.0b1`` -> ``3.1.0``: the final release a pre-release comes before."""
    return Version(release).base_version


def _swap(cell_id: str, release: str, final: str, project: str) -> str:
    tag = "cy" if project == "cython" else "np"
    return cell_id.replace(f"{tag}{release}", f"{tag}{final}")


def replay_rows(records: Sequence[Record], log: Iterable[Remeasurement] = (),
                controls: Iterable[str] = ()) -> list[ReplayRow]:
    """One row per pre-release in the store, oldest first."""
    by_cell: dict[tuple[str, str], Record] = {}
    for record in records:
        key = (record.case_id, record.cell_id)
        if key not in by_cell or record.timestamp >= by_cell[key].timestamp:
            by_cell[key] = record
    found = differences(list(by_cell.values()), controls)
    checks = checks_of([d.canary for d in found], log)
    cells = canary_cells(by_cell.values())
    cell_python = {r.cell_id: r.python for r in by_cell.values()}
    held: dict[str, set[str]] = {}
    for (case_id, cell_id) in by_cell:
        held.setdefault(cell_id, set()).add(case_id)
    groups: dict[tuple[str, str], list[CanaryCell]] = {}  # per pre-release and Python
    for canary in cells:
        if canary.baseline_id is not None:
            groups.setdefault((canary.coming, cell_python[canary.cell_id]), []).append(canary)
    rows = []
    for (coming, python), group in sorted(groups.items(), key=lambda item: (
            _project(item[0][0]), Version(_release(item[0][0])), version_key(item[0][1]))):
        ids = {c.cell_id for c in group}
        mine = [d for d in found if d.canary.cell_id in ids]
        own = [d for d in mine if not d.toolchain]
        release, project = _release(coming), _project(coming)
        final = _final_of(release)
        fate = [_fate(d, by_cell, _swap(d.canary.cell_id, release, final, project))
                for d in own]
        has_final = any(_swap(c, release, final, project) in held for c in ids)
        rows.append(ReplayRow(
            coming, python,
            _baseline_release(by_cell, str(group[0].baseline_id), project),
            final if has_final else None, len(group),
            sum(len(held[c.cell_id] & held.get(str(c.baseline_id), set())) for c in group),
            len(own),
            sum(1 for d in own if (c := checks.get((d.case_id, d.canary.cell_id))) is not None
                and c.judgement is Judgement.CONFIRMED),
            sum(1 for d in own if (c := checks.get((d.case_id, d.canary.cell_id))) is not None
                and c.judgement is Judgement.FLAKY),
            len({d.canary.cell_id for d in mine if d.toolchain}),
            fate.count("reached"), fate.count("gone"), fate.count("other"),
            tuple((d.case_id, _swap(d.canary.cell_id, release, final, project), f,
                   _judgement(checks.get((d.case_id, d.canary.cell_id))), d.change.value)
                  for d, f in zip(own, fate))))
    return rows


def _judgement(check: Check | None) -> str:
    return check.judgement.value if check is not None else Judgement.UNCHECKED.value


def _baseline_release(by_cell: dict[tuple[str, str], Record], cell_id: str, project: str) -> str:
    record = next(r for (_, c), r in by_cell.items() if c == cell_id)
    return record.cython if project == "cython" else str(record.numpy_build)


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
        [[code(_release(r.coming)) + ("" if _project(r.coming) == "cython" else
                                      f" ({_project(r.coming)})"),
          r.python, r.baseline, str(r.cells), str(r.compared), str(r.own), str(r.confirmed),
          str(r.flaky), str(r.toolchain_cells)]
         + ([str(r.reached), str(r.gone), str(r.other)] if r.final else ["—", "—", "—"])
         for r in rows])
    finals: dict[str, list[ReplayRow]] = {}
    for row in rows:
        if row.final:
            finals.setdefault(f"{_project(row.coming)} {row.final}", []).append(row)
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
        pres = sorted({_release(r.coming) for r in group}, key=Version)
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

