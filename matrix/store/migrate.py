"""Carry stored records over to a new key scheme, exactly: nothing is re-labelled unverified.

Key scheme 2 changed two key inputs without changing any measurement:

* the case hash covers only what changes a measurement (code, axes, build mode), no longer
  the whole case file (title, notes and references included);
* keys name the engine version and the run timeout.

A stored record is migrated only if its old key is reproduced, from its own fields and the
case as it is now, under the old scheme: then it measured exactly the current code, and its
new key is computed with ``engine_version="1"`` (every record measured before versions
existed) and the 60 s run timeout that engine always used.  Anything else (measured on other
code, an unknown case, a key that does not reproduce) is kept byte for byte and counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from matrix.model.cases import Case
from matrix.model.measurement import Measurement
from matrix.model.records import BUILD_PROCEDURE, NUMPY_PXD_PROCEDURE, Record
from matrix.store.results import ResultStore

LEGACY_ENGINE_VERSION = "1"
LEGACY_RUN_TIMEOUT_S = 60.0
"""The run timeout every scheme-1 record was measured with (a historical fact, not today's
default, :attr:`matrix.model.timeouts.Timeouts.run`)."""
_LEGACY_PROCEDURES = (None, BUILD_PROCEDURE, f"{BUILD_PROCEDURE};{NUMPY_PXD_PROCEDURE}")


def legacy_case_hash(case: Case) -> str:
    """The case hash of key scheme 1: the whole case file and its code."""
    material = case.definition_path.read_bytes() + b"\0" + case.pyx_path.read_bytes()
    return hashlib.sha256(material).hexdigest()[:16]


def _key(record: Record, case_hash: str, procedure: str | None,
         engine_version: str | None, run_timeout_s: float | None) -> str:
    """The record's key under a scheme: the measurement it states
    (:meth:`Measurement.of_record`) with that scheme's inputs (scheme 1 had no procedure,
    engine version or run timeout; its records are CPython's, keyed by ``python_version``)."""
    stated = Measurement.of_record(record, str(record.provenance.get("python_version")))
    stated = replace(stated, procedure=procedure, engine_version=engine_version,
                     run_timeout_s=run_timeout_s)
    return stated.key_for(case_hash)


@dataclass
class Migration:
    records: list[Record] = field(default_factory=list)
    migrated: int = 0
    current: int = 0
    """Already under the new scheme."""
    kept: dict[str, int] = field(default_factory=dict)
    """Left as they were, by reason."""

    def keep(self, record: Record, reason: str) -> None:
        self.records.append(record)
        self.kept[reason] = self.kept.get(reason, 0) + 1


def migrate_records(records: Iterable[Record], cases: Mapping[str, Case]) -> Migration:
    result = Migration()
    legacy = {case_id: legacy_case_hash(case) for case_id, case in cases.items()}
    for record in records:
        if "engine_version" in record.provenance:
            result.current += 1
            result.records.append(record)
            continue
        case = cases.get(record.case_id)
        if case is None:
            result.keep(record, "unknown case")
            continue
        if record.case_hash != legacy[record.case_id]:
            result.keep(record, "measured on other code")
            continue
        procedure = next((p for p in _LEGACY_PROCEDURES
                          if _key(record, record.case_hash, p, None, None) == record.key), "?")
        if procedure == "?":
            result.keep(record, "old key does not reproduce")
            continue
        provenance = dict(record.provenance, engine_version=LEGACY_ENGINE_VERSION,
                          run_timeout_s=LEGACY_RUN_TIMEOUT_S, migrated_from=record.key)
        result.records.append(replace(
            record, case_hash=case.content_hash, provenance=provenance,
            key=_key(record, case.content_hash, procedure, LEGACY_ENGINE_VERSION,
                     LEGACY_RUN_TIMEOUT_S)))
        result.migrated += 1
    return result


def migrate_file(path: Path, cases: Mapping[str, Case]) -> Migration:
    """Rewrite ``path`` with its records migrated (atomic replace; a stable order)."""
    migration = migrate_records(ResultStore(path).records(), cases)
    tmp = path.with_suffix(".migrate.tmp")
    tmp.write_text("".join(r.to_line() + "\n" for r in sorted(
        migration.records, key=lambda r: (r.case_id, r.cell_id, r.key))))
    tmp.replace(path)
    return migration
