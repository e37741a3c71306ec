"""The results store: round trip, replacement, corrupt files, interrupted writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix.model.errors import ResultsFileError
from matrix.model.jsonlines import TruncatedRecordWarning
from matrix.model.outcomes import Outcome
from matrix.model.records import Behaviour, Record
from matrix.store.results import ResultStore


def make_record(key: str, outcome: Outcome = Outcome.OK, case_id: str = "case-a",
                cell_id: str = "py3.11-cy3.2.4") -> Record:
    return Record(
        key=key, case_id=case_id, case_hash="abc", cell_id=cell_id, cell_kind="core",
        python="3.11", cython="3.2.4", numpy_build=None, numpy_run=None, outcome=outcome,
        first_error=None if outcome is Outcome.OK else "boom",
        behaviour=Behaviour(values_ok=True, copies=False, copies_evidence=("mutation",)),
        provenance={"cc": "gcc 12.2.0"}, log="logs/x.log", duration_s=1.23456,
        timestamp="2026-11-25T00:00:00Z",
    )


def test_round_trip(tmp_path: Path) -> None:
    store = ResultStore.in_directory(tmp_path)
    records = [make_record("k1"), make_record("k2", Outcome.CRASH, case_id="case-b")]
    store.append(records)
    again = ResultStore.in_directory(tmp_path)
    assert len(again) == 2
    assert again.get("k2") == records[1]
    assert again.get("k1") == records[0]
    assert "k1" in again and "k3" not in again


def test_later_record_replaces_earlier_and_compact_keeps_one(tmp_path: Path) -> None:
    store = ResultStore.in_directory(tmp_path)
    store.append([make_record("k1", Outcome.ENV_ERROR)])
    store.append([make_record("k1", Outcome.OK)])
    assert ResultStore.in_directory(tmp_path).get("k1").outcome is Outcome.OK  # type: ignore[union-attr]
    store.tidy()
    assert len((tmp_path / "cp311" / "records.jsonl").read_text().splitlines()) == 1


def test_lines_are_deterministic(tmp_path: Path) -> None:
    line = make_record("k1").to_line()
    assert line == make_record("k1").to_line()
    assert list(json.loads(line)) == sorted(json.loads(line))


def test_corrupt_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    good = make_record("k1").to_line()
    path.write_text(good + "\n{not json\n" + make_record("k2").to_line() + "\n")
    with pytest.raises(ResultsFileError) as info:
        ResultStore(path)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{path}:2: not valid JSON")


def test_record_missing_a_field_names_it(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    data = make_record("k1").to_json()
    del data["outcome"]
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(ResultsFileError, match=r"records.jsonl:1: .*missing field 'outcome'"):
        ResultStore(path)


def test_unknown_outcome_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    data = make_record("k1").to_json()
    data["outcome"] = "exploded"
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(ResultsFileError, match="'exploded' is not a valid Outcome"):
        ResultStore(path)


def test_half_written_last_line_is_reported_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    first, second = make_record("k1").to_line(), make_record("k2").to_line()
    path.write_text(first + "\n" + second[: len(second) // 2])  # killed mid-write
    with pytest.warns(TruncatedRecordWarning, match=r"records.jsonl:2: ignoring a half-written"):
        store = ResultStore(path)
    assert len(store) == 1 and "k1" in store
    store.append([make_record("k3")])
    reread = ResultStore(path)
    assert sorted(r.key for r in reread.records()) == ["k1", "k3"]
    assert path.read_text().count("\n") == 2


def _writer(directory: str, name: str, count: int, start: float) -> None:
    """One of two processes sharing a store: appends one record at a time, compacting often."""
    import time

    while time.time() < start:  # both begin together
        pass
    store = ResultStore.in_directory(Path(directory))
    for index in range(count):
        store.append([make_record(f"{name}-{index}", case_id=f"case-{name}-{index}")])
        if index % 5 == 4:
            store.tidy()


def test_concurrent_stores_keep_each_others_records(tmp_path: Path) -> None:
    """Two real processes append to and compact one store at the same time (parallel nox
    sessions, a bisect beside a run): nobody's records are dropped.  Without the lock, a
    compaction that read the file before the other's append overwrites it (this test then
    loses records)."""
    import multiprocessing
    import time

    context = multiprocessing.get_context("spawn")
    start = time.time() + 1.5
    writers = [context.Process(target=_writer, args=(str(tmp_path), name, 150, start))
               for name in ("a", "b")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    keys = {r.key for r in ResultStore.in_directory(tmp_path).records()}
    assert keys == {f"{name}-{i}" for name in ("a", "b") for i in range(150)}


def test_a_layered_store_reads_the_held_store_and_writes_only_its_own(tmp_path: Path) -> None:
    """``run --held results``: what the committed store holds counts as measured; only what
    the run measures is written, into its own (empty) folder."""
    from matrix.store.results import LayeredStore

    published = ResultStore(tmp_path / "results")
    published.append([make_record("k1"), make_record("k2", Outcome.TIMEOUT)])
    shard = LayeredStore(tmp_path / "shard", [ResultStore(tmp_path / "results")])
    assert "k1" in shard and shard.get("k1") == make_record("k1")
    status = shard.status("k2")
    assert status is not None and status.provisional, "a timeout is measured again"
    assert len(shard.fact_identities()) == 1
    shard.append([make_record("k3")])
    shard.tidy()
    assert [r.key for r in ResultStore(tmp_path / "shard").records()] == ["k3"]
    assert sorted(r.key for r in shard.records()) == ["k1", "k2", "k3"]
    assert len(ResultStore(tmp_path / "results")) == 2, "the held store is never written"
