"""Measure cells: make environments, build the cases, probe them, and emit records.

The engine knows nothing about particular cases; it only follows the case contract.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import os
import platform
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from matrix.build.cc import ToolInstallError, zig_tool
from matrix.build.compile import CompileSettings
from matrix.build.envs import RUNNER, EnvFailure, Environment, EnvSpec, ensure_env, with_builds
from matrix.build.generate import PxdTree, generate_many, pxd_tree
from matrix.build.invariance import (
    CLASS_GENERATION,
    GenerationClass,
    GeneratorChoice,
    Untriable,
    choose_generator,
    cython_runs,
)
from matrix.build.modules import (
    BuildContext,
    BuildSettings,
    CaseBuild,
    ModuleBuild,
    build_cases,
    plan_modules,
)
from matrix.model.buildsource import PROVENANCE_FIELD, Build, key_material
from matrix.model.cases import Case
from matrix.model.cells import Cell
from matrix.model.compilers import sanitizer_env
from matrix.model.compilers import spec as compiler_spec
from matrix.model.errorline import drop_folders, drop_site_packages, stored_line
from matrix.model.errors import MatrixError
from matrix.model.measurement import Measurement
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry
from matrix.model.records import Behaviour, Record
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.devbuilds import provenance_of, uses
from matrix.plan.grid import PlannedCell
from matrix.run.probe import (
    CaseRun,
    RunnerServers,
    process_servers,
    run_cases,
    sanitizer_log_prefix,
)
from matrix.store.paths import Layout


def runner_hash() -> str:
    """Changing the in-environment runner invalidates every stored measurement."""
    return hashlib.sha256(RUNNER.read_bytes()).hexdigest()[:12]


def compiler_version(cc: str, exe: str) -> str:
    """``gcc 12.2.0``; the compiler is part of every record's provenance and key."""
    out = subprocess.run([exe, "-dumpfullversion", "-dumpversion"], capture_output=True, text=True)
    return f"{Path(cc).name} {out.stdout.strip() or 'unknown'}"


@functools.cache
def libasan_path(cc: str) -> str | None:
    """AddressSanitizer's runtime that ``cc`` links against (``gcc -print-file-name=libasan.so``),
    preloaded into a ``gcc-asan`` cell's Python; ``None`` when the compiler has none."""
    try:
        out = subprocess.run([cc, "-print-file-name=libasan.so"], capture_output=True, text=True,
                             timeout=TIMEOUTS.probe_machine)
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


def host_machine() -> str:
    """``Linux-x86_64``: results from another OS or architecture are other measurements."""
    return f"{platform.system()}-{platform.machine()}"


@dataclass(frozen=True)
class EngineSettings:
    """How cells are measured; part of provenance."""

    build: BuildSettings = BuildSettings()
    run_timeout_s: float = TIMEOUTS.run
    retry: Retry = DEFAULT_RETRY
    """Pauses before a transient failure is tried again (not a key input: it changes when a
    result is recorded, not what)."""
    builds: tuple[Build, ...] = ()
    """Development builds (``--cython-from``, ``--numpy-from``: :mod:`matrix.plan.devbuilds`)
    installed wherever a cell pins their version; each cell's wheels are in its key and
    provenance (:func:`cell_builds`)."""


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


def measurement_of(planned: PlannedCell, cases: Sequence[Case], settings: EngineSettings,
                   toolchain: Toolchain) -> Measurement:
    """What ``planned`` measures of ``cases`` on this host: the cases it holds, their keys and
    identities (no engine object is built to ask)."""
    return Measurement.of(planned.cell, planned.interpreter.id, cases,
                          system_cc=toolchain.cc_version, runner_hash=toolchain.runner_hash,
                          machine=toolchain.machine, cflags=settings.build.cflags,
                          run_timeout_s=settings.run_timeout_s,
                          builds=key_material(cell_builds(planned, settings)))


