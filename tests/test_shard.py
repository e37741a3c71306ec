"""Sharding, merging record sets from several machines, and the --new-releases filter."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from packaging.version import Version

from matrix.model.cells import Cell
from matrix.model.errors import MatrixError, ResultsFileError, SelectionError
from matrix.model.outcomes import Outcome
from matrix.plan.grid import PlannedCell, uncovered_releases
from matrix.plan.interpreters import Interpreter
from matrix.plan.shard import MergeConflictError, Shard, merge_stores
from matrix.store.results import ResultStore

from .test_store import make_record

INTERPRETER = Interpreter(Version("3.11.7"), Path("/fake/python3.11"))


def planned(*cells: Cell) -> list[PlannedCell]:
    return [PlannedCell(cell, INTERPRETER) for cell in cells]


def grid() -> list[PlannedCell]:
    cells = []
    for cython in ("0.29.37", "3.0.12", "3.1.8", "3.2.4"):
        cells.append(Cell("3.11", cython))
        for numpy in ("1.26.4", "2.0.2", "2.1.3", "2.3.5"):
            cells.append(Cell("3.11", cython, numpy, numpy))
    return planned(*cells)


def test_shards_partition_the_grid() -> None:
    cells = grid()
    shards = [Shard.parse(f"{i}/3").select(cells) for i in (1, 2, 3)]
    ids = [p.cell.id for shard in shards for p in shard]
    assert sorted(ids) == sorted(p.cell.id for p in cells)
    assert len(set(ids)) == len(ids)
    assert all(shards), "every shard gets work on a grid this size"


def test_shard_assignment_is_stable_under_plan_changes() -> None:
    cells = grid()
    shard = Shard.parse("2/3")
    owned = {p.cell.id for p in shard.select(cells)}
    assert {p.cell.id for p in shard.select(list(reversed(cells[3:])))} == owned - {
        p.cell.id for p in cells[:3]}


@pytest.mark.parametrize("text", ["0/3", "4/3", "2", "a/b", "1/0"])
def test_bad_shard_spec(text: str) -> None:
    with pytest.raises(SelectionError, match=f"--shard {text}"):
        Shard.parse(text)


def write(path: Path, *records: object) -> Path:
    store = ResultStore(path)
    store.append(records)  # type: ignore[arg-type]
    return path


def test_merge_combines_and_deduplicates(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", make_record("k1"), make_record("k2", case_id="case-b"))
    b = write(tmp_path / "b.jsonl", make_record("k2", case_id="case-b"), make_record("k3"))
    out = tmp_path / "merged" / "records.jsonl"
    assert merge_stores([a, b], out) == 3
    assert sorted(r.key for r in ResultStore(out).records()) == ["k1", "k2", "k3"]


def test_merge_is_order_independent(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", make_record("k1"), make_record("k2", case_id="case-b"))
    b = write(tmp_path / "b.jsonl", make_record("k3", case_id="case-c"))
    merge_stores([a, b], tmp_path / "ab.jsonl")
    merge_stores([b, a], tmp_path / "ba.jsonl")
    assert (tmp_path / "ab.jsonl").read_bytes() == (tmp_path / "ba.jsonl").read_bytes()


def test_merge_refuses_conflicts_and_writes_nothing(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", make_record("k1", Outcome.OK))
    b = write(tmp_path / "b.jsonl", make_record("k1", Outcome.CRASH))
    out = tmp_path / "out.jsonl"
    conflict = r"b.jsonl: record k1 .* says crash .*a.jsonl says ok .*both measured at"
    with pytest.raises(MergeConflictError, match=conflict):
        merge_stores([a, b], out)
    assert not out.exists()


def test_merge_keeps_the_newer_measurement_of_a_key(tmp_path: Path) -> None:
    """A shard re-measured a provisional record the committed store also holds."""
    committed = replace(make_record("k1", Outcome.ENV_ERROR), timestamp="2026-11-01T00:00:00Z")
    remeasured = replace(make_record("k1", Outcome.OK), timestamp="2026-11-20T00:00:00Z")
    a = write(tmp_path / "committed.jsonl", committed, make_record("k2", case_id="case-b"))
    b = write(tmp_path / "shard.jsonl", remeasured)
    for order in ([a, b], [b, a]):
        out = tmp_path / "out.jsonl"
        assert merge_stores(order, out) == 2
        merged = {r.key: r for r in ResultStore(out).records()}
        assert merged["k1"] == remeasured


def test_merge_refuses_corrupt_and_missing_inputs(tmp_path: Path) -> None:
    a = write(tmp_path / "a.jsonl", make_record("k1"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n")
    with pytest.raises(ResultsFileError, match=r"bad.jsonl:1"):
        merge_stores([a, bad], tmp_path / "out.jsonl")
    with pytest.raises(MatrixError, match="nope.jsonl: no such results folder or file"):
        merge_stores([a, tmp_path / "nope.jsonl"], tmp_path / "out.jsonl")


def test_new_releases_selects_only_uncovered_versions() -> None:
    cells = planned(
        Cell("3.11", "3.2.4"), Cell("3.11", "3.3.0"),
        Cell("3.11", "3.2.4", "2.3.5", "2.3.5"), Cell("3.11", "3.2.4", "2.4.0", "2.4.0"),
        Cell("3.11", "3.2.4", "1.26.4", "2.4.0"),
    )
    fresh = uncovered_releases(cells, covered_cython={"3.2.4"}, covered_numpy={"2.3.5", "1.26.4"})
    assert [p.cell.id for p in fresh] == [
        "py3.11-cy3.3.0", "py3.11-cy3.2.4-np2.4.0", "py3.11-cy3.2.4-np1.26.4-run2.4.0"]


def test_new_releases_against_a_fake_index() -> None:
    """A store measured before Cython 3.0.12 and numpy 2.1.3 existed; the index now has both."""
    from matrix.plan.grid import Selection, plan_grid

    from .test_grid import CONFIG, fake_index, interpreters

    plan = plan_grid(interpreters("3.11.7"), fake_index(), Selection(), CONFIG)
    covered_cython = {"0.27.3", "0.29.37"}  # what the published results hold
    covered_numpy = {"1.26.4"}
    fresh = [p.cell.id for p in uncovered_releases(plan.cells, covered_cython, covered_numpy)]
    assert "py3.11-cy3.0.12" in fresh  # a new Cython: its core cell ...
    assert "py3.11-cy3.0.12-np1.26.4" in fresh  # ... and its numpy cells
    assert "py3.11-cy0.29.37-np2.1.3" in fresh  # a new numpy with an old Cython
    assert "py3.11-cy3.0.12-np1.26.4-run2.1.3" in fresh  # and the new ABI pairs
    assert "py3.11-cy0.29.37" not in fresh and "py3.11-cy0.29.37-np1.26.4" not in fresh


def test_new_releases_include_a_new_python() -> None:
    cells = planned(Cell("3.11", "3.2.4"), Cell("3.14", "3.2.4"))
    fresh = uncovered_releases(cells, covered_cython={"3.2.4"}, covered_numpy=set(),
                               covered_python={"3.11"})
    assert [p.cell.id for p in fresh] == ["py3.14-cy3.2.4"]


def test_merge_into_a_new_folder_keeps_the_baseline_its_inputs_name(tmp_path: Path) -> None:
    published = tmp_path / "results"
    ResultStore(published).append([make_record("k1")])
    ResultStore(published).set_baseline("results-2026-01-01", "0" * 40)
    shard = tmp_path / "shard"
    ResultStore(shard).append([make_record("k2")])
    assert merge_stores([shard, published], tmp_path / "merged") == 2
    assert ResultStore(tmp_path / "merged").baseline == {"tag": "results-2026-01-01",
                                                         "commit": "0" * 40}
