"""The published files at their stable paths, written from a :class:`Report`, and the drift check.

``compat.md``, ``changes.md`` (the diff against the previous run), ``detail.md`` (every
cell, per Python), ``compat.json`` and the web page (``index.html`` and its data,
``compat-data.js``) are byte-for-byte functions of the report; so are its per-record rows,
``compat.csv.gz`` for one zlib and ``compat.parquet`` (the same rows, typed) for one pyarrow
version (its footer names the writer's version): the drift check compares what they hold, so a
zlib or pyarrow upgrade is not drift. ``compat-heatmap.png`` is a function of the report for
one matplotlib version (the drift check only requires that it is a valid PNG).

The outputs are rendered in up to :data:`WORKERS` processes (:mod:`report.background`: the
report is shared with a forked one copy-on-write); where ``fork`` is not available, in this one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from report.background import can_fork, start
from report.compose import Report
from report.export import (
    CSV_FILE,
    PARQUET_FILE,
    forget_rows,
    render_csv_gz,
    render_json,
    render_parquet,
    same_csv_gz,
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
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

RETIRED_FILES = ("compat-records.json", "compat.csv")
"""Outputs of earlier versions (``compat.json`` schema 4), removed where outputs are written."""

TEXT_RENDERERS: dict[str, Callable[[Report], str]] = {
    MARKDOWN_FILE: render_markdown,
    CHANGES_FILE: render_changes,
    DETAIL_FILE: render_detail_page,
    JSON_FILE: render_json,
    PAGE_FILE: render_page,
    DATA_FILE: render_data,
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
}
"""The binary files; the drift check compares what they hold (:data:`SAME_CONTENT`)."""

SAME_CONTENT: dict[str, Callable[[bytes, bytes], bool]] = {
    CSV_FILE: same_csv_gz,
    PARQUET_FILE: same_parquet,
}
"""How the drift check compares a binary file whose bytes differ: by what it holds."""

WORKERS = 2
"""Processes that render the outputs where a second core is there (:func:`_jobs` splits the
work in two)."""


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
    them with the files there (``compare``); and draw the picture there if ``heatmap``."""

    names: tuple[str, ...]
    out_dir: Path
    compare: bool
    heatmap: bool = False


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
    if job.heatmap:
        from report.heatmap import write_heatmap  # matplotlib: only when the picture is drawn

        path = job.out_dir / HEATMAP_FILE
        write_heatmap(report, path)
        found.append(str(path))
    return found


def _differs(path: Path, name: str, data: bytes) -> str:
    if not path.exists():
        return f"{path}: missing"
    held = path.read_bytes()
    if held == data or (name in SAME_CONTENT and SAME_CONTENT[name](held, data)):
        return ""
    return f"{path}: differs from a fresh rendering of the results"


def _jobs(out_dir: Path, *, compare: bool, heatmap: bool, workers: int) -> list[_Job]:
    """The work, split for ``workers`` processes: the first job runs here.  It always holds
    the files pyarrow writes (pyarrow's threads must not be started before a fork); the
    picture (about as long as every file together) or else the text files go to a worker."""
    texts, binaries = tuple(TEXT_RENDERERS), tuple(BINARY_RENDERERS)
    if workers <= 1:
        return [_Job((*texts, *binaries), out_dir, compare, heatmap)]
    if heatmap:
        return [_Job((*texts, *binaries), out_dir, compare), _Job((), out_dir, compare, True)]
    return [_Job(binaries, out_dir, compare), _Job(texts, out_dir, compare)]


def _run_jobs(report: Report, jobs: list[_Job]) -> list[str]:
    """Run ``jobs``: the first here, each other one in a forked process
    (:mod:`report.background`); their lines in job order."""
    pending = [start(functools.partial(_run_job, report, job)) for job in jobs[1:]]
    found = _run_job(report, jobs[0])
    for waiting in pending:
        found.extend(waiting.result())
    return found


def _workers() -> int:
    return WORKERS if can_fork() else 1


def write_outputs(report: Report, out_dir: Path, *, heatmap: bool = True) -> list[Path]:
    """Write every output into ``out_dir`` (and remove :data:`RETIRED_FILES`); returns the
    paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = _jobs(out_dir, compare=False, heatmap=heatmap, workers=_workers())
    written = [Path(line) for line in _run_jobs(report, jobs)]
    for name in RETIRED_FILES:
        (out_dir / name).unlink(missing_ok=True)
    return written


def drift(report: Report, out_dir: Path) -> list[str]:
    """What differs between the committed outputs in ``out_dir`` and a fresh rendering."""
    jobs = _jobs(out_dir, compare=True, heatmap=False, workers=_workers())
    problems = _run_jobs(report, jobs)
    picture = out_dir / HEATMAP_FILE
    if not picture.exists() or not picture.read_bytes().startswith(PNG_SIGNATURE):
        problems.append(f"{picture}: missing or not a PNG")
    for name in RETIRED_FILES:
        if (out_dir / name).exists():
            problems.append(f"{out_dir / name}: no longer published (remove it)")
    return problems
