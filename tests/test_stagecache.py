"""Stage cache entries: whole ones are reused, damaged ones are never trusted."""

from __future__ import annotations

from pathlib import Path

from matrix.build import stagecache


def _entry(root: Path) -> Path:
    with stagecache.locked_entry(root, "mm_entry") as directory:
        stagecache.fresh(directory)
        (directory / "mm_x.c").write_text("int x;\n")
        stagecache.save(directory, {"outcome": "ok"}, ["mm_x.c"])
    return directory


def test_a_whole_entry_is_loaded(tmp_path: Path) -> None:
    assert stagecache.load(_entry(tmp_path)) == {"outcome": "ok"}


def test_a_changed_or_missing_artefact_is_not_trusted(tmp_path: Path) -> None:
    directory = _entry(tmp_path)
    (directory / "mm_x.c").write_text("int x; /* truncated")
    assert stagecache.load(directory) is None
    (directory / "mm_x.c").unlink()
    assert stagecache.load(directory) is None


def test_a_half_written_mark_is_not_trusted(tmp_path: Path) -> None:
    directory = _entry(tmp_path)
    mark = directory / stagecache.MARK
    mark.write_text(mark.read_text()[:20])
    assert stagecache.load(directory) is None


def test_keys_are_stable_and_distinguish_material() -> None:
    assert stagecache.key_of(["a", 1]) == stagecache.key_of(["a", 1])
    assert stagecache.key_of(["a", 1]) != stagecache.key_of(["a", 2])
