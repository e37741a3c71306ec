"""Reading the published data: ``compat.json`` and the records file it names
(``compat.csv.gz``; schema 4's ``compat-records.json``; older data has the cells inline), and
the cache that keeps what a query reads of them (:func:`load_data`)."""

from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import marshal
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from report.query.snapshot import is_snapshot, provenance_of, read_snapshot
from report.query.status import QueryError
from report.query.versions import Row

RECORDS_FILE_FIELD = re.compile(rb'"records_file"\s*:\s*"([^"\\]+)"')
"""``compat.json``'s ``records_file`` (a quote inside a JSON string is escaped: this matches
only a key)."""

QUERY_FIELDS = ("case_id", "cell_id", "compiler", "cython", "error", "failed", "flaky", "kind",
                "locks", "note", "numpy_build", "numpy_run", "outcome", "python",
                "python_version", "safety", "safety_reason", "semantics", "shipped_c",
                "toolchain_failure", "tried")
"""The fields of a cell row that answering a query reads (the rest of ``compat.json`` is for
other readers): what :func:`load_data` keeps in its cache."""


def load_data(path: Path, cache: Path | None = None) -> dict[str, Any]:
    """The published ``compat.json``: its ``cases``, ``controls``, ``provenance`` (date and
    digest, :func:`report.query.snapshot.provenance_of`) and ``cells`` (the fields of
    :data:`QUERY_FIELDS`), the cells read from the records file it names (``records_file``:
    ``compat.csv.gz`` beside it; schema 4 named ``compat-records.json``, older data has them
    inline); or the same from a query data snapshot (:mod:`report.query.snapshot`).  Raises
    :class:`QueryError` naming the file.

    With ``cache`` (a folder), the files are parsed once: what a query reads of them is kept
    there (``marshal``, named by the sha256 of both files' bytes) and read back by every later
    query of the same files, several times faster than parsing their JSON.  A cache that
    cannot be read or written is passed over."""
    raw = _read(path)
    snapshot = is_snapshot(raw)
    named = None if snapshot else RECORDS_FILE_FIELD.search(raw)  # found without parsing
    records_raw = b""
    if named is not None:  # its bytes key the cache too
        records_raw = _read(records_path(path, {"records_file": named[1].decode("utf-8")}),
                            path)
    kept = None
    if cache is not None:
        digest = hashlib.sha256(raw)
        digest.update(records_raw)
        kept = cache / f"compat-{digest.hexdigest()[:32]}.marshal{marshal.version}"
        try:
            found = marshal.loads(kept.read_bytes())
            if (isinstance(found, dict) and found.get("fields") == QUERY_FIELDS
                    and "provenance" in found):
                return found
        except (OSError, ValueError, EOFError, TypeError):
            pass
    if snapshot:
        slim = read_snapshot(raw, str(path), QUERY_FIELDS)
        _keep(kept, slim)
        return slim
    data = _parse(path, raw)
    if "records_file" in data:
        records = records_path(path, data)
        if named is None or records.name != named[1].decode("utf-8"):
            records_raw = _read(records, path)
        cells = _records(records, records_raw)
    elif "cells" in data:
        cells = [{k: row[k] for k in QUERY_FIELDS if k in row} for row in data["cells"]]
    else:
        raise QueryError(f"{path}: not a compat.json (no 'records_file' or 'cells')")
    slim = {"fields": QUERY_FIELDS, "cases": data["cases"],
            "controls": data.get("controls") or [], "cells": cells,
            "provenance": provenance_of(data)}
    _keep(kept, slim)
    return slim


def _keep(kept: Path | None, slim: dict[str, Any]) -> None:
    """Keep what a query reads of a data file at ``kept`` (the cache), if it can."""
    if kept is None:
        return
    with contextlib.suppress(OSError, ValueError):
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
        partial.write_bytes(marshal.dumps(slim))
        os.replace(partial, kept)


