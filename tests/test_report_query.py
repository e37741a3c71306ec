"""``python -m report query``: a support range over the published data, its exit status
contract, JSON form and errors.  The first tests read the report fixture's rendered compat.json;
the rest build small data by hand (:func:`row`, :func:`published`), so that each checks one
rule and does not move when the fixture is re-rendered."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from report.cli import main
from report.query.answer import Property, answer
from report.query.data import QUERY_FIELDS, load_data, published_cells
from report.query.range import SupportRange
from report.query.status import (
    EXIT_FAILS,
    EXIT_TOOLCHAIN,
    EXIT_UNTESTED,
    EXIT_USAGE,
    EXIT_WORKS,
    QueryError,
)

DATA = Path(__file__).parent / "fixtures" / "report" / "expected" / "compat.json"


def query(*args: str) -> list[str]:
    return ["query", "--data", str(DATA), *args]


def verdicts(python: str = "", cython: str = "", numpy: str = "", *,
             shipped_c: bool = False) -> dict[str, str]:
    result = answer(load_data(DATA), SupportRange.parse(python, cython, numpy),
                    shipped_c=shipped_c)
    return {case.case_id: case.verdict for case in result.cases}


def test_a_range_keeps_only_its_cells() -> None:
    # fx-split fails on Python 3.12 with Cython 0.29.37 (and on 3.6 with 3.1.4, where the
    # control fails too: a toolchain failure, not its own).
    assert verdicts()["fx-split"] == "fails"
    assert verdicts(python="<3.12", cython="<3.1")["fx-split"] == "works"
    assert verdicts(cython="==3.0.*")["fx-split"] == "works"
    assert verdicts(python="==3.12.*", cython="~=0.29.0")["fx-split"] == "fails"
    # fx-py3 fails on 2.7 (cc-error, its own); on 3.6 with Cython 3.1.4 only the toolchain fails.
    assert verdicts(python=">=3.6", cython="<3.1")["fx-py3"] == "works"
    assert verdicts(python=">=3.6")["fx-py3"] == "works"
    assert verdicts(python="==2.7.*")["fx-py3"] == "fails"
    assert "fx-control-plain" not in verdicts()


def test_numpy_cells_need_both_the_build_and_the_run_numpy_in_range() -> None:
    result = answer(load_data(DATA), SupportRange.parse(">=3.12", ">=3.1", ">=2"))
    np_ok = next(c for c in result.cases if c.case_id == "fx-np-ok")
    # Only the 2.1.3 cells are in range: built against 1.26.4 and run under 2.1.3 is not.
    assert np_ok.verdict == "works"
    assert all("1.26.4" not in f.cell_id for f in np_ok.failures)
    wider = answer(load_data(DATA), SupportRange.parse(">=3.12", ">=3.1", ">=1.26"))
    np_ok = next(c for c in wider.cases if c.case_id == "fx-np-ok")
    # Built against 1.26.4 and run under 2.1.3, the numpy control fails to import too.
    assert np_ok.verdict == "works" and not np_ok.failures
    assert np_ok.toolchain_failures == ("py3.12-cy3.1.4-np1.26.4-run2.1.3",)
    [group] = wider.toolchain
    assert (group.stage, group.cells) == ("import-error", np_ok.toolchain_failures)
    assert group.reproduce == ("nox -s matrix -- try --python 3.12 --cython 3.1.4"
                               " --numpy 1.26.4 --numpy-run 2.1.3 --case fx-control-numpy")


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
    assert "❌ fx-py3: fails on" in out and "reproduce: nox -s matrix -- try --python 2.7" in out


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
    assert main(["query", "--data", str(tmp_path / "compat.json")]) == EXIT_USAGE


def _published_csv() -> str:
    return gzip.decompress((DATA.parent / "compat.csv.gz").read_bytes()).decode("utf-8")


def test_the_cells_are_read_from_the_records_file_beside_compat_json(tmp_path: Path) -> None:
    """compat.json names its records file; the query reads it beside the compat.json it is
    given, keys its cache by both files, and names a missing one."""
    shutil.copy(DATA, tmp_path / "compat.json")
    text = _published_csv()
    assert json.loads(DATA.read_text(encoding="utf-8"))["records_file"] == "compat.csv.gz"
    rows = text.splitlines(keepends=True)
    (tmp_path / "compat.csv.gz").write_bytes(gzip.compress(text.encode()))
    cache = tmp_path / "cache"
    data = load_data(tmp_path / "compat.json", cache)
    assert len(data["cells"]) == len(rows) - 1 > 100
    assert set(data["cells"][0]) == set(QUERY_FIELDS)
    assert load_data(tmp_path / "compat.json", cache) == data  # from the cache
    (tmp_path / "compat.csv.gz").write_bytes(gzip.compress("".join(rows[:11]).encode()))
    assert len(load_data(tmp_path / "compat.json", cache)["cells"]) == 10  # a new key
    assert len(list(cache.glob("compat-*.marshal*"))) == 2
    (tmp_path / "compat.csv.gz").unlink()
    with pytest.raises(QueryError, match=r"compat\.csv\.gz: no published data \(compat\.json"
                       " names it"):
        load_data(tmp_path / "compat.json", cache)
    assert main(["query", "--data", str(tmp_path / "compat.json")]) == EXIT_USAGE


def test_a_records_file_it_cannot_read_is_named(tmp_path: Path) -> None:
    shutil.copy(DATA, tmp_path / "compat.json")
    reader = csv.reader(io.StringIO(_published_csv()))
    header = next(reader)
    index = header.index("python")  # a records file without a column it reads
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in [header, *reader]:
        writer.writerow(row[:index] + row[index + 1:])
    (tmp_path / "compat.csv.gz").write_bytes(gzip.compress(out.getvalue().encode()))
    with pytest.raises(QueryError, match=r"compat\.csv\.gz: not the cell rows of a compat\.json"
                       r" \(no column python\)"):
        load_data(tmp_path / "compat.json")
    (tmp_path / "compat.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(QueryError, match=r"compat\.csv\.gz: not the cell rows of a compat\.json"
                       r" \(BadGzipFile"):
        load_data(tmp_path / "compat.json")
    lines = _published_csv().splitlines(keepends=True)
    lines[3] = lines[3].rstrip("\n") + ",extra\n"
    (tmp_path / "compat.csv.gz").write_bytes(gzip.compress("".join(lines).encode()))
    with pytest.raises(QueryError, match=r"compat\.csv\.gz: line 4: 37 fields, the header has 36"):
        load_data(tmp_path / "compat.json")


def test_data_of_schema_4_is_read_from_its_compat_records_json(tmp_path: Path) -> None:
    """compat.json of schema 4 named compat-records.json (``columns`` and ``rows``): an
    installed query given such data (an older publication) answers from it as before."""
    published = json.loads(DATA.read_text(encoding="utf-8"))
    published.update(schema=4, records_file="compat-records.json")
    (tmp_path / "compat.json").write_text(json.dumps(published), encoding="utf-8")
    reader = csv.reader(io.StringIO(_published_csv()))
    columns = next(reader)
    records = {"columns": columns, "rows": list(reader), "schema": 4}
    (tmp_path / "compat-records.json").write_text(json.dumps(records), encoding="utf-8")
    old = load_data(tmp_path / "compat.json")
    assert old["cells"] == load_data(DATA)["cells"]
    records["columns"][columns.index("python")] = "renamed"
    (tmp_path / "compat-records.json").write_text(json.dumps(records), encoding="utf-8")
    with pytest.raises(QueryError, match=r"not a compat-records\.json \(no column python\)"):
        load_data(tmp_path / "compat.json")


# --- Hand-made data: one rule per test ------------------------------------------------------

UNTRIED = ("env-error", "not-possible")


def row(case: str, python: str, cython: str, outcome: str = "ok", *, patch: str | None = None,
        numpy: str = "", run: str = "", note: str = "", shipped: bool = False,
        flaky: bool = False, toolchain: str | None = None) -> dict[str, str]:
    """One row of compat.json's ``cells``: ``patch`` is the measured Python release (default
    ``<minor>.18``; ``""``: data without it), ``toolchain`` the ``toolchain_failure`` field
    (``None``: data without it)."""
    run = run or numpy
    cell = f"py{python}-cy{cython}" + (f"-np{numpy}" if numpy else "")
    cell += f"-run{run}" if run != numpy else ""
    tried = outcome not in UNTRIED
    fields = {
        "case_id": case, "cell_id": cell, "compiler": "gcc", "kind": "numpy" if numpy else "core",
        "python": python, "python_version": f"{python}.18" if patch is None else patch,
        "cython": cython, "numpy_build": numpy, "numpy_run": run, "outcome": outcome,
        "tried": str(tried).lower(), "failed": str(tried and outcome != "ok").lower(),
        "flaky": str(flaky).lower(), "shipped_c": str(shipped).lower(), "note": note,
        "error": f"{outcome} in {case}" if outcome != "ok" else "",
    }
    if toolchain is not None:
        fields["toolchain_failure"] = toolchain
    return fields


def published(rows: list[dict[str, str]], *, controls: bool = True) -> dict[str, Any]:
    """compat.json with the cases of ``rows``; ``controls=False``: data older than the
    toolchain baseline (no ``controls``, no ``role``)."""
    ids = list(dict.fromkeys(r["case_id"] for r in rows))
    cases = [{"id": i, "title": f"title of {i}", "group": "g"} for i in ids]
    data: dict[str, Any] = {"cases": cases, "cells": rows}
    if controls:
        data["controls"] = sorted(i for i in ids if i.startswith("control-"))
        for case in cases:
            case["role"] = "control" if case["id"] in data["controls"] else "conversion"
    return data


def run_query(tmp_path: Path, data: dict[str, Any], *args: str) -> int:
    path = tmp_path / "compat.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return main(["query", "--data", str(path), *args])


def ask(data: dict[str, Any], python: str = "", cython: str = "", numpy: str = "",
        **options: Any) -> Any:
    return answer(data, SupportRange.parse(python, cython, numpy), **options)


GRID = published([row(case, python, cython)
                  for case in ("alpha", "beta")
                  for python in ("2.7", "3.6", "3.9", "3.12")
                  for cython in ("0.29.37", "3.0.12", "3.1.1", "3.1.3", "3.1.8")
                  if not (python == "3.12" and cython < "3")])


@pytest.mark.parametrize(("args", "message"), [
    (["--python", ">=4.0"],
     "untested: --python '>=4.0' matches no tested Python; tested: 2.7, 3.6, 3.9, 3.12\n"),
    (["--cython", "==3.1"],
     "untested: --cython '==3.1' matches no tested release; tested 3.1 releases are 3.1.1,"
     " 3.1.3, 3.1.8 (PEP 440 reads '==3.1' as 3.1.0 only; '==3.1.*' is the whole series)\n"),
    (["--cython", ">=4"],
     "untested: --cython '>=4' matches no tested release; tested: 0.29.37, 3.0.12, 3.1.1,"
     " 3.1.3, 3.1.8\n"),
    (["--python", "==3.9.5"],
     "untested: --python '==3.9.5' matches no tested Python; the tested 3.9 release is"
     " 3.9.18\n"),
])
def test_a_range_nothing_was_tried_in_has_its_own_status(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str],
        message: str) -> None:
    assert run_query(tmp_path, GRID, *args) == EXIT_UNTESTED == 4
    out = capsys.readouterr().out
    assert message in out
    assert "Nothing in range was tried for the 2 selected cases: untested, not a success." in out


def test_each_axis_is_checked_on_its_own(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run_query(tmp_path, GRID, "--python", ">=4", "--cython", "<0.29") == EXIT_UNTESTED
    out = capsys.readouterr().out
    assert "untested: --python '>=4' matches no tested Python" in out
    assert "untested: --cython '<0.29' matches no tested release" in out
    # Each axis matches something, but Python 3.12 was only tried with Cython 3.x.
    assert run_query(tmp_path, GRID, "--python", ">=3.12", "--cython", "<3") == EXIT_UNTESTED
    out = capsys.readouterr().out
    assert ("untested: --python '>=3.12' and --cython '<3' each match tested versions, but no"
            " selected case was tried where they all hold; on the Pythons in range (3.12) the"
            " tested Cython releases are 3.0.12, 3.1.1, 3.1.3, 3.1.8") in out
    assert "matches no tested" not in out


def test_a_numpy_range_is_checked_against_the_numpy_cases(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = published([row("core", "3.12", "3.1.8"),
                      row("np", "3.12", "3.1.8", numpy="1.26.4"),
                      row("np", "3.12", "3.1.8", numpy="2.1.3")])
    assert run_query(tmp_path, data, "--numpy", ">=3", "--case", "np") == EXIT_UNTESTED
    assert ("untested: --numpy '>=3' matches no tested numpy; tested: 1.26.4, 2.1.3"
            in capsys.readouterr().out)
    # With a core case tried, the range is not empty: the numpy part is said untested.
    assert run_query(tmp_path, data, "--numpy", ">=3") == EXIT_WORKS
    out = capsys.readouterr().out
    assert ("warning: --numpy '>=3' matches no tested numpy; tested: 1.26.4, 2.1.3: the selected"
            " numpy cases are untested in this range") in out
    assert "— np: no result in range (untested, not a success)" in out


def test_only_shipped_c_in_range_is_untested_unless_counted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = published([row("alpha", "3.12", "0.27.3", "cc-error", shipped=True),
                      row("alpha", "3.12", "3.1.8")])
    assert run_query(tmp_path, data, "--cython", "<0.28") == EXIT_UNTESTED
    assert ("untested: no selected case was tried in range where it counts: of 1 result"
            " in range, 1 measured with shipped C 📦 only (--shipped-c counts them)"
            in capsys.readouterr().out)
    assert run_query(tmp_path, data, "--cython", "<0.28", "--shipped-c") == EXIT_FAILS


def verdict_of(result: Any, case_id: str) -> str:
    return str(next(c.verdict for c in result.cases if c.case_id == case_id))


PATCHES = published([row("alpha", "3.8", "3.1.8"),
                     row("alpha", "3.9", "3.1.8", "run-error", note="run-1"),
                     row("alpha", "3.12", "3.1.8", patch="3.12.1")])


def test_python_membership_is_decided_on_the_measured_patch_release() -> None:
    # 3.9's cell was measured on 3.9.18, which satisfies >=3.9.5: its failure is in range.
    result = ask(PATCHES, python=">=3.9.5")
    assert verdict_of(result, "alpha") == "fails"
    assert result.tested["python"] == ["3.9", "3.12"]
    assert result.warnings == (
        "--python '>=3.9.5' keeps Python 3.9 because the tested 3.9.18 satisfies it, but"
        " excludes 3.9.0-3.9.4: the answer covers only what was tested",)
    # '<=3.12' admits 3.12.0 only: the 3.12 cell (3.12.1) is out, and the warning says so.
    result = ask(PATCHES, python="<=3.12,>=3.10")
    assert verdict_of(result, "alpha") == "untested"
    assert result.warnings == (
        "--python '<=3.12,>=3.10' leaves out Python 3.12: it admits only 3.12.0 of that minor,"
        " and the tested 3.12.1 does not satisfy it ('==3.12.*' is the whole minor)",)
    assert ask(PATCHES, python="!=3.9.7").warnings == (
        "--python '!=3.9.7' keeps Python 3.9 because the tested 3.9.18 satisfies it, but"
        " excludes 3.9.7: the answer covers only what was tested",)
    assert ask(PATCHES, python="<3.9.30").warnings[0].endswith(
        "excludes 3.9.30 and later: the answer covers only what was tested")
    # Whole minors: nothing to warn about.
    for whole in (">=3.9", "==3.9.*", "<3.12", "~=3.8", ""):
        assert ask(PATCHES, python=whole).warnings == ()


def test_without_patch_releases_a_minor_is_judged_as_x_y_0() -> None:
    old = published([row("alpha", "3.9", "3.1.8", "run-error", patch=""),
                     row("alpha", "3.12", "3.1.8", patch="")])
    result = ask(old, python=">=3.9.5")
    assert verdict_of(result, "alpha") == "works"
    assert result.warnings == (
        "--python '>=3.9.5' admits only part of Python 3.9 (excludes 3.9.0-3.9.4); the data"
        " does not say which 3.9 release was tested, so it is judged as 3.9.0 and left out",)


def test_the_patch_warning_is_printed_and_in_the_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_query(tmp_path, PATCHES, "--python", ">=3.9.5") == EXIT_FAILS
    out = capsys.readouterr().out
    assert "\nwarning: --python '>=3.9.5' keeps Python 3.9 because the tested 3.9.18" in out
    assert "❌ alpha: fails on 1 of 2 tried cells in range" in out
    assert run_query(tmp_path, PATCHES, "--python", ">=3.9.5", "--json") == EXIT_FAILS
    data = json.loads(capsys.readouterr().out)
    assert data["warnings"][0].startswith("--python '>=3.9.5' keeps Python 3.9")
    assert (data["exit_status"], data["untested"]) == (EXIT_FAILS, [])


def toolchain_data(*, controls: bool = True) -> dict[str, Any]:
    """Cython 0.29.37 builds nothing on Python 3.13 and 3.14 (the control fails to compile);
    'own' also fails on its own on 3.12; 'fine' only where the toolchain fails; 3.8 with
    Cython 3.3.1 is shipped C, where the control fails too."""
    tc = "true" if controls else None
    ok = "false" if controls else None
    rows = []
    for python in ("3.12", "3.13", "3.14"):
        broken = python != "3.12"
        outcome = "cc-error" if broken else "ok"
        note = "cc-1a2b3" if broken else ""
        rows.append(row("control-plain", python, "0.29.37", outcome, note=note,
                        toolchain="" if controls else None))
        rows.append(row("fine", python, "0.29.37", outcome, note="cc-9f9f9" if broken else "",
                        toolchain=tc if broken else ok))
        own = "run-error" if python == "3.12" else outcome
        rows.append(row("own", python, "0.29.37", own, note="run-3f2a1" if own == "run-error"
                        else note, toolchain=tc if broken else ok))
        for case in ("control-plain", "fine", "own"):
            rows.append(row(case, python, "3.1.8", toolchain=ok if case != "control-plain"
                            else ("" if controls else None)))
    for case in ("control-plain", "fine", "own"):
        rows.append(row(case, "3.8", "3.3.1", "cc-error", note="cc-0ld", shipped=True,
                        toolchain=("" if case == "control-plain" else tc) if controls else None))
    return published(rows, controls=controls)


def test_control_cases_are_never_cases_and_toolchain_failures_are_apart() -> None:
    result = ask(toolchain_data(), python=">=3.12")
    assert [c.case_id for c in result.cases] == ["fine", "own"]
    fine, own = result.cases
    assert (fine.verdict, fine.failures) == ("works", ())
    assert fine.toolchain_failures == ("py3.13-cy0.29.37", "py3.14-cy0.29.37")
    assert own.verdict == "fails"
    assert [(f.cell_id, f.note) for f in own.failures] == [("py3.12-cy0.29.37", "run-3f2a1")]
    [group] = result.toolchain
    assert (group.control, group.cython, group.stage, group.note) == (
        "control-plain", "0.29.37", "cc-error", "cc-1a2b3")
    assert (group.pythons, group.shipped_c, group.counted) == (("3.13", "3.14"), False, True)
    assert group.reproduce == "nox -s matrix -- try --python 3.13 --cython 0.29.37 --case" \
                              " control-plain"


def test_toolchain_exit_statuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = toolchain_data()
    assert run_query(tmp_path, data, "--python", ">=3.12", "--case", "fine") == EXIT_WORKS
    out = capsys.readouterr().out
    assert ("✅ fine: works (where the toolchain builds) on all 4 tried cells in range;"
            " 2 toolchain failures not held against it (listed at the end)") in out
    assert "control-plain:" not in out
    assert out.index("0 of 1 cases fail") < out.index(
        "Your range includes toolchains that build nothing")
    assert "    Cython 0.29.37 on Python 3.13, 3.14 (cc-error, note cc-1a2b3)\n" in out
    assert "reproduce: nox -s matrix -- try --python 3.13 --cython 0.29.37 --case control-plain" \
        in out
    assert run_query(tmp_path, data, "--python", ">=3.12", "--case", "fine",
                     "--strict-toolchain") == EXIT_TOOLCHAIN == 3
    assert "--strict-toolchain: these fail the query (exit status 3)." in capsys.readouterr().out
    # A case's own failure wins over the toolchain's.
    assert run_query(tmp_path, data, "--python", ">=3.12", "--strict-toolchain") == EXIT_FAILS
    out = capsys.readouterr().out
    assert ("❌ own: fails on 1 of 4 tried cells in range; 2 toolchain failures not held against"
            " it") in out
    assert "note run-3f2a1, run-error: run-error in own" in out
    # Where the toolchain builds, strict has nothing to fail on.
    assert run_query(tmp_path, data, "--cython", "==3.1.8", "--strict-toolchain") == EXIT_WORKS
    assert "toolchains that build nothing" not in capsys.readouterr().out


def test_shipped_c_toolchain_failures_are_marked_and_not_counted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = toolchain_data()
    args = ("--python", "<3.13", "--case", "fine", "--strict-toolchain")
    assert run_query(tmp_path, data, *args) == EXIT_WORKS
    out = capsys.readouterr().out
    assert ("    📦 Cython 3.3.1 on Python 3.8 (cc-error, note cc-0ld; shipped C, not counted"
            " unless --shipped-c)\n") in out
    assert "with shipped C 📦" not in out  # not the case's own failure either
    assert run_query(tmp_path, data, *args, "--shipped-c") == EXIT_TOOLCHAIN
    assert "(cc-error, note cc-0ld; shipped C, counted (--shipped-c))" in capsys.readouterr().out


def test_a_range_where_the_toolchain_builds_nothing_is_untested(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = toolchain_data()
    assert verdict_of(ask(data, python=">=3.13", cython="<3"), "fine") == "untested"
    assert run_query(tmp_path, data, "--python", ">=3.13", "--cython", "<3",
                     "--strict-toolchain") == EXIT_UNTESTED
    out = capsys.readouterr().out
    assert ("untested: no selected case was tried in range where it counts: of 4 results"
            " in range, 4 toolchain failures (the toolchain builds nothing there;"
            " listed apart)") in out
    assert "    Cython 0.29.37 on Python 3.13, 3.14 (cc-error, note cc-1a2b3)" in out


def test_data_without_the_toolchain_baseline_counts_every_failure(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = toolchain_data(controls=False)
    assert "controls" not in old and "toolchain_failure" not in old["cells"][0]
    result = ask(old, python=">=3.12", case_globs=["fine"])
    assert verdict_of(result, "fine") == "fails"
    assert {f.cell_id for f in result.cases[0].failures} == {"py3.13-cy0.29.37",
                                                              "py3.14-cy0.29.37"}
    # Without 'controls', a case whose role says control is still no case.
    old["cases"][0]["role"] = "control"
    assert [c.case_id for c in ask(old).cases] == ["fine", "own"]
    assert run_query(tmp_path, old, "--case", "fine") == EXIT_FAILS
    assert "note cc-9f9f9, cc-error: cc-error in fine" in capsys.readouterr().out


def test_json_carries_the_same_answer(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    data = toolchain_data()
    assert run_query(tmp_path, data, "--python", ">=3.12.5", "--json",
                     "--strict-toolchain") == EXIT_FAILS
    out = json.loads(capsys.readouterr().out)
    assert out["exit_status"] == EXIT_FAILS and out["untested"] == []
    assert out["warnings"] == [
        "--python '>=3.12.5' keeps Python 3.12 because the tested 3.12.18 satisfies it, but"
        " excludes 3.12.0-3.12.4: the answer covers only what was tested"]
    cases = {c["case_id"]: c for c in out["cases"]}
    assert set(cases) == {"fine", "own"}
    assert (cases["fine"]["verdict"], cases["own"]["verdict"]) == ("works", "fails")
    assert cases["fine"]["toolchain_failures"] == ["py3.13-cy0.29.37", "py3.14-cy0.29.37"]
    assert out["failing_cases"] == ["own"]
    [group] = out["toolchain_failures"]
    assert group["cells"] == ["py3.13-cy0.29.37", "py3.14-cy0.29.37"]
    assert (group["cython"], group["stage"], group["note"], group["counted"]) == (
        "0.29.37", "cc-error", "cc-1a2b3", True)
    assert run_query(tmp_path, data, "--python", ">=4", "--json") == EXIT_UNTESTED
    out = json.loads(capsys.readouterr().out)
    assert out["exit_status"] == EXIT_UNTESTED
    assert out["untested"] == [
        "--python '>=4' matches no tested Python; tested: 3.8, 3.12, 3.13, 3.14"]


@pytest.mark.parametrize(("args", "message"), [
    (["--python", "3.8+"], "error: --python '3.8+': not a version specifier"),
    (["--case", "nope-*"], "error: --case nope-*: matches no published case"),
    (["--case", "control-*"], "error: --case control-*: matches only control cases"),
    (["--compiler", "tcc"], "error: --compiler tcc: no published cell was built with it"),
])
def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             args: list[str], message: str) -> None:
    assert run_query(tmp_path, toolchain_data(), *args) == EXIT_USAGE == 2
    assert message in capsys.readouterr().err


def test_argparse_errors_exit_2_and_help_states_the_contract(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["query", "--no-such-flag"])
    assert exited.value.code == EXIT_USAGE
    with pytest.raises(SystemExit):
        main(["query", "--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "3  only with --strict-toolchain" in out
    assert "4  nothing in range was tried" in out


def test_a_two_part_release_is_one_release_and_the_answer_says_so() -> None:
    data = published([row("a", "3.12", "3.1.0"), row("a", "3.12", "3.1.8", "run-error",
                                                     note="run-1")])
    result = answer(data, SupportRange.parse("", "==3.1", ""))
    assert [c.verdict for c in result.cases] == ["works"]  # 3.1.0 only: 3.1.8 is out of range
    (warning,) = result.warnings
    assert "--cython '==3.1' is 3.1.0 only" in warning
    assert "the tested 3.1 releases are 3.1.0, 3.1.8" in warning and "'==3.1.*'" in warning
    assert answer(data, SupportRange.parse("", "==3.1.*", "")).warnings == ()


def test_an_empty_flag_is_an_error_not_any_version(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    data = published([row("a", "3.12", "3.1.8")])
    assert run_query(tmp_path, data, "--python", "") == 2
    assert "--python '': an empty specifier" in capsys.readouterr().err


def test_a_cell_measured_for_one_case_only_is_no_gap_in_the_others() -> None:
    """A bisection measures one case in cells outside the grid; the other cases are not
    "not tested" there."""
    rows = [row(c, "3.12", "3.1.8") for c in ("a", "b")] + [row("a", "3.12", "3.1.3")]
    result = answer(published(rows), SupportRange.parse("", "", ""))
    assert {c.case_id: c.not_tested for c in result.cases} == {"a": (), "b": ()}
    rows.append(row("b", "3.12", "3.1.0"))
    rows.append(row("a", "3.12", "3.1.0"))
    rows.append(row("c", "3.12", "3.1.8"))
    result = answer(published(rows), SupportRange.parse("", "", ""))
    assert dict((c.case_id, c.not_tested) for c in result.cases)["c"] == ("py3.12-cy3.1.0",)


def test_a_dangling_target_is_listed_and_fails_only_with_safe(
        capsys: pytest.CaptureFixture[str]) -> None:
    """fx-dangles works everywhere, and its pointer dangles after the bytearray's resize (the
    moves probe): the answer says so under the case; ``--safe`` makes that a failure (exit 1);
    the JSON names the dangling cases and each case's safety counts."""
    assert main(query("--python", ">=3.12", "--case", "fx-dangles,fx-works")) == 0
    out = capsys.readouterr().out
    # Working is not the whole answer: the headline of a dangling case says it dangles.
    assert "↯ fx-dangles: works on all 3 tried cells in range, but its target dangles after a" \
           " resize of the source on 3 cells" in out
    assert "dangles after a resize of the source (measured) on 3 worked cells:" in out
    assert "reproduce: nox -s matrix -- try --python 3.12 --cython" in out
    assert "1 of 2 cases leave a dangling target after a resize of the source" in out
    assert main(query("--python", ">=3.12", "--case", "fx-dangles,fx-works", "--safe")) == 1
    assert "(--safe: they fail the query)" in capsys.readouterr().out
    assert main(query("--python", ">=3.12", "--case", "fx-works", "--safe")) == 0
    capsys.readouterr()
    assert main(query("--python", ">=3.12", "--case", "fx-dangles,fx-works", "--safe",
                      "--json")) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["dangling_cases"] == ["fx-dangles"] and data["exit_status"] == 1
    by_case = {c["case_id"]: c for c in data["cases"]}
    assert by_case["fx-dangles"]["safety"] == {"dangles": 3}
    assert by_case["fx-works"]["safety"] == {"safe": 3} and by_case["fx-works"]["dangles"] == []
    # The sanitizer's cells: AddressSanitizer's verdict at the read after the resize.
    assert main(query("--compiler", "gcc-asan", "--case", "fx-dangles", "--json")) == 0
    asan = json.loads(capsys.readouterr().out)["cases"][0]
    assert asan["dangles"][0]["error"] == ("ASan: heap-use-after-free reading the target after"
                                           " the resize")


