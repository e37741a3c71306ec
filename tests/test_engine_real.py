"""Real builds: fixture cases through real Cython, gcc and interpreters, one per outcome class."""

from __future__ import annotations

import pytest

from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain, measure_cell
from matrix.store.paths import Layout

from .conftest import need_python, planned

pytestmark = pytest.mark.slow

CYTHON = "3.2.4"


@pytest.fixture(scope="module")
def fixture_records(interpreters: dict[str, Interpreter],
                    tmp_path_factory: pytest.TempPathFactory) -> dict[str, Record]:
    from matrix.store.paths import PROJECT_ROOT

    from .conftest import FIXTURES

    interpreter = need_python(interpreters, "3.11")
    root = tmp_path_factory.mktemp("fixtures")
    layout = Layout(cases=FIXTURES / "cases", cache=root / "cache", results=root / "results",
                    shared_envs=PROJECT_ROOT / ".cache" / "envs")
    settings = EngineSettings(run_timeout_s=5)
    records = measure_cell(planned(Cell("3.11", CYTHON), interpreter), load_cases(layout.cases),
                           layout, settings, Toolchain.detect(settings))
    return {record.case_id: record for record in records}


@pytest.mark.parametrize(
    ("case_id", "outcome", "error_text"),
    [
        ("fixture-cythonize-error", Outcome.CYTHONIZE_ERROR,
         "fixture-cythonize-error.pyx:6:21: Cannot assign type 'int *' to 'int'"),
        ("fixture-cc-error", Outcome.CC_ERROR,
         "fatal error: mm_fixture_header_that_does_not_exist.h: No such file or directory"),
        ("fixture-import-error", Outcome.IMPORT_ERROR,
         "undefined symbol: mm_fixture_symbol_nobody_defines"),
        ("fixture-run-error", Outcome.RUN_ERROR,
         "convert: ValueError: deliberate failure in the conversion"),
        ("fixture-crash", Outcome.CRASH, "SIGSEGV during convert"),
        ("fixture-hang", Outcome.TIMEOUT,
         "timed out after 5s during convert, also when re-run alone (2 tries)"),
    ],
)
def test_each_outcome_class_is_measured(fixture_records: dict[str, Record], case_id: str,
                                        outcome: Outcome, error_text: str) -> None:
    record = fixture_records[case_id]
    assert record.outcome is outcome
    assert record.first_error is not None and error_text in record.first_error
    assert "/tmp" not in record.first_error, "first error lines carry no temporary paths"


def test_one_broken_case_does_not_take_the_others_down(
        fixture_records: dict[str, Record]) -> None:
    assert fixture_records["fixture-aliases"].outcome is Outcome.OK
    assert fixture_records["fixture-copies"].outcome is Outcome.OK
    assert len(fixture_records) == 9


def test_a_probe_can_say_it_cannot_tell(fixture_records: dict[str, Record]) -> None:
    record = fixture_records["fixture-cannot-tell"]
    assert record.outcome is Outcome.OK
    behaviour = record.behaviour
    assert behaviour.copies is False and behaviour.copies_evidence == ("address",)
    assert behaviour.readonly is None and behaviour.locks_source is None
    assert behaviour.readonly_detail == "cannot tell: writing confounded here"
    assert behaviour.locks_detail == "cannot tell: resizing confounded here"


def test_copies_is_measured_both_ways(fixture_records: dict[str, Record]) -> None:
    aliases = fixture_records["fixture-aliases"].behaviour
    copies = fixture_records["fixture-copies"].behaviour
    assert aliases.copies is False and copies.copies is True
    assert aliases.values_ok is True and copies.values_ok is True
    assert aliases.readonly is False
    assert copies.readonly is None  # bytes offers no write path
    assert aliases.locks_source is True  # a live char[:] export pins the bytearray
    assert copies.locks_source is False


def test_records_carry_provenance(fixture_records: dict[str, Record]) -> None:
    record = fixture_records["fixture-aliases"]
    provenance = record.provenance
    assert provenance["cython_version"] == CYTHON
    assert str(provenance["python_version"]).startswith("3.11.")
    assert str(provenance["cc"]).startswith("gcc ")
    assert provenance["env_backend"] == "uv"
    assert record.log and record.duration_s > 0


def test_a_c_error_is_traced_to_its_case_and_the_rest_stays_batched(
        interpreters: dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory) -> None:
    from matrix.store.paths import PROJECT_ROOT

    from .conftest import FIXTURES

    interpreter = need_python(interpreters, "3.11")
    root = tmp_path_factory.mktemp("batch")
    layout = Layout(cases=FIXTURES / "cases", cache=root / "cache", results=root / "results",
                    shared_envs=PROJECT_ROOT / ".cache" / "envs")
    batch_mates = [c for c in load_cases(layout.cases)
                   if c.id in ("fixture-aliases", "fixture-copies")]
    cases = batch_mates + load_cases(FIXTURES / "batch")  # + fixture-cc-local
    settings = EngineSettings(run_timeout_s=30)
    records = {r.case_id: r for r in measure_cell(
        planned(Cell("3.11", CYTHON), interpreter), cases, layout, settings,
        Toolchain.detect(settings))}
    broken = records["fixture-cc-local"]
    assert broken.outcome is Outcome.CC_ERROR
    assert "too many arguments to function" in (broken.first_error or "")
    assert broken.provenance["batched"] is False
    for case_id in ("fixture-aliases", "fixture-copies"):
        assert records[case_id].outcome is Outcome.OK
        assert records[case_id].provenance["batched"] is True, "the others stay in one module"


def test_uv_refusal_falls_back_to_the_legacy_backend(
        interpreters: dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend uv could not serve 3.6: the legacy virtualenv + pip backend takes over."""
    import matrix.build.envs as envs

    interpreter = need_python(interpreters, "3.6")
    real_run = envs.run_process

    def refusing_uv(argv: list[str], **kwargs: object) -> object:
        if argv[1:3] == ["venv", "--quiet"]:
            return envs.Completed(tuple(argv), 2, "error: uv does not serve this Python\n",
                                  0.0, False)
        return real_run(argv, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(envs, "run_process", refusing_uv)
    env = envs.ensure_env(envs.EnvSpec(interpreter, "0.29.37", None),
                          tmp_path_factory.mktemp("envs"))
    assert isinstance(env, envs.Environment), env
    assert env.backend == "virtualenv-legacy"
    assert env.info.cython == "0.29.37" and env.info.python == str(interpreter.version)
