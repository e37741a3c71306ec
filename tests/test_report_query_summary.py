"""The query's answer as the Action's step summary and outputs (:mod:`report.query.summary`);
the Action's own steps are replayed in tests/test_action.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report.query.status import EXIT_STATUSES
from report.query.summary import main, step_outputs, step_summary, verdict

ANSWER = {"range": "python >=3.9, cython >=3.0, numpy any", "exit_status": 1,
          "failing_cases": ["a-case", "b-case"], "dangling_cases": ["c-case"]}
TEXT = "Support range: python >=3.9, cython >=3.0, numpy any\nData: ...\n"


def test_every_exit_status_has_its_own_verdict() -> None:
    words = [verdict(s.code) for s in EXIT_STATUSES]
    assert len(set(words)) == len(words) and all(words)
    assert verdict(0) == "works" and verdict(1) == "fails" and verdict(2) == "usage error"
    assert verdict(127) == "error", "a status outside the table (bash: command not found)"


def test_the_summary_is_a_heading_then_the_answer_fenced() -> None:
    summary = step_summary(1, TEXT, ANSWER, "")
    assert summary.splitlines()[:3] == [
        "### Support range python >=3.9, cython >=3.0, numpy any: fails (exit 1)", "",
        "````text"]
    assert summary.endswith(f"{TEXT.rstrip()}\n````\n\n")


def test_a_usage_error_shows_the_message() -> None:
    summary = step_summary(2, "", None, "error: --python 3.9: not a specifier\n")
    assert summary.startswith("### cymatrix query: usage error (exit 2)\n")
    assert "error: --python 3.9: not a specifier\n````" in summary


def test_outputs_list_the_cases_comma_separated() -> None:
    assert step_outputs(1, ANSWER) == {"exit-status": "1", "failing-cases": "a-case,b-case",
                                       "dangling-cases": "c-case"}
    assert step_outputs(2, None) == {"exit-status": "2", "failing-cases": "",
                                     "dangling-cases": ""}


def test_main_appends_to_the_files_github_names(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "answer.txt").write_text(TEXT)
    (tmp_path / "answer.json").write_text(json.dumps(ANSWER))
    summary, output = tmp_path / "summary", tmp_path / "output"
    summary.write_text("earlier\n")
    output.write_text("earlier=1\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert main(["--status", "1", "--text", str(tmp_path / "answer.txt"), "--json",
                 str(tmp_path / "answer.json"), "--stderr", str(tmp_path / "none")]) == 0
    assert summary.read_text().startswith("earlier\n### Support range python >=3.9")
    assert output.read_text().splitlines() == [
        "earlier=1", "exit-status=1", "failing-cases=a-case,b-case", "dangling-cases=c-case"]
