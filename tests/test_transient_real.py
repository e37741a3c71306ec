"""Transient failures, really provoked: never stored as facts about a case.

* The package index made unreachable mid-run (pip's path, Python 2.7): ``env-error`` caused
  by the network, tried again within the run, then by the next run -- never ``not-possible``.
* The C compiler killed by a signal (as the OOM killer does): tried again; if every try is
  killed, ``env-error`` -- never a ``cc-error``, and nothing enters the compile cache.
"""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from matrix.build.envs import EnvFailure, EnvSpec, ensure_env
from matrix.build.modules import BuildSettings
from matrix.build.stagecache import MARK
from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.model.policy import Cause, Retry, rule
from matrix.run.engine import EngineSettings, Toolchain, measure_cell
from matrix.run.measure import run_plan
from matrix.store.paths import Layout
from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python, planned

pytestmark = pytest.mark.slow

UNREACHABLE = "http://127.0.0.1:9/simple"
"""The discard port: nothing listens, every connection is refused at once."""


def index_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip (the legacy backend's installer) sees no index and no cache.  uv, which fetches
    the legacy backend's virtualenv, keeps its own: it is pip's path under test."""
    for name, value in {"PIP_INDEX_URL": UNREACHABLE, "PIP_NO_CACHE_DIR": "1",
                        "PIP_RETRIES": "0", "PIP_TIMEOUT": "2"}.items():
        monkeypatch.setenv(name, value)


def test_an_unreachable_index_is_a_retried_env_error_on_the_pip_path(
        interpreters: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    python27 = need_python(interpreters, "2.7")  # type: ignore[arg-type]
    index_unreachable(monkeypatch)
    pauses: list[float] = []
    made = ensure_env(EnvSpec(python27, "0.29.37", None), tmp_path / "envs",
                      Retry((0.01, 0.02), sleep=pauses.append))
    assert isinstance(made, EnvFailure)
    assert not made.not_possible, f"an unreachable index became not-possible: {made.reason}"
    assert made.cause is Cause.NETWORK, made.reason
    assert len(pauses) == rule(Outcome.ENV_ERROR, Cause.NETWORK).attempts - 1
    assert "no matching distribution" in made.log.lower(), (
        "pip's own words, which used to be read as 'no wheel', are what this test provokes")


def test_index_unreachable_mid_run_then_back(interpreters: object, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    python27 = need_python(interpreters, "2.7")  # type: ignore[arg-type]
    layout = Layout(cases=FIXTURES / "cases", cache=tmp_path / "cache",
                    results=tmp_path / "results")  # environments of its own: made here
    cases = [c for c in load_cases(layout.cases) if c.id == "fixture-copies"]
    cells = [planned(Cell("2.7", "0.29.37"), python27)]
    store = ResultStore.in_directory(layout.results)
    settings = EngineSettings(run_timeout_s=30, retry=Retry((0.01,)))
    with monkeypatch.context() as offline:
        index_unreachable(offline)
        run_plan(cells, cases, layout, store, settings=settings, jobs=1, stream=io.StringIO())
    (failed,) = store.records()
    assert failed.outcome is Outcome.ENV_ERROR, (failed.outcome, failed.first_error)
    assert failed.provenance["cause"] == Cause.NETWORK.value
    summary = run_plan(cells, cases, layout, store, settings=settings, jobs=1,
                       stream=io.StringIO())
    assert summary.measured == 1 and summary.skipped == 0, "the next run tries it again"
    (measured,) = ResultStore.in_directory(layout.results).records()
    assert measured.key == failed.key and measured.outcome is Outcome.OK


def killing_compiler(directory: Path, counter: Path, kills: int) -> Path:
    """A ``cc`` that SIGKILLs itself on its first ``kills`` compiles, then is gcc."""
    script = directory / "mm-killed-cc"
    script.write_text(f"""#!/bin/sh
case "$*" in *-dumpfullversion*) exec gcc "$@";; esac
n=$(cat "{counter}" 2>/dev/null || echo 0)
echo $((n + 1)) > "{counter}"
[ "$n" -lt {kills} ] && kill -9 $$
exec gcc "$@"
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.mark.parametrize("kills", [1, 99], ids=["killed-once", "killed-every-try"])
def test_a_signal_killed_compiler_is_never_a_cc_error(interpreters: object, tmp_path: Path,
                                                      kills: int) -> None:
    python = need_python(interpreters, "3.11")  # type: ignore[arg-type]
    layout = Layout(cases=FIXTURES / "cases", cache=tmp_path / "cache",
                    results=tmp_path / "results", shared_envs=Path(".cache/envs").resolve())
    cases = [c for c in load_cases(layout.cases) if c.id == "fixture-copies"]
    counter = tmp_path / "compiles"
    cc = killing_compiler(tmp_path, counter, kills)
    settings = EngineSettings(build=BuildSettings(cc=str(cc)), run_timeout_s=30,
                              retry=Retry((0.01,)))
    cell = planned(Cell("3.11", "3.2.4"), python)
    (record,) = measure_cell(cell, cases, layout, settings, Toolchain.detect(settings))
    tries = rule(Outcome.ENV_ERROR, Cause.TOOL_KILLED).attempts
    if kills == 1:
        assert record.outcome is Outcome.OK, (record.outcome, record.first_error)
        assert int(counter.read_text()) == 2
        return
    assert int(counter.read_text()) == tries
    assert record.outcome is Outcome.ENV_ERROR, (record.outcome, record.first_error)
    assert record.provenance["cause"] == Cause.TOOL_KILLED.value
    assert "SIGKILL" in (record.first_error or "")
    assert not list((layout.cache / "compile").glob(f"*/{MARK}")), "nothing cached"
    counter.write_text(str(kills))  # the compiler is healthy again
    (again,) = measure_cell(cell, cases, layout, settings, Toolchain.detect(settings))
    assert again.outcome is Outcome.OK and again.key == record.key
