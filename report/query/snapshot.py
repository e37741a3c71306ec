"""The query's data snapshot: what answering a support range reads of a publication, in one
small file the distribution ships (``report/snapshot/query-data.json.gz``, read with
:mod:`importlib.resources`), so that an installed ``cymatrix query`` answers with no checkout and
no network.

The file is gzip-compressed JSON (``mtime`` 0: the same data gives the same bytes)::

    {"format": 1, "what": "cython-memory-matrix query data",
     "provenance": {"date": "2026-12-05", "digest": "0033c7fd869d4346", "cells": 1278,
                    "records": 25556},
     "fields": [...QUERY_FIELDS...],
     "cases": [{"id": ..., "title": ..., "group": ..., "role": ..., "scan": {...}}, ...],
     "controls": ["control-numpy", "control-plain"],
     "rows": [[one value per field], ...]}

``provenance`` is compat.json's (the day of the newest record and the results digest): every
answer names it. ``report render`` writes it among the published files
(``docs/query-data.json.gz``, also a URL ``--data`` can name) and, rendering the published docs
of a checkout, copies it to where the distribution ships it (:func:`ship`); ``--data`` reads
another snapshot or compat.json, from a path or a URL (:mod:`report.query.source`).
"""

from __future__ import annotations

import gzip
import json
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from report.query.status import QueryError

SNAPSHOT_FILE = "query-data.json.gz"
SNAPSHOT_FORMAT = 1
SNAPSHOT_WHAT = "cython-memory-matrix query data"
GZIP_MAGIC = b"\x1f\x8b"
CASE_KEYS = ("id", "title", "group", "role", "scan")
"""The keys of a published case the query and the scanner read."""
PROVENANCE_KEYS = ("date", "digest", "cells", "records")


def packaged() -> Traversable:
    """The snapshot the distribution ships (it may be missing from a checkout never rendered)."""
    return resources.files("report").joinpath("snapshot").joinpath(SNAPSHOT_FILE)


def source_tree_snapshot() -> Path:
    """Where ``report render`` writes the shipped snapshot in a checkout: beside this package."""
    return Path(__file__).resolve().parents[1] / "snapshot" / SNAPSHOT_FILE


def is_snapshot(raw: bytes) -> bool:
    """Whether ``raw`` is a snapshot (gzip) rather than a compat.json (JSON text)."""
    return raw[:2] == GZIP_MAGIC


def provenance_of(data: dict[str, Any]) -> dict[str, Any]:
    """The part of a compat.json's ``provenance`` an answer names."""
    found = data.get("provenance") or {}
    return {key: found[key] for key in PROVENANCE_KEYS if key in found}


def snapshot_bytes(data: dict[str, Any]) -> bytes:
    """The snapshot of loaded query data (:func:`report.query.data.load_data`'s ``fields``,
    ``cases``, ``controls``, ``cells`` and ``provenance``), as stable bytes."""
    fields = list(data["fields"])
    document = {
        "format": SNAPSHOT_FORMAT, "what": SNAPSHOT_WHAT,
        "provenance": data.get("provenance") or {},
        "fields": fields,
        "cases": [{k: case[k] for k in CASE_KEYS if k in case} for case in data["cases"]],
        "controls": list(data.get("controls") or []),
        "rows": [[row.get(name, "") for name in fields] for row in data["cells"]],
    }
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def read_snapshot(raw: bytes, where: str, fields: tuple[str, ...]) -> dict[str, Any]:
    """Query data from snapshot bytes ``raw`` (read from ``where``, named in errors): the
    ``fields`` of each row, the cases, controls and provenance.  Raises :class:`QueryError`
    naming ``where`` and what is wrong."""
    try:
        document = json.loads(gzip.decompress(raw).decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise QueryError(f"{where}: not a query data snapshot ({type(exc).__name__}: {exc})"
                         ) from None
    if not isinstance(document, dict) or document.get("what") != SNAPSHOT_WHAT:
        raise QueryError(f"{where}: not a query data snapshot (no 'what': {SNAPSHOT_WHAT!r})")
    if document.get("format") != SNAPSHOT_FORMAT:
        raise QueryError(f"{where}: snapshot format {document.get('format')!r}; this"
                         f" cymatrix reads format {SNAPSHOT_FORMAT} (upgrade it, or pass --data"
                         " a compat.json)")
    columns = document.get("fields") or []
    missing = [name for name in fields if name not in columns]
    if missing:
        raise QueryError(f"{where}: the snapshot's rows have no field {', '.join(missing)}")
    keep = [(name, columns.index(name)) for name in fields]
    try:
        cells = [{name: row[index] for name, index in keep} for row in document["rows"]]
        cases = [dict(case) for case in document["cases"]]
    except (KeyError, IndexError, TypeError) as exc:
        raise QueryError(f"{where}: a damaged snapshot ({type(exc).__name__}: {exc})") from None
    return {"fields": fields, "cases": cases, "controls": list(document.get("controls") or []),
            "cells": cells, "provenance": dict(document.get("provenance") or {})}


def ship(published: Path) -> Path | None:
    """Copy the snapshot a render wrote into the published folder ``published`` (docs/) to
    where the distribution ships it (:func:`source_tree_snapshot`), when the two differ; the
    path written, or ``None``."""
    made = (published / SNAPSHOT_FILE).read_bytes()
    shipped = source_tree_snapshot()
    if shipped.is_file() and shipped.read_bytes() == made:
        return None
    shipped.parent.mkdir(parents=True, exist_ok=True)
    partial = shipped.with_name(shipped.name + ".tmp")
    partial.write_bytes(made)
    partial.replace(shipped)
    return shipped


def shipped_drift(published: Path) -> str | None:
    """What is wrong with the shipped snapshot against the one in ``published``, or ``None``."""
    shipped = source_tree_snapshot()
    if not shipped.is_file():
        return f"{shipped}: missing (the distribution ships it; `python -m report render`)"
    if shipped.read_bytes() != (published / SNAPSHOT_FILE).read_bytes():
        return f"{shipped}: differs from {published / SNAPSHOT_FILE} (`python -m report render`)"
    return None
