"""The query's answer as the GitHub Action (``action.yml``) reports it: a step summary (a heading
with the range and the verdict, then the text answer in a fenced block) and the step's outputs
(``exit-status``, ``failing-cases``, ``dangling-cases``, read from the ``--json`` answer).

``python -m report.query.summary --status N --text F --json F --stderr F`` appends both to the
files GitHub names in ``$GITHUB_STEP_SUMMARY`` and ``$GITHUB_OUTPUT``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from report.query.status import EXIT_STATUSES

FENCE = "````"
"""Longer than any fence the answer could hold (it holds none)."""


def verdict(status: int) -> str:
    """The exit status's verdict (:data:`report.query.status.EXIT_STATUSES`)."""
    words = {s.code: s.verdict for s in EXIT_STATUSES}
    return words.get(status, "error")


def step_summary(status: int, text: str, answer: dict[str, Any] | None, stderr: str,
                 command: str = "query") -> str:
    """The markdown appended to the step summary: the range (the answer's, when it gave one)
    and the verdict as a heading, then what the query (or the scan) printed."""
    heading = f"cymatrix {command}: {verdict(status)} (exit {status})"
    if answer is not None:
        heading = f"Support range {answer['range']}: {verdict(status)} (exit {status})"
    printed = "\n".join(part.rstrip("\n") for part in (text, stderr) if part.strip())
    return f"### {heading}\n\n{FENCE}text\n{printed}\n{FENCE}\n\n"


def step_outputs(status: int, answer: dict[str, Any] | None) -> dict[str, str]:
    """The step's outputs; the case lists comma-separated (empty without an answer)."""
    got = answer or {}
    return {"exit-status": str(status),
            "failing-cases": ",".join(got.get("failing_cases", [])),
            "dangling-cases": ",".join(got.get("dangling_cases", []))}


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report.query.summary", description=__doc__)
    parser.add_argument("--status", type=int, required=True, help="the query's exit status")
    parser.add_argument("--text", required=True, help="the text answer (stdout)")
    parser.add_argument("--json", required=True, help="the --json answer (stdout)")
    parser.add_argument("--stderr", required=True, help="what the query wrote to stderr")
    parser.add_argument("--command", default="query", choices=("query", "scan"),
                        help="which command answered (the heading names it)")
    args = parser.parse_args(argv)
    raw = _read(args.json)
    answer = json.loads(raw) if raw.strip() else None
    summary = step_summary(args.status, _read(args.text), answer, _read(args.stderr),
                           args.command)
    outputs = "".join(f"{k}={v}\n" for k, v in step_outputs(args.status, answer).items())
    for variable, content in (("GITHUB_STEP_SUMMARY", summary), ("GITHUB_OUTPUT", outputs)):
        target = os.environ.get(variable)
        if target:
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(content)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
