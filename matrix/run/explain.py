"""What ``try`` shows a case author about one record (nothing here decides an outcome).

* Every probe field labelled (``copies=alias``); an unknown one says why: ``? (no probe: ...)``
  where the case defines no method for that probe, ``? (cannot tell: why)`` where it has one but
  the measurement could not tell (the case raised ``NotImplementedError("cannot tell: why")``,
  the source did not change, the evidence disagrees), ``? (cannot tell: error in the probe:
  target() raised ...)`` where a probe method raised something else.
* ``-v``: the probe evidence, the log without the runner's ``@@MM`` protocol lines, what the
  case's process printed and how it ended; for a run or import error the Python traceback with
  the case's ``.pyx`` lines.  The runner reports only an exception's first line (its output is
  keyed into every record, so it stays as it is): the traceback comes from running the failing
  case once more in the cell's environment, through the runner's own probes, for display only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix.build.envs import RUNNER
from matrix.build.procs import run_process
from matrix.model.outcomes import Outcome, Stage
from matrix.model.records import Behaviour, Record
from matrix.model.safety import behaviour_safety
from matrix.run.probe import PROBE_ORDER, CaseRun, run_cases

MARK = "@@MM "
"""The runner's protocol lines (:mod:`matrix.run.inenv.runner`), never shown to a person."""

Events = Mapping[str, Mapping[str, Any]]
"""A case's probe events by probe name, as the runner emitted them (the last one wins)."""

NO_PROBE = {
    "readonly": ("no write path offered", "the case defines no write_target"),
    "locks_source": ("source is not resizable", "the case defines no resize_source"),
}
"""The runner's detail for a probe whose method the case does not define, and what it means."""

NO_COPIES_PROBE = "the case defines neither mutate_source nor addresses"
CANNOT_TELL = "cannot tell: "


def without_protocol(text: str) -> list[str]:
    """The lines of ``text`` a person reads: the runner's ``@@MM`` lines left out."""
    return [line for line in text.splitlines() if not line.startswith(MARK)]


def probe_events(text: str) -> dict[str, dict[str, Any]]:
    """The probe events in a log or runner output (the last of each probe wins: a timed-out
    case's log holds both tries)."""
    events: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        if not line.startswith(MARK):
            continue
        try:
            event = json.loads(line[len(MARK):])
        except ValueError:
            continue
        if isinstance(event, dict) and isinstance(event.get("probe"), str):
            events[event["probe"]] = {k: v for k, v in event.items() if k != "probe"}
    return events


def _unknown(detail: str | None, probe: str) -> str:
    """Why a probe's value is unknown, from the runner's detail."""
    missing, meaning = NO_PROBE.get(probe, (None, ""))
    if detail is not None and detail == missing:
        return f"no probe: {meaning}"
    if detail and detail.startswith(CANNOT_TELL):
        return detail
    return f"{CANNOT_TELL}{detail}" if detail else "cannot tell: no detail recorded"


def _copies_unknown(behaviour: Behaviour, events: Events) -> str:
    event = events.get("copies")
    if len(behaviour.copies_evidence) > 1 or (event is not None and event.get("conflict")):
        return "cannot tell: the addresses and the mutation disagree"
    if event is None:
        return "no evidence recorded"
    mutation = event.get("mutation")
    if isinstance(mutation, str):
        return mutation if mutation.startswith(CANNOT_TELL) else f"{CANNOT_TELL}{mutation}"
    if isinstance(event.get("addresses"), str):
        return str(event["addresses"])
    if "same_address" not in event:
        return f"no probe: {NO_COPIES_PROBE}"
    return "cannot tell: no verdict"


def _word(value: bool | None, yes: str, no: str) -> str:
    return "?" if value is None else (yes if value else no)


def _values(behaviour: Behaviour, events: Events) -> list[tuple[str, str, str | None]]:
    """``(field, value, why it is unknown)`` of every probe field, in the runner's order."""
    b = behaviour
    return [
        ("values_ok", _word(b.values_ok, "yes", "NO"),
         None if b.values_ok is not None
         else str(events.get("values_ok", {}).get("detail") or "cannot tell")),
        ("copies", _word(b.copies, "copy", "alias"),
         None if b.copies is not None else _copies_unknown(b, events)),
        ("readonly", _word(b.readonly, "yes", "no"),
         None if b.readonly is not None else _unknown(b.readonly_detail, "readonly")),
        ("locks_source", _word(b.locks_source, "yes", "no"),
         None if b.locks_source is not None else _unknown(b.locks_detail, "locks_source")),
        ("moves", b.moves or "?", None if b.moves is not None else _moves_unknown(b)),
    ]


def _moves_unknown(b: Behaviour) -> str:
    if b.locks_source is not False:
        return "no resize took place"
    return (b.moves_detail or "not measured").removeprefix(CANNOT_TELL)


