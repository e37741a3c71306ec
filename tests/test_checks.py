"""Re-measurement verdicts, the A/A figure, the log file and the recheck command's inputs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from matrix.cli import main
from matrix.model.checks import (
    Judgement,
    Purpose,
    Remeasurement,
    aa_figures,
    checks_of,
    judge,
    signature,
)
from matrix.model.engines import ENGINE_VERSION
from matrix.model.errors import ResultsFileError
from matrix.model.records import Record
from matrix.store.checklog import CheckLog
from matrix.store.results import ResultStore
from matrix.trust.recheck import _cannot_remeasure, aa_sample
from tests.fixtures.report.factory import rec

PROVENANCE = {"runner_hash": "r1", "engine_version": ENGINE_VERSION, "run_timeout_s": 60.0,
              "cflags": ["-O0"]}


def stored(outcome: str = "ok", error: str | None = None, **behaviour: bool | None) -> Record:
    return rec("c", "3.11", "3.2.4", outcome, error=error, provenance=PROVENANCE, **behaviour)


def again(record: Record, outcome: str = "ok", error: str | None = None,
          **behaviour: bool | None) -> Record:
    other = rec("c", "3.11", "3.2.4", outcome, error=error, provenance=PROVENANCE,
                timestamp="2026-01-02T00:00:00Z", **behaviour)
    return replace(other, key=record.key, case_hash=record.case_hash)


def test_signature_is_what_a_reader_sees() -> None:
    one = stored("crash", "SIGSEGV at 0x7f3a9c001234")
    two = stored("crash", "SIGSEGV  at 0x7f00deadbeef")
    assert signature(one) == signature(two), "addresses and spacing are not a flip"
    assert signature(stored(copies=True)) != signature(stored(copies=False))


def test_judge_confirmed_flaky_unchecked() -> None:
    record = stored("run-error", "convert: ValueError")
    same = again(record, "run-error", "convert: ValueError")
    other = again(record, "ok", values_ok=True)
    assert judge(record, [same, same]).judgement is Judgement.CONFIRMED
    flaky = judge(record, [same, other])
    assert flaky.judgement is Judgement.FLAKY
    assert flaky.seen[0] == (signature(record), 2), "the record's own result first"
    assert judge(record, []).judgement is Judgement.UNCHECKED


def test_an_attempt_that_could_not_be_tried_is_never_a_flip_nor_a_confirmation() -> None:
    record = stored("run-error", "convert: ValueError")
    unreachable = again(record, "env-error", "pip: could not reach the package index")
    check = judge(record, [unreachable, unreachable])
    assert check.judgement is Judgement.UNCHECKED
    assert (check.remeasured, check.untriable) == (0, 2)
    entry = Remeasurement(Purpose.AA, "aa-1", 1, record.key, signature(record), unreachable)
    assert not entry.flipped
    (figure,) = aa_figures([entry])
    assert (figure.sampled, figure.untriable, figure.flips) == (1, 1, ())


def test_checks_match_the_same_measurement_only() -> None:
    record = stored("ok", values_ok=True)
    other_engine = replace(again(record, "crash", "SIGSEGV during convert"),
                           provenance={**PROVENANCE, "engine_version": "old"})
    log = [Remeasurement(Purpose.RECHECK, "recheck-1", 1, record.key, signature(record),
                         other_engine)]
    assert checks_of([record], log) == {}, "another engine measured something else"


def test_aa_figure_counts_flips_per_run() -> None:
    a, b = stored("ok", copies=False), stored("ok", copies=False)
    b = replace(b, key="other", cell_id="py3.12-cy3.2.4", python="3.12")
    entries = [
        Remeasurement(Purpose.AA, "aa-1", 1, a.key, signature(a), again(a, copies=True)),
        Remeasurement(Purpose.AA, "aa-1", 1, b.key, signature(b),
                      replace(b, timestamp="2026-01-02T00:00:00Z")),
        Remeasurement(Purpose.AA, "aa-2", 1, a.key, signature(a), again(a, copies=False)),
        Remeasurement(Purpose.RECHECK, "recheck-1", 1, a.key, signature(a), again(a)),
    ]
    first, second = aa_figures(entries)
    assert (first.run, first.sampled, len(first.flips)) == ("aa-1", 2, 1)
    assert first.flips[0].again.behaviour[1] is True
    assert (second.run, second.sampled, second.flips) == ("aa-2", 1, ())


def test_the_log_round_trips_and_names_a_bad_line(tmp_path: Path) -> None:
    record = stored("ok", values_ok=True)
    entry = Remeasurement(Purpose.RECHECK, "recheck-1", 2, record.key, signature(record),
                          again(record))
    log = CheckLog(tmp_path / "rechecks.jsonl")
    log.append([entry, entry])
    assert log.entries() == [entry, entry]
    with open(log.path, "a") as handle:
        handle.write('{"purpose": "recheck"}\n')
    with pytest.raises(ResultsFileError, match=r"rechecks.jsonl:3: .*missing field"):
        log.entries()


def test_cannot_remeasure_says_why() -> None:
    from matrix.model.cases import load_cases
    from matrix.run.engine import Toolchain
    from matrix.store.paths import PROJECT_ROOT

    cases = {c.id: c for c in load_cases(PROJECT_ROOT / "tests" / "fixtures" / "cases")}
    case = cases["fixture-copies"]
    toolchain = Toolchain("gcc 12.2.0", "r1")
    record = replace(stored(), case_id=case.id, case_hash=case.content_hash)
    interpreters = {"3.11": object()}
    assert _cannot_remeasure(record, cases, interpreters, toolchain) is None  # type: ignore[arg-type]
    cases_of = {"": "no case", "changed": "the case's code changed"}
    assert cases_of[""] in (_cannot_remeasure(replace(record, case_id="gone"), cases,
                                              interpreters, toolchain) or "")  # type: ignore[arg-type]
    assert cases_of["changed"] in (_cannot_remeasure(replace(record, case_hash="x"), cases,
                                                     interpreters, toolchain) or "")  # type: ignore[arg-type]
    old = replace(record, provenance={**PROVENANCE, "engine_version": "1"})
    assert "engine version 1" in (_cannot_remeasure(old, cases, interpreters, toolchain) or "")  # type: ignore[arg-type]
    assert "no Python 3.11" in (_cannot_remeasure(record, cases, {}, toolchain) or "")
    untried = replace(record, outcome=record.outcome.__class__("not-possible"))
    assert "not tried" in (_cannot_remeasure(untried, cases, interpreters, toolchain) or "")  # type: ignore[arg-type]


def test_aa_sample_is_reproducible_and_only_draws_tried_facts() -> None:
    records = [replace(stored(), key=f"k{i}", cell_id=f"py3.11-cy3.2.{i}") for i in range(30)]
    records += [replace(stored("not-possible"), key="np"), replace(stored("env-error"), key="env")]
    first = aa_sample(records, 10, seed=7)
    assert first == aa_sample(list(reversed(records)), 10, seed=7)
    assert first != aa_sample(records, 10, seed=8)
    assert not {r.key for r in aa_sample(records, 100, seed=1)} & {"np", "env"}


@pytest.mark.parametrize(("args", "message"), [
    (["recheck", "--case", "no-such-case"], "error: --case no-such-case: matches no case in"),
    (["recheck", "--cell", "py9.9-*"], "error: --cell py9.9-*: matches no stored cell in"),
    (["aa", "--sample", "3", "--cell", "py9.9-*"], "error: --cell py9.9-*: matches no stored"),
])
def test_unknown_case_or_cell_is_a_clear_error(tmp_path: Path, args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results"
    record = stored()
    ResultStore.in_directory(results).append([record])
    baseline = tmp_path / "baseline.jsonl"
    baseline.write_text(record.to_line() + "\n")
    extra = ["--baseline", str(baseline)] if args[0] == "recheck" else []
    assert main([*args, *extra, "--results", str(results)]) == 2
    assert message in capsys.readouterr().err


def test_recheck_without_a_baseline_says_so(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recheck", "--results", str(tmp_path)]) == 2
    assert "store.json: names no baseline to re-check the results against" in (
        capsys.readouterr().err)


def test_log_lines_are_plain_json() -> None:
    record = stored()
    entry = Remeasurement(Purpose.AA, "aa-1", 1, record.key, signature(record), again(record))
    data = json.loads(entry.to_line())
    assert data["checked"] == {"outcome": "ok", "error": "", "behaviour": [None, None, None, None]}
    assert Remeasurement.from_json(data) == entry


def test_the_headline_aa_figure_is_drawn_from_the_whole_store() -> None:
    from matrix.model.checks import latest_aa

    record = stored()
    whole = Remeasurement(Purpose.AA, "aa-20260101T000000Z", 1, record.key, signature(record),
                          again(record))
    chosen = replace(whole, run="aa-20260102T000000Z", selection="--case c",
                     record=replace(again(record), timestamp="2026-01-03T00:00:00Z"))
    figure = latest_aa([whole, chosen])
    assert figure is not None and figure.run == whole.run
    assert Remeasurement.from_json(json.loads(chosen.to_line())) == chosen
    assert "(drawn from --case c)" in aa_figures([chosen])[0].text()


def test_the_build_vs_run_table_only_marks_records_flaky_on_importing() -> None:
    from report.tables import import_flaky

    record = stored("run-error", "convert: ValueError: negative dimensions are not allowed")
    runs_differently = judge(record, [again(record, "run-error", "convert: ValueError: too big")])
    imports_or_not = judge(record, [again(record, "import-error", "ImportError: numpy")])
    assert runs_differently.judgement is imports_or_not.judgement is Judgement.FLAKY
    checks = {("a", "x"): runs_differently, ("b", "y"): imports_or_not}
    assert import_flaky(checks) == frozenset({("b", "y")})


def test_a_cache_folder_with_a_path_separator_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """Build folders go on PYTHONPATH: a ':' in one would silently split it (a re-check run
    folder once had one, and numpy's .pxd was "not found")."""
    monkeypatch.setenv("MATRIX_CACHE_DIR", "/tmp/run:1")
    assert main(["list", "--quick", "--offline"]) == 2
    assert "MATRIX_CACHE_DIR=/tmp/run:1: a folder name with ':'" in capsys.readouterr().err


def test_a_recheck_of_another_compilers_record_is_the_same_measurement() -> None:
    """The record's cflags hold its compiler's own flags; the target's run flags must not, or
    the engine adds them twice and the re-measurement is another measurement."""
    from matrix.model.cases import load_cases
    from matrix.model.cells import Cell
    from matrix.model.compilers import base_cflags
    from matrix.model.compilers import spec as compiler_spec
    from matrix.model.interpreters import InterpreterId
    from matrix.model.measurement import Measurement, identity_of
    from matrix.run.engine import EngineSettings
    from matrix.store.paths import PROJECT_ROOT

    case = {c.id: c for c in load_cases(PROJECT_ROOT / "tests" / "fixtures" / "cases")}[
        "fixture-copies"]
    run_flags = ("-O0", "-fPIC")
    stored_flags = (*run_flags, *compiler_spec("gcc14-errors").extra_flags)
    assert base_cflags("gcc14-errors", stored_flags) == run_flags
    assert base_cflags("gcc", run_flags) == run_flags
    settings = EngineSettings()
    settings = replace(settings, build=replace(settings.build, cflags=base_cflags(
        "gcc14-errors", stored_flags)))
    cell = Cell("3.11", "3.2.4", compiler="gcc14-errors")
    measurement = Measurement.of(cell, InterpreterId.from_measured("3.11", "3.11.7"), [case],
                                 system_cc="gcc 12.2.0", runner_hash="r1",
                                 machine="Linux-x86_64", cflags=settings.build.cflags,
                                 run_timeout_s=settings.run_timeout_s)
    record = replace(stored(), case_id=case.id, case_hash=case.content_hash, cell_id=cell.id,
                     compiler="gcc14-errors",
                     provenance={**PROVENANCE, "cflags": list(stored_flags)})
    assert measurement.cflags == stored_flags
    assert measurement.identity(case) == identity_of(record)


def test_recheck_pre_measures_each_canary_difference_and_a_toolchain_cell_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``recheck --pre`` (issue 37) compares each canary cell with its baseline in the same
    store: the cases' own differences are measured again, as often as they lack (fx-works,
    twice already, not at all; fx-dangles with 3.1.0rc1 once more), and of a cell whose control
    differs too only the control, once."""
    import shutil
    from types import SimpleNamespace

    import matrix.cli.checks as checks

    fixture = Path(__file__).parent / "fixtures" / "report"
    canary = tmp_path / "canary"
    shutil.copytree(fixture / "canary", canary)
    asked: list[tuple[str, str]] = []

    def targets(args: object, layout: object, todo: list[Record], cases: object
                ) -> tuple[list[object], object]:
        asked.extend((r.case_id, r.cell_id) for r in todo)
        return [], SimpleNamespace(toolchain=None)

    monkeypatch.setattr(checks, "_check_targets", targets)
    monkeypatch.setattr(checks, "remeasure_all", lambda *a, **k: [])
    assert main(["recheck", "--pre", "--results", str(canary),
                 "--cases", str(fixture / "cases")]) == 0
    assert sorted(asked) == [("fx-control-numpy", "py3.12-cy3.2.0b1-np2.1.3"),
                             ("fx-dangles", "py3.12-cy3.1.0rc1"),
                             ("fx-dangles", "py3.12-cy3.2.0b1")]
    err = capsys.readouterr().err
    assert "differ from their baseline cells" in err
    assert main(["recheck", "--pre", "--baseline", "x", "--results", str(canary)]) == 2
    assert main(["recheck", "--pre", "--results", str(tmp_path / "empty")]) == 2
    assert "no canary store to re-check" in capsys.readouterr().err
