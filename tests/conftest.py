"""Shared fixtures: real interpreters and a shared folder of cached environments."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from matrix.model.cells import Cell
from matrix.plan.grid import PlannedCell
from matrix.plan.interpreters import Interpreter, discover_interpreters
from matrix.store.paths import PROJECT_ROOT, Layout

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def interpreters() -> dict[str, Interpreter]:
    return discover_interpreters()


def missing_prerequisite(message: str) -> NoReturn:
    """A test's prerequisite is missing: skip it here, but fail it under CI (``CI`` set), where
    a test must never pass without doing its real work."""
    if os.environ.get("CI"):
        pytest.fail(f"{message}, and CI is set: the test must run")
    pytest.skip(message)


def need_python(interpreters: dict[str, Interpreter], minor: str) -> Interpreter:
    """The interpreter a real-build test needs (see :func:`missing_prerequisite`)."""
    interpreter = interpreters.get(minor)
    if interpreter is None:
        missing_prerequisite(f"no Python {minor} interpreter on this machine")
    return interpreter


def planned(cell: Cell, interpreter: Interpreter,
            generators: tuple[Interpreter, ...] = ()) -> PlannedCell:
    """``cell`` on ``interpreter``, its C generated under ``generators`` (newest first;
    default: the interpreter itself, i.e. a native cell)."""
    return PlannedCell(cell, interpreter, generators=generators or (interpreter,))


@pytest.fixture()
def real_layout(tmp_path: Path) -> Layout:
    """Temporary results and builds; environments shared across tests (and runs)."""
    return Layout(
        cases=FIXTURES / "cases",
        cache=tmp_path / "cache",
        results=tmp_path / "results",
        shared_envs=PROJECT_ROOT / ".cache" / "envs",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (the browser tests': the page, GitHub's width);
    a missing prerequisite fails under CI (:func:`missing_prerequisite`)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_prerequisite("the playwright package is not installed (pip install -e '.[test]')")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        missing_prerequisite("no chromium on PATH (Debian: apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable,
                                              args=["--no-sandbox"])
        yield launched
        launched.close()