def probe_fields(behaviour: Behaviour, events: Events | None = None) -> str:
    """``values_ok=yes copies=alias readonly=? (no probe: ...) locks_source=? (cannot tell:
    ...)``, then the conversion's warnings in brackets."""
    parts = [f"{name}={value}" + (f" ({why})" if why else "")
             for name, value, why in _values(behaviour, events or {})
             if name != "moves" or behaviour.locks_source is False]  # moves: after a resize
    if behaviour.sanitizer_read is not None:
        parts.append(f"asan_read={behaviour.sanitizer_read}")
    parts.append(f"safety={behaviour_safety(behaviour).safety.value.replace(' ', '-')}")
    if behaviour.gil_enabled is not None:  # a free-threaded CPython
        parts.append("gil=" + ("re-enabled at import" if behaviour.gil_enabled
                               else "stayed disabled"))
    return " ".join(parts) + "".join(f" [{w[:60]}]" for w in behaviour.warnings)


def _copies_evidence(event: Mapping[str, Any]) -> str:
    found = []
    if "same_address" in event:
        found.append("address: " + ("same address" if event["same_address"]
                                    else "different addresses"))
    elif isinstance(event.get("addresses"), str):
        found.append(f"address: {event['addresses']}")
    if isinstance(event.get("mutation"), str):
        found.append(f"mutation: {event['mutation']}")
    return "; ".join(found)


def evidence_lines(record: Record, events: Events, *, ran: bool) -> list[str]:
    """One line per probe: its value and the evidence behind it; a probe the run did not
    finish says so (the first such one was running when the case's process ended).  Nothing
    for a case that did not run (``ran``: its module was built and imported)."""
    if not ran:
        return []
    values = {name: (value, why) for name, value, why in _values(record.behaviour, events)}
    ended = record.outcome.cut_short
    lines = []
    unfinished = False
    for probe in PROBE_ORDER:
        event = events.get(probe)
        if event is None:
            if not ended:
                lines.append(f"{probe}: not run (the case stopped at the error)")
            elif unfinished:
                lines.append(f"{probe}: not reached")
            else:
                lines.append(f"{probe}: not finished (running when the process ended)")
            unfinished = True
            continue
        if "error" in event:
            lines.append(f"{probe}: error: {event['error']}")
            continue
        if probe == "convert":
            warnings = event.get("warnings") or []
            lines.append("convert: ok" + "".join(f" [{w}]" for w in warnings))
            continue
        value, why = values[probe]
        if why is not None:
            detail = why
        elif probe == "values_ok":
            detail = f"source {event.get('source')}, target {event.get('target')}"
        elif probe == "copies":
            detail = f"evidence: {_copies_evidence(event)}"
        else:
            detail = str(event.get("detail"))
        lines.append(f"{probe}: {value} ({detail})")
    if record.behaviour.sanitizer_read is not None:
        lines.append(f"read after the resize (ASan): {record.behaviour.sanitizer_read}"
                     + (f" ({record.behaviour.sanitizer_report})"
                        if record.behaviour.sanitizer_report else ""))
    if record.outcome is Outcome.OK:
        verdict = behaviour_safety(record.behaviour)
        lines.append(f"safety: {verdict.safety.value} ({verdict.reason})")
    return lines


_PYX_FRAME = re.compile(r'^(\s*)File "([^"]+\.pyx)", line (\d+)')


def with_pyx_lines(traceback: Sequence[str], sources: Mapping[str, str]) -> list[str]:
    """A traceback with the source line under each frame of a case's ``.pyx`` (``sources``:
    file name to code), where the interpreter could not show it (it runs elsewhere)."""
    out: list[str] = []
    for i, line in enumerate(traceback):
        out.append(line)
        match = _PYX_FRAME.match(line)
        if match is None:
            continue
        indent, name, number = match.group(1), Path(match.group(2)).name, int(match.group(3))
        following = traceback[i + 1] if i + 1 < len(traceback) else ""
        if following.startswith(indent + "  ") and not _PYX_FRAME.match(following):
            continue  # already there
        code = sources.get(name, "").splitlines()
        if 0 < number <= len(code) and code[number - 1].strip():
            out.append(f"{indent}  {code[number - 1].strip()}")
    return out


REPLAY = r"""
import sys, traceback
runner_dir, build_dir, module_name, symbol = sys.argv[1:5]
sys.dont_write_bytecode = True
sys.path.insert(0, runner_dir)
import runner
caught = []
describe, emit = runner.describe, runner.emit
def describing(exc):
    caught.append(traceback.format_exc())
    return describe(exc)
def emitting(obj):
    if "error" in obj or "probe_error" in obj:
        sys.stdout.write("".join(caught[-1:] if "error" in obj else caught))
    del caught[:]
    emit(obj)
runner.describe, runner.emit = describing, emitting
sys.path.insert(0, build_dir)
try:
    module = __import__(module_name)
except BaseException:
    sys.stdout.write(traceback.format_exc())
    emit({"kind": "import", "ok": False, "error": True})
    sys.exit(0)
runner.drive(module, symbol)
"""
"""Imports the module and drives one case through the runner's own probes (Python 2.7 and
3.6+ syntax), printing the traceback of each exception the runner reports as an error: the
module's import failing, the conversion's, or an error inside a probe (``probe_error``: a probe
method that raised); an expected exception, such as the ``BufferError`` of a locked source, is
the probe's result, not an error: not printed."""


