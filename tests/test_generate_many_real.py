"""Real builds: a cell's modules cythonized in one process get the C, outcome and first error
that ``python -m cython`` gives each alone (on a 0.29 and a 3.x release, Python 2.7 included),
and a module the process did not finish is generated on its own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from matrix.build import generate as generate_stage
from matrix.build.envs import EnvFailure, Environment, EnvSpec, ensure_env
from matrix.build.generate import Generated, generate, generate_many, pxd_tree
from matrix.build.modules import plan_modules
from matrix.model.cases import Case, load_cases
from matrix.model.outcomes import Outcome
from matrix.plan.interpreters import Interpreter
from matrix.store.paths import PROJECT_ROOT

from .conftest import FIXTURES, need_python

pytestmark = pytest.mark.slow

ENVS = PROJECT_ROOT / ".cache" / "envs"


def _env(interpreter: Interpreter, cython: str | None, numpy: str | None = None
         ) -> Environment:
    env = ensure_env(EnvSpec(interpreter, cython, numpy), ENVS)
    assert not isinstance(env, EnvFailure), env
    return env


def _c_digest(generated: Generated) -> str:
    text = generated.c_file.read_text(encoding="utf-8", errors="replace")
    return hashlib.sha256(text.replace(str(generated.directory), "<dir>").encode()).hexdigest()


def _sample(cases: list[Case]) -> list[Case]:
    """Every case with a build option of its own, the controls and those built alone, and the
    first six of the default batch (its other cases add lines, not kinds of module)."""
    special = [c for c in cases if c.build_alone or not c.options.is_default]
    return special + [c for c in cases if c not in special][:6]


def _modules(cases: list[Case]) -> list[tuple[Case, ...]]:
    """Every module a cell builds first, and some of their cases alone (as a split builds
    them): each case of a small batch."""
    planned = [m.cases for m in plan_modules(cases)]
    return planned + [(c,) for m in planned if 1 < len(m) <= 3 for c in m]


def _same_alone_and_together(env: Environment, modules: list[tuple[Case, ...]],
                             root: Path, pxd: object = None) -> list[Generated]:
    together = generate_many(env, modules, pxd, root / "many")  # type: ignore[arg-type]
    assert len(together) == len(modules)
    for cases, many in zip(modules, together):
        alone = generate(env, cases, pxd, root / "alone")  # type: ignore[arg-type]
        assert (many.module, many.outcome, many.first_error, many.error_files) == (
            alone.module, alone.outcome, alone.first_error, alone.error_files), cases
        if alone.outcome is Outcome.OK:
            assert _c_digest(many) == _c_digest(alone), [c.id for c in cases]
        assert "cythonized in one process" in many.log
    return together


@pytest.mark.parametrize(("minor", "cython"), [("3.11", "3.2.9"), ("2.7", "0.29.37")])
def test_the_cells_modules_get_the_same_c_in_one_process(
        interpreters: dict[str, Interpreter], tmp_path: Path, minor: str, cython: str) -> None:
    """The numpy-free cases' modules (a default batch, the control, each build option: C++,
    Limited API, directives, language_level=2) and the small batches' cases alone, plus the
    fixture that fails to cythonize: the same C, outcome and first error either way."""
    env = _env(need_python(interpreters, minor), cython)
    cases = _sample([c for c in load_cases(PROJECT_ROOT / "cases") if not c.needs_numpy])
    broken = [c for c in load_cases(FIXTURES / "cases") if c.id == "fixture-cythonize-error"]
    modules = _modules(cases) + [tuple(broken)]
    together = _same_alone_and_together(env, modules, tmp_path)
    assert together[-1].outcome is Outcome.CYTHONIZE_ERROR
    assert sum(g.outcome is Outcome.OK for g in together) >= len(modules) - 4


def test_numpy_modules_get_the_same_c_in_one_process(
        interpreters: dict[str, Interpreter], tmp_path: Path) -> None:
    interpreter = need_python(interpreters, "3.11")
    generator = _env(interpreter, "3.2.9")
    with_numpy = _env(interpreter, None, "2.3.5")
    pxd = pxd_tree("2.3.5", with_numpy.info.numpy_package, tmp_path / "pxd")
    cases = _sample([c for c in load_cases(PROJECT_ROOT / "cases") if c.needs_numpy])
    _same_alone_and_together(generator, [m.cases for m in plan_modules(cases)], tmp_path, pxd)


def test_a_module_the_process_did_not_finish_is_generated_alone(
        interpreters: dict[str, Interpreter], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The process dies after its first module (as if killed): the others are still measured,
    each on its own, and nothing half-done is cached."""
    env = _env(need_python(interpreters, "3.11"), "3.2.9")
    dying = tmp_path / "dying.py"
    dying.write_text(
        "import json, os, sys\n"
        f"sys.path.insert(0, {str(generate_stage.CYTHONIZE_MANY.parent)!r})\n"
        "import cythonize_many as many\n"
        "jobs = json.load(open(sys.argv[1]))\n"
        "json.dump(jobs[:1], open(sys.argv[1], 'w'))\n"
        "many.run(sys.argv[1])\n"
        "os._exit(9)\n")
    monkeypatch.setattr(generate_stage, "CYTHONIZE_MANY", dying)
    cases = [c for c in load_cases(FIXTURES / "cases")
             if c.id in ("fixture-aliases", "fixture-copies", "fixture-cythonize-error")]
    modules = [(c,) for c in cases]
    results = generate_many(env, modules, None, tmp_path / "generate")
    logs = ["cythonized in one process" in g.log for g in results]
    assert logs.count(True) == 1 and logs.count(False) == 2
    by_id = {g.case_ids[0]: g.outcome for g in results}
    assert by_id == {"fixture-aliases": Outcome.OK, "fixture-copies": Outcome.OK,
                     "fixture-cythonize-error": Outcome.CYTHONIZE_ERROR}
    again = generate_many(env, modules, None, tmp_path / "generate")
    assert [g.log for g in again] == [g.log for g in results]  # all cached now
