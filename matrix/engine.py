"""Measure cells: make environments, build the cases, probe them, and emit records.

The engine knows nothing about particular cases; it only follows the case contract.
"""

from __future__ import annotations

import datetime
import hashlib
import platform
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matrix.build import BuildSettings, CaseBuild, ModuleBuild, build_cases
from matrix.cases import Case
from matrix.cells import Cell
from matrix.envs import RUNNER, EnvFailure, Environment, EnvSpec, ensure_env
from matrix.errors import MatrixError
from matrix.interpreters import Interpreter
from matrix.outcomes import Outcome
from matrix.paths import Layout
from matrix.probe import CaseRun, run_case
from matrix.procs import run_process
from matrix.records import Behaviour, Record, content_key


def runner_hash() -> str:
    """Changing the in-environment runner invalidates every stored measurement."""
    return hashlib.sha256(RUNNER.read_bytes()).hexdigest()[:12]


def compiler_version(cc: str, exe: str) -> str:
    """``gcc 12.2.0``; the compiler is part of every record's provenance and key."""
    out = subprocess.run([exe, "-dumpfullversion", "-dumpversion"], capture_output=True, text=True)
    return f"{Path(cc).name} {out.stdout.strip() or 'unknown'}"


def host_machine() -> str:
    """``Linux-x86_64``: results from another OS or architecture are other measurements."""
    return f"{platform.system()}-{platform.machine()}"


@dataclass(frozen=True)
class EngineSettings:
    """How cells are measured; part of provenance."""

    build: BuildSettings = BuildSettings()
    run_timeout_s: float = 60.0


@dataclass(frozen=True)
class Toolchain:
    """Host facts shared by every cell of a run."""

    cc_version: str
    runner_hash: str
    machine: str = field(default_factory=host_machine)

    @classmethod
    def detect(cls, settings: EngineSettings) -> Toolchain:
        """Raises ``MatrixError`` up front when there is no C compiler: nothing could be built."""
        exe = shutil.which(settings.build.cc)
        if exe is None:
            raise MatrixError(f"C compiler '{settings.build.cc}' not found on PATH: install gcc"
                              " (Debian: apt-get install gcc) or set CC")
        return cls(compiler_version(settings.build.cc, exe), runner_hash())


_SITE_PACKAGES = re.compile(r"(?:/[^\s'\"`:/]+)+/site-packages/")


def normalize_error(line: str | None, module: ModuleBuild) -> str | None:
    """Drop the build folder, environment paths and the hashed module name: equal failures read
    the same on every machine (``.../site-packages/numpy/__init__.pxd`` -> ``numpy/...``)."""
    if line is None:
        return None
    line = (line.replace(str(module.directory) + "/", "")
            .replace(str(module.directory), ".")
            .replace(module.module, "<module>"))
    return _SITE_PACKAGES.sub("", line)


def blame_import_error(error: str, batch_mates: Sequence[Case]) -> frozenset[str]:
    """Cases to build alone after their shared module failed to import.

    An ``undefined symbol: X`` names its culprit: the cases whose code mentions ``X``.  Any
    other import error cannot be attributed, so every case of the batch is built alone.
    """
    match = re.search(r"undefined symbol: (\w+)", error)
    if match:
        culprits = frozenset(c.id for c in batch_mates if match.group(1) in c.code)
        if culprits:
            return culprits
    return frozenset(c.id for c in batch_mates)


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_log(layout: Layout, cell: Cell, case: Case, text: str) -> str | None:
    if not text:
        return None
    relative = Path("logs") / cell.id / f"{case.id}.log"
    path = layout.cache / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(relative)


