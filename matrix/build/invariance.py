"""Which Python runs a Cython release, and which Pythons get the same C from it (measured).

* :func:`cython_runs` -- does this Cython install *and run* in an environment (cythonize an
  empty module)?  The verdict is cached in the environment, except a timeout (a loaded machine).
* :func:`choose_generator` -- a Cython release's *generation classes*: each interpreter the run
  measures natively generates a canary (the run's numpy-free cases as one module) once, and
  those whose C is byte-identical form a class (:class:`GenerationClass`; each canary's digest
  is cached by content: the release, the interpreter's exact release, the canary's code).  A
  class generates each module's C once, under its generator, and every member compiles that C.
  The release's newest usable CPython also generates the shipped C, for Pythons it cannot run
  on.  Measured here: Cython 3.2.9 gives one C on 3.8-3.13, 3.13t and PyPy, another on 3.14+;
  3.1.8 one on 3.8-3.14, another on 3.15, 3.13t and PyPy; 3.0.12 one on 2.7, another on 3.6+.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matrix.build import stagecache
from matrix.build.envs import EnvFailure, Environment, EnvSpec, cython_material
from matrix.build.generate import PxdTree, generate, generate_key
from matrix.build.procs import Completed, run_process
from matrix.model.cases import Case
from matrix.model.directives import module_configuration
from matrix.model.errorline import last_line, stored_line
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.interpreters import Interpreter

SMOKE_MARK = "mm-cython-smoke.json"
CLASSES_VERSION = "classes/1"
CLASS_GENERATION = "class"
"""A record's ``c_generation`` when its C came from its generation class (``c_class``)."""

EnsureEnv = Callable[[EnvSpec], "Environment | EnvFailure"]


def cython_runs(env: Environment, retry: Retry = DEFAULT_RETRY) -> str | None | EnvFailure:
    """Cythonize an empty module: ``None`` if this Cython runs on this Python, else the
    failure line (measured, cached in the environment).  A smoke test that keeps timing out
    (a loaded machine) says neither: it is an ``env-error`` :class:`EnvFailure`, not cached."""
    mark = env.path / SMOKE_MARK
    try:
        return json.loads(mark.read_text())["failure"]  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    probe_dir = env.path / "mm-smoke"
    probe_dir.mkdir(exist_ok=True)
    (probe_dir / "mm_smoke.pyx").write_text("x = 1\n")

    def smoke() -> Completed:
        return run_process([str(env.python), "-m", "cython", "mm_smoke.pyx"],
                           timeout_s=TIMEOUTS.smoke, cwd=probe_dir)

    def verdict(done: Completed) -> tuple[Outcome, Cause]:
        return (Outcome.ENV_ERROR, Cause.SMOKE_TIMEOUT) if done.timed_out else (
            Outcome.OK, Cause.REPORTED)

    done, tries = retry.run(smoke, verdict)
    if done.timed_out:
        return EnvFailure(env.spec, False, f"cythonizing an empty module timed out after"
                          f" {done.duration_s:.0f}s ({tries} tries)", done.transcript(),
                          Cause.SMOKE_TIMEOUT)
    if done.returncode == 0:
        failure = None
    else:
        lines = [line.strip() for line in done.output.splitlines() if line.strip()]
        failure = last_line(lines, f"cython exited {done.returncode}")
    mark.write_text(json.dumps({"failure": failure}))
    return failure


@dataclass(frozen=True)
class Canary:
    """The canary's C under one interpreter: a digest of its comparable lines, or why it has
    none.  Equal digests mean byte-identical C (paths aside: :func:`comparable`)."""

    interpreter: str
    """The axis value (``3.11``, ``3.13t``, ``pypy3.11``)."""
    python: str
    """Its full version (``3.11.9``)."""
    digest: str
    """sha256 (16 hex digits) of the canary's case ids and comparable C; "" when the canary
    gave no C there (the interpreter is then a class of its own)."""
    cases: tuple[str, ...]
    """The canary's cases that cythonized (those that failed alike are left out)."""
    detail: str

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cases"] = list(self.cases)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Canary:
        return cls(str(data["interpreter"]), str(data["python"]), str(data["digest"]),
                   tuple(str(c) for c in data["cases"]), str(data["detail"]))


