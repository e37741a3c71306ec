"""Run built cases through the in-environment runner and turn its output into outcomes.

One runner server per environment (:class:`RunnerServer`): it imports numpy once, forks a
child per module that imports the module, and that child forks a grandchild per case, so a
crash or hang ends only that case's process (killed at the timeout).  Should a module's run
die part-way, the cases it had not reached are run again: no case inherits another's fate.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix.build.envs import RUNNER
from matrix.build.procs import Completed
from matrix.model.errorline import last_line, sanitizer_error
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry, rule
from matrix.model.timeouts import TIMEOUTS

PROBE_ORDER = ("convert", "values_ok", "copies", "readonly", "locks_source", "moves")
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
    gil_enabled: bool | None = None
    """Whether importing the module re-enabled the GIL: ``True`` when the import printed a
    free-threaded CPython's warning (:data:`GIL_ENABLED`), ``False`` when it did not, ``None``
    when that cannot tell (the runner server's own start had already enabled the GIL).
    Meaningful on free-threaded builds only (the engine keeps it for those)."""
    output_bytes: int = 0
    """How many bytes the case printed (stdout and stderr)."""
    output_kept: int = 0
    """How many of them its log keeps (the runner's ``OUTPUT_CAP``: the first and the last
    half); less than :attr:`output_bytes` when it printed more."""

    @property
    def output_cut(self) -> str | None:
        """``"52428800 bytes printed, 65536 kept"`` when the output was cut; else ``None``."""
        if self.output_bytes <= self.output_kept:
            return None
        return f"{self.output_bytes} bytes printed, {self.output_kept} kept"


GIL_ENABLED = "The global interpreter lock (GIL) has been enabled to load module"
"""What a free-threaded CPython (PEP 703) prints when it imports an extension module that does
not declare ``Py_mod_gil`` (Cython's ``freethreading_compatible`` directive): from then on the
process runs with the GIL.  The runner imports each module in a fresh child of its server, so
the warning is that module's own."""


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
    finished = reading = False
    for event in events:
        if event.get("kind") == "done":
            finished = True
        if event.get("kind") == "reading":
            reading = True
        if event.get("kind") == "read":
            reading = False
            probes["read_after_resize"] = {"sanitizer": "clean"}
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
    report = list(ending.get("sanitizer") or ()) if ending else []
    sanitized = sanitizer_error(report)
    if report:
        run.log += "".join(f"[AddressSanitizer] {line}\n" for line in report)
    if sanitized is not None and reading and run.outcome is Outcome.OK:
        # the read through the target after the resize: the safety verdict, not a failure
        probes["read_after_resize"] = {"sanitizer": sanitized[0], "report": sanitized[1]}
    elif sanitized is not None and run.outcome is Outcome.OK:
        run.outcome = Outcome.MEMORY_ERROR
        run.first_error = f"AddressSanitizer: {sanitized[0]} during {in_progress}"
    elif ending is None:
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
        run.first_error = last_line(tail, f"case exited {ending.get('code')}")
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
    gil_enabled = False
    for line in output.splitlines():
        if not imported and GIL_ENABLED in line:
            gil_enabled = True
        event = _event(line)
        if event is not None and event.get("kind") == "import":
            printed = str(event.get("output") or "")
            gil_enabled = gil_enabled or GIL_ENABLED in printed
            if not event.get("ok"):
                log = transcript + (f"[printed while importing]\n{printed}" if printed else "")
                failure = _import_failure(Outcome.IMPORT_ERROR, str(event.get("error")),
                                          log, duration_s)
                return {symbol: failure for symbol in symbols}
            imported = True
            continue
        if event is not None and event.get("kind") == "case":
            current = str(event["symbol"])
            segments[current] = ([], [])
            continue
        if event is not None and event.get("kind") == "exit":
            symbol = str(event["symbol"])
            endings[symbol] = event
            if symbol in segments:
                segments[symbol][1].extend(_printed(event))
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
            failure = _import_failure(Outcome.IMPORT_ERROR,
                                      last_line(lines, f"runner exited {returncode}"),
                                      transcript, duration_s)
        return {symbol: failure for symbol in symbols}
    runs = {}
    for symbol, (events, lines) in segments.items():
        text = "\n".join(lines) + ("\n" if lines else "")
        ending = endings.get(symbol)
        runs[symbol] = run = classify(events, text, ending)
        run.gil_enabled = gil_enabled
        if ending is not None:
            run.output_bytes = int(ending.get("output_bytes") or 0)
            run.output_kept = int(ending.get("output_kept") or 0)
    return runs


def _printed(ending: dict[str, Any]) -> list[str]:
    """What a case printed, as log lines (the runner kept at most its ``OUTPUT_CAP`` bytes:
    a line says so when it cut the output)."""
    text = str(ending.get("output") or "")
    lines = text.splitlines()
    printed, kept = int(ending.get("output_bytes") or 0), int(ending.get("output_kept") or 0)
    if printed > kept:
        lines.append(f"[output: {printed} bytes printed, the first and the last {kept // 2}"
                     " kept]")
    return lines


class RunnerServer:
    """One ``runner.py serve`` process for one environment's Python: numpy is imported once,
    each module is imported in a child forked per request (see the runner's docstring).

    It runs in a process group of its own, in a fresh folder of its own (``HOME`` and
    ``TMPDIR`` there too: never in the checkout), and dies with this process.  It reports on a
    pipe of its own (``MATRIX_PROTOCOL_FD``); what it prints itself goes to a file in its folder,
    read (capped) only to say why it failed.  It is killed whole when a module's import
    outlives the run timeout, when a request outlives its deadline or when the wait is
    interrupted; a server that died or was killed is started again on the next request.  EOF
    on its stdin (this process gone) ends it."""

    def __init__(self, python: Path, env: Sequence[tuple[str, str]] = ()) -> None:
        self.python = python
        self.env = dict(env)
        """Added to the server's environment (a sanitizer's runtime: :meth:`CellMeasurement.
        run_env_vars <matrix.run.engine.CellMeasurement.run_env_vars>`)."""
        self.process: subprocess.Popen[bytes] | None = None
        self.protocol: ProtocolReader | None = None
        self.folder: Path | None = None
        self.gil_enabled_at_start = False
        """The server's own start (importing numpy) enabled the GIL: a module child then
        inherits it, and its import cannot tell whether the module would have."""

    def _start(self) -> subprocess.Popen[bytes]:
        self.folder = Path(tempfile.mkdtemp(prefix="matrix-runner-"))
        reading, writing = os.pipe()
        try:
            with open(self.folder / SERVER_OUTPUT, "wb") as output:
                process = subprocess.Popen(
                    [str(self.python), str(RUNNER), "serve"], stdin=subprocess.PIPE,
                    stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                    cwd=self.folder, pass_fds=(writing,),
                    env={**os.environ, **_ONE_THREAD, **self.env,
                         "MATRIX_PROTOCOL_FD": str(writing), "MATRIX_SANDBOX": str(self.folder),
                         "MATRIX_PARENT_PID": str(os.getpid()), "HOME": str(self.folder),
                         "TMPDIR": str(self.folder)})
        except BaseException:
            os.close(reading)
            raise
        finally:
            os.close(writing)
        self.process, self.protocol = process, ProtocolReader(reading)
        return process

    def server_output(self) -> str:
        """What the server printed itself (the last :data:`SERVER_OUTPUT_CAP` bytes)."""
        if self.folder is None:
            return ""
        try:
            with open(self.folder / SERVER_OUTPUT, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - SERVER_OUTPUT_CAP))
                return handle.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
            self.process = None
        if self.protocol is not None:
            self.protocol.close()
            self.protocol = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def request(self, build_dir: Path, module: str, symbols: Sequence[str], timeout_s: float,
                deadline_s: float) -> Completed:
        """Run one module's cases; the protocol lines the runner wrote, as a
        :class:`Completed` (the module child's exit status as its return code).  The module's
        import is bounded by ``timeout_s``, the whole request by ``deadline_s``."""
        argv = (f"{self.python} {RUNNER.name} serve", str(build_dir), module, *symbols)
        start = time.monotonic()
        process = self.process if self.process and self.process.poll() is None else None
        lines: list[str] = []
        try:
            if process is None:
                self.close()
                process = self._start()
                assert self.protocol is not None
                ready, _ = self.protocol.read_until("ready", start + TIMEOUTS.import_module)
                if ready is None:
                    raise OSError("runner server did not start:"
                                  f" {last_line(self.server_output().splitlines(), 'no output')}")
                self.gil_enabled_at_start = GIL_ENABLED in self.server_output()
            assert self.protocol is not None
            line = json.dumps({"dir": str(Path(build_dir).resolve()), "module": module,
                               "timeout": timeout_s, "symbols": list(symbols)})
            assert process.stdin is not None
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()
            imported, before = self.protocol.read_until("import", time.monotonic() + timeout_s)
            lines += before
            if imported is not None:
                lines.append(MARK + json.dumps(imported, sort_keys=True) + "\n")
                served, rest = self.protocol.read_until("served", start + deadline_s)
                lines += rest
            else:
                served = None
        except OSError as exc:  # could not start or talk to it: a dead runner, like "run"'s
            self.close()
            return Completed(argv, 127, f"runner server: {exc}\n",
                             time.monotonic() - start, False)
        except BaseException:  # Ctrl-C, SIGTERM: the server's whole group goes too
            self.close()
            raise
        duration = time.monotonic() - start
        if served is None:  # outlived the import bound or the deadline, or the server died
            timed_out = process.poll() is None
            noise = self.server_output()
            self.close()
            code = None if timed_out else process.returncode
            tail = f"[runner server output]\n{noise}" if noise and not timed_out else ""
            return Completed(argv, code, "".join(lines) + tail, duration, timed_out)
        code = -int(served["signal"]) if served.get("signal") else int(served.get("code") or 0)
        return Completed(argv, code, "".join(lines), duration, False)


SERVER_OUTPUT = "server.out"
"""The file a runner server's own stdout and stderr go to, in its folder."""
SERVER_OUTPUT_CAP = 16384
"""Bytes of a runner server's own output that a failure shows (its end)."""
MARK = "@@MM "


class ProtocolReader:
    """The runner's protocol lines, read from their pipe as they come: each chunk is looked
    at once (a long line costs what its bytes cost, never more)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pending: list[bytes] = []
        self.lines: deque[bytes] = deque()

    def close(self) -> None:
        os.close(self.fd)

    def read_until(self, kind: str, deadline: float) -> tuple[dict[str, Any] | None, list[str]]:
        """The lines before the next event of ``kind`` (excluded) and that event; ``None`` at
        the deadline or at the end of the pipe (the lines read so far are returned)."""
        seen: list[str] = []
        while True:
            while self.lines:
                text = self.lines.popleft().decode("utf-8", "replace")
                event = _event(text)
                if event is not None and event.get("kind") == kind:
                    return event, seen
                seen.append(text + "\n")
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None, seen
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                tail = b"".join(self.pending)
                self.pending = []
                return None, seen + ([tail.decode("utf-8", "replace") + "\n"] if tail else [])
            *complete, last = chunk.split(b"\n")
            if complete:
                self.lines.extend([b"".join([*self.pending, complete[0]]), *complete[1:]])
                self.pending = []
            if last:
                self.pending.append(last)


def _event(text: str) -> dict[str, Any] | None:
    if not text.startswith(MARK):
        return None
    try:
        found = json.loads(text[len(MARK):])
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


class RunnerServers:
    """The runner servers of one process, by environment Python (started when first used)."""

    def __init__(self, env: Sequence[tuple[str, str]] = ()) -> None:
        self.servers: dict[Path, RunnerServer] = {}
        self.env = tuple(env)

    def get(self, python: Path) -> RunnerServer:
        if python not in self.servers:
            self.servers[python] = RunnerServer(python, self.env)
        return self.servers[python]

    def close(self) -> None:
        for server in self.servers.values():
            server.close()


@functools.cache
def process_servers(env: tuple[tuple[str, str], ...] = ()) -> RunnerServers:
    """This process's runner servers, shared by every cell it measures (a pool of live child
    processes, like a connection pool: the one process-level resource of the engine), one
    pool per extra environment ``env`` (a sanitizer's cells run apart); they are closed when
    the process exits."""
    servers = RunnerServers(env)
    atexit.register(servers.close)
    return servers


@functools.cache
def sanitizer_log_prefix() -> Path:
    """Where this process's sanitized runners have ASan write its reports
    (``<prefix>.<pid>``; the runner reads and deletes each): a folder of its own, removed when
    the process exits."""
    folder = Path(tempfile.mkdtemp(prefix="matrix-asan-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder / "asan"


def _run_reaching_all(python: Path, build_dir: Path, module: str, symbols: Sequence[str],
                      timeout_s: float, servers: RunnerServers) -> dict[str, CaseRun]:
    """One request to this Python's runner server for ``symbols``; should the module's run
    die part-way, another for the cases it left."""
    runs: dict[str, CaseRun] = {}
    pending = list(symbols)
    while pending:
        deadline = TIMEOUTS.import_module + timeout_s * len(pending) + TIMEOUTS.server_slack
        server = servers.get(python)
        done = server.request(build_dir, module, pending, timeout_s, deadline)
        reached = parse_runner_output(done.output, pending, timed_out=done.timed_out,
                                      returncode=done.returncode, duration_s=done.duration_s,
                                      transcript=done.transcript())
        if server.gil_enabled_at_start:
            for run in reached.values():
                run.gil_enabled = None
        runs.update(reached)
        if not reached:  # cannot happen (an import failure covers every case); never loop
            break
        pending = [s for s in pending if s not in reached]
    return runs


def run_cases(python: Path, build_dir: Path, module: str, symbols: Sequence[str],
              timeout_s: float = TIMEOUTS.run, retry: Retry = DEFAULT_RETRY,
              servers: RunnerServers | None = None) -> dict[str, CaseRun]:
    """Import ``module`` from ``build_dir`` under ``python`` once (in a child of the runner
    server, :func:`process_servers` unless ``servers`` is given) and drive every case of
    ``symbols`` in a child of its own.

    A timeout does not stand at once (:mod:`matrix.model.policy`): after a pause, a case that timed
    out is run again alone, the only case of its request (a module that timed out while
    importing is imported again), and the second try is what is recorded, its log saying so
    and its first error too (``timed out after 60s during copies, also when re-run alone (2
    tries)``).
    """
    servers = servers if servers is not None else process_servers()
    runs = _run_reaching_all(python, build_dir, module, symbols, timeout_s, servers)
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
            again = _run_reaching_all(python, build_dir, module, group, timeout_s, servers)
            for symbol, run in again.items():
                run.log = (f"[try {attempt} timed out ({first}); try {attempt + 1}"
                           f" {'re-imports the module' if at_import else 'runs it alone'}]\n"
                           + run.log)
                runs[symbol] = run
            if all(run.outcome is not Outcome.TIMEOUT for run in again.values()):
                break
        for symbol in group:
            run = runs[symbol]
            if run.outcome is Outcome.TIMEOUT and run.first_error:
                again_how = "imported again" if at_import else "re-run alone"
                run.first_error += f", also when {again_how} ({attempts} tries)"
    return runs
