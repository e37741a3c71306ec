"""A failing disk never loses or fakes a record: the store on a small tmpfs that fills up.

Each write checks the space first, an append that fails leaves the file as it was (no half
line, no stray temporary file) and says so with ``error:`` and exit 2; tidying replaces one file
at a time, so it needs the space of its largest file, not twice the store's.

The tmpfs is mounted by root, or with ``sudo -n`` (GitHub's runners); where neither works the
tests are skipped, saying so, and fail under ``CI``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from matrix.model.outcomes import Outcome
from matrix.store.results import ResultStore, StoreWriteError, append_lines
from tests.conftest import missing_prerequisite

from .test_store import make_record


def _mount(command: list[str], folder: Path, size_kib: int) -> bool:
    options = f"size={size_kib}k,uid={os.getuid()},gid={os.getgid()},mode=0755"
    done = subprocess.run([*command, "mount", "-t", "tmpfs", "-o", options, "tmpfs",
                           str(folder)], capture_output=True, text=True)
    return done.returncode == 0


@contextlib.contextmanager
def small_disk(folder: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` KiB mounted on ``folder`` for the block."""
    folder.mkdir(parents=True, exist_ok=True)
    for command in ([] if os.geteuid() == 0 else None, ["sudo", "-n"]):
        if command is not None and _mount(command, folder, size_kib):
            try:
                yield folder
            finally:
                subprocess.run([*command, "umount", "-l", str(folder)], capture_output=True)
            return
    missing_prerequisite("cannot mount a small tmpfs here (needs root or passwordless sudo)")


def _fill(folder: Path, leave_kib: int) -> None:
    """Take the free space of ``folder``'s file system down to about ``leave_kib`` KiB."""
    free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
    (folder / "filler").write_bytes(b"\0" * max(0, free - leave_kib * 1024))


def test_an_append_that_cannot_fit_is_refused_before_writing(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 256) as disk:
        path = disk / "log.jsonl"
        append_lines(path, ['{"a": 1}'])
        _fill(disk, 16)
        before = path.read_bytes()
        with pytest.raises(StoreWriteError, match=r"log\.jsonl: cannot write .*the file is as"
                           " it was before this write"):
            append_lines(path, ['{"b": "' + "x" * 100_000 + '"}'])
        assert path.read_bytes() == before
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "log.jsonl",
                                                           "log.jsonl.lock"]


def test_a_write_that_fails_midway_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    """The space check passes (another writer took the space meanwhile, say): the write
    fails part-way with ENOSPC and what it wrote is cut off again."""
    import matrix.store.results as results

    with small_disk(tmp_path / "disk", 256) as disk:
        path = disk / "log.jsonl"
        append_lines(path, ['{"a": 1}'])
        _fill(disk, 48)
        before = path.read_bytes()
        monkeypatch.setattr(results, "require_space", lambda *args: None)
        with pytest.raises(StoreWriteError, match="No space left on device"):
            append_lines(path, ['{"b": "' + "x" * 200_000 + '"}'])
        assert path.read_bytes() == before


def test_a_full_disk_stops_the_store_and_keeps_every_record(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 512) as disk:
        store = ResultStore.in_directory(disk / "results")
        written = []
        with pytest.raises(StoreWriteError):
            for number in range(100_000):
                batch = [make_record(f"k{number}-{i}", Outcome.CRASH, case_id=f"case-{number}",
                                     cell_id=f"py3.11-cy3.2.{i}") for i in range(20)]
                store.append(batch)
                written += batch
        assert written, "some records fitted"
        again = ResultStore.in_directory(disk / "results")
        assert {r.key for r in again.records()} == {r.key for r in written}
        assert not list((disk / "results").rglob("*.tmp"))


def test_tidying_needs_the_room_of_its_largest_file_not_twice_the_store(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", 4096) as disk:
        results = disk / "results"
        store = ResultStore.in_directory(results)
        for python in ("3.9", "3.10", "3.11", "3.12"):  # four shards of about equal size
            store.append([dataclasses.replace(
                make_record(f"{python}-{n}", case_id=f"case-{n}", cell_id=f"py{python}-cy3.2.4"),
                python=python) for n in range(1500)])
        size = sum(p.stat().st_size for p in results.rglob("*") if p.is_file())
        largest = max(p.stat().st_size for p in results.rglob("records.jsonl"))
        _fill(disk, (largest + 2 * 64 * 1024) // 1024 + 64)
        free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
        assert free < size, "less room than the store takes: a copy of it would not fit"
        inodes = {p: p.stat().st_ino for p in results.rglob("records.jsonl")}
        ResultStore.in_directory(results).tidy()
        assert len(ResultStore.in_directory(results).records()) == 6000
        assert all(p.stat().st_ino != inode for p, inode in inodes.items()), (
            "every shard was rewritten (sorted), one at a time")


def test_a_run_that_cannot_write_says_so_and_exits_2(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``matrix merge`` into a full disk: an ``error:`` naming the file, exit 2, the target
    store as it was."""
    from matrix.cli import main

    source = tmp_path / "shard"
    ResultStore.in_directory(source).append(
        [make_record(f"k{n}", case_id=f"case-{n}") for n in range(2000)])
    with small_disk(tmp_path / "disk", 256) as disk:
        target = disk / "results"
        ResultStore.in_directory(target).append([make_record("held")])
        _fill(disk, 64)
        assert main(["merge", str(target), str(target), str(source)]) == 2
        assert "cannot write" in capsys.readouterr().err
        assert [r.key for r in ResultStore.in_directory(target).records()] == ["held"]