@pytest.mark.parametrize(("python", "cython", "numpy", "shipped_c", "compiler"), [
    ("", "", "", False, "gcc"), (">=3.12", ">=3.1", ">=2", False, "gcc"),
    ("==3.12.*", "<0.28", "", True, "gcc"), (">=3.6", "", "", False, "gcc-asan"),
    ("<3", ">=0.29", "", False, "gcc")])
def test_the_cached_data_answers_as_the_whole_file_does(
        tmp_path: Path, python: str, cython: str, numpy: str, shipped_c: bool,
        compiler: str) -> None:
    """What the query keeps of the data (parsed once, then read from its cache) gives the answer
    the whole ``compat.json`` gives, text and JSON, cold and warm; a damaged cache is passed
    over."""
    from report.query.text import render_text

    support = SupportRange.parse(python, cython, numpy)

    def answered(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = answer(data, support, shipped_c=shipped_c, compiler=compiler)
        return (render_text(result, strict_toolchain=True, safe=True),
                result.to_json(strict_toolchain=True, safe=True))

    published = json.loads(DATA.read_text(encoding="utf-8"))
    whole = answered({**published, "cells": published_cells(DATA, published)})
    assert answered(load_data(DATA, tmp_path)) == whole  # parsed, then kept
    [kept] = tmp_path.glob("compat-*.marshal*")
    assert answered(load_data(DATA, tmp_path)) == whole  # read back
    kept.write_bytes(b"damaged")
    assert answered(load_data(DATA, tmp_path)) == whole
    assert answered(load_data(DATA)) == whole


def test_the_exit_statuses_are_one_table_read_by_help_and_the_docstring(
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` and :mod:`report.query`'s docstring are written from ``EXIT_STATUSES``: every
    status and the start of its meaning appear in both, and each code is returned by
    :meth:`Answer.status` (the codes are the table's)."""
    import report.query
    from report.query.status import EXIT_STATUSES

    with pytest.raises(SystemExit):
        main(["query", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    doc = " ".join((report.query.__doc__ or "").split())
    assert [s.code for s in EXIT_STATUSES] == [EXIT_WORKS, EXIT_FAILS, EXIT_USAGE,
                                               EXIT_TOOLCHAIN, EXIT_UNTESTED]
    for status in EXIT_STATUSES:
        meaning = " ".join(status.meaning.split())
        assert f"{status.code} {meaning}" in out
        assert f"* {status.code}: {meaning}" in doc


def test_the_answer_says_what_each_case_does_in_range(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """Both halves, for the range: a table first (does it work, does it copy or alias, does it
    lock, is it safe), then each case's details; "varies" only where the range holds cells that
    differ, saying where; --json carries the same."""
    assert main(query("--python", ">=3.12", "--case", "fx-dangles,fx-works,fx-split")) == 1
    out = capsys.readouterr().out
    table = out[out.index("case "):out.index("\n\n", out.index("case "))]
    header, _, *lines = table.splitlines()
    assert header.split() == ["case", "in", "range", "does", "locks", "source", "safety"]
    works = next(line for line in lines if "fx-works" in line)
    assert works.split()[:5] == ["✅", "fx-works", "works", "on", "3"]
    assert "alias" in works and "safe" in works
    assert any(line.startswith("↯ fx-dangles") and "dangles on 3" in line for line in lines)
    assert "does where it works: semantics alias;" in out
    assert main(query("--python", ">=3.12", "--case", "fx-dangles,fx-works", "--json")) == 0
    by_case = {c["case_id"]: c for c in json.loads(capsys.readouterr().out)["cases"]}
    does = {p["name"]: p["values"] for p in by_case["fx-works"]["does"]}
    assert set(does) == {"semantics", "locks", "safety"}
    assert list(does["safety"]) == ["safe"] and len(does["safety"]["safe"]) == 3


def test_varies_names_where() -> None:
    from report.query.answer import Property

    alike = Property("semantics", {"alias": ("a", "b")})
    assert not alike.varies and alike.text() == "alias"
    mixed = Property("semantics", {"alias": ("a", "b", "c"), "copy": ("py2.7-cy0.29.37",)})
    assert mixed.varies
    assert mixed.text() == "varies: alias (3 cells), copy (1: py2.7-cy0.29.37)"
    assert mixed.text(0) == "varies: alias (3 cells), copy (1)"
    assert Property("locks", {}).text() == "—"



PUBLISHED_DOCS = Path(__file__).resolve().parent.parent / "docs"

ANSWER_RANGES = [
    (">=3.8", ">=3.0", ">=1.26"),  # the README's query
    (">=3.9", ">=3.0", ">=1.26"),  # the range of issue 33's walk-through
]
"""Ranges whose whole answer the query's text, its JSON, the page (tests/test_page_browser.py)
and compat.md give alike, on the published data."""


def _markdown_rows(text: str, first_header: str) -> list[list[str]]:
    """The rows of every markdown table of ``text`` whose header row starts with
    ``first_header`` cells (a list), each row as its cells' plain text (markup, note links and
    backticks dropped)."""
    found, in_table = [], False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [re.sub(r"<sup>.*?</sup>|\*\*|`", "", c).strip()
                 for c in line.strip("|").split("|")]
        if cells[:len(first_header)] == first_header:
            in_table = True
        elif in_table and not set(cells[0]) <= {"-", ":"}:
            found.append(cells)
    return found


@pytest.mark.parametrize(("python", "cython", "numpy"), ANSWER_RANGES)
def test_the_query_text_its_json_and_compat_md_agree(python: str, cython: str,
                                                      numpy: str) -> None:
    """For each published case in range: the text table's mark, works/fails and what it does
    are the JSON's; compat.md's "what it does" table (the whole CPython data) holds every value
    the range measured ("varies" where the range varies) and a dangling range's safety; a case
    failing in range is ❌ or ⚠️ in some series of compat.md tested in range."""
    data = PUBLISHED_DOCS / "compat.json"
    if not data.is_file():
        pytest.fail(f"{data}: the published data is missing")
    base = [sys.executable, "-m", "report", "query", "--data", str(data), "--python", python,
            "--cython", cython, "--numpy", numpy]
    text = subprocess.run(base, capture_output=True, text=True, check=False)
    done = subprocess.run([*base, "--json"], capture_output=True, text=True, check=False)
    assert text.returncode == done.returncode == EXIT_FAILS, (text.stderr, done.stderr)
    cases = json.loads(done.stdout)["cases"]
    table = {line.split()[1]: line for line in text.stdout.splitlines()
             if line and line[0] in "✅❌↯🎲" and ":" not in line.split()[1]}
    compat = (PUBLISHED_DOCS / "compat.md").read_text(encoding="utf-8")
    does_md = {row[0].removeprefix("↳ "): row for row in
               _markdown_rows(compat, ["Case", "Conversion", "Semantics"])}
    series_header = next(
        [re.sub(r"`", "", c).strip() for c in line.strip("|").split("|")]
        for line in compat.splitlines() if line.startswith("| Case ") and "Conversion" not in line)
    series_md = {row[0].removeprefix("↳ "): dict(zip(series_header[1:], row[1:]))
                 for row in _markdown_rows(compat, series_header[:2])}
    tested = {".".join(v.split(".")[:2]) for v in json.loads(done.stdout)["tested"]["cython"]}
    for case in cases:
        case_id = case["case_id"]
        props = {p["name"]: Property(p["name"], {v: tuple(c) for v, c in p["values"].items()})
                 for p in case["does"]}
        line = table[case_id]
        mark = "↯" if case["verdict"] == "works" and case["dangles"] else {
            "works": "✅", "fails": "❌", "flaky": "🎲"}[case["verdict"]]
        assert line.startswith(f"{mark} {case_id} "), line
        tried = case["works"] + len(case["failures"])
        assert (f"fails on {len(case['failures'])} of {tried}" if case["verdict"] == "fails"
                else f"works on {tried}") in line, line
        for name in ("semantics", "locks", "safety"):
            assert f"  {props[name].text(0)}" in line, (name, line)
        _, _, semantics, locks, safety, _ = does_md[case_id]
        for name, published in (("semantics", semantics), ("locks", locks),
                                ("safety", safety)):
            values = set(props[name].told)
            if props[name].varies:
                assert published == "varies", (case_id, name, published, values)
            elif published not in ("varies", "?"):
                assert values <= {published} - {"—"}, (case_id, name, published, values)
        if case["dangles"]:
            assert safety in ("dangles", "varies"), (case_id, safety)
        if case["verdict"] == "fails":
            shown = [series_md[case_id][s] for s in tested if s in series_md[case_id]]
            assert any(c.startswith(("❌", "⚠️")) for c in shown), (case_id, shown)
