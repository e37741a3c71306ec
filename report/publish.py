"""The published files at their stable paths, written from a :class:`Report`, and the drift check.

``compat.md``, ``changes.md`` (the diff against the previous run), ``detail.md`` (every
cell, per Python), ``compat.json`` and its per-record rows ``compat-records.json``,
``compat.csv`` and the web page (``index.html`` and its data,
``compat-data.js``) are byte-for-byte functions of the report; so is ``compat.parquet`` (the
rows of ``compat.csv``, typed) for one pyarrow version (its footer names the writer's version:
the drift check compares its table, so a pyarrow upgrade is not drift);
``compat-heatmap.png`` is too, for one matplotlib version (the drift check only requires that
it is a valid PNG).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from report.compose import Report
from report.export import (
    PARQUET_FILE,
    RECORDS_FILE,
    forget_rows,
    render_csv,
    render_json,
    render_parquet,
    render_records,
)
from report.render_html import DATA_FILE, PAGE_FILE, render_data, render_page
from report.render_md import (
    CHANGES_FILE,
    DETAIL_FILE,
    HEATMAP_FILE,
    render_changes,
    render_detail_page,
    render_markdown,
)

MARKDOWN_FILE = "compat.md"
JSON_FILE = "compat.json"
CSV_FILE = "compat.csv"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

TEXT_RENDERERS: dict[str, Callable[[Report], str]] = {
    MARKDOWN_FILE: render_markdown,
    CHANGES_FILE: render_changes,
    DETAIL_FILE: render_detail_page,
    JSON_FILE: render_json,
    RECORDS_FILE: render_records,
    CSV_FILE: render_csv,
    PAGE_FILE: render_page,
    DATA_FILE: render_data,
}
"""The text files the drift check compares byte for byte."""

BINARY_RENDERERS: dict[str, Callable[[Report], bytes]] = {
    PARQUET_FILE: render_parquet,
}
"""The binary files the drift check compares byte for byte (not the heatmap: see above)."""


def render_texts(report: Report) -> dict[str, bytes]:
    """File name -> exact bytes of every text output."""
    return {name: render(report).encode("utf-8") for name, render in TEXT_RENDERERS.items()}


def render_files(report: Report) -> dict[str, bytes]:
    """File name -> exact bytes of every output the drift check compares (text and binary)."""
    return dict(iter_files(report))


def iter_files(report: Report) -> Iterator[tuple[str, bytes]]:
    """:func:`render_files` one file at a time (each written or compared, then dropped: the
    outputs of the published grid are tens of megabytes together)."""
    for name, render in TEXT_RENDERERS.items():
        yield name, render(report).encode("utf-8")
    for name, render_binary in BINARY_RENDERERS.items():
        yield name, render_binary(report)
    forget_rows(report)  # the picture, drawn next, needs none of them


def write_outputs(report: Report, out_dir: Path, *, heatmap: bool = True) -> list[Path]:
    """Write every output into ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in iter_files(report):
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    if heatmap:
        from report.heatmap import write_heatmap  # matplotlib: only when the picture is drawn

        path = out_dir / HEATMAP_FILE
        write_heatmap(report, path)
        written.append(path)
    return written


def same_parquet(committed: bytes, fresh: bytes) -> bool:
    """Whether two Parquet files hold the same table (schema, metadata and rows): a file
    another pyarrow wrote (its footer names the writer) is not drift."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        old = pq.read_table(pa.BufferReader(committed))
        new = pq.read_table(pa.BufferReader(fresh))
        return bool(old.equals(new, check_metadata=True))
    except Exception:  # noqa: BLE001 - a file pyarrow cannot read holds no table: it differs
        return False


def drift(report: Report, out_dir: Path) -> list[str]:
    """What differs between the committed outputs in ``out_dir`` and a fresh rendering."""
    problems = []
    for name, data in iter_files(report):
        path = out_dir / name
        if not path.exists():
            problems.append(f"{path}: missing")
        elif path.read_bytes() != data and not (
                name in BINARY_RENDERERS and same_parquet(path.read_bytes(), data)):
            problems.append(f"{path}: differs from a fresh rendering of the results")
    picture = out_dir / HEATMAP_FILE
    if not picture.exists() or not picture.read_bytes().startswith(PNG_SIGNATURE):
        problems.append(f"{picture}: missing or not a PNG")
    return problems