_OWN_FRAME = re.compile(r'^\s*File "<string>", line \d+, in <module>$')
"""The frame of :data:`REPLAY` itself in a traceback (left out: it is not the case's)."""


@dataclass(frozen=True)
class RunPlace:
    """Where a case ran: its environment's Python and its built module."""

    python: Path
    build_dir: Path
    module: str
    env: tuple[tuple[str, str], ...] = ()
    """What the cell's runner added to the environment (a sanitizer's runtime)."""


@dataclass
class RunsSeen:
    """A ``run_module`` for :class:`matrix.run.engine.CellMeasurement` that runs the cases
    as the engine always does (:func:`matrix.run.probe.run_cases`) and remembers, by symbol,
    where each case ran and what its run printed (the last run of a case wins: a batch whose
    import failed is run again)."""

    places: dict[str, RunPlace] = field(default_factory=dict)
    runs: dict[str, CaseRun] = field(default_factory=dict)

    def __call__(self, python: Path, build_dir: Path, module: str, symbols: Sequence[str],
                 *args: Any, **kwargs: Any) -> dict[str, CaseRun]:
        runs = run_cases(python, build_dir, module, symbols, *args, **kwargs)
        servers = args[2] if len(args) > 2 else kwargs.get("servers")
        env = tuple(getattr(servers, "env", ()))
        for symbol in symbols:
            self.places[symbol] = RunPlace(python, build_dir, module, env)
        self.runs.update(runs)
        return runs


def replay_traceback(place: RunPlace, symbol: str, timeout_s: float,
                     sources: Mapping[str, str]) -> list[str]:
    """The failing case run again where it ran: what it printed, tracebacks included (no
    protocol lines), with the ``.pyx`` source lines; ``[]`` if it printed nothing."""
    env = dict(place.env)
    if "ASAN_OPTIONS" in env:  # ASan's report on the output, not in a file
        env["ASAN_OPTIONS"] = ":".join(option for option in env["ASAN_OPTIONS"].split(":")
                                       if not option.startswith("log_path="))
    done = run_process([str(place.python), "-c", REPLAY, str(RUNNER.parent),
                        str(place.build_dir), place.module, symbol], timeout_s=timeout_s,
                       env={**os.environ, **env} if env else None)
    lines = [line for line in without_protocol(done.output)
             if line.strip() and not _OWN_FRAME.match(line)]
    if done.timed_out:
        lines.append(f"[the run again timed out after {timeout_s:.0f}s]")
    elif done.signal_name:
        lines.append(f"[the run again died: {done.signal_name}]")
    elif not any(line.startswith(MARK) and ('"done"' in line or '"error"' in line)
                 for line in done.output.splitlines()):
        lines.append(f"[the run again ended before the probes finished: exit {done.returncode}]")
    return with_pyx_lines(lines, sources)


def _bar(lines: Sequence[str]) -> list[str]:
    return [f"| {line}" if line else "|" for line in lines]


def failure_lines(record: Record, log: str | None, log_path: Path | None,
                  run: CaseRun | None, traceback: Sequence[str] | None) -> list[str]:
    """``-v`` of a failed record: its log (the build, then the run) without protocol lines,
    how the case's process ended and what it printed, and the traceback of a run or import
    error (``None``: not available)."""
    lines: list[str] = []
    if log:
        lines.append(f"log: {log_path}" if log_path else "log:")
        lines += _bar(without_protocol(log))
    outcome = record.outcome
    if outcome.stage is Stage.RUN:
        if outcome is Outcome.CRASH:
            lines.append(f"run: the case's process died: {record.first_error}")
        elif outcome is Outcome.MEMORY_ERROR:
            lines.append(f"run: AddressSanitizer stopped the case: {record.first_error}")
        elif outcome is Outcome.TIMEOUT:
            lines.append(f"run: the case's process was killed: {record.first_error}")
        if run is not None:
            printed = [line for line in without_protocol(run.log) if line.strip()]
            if printed:
                lines.append("run log:")
                lines += _bar(printed)
            else:
                lines.append("run log: the case printed nothing"
                             + (" before it ended" if outcome is not Outcome.RUN_ERROR else ""))
    if outcome.raised:
        if traceback is None:
            lines.append("traceback: not available (the case did not run in this process)")
        elif any(line.startswith("Traceback") for line in traceback):
            lines.append("traceback (the case run again in this cell's environment):")
            lines += _bar(traceback)
        else:
            lines.append("traceback: none (the case run again raised no exception)"
                         + ("; it printed:" if traceback else ""))
            lines += _bar(traceback)
    return lines


def probe_error_lines(traceback: Sequence[str]) -> list[str]:
    """``-v`` of an ``ok`` record with errors inside probes (``Behaviour.probe_errors``): the
    traceback of each, from the case run again (its ``.pyx`` lines included)."""
    if not any(line.startswith("Traceback") for line in traceback):
        return ["traceback of the error in the probe: none (the case run again raised none)"]
    return ["traceback of the error in the probe (the case run again in this cell's"
            " environment):", *_bar(traceback)]
