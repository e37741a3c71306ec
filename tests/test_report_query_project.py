"""report/query/project.py: the support range a project's pyproject.toml declares (small TOML
files in tmp_path), its errors naming file and field, and ``python -m report query`` reading it
from the current folder or ``--project`` (over the report fixture's compat.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from report.cli import main
from report.query.project import (
    NOT_DECLARED,
    Declared,
    ProjectRange,
    locate,
    project_range,
    read_project,
)
from report.query.status import EXIT_USAGE, QueryError

DATA = Path(__file__).parent / "fixtures" / "report" / "expected" / "compat.json"
NO_FLAGS: dict[str, str | None] = {"python": None, "cython": None, "numpy": None}


def project(folder: Path, text: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def declared(tmp_path: Path, text: str) -> ProjectRange:
    return read_project(project(tmp_path, text))


def test_each_axis_from_its_field(tmp_path: Path) -> None:
    found = declared(tmp_path, """
[build-system]
requires = ["setuptools>=64", "Cython>=3.0,<3.2", "numpy>=2.0"]
[project]
name = "x"
requires-python = ">=3.9"
""")
    assert found.python == Declared("python", ">=3.9", "project.requires-python")
    assert found.cython == Declared("cython", "<3.2,>=3.0", "build-system.requires")
    assert found.numpy == Declared("numpy", ">=2.0", "build-system.requires")
    assert found.specifiers() == (">=3.9", "<3.2,>=3.0", ">=2.0")


def test_names_are_normalized(tmp_path: Path) -> None:
    found = declared(tmp_path, '[build-system]\nrequires = ["cython>=0.29", "NumPy>=1.21"]\n')
    assert found.cython.specifier == ">=0.29"
    assert found.numpy.specifier == ">=1.21"


def test_what_is_absent_stays_open_and_is_said(tmp_path: Path) -> None:
    found = declared(tmp_path, '[project]\nname = "x"\n')
    assert found.specifiers() == (None, None, None)
    assert {d.source for d in found.axes} == {NOT_DECLARED}
    assert found.text() == (f"Range from {tmp_path / 'pyproject.toml'}: python any (not declared),"
                            " cython any (not declared), numpy any (not declared)")


def test_a_requirement_without_a_version_is_any(tmp_path: Path) -> None:
    found = declared(tmp_path, '[build-system]\nrequires = ["Cython"]\n')
    assert found.cython == Declared("cython", None, "build-system.requires",
                                    ("no version given",))


def test_several_requirements_of_one_name_are_joined(tmp_path: Path) -> None:
    found = declared(tmp_path, '[build-system]\nrequires = ["Cython>=0.29", "cython<3.1"]\n')
    assert found.cython.specifier == "<3.1,>=0.29"
    assert found.cython.notes == ("2 requirements joined",)


def test_a_marker_is_kept_not_evaluated_and_said(tmp_path: Path) -> None:
    found = declared(tmp_path, """
[build-system]
requires = ["Cython>=3.1; python_version >= '3.13'", "Cython>=3.0"]
""")
    assert found.cython.specifier == ">=3.0,>=3.1"
    assert found.cython.notes == (
        "2 requirements joined",
        'build-system.requires[0]: marker python_version >= "3.13" kept, not evaluated')


def test_numpy_built_against_and_run_under_is_the_intersection(tmp_path: Path) -> None:
    found = declared(tmp_path, """
[build-system]
requires = ["numpy>=2.0"]
[project]
name = "x"
dependencies = ["numpy>=1.25,<3"]
""")
    assert found.numpy.specifier == "<3,>=1.25,>=2.0"
    assert found.numpy.source == "build-system.requires and project.dependencies"
    assert found.numpy.notes[0] == ("built against >=2.0, run under <3,>=1.25: the query"
                                    " holds both numpys to their intersection")


def test_numpy_run_under_alone(tmp_path: Path) -> None:
    found = declared(tmp_path, '[project]\nname = "x"\ndependencies = ["numpy>=1.21"]\n')
    assert found.numpy == Declared("numpy", ">=1.21", "project.dependencies")


def test_oldest_supported_numpy_is_not_a_range(tmp_path: Path) -> None:
    found = declared(tmp_path, '[build-system]\nrequires = ["oldest-supported-numpy"]\n')
    assert found.numpy.specifier is None
    assert found.numpy.source == "build-system.requires"
    assert "oldest-supported-numpy is numpy's oldest release per Python, not a range" in \
        found.numpy.text()
    # beside a run range, that range holds, and the build side is said to be open
    found = declared(tmp_path, """
[build-system]
requires = ["Oldest_Supported_NumPy"]
[project]
name = "x"
dependencies = ["numpy>=1.22"]
""")
    assert found.numpy.specifier == ">=1.22"
    assert found.numpy.source == "project.dependencies"
    assert found.numpy.notes[0].startswith("oldest-supported-numpy")


def test_flags_override_their_axis_only(tmp_path: Path) -> None:
    found = declared(tmp_path, """
