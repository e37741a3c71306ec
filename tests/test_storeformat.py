"""The store's format (layout 2): a record split into its row, its cell's facts and shared
values, and joined back exactly; reading a store from a folder, an archive or a git ref; bad
rows named by file and line."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from matrix.model.errors import MatrixError, ResultsFileError
from matrix.model.records import Behaviour, Record
from matrix.model.storeformat import (
    ROW_COLUMNS,
    STORE_FILE,
    FolderFiles,
    GitFiles,
    StoreFormatError,
    join_record,
    load_results,
    read_records,
    read_store,
    shard_of,
    split_record,
)
from matrix.store.results import ResultStore, layout_texts

from .conftest import FIXTURES

REPORT_FIXTURE = FIXTURES / "report"


def fixture_records() -> list[Record]:
    """The report fixture's records: every outcome, three interpreter kinds, compilers,
    classes, shipped C, toolchains."""
    return ResultStore(REPORT_FIXTURE / "records.jsonl").records()


def test_every_record_joins_back_exactly() -> None:
    records = fixture_records()
    assert len(records) > 100
    texts = layout_texts(records)
    for record in records:
        part = split_record(record)
        classes = {cid: {entry: value} for cid, (entry, value) in part.generation.items()}
        shared = {sid: {kind: value} for sid, (kind, value) in part.shared.items()}
        data = join_record(part.row, {part.cell_id: part.cell}, classes, shared)
        again = Record.from_json(data)
        assert again == record
        assert again.to_line() == record.to_line()
    assert set(texts) >= {"classes.jsonl", "shared.jsonl"}


def test_a_store_written_and_read_gives_the_same_records(tmp_path: Path) -> None:
    records = fixture_records()
    store = ResultStore(tmp_path / "results")
    store.append(records[:50])
    store.append(records[50:])  # a second append reuses the facts the first wrote
    again = ResultStore(tmp_path / "results").records()
    assert [r.to_line() for r in again] == [r.to_line() for r in records]
    cells = (tmp_path / "results").glob("*/cells.jsonl")
    ids = [json.loads(line)["id"] for path in cells for line in path.read_text().splitlines()]
    assert len(ids) == len(set(ids)), "a cell's facts are stored once"
    store.tidy()
    assert [r.to_line() for r in ResultStore(tmp_path / "results").records()] == [
        r.to_line() for r in records]


def test_shards_are_named_by_build_identifier(tmp_path: Path) -> None:
    assert [shard_of(p) for p in ("2.7", "3.11", "3.13t", "pypy3.11", "9.9x")] == [
        "cp27", "cp311", "cp313t", "pp311", "other-9.9x"]
    records = fixture_records()
    ResultStore(tmp_path).append(records)
    folders = {p.name for p in tmp_path.iterdir() if p.is_dir()}
    assert folders == {shard_of(r.python) for r in records}
    for folder in folders:  # each shard holds only its own Python's records
        rows = (tmp_path / folder / "records.jsonl").read_text().splitlines()
        assert all(len(json.loads(row)) == len(ROW_COLUMNS) for row in rows)


def test_facts_are_stored_once(tmp_path: Path) -> None:
    records = fixture_records()
    ResultStore(tmp_path).append(records)
    size = sum(p.stat().st_size for p in tmp_path.rglob("*.jsonl"))
    whole = sum(len(r.to_line()) + 1 for r in records)
    assert size < whole / 2, (size, whole)


def of_python_27() -> list[Record]:
    return [r for r in fixture_records() if r.python == "2.7"]


def test_a_row_naming_missing_facts_is_named_by_file_and_line(tmp_path: Path) -> None:
    ResultStore(tmp_path).append(of_python_27()[:3])
    rows = tmp_path / "cp27" / "records.jsonl"
    lines = rows.read_text().splitlines(keepends=True)
    values = json.loads(lines[1])
    values[ROW_COLUMNS.index("cell")] = "000000000000"
    rows.write_text(lines[0] + json.dumps(values) + "\n" + "".join(lines[2:]))
    with pytest.raises(ResultsFileError, match=r"cp27/records.jsonl:2: .*cell facts"):
        read_records(FolderFiles(tmp_path))
    rows.write_text(lines[0] + '["short"]\n' + "".join(lines[2:]))
    with pytest.raises(ResultsFileError, match=r"records.jsonl:2: .*a row has 12 columns"):
        read_records(FolderFiles(tmp_path))
    rows.write_text(lines[0] + '{"key": "old-style object"}\n' + "".join(lines[2:]))
    with pytest.raises(ResultsFileError, match=r"records.jsonl:2: not a JSON array"):
        read_records(FolderFiles(tmp_path))


def test_a_half_written_row_is_skipped_and_repaired(tmp_path: Path) -> None:
    records = of_python_27()[:3]
    store = ResultStore(tmp_path)
    store.append(records[:2])
    rows = tmp_path / "cp27" / "records.jsonl"
    with rows.open("a") as handle:
        handle.write('["half-writ')
    with pytest.warns(UserWarning, match="records.jsonl:3: ignoring a half-written"):
        assert len(ResultStore(tmp_path).records()) == 2
    with pytest.warns(UserWarning, match="half-written"):
        reopened = ResultStore(tmp_path)
    reopened.append(records[2:])  # cuts the half-written line first
    assert {r.key for r in ResultStore(tmp_path).records()} == {r.key for r in records}


def test_an_unknown_layout_is_refused(tmp_path: Path) -> None:
    (tmp_path / STORE_FILE).write_text('{"layout": 3}\n')
    with pytest.raises(StoreFormatError, match="layout 3; this code reads layout 2"):
        read_store(FolderFiles(tmp_path))


def test_facts_tidied_away_by_another_process_are_written_again(tmp_path: Path) -> None:
    """A process holding a store open appends a record whose facts another process's tidy
    removed meanwhile: the facts are written again (never a row without its facts)."""
    records = fixture_records()
    first, second = records[0], dataclasses.replace(records[0], key="f" * 24)
    ResultStore(tmp_path).append([first])
    held = ResultStore(tmp_path)  # knows first's facts
    ResultStore(tmp_path).replace_all([])  # another process empties the store
    held.append([second])
    assert [r.key for r in ResultStore(tmp_path).records()] == [second.key]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "t@example.org")
    git(path, "config", "user.name", "t")
    return path


def publish(repo: Path, tag: str, message: str = "published") -> None:
    """Commit the work tree of ``repo`` and tag it as a publication."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    git(repo, "tag", tag)


