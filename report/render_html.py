"""The web page: ``docs/index.html`` (a static page, no server, no build toolchain) and
``docs/compat-data.js``, the compact data it shows.

The page is a fixed file (``report/page/index.html``: HTML, CSS and plain JavaScript) copied
with the marks it names filled in from :data:`report.legend.MARKS` (:func:`fill_marks`);
everything it shows comes from ``compat-data.js``, a pure function of the report, loaded
with a ``<script>`` tag so that the page works from ``file://`` as well as from GitHub Pages.
It opens with the answer: the overview (every case x Cython series, the summary judged against
the toolchain baseline), then the toolchain table (the control cases' grids), then each case's
grid with the filters and a support range.

Verdicts, symbols, colours, note ids and the legend are computed here by the same code as
the markdown and the heatmap, so the three cannot disagree; the page only lays them out,
filters them, and answers a support range over the cell rows the way ``python -m report
query`` does: a case's own failures decide, toolchain failures are kept apart, the control
cases' failing cells in range are listed apart, and a range where nothing was tried is untested
(the browser tests check that both give the same answer).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from matrix.model.checks import Judgement
from matrix.model.interpreters import KINDS, kind_id
from matrix.model.records import Record
from matrix.model.safety import Safety, record_safety
from matrix.model.selection import CellKey, cell_sort_key, is_shipped_c
from matrix.model.versions import sorted_versions
from report.diagram import (
    COLOUR_PRECEDENCE,
    STROKE_DEFAULT,
    STROKE_PX,
    arrows,
    diagram_data,
    render_svg,
)
from report.legend import (
    COLOURS,
    COMPILER_MARK,
    DANGLES,
    DANGLES_LEGEND,
    DIAGRAM_COLOURS,
    DIAGRAM_STYLES,
    FLAKY,
    LEGEND,
    LOCKS,
    MARKS,
    SHIPPED_C,
    SHIPPED_C_LEGEND,
    STAGES,
    SYMBOLS,
    Verdict,
)
from report.model import Report, VerdictCell, record_note
from report.query.versions import python_release
from report.semantics import SAFETY_LEGEND, record_does
from report.verdicts import aggregate

PAGE_TEMPLATE = Path(__file__).resolve().parent / "page" / "index.html"
PAGE_FILE = "index.html"
DATA_FILE = "compat-data.js"
DATA_PREFIX = "window.COMPAT = "

# Flags of a cell row (one small integer instead of five booleans per row).
TRIED, FAILED, IS_FLAKY, SHIPPED, TOOLCHAIN_FAILURE = 1, 2, 4, 8, 16


def _flaky(report: Report) -> frozenset[CellKey]:
    return frozenset(k for k, c in report.checks.items() if c.judgement is Judgement.FLAKY)


def _cell(records: list[Record], report: Report, flaky: frozenset[CellKey],
          toolchain: frozenset[CellKey]) -> list[Any]:
    """``[verdict, stages, notes, shipped, flaky, toolchain, null, null, 0, dangles]`` of one
    grid cell; a cell of only toolchain failures shows their stages, notes and shipped C, any
    other leaves them to the toolchain table (``toolchain``: how many of its records are
    toolchain failures; ``dangles``: how many of its worked records measured a dangling target,
    :mod:`matrix.model.safety`)."""
    group = aggregate(records, flaky, toolchain)
    notes = {report.failure_notes[key] for key in group.failures if key in report.failure_notes}
    notes |= {report.flaky_notes[key] for key in group.flaky if key in report.flaky_notes}
    stages = group.stage_text
    if group.verdict is Verdict.TOOLCHAIN:
        notes |= {report.failure_notes[key] for key in group.toolchain_failures
                  if key in report.failure_notes}
        stages = ", ".join(STAGES[s] for s in group.toolchain_stages)
    dangles = sum(1 for r in records if (verdict := record_safety(r)) is not None
                  and verdict.safety is Safety.DANGLES)
    return [group.verdict.value, stages, sorted(notes), int(bool(group.shipped)),
            int(bool(group.flaky)), len(group.toolchain), None, None, 0, dangles]


def _verdict_cell(cell: VerdictCell) -> list[Any]:
    """A composed table cell (summary, toolchain grid) in the grid cells' form."""
    group = cell.verdict
    stages = (", ".join(STAGES[s] for s in group.toolchain_stages)
              if group.verdict is Verdict.TOOLCHAIN else group.stage_text)
    return [group.verdict.value, stages, list(cell.notes), int(bool(group.shipped)),
            int(bool(group.flaky)), len(group.toolchain), group.ok, group.tried,
            int(cell.compiler_dependent)]


