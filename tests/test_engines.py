"""matrix.model.engines: which record is current is decided by rule, not by the clock: the
newest known engine's record wins, an unknown engine's is never shown as the result, and a
merge refuses a record timestamped ahead of this machine's clock."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from matrix.model.cases import Expectation
from matrix.model.engines import ENGINE_VERSION, KNOWN_ENGINES, engine_rank, future_timestamp
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, latest_per_cell, select_current
from matrix.plan.shard import MergeConflictError, merge_stores
from matrix.store.compaction import split_superseded
from matrix.store.results import ResultStore
from tests.fixtures.report.factory import rec

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.timezone.utc)
CASE = CaseInfo(id="case-a", title="t", group="g", source="s", target="t", needs_numpy=False,
                content_hash="h", expect=Expectation("tests"))


def _engine(version: str, outcome: str = "ok",
            timestamp: str = "2026-12-01T00:00:00Z") -> Record:
    return rec("case-a", "3.11", "3.2.9", outcome, timestamp=timestamp,
               error=None if outcome == "ok" else "boom",
               provenance={"engine_version": version})


def test_the_known_engines_rank_oldest_first() -> None:
    assert KNOWN_ENGINES[-1] == ENGINE_VERSION and KNOWN_ENGINES[0] == "1"
    assert [engine_rank(v) for v in KNOWN_ENGINES] == list(range(len(KNOWN_ENGINES)))
    assert engine_rank(None) == 0  # a record from before versions: version 1's
    assert engine_rank(str(int(ENGINE_VERSION) + 1)) is None
    assert engine_rank("6; rm -rf /") is None


def test_a_timestamp_ahead_of_the_clock_is_in_the_future() -> None:
    assert not future_timestamp("2026-12-04T12:59:00Z", NOW)  # within the skew
    assert future_timestamp("2026-12-04T13:01:00Z", NOW)
    assert future_timestamp("2099-01-01T00:00:00Z")
    assert future_timestamp("yesterday", NOW), "an unreadable timestamp counts as ahead"


def test_the_current_engine_wins_over_an_older_engine_with_a_clock_ahead() -> None:
    """A shard from a machine whose clock runs ahead measured with an older engine: its
    record is newer by the clock, yet the current engine's record is the result."""
    ahead = _engine(KNOWN_ENGINES[-2], "crash", timestamp="2026-12-30T00:00:00Z")
    current = _engine(ENGINE_VERSION, "ok", timestamp="2026-12-02T00:00:00Z")
    for records in ([ahead, current], [current, ahead]):
        (chosen,) = latest_per_cell(records).values()
        assert chosen is current


def test_an_unknown_engine_is_never_the_result_and_is_named() -> None:
    forged = _engine("99", "crash", timestamp="2099-01-01T00:00:00Z")
    current = _engine(ENGINE_VERSION)
    selection = select_current([forged, current], [CASE])
    assert selection.records == (current,)
    assert selection.unknown_engines == (forged,)
    alone = select_current([forged], [CASE])
    assert alone.records == () and alone.unknown_engines == (forged,)


def test_the_report_names_records_of_an_unknown_engine() -> None:
    from report.compose import compose
    from report.render_md.compat import render_markdown

    report = compose([_engine("99", "crash"), _engine(ENGINE_VERSION)], [CASE],
                     background=False)
    assert report.provenance.unknown_engines == (("99", 1),)
    assert [r.outcome for r in report.records] == [Outcome.OK]
    assert ("1 measured by engine version 99, which this code does not know"
            in render_markdown(report))


def test_compaction_never_archives_what_it_cannot_judge() -> None:
    forged = _engine("99")
    kept, archived = split_superseded([forged, _engine(ENGINE_VERSION)], {"case-a": "h"}, set())
    assert forged in kept and archived == []


def test_merge_refuses_a_shard_whose_clock_runs_ahead(tmp_path: Path) -> None:
    good, ahead = tmp_path / "good", tmp_path / "ahead"
    ResultStore(good).append([_engine(ENGINE_VERSION)])
    ResultStore(ahead).append([_engine(ENGINE_VERSION, "crash",
                                       timestamp="2099-01-01T00:00:00Z")])
    out = tmp_path / "merged"
    with pytest.raises(MergeConflictError, match=r"ahead.*timestamped 2099-01-01T00:00:00Z,"
                       " ahead of this machine's clock"):
        merge_stores([good, ahead], out)
    assert not out.exists(), "nothing is written when an input is refused"


def test_merge_refuses_a_record_of_an_unknown_engine(tmp_path: Path) -> None:
    shard = tmp_path / "shard"
    ResultStore(shard).append([_engine("99")])
    with pytest.raises(MergeConflictError, match="engine version 99, which this code does not"
                       " know"):
        merge_stores([shard], tmp_path / "merged")


def test_merge_exits_2_naming_the_shard(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    from matrix.cli import main

    shard = tmp_path / "shard"
    ResultStore(shard).append([_engine(ENGINE_VERSION, timestamp="2099-01-01T00:00:00Z")])
    assert main(["merge", str(tmp_path / "merged"), str(shard)]) == 2
    assert f"error: {shard}: record " in capsys.readouterr().err
