"""Machine-readable exports of the report: ``compat.json`` (everything on the page) and its
per-record rows, as ``compat.csv.gz`` (the CSV, gzip-compressed) and ``compat.parquet`` (the
same rows, typed).

All are deterministic: stable key and row order, no floats, ``\\n`` line endings. The CSV's text
is a function of the report, and its gzip member has no name and no time, so its bytes are too
for one zlib; the Parquet file's bytes are a function of the report for one pyarrow version (its
footer names the writer: ``parquet-cpp-arrow version ...``), with no pandas metadata, no
timestamps, zstd compression.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

from matrix.model.checks import Judgement
from matrix.model.diff import CellChange, Diff
from matrix.model.errorline import normalize_error
from matrix.model.interpreters import kind_id
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.safety import record_safety
from matrix.model.selection import generated_under, is_shipped_c, series
from report.compilers import CompilerDisagreement
from report.model import (
    AbiTable,
    CaseRow,
    Report,
    ToolchainGrid,
    VerdictCell,
    failure_note,
    record_note,
)
from report.semantics import record_does

if TYPE_CHECKING:  # pandas and pyarrow are imported by the functions that write with them
    import pandas as pd
    import pyarrow as pa

PARQUET_FILE = "compat.parquet"
"""The rows of ``compat.csv.gz`` with their types (:func:`parquet_schema`)."""

JSON_SCHEMA = 5
"""3: the toolchain baseline (``controls``, ``toolchain``, ``toolchain_failure``), note ids are
strings (``cc-3f2a1``), ``combinations`` gone.  4: ``compat.json`` is compact (no indentation)
and holds no per-record rows: ``cells`` is gone, its rows are in ``compat-records.json`` (named
by ``records_file``; ``{"columns": [...], "rows": [[...], ...], "schema": 4}``).  5: that file is
gone; ``records_file`` names ``compat.csv.gz``, whose rows it held (the same columns and
strings) in a twenty-fifth of the bytes: a year of new releases would have taken the
JSON copy past 20 MB."""

CSV_FILE = "compat.csv.gz"
"""The per-record rows of ``compat.json`` (its ``records_file``): CSV, gzip-compressed."""

RECORDS_FILE = CSV_FILE
"""What ``compat.json``'s ``records_file`` names."""

GZIP_LEVEL = 6
"""zlib's level for ``compat.csv.gz``, gzip's own default (fixed: the bytes are a function of
the report; level 9 takes twice as long for 1.5% fewer bytes)."""

CSV_COLUMNS = (
    "case_id", "group", "cell_id", "kind", "python", "python_version", "cython",
    "cython_series", "numpy_build", "numpy_run", "outcome", "tried", "failed", "note", "error",
    "values_ok", "copies", "readonly", "locks_source", "semantics", "locks",
    "toolchain_failure", "role", "shipped_c", "generated_under", "check", "flaky", "seen",
    "compiler", "probe_errors", "interpreter", "gil_enabled", "moves", "sanitizer_read",
    "safety", "safety_reason",
)
"""``toolchain_failure``: ``true`` when the case failed where its cell's control case failed at
the same stage (the toolchain's failure, left out of the summary and the ranges), ``false``
when a control was measured there and the result is the case's own, empty for the control
cases themselves and where no settled control was measured. ``role``: ``conversion`` (an
idiom) or ``control`` (the toolchain baseline: ``control-plain``, ``control-numpy``).

``note``: the stable id of the note (``cc-3f2a1``), see the report's Notes.

``probe_errors``: for a record whose probe method raised something that is not a measurement
(``copies: target() raised NotImplementedError: ...``; that probe's value is then empty), each
such error, ``; ``-separated; empty for almost every record (cases/README.md, the probe
contract's error rules).

``shipped_c``: ``true`` when the cell was tried with shipped C -- this Cython does not install or
run on this Python, so the C it generated under another Python was compiled, imported and run
here; *not* a claim that this Cython works on this Python. ``false`` otherwise (and for cells
not tried). ``generated_under``: the exact Python version the cell's C was generated under;
empty when the record does not say (results from before it was recorded).

``check``: what re-measuring the record from scratch said (``confirmed``: every re-measurement
agreed; ``flaky``: they disagree; ``unchecked``: never re-measured); ``flaky``: ``true`` for a
flaky record, which counts as neither working nor failing (its ``note`` is the flaky note);
``seen``: for a re-measured record, every result measured and how often.

``compiler``: the C compiler of the cell (``gcc``, ``clang``, ``gcc14-errors``, ``gcc-asan``);
the cell ids of the other compilers end with it (``py3.11-cy0.29.37-clang``).

``interpreter``: the interpreter kind of the cell's Python (``cpython``, ``pypy``,
``cpython-freethreaded``: ``matrix/data/interpreters.toml``); ``gil_enabled``: on a
free-threaded build, whether importing the case's module re-enabled the GIL (``true``/``false``;
empty elsewhere and where the module was not imported).

``moves``: after a resize of the source that took place, ``dangles`` (the source's data moved,
the target kept the old address) or ``follows`` (the target moved with it); empty when not
measured or the probe could not tell.  ``sanitizer_read``: in a ``gcc-asan`` cell, what
AddressSanitizer said when the target was read after the resize (``heap-use-after-free``, or
``clean``).  ``safety``: ``safe``, ``dangles`` or ``cannot tell`` for a record whose conversion
worked (empty otherwise), ``safety_reason`` the measurement behind it
(:mod:`matrix.model.safety`)."""