def _grids(report: Report, cases: Collection[str]
           ) -> tuple[dict[str, dict[str, list[Any]]], dict[str, dict[str, list[Any]]]]:
    """Per conversion case, ``"python|cython"`` -> cell (numpy folded: every numpy version of
    the numpy cells together), and for numpy cases ``"python|cython|numpy"`` -> cell
    (unfolded). The control cases have the toolchain table instead."""
    flaky = _flaky(report)
    toolchain = report.toolchain_failures
    folded: dict[str, dict[tuple[str, str], list[Record]]] = defaultdict(lambda: defaultdict(list))
    unfolded: dict[str, dict[tuple[str, str, str], list[Record]]] = defaultdict(dict)
    for record in report.records:
        if record.cell_kind == "abi" or record.case_id not in cases:
            continue
        folded[record.case_id][(record.python, record.cython)].append(record)
        if record.numpy_build is not None:
            unfolded[record.case_id][(record.python, record.cython, record.numpy_build)] = [record]
    return (
        {case: {"|".join(k): _cell(v, report, flaky, toolchain)
                for k, v in cells.items()} for case, cells in folded.items()},
        {case: {"|".join(k): _cell(v, report, flaky, toolchain)
                for k, v in cells.items()} for case, cells in unfolded.items()},
    )


def _rows(report: Report, index: dict[str, int], releases: dict[str, int],
          cells: dict[str, int], behaviours: dict[tuple[str, str, str], int]
          ) -> list[list[Any]]:
    """Every shown record of the cases in ``index`` (conversion cases, or the control cases) as
    ``[case, python, cython, numpy_build, numpy_run, kind, outcome, note, flags, release,
    cell, does]``: what the page's support-range query reads (``case``: the position in
    ``index``; ``release``: the position in ``python_releases`` of the Python release the cell
    was measured on, which the Python specifier is checked against, as ``report query`` does;
    ``cell``: the position in ``cell_ids``/``cell_try``, the cell's id and reproducer as the
    data spells them; ``does``: the position in ``does`` of what the conversion did,
    :func:`report.semantics.record_does`, added to ``behaviours`` when new)."""
    flaky = _flaky(report)
    toolchain = report.toolchain_failures
    rows = []
    for record in report.records:
        if record.case_id not in index:
            continue
        key = (record.case_id, record.cell_id)
        is_flaky = key in flaky
        note = record_note(report, record)
        flags = ((TRIED if not record.outcome.could_not_be_tried else 0)
                 | (FAILED if record.outcome.failed else 0)
                 | (IS_FLAKY if is_flaky else 0)
                 | (SHIPPED if is_shipped_c(record) else 0)
                 | (TOOLCHAIN_FAILURE if key in toolchain else 0))
        rows.append([index[record.case_id], record.python, record.cython,
                     record.numpy_build or "", record.numpy_run or "", record.cell_kind,
                     record.outcome.value, note or "", flags,
                     releases[_release(record)], cells[record.cell_id],
                     behaviours.setdefault(record_does(record), len(behaviours))])
    return rows


def _release(record: Record) -> str:
    """The Python release a record's cell was measured on (as the query reads a data row)."""
    return python_release(record.python, str(record.provenance.get("python_version") or ""))


def _notes(report: Report) -> list[dict[str, Any]]:
    return [{
        "n": note.id, "kind": note.kind, "outcome": note.outcome or "", "text": note.text,
        "where": [[case_id, cells] for case_id, cells in note.where],
        "reproduce": note.reproduce,
        "refs": [{"title": r.title, "url": r.url, "why": r.why} for r in note.references],
    } for note in report.footnotes]


