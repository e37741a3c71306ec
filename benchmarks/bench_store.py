"""Benchmark the results store: the layout-1 store (one ``records.jsonl``) at ``--old-rev``,
with that revision's code, against this checkout's store and code, measured in one run.

Each figure is the median of ``--rounds`` runs in fresh processes (a first, discarded run
compiles the bytecode), with the peak resident memory of the process:

* ``report render --check``: the drift check of the published files (reads the store and the
  baseline, composes the report, renders every text output and compares);
* ``report render`` into a temporary folder (every output, the heatmap included);
* the run's "already measured?" check over the whole default grid: loading the store and
  deciding, for every planned cell, which cases it lacks (``measured_elsewhere`` +
  ``missing_cases``, as ``run --any-toolchain`` does); planning the grid is not timed;
* ``report query`` on the published data (``--python '>=3.8' --cython '>=3.0'``), with its
  cache warm (a first run fills it), and cold (its cache removed before each run: the first
  query of a data file parses it and its rows).

Usage:  python benchmarks/bench_store.py [--old-rev REV] [--rounds N]
The default ``--old-rev`` is the last commit that held ``results/records.jsonl`` (the parent of
the one that removed it).  About four minutes here (2 cores), most of it the old renders.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matrix.model.folders import cache_root  # noqa: E402

CHECK_SCRIPT = r"""
import json, resource, sys, time
from matrix.model.cases import load_cases
from matrix.plan.grid import Selection, plan_grid
from matrix.plan.index import load_index
from matrix.plan.interpreters import discover_interpreters
from matrix.run.engine import EngineSettings, Toolchain
from matrix.run.measure import measured_elsewhere, missing_cases
from matrix.store.paths import Layout
from matrix.store.results import ResultStore
layout = Layout.default()
plan = plan_grid(discover_interpreters(), load_index(layout.cache / "index", offline=True),
                 Selection())
cases = load_cases(layout.cases)
settings = EngineSettings()
toolchain = Toolchain.detect(settings)
start = time.perf_counter()
store = ResultStore.in_directory(layout.results)
elsewhere = measured_elsewhere(store)
try:  # the measurement as a model value (this checkout), else the engine's (older ones)
    from matrix.run.engine import measurement_of
    todo = [p for p in plan.cells if missing_cases(
        p, measurement_of(p, cases, settings, toolchain), store, elsewhere)]
except ImportError:
    todo = [p for p in plan.cells
            if missing_cases(p, cases, store, toolchain, settings, layout, elsewhere)]
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "cells": len(plan.cells), "todo": len(todo)}))
"""


def run(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of one process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=errors, text=True)
        out = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in ACCEPTED_EXITS.get(" ".join(argv[1:4]), (0,)):
            errors.seek(0)
            raise SystemExit(f"{' '.join(argv)} (in {cwd}) exited {process.returncode}:\n"
                             f"{errors.read().decode('utf-8', 'replace')[-2000:]}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024, out


ACCEPTED_EXITS = {"-m report query": (0, 1)}
"""Exit statuses that are an answer, not a failure: ``report query`` exits 1 when the range
holds failures (as the published one does); anything else stops the benchmark, naming the
command and its error output."""


def measure(argv: list[str], cwd: Path, env: dict[str, str], rounds: int,
            inner: bool = False, cold: Path | None = None) -> tuple[float, float]:
    """Median seconds (the script's own figure if ``inner``) and the largest peak RSS;
    ``cold``: a folder removed before each run."""
    run(argv, cwd, env)  # bytecode, caches
    seconds, peaks = [], []
    for _ in range(rounds):
        if cold is not None:
            shutil.rmtree(cold, ignore_errors=True)
        wall, peak, out = run(argv, cwd, env)
        seconds.append(json.loads(out)["seconds"] if inner else wall)
        peaks.append(peak)
    return statistics.median(seconds), max(peaks)


def last_layout_1_commit() -> str:
    removed = subprocess.run(["git", "rev-list", "-1", "HEAD", "--", "results/records.jsonl"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return f"{removed}^"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old-rev", help="the layout-1 revision (default: the last commit that"
                        " held results/records.jsonl)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per figure (default 3)")
    args = parser.parse_args()
    old_rev = args.old_rev or last_layout_1_commit()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    python = sys.executable
    figures: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), old_rev], cwd=ROOT,
                       check=True, capture_output=True)
        try:
            for name, tree in (("old", old), ("new", ROOT)):
                tree_env = {**env, "PYTHONPATH": str(tree),
                            "MATRIX_CACHE_DIR": str(Path(tmp) / f"cache-{name}")}
                index = cache_root(ROOT) / "index"
                if index.is_dir():  # the grid's releases, without asking the index again
                    (Path(tmp) / f"cache-{name}").mkdir(exist_ok=True)
                    os.symlink(index, Path(tmp) / f"cache-{name}" / "index")
                out = Path(tmp) / f"out-{name}"
                query = [python, "-m", "report", "query", "--python", ">=3.8", "--cython",
                         ">=3.0", "--data", str(tree / "docs" / "compat.json")]
                figures[name] = {
                    "render --check": measure([python, "-m", "report", "render", "--check"],
                                              tree, tree_env, args.rounds),
                    "render (every output)": measure(
                        [python, "-m", "report", "render", "--out", str(out)], tree, tree_env,
                        args.rounds),
                    "already-measured check": measure([python, "-c", CHECK_SCRIPT], tree,
                                                      tree_env, args.rounds, inner=True),
                    "query": measure(query, tree, tree_env, max(args.rounds, 5)),
                    "query (cache cold)": measure(query, tree, tree_env, max(args.rounds, 5),
                                                  cold=Path(tmp) / f"cache-{name}" / "query"),
                }
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT,
                           capture_output=True)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True).stdout.strip()
    print(f"old: layout 1 at {old_rev}; new: layout 2 at {head} (medians of {args.rounds};"
          " peak RSS the largest)")
    print(f"{'':26} {'old s':>8} {'new s':>8} {'new/old':>8} {'old MB':>8} {'new MB':>8}")
    for what in figures["new"]:
        (old_s, old_mb), (new_s, new_mb) = figures["old"][what], figures["new"][what]
        print(f"{what:26} {old_s:8.2f} {new_s:8.2f} {new_s / old_s:7.2f}x {old_mb:8.0f}"
              f" {new_mb:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
