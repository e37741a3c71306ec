"""Answer a support range: "I support Python A-B, Cython C-D and numpy E-F: which idioms may I
use, and what breaks where?" (like browserslist + doiuse, over the published data).

Reads only published data (``docs/compat.json``); builds nothing.  A range is a PEP 440
specifier per axis; a cell is *in range* when its Python minor and Cython release satisfy
theirs and, for numpy cases, both the numpy it was built against and the numpy it ran under
satisfy the numpy one.  Per case the answer says:

* **works**: every tried cell in range worked;
* **fails**: the cells in range where it failed (stage, note, a paste-ready reproducer);
* **flaky**: cells whose results did not repeat when measured again (neither works nor fails);
* **not tried / not tested**: cells in range that could not be tried, and the cells the grid
  has in range (for some case of the same kind) with no result for this case; never counted as
  success.

Cells measured with *shipped C* (📦: a Cython that does not install on that Python; its C,
generated elsewhere, built there as from an sdist) are listed apart and do not decide the
verdict, unless ``shipped_c=True`` (for packagers whose sdists ship generated C).

A case with no tried cell in range is *untested* there, not "works".
"""

from __future__ import annotations

import fnmatch
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from matrix.cells import Cell
from matrix.compilers import DEFAULT_COMPILER
from matrix.errors import MatrixError

AXES = ("python", "cython", "numpy")


class QueryError(MatrixError):
    """A bad specifier, case pattern or data file; the message names it."""


@dataclass(frozen=True)
class SupportRange:
    """A specifier per axis (empty: any version)."""

    python: SpecifierSet = field(default_factory=SpecifierSet)
    cython: SpecifierSet = field(default_factory=SpecifierSet)
    numpy: SpecifierSet = field(default_factory=SpecifierSet)

    @classmethod
    def parse(cls, python: str | None, cython: str | None, numpy: str | None) -> SupportRange:
        """Raises :class:`QueryError` naming the flag of a specifier that does not parse."""
        specifiers = {}
        for axis, text in zip(AXES, (python, cython, numpy)):
            try:
                specifiers[axis] = SpecifierSet(text or "")
            except InvalidSpecifier:
                raise QueryError(f"--{axis} '{text}': not a version specifier (PEP 440, e.g."
                                 " '>=3.8' or '>=0.29,<4')") from None
        return cls(**specifiers)

    def text(self) -> str:
        return ", ".join(f"{axis} {spec or 'any'}" for axis, spec in
                         zip(AXES, (self.python, self.cython, self.numpy)))

    @staticmethod
    def _holds(spec: SpecifierSet, value: str) -> bool:
        try:
            return spec.contains(Version(value), prereleases=True)
        except InvalidVersion:
            return False

    def holds(self, row: dict[str, str]) -> bool:
        """The cell row is in range."""
        if not (self._holds(self.python, row["python"])
                and self._holds(self.cython, row["cython"])):
            return False
        if row["kind"] == "core":
            return True
        return self._holds(self.numpy, row["numpy_build"]) and self._holds(self.numpy,
                                                                           row["numpy_run"])


def reproduce_row(row: dict[str, str]) -> str:
    """``python -m matrix try ...`` for one cell row, as the notes' reproducers read."""
    cell = Cell(row["python"], row["cython"], row.get("numpy_build") or None,
                row.get("numpy_run") or None, row.get("compiler") or DEFAULT_COMPILER)
    return cell.try_command(row["case_id"])


@dataclass(frozen=True)
class Failure:
    """A cell in range where the case failed."""

    cell_id: str
    stage: str
    note: str
    error: str
    reproduce: str


