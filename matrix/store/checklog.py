"""The append-only log of re-measurements (``results/rechecks.jsonl``), with the store's locking
and file:line errors; what the log says is :mod:`matrix.model.checks`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matrix.model.checks import Remeasurement, log_beside
from matrix.model.jsonlines import read_lines
from matrix.store.results import append_lines, locked, write_atomic


class CheckLog:
    """The append-only log of re-measurements (``results/rechecks.jsonl``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def beside(cls, results: Path) -> CheckLog:
        """The log that belongs to a results store or file (:func:`log_beside`)."""
        return cls(log_beside(results))

    def entries(self) -> list[Remeasurement]:
        """Every logged re-measurement, oldest first (raises ``ResultsFileError`` naming
        file:line for a bad line)."""
        if not self.path.exists():
            return []
        # No lock: appends are whole lines, a half-written last one is left out (with a
        # warning), and a read-only store can be read.
        return read_lines(self.path, Remeasurement.from_json, warn=True)

    def append(self, entries: Sequence[Remeasurement]) -> None:
        append_lines(self.path, [entry.to_line() for entry in entries])

    def replace(self, entries: Sequence[Remeasurement]) -> None:
        """Make ``entries`` the whole log, in their order (atomic replace; compaction)."""
        with locked(self.path):
            write_atomic(self.path, "".join(entry.to_line() + "\n" for entry in entries))


