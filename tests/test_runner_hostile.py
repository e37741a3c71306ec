"""Hostile cases through the real runner and the harness's side of it: each does one hostile
thing, and each gets its honest outcome and leaves the checkout and the machine as they were.

The cases are plain Python classes (the runner imports any module and drives any class with
the probe methods), so that no build is needed: what is tested is the runner, its protocol
channel, its sandbox and the harness's reading of it (:class:`matrix.run.probe.RunnerServer`),
on Python 2.7 and 3.11.  The same hostile things as
real Cython cases are measured end to end by ``tests/test_hostile_real.py``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from matrix.model.outcomes import Outcome
from matrix.model.policy import Retry
from matrix.plan.interpreters import Interpreter
from matrix.run.hygiene import children_of
from matrix.run.probe import CaseRun, RunnerServers, run_cases
from matrix.store.paths import PROJECT_ROOT

from .conftest import need_python

HOSTILE = textwrap.dedent('''
    import os, signal, sys, time, warnings

    class Base(object):
        def __init__(self):
            self.data = [1, 2, 3]
        def source(self):
            return list(self.data)
        def target(self):
            return list(self.data)

    class prints_then_works(Base):
        def __init__(self):
            sys.stdout.write("no newline at the end")
            sys.stdout.flush()
            warnings.warn("numpy.int is deprecated", DeprecationWarning)
            Base.__init__(self)

    class prints_then_hangs(Base):
        def __init__(self):
            sys.stdout.write('@@MM {"kind": "exit", "symbol": "prints_then_hangs"}')
            sys.stdout.flush()
            while True:
                time.sleep(0.05)

    class prints_then_crashes(Base):
        def __init__(self):
            sys.stderr.write("half a line")
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGSEGV)

    class prints_50_mb_on_one_line(Base):
        def __init__(self):
            chunk = "x" * (1 << 20)
            for _ in range(50):
                sys.stdout.write(chunk)
            sys.stdout.flush()
            Base.__init__(self)

    class deletes_its_folder(Base):
        def __init__(self):
            for name in os.listdir("."):
                os.remove(name)
            open("mine", "w").close()
            sys.stdout.write("deleted in %s; HOME=%s; TMPDIR=%s\\n"
                             % (os.getcwd(), os.environ["HOME"], os.environ["TMPDIR"]))
            Base.__init__(self)

    class leaves_a_child(Base):
        def __init__(self):
            child = os.fork()
            if child == 0:
                grandchild = os.fork()  # a daemon's double fork: re-parented at once
                if grandchild == 0:
                    while True:
                        sys.stdout.write("stray\\n")
                        sys.stdout.flush()
                        time.sleep(0.01)
                sys.stdout.write("stray pid %d\\n" % grandchild)
                sys.stdout.flush()
                os._exit(0)
            os.waitpid(child, 0)
            Base.__init__(self)
''')
SYMBOLS = ("prints_then_works", "prints_then_hangs", "prints_then_crashes",
           "prints_50_mb_on_one_line", "deletes_its_folder", "leaves_a_child")

HANGS_AT_IMPORT = "while True:\n    pass\n"

NO_PAUSE = Retry(delays=(0.0, 0.0, 0.0))


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.iterdir()}


def _runner_folders() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("matrix-runner-*")}


@pytest.fixture(scope="module", params=["2.7", "3.11"])
def hostile(request: pytest.FixtureRequest, interpreters: dict[str, Interpreter],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseRun]:
    interpreter = need_python(interpreters, request.param)
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "hostile_cases.py").write_text(HOSTILE, encoding="utf-8")
    checkout, before = _tree(PROJECT_ROOT), _runner_folders()
    servers = RunnerServers()
    try:
        runs = run_cases(interpreter.path, folder, "hostile_cases", SYMBOLS, timeout_s=3,
                         retry=NO_PAUSE, servers=servers)
    finally:
        servers.close()
    assert _tree(PROJECT_ROOT) == checkout, "a case changed the checkout"
    assert _runner_folders() == before, "a runner's folder was left behind"
    return runs


def test_text_without_a_newline_does_not_change_a_working_case(
        hostile: dict[str, CaseRun]) -> None:
    run = hostile["prints_then_works"]
    assert run.outcome is Outcome.OK, run.log
    assert run.probes["convert"]["warnings"] == ["DeprecationWarning: numpy.int is deprecated"]
    assert "no newline at the end" in run.log


def test_a_hang_after_a_fake_protocol_line_is_a_timeout(hostile: dict[str, CaseRun]) -> None:
    run = hostile["prints_then_hangs"]
    assert run.outcome is Outcome.TIMEOUT, run.log
    assert (run.first_error or "").startswith("timed out after 3s during convert")


def test_a_crash_after_half_a_line_keeps_its_signal(hostile: dict[str, CaseRun]) -> None:
    run = hostile["prints_then_crashes"]
    assert run.outcome is Outcome.CRASH, run.log
    assert run.first_error == "SIGSEGV during convert"
    assert "half a line" in run.log


def test_50_mb_on_one_line_is_cut_and_says_so(hostile: dict[str, CaseRun]) -> None:
    run = hostile["prints_50_mb_on_one_line"]
    assert run.outcome is Outcome.OK, run.log[:500]
    assert (run.output_bytes, run.output_kept) == (50 << 20, 65536)
    assert run.output_cut == "52428800 bytes printed, 65536 kept"
    assert "[output: 52428800 bytes printed, the first and the last 32768 kept]" in run.log
    assert len(run.log) < 100_000


def test_a_case_works_in_a_fresh_folder_of_its_own(hostile: dict[str, CaseRun]) -> None:
    run = hostile["deletes_its_folder"]
    assert run.outcome is Outcome.OK, run.log
    found = re.search(r"deleted in (\S+); HOME=(\S+); TMPDIR=(\S+)", run.log)
    assert found is not None, run.log
    folder = found[1]
    assert found[2] == found[3] == folder
    assert not Path(folder).exists(), "the case's folder is removed afterwards"
    assert not folder.startswith(str(PROJECT_ROOT))


def test_a_child_that_outlives_its_case_is_killed_with_it(hostile: dict[str, CaseRun]) -> None:
    run = hostile["leaves_a_child"]
    assert run.outcome is Outcome.OK, run.log
    found = re.search(r"stray pid (\d+)", run.log)
    assert found is not None, run.log
    assert not Path(f"/proc/{found[1]}").exists(), "the stray still runs"
    for other in SYMBOLS:
        if other != "leaves_a_child":
            assert "stray" not in hostile[other].log, f"the stray wrote into {other}'s log"


def test_a_hang_at_import_is_bounded_by_the_timeout(
        request: pytest.FixtureRequest, interpreters: dict[str, Interpreter],
        tmp_path: Path) -> None:
    interpreter = need_python(interpreters, "3.11")
    (tmp_path / "hangs_at_import.py").write_text(HANGS_AT_IMPORT, encoding="utf-8")
    servers = RunnerServers()
    start = time.monotonic()
    try:
        runs = run_cases(interpreter.path, tmp_path, "hangs_at_import", ["a", "b"],
                         timeout_s=2, retry=NO_PAUSE, servers=servers)
    finally:
        servers.close()
    took = time.monotonic() - start
    assert {run.outcome for run in runs.values()} == {Outcome.TIMEOUT}
    assert all(run.at_import for run in runs.values())
    assert (runs["a"].first_error or "").startswith("timed out after 2s during import")
    assert took < 2 * 2 + 10, f"two tries of a 2 s bound took {took:.1f} s"


HARNESS = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from matrix.run.probe import RunnerServer
    server = RunnerServer(Path(sys.argv[1]))
    server.request(Path(sys.argv[2]), "hangs_at_import", ["a"], 600.0, 900.0)
''')


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in children_of(todo.pop()):
            found.add(child)
            todo.append(child)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_runner_dies_with_a_harness_killed_with_its_whole_group(
        request: pytest.FixtureRequest, interpreters: dict[str, Interpreter],
        tmp_path: Path) -> None:
    """kill -9 of the harness's whole process group: the runner server (in a session of its
    own) and the module's process hanging at import die too."""
    interpreter = need_python(interpreters, "3.11")
    (tmp_path / "hangs_at_import.py").write_text(HANGS_AT_IMPORT, encoding="utf-8")
    harness = subprocess.Popen([sys.executable, "-c", HARNESS, str(interpreter.path),
                                str(tmp_path)], cwd=PROJECT_ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        runners: set[int] = set()
        while time.monotonic() < deadline and len(runners) < 2:  # the server and its module
            time.sleep(0.2)
            runners = _descendants(harness.pid)
        assert len(runners) >= 2, "the runner server and its module's process never started"
        os.killpg(harness.pid, signal.SIGKILL)
        harness.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in runners):
            time.sleep(0.1)
        assert not [pid for pid in runners if _alive(pid)], "a runner outlived its harness"
    finally:
        if harness.poll() is None:
            os.killpg(harness.pid, signal.SIGKILL)
            harness.wait()
