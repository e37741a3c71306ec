"""Layout 1 (one ``records.jsonl``, every record whole) to layout 2, exactly: every current
record, re-joined from the new layout, equals the old record field for field under its key,
and every superseded one is in the archive."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.model.cases import load_cases
from matrix.model.records import Record
from matrix.model.storeformat import STORE_FILE, GitFiles, read_records
from matrix.store.compaction import split_superseded
from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore

from .conftest import FIXTURES

REPORT_FIXTURE = FIXTURES / "report"


def test_a_layout_1_store_migrates_exactly(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    results.mkdir()
    shutil.copy(REPORT_FIXTURE / "records.jsonl", results / "records.jsonl")
    shutil.copy(REPORT_FIXTURE / "rechecks.jsonl", results / "rechecks.jsonl")
    legacy = {r.key: r for r in ResultStore(REPORT_FIXTURE / "records.jsonl").records()}
    archive = tmp_path / "superseded.jsonl.gz"
    cases = REPORT_FIXTURE / "cases"
    assert main(["compact", "--results", str(results), "--cases", str(cases), "--archive",
                 str(archive)]) == 0
    assert not (results / "records.jsonl").exists() and (results / STORE_FILE).is_file()
    migrated = ResultStore(results).records()
    for record in migrated:
        assert record == legacy[record.key]
        assert record.to_line() == legacy[record.key].to_line()
    archived = [Record.from_json(json.loads(line)) for line in
                gzip.decompress(archive.read_bytes()).decode().splitlines()]
    assert sorted(r.to_line() for r in migrated + archived) == sorted(
        r.to_line() for r in legacy.values()), "nothing lost"
    hashes = {case.id: case.content_hash for case in load_cases(cases)}
    referenced = {line.split('"checked_key":"', 1)[1][:24]
                  for line in (results / "rechecks.jsonl").read_text().splitlines()}
    kept, _ = split_superseded(legacy.values(), hashes, referenced)
    assert sorted(r.key for r in migrated) == sorted(r.key for r in kept)


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(PROJECT_ROOT), *args], capture_output=True,
                          text=True)


def test_the_published_store_is_the_layout_1_store_it_was_migrated_from() -> None:
    """Every record of ``results/`` that the layout-1 ``results/records.jsonl`` held (read
    from the commit before the one that removed it) is that record, field for field; at the
    migration (2026-12-04) that was all 25,756 of them (94,900 layout-1 records; the rest
    went to the archive)."""
    removed = _git("rev-list", "-1", "HEAD", "--", "results/records.jsonl").stdout.strip()
    if not removed or _git("cat-file", "-e", f"{removed}^:results/records.jsonl").returncode:
        pytest.skip("this clone lacks the commit that held results/records.jsonl (a shallow"
                    " clone, or history rewritten without it)")
    size = int(_git("cat-file", "-s", f"{removed}^:results/records.jsonl").stdout or 0)
    if size < 1024 and _git("cat-file", "-p", f"{removed}^:results/records.jsonl"
                            ).stdout.startswith("# REMOVED for GitHub"):
        pytest.skip("the layout-1 file was replaced by a placeholder in this copy of the history"
                    " (docs/internals.md, 'Publishing this repository on GitHub'); the"
                    " unrewritten repository holds it")
    legacy = {r.key: r for r in read_records(GitFiles(PROJECT_ROOT, f"{removed}^"))}
    current = ResultStore(PROJECT_ROOT / "results").records()
    common = [r for r in current if r.key in legacy]
    assert common, "the migration carried records over"
    for record in common:
        assert record.to_line() == legacy[record.key].to_line(), record.key
