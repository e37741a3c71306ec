"""Subprocesses with a timeout that always returns: a hang or a crash is a result, not an abort.

Each runs in a process group of its own, killed whole on timeout and whenever the wait is
interrupted (see :mod:`matrix.run.hygiene` for how nothing outlives the harness)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Completed:
    """What a finished (or killed) subprocess left behind."""

    argv: tuple[str, ...]
    returncode: int | None
    output: str
    duration_s: float
    timed_out: bool

    @property
    def signal_name(self) -> str | None:
        """``SIGSEGV`` and the like when the process died of a signal."""
        if self.returncode is None or self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    def transcript(self) -> str:
        status = "timed out" if self.timed_out else f"exit {self.returncode}"
        return f"$ {' '.join(self.argv)}\n{self.output}[{status} after {self.duration_s:.2f}s]\n"


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_process(
    argv: list[str],
    *,
    timeout_s: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Completed:
    """Run ``argv`` with stdout and stderr merged; kill the whole process group on timeout."""
    start = time.monotonic()
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:  # the program itself is missing or not executable
        return Completed(tuple(argv), 127, f"cannot run {argv[0]}: {exc}\n",
                         time.monotonic() - start, False)
    timed_out = False
    try:
        raw, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        raw, _ = process.communicate()
    except BaseException:  # Ctrl-C, SIGTERM (matrix.hygiene): the tool's whole group goes too
        _kill_group(process)
        process.wait()
        raise
    return Completed(
        argv=tuple(argv),
        returncode=None if timed_out else process.returncode,
        output=raw.decode("utf-8", errors="replace"),
        duration_s=time.monotonic() - start,
        timed_out=timed_out,
    )
