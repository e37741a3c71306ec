"""Stage 1, *generate*: cythonize cases into C with one Cython release, cached by content.

The key holds what can change the C: the Cython release, the cases' code, the numpy ``.pxd``
text a numpy case cimports; the entry is named by the generating Python too, which is the
generator of a *generation class* (:mod:`matrix.build.invariance`): the C does not depend on the
Python it will be compiled for, so one generated module serves every member of the class.

``cimport numpy`` needs numpy's ``.pxd`` text only (the C headers matter at compile time).  The
generate stage gives Cython what an installed numpy would: a ``numpy/`` package folder -- its
``.pxd`` files and an empty ``__init__.py`` -- found on ``sys.path`` (through ``PYTHONPATH``),
copied from the numpy release the cell builds against into a content-addressed folder.  So a
Cython that cannot even be installed beside that numpy reads what it would read beside it: the
numpy's own ``.pxd``, or (Cython 0.27 and 0.28) its bundled copy, which it prefers to them, or
(Cython 3.1+ with a numpy that ships no ``.pxd``) an empty package.  Measured against builds
with numpy installed, this gives the same outcome and error line in every cell compared.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matrix.build import stagecache
from matrix.build.envs import Environment, cython_material
from matrix.build.procs import Completed, run_process
from matrix.build.tools import ToolRun, process_verdict, run_build_tool
from matrix.model.cases import BuildOptions, Case
from matrix.model.directives import module_code, module_configuration
from matrix.model.errorline import strip_build_folders
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry, build_cached
from matrix.model.timeouts import TIMEOUTS

STAGE_VERSION = "generate/3"
"""Part of every generate key: bumped when how the C is generated changes."""
CYTHONIZE_MANY = Path(__file__).resolve().parent / "inenv" / "cythonize_many.py"
"""The in-environment script that cythonizes several modules in one process."""
_CYTHON_LOCATION = re.compile(
    r"^(?P<file>[^\s:]+\.(?:pyx|pxi|pxd)):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$")


@dataclass(frozen=True)
class PxdTree:
    """The Cython-visible part of one numpy release: a folder holding ``numpy/`` with its
    ``.pxd`` files (if any) and an empty ``__init__.py``, for ``sys.path``."""

    numpy: str
    digest: str
    root: Path


def pxd_tree(numpy_version: str, numpy_package: str | None, cache: Path) -> PxdTree:
    """Mirror an installed numpy's ``.pxd`` files into ``cache/<digest>/numpy/``."""
    package = Path(numpy_package) if numpy_package else None
    files = sorted(package.glob("*.pxd")) if package is not None else []
    digest = hashlib.sha256(b"numpy package: __init__.py + .pxd files\0")
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    name = digest.hexdigest()[:16]
    with stagecache.locked_entry(cache, name) as root:
        if stagecache.load(root) is None:
            target = stagecache.fresh(root) / "numpy"
            target.mkdir()
            (target / "__init__.py").write_text("")
            for path in files:
                shutil.copyfile(path, target / path.name)
            stagecache.save(root, {"numpy": numpy_version},
                            ["numpy/__init__.py", *(f"numpy/{path.name}" for path in files)])
    return PxdTree(numpy_version, name, root)


@dataclass
class Generated:
    """One attempt to cythonize some cases into one module's C."""

    module: str
    directory: Path
    case_ids: tuple[str, ...]
    outcome: Outcome
    cython: str
    generated_under: str
    first_error: str | None = None
    error_files: set[str] = field(default_factory=set)
    log: str = ""
    duration_s: float = 0.0
    cause: Cause = Cause.REPORTED
    options: BuildOptions = BuildOptions()
    """The build options of its cases (one set per module)."""

    @property
    def c_file(self) -> Path:
        """The generated C (C++ in C++ mode: ``.cpp``)."""
        return self.directory / f"{self.module}.{'cpp' if self.options.cplus else 'c'}"


def first_cython_error(output: str, directories: Sequence[Path]) -> tuple[str | None, set[str]]:
    """The first error Cython reported, and every case file it blamed."""
    first: str | None = None
    files: set[str] = set()
    for line in output.splitlines():
        match = _CYTHON_LOCATION.match(line.strip())
        if match and "warning" not in match.group("msg").lower()[:10]:
            files.add(Path(match.group("file")).name)
            if first is None:
                first = strip_build_folders(line, directories)
    if first is None:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        errorish = [line for line in lines if "Error" in line or "error" in line]
        if errorish:
            first = strip_build_folders(errorish[-1], directories)
        elif lines:
            first = strip_build_folders(lines[-1], directories)
    return first, files


