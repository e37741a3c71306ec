"""Upstream references: validation names file, entry and field; matching; no stale entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from matrix.model.outcomes import Outcome
from matrix.store.paths import PROJECT_ROOT
from report.references import REFERENCES_FILE, ReferenceError, load_references, references_for
from tests.fixtures.report.factory import rec

GOOD = """
[[reference]]
id = "np-int"
error = "has no attribute 'int'"
numpy_run = ">=1.24"
title = "NumPy 1.24.0 release notes"
url = "https://numpy.org/doc/stable/release/1.24.0-notes.html"
why = "np.int was removed in NumPy 1.24."
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "references.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "message"), [
    (('error = "has no attribute \'int\'"', 'error = "(unclosed"'),
     "reference 1 (np-int): field 'error' is not a regular expression"),
    (('numpy_run = ">=1.24"', 'numpy_run = "from 1.24 on"'),
     "reference 1 (np-int): field 'numpy_run': 'from 1.24 on' is not a version specifier"),
    (('url = "https://', 'url = "http://'), "reference 1 (np-int): field 'url' must be an https"),
    (('why = "np.int was removed in NumPy 1.24."', 'why = ""'),
     "reference 1 (np-int): field 'why' is required"),
    (('numpy_run = ">=1.24"', 'numpy = ">=1.24"'), "reference 1 (np-int): unknown field 'numpy'"),
    (('title = ', 'outcome = "broken"\ntitle = '),
     "reference 1 (np-int): field 'outcome' must be one of ok, "),
])
def test_a_bad_entry_names_file_entry_and_field(tmp_path: Path, change: tuple[str, str],
                                                message: str) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ReferenceError) as raised:
        load_references(path)
    assert str(raised.value).startswith(f"{path}: {message}")


def test_a_duplicate_id_and_bad_toml_are_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + GOOD)
    with pytest.raises(ReferenceError, match="reference 2: field 'id': 'np-int' is used twice"):
        load_references(path)
    _write(tmp_path, "[[reference]\n")
    with pytest.raises(ReferenceError, match="not valid TOML"):
        load_references(path)


def test_matching_needs_the_pattern_and_a_record_in_range(tmp_path: Path) -> None:
    [reference] = load_references(_write(tmp_path, GOOD))
    error = "convert: AttributeError: module 'numpy' has no attribute 'int'."
    new = rec("c", "3.11", "3.0.12", "run-error", numpy="1.26.4", error=error)
    old = rec("c", "3.11", "3.0.12", "run-error", numpy="1.23.5", error=error)
    assert references_for([reference], "run-error", error, [old, new]) == (reference,)
    assert references_for([reference], "run-error", error, [old]) == ()
    assert references_for([reference], "run-error", "convert: other", [new]) == ()


def test_the_project_references_load_and_are_well_formed() -> None:
    references = load_references()
    assert len(references) >= 8
    assert all(r.url.startswith("https://") and r.why.endswith(".") for r in references)


def test_every_reference_explains_a_published_note() -> None:
    """A reference that matches no published note is stale: fix its pattern or ranges, or
    remove it (the drift test keeps docs/compat.json in step with the references file)."""
    published = json.loads((PROJECT_ROOT / "docs" / "compat.json").read_text(encoding="utf-8"))
    cited = {ref["id"] for note in published["notes"] for ref in note.get("references", [])}
    stale = [r.id for r in load_references(REFERENCES_FILE) if r.id not in cited]
    assert not stale, f"references that match no published note: {stale}"
    failures = [n for n in published["notes"] if n["kind"] == "failure"]
    assert sum(1 for n in failures if n["references"]) >= 8


def test_a_reference_never_changes_an_outcome() -> None:
    """The notes cite references; the records (and so every table) are the same without."""
    from matrix.model.cases import load_cases
    from matrix.model.selection import CaseInfo
    from report.compose import compose

    fixture = PROJECT_ROOT / "tests" / "fixtures" / "report"
    from matrix.store.results import ResultStore

    records = ResultStore(fixture / "records.jsonl").records()
    cases = [CaseInfo.from_case(c) for c in load_cases(fixture / "cases")]
    bare = compose(records, cases)
    error_line = next(r.first_error for r in records if r.outcome is Outcome.RUN_ERROR
                      and "no attribute 'int'" in (r.first_error or ""))
    assert error_line
    cited = compose(records, cases, references=load_references())
    assert cited.records == bare.records and cited.rows == bare.rows
    assert any(n.references for n in cited.footnotes)
    assert not any(n.references for n in bare.footnotes)


def test_a_python_specifier_is_about_one_implementation_by_its_language_version() -> None:
    import re

    from packaging.specifiers import SpecifierSet

    from report.references import Reference

    cpython_313 = Reference("r", re.compile("x"), "t", "https://e", "w",
                            versions=(("python", SpecifierSet(">=3.13")),))
    assert cpython_313.applies_to(rec("a", "3.13", "3.0.12"))
    assert cpython_313.applies_to(rec("a", "3.13t", "3.0.12")), "3.13t is CPython 3.13"
    assert not cpython_313.applies_to(rec("a", "3.12", "3.0.12"))
    assert not cpython_313.applies_to(rec("a", "pypy3.13", "3.0.12")), "CPython's, not PyPy's"
    pypy = Reference("p", re.compile("x"), "t", "https://e", "w",
                     versions=(("python", SpecifierSet(">=3.11")),), implementation="PyPy")
    assert pypy.applies_to(rec("a", "pypy3.11", "3.2.9"))
    assert not pypy.applies_to(rec("a", "3.11", "3.2.9"))
