"""Generator choice and the C invariance check, without builds."""

from __future__ import annotations

from pathlib import Path

from matrix.generators import GeneratorChoice, Invariance, comparable


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