[build-system]
requires = ["Cython>=3.0"]
[project]
name = "x"
requires-python = ">=3.9"
""").overridden({"python": None, "cython": "<3.1", "numpy": None})
    assert found.specifiers() == (">=3.9", "<3.1", None)
    assert found.cython.source == "--cython"
    assert found.to_json()["python"] == {"specifier": ">=3.9", "from": "project.requires-python",
                                         "notes": []}


@pytest.mark.parametrize(("text", "message"), [
    ("[project\n", "pyproject.toml: not TOML"),
    ('project = "x"\n', "pyproject.toml: project: not a table"),
    ('[project]\nrequires-python = 3.9\n',
     "pyproject.toml: project.requires-python 3.9: not a string"),
    ('[project]\nrequires-python = ">=3.x"\n',
     "pyproject.toml: project.requires-python '>=3.x': not a PEP 440 specifier"),
    ('[project]\nrequires-python = "3.9"\n',
     "pyproject.toml: project.requires-python '3.9': not a PEP 440 specifier"),
    ('[build-system]\nrequires = "Cython"\n',
     "pyproject.toml: build-system.requires: not a list of PEP 508 requirements"),
    ('[build-system]\nrequires = ["setuptools", 3]\n',
     "pyproject.toml: build-system.requires[1] 3: not a string"),
    ('[build-system]\nrequires = ["setuptools", "wheel", "Cython >=>3"]\n',
     "pyproject.toml: build-system.requires[2] 'Cython >=>3': not a PEP 508 requirement"),
    ('[build-system]\nrequires = ["numpy>=1.x"]\n',
     "pyproject.toml: build-system.requires[0] 'numpy>=1.x': not a PEP 508 requirement"),
    ('[project]\ndependencies = ["numpy>=1", "numpy!"]\n',
     "pyproject.toml: project.dependencies[1] 'numpy!': not a PEP 508 requirement"),
])
def test_errors_name_the_file_and_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = project(tmp_path, text)
    with pytest.raises(QueryError) as caught:
        read_project(path)
    assert str(caught.value).startswith(f"{tmp_path}/{message}")


def test_locate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert locate(None) is None  # no project here: today's whole range
    path = project(tmp_path, '[project]\nname = "x"\n')
    assert locate(None) == Path("pyproject.toml")
    assert locate(None, own=path) is None  # the harness's own is never read implicitly
    assert locate(str(tmp_path)) == tmp_path / "pyproject.toml"
    assert locate(str(path)) == path
    (tmp_path / "empty").mkdir()
    with pytest.raises(QueryError, match="--project .*empty: no pyproject.toml there"):
        locate(str(tmp_path / "empty"))


def test_every_flag_given_reads_no_project(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    project(tmp_path, "[project\n")  # unreadable: reading it would be an error
    assert project_range(None, {"python": "", "cython": "", "numpy": ">=1"}) is None
    with pytest.raises(QueryError, match="not TOML"):
        project_range(None, {**NO_FLAGS, "numpy": ">=1"})


# ---- the command ----------------------------------------------------------------------------

PROJECT = """
[build-system]
requires = ["setuptools", "Cython>=3.0"]
[project]
name = "x"
requires-python = ">=3.9"
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["query", "--data", str(DATA), *args])
    return status, capsys.readouterr().out


def test_query_reads_the_project_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, PROJECT)
    monkeypatch.chdir(tmp_path)
    status, out = run(capsys)
    lines = out.splitlines()
    assert lines[0] == ("Range from pyproject.toml: python >=3.9 (project.requires-python),"
                        " cython >=3.0 (build-system.requires), numpy any (not declared)")
    assert lines[1] == "Support range: python >=3.9, cython >=3.0, numpy any"
    # the fixture's tested versions in that range: Python 3.12 only, Cython 3.0 and 3.1
    assert lines[2].startswith("Data: published results of ")
    assert lines[3].startswith("Tested in range: python 3.12; cython 3.0.12, 3.1.4;")
    assert status == run(capsys, "--python", ">=3.9", "--cython", ">=3.0")[0]


def test_a_flag_overrides_one_axis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    project(tmp_path, PROJECT)
    monkeypatch.chdir(tmp_path)
    status, out = run(capsys, "--cython", "<3.1", "--json")
    found = json.loads(out)
    assert found["range_source"]["file"] == "pyproject.toml"
    assert found["range_source"]["python"]["from"] == "project.requires-python"
    assert found["range_source"]["cython"] == {"specifier": "<3.1", "from": "--cython",
                                               "notes": []}
    assert found["range"] == "python >=3.9, cython <3.1, numpy any"
    assert found["tested"]["python"] == ["3.12"]
    assert found["tested"]["cython"] == ["0.27.3", "0.29.37", "3.0.12"]
    assert status == found["exit_status"]


def test_no_project_is_the_whole_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _, out = run(capsys, "--json")
    found = json.loads(out)
    assert "range_source" not in found
    assert found["range"] == "python any, cython any, numpy any"
    assert found["tested"]["python"] == ["2.7", "3.6", "3.12"]


def test_project_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    project(mine, PROJECT.replace(">=3.9", "<3.7"))
    monkeypatch.chdir(tmp_path)
    _, out = run(capsys, "--project", "mine")
    assert out.splitlines()[0].startswith(
        "Range from mine/pyproject.toml: python <3.7 (project.requires-python)")
    assert "Support range: python <3.7, cython >=3.0, numpy any" in out
    # --project reads it even with every axis given as a flag
    _, out = run(capsys, "--project", "mine", "--python", ">=3", "--cython", ">=0", "--numpy",
                 ">=1")
    assert out.splitlines()[0] == ("Range from mine/pyproject.toml: python >=3 (--python),"
                                   " cython >=0 (--cython), numpy >=1 (--numpy)")


def test_project_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["query", "--data", str(DATA), "--project", "nowhere"]) == EXIT_USAGE
    assert "--project nowhere: no pyproject.toml there" in capsys.readouterr().err
    project(tmp_path, '[build-system]\nrequires = ["Cython >=>3"]\n')
    assert main(["query", "--data", str(DATA)]) == EXIT_USAGE
    assert ("pyproject.toml: build-system.requires[0] 'Cython >=>3': not a PEP 508 requirement"
            in capsys.readouterr().err)
