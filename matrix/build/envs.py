"""Per-cell environments: one interpreter plus pinned Cython/numpy, cached and reused.

Backends, chosen per interpreter: ``uv`` (fast; serves 3.6+) and ``virtualenv-legacy``
(``virtualenv<20.22`` run through ``uvx``, plus the environment's own pip) for Pythons that
uv refuses, such as 2.7.  Installs accept wheels only: an old numpy that has no wheel for a
new Python is *not possible* there, not a failed case.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from matrix.build.procs import Completed, run_process
from matrix.model.buildsource import Build, BuildWheel
from matrix.model.errorline import last_line, stored_line
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.devbuilds import wheel_for
from matrix.plan.interpreters import Interpreter

RUNNER = Path(__file__).resolve().parents[1] / "run" / "inenv" / "runner.py"
READY_MARK = "mm-ready-v2.json"
"""Written last, when the environment is complete (v2: header folders found relocatably)."""

_NO_WHEEL_PATTERNS = re.compile(
    r"no matching distribution|could not find a version|no solution found|"
    r"has no wheels|not available for|doesn't have a source distribution or wheel|"
    r"requires-python|no versions of|because .* was not found in the package registry|"
    r"building source distributions is disabled|only binary",
    re.IGNORECASE,
)
_NETWORK_PATTERNS = re.compile(
    r"failed to fetch|connection|timed out|temporary failure|network|\bdns\b|\bssl\b|"
    r"max retries exceeded|name or service not known|could not resolve|unreachable|"
    r"from versions: none",
    re.IGNORECASE,
)
"""Checked *before* the no-wheel patterns: pip, offline, retries and then also says "No
matching distribution found", which must not turn an unreachable index into not-possible.
With retries off it says nothing about the connection at all, only "(from versions: none)":
it saw no release of a project that exists (the pins come from the index), so it saw no index.
A real missing wheel lists the versions pip did see."""


@dataclass(frozen=True)
class EnvSpec:
    """What an environment holds: an interpreter and exact package pins."""

    interpreter: Interpreter
    cython: str | None
    numpy: str | None
    wheels: tuple[tuple[str, BuildWheel], ...] = ()
    """Development builds installed instead of an index release: ``(project, wheel)``
    (:func:`with_builds`)."""

    @property
    def name(self) -> str:
        parts = [self.interpreter.id.folder]  # py3.11.9 (pp3.11.11-pypy7.3.19)
        if self.cython:
            parts.append(f"cy{self.cython}")
        if self.numpy:
            parts.append(f"np{self.numpy}")
        parts.extend(f"w{wheel.sha256[:12]}" for _, wheel in self.wheels)  # a rebuild: anew
        return "-".join(parts)

    def requirements(self) -> list[str]:
        wheels = dict(self.wheels)
        reqs = []
        for project, version in (("cython", self.cython), ("numpy", self.numpy)):
            if project in wheels:
                reqs.append(str(wheels[project].path))
            elif version:
                reqs.append(f"{project}=={version}")
        return reqs


def with_builds(spec: EnvSpec, builds: Iterable[Build]) -> EnvSpec:
    """``spec`` installing the wheel of each development build whose version it pins, for its
    interpreter (:mod:`matrix.plan.devbuilds`); as it is when it pins none."""
    wheels = []
    for build in builds:
        pinned = spec.cython if build.project == "cython" else spec.numpy
        wheel = wheel_for(build, spec.interpreter.id) if pinned == build.version else None
        if wheel is not None:
            wheels.append((build.project, wheel))
    return replace(spec, wheels=tuple(wheels)) if wheels else spec


def cython_material(spec: EnvSpec, cython: str) -> str:
    """The Cython ``cython`` of an environment as build caches key it: the release, and for a
    development build its wheel's sha256 too (a rebuild under the same version is another
    Cython; a release's keys stay as they were)."""
    return cython + "".join(f" sha256:{wheel.sha256}" for project, wheel in spec.wheels
                            if project == "cython")


@dataclass(frozen=True)
class EnvInfo:
    """What the runner's ``info`` says about an environment."""

    python: str
    executable: str
    includes: tuple[str, ...]
    """Folders with ``Python.h`` (first) and ``pyconfig.h``, from ``sysconfig.get_paths()``."""
    ext_suffix: str
    platform: str
    cython: str | None
    numpy: str | None
    numpy_include: str | None
    numpy_package: str | None
    """The installed numpy package folder (its ``.pxd`` files are what ``cimport numpy`` reads)."""
    setuptools: str | None
    pip: str | None

    @classmethod
    def from_json(cls, data: dict[str, object]) -> EnvInfo:
        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        include = data["include"] if "include" in data else data["includes"]
        return cls(
            python=str(data["python"]),
            executable=str(data["executable"]),
            includes=tuple(str(i) for i in include) if isinstance(include, (list, tuple))
            else (str(include),),
            ext_suffix=str(data["ext_suffix"]),
            platform=str(data["platform"]),
            cython=text("cython"),
            numpy=text("numpy"),
            numpy_include=text("numpy_include"),
            numpy_package=text("numpy_package"),
            setuptools=text("setuptools"),
            pip=text("pip"),
        )


@dataclass(frozen=True)
class Environment:
    """A ready environment."""

    spec: EnvSpec
    path: Path
    backend: str
    info: EnvInfo

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"


@dataclass(frozen=True)
class EnvFailure:
    """An environment that could not be made; ``not_possible`` when no wheel exists."""

    spec: EnvSpec
    not_possible: bool
    reason: str
    log: str
    cause: Cause = Cause.INSTALL

    @property
    def outcome(self) -> Outcome:
        return Outcome.NOT_POSSIBLE if self.not_possible else Outcome.ENV_ERROR

    def verdict(self) -> tuple[Outcome, Cause]:
        return self.outcome, self.cause


