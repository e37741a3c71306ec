"""The results store: an append-only JSON-lines file of records, one line per record.

* Appends are whole lines written with one ``write`` and flushed, so a run killed with SIGKILL
  leaves at most one half-written last line; loading reports it (and appending repairs it)
  without losing any finished record.
* Several processes may share one store (parallel nox sessions, bisect beside a run): reads,
  appends and compaction hold a lock file, and compaction re-reads the file, so no process
  drops what another one appended.
* Any other unreadable line is an error naming the file and line: nothing is silently dropped.
* Later records for the same content key replace earlier ones (a re-run replaces a result).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from matrix.model.jsonlines import read_lines
from matrix.model.records import Record

RECORDS_FILE = "records.jsonl"


class ResultStore:
    """Records keyed by content key, backed by one JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: dict[str, Record] = {}
        if path.exists():
            with self._locked():
                self._records = self._read(warn=True)

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        return locked(self.path)

    @classmethod
    def in_directory(cls, directory: Path) -> ResultStore:
        return cls(directory / RECORDS_FILE)

    def _read(self, *, warn: bool) -> dict[str, Record]:
        """Every record on disk (latest per key); call with the lock held."""
        return {record.key: record for record in read_lines(self.path, _parse_record, warn=warn)}

    def __contains__(self, key: str) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    def get(self, key: str) -> Record | None:
        return self._records.get(key)

    def records(self) -> list[Record]:
        """Current records (latest per key), in a stable order."""
        return sorted(self._records.values(), key=lambda r: (r.case_id, r.cell_id, r.key))

    def append(self, records: Iterable[Record]) -> None:
        """Durably add records: one line each, flushed and fsynced."""
        batch = list(records)
        append_lines(self.path, [record.to_line() for record in batch])
        for record in batch:
            self._records[record.key] = record

    def compact(self) -> None:
        """Rewrite the file with one line per key in a stable order, including what other
        processes appended meanwhile (atomic replace)."""
        with self._locked():
            self._records.update(self._read(warn=False))
            ordered = sorted(self._records.values(), key=lambda r: (r.case_id, r.cell_id, r.key))
            tmp = self.path.with_suffix(".jsonl.tmp")
            tmp.write_text("".join(r.to_line() + "\n" for r in ordered))
            os.replace(tmp, self.path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the lock file beside ``path`` (``<name>.lock``): one reader-or-writer at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def append_lines(path: Path, lines: Sequence[str]) -> None:
    """Durably append whole lines (one ``write``, fsynced) under the lock, first cutting a
    line an interrupted writer left unfinished."""
    if not lines:
        return
    payload = "".join(line + "\n" for line in lines).encode()
    with locked(path):
        _drop_half_written_line(path)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)


def _drop_half_written_line(path: Path) -> None:
    """Cut a line an interrupted writer left unfinished (the lock is held: no writer is)."""
    if not path.exists():
        return
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        handle.seek(0)
        data = handle.read()
        handle.truncate(data.rfind(b"\n") + 1)


def _parse_record(data: dict[str, Any]) -> Record:
    return Record.from_json(data)


