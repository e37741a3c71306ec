"""``try``: measure one cell and print what every case did (for case authors; stores nothing).

What a line says about a record is :func:`verdict`; ``-v`` adds :func:`tried_lines` (the probe
evidence, and for a failure its log and traceback: :mod:`matrix.run.explain`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from matrix.model.cases import Case
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.grid import PlannedCell
from matrix.run import explain
from matrix.run.engine import CellMeasurement, EngineSettings, Toolchain
from matrix.store.paths import Layout


def verdict(record: Record, events: explain.Events | None = None) -> str:
    """What ``try`` prints for a record: labelled probe fields (``events``, the run's probe
    events, say why an unknown ``copies`` is unknown), or ``outcome: first error``."""
    text = outcome_text(record, events)
    if record.shipped_c is not None and not record.outcome.could_not_be_tried:
        under = record.provenance.get("generated_under", "?")
        text += f"  (shipped C generated under Python {under}: {record.shipped_c})"
    return text


def outcome_text(record: Record, events: explain.Events | None = None) -> str:
    if record.outcome is not Outcome.OK:
        return f"{record.outcome.value}: {record.first_error}"
    return explain.probe_fields(record.behaviour, events)


def tried_lines(record: Record, layout: Layout, cases: dict[str, Case],
                seen: explain.RunsSeen, settings: EngineSettings) -> list[str]:
    """``try -v`` under a record's line: the probe evidence; for a failure, the log without
    the runner's protocol lines, how the run ended and what it printed, and the traceback of
    a run or import error; for an error inside a probe, its traceback (the case run again,
    for display)."""
    case = cases[record.case_id]
    log_path = layout.cache / record.log if record.log else None
    log = log_path.read_text(encoding="utf-8") if log_path and log_path.is_file() else ""
    run = seen.runs.get(case.symbol)
    events = explain.probe_events(run.log if run is not None else log)
    ran = (not run.at_import) if run is not None else bool(events)
    lines = explain.evidence_lines(record, events, ran=ran)
    sources = {f"{c.id}.pyx": c.code for c in cases.values()}
    if record.outcome.failed:
        traceback = None
        place = seen.places.get(case.symbol)
        if place is not None and record.outcome.raised:
            bound = settings.run_timeout_s + TIMEOUTS.replay_slack
            traceback = explain.replay_traceback(place, case.symbol, bound, sources)
        lines += explain.failure_lines(record, log, log_path, run, traceback)
    elif record.behaviour.probe_errors and case.symbol in seen.places:
        lines += explain.probe_error_lines(explain.replay_traceback(
            seen.places[case.symbol], case.symbol, settings.run_timeout_s + TIMEOUTS.replay_slack,
            sources))
    return [f"    {line}" for line in lines]


def try_cell(planned: PlannedCell, cases: Sequence[Case], layout: Layout,
             settings: EngineSettings, toolchain: Toolchain, *, verbose: bool = False,
             out: TextIO | None = None) -> None:
    """Measure ``cases`` in ``planned`` and print one line per record as it comes (``verbose``:
    with :func:`tried_lines` under it); a cell that cannot exist prints why."""
    cell = planned.cell
    if planned.not_possible is not None:
        print(f"{cell.id:32} not possible: {planned.not_possible}", file=out or sys.stdout)
        return
    by_id = {case.id: case for case in cases}
    seen = explain.RunsSeen()
    measurement = CellMeasurement(planned, cases, layout, settings, toolchain, run_module=seen)
    for record in measurement.measure():
        run = seen.runs.get(by_id[record.case_id].symbol)
        events = explain.probe_events(run.log) if run is not None else None
        print(f"{cell.id:32} {record.case_id:44} {verdict(record, events)}", file=out or sys.stdout,
              flush=True)
        if verbose:
            for line in tried_lines(record, layout, by_id, seen, settings):
                print(line, file=out or sys.stdout)
