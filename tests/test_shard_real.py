"""The grid run as 3 shards in separate processes, merged, renders byte for byte like one run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python
from .test_grid_real import isolated_env, run_matrix

pytestmark = pytest.mark.slow

GRID = ("--offline", "--cases", str(FIXTURES / "cases"), "--case", "fixture-aliases,fixture-copies",
        "--python", "3.11,3.12", "--cython", "3.0.12,3.1.8,3.2.4", "--no-abi", "--compiler", "gcc")


def render(records: Path, out: Path, cache: Path) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, "-m", "report", "render", "--results", str(records), "--cases",
         str(FIXTURES / "cases"), "--out", str(out), "--no-baseline", "--no-heatmap"],
        check=True, env=isolated_env(cache), capture_output=True,
    )
    return {name: (out / name).read_bytes()
            for name in ("compat.md", "compat.json", "compat.csv.gz")}


def test_three_shards_merge_to_the_single_run(interpreters: object, tmp_path: Path) -> None:
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    need_python(interpreters, "3.12")  # type: ignore[arg-type]
    cache = tmp_path / "cache"  # builds are cached by content: the shards reuse them
    run_matrix(cache, "run", *GRID, "--results", str(tmp_path / "single"))
    shard_processes = [
        subprocess.Popen(
            [sys.executable, "-m", "matrix", "run", *GRID, "--shard", f"{i}/3", "--jobs", "1",
             "--results", str(tmp_path / f"shard{i}")],
            env=isolated_env(cache), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        for i in (1, 2, 3)
    ]
    for process in shard_processes:
        _, err = process.communicate(timeout=1200)
        assert process.returncode == 0, err
    shard_stores = [tmp_path / f"shard{i}" for i in (1, 2, 3)]
    shard_stores = [path for path in shard_stores if (path / "store.json").exists()]
    assert len(shard_stores) >= 2, "the grid is spread over several shards"
    run_matrix(cache, "merge", str(tmp_path / "merged"), *map(str, shard_stores))

    single = ResultStore(tmp_path / "single").records()
    merged = ResultStore(tmp_path / "merged").records()
    assert [r.key for r in merged] == [r.key for r in single]
    assert [(r.outcome, r.behaviour) for r in merged] == [(r.outcome, r.behaviour) for r in single]

    one = render(tmp_path / "single", tmp_path / "render-single", cache)
    many = render(tmp_path / "merged", tmp_path / "render-merged", cache)
    if max(r.timestamp for r in single)[:10] != max(r.timestamp for r in merged)[:10]:
        pytest.skip("the runs straddled midnight UTC: the 'results as of' day differs")
    assert one == many
