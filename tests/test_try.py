"""``try``, the case author's command (issue 19, item 3): labelled probe fields that say "no
probe" or "cannot tell: why", ``-v`` with the probe evidence, the traceback (with ``.pyx``
lines) of a run error and the run log of a crash, ``--cases`` on try, list and bisect, a numpy
case without ``--numpy``, and bisect measuring what try measures (shipped C included).

The formatting is tested on hand-made records; one real build (one cell: Python 3.11, Cython
3.2.9, a handful of cases in a temporary cases folder) checks what a case author sees."""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from matrix.cli import main
from matrix.model.records import Behaviour, Record
from matrix.plan.interpreters import Interpreter
from matrix.run import bisecting
from matrix.run.engine import measurement_of
from matrix.run.trying import verdict
from matrix.store.paths import PROJECT_ROOT, Layout
from matrix.store.results import ResultStore

from .conftest import FIXTURES, need_python
from .fixtures.report.factory import rec

CYTHON = "3.2.9"


def ok(**behaviour: Any) -> Record:
    return replace(rec("fixture-x", "3.11", CYTHON), behaviour=Behaviour(**behaviour))


# --- labelled fields -------------------------------------------------------------------------

def test_every_probe_field_is_labelled() -> None:
    record = ok(values_ok=True, copies=True, copies_evidence=("mutation",), readonly=False,
                readonly_detail="write took effect", locks_source=True,
                locks_detail="BufferError: Existing exports of data: object cannot be re-sized")
    assert verdict(record) == ("values_ok=yes copies=copy readonly=no locks_source=yes"
                                " safety=safe")
    moved = ok(values_ok=True, copies=False, copies_evidence=("address",), readonly=False,
               locks_source=False, locks_detail="resize succeeded", moves="dangles",
               sanitizer_read="heap-use-after-free")
    assert verdict(moved) == ("values_ok=yes copies=alias readonly=no locks_source=no"
                               " moves=dangles asan_read=heap-use-after-free safety=dangles")


def test_an_unknown_field_says_no_probe_or_cannot_tell_why() -> None:
    """``?`` alone meant both "the case has no such method" and "the case could not tell"."""
    record = ok(values_ok=True, copies=False, copies_evidence=("address", "mutation"),
                readonly=None, readonly_detail="no write path offered",
                locks_source=None, locks_detail="cannot tell: resizing confounded here")
    assert verdict(record) == (
        "values_ok=yes copies=alias"
        " readonly=? (no probe: the case defines no write_target)"
        " locks_source=? (cannot tell: resizing confounded here) safety=cannot-tell")
    swapped = ok(values_ok=True, copies=False, readonly=None,
                 readonly_detail="cannot tell: writing confounded here",
                 locks_source=None, locks_detail="source is not resizable")
    assert verdict(swapped).endswith(
        " readonly=? (cannot tell: writing confounded here)"
        " locks_source=? (no probe: the case defines no resize_source) safety=cannot-tell")


def test_an_unknown_copies_says_why_from_the_probe_evidence() -> None:
    """The record keeps only the names of the copy evidence; the run's probe event (in its
    log) says whether there was no probe at all or a probe that could not tell."""
    unknown = ok(values_ok=True, copies=None, readonly=False, locks_source=False)
    no_probe: dict[str, dict[str, Any]] = {"copies": {"copies": None, "evidence": []}}
    assert ("copies=? (no probe: the case defines neither mutate_source nor addresses)"
            in verdict(unknown, no_probe))
    confounded: dict[str, dict[str, Any]] = {"copies": {"copies": None, "evidence": [],
                             "mutation": "cannot tell: mutation confounded here"}}
    assert "copies=? (cannot tell: mutation confounded here)" in verdict(unknown, confounded)
    unchanged: dict[str, dict[str, Any]] = {
        "copies": {"copies": None, "evidence": [], "mutation": "source did not change"}}
    assert "copies=? (cannot tell: source did not change)" in verdict(unknown, unchanged)
    conflict = replace(unknown, behaviour=replace(unknown.behaviour,
                                                  copies_evidence=("address", "mutation")))
    assert ("copies=? (cannot tell: the addresses and the mutation disagree)"
            in verdict(conflict))
    assert "copies=? (no evidence recorded)" in verdict(unknown), "no log: no guess"


