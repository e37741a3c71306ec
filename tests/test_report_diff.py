"""The diff against the baseline, crater-style; untried cells never regress."""

from __future__ import annotations

import pytest

from matrix.model.diff import Change, classify, diff
from tests.fixtures.report.factory import rec


@pytest.mark.parametrize(("before", "after", "change"), [
    ("ok", "run-error", Change.REGRESSED),
    ("cythonize-error", "ok", Change.FIXED),
    ("run-error", "crash", Change.FAILURE_CHANGED),
    ("ok", "env-error", Change.UNTRIED),
    ("env-error", "cythonize-error", Change.UNTRIED),
    ("not-possible", "ok", Change.UNTRIED),
])
def test_outcome_changes(before: str, after: str, change: Change) -> None:
    found = classify(rec("c", "3.6", "0.29.37", before), rec("c", "3.6", "0.29.37", after))
    assert found is not None and found[0] is change


@pytest.mark.parametrize(("before", "after"), [
    ("ok", "ok"), ("run-error", "run-error"), ("env-error", "env-error"),
])
def test_no_change(before: str, after: str) -> None:
    assert classify(rec("c", "3.6", "0.29.37", before), rec("c", "3.6", "0.29.37", after)) is None


def test_behaviour_flip_but_not_unknown() -> None:
    old = rec("c", "3.6", "0.29.37", copies=False, readonly=None)
    assert classify(old, rec("c", "3.6", "0.29.37", copies=True, readonly=True)) == (
        Change.BEHAVIOUR_CHANGED, "copies: false → true")
    assert classify(old, rec("c", "3.6", "0.29.37", copies=None)) is None


def test_diff_orders_and_counts() -> None:
    baseline = [rec("b", "3.6", "0.29.37"), rec("a", "3.6", "0.29.37"),
                rec("a", "2.7", "0.29.37"), rec("a", "3.6", "0.29.37", timestamp="2025-01-01")]
    current = [rec("a", "3.6", "0.29.37", "run-error", error="/x/y/z.pyx:1: boom",
                   case_hash="new"),
               rec("a", "3.12", "3.0.12"), rec("b", "3.6", "0.29.37")]
    result = diff(baseline, current, ["b", "a"])
    assert [(c.change, c.case_id, c.cell_id) for c in result.changes] == [
        (Change.GONE, "a", "py2.7-cy0.29.37"),
        (Change.REGRESSED, "a", "py3.6-cy0.29.37"),
        (Change.NEW, "a", "py3.12-cy3.0.12"),
    ]
    regressed = result.of(Change.REGRESSED)[0]
    assert regressed.detail == ".../z.pyx:1: boom" and regressed.case_changed
    assert result.unchanged == 1 and result.baseline_cells == 3
    assert result.counts()["regressed"] == 1 and result.counts()["fixed"] == 0
