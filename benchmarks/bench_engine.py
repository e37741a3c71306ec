"""Benchmark the engine; prints ratios measured in one run (machines are shared and noisy).

1. Batching + environment reuse: one core cell (every numpy-free case) built naively -- each
   case its own extension module, in a freshly created environment -- versus the engine's
   default (one batched module, cached environment).
2. Grid cold vs warm: a grid measured into an empty store and build cache, then re-run with
   nothing changed (the re-run must not rebuild anything).

Usage:  python benchmarks/bench_engine.py [--grid quick|default] [--python 3.11] [--cython 3.2.4]
The default grid takes about an hour cold on 2 cores; ``quick`` (the default) a few minutes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matrix.build import BuildSettings  # noqa: E402
from matrix.cases import load_cases  # noqa: E402
from matrix.cells import Cell  # noqa: E402
from matrix.engine import EngineSettings, Toolchain, measure_cell  # noqa: E402
from matrix.interpreters import discover_interpreters  # noqa: E402
from matrix.paths import Layout  # noqa: E402


def time_cell(python: str, cython: str, *, batch: bool, fresh_env: bool) -> tuple[float, int]:
    interpreter = discover_interpreters()[python]
    cases = load_cases(ROOT / "cases")
    with tempfile.TemporaryDirectory() as tmp:
        shared = None if fresh_env else ROOT / ".cache" / "envs"
        layout = Layout(cases=ROOT / "cases", cache=Path(tmp), results=Path(tmp) / "results",
                        shared_envs=shared)
        settings = EngineSettings(build=replace(BuildSettings(), batch=batch))
        start = time.monotonic()
        records = measure_cell(Cell(python, cython), cases, interpreter, layout, settings,
                               Toolchain.detect(settings))
        return time.monotonic() - start, len(records)


def time_grid(grid_args: list[str], cache: Path, results: Path) -> float:
    env = dict(os.environ, MATRIX_CACHE_DIR=str(cache),
               MATRIX_ENVS_DIR=str(ROOT / ".cache" / "envs"))
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "matrix", "run", *grid_args, "--results", str(results)],
                   cwd=ROOT, env=env, check=True, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=["quick", "default"], default="quick")
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--cython", default="3.2.4")
    args = parser.parse_args()

    # Warm the shared environment first so that the default path measures reuse, not download.
    time_cell(args.python, args.cython, batch=True, fresh_env=False)
    naive, count = time_cell(args.python, args.cython, batch=False, fresh_env=True)
    default, _ = time_cell(args.python, args.cython, batch=True, fresh_env=False)
    print(f"cell py{args.python}-cy{args.cython} ({count} cases)")
    print(f"  naive (module per case, fresh env): {naive:7.1f} s")
    print(f"  engine default (batched, cached env): {default:5.1f} s")
    print(f"  speed-up: {naive / default:.1f}x")

    grid_args = ["--quick"] if args.grid == "quick" else []
    with tempfile.TemporaryDirectory() as tmp:
        cache, results = Path(tmp) / "cache", Path(tmp) / "results"
        cold = time_grid(grid_args, cache, results)
        warm = time_grid(grid_args, cache, results)
    print(f"grid {args.grid}: cold {cold:.1f} s, warm re-run {warm:.1f} s,"
          f" ratio {cold / warm:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
