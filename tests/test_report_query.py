"""``python -m report query``: a support range over the published data (the report fixture's
rendered compat.json), its exit code contract, JSON form and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report.cli import main
from report.query import QueryError, SupportRange, answer, load_data

DATA = Path(__file__).parent / "fixtures" / "report" / "expected" / "compat.json"


def query(*args: str) -> list[str]:
    return ["query", "--data", str(DATA), *args]


def verdicts(python: str = "", cython: str = "", numpy: str = "", *,
             shipped_c: bool = False) -> dict[str, str]:
    result = answer(load_data(DATA), SupportRange.parse(python, cython, numpy),
                    shipped_c=shipped_c)
    return {case.case_id: case.verdict for case in result.cases}


def test_a_range_keeps_only_its_cells() -> None:
    # fx-split fails on Python 3.12 with Cython 0.29.37 (and on 3.6 with 3.1.4, where every
    # case fails to compile).
    assert verdicts()["fx-split"] == "fails"
    assert verdicts(python="<3.12", cython="<3.1")["fx-split"] == "works"
    assert verdicts(cython="==3.0.*")["fx-split"] == "works"
    assert verdicts(python="==3.12.*", cython="~=0.29.0")["fx-split"] == "fails"
    # fx-py3 fails on 2.7 (cc-error) and where Cython 3.1.4 fails for every case (3.6).
    assert verdicts(python=">=3.6", cython="<3.1")["fx-py3"] == "works"
    assert verdicts(python=">=3.6")["fx-py3"] == "fails"
    assert verdicts(python="==2.7.*")["fx-py3"] == "fails"


def test_numpy_cells_need_both_the_build_and_the_run_numpy_in_range() -> None:
    result = answer(load_data(DATA), SupportRange.parse(">=3.12", ">=3.1", ">=2"))
    np_ok = next(c for c in result.cases if c.case_id == "fx-np-ok")
    # Only the 2.1.3 cells are in range: built against 1.26.4 and run under 2.1.3 is not.
    assert np_ok.verdict == "works"
    assert all("1.26.4" not in f.cell_id for f in np_ok.failures)
    wider = answer(load_data(DATA), SupportRange.parse(">=3.12", ">=3.1", ">=1.26"))
    np_ok = next(c for c in wider.cases if c.case_id == "fx-np-ok")
    assert [f.cell_id for f in np_ok.failures] == ["py3.12-cy3.1.4-np1.26.4-run2.1.3"]
    assert np_ok.failures[0].stage == "import-error"
    assert np_ok.failures[0].reproduce == ("python -m matrix try --python 3.12 --cython 3.1.4"
                                           " --numpy 1.26.4 --numpy-run 2.1.3 --case fx-np-ok")


def test_untested_flaky_and_shipped_c_are_never_success() -> None:
    assert verdicts(python=">=3.13")["fx-works"] == "untested"
    flaky = answer(load_data(DATA), SupportRange.parse("==3.12.*", "==3.0.12", ""))
    broken = next(c for c in flaky.cases if c.case_id == "fx-broken")
    assert broken.flaky == ("py3.12-cy3.0.12",) and broken.verdict == "flaky"
    # Cython 0.27.3 on Python 3.12 was measured with shipped C: apart unless asked for.
    shipped = answer(load_data(DATA), SupportRange.parse("==3.12.*", "<0.28", ""))
    since = next(c for c in shipped.cases if c.case_id == "fx-since")
    assert since.verdict == "untested" and since.shipped_failures
    assert verdicts("==3.12.*", "<0.28", shipped_c=True)["fx-since"] == "fails"


def test_exit_code_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(query("--python", ">=3.6", "--cython", "<3.1", "--case", "fx-py3,fx-works")) == 0
    out = capsys.readouterr().out
    assert "✅ fx-py3: works on all" in out and "0 of 2 cases fail" in out
    assert main(query("--case", "fx-py3")) == 1
    out = capsys.readouterr().out
    assert "❌ fx-py3: fails on" in out and "reproduce: python -m matrix try --python 2.7" in out


def test_json_form(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(query("--python", ">=3.6", "--cython", ">=0.29,<4", "--json")) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["range"] == "python >=3.6, cython <4,>=0.29, numpy any"
    assert data["tested"]["python"] == ["3.6", "3.12"]
    assert set(data["failing_cases"]) == {c["case_id"] for c in data["cases"]
                                          if c["verdict"] == "fails"}
    assert {"case_id", "verdict", "failures", "flaky", "not_tested"} <= set(data["cases"][0])


@pytest.mark.parametrize(("args", "message"), [
    (["--python", "3.8+"], "--python '3.8+': not a version specifier"),
    (["--numpy", ">=one"], "--numpy '>=one': not a version specifier"),
    (["--case", "nope-*"], "--case nope-*: matches no published case"),
])
def test_bad_input_is_a_clear_error(args: list[str], message: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(query(*args)) == 2
    assert message in capsys.readouterr().err


def test_missing_data_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no published data"):
        load_data(tmp_path / "compat.json")