def generate_key(cython: str, cases: Sequence[Case], pxd: PxdTree | None) -> list[object]:
    """What the generated C depends on (the generating Python is added where it matters)."""
    material: list[object] = [
        STAGE_VERSION, cython, [(c.id, hashlib.sha256(module_code(c).encode()).hexdigest())
                                for c in cases], pxd.digest if pxd else None]
    options = module_options(cases)
    if not options.is_default:  # a module without options keeps the key it always had
        material.append(options.to_json())
    return material


def module_options(cases: Sequence[Case]) -> BuildOptions:
    """The module configuration of a module's cases (:func:`matrix.build.modules.build_cases`
    never mixes them: :func:`matrix.model.directives.module_configuration`)."""
    options = {module_configuration(c) for c in cases}
    if len(options) > 1:
        raise ValueError(f"cases with different build options in one module: {options}")
    return options.pop() if options else BuildOptions()


def entry_name(module: str, generator: Environment) -> str:
    """The cache entry of ``module``'s C generated under ``generator``, named by its
    interpreter's folder (``mm_<key>-py3.11.9``; ``mm_<key>-pp3.11.11-pypy7.3.19``)."""
    return f"{module}-{generator.spec.interpreter.id.folder}"


def module_header(options: BuildOptions) -> str:
    """The module's ``# cython:`` header: ``language_level`` (3 unless the cases say) and the
    cases' directives; Cython applies a module's header to the files it includes."""
    directives = {"language_level": 3, **dict(options.directives)}
    return "# cython: " + ", ".join(f"{k}={v}" for k, v in directives.items()) + "\n"


@dataclass(frozen=True)
class ModuleSources:
    """A module's sources written into a folder (a fresh cache entry), and the command line
    that cythonizes them there."""

    module: str
    directory: Path
    cases: tuple[Case, ...]
    argv: tuple[str, ...]
    """``python -m cython ...``, run in ``directory``."""


def _module_name(cython: str, cases: Sequence[Case], pxd: PxdTree | None) -> str:
    return "mm_" + stagecache.key_of(generate_key(cython, cases, pxd))[:12]


def _cached(directory: Path, module: str, cases: Sequence[Case]) -> Generated | None:
    cached = stagecache.load(directory)
    if cached is None:
        return None
    return Generated(module, directory, tuple(cached["case_ids"]), Outcome(cached["outcome"]),
                     cached["cython"], cached["generated_under"], cached["first_error"],
                     set(cached["error_files"]), cached["log"], float(cached["duration_s"]),
                     options=module_options(cases))


def generate(generator: Environment, cases: Sequence[Case], pxd: PxdTree | None, root: Path,
             *, retry: Retry = DEFAULT_RETRY) -> Generated:
    """Cythonize ``cases`` as one module with ``generator``'s Cython (cached by content and
    by the generating Python: the members of its generation class share the entry)."""
    cython = generator.info.cython or generator.spec.cython or "?"
    module = _module_name(cython_material(generator.spec, cython), cases, pxd)
    with stagecache.locked_entry(root, entry_name(module, generator)) as directory:
        cached = _cached(directory, module, cases)
        if cached is not None:
            return cached
        pending = write_sources(generator, cases, pxd, stagecache.fresh(directory), module)
        return _generate_alone(generator, pending, pxd, cython, retry)


def generate_many(generator: Environment, modules: Sequence[Sequence[Case]],
                  pxd: PxdTree | None, root: Path, *, retry: Retry = DEFAULT_RETRY,
                  ) -> list[Generated]:
    """:func:`generate` for several modules, those not cached cythonized in one process of
    ``generator`` (``inenv/cythonize_many.py``: Cython's command line called once per module,
    as ``cythonize`` compiles a project's modules), which spares each module after the first
    Cython's start-up.  Each module's C, log and outcome are what ``python -m cython`` gives it
    alone (``tests/test_generate_many_real.py`` compares the C byte for byte); a module the
    process did not finish (it died, or ran out of time) is generated on its own, under the
    outcome policy, as :func:`generate` does."""
    cython = generator.info.cython or generator.spec.cython or "?"
    names = [_module_name(cython_material(generator.spec, cython), cases, pxd)
             for cases in modules]
    results: dict[str, Generated] = {}
    with contextlib.ExitStack() as locks:
        pending: list[ModuleSources] = []
        for module in sorted(set(names)):  # one order for every process: no deadlock
            cases = modules[names.index(module)]
            directory = locks.enter_context(
                stagecache.locked_entry(root, entry_name(module, generator)))
            cached = _cached(directory, module, cases)
            if cached is not None:
                results[module] = cached
            else:
                pending.append(write_sources(generator, cases, pxd,
                                              stagecache.fresh(directory), module))
        if len(pending) > 1:
            results.update(_generate_in_one_process(generator, pending, pxd, cython, root))
        for job in pending:
            if job.module not in results:
                results[job.module] = _generate_alone(generator, job, pxd, cython, retry)
    return [results[module] for module in names]


