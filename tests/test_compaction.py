"""Compaction: the store keeps the current state, superseded records (and the re-measurements
nothing refers to any more) go to archives, and every one of them comes back exactly, from
the archive or from a git ref."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.model.checks import Purpose, Remeasurement, signature
from matrix.model.errors import MatrixError
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.store.checklog import CheckLog
from matrix.store.compaction import (
    compact,
    read_log_archive,
    rechecks_archive,
    restore,
    restore_log,
    split_superseded,
)
from matrix.store.results import ResultStore

from .test_store import make_record
from .test_storeformat import make_repo, publish

HASHES = {"case-a": "abc", "case-b": "abc"}


def at(record: Record, timestamp: str, **changes: object) -> Record:
    return dataclasses.replace(record, timestamp=timestamp, **changes)  # type: ignore[arg-type]


def on(record: Record, cc: str) -> Record:
    return dataclasses.replace(record, provenance={**record.provenance, "cc": cc})


def engine(record: Record, version: str) -> Record:
    return dataclasses.replace(record, provenance={**record.provenance,
                                                   "engine_version": version})


def history() -> list[Record]:
    """case-a in one cell: measured by three engines with gcc 12 (three keys), once by gcc 14;
    once on older code; case-b once; a case no longer defined once."""
    return [
        engine(at(make_record("a1"), "2026-01-01T00:00:00Z"), "3"),
        engine(at(make_record("a2"), "2026-02-01T00:00:00Z"), "4"),
        engine(at(make_record("a3"), "2026-03-01T00:00:00Z"), "5"),  # gcc 12's newest: shown
        on(at(make_record("a4"), "2026-01-15T00:00:00Z"), "gcc 14.2.0"),  # another toolchain
        at(make_record("a5"), "2026-04-01T00:00:00Z", case_hash="old"),  # measured older code
        at(make_record("b1", case_id="case-b"), "2026-01-01T00:00:00Z"),
        at(make_record("g1", case_id="gone-case"), "2026-01-01T00:00:00Z"),
    ]


def test_the_newest_per_cell_and_toolchain_stays() -> None:
    kept, moved = split_superseded(history(), HASHES, set())
    assert sorted(r.key for r in kept) == ["a3", "a4", "b1", "g1"]
    assert sorted(r.key for r in moved) == ["a1", "a2", "a5"]
    kept, moved = split_superseded(history(), HASHES, {"a1"})
    assert "a1" in {r.key for r in kept}, "a record the log refers to stays"


def remeasured(record: Record, run: str, purpose: Purpose = Purpose.RECHECK) -> Remeasurement:
    again = dataclasses.replace(record, key=record.key, outcome=Outcome.CRASH,
                                first_error="SIGSEGV")
    return Remeasurement(purpose, run, 1, record.key, signature(record), again)


def test_compact_then_restore_from_the_archive_gives_every_record_back(tmp_path: Path) -> None:
    records = history()
    store = ResultStore(tmp_path / "results")
    store.append(records)
    log = CheckLog(tmp_path / "results" / "rechecks.jsonl")
    entries = [remeasured(records[0], "recheck-1"), remeasured(records[2], "recheck-2"),
               remeasured(records[5], "aa-1", Purpose.AA)]
    log.append(entries)
    archive = tmp_path / "out" / "superseded.jsonl.gz"
    done = compact(ResultStore(tmp_path / "results"), HASHES, log, archive)
    assert (done.kept, done.moved, done.unknown_cases, done.log_moved) == (4, 3, 1, 1)
    assert sorted(r.key for r in ResultStore(tmp_path / "results").records()) == [
        "a3", "a4", "b1", "g1"]
    # a1's re-measurement measured a superseded record: it went, beside the archive
    assert [e.checked_key for e in log.entries()] == ["a3", "b1"]
    assert [e.checked_key for e in read_log_archive(rechecks_archive(archive))] == ["a1"]
    assert gzip.decompress(archive.read_bytes()).decode().count("\n") == 3

    assert main(["restore", str(archive), str(rechecks_archive(archive)),
                 "--results", str(tmp_path / "results")]) == 0
    back = ResultStore(tmp_path / "results").records()
    assert sorted(r.to_line() for r in back) == sorted(r.to_line() for r in records)
    assert sorted(e.to_line() for e in log.entries()) == sorted(e.to_line() for e in entries)
    assert restore_log(log, read_log_archive(rechecks_archive(archive))) == 0, "no duplicate"


def test_compact_then_restore_from_a_git_ref(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    records = history()
    ResultStore(repo / "results").append(records)
    publish(repo, "results-2026-04-01", "before compaction")
    compact(ResultStore(repo / "results"), HASHES, CheckLog(repo / "results" / "rechecks.jsonl"),
            tmp_path / "superseded.jsonl.gz")
    assert len(ResultStore(repo / "results").records()) == 4
    store = ResultStore(repo / "results")
    from matrix.model.storeformat import load_results

    assert restore(store, load_results("results-2026-04-01", repo / "results")) == 3
    assert sorted(r.to_line() for r in ResultStore(repo / "results").records()) == sorted(
        r.to_line() for r in records)


def test_an_archive_is_never_overwritten(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "results")
    store.append(history())
    archive = tmp_path / "superseded.jsonl.gz"
    archive.write_bytes(b"earlier")
    with pytest.raises(MatrixError, match="an archive is already there"):
        compact(store, HASHES, CheckLog(tmp_path / "results" / "rechecks.jsonl"), archive)
    assert archive.read_bytes() == b"earlier"
    assert len(ResultStore(tmp_path / "results").records()) == 7, "nothing moved"


def test_the_compact_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .conftest import FIXTURES

    results = tmp_path / "results"
    fixture = ResultStore(FIXTURES / "report" / "records.jsonl").records()
    old = [dataclasses.replace(r, key=r.key[::-1], timestamp="2000-01-01T00:00:00Z")
           for r in fixture]
    ResultStore(results).append(fixture + old)
    archive = tmp_path / "a.jsonl.gz"
    cases = FIXTURES / "report" / "cases"
    assert main(["compact", "--results", str(results), "--cases", str(cases),
                 "--archive", str(archive)]) == 0
    from matrix.model.cases import load_cases

    hashes = {case.id: case.content_hash for case in load_cases(cases)}
    kept, moved = split_superseded(fixture + old, hashes, set())
    assert f"{len(moved)} superseded records moved to {archive}" in capsys.readouterr().err
    assert {r.key for r in old if r.case_id in hashes} <= {r.key for r in moved}, (
        "every older record of a defined case went")
    assert sorted(r.key for r in ResultStore(results).records()) == sorted(r.key for r in kept)
    assert main(["compact", "--results", str(tmp_path / "none")]) == 2
    assert "no results store to compact" in capsys.readouterr().err


def test_publish_refuses_an_unknown_baseline_tag_before_changing_anything(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path / "repo")
    ResultStore(repo / "results").append(history())
    before = sorted(p.read_bytes() for p in (repo / "results").rglob("*.jsonl"))
    delta = tmp_path / "delta"
    ResultStore(delta).append([make_record("n1", case_id="case-b")])
    assert main(["publish", str(delta), "--results", str(repo / "results"), "--cases",
                 str(tmp_path), "--baseline-tag", "results-1999-01-01"]) == 2
    assert "--baseline-tag results-1999-01-01: no such tag" in capsys.readouterr().err
    assert sorted(p.read_bytes() for p in (repo / "results").rglob("*.jsonl")) == before