def cell_builds(planned: PlannedCell, settings: EngineSettings) -> list[dict[str, object]]:
    """The development builds ``planned`` uses, as its records' provenance names them (the
    ``builds`` entry; empty for a cell of index releases)."""
    if not settings.builds:
        return []
    return provenance_of(uses(settings.builds, planned.cell, planned.interpreter.id))


_CIMPORTS_NUMPY = re.compile(r"^\s*(?:cimport numpy|from numpy cimport)", re.MULTILINE)


def module_error(line: str | None, module: ModuleBuild) -> str | None:
    """A module's error line as records store it: without the build folder, environment paths
    or the hashed module name, so equal failures read the same on every machine."""
    if line is None:
        return None
    line = drop_folders(line, [module.directory]).replace(module.module, "<module>")
    return drop_site_packages(line)


def blame_import_error(error: str, batch_mates: Sequence[Case]) -> frozenset[str]:
    """Suspects to build alone after their shared module failed to import.

    An ``undefined symbol: X`` points at the cases whose code mentions ``X``; a numpy import
    failure ("numpy.dtype size changed", "numpy.core.multiarray failed to import") at the
    cases that ``cimport numpy`` (their module's init checks numpy's ABI); another type's size
    check ("array.array size changed": PyPy's ``array.array`` is not CPython's) at the cases
    that cimport that module.  The rest is run
    again as a batch, so a wrong suspicion costs a loop, never a wrong record; with no
    suspect, every case of the batch is built alone.
    """
    match = re.search(r"undefined symbol: (\w+)", error)
    changed = re.search(r"\b(\w+)\.\w+ size changed", error)
    if match:
        suspects = frozenset(c.id for c in batch_mates if match.group(1) in c.code)
    elif "numpy" in error:
        suspects = frozenset(c.id for c in batch_mates if _CIMPORTS_NUMPY.search(c.code))
    elif changed:  # "array.array size changed": the cases that cimport that module's type
        cimports = re.compile(rf"^\s*(from\s+\S+\s+)?cimport\b.*\b{changed.group(1)}\b",
                              re.MULTILINE)
        suspects = frozenset(c.id for c in batch_mates if cimports.search(c.code))
    else:
        suspects = frozenset()
    return suspects or frozenset(c.id for c in batch_mates)


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