def _provenance(report: Report) -> dict[str, Any]:
    p = report.provenance
    return {
        "date": p.date, "records": p.records, "cells": p.cells, "cases": p.cases,
        "outcomes": [list(o) for o in p.outcomes],
        "pythons": [list(x) for x in p.pythons], "cython": list(p.cython),
        "numpy": list(p.numpy), "compilers": list(p.compilers), "platforms": list(p.platforms),
        "engine": list(p.engine_versions), "digest": p.digest,
        "aa": p.aa.text() if p.aa else "", "checked": [list(c) for c in p.checked],
        "shipped_c": p.shipped_c, "tried": p.tried,
    }


def _kinds(pythons: Iterable[str]) -> list[dict[str, Any]]:
    """The interpreter kinds in the data, in the data file's order: their id (as ``python -m
    report query --interpreter`` takes it), name, and Python axis values (the page's
    interpreter filter; CPython alone is in range until another is ticked, as in the query)."""
    by_kind: dict[str, list[str]] = {}
    for python in sorted_versions(pythons):
        by_kind.setdefault(kind_id(python), []).append(python)
    return [{"id": kind.id, "name": kind.title, "pythons": by_kind[kind.id],
             "default": kind.is_default} for kind in KINDS.values() if kind.id in by_kind]


def page_data(report: Report) -> dict[str, Any]:
    """Everything the page shows, compactly."""
    cases = [row.case for row in report.rows]
    case_index = {case.id: index for index, case in enumerate(cases)}
    controls = sorted(report.toolchain_baseline.control_ids)
    control_index = {case_id: index for index, case_id in enumerate(controls)}
    releases = sorted_versions(_release(r) for r in report.records)
    release_index = {release: index for index, release in enumerate(releases)}
    shown = sorted({(cell_sort_key(r), r.cell_id): r for r in report.records}.items())
    cell_ids = [cell_id for (_, cell_id), _ in shown]
    cell_index = {cell_id: index for index, cell_id in enumerate(cell_ids)}
    folded, unfolded = _grids(report, case_index)
    behaviours: dict[tuple[str, str, str], int] = {("", "", ""): 0}
    rows = _rows(report, case_index, release_index, cell_index, behaviours)
    control_rows = _rows(report, control_index, release_index, cell_index, behaviours)
    main = [r for r in report.records if r.cell_kind != "abi"]
    data: dict[str, Any] = {
        "provenance": _provenance(report),
        "legend": [{"verdict": v.value, "symbol": SYMBOLS[v], "colour": COLOURS[v],
                    "text": LEGEND[v]} for v in Verdict],
        "shipped": {"symbol": SHIPPED_C, "text": SHIPPED_C_LEGEND},
        "flaky": FLAKY,
        "compiler_mark": COMPILER_MARK,
        "dangles": {"symbol": DANGLES, "text": DANGLES_LEGEND},
        "safety_legend": SAFETY_LEGEND,
        "stages": {o.value: name for o, name in STAGES.items()},
        "pythons": sorted_versions(r.python for r in main),
        "kinds": _kinds(r.python for r in report.records),
        "python_releases": releases,
        "cythons": sorted_versions(r.cython for r in main),
        "numpys": sorted_versions(r.numpy_build for r in main),
        "cases": [{
            "id": row.case.id, "title": row.case.title, "group": row.case.group,
            "source": row.case.source, "target": row.case.target,
            "numpy": row.case.needs_numpy, "variant_of": row.case.variant_of or "",
            "options": row.case.options,
            "semantics": row.semantics.label, "semantics_notes": list(row.semantics_notes),
            "locks": row.locks.label, "documented": row.documented,
            "safety": row.safety.label, "safety_notes": list(row.safety_notes),
            "safety_contradicted": row.safety_contradicted,
        } for row in report.rows],
        "series": list(report.series),
        "gil_at_import": report.gil_at_import or "",
        "summary": {row.case.id: [_verdict_cell(c) for c in row.series] for row in report.rows},
        # Another kind's own series verdicts, for the cases where it answers otherwise than
        # CPython somewhere (the overview shows them as rows under the case's).
        "kind_summary": {row.case.id: [
            {"kind": k.kind, "name": k.name,
             "cells": [None if alike else _verdict_cell(c) for c, alike in zip(k.series, k.same)]}
            for k in row.kinds if k.any_difference] for row in report.rows
            if any(k.any_difference for k in row.kinds)},
        "toolchain": {
            "grids": [{"case_id": g.case_id, "rows_axis": g.rows_axis, "rows": list(g.rows),
                       "cython": list(g.cython),
                       "cells": [[_verdict_cell(c) for c in line] for line in g.cells],
                       "extra": [[row, version, _verdict_cell(c)] for row, version, c in g.extra]}
                      for g in report.toolchain.grids],
            "excused": report.toolchain.excused, "judged": report.toolchain.judged,
        },
        "grid": folded,
        "numpy_grid": unfolded,
        "cell_ids": cell_ids,
        "cell_try": [record.cell.try_command("") for _, record in shown],
        "cells": rows,
        "controls": controls,
        "control_cells": control_rows,
        # What a row's conversion did (its last field): [semantics, locks, safety].
        "does": [list(triple) for triple in behaviours],
        "notes": _notes(report),
        "coming": _coming(report),
        # The diagram for the default range, one arrow per pair, each a link to its first
        # case's grid; the page repaints its arrows for the reader's range (report/diagram.py).
        "diagram": {
            "svg": render_svg(arrows(diagram_data(report)), links=True),
            "styles": {name: dash for name, (dash, _) in DIAGRAM_STYLES.items()},
            "colours": {name: colour for name, (colour, _) in DIAGRAM_COLOURS.items()},
            "verdicts": {name: text for name, (_, text) in DIAGRAM_COLOURS.items()},
            "locks": LOCKS,
            "precedence": list(COLOUR_PRECEDENCE),
            "widths": {name: STROKE_PX.get(name, STROKE_DEFAULT) for name in DIAGRAM_COLOURS},
        },
    }
    return data