def cython_smoke(env: Environment) -> str | None:
    """Cythonize an empty module; the failure line if this Cython cannot run on this Python."""
    mark = env.path / "mm-cython-ok"
    if mark.exists():
        return None
    probe_dir = env.path / "mm-smoke"
    probe_dir.mkdir(exist_ok=True)
    (probe_dir / "mm_smoke.pyx").write_text("x = 1\n")
    done = run_process([str(env.python), "-m", "cython", "mm_smoke.pyx"], timeout_s=300,
                       cwd=probe_dir)
    if done.returncode == 0:
        mark.write_text("ok\n")
        return None
    lines = [line.strip() for line in done.output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"cython exited {done.returncode}"


class CellMeasurement:
    """Measures one cell; every path out of it yields one record per case."""

    def __init__(self, cell: Cell, cases: Sequence[Case], interpreter: Interpreter,
                 layout: Layout, settings: EngineSettings, toolchain: Toolchain) -> None:
        self.cell = cell
        self.cases = [case for case in cases if cell.wants(case)]
        self.by_id = {case.id: case for case in self.cases}
        self.interpreter = interpreter
        self.layout = layout
        self.settings = settings
        self.toolchain = toolchain

    def provenance(self, build_env: Environment | None, run_env: Environment | None,
                   build: CaseBuild | None) -> dict[str, object]:
        data: dict[str, object] = {
            "python_version": str(self.interpreter.version),
            "cc": self.toolchain.cc_version,
            "cflags": list(self.settings.build.cflags),
            "runner_hash": self.toolchain.runner_hash,
            "machine": self.toolchain.machine,
            "build_tool": "cython CLI + direct cc",
        }
        if build_env is not None:
            info = build_env.info
            data.update(
                platform=info.platform,
                cython_version=info.cython,
                numpy_build_version=info.numpy,
                setuptools=info.setuptools,
                pip=info.pip,
                env_backend=build_env.backend,
            )
        if run_env is not None and run_env is not build_env:
            data.update(numpy_run_version=run_env.info.numpy, run_env_backend=run_env.backend)
        elif build_env is not None:
            data["numpy_run_version"] = build_env.info.numpy
        if build is not None:
            data.update(batched=build.batched, module=build.module.module)
        return data

    def key(self, case: Case) -> str:
        """The content key of ``case`` in this cell: everything that can change the result."""
        return content_key(
            case_hash=case.content_hash,
            runner_hash=self.toolchain.runner_hash,
            python_version=str(self.interpreter.version),
            cython=self.cell.cython,
            numpy_build=self.cell.numpy_build,
            numpy_run=self.cell.numpy_run,
            cc=self.toolchain.cc_version,
            cflags=self.settings.build.cflags,
            machine=self.toolchain.machine,
        )

    def record(self, case: Case, outcome: Outcome, first_error: str | None, *,
               behaviour: Behaviour | None = None, provenance: dict[str, object],
               log: str, duration_s: float) -> Record:
        return Record(
            key=self.key(case),
            case_id=case.id,
            case_hash=case.content_hash,
            cell_id=self.cell.id,
            cell_kind=self.cell.kind,
            python=self.cell.python,
            cython=self.cell.cython,
            numpy_build=self.cell.numpy_build,
            numpy_run=self.cell.numpy_run,
            outcome=outcome,
            first_error=first_error,
            behaviour=behaviour or Behaviour(),
            provenance=provenance,
            log=_write_log(self.layout, self.cell, case, log),
            duration_s=round(duration_s, 3),
            timestamp=_now(),
        )

    def untried(self, outcome: Outcome, reason: str, log: str,
                build_env: Environment | None = None, decided_by: str = "measurement"
                ) -> list[Record]:
        """One record per case for a cell whose cases could not be tried."""
        provenance = self.provenance(build_env, None, None)
        provenance["decided_by"] = decided_by
        return [self.record(case, outcome, reason, provenance=provenance, log=log, duration_s=0.0)
                for case in self.cases]

    def environment(self, spec: EnvSpec) -> Environment | EnvFailure:
        return ensure_env(spec, self.layout.envs)

    def measure(self) -> list[Record]:
        if not self.cases:
            return []
        build_spec = EnvSpec(self.interpreter, self.cell.cython, self.cell.numpy_build)
        build_env = self.environment(build_spec)
        if isinstance(build_env, EnvFailure):
            outcome = Outcome.NOT_POSSIBLE if build_env.not_possible else Outcome.ENV_ERROR
            return self.untried(outcome, build_env.reason, build_env.log)
        smoke = cython_smoke(build_env)
        if smoke is not None:
            reason = (f"Cython {self.cell.cython} cannot run on Python"
                      f" {self.interpreter.version}: {smoke}")
            return self.untried(Outcome.NOT_POSSIBLE, reason, smoke, build_env)
        run_env = build_env
        if self.cell.kind == "abi":
            candidate = self.environment(EnvSpec(self.interpreter, None, self.cell.numpy_run))
            if isinstance(candidate, EnvFailure):
                outcome = Outcome.NOT_POSSIBLE if candidate.not_possible else Outcome.ENV_ERROR
                return self.untried(outcome, candidate.reason, candidate.log, build_env)
            run_env = candidate
        isolate: frozenset[str] = frozenset()
        while True:
            builds = build_cases(build_env, self.cases, self.layout.builds, self.settings.build,
                                 isolate)
            runs = self.run_all(builds, run_env)
            # One case's import-time failure must not be blamed on its batch mates.  (In an ABI
            # cell an import error is the numpy build/run mismatch and belongs to all of them.)
            failed = [self.by_id[case_id] for case_id, run in runs.items()
                      if run.outcome is Outcome.IMPORT_ERROR and builds[case_id].batched]
            if self.cell.kind == "abi" or not failed:
                break
            isolate |= blame_import_error(runs[failed[0].id].first_error or "", failed)
        records = []
        for case in self.cases:
            build = builds[case.id]
            module = build.module
            share = module.duration_s / len(module.case_ids)
            provenance = self.provenance(build_env, run_env, build)
            run = runs.get(case.id)
            if run is None:
                records.append(self.record(case, module.outcome,
                                           normalize_error(module.first_error, module),
                                           provenance=provenance, log=module.log,
                                           duration_s=share))
                continue
            records.append(self.record(
                case, run.outcome, normalize_error(run.first_error, module),
                behaviour=Behaviour.from_probes(run.probes), provenance=provenance,
                log=module.log + run.log, duration_s=share + run.duration_s,
            ))
        return records

    def run_all(self, builds: dict[str, CaseBuild], run_env: Environment) -> dict[str, CaseRun]:
        """Probe every case whose module built, each in its own process."""
        runs: dict[str, CaseRun] = {}
        for case in self.cases:
            module = builds[case.id].module
            if module.outcome is Outcome.OK:
                runs[case.id] = run_case(run_env.python, module.directory, module.module,
                                         case.symbol, self.settings.run_timeout_s)
        return runs


def measure_cell(cell: Cell, cases: Sequence[Case], interpreter: Interpreter, layout: Layout,
                 settings: EngineSettings, toolchain: Toolchain) -> list[Record]:
    """Measure every case that ``cell`` holds; never raises for a case's own failure."""
    return CellMeasurement(cell, cases, interpreter, layout, settings, toolchain).measure()