BOOLEAN_COLUMNS = frozenset({
    "tried", "failed", "values_ok", "copies", "readonly", "locks_source", "toolchain_failure",
    "shipped_c", "flaky", "gil_enabled",
})
"""The columns of ``true``/``false``/empty: nullable booleans in ``compat.parquet``."""

@functools.cache
def parquet_schema() -> pa.Schema:
    """``compat.parquet``: the columns of the CSV in its order, ``string`` or ``bool`` (the
    :data:`BOOLEAN_COLUMNS`); an empty CSV field is null."""
    import pyarrow as pa

    return pa.schema([pa.field(name, pa.bool_() if name in BOOLEAN_COLUMNS else pa.string())
                      for name in CSV_COLUMNS])

PARQUET_COMPRESSION = ("zstd", 9)
"""Codec and level: fixed, for stable bytes."""


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


CHANGE_FIELDS = fields(CellChange)


def cell_row(record: Record, report: Report, groups: dict[str, str],
             roles: dict[str, str]) -> dict[str, str]:
    """One record as a flat row of strings (the CSV's row)."""
    cell = (record.case_id, record.cell_id)
    check = report.checks.get(cell)
    flaky = check is not None and check.judgement is Judgement.FLAKY
    note = record_note(report, record)
    behaviour = record.behaviour
    safety = record_safety(record)
    semantics, locks, safety_value = record_does(record)
    error = "" if record.outcome is Outcome.OK else normalize_error(record.first_error)
    return {
        "case_id": record.case_id,
        "group": groups.get(record.case_id, ""),
        "cell_id": record.cell_id,
        "kind": record.cell_kind,
        "python": record.python,
        "python_version": str(record.provenance.get("python_version") or ""),
        "cython": record.cython,
        "cython_series": series(record.cython),
        "numpy_build": record.numpy_build or "",
        "numpy_run": record.numpy_run or "",
        "outcome": record.outcome.value,
        "tried": _bool(not record.outcome.could_not_be_tried),
        "failed": _bool(record.outcome.failed),
        "note": note or "",
        "error": error,
        "values_ok": _bool(behaviour.values_ok),
        "copies": _bool(behaviour.copies),
        "readonly": _bool(behaviour.readonly),
        "locks_source": _bool(behaviour.locks_source),
        "semantics": semantics,
        "locks": locks,
        "toolchain_failure": report.toolchain_baseline.verdict_text(record),
        "role": roles.get(record.case_id, "conversion"),
        "shipped_c": _bool(is_shipped_c(record)),
        "generated_under": generated_under(record),
        "check": check.judgement.value if check is not None else Judgement.UNCHECKED.value,
        "flaky": _bool(flaky),
        "seen": check.seen_text() if check is not None else "",
        "compiler": record.compiler,
        "probe_errors": "; ".join(behaviour.probe_errors),
        "interpreter": kind_id(record.python),
        "gil_enabled": _bool(behaviour.gil_enabled),
        "moves": behaviour.moves or "",
        "sanitizer_read": behaviour.sanitizer_read or "",
        "safety": safety_value,
        "safety_reason": safety.reason if safety is not None else "",
    }


def cell_rows(report: Report) -> list[dict[str, str]]:
    """Every shown record as a row (:func:`cell_row`); made once per report, since the CSV
    and the Parquet file both write them (callers must not change them)."""
    made = report.__dict__.get(_ROWS_MEMO)
    if made is None:
        groups = {row.case.id: row.case.group for row in report.rows}
        groups.update({grid.case_id: "control" for grid in report.toolchain.grids})
        roles = {case_id: "control" for case_id in report.toolchain_baseline.control_ids}
        made = [cell_row(record, report, groups, roles)
                for record in (*report.records, *report.compiler_records)]
        object.__setattr__(report, _ROWS_MEMO, made)  # a memo of a frozen value, not state
    rows: list[dict[str, str]] = made
    return rows


_ROWS_MEMO = "_export_cell_rows"


def forget_rows(report: Report) -> None:
    """Drop the rows :func:`cell_rows` kept for ``report`` (tens of megabytes for the
    published grid), once every export is written."""
    report.__dict__.pop(_ROWS_MEMO, None)