def test_a_store_is_read_from_a_git_ref(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    records = fixture_records()
    ResultStore(repo / "results").append(records[:40])
    publish(repo, "results-2026-01-01")
    ResultStore(repo / "results").append(records[40:])  # the work tree moved on
    from_ref = read_records(GitFiles(repo, "results-2026-01-01"))
    assert [r.to_line() for r in from_ref] == [r.to_line() for r in records[:40]]
    assert load_results("results-2026-01-01", repo / "results") == from_ref
    with pytest.raises(MatrixError, match="no-such-tag: no such results folder or file, nor a git"):
        load_results("no-such-tag", repo / "results")


def test_a_layout_1_file_in_a_git_ref_is_read_too(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "results").mkdir()
    lines = (REPORT_FIXTURE / "records.jsonl").read_text()
    (repo / "results" / "records.jsonl").write_text(lines)
    (repo / "results" / "baseline.jsonl").write_text("not read\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "layout 1")
    assert [r.to_line() for r in load_results("HEAD", repo / "results")] == [
        r.to_line() for r in fixture_records()]


def test_behaviour_defaults_are_not_stored_but_read_back() -> None:
    record = dataclasses.replace(fixture_records()[0], behaviour=Behaviour())
    part = split_record(record)
    assert part.row["behaviour"] == {}
    classes = {cid: {entry: value} for cid, (entry, value) in part.generation.items()}
    shared = {sid: {kind: value} for sid, (kind, value) in part.shared.items()}
    assert Record.from_json(join_record(part.row, {part.cell_id: part.cell}, classes,
                                        shared)) == record


def test_columns_other_than_the_layouts_are_refused(tmp_path: Path) -> None:
    ResultStore(tmp_path).append(fixture_records()[:2])
    manifest = json.loads((tmp_path / STORE_FILE).read_text())
    manifest["columns"] = list(reversed(manifest["columns"]))
    (tmp_path / STORE_FILE).write_text(json.dumps(manifest))
    with pytest.raises(StoreFormatError, match=r"store.json: columns \['timestamp'"):
        read_store(FolderFiles(tmp_path))


def test_a_ref_is_read_as_that_commits_results_wherever_the_store_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the store elsewhere (outside any repository) reads a tag from the
    repository of the current folder, as the commit's ``results/``."""
    repo = make_repo(tmp_path / "repo")
    records = fixture_records()
    ResultStore(repo / "results").append(records[:10])
    publish(repo, "results-2026-01-01")
    elsewhere = tmp_path / "copy"
    ResultStore(elsewhere).append(records)
    monkeypatch.chdir(repo)
    assert len(load_results("results-2026-01-01", elsewhere)) == 10
    (repo / "other").mkdir()
    git(repo, "rm", "-q", "-r", "results")
    git(repo, "commit", "-q", "-m", "no store")
    with pytest.raises(MatrixError, match="HEAD: its tree holds no results/ folder"):
        load_results("HEAD", elsewhere)
