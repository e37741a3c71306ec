"""Verdicts over groups of records, and measured semantics against the documentation."""

from __future__ import annotations

from matrix.model.cases import Expectation
from matrix.model.selection import CaseInfo, select_current, series
from report.legend import Verdict
from report.semantics import contradictions, documented_text, measure_semantics
from report.verdicts import aggregate, cell_text
from tests.fixtures.report.factory import rec


def test_every_verdict() -> None:
    ok, fail = rec("c", "3.6", "0.29.37"), rec("c", "3.12", "0.29.37", "run-error", error="e")
    np_ = rec("c", "2.7", "0.29.37", "not-possible")
    env = rec("c", "3.7", "0.29.37", "env-error", error="net")
    assert aggregate([]).verdict is Verdict.NOT_TESTED
    assert aggregate([ok, np_, env]).verdict is Verdict.OK
    assert aggregate([ok, fail]).verdict is Verdict.MIXED
    assert aggregate([fail, np_]).verdict is Verdict.FAILED
    assert aggregate([np_]).verdict is Verdict.NOT_POSSIBLE
    assert aggregate([np_, env]).verdict is Verdict.ENV_ERROR
    assert aggregate([np_, env]).failures == (("env-error", "net"),)
    mixed = aggregate([ok, fail, np_])
    assert (mixed.total, mixed.tried, mixed.ok) == (3, 2, 1)


def test_cells_look_different() -> None:
    stages = [rec("c", "3.6", "0.29.37", "crash"), rec("c", "3.7", "0.29.37", "cythonize-error")]
    assert cell_text(aggregate(stages), "<sup>2</sup>") == "❌ cythonize, crash<sup>2</sup>"
    mixed = aggregate([rec("c", "3.6", "0.29.37"), rec("c", "3.7", "0.29.37", "import-error")])
    assert cell_text(mixed, "<sup>1</sup>") == "⚠️ import<sup>1</sup>"
    assert cell_text(mixed, "<sup>1</sup>", counts=True) == "⚠️ 1/2 import<sup>1</sup>"
    shown = {cell_text(aggregate(g)) for g in (
        [rec("c", "3.6", "0.29.37", "not-possible")], [], [rec("c", "3.6", "0.29.37")])}
    assert shown == {"n/p", "—", "✅"}


def test_semantics_single_varies_and_unknown() -> None:
    alias = rec("c", "3.6", "0.29.37", values_ok=True, copies=False, readonly=True)
    copy = rec("c", "3.7", "0.29.37", values_ok=True, copies=True)
    assert measure_semantics([alias]).label == "read-only alias"
    varies = measure_semantics([alias, copy, rec("c", "3.8", "0.29.37", "run-error")])
    assert varies.label == "varies"
    assert varies.where == (("copy", "py3.7: cy0.29.37"), ("read-only alias", "py3.6: cy0.29.37"))
    assert measure_semantics([rec("c", "3.6", "0.29.37")]).label == "?"
    assert measure_semantics([rec("c", "3.6", "0.29.37", "crash")]).label == "—"
    wrong = rec("c", "3.6", "0.29.37", values_ok=False, copies=False)
    assert measure_semantics([wrong]).label == "wrong values"


def test_contradictions_name_the_claim_and_the_cells() -> None:
    expect = Expectation(reference="guide", copies=False, locks_source=True)
    assert documented_text(expect) == "alias, locks"
    records = [rec("c", "3.6", "0.29.37", copies=True, locks_source=True),
               rec("c", "3.7", "0.29.37", copies=False, locks_source=None)]
    assert contradictions(expect, records) == (
        "documented copies = false, but measured copies = true on 1 of 2 measured cells"
        " (py3.6: cy0.29.37)",
    )
    assert documented_text(Expectation(reference="guide")) == "—"


def test_select_current_leaves_out_stale_superseded_and_unknown() -> None:
    case = CaseInfo("c", "t", "g", "s", "t", False, "now", Expectation(reference="r"))
    keep = rec("c", "3.6", "0.29.37", case_hash="now", timestamp="2026-01-02T00:00:00Z")
    older = rec("c", "3.6", "0.29.37", "crash", case_hash="now", timestamp="2026-01-01T00:00:00Z")
    stale = rec("c", "3.7", "0.29.37", case_hash="old")
    gone = rec("x", "3.6", "0.29.37", case_hash="now")
    selection = select_current([older, stale, keep, gone], [case])
    assert selection.records == (keep,)
    assert (selection.stale, selection.superseded, selection.unknown) == (1, 1, 1)


def test_series() -> None:
    versions = ("0.29.37", "3.0.12", "3.1.0a1", "3")
    assert [series(v) for v in versions] == ["0.29", "3.0", "3.1", "3.0"]


def test_an_error_inside_a_probe_is_a_note_beside_the_semantics_not_a_failure() -> None:
    from report.compose import compose

    errors = ("copies: target() raised NotImplementedError: memoryview: format i not supported",)
    records = [rec("a", "2.7", "0.29.37", values_ok=True, readonly=False, probe_errors=errors),
               rec("a", "3.12", "0.29.37", values_ok=True, copies=False, readonly=False)]
    case = CaseInfo("a", "t", "g", "s", "t", False, "h", Expectation(reference="r"))
    report = compose(records, [case])
    row = report.rows[0]
    assert row.semantics.label == "alias"  # the cell whose probe errored measured nothing
    assert all(cell.verdict.verdict is Verdict.OK for cell in row.series)
    (note,) = [n for n in report.footnotes if n.id in row.semantics_notes]
    assert note.text == ("an error inside a probe, not in the conversion, left that probe"
                         " unknown: `copies: target() raised NotImplementedError: memoryview:"
                         " format i not supported` on py2.7: cy0.29.37")
    clean = compose(records[1:], [case])
    assert clean.rows[0].semantics_notes == ()
