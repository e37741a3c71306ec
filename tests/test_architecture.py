"""The house is cut along the data flow: model -> store -> plan -> build -> run -> trust -> cli,
and the report reads only the model (crater's report reads only the results file).

The import graph is read from the source (every ``import``/``from`` statement, including those
inside functions), so a late import cannot hide an arrow that runs the wrong way.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("model", "store", "plan", "build", "run", "trust", "cli")
"""``matrix``'s sub-packages, lowest first: each may import only its
own layer and the layers before it."""


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports (absolute names)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> str | None:
    """``matrix.run.engine`` -> ``run``; ``matrix.cli`` -> ``cli``; other modules -> None."""
    parts = module.split(".")
    if parts[0] != "matrix" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "inenv" not in p.parts)


def test_every_matrix_module_lives_in_a_layer() -> None:
    loose = [p.relative_to(ROOT).as_posix() for p in (ROOT / "matrix").glob("*.py")
             if p.stem not in ("__init__", "__main__", "cli")]
    assert loose == [], "put each module into one of the sub-packages " + ", ".join(LAYERS)


def test_layers_import_only_their_own_or_lower_layers() -> None:
    wrong = []
    for path in sources("matrix"):
        own = layer_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if own is None:
            continue
        for module in imported_modules(path):
            theirs = layer_of(module)
            if theirs is not None and LAYERS.index(theirs) > LAYERS.index(own):
                wrong.append(f"{path.relative_to(ROOT)} ({own}) imports {module} ({theirs})")
    assert wrong == []


def test_no_cycles_between_sub_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for path in sources("matrix"):
        own = layer_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for module in imported_modules(path):
            theirs = layer_of(module)
            if own and theirs and theirs != own:
                edges[own].add(theirs)
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> None:
        assert node not in visiting, f"import cycle: {' -> '.join([*visiting, node])}"
        if node in done:
            return
        visiting.append(node)
        for nxt in sorted(edges[node]):
            visit(nxt)
        visiting.pop()
        done.add(node)

    for layer in LAYERS:
        visit(layer)


def _module_cycle(package: str) -> list[str]:
    """An import cycle between the modules of ``package`` (``matrix.model``), read from every
    import statement (``TYPE_CHECKING`` ones included); ``[]`` if there is none."""
    folder = ROOT.joinpath(*package.split("."))
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    edges = {name: sorted({m.split(".")[len(package.split("."))] for m in
                           imported_modules(folder / f"{name}.py")
                           if m.startswith(f"{package}.")} & names - {name})
             for name in names}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str]:
        if node in visiting:
            return [*visiting[visiting.index(node):], node]
        if node in done:
            return []
        visiting.append(node)
        for nxt in edges[node]:
            cycle = visit(nxt)
            if cycle:
                return cycle
        visiting.pop()
        done.add(node)
        return []

    for name in sorted(names):
        cycle = visit(name)
        if cycle:
            return cycle
    return []


def test_no_cycles_between_model_modules() -> None:
    """The model's modules import each other one way (the outcome policy knew records only
    under ``TYPE_CHECKING``, records imported the policy: such a cycle is refused too)."""
    assert _module_cycle("matrix.model") == []


def test_a_cycle_between_modules_is_found(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: two modules importing each other, one only for typing."""
    package = tmp_path / "pkg" / "model"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "policy.py").write_text("from typing import TYPE_CHECKING\n"
                                       "if TYPE_CHECKING:\n"
                                       "    from pkg.model.records import Record\n")
    (package / "records.py").write_text("from pkg.model.policy import Cause\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert _module_cycle("pkg.model") in (["policy", "records", "policy"],
                                          ["records", "policy", "records"])


def test_the_report_imports_nothing_from_matrix_but_the_model() -> None:
    wrong = [f"{path.relative_to(ROOT)} imports {module}"
             for path in sources("report") for module in imported_modules(path)
             if module.startswith("matrix") and module != "matrix"
             and not module.startswith("matrix.model")]
    assert wrong == []


def test_importing_the_report_never_loads_the_engine() -> None:
    probe = ("import sys, report.cli, report.compose, report.publish,"
             " report.query.text;"
             " print('\\n'.join(sorted(m for m in sys.modules if m.startswith('matrix'))))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    loaded = done.stdout.split()
    assert "matrix.model.records" in loaded  # the probe did import the report
    assert [m for m in loaded if m not in ("matrix", "matrix.model")
            and not m.startswith("matrix.model.")] == []


def test_nox_cell_sessions_are_named_by_the_cell_ids() -> None:
    """One nox session per cell of the default grid, named by the id the data carries (the
    compiler included: gcc, clang and gcc14-errors cells never share a session name), as
    ``nox -l --json`` lists them for a CI job matrix."""
    import json
    import shutil

    from matrix.model.compilers import COMPILERS, DEFAULT_COMPILER
    from matrix.plan.interpreters import discover_interpreters

    nox = shutil.which("nox") or str(Path(sys.executable).with_name("nox"))
    done = subprocess.run([nox, "-l", "--json", "-t", "cells"], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    names = [s["session"] for s in json.loads(done.stdout)]
    assert names and len(names) == len(set(names))
    ids = [n[len("cell("):-1] for n in names if n.startswith("cell(")]
    assert len(ids) == len(names)
    others = [c for c in COMPILERS if c != DEFAULT_COMPILER]
    assert {c for c in others if any(i.endswith(f"-{c}") for i in ids)} == set(others)
    assert all(i.startswith(("py", "pp")) and "-cy" in i for i in ids)
    assert any(i.startswith("pp") for i in ids) == any(
        label.startswith("pypy") for label in discover_interpreters()), (
        "PyPy cells get sessions where a PyPy is here")


def test_error_lines_are_cut_in_one_place() -> None:
    """A stored error line is cut by :func:`matrix.model.errorline.stored_line`, nowhere by
    hand (the in-environment runner, which imports nothing of the harness, excepted)."""
    import re

    by_hand = re.compile(r"\[:\s*(?:300|240)\s*\]")
    found = [f"{path.relative_to(ROOT)}:{number}"
             for package in ("matrix", "report") for path in sources(package)
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if by_hand.search(line)]
    assert found == []
