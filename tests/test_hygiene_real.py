"""Kill a real run mid-cell, four ways: nothing it started survives and no record is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python

pytestmark = pytest.mark.slow


def processes_with(token: str) -> list[tuple[int, str]]:
    """Every live process whose environment carries ``token`` (all the run's descendants)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if token.encode() not in (entry / "environ").read_bytes():
                continue
            if (entry / "stat").read_text().split(") ", 1)[1].startswith("Z"):
                continue  # a zombie is already dead, waiting for its parent to read its status
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found.append((int(entry.name), cmdline.strip()))
    return found


def child_of(parent: int) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                return int(entry.name)
    raise AssertionError(f"process {parent} has no child")


def as_from_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a background job (``cmd &`` in a script, as CI may
    start the suite) inherits SIGINT *ignored*, and Python then never turns it into
    KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hygiene-cache")


@pytest.mark.parametrize("how", ["sigkill-harness", "sigterm-supervisor", "ctrl-c",
                                 "sigkill-supervisor"])
def test_a_killed_run_leaves_no_survivors_and_loses_no_records(
        interpreters: object, shared_cache: Path, tmp_path: Path, how: str) -> None:
    need_python(interpreters, "3.11")  # type: ignore[arg-type]
    token = f"mm-kill-test-{uuid.uuid4().hex}"
    results = tmp_path / "results"
    env = dict(os.environ, MATRIX_CACHE_DIR=str(shared_cache),
               MATRIX_ENVS_DIR=str(PROJECT_ROOT / ".cache" / "envs"), MM_KILL_TEST=token)
    env.pop("MATRIX_SUPERVISED", None)
    # fixture-hang keeps a case child alive for the whole timeout (4 s: the first cell's hang,
    # timed out and tried again, is most of the test's time): the kill lands mid-cell.
    top = subprocess.Popen(
        [sys.executable, "-m", "matrix", "run", "--offline", "--cases", str(FIXTURES / "cases"),
         "--case", "fixture-copies,fixture-hang", "--python", "3.11", "--cython",
         "3.1.8,3.2.4", "--no-abi", "--compiler", "gcc", "--jobs", "1", "--timeout", "4",
         "--retry-delays", "0.1",
         "--results", str(results)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, preexec_fn=as_from_a_terminal)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        stored = ResultStore(results).records()
        # A runner server forks a child per module and that child a grandchild per case
        # (same command line): three of them means a case is running, not an idle server.
        runners = [p for p, cmd in processes_with(token) if "runner.py serve" in cmd]
        if len(stored) >= 2 and len(runners) >= 3:
            break  # the first cell is stored, the second is running its hanging case
        assert top.poll() is None, top.stderr.read().decode() if top.stderr else ""
        time.sleep(0.2)
    else:
        pytest.fail("the run never reached its second cell")
    before = {r.key: r for r in ResultStore(results).records()}
    assert len(before) == 2

    if how == "sigkill-harness":  # the harness dies without a chance to clean up
        os.kill(child_of(top.pid), signal.SIGKILL)
    elif how == "sigterm-supervisor":
        top.send_signal(signal.SIGTERM)
    elif how == "ctrl-c":  # what a terminal does: SIGINT to the whole foreground group
        os.killpg(top.pid, signal.SIGINT)
    else:  # the supervisor itself dies: the harness follows it (PDEATHSIG) and unwinds
        top.send_signal(signal.SIGKILL)
    top.wait(timeout=60)
    err = top.stderr.read().decode() if top.stderr else ""
    if how == "ctrl-c":  # one line says so: no worker's traceback, no summary, no noise
        assert top.returncode == 130, err
        assert "Traceback" not in err, err
        lines = err.rstrip().splitlines()
        said = next(i for i, line in enumerate(lines) if line.startswith("interrupted:"))
        assert len(lines) - said <= 2, err  # interrupted, and the supervisor's sweep if any

    deadline = time.monotonic() + 20
    survivors = processes_with(token)
    while survivors and time.monotonic() < deadline:
        time.sleep(0.2)
        survivors = processes_with(token)
    assert survivors == [], f"left behind after {how}: {survivors}"
    after = {r.key: r for r in ResultStore(results).records()}
    assert after == before, "the records stored before the kill are all there, unchanged"