def test_a_failure_still_reads_outcome_then_first_error() -> None:
    """What the report's reproducers are compared with (``outcome: first error``)."""
    record = rec("fixture-x", "3.11", CYTHON, "run-error", error="convert: ValueError: no")
    assert verdict(record) == "run-error: convert: ValueError: no"


# --- --cases on try, list and bisect ---------------------------------------------------------

@pytest.fixture()
def one_case(tmp_path: Path) -> Path:
    cases = tmp_path / "cases"
    cases.mkdir()
    for suffix in (".toml", ".pyx"):
        shutil.copy(FIXTURES / "cases" / f"fixture-aliases{suffix}", cases)
    return cases


def test_try_takes_cases(one_case: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["try", "--offline", "--python", "3.11", "--cython", CYTHON,
                 "--cases", str(one_case), "--case", "bytes-*"]) == 2
    assert f"error: --case bytes-*: matches no case in {one_case}" in capfd.readouterr().err


def test_bisect_takes_cases(one_case: Path, tmp_path: Path,
                            capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["bisect", "--offline", "--python", "3.11", "--cython", "3.2.8..3.2.9",
                 "--cases", str(one_case), "--case", "bytes-to-char-pointer",
                 "--results", str(tmp_path / "results")]) == 2
    assert (f"error: --case bytes-to-char-pointer: no such case in {one_case}"
            in capfd.readouterr().err)


