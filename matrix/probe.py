"""Run built cases through the in-environment runner and turn its output into outcomes.

One runner process per module: it imports the module (and numpy) once and forks a child per
case, so a crash or hang ends only that case's child (the runner kills a child that outlives
the timeout).  Should the runner itself die part-way, the cases it had not reached are run
again in a new runner: no case inherits another's fate.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix.envs import RUNNER
from matrix.outcomes import Outcome
from matrix.policy import DEFAULT_RETRY, Cause, Retry, rule
from matrix.procs import run_process

RUN_TIMEOUT_S = 60.0
PROBE_ORDER = ("convert", "values_ok", "copies", "readonly", "locks_source")
IMPORT_TIMEOUT_S = 120.0
_ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                      "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")}
"""BLAS thread pools pinned to one thread: forking beside a live thread pool can deadlock."""


@dataclass
class CaseRun:
    """The measured behaviour of one case in one environment."""

    outcome: Outcome
    first_error: str | None
    probes: dict[str, Any] = field(default_factory=dict)
    log: str = ""
    duration_s: float = 0.0
    at_import: bool = False
    """The module failed at import (error, crash or hang), before any case ran."""


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def classify(events: Sequence[dict[str, Any]], text: str, ending: dict[str, Any] | None
             ) -> CaseRun:
    """One case's outcome from its child's events and how the child ended (``None``: the
    runner died while this case ran)."""
    probes: dict[str, Any] = {}
    seconds = float(ending.get("seconds") or 0.0) if ending else 0.0
    run = CaseRun(Outcome.OK, None, probes, text, seconds)
    finished = False
    for event in events:
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
    in_progress = next((p for p in PROBE_ORDER if p not in probes), "after the probes")
    if ending is None:
        run.outcome, run.first_error = Outcome.CRASH, f"the runner died during {in_progress}"
    elif ending.get("timed_out"):
        run.outcome = Outcome.TIMEOUT
        run.first_error = f"timed out after {seconds:.0f}s during {in_progress}"
    elif ending.get("signal"):
        run.outcome = Outcome.CRASH
        run.first_error = f"{_signal_name(int(ending['signal']))} during {in_progress}"
    elif not finished and run.outcome is Outcome.OK:
        run.outcome = Outcome.RUN_ERROR
        tail = [line for line in text.splitlines() if line.strip() and not line.startswith("@@MM")]
        run.first_error = tail[-1][:300] if tail else f"case exited {ending.get('code')}"
    return run


def _import_failure(outcome: Outcome, error: str, log: str, duration: float) -> CaseRun:
    return CaseRun(outcome, error, {}, log, duration, at_import=True)


def parse_runner_output(output: str, symbols: Sequence[str], *, timed_out: bool,
                        returncode: int | None, duration_s: float, transcript: str
                        ) -> dict[str, CaseRun]:
    """The runs of the cases the runner reached, by symbol (an import failure: all of them)."""
    segments: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
    endings: dict[str, dict[str, Any]] = {}
    current: str | None = None
    imported = False
    for line in output.splitlines():
        event = json.loads(line[5:]) if line.startswith("@@MM ") else None
        if event is not None and event.get("kind") == "import":
            if not event.get("ok"):
                failure = _import_failure(Outcome.IMPORT_ERROR, str(event.get("error")),
                                          transcript, duration_s)
                return {symbol: failure for symbol in symbols}
            imported = True
            continue
        if event is not None and event.get("kind") == "case":
            current = str(event["symbol"])
            segments[current] = ([], [])
            continue
        if event is not None and event.get("kind") == "exit":
            endings[str(event["symbol"])] = event
            current = None
            continue
        if current is not None:
            segments[current][1].append(line)
            if event is not None:
                segments[current][0].append(event)
    if not imported:  # died or hung while importing: no case ran
        if timed_out:
            failure = _import_failure(Outcome.TIMEOUT, f"timed out after {duration_s:.0f}s"
                                      " during import", transcript, duration_s)
        elif returncode is not None and returncode < 0:
            failure = _import_failure(Outcome.CRASH, f"{_signal_name(-returncode)} during"
                                      " import", transcript, duration_s)
        else:
            lines = [x for x in output.splitlines() if x.strip()]
            failure = _import_failure(Outcome.IMPORT_ERROR, lines[-1][:300] if lines else
                                      f"runner exited {returncode}", transcript, duration_s)
        return {symbol: failure for symbol in symbols}
    runs = {}
    for symbol, (events, lines) in segments.items():
        text = "\n".join(lines) + ("\n" if lines else "")
        runs[symbol] = classify(events, text, endings.get(symbol))
    return runs


def _run_reaching_all(python: Path, build_dir: Path, module: str, symbols: Sequence[str],
                      timeout_s: float) -> dict[str, CaseRun]:
    """One runner for ``symbols``; should it die part-way, another for the cases it left."""
    runs: dict[str, CaseRun] = {}
    pending = list(symbols)
    env = dict(os.environ, **_ONE_THREAD)
    while pending:
        done = run_process(
            [str(python), str(RUNNER), "run", str(build_dir), module, str(timeout_s), *pending],
            timeout_s=IMPORT_TIMEOUT_S + timeout_s * len(pending) + 30, env=env,
        )
        reached = parse_runner_output(done.output, pending, timed_out=done.timed_out,
                                      returncode=done.returncode, duration_s=done.duration_s,
                                      transcript=done.transcript())
        runs.update(reached)
        if not reached:  # cannot happen (an import failure covers every case); never loop
            break
        pending = [s for s in pending if s not in reached]
    return runs


def run_cases(python: Path, build_dir: Path, module: str, symbols: Sequence[str],
              timeout_s: float = RUN_TIMEOUT_S, retry: Retry = DEFAULT_RETRY
              ) -> dict[str, CaseRun]:
    """Import ``module`` from ``build_dir`` under ``python`` once and drive every case of
    ``symbols`` in a child of its own.

    A timeout does not stand at once (:mod:`matrix.policy`): after a pause, a case that timed
    out is run again alone in a runner of its own (a module that timed out while importing is
    imported again), and the second try is what is recorded, its log saying so.
    """
    runs = _run_reaching_all(python, build_dir, module, symbols, timeout_s)
    timed_out = [s for s in symbols if s in runs and runs[s].outcome is Outcome.TIMEOUT]
    if not timed_out:
        return runs
    attempts = rule(Outcome.TIMEOUT, Cause.RUN_TIMEOUT).attempts
    at_import = runs[timed_out[0]].at_import
    groups = [list(symbols)] if at_import else [[symbol] for symbol in timed_out]
    for group in groups:
        for attempt in range(1, attempts):
            retry.pause(attempt)
            first = runs[group[0]].first_error
            again = _run_reaching_all(python, build_dir, module, group, timeout_s)
            for symbol, run in again.items():
                run.log = (f"[try {attempt} timed out ({first}); try {attempt + 1}"
                           f" {'re-imports the module' if at_import else 'runs it alone'}]\n"
                           + run.log)
                runs[symbol] = run
            if all(run.outcome is not Outcome.TIMEOUT for run in again.values()):
                break
    return runs
