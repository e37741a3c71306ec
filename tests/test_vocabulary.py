"""Every word a reader meets has one home, and no code outside it spells it again: the marks
(report/legend.py), the outcome groupings (matrix/model/outcomes.py: Outcome.stage, .built,
.raised, .cut_short, .failed, .could_not_be_tried) and the interpreter kinds' names
(matrix/model/interpreters.py: InterpreterKind.title).  The scan reads the sources of matrix/,
report/ and the page; docstrings and comments are prose and may name anything."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from matrix.model.interpreters import KINDS
from report.legend import MARKS

ROOT = Path(__file__).resolve().parents[1]
OUTCOMES_HOME = ROOT / "matrix" / "model" / "outcomes.py"
KINDS_HOME = ROOT / "matrix" / "model" / "interpreters.py"
MARKS_HOME = ROOT / "report" / "legend.py"
PAGE = ROOT / "report" / "page"


def python_sources() -> list[Path]:
    """The host side's modules (the in-environment runner speaks only its protocol)."""
    return [p for p in sorted([*(ROOT / "matrix").rglob("*.py"), *(ROOT / "report").rglob("*.py")])
            if "inenv" not in p.parts]


def code_strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """The string constants of ``tree`` that are not docstrings, with their lines."""
    docstrings = {id(stmt.value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                       ast.AsyncFunctionDef))
                  for stmt in node.body if isinstance(stmt, ast.Expr)
                  and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in docstrings):
            yield node.lineno, node.value


def outcome_groupings(tree: ast.AST) -> Iterator[tuple[int, list[str]]]:
    """Tuples, lists and sets that spell two or more ``Outcome`` members: a regrouping."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            members = [e.attr for e in node.elts if isinstance(e, ast.Attribute)
                       and isinstance(e.value, ast.Name) and e.value.id == "Outcome"]
            if len(members) >= 2:
                yield node.lineno, members


def kind_names() -> list[str]:
    """The names texts give the kinds other than the default (``free-threaded CPython``,
    ``PyPy``), and the spellings they once had."""
    names = {k.title for k in KINDS.values() if not k.is_default}
    return sorted(names | {"free-threaded", "CPython free-threaded", "CPython 3.13t"})


def test_no_outcome_grouping_outside_its_home() -> None:
    found = [f"{path.relative_to(ROOT)}:{line}: {members}"
             for path in python_sources() if path != OUTCOMES_HOME
             for line, members in outcome_groupings(ast.parse(path.read_text("utf-8")))]
    assert found == [], "group outcomes with Outcome's properties (stage, built, raised, ...)"


def test_no_kind_name_outside_its_home() -> None:
    names = kind_names()
    found = [f"{path.relative_to(ROOT)}:{line}: {text[:60]!r}"
             for path in python_sources() if path != KINDS_HOME
             for line, text in code_strings(ast.parse(path.read_text("utf-8")))
             if any(name in text for name in names)]
    assert found == [], "name a kind by InterpreterKind.title"


def test_no_mark_in_the_harness_either() -> None:
    """report/'s own test (test_report_legend.py) scans report/ and the page; the harness's
    printing (try, list, the CLI's help) spells no mark either."""
    glyphs = {mark[0]: name for name, mark in MARKS.items()}
    found = [f"{path.relative_to(ROOT)}:{number}: {glyphs[char]}"
             for path in python_sources() if ROOT / "matrix" in path.parents
             for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
             for char in line if char in glyphs]
    assert found == []


def test_the_scans_can_find_what_they_look_for() -> None:
    """Each scan finds a planted instance (else a passing scan would prove nothing)."""
    planted = ast.parse('"""On PyPy, docs may say anything."""\n'
                        'GROUP = (Outcome.CRASH, Outcome.TIMEOUT)\n'
                        'def f():\n    return "no wheel for free-threaded CPython"\n')
    assert [m for _, m in outcome_groupings(planted)] == [["CRASH", "TIMEOUT"]]
    texts = [text for _, text in code_strings(planted)]
    assert texts == ["no wheel for free-threaded CPython"], "docstrings are prose"
    assert any(name in texts[0] for name in kind_names())
    assert "PyPy" in kind_names() and "free-threaded CPython" in kind_names()
    assert len(python_sources()) > 80
    assert [line for line, _ in outcome_groupings(ast.parse(OUTCOMES_HOME.read_text()))]
