"""matrix/plan/casecode.py and the case selection around it: a case's class must define what
every case defines (read with Cython's parser), and one broken case file stops only a selection
that includes it."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from matrix.model.cases import load_cases
from matrix.model.errors import CaseDefinitionError
from matrix.plan.casecode import check_case_code, methods_of
from matrix.plan.scope import selected_cases

from .conftest import FIXTURES


def test_the_methods_of_a_case_class() -> None:
    code = ("cdef class a_case:\n    def source(self):\n        return 1\n"
            "    cpdef int helper(self):\n        return 2\n"
            "class other:\n    def target(self):\n        return 1\n")
    assert methods_of(code, "a.pyx", "a_case") == {"source"}
    assert methods_of(code, "a.pyx", "other") == {"target"}
    assert methods_of(code, "a.pyx", "missing") == set()
    assert methods_of("cdef class broken(:\n", "a.pyx", "broken") is None, (
        "what Cython rejects is measured (a cythonize-error), not judged here")


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in names:
        for ext in (".pyx", ".toml"):
            shutil.copy(FIXTURES / "cases" / f"{name}{ext}", folder / f"{name}{ext}")
    return folder


def test_a_case_without_source_or_target_is_named(tmp_path: Path) -> None:
    folder = _copy(tmp_path, "fixture-copies", "fixture-aliases")
    pyx = folder / "fixture-aliases.pyx"
    pyx.write_text(pyx.read_text().replace("def source(self)", "def origin(self)"))
    with pytest.raises(CaseDefinitionError) as raised:
        check_case_code(load_cases(folder))
    assert str(pyx) in str(raised.value) and "has no source()" in str(raised.value)
    pyx.write_text(pyx.read_text().replace("cdef class fixture_aliases", "cdef class renamed"))
    with pytest.raises(CaseDefinitionError, match="must define a top-level class named"):
        check_case_code(load_cases(folder))  # the class itself: loading names it already


def test_a_checked_case_is_not_parsed_again(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cases = load_cases(_copy(tmp_path, "fixture-copies"))
    check_case_code(cases, tmp_path / "cache")
    assert (tmp_path / "cache" / f"{cases[0].content_hash}.ok").exists()
    import matrix.plan.casecode as casecode

    monkeypatch.setattr(casecode, "methods_of", lambda *a: pytest.fail("parsed again"))
    check_case_code(cases, tmp_path / "cache")


def test_one_broken_case_file_stops_only_a_selection_that_holds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path / "cache"))
    folder = _copy(tmp_path, "fixture-copies", "fixture-aliases")
    (folder / "fixture-aliases.toml").write_text("id = 'fixture-aliases'\n")  # no title ...
    stream = io.StringIO()
    chosen = selected_cases(folder, ["fixture-copies"], stream=stream)
    assert [c.id for c in chosen] == ["fixture-copies"]
    assert "warning:" in stream.getvalue() and "fixture-aliases.toml" in stream.getvalue()
    assert "not selected: left out" in stream.getvalue()
    with pytest.raises(CaseDefinitionError, match="fixture-aliases.toml"):
        selected_cases(folder, ["fixture-a*"], stream=io.StringIO())
    with pytest.raises(CaseDefinitionError, match="fixture-aliases.toml"):
        selected_cases(folder, None, stream=io.StringIO())  # every case: it is selected
    with pytest.raises(CaseDefinitionError, match="fixture-aliases.toml"):
        load_cases(folder)  # the report's reading stays strict: it publishes every case


def test_bisect_s_selection_holds_its_case_and_the_controls_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bisection reads its case and the control cases: a broken third case is a warning."""
    from matrix.store.paths import PROJECT_ROOT

    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path / "cache"))
    folder = _copy(tmp_path, "fixture-copies", "fixture-aliases")
    for ext in (".pyx", ".toml"):
        shutil.copy(PROJECT_ROOT / "cases" / f"control-plain{ext}", folder)
    (folder / "fixture-aliases.toml").write_text("id = 'fixture-aliases'\n")
    stream = io.StringIO()
    chosen = selected_cases(folder, ["fixture-copies"], stream=stream, with_controls=True)
    assert [c.id for c in chosen] == ["control-plain", "fixture-copies"]
    assert "fixture-aliases.toml" in stream.getvalue()
    assert [c.id for c in selected_cases(folder, ["nothing"], stream=io.StringIO(),
                                         with_controls=True)] == ["control-plain"]
