"""Compaction: the store keeps the current state; superseded records go to an archive.

A record stays in the store when a table needs it or something refers to it:

* the newest record of each (case, cell, toolchain) measured on the case's current code (the
  tables show the newest of a cell; another toolchain's newest is listed where it disagrees);
* every record the re-measurement log checked (``checked_key``: a recheck, an A/A draw, and
  so a flaky mark, refers to it);
* records of a case the cases folder does not define (not this store's to judge: kept, and
  counted).

Everything else (a record replaced by a newer one of the same cell and toolchain, or measured
on an older version of its case's code) is *superseded*: it is written, whole, to an archive
(gzipped JSON lines, :func:`write_archive`) before the store is rewritten without it, so
nothing is lost.  The scheduled job attaches the archive to its publication's release, and
each publication is a git tag, so every earlier record is in git's history too; ``restore``
puts archived records back (:func:`restore`).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from matrix.model.errors import MatrixError
from matrix.model.records import Record, toolchain_of
from matrix.store.results import ResultStore


@dataclass(frozen=True)
class Compaction:
    kept: int
    moved: int
    unknown_cases: int
    """Records kept because their case is not defined here."""
    archive: Path | None
    """Where the superseded records went (``None``: nothing was superseded)."""

    def text(self) -> str:
        unknown = (f" ({self.unknown_cases} of a case not defined here, kept)"
                   if self.unknown_cases else "")
        moved = (f"{self.moved} superseded records moved to {self.archive}" if self.archive
                 else "no superseded record")
        return f"{self.kept} records kept (the current state{unknown}); {moved}"


def _newest_first(record: Record) -> tuple[str, str]:
    return (record.timestamp, record.key)


def split_superseded(records: Iterable[Record], case_hashes: Mapping[str, str],
                     referenced: set[str]) -> tuple[list[Record], list[Record]]:
    """``(kept, superseded)`` by the rules of this module; ``case_hashes`` maps each defined
    case to its current code's hash, ``referenced`` holds the keys the log refers to."""
    newest: dict[tuple[str, str, str], Record] = {}
    kept: dict[str, Record] = {}
    every = list(records)
    for record in every:
        current = case_hashes.get(record.case_id)
        if current is None or record.key in referenced:
            kept[record.key] = record
        elif record.case_hash == current:
            slot = (record.case_id, record.cell_id, toolchain_of(record))
            held = newest.get(slot)
            if held is None or _newest_first(record) > _newest_first(held):
                newest[slot] = record
    kept.update((r.key, r) for r in newest.values())
    return ([r for r in every if r.key in kept], [r for r in every if r.key not in kept])


def write_archive(path: Path, records: Sequence[Record]) -> None:
    """Write ``records`` whole, one JSON line each (stable order), gzipped deterministically;
    an existing archive is never overwritten (``MatrixError``)."""
    ordered = sorted(records, key=lambda r: (r.case_id, r.cell_id, r.key))
    payload = gzip.compress("".join(r.to_line() + "\n" for r in ordered).encode(), mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise MatrixError(f"{path}: an archive is already there (name another with"
                          " --archive)") from None
    try:
        os.write(fd, payload)
        os.fsync(fd)
    finally:
        os.close(fd)


def compact(store: ResultStore, case_hashes: Mapping[str, str], referenced: set[str],
            archive: Path) -> Compaction:
    """Move the store's superseded records into ``archive`` (written and synced before the
    store is rewritten), leaving the current state, tidied."""
    found: dict[str, object] = {}

    def choose(records: list[Record]) -> list[Record]:
        kept, moved = split_superseded(records, case_hashes, referenced)
        if moved:
            write_archive(archive, moved)
        found.update(kept=len(kept), moved=len(moved),
                     unknown=sum(1 for r in kept if r.case_id not in case_hashes))
        return kept

    store.rewrite_with(choose)
    moved = int(str(found["moved"]))
    return Compaction(int(str(found["kept"])), moved, int(str(found["unknown"])),
                      archive if moved else None)


def restore(store: ResultStore, records: Iterable[Record]) -> int:
    """Put records back into the store (those whose key it lacks), exactly as they were;
    returns how many."""
    missing = [r for r in records if r.key not in store]
    store.append(missing)
    store.tidy()
    return len(missing)
