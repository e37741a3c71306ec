"""Compaction: the store keeps the current state; superseded records go to an archive.

A record stays in the store when a table needs it or something refers to it:

* the newest record of each (case, cell, toolchain) measured on the case's current code (the
  tables show the newest of a cell; another toolchain's newest is listed where it disagrees);
* every record the kept re-measurements checked (``checked_key``: a recheck or an A/A draw
  refers to it);
* records of a case the cases folder does not define (not this store's to judge: kept, and
  counted).

Everything else (a record replaced by a newer one of the same cell and toolchain, or measured
on an older version of its case's code) is *superseded*: it is written, whole, to an archive
(gzipped JSON lines, :func:`write_archive`) before the store is rewritten without it, so
nothing is lost.

The re-measurement log keeps what the report reads from it: the re-measurements of a kept
record's measurement (same identity: they make its flaky or confirmed mark) and the latest A/A
run drawn from the whole store (the headline figure).  The others go to a second archive beside
the first (``<name>.rechecks.jsonl.gz``).

The scheduled job attaches both archives to its publication's release, and each publication
is a git tag, so every earlier record is in git's history too; ``restore`` puts archived
records back (:func:`restore`, :func:`restore_log`).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from matrix.model.checks import Purpose, Remeasurement, latest_aa
from matrix.model.engines import engine_rank
from matrix.model.errors import MatrixError
from matrix.model.jsonlines import parse_lines
from matrix.model.measurement import identity_of
from matrix.model.records import Record, toolchain_of
from matrix.model.selection import current_order
from matrix.model.storeformat import ARCHIVE_SUFFIX
from matrix.store.checklog import CheckLog
from matrix.store.results import ResultStore, write_synced


@dataclass(frozen=True)
class Compaction:
    kept: int
    moved: int
    unknown_cases: int
    """Records kept because their case is not defined here."""
    archive: Path | None
    """Where the superseded records went (``None``: nothing was superseded)."""
    log_moved: int = 0
    """Re-measurements moved to :func:`rechecks_archive`."""

    def text(self) -> str:
        unknown = (f" ({self.unknown_cases} of a case not defined here, kept)"
                   if self.unknown_cases else "")
        moved = (f"{self.moved} superseded records moved to {self.archive}" if self.archive
                 else "no superseded record")
        log = (f"; {self.log_moved} re-measurements of them moved beside it"
               if self.log_moved else "")
        return f"{self.kept} records kept (the current state{unknown}); {moved}{log}"


def split_superseded(records: Iterable[Record], case_hashes: Mapping[str, str],
                     referenced: set[str]) -> tuple[list[Record], list[Record]]:
    """``(kept, superseded)`` by the rules of this module; ``case_hashes`` maps each defined
    case to its current code's hash, ``referenced`` holds the keys the log refers to."""
    newest: dict[tuple[str, str, str], tuple[tuple[int, str, str], Record]] = {}
    kept: dict[str, Record] = {}
    every = list(records)
    ranks: dict[object, int | None] = {}  # engine versions are few: each ranked once
    for record in every:
        current = case_hashes.get(record.case_id)
        version = record.provenance.get("engine_version")
        if version not in ranks:
            ranks[version] = engine_rank(version)
        rank = ranks[version]
        if current is None or record.key in referenced or rank is None:
            kept[record.key] = record  # what this code cannot judge is never archived
        if current is not None and record.case_hash == current and rank is not None:
            slot = (record.case_id, record.cell_id, toolchain_of(record))
            order = current_order(record)
            held = newest.get(slot)
            if held is None or order > held[0]:
                newest[slot] = (order, record)
    kept.update((r.key, r) for _, r in newest.values())
    return ([r for r in every if r.key in kept], [r for r in every if r.key not in kept])


def write_archive(path: Path, records: Sequence[Record]) -> None:
    """Write ``records`` whole, one JSON line each (stable order), gzipped deterministically;
    an existing archive is never overwritten (``MatrixError``)."""
    ordered = sorted(records, key=lambda r: (r.case_id, r.cell_id, r.key))
    write_lines_archive(path, [r.to_line() for r in ordered])


def write_lines_archive(path: Path, lines: Sequence[str]) -> None:
    """Write JSON lines gzipped (deterministically), synced; never over an existing file."""
    payload = gzip.compress("".join(line + "\n" for line in lines).encode(), mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_synced(path, payload, os.O_CREAT | os.O_EXCL)
    except FileExistsError:
        raise MatrixError(f"{path}: an archive is already there (name another with"
                          " --archive)") from None


def rechecks_archive(archive: Path) -> Path:
    """Where the re-measurements :func:`compact` moves out go: beside ``archive``."""
    stem = archive.name[:-len(ARCHIVE_SUFFIX)] if archive.name.endswith(ARCHIVE_SUFFIX) \
        else archive.name
    return archive.with_name(f"{stem}.rechecks{ARCHIVE_SUFFIX}")


def split_log(log: Sequence[Remeasurement], kept: Iterable[Record]
              ) -> tuple[list[Remeasurement], list[Remeasurement]]:
    """``(kept, moved)`` re-measurements: kept are those of a kept record's measurement and
    those of the latest whole-store A/A run."""
    identities = {identity_of(record) for record in kept}
    latest = latest_aa(log)
    keep = [entry for entry in log if identity_of(entry.record) in identities
            or (latest is not None and entry.purpose is Purpose.AA and entry.run == latest.run)]
    chosen = {id(entry) for entry in keep}
    return keep, [entry for entry in log if id(entry) not in chosen]


def compact(store: ResultStore, case_hashes: Mapping[str, str], log: CheckLog,
            archive: Path) -> Compaction:
    """Move the store's superseded records into ``archive`` and the re-measurements nothing
    refers to any more into :func:`rechecks_archive` (each written and synced before its
    file is rewritten), leaving the current state, tidied."""
    found: dict[str, int] = {}

    def choose(records: list[Record]) -> list[Record]:
        current, _ = split_superseded(records, case_hashes, set())
        entries = log.entries()
        kept_log, moved_log = split_log(entries, current)
        referenced = {entry.checked_key for entry in kept_log}
        kept, moved = split_superseded(records, case_hashes, referenced)
        if moved:
            write_archive(archive, moved)
        if moved_log:
            write_lines_archive(rechecks_archive(archive), [e.to_line() for e in moved_log])
            log.replace(kept_log)
        found.update(kept=len(kept), moved=len(moved), log_moved=len(moved_log),
                     unknown=sum(1 for r in kept if r.case_id not in case_hashes))
        return kept

    store.rewrite_with(choose)
    return Compaction(found["kept"], found["moved"], found["unknown"],
                      archive if found["moved"] else None, found["log_moved"])


def restore(store: ResultStore, records: Iterable[Record]) -> int:
    """Put records back into the store (those whose key it lacks), exactly as they were;
    returns how many."""
    missing = [r for r in records if r.key not in store]
    store.append(missing)
    store.tidy()
    return len(missing)


def read_log_archive(path: Path) -> list[Remeasurement]:
    """The re-measurements of a :func:`rechecks_archive` (or of a plain log file)."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return parse_lines(raw, path, Remeasurement.from_json, warn=True)


def restore_log(log: CheckLog, entries: Sequence[Remeasurement]) -> int:
    """Put re-measurements back into the log (those it lacks), exactly; returns how many."""
    held = {entry.to_line() for entry in log.entries()}
    missing = [entry for entry in entries if entry.to_line() not in held]
    log.append(missing)
    return len(missing)