def _verdict(cell: VerdictCell) -> dict[str, Any]:
    group = cell.verdict
    return {
        "verdict": group.verdict.value,
        "stages": [s.value for s in group.stages],
        "total": group.total,
        "tried": group.tried,
        "ok": group.ok,
        "shipped": group.shipped,
        "flaky": len(group.flaky),
        "toolchain": len(group.toolchain),
        "toolchain_stages": [s.value for s in group.toolchain_stages],
        "compiler_dependent": cell.compiler_dependent,
        "notes": list(cell.notes),
    }


def _case(row: CaseRow, report: Report) -> dict[str, Any]:
    case = row.case
    return {
        "id": case.id,
        "title": case.title,
        "group": case.group,
        "source": case.source,
        "target": case.target,
        "pair": list(case.pair) if case.pair is not None else None,
        "variant_of": case.variant_of,
        "options": case.options,
        "documented": {**asdict(case.expect), "summary": row.documented},
        "summary": [{"series": s, **_verdict(c)} for s, c in zip(report.series, row.series)],
        "other_interpreters": [
            {"kind": k.kind, "name": k.name,
             "summary": [{"series": s, **_verdict(c), "differs_from_cpython": d, "same": a}
                         for s, c, d, a in zip(report.series, k.series, k.differs, k.same)]}
            for k in row.kinds],
        "semantics": {"label": row.semantics.label, "counts": dict(row.semantics.counts),
                      "notes": list(row.semantics_notes)},
        "locks_source": {"label": row.locks.label, "counts": dict(row.locks.counts),
                         "notes": list(row.locks_notes)},
        "safety": {"label": row.safety.label, "counts": dict(row.safety.counts),
                   "notes": list(row.safety_notes),
                   "contradicts_documented": row.safety_contradicted},
        "contradictions": [{"text": t, "note": n}
                           for t, n in zip(row.contradictions, row.contradiction_notes)],
        "ranges": [{"qualifier": [list(q) for q in s.qualifier], "text": s.text,
                    "sentence": s.sentence, "notes": list(n), "shipped_c": s.shipped_c}
                   for s, n in zip(row.ranges, row.range_notes)],
        "ranges_leave_out_toolchain": row.ranges_leave_out_toolchain,
        "toolchain_failures": row.toolchain_failures,
        "role": case.role,
        "scan": case.scan,
    }


def _toolchain_grid(grid: ToolchainGrid) -> dict[str, Any]:
    return {
        "case_id": grid.case_id,
        "rows_axis": grid.rows_axis,
        "rows": list(grid.rows),
        "cython": list(grid.cython),
        "cells": [[_verdict(cell) for cell in line] for line in grid.cells],
        "extra": [{"row": row, "cython": version, **_verdict(cell)}
                  for row, version, cell in grid.extra],
    }


def _toolchain(report: Report) -> dict[str, Any]:
    section = report.toolchain
    return {
        "grids": [_toolchain_grid(grid) for grid in section.grids],
        "excused": section.excused,
        "judged": section.judged,
        "compilers": [_disagreement(d, report) for d in section.compilers],
    }


def _abi(table: AbiTable) -> dict[str, Any]:
    return {
        "python": table.python,
        "cython": list(table.cython),
        "cases": table.cases,
        "cells": [{"numpy_build": build, "numpy_run": run, **_verdict(cell)}
                  for build, cells in zip(table.builds, table.cells)
                  for run, cell in zip(table.runs, cells)],
    }


def _diff(changes: Diff | None) -> dict[str, Any] | None:
    if changes is None:
        return None
    return {
        "baseline_cells": changes.baseline_cells,
        "baseline_date": changes.baseline_date,
        "counts": changes.counts(),
        "unchanged": changes.unchanged,
        # Flat values only: a shallow copy is what asdict would make, at a tenth of its cost.
        "changes": [{**{f.name: getattr(c, f.name) for f in CHANGE_FIELDS},
                     "change": c.change.value} for c in changes.changes],
    }


def _disagreement(d: CompilerDisagreement, report: Report) -> dict[str, Any]:
    return {
        "case_id": d.case_id, "python": d.python, "cython": d.cython,
        "numpy_build": d.numpy_build, "numpy_run": d.numpy_run,
        "results": [{"compiler": c, "cell_id": r.cell_id, "outcome": r.outcome.value,
                     "error": "" if r.outcome is Outcome.OK else normalize_error(r.first_error),
                     "note": failure_note(report, r)} for c, r in d.results],
    }


