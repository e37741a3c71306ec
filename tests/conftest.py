"""Shared fixtures: real interpreters and a shared folder of cached environments."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.interpreters import Interpreter, discover_interpreters
from matrix.paths import PROJECT_ROOT, Layout

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def interpreters() -> dict[str, Interpreter]:
    return discover_interpreters()


def need_python(interpreters: dict[str, Interpreter], minor: str) -> Interpreter:
    interpreter = interpreters.get(minor)
    if interpreter is None:
        pytest.skip(f"no Python {minor} interpreter on this machine")
    return interpreter


@pytest.fixture()
def real_layout(tmp_path: Path) -> Layout:
    """Temporary results and builds; environments shared across tests (and runs)."""
    return Layout(
        cases=FIXTURES / "cases",
        cache=tmp_path / "cache",
        results=tmp_path / "results",
        shared_envs=PROJECT_ROOT / ".cache" / "envs",
    )
