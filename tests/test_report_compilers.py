"""Where the C compilers disagree: compared per cell, untried results never count."""

from __future__ import annotations

from dataclasses import replace

from matrix.model.records import Record
from report.compilers import compilers_measured, disagreements
from tests.fixtures.report.factory import rec


def compiled(record: Record, compiler: str, outcome: str | None = None,
             error: str | None = None) -> Record:
    changed = replace(record, key=f"{compiler}{record.key}"[:24], compiler=compiler,
                      cell_id=f"{record.cell_id}-{compiler}")
    if outcome is not None:
        changed = replace(changed, outcome=changed.outcome.__class__(outcome), first_error=error)
    return changed


def test_only_cells_whose_compilers_disagree_are_listed() -> None:
    crash = rec("guide", "3.11", "0.29.37", "crash", numpy="1.26.4", error="SIGSEGV during convert")
    fine = rec("works", "3.11", "0.29.37", "ok", values_ok=True)
    records = [
        crash, compiled(crash, "clang", "cc-error", "<module>.c:1:2: error: incompatible pointer"),
        compiled(crash, "gcc14-errors", "cc-error", "<module>.c:1:2: error: passing argument"),
        fine, compiled(fine, "clang"), compiled(fine, "gcc14-errors", "env-error", "no index"),
    ]
    (found,) = disagreements(records)
    assert (found.case_id, found.python, found.cython, found.numpy_build) == (
        "guide", "3.11", "0.29.37", "1.26.4")
    assert [c for c, _ in found.results] == ["gcc", "clang", "gcc14-errors"]
    assert [r.outcome.value for _, r in found.results] == ["crash", "cc-error", "cc-error"]
    assert compilers_measured(records) == (("gcc", 2), ("clang", 2), ("gcc14-errors", 2))


def test_two_compilers_rejecting_the_same_c_in_their_own_words_agree() -> None:
    gcc = rec("c", "3.13", "0.29.37", "cc-error",
              error="<module>.c:10:5: error: too few arguments to function '_PyLong_AsByteArray'")
    clang = compiled(gcc, "clang", "cc-error",
                     "<module>.c:12:7: error: too few arguments to function call, expected 6")
    assert disagreements([gcc, clang]) == ()
    ok = rec("d", "3.13", "3.0.12", "ok", copies=False)
    assert len(disagreements([ok, compiled(replace(ok, behaviour=replace(
        ok.behaviour, copies=True)), "clang")])) == 1, "behaviour that differs is a disagreement"
