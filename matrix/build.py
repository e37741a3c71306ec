"""Build cases into extension modules with the environment's own Cython and the host's gcc.

Many cases share one module (Cython's memoryview utility code is ~27,000 lines of C, paid
once per module).  A failing batch is split so that every failure is attributed to its
case: cythonize errors name the case file, and C compiler errors are traced to the case
through Cython's ``/* "file.pyx":N`` markers, so those cases are built alone and the rest is
retried as a batch; an error that cannot be traced (utility code, a missing header) falls
back to one module per case.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matrix.cases import Case
from matrix.envs import Environment
from matrix.outcomes import Outcome
from matrix.procs import run_process

DEFAULT_CFLAGS: tuple[str, ...] = ("-O0", "-fPIC", "-fwrapv", "-fno-strict-aliasing")
CYTHONIZE_TIMEOUT_S = 600.0
CC_TIMEOUT_S = 600.0
BUILD_MARK = "mm-build.json"
_CYTHON_LOCATION = re.compile(
    r"^(?P<file>[^\s:]+\.(?:pyx|pxi|pxd)):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$")
_CC_ERROR = re.compile(r"(?:error|fatal error):", re.IGNORECASE)
_CC_ERROR_AT = re.compile(r"^(?P<file>[^\s:]+\.c):(?P<line>\d+):(?:\d+:)? (?:fatal )?error:")
# Cython marks the C it generates for a source line with /* "file.pyx":12 */ just above it.
_SOURCE_MARKER = re.compile(r'^/\* "(?P<file>[^"]+\.pyx)":\d+')
MARKER_WINDOW = 80
UNATTRIBUTED = "?"


@dataclass(frozen=True)
class BuildSettings:
    cc: str = field(default_factory=lambda: os.environ.get("CC", "gcc"))
    cflags: tuple[str, ...] = DEFAULT_CFLAGS
    batch: bool = True


@dataclass
class ModuleBuild:
    """One attempt to build an extension module from some cases."""

    module: str
    directory: Path
    case_ids: tuple[str, ...]
    outcome: Outcome
    first_error: str | None = None
    error_files: set[str] = field(default_factory=set)
    log: str = ""
    duration_s: float = 0.0


@dataclass
class CaseBuild:
    """Where a case ended up: the module that holds it, or the stage that failed."""

    case_id: str
    module: ModuleBuild
    batched: bool


def module_name(cases: Sequence[Case], salt: str) -> str:
    digest = hashlib.sha256((salt + "|".join(c.content_hash for c in cases)).encode())
    return "mm_" + digest.hexdigest()[:12]


def normalize(line: str, directory: Path) -> str:
    """Drop temporary paths from an error line so equal errors compare equal."""
    return line.replace(str(directory) + "/", "").replace(str(directory), ".").strip()


def _first_cython_error(output: str, directory: Path) -> tuple[str | None, set[str]]:
    first: str | None = None
    files: set[str] = set()
    for line in output.splitlines():
        match = _CYTHON_LOCATION.match(line.strip())
        if match and "warning" not in match.group("msg").lower()[:10]:
            name = Path(match.group("file")).name
            files.add(name)
            if first is None:
                first = normalize(line, directory)
    if first is None:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        errorish = [line for line in lines if "Error" in line or "error" in line]
        if errorish:
            first = normalize(errorish[-1], directory)
        elif lines:
            first = normalize(lines[-1], directory)
    return first, files


def cc_error_sources(output: str, c_file: Path) -> set[str]:
    """The case files whose generated C the compiler rejected, from Cython's source markers.

    An error with no marker close above it (Cython's utility code, a missing header) makes the
    set contain ``UNATTRIBUTED``: the batch cannot be split by blame.
    """
    try:
        c_lines = c_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {UNATTRIBUTED}
    sources: set[str] = set()
    for line in output.splitlines():
        match = _CC_ERROR_AT.match(line.strip())
        if not match or Path(match.group("file")).name != c_file.name:
            continue
        number = int(match.group("line"))
        found = UNATTRIBUTED
        for index in range(min(number, len(c_lines)) - 1, max(number - MARKER_WINDOW, 0) - 1, -1):
            marker = _SOURCE_MARKER.match(c_lines[index].strip())
            if marker:
                found = Path(marker.group("file")).name
                break
        sources.add(found)
    return sources or {UNATTRIBUTED}


def _first_cc_error(output: str, directory: Path) -> str | None:
    for line in output.splitlines():
        if _CC_ERROR.search(line):
            return normalize(line, directory)
    lines = [line for line in output.splitlines() if line.strip()]
    return normalize(lines[-1], directory) if lines else None


def build_module(
    env: Environment, cases: Sequence[Case], root: Path, settings: BuildSettings
) -> ModuleBuild:
    """Cythonize and compile ``cases`` into one module under ``root`` (cached by content)."""
    name = module_name(cases, env.spec.name + " ".join(settings.cflags) + settings.cc)
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another cell (or process) may want the same module
        return _build_module_locked(env, cases, root / name, name, settings)


def _build_module_locked(env: Environment, cases: Sequence[Case], directory: Path, name: str,
                         settings: BuildSettings) -> ModuleBuild:
    cached = _load_cached(directory)
    if cached is not None:
        return cached
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    includes = []
    for case in cases:
        (directory / f"{case.id}.pyx").write_text(case.code, encoding="utf-8")
        includes.append(f'include "{case.id}.pyx"\n')
    (directory / f"{name}.pyx").write_text("# cython: language_level=3\n" + "".join(includes))
    build = ModuleBuild(name, directory, tuple(c.id for c in cases), Outcome.OK)
    include_dirs = [f"-I{directory}"]
    if env.info.numpy_include:
        include_dirs.append(f"-I{env.info.numpy_include}")
    cythonize = run_process(
        [str(env.python), "-m", "cython", "-3", *include_dirs, "-o", f"{name}.c", f"{name}.pyx"],
        timeout_s=CYTHONIZE_TIMEOUT_S,
        cwd=directory,
    )
    build.log += cythonize.transcript()
    build.duration_s += cythonize.duration_s
    if cythonize.returncode != 0:
        build.outcome = Outcome.CYTHONIZE_ERROR if not cythonize.timed_out else Outcome.TIMEOUT
        build.first_error, build.error_files = _first_cython_error(cythonize.output, directory)
        _save(build)
        return build
    compile_ = run_process(
        [settings.cc, *settings.cflags, "-shared", f"-I{env.info.include}", *include_dirs,
         f"{name}.c", "-o", f"{name}{env.info.ext_suffix}"],
        timeout_s=CC_TIMEOUT_S,
        cwd=directory,
    )
    build.log += compile_.transcript()
    build.duration_s += compile_.duration_s
    if compile_.returncode != 0:
        build.outcome = Outcome.CC_ERROR if not compile_.timed_out else Outcome.TIMEOUT
        build.first_error = _first_cc_error(compile_.output, directory)
        build.error_files = cc_error_sources(compile_.output, directory / f"{name}.c")
    else:
        (directory / f"{name}.c").unlink()  # ~1 MB each; the module is what later runs need
    _save(build)
    return build


def _save(build: ModuleBuild) -> None:
    """Remember a finished build: the module name is a content key of everything it used.
    A timeout is not remembered: a loaded machine may finish it next time."""
    if build.outcome is Outcome.TIMEOUT:
        return
    data = {
        "module": build.module,
        "case_ids": list(build.case_ids),
        "outcome": build.outcome.value,
        "first_error": build.first_error,
        "error_files": sorted(build.error_files),
        "log": build.log,
        "duration_s": build.duration_s,
    }
    (build.directory / BUILD_MARK).write_text(json.dumps(data, sort_keys=True))


def _load_cached(directory: Path) -> ModuleBuild | None:
    mark = directory / BUILD_MARK
    if not mark.is_file():
        return None
    try:
        data = json.loads(mark.read_text())
        return ModuleBuild(
            module=data["module"],
            directory=directory,
            case_ids=tuple(data["case_ids"]),
            outcome=Outcome(data["outcome"]),
            first_error=data["first_error"],
            error_files=set(data["error_files"]),
            log=data["log"],
            duration_s=float(data["duration_s"]),
        )
    except (ValueError, KeyError, TypeError):
        return None  # a damaged cache entry is rebuilt


def build_cases(
    env: Environment, cases: Sequence[Case], root: Path, settings: BuildSettings,
    isolate: frozenset[str] = frozenset(),
) -> dict[str, CaseBuild]:
    """Build every case, batched where possible; each case maps to the build that decides it.

    Cases in ``isolate`` (blamed for a failure of an earlier batch) get modules of their own.
    """
    result: dict[str, CaseBuild] = {}
    for case in cases:
        if case.id in isolate or case.build_alone:
            result[case.id] = CaseBuild(case.id, build_module(env, [case], root, settings), False)
    pending = [case for case in cases if case.id not in result]
    while settings.batch and len(pending) > 1:
        batch = build_module(env, pending, root, settings)
        if batch.outcome is Outcome.OK:
            for case in pending:
                result[case.id] = CaseBuild(case.id, batch, batched=True)
            return result
        blamed = [c for c in pending if f"{c.id}.pyx" in batch.error_files]
        attributable = batch.outcome is Outcome.CYTHONIZE_ERROR or (
            batch.outcome is Outcome.CC_ERROR and UNATTRIBUTED not in batch.error_files)
        if not attributable or not blamed:
            break  # cannot attribute: build each case on its own
        for case in blamed:
            result[case.id] = CaseBuild(case.id, build_module(env, [case], root, settings), False)
        pending = [c for c in pending if c.id not in result]
    for case in pending:
        result[case.id] = CaseBuild(case.id, build_module(env, [case], root, settings), False)
    return result
