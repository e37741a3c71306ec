"""Golden files: the renderer on the small hand-made fixture in tests/fixtures/report/.

The fixture covers every outcome class, ranges with gaps on each axis, a per-Python
qualifier, varying and contradicted semantics, the build-vs-run table, left-out records,
every kind of change against the baseline, and combinations that fail for every case (see
tests/fixtures/report/make_fixture.py).

After an intended change to the report, regenerate the goldens and review their diff:

    REPORT_UPDATE_GOLDENS=1 python3 -m pytest -q tests/test_report_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from matrix.store.results import ResultStore
from report.cli import build_report
from report.compose import Report
from report.publish import TEXT_RENDERERS, render_texts

FIXTURE = Path(__file__).parent / "fixtures" / "report"
EXPECTED = FIXTURE / "expected"
UPDATE = os.environ.get("REPORT_UPDATE_GOLDENS") == "1"


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                        references=FIXTURE / "references.toml")


@pytest.mark.parametrize("name", sorted(TEXT_RENDERERS))
def test_golden(report: Report, name: str) -> None:
    rendered = render_texts(report)[name]
    golden = EXPECTED / name
    if UPDATE:
        EXPECTED.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered)
    assert golden.exists(), f"{golden} missing: run with REPORT_UPDATE_GOLDENS=1"
    assert rendered.decode() == golden.read_text(encoding="utf-8"), (
        f"{name} differs from {golden}; if intended, run with REPORT_UPDATE_GOLDENS=1")


def test_rendering_is_deterministic(report: Report) -> None:
    again = build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                         references=FIXTURE / "references.toml")
    assert render_texts(again) == render_texts(report)


def test_input_order_does_not_matter() -> None:
    from matrix.model.cases import load_cases
    from matrix.model.selection import CaseInfo
    from report.compose import compose

    records = ResultStore(FIXTURE / "records.jsonl").records()
    baseline = ResultStore(FIXTURE / "baseline.jsonl").records()
    cases = [CaseInfo.from_case(c) for c in load_cases(FIXTURE / "cases")]
    forward = compose(records, cases, baseline)
    backward = compose(list(reversed(records)), list(reversed(cases)), list(reversed(baseline)))
    assert render_texts(forward) == render_texts(backward)


def test_fixture_covers_every_outcome_and_change(report: Report) -> None:
    from matrix.model.diff import Change
    from matrix.model.outcomes import Outcome

    assert {r.outcome for r in (*report.records, *report.compiler_records)} == set(Outcome)
    assert report.diff is not None
    assert all(report.diff.of(kind) for kind in Change)
    p = report.provenance
    assert (p.stale, p.superseded, p.unknown) == (1, 1, 1)


def test_fixture_records_match_the_fixture_cases() -> None:
    from matrix.model.cases import load_cases

    hashes = {c.id: c.content_hash for c in load_cases(FIXTURE / "cases")}
    current = [r for r in ResultStore(FIXTURE / "records.jsonl").records()
               if r.case_id in hashes and r.case_hash == hashes[r.case_id]]
    assert len(current) > 100, (
        "the fixture cases changed: run python tests/fixtures/report/make_fixture.py")