@dataclass(frozen=True)
class GenerationClass:
    """The interpreters on which a Cython release generates byte-identical C for the canary:
    the class's C is generated once, under :attr:`generator`, and compiled for every member."""

    cython: str
    members: tuple[str, ...]
    """Axis values, oldest first (CPython before the other kinds of a language version)."""
    generator: str
    """The member it is generated under (:func:`generator_of`): its newest CPython with a
    compiled Cython, else its newest CPython, else its newest member."""
    generated_under: str
    """The generator's full version (``3.13.0``)."""
    digest: str
    """The canary's digest (:attr:`Canary.digest`); "" for an interpreter the canary gave no
    C on, which is a class of its own."""
    canary: tuple[str, ...]
    """The canary's case ids (the run's numpy-free cases as one module)."""
    detail: str
    classes: int
    """How many classes the release's check found, this one included."""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["members"], data["canary"] = list(self.members), list(self.canary)
        return data


@dataclass(frozen=True)
class Untriable:
    """No generator: ``not-possible`` (this Cython runs on no Python here) or ``env-error``
    (an environment could not be made for a transient reason; the next run tries again)."""

    outcome: Outcome
    reason: str
    cause: Cause = Cause.NO_GENERATOR


@dataclass(frozen=True)
class GeneratorChoice:
    """Where a Cython release's C is generated: once per generation class, under the class's
    generator; shipped C (for a Python the release cannot run on) under :attr:`newest`, its
    newest usable CPython, as before classes."""

    newest: Environment | None
    """``None`` when the run needs no shipped C of this release."""
    classes: tuple[GenerationClass, ...]
    generators: dict[str, Environment]
    """Each class's generator environment, by the generator's axis value."""
    member_of: dict[str, str]
    """Each classified interpreter's axis value -> its class's generator."""

    def generator_for(self, interpreter: str) -> tuple[Environment, GenerationClass] | None:
        """The environment that generates C for ``interpreter`` (an axis value), and its class;
        ``None`` when it was not classified (it then generates its own C)."""
        generator = self.member_of.get(interpreter)
        if generator is None:
            return None
        found = next(c for c in self.classes if c.generator == generator)
        return self.generators[generator], found

    @property
    def shipped(self) -> tuple[Environment, GenerationClass] | None:
        """Where shipped C comes from: the generator of :attr:`newest`'s class (the same C as
        :attr:`newest`'s), and that class (``None``: not looked for, or no Python here can
        generate it)."""
        if self.newest is None:
            return None
        return self.generator_for(self.newest.spec.interpreter.label)


def usable(cython: str, candidates: Sequence[Interpreter], ensure: EnsureEnv,
           ) -> tuple[Environment | EnvFailure | None, list[str]]:
    """The first candidate on which ``cython`` installs and runs, and why the others failed.

    A transient environment failure is returned as such: skipping to the next candidate would
    silently change which Python generates the C.
    """
    why: list[str] = []
    for interpreter in candidates:
        env = ensure(EnvSpec(interpreter, cython, None))
        if isinstance(env, EnvFailure):
            if not env.not_possible:
                return env, why
            why.append(f"Python {interpreter.version}: {env.reason}")
            continue
        failure = cython_runs(env)
        if failure is None:
            return env, why
        if isinstance(failure, EnvFailure):
            return failure, why
        why.append(f"Python {interpreter.version}: {failure}")
    return None, why


_INSTALL_PATH = re.compile(r"""[^\s"'*]*/site-packages/""")


def comparable(generated_c: Path) -> list[str]:
    """The C's lines without the paths that name where things are installed: the entry's own
    folder, and the generator's ``site-packages`` (Cython quotes the path of the ``.pxd`` it
    read, such as its bundled ``numpy/__init__.pxd``, in comments)."""
    text = generated_c.read_text(encoding="utf-8", errors="replace")
    text = text.replace(str(generated_c.parent), "<dir>")
    # A path never spans lines: only the few lines that name one are searched (the pattern is
    # slow on the 60,000 others).
    return [_INSTALL_PATH.sub("<site-packages>/", line) if "/site-packages/" in line else line
            for line in text.splitlines()]