def _cython_env(pxd: PxdTree | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pxd is not None:  # where site-packages would hold an installed numpy
        env["PYTHONPATH"] = str(pxd.root)
    return env


def write_sources(generator: Environment, cases: Sequence[Case], pxd: PxdTree | None,
                  directory: Path, module: str) -> ModuleSources:
    """Write ``cases`` as module ``module`` into ``directory``: each case's code as the module
    includes it, the module with its header; and ``python -m cython ...`` for them."""
    includes = []
    for case in cases:
        (directory / f"{case.id}.pyx").write_text(module_code(case), encoding="utf-8")
        includes.append(f'include "{case.id}.pyx"\n')
    options = module_options(cases)
    (directory / f"{module}.pyx").write_text(module_header(options) + "".join(includes))
    level = [] if dict(options.directives).get("language_level") is not None else ["-3"]
    output = f"{module}.{'cpp' if options.cplus else 'c'}"
    argv = (str(generator.python), "-m", "cython", *level,
            *(["--cplus"] if options.cplus else []), f"-I{directory}", "-o", output,
            f"{module}.pyx")
    return ModuleSources(module, directory, tuple(cases), argv)


def _generate_alone(generator: Environment, job: ModuleSources, pxd: PxdTree | None, cython: str,
                    retry: Retry) -> Generated:
    tool = run_build_tool(
        lambda: run_process(list(job.argv), timeout_s=TIMEOUTS.cythonize, cwd=job.directory,
                            env=_cython_env(pxd)),
        Outcome.CYTHONIZE_ERROR, retry)
    return _finish(generator, job, pxd, cython, tool, tool.done.transcript())


def _generate_in_one_process(generator: Environment, jobs: Sequence[ModuleSources],
                             pxd: PxdTree | None, cython: str, root: Path
                             ) -> dict[str, Generated]:
    """Run ``jobs`` through ``cythonize_many.py``; the modules it finished, judged as
    :func:`_generate_alone` judges one (an exit status from Cython's own command line; no
    retries: a killed process leaves its unfinished modules to :func:`_generate_alone`)."""
    done: dict[str, Generated] = {}
    with tempfile.TemporaryDirectory(dir=root, prefix="mm-many-") as scratch:
        folder = Path(scratch)
        specs = [{"cwd": str(job.directory), "argv": list(job.argv[3:]),
                  "log": str(folder / f"{job.module}.log"),
                  "result": str(folder / f"{job.module}.json")} for job in jobs]
        (folder / "jobs.json").write_text(json.dumps(specs))
        outputs = [(folder / f"{job.module}.json", folder / f"{job.module}.log") for job in jobs]
        run_process([str(generator.python), str(CYTHONIZE_MANY), str(folder / "jobs.json")],
                    timeout_s=TIMEOUTS.cythonize, cwd=folder, env=_cython_env(pxd))
        for job, (result_file, log_file) in zip(jobs, outputs):
            try:
                result = json.loads(result_file.read_text())
                output = log_file.read_text(encoding="utf-8", errors="replace")
            except (OSError, ValueError):
                continue
            completed = Completed(job.argv, int(result["exit"]), output,
                                  float(result["duration_s"]), False)
            outcome, cause = process_verdict(completed, Outcome.CYTHONIZE_ERROR)
            tool = ToolRun(completed, outcome, cause, 1)
            note = (f"(cythonized in one process with {len(jobs) - 1} other module"
                    f"{'s' if len(jobs) != 2 else ''} of the cell, as cythonize compiles a"
                    " project's modules)\n")
            done[job.module] = _finish(generator, job, pxd, cython, tool,
                                       completed.transcript() + note)
    return done


def _finish(generator: Environment, job: ModuleSources, pxd: PxdTree | None, cython: str,
            tool: ToolRun, log: str) -> Generated:
    """The module's :class:`Generated` from its cythonize run; cached unless transient."""
    done = tool.done
    options = module_options(job.cases)
    result = Generated(job.module, job.directory, tuple(c.id for c in job.cases), tool.outcome,
                       cython, generator.info.python, log=log, duration_s=done.duration_s,
                       cause=tool.cause, options=options)
    if tool.outcome is Outcome.CYTHONIZE_ERROR:
        strip = [job.directory] + ([pxd.root] if pxd is not None else [])
        result.first_error, result.error_files = first_cython_error(done.output, strip)
    elif tool.outcome is not Outcome.OK:  # killed or timed out, every try: not the cases' doing
        result.first_error = tool.transient_error("cython")
    if build_cached(tool.outcome, tool.cause):
        data = {"case_ids": list(result.case_ids), "outcome": result.outcome.value,
                "cython": cython, "generated_under": result.generated_under,
                "first_error": result.first_error, "error_files": sorted(result.error_files),
                "log": result.log, "duration_s": result.duration_s}
        artefacts = [result.c_file.name] if result.outcome is Outcome.OK else []
        stagecache.save(job.directory, data, artefacts)
    return result
