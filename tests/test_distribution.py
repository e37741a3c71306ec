"""The distribution people install: a wheel and an sdist built by the standard backend from
this checkout, checked by twine, installed into a fresh venv with nothing else around, where
``cymatrix query`` answers from the snapshot it ships, with no repository and no network for
the answer (the venv's own packages come from the index), and writes nothing into the
installed package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import missing_prerequisite

ROOT = Path(__file__).resolve().parent.parent
BASE_DISTRIBUTIONS = {"cython-memory-matrix", "cython", "packaging", "platformdirs", "tabulate"}
"""The base install's dependency closure (docs/internals.md lists it; tomli too before 3.11)."""
BASE_LIMIT_BYTES = 30 * 1024 * 1024


def _uv() -> str:
    found = shutil.which("uv")
    if found is None:
        missing_prerequisite("uv is not on PATH (it builds and installs the distribution)")
    return found


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The built wheel and sdist, and a fresh venv with the wheel installed."""
    uv = _uv()
    work = tmp_path_factory.mktemp("distribution")
    dist = work / "dist"
    built = subprocess.run([uv, "build", "--out-dir", str(dist), str(ROOT)],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr[-3000:]
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(dist.iterdir())
    venv = work / "venv"
    for command in ([uv, "venv", "--quiet", "--seed", "--python", sys.executable, str(venv)],
                    [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                     str(wheels[0])]):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (command, done.stderr[-3000:])
    home = work / "home"
    (home / "project").mkdir(parents=True)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(home),
           "XDG_CACHE_HOME": str(home / ".cache"), "LANG": "C.UTF-8"}
    return {"dist": dist, "wheel": wheels[0], "sdist": sdists[0], "venv": venv, "env": env,
            "cwd": home / "project", "home": home}


def run(installed: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    """A command of the venv, run away from the repository (its own folder, HOME, no
    PYTHONPATH)."""
    return subprocess.run([*args], capture_output=True, text=True, check=False,
                          cwd=installed["cwd"], env=installed["env"])


def _files(venv: Path) -> dict[str, float]:
    site = next(venv.glob("lib/python*/site-packages"))
    return {str(p): p.stat().st_mtime for p in site.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_wheel_and_sdist_pass_twine_check(installed: dict[str, Any]) -> None:
    twine = shutil.which("twine") or missing_prerequisite("twine is not installed (test extra)")
    done = subprocess.run([twine, "check", "--strict", str(installed["wheel"]),
                           str(installed["sdist"])], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2, done.stdout


def test_the_base_install_is_small_and_only_what_a_query_needs(installed: dict[str, Any]
                                                              ) -> None:
    python = installed["venv"] / "bin" / "python"
    listing = run(installed, str(python), "-c", (
        "import json, importlib.metadata as m\n"
        "print(json.dumps({d.metadata['Name'].lower(): sum((f.size or 0) for f in d.files or ())"
        " for d in m.distributions()}))"))
    assert listing.returncode == 0, listing.stderr
    sizes = json.loads(listing.stdout)
    expected = BASE_DISTRIBUTIONS | ({"tomli"} if sys.version_info < (3, 11) else set())
    assert set(sizes) - {"pip", "setuptools", "wheel"} == expected, sizes
    assert sum(sizes.values()) < BASE_LIMIT_BYTES, sizes


def test_an_installed_query_answers_from_the_shipped_snapshot(installed: dict[str, Any]
                                                              ) -> None:
    """``cymatrix query`` in a folder with no repository: the answer, its source named, the
    documented exit statuses (1: a case fails; 0: every selected case works; 2: usage);
    nothing written into the installed package, the cache in the user's cache folder."""
    before = _files(installed["venv"])
    cymatrix = str(installed["venv"] / "bin" / "cymatrix")
    answer = run(installed, cymatrix, "query", "--python", ">=3.9", "--cython", ">=3.0")
    assert answer.returncode == 1, answer.stderr  # some case fails on its own there
    lines = answer.stdout.splitlines()
    assert lines[0] == "Support range: python >=3.9, cython >=3.0, numpy any"
    assert lines[1].startswith("Data: published results of 20")
    assert lines[1].endswith("from the snapshot shipped with cymatrix 0.1.0")
    works = run(installed, cymatrix, "query", "--python", ">=3.9", "--cython", ">=3.0",
                "--case", "int-memoryview-copy", "--json")
    assert works.returncode == 0, works.stdout + works.stderr
    assert json.loads(works.stdout)["cases"][0]["verdict"] == "works"
    bad = run(installed, cymatrix, "query", "--python", "3.9")
    assert bad.returncode == 2 and "--python" in bad.stderr
    helped = run(installed, cymatrix, "query", "--help")
    assert helped.returncode == 0 and "exit" in helped.stdout.lower()
    module = run(installed, str(installed["venv"] / "bin" / "python"), "-m", "report", "query",
                 "--python", ">=3.9", "--cython", ">=3.0")
    assert module.returncode == 1 and module.stdout == answer.stdout
    assert _files(installed["venv"]) == before, "the query wrote into the installed package"
    cache = installed["home"] / ".cache" / "cython-memory-matrix" / "query"
    assert any(cache.iterdir()), "the query's cache is in the user's cache folder"
    assert not any(p.name.startswith(".cache") for p in installed["cwd"].iterdir())


