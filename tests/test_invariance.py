"""Generator choice and generation classes, without builds."""

from __future__ import annotations

from pathlib import Path

from matrix.build.invariance import Canary, classify, comparable


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


def _env(label: str, version: str) -> object:
    """A stand-in environment of an interpreter (classify reads its interpreter only)."""
    from types import SimpleNamespace

    from packaging.version import Version

    from matrix.model.interpreters import KINDS, kind_id
    from matrix.plan.interpreters import Interpreter

    interpreter = Interpreter(Version(version), Path(f"/fake/{label}"),
                              kind=KINDS[kind_id(label)])
    assert interpreter.label == label
    return SimpleNamespace(spec=SimpleNamespace(interpreter=interpreter),
                           path=Path(f"/fake/env-{label}"))


def test_pythons_with_byte_identical_c_form_one_class_generated_under_its_newest_cpython(
        ) -> None:
    canaries = [(_env(label, version), Canary(label, version, digest, ("a", "b"),
                                              "2 cases, 9 lines"))
                for label, version, digest in [
                    ("3.15", "3.15.2", "new"), ("3.8", "3.8.18", "old"),
                    ("pypy3.11", "3.11.11", "old"), ("3.13", "3.13.0", "old"),
                    ("3.13t", "3.13.15", "old"), ("3.14", "3.14.10", "new")]]
    classes, generators, member_of = classify("3.2.9", canaries)  # type: ignore[arg-type]
    assert [c.members for c in classes] == [("3.8", "pypy3.11", "3.13", "3.13t"),
                                            ("3.14", "3.15")]
    # PyPy and free-threaded CPython share the class, but a CPython generates it.
    assert [(c.generator, c.generated_under, c.classes) for c in classes] == [
        ("3.13", "3.13.0", 2), ("3.15", "3.15.2", 2)]
    assert member_of["pypy3.11"] == "3.13" and member_of["3.14"] == "3.15"
    assert set(generators) == {"3.13", "3.15"}
    assert classes[0].to_json()["canary"] == ["a", "b"]


def test_a_python_whose_canary_gave_no_c_is_a_class_of_its_own() -> None:
    canaries = [(_env("3.12", "3.12.1"), Canary("3.12", "3.12.1", "", (), "no C: x")),
                (_env("3.11", "3.11.7"), Canary("3.11", "3.11.7", "", (), "no C: x")),
                (_env("3.10", "3.10.13"), Canary("3.10", "3.10.13", "d", ("a",), "1 case"))]
    classes, _, member_of = classify("3.0.12", canaries)  # type: ignore[arg-type]
    assert [c.members for c in classes] == [("3.10",), ("3.11",), ("3.12",)]
    assert member_of == {"3.10": "3.10", "3.11": "3.11", "3.12": "3.12"}


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


def test_a_choice_names_each_members_generator_and_where_shipped_c_comes_from() -> None:
    from matrix.build.invariance import GeneratorChoice

    canaries = [(_env(label, version), Canary(label, version, digest, ("a",), "1 case"))
                for label, version, digest in [("3.8", "3.8.18", "old"), ("3.13", "3.13.0", "old"),
                                               ("3.15", "3.15.2", "new")]]
    newest = canaries[-1][0]
    choice = GeneratorChoice(newest, *classify("3.2.9", canaries))  # type: ignore[arg-type]
    found = choice.generator_for("3.8")
    assert found is not None and found[0] is canaries[1][0] and found[1].generator == "3.13"
    assert choice.generator_for("3.11") is None, "not classified: the cell generates its own"
    shipped = choice.shipped
    assert shipped is not None and shipped[0] is newest and shipped[1].members == ("3.15",)
    assert GeneratorChoice(None, *classify("3.2.9", canaries)).shipped is None  # type: ignore[arg-type]


def test_a_class_is_generated_under_its_newest_cpython_with_a_compiled_cython() -> None:
    """Cython's pure-Python wheel (a Python newer than the release's wheels) cythonizes slower:
    the same C comes faster from a member with a binary wheel."""
    from packaging.version import Version

    from matrix.build.invariance import generator_of
    from matrix.model.interpreters import KINDS
    from matrix.plan.interpreters import Interpreter

    def python(label: str, version: str, kind: str = "cpython") -> Interpreter:
        return Interpreter(Version(version), Path(f"/fake/{label}"), kind=KINDS[kind])

    members = [python("3.13", "3.13.0"), python("3.14", "3.14.10"), python("3.15", "3.15.2"),
               python("pypy3.11", "3.11.11", "pypy")]
    assert generator_of(members, {"3.13", "3.14"}).label == "3.14"
    assert generator_of(members, set()).label == "3.15"
    assert generator_of(members[3:], set()).label == "pypy3.11"
