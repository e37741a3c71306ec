"""What is coming (report/coming.py, report/render_md/coming.py) and the replay
(report/replay.py), on the golden fixture's canary store (tests/fixtures/report/canary, made by
make_fixture.py) and on records made here (issue 37)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.model.cases import load_cases
from matrix.model.checks import load_log, log_beside
from matrix.model.selection import CaseInfo
from matrix.store.results import ResultStore
from report.cli import main
from report.coming import Coming, compose_coming, has_shipped
from report.render_md.coming import coming_lead, render_coming_page
from report.replay import render_replay, replay_rows

from .fixtures.report.factory import rec

FIXTURE = Path(__file__).parent / "fixtures" / "report"
CANARY = FIXTURE / "canary"


@pytest.fixture(scope="module")
def coming() -> Coming:
    cases = [CaseInfo.from_case(c) for c in load_cases(FIXTURE / "cases")]
    code = {c.id: c.code for c in load_cases(FIXTURE / "cases")}
    released = ResultStore(FIXTURE / "records.jsonl").records()
    return compose_coming(ResultStore(CANARY).records(), cases, load_log(log_beside(CANARY)),
                          code, released=released)


def test_only_what_has_not_shipped_is_coming(coming: Coming) -> None:
    assert {c.coming for c in coming.cells} == {"cython 3.2.0b1"}
    assert {c.coming for c in coming.past} == {"cython 3.1.0rc1"}  # 3.1.4 is in the table
    assert {e.coming for e in coming.entries} == {"cython 3.2.0b1"}


def test_a_confirmed_difference_of_the_case_own_is_the_only_change(coming: Coming) -> None:
    by_case = {e.case_id: e for e in coming.entries}
    assert (by_case["fx-works"].check, by_case["fx-works"].remeasured) == ("confirmed", 2)
    assert [e.case_id for e in coming.changes] == ["fx-works"]
    assert by_case["fx-dangles"].check == "unchecked" and not by_case["fx-dangles"].is_change
    toolchain = coming.toolchain()
    assert [(head.case_id, others) for head, others in toolchain] == [
        ("fx-control-numpy", ("fx-np-ok", "fx-np-removed"))]


def test_an_entry_carries_both_results_a_reproducer_and_the_text_for_upstream(
        coming: Coming) -> None:
    works = next(e for e in coming.entries if e.case_id == "fx-works")
    assert works.before.startswith("ok (values_ok=yes") and works.now == (
        "crash: SIGSEGV during convert")
    assert works.reproduce == ("nox -s matrix -- try --python 3.12 --cython 3.2.0b1 --case"
                               " fx-works")
    text = works.upstream
    assert text.startswith("cython 3.2.0b1: ") and "(regressed against cython 3.1.4)" in text
    assert "Versions: Cython 3.2.0b1, Python 3.12.1, gcc 12.2.0." in text
    assert "Now (cython 3.2.0b1): crash: SIGSEGV during convert" in text
    assert "Re-measured: confirmed: measured again 2 time(s)" in text
    own_code = next(c.code for c in load_cases(FIXTURE / "cases") if c.id == "fx-works")
    assert own_code.strip().splitlines()[0] in text and works.reproduce in text


def test_the_lead_says_what_the_lane_holds() -> None:
    assert coming_lead(None).startswith("No canary run here: `nox -s matrix -- run --pre`")
    past = compose_coming([rec("a", "3.12", "3.1.4"), rec("a", "3.12", "3.2.0b1")], [],
                          released=[rec("a", "3.12", "3.2.1")])
    assert past.cells == () and len(past.past) == 1
    assert coming_lead(past).startswith("Nothing is coming: the canary lane holds no"
                                        " pre-release newer")
    assert "keeps 1 canary cell of pre-releases that have shipped" in coming_lead(past)
    same = compose_coming([rec("a", "3.12", "3.1.4"), rec("a", "3.12", "3.2.0b1")], [])
    assert "of 1 case results compared, no case differs on its own" in coming_lead(same)
    assert "# What is coming" in render_coming_page(same)


def test_has_shipped_reads_the_released_finals() -> None:
    from matrix.model.canary import CanaryCell

    released = [rec("a", "3.12", "3.1.4", numpy="2.1.3")]
    assert has_shipped(CanaryCell("x", None, "cython", "3.1.0rc1"), released)
    assert not has_shipped(CanaryCell("x", None, "cython", "3.2.0b1"), released)
    assert has_shipped(CanaryCell("x", None, "numpy", "2.1.0rc1"), released)
    assert not has_shipped(CanaryCell("x", None, "numpy", "2.2.0rc1"), released)
    assert not has_shipped(CanaryCell("x", None, "python", "3.13.0a2"), released)
    assert has_shipped(CanaryCell("x", None, "python", "3.12.0rc1"), released)  # 3.12.1 is final


def test_report_coming_fails_only_on_a_confirmed_change(capsys: pytest.CaptureFixture[str],
                                                       tmp_path: Path) -> None:
    args = ["coming", "--canary", str(CANARY), "--cases", str(FIXTURE / "cases"),
            "--results", str(FIXTURE / "records.jsonl")]
    assert main(args) == 0
    assert main([*args, "--check", "--summary", str(tmp_path / "summary.md")]) == 1
    captured = capsys.readouterr()
    assert "1 confirmed change(s) coming: fx-works with cython 3.2.0b1" in captured.err
    assert (tmp_path / "summary.md").read_text().startswith("# What is coming")
    assert main(["coming", "--canary", str(tmp_path / "none")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["coming", "--canary", str(tmp_path / "empty")]) == 2
    assert capsys.readouterr().err.count("no canary store") == 2


def test_the_replay_counts_what_reached_the_final_release(capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    rows = replay_rows(ResultStore(CANARY).records(), load_log(log_beside(CANARY)),
                       ["fx-control-plain", "fx-control-numpy"])
    by_release = {r.coming: r for r in rows}
    rc = by_release["cython 3.1.0rc1"]  # fx-works crashed (gone by 3.1.0), fx-dangles copied
    assert (rc.baseline, rc.final, rc.own, rc.confirmed, rc.reached, rc.gone, rc.other) == (
        "3.0.12", "3.1.0", 2, 2, 1, 1, 0)
    beta = by_release["cython 3.2.0b1"]
    assert (beta.final, beta.own, beta.confirmed, beta.toolchain_cells) == (None, 2, 1, 1)
    text = render_replay(rows)
    assert ("- Before cython 3.1.0 (1 pre-releases: 3.1.0rc1; on 3.12): the canary would have"
            " reported 2 confirmed change(s) of the cases' own; 1 reached cython 3.1.0, 1 were"
            " gone by then, 0 other; confirmed fixes: 0 (0 reached cython 3.1.0); flaky (listed,"
            " never failing): 0; cells where the control differed too (the toolchain's):"
            " 0.") in text
    assert main(["replay", "--canary", str(CANARY), "--cases", str(FIXTURE / "cases")]) == 0
    assert capsys.readouterr().out == text


def test_a_development_build_is_named_in_its_reproducer_and_report() -> None:
    build = {"project": "cython", "version": "3.4.0a0.dev0+g1a2b3c4", "source": "git",
             "repository": "https://github.com/cython/cython", "ref": "master",
             "commit": "1a2b3c4d5e6f", "wheel": "cython-3.4.0a0.dev0+g1a2b3c4-py3-none-any.whl",
             "sha256": "ab" * 32}
    records = [rec("a", "3.12", "3.3.1", values_ok=True),
               rec("a", "3.12", "3.4.0a0.dev0+g1a2b3c4", "crash", error="SIGSEGV",
                   provenance={"builds": [build]})]
    (entry,) = compose_coming(records, []).entries
    assert entry.coming == "cython 3.4.0a0.dev0+g1a2b3c4"
    assert entry.reproduce == ("nox -s matrix -- try --python 3.12 --cython-from"
                               " git+https://github.com/cython/cython@1a2b3c4d5e6f --case a")
    assert ("Build: cython 3.4.0a0.dev0+g1a2b3c4 from git https://github.com/cython/cython@master"
            f" commit 1a2b3c4d5e6f, {build['wheel']} sha256 {'ab' * 32}.") in entry.upstream


def test_a_confirmed_fix_is_listed_and_fails_nothing() -> None:
    from matrix.model.checks import Purpose, Remeasurement, signature

    records = [rec("a", "3.12", "3.3.1", "cc-error", error="x.c: error"),
               rec("a", "3.12", "3.4.0b1", values_ok=True)]
    fixed = records[1]
    log = [Remeasurement(Purpose.RECHECK, "r", 1, fixed.key, signature(fixed), fixed)]
    (entry,) = compose_coming(records, [], log).entries
    assert (entry.change, entry.check, entry.is_change) == ("fixed", "confirmed", False)
