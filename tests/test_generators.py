"""Generator choice and the C invariance check, without builds."""

from __future__ import annotations

from pathlib import Path

from matrix.build.invariance import GeneratorChoice, Invariance, comparable


def test_comparison_ignores_where_things_are_installed(tmp_path: Path) -> None:
    old, new = tmp_path / "a" / "mm_x.c", tmp_path / "b" / "mm_x.c"
    old.parent.mkdir()
    new.parent.mkdir()
    old.write_text('/* "../../envs/py2.7.18-cy0.29.37/lib/python2.7/site-packages/Cython/'
                   'Includes/numpy/__init__.pxd":775\n'
                   f'static const char *f = "{old.parent}/mm_x.pyx";\n')
    new.write_text('/* "../../envs/py3.15.2-cy0.29.37/lib/python3.15/site-packages/Cython/'
                   'Includes/numpy/__init__.pxd":775\n'
                   f'static const char *f = "{new.parent}/mm_x.pyx";\n')
    assert comparable(old) == comparable(new)
    new.write_text(new.read_text() + "#if CYTHON_COMPRESS_STRINGS == 3\n")
    assert comparable(old) != comparable(new)


def test_c_that_differs_by_python_is_generated_per_python() -> None:
    differs = Invariance("3.2.9", "3.8.18", "3.15.2", False, "C differs")
    same = Invariance("0.29.37", "2.7.18", "3.15.2", True, "byte-identical C")
    env = object()
    assert GeneratorChoice(env, differs).per_python  # type: ignore[arg-type]
    assert not GeneratorChoice(env, same).per_python  # type: ignore[arg-type]
    assert same.to_json() == {"cython": "0.29.37", "oldest": "2.7.18", "newest": "3.15.2",
                              "identical": True, "detail": "byte-identical C"}


def _interpreter(version: str) -> object:
    from packaging.version import Version

    from matrix.plan.interpreters import Interpreter

    return Interpreter(Version(version), Path(f"/fake/python{version}"))


def test_no_python_that_can_generate_is_not_possible_with_the_reasons(tmp_path: Path) -> None:
    from matrix.build.envs import EnvFailure
    from matrix.build.invariance import Untriable, choose_generator
    from matrix.model.outcomes import Outcome

    def no_wheel(spec: object) -> EnvFailure:
        return EnvFailure(spec, True, "cannot install: no matching distribution", "")  # type: ignore[arg-type]

    choice = choose_generator("0.27.3", [_interpreter("3.12.1")], no_wheel, [], None,  # type: ignore[list-item]
                              tmp_path)
    assert isinstance(choice, Untriable) and choice.outcome is Outcome.NOT_POSSIBLE
    assert "no Python here on which Cython 0.27.3 installs and runs" in choice.reason
    assert "Python 3.12.1: cannot install: no matching distribution" in choice.reason
    nothing = choose_generator("0.27.3", [], no_wheel, [], None, tmp_path)
    assert isinstance(nothing, Untriable) and nothing.outcome is Outcome.NOT_POSSIBLE


def test_a_transient_environment_failure_is_an_env_error_not_another_generator(
        tmp_path: Path) -> None:
    from matrix.build.envs import EnvFailure
    from matrix.build.invariance import Untriable, choose_generator
    from matrix.model.outcomes import Outcome

    asked: list[str] = []

    def offline(spec: object) -> EnvFailure:
        asked.append(str(spec.interpreter.version))  # type: ignore[attr-defined]
        return EnvFailure(spec, False, "Failed to fetch: connection reset", "")  # type: ignore[arg-type]

    choice = choose_generator("3.2.9", [_interpreter("3.13.0"), _interpreter("3.8.18")],  # type: ignore[list-item]
                              offline, [], None, tmp_path)
    assert isinstance(choice, Untriable) and choice.outcome is Outcome.ENV_ERROR
    assert asked == ["3.13.0"], "an older Python must not silently become the generator"
