"""The interpreter as data (``matrix/data/interpreters.toml``, :mod:`matrix.model.interpreters`):
every name a kind gives, discovery of the other kinds (fake executables), wheel tags from
``packaging.tags``, and proof that CPython keeps every name, tag and key it had."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.version import Version

from matrix.model.cells import Cell
from matrix.model.interpreters import (
    CPYTHON,
    KINDS,
    InterpreterId,
    axis_key,
    axis_value,
    cell_prefix,
    kind_id,
    kind_of,
    load_kinds,
    measured_key_material,
    python_matches,
)
from matrix.model.measurement import Measurement
from matrix.model.outcomes import Outcome
from matrix.model.records import (
    BUILD_PROCEDURE,
    NUMPY_PXD_PROCEDURE,
    Record,
    content_key,
)
from matrix.model.storeformat import STORE_FILE
from matrix.model.versions import sorted_versions
from matrix.plan.index import ReleaseIndex, _platforms, releases_from_summary, supported_tags
from matrix.plan.interpreters import PROBE, Interpreter, discover_interpreters, parse_probe
from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore

from .conftest import need_python
from .test_grid import fake_python

FREE = KINDS["cpython-freethreaded"]
PYPY = KINDS["pypy"]
PYTHONS = ["2.7.18", *(f"3.{minor}.1" for minor in range(6, 16))]
"""Every Python of today's grid (2.7, 3.6-3.15)."""


def test_the_data_file_turns_every_kind_on() -> None:
    assert list(KINDS) == ["cpython", "cpython-freethreaded", "pypy"]
    assert all(k.enabled for k in KINDS.values()), "the grid takes every kind on"
    assert FREE.free_threaded and not CPYTHON.free_threaded and not PYPY.free_threaded
    assert CPYTHON.is_default and not FREE.is_default and not PYPY.is_default
    assert kind_of("CPython") is CPYTHON and kind_of("CPython", "t") is FREE
    assert kind_of("PyPy") is PYPY and kind_of("IronPython") is None


def test_a_malformed_data_file_is_an_error_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "interpreters.toml"
    bad.write_text('[cpython]\nimplementation = "CPython"\nname = "CPython"\ncolour = "red"\n')
    with pytest.raises(ValueError, match="unknown fields.*colour"):
        load_kinds(bad)
    bad.write_text('[pypy]\nimplementation = "PyPy"\nname = "PyPy"\n')
    with pytest.raises(ValueError, match=r"needs a \[cpython\]"):
        load_kinds(bad)
    bad.write_text('[cpython]\nimplementation = "CPython"\nname = "CPython"\nci = ["3.11", "3"]\n')
    with pytest.raises(ValueError, match=r"\[cpython\]: ci must be a list of language versions"):
        load_kinds(bad)


def test_the_ci_list_is_each_enabled_kind_s_ci_versions(tmp_path: Path) -> None:
    from matrix.model.interpreters import ci_pythons

    data = tmp_path / "interpreters.toml"
    data.write_text('[cpython]\nimplementation = "CPython"\nname = "CPython"\nenabled = true\n'
                    'ci = ["3.12", "2.7"]\n'
                    '[pypy]\nimplementation = "PyPy"\nname = "PyPy"\nlabel = "pypy"\n'
                    'wheels = "generic"\nwheel_abi = "pypy{nodot}_pp73"\nenabled = true\n'
                    'ci = ["3.11"]\n'
                    '[cpython-debug]\nimplementation = "CPython"\nname = "CPython"\nabi = "d"\n'
                    'ci = ["3.12"]\n')
    assert ci_pythons(load_kinds(data)) == ["2.7", "pypy3.11", "3.12"]  # the off kind: none
    assert {"3.14", "3.15", "3.13t", "pypy3.9"} <= set(ci_pythons())


