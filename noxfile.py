"""Nox sessions of cython-memory-matrix (set-up: ``python3 -m pip install nox uv``).
``nox -s SESSION -- ARGS`` runs one; ``nox --usage SESSION`` explains it. One ``cell(<id>)``
session per cell of the default grid is listed by ``nox -l -t cells`` only.
"""

# `nox -l` prints the docstring above: keep it short, each session's first docstring line is its
# one-line description, the rest is what `nox --usage SESSION` adds.
#
# The per-cell interpreters (2.7, 3.6 ... 3.15) are *not* nox interpreters: the engine makes its
# own environments per cell (uv, or legacy virtualenv for 2.7), so nox never fails on a missing
# interpreter, even with ``CI`` set: a Python this machine lacks is simply "not tested here".

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent

CELLS_TAG = "cells"
"""The tag of the per-cell sessions: ``nox -l -t cells`` lists them, ``nox -t cells`` runs
them."""


def selects_cells(argv: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Whether nox's command line ``argv`` may select a per-cell session, so that they must exist.

    Read with nox's own option names (nox takes no abbreviations): ``-t``/``--tags`` naming
    ``cells``; a session named ``cell...`` by ``-s``/``-e``/``--session(s)``, ``NOXSESSION`` or
    ``--usage``; any ``-k``/``--keywords`` (an expression may match a cell id alone). What follows
    ``--`` is the session's, not nox's. When the line cannot be read, they are defined.
    """
    words = list(argv)
    if "--" in words:
        words = words[:words.index("--")]
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("-s", "-e", "--sessions", "--session", nargs="*", default=[])
    parser.add_argument("-t", "--tags", nargs="*", default=[])
    parser.add_argument("-k", "--keywords")
    parser.add_argument("--usage", nargs=1, default=[])
    try:
        known, _ = parser.parse_known_args(words)
    except (argparse.ArgumentError, SystemExit):
        return True
    sessions = [*known.sessions, *known.usage, *environ.get("NOXSESSION", "").split(",")]
    return (CELLS_TAG in known.tags or known.keywords is not None
            or any(name.strip().startswith("cell") for name in sessions))


def _nox_argv(environ: Mapping[str, str]) -> list[str]:
    """nox's command line: ``sys.argv``, or the line being completed under shell completion
    (argcomplete's ``COMP_LINE``, so ``nox -s cell<TAB>`` completes the cell ids)."""
    if "_ARGCOMPLETE" in environ:
        return environ.get("COMP_LINE", "").split()[1:]
    return sys.argv[1:]


def _grid_cells() -> list[str]:
    """The cell ids of the default grid (``py3.11-cy0.29.37-clang``: the ids the results and
    the report carry, compiler included); empty if unavailable."""
    sys.path.insert(0, str(ROOT))
    try:
        from matrix.plan.grid import Selection, plan_grid
        from matrix.plan.index import load_index
        from matrix.plan.interpreters import discover_interpreters
        from matrix.store.paths import Layout

        index = load_index(Layout.default().cache / "index")
        plan = plan_grid(discover_interpreters(), index, Selection())
    except Exception as exc:  # noqa: BLE001 - listing must never break the other sessions
        print(f"noxfile: cannot list the grid cells ({exc})", file=sys.stderr)
        return []
    finally:
        sys.path.pop(0)
    return [planned.cell.id for planned in plan.cells]


CELLS = _grid_cells() if selects_cells(_nox_argv(os.environ), os.environ) else []
"""The ids of the per-cell sessions: the default grid's when the command line may select one
(``nox -l`` alone stays a short list of what a person runs), else none."""


BROWSER_PACKAGES = ("chromium", "fonts-noto-color-emoji")
"""Debian packages the web page's browser tests drive (the font makes the screenshot's symbols
readable)."""
PYPY_PACKAGES = ("pypy3", "pypy3-dev", "pypy3-venv")
"""Debian's PyPy (bookworm: PyPy 7.3.11, Python 3.9, as ``pypy3.9``) with its headers and venv,
for the real builds on PyPy."""


def _apt_install(session: nox.Session, purpose: str, packages: tuple[str, ...]) -> None:
    """Install Debian ``packages`` for ``purpose`` (root or sudo needed; without them the tests
    that need them skip, or fail under ``CI``)."""
    if not shutil.which("apt-get"):
        session.warn(f"no apt-get: {purpose} cannot run here")
        return
    sudo = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else None)
    if sudo is None:
        session.warn(f"installing {', '.join(packages)} needs root: {purpose} cannot run")
        return
    session.run(*sudo, "apt-get", "update", "-qq", external=True)
    session.run(*sudo, "apt-get", "install", "-y", "-qq", *packages, external=True,
                env={"DEBIAN_FRONTEND": "noninteractive"})


def _ensure_test_interpreters_and_browser(session: nox.Session) -> None:
    """Chromium for the browser tests and a PyPy for the real PyPy builds, from Debian when
    missing (any ``pypy3.X`` on ``PATH`` will do)."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        _apt_install(session, "the browser tests", BROWSER_PACKAGES)
    path = os.environ.get("PATH", "").split(os.pathsep)
    if not any(Path(d, f"pypy3.{minor}").is_file() for d in path for minor in range(9, 20)):
        _apt_install(session, "the real builds on PyPy", PYPY_PACKAGES)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite: unit tests, real builds and the web page in Chromium.

    Arguments after ``--`` go to pytest: ``-m 'not slow'`` skips the real builds (two Cython and
    two numpy releases), ``-m 'not browser'`` the web page. Chromium and a PyPy are installed from
    Debian when missing; a free-threaded CPython is used when present (``python3.13t``).
    """
    _ensure_test_interpreters_and_browser(session)
    session.install("-e", ".[test,measure,report]")
    session.run("pytest", *session.posargs)


MATRIX_COMMANDS = ("run", "list", "try", "bisect", "recheck", "aa", "merge", "compact",
                   "restore", "publish", "migrate", "snapshot")
"""``python -m matrix`` commands; ``nox -s matrix -- <command> ...`` runs one (tests check this
list against the command line's own)."""

REPORT_COMMANDS = ("render", "query", "regressions", "agree", "scan", "coming", "replay")
"""``python -m report`` commands; ``nox -s report -- <command> ...`` runs one."""


def _command(posargs: list[str], commands: tuple[str, ...], default: str) -> list[str]:
    """``posargs`` as a command line: as given when it starts with one of ``commands`` (or is
    just ``--help``/``-h``: the overview of every command), else ``default`` followed by
    them."""
    if posargs in (["--help"], ["-h"]):
        return posargs
    return posargs if posargs[:1] and posargs[0] in commands else [default, *posargs]


def _option(args: list[str], name: str) -> str | None:
    """The value of ``name`` in ``args`` (``--name VALUE`` or ``--name=VALUE``), or None."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


@nox.session(default=False)
def matrix(session: nox.Session) -> None:
    """Measure the selected grid (default: all of it), then render the report; or another command.

    Selection flags go after ``--``: ``nox -s matrix -- --quick``, ``-- --cython '3.0.*'``;
    ``-- --results DIR`` measures into DIR, renders into DIR/docs (changes.md against the
    published results of the same cells) and ends with the verdict: how many of its records agree
    with the published results (``python -m report agree``; a disagreement fails). A first
    argument that is a ``python -m matrix`` command runs that command instead: ``nox -s matrix --
    try --python 3.11 --cython 3.2.4 --case 'bytes-*'``, ``-- bisect ...``, ``-- list``,
    ``-- recheck``, ``-- aa ...``.
    """
    session.install("-e", ".[measure,report]")
    command = _command(list(session.posargs), MATRIX_COMMANDS, "run")
    session.run("python", "-m", "matrix", *command)
    if command[0] != "run" or "-h" in command or "--help" in command:
        return
    results = _option(command, "--results")
    if "--pre" in command:  # the canary lane: docs/ show what canary/ holds beside the table
        if results is None:
            session.run("python", "-m", "report", "render")
    elif results is not None:  # render what this run measured, next to it, against the published
        published = str(Path(__file__).parent / "results")  # results of the same cells
        session.run("python", "-m", "report", "render", "--results", results,
                    "--out", str(Path(results) / "docs"), "--baseline", published,
                    "--same-cells")
        # The verdict, last: does this machine agree with the published results?
        session.run("python", "-m", "report", "agree", "--results", results,
                    "--published", published)
    else:
        session.run("python", "-m", "report", "render")


@nox.session(default=False)
def report(session: nox.Session) -> None:
    """Render the report from the stored results (builds nothing); or another report command.

    A first argument that is a ``python -m report`` command runs it: ``nox -s report --
    regressions``, ``-- render --check``, ``-- agree --results DIR``.
    """
    session.install("-e", ".[report]")
    session.run("python", "-m", "report", *_command(list(session.posargs), REPORT_COMMANDS,
                                                    "render"))


@nox.session(default=False)
def query(session: nox.Session) -> None:
    """Which cases work across a support range, from the published data (builds nothing).

    ``nox -s query -- --python '>=3.8' --cython '>=3.0'`` runs ``python -m report query`` with
    those arguments; its exit status 1 (a selected case fails in the range) fails the session.
    """
    session.install("-e", ".")
    session.run("python", "-m", "report", "query", *session.posargs)


# Cell sessions share one results store safely, so they may run side by side under
# `nox -t cells --parallel 2` (nox >= 2026.08; older nox has no such option and no argument).
_PARALLEL: dict[str, Any] = ({"allow_parallel": True}
             if "allow_parallel" in inspect.signature(nox.session).parameters else {})


if CELLS:  # defined only when the command line may select one (see selects_cells)
    @nox.session(venv_backend="none", default=False, tags=[CELLS_TAG], **_PARALLEL)
    @nox.parametrize("cell_id", CELLS, ids=CELLS)
    def cell(session: nox.Session, cell_id: str) -> None:
        """Measure one cell of the default grid into results/ (``nox -l -t cells`` lists them).

        Each session is named by its cell's id, ``cell(py3.11-cy0.29.37-clang)``: ``nox -s
        "cell(py3.11-cy3.3.1-np2.3.5)"`` measures (or re-measures) one cell by hand, ``nox -t
        cells --parallel 2`` the default grid two cells at a time. They are defined only when
        nox's command line may select them (``-t cells``, ``-s 'cell(...)'``, ``-k``:
        :func:`selects_cells`), so ``nox -l`` stays short. CI does not fan out over them (a
        thousand cells, over GitHub's 256 jobs per matrix): its jobs are (Python, shard) pairs
        from ``python -m matrix.plan.ci``, each ``matrix run --shard``.
        """
        session.run(sys.executable, "-m", "matrix", "run", "--cell", cell_id, "--jobs", "1",
                    *session.posargs, external=True)