def one_module(cases: Sequence[Case]) -> list[Case]:
    """The cases the check compares as one module: the batch of the default module
    configuration (:func:`matrix.build.modules.plan_modules`), so that the canary of a class's
    generator is the very module its cells build first (generated once); without such cases,
    those of the default configuration, else the first case's configuration."""
    batch = [c for c in cases if not c.is_control and not c.build_alone
             and module_configuration(c).is_default]
    plain = [c for c in cases if module_configuration(c).is_default]
    return batch or plain or [c for c in cases
                              if module_configuration(c) == module_configuration(cases[0])]


def canary_of(env: Environment, cases: Sequence[Case], pxd: PxdTree | None,
              generate_root: Path) -> Canary | Untriable:
    """Generate the canary (``cases`` as one module) under ``env`` and digest its C.

    Cases that fail to cythonize are left out and the rest generated again, so one broken case
    does not reduce the check to comparing error messages; the case ids that remain are part
    of the digest, so two interpreters that left out different cases never share a class.
    """
    label, python = env.spec.interpreter.label, env.info.python
    remaining, left_out = list(cases), 0
    while True:
        generated = generate(env, remaining, pxd, generate_root)
        if generated.cause is not Cause.REPORTED:  # a killed or timed-out cython tells nothing
            return Untriable(Outcome.ENV_ERROR,
                             f"generation class check: {generated.first_error}",
                             generated.cause)
        if generated.outcome is Outcome.OK:
            break
        blamed = [c for c in remaining if f"{c.id}.pyx" in generated.error_files]
        if not blamed or len(blamed) == len(remaining):
            return Canary(label, python, "", (), stored_line(
                f"the canary gave no C: {generated.outcome.value} {generated.first_error}"))
        remaining = [c for c in remaining if c not in blamed]
        left_out += len(blamed)
    lines = comparable(generated.c_file)
    ids = tuple(c.id for c in remaining)
    digest = hashlib.sha256(json.dumps(list(ids)).encode() + b"\0"
                            + "\n".join(lines).encode("utf-8", "replace")).hexdigest()[:16]
    scope = f"{len(remaining)} case{'s' if len(remaining) != 1 else ''}" + (
        f"; {left_out} that fail to cythonize left out" if left_out else "")
    return Canary(label, python, digest, ids, f"{scope}, {len(lines):,} lines of C")


def measured_canary(cython: str, env: Environment, cases: Sequence[Case], pxd: PxdTree | None,
                    cache: Path) -> Canary | Untriable:
    """:func:`canary_of`, cached like any other fact: keyed by the check's version, the
    Cython release, the interpreter (its exact release) and the canary's code (and ``.pxd``);
    a change to any of them measures it again."""
    built = cython_material(env.spec, cython)  # a development build: its wheel too
    material = [CLASSES_VERSION, built, env.spec.interpreter.id.key_material,
                generate_key(built, cases, pxd)]
    name = f"cy{cython}-{env.spec.interpreter.id.folder}-{stagecache.key_of(material)}"
    with stagecache.locked_entry(cache / "classes", name) as directory:
        cached = stagecache.load(directory)
        if cached is not None:
            return Canary.from_json(cached)
        canary = canary_of(env, cases, pxd, cache / "generate")
        if isinstance(canary, Canary):
            stagecache.save(stagecache.fresh(directory), canary.to_json(), [])
        return canary


def _order(interpreter: Interpreter) -> tuple[object, ...]:
    """Oldest first; within a language version CPython first, then the other kinds."""
    return (interpreter.version.major, interpreter.version.minor, interpreter.kind.order,
            interpreter.version)


def compiled_cython(env: Environment) -> bool:
    """Whether ``env``'s Cython is compiled (a binary wheel: extension modules in
    ``Cython/Compiler``), not the pure-Python wheel a Python newer than the release's wheels
    gets, which cythonizes about 1.5x slower (measured here: Cython 3.0.12 under 3.15)."""
    return any(env.path.glob("lib/*/site-packages/Cython/Compiler/*.so"))


def generator_of(members: Sequence[Interpreter], compiled: Collection[str] = ()) -> Interpreter:
    """A class's generator: its newest CPython whose Cython is compiled (axis values in
    ``compiled``), else its newest CPython, else its newest member.  Every member gets the same
    C, so this only decides how fast the class's modules are generated."""
    default = [i for i in members if i.kind.is_default]
    fast = [i for i in default if i.label in compiled]
    return max(fast or default or members, key=_order)