@dataclass(frozen=True)
class CaseAnswer:
    """What the published data says about one case within the range."""

    case_id: str
    title: str
    group: str
    verdict: str
    """``works``, ``fails``, ``flaky`` (only flaky cells tried) or ``untested``."""
    in_range: int
    works: int
    failures: tuple[Failure, ...] = ()
    shipped_failures: tuple[Failure, ...] = ()
    """Failures in cells measured with shipped C, when those do not decide the verdict."""
    flaky: tuple[str, ...] = ()
    untried: tuple[tuple[str, str], ...] = ()
    """``(cell_id, outcome)`` of cells in range that could not be tried."""
    not_tested: tuple[str, ...] = ()
    """Combinations of tested versions in range with no result for this case."""


@dataclass(frozen=True)
class Answer:
    range: str
    tested: dict[str, list[str]]
    """The tested versions inside the range, per axis."""
    cases: tuple[CaseAnswer, ...]

    @property
    def failing(self) -> tuple[CaseAnswer, ...]:
        return tuple(c for c in self.cases if c.failures)

    def to_json(self) -> dict[str, Any]:
        return {"range": self.range, "tested": self.tested,
                "failing_cases": [c.case_id for c in self.failing],
                "cases": [asdict(c) for c in self.cases]}


def load_data(path: Path) -> dict[str, Any]:
    """The published ``compat.json`` (raises :class:`QueryError` naming the file)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QueryError(f"{path}: no published data (render it with `python -m report render`,"
                         " or pass --data)") from None
    except ValueError as exc:
        raise QueryError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "cells" not in data or "cases" not in data:
        raise QueryError(f"{path}: not a compat.json (no 'cells' and 'cases')")
    return data


def _sorted(values: set[str]) -> list[str]:
    return sorted(values, key=Version)


def answer(data: dict[str, Any], support: SupportRange, case_globs: Sequence[str] = (),
           *, shipped_c: bool = False, compiler: str = DEFAULT_COMPILER) -> Answer:
    """Answer ``support`` over the published ``data`` for the cases matching ``case_globs``,
    built with ``compiler``; with ``shipped_c``, cells measured with shipped C count like the
    others."""
    cells = [r for r in data["cells"] if r.get("compiler", DEFAULT_COMPILER) == compiler]
    if not cells:
        raise QueryError(f"--compiler {compiler}: no published cell was built with it")
    cases = data["cases"]
    if case_globs:
        for pattern in case_globs:
            if not any(fnmatch.fnmatchcase(c["id"], pattern) for c in cases):
                raise QueryError(f"--case {pattern}: matches no published case")
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c["id"], p) for p in case_globs)]
    rows = [r for r in cells if support.holds(r)]
    pythons = {r["python"] for r in rows}
    cythons = {r["cython"] for r in rows}
    numpys = {r["numpy_build"] for r in rows if r["kind"] == "numpy"}
    tested = {"python": _sorted(pythons), "cython": _sorted(cythons), "numpy": _sorted(numpys)}
    by_case: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    grid: dict[str, set[str]] = {}
    for row in rows:
        grid.setdefault(row["kind"], set()).add(row["cell_id"])
    kinds = {r["case_id"]: ("core" if r["kind"] == "core" else "numpy") for r in cells}
    answers = []
    for case in cases:
        mine = by_case.get(case["id"], [])
        kind = kinds.get(case["id"], "core")
        expected = grid.get(kind, set()) | (grid.get("abi", set()) if kind == "numpy" else set())
        answers.append(_case_answer(case, mine, expected, shipped_c))
    return Answer(support.text(), tested, tuple(answers))


def _failure(row: dict[str, str]) -> Failure:
    return Failure(row["cell_id"], row["outcome"], row["note"], row["error"], reproduce_row(row))


def _case_answer(case: dict[str, Any], rows: list[dict[str, str]], expected: set[str],
                 shipped_c: bool) -> CaseAnswer:
    flaky = tuple(r["cell_id"] for r in rows if r["flaky"] == "true")
    settled = [r for r in rows if r["flaky"] != "true"]
    apart = [r for r in settled if r["shipped_c"] == "true" and not shipped_c]
    settled = [r for r in settled if r not in apart]
    tried = [r for r in settled if r["tried"] == "true"]
    failed = [r for r in tried if r["failed"] == "true"]
    works = sum(1 for r in tried if r["outcome"] == "ok")
    untried = tuple((r["cell_id"], r["outcome"]) for r in settled if r["tried"] != "true")
    missing = sorted(expected - {r["cell_id"] for r in rows})
    if failed:
        verdict = "fails"
    elif tried:
        verdict = "works"
    elif flaky:
        verdict = "flaky"
    else:
        verdict = "untested"
    return CaseAnswer(
        case["id"], case["title"], case["group"], verdict, len(rows), works,
        tuple(_failure(r) for r in failed),
        tuple(_failure(r) for r in apart if r["failed"] == "true"),
        flaky, untried, tuple(missing))


SYMBOL = {"works": "✅", "fails": "❌", "flaky": "🎲", "untested": "—"}


def render_text(result: Answer, *, max_cells: int = 6) -> str:
    """The answer for a terminal: one block per case, failures grouped by note."""
    lines = [f"Support range: {result.range}"]
    lines.append("Tested in range: " + "; ".join(
        f"{axis} {', '.join(values) if values else 'none'}"
        for axis, values in result.tested.items()))
    lines.append("")
    for case in result.cases:
        head = f"{SYMBOL[case.verdict]} {case.case_id}: "
        tried = case.works + len(case.failures)
        if case.verdict == "works":
            head += f"works on all {tried} tried cells in range"
        elif case.verdict == "fails":
            head += f"fails on {len(case.failures)} of {tried} tried cells in range"
        elif case.verdict == "flaky":
            head += "only flaky results in range (neither works nor fails)"
        else:
            head += "no result in range (untested, not a success)"
        lines.append(head)
        lines.extend(_failure_lines(case.failures, max_cells, "    "))
        if case.shipped_failures:
            count = len(case.shipped_failures)
            lines.append(f"    with shipped C 📦 (a Cython that does not install on that Python;"
                         f" not counted unless --shipped-c): fails on {count}"
                         f" cell{'s' if count > 1 else ''}")
            lines.extend(_failure_lines(case.shipped_failures, max_cells, "      "))
        if case.flaky:
            lines.append(f"    flaky (results disagree when measured again): "
                         f"{', '.join(case.flaky[:max_cells])}"
                         + (f" and {len(case.flaky) - max_cells} more"
                            if len(case.flaky) > max_cells else ""))
        if case.untried:
            counts = Counter(outcome for _, outcome in case.untried)
            lines.append("    could not be tried: " + ", ".join(
                f"{n} {outcome}" for outcome, n in counts.items()))
        if case.not_tested:
            shown = ", ".join(case.not_tested[:3])
            more = f" and {len(case.not_tested) - 3} more" if len(case.not_tested) > 3 else ""
            lines.append(f"    not tested: {len(case.not_tested)} cells of the grid in range"
                         f" have no result for it ({shown}{more})")
    failing = result.failing
    lines.append("")
    lines.append(f"{len(failing)} of {len(result.cases)} cases fail somewhere in the range"
                 + (f": {', '.join(c.case_id for c in failing)}" if failing else "."))
    return "\n".join(lines) + "\n"


def _failure_lines(failures: Sequence[Failure], max_cells: int, indent: str) -> list[str]:
    """Failures grouped by note: what failed, where, and one reproducer."""
    groups: dict[tuple[str, str, str], list[Failure]] = {}
    for failure in failures:
        groups.setdefault((failure.note, failure.stage, failure.error), []).append(failure)
    lines = []
    for (note, stage, error), found in groups.items():
        cells = ", ".join(f.cell_id for f in found[:max_cells])
        more = f" and {len(found) - max_cells} more" if len(found) > max_cells else ""
        label = f"note {note}, " if note else ""
        lines.append(f"{indent}{label}{stage}: {error}")
        lines.append(f"{indent}  in {cells}{more}")
        lines.append(f"{indent}  reproduce: {found[0].reproduce}")
    return lines
