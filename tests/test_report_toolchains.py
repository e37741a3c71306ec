"""Records of one cell from two toolchains: the newest is shown, a disagreement is listed."""

from __future__ import annotations

from dataclasses import replace

from matrix.model.cases import Expectation
from matrix.model.outcomes import Outcome
from matrix.model.selection import CaseInfo, select_current
from report.toolchains import disagreements, toolchain_counts

from .test_store import make_record


def case_info(case_id: str, content_hash: str) -> CaseInfo:
    return CaseInfo(case_id, "t", "g", "s", "t", False, content_hash, Expectation(reference="r"))


LOCAL = {"cc": "gcc 12.2.0", "python_version": "3.11.7", "machine": "Linux-x86_64"}
IMAGE = {"cc": "gcc 14.2.0", "python_version": "3.11.14", "machine": "Linux-x86_64"}


def test_newest_is_shown_and_a_differing_toolchain_is_listed() -> None:
    local = replace(make_record("k-local"), case_hash="h", provenance=LOCAL,
                    timestamp="2026-11-01T00:00:00Z")
    image = replace(make_record("k-image", Outcome.CC_ERROR), case_hash="h", provenance=IMAGE,
                    first_error="x.c:1: error: implicit declaration",
                    timestamp="2026-11-20T00:00:00Z")
    selection = select_current([local, image], [case_info("case-a", content_hash="h")])
    assert selection.records == (image,) and selection.others == (local,)
    (found,) = disagreements(selection.records, selection.others)
    assert (found.case_id, found.cell_id) == ("case-a", "py3.11-cy3.2.4")
    assert found.shown.outcome == "cc-error" and found.shown.toolchain.startswith("gcc 14.2.0")
    assert found.other.outcome == "ok" and "Python 3.11.7" in found.other.toolchain
    assert toolchain_counts(selection.records) == (("gcc 14.2.0 · Linux-x86_64", 1),)


def test_agreeing_toolchains_are_not_a_disagreement() -> None:
    local = replace(make_record("k-local"), case_hash="h", provenance=LOCAL)
    image = replace(make_record("k-image"), case_hash="h", provenance=IMAGE,
                    timestamp="2026-12-01T00:00:00Z")
    selection = select_current([local, image], [case_info("case-a", content_hash="h")])
    assert disagreements(selection.records, selection.others) == ()


def test_error_lines_that_differ_only_in_machine_paths_are_the_same_failure() -> None:
    """The one "same error" rule (checks.signature, which the diff and recheck use): a failure
    whose first line differs only in its absolute path and its memory address is no
    disagreement; another error text is, and is listed as readers see it."""
    def failing(key: str, provenance: dict[str, str], error: str, stamp: str) -> object:
        return replace(make_record(key, Outcome.RUN_ERROR), case_hash="h", provenance=provenance,
                       first_error=error, timestamp=stamp)

    local = failing("k-local", LOCAL, "ValueError at 0x7f3a2c in /home/me/b/fx.pyx",
                    "2026-11-01T00:00:00Z")
    image = failing("k-image", IMAGE, "ValueError at 0x55e01b in /github/w/b/fx.pyx",
                    "2026-11-20T00:00:00Z")
    selection = select_current([local, image], [case_info("case-a", content_hash="h")])
    assert disagreements(selection.records, selection.others) == ()
    other = failing("k-other", IMAGE, "TypeError at 0x55e01b in /github/w/b/fx.pyx",
                    "2026-11-21T00:00:00Z")
    selection = select_current([local, other], [case_info("case-a", content_hash="h")])
    (found,) = disagreements(selection.records, selection.others)
    assert found.shown.first_error == "TypeError at 0x... in .../fx.pyx"
    assert found.other.first_error == "ValueError at 0x... in .../fx.pyx"