def test_measuring_from_an_installed_copy_says_it_needs_a_clone(installed: dict[str, Any]
                                                              ) -> None:
    done = run(installed, str(installed["venv"] / "bin" / "cymatrix-measure"), "list")
    assert done.returncode == 2
    assert "measures from a clone of the project" in done.stderr
    assert "git clone https://github.com/" in done.stderr
    rendered = run(installed, str(installed["venv"] / "bin" / "cymatrix"), "render")
    assert rendered.returncode == 2
    assert "render needs the report extra (missing: " in rendered.stderr


def test_the_source_distribution_builds_the_same_wheel_contents(installed: dict[str, Any]
                                                                ) -> None:
    """The sdist holds what the wheel is built from: building it again gives a wheel with the
    same files (the snapshot among them)."""
    import zipfile

    uv = _uv()
    again = installed["dist"].parent / "again"
    done = subprocess.run([uv, "build", "--wheel", "--out-dir", str(again),
                           str(installed["sdist"])], capture_output=True, text=True, check=False,
                          env={**os.environ})
    assert done.returncode == 0, done.stderr[-2000:]
    names = {n for n in zipfile.ZipFile(installed["wheel"]).namelist() if ".dist-info/" not in n}
    rebuilt = {n for n in zipfile.ZipFile(next(again.glob("*.whl"))).namelist()
               if ".dist-info/" not in n}
    assert names == rebuilt
    assert "report/snapshot/query-data.json.gz" in names


def test_an_installed_query_reads_the_range_from_the_projects_pyproject(
        installed: dict[str, Any]) -> None:
    """With no flags, in a project folder: the range its pyproject.toml declares, said first."""
    project = installed["home"] / "myproject"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools", "Cython>=3.0", "numpy>=2.0"]\n\n'
        '[project]\nname = "myproject"\nrequires-python = ">=3.9"\n', encoding="utf-8")
    done = subprocess.run([str(installed["venv"] / "bin" / "cymatrix"), "query"],
                          capture_output=True, text=True, check=False, cwd=project,
                          env=installed["env"])
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ("Range from pyproject.toml: python >=3.9 (project.requires-python),"
                        " cython >=3.0 (build-system.requires), numpy >=2.0"
                        " (build-system.requires)")
    assert lines[1] == "Support range: python >=3.9, cython >=3.0, numpy >=2.0"
    flagged = subprocess.run([str(installed["venv"] / "bin" / "cymatrix"), "query", "--json",
                              "--cython", ">=3.1"], capture_output=True, text=True,
                             check=False, cwd=project, env=installed["env"])
    assert json.loads(flagged.stdout)["range"] == "python >=3.9, cython >=3.1, numpy >=2.0"


def test_the_readmes_install_query_and_scan_commands_run_as_shown(installed: dict[str, Any]
                                                                  ) -> None:
    """Every ``cymatrix ...`` command the README shows runs in the venv its ``python3 -m pip
    install .`` makes (the wheel built here), in order, after the source downloads it shows
    (``pip download`` of a pinned sdist, ``tar xzf``): each answers with status 0 or 1, and
    the output the README shows comes out, in order ("..." stands for lines left out)."""
    from tests.test_readme_commands import (
        COMMANDS,
        PLACEHOLDERS,
        InstallCheck,
        SdistCheck,
        ToolCheck,
        assert_shows,
        plans,
    )

    checks = [(shown, plans(shown)) for shown in COMMANDS]
    assert any(isinstance(c, InstallCheck) for _, found in checks for c in found)
    ran = 0
    work = installed["home"] / "readme"
    work.mkdir(exist_ok=True)
    for shown, found in checks:
        if not found or not all(isinstance(c, (ToolCheck, SdistCheck)) for c in found):
            continue
        if set(shown.text.split()) & set(PLACEHOLDERS):  # a form (`cymatrix scan PATH...`)
            continue
        done = subprocess.run(["bash", "-c", shown.text], capture_output=True, text=True,
                              check=False, cwd=work, env=installed["env"])
        assert done.returncode in (0, 1), (shown.text, done.stdout[-2000:], done.stderr[-2000:])
        ran += any(isinstance(c, ToolCheck) for c in found)
        if any(isinstance(c, ToolCheck) for c in found):
            lines = done.stdout.splitlines()
            assert lines[0].startswith(("Support range: ", "Range from ")), lines[:2]
        assert_shows(shown, done.stdout)
    assert ran >= 2, "the README shows the installed query and scan"


def test_an_installed_scan_reads_a_projects_sources(installed: dict[str, Any]) -> None:
    """``cymatrix scan`` in the fresh venv (Cython is in the base install): a conversion of the
    project's own file answered from the shipped data, at file:line:col."""
    project = installed["home"] / "scanned"
    project.mkdir()
    (project / "views.pyx").write_text(
        "cdef bytearray ba = bytearray(b'abc')\ncdef char* p = ba\n", encoding="utf-8")
    done = subprocess.run([str(installed["venv"] / "bin" / "cymatrix"), "scan", "views.pyx",
                           "--python", ">=3.9", "--cython", ">=3.0", "--safe"],
                          capture_output=True, text=True, check=False, cwd=project,
                          env=installed["env"])
    assert done.returncode == 1, done.stdout + done.stderr  # --safe: the pointer dangles
    assert "  2:16  ↯ bytearray -> char * (coercion): bytearray-to-char-pointer:" in done.stdout
