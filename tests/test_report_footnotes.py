"""Failure notes: normalized error lines, one number per distinct failure, first-use order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from matrix.model.errorline import normalize_error
from report.footnotes import (
    LONG_ID_DIGITS,
    FootnoteBook,
    describe_cells,
    failure_key,
    note_id,
    refs,
)
from tests.fixtures.report.factory import rec


@pytest.mark.parametrize(("raw", "shown"), [
    ("/home/x/.cache/envs/py3.12.1-cy0.29.37-np2.1.3/lib/python3.12/site-packages/numpy/"
     "__init__.pxd:12:13: Build aborted", "numpy/__init__.pxd:12:13: Build aborted"),
    ("/tmp/build-1/mm_x.c:3:1: error: boom", ".../mm_x.c:3:1: error: boom"),
    ("SIGSEGV at 0x7f3a9c001234", "SIGSEGV at 0x..."),
    ("<module>.c:1737:105: error: invalid type argument of '->'",
     "<module>.c: error: invalid type argument of '->'"),
    ("  two\n  lines  ", "two lines"),
    (None, "(no error line recorded)"),
    ("x" * 300, "x" * 239 + "…"),
])
def test_normalize_error(raw: str | None, shown: str) -> None:
    assert normalize_error(raw) == shown


def test_same_failure_in_two_environments_is_one_failure() -> None:
    a = rec("c", "3.12", "0.29.37", "cythonize-error", numpy="2.1.3",
            error="/a/site-packages/numpy/__init__.pxd:12:13: needs Cython 3")
    b = rec("d", "3.13", "0.29.37", "cythonize-error", numpy="2.2.0",
            error="/b/other/site-packages/numpy/__init__.pxd:12:13: needs Cython 3")
    assert failure_key(a) == failure_key(b)
    assert failure_key(rec("c", "3.12", "3.0.12")) is None
    assert failure_key(rec("c", "3.12", "3.0.12", "not-possible", error="no wheel")) is None
    assert failure_key(rec("c", "3.12", "3.0.12", "env-error", error="net")) == ("env-error", "net")


def test_ids_come_from_content_and_notes_are_listed_in_first_use_order() -> None:
    records = [
        rec("a", "3.6", "0.27.3", "run-error", error="first"),
        rec("b", "3.6", "0.27.3", "crash", error="second"),
        rec("b", "3.12", "3.0.12", "run-error", error="first"),
    ]
    book = FootnoteBook(records, marker="📦")
    crash = book.failure(("crash", "second"))
    assert crash == note_id("crash", ("crash", "second"))
    assert crash.startswith("crash-") and len(crash) == len("crash-") + 5
    run = book.failure(("run-error", "first"))
    assert run.startswith("run-") and run != crash
    assert book.failures([("run-error", "first"), ("crash", "second")]) == (run, crash)
    semantics = book.note("a", "semantics vary")
    assert semantics.startswith("sem-")
    assert book.note("a", "semantics vary") == semantics
    notes = book.notes()
    assert [n.id for n in notes] == [crash, run, semantics]
    assert notes[1].where == (("a", "py3.6: cy0.27.3"), ("b", "py3.12: cy3.0.12"))
    assert notes[1].kind == "failure" and notes[2].kind == "semantics"


def test_environment_errors_are_their_own_kind() -> None:
    book = FootnoteBook([rec("a", "3.6", "3.1.4", "env-error", error="network")], marker="📦")
    book.failure(("env-error", "network"))
    assert book.notes()[0].kind == "environment"


def test_describe_cells_groups_by_python_then_summarizes() -> None:
    few = [rec("a", "3.12", "3.0.12", numpy="1.26.4", run="2.1.3"), rec("a", "2.7", "0.29.37")]
    assert describe_cells(few, marker="📦") == (
        "py2.7: cy0.29.37; py3.12: cy3.0.12-np1.26.4-run2.1.3")
    many = [rec("a", p, c)
            for p in ("3.6", "3.12") for c in ("0.27.3", "0.29.37", "3.0.0", "3.1.0")]
    assert describe_cells(many, marker="📦") == (
        "8 cells: Python 3.6, 3.12; Cython 0.27.3–3.1.0 (4 versions)")


def test_describe_cells_marks_shipped_c_cells() -> None:
    shipped = rec("a", "3.12", "0.27.3", "cc-error", error="x", shipped="cannot run")
    untried = rec("a", "3.13", "0.27.3", "not-possible", shipped="cannot run")
    native = rec("a", "3.12", "0.29.37", "cc-error", error="x")
    assert describe_cells([native, shipped, untried], marker="📦") == (
        "py3.12: cy0.27.3 📦, cy0.29.37; py3.13: cy0.27.3")
    many = [rec("a", p, c, shipped="cannot run" if c == "0.27.3" else None)
            for p in ("3.6", "3.12") for c in ("0.27.3", "0.29.37", "3.0.0", "3.1.0")]
    assert describe_cells(many, marker="📦") == (
        "8 cells: Python 3.6, 3.12; Cython 0.27.3–3.1.0 (4 versions); 2 of them with shipped"
        " C 📦")
    book = FootnoteBook([shipped, native], marker="📦")
    book.failure(("cc-error", "x"))
    assert book.notes()[0].where == (("a", "py3.12: cy0.27.3 📦, cy0.29.37"),)


def test_refs() -> None:
    assert refs([]) == ""
    assert refs(["cc-3f2a1", "run-0b7c2"]) == (
        "<sup>[cc-3f2a1](notes.md#cc-3f2a1),[run-0b7c2](notes.md#run-0b7c2)</sup>")
    assert refs(["cc-3f2a1"], link=False) == "<sup>cc-3f2a1</sup>"


def test_an_id_does_not_depend_on_other_notes() -> None:
    alone = FootnoteBook([rec("b", "3.6", "0.27.3", "crash", error="second")], marker="")
    crowded = FootnoteBook([rec("a", "3.6", "0.27.3", "run-error", error="first"),
                            rec("b", "3.6", "0.27.3", "crash", error="second")], marker="")
    crowded.failure(("run-error", "first"))
    assert alone.failure(("crash", "second")) == crowded.failure(("crash", "second"))


def test_a_colliding_id_gets_a_longer_one() -> None:
    book = FootnoteBook([], marker="")
    first = book.note("a", "one")
    # Force a collision: the next note's short id is already taken.
    book._notes[0] = replace(book._notes[0], id=note_id("semantics", ("a", "two")))
    second = book.note("a", "two")
    assert second == note_id("semantics", ("a", "two"), LONG_ID_DIGITS) != first


def test_failure_notes_carry_a_paste_ready_reproducer() -> None:
    from report.footnotes import reproduce_command

    record = rec("case-x", "3.12", "3.3.1", "import-error", numpy="1.26.4", run="2.5.5",
                 error="ImportError: boom")
    assert reproduce_command(record) == (
        "nox -s matrix -- try --python 3.12 --cython 3.3.1 --numpy 1.26.4 --numpy-run 2.5.5"
        " --case case-x")
    core = rec("case-y", "2.7", "0.27.3", "cythonize-error", error="x.pyx:1:1: bad")
    assert reproduce_command(core) == (
        "nox -s matrix -- try --python 2.7 --cython 0.27.3 --case case-y")


def test_a_toolchain_failure_names_its_control_and_counts_the_other_cases() -> None:
    """Where a control fails with the same error in the same cells as the cases, the note says
    so once (the control, and how many cases share it); a case seen elsewhere is still named,
    and few cases beside a control are named too."""
    from report.footnotes import Footnote
    from report.render_md.common import render_notes

    where = (("control-plain", "py3.9: cy0.27.3"), *((f"case-{n}", "py3.9: cy0.27.3")
                                                      for n in range(5)),
             ("case-apart", "py3.10: cy0.27.3"))
    note = Footnote("cc-12345", "failure", "error: x", "cc-error", where)
    text = render_notes([note], frozenset({"control-plain"}))
    assert ("`control-plain` and 5 other cases (the toolchain's failure) (py3.9: cy0.27.3);"
            " `case-apart` (py3.10: cy0.27.3)") in text
    assert "case-0" not in text
    few = Footnote("cc-1", "failure", "error: x", "cc-error", where[:3])
    assert "`control-plain`, `case-0`, `case-1` (py3.9: cy0.27.3)" in render_notes(
        [few], frozenset({"control-plain"}))
    assert "case-4" in render_notes([note])  # no controls given: every case named


def test_a_long_list_of_cases_names_three_and_counts_the_rest() -> None:
    from report.footnotes import Footnote
    from report.render_md.common import render_notes

    where = tuple((f"case-{n}", "py3.9: cy0.27.3") for n in range(8))
    text = render_notes([Footnote("cc-2", "failure", "error: y", "cc-error", where)])
    assert "`case-0`, `case-1`, `case-2` and 5 other cases (py3.9: cy0.27.3)" in text
    assert "case-3" not in text
