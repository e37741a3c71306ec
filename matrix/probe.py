"""Run one built case through the in-environment runner and turn its output into an outcome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix.envs import RUNNER
from matrix.outcomes import Outcome
from matrix.procs import Completed, run_process

RUN_TIMEOUT_S = 60.0
PROBE_ORDER = ("convert", "values_ok", "copies", "readonly", "locks_source")


@dataclass
class CaseRun:
    """The measured behaviour of one case in one environment."""

    outcome: Outcome
    first_error: str | None
    probes: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    duration_s: float = 0.0


def parse_runner_output(done: Completed) -> CaseRun:
    """Classify a runner transcript: import/run errors, crashes, timeouts, or ok."""
    events = [json.loads(line[5:]) for line in done.output.splitlines() if line.startswith("@@MM ")]
    probes: dict[str, Any] = {}
    run = CaseRun(Outcome.OK, None, probes, done.transcript(), done.duration_s)
    finished = False
    for event in events:
        if event.get("kind") == "import" and not event.get("ok"):
            run.outcome, run.first_error = Outcome.IMPORT_ERROR, event.get("error")
            return run
        if event.get("kind") == "done":
            finished = True
        name = event.get("probe")
        if name is None:
            continue
        if "error" in event:
            probes[name] = {"error": event["error"]}
            if run.first_error is None:
                run.outcome, run.first_error = Outcome.RUN_ERROR, f"{name}: {event['error']}"
            continue
        probes[name] = {k: v for k, v in event.items() if k != "probe"}
    if done.timed_out or (done.returncode is not None and done.returncode < 0):
        in_progress = next((p for p in PROBE_ORDER if p not in probes), "after the probes")
        if done.timed_out:
            run.outcome = Outcome.TIMEOUT
            run.first_error = f"timed out after {done.duration_s:.0f}s during {in_progress}"
        else:
            run.outcome = Outcome.CRASH
            run.first_error = f"{done.signal_name} during {in_progress}"
        return run
    if not finished and run.outcome is Outcome.OK:
        run.outcome = Outcome.RUN_ERROR
        tail = [line for line in done.output.splitlines() if line.strip()]
        run.first_error = tail[-1][:300] if tail else f"runner exited {done.returncode}"
    return run


def run_case(python: Path, build_dir: Path, module: str, symbol: str,
             timeout_s: float = RUN_TIMEOUT_S) -> CaseRun:
    """Import ``module`` from ``build_dir`` under ``python`` and drive case ``symbol``."""
    done = run_process(
        [str(python), str(RUNNER), "run", str(build_dir), module, symbol], timeout_s=timeout_s
    )
    return parse_runner_output(done)
