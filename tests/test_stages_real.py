"""Real builds through the two stages: C generated once per generation class and compiled per
Python, shipped-C cells, and generation classes measured on a 0.29 and a 3.x release."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.build.envs import EnvFailure, Environment, EnvSpec, ensure_env
from matrix.build.generate import generate, pxd_tree
from matrix.build.invariance import GeneratorChoice, choose_generator, comparable, native_env
from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.plan.grid import plan_cell
from matrix.plan.index import load_index
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain, measure_cell
from matrix.store.paths import PROJECT_ROOT, Layout

from .conftest import FIXTURES, need_python, planned

pytestmark = pytest.mark.slow

SETTINGS = EngineSettings(run_timeout_s=30)


def _layout(root: Path) -> Layout:
    return Layout(cases=FIXTURES / "cases", cache=root / "cache", results=root / "results",
                  shared_envs=PROJECT_ROOT / ".cache" / "envs")


def _cases() -> list:  # type: ignore[type-arg]
    return [c for c in load_cases(FIXTURES / "cases")
            if c.id in ("fixture-aliases", "fixture-copies")]


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir())


def test_c_is_generated_once_per_class_and_compiled_per_python(
        interpreters: dict[str, Interpreter], tmp_path: Path) -> None:
    old, new = need_python(interpreters, "3.11"), need_python(interpreters, "3.12")
    layout = _layout(tmp_path)
    toolchain = Toolchain.detect(SETTINGS)
    choice = choose_generator("3.0.12", (new, old), lambda s: ensure_env(s, layout.envs),
                              _cases(), None, layout.cache, (old, new), shipped=False)
    assert isinstance(choice, GeneratorChoice), choice
    [generation] = choice.classes
    assert generation.members == ("3.11", "3.12") and generation.generator == "3.12"
    records = []
    for interpreter in (old, new):
        cell = planned(Cell(interpreter.minor, "3.0.12"), interpreter, (new, old))
        records += measure_cell(cell, _cases(), layout, SETTINGS, toolchain, choice)
    assert [r.outcome for r in records] == [Outcome.OK] * 4
    assert {r.provenance["generated_under"] for r in records} == {str(new.version)}
    assert {r.provenance["c_generation"] for r in records} == {"class"}
    assert all(r.provenance["c_class"] == generation.to_json() for r in records)
    assert all(r.shipped_c is None for r in records)
    # The canary under each Python (under 3.12 it is also the class's module: these two cases
    # are the whole canary), and two compiled modules: one per Python.
    generated = _entries(layout.cache / "generate")
    assert [g.split("-", 1)[1] for g in generated] == [f"py{old.version}", f"py{new.version}"]
    assert len(_entries(layout.cache / "compile")) == 2


def test_a_cython_without_a_wheel_here_is_measured_with_shipped_c(
        interpreters: dict[str, Interpreter], tmp_path: Path) -> None:
    target, generator = need_python(interpreters, "3.11"), need_python(interpreters, "3.6")
    index = load_index(tmp_path / "index", offline=True)
    cell = plan_cell(Cell("3.11", "0.27.3"), target, index, [target, generator])
    assert cell.not_possible is None and cell.shipped_c is not None
    assert cell.generators == (generator,)
    records = measure_cell(cell, _cases(), _layout(tmp_path), SETTINGS,
                           Toolchain.detect(SETTINGS))
    for record in records:
        assert record.shipped_c == cell.shipped_c
        assert record.provenance["generated_under"] == str(generator.version)
        # The C of Cython 0.27 includes longintrepr.h, which Python 3.11 moved away.
        assert record.outcome is Outcome.CC_ERROR
        assert "longintrepr.h: No such file or directory" in (record.first_error or "")


@pytest.mark.parametrize(("cython", "minors"), [("0.29.37", ("3.11", "2.7")),
                                                ("3.0.12", ("3.11", "3.6"))])
def test_a_generation_class_gives_identical_c_beyond_its_canary(
        interpreters: dict[str, Interpreter], tmp_path: Path, cython: str,
        minors: tuple[str, str]) -> None:
    """Two Pythons the canary puts in one class, then other cases generated under each: the
    C is byte-identical there too (classes never merge Pythons whose C differs)."""
    newest, oldest = (need_python(interpreters, m) for m in minors)
    layout = _layout(tmp_path)

    def ensure(spec: EnvSpec) -> Environment | EnvFailure:
        return ensure_env(spec, layout.envs)

    choice = choose_generator(cython, (newest,), ensure, _cases(), None, layout.cache,
                              (oldest, newest), shipped=False)
    assert isinstance(choice, GeneratorChoice), choice
    [generation] = choice.classes
    assert generation.members == (oldest.label, newest.label)
    assert generation.generated_under == str(newest.version)
    assert generation.detail.startswith("2 cases, ")
    others = [c for c in load_cases(FIXTURES / "cases")
              if not c.needs_numpy and c.options.is_default and c not in _cases()
              and c.id != "fixture-cythonize-error"]
    assert others, "other cases than the canary's"
    # And numpy cases, which the canary (numpy-free cases) does not hold, over numpy's .pxd.
    numpy = ensure(EnvSpec(newest, None, "1.26.4"))
    assert isinstance(numpy, Environment), numpy
    pxd = pxd_tree("1.26.4", numpy.info.numpy_package, layout.cache / "pxd")
    numpy_cases = [c for c in load_cases(PROJECT_ROOT / "cases")
                   if c.id in ("control-numpy", "numpy-to-long-pointer")]
    assert len(numpy_cases) == 2
    for cases, tree in ((others, None), (numpy_cases, pxd)):
        c_files = []
        for interpreter in (oldest, newest):
            env = native_env(cython, interpreter, ensure)
            assert env is not None
            generated = generate(env, cases, tree, layout.cache / "generate")
            assert generated.outcome is Outcome.OK, generated.first_error
            c_files.append(comparable(generated.c_file))
        assert c_files[0] == c_files[1], [c.id for c in cases]


@pytest.mark.parametrize(("minor", "cython", "numpy", "case_id", "outcome", "error"), [
    # Cython 0.27 prefers its bundled numpy .pxd to the one numpy 1.19 ships (which it cannot
    # parse): numpy's .pxd first on the include path would override that choice.
    ("3.6", "0.27.3", "1.19.5", "numpy-to-long-pointer", Outcome.OK, None),
    # A numpy without .pxd files is still a package: Cython 3.1+ cimports it as an empty one
    # ("'ndarray' is not a type identifier"), not "'numpy.pxd' not found".
    ("3.8", "3.2.4", "1.17.5", "numpy-intp-to-intp-memoryview", Outcome.CYTHONIZE_ERROR,
     "'ndarray' is not a type identifier"),
])
def test_cython_sees_numpy_as_if_it_were_installed(
        interpreters: dict[str, Interpreter], tmp_path: Path, minor: str, cython: str,
        numpy: str, case_id: str, outcome: Outcome, error: str | None) -> None:
    """The generate stage mirrors an installed numpy (its package folder with ``.pxd`` files and
    ``__init__.py``, on sys.path): results equal those of builds with numpy installed."""
    interpreter = need_python(interpreters, minor)
    case = [c for c in load_cases(PROJECT_ROOT / "cases") if c.id == case_id]
    cell = planned(Cell(minor, cython, numpy, numpy), interpreter)
    [record] = measure_cell(cell, case, _layout(tmp_path), SETTINGS, Toolchain.detect(SETTINGS))
    assert record.outcome is outcome, record.first_error
    assert error is None or error in (record.first_error or "")
