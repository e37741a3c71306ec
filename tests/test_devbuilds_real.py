"""A development build measured for real: ``try --cython-from`` a local Cython wheel (a real
one from PyPI, copied as a build would be) builds and runs a case with it, and the records name
the build exactly."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

from matrix.model.buildsource import BuildSource
from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.measurement import Measurement
from matrix.model.outcomes import Outcome
from matrix.plan.devbuilds import indexed, resolve
from matrix.plan.grid import plan_cell
from matrix.plan.index import ReleaseIndex
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain, measure_cell
from matrix.store.paths import PROJECT_ROOT, Layout

from .conftest import need_python
from .test_devbuilds import pypi_wheel
from .test_grid_real import isolated_env, matrix_command

pytestmark = pytest.mark.slow

CASE = "bytearray-to-char-memoryview"
WHEEL = ("cython-3.2.4-cp311-cp311-manylinux2014_{0}.manylinux_2_17_{0}.manylinux_2_28_{0}.whl"
         .format(platform.machine()))
"""Cython 3.2.4's compiled wheel for CPython 3.11 (as fast as the release the grid installs)."""


def test_try_measures_a_local_wheel_and_names_it(interpreters: dict[str, Interpreter],
                                                  tmp_path: Path) -> None:
    interpreter = need_python(interpreters, "3.11")
    wheel = tmp_path / "dist" / WHEEL
    wheel.parent.mkdir()
    shutil.copyfile(pypi_wheel(WHEEL), wheel)
    cache = tmp_path / "cache"
    done = subprocess.run(matrix_command("try", "--offline", "--python", "3.11",
                                         "--cython-from", str(wheel), "--case", CASE),
                          cwd=PROJECT_ROOT, env=isolated_env(cache), capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    build = resolve(BuildSource.parse("cython", str(wheel)), [interpreter], cache)
    lines = done.stdout.splitlines()
    assert lines[0] == (f"# cython 3.2.4 from a wheel file: {WHEEL} sha256"
                        f" {build.wheels[0].sha256[:12]}")
    result = next(line for line in lines if CASE in line).split()
    assert result[:2] == ["py3.11-cy3.2.4", CASE]
    assert result[2] == "values_ok=yes", done.stdout  # it built, imported and ran
    # The records (measured again in-process, from the caches the command left): the
    # environment has the wheel installed, the provenance names it, the key holds it.
    layout = Layout(cases=PROJECT_ROOT / "cases", cache=cache, results=tmp_path / "results",
                    shared_envs=PROJECT_ROOT / ".cache" / "envs")
    settings = EngineSettings(builds=(build,))
    index = indexed(ReleaseIndex({"cython": (), "numpy": ()}), [build])
    planned = plan_cell(Cell("3.11", "3.2.4"), interpreter, index, [interpreter])
    cases = [c for c in load_cases(layout.cases) if c.id == CASE]
    (record,) = measure_cell(planned, cases, layout, settings, Toolchain.detect(settings))
    assert record.outcome is Outcome.OK and record.provenance["cython_version"] == "3.2.4"
    assert record.provenance["builds"] == [build.provenance(build.wheels[0])]
    assert Measurement.of_record(record).key_for(record.case_hash) == record.key
    released = Measurement.of_record(record)
    assert record.key != Measurement(**{**released.__dict__, "builds": ()}).key_for(
        record.case_hash)