def test_list_takes_cases(one_case: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The cases are read before anything is planned: a broken one is named (as ``run``
    does), so the CI's plan step fails before it fans out."""
    argv = ["list", "--offline", "--python", "3.11", "--cython", CYTHON, "--no-abi",
            "--compiler", "gcc", "--cases", str(one_case)]
    toml = one_case / "fixture-aliases.toml"
    toml.write_text(toml.read_text().replace("copies = false", 'copies = "maybe"'))
    assert main(argv) == 2
    assert (f"error: {toml}: field 'expect.copies': must be true, false or absent"
            in capfd.readouterr().err)


# --- a numpy case without --numpy ------------------------------------------------------------

def test_a_numpy_case_without_numpy_is_an_error(interpreters: dict[str, Interpreter],
                                                capfd: pytest.CaptureFixture[str]) -> None:
    need_python(interpreters, "3.11")
    code = main(["try", "--offline", "--python", "3.11", "--cython", CYTHON,
                 "--case", "numpy-int-to-long-memoryview"])
    captured = capfd.readouterr()
    assert code == 2, captured
    assert "error: --case numpy-int-to-long-memoryview: " in captured.err
    assert "numpy-int-to-long-memoryview needs numpy: give --numpy" in captured.err
    assert captured.out == ""


# --- bisect measures what try measures -------------------------------------------------------

def _fake_measure(measured: list[tuple[str, str | None]]) -> Any:
    """Stands in for the engine: a release before 0.29.15 fails to compile (as the shipped C
    of old Cython releases does on 3.11); nothing is built."""
    def measure(planned: Any, cases: list[Any], layout: Any, settings: Any,
                toolchain: Any) -> list[Record]:
        cell = planned.cell
        measured.append((cell.cython, planned.shipped_c))
        failed = Version(cell.cython) < Version("0.29.15")
        measurement = measurement_of(planned, cases, settings, toolchain)
        return [replace(rec(case.id, cell.python, cell.cython, "cc-error" if failed else "ok",
                            error="<module>.c: fatal error: longintrepr.h" if failed else None,
                            shipped=planned.shipped_c, values_ok=None if failed else True),
                        key=measurement.key(case))
                for case in measurement.cases]
    return measure


def test_bisect_measures_a_range_end_that_try_measures_as_shipped_c(
        interpreters: dict[str, Interpreter], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """Cython 0.28.6 has no wheel for 3.11: ``try`` measures it with the C it generates under
    an older Python; bisect refused it as a range end ("must be measurable")."""
    need_python(interpreters, "3.11")
    measured: list[tuple[str, str | None]] = []
    monkeypatch.setattr(bisecting, "measure_cell", _fake_measure(measured))
    code = main(["bisect", "--offline", "--python", "3.11", "--cython", "0.28.6..0.29.37",
                 "--case", "bytes-to-char-pointer", "--results", str(tmp_path / "results")])
    captured = capfd.readouterr()
    assert code == 0, captured.err
    assert ("bytes-to-char-pointer on Python 3.11: last cc-error at cython 0.29.14;"
            " first different at 0.29.15 (ok)") in captured.out
    shipped = dict(measured)
    assert shipped["0.28.6"] is not None, "the low end measured as shipped C"
    assert shipped["0.29.37"] is None
    assert "py3.11-cy0.28.6: cc-error (shipped C)" in captured.err
    assert "skipped" not in captured.out, "nothing try measures is skipped"
    stored = ResultStore(tmp_path / "results").records()
    by_cell: dict[str, set[str]] = {}
    for record in stored:
        by_cell.setdefault(record.cell_id, set()).add(record.case_id)
    assert by_cell and all(ids == {"bytes-to-char-pointer", "control-plain"}
                           for ids in by_cell.values()), "each cell with its control case"


# --- one real cell ---------------------------------------------------------------------------

NO_PROBES = '''cdef class fixture_no_probes:
    cdef bytes by

    def __init__(self):
        self.by = b"abcd"

    def source(self):
        return bytearray(self.by)

    def target(self):
        return bytearray(self.by)
'''

COPIES_CONFOUNDED = '''cdef class fixture_copies_confounded:
    cdef bytearray ba
    cdef char[:] mv

    def __init__(self):
        self.ba = bytearray(b"abcd")
        self.mv = self.ba

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        raise NotImplementedError("cannot tell: mutation confounded here")
'''

PROBE_ERROR = '''cdef class fixture_probe_error:
    cdef bytearray ba
    cdef char[:] mv

    def __init__(self):
        self.ba = bytearray(b"abcd")
        self.mv = self.ba

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def write_target(self):
        self.mv[1] = int("not a number")
'''


def _toml(case_id: str) -> str:
    return (f'id = "{case_id}"\ntitle = "{case_id}"\ngroup = "fixture"\nsource = "bytes"\n'
            f'target = "bytes"\n\n[expect]\nreference = "tests: try output"\n')


@pytest.fixture(scope="module")
def tried(interpreters: dict[str, Interpreter], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[dict[str, str]]:
    """``try -v`` in one real cell over a temporary cases folder: each case's block of output
    (its line and the indented lines under it)."""
    need_python(interpreters, "3.11")
    root = tmp_path_factory.mktemp("try")
    cases = root / "cases"
    cases.mkdir()
    for case_id in ("fixture-run-error", "fixture-crash", "fixture-cannot-tell"):
        for suffix in (".toml", ".pyx"):
            shutil.copy(FIXTURES / "cases" / f"{case_id}{suffix}", cases)
    for case_id, code in (("fixture-no-probes", NO_PROBES),
                          ("fixture-copies-confounded", COPIES_CONFOUNDED),
                          ("fixture-probe-error", PROBE_ERROR)):
        (cases / f"{case_id}.toml").write_text(_toml(case_id))
        (cases / f"{case_id}.pyx").write_text(code)
    layout = Layout(cases=cases, cache=root / "cache", results=root / "results",
                    shared_envs=PROJECT_ROOT / ".cache" / "envs")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.setattr(Layout, "default", classmethod(lambda cls: layout))
        status = main(["try", "--offline", "--python", "3.11", "--cython", CYTHON, "-v",
                     "--timeout", "30", "--retry-delays", "0"])
    assert status == 0
    blocks: dict[str, str] = {}
    current = None
    for line in out.getvalue().splitlines():
        if line.startswith("py3.11-"):
            current = line.split()[1]
            blocks[current] = ""
        assert current is not None, line
        blocks[current] += line + "\n"
    blocks["(all)"] = out.getvalue()
    yield blocks


@pytest.mark.slow
def test_no_protocol_lines_are_shown(tried: dict[str, str]) -> None:
    assert "@@MM" not in tried["(all)"]


@pytest.mark.slow
def test_no_probe_and_cannot_tell_for_real(tried: dict[str, str]) -> None:
    first = tried["fixture-no-probes"].splitlines()[0]
    assert first.endswith(
        "values_ok=yes copies=? (no probe: the case defines neither mutate_source nor addresses)"
        " readonly=? (no probe: the case defines no write_target)"
        " locks_source=? (no probe: the case defines no resize_source) safety=cannot-tell"
    ), first
    first = tried["fixture-cannot-tell"].splitlines()[0]
    assert first.endswith(
        "values_ok=yes copies=alias readonly=? (cannot tell: writing confounded here)"
        " locks_source=? (cannot tell: resizing confounded here) safety=cannot-tell"), first
    first = tried["fixture-copies-confounded"].splitlines()[0]
    assert "copies=? (cannot tell: mutation confounded here)" in first, first


@pytest.mark.slow
def test_verbose_shows_the_probe_evidence(tried: dict[str, str]) -> None:
    block = tried["fixture-cannot-tell"]
    assert ("    copies: alias (evidence: address: same address;"
            " mutation: cannot tell: mutation confounded here)") in block
    assert "    readonly: ? (cannot tell: writing confounded here)" in block
    assert "    values_ok: yes (source [97, 98, 99, 100], target [97, 98, 99, 100])" in block


@pytest.mark.slow
def test_verbose_run_error_shows_the_traceback_with_pyx_lines(tried: dict[str, str]) -> None:
    block = tried["fixture-run-error"]
    assert block.splitlines()[0].endswith(
        "run-error: convert: ValueError: deliberate failure in the conversion")
    assert 'File "fixture-run-error.pyx", line 3, in ' in block
    assert 'raise ValueError("deliberate failure in the conversion")' in block
    assert "ValueError: deliberate failure in the conversion" in block.split("Traceback")[-1]


@pytest.mark.slow
def test_verbose_crash_shows_the_run_log(tried: dict[str, str]) -> None:
    block = tried["fixture-crash"]
    assert block.splitlines()[0].endswith("crash: SIGSEGV during convert")
    assert "    run: the case's process died: SIGSEGV during convert" in block
    assert "    run log: the case printed nothing before it ended" in block
    assert "    convert: not finished" in block


@pytest.mark.slow
def test_bisect_range_ends_measured_as_shipped_c_for_real(
        interpreters: dict[str, Interpreter], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """Cython 0.28 and 0.28.2 have no wheel for 3.11: measured with the C they generate under
    Python 3.6 (both fail to compile there), so bisect gets as far as comparing the ends."""
    need_python(interpreters, "3.11")
    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MATRIX_ENVS_DIR", str(PROJECT_ROOT / ".cache" / "envs"))
    code = main(["bisect", "--offline", "--python", "3.11", "--cython", "0.28..0.28.2",
                 "--case", "bytes-to-char-pointer", "--results", str(tmp_path / "results"),
                 "--retry-delays", "0"])
    err = capfd.readouterr().err
    assert code == 2
    assert "py3.11-cy0.28: cc-error (shipped C)" in err
    assert "bytes-to-char-pointer has the same outcome (cc-error) at both ends" in err


@pytest.mark.slow
def test_an_error_inside_a_probe_is_that_probe_s_cannot_tell_with_its_traceback(
        tried: dict[str, str]) -> None:
    block = tried["fixture-probe-error"]
    error = ("write_target() raised ValueError: invalid literal for int() with base 10:"
             " 'not a number'")
    assert block.splitlines()[0].endswith(
        f"values_ok=yes copies=? (no probe: the case defines neither mutate_source nor"
        f" addresses) readonly=? (cannot tell: error in the probe: {error})"
        f" locks_source=? (no probe: the case defines no resize_source) safety=cannot-tell"
    ), block
    assert "traceback of the error in the probe" in block
    assert 'File "fixture-probe-error.pyx", line 16, in ' in block
    assert 'self.mv[1] = int("not a number")' in block
