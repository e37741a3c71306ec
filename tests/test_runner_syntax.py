"""The in-environment runner must run on every Python of the axis, 2.7 included."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

from matrix.build.envs import RUNNER
from matrix.plan.interpreters import Interpreter

from .conftest import need_python


@pytest.mark.parametrize("minor", ["2.7", "3.6", "3.13"])
def test_runner_info_runs_on_every_python(interpreters: dict[str, Interpreter],
                                          minor: str) -> None:
    interpreter = need_python(interpreters, minor)
    done = subprocess.run([str(interpreter.path), str(RUNNER), "info"], capture_output=True,
                          text=True, timeout=60, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("@@MM "))
    info = json.loads(line[5:])
    assert info["python"] == str(interpreter.version)
    assert os.path.isfile(os.path.join(info["include"][0], "Python.h"))
    assert info["ext_suffix"].endswith(".so")


def _runner_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mm_runner_under_test", RUNNER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_headers_are_found_where_the_interpreter_really_lives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relocated interpreter (uv-managed, repackaged) still says INCLUDEPY=/usr/include/...:
    the runner takes the folders ``sysconfig.get_paths()`` gives, Python.h's first."""
    runner = _runner_module()
    include, platinclude = tmp_path / "include", tmp_path / "platinclude"
    include.mkdir()
    platinclude.mkdir()
    (include / "Python.h").write_text("")
    (platinclude / "pyconfig.h").write_text("")
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"include": str(include),
                                                         "platinclude": str(platinclude)})
    monkeypatch.setattr(sysconfig, "get_config_var",
                        lambda name: "/usr/include/python-baked-in" if name == "INCLUDEPY"
                        else None)
    assert runner.python_includes() == [str(include), str(platinclude)]


def test_runner_usage_error_is_reported(interpreters: dict[str, Interpreter]) -> None:
    interpreter = need_python(interpreters, "3.11")
    done = subprocess.run([str(interpreter.path), str(RUNNER), "bogus"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "usage:" in done.stderr
