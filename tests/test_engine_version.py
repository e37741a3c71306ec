"""The engine version is a key input; the code it stands for is pinned, so a change to how
outcomes are decided cannot slip by without a decision."""

from __future__ import annotations

from pathlib import Path

from matrix.model.engines import ENGINE_VERSION
from matrix.run import engine_version
from matrix.run.engine_version import ENGINE_SOURCES, SOURCES_DIGEST, sources_digest


def test_outcome_deciding_code_is_what_the_version_was_declared_for() -> None:
    assert sources_digest() == SOURCES_DIGEST, (
        "the code that decides outcomes changed: if outcomes may change, bump ENGINE_VERSION"
        " in matrix/model/engines.py (everything is re-measured; the build caches stay);"
        f" either way set SOURCES_DIGEST = {sources_digest()!r}")


def test_docstrings_and_comments_do_not_count(tmp_path: Path) -> None:
    package = engine_version.PACKAGE
    for name in ENGINE_SOURCES:
        text = (package / name).read_text()
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text.replace('"""', '"""Reworded. ', 1) + "\n# a comment\n")
    assert sources_digest(tmp_path) == sources_digest(package)


def test_a_code_change_counts(tmp_path: Path) -> None:
    package = engine_version.PACKAGE
    for name in ENGINE_SOURCES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((package / name).read_text())
    timeouts = (package / "model/timeouts.py").read_text()
    bound = "    import_module: float = 120.0\n"
    assert bound in timeouts
    changed = timeouts.replace(bound, bound.replace("120", "121"))
    (tmp_path / "model/timeouts.py").write_text(changed)
    assert sources_digest(tmp_path) != sources_digest(package)


def test_records_carry_the_version_in_their_key() -> None:
    from matrix.model.records import content_key

    common = dict(case_hash="c", runner_hash="r", python_version="3.11.7", cython="3.2.4",
                  numpy_build=None, numpy_run=None, cc="gcc 12.2.0", cflags=("-O0",),
                  machine="Linux-x86_64", procedure="p")
    keys = {content_key(**common, engine_version=v, run_timeout_s=t)  # type: ignore[arg-type]
            for v, t in ((ENGINE_VERSION, 60.0), ("1", 60.0), (ENGINE_VERSION, 30.0))}
    assert len(keys) == 3
