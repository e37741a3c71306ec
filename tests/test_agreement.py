"""matrix/model/agreement.py and `python -m report agree`: the machine check's verdict, on the
report fixture with one planted disagreement."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from matrix.model.agreement import compare_with_published
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import latest_per_cell
from matrix.store.results import ResultStore
from report.cli import main as report_main

from .conftest import FIXTURES

PUBLISHED = FIXTURES / "report" / "records.jsonl"


def _run_of(cells: set[str]) -> list[Record]:
    """This machine's run over ``cells``: the same measurements, other keys and times."""
    current = latest_per_cell(ResultStore(PUBLISHED).records())
    return [replace(r, key="here" + r.key[4:], timestamp="2026-12-05T10:00:00Z")
            for (_, cell_id), r in sorted(current.items()) if cell_id in cells]


def test_a_run_that_agrees_says_so() -> None:
    run = _run_of({"py3.12-cy3.0.12", "py3.6-cy0.29.37"})
    agreement = compare_with_published(run, ResultStore(PUBLISHED).records())
    assert agreement.compared == len(run) > 10 and not agreement.disagreements
    assert agreement.verdict() == (f"{len(run)} of {len(run)} records agree with the published"
                                   " results")


def test_one_planted_disagreement_is_named_with_a_reproducer(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    run = _run_of({"py3.12-cy3.0.12"})
    planted = next(i for i, r in enumerate(run) if r.case_id == "fx-works")
    run[planted] = replace(run[planted], outcome=Outcome.RUN_ERROR,
                           first_error="convert: TypeError at 0x7f3a2c10 in /home/me/x.pyx")
    extra = replace(run[0], key="extra" + run[0].key[5:], cell_id="py3.13-cy3.3.1",
                    python="3.13", cython="3.3.1")
    ResultStore(tmp_path / "results").append([*run, extra])
    assert report_main(["agree", "--results", str(tmp_path / "results"),
                        "--published", str(PUBLISHED)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"{len(run) - 1} of {len(run)} records agree with the published results"
                      " (1 of cells they do not hold: not compared)")
    assert out[1].startswith("  fx-works on py3.12-cy3.0.12: here run-error (convert: TypeError"
                             " at 0x... in .../x.pyx), published ok (values_ok=true")
    assert out[2] == ("    reproduce: nox -s matrix -- try --python 3.12 --cython 3.0.12"
                      " --case fx-works")
    assert len(out) == 3
