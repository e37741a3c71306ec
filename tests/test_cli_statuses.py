"""Exit statuses and counts (docs/measuring.md, "Exit statuses"): equal inputs give equal
statuses across run, list, try and bisect; a selection that plans nothing is an error naming the
flag; ``--timeout`` is positive; the run summary counts only the cells that apply; the ETA waits
for the first cells (which set up environments) before it extrapolates.

Nothing here builds: every command below stops at planning (an error, or nothing to measure),
and the run summary is checked with a fake measurement."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.version import Version

from matrix.cli import build_parser, main
from matrix.model.cases import Case, load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.model.records import Behaviour, Record
from matrix.plan.grid import PlannedCell
from matrix.plan.interpreters import Interpreter
from matrix.plan.shard import Shard
from matrix.run import measure
from matrix.run.engine import EngineSettings, Toolchain
from matrix.store.paths import PROJECT_ROOT, Layout
from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python
from .test_store import make_record

NUMPY_CASE = "numpy-int-to-long-memoryview"
CORE_CASE = "bytes-to-char-pointer"
CYTHON = "3.2.9"
NUMPY = "2.3.5"


@pytest.fixture()
def python(interpreters: dict[str, Interpreter]) -> str:
    need_python(interpreters, "3.11")
    return "3.11"


def invocation(command: str, results: Path, **flags: str) -> list[str]:
    """``command`` on one numpy cell (py3.11, Cython 3.2.9, numpy 2.3.5, NUMPY_CASE), with
    ``flags`` (``numpy_run="..."`` is ``--numpy-run``; an empty value leaves the flag out)
    replacing the defaults; ``bisect`` bisects numpy unless a flag holds a range."""
    values = {"python": "3.11", "cython": CYTHON, "numpy": NUMPY, "case": NUMPY_CASE}
    if command == "bisect" and not any(".." in v for v in flags.values()):
        values["numpy"] = "2.2.6..2.3.5"
    values.update(flags)
    argv = [command, "--offline"]
    for name, value in values.items():
        if value:
            argv += [f"--{name.replace('_', '-')}", value]
    if command in ("run", "list", "bisect"):
        argv += ["--results", str(results)]
    if command in ("run", "try", "bisect"):
        argv += ["--retry-delays", "0"]
    if command == "run":
        argv += ["--jobs", "1"]
    if command in ("run", "list"):
        argv += ["--no-abi", "--compiler", "gcc"]
    return argv


ALL = ("run", "list", "try", "bisect")
RANGE = "3.2.8..3.2.9"
ERRORS: list[tuple[str, str, dict[str, str], str]] = [
    # (the example in the docs table's row, command, flags, the error it prints)
    *[("`--python 3.99`", command, {"python": "3.99"},
       "error: --python 3.99: no such interpreter here (found: ") for command in ALL],
    *[("`--cython 9.9`", command, {"cython": "9.9"},
       "error: --cython 9.9: no such cython release on the package index") for command in ALL],
    *[("`--numpy 9.9`", command, {"numpy": "9.9", **({"cython": RANGE} if command == "bisect"
                                                   else {})},
       "error: --numpy 9.9: no such numpy release on the package index") for command in ALL],
    *[("`--numpy 9.9`", command, {"numpy_run": "9.9", **({"cython": RANGE}
                                                       if command == "bisect" else {})},
       "error: --numpy-run 9.9: no such numpy release on the package index")
      for command in ("try", "bisect")],
    *[("`--cython '9.*'`", command, {"cython": "9.*"},
       "error: --cython 9.*: matches no cython release") for command in ("run", "list")],
    *[("`--cython '9.*'`", command, {"cython": "9.*"}, "error: --cython 9.*: not a version")
      for command in ("try", "bisect")],
    *[("`--case no-such-case`", command, {"case": "no-such-case"},
       "error: --case no-such-case: ") for command in ALL],
    *[(f"`--case {NUMPY_CASE} --cell py3.11-cy{CYTHON}`", command,
       {"cell": f"py3.11-cy{CYTHON}"},
       f"error: --case {NUMPY_CASE}: none of the 1 planned cells holds these cases")
      for command in ("run", "list")],
    (f"`--case {NUMPY_CASE} --cell py3.11-cy{CYTHON}`", "try", {"numpy": ""},
     f"error: --case {NUMPY_CASE}: {NUMPY_CASE} needs numpy: give --numpy"),
    (f"`--case {NUMPY_CASE} --cell py3.11-cy{CYTHON}`", "bisect", {"numpy": "", "cython": RANGE},
     f"error: --numpy is needed for case {NUMPY_CASE}"),
    *[("`--cell nosuchcell`", command, {"cell": "nosuchcell"},
       "error: --cell nosuchcell: matches none of the 2 cells the other flags select")
      for command in ("run", "list")],
]


@pytest.mark.parametrize(("row", "command", "flags", "message"), ERRORS,
                         ids=[f"{command}:{','.join(f'{k}={v}' for k, v in flags.items())}"
                              for _, command, flags, _ in ERRORS])
def test_equal_inputs_give_equal_statuses(row: str, command: str, flags: dict[str, str],
                                          message: str, python: str, tmp_path: Path,
                                          capfd: pytest.CaptureFixture[str]) -> None:
    argv = invocation(command, tmp_path / "results", **flags)
    assert main(argv) == 2, argv
    err = capfd.readouterr().err
    assert message in err, (argv, err)
    assert "usage:" not in err, "an error of the selection, not of the command line"
    assert not (tmp_path / "results").exists(), "nothing measured or stored"


STATUSES: list[tuple[str, str, int]] = [
    *[(row, command, 2) for row, command, _, _ in ERRORS],
    ("`--python 3.11,3.99`", "list", 0),
    ("`--numpy 1.13.3`", "list", 0),
    ("`--numpy 1.13.3`", "try", 0),
    ("`--new-releases`", "run", 0),
    ("`--new-releases`", "list", 0),
    ("`--shard 2/2`", "run", 0),
    ("`--shard 2/2`", "list", 0),
    *[("`--timeout 0`", command, 2) for command in ("run", "try", "bisect")],
]
"""Every status this file checks, by the row of the docs table that states it."""


def test_the_docs_table_states_the_tested_statuses() -> None:
    text = (PROJECT_ROOT / "docs" / "measuring.md").read_text(encoding="utf-8")
    section = text.split("### Exit statuses", 1)[1].split("\n#", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| ")]
    header = rows[0]
    for key, command, status in STATUSES:
        row = next((r for r in rows if key in r[0]), None)
        assert row is not None, f"docs/measuring.md: no exit-status row for {key}"
        cell = row[header.index(f"`{command}`")]
        assert re.match(rf"{status}\b", cell), (key, command, cell)


def test_a_python_missing_among_others_is_a_note(python: str, tmp_path: Path,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    argv = invocation("list", tmp_path, python="3.11,3.99", case=CORE_CASE)
    assert main(argv) == 0
    captured = capfd.readouterr()
    assert "# Python 3.99: no interpreter on this machine (not tested here)" in captured.out
    assert f"py3.11-cy{CYTHON}" in captured.out.split()


@pytest.mark.parametrize("command", ["run", "list"])
def test_an_empty_shard_is_not_an_error(command: str, python: str, tmp_path: Path,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    assert Shard(1, 2).owns(f"py3.11-cy{CYTHON}"), "the one cell that holds the case: part 1"
    argv = invocation(command, tmp_path / "results", case=CORE_CASE, numpy=NUMPY, shard="2/2")
    assert main(argv) == 0
    assert ("note: --shard 2/2: this part of the selection holds no cell (of 1)"
            in capfd.readouterr().err)
    assert not (tmp_path / "results" / "store.json").exists()


@pytest.mark.parametrize("command", ["run", "list"])
def test_nothing_new_is_not_an_error(command: str, python: str, tmp_path: Path,
                                     capfd: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    ResultStore.in_directory(results).append([replace(make_record("k1"), cython=CYTHON)])
    before = (results / "cp311" / "records.jsonl").read_text()
    argv = invocation(command, results, case=CORE_CASE, numpy=NUMPY) + ["--new-releases"]
    assert main(argv) == 0  # py3.11-cy3.2.9 holds the case; the store covers its releases
    assert ("note: --new-releases: the stored results cover every Cython, numpy and Python of"
            " the selection: nothing new") in capfd.readouterr().err
    assert (results / "cp311" / "records.jsonl").read_text() == before


def test_a_not_possible_cell_is_a_result_not_an_error(python: str, tmp_path: Path,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    assert main(invocation("list", tmp_path, numpy="1.13.3")) == 0
    assert "py3.11-cy3.2.9-np1.13.3  (not possible: " in capfd.readouterr().out
    assert main(invocation("try", tmp_path, numpy="1.13.3")) == 0
    assert "not possible: numpy 1.13.3 has no wheel" in capfd.readouterr().out


@pytest.mark.parametrize("command", ["run", "try", "bisect"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_the_timeout_must_be_positive(command: str, value: str, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    argv = invocation(command, tmp_path, timeout=value)
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"python -m matrix {command}: error: argument --timeout: '{value}': " in err
    assert build_parser().parse_args(invocation(command, tmp_path, timeout="0.5")).timeout == 0.5


def test_list_takes_case_and_plans_what_run_would(python: str, tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    argv = invocation("list", tmp_path, case=CORE_CASE)
    argv.remove("--numpy")
    argv.remove(NUMPY)
    assert main(argv) == 0
    captured = capfd.readouterr()
    assert [line for line in captured.out.splitlines() if not line.startswith("#")] == [
        f"py3.11-cy{CYTHON}"], "numpy cells hold no numpy-free case"
    assert "# 1 cells" in captured.err
    assert "of the 10 planned cells hold none of the selected cases" in captured.err


INTERPRETER = Interpreter(Version("3.11.7"), Path("/fake/python3.11"))


def fake_measure(planned: PlannedCell, cases: list[Case], layout: Layout,
                 settings: EngineSettings, toolchain: Toolchain, choice: object) -> list[Record]:
    """Pretends to measure (runs in a spawned worker, so it lives at module level)."""
    from matrix.run.engine import CellMeasurement

    measurement = CellMeasurement(planned, cases, layout, settings, toolchain)
    return [measurement.record(case, Outcome.OK, None, behaviour=Behaviour(values_ok=True),
                               provenance={}, log="", duration_s=0.1)
            for case in measurement.cases]


def test_the_summary_counts_only_cells_that_apply(tmp_path: Path) -> None:
    """A numpy-free case on a core cell and six numpy cells, empty store: one cell planned,
    one measured, none "already in the store"."""
    layout = Layout(cases=FIXTURES / "cases", cache=tmp_path / "cache",
                    results=tmp_path / "results", shared_envs=PROJECT_ROOT / ".cache" / "envs")
    cases = [c for c in load_cases(layout.cases) if c.id == "fixture-copies"]
    numpys = ("1.23.5", "1.24.4", "1.25.2", "1.26.4", "2.0.2", "2.3.5")
    cells = [PlannedCell(Cell("3.11", CYTHON), INTERPRETER)] + [
        PlannedCell(Cell("3.11", CYTHON, v, v), INTERPRETER) for v in numpys]
    store = ResultStore.in_directory(layout.results)
    stream = io.StringIO()
    summary = measure.run_plan(cells, cases, layout, store, settings=EngineSettings(), jobs=1,
                               stream=stream, measure=fake_measure)
    assert (summary.planned, summary.skipped, summary.measured) == (1, 0, 1)
    assert summary.not_applicable == 6
    assert stream.getvalue().startswith(
        "plan: 1 cells (1 records of 1 case + 0 controls, 6 more hold none of the selected"
        " cases): 0 already measured, 0 not possible, 1 to measure (1 records) on 1 core;"
        " no estimate: nothing measured yet to estimate from\n")


def test_the_eta_waits_for_the_first_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first cell took 10 minutes (environments were created), the others 10 s each: no
    ETA extrapolated from the first cell; once a few cells are done, ~10 s per cell left."""
    now = [0.0]
    monkeypatch.setattr(measure, "time", SimpleNamespace(monotonic=lambda: now[0]))
    stream = io.StringIO()
    progress = measure.Progress(30, stream)
    for done, at in enumerate([600.0, 610.0, 620.0, 630.0, 640.0], start=1):
        now[0] = at
        progress.cell_done(f"cell{done}", [])
    lines = stream.getvalue().splitlines()
    assert all("ETA not yet" in line for line in lines[:3]), lines
    assert lines[4].endswith("ETA ~4.2 min (rough)"), lines[4]  # 25 cells x 10 s
    assert not re.search(r"ETA ~?\d{2,}", stream.getvalue()), "no 10x estimate"
    assert measure.Progress(30, stream, jobs=8).warmup == 8, "one warm-up cell per worker"
    one = io.StringIO()
    measure.Progress(1, one).cell_done("only", [])
    assert one.getvalue().endswith("elapsed 0.0 min, done\n"), "the last cell: no ETA"


def test_the_progress_line_counts_the_cases_own_failures_apart() -> None:
    """A cell where the control fails to compile (the toolchain builds nothing): the cases that
    fail there the same way are not counted as their own failures; another failure is."""
    from .test_store import make_record

    def record(case_id: str, outcome: Outcome) -> Record:
        return replace(make_record(f"k-{case_id}", outcome), case_id=case_id)

    stream = io.StringIO()
    progress = measure.Progress(2, stream, controls=frozenset({"control-plain"}))
    progress.cell_done("py3.13-cy0.29.37", [
        record("control-plain", Outcome.CC_ERROR), record("a", Outcome.CC_ERROR),
        record("b", Outcome.CC_ERROR), record("c", Outcome.RUN_ERROR), record("d", Outcome.OK)])
    line = stream.getvalue()
    assert "failures so far 1 (and 2 where the control fails too)" in line, line
    progress.cell_done("py3.12-cy3.3.1", [record("c", Outcome.RUN_ERROR)])
    assert "failures so far 2 (and 2 where the control fails too)" in stream.getvalue()
