"""Key scheme migration: exact (the old key must reproduce), never a relabelling."""

from __future__ import annotations

from dataclasses import replace

from matrix.model.cases import load_cases
from matrix.model.outcomes import Outcome
from matrix.model.records import Behaviour, Record, content_key
from matrix.store.migrate import LEGACY_ENGINE_VERSION, legacy_case_hash, migrate_records

from .conftest import FIXTURES

PROVENANCE = {"runner_hash": "abc", "python_version": "3.11.7", "cc": "gcc 12.2.0",
              "cflags": ["-O0"], "machine": "Linux-x86_64"}


def old_record(case_id: str, case_hash: str, procedure: str | None) -> Record:
    key = content_key(case_hash=case_hash, runner_hash="abc", python_version="3.11.7",
                      cython="3.2.4", numpy_build=None, numpy_run=None, cc="gcc 12.2.0",
                      cflags=("-O0",), machine="Linux-x86_64", procedure=procedure)
    return Record(key=key, case_id=case_id, case_hash=case_hash, cell_id="py3.11-cy3.2.4",
                  cell_kind="core", python="3.11", cython="3.2.4", numpy_build=None,
                  numpy_run=None, outcome=Outcome.OK, first_error=None, behaviour=Behaviour(),
                  provenance=dict(PROVENANCE))


def test_a_record_of_the_current_code_is_migrated_with_a_reproducible_key() -> None:
    cases = {c.id: c for c in load_cases(FIXTURES / "cases")}
    case = next(iter(cases.values()))
    record = old_record(case.id, legacy_case_hash(case), "generate-once/compile-per-python/1")
    result = migrate_records([record], cases)
    assert result.migrated == 1 and not result.kept
    (new,) = result.records
    assert new.case_hash == case.content_hash != record.case_hash
    assert new.provenance["engine_version"] == LEGACY_ENGINE_VERSION
    assert new.provenance["migrated_from"] == record.key
    assert new.key == content_key(
        case_hash=case.content_hash, runner_hash="abc", python_version="3.11.7",
        cython="3.2.4", numpy_build=None, numpy_run=None, cc="gcc 12.2.0", cflags=("-O0",),
        machine="Linux-x86_64", procedure="generate-once/compile-per-python/1",
        engine_version="1", run_timeout_s=60.0)
    assert (new.outcome, new.first_error, new.behaviour) == (
        record.outcome, record.first_error, record.behaviour)
    again = migrate_records(result.records, cases)
    assert again.current == 1 and again.records == result.records


def test_records_that_do_not_verify_are_kept_byte_for_byte() -> None:
    cases = {c.id: c for c in load_cases(FIXTURES / "cases")}
    case = next(iter(cases.values()))
    stale = old_record(case.id, "0" * 16, None)
    forged = replace(old_record(case.id, legacy_case_hash(case), None), key="f" * 24)
    unknown = old_record("no-such-case", "1" * 16, None)
    result = migrate_records([stale, forged, unknown], cases)
    assert result.migrated == 0
    assert result.records == [stale, forged, unknown]
    assert result.kept == {"measured on other code": 1, "old key does not reproduce": 1,
                           "unknown case": 1}
