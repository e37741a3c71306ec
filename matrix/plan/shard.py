"""Split a grid across machines (``--shard i/n``) and merge their record sets back."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matrix.model.engines import KNOWN_ENGINES, engine_rank, future_timestamp
from matrix.model.errors import MatrixError, SelectionError
from matrix.model.records import Record, measured_content
from matrix.model.storeformat import ARCHIVE_SUFFIX, read_archive
from matrix.plan.grid import PlannedCell
from matrix.store.results import ResultStore


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index_text, count_text = text.split("/")
            shard = cls(int(index_text), int(count_text))
        except ValueError as exc:
            raise SelectionError(f"--shard {text}: expected i/n, e.g. 2/5") from exc
        if not 1 <= shard.index <= shard.count:
            raise SelectionError(f"--shard {text}: i must be between 1 and n")
        return shard

    def owns(self, cell_id: str) -> bool:
        """Stable assignment: depends only on the cell id, not on the rest of the plan."""
        digest = int(hashlib.sha256(cell_id.encode()).hexdigest()[:8], 16)
        return digest % self.count == self.index - 1

    def select(self, cells: Sequence[PlannedCell]) -> list[PlannedCell]:
        return [planned for planned in cells if self.owns(planned.cell.id)]


class MergeConflictError(MatrixError):
    """Two inputs measured the same thing (same content key) and disagree."""


def merge_stores(inputs: Sequence[Path], output: Path) -> int:
    """Combine stores into ``output`` (a store folder, or a ``.jsonl`` records file); corrupt
    inputs and genuine conflicts are refused.

    Inputs are store folders, archives (``.jsonl.gz``) or records files; ``output`` may be one
    of them (the committed store a CI run's shards are merged into).  A record timestamped
    ahead of this machine's clock, or measured by an engine this code does not know, is refused
    (:mod:`matrix.model.engines`).  Two records with the same
    key are two measurements of the same inputs: the newer one is kept (a shard re-measured a
    provisional record, say, that the committed store holds too).  Only the same key measured
    at the same time with a different result is a conflict.  Returns the number of records
    written.  Nothing is written when an input is refused.
    """
    merged: dict[str, tuple[Record, Path]] = {}
    for path in inputs:
        if not path.exists():
            raise MatrixError(f"{path}: no such results folder or file")
        records = (read_archive(path) if path.name.endswith(ARCHIVE_SUFFIX)
                   else ResultStore(path).records())  # raises ResultsFileError on corruption
        for record in records:
            if future_timestamp(record.timestamp):
                raise MergeConflictError(
                    f"{path}: record {record.key} ({record.case_id} in {record.cell_id}) is"
                    f" timestamped {record.timestamp or '(none)'}, ahead of this machine's"
                    " clock: the machine that measured it has a wrong clock (a record that"
                    " claims to be newer than it is must not replace others)")
            if engine_rank(record.provenance.get("engine_version")) is None:
                raise MergeConflictError(
                    f"{path}: record {record.key} ({record.case_id} in {record.cell_id}) was"
                    f" measured by engine version {record.provenance.get('engine_version')},"
                    f" which this code does not know (it knows {', '.join(KNOWN_ENGINES)}):"
                    " merge it with the code that measured it")
            seen = merged.get(record.key)
            if seen is None:
                merged[record.key] = (record, path)
                continue
            earlier, earlier_path = seen
            if (record.timestamp == earlier.timestamp
                    and measured_content(earlier) != measured_content(record)):
                raise MergeConflictError(
                    f"{path}: record {record.key} ({record.case_id} in {record.cell_id}) says"
                    f" {record.outcome.value} ({record.first_error}), but {earlier_path} says"
                    f" {earlier.outcome.value} ({earlier.first_error}), both measured at"
                    f" {record.timestamp}"
                )
            if (record.timestamp, record.to_line()) > (earlier.timestamp, earlier.to_line()):
                merged[record.key] = (record, path)
    output.parent.mkdir(parents=True, exist_ok=True)
    store = ResultStore(output)
    named = store.baseline or next(
        (found for found in (ResultStore(p).baseline for p in inputs if p.is_dir()) if found), {})
    store.replace_all([record for record, _ in merged.values()])
    if named and not store.single_file and not store.baseline:
        # the merged state is compared with the publication its inputs were compared with
        store.set_baseline(named["tag"], named["commit"])
    return len(merged)