class CellMeasurement:
    """Measures one cell; every path out of it yields one record per case.

    A cell is built in two stages: the C is *generated* by the cell's Cython under the generator
    of its Python's generation class (:mod:`matrix.build.invariance`: the Pythons measured to get
    byte-identical C from that release), then *compiled*, imported and run on the cell's Python.
    Where that Cython does not install or run on the cell's Python, the cell is still measured,
    with the C of the release's newest usable CPython: a *shipped-C* cell (``Record.shipped_c``
    says why Cython itself could not be used).
    """

    def __init__(self, planned: PlannedCell, cases: Sequence[Case], layout: Layout,
                 settings: EngineSettings, toolchain: Toolchain,
                 choice: GeneratorChoice | Untriable | None = None,
                 run_module: Callable[..., dict[str, CaseRun]] = run_cases,
                 servers: RunnerServers | None = None) -> None:
        self.planned = planned
        self.cell = planned.cell
        self.measurement = measurement_of(planned, cases, settings, toolchain)
        """The cases this cell holds, their keys and identities."""
        self.cases = list(self.measurement.cases)
        self.by_id = {case.id: case for case in self.cases}
        self.interpreter = planned.interpreter
        self.layout = layout
        self.settings = settings
        self.toolchain = toolchain
        self.choice = choice
        self.generation: GenerationClass | None = None
        """The generation class whose C this cell compiles (once chosen: :meth:`measure`)."""
        self.run_module = run_module
        """How one built module's cases are run (:func:`matrix.run.probe.run_cases`; the
        benchmark wraps it to time the run stage)."""
        self.compiler = compiler_spec(self.cell.compiler)
        self.servers = servers if servers is not None else process_servers(self.run_env_vars())
        """Runner servers: numpy imported once per environment, not once per module (the
        servers of a sanitizer's cells are apart: their Pythons run with its runtime)."""

    @property
    def cflags(self) -> tuple[str, ...]:
        """The run's flags plus the cell's compiler's own (GCC 14's error defaults)."""
        return self.measurement.cflags

    @property
    def cc_version(self) -> str:
        return self.measurement.cc

    def provenance(self, target: Environment | None, run_env: Environment | None,
                   build: CaseBuild | None) -> dict[str, object]:
        data: dict[str, object] = {
            "python_version": str(self.interpreter.version),
            "python_source": self.interpreter.source or "unknown",
            "cc": self.measurement.cc,
            "compiler": self.cell.compiler,
            "cflags": list(self.measurement.cflags),
            "runner_hash": self.measurement.runner_hash,
            "machine": self.measurement.machine,
            "build_tool": "cython CLI + direct cc",
            "engine_version": self.measurement.engine_version,
            "run_timeout_s": self.measurement.run_timeout_s,
        }
        builds = cell_builds(self.planned, self.settings)
        if builds:  # a development build: named exactly, its wheels' sha256 in the key
            data[PROVENANCE_FIELD] = builds
        if self.interpreter.implementation_version:  # PyPy's own release: part of its key
            data["implementation_version"] = self.interpreter.implementation_version
        if target is not None:
            info = target.info
            data.update(platform=info.platform, numpy_build_version=info.numpy,
                        pip=info.pip, env_backend=target.backend)
        if run_env is not None and run_env is not target:
            data.update(numpy_run_version=run_env.info.numpy, run_env_backend=run_env.backend)
        elif target is not None:
            data["numpy_run_version"] = target.info.numpy
        if self.generation is not None:
            data["c_generation"] = CLASS_GENERATION
            data["c_class"] = self.generation.to_json()
        if build is not None:
            data.update(batched=build.batched, module=build.module.module,
                        cython_version=build.module.generated.cython,
                        generated_under=build.module.generated_under)
        return data

    def record(self, case: Case, outcome: Outcome, first_error: str | None, *,
               behaviour: Behaviour | None = None, provenance: dict[str, object],
               log: str, duration_s: float, shipped_c: str | None = None,
               cause: Cause = Cause.REPORTED) -> Record:
        provenance = dict(provenance, cause=cause.value)
        if not case.options.is_default:  # how the case was built: stated on its records
            provenance["options"] = case.options.to_json()
        return Record(
            key=self.measurement.key(case),
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
            shipped_c=shipped_c,
            compiler=self.cell.compiler,
        )

    def untried(self, outcome: Outcome, reason: str, log: str, cause: Cause,
                target: Environment | None = None, decided_by: str = "measurement"
                ) -> list[Record]:
        """One record per case for a cell whose cases could not be tried."""
        provenance = self.provenance(target, None, None)
        provenance["decided_by"] = decided_by
        return [self.record(case, outcome, reason, provenance=provenance, log=log, duration_s=0.0,
                            cause=cause)
                for case in self.cases]

    def failed_env(self, failure: EnvFailure, target: Environment | None = None
                   ) -> list[Record]:
        return self.untried(failure.outcome, failure.reason, failure.log, failure.cause, target)

    def environment(self, spec: EnvSpec) -> Environment | EnvFailure:
        return ensure_env(with_builds(spec, self.settings.builds), self.layout.envs,
                          self.settings.retry)

    def native(self) -> Environment | str | EnvFailure:
        """This Cython installed on this Python, if it installs and runs here; else why not
        (the cell is then measured with shipped C).  A transient failure is returned as is."""
        if self.planned.shipped_c is not None:
            return self.planned.shipped_c
        env = self.environment(EnvSpec(self.interpreter, self.cell.cython, None))
        if isinstance(env, EnvFailure):
            return env.reason if env.not_possible else env
        failure = cython_runs(env, self.settings.retry)
        if failure is None or isinstance(failure, EnvFailure):
            return env if failure is None else failure
        return (f"Cython {self.cell.cython} cannot run on Python {self.interpreter.version}:"
                f" {failure}")

    def generator(self, pxd: PxdTree | None) -> GeneratorChoice | Untriable:
        """The run's choice for this cell's Cython, or (alone: ``try``) one over this cell's
        interpreter where it runs this Cython, else over the release's newest usable CPython."""
        if self.choice is None:
            self.choice = self.choose(pxd, shipped=self.planned.shipped_c is not None)
        return self.choice

    def choose(self, pxd: PxdTree | None, *, shipped: bool) -> GeneratorChoice | Untriable:
        members = () if shipped else (self.interpreter,)
        return choose_generator(self.cell.cython, self.planned.generators, self.environment,
                                self.cases, pxd, self.layout.cache, members, shipped=shipped)

    def generator_env(self, choice: GeneratorChoice, native: Environment | str,
                      pxd: PxdTree | None) -> tuple[Environment, GenerationClass] | Untriable:
        """Who generates this cell's C, and the class that says so: the generator of its
        Python's generation class; for shipped C, the release's newest usable CPython.  A
        Python the run's check could not classify generates its own (a class of one)."""
        if isinstance(native, str):
            if choice.shipped is None:  # found out only now: this Cython cannot run here
                again = self.choose(pxd, shipped=True)
                if isinstance(again, Untriable) or again.shipped is None:
                    return again if isinstance(again, Untriable) else Untriable(
                        Outcome.NOT_POSSIBLE, native)
                return again.shipped
            return choice.shipped
        found = choice.generator_for(self.interpreter.label)
        if found is not None:
            return found
        label = self.interpreter.label
        return native, GenerationClass(self.cell.cython, (label,), label, native.info.python,
                                       "", (), "not classified by the run's check: generated"
                                       " under its own Python", 0)

    def measure(self) -> list[Record]:
        if not self.cases:
            return []
        target = self.environment(EnvSpec(self.interpreter, None, self.cell.numpy_build))
        if isinstance(target, EnvFailure):
            return self.failed_env(target)
        run_env = target
        if self.cell.kind == "abi":
            candidate = self.environment(EnvSpec(self.interpreter, None, self.cell.numpy_run))
            if isinstance(candidate, EnvFailure):
                return self.failed_env(candidate, target)
            run_env = candidate
        native = self.native()
        if isinstance(native, EnvFailure):
            return self.failed_env(native, target)
        shipped_c = native if isinstance(native, str) else None
        pxd = None
        if self.cell.numpy_build is not None:
            pxd = pxd_tree(self.cell.numpy_build, target.info.numpy_package,
                           self.layout.cache / "pxd")
        if self.choice is None and self.settings.build.batch and isinstance(native, Environment):
            # Alone (``try``, the benchmark's one cell): the cell's Python is its class's
            # generator, so the C of its modules, the class's canary among them, is generated
            # first, in one Cython process (the canary then comes from the cache).
            generate_many(native, [m.cases for m in plan_modules(self.cases)], pxd,
                          self.layout.cache / "generate", retry=self.settings.retry)
        choice = self.generator(pxd)
        if isinstance(choice, Untriable):
            return self.untried(choice.outcome, choice.reason, choice.reason, choice.cause,
                                target)
        chosen = self.generator_env(choice, native, pxd)
        if isinstance(chosen, Untriable):
            return self.untried(chosen.outcome, chosen.reason, chosen.reason, chosen.cause,
                                target)
        generator, self.generation = chosen
        compile_settings = self.compile_settings()
        if isinstance(compile_settings, str):
            return self.untried(Outcome.ENV_ERROR, compile_settings, compile_settings,
                                Cause.INSTALL, target)
        context = BuildContext(
            generator=generator, target=target, pxd=pxd,
            compile=compile_settings, cache=self.layout.cache, retry=self.settings.retry)
        isolate: frozenset[str] = frozenset()
        while True:
            builds = build_cases(context, self.cases, isolate, batch=self.settings.build.batch)
            runs = self.run_all(builds, run_env)
            # One case's import-time failure (an error, a crash or a hang) must not be blamed on
            # its batch mates, in any kind of cell: suspects are built alone and the rest is
            # run again as a batch, until every import failure belongs to a module of one case.
            failed = [self.by_id[case_id] for case_id, run in runs.items()
                      if run.at_import and builds[case_id].batched]
            if not failed:
                break
            isolate |= blame_import_error(runs[failed[0].id].first_error or "", failed)
        records = []
        for case in self.cases:
            build = builds[case.id]
            module = build.module
            share = module.duration_s / len(module.case_ids)
            provenance = self.provenance(target, run_env, build)
            run = runs.get(case.id)
            if run is None:
                records.append(self.record(case, module.outcome,
                                           module_error(module.first_error, module),
                                           provenance=provenance, log=module.log,
                                           duration_s=share, shipped_c=shipped_c,
                                           cause=module.cause))
                continue
            behaviour = Behaviour.from_probes(run.probes)
            if self.interpreter.kind.free_threaded and not run.at_import:
                behaviour = replace(behaviour, gil_enabled=run.gil_enabled)
            if run.output_cut:  # its log keeps only the head and tail of what it printed
                provenance = {**provenance, "output_cut": run.output_cut}
            records.append(self.record(
                case, run.outcome, module_error(run.first_error, module),
                behaviour=behaviour, provenance=provenance,
                log=module.log + run.log, duration_s=share + run.duration_s,
                shipped_c=shipped_c,
                cause=Cause.RUN_TIMEOUT if run.outcome is Outcome.TIMEOUT else Cause.REPORTED,
            ))
        return records

    def run_env_vars(self) -> tuple[tuple[str, str], ...]:
        """What the cell's compiler adds to the environment its cases run in (a sanitizer's
        runtime: :func:`matrix.model.compilers.sanitizer_env`); empty for most compilers."""
        libasan = libasan_path(self.settings.build.cc) if self.compiler.sanitizer else None
        if libasan is None:
            return ()
        return tuple(sorted(sanitizer_env(self.cell.compiler, libasan,
                                          str(sanitizer_log_prefix())).items()))

    def compile_settings(self) -> CompileSettings | str:
        """How this cell's compiler runs here; why it cannot be installed (an env-error)."""
        cc = self.settings.build.cc
        if self.compiler.sanitizer and libasan_path(cc) is None:
            return (f"{cc} has no AddressSanitizer runtime ({cc} -print-file-name=libasan.so"
                    " names none; Debian: apt-get install libasan8)")
        if self.compiler.ziglang is None:
            return CompileSettings(cc, self.cc_version, self.cflags)
        try:
            tool = zig_tool(self.compiler.ziglang, self.layout.envs, self.layout.cache,
                            self.settings.retry)
        except (ToolInstallError, OSError, subprocess.SubprocessError) as exc:
            return stored_line(f"the {self.cell.compiler} compiler could not be set up: {exc}")
        return CompileSettings("zig-cc", self.cc_version, self.cflags, tool.command, tool.env)

    def run_all(self, builds: dict[str, CaseBuild], run_env: Environment) -> dict[str, CaseRun]:
        """Probe every case whose module built: one runner per module, a child per case."""
        modules: dict[str, tuple[ModuleBuild, list[Case]]] = {}
        for case in self.cases:
            module = builds[case.id].module
            if module.outcome is Outcome.OK:
                modules.setdefault(str(module.directory), (module, []))[1].append(case)
        runs: dict[str, CaseRun] = {}
        for module, cases in modules.values():
            by_symbol = self.run_module(run_env.python, module.directory, module.module,
                                  [case.symbol for case in cases], self.settings.run_timeout_s,
                                  self.settings.retry, self.servers)
            runs.update((case.id, by_symbol[case.symbol]) for case in cases)
        return runs


def measure_cell(planned: PlannedCell, cases: Sequence[Case], layout: Layout,
                 settings: EngineSettings, toolchain: Toolchain,
                 choice: GeneratorChoice | Untriable | None = None) -> list[Record]:
    """Measure every case that ``planned`` holds; never raises for a case's own failure."""
    return CellMeasurement(planned, cases, layout, settings, toolchain, choice).measure()
