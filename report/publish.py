"""The published files at their stable paths, written from a :class:`Report`, and the drift check.

``compat.md``, ``changes.md`` (the diff against the previous run), ``detail.md`` (every cell,
per Python), ``notes.md`` (every note), ``compat.json``, the diagram (``diagram.svg``) and the
web page (``index.html`` and its data, ``compat-data.js``) are byte-for-byte functions of the
report; so are its per-record rows, ``compat.csv.gz`` for one zlib and ``compat.parquet`` (the
same rows, typed) for one pyarrow version (its footer names the writer's version), and the
query's data snapshot (``query-data.json.gz``, which the distribution ships as well): the drift
check compares what they hold, so a zlib or pyarrow upgrade is not drift.
``compat-heatmap.png`` is a function of the report for one matplotlib version (the drift check
only requires that it is a valid PNG).

Where there is a second core, the outputs are rendered in parallel (:mod:`report.background`):
the picture by a :func:`painter` started before the report was read, the text files by a
forked process that shares the report copy-on-write, the rest here; where ``fork`` is not
available, all in this one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from report.background import Standby, can_fork, standby, start
from report.model import Report

if TYPE_CHECKING:
    from report.heatmap import HeatmapData
from report.diagram import render_diagram
from report.export import (
    CSV_FILE,
    PARQUET_FILE,
    forget_rows,
    render_csv_gz,
    render_json,
    render_parquet,
    render_snapshot,
    same_gzip_text,
)
from report.footnotes import NOTES_FILE
from report.query.snapshot import SNAPSHOT_FILE
from report.render_html import DATA_FILE, PAGE_FILE, render_data, render_page
from report.render_md.changes import render_changes
from report.render_md.coming import COMING_FILE, render_coming_file
from report.render_md.common import CHANGES_FILE, DETAIL_FILE, DIAGRAM_FILE, HEATMAP_FILE
from report.render_md.compat import render_markdown
from report.render_md.detail import render_detail_page
from report.render_md.notes import render_notes_page

MARKDOWN_FILE = "compat.md"
JSON_FILE = "compat.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

RETIRED_FILES = ("compat-records.json", "compat.csv")
"""Outputs of earlier versions (``compat.json`` schema 4), removed where outputs are written."""

TEXT_RENDERERS: dict[str, Callable[[Report], str]] = {
    MARKDOWN_FILE: render_markdown,
    CHANGES_FILE: render_changes,
    DETAIL_FILE: render_detail_page,
    NOTES_FILE: render_notes_page,
    COMING_FILE: render_coming_file,
    JSON_FILE: render_json,
    PAGE_FILE: render_page,
    DATA_FILE: render_data,
    DIAGRAM_FILE: render_diagram,
}
"""The text files the drift check compares byte for byte."""


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


BINARY_RENDERERS: dict[str, Callable[[Report], bytes]] = {
    CSV_FILE: render_csv_gz,
    PARQUET_FILE: render_parquet,
    SNAPSHOT_FILE: render_snapshot,
}
"""The binary files; the drift check compares what they hold (:data:`SAME_CONTENT`)."""

SAME_CONTENT: dict[str, Callable[[bytes, bytes], bool]] = {
    CSV_FILE: same_gzip_text,
    PARQUET_FILE: same_parquet,
    SNAPSHOT_FILE: same_gzip_text,  # gzip: the same text is no drift, whichever zlib wrote it
}
"""How the drift check compares a binary file whose bytes differ: by what it holds."""


def render_texts(report: Report) -> dict[str, bytes]:
    """File name -> exact bytes of every text output."""
    return {name: render(report).encode("utf-8") for name, render in TEXT_RENDERERS.items()}


def render_files(report: Report) -> dict[str, bytes]:
    """File name -> exact bytes of every output the drift check compares (text and binary)."""
    return dict(iter_files(report))


def _render(report: Report, name: str) -> bytes:
    if name in TEXT_RENDERERS:
        return TEXT_RENDERERS[name](report).encode("utf-8")
    return BINARY_RENDERERS[name](report)


def iter_files(report: Report, names: Sequence[str] | None = None
               ) -> Iterator[tuple[str, bytes]]:
    """:func:`render_files` one file at a time (each written or compared, then dropped: the
    outputs of the published grid are tens of megabytes together); ``names``: only these."""
    for name in names if names is not None else [*TEXT_RENDERERS, *BINARY_RENDERERS]:
        yield name, _render(report, name)
    forget_rows(report)  # the picture, drawn next, needs none of them


@dataclass(frozen=True)
class _Job:
    """What one process does: render ``names`` and write them into ``out_dir``, or compare
    them with the files there (``compare``)."""

    names: tuple[str, ...]
    out_dir: Path
    compare: bool


def _run_job(report: Report, job: _Job) -> list[str]:
    """The written paths, or the drift problems, of one job."""
    found: list[str] = []
    for name, data in iter_files(report, job.names):
        path = job.out_dir / name
        if job.compare:
            problem = _differs(path, name, data)
            if problem:
                found.append(problem)
        else:
            path.write_bytes(data)
            found.append(str(path))
    return found


def _differs(path: Path, name: str, data: bytes) -> str:
    if not path.exists():
        return f"{path}: missing"
    held = path.read_bytes()
    if held == data or (name in SAME_CONTENT and SAME_CONTENT[name](held, data)):
        return ""
    return f"{path}: differs from a fresh rendering of the results"


def _jobs(out_dir: Path, *, compare: bool, split: bool) -> list[_Job]:
    """The files' work, in two jobs if ``split`` (the first runs here, the second in a forked
    process): the first always holds the files pyarrow writes (its threads must not be started
    before a fork), the second the text files."""
    texts, binaries = tuple(TEXT_RENDERERS), tuple(BINARY_RENDERERS)
    if not split:
        return [_Job((*texts, *binaries), out_dir, compare)]
    return [_Job(binaries, out_dir, compare), _Job(texts, out_dir, compare)]


def _run_jobs(report: Report, jobs: list[_Job],
              meanwhile: Callable[[], object] | None = None) -> list[str]:
    """Run ``jobs``: the first here, each other one in a forked process
    (:mod:`report.background`); their lines in job order.  ``meanwhile`` is called here once
    the others have started, before the first job."""
    pending = [start(functools.partial(_run_job, report, job)) for job in jobs[1:]]
    if meanwhile is not None:
        meanwhile()
    found = _run_job(report, jobs[0])
    for waiting in pending:
        found.extend(waiting.result())
    return found


Painter = Standby[tuple["HeatmapData", Path], str]


def painter() -> Painter:
    """A process that imports matplotlib at once and draws the picture when it is given its
    data (:func:`write_outputs`): started before the report is read, the import (about 0.3 s)
    overlaps with reading and composing, and the drawing with writing the files."""
    from report.heatmap import import_matplotlib, write_picture

    return standby(write_picture, import_matplotlib)


def write_outputs(report: Report, out_dir: Path, *, heatmap: bool = True,
                  drawer: Painter | None = None) -> list[Path]:
    """Write every output into ``out_dir`` (and remove :data:`RETIRED_FILES`); returns the
    paths written.  The picture is drawn by ``drawer`` (:func:`painter`), else by one started
    here, while the files are written; where there is a second core, the text files are
    written by a forked process meanwhile."""
    from report.heatmap import heatmap_data

    out_dir.mkdir(parents=True, exist_ok=True)
    if heatmap:
        drawer = drawer if drawer is not None else painter()

    def give_picture() -> None:  # while the text files are written
        if drawer is not None and heatmap:
            drawer.give((heatmap_data(report), out_dir / HEATMAP_FILE))

    jobs = _jobs(out_dir, compare=False, split=can_fork())
    written = [Path(line) for line in _run_jobs(report, jobs, give_picture)]
    if drawer is not None and heatmap:
        written.append(Path(drawer.result()))
    for name in RETIRED_FILES:
        (out_dir / name).unlink(missing_ok=True)
    return written


def drift(report: Report, out_dir: Path) -> list[str]:
    """What differs between the committed outputs in ``out_dir`` and a fresh rendering."""
    problems = _run_jobs(report, _jobs(out_dir, compare=True, split=can_fork()))
    picture = out_dir / HEATMAP_FILE
    if not picture.exists() or not picture.read_bytes().startswith(PNG_SIGNATURE):
        problems.append(f"{picture}: missing or not a PNG")
    for name in RETIRED_FILES:
        if (out_dir / name).exists():
            problems.append(f"{out_dir / name}: no longer published (remove it)")
    return problems
