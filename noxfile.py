"""Nox sessions of cython-memory-matrix.

* ``nox -s matrix``  -- measure the default grid (every core), then render the report.
  Selection flags go after ``--``: ``nox -s matrix -- --quick``, ``-- --cython '3.0.*'``.
* ``nox -s report``  -- render the report from stored results; builds nothing.
* ``nox -s tests``   -- the test suite (real builds on two Cython and two numpy releases).
* ``nox -s "cell(python='3.11', cython='3.3.1', numpy='2.3.5')"`` -- one cell; ``nox -l --json``
  lists every cell of the default grid, which is how CI fans the grid out to jobs.

The per-cell interpreters (2.7, 3.6 ... 3.15) are *not* nox interpreters: the engine makes its own
environments per cell (uv, or legacy virtualenv for 2.7), so nox never fails on a missing
interpreter, even with ``CI`` set: a Python this machine lacks is simply "not tested here".
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent


def _grid_cells() -> list[tuple[list[str], str]]:
    """Cells of the default grid as (matrix-run arguments, readable id); empty if unavailable."""
    sys.path.insert(0, str(ROOT))
    try:
        from matrix.axes import Selection, plan_grid
        from matrix.index import load_index
        from matrix.interpreters import discover_interpreters
        from matrix.paths import Layout

        index = load_index(Layout.default().cache / "index")
        plan = plan_grid(discover_interpreters(), index, Selection())
    except Exception as exc:  # noqa: BLE001 - listing must never break the other sessions
        print(f"noxfile: cannot list the grid cells ({exc})", file=sys.stderr)
        return []
    finally:
        sys.path.pop(0)
    cells = []
    for planned in plan.cells:
        cell = planned.cell
        label = f"python='{cell.python}', cython='{cell.cython}'"
        if cell.numpy_build is not None:
            label += f", numpy='{cell.numpy_build}'"
            if cell.numpy_run != cell.numpy_build:
                label += f", numpy_run='{cell.numpy_run}'"
        cells.append((["--cell", cell.id], label))
    return cells


CELLS = _grid_cells()


BROWSER_PACKAGES = ("chromium", "fonts-noto-color-emoji")
"""Debian packages the web page's browser tests drive (the font makes the screenshot's symbols
readable)."""


def _ensure_chromium(session: nox.Session) -> None:
    """Install Debian's Chromium for the browser tests when it is missing (root or sudo needed;
    without them the browser tests skip, or fail under ``CI``)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if not shutil.which("apt-get"):
        session.warn("no chromium and no apt-get: the browser tests cannot run here")
        return
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        session.warn("no chromium, and installing it needs root: the browser tests cannot run")
        return
    session.run(*sudo, "apt-get", "update", "-qq", external=True)
    session.run(*sudo, "apt-get", "install", "-y", "-qq", *BROWSER_PACKAGES, external=True,
                env={"DEBIAN_FRONTEND": "noninteractive"})


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite: unit tests, real builds (skip them with -m 'not slow') and the web
    page in Chromium (-m 'not browser')."""
    _ensure_chromium(session)
    session.install("-e", ".[test,report]")
    session.run("pytest", *session.posargs)


@nox.session(default=False)
def matrix(session: nox.Session) -> None:
    """Measure the selected grid (default: the whole default grid), then render the report."""
    session.install("-e", ".[report]")
    session.run("python", "-m", "matrix", "run", *session.posargs)
    args = list(session.posargs)
    if "--results" in args:  # render what this run measured, next to it
        results = Path(args[args.index("--results") + 1])
        session.run("python", "-m", "report", "render", "--results",
                    str(results / "records.jsonl"), "--out", str(results / "docs"))
    else:
        session.run("python", "-m", "report", "render")


@nox.session(default=False)
def report(session: nox.Session) -> None:
    """Render the published report from the stored results, without building anything."""
    session.install("-e", ".[report]")
    session.run("python", "-m", "report", "render", *session.posargs)


# Cell sessions share one results store safely, so they may run side by side under
# `nox -t cells --parallel 2` (nox >= 2026.08; older nox has no such option and no argument).
_PARALLEL: dict[str, Any] = ({"allow_parallel": True}
             if "allow_parallel" in inspect.signature(nox.session).parameters else {})


@nox.session(venv_backend="none", default=False, tags=["cells"], **_PARALLEL)
@nox.parametrize("cell_args", [args for args, _ in CELLS], ids=[label for _, label in CELLS])
def cell(session: nox.Session, cell_args: list[str]) -> None:
    """Measure one cell of the default grid into results/ (for CI fan-out)."""
    session.run(sys.executable, "-m", "matrix", "run", *cell_args, "--jobs", "1",
                *session.posargs, external=True)