def report_data(report: Report) -> dict[str, Any]:
    """Everything the page shows, as plain JSON data."""
    return {
        "schema": JSON_SCHEMA,
        "provenance": asdict(report.provenance),
        "series": list(report.series),
        "cases": [_case(row, report) for row in report.rows],
        "controls": sorted(report.toolchain_baseline.control_ids),
        "toolchain": _toolchain(report),
        "abi": [_abi(table) for table in report.abi],
        "notes": [{**asdict(note), "where": [{"case_id": c, "cells": w} for c, w in note.where],
                   "references": [r.to_json() for r in note.references]}
                  for note in report.footnotes],
        "diff": _diff(report.diff),
        "gil_at_import": report.gil_at_import,
        "compiler_disagreements": [_disagreement(d, report)
                                   for d in report.compiler_disagreements],
        "records_file": RECORDS_FILE,
        "coming": _coming(report),
    }


def _coming(report: Report) -> dict[str, Any] | None:
    """The canary lane's section (:mod:`report.coming`); ``None``: no canary store read."""
    coming = report.coming
    if coming is None:
        return None
    return {"measured": coming.measured, "compared": coming.compared,
            "cells": [{**asdict(c), "coming": c.coming} for c in coming.cells],
            "past": [{**asdict(c), "coming": c.coming} for c in coming.past],
            "entries": [{**asdict(e), "is_change": e.is_change} for e in coming.entries]}


def _dumps(data: Any) -> str:
    """Compact JSON: sorted keys, no spaces."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def render_json(report: Report) -> str:
    """``compat.json``: one line (and its newline)."""
    return _dumps(report_data(report)) + "\n"


def render_csv(report: Report) -> str:
    """The CSV's text: a header of :data:`CSV_COLUMNS`, then one line per record, strings only
    (booleans ``true``/``false``, empty where not measured), quoted where needed: Python's
    ``csv`` writer, which pandas' ``to_csv`` writes with too (the same text, in half the time:
    no frame is made)."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(cell_rows(report))
    return text.getvalue()


def render_csv_gz(report: Report) -> bytes:
    """``compat.csv.gz``: :func:`render_csv` as one gzip member with no file name and no time
    (``mtime=0``), at :data:`GZIP_LEVEL`."""
    return gzip.compress(render_csv(report).encode("utf-8"), compresslevel=GZIP_LEVEL, mtime=0)


def render_snapshot(report: Report) -> bytes:
    """``query-data.json.gz``: what ``cymatrix query`` reads of this publication, the
    snapshot the distribution ships (:mod:`report.query.snapshot`): the cases' ids, titles,
    groups and roles, the controls, each record's row (the fields the query reads, as
    compat.csv.gz spells them) and the provenance's date and digest."""
    from report.query.data import QUERY_FIELDS
    from report.query.snapshot import PROVENANCE_KEYS, snapshot_bytes

    provenance = asdict(report.provenance)
    return snapshot_bytes({
        "fields": QUERY_FIELDS,
        "cases": [{"id": row.case.id, "title": row.case.title, "group": row.case.group,
                   "role": row.case.role, "scan": row.case.scan} for row in report.rows],
        "controls": sorted(report.toolchain_baseline.control_ids),
        "cells": cell_rows(report),
        "provenance": {key: provenance[key] for key in PROVENANCE_KEYS},
    })


def same_gzip_text(committed: bytes, fresh: bytes) -> bool:
    """Whether two gzip files (``compat.csv.gz``, ``query-data.json.gz``) hold the same text
    (another zlib may compress the same text to other bytes: that is not drift)."""
    try:
        return gzip.decompress(committed) == gzip.decompress(fresh)
    except (OSError, EOFError, ValueError):  # not gzip, or truncated: it differs
        return False


def parquet_frame(report: Report) -> pd.DataFrame:
    """The rows of the CSV with their dtypes: ``string`` and nullable ``boolean``,
    an empty field missing (``<NA>``)."""
    import pandas as pd

    rows = cell_rows(report)
    columns: dict[str, Any] = {}
    for name in CSV_COLUMNS:
        values = [row[name] or None for row in rows]
        if name in BOOLEAN_COLUMNS:
            columns[name] = pd.array([None if v is None else _TRUTH[v] for v in values],
                                     dtype="boolean")
        else:
            columns[name] = pd.array(values, dtype="string")
    frame: pd.DataFrame = pd.DataFrame(columns, columns=list(CSV_COLUMNS))
    return frame


_TRUTH = {"true": True, "false": False}


def render_parquet(report: Report) -> bytes:
    """``compat.parquet``: no index, no pandas metadata (it names the pandas and pyarrow
    versions), zstd at a fixed level, one row group: the same bytes on every run."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(parquet_frame(report), schema=parquet_schema(),
                                 preserve_index=False).replace_schema_metadata(None)
    codec, level = PARQUET_COMPRESSION
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression=codec, compression_level=level,
                   row_group_size=max(table.num_rows, 1))
    return bytes(sink.getvalue().to_pybytes())