def _coming(report: Report) -> dict[str, Any]:
    """"What is coming" (:mod:`report.coming`): the lead as compat.md says it, and each entry."""
    from report.render_md.coming import HEADERS, coming_lead, coming_rows, toolchain_text

    rows = coming_rows(report.coming) if report.coming is not None else []
    return {"lead": coming_lead(report.coming),
            "headers": [*HEADERS, "Reproduce"],
            "entries": [{**dataclasses.asdict(e), "is_change": e.is_change,
                         "whose": "the case's own" if others is None else toolchain_text(others)}
                        for e, others in rows]}


def render_data(report: Report) -> str:
    """``compat-data.js``: one assignment, stable bytes (sorted keys, no spaces)."""
    text = json.dumps(page_data(report), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    header = "// Generated by `python -m report render`. Do not edit by hand.\n"
    return f"{header}{DATA_PREFIX}{text};\n"


MARK_FIELD = re.compile(r"\{\{mark:(\w+)\}\}")
"""Where the page's template names a mark of :data:`report.legend.MARKS`: ``{{mark:VARIANT}}``."""


def fill_marks(template: str) -> str:
    """The template with every mark it names filled in from :data:`report.legend.MARKS`;
    raises ``KeyError`` naming a mark the legend does not have."""
    def mark(found: re.Match[str]) -> str:
        name = found[1]
        if name not in MARKS:
            raise KeyError(f"{PAGE_TEMPLATE}: {{{{mark:{name}}}}} is not a mark of report.legend"
                           f" (it has {', '.join(MARKS)})")
        return MARKS[name]
    return MARK_FIELD.sub(mark, template)


def render_page(report: Report) -> str:
    """``index.html``: the fixed page (it reads ``compat-data.js``), its marks filled in."""
    return fill_marks(PAGE_TEMPLATE.read_text(encoding="utf-8"))
