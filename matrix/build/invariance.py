"""Which Python runs a Cython release, and whether its C depends on that Python (measured).

* :func:`cython_runs` -- does this Cython install *and run* in an environment (cythonize an
  empty module)?  The verdict is cached in the environment, except a timeout (a loaded machine).
* :func:`choose_generator` -- the Python that generates a Cython release's C: the newest
  Python on which it installs and runs.  The oldest such Python is found too, and the C that
  both generate for the same cases is compared (:class:`Invariance`, cached by content).  A
  release whose C differs is generated *per Python* (native cells generate under their own
  Python); one whose C is identical is generated once and shared by every Python.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matrix.build import stagecache
from matrix.build.envs import EnvFailure, Environment, EnvSpec
from matrix.build.generate import PxdTree, generate, generate_key
from matrix.build.procs import Completed, run_process
from matrix.model.cases import Case
from matrix.model.errorline import last_line, stored_line
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry
from matrix.plan.interpreters import Interpreter

SMOKE_MARK = "mm-cython-smoke.json"
SMOKE_TIMEOUT_S = 300.0
INVARIANCE_VERSION = "invariance/2"

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
                           timeout_s=SMOKE_TIMEOUT_S, cwd=probe_dir)

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
class Invariance:
    """The C a Cython release generated under its oldest and newest Python, compared."""

    cython: str
    oldest: str
    newest: str
    identical: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Untriable:
    """No generator: ``not-possible`` (this Cython runs on no Python here) or ``env-error``
    (an environment could not be made for a transient reason; the next run tries again)."""

    outcome: Outcome
    reason: str
    cause: Cause = Cause.NO_GENERATOR


@dataclass(frozen=True)
class GeneratorChoice:
    """Where a Cython release generates C: its newest usable Python, and whether the C it
    generates there serves every Python (``per_python`` False) or not."""

    newest: Environment
    invariance: Invariance

    @property
    def per_python(self) -> bool:
        return not self.invariance.identical


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
    return _INSTALL_PATH.sub("<site-packages>/", text).splitlines()


def one_module(cases: Sequence[Case]) -> list[Case]:
    """The cases the check compares as one module: one module holds one set of build options,
    so those built as every case is (no options), or, if there are none, the first set's."""
    plain = [c for c in cases if c.options.is_default]
    return plain or [c for c in cases if c.options == cases[0].options]


def compare_c(cython: str, oldest: Environment, newest: Environment, cases: Sequence[Case],
              pxd: PxdTree | None, generate_root: Path) -> Invariance | Untriable:
    """Generate the same module under both Pythons and compare the C line by line.

    Cases that fail to cythonize alike under both are left out and the rest compared again,
    so one broken case does not reduce the check to comparing error messages.
    """
    old_version, new_version = oldest.info.python, newest.info.python
    if oldest.path == newest.path:
        return Invariance(cython, old_version, new_version, True,
                          f"runs on one Python here ({new_version}): nothing to compare")
    remaining, left_out = list(cases), 0
    while True:
        new = generate(newest, remaining, pxd, generate_root, per_python=False)
        old = generate(oldest, remaining, pxd, generate_root, per_python=True)
        transient = next((g for g in (new, old) if g.cause is not Cause.REPORTED), None)
        if transient is not None:  # a killed or timed-out cython compares nothing
            return Untriable(Outcome.ENV_ERROR, f"invariance check: {transient.first_error}",
                             transient.cause)
        if old.outcome is Outcome.OK and new.outcome is Outcome.OK:
            break
        if (old.outcome, old.first_error) != (new.outcome, new.first_error):
            return Invariance(cython, old_version, new_version, False,
                              stored_line(f"cythonize differs: {old_version}:"
                                          f" {old.outcome.value} {old.first_error};"
                                          f" {new_version}: {new.outcome.value}"
                                          f" {new.first_error}"))
        blamed = [c for c in remaining if f"{c.id}.pyx" in new.error_files]
        if not blamed or len(blamed) == len(remaining):
            return Invariance(cython, old_version, new_version, True,
                              stored_line(f"both failed alike to cythonize: {new.first_error}"))
        remaining = [c for c in remaining if c not in blamed]
        left_out += len(blamed)
    old_lines, new_lines = comparable(old.c_file), comparable(new.c_file)
    scope = f"{len(remaining)} cases" + (
        f"; {left_out} that fail to cythonize alike left out" if left_out else "")
    if old_lines == new_lines:
        return Invariance(cython, old_version, new_version, True,
                          f"byte-identical C ({scope}, {len(new_lines):,} lines)")
    first = next((i for i, (a, b) in enumerate(zip(old_lines, new_lines)) if a != b),
                 min(len(old_lines), len(new_lines)))
    changed = sum(1 for line in difflib.unified_diff(old_lines, new_lines, n=0)
                  if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    return Invariance(cython, old_version, new_version, False,
                      stored_line(f"C differs ({scope}) from line {first + 1}, {changed:,} lines"
                                  f" changed: {old_lines[first:first + 1]!r} vs"
                                  f" {new_lines[first:first + 1]!r}"))


def choose_generator(cython: str, candidates: Sequence[Interpreter], ensure: EnsureEnv,
                     cases: Sequence[Case], pxd: PxdTree | None, cache: Path,
                     ) -> GeneratorChoice | Untriable:
    """The generator of ``cython`` among ``candidates`` (newest first), or why there is none.

    The invariance check compares the C of ``cases`` (with ``pxd``) under the newest and the
    oldest usable Python; its verdict is cached by content (the release, both Pythons, the
    cases' code and the ``.pxd``).
    """
    newest, why = usable(cython, candidates, ensure)
    if isinstance(newest, EnvFailure):
        return Untriable(Outcome.ENV_ERROR, newest.reason, newest.cause)
    if newest is None:
        reasons = "; ".join(why) or "no Python here has a wheel of it"
        return Untriable(Outcome.NOT_POSSIBLE, f"no Python here on which Cython {cython}"
                         f" installs and runs to generate C ({reasons})"[:600])
    oldest, _ = usable(cython, list(reversed(candidates)), ensure)
    if isinstance(oldest, EnvFailure):
        return Untriable(Outcome.ENV_ERROR, oldest.reason, oldest.cause)
    assert oldest is not None  # newest is usable, so the scan from the other end finds one
    cases = one_module(cases)
    material = [INVARIANCE_VERSION, cython, oldest.spec.interpreter.id.key_material,
                newest.spec.interpreter.id.key_material, generate_key(cython, cases, pxd)]
    name = f"cy{cython}-{stagecache.key_of(material)}"
    with stagecache.locked_entry(cache / "invariance", name) as directory:
        cached = stagecache.load(directory)
        if cached is not None:
            return GeneratorChoice(newest, Invariance(**cached))
        invariance = compare_c(cython, oldest, newest, cases, pxd, cache / "generate")
        if isinstance(invariance, Untriable):
            return invariance
        stagecache.save(stagecache.fresh(directory), invariance.to_json(), [])
    return GeneratorChoice(newest, invariance)
