"""The noxfile as people and CI see it: ``nox -l`` is a short list of the sessions a person runs,
each with a one-line description; the per-cell sessions are there when the command line asks for
them (``-t cells``, ``-s 'cell(...)'``), as the docs say, and nowhere else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PEOPLE_SESSIONS = ("tests", "matrix", "report", "query")


def nox(*args: str, env: dict[str, str] | None = None) -> str:
    """The real nox's output for ``args``, run from the repository root."""
    command = shutil.which("nox") or str(Path(sys.executable).with_name("nox"))
    done = subprocess.run([command, "--no-color", *args], capture_output=True, text=True,
                          cwd=ROOT, check=True, env=env)
    return done.stdout


def sessions_listed(listing: str) -> list[str]:
    """The session lines of a ``nox -l`` listing (``* name [tags] -> description``, ``-`` when
    not selected), after the noxfile's docstring."""
    lines = listing.split("\nSessions defined in ", 1)[1].splitlines()[1:]
    return [line for line in lines if line[:2] in ("* ", "- ")]


def test_nox_list_is_short_with_one_line_descriptions() -> None:
    listing = nox("-l")
    assert len(listing.splitlines()) <= 20, listing
    sessions = sessions_listed(listing)
    described = dict(line[2:].split(" -> ", 1) for line in sessions if " -> " in line)
    assert sorted(described) == sorted(PEOPLE_SESSIONS) and len(sessions) == 4, listing
    for name, description in described.items():
        assert description.endswith(".") and len(description) > 20, (name, description)


def test_nox_list_by_tag_lists_every_cell_of_the_default_grid() -> None:
    """``nox -l -t cells`` (what docs/measuring.md shows) lists one session per planned cell,
    every one selected: the cells ``python -m matrix list`` plans for the default grid."""
    listed = [line.split()[1] for line in sessions_listed(nox("-l", "-t", "cells"))
              if line.startswith("* ")]
    planned = subprocess.run([sys.executable, "-m", "matrix", "list", "--json"],
                             capture_output=True, text=True, cwd=ROOT, check=True)
    ids = [cell["id"] for cell in json.loads(planned.stdout)]
    assert len(ids) >= 100
    assert sorted(listed) == sorted(f"cell({i})" for i in ids)


def test_one_cell_session_is_reachable_by_name() -> None:
    """``nox -s "cell(<id>)"`` finds its session, on the command line or in ``NOXSESSION``."""
    [first] = json.loads(nox("-l", "--json", "-t", "cells"))[:1]
    name = first["session"]
    assert [s["session"] for s in json.loads(nox("-l", "--json", "-s", name))] == [name]
    env = {**os.environ, "NOXSESSION": name}
    assert [s["session"] for s in json.loads(nox("-l", "--json", env=env))] == [name]


@pytest.mark.parametrize(("argv", "selects"), [
    ([], False),
    (["-l"], False),
    (["-l", "--json"], False),
    (["-s", "matrix", "--", "--cython", "3.0.*"], False),
    (["-s", "tests", "--", "-t", "cells", "-k", "cell"], False),  # the session's arguments
    (["--no-color", "-R", "-s", "query"], False),
    (["-l", "-t", "cells"], True),
    (["--tags", "lint", "cells"], True),
    (["--tags=cells"], True),
    (["-t", "cells", "--parallel", "2"], True),
    (["-s", "cell(py3.11-cy3.3.1-np2.3.5)"], True),
    (["--session", "tests", "cell(py3.11-cy3.3.1)"], True),
    (["-e", "cell"], True),
    (["-k", "py3.11"], True),  # a keyword expression may match a cell id alone
    (["--keywords=not tests"], True),
    (["--usage", "cell"], True),
    (["-l", "-s"], False),
])
def test_the_cell_sessions_exist_when_the_command_line_may_select_them(
        argv: list[str], selects: bool) -> None:
    import noxfile

    assert noxfile.selects_cells(argv, {}) is selects


def test_noxsession_selects_the_cell_sessions() -> None:
    import noxfile

    assert noxfile.selects_cells([], {"NOXSESSION": "tests,cell(py3.11-cy3.3.1)"})
    assert not noxfile.selects_cells([], {"NOXSESSION": "tests,query"})