def test_every_name_a_kind_gives() -> None:
    names = {
        (kind.id, str(version)): (i.label, i.cell_prefix, i.build, i.wheel_interpreter,
                                  i.executable, i.display, i.key_material, i.folder,
                                  i.wheel_abis())
        for kind, version, own in ((CPYTHON, "3.11.9", ""), (CPYTHON, "2.7.18", ""),
                                   (CPYTHON, "3.6.15", ""), (FREE, "3.13.0", ""),
                                   (PYPY, "3.11.11", "7.3.19"))
        for i in [InterpreterId(kind, Version(version), own)]
    }
    assert names == {
        ("cpython", "3.11.9"): ("3.11", "py3.11", "cp311", "cp311", "python3.11", "CPython 3.11",
                                "3.11.9", "py3.11.9", ["cp311"]),
        ("cpython", "2.7.18"): ("2.7", "py2.7", "cp27", "cp27", "python2.7", "CPython 2.7",
                                "2.7.18", "py2.7.18", ["cp27mu", "cp27m"]),
        ("cpython", "3.6.15"): ("3.6", "py3.6", "cp36", "cp36", "python3.6", "CPython 3.6",
                                "3.6.15", "py3.6.15", ["cp36m"]),
        ("cpython-freethreaded", "3.13.0"): (
            "3.13t", "py3.13t", "cp313t", "cp313", "python3.13t", "CPython 3.13t", "3.13.0t",
            "py3.13.0t", ["cp313t"]),
        ("pypy", "3.11.11"): (
            "pypy3.11", "pp3.11", "pp311", "pp311", "pypy3.11", "PyPy 3.11",
            "pypy-7.3.19-3.11.11", "pp3.11.11-pypy7.3.19", ["pypy311_pp73"]),
    }


def test_cpython_keeps_its_key_material_folders_and_cache_names() -> None:
    """Every stored key holds ``str(version)``, every environment folder ``py{version}``, every
    per-Python generate cache entry ``-py{version}``: literally what they were."""
    from matrix.build.envs import EnvInfo, Environment, EnvSpec
    from matrix.build.generate import entry_name

    interpreter = Interpreter(Version("3.11.7"), Path("/fake/python3.11"), "pyenv")
    assert interpreter.id.key_material == "3.11.7" == str(interpreter.version)
    assert interpreter.label == "3.11" and interpreter.minor == "3.11"
    assert EnvSpec(interpreter, "3.0.12", "1.26.4").name == "py3.11.7-cy3.0.12-np1.26.4"
    assert EnvSpec(interpreter, None, None).name == "py3.11.7"
    info = EnvInfo.from_json({"python": "3.11.7", "executable": "/e/bin/python", "include": [],
                              "ext_suffix": ".so", "platform": "linux-x86_64"})
    env = Environment(EnvSpec(interpreter, "3.0.12", None), Path("/e"), "uv", info)
    assert entry_name("mm_0123456789ab", env) == "mm_0123456789ab-py3.11.7"
    pypy = dataclasses.replace(interpreter, version=Version("3.11.11"), kind=PYPY,
                               implementation_version="7.3.19")
    assert EnvSpec(pypy, "3.0.12", None).name == "pp3.11.11-pypy7.3.19-cy3.0.12"
    same_version = dataclasses.replace(pypy, version=Version("3.11.7"))
    assert same_version.id.key_material != interpreter.id.key_material, (
        "a PyPy of the same language release shares no key with CPython")


def test_the_engine_keys_a_cpython_cell_as_it_always_did(tmp_path: Path) -> None:
    from matrix.model.cases import load_cases
    from matrix.model.engines import ENGINE_VERSION
    from matrix.plan.grid import PlannedCell
    from matrix.run.engine import CellMeasurement, EngineSettings, Toolchain, measurement_of
    from matrix.store.paths import Layout

    [case] = [c for c in load_cases(PROJECT_ROOT / "tests" / "fixtures" / "cases")
              if c.id == "fixture-copies"]
    interpreter = Interpreter(Version("3.11.7"), Path("/fake/python3.11"))
    toolchain = Toolchain("gcc 12.2.0", "9a2cd498e552", "Linux-x86_64")
    settings = EngineSettings()
    layout = Layout(tmp_path, tmp_path, tmp_path)
    planned = PlannedCell(Cell("3.11", "3.0.12"), interpreter)
    measurement = CellMeasurement(planned, [case], layout, settings, toolchain)
    assert measurement_of(planned, [case], settings, toolchain).key(case) == content_key(
        case_hash=case.content_hash, runner_hash="9a2cd498e552", python_version="3.11.7",
        cython="3.0.12", numpy_build=None, numpy_run=None, cc="gcc 12.2.0",
        cflags=measurement.cflags, machine="Linux-x86_64", procedure=BUILD_PROCEDURE,
        engine_version=ENGINE_VERSION, run_timeout_s=settings.run_timeout_s)
    assert "implementation_version" not in measurement.provenance(None, None, None)
    pypy = dataclasses.replace(interpreter, kind=PYPY, implementation_version="7.3.19")
    other = CellMeasurement(PlannedCell(Cell("pypy3.11", "3.0.12"), pypy), [case], layout,
                            settings, toolchain)
    assert other.measurement.key(case) != measurement.measurement.key(case)
    provenance = other.provenance(None, None, None)
    assert provenance["implementation_version"] == "7.3.19"
    record = other.record(case, Outcome.OK, None, provenance=provenance, log="",
                          duration_s=0.0)
    assert (record.python, record.cell_id) == ("pypy3.11", "pp3.11-cy3.0.12")
    assert record.key == other.measurement.key(case)
    assert measured_key_material(record.python, record.provenance) == "pypy-7.3.19-3.11.7"