def records_path(path: Path, data: dict[str, Any]) -> Path:
    """The records file a ``compat.json`` names, beside it."""
    name = data.get("records_file")
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise QueryError(f"{path}: 'records_file' is not a file name ({name!r})")
    return path.with_name(name)


def _read(path: Path, named_by: Path | None = None) -> bytes:
    if path.is_dir():
        raise QueryError(f"{path}: a folder, not a data file (--data takes the compat.json of a"
                         " publication, e.g. docs/compat.json)")
    try:
        return path.read_bytes()
    except PermissionError:
        raise QueryError(f"{path}: cannot be read (permission denied)") from None
    except FileNotFoundError:
        beside = f" ({named_by.name} names it as its records_file)" if named_by else ""
        raise QueryError(f"{path}: no published data{beside} (render it with `python -m report"
                         " render`, or pass --data)") from None


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise QueryError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "cases" not in data:
        raise QueryError(f"{path}: not a compat.json (no 'cases')")
    return data


def rows_of(records: dict[str, Any], fields: Sequence[str] | None = None) -> list[Row]:
    """The rows of a parsed ``compat-records.json`` (``compat.json`` schema 4) as one dict per
    record: every column, or only ``fields``."""
    columns: list[str] = records["columns"]
    keep = [(name, columns.index(name)) for name in (fields or columns) if name in columns]
    return [{name: row[index] for name, index in keep} for row in records["rows"]]


def published_cells(path: Path, data: dict[str, Any]) -> list[Row]:
    """Every cell row of the ``compat.json`` at ``path`` (parsed: ``data``) with every column:
    the rows of the records file it names, or its ``cells`` (older data)."""
    if "records_file" not in data:
        return list(data.get("cells") or [])
    records = records_path(path, data)
    return _records(records, _read(records, path), None)


def _records(path: Path, raw: bytes, fields: Sequence[str] | None = QUERY_FIELDS) -> list[Row]:
    """The cell rows of a records file with the fields of :data:`QUERY_FIELDS` (``None``:
    every column): ``compat.csv.gz`` (schema 5), or ``compat-records.json`` (``columns`` and
    ``rows``, schema 4)."""
    if path.name.endswith(".json"):
        return _json_records(path, raw, fields)
    try:
        text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8")
        reader = csv.reader(io.StringIO(text, newline=""))
        columns = next(reader)
        missing = [name for name in fields or () if name not in columns]
        if missing:
            raise QueryError(f"{path}: not the cell rows of a compat.json (no column"
                             f" {', '.join(missing)})")
        keep = [(name, columns.index(name)) for name in (fields or columns)]
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(row) != len(columns):
                raise QueryError(f"{path}: line {number}: {len(row)} fields, the header has"
                                 f" {len(columns)}")
            rows.append({name: row[index] for name, index in keep})
        return rows
    except (OSError, EOFError, UnicodeDecodeError, StopIteration, csv.Error) as exc:
        raise QueryError(f"{path}: not the cell rows of a compat.json ({type(exc).__name__}:"
                         f" {exc})") from None


def _json_records(path: Path, raw: bytes, fields: Sequence[str] | None) -> list[Row]:
    try:
        records = json.loads(raw.decode("utf-8"))
        missing = [name for name in fields or () if name not in records["columns"]]
        if missing:
            raise QueryError(f"{path}: not a compat-records.json (no column"
                             f" {', '.join(missing)})")
        return rows_of(records, fields)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise QueryError(f"{path}: not a compat-records.json ({type(exc).__name__}:"
                         f" {exc})") from None


def control_ids(data: dict[str, Any]) -> frozenset[str]:
    """The control cases' ids: the data's ``controls`` and cases whose role is ``control``
    (neither in older data)."""
    listed = data.get("controls") or []
    return frozenset(str(c) for c in listed) | frozenset(
        c["id"] for c in data["cases"] if c.get("role") == "control")
