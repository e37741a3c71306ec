"""Benchmark the engine; prints figures measured in one run (machines are shared and noisy).

1. Batching + environment reuse: one core cell built naively -- each case its own extension
   module, each cythonized by a process of its own, in a freshly created environment -- versus
   the engine's default (one module per module configuration, a cell's modules cythonized in
   one process, cached environment), over every numpy-free case and over those of the default
   batch, with the modules and compiles each built; then Cython 3.1+'s shared utility module:
   each module generated and compiled with and without it.
2. Grid cold vs warm: a grid measured into an empty store and build cache (environments and
   downloads cached), then re-run with nothing changed (the re-run must not rebuild anything).
   For that same cold run it prints the *compile floor*: the sum of the distinct generate
   (cythonize) and compile (cc) times the run's stage cache holds, divided by the cores --
   what the builds alone cost with both cores busy -- and the cold time's ratio to it.
3. ``--baseline-rev REV``: the engine at git revision REV against this one on ``--quick``,
   both cold (fresh build cache, warm environments), measured here in the same run.
4. ``--kinds-apart``: the cold grid in two parts, CPython's cells then the other interpreter
   kinds' (PyPy, free-threaded CPython) on the same cache: what the new rows add to a cold run.
   ``--grid-python``/``--grid-cython`` take a slice of the grid (e.g. ``'3.11,pypy3.11,3.13,
   3.13t'``: two kinds' rows beside CPython's of the same language versions).
   ``--compilers-apart``: the cold grid in three parts, gcc's cells, then the AddressSanitizer
   cells (gcc-asan), then the other compilers' cells (clang, gcc with GCC 14's error defaults),
   on the same cache: what each part of the compiler axis adds to a cold run.
5. ``--classes-rev REV`` (generation classes, in one run): the default grid's gcc cells cold
   (empty build cache and store, environments cached) with the engine at REV and with this one,
   both on the catalogue at REV,
   each run's build floor (distinct generates + distinct compiles over the cores), whether every
   record both measured has the same outcome and first error (a difference is measured 3 times
   more by this engine: exit 1 if one is reproduced steadily), then ``--quick``
   cold from nothing (empty environments folder too; uv's download cache stays) and the time of
   ``report query`` and ``--help`` on the published data (medians of 5).
6. The run stage alone, per cell kind (core, numpy, numpy build-vs-run), on a spread sample of
   the grid's cells: this runner (imports each module once, forks a child per case) against
   the runner at ``--run-stage-rev`` (a fresh interpreter per case), on the same built
   modules, one right after the other (``--run-stage-only`` prints just this).
7. ``--cases-rev REV``: the cold grid with ``cases/`` as at REV, then with this catalogue:
   time per case and per record, compiles per cell (does the grid absorb new cases?).
8. ``--engines-rev REV`` (in one run): the default grid's gcc cells cold with the engine at REV
   and with this one, both on the catalogue at REV, as in 5 (times, floors, outcomes compared),
   with the compiles and modules per cell of each (target: no slower). 2 x about 50 minutes.

The grid figure (2) and 8 count a cell's modules: those the planner makes of its cases before
anything is built (the default batch, one per other module configuration, the control, cases
built alone by design) and those that splitting a failing batch adds (:func:`module_counts`).

Usage:  python benchmarks/bench_engine.py [--grid quick|default] [--baseline-rev REV]
            [--keep-results DIR] [--skip-cell] [--kinds-apart] [--grid-python P] [--grid-cython C]
The default grid takes about 15 minutes cold on 2 cores; ``quick`` (the default) a minute or two.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matrix.build.envs import EnvFailure, EnvSpec, ensure_env  # noqa: E402
from matrix.build.generate import write_sources  # noqa: E402
from matrix.build.modules import (  # noqa: E402
    BATCHED,
    CONTROL_ALONE,
    BuildSettings,
    PlannedModule,
    plan_modules,
)
from matrix.build.stagecache import MARK  # noqa: E402
from matrix.model.cases import Case, load_cases  # noqa: E402
from matrix.model.cells import Cell  # noqa: E402
from matrix.model.directives import module_configuration  # noqa: E402
from matrix.model.folders import cache_root  # noqa: E402
from matrix.model.interpreters import python_matches  # noqa: E402
from matrix.model.policy import Retry  # noqa: E402
from matrix.plan.grid import PlannedCell  # noqa: E402
from matrix.plan.interpreters import discover_interpreters  # noqa: E402
from matrix.run.engine import CellMeasurement, EngineSettings, Toolchain, measure_cell  # noqa: E402
from matrix.run.probe import CaseRun, RunnerServers, run_cases  # noqa: E402
from matrix.store.paths import Layout  # noqa: E402

ENVS = Path(os.environ.get("MATRIX_ENVS_DIR") or cache_root(ROOT) / "envs")
"""The environments the cold runs share (``MATRIX_ENVS_DIR``, else the checkout's)."""


@dataclass(frozen=True)
class CellTime:
    """One core cell measured from an empty build cache: seconds, records, and the distinct
    generates and compiles its stage cache holds afterwards."""

    seconds: float
    records: int
    generates: int
    compiles: int


def core_cases(default_batch_only: bool = False) -> list[Case]:
    """The core cell's cases (numpy-free); with ``default_batch_only``, only those batched in
    the default module configuration (no control, nothing built alone, no option of their own)."""
    cases = [c for c in load_cases(ROOT / "cases") if not c.needs_numpy]
    if default_batch_only:
        cases = [c for c in cases if not c.build_alone and module_configuration(c).is_default]
    return cases


def time_cell(python: str, cython: str, *, batch: bool, fresh_env: bool,
              cases: list[Case] | None = None) -> CellTime:
    interpreter = discover_interpreters()[python]
    cases = core_cases() if cases is None else cases
    with tempfile.TemporaryDirectory() as tmp:
        shared = None if fresh_env else ENVS
        layout = Layout(cases=ROOT / "cases", cache=Path(tmp), results=Path(tmp) / "results",
                        shared_envs=shared)
        settings = EngineSettings(build=replace(BuildSettings(), batch=batch))
        planned = PlannedCell(Cell(python, cython), interpreter, generators=(interpreter,))
        start = time.monotonic()
        records = measure_cell(planned, cases, layout, settings, Toolchain.detect(settings))
        seconds = time.monotonic() - start
        stages = stage_seconds(Path(tmp))
        return CellTime(seconds, len(records), stages["generate"][0], stages["compile"][0])


def cell_figures(python: str, cython: str) -> None:
    """The one-cell figure, over every numpy-free case and over those of the default batch:
    naive (a module per case, each cythonized by a process of its own, fresh environment)
    against the engine's default (cached environment); modules and compiles each built."""
    time_cell(python, cython, batch=True, fresh_env=False)  # warm the shared environments
    for label, only_default in (("every numpy-free case", False),
                                ("the cases of the default batch", True)):
        cases = core_cases(only_default)
        naive = time_cell(python, cython, batch=False, fresh_env=True, cases=cases)
        default = time_cell(python, cython, batch=True, fresh_env=False, cases=cases)
        planned = len(plan_modules(cases))
        print(f"cell py{python}-cy{cython}, {label} ({len(cases)} cases, {default.records}"
              f" records)")
        print(f"  naive (module per case, fresh env): {naive.seconds:7.1f} s"
              f" ({naive.compiles} compiles)")
        print(f"  engine default (batched, cached env): {default.seconds:5.1f} s: {planned}"
              f" modules planned, {default.compiles} compiles, {default.generates} generates"
              " (splits of a failing batch included)")
        print(f"  speed-up: {naive.seconds / default.seconds:.1f}x", flush=True)


def shared_utility_figures(python: str, cython: str) -> None:
    """Cython 3.1+'s shared utility module (``cython --generate-shared``, modules built with
    ``--shared``): the core cell's modules generated and compiled with and without it, each
    module's compile timed, and the shared module's own cost.  The engine does not use it (see
    docs/measuring.md); this measures what it would save."""
    interpreter = discover_interpreters()[python]
    env = ensure_env(EnvSpec(interpreter, cython, None), ENVS)
    if isinstance(env, EnvFailure):
        raise SystemExit(f"shared utility: {env.reason}")
    cflags = ["-O0", "-fPIC", "-fwrapv", "-fno-strict-aliasing", "-shared",
              *(f"-I{d}" for d in env.info.includes)]
    modules = plan_modules(core_cases())

    def timed(argv: list[str], cwd: Path) -> tuple[float, bool]:
        start = time.monotonic()
        done = subprocess.run(argv, cwd=cwd, capture_output=True)
        return time.monotonic() - start, done.returncode == 0

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        shared_c = base / "mm_shared" / "_cyutility.c"
        shared_c.parent.mkdir()
        (shared_c.parent / "__init__.py").write_text("")
        made, ok = timed([str(env.python), "-m", "cython", "--generate-shared", str(shared_c)],
                         base)
        if not ok:
            print(f"shared utility: Cython {cython} has no --generate-shared (3.1+ only)")
            return
        built, _ = timed(["gcc", *cflags, str(shared_c), "-o",
                          str(shared_c.with_suffix(env.info.ext_suffix))], base)
        print(f"shared utility module, Cython {cython} on Python {python}: generated in"
              f" {made:.2f} s, compiled in {built:.2f} s (once per Cython, Python and compiler)")
        for module in modules:
            options = module_configuration(module.cases[0])
            times: dict[str, tuple[float, float, bool]] = {}
            for mode in ("own", "shared"):
                folder = base / f"{mode}-{len(times)}-{module.cases[0].id}"
                folder.mkdir()
                sources = write_sources(env, module.cases, None, folder, "mm_m")
                extra = ["--shared", "mm_shared._cyutility"] if mode == "shared" else []
                generate_s, ok = timed([*sources.argv[:3], *extra, *sources.argv[3:]], folder)
                suffix = "cpp" if options.cplus else "c"
                macros = [f"-D{k}={v}" for k, v in options.compile_macros()]
                compiler = "g++" if options.cplus else "gcc"
                compile_s, compiled = timed([compiler, *cflags, *macros, f"mm_m.{suffix}",
                                             "-o", f"mm_m{env.info.ext_suffix}"], folder)
                times[mode] = (generate_s, compile_s, ok and compiled)
            (own_g, own_c, own_ok), (sh_g, sh_c, sh_ok) = times["own"], times["shared"]
            print(f"  {len(module.cases):2} case(s), {options.text() or 'default'}:"
                  f" generate {own_g:.2f} -> {sh_g:.2f} s, compile {own_c:.2f} -> {sh_c:.2f} s"
                  f" (builds: {'ok' if own_ok else 'fails'} -> {'ok' if sh_ok else 'fails'})",
                  flush=True)


def run_grid(root: Path, grid_args: list[str], cache: Path, results: Path, envs: Path,
             log: Path) -> float:
    """``python -m matrix run`` from ``root`` (a checkout); seconds taken."""
    index = cache_root(ROOT) / "index"
    if index.is_dir() and not (cache / "index").exists():  # same release data, no fetch timed
        shutil.copytree(index, cache / "index")
    env = dict(os.environ, MATRIX_CACHE_DIR=str(cache), MATRIX_ENVS_DIR=str(envs))
    start = time.monotonic()
    with open(log, "a") as stream:
        subprocess.run([sys.executable, "-m", "matrix", "run", *grid_args, "--results",
                        str(results)], cwd=root, env=env, check=True, stderr=stream)
    return time.monotonic() - start


def stage_seconds(cache: Path) -> dict[str, tuple[int, float]]:
    """Entries and summed seconds of each build stage in a stage cache."""
    sums: dict[str, tuple[int, float]] = {}
    for stage in ("generate", "compile"):
        count, total = 0, 0.0
        for mark in (cache / stage).glob(f"*/{MARK}"):
            count += 1
            total += float(json.loads(mark.read_text())["data"]["duration_s"])
        sums[stage] = (count, total)
    return sums


def grid_figures(grid: str, keep: Path | None, log: Path, compilers_apart: bool = False,
                 kinds_apart: bool = False, pythons: str | None = None,
                 cythons: str | None = None) -> None:
    """Cold, floor and warm.  With ``kinds_apart`` the cold run is made in two parts likewise:
    CPython's cells, then the other interpreter kinds' (what PyPy and free-threaded CPython
    add to a cold run).  With ``compilers_apart`` the cold run is made in three parts on
    the same build cache and store, as one cold run would share them: the default compiler's
    cells first, then the sanitizer's, then the other compilers' (what each adds to a cold
    run)."""
    grid_args = ["--quick"] if grid == "quick" else []
    if cythons:
        grid_args += ["--cython", cythons]
    if pythons:  # a slice of the grid: these Pythons only
        grid_args += ["--python", pythons]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        results = keep or Path(tmp) / "results"
        if compilers_apart:
            gcc = run_grid(ROOT, [*grid_args, "--compiler", "gcc"], cache, results, ENVS, log)
            # The grid's AddressSanitizer cells (the default grid's choice of cells for it).
            asan = run_grid(ROOT, [*grid_args, "--cell", "*-gcc-asan"], cache, results, ENVS,
                            log)
            # The whole grid again on the same store: only its other compilers' cells remain.
            others = run_grid(ROOT, grid_args, cache, results, ENVS, log)
            cold = gcc + asan + others
            print(f"grid {grid}, cold, by compiler: gcc cells {gcc:.1f} s, then the gcc-asan"
                  f" cells {asan:.1f} s (+{asan / gcc:.0%}), then the clang and gcc14-errors"
                  f" cells {others:.1f} s (+{others / gcc:.0%}; C shared with gcc's)",
                  flush=True)
        elif kinds_apart:
            wanted = pythons.split(",") if pythons else ["*"]
            cpython = ",".join(label for label, i in discover_interpreters().items()
                               if i.kind.is_default
                               and any(python_matches(label, p) for p in wanted))
            # The later --python wins: CPython's cells of the selection first.
            first = run_grid(ROOT, [*grid_args, "--python", cpython], cache, results, ENVS,
                             log)
            # The whole grid again on the same store: only the other kinds' cells remain.
            others = run_grid(ROOT, grid_args, cache, results, ENVS, log)
            cold = first + others
            print(f"grid {grid}, cold, by interpreter kind: CPython cells {first:.1f} s, then"
                  f" the PyPy and free-threaded CPython cells {others:.1f} s:"
                  f" +{others / first:.0%}", flush=True)
        else:
            cold = run_grid(ROOT, grid_args, cache, results, ENVS, log)
        warm = run_grid(ROOT, grid_args, cache, results, ENVS, log)
        stages = stage_seconds(cache)
        modules = module_counts(load_records(results))
        cells = modules.cells
    (generates, generate_s), (compiles, compile_s) = stages["generate"], stages["compile"]
    floor = (generate_s + compile_s) / cores
    print(f"grid {grid}, cold (empty build cache and store, environments cached): {cold:.1f} s")
    print(f"  distinct generates: {generates} ({generate_s:.0f} s), distinct compiles:"
          f" {compiles} ({compile_s:.0f} s); floor = {generate_s:.0f}+{compile_s:.0f} s /"
          f" {cores} cores = {floor:.1f} s")
    if cells:
        print(f"  per cell ({cells} cells): {generates / cells:.1f} generates,"
              f" {compiles / cells:.1f} compiles")
    print(f"  cold / floor: {cold / floor:.2f}x")
    print(f"  warm re-run (nothing changed): {warm:.1f} s")
    if cells:
        print(f"  {module_text(modules)}", flush=True)


PLANNED_KINDS: tuple[str, ...] = ("default batch", "other configurations", "control",
                                  "alone by design")
"""The kinds of module a cell's plan makes (:func:`planned_kind`), in the order printed."""


def planned_kind(module: PlannedModule) -> str:
    """Which of :data:`PLANNED_KINDS` a module of :func:`matrix.build.modules.plan_modules` is
    (a plan made before any build: nothing isolated yet)."""
    if module.why == BATCHED:
        return "default batch"
    if module.batched:
        return "other configurations"
    return "control" if module.why == CONTROL_ALONE else "alone by design"


@dataclass(frozen=True)
class ModuleCounts:
    """The modules a grid's cells built: those its plan makes of each cell's cases before any
    build, by kind (:data:`PLANNED_KINDS`), and those its records name (splits of failing
    batches included)."""

    cells: int
    planned: dict[str, int]
    built: int

    @property
    def splits(self) -> int:
        return self.built - sum(self.planned.values())


def module_counts(records: dict[tuple[str, str], dict[str, object]],
                  cases_folder: Path = ROOT / "cases") -> ModuleCounts:
    """Count ``records``' (:func:`load_records`) modules per cell against the cells' plan
    (today's planner, the catalogue in ``cases_folder``)."""
    catalogue = {case.id: case for case in load_cases(cases_folder)}
    cases: dict[str, list[Case]] = {}
    modules: dict[str, set[str]] = {}
    for (case_id, cell_id), record in records.items():
        cases.setdefault(cell_id, []).append(catalogue[case_id])
        provenance = record.get("provenance")
        module = provenance.get("module") if isinstance(provenance, dict) else None
        if module:
            modules.setdefault(cell_id, set()).add(str(module))
    planned = dict.fromkeys(PLANNED_KINDS, 0)
    for cell_cases in cases.values():
        for module in plan_modules(sorted(cell_cases, key=lambda c: c.id)):
            planned[planned_kind(module)] += 1
    return ModuleCounts(len(cases), planned, sum(len(found) for found in modules.values()))


def module_text(counts: ModuleCounts) -> str:
    """``modules per cell: 7.9 built = 4.6 planned (...) + 3.3 from splitting failing
    batches``."""
    per_cell = counts.cells or 1
    kinds = ", ".join(f"{n / per_cell:.1f} {label}" for label, n in counts.planned.items())
    return (f"modules per cell: {counts.built / per_cell:.1f} built ="
            f" {sum(counts.planned.values()) / per_cell:.1f} planned ({kinds})"
            f" + {counts.splits / per_cell:.1f} from splitting failing batches")


@contextlib.contextmanager
def worktree_at(rev: str, folder: Path) -> Iterator[Path]:
    """A checkout of ``rev`` in ``folder`` (a git worktree), removed afterwards."""
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), rev], cwd=ROOT,
                   check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT,
                       check=False, capture_output=True)