def test_every_stored_key_reproduces_from_its_record_and_the_interpreter_type() -> None:
    """The key material rebuilt from each record's own fields (its ``python`` axis value and
    ``python_version``) through :class:`InterpreterId` gives back every stored key."""
    path = PROJECT_ROOT / "results"
    if not (path / STORE_FILE).is_file():
        pytest.skip("no stored results")
    records = ResultStore(path).records()
    assert records
    for record in records:
        p = record.provenance
        procedure = (BUILD_PROCEDURE if record.numpy_build is None
                     else f"{BUILD_PROCEDURE};{NUMPY_PXD_PROCEDURE}")
        key = content_key(
            case_hash=record.case_hash, runner_hash=str(p.get("runner_hash")),
            python_version=measured_key_material(record.python, p), cython=record.cython,
            numpy_build=record.numpy_build, numpy_run=record.numpy_run, cc=str(p.get("cc")),
            cflags=tuple(p.get("cflags") or ()), machine=str(p.get("machine")),
            procedure=procedure, engine_version=p.get("engine_version"),
            run_timeout_s=p.get("run_timeout_s"))
        assert key == record.key, record.cell_id
        assert Measurement.of_record(record).key_for(record.case_hash) == record.key


def test_records_of_cpython_serialise_as_they_always_did() -> None:
    path = PROJECT_ROOT / "results"
    if not (path / STORE_FILE).is_file():
        pytest.skip("no stored results")
    cpython, others = 0, 0
    for stored in ResultStore(path).records()[::7]:  # every 7th record: both kinds, quickly
        line = stored.to_line()
        record = Record.from_json(json.loads(line))
        assert record.to_line() == line
        if InterpreterId.from_label(record.python).kind.is_default:
            assert "interpreter" not in line and "implementation_version" not in line
            cpython += 1
        else:
            others += 1
    assert cpython > 1000 and others > 100, (cpython, others)  # both kinds were read


def _legacy_supported_tags(python: Version) -> frozenset[Tag]:
    """The hand-written subset of ``packaging.tags`` that planned the grid before (kept here
    as the reference the new tags must equal for CPython)."""
    major, minor = python.major, python.minor
    interpreter = f"cp{major}{minor}"
    if major == 2:
        abis = [f"{interpreter}mu", f"{interpreter}m"]
    elif minor <= 7:
        abis = [f"{interpreter}m"]
    else:
        abis = [interpreter]
    platforms = _platforms()
    tags = {Tag(interpreter, abi, plat) for abi in abis + ["none"] for plat in platforms}
    if major == 3:
        tags |= {Tag(f"cp3{m}", "abi3", plat) for m in range(2, minor + 1) for plat in platforms}
    generic = [f"py{major}", f"py{major}{minor}"] + [f"py{major}{m}" for m in range(minor)]
    tags |= {Tag(py, "none", plat) for py in generic for plat in platforms}
    return frozenset(tags)


@pytest.mark.parametrize("version", PYTHONS)
def test_packaging_tags_equal_the_old_tags_for_every_cpython_of_the_grid(version: str) -> None:
    expected = _legacy_supported_tags(Version(version))
    assert supported_tags(Version(version)) == expected
    assert supported_tags(InterpreterId(CPYTHON, Version(version))) == expected


def test_pypy_and_free_threaded_wheels() -> None:
    machine = "manylinux2014_x86_64" if _platforms()[0].endswith("x86_64") else None
    if machine is None:
        pytest.skip("the example wheels are x86_64")
    pypy = {str(t) for t in supported_tags(InterpreterId(PYPY, Version("3.11.11"), "7.3.19"))}
    assert f"pp311-pypy311_pp73-{machine}" in pypy and "py3-none-any" in pypy
    assert f"cp311-cp311-{machine}" not in pypy and f"cp311-abi3-{machine}" not in pypy
    free = {str(t) for t in supported_tags(InterpreterId(FREE, Version("3.13.1")))}
    assert f"cp313-cp313t-{machine}" in free and "py3-none-any" in free
    assert f"cp313-cp313-{machine}" not in free and f"cp313-abi3-{machine}" not in free

    def release(version: str, wheels: list[str]) -> dict[str, object]:
        return {"version": version, "wheels": wheels, "requires_python": ">=3.9", "sdist": True}

    index = ReleaseIndex({"numpy": releases_from_summary([
        release("1.26.4", [f"numpy-1.26.4-cp311-cp311-{machine}.whl"]),
        release("2.1.3", [f"numpy-2.1.3-cp311-cp311-{machine}.whl",
                          f"numpy-2.1.3-pp311-pypy311_pp73-{machine}.whl"]),
    ])}, source="fake")
    target = InterpreterId(PYPY, Version("3.11.11"), "7.3.19")
    assert index.installable("numpy", "2.1.3", target) is None
    assert index.installable("numpy", "1.26.4", target) == (
        "numpy 1.26.4 has no wheel for PyPy 3.11 on this platform (source builds are not"
        " attempted)")
    assert index.installable("numpy", "1.26.4", Version("3.11.7")) is None


def test_axis_values_cell_ids_and_their_order() -> None:
    for label in ("3.11", "3.13t", "pypy3.11", "2.7"):
        assert InterpreterId.from_label(label).label == label
    with pytest.raises(ValueError, match="names no interpreter"):
        InterpreterId.from_label("jython2.7")
    assert Cell("3.11", "3.0.12").id == "py3.11-cy3.0.12"
    assert Cell("3.13t", "3.0.12", "2.1.3", "2.1.3").id == "py3.13t-cy3.0.12-np2.1.3"
    assert Cell("pypy3.11", "3.0.12", compiler="clang").id == "pp3.11-cy3.0.12-clang"
    assert cell_prefix("whatever") == "pywhatever", "an unknown value keeps the old spelling"
    assert "--python pypy3.11 " in Cell("pypy3.11", "3.0.12").try_command("c")
    order = ["3.12", "pypy3.11", "3.13t", "3.11", "3.13", "2.7"]
    expected = ["2.7", "3.11", "pypy3.11", "3.12", "3.13", "3.13t"]
    assert sorted(order, key=lambda v: Cell(v, "3.0.12").sort_key()) == expected
    assert sorted_versions(order) == expected
    assert axis_key("3.11") == (Version("3.11"), 0) and axis_key("nonsense") is None


def test_build_identifiers_select_pythons_as_cibuildwheel_spells_them() -> None:
    assert [axis_value(t) for t in ("cp313t", "pp311", "cp27", "cp310", "3.11", "pypy3.9")] == [
        "3.13t", "pypy3.11", "2.7", "3.10", "3.11", "pypy3.9"]
    with pytest.raises(ValueError, match=r"'xx311' names no interpreter.*cp313t"):
        axis_value("xx311")
    labels = ["2.7", "3.10", "3.13", "3.13t", "pypy3.9", "pypy3.11"]
    assert [v for v in labels if python_matches(v, "pp3*")] == ["pypy3.9", "pypy3.11"]
    assert [v for v in labels if python_matches(v, "cp313t")] == ["3.13t"]
    assert [v for v in labels if python_matches(v, "cp313")] == ["3.13"]
    assert [v for v in labels if python_matches(v, "3.1*")] == ["3.10", "3.13", "3.13t"]
    assert [v for v in labels if python_matches(v, "*3.9")] == ["pypy3.9"]


# ---- discovery -------------------------------------------------------------------------


def test_discovery_tells_the_kinds_apart(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    fake_python(root / "versions" / "3.11.7" / "bin", "python3", "3.11.7")
    # A pyenv PyPy answers to python3 too: before kinds it was taken for CPython 3.10.
    fake_python(root / "versions" / "pypy3.10-7.3.17" / "bin", "python3", "3.10.14", "PyPy",
                own_release="7.3.17")
    uv_dir = tmp_path / "uv"
    fake_python(uv_dir / "pypy-3.11.11-linux-x86_64-gnu" / "bin", "pypy3", "3.11.11", "PyPy",
                own_release="7.3.19")
    fake_python(uv_dir / "cpython-3.13.1+freethreaded-linux-x86_64-gnu" / "bin", "python3",
                "3.13.1", abiflags="t")
    path_dir = tmp_path / "bin"
    fake_python(path_dir, "python3.13", "3.13.0", abiflags="-")
    fake_python(path_dir, "python3.13t", "3.13.0", abiflags="t")
    fake_python(path_dir, "pypy3.9", "3.9.19", "PyPy", own_release="7.3.16")

    cpython = discover_interpreters(root=root, path_dirs=[str(path_dir)], uv_dir=uv_dir,
                                    kinds=[CPYTHON])
    assert list(cpython) == ["3.11", "3.13"]
    assert all(i.kind is CPYTHON for i in cpython.values())

    every = discover_interpreters(root=root, path_dirs=[str(path_dir)], uv_dir=uv_dir)
    assert list(every) == ["pypy3.9", "pypy3.10", "3.11", "pypy3.11", "3.13", "3.13t"], (
        "by language version, then CPython, free-threaded CPython, PyPy")
    assert (every["pypy3.11"].kind, every["pypy3.11"].implementation_version,
            every["pypy3.11"].source) == (PYPY, "7.3.19", "uv-managed")
    assert every["3.13t"].version == Version("3.13.1"), "the newest free-threaded 3.13"
    assert every["3.13t"].id.build == "cp313t"
    assert every["pypy3.9"].path == path_dir / "pypy3.9"
    assert every["pypy3.10"].id.key_material == "pypy-7.3.17-3.10.14"


def test_the_probe_is_read_strictly() -> None:
    assert parse_probe("CPython 3.13.1 t -") is not None
    found = parse_probe("CPython 3.13.1 t -")
    assert found is not None and found.kind is FREE and found.version == Version("3.13.1")
    pypy = parse_probe("PyPy 3.11.11 - 7.3.19")
    assert pypy is not None and (pypy.kind, pypy.implementation_version) == (PYPY, "7.3.19")
    unknown = parse_probe("GraalVM 3.11.7 - -")
    assert unknown is not None and unknown.kind is None
    assert parse_probe("3.11.7") is None and parse_probe("CPython x.y - -") is None


@pytest.mark.parametrize("label", ["2.7", "host"])
def test_the_probe_runs_on_real_interpreters(label: str,
                                             interpreters: dict[str, Interpreter]) -> None:
    """The probe is valid Python 2.7 as well as 3 (2.7 is a grid Python)."""
    exe = sys.executable if label == "host" else str(need_python(interpreters, label).path)
    out = subprocess.run([exe, "-c", PROBE], capture_output=True, text=True, timeout=60,
                         check=True)
    found = parse_probe(out.stdout)
    assert found is not None and found.kind is CPYTHON, out.stdout
    if label != "host":
        assert found.version == interpreters[label].version


# ---- the report ------------------------------------------------------------------------


def test_a_pypy_cell_goes_through_the_report_by_its_language_version() -> None:
    """One hand-made PyPy cell (a copy of the fixture's CPython 3.12 cell, one case failing
    there only) is composed, exported, put on the page and queried: it is its own row, sorted
    right after CPython 3.12, in a Python range by its language version, never dropped."""
    from matrix.model.cases import load_cases
    from matrix.model.selection import CaseInfo
    from matrix.store.results import ResultStore
    from report.compose import compose
    from report.publish import render_files, render_texts
    from report.query.answer import answer
    from report.query.range import SupportRange
    from report.render_html import page_data

    fixture = PROJECT_ROOT / "tests" / "fixtures" / "report"
    # The fixture's CPython records alone (its own PyPy and free-threaded ones left out): the
    # hand-made PyPy cell is then the only cell of another kind.
    records = [r for r in ResultStore(fixture / "records.jsonl").records()
               if kind_id(r.python) == "cpython"]
    cases = [CaseInfo.from_case(c) for c in load_cases(fixture / "cases")]
    source = [r for r in records if r.cell_id == "py3.12-cy3.0.12"]
    victim = next(r for r in source if r.outcome is Outcome.OK
                  and not next(c for c in cases if c.id == r.case_id).is_control)
    pypy = []
    for record in source:
        provenance = dict(record.provenance, python_version="3.12.7",
                          implementation_version="7.3.17")
        failing = record.case_id == victim.case_id
        pypy.append(dataclasses.replace(
            record, python="pypy3.12", cell_id="pp3.12-cy3.0.12", provenance=provenance,
            key="pypy-" + record.key[5:], outcome=Outcome.CC_ERROR if failing else record.outcome,
            first_error="x.c:1:1: error: PyPy says no" if failing else record.first_error))
    report = compose([*records, *pypy], cases)
    assert sum(r.python == "pypy3.12" for r in report.records) == len(pypy)

    texts = {name: data.decode() for name, data in render_texts(report).items()}
    published = gzip.decompress(render_files(report)["compat.csv.gz"]).decode()
    cells = list(csv.DictReader(io.StringIO(published)))
    mine = [c for c in cells if c["cell_id"] == "pp3.12-cy3.0.12"]
    assert len(mine) == len(pypy) and {c["python"] for c in mine} == {"pypy3.12"}
    assert f"`{victim.case_id}` (pp3.12: cy3.0.12)" in texts["notes.md"]
    assert "### Python pypy3.12 (3.12.7)" in texts["detail.md"]

    data = page_data(report)
    pythons = data["pythons"]
    assert pythons.index("pypy3.12") == pythons.index("3.12") + 1
    assert "pp3.12-cy3.0.12" in data["cell_ids"]  # the page spells no cell id itself
    assert data["cell_try"][data["cell_ids"].index("pp3.12-cy3.0.12")].startswith(
        "nox -s matrix -- try --python pypy3.12 --cython 3.0.12")

    published = {**json.loads(texts["compat.json"]), "cells": cells}
    cpython_only = answer(published, SupportRange.parse("==3.12.*", "==3.0.12", ""))
    assert "pypy3.12" not in cpython_only.tested["python"], "not a kind the range names"
    assert all(f.cell_id != "pp3.12-cy3.0.12" for c in cpython_only.cases for f in c.failures)
    controls = sum(1 for r in pypy if next(c for c in cases if c.id == r.case_id).is_control)
    assert (f"{len(pypy) - controls} cells of other interpreters are out of range (PyPy"
            f" {len(pypy) - controls}): --interpreter names the kinds in range (e.g."
            " --interpreter cpython,pypy)") in cpython_only.warnings
    on_312 = answer(published, SupportRange.parse("==3.12.*", "==3.0.12", "",
                                                  interpreters="cpython,pypy"))
    hit = next(c for c in on_312.cases if c.case_id == victim.case_id)
    assert hit.verdict == "fails"
    assert [f.cell_id for f in hit.failures] == ["pp3.12-cy3.0.12"]
    assert hit.failures[0].reproduce.startswith(
        "nox -s matrix -- try --python pypy3.12 --cython 3.0.12")
    assert "pypy3.12" in on_312.tested["python"]
    assert on_312.tested["python"].index("pypy3.12") > on_312.tested["python"].index("3.12")
    elsewhere = answer(published, SupportRange.parse("<3.12", "==3.0.12", "",
                                                     interpreters="all"))
    assert all(f.cell_id != "pp3.12-cy3.0.12" for c in elsewhere.cases for f in c.failures)
    part = answer(published, SupportRange.parse(">=3.12.5", "==3.0.12", "",
                                                interpreters="cpython,pypy"))
    assert part.tested["python"] == ["pypy3.12"], "PyPy 3.12.7 is in, CPython 3.12.1 is not"
    assert any("keeps Python pypy3.12 because the tested 3.12.7" in w for w in part.warnings)