def _first_meaningful_line(output: str, pattern: re.Pattern[str] | None = None) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if pattern is not None:
        for line in lines:
            if pattern.search(line) and not line.startswith("$ "):
                return stored_line(line)
    for line in lines:
        lowered = line.lower()
        if "error" in lowered or "because" in lowered:
            return stored_line(line)
    return last_line(lines, "no output")


def read_info(python: Path) -> EnvInfo | str:
    """Run the in-environment runner's ``info``; a string is the failure text."""
    done = run_process([str(python), str(RUNNER), "info"], timeout_s=TIMEOUTS.runner_info)
    for line in done.output.splitlines():
        if line.startswith("@@MM "):
            return EnvInfo.from_json(json.loads(line[5:]))
    return done.transcript()


def uses_uv(interpreter: Interpreter) -> bool:
    """uv serves 3.6 and newer here; 2.7 needs the legacy backend (which is also the fallback
    for any interpreter uv refuses)."""
    return interpreter.version.major >= 3


def _create(spec: EnvSpec, target: Path, uv: str) -> tuple[str, list[Completed], str]:
    """Make the environment; returns the backend, its steps, and the transcript of a refused
    uv attempt (kept in the log) when the legacy backend took over."""
    interp = str(spec.interpreter.path)
    steps: list[Completed] = []
    if uses_uv(spec.interpreter):
        steps.append(
            run_process([uv, "venv", "--quiet", "--python", interp, str(target)],
                        timeout_s=TIMEOUTS.create_env)
        )
    if steps and steps[-1].returncode == 0:
        if spec.requirements():
            steps.append(
                run_process(
                    [uv, "pip", "install", "--quiet", "--no-build",
                     "--python", str(target / "bin" / "python"), *spec.requirements()],
                    timeout_s=TIMEOUTS.install,
                )
            )
        return "uv", steps, ""
    # uv refuses this interpreter (2.7, or whatever it cannot serve): the legacy backend.
    refused = "".join(step.transcript() for step in steps)
    steps = []
    shutil.rmtree(target, ignore_errors=True)
    steps.append(
        run_process(
            [uv, "tool", "run", "--from", "virtualenv<20.22", "virtualenv", "--quiet",
             "--no-periodic-update", "-p", interp, str(target)],
            timeout_s=TIMEOUTS.create_env,
        )
    )
    if steps[-1].returncode == 0 and spec.requirements():
        steps.append(
            run_process(
                [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 "--disable-pip-version-check", "--no-warn-script-location",
                 "--only-binary", ":all:", *spec.requirements()],
                timeout_s=TIMEOUTS.install,
            )
        )
    return "virtualenv-legacy", steps, refused


def ensure_env(spec: EnvSpec, envs_dir: Path, retry: Retry = DEFAULT_RETRY
               ) -> Environment | EnvFailure:
    """Return the cached environment for ``spec``, creating it (under a file lock) if needed.

    A transient failure (the index unreachable, a broken install) is tried again as
    :mod:`matrix.model.policy` says, with a pause between tries, before it is returned."""
    def verdict(made: Environment | EnvFailure) -> tuple[Outcome, Cause]:
        return made.verdict() if isinstance(made, EnvFailure) else (Outcome.OK, Cause.REPORTED)

    made, tries = retry.run(lambda: _ensure_env_once(spec, envs_dir), verdict)
    if isinstance(made, EnvFailure) and tries > 1:
        made = EnvFailure(spec, made.not_possible, f"{made.reason} ({tries} tries)",
                          made.log, made.cause)
    return made


def _ensure_env_once(spec: EnvSpec, envs_dir: Path) -> Environment | EnvFailure:
    envs_dir = envs_dir.resolve()
    envs_dir.mkdir(parents=True, exist_ok=True)
    target = envs_dir / spec.name
    with open(envs_dir / f"{spec.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        mark = target / READY_MARK
        if mark.is_file():
            data = json.loads(mark.read_text())
            return Environment(spec, target, data["backend"], EnvInfo.from_json(data["info"]))
        if target.exists():
            shutil.rmtree(target)
        uv = shutil.which("uv")
        if uv is None:
            return EnvFailure(spec, False, "uv is not installed on the host", "", Cause.HARNESS)
        backend, steps, refused = _create(spec, target, uv)
        log = refused + "".join(step.transcript() for step in steps)
        failed = next((step for step in steps if step.returncode != 0), None)
        if failed is not None:
            shutil.rmtree(target, ignore_errors=True)
            return _classify_failure(spec, failed, log)
        info = read_info(target / "bin" / "python")
        if isinstance(info, str):
            shutil.rmtree(target, ignore_errors=True)
            return EnvFailure(spec, False, _first_meaningful_line(info), log + info)
        mark.write_text(json.dumps({"backend": backend, "info": info.__dict__}, sort_keys=True))
        return Environment(spec, target, backend, info)


def _classify_failure(spec: EnvSpec, failed: Completed, log: str) -> EnvFailure:
    if failed.timed_out:
        return EnvFailure(spec, False, "environment creation timed out", log, Cause.NETWORK)
    if _NETWORK_PATTERNS.search(failed.output):
        reason = _first_meaningful_line(failed.output, _NETWORK_PATTERNS)
        return EnvFailure(spec, False, f"index unreachable: {reason}", log, Cause.NETWORK)
    if _NO_WHEEL_PATTERNS.search(failed.output):
        reason = _first_meaningful_line(failed.output, _NO_WHEEL_PATTERNS)
        return EnvFailure(spec, True, f"cannot install: {reason}", log, Cause.NO_WHEEL)
    return EnvFailure(spec, False, _first_meaningful_line(failed.output), log)
