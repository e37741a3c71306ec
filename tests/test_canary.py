"""The canary store read as pairs (matrix/model/canary.py): which stored cell is a canary, which
cell it is compared with, and what differs (issue 37)."""

from __future__ import annotations

from matrix.model.canary import canary_cells, differences
from matrix.model.diff import Change

from .fixtures.report.factory import rec


def test_each_canary_cell_is_paired_with_the_newest_final_below_it_on_that_axis() -> None:
    records = [rec("a", "3.12", v) for v in ("3.0.12", "3.1.0b1", "3.1.0", "3.1.4", "3.2.0b1")]
    records += [rec("n", "3.12", "3.1.4", numpy="2.1.3"), rec("n", "3.12", "3.1.4",
                                                                 numpy="2.2.0rc1")]
    found = {c.cell_id: (c.baseline_id, c.coming) for c in canary_cells(records)}
    assert found == {
        "py3.12-cy3.1.0b1": ("py3.12-cy3.0.12", "cython 3.1.0b1"),
        "py3.12-cy3.2.0b1": ("py3.12-cy3.1.4", "cython 3.2.0b1"),
        "py3.12-cy3.1.4-np2.2.0rc1": ("py3.12-cy3.1.4-np2.1.3", "numpy 2.2.0rc1"),
    }


def test_a_canary_without_a_final_below_it_has_no_baseline() -> None:
    (only,) = canary_cells([rec("a", "3.12", "3.1.0b1"), rec("a", "3.11", "3.0.12")])
    assert only.baseline_id is None  # another Python's cell is no baseline


def test_a_pre_release_python_is_read_from_the_record() -> None:
    records = [rec("a", "3.12", "3.0.12"),
               rec("a", "3.13", "3.0.12", provenance={"python_version": "3.13.0a2"})]
    (found,) = canary_cells(records)
    assert (found.cell_id, found.baseline_id, found.coming) == (
        "py3.13-cy3.0.12", "py3.12-cy3.0.12", "Python 3.13.0a2")


def test_differences_are_the_case_changes_and_the_control_makes_them_the_toolchains() -> None:
    records = [
        rec("works", "3.12", "3.1.4", values_ok=True, copies=False),
        rec("works", "3.12", "3.2.0b1", "crash", error="SIGSEGV during convert"),
        rec("copies", "3.12", "3.1.4", values_ok=True, copies=False),
        rec("copies", "3.12", "3.2.0b1", values_ok=True, copies=True),
        rec("same", "3.12", "3.1.4", values_ok=True),
        rec("same", "3.12", "3.2.0b1", values_ok=True),
        rec("untried", "3.12", "3.1.4"), rec("untried", "3.12", "3.2.0b1", "env-error", error="x"),
        rec("ctl", "3.12", "3.1.4", numpy="2.1.3"),
        rec("ctl", "3.12", "3.2.0b1", numpy="2.1.3", outcome="import-error", error="dtype"),
        rec("np", "3.12", "3.1.4", numpy="2.1.3"),
        rec("np", "3.12", "3.2.0b1", numpy="2.1.3", outcome="import-error", error="dtype"),
    ]
    found = {(d.case_id, d.canary.cell_id): (d.change, d.toolchain)
             for d in differences(records, ["ctl"])}
    assert found == {
        ("works", "py3.12-cy3.2.0b1"): (Change.REGRESSED, False),
        ("copies", "py3.12-cy3.2.0b1"): (Change.BEHAVIOUR_CHANGED, False),
        ("ctl", "py3.12-cy3.2.0b1-np2.1.3"): (Change.REGRESSED, True),
        ("np", "py3.12-cy3.2.0b1-np2.1.3"): (Change.REGRESSED, True),
    }


def test_the_newest_record_of_a_case_in_a_cell_counts() -> None:
    records = [rec("a", "3.12", "3.1.4"),
               rec("a", "3.12", "3.2.0b1", "crash", error="x", timestamp="2026-01-01T00:00:00Z"),
               rec("a", "3.12", "3.2.0b1", timestamp="2026-01-02T00:00:00Z")]
    assert differences(records) == []