def load_records(results: Path) -> dict[tuple[str, str], dict[str, object]]:
    """``(case, cell) -> record`` (as JSON) of a results folder, either layout (the newest of
    each)."""
    from matrix.store.results import ResultStore  # reads both layouts (an older engine's too)

    found: dict[tuple[str, str], dict[str, object]] = {}
    for stored in sorted(ResultStore(results).records(), key=lambda r: (r.timestamp, r.key)):
        found[(stored.case_id, stored.cell_id)] = stored.to_json()
    return found


def outcome_of(record: dict[str, object]) -> tuple[str, str]:
    return str(record["outcome"]), str(record.get("first_error") or "")


def load_outcomes(results: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """``(case, cell) -> (outcome, first error)`` of a results folder's records."""
    return {key: outcome_of(record) for key, record in load_records(results).items()}


def remeasure(records: dict[tuple[str, str], dict[str, object]], tries: int = 3
              ) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Each record's (case, cell) measured ``tries`` times more by this engine, in one fresh
    build cache per cell (built once, run ``tries`` times): what a difference between two
    engines is checked against before it is called one (crater's spurious results)."""
    from matrix.plan.grid import plan_cell
    from matrix.plan.index import load_index

    interpreters = discover_interpreters()
    index = load_index(cache_root(ROOT) / "index", offline=True)
    cases = {case.id: case for case in load_cases(ROOT / "cases")}
    settings = EngineSettings()
    toolchain = Toolchain.detect(settings)
    again: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for (case_id, cell_id), record in records.items():
        numpy_build, numpy_run = record.get("numpy_build"), record.get("numpy_run")
        cell = Cell(str(record["python"]), str(record["cython"]),
                    str(numpy_build) if numpy_build else None,
                    str(numpy_run) if numpy_run else None, str(record.get("compiler") or "gcc"))
        planned = plan_cell(cell, interpreters[cell.python], index, interpreters.values())
        with tempfile.TemporaryDirectory() as tmp:
            layout = Layout(cases=ROOT / "cases", cache=Path(tmp), results=Path(tmp) / "results",
                            shared_envs=ENVS)
            again[(case_id, cell_id)] = [
                outcome_of(json.loads(found.to_line()))
                for _ in range(tries)
                for found in measure_cell(planned, [cases[case_id]], layout, settings, toolchain)]
    return again


def spurious(previous: tuple[str, str], this: tuple[str, str],
             again: list[tuple[str, str]]) -> bool:
    """A difference is spurious unless measuring again reproduces this engine's result every
    time (and never the previous one): a case whose result depends on what ran before it in
    the process (``pointer-to-numpy-guide`` reads a shape from uninitialized memory) is not
    a difference between the engines."""
    return not again or any(result != this for result in again) or previous in again


def floor_of(cache: Path, cores: int) -> tuple[str, float]:
    (generates, generate_s), (compiles, compile_s) = (stage_seconds(cache)[stage]
                                                      for stage in ("generate", "compile"))
    floor = (generate_s + compile_s) / cores
    return (f"{generates:,} generates ({generate_s:,.0f} s) + {compiles:,} compiles"
            f" ({compile_s:,.0f} s) over {cores} cores = {floor:,.0f} s", floor)


def timed_command(argv: list[str], rounds: int = 5) -> float:
    """The median wall time of ``argv`` run from the checkout (seconds)."""
    times = []
    for _ in range(rounds):
        start = time.monotonic()
        subprocess.run(argv, cwd=ROOT, capture_output=True, check=False)
        times.append(time.monotonic() - start)
    return statistics.median(times)


def default_grid_comparison(rev: str, log: Path, pythons: str | None, target: str) -> int:
    """The default grid's gcc cells cold (empty build cache and store, environments cached) with
    the engine at ``rev`` and with this one, both on the catalogue at ``rev``: times, floors,
    modules and compiles per cell, and the outcomes compared (a difference is measured 3 times
    more by this engine; 1 if one is reproduced steadily).  ``target`` names the time ratio
    wanted (printed beside it)."""
    grid_args = ["--offline", "--compiler", "gcc", *(["--python", pythons] if pythons else [])]
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp, worktree_at(rev, Path(tmp) / "old") as old:
        base = Path(tmp)
        # Both engines measure the same catalogue: the one at ``rev``.
        grid_args += ["--cases", str(old / "cases")]
        times, floors, outcomes = {}, {}, {}
        for name, root in (("previous", old), ("this", ROOT)):
            cache, results = base / f"{name}-cache", base / f"{name}-results"
            times[name] = run_grid(root, grid_args, cache, results, ENVS, log)
            floors[name] = floor_of(cache, cores)
            outcomes[name] = load_records(results)
            engine = f"at {rev}" if name == "previous" else "here"
            counts = module_counts(outcomes[name], old / "cases")
            compiles = stage_seconds(cache)["compile"][0]
            print(f"default grid, gcc cells, cold, engine {engine}: {times[name]:,.1f} s"
                  f" ({len(outcomes[name]):,} records); floor {floors[name][0]};"
                  f" {compiles / max(counts.cells, 1):.1f} compiles per cell;"
                  f" {module_text(counts)}", flush=True)
    print(f"  this / previous: {times['this'] / times['previous']:.2f}x the time (target:"
          f" {target}); floor {floors['this'][1] / floors['previous'][1]:.2f}x")
    both = outcomes["previous"].keys() & outcomes["this"].keys()
    differ = sorted(k for k in both if outcome_of(outcomes["previous"][k])
                    != outcome_of(outcomes["this"][k]))
    again = remeasure({k: outcomes["this"][k] for k in differ})
    confirmed = [k for k in differ if not spurious(outcome_of(outcomes["previous"][k]),
                                                   outcome_of(outcomes["this"][k]), again[k])]
    print(f"  records both measured: {len(both):,}; same outcome and first error:"
          f" {len(both) - len(differ):,}; different: {len(differ)}, each measured 3 times"
          f" more by this engine: {len(differ) - len(confirmed)} spurious (not reproduced"
          f" steadily), {len(confirmed)} confirmed")
    for key in differ:
        case_id, cell_id = key
        verdict = "confirmed" if key in confirmed else "spurious"
        print(f"    {verdict}: {case_id} in {cell_id}: {outcome_of(outcomes['previous'][key])}"
              f" -> {outcome_of(outcomes['this'][key])}; again: {again[key]}")
    return 1 if confirmed else 0


def classes_figures(rev: str, log: Path, pythons: str | None) -> int:
    """Generation classes: the default grid compared with the engine at ``rev``
    (:func:`default_grid_comparison`, target at most 0.60x); the quick grid cold from
    nothing; query times.  1 if outcomes differ."""
    status = default_grid_comparison(rev, log, pythons, "at most 0.60x")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        quick = run_grid(ROOT, ["--offline", "--quick"], base / "cache", base / "results",
                         base / "envs", log)
        count = len(load_outcomes(base / "results"))
    print(f"quick grid cold from nothing (empty build cache, store and environments; uv's"
          f" download cache kept): {quick:.1f} s ({count} records; target: at most 120 s)")
    query = timed_command([sys.executable, "-m", "report", "query", "--python", ">=3.8",
                           "--cython", ">=3.0"])
    helps = timed_command([sys.executable, "-m", "report", "query", "--help"])
    print(f"report query --python '>=3.8' --cython '>=3.0' over docs/compat.json: {query:.2f} s;"
          f" --help {helps:.2f} s (medians of 5; target: at most 0.5 s)")
    return status


def engines_figures(rev: str, log: Path) -> None:
    """The engine at ``rev`` against this one on ``--quick``, both on the catalogue at ``rev``
    (an engine at another revision may not read this one's cases) and with a fresh build cache;
    each first warms its own environments (their layouts differ) in a throwaway run."""
    with tempfile.TemporaryDirectory() as tmp, worktree_at(rev, Path(tmp) / "old") as old:
        base = Path(tmp)
        grid_args = ["--quick", "--cases", str(old / "cases")]
        times = {}
        for name, root, envs in (("previous", old, base / "old-envs"), ("this", ROOT, ENVS)):
            run_grid(root, grid_args, base / f"{name}-warmup", base / f"{name}-w", envs, log)
            times[name] = run_grid(root, grid_args, base / f"{name}-cache",
                                   base / f"{name}-results", envs, log)
        cases = len(load_cases(old / "cases"))
    print(f"quick grid cold, the catalogue at {rev} ({cases} cases), engine at {rev}:"
          f" {times['previous']:.1f} s; this engine: {times['this']:.1f} s"
          f" ({times['previous'] / times['this']:.2f}x)")


def warm_rerun_figures(rev: str, rounds: int) -> None:
    """The published default grid re-run with nothing to measure (planning, index, store
    lookups: what every scheduled run and every ``nox -s matrix`` pays first), by the code at
    ``rev`` and by this checkout, alternating ``rounds`` times on copies of the same store, so
    both see the same machine load; prints the medians and their ratio."""
    with tempfile.TemporaryDirectory() as tmp, worktree_at(rev, Path(tmp) / "old") as old:
        base = Path(tmp)
        times: dict[str, list[float]] = {"previous": [], "this": []}
        for name in times:
            shutil.copytree(ROOT / "results", base / f"{name}-results")
        for _ in range(rounds):
            for name, root in (("previous", old), ("this", ROOT)):
                start = time.monotonic()
                done = subprocess.run(
                    [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                     " from matrix.cli import main; raise SystemExit(main(sys.argv[2:]))",
                     str(root), "run", "--offline", "--results", str(base / f"{name}-results")],
                    cwd=root, capture_output=True, text=True,
                    env={**os.environ, "MATRIX_CACHE_DIR": str(cache_root(ROOT))})
                times[name].append(time.monotonic() - start)
                if done.returncode != 0 or " 0 records written" not in done.stderr:
                    raise SystemExit(f"warm re-run at {name} measured something or failed:"
                                     f"\n{done.stderr[-2000:]}")
    previous, this = statistics.median(times["previous"]), statistics.median(times["this"])
    print(f"default grid re-run, nothing to measure ({rounds} rounds, medians): code at {rev}"
          f" {previous:.2f} s; this checkout {this:.2f} s ({this / previous:.2f}x the time)")


class RunStageTimer:
    """Runs one built module's cases with this runner (timed as "after"), then each case with
    the old runner in a fresh interpreter of its own (timed as "before")."""

    def __init__(self, old_runner: Path) -> None:
        self.old_runner = old_runner
        self.before = self.after = 0.0
        self.cases = self.modules = 0

    def __call__(self, python: Path, directory: Path, module: str, symbols: list[str],
                 timeout_s: float, retry: Retry, servers: RunnerServers) -> dict[str, CaseRun]:
        start = time.monotonic()
        runs = run_cases(python, directory, module, symbols, timeout_s, retry, servers)
        self.after += time.monotonic() - start
        start = time.monotonic()
        for symbol in symbols:
            subprocess.run([str(python), str(self.old_runner), "run", str(directory), module,
                            symbol], capture_output=True, timeout=timeout_s + 120)
        self.before += time.monotonic() - start
        self.cases += len(symbols)
        self.modules += 1
        return runs


def run_stage_figures(grid: str, per_kind: int, rev: str) -> None:
    """The run stage alone, before and after the fork-per-case runner, on the same modules.

    For a spread sample of the grid's cells of each kind, every cell is measured by the
    engine (builds come from the stage cache, so a grid run must have filled it); each built
    module's cases are run by this runner (one process per module, a child per case) and,
    right after, by the runner at ``rev`` (one fresh interpreter per case, as before).  Only
    those calls are timed."""
    from matrix.cli import build_parser
    from matrix.cli.options import selection_from
    from matrix.plan.scope import plan_selection

    with tempfile.TemporaryDirectory() as tmp:
        old_runner = Path(tmp) / "runner.py"
        for where in ("matrix/run/inenv/runner.py", "matrix/inenv/runner.py"):  # then, before
            shown = subprocess.run(["git", "show", f"{rev}:{where}"], cwd=ROOT,
                                   capture_output=True)
            if shown.returncode == 0:
                old_runner.write_bytes(shown.stdout)
                break
        else:
            raise SystemExit(f"{rev}: no runner found at that revision")
        args = build_parser().parse_args(
            ["list", "--offline", *(["--quick"] if grid == "quick" else [])])
        layout = Layout.default()
        layout = Layout(cases=layout.cases, cache=layout.cache, results=Path(tmp) / "results",
                        shared_envs=layout.shared_envs)
        cells = plan_selection(selection_from(args), layout.cache / "index",
                               offline=args.offline).cells
        cases = load_cases(ROOT / "cases")
        settings = EngineSettings()
        toolchain = Toolchain.detect(settings)
        print(f"run stage, grid {grid} ({len(cells)} cells), this runner vs the runner at {rev}:")
        for kind in ("core", "numpy", "abi"):
            of_kind = [c for c in cells if c.cell.kind == kind and c.not_possible is None]
            step = max(1, len(of_kind) // per_kind)
            sample = of_kind[::step][:per_kind]
            timer = RunStageTimer(old_runner)

            for planned in sample:
                CellMeasurement(planned, cases, layout, settings, toolchain,
                                run_module=timer).measure()
            ratio = timer.before / timer.after if timer.after else float("nan")
            print(f"  {kind:5} {len(sample):3} of {len(of_kind)} cells, {timer.cases} case runs"
                  f" in {timer.modules} modules: before {timer.before:.1f} s, after"
                  f" {timer.after:.1f} s ({ratio:.1f}x faster)", flush=True)


def catalogue_at(rev: str, folder: Path) -> Path:
    """``cases/`` as it was at git revision ``rev``, exported into ``folder``."""
    archive = subprocess.run(["git", "archive", rev, "cases"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "cases"


def growth_figures(rev: str, grid: str, log: Path) -> None:
    """The catalogue's growth: the cold grid (empty build cache and store, environments cached)
    with ``cases/`` as at ``rev``, then with this catalogue, by this engine in one run; time per
    case and per record, and compiles per cell (new cases ride in the batched modules, so the
    time per case should not rise)."""
    grid_args = ["--offline", *(["--quick"] if grid == "quick" else [])]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        old = catalogue_at(rev, base / "old")
        for run, (name, cases) in enumerate(((f"cases at {rev}", old),
                                             ("this catalogue", ROOT / "cases"))):
            cache, results = base / f"cache-{run}", base / f"results-{run}"
            seconds = run_grid(ROOT, [*grid_args, "--cases", str(cases)], cache, results, ENVS,
                               log)
            count = len(load_cases(cases))
            records = load_outcomes(results)
            cells = len({cell for _, cell in records})
            compiles = stage_seconds(cache)["compile"][0]
            print(f"grid {grid} cold, {name}: {count} cases, {len(records)} records in {cells}"
                  f" cells: {seconds:.1f} s; {seconds / count:.2f} s per case,"
                  f" {seconds / max(len(records), 1):.3f} s per record;"
                  f" {compiles / max(cells, 1):.1f} compiles per cell", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", choices=["quick", "default"], default="quick")
    parser.add_argument("--python", default="3.11")
    parser.add_argument("--cython", default="3.2.9")
    parser.add_argument("--baseline-rev", help="also time the engine at this git revision")
    parser.add_argument("--keep-results", type=Path,
                        help="keep the cold run's records here (e.g. to publish them)")
    parser.add_argument("--skip-cell", action="store_true", help="skip the one-cell figure")
    parser.add_argument("--run-stage-only", action="store_true",
                        help="only the run-stage figure (needs the grid's builds in .cache/)")
    parser.add_argument("--run-stage-rev", default="a433f4a",
                        help="the revision whose runner is the 'before' of the run stage")
    parser.add_argument("--run-stage-cells", type=int, default=20,
                        help="cells per kind sampled for the run-stage figure")
    parser.add_argument("--kinds-apart", action="store_true",
                        help="time the cold grid's CPython cells, then the other interpreter"
                        " kinds' (PyPy, free-threaded CPython) on the same cache")
    parser.add_argument("--grid-python",
                        help="a slice of the grid: only these Pythons (run's --python), e.g."
                        " '3.11,pypy3.11' to set one kind's rows beside CPython's")
    parser.add_argument("--grid-cython", help="a slice of the grid: only these Cythons")
    parser.add_argument("--compilers-apart", action="store_true",
                        help="time the cold grid's gcc cells, its gcc-asan cells and its other"
                        " compilers' cells apart (same cache and store)")
    parser.add_argument("--skip-run-stage", action="store_true",
                        help="skip the run-stage figure")
    parser.add_argument("--warm-baseline-rev",
                        help="only: the default grid's warm re-run (nothing to measure) at this"
                        " git revision against this checkout, alternating (see --rounds)")
    parser.add_argument("--classes-rev",
                        help="only: the generation-class figures against the engine at this"
                        " git revision (see the module's docstring, item 5)")
    parser.add_argument("--engines-rev",
                        help="only: the default grid's gcc cells cold with the engine at this git"
                        " revision and with this one, on the catalogue at it (target: no"
                        " slower; outcomes compared)")
    parser.add_argument("--cases-rev",
                        help="only: the cold grid with cases/ as at this git revision, then with"
                        " this catalogue (time per case before and after the catalogue grew)")
    parser.add_argument("--rounds", type=int, default=8,
                        help="alternating rounds of --warm-baseline-rev (default: %(default)s)")
    parser.add_argument("--log", type=Path, default=Path(tempfile.gettempdir()) / "bench.log",
                        help="where the runs' progress goes")
    args = parser.parse_args()
    print(f"progress of the runs: {args.log}", flush=True)
    if args.warm_baseline_rev:
        warm_rerun_figures(args.warm_baseline_rev, args.rounds)
        return 0
    if args.classes_rev:
        return classes_figures(args.classes_rev, args.log, args.grid_python)
    if args.engines_rev:
        return default_grid_comparison(args.engines_rev, args.log, args.grid_python,
                                       "at most 1.00x: no slower")
    if args.cases_rev:
        growth_figures(args.cases_rev, args.grid, args.log)
        return 0
    if args.run_stage_only:
        run_stage_figures(args.grid, args.run_stage_cells, args.run_stage_rev)
        return 0
    if not args.skip_cell:
        cell_figures(args.python, args.cython)
        shared_utility_figures(args.python, args.cython)
    if args.baseline_rev:
        engines_figures(args.baseline_rev, args.log)
    grid_figures(args.grid, args.keep_results, args.log, args.compilers_apart, args.kinds_apart,
                 args.grid_python, args.grid_cython)
    if not args.skip_run_stage:
        run_stage_figures(args.grid, args.run_stage_cells, args.run_stage_rev)
    return 0


if __name__ == "__main__":
    sys.exit(main())
