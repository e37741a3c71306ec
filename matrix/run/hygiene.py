"""Process hygiene: whatever ends the harness ends everything it started.

Every tool the harness runs (cython, the C compiler, the in-environment runner and the case
children it forks, installers) runs in a process group of its own, so that a timeout kills
all of it (:func:`matrix.build.procs.run_process`).  Those groups do not receive the terminal's
Ctrl-C, so three layers make sure none outlives the harness:

1. :func:`matrix.build.procs.run_process` kills its group whenever the wait is interrupted
   (``KeyboardInterrupt``, or :class:`Terminated` raised by the SIGTERM handler here).
2. Workers and the harness ask the kernel for SIGTERM when their parent dies
   (``PR_SET_PDEATHSIG``), so killing a parent unwinds its children through layer 1.
3. :func:`supervise` runs the harness as the child of a small supervisor that is a *child
   subreaper*: when the harness dies in any way, even SIGKILL, every process it left behind
   is re-parented to the supervisor, which kills their process groups before exiting with
   the harness's status.  SIGTERM sent to the supervisor is passed on; Ctrl-C reaches the
   harness directly (same foreground process group), so the supervisor only waits.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
SUPERVISED_ENV = "MATRIX_SUPERVISED"
"""Set in the supervised harness (so it does not supervise itself again)."""


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C (a ``BaseException``, so no ``except Exception``
    swallows it)."""


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(option, value, 0, 0, 0) == 0)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(f"signal {signum}")


def worker_init() -> None:
    """A pool worker's set-up: it dies with the harness (:func:`die_with_parent`), leaves
    Ctrl-C to the harness (which ends the pool's workers with SIGTERM: layer 2), and ends
    quietly when it is ended: the harness prints the one line an interruption needs."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise_terminated_quietly)


def _raise_terminated_quietly(signum: int, frame: FrameType | None) -> None:
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)  # the unwinding is not news: the harness says it once
    raise Terminated(f"signal {signum}")


def die_with_parent() -> None:
    """This process gets SIGTERM when its parent dies, and SIGTERM unwinds it (layer 2).

    Used as the worker pool's initializer and by the supervised harness."""
    signal.signal(signal.SIGTERM, _raise_terminated)
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the request took effect
        raise Terminated("parent already gone")


def children_of(pid: int) -> list[int]:
    """The pids of ``pid``'s children (read from ``/proc``; empty where there is none)."""
    me = str(pid)
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[1] == me:
            children.append(int(entry.name))
    return children


def reap_orphans(grace_s: float = 5.0) -> int:
    """Kill every process (and its process group) re-parented to this subreaper, until none
    is left; returns how many were found."""
    found = 0
    deadline = time.monotonic() + grace_s
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        children = children_of(os.getpid())
        if not children:
            return found
        found += len(children)
        for pid in children:
            try:
                group = os.getpgid(pid)
                if group != os.getpgrp():  # never this process's own group
                    os.killpg(group, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def supervise(argv: Sequence[str]) -> int:
    """Run ``argv`` (the harness) as a child and clean up after it (layer 3)."""
    subreaper = _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    child = subprocess.Popen(list(argv), env=dict(os.environ, **{SUPERVISED_ENV: "1"}))

    def forward(signum: int, frame: FrameType | None) -> None:
        try:
            child.send_signal(signum)
        except ProcessLookupError:
            pass

    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
                signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN)}
    try:
        status = child.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if subreaper:
            left = reap_orphans()
            if left and child.returncode != 0:  # after a clean exit: helpers winding down
                print(f"matrix: ended {left} process(es) the harness left behind",
                      file=sys.stderr)
    return 128 - status if status < 0 else status
