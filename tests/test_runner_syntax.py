"""The in-environment runner must run on every Python of the axis, 2.7 included."""

from __future__ import annotations

import json
import subprocess

import pytest

from matrix.envs import RUNNER
from matrix.interpreters import Interpreter


@pytest.mark.parametrize("minor", ["2.7", "3.6", "3.13"])
def test_runner_info_runs_on_every_python(interpreters: dict[str, Interpreter],
                                          minor: str) -> None:
    interpreter = interpreters.get(minor)
    if interpreter is None:
        pytest.skip(f"no Python {minor} interpreter on this machine")
    done = subprocess.run([str(interpreter.path), str(RUNNER), "info"], capture_output=True,
                          text=True, timeout=60, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("@@MM "))
    info = json.loads(line[5:])
    assert info["python"] == str(interpreter.version)
    assert info["include"] and info["ext_suffix"].endswith(".so")


def test_runner_usage_error_is_reported(interpreters: dict[str, Interpreter]) -> None:
    interpreter = next(iter(interpreters.values()), None)
    if interpreter is None:
        pytest.skip("no interpreter")
    done = subprocess.run([str(interpreter.path), str(RUNNER), "bogus"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr
