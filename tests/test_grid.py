"""Axis discovery (fake interpreters, fake index), validity filtering and selection syntax."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.version import Version

from matrix.model.errors import SelectionError, UnknownVersionError
from matrix.plan.grid import (
    AXES_FILE,
    AxesConfig,
    Selection,
    abi_versions,
    newest_per_series,
    plan_grid,
)
from matrix.plan.index import ReleaseIndex, releases_from_summary, supported_tags
from matrix.plan.interpreters import Interpreter, discover_interpreters

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MANY = "manylinux2014_x86_64"


def fake_python(directory: Path, name: str, version: str | None,
                implementation: str = "CPython", abiflags: str = "-",
                own_release: str = "-") -> Path:
    """A script that answers the discovery probe like an interpreter (or fails to run):
    implementation, version, ``sys.abiflags`` (``-``: none), PyPy's own release."""
    directory.mkdir(parents=True, exist_ok=True)
    exe = directory / name
    answer = f"{implementation} {version} {abiflags} {own_release}"
    body = f"printf '%s' '{answer}'" if version else "exit 1"
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(0o755)
    return exe


def test_discovery_finds_pyenv_and_path_interpreters(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    fake_python(root / "versions" / "3.11.2" / "bin", "python3", "3.11.2")
    fake_python(root / "versions" / "3.11.7" / "bin", "python3", "3.11.7")
    fake_python(root / "versions" / "2.7.18" / "bin", "python2", "2.7.18")
    fake_python(root / "versions" / "3.14.0a1" / "bin", "python3", "3.14.0a1")  # pre-release
    fake_python(root / "versions" / "broken" / "bin", "python3", None)  # does not run
    path_dir = tmp_path / "usr-bin"
    fake_python(path_dir, "python3.9", "3.9.2")
    found = discover_interpreters(root=root, path_dirs=[str(path_dir)], uv_dir=tmp_path / "no")
    assert list(found) == ["2.7", "3.9", "3.11"]
    assert found["3.11"].version == Version("3.11.7"), "the newest patch serves the minor"
    assert found["3.9"].path == path_dir / "python3.9"


def test_discovery_with_nothing_installed(tmp_path: Path) -> None:
    assert discover_interpreters(root=tmp_path / "none", path_dirs=[],
                                 uv_dir=tmp_path / "no-uv") == {}


def test_discovery_finds_uv_managed_interpreters_and_says_where_each_came_from(
        tmp_path: Path) -> None:
    uv_dir = tmp_path / "uv-python"
    fake_python(uv_dir / "cpython-3.12.1-linux-x86_64-gnu" / "bin", "python3", "3.12.1")
    fake_python(uv_dir / "pypy-3.10.14-linux-x86_64-gnu" / "bin", "python3", "3.10.14", "PyPy",
                own_release="7.3.17")
    root = tmp_path / "pyenv"
    fake_python(root / "versions" / "3.11.7" / "bin", "python3", "3.11.7")
    path_dir = tmp_path / "usr-local-bin"
    fake_python(path_dir, "python3.14", "3.14.10")
    found = discover_interpreters(root=root, path_dirs=[str(path_dir)], uv_dir=uv_dir)
    assert list(found) == ["pypy3.10", "3.11", "3.12", "3.14"], "PyPy is its own axis value"
    assert {minor: i.source for minor, i in found.items()} == {
        "pypy3.10": "uv-managed", "3.11": "pyenv", "3.12": "uv-managed", "3.14": "PATH"}


def wheel(project: str, version: str, tag: str) -> str:
    return f"{project}-{version}-{tag}-{MANY}.whl"


def fake_index() -> ReleaseIndex:
    """Cython 0.27.3 (cp36 wheels only), 0.29.0 / 0.29.37 (universal), 3.0.0 / 3.0.12
    (py3 + cp311); numpy 1.19.5 (cp36), 1.26.4 (cp311, cp312), 2.1.3 (cp311, cp312, >=3.10)."""
    def release(version: str, wheels: list[str], requires: str | None = None) -> dict[str, object]:
        return {"version": version, "wheels": wheels, "requires_python": requires, "sdist": True}

    cython = [
        release("0.26.1", [wheel("Cython", "0.26.1", "cp36-cp36m")]),
        release("0.27.3", [wheel("Cython", "0.27.3", "cp36-cp36m")]),
        release("0.29.0", ["Cython-0.29.0-py2.py3-none-any.whl"]),
        release("0.29.37", ["Cython-0.29.37-py2.py3-none-any.whl"]),
        release("3.0.0", ["Cython-3.0.0-py2.py3-none-any.whl"]),
        release("3.0.12", ["Cython-3.0.12-py2.py3-none-any.whl",
                           wheel("Cython", "3.0.12", "cp311-cp311")]),
        release("3.1.0b1", ["Cython-3.1.0b1-py3-none-any.whl"]),
    ]
    numpy = [
        release("1.19.5", [wheel("numpy", "1.19.5", "cp36-cp36m")], ">=3.6"),
        release("1.26.4", [wheel("numpy", "1.26.4", "cp311-cp311"),
                           wheel("numpy", "1.26.4", "cp312-cp312")], ">=3.9"),
        release("2.1.3", [wheel("numpy", "2.1.3", "cp311-cp311"),
                          wheel("numpy", "2.1.3", "cp312-cp312")], ">=3.10"),
    ]
    return ReleaseIndex({"cython": releases_from_summary(cython),
                         "numpy": releases_from_summary(numpy)}, source="fake")


def interpreters(*versions: str) -> dict[str, Interpreter]:
    found = {}
    for text in versions:
        version = Version(text)
        found[f"{version.major}.{version.minor}"] = Interpreter(version, Path(f"/fake/{text}"))
    return found


CONFIG = AxesConfig(cython_floor=Version("0.27"), numpy_floor=Version("1.13"))


def ids(plan_cells: list) -> list[str]:  # type: ignore[type-arg]
    return [p.cell.id for p in plan_cells]


def test_newest_patch_per_series_skips_prereleases() -> None:
    versions = [Version(v) for v in ["0.29.0", "0.29.37", "3.0.0", "3.0.12", "3.1.0b1"]]
    assert newest_per_series(versions) == [Version("0.29.37"), Version("3.0.12")]


def test_wheel_tags() -> None:
    tags = {str(t) for t in supported_tags(Version("3.6.15"))}
    assert f"cp36-cp36m-{MANY}" in tags and "py2.py3-none-any" not in tags  # compressed sets
    assert "py3-none-any" in tags and "cp32-abi3-linux_x86_64" in tags
    assert "cp27-cp27mu-manylinux1_x86_64" in {str(t) for t in supported_tags(Version("2.7.18"))}


def test_default_grid_and_validity_filtering() -> None:
    plan = plan_grid(interpreters("3.6.15", "3.11.7"), fake_index(), Selection(), CONFIG)
    cells = {p.cell.id: p for p in plan.cells}
    # Cython: newest patch of each series from the floor, no pre-releases, nothing below 0.27.
    assert {p.cell.cython for p in plan.cells} == {"0.27.3", "0.29.37", "3.0.12"}
    # numpy: only series with a wheel for that Python.
    assert {p.cell.numpy_build for p in plan.cells if p.cell.python == "3.6"} == {None, "1.19.5"}
    assert {p.cell.numpy_build for p in plan.cells if p.cell.python == "3.11"} == {
        None, "1.26.4", "2.1.3"}
    # A Cython without a wheel for that Python is a shipped-C cell (its C generated where it
    # has a wheel), with the reason; it is still possible.
    shipped = cells["py3.11-cy0.27.3"]
    assert shipped.not_possible is None
    assert shipped.shipped_c is not None and "no wheel for CPython 3.11" in shipped.shipped_c
    assert [str(i.version) for i in shipped.generators] == ["3.6.15"]
    native = cells["py3.6-cy0.27.3"]
    assert native.not_possible is None and native.shipped_c is None
    # Generators are every Python with a wheel, newest first.
    assert [str(i.version) for i in cells["py3.6-cy3.0.12"].generators] == ["3.11.7", "3.6.15"]
    # numpy build-vs-run cells, built with the newest usable Cython.
    assert "py3.11-cy3.0.12-np1.26.4-run2.1.3" in cells
    assert "py3.11-cy3.0.12-np2.1.3-run1.26.4" in cells
    assert not [c for c in cells if c.startswith("py3.6") and "-run" in c]


def test_plan_order_is_stable() -> None:
    first = ids(plan_grid(interpreters("3.6.15", "3.11.7"), fake_index(), Selection(),
                          CONFIG).cells)
    second = ids(plan_grid(interpreters("3.11.7", "3.6.15"), fake_index(), Selection(),
                           CONFIG).cells)
    assert first == second
    assert first[0] == "py3.6-cy0.27.3"


def test_selection_by_exact_version_and_glob() -> None:
    plan = plan_grid(interpreters("3.11.7"), fake_index(),
                     Selection(cython=("0.29.*", "3.0.0"), numpy=("2.*",), abi=False,
                               compilers=("gcc",)), CONFIG)
    assert ids(plan.cells) == [
        "py3.11-cy0.29.0", "py3.11-cy0.29.0-np2.1.3",
        "py3.11-cy0.29.37", "py3.11-cy0.29.37-np2.1.3",
        "py3.11-cy3.0.0", "py3.11-cy3.0.0-np2.1.3",
    ]


def test_explicit_numpy_without_wheel_is_not_possible() -> None:
    plan = plan_grid(interpreters("3.11.7"), fake_index(),
                     Selection(cython=("3.0.12",), numpy=("1.19.5",), abi=False), CONFIG)
    cell = {p.cell.id: p for p in plan.cells}["py3.11-cy3.0.12-np1.19.5"]
    assert cell.not_possible is not None and "numpy 1.19.5" in cell.not_possible


def test_selection_by_python_and_cell_glob() -> None:
    plan = plan_grid(interpreters("3.6.15", "3.11.7"), fake_index(),
                     Selection(python=("3.1*",), cells=("*-np2.*",)), CONFIG)
    # numpy 2.1.3 is the newest 2.x here: every compiler; the build-vs-run cell: gcc only.
    assert ids(plan.cells) == [
        "py3.11-cy0.27.3-np2.1.3", "py3.11-cy0.27.3-np2.1.3-clang",
        "py3.11-cy0.27.3-np2.1.3-gcc14-errors",
        "py3.11-cy0.29.37-np2.1.3", "py3.11-cy0.29.37-np2.1.3-clang",
        "py3.11-cy0.29.37-np2.1.3-gcc14-errors",
        "py3.11-cy3.0.12-np2.1.3-run1.26.4",
        "py3.11-cy3.0.12-np2.1.3", "py3.11-cy3.0.12-np2.1.3-clang",
        "py3.11-cy3.0.12-np2.1.3-gcc14-errors"]


def test_selection_by_build_identifier() -> None:
    plan = plan_grid(interpreters("3.6.15", "3.11.7"), fake_index(),
                     Selection(python=("cp311",), cells=("*-cy3.0.12",)), CONFIG)
    assert ids(plan.cells) == ["py3.11-cy3.0.12"]


def test_default_compilers_every_one_on_core_and_the_newest_numpy_of_each_major() -> None:
    from packaging.version import Version

    from matrix.model.cells import Cell
    from matrix.plan.grid import default_compilers

    numpys = [Version(v) for v in ("1.19.5", "1.26.4", "2.0.2", "2.1.3")]
    every = ("gcc", "clang", "gcc14-errors")
    # AddressSanitizer on core cells only, where it can see the heap (CPython 3.6+ with a GIL)
    assert default_compilers(Cell("3.11", "3.0.12"), numpys) == (*every, "gcc-asan")
    assert default_compilers(Cell("2.7", "0.29.37"), numpys) == every
    assert default_compilers(Cell("3.13t", "3.1.8"), numpys) == ("gcc",)
    assert default_compilers(Cell("3.11", "3.0.12", "1.26.4", "1.26.4"), numpys) == every
    assert default_compilers(Cell("3.11", "3.0.12", "2.1.3", "2.1.3"), numpys) == every
    assert default_compilers(Cell("3.11", "3.0.12", "2.0.2", "2.0.2"), numpys) == ("gcc",)
    assert default_compilers(Cell("3.11", "3.0.12", "1.26.4", "2.1.3"), numpys) == ("gcc",)


def test_compiler_selection_quick_and_errors() -> None:
    plan = plan_grid(interpreters("3.11.7"), fake_index(),
                     Selection(cython=("3.0.0",), compilers=("cl*",), abi=False), CONFIG)
    assert ids(plan.cells) == ["py3.11-cy3.0.0-clang", "py3.11-cy3.0.0-np1.26.4-clang",
                               "py3.11-cy3.0.0-np2.1.3-clang"]
    quick = plan_grid(interpreters("3.11.7"), fake_index(), Selection(quick=True), CONFIG)
    assert {p.cell.compiler for p in quick.cells} == {"gcc"}
    with pytest.raises(SelectionError, match=r"--compiler icc: matches no compiler \(known: gcc"):
        plan_grid(interpreters("3.11.7"), fake_index(), Selection(compilers=("icc",)), CONFIG)


def test_a_compiler_is_part_of_the_cell_id_and_its_reproducer() -> None:
    from matrix.model.cells import Cell

    cell = Cell("3.13", "0.29.37", compiler="gcc14-errors")
    assert cell.id == "py3.13-cy0.29.37-gcc14-errors"
    assert cell.try_command("c") == ("nox -s matrix -- try --python 3.13 --cython 0.29.37"
                                     " --compiler gcc14-errors --case c")
    assert Cell("3.13", "0.29.37").id == "py3.13-cy0.29.37", "gcc ids are as they always were"


def test_missing_python_is_not_tested_here_not_an_error() -> None:
    plan = plan_grid(interpreters("3.11.7"), fake_index(), Selection(python=("3.11", "3.5")),
                     CONFIG)
    assert plan.not_tested == ["Python 3.5: no interpreter on this machine (not tested here)"]
    assert plan.cells


def test_unknown_versions_are_named_errors() -> None:
    with pytest.raises(UnknownVersionError, match=r"--cython 9\.9: no such cython release"):
        plan_grid(interpreters("3.11.7"), fake_index(), Selection(cython=("9.9",)), CONFIG)
    with pytest.raises(SelectionError, match=r"--numpy 7\.\*: matches no numpy release"):
        plan_grid(interpreters("3.11.7"), fake_index(), Selection(numpy=("7.*",)), CONFIG)
    with pytest.raises(UnknownVersionError, match="not a version"):
        plan_grid(interpreters("3.11.7"), fake_index(), Selection(cython=("banana",)), CONFIG)


def test_quick_preset_spans_old_and_new() -> None:
    plan = plan_grid(interpreters("3.6.15", "3.9.1", "3.11.7"), fake_index(),
                     Selection(quick=True), CONFIG)
    pythons = {p.cell.python for p in plan.cells}
    assert pythons == {"3.6", "3.11"}
    # On each Python its oldest and newest Cython, the oldest numpy with the oldest and the
    # newest with the newest, and one upgrade: built against the oldest numpy, run under the
    # newest (the fake index has one numpy for 3.6: no build-vs-run cell there).
    assert [p.cell.id for p in plan.cells if p.cell.python == "3.11"] == [
        "py3.11-cy0.29.37", "py3.11-cy0.29.37-np1.26.4", "py3.11-cy3.0.12",
        "py3.11-cy3.0.12-np1.26.4-run2.1.3", "py3.11-cy3.0.12-np2.1.3"]
    assert len(plan.cells) == 9


def test_abi_rules() -> None:
    numpys = [Version(v) for v in ["1.23.5", "1.24.4", "1.26.4", "2.0.2", "2.1.3"]]
    assert [str(v) for v in abi_versions(numpys, ["oldest-1", "newest-1", "every-2"])] == [
        "1.23.5", "1.26.4", "2.0.2", "2.1.3"]
    with pytest.raises(SelectionError, match="unknown rule"):
        abi_versions(numpys, ["newest-3"])


def test_committed_axes_file_loads() -> None:
    """The committed file's values, as the file states them (read here on their own)."""
    data = tomllib.loads(AXES_FILE.read_text(encoding="utf-8"))
    config = AxesConfig.load()
    assert config == AxesConfig(cython_floor=Version(data["cython"]["floor"]),
                                numpy_floor=Version(data["numpy"]["floor"]),
                                abi_builds=tuple(data["abi"]["builds"]))


def test_the_axes_file_decides_the_bounds(tmp_path: Path) -> None:
    """The committed file's values equal the defaults, so loading it alone cannot tell a
    loader that reads the file from one that ignores it: a file of other values can."""
    path = tmp_path / "axes.toml"
    path.write_text('[cython]\nfloor = "0.29"\n[numpy]\nfloor = "1.21"\n'
                    '[abi]\nbuilds = ["newest-1"]\n', encoding="utf-8")
    config = AxesConfig.load(path)
    assert config != AxesConfig()
    assert config == AxesConfig(cython_floor=Version("0.29"), numpy_floor=Version("1.21"),
                                abi_builds=("newest-1",))
    path.write_text('[cython]\nfloor = "0.29"\n', encoding="utf-8")
    with pytest.raises(SelectionError, match="malformed axes file"):
        AxesConfig.load(path)


def test_a_sanitizer_cell_says_why_it_is_not_possible_and_names_the_cause() -> None:
    """AddressSanitizer cannot see PyPy's heap (cause ``no-sanitizer``); where the index already
    rules the cell out (no numpy wheel), that reason and its cause stand."""
    from matrix.model.cells import Cell
    from matrix.model.interpreters import KINDS
    from matrix.model.policy import Cause
    from matrix.plan.grid import plan_cell

    cpython = Interpreter(Version("3.11.7"), Path("/fake/3.11.7"))
    pypy = Interpreter(Version("3.11.11"), Path("/fake/pypy3.11"), kind=KINDS["pypy"],
                       implementation_version="7.3.19")
    everyone = [cpython, pypy]
    core = plan_cell(Cell("pypy3.11", "3.0.12", compiler="gcc-asan"), pypy, fake_index(),
                     everyone)
    assert core.not_possible is not None and "cannot see PyPy's heap" in core.not_possible
    assert core.not_possible_cause is Cause.NO_SANITIZER
    numpy = plan_cell(Cell("pypy3.11", "3.0.12", "2.1.3", "2.1.3", "gcc-asan"), pypy,
                      fake_index(), everyone)
    assert numpy.not_possible == ("numpy 2.1.3 has no wheel for PyPy 3.11 on this platform"
                                  " (source builds are not attempted)")
    assert numpy.not_possible_cause is Cause.NO_WHEEL
    assert plan_cell(Cell("3.11", "3.0.12", compiler="gcc-asan"), cpython, fake_index(),
                     everyone).not_possible is None
