"""Build options, for real: a case's `# cython:` header is honoured, C++ mode and macros reach
the tools, and cases with other options never share a module (Python 3.11, Cython 3.2.9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.model.cases import load_cases
from matrix.model.cells import Cell
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.plan.interpreters import Interpreter
from matrix.run.engine import EngineSettings, Toolchain, measure_cell
from matrix.store.paths import PROJECT_ROOT, Layout

from .conftest import FIXTURES, need_python, planned

pytestmark = pytest.mark.slow

CASES = FIXTURES / "options_cases"


@pytest.fixture(scope="module")
def records(interpreters: dict[str, Interpreter],
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Record]:
    interpreter = need_python(interpreters, "3.11")
    root = tmp_path_factory.mktemp("options")
    layout = Layout(cases=CASES, cache=root / "cache", results=root / "results",
                    shared_envs=PROJECT_ROOT / ".cache" / "envs")
    settings = EngineSettings(run_timeout_s=20)
    found = measure_cell(planned(Cell("3.11", "3.2.9"), interpreter), load_cases(CASES),
                         layout, settings, Toolchain.detect(settings))
    return {record.case_id: record for record in found}


def test_a_cython_header_in_the_case_is_honoured(records: dict[str, Record]) -> None:
    # language_level=2: 7/2 is 3, the value the case's source() expects; under the module's
    # default language_level 3 it would be 3.5 (as opt-plain, built beside it, shows).
    level_two, plain = records["opt-level-two"], records["opt-plain"]
    assert (level_two.outcome, level_two.behaviour.values_ok) == (Outcome.OK, True)
    assert (plain.outcome, plain.behaviour.values_ok) == (Outcome.OK, True)
    assert level_two.provenance["options"] == {"directives": {"language_level": 2}}
    assert "options" not in plain.provenance


def test_cplus_mode_and_macros_reach_the_tools(records: dict[str, Record]) -> None:
    assert records["opt-cplus"].outcome is Outcome.OK, records["opt-cplus"].first_error
    assert records["opt-cplus"].behaviour.values_ok is True
    assert records["opt-macro"].outcome is Outcome.OK, records["opt-macro"].first_error
    assert records["opt-macro"].behaviour.values_ok is True
    assert records["opt-cplus"].provenance["options"] == {"cplus": True}


def test_cases_with_other_options_never_share_a_module(records: dict[str, Record]) -> None:
    modules = {case_id: record.provenance["module"] for case_id, record in records.items()}
    assert len(set(modules.values())) == len(modules), modules


def test_options_are_part_of_the_key(tmp_path: Path) -> None:
    (case,) = [c for c in load_cases(CASES) if c.id == "opt-macro"]
    bare = tmp_path / "opt-macro.toml"
    bare.write_text((CASES / "opt-macro.toml").read_text().replace(
        '[options]\nmacros = { OPT_FIXTURE_VALUE = "42" }\n', ""))
    (tmp_path / "opt-macro.pyx").write_text((CASES / "opt-macro.pyx").read_text())
    (without,) = load_cases(tmp_path)
    assert without.options.is_default and without.content_hash != case.content_hash