def classify(cython: str, canaries: Sequence[tuple[Environment, Canary]]
             ) -> tuple[tuple[GenerationClass, ...], dict[str, Environment], dict[str, str]]:
    """Group interpreters by their canary's digest: the classes, each generator's environment,
    and each member's generator (all by axis value)."""
    groups: dict[str, list[tuple[Environment, Canary]]] = {}
    compiled = {env.spec.interpreter.label for env, _ in canaries if compiled_cython(env)}
    for env, canary in canaries:
        key = canary.digest or f"no C: {canary.interpreter}"
        groups.setdefault(key, []).append((env, canary))
    classes: list[GenerationClass] = []
    generators: dict[str, Environment] = {}
    member_of: dict[str, str] = {}
    for found in groups.values():
        interpreters = sorted((env.spec.interpreter for env, _ in found), key=_order)
        generator = generator_of(interpreters, compiled)
        env, canary = next((e, c) for e, c in found if e.spec.interpreter == generator)
        members = tuple(i.label for i in interpreters)
        classes.append(GenerationClass(cython, members, generator.label, canary.python,
                                       canary.digest, canary.cases, canary.detail,
                                       len(groups)))
        generators[generator.label] = env
        member_of.update((member, generator.label) for member in members)
    by_label = {env.spec.interpreter.label: env.spec.interpreter for env, _ in canaries}
    classes.sort(key=lambda c: _order(by_label[c.members[0]]))
    return tuple(classes), generators, member_of


def native_env(cython: str, interpreter: Interpreter, ensure: EnsureEnv) -> Environment | None:
    """``cython`` installed on ``interpreter``, if it installs and runs there; else ``None``
    (the cell decides on its own why not: shipped C, or a transient failure to retry)."""
    env = ensure(EnvSpec(interpreter, cython, None))
    if isinstance(env, EnvFailure):
        return None
    return env if cython_runs(env) is None else None


def choose_generator(cython: str, candidates: Sequence[Interpreter], ensure: EnsureEnv,
                     cases: Sequence[Case], pxd: PxdTree | None, cache: Path,
                     members: Sequence[Interpreter] = (), *, shipped: bool = True,
                     ) -> GeneratorChoice | Untriable:
    """The generation classes of ``cython`` over ``members`` (the interpreters whose cells the
    run measures natively) and, where shipped C may be needed, its newest usable CPython among
    ``candidates`` (newest first); or why there is none.

    Each interpreter generates the canary (``cases`` as one module, with ``pxd``) once; those
    whose C is byte-identical form a class (:func:`classify`).  A member that cannot use this
    Cython, or whose canary could not be made for a transient reason, is left unclassified: its
    cell finds out why on its own (shipped C, or an ``env-error`` retried next run).  The newest
    CPython is found (and classified) when ``shipped`` says a cell needs shipped C, when a
    member cannot use this Cython, or when no member was classified.
    """
    cases = one_module(cases)
    canaries: list[tuple[Environment, Canary]] = []
    seen: set[str] = set()
    unusable = False
    for interpreter in sorted(members, key=_order):
        if interpreter.label in seen:
            continue
        seen.add(interpreter.label)
        env = native_env(cython, interpreter, ensure)
        unusable = unusable or env is None
        canary = None if env is None else measured_canary(cython, env, cases, pxd, cache)
        if env is not None and isinstance(canary, Canary):
            canaries.append((env, canary))
    newest: Environment | None = None
    if shipped or unusable or not canaries:
        found, why = usable(cython, candidates, ensure)
        if isinstance(found, EnvFailure):
            return Untriable(Outcome.ENV_ERROR, found.reason, found.cause)
        if found is None:
            if canaries:  # the run's own Pythons can generate: shipped C cannot be made
                return GeneratorChoice(None, *classify(cython, canaries))
            reasons = "; ".join(why) or "no Python here has a wheel of it"
            return Untriable(Outcome.NOT_POSSIBLE, f"no Python here on which Cython {cython}"
                             f" installs and runs to generate C ({reasons})"[:600])
        newest = found
        if newest.spec.interpreter.label not in seen:
            canary = measured_canary(cython, newest, cases, pxd, cache)
            if isinstance(canary, Untriable):
                return canary
            canaries.append((newest, canary))
    return GeneratorChoice(newest, *classify(cython, canaries))
