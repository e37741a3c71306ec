"""The answer to a support range over the published data: its types (:class:`Answer`, one
:class:`CaseAnswer` per selected case, :class:`Failure`, :class:`ToolchainFailure`) and how it
is computed (:func:`answer`); its exit status is :meth:`Answer.status`
(:mod:`report.query.status`)."""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from packaging.version import Version

from matrix.model.cells import Cell
from matrix.model.compilers import DEFAULT_COMPILER
from matrix.model.safety import Safety
from report.query.data import control_ids
from report.query.range import SupportRange
from report.query.range_warnings import (
    axis_warnings,
    kind_warnings,
    python_warnings,
    series_warnings,
    why_untested,
)
from report.query.status import (
    EXIT_FAILS,
    EXIT_TOOLCHAIN,
    EXIT_UNTESTED,
    EXIT_WORKS,
    QueryError,
)
from report.query.versions import Row, parse_version, row_family, row_release, sorted_values


def reproduce_row(row: Row, case_id: str | None = None) -> str:
    """``nox -s matrix -- try ...`` for one cell row, as the notes' reproducers read."""
    cell = Cell(row["python"], row["cython"], row.get("numpy_build") or None,
                row.get("numpy_run") or None, row.get("compiler") or DEFAULT_COMPILER)
    return cell.try_command(case_id or row["case_id"])


def _text(value: object) -> str:
    """A field as printed: note ids are opaque strings (older data has integers)."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Failure:
    """A cell in range where the case failed."""

    cell_id: str
    stage: str
    note: str
    error: str
    reproduce: str


@dataclass(frozen=True)
class ToolchainFailure:
    """Cells in range where a control case fails: toolchains that build nothing, one group per
    Cython release, stage and note."""

    control: str
    cython: str
    stage: str
    note: str
    error: str
    pythons: tuple[str, ...]
    numpy: tuple[str, ...]
    """``build`` or ``build run under run`` of numpy cells; empty for core cells."""
    cells: tuple[str, ...]
    shipped_c: bool
    """Measured with shipped C."""
    counted: bool
    """Not shipped C, or shipped C counted (``--shipped-c``): decides ``--strict-toolchain``."""
    reproduce: str


@dataclass(frozen=True)
class Property:
    """What the worked cells of a case in range measured for one property: each value, with
    the cells that gave it (one value: it does that everywhere in range; several: it varies,
    and the cells say where)."""

    name: str
    """``semantics`` (``alias``, ``copy``, ``read-only alias``, ``read-only copy``), ``locks``
    (``yes``, ``no``: a resize of the source is refused while the target lives) or ``safety``
    (``safe``, ``dangles``, ``cannot tell``)."""
    values: dict[str, tuple[str, ...]]

    @property
    def told(self) -> dict[str, tuple[str, ...]]:
        """The values of the cells that could tell: ``cannot tell`` is no safety value of its
        own beside ``safe`` or ``dangles`` (as compat.md's safety column,
        :func:`report.semantics.measure_safety`), only where no cell could tell."""
        untold = UNTOLD.get(self.name)
        told = {v: cells for v, cells in self.values.items() if v != untold}
        return told or dict(self.values)

    @property
    def varies(self) -> bool:
        """The cells that could tell disagree."""
        return len(self.told) > 1

    def text(self, max_cells: int = 3) -> str:
        """``alias``; or ``varies: alias (12 cells), copy (3: py2.7-cy0.29.37, ...)``, the
        rarer values with their cells; a safety verdict some cells could not tell ends with
        ``(cannot tell on 16: ...)``; ``—`` when no worked cell measured it (it did not work in
        range, or the property does not apply: nothing resizes ``bytes``)."""
        if not self.values:
            return "—"
        told = self.told

        def cells_text(cells: tuple[str, ...]) -> str:
            if not max_cells:
                return str(len(cells))
            shown = ", ".join(cells[:max_cells]) + (", ..." if len(cells) > max_cells else "")
            return f"{len(cells)}: {shown}"

        if len(told) == 1:
            head = next(iter(told))
        else:
            ranked = sorted(told.items(), key=lambda item: (-len(item[1]), item[0]))
            parts = [f"{ranked[0][0]} ({len(ranked[0][1])} cells)"]
            parts.extend(f"{value} ({cells_text(cells)})" for value, cells in ranked[1:])
            head = "varies: " + ", ".join(parts)
        untold = {v: cells for v, cells in self.values.items() if v not in told}
        for value, cells in untold.items():
            head += f" ({value} on {cells_text(cells)})"
        return head


UNTOLD = {"safety": Safety.CANNOT_TELL.value}
"""Per property, the value of a cell whose probes could not tell."""

PROPERTIES = ("semantics", "locks", "safety")
"""The columns of a cell row that say what a worked conversion did (:class:`Property`)."""


def properties_of(worked: Sequence[Row]) -> tuple[Property, ...]:
    """:class:`Property` of each of :data:`PROPERTIES` over the worked cells ``worked``."""
    found = []
    for name in PROPERTIES:
        values: dict[str, list[str]] = {}
        for row in worked:
            if row.get(name):
                values.setdefault(row[name], []).append(row["cell_id"])
        found.append(Property(name, {v: tuple(cells) for v, cells in sorted(values.items())}))
    return tuple(found)


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
    """The case's own failures (not toolchain failures)."""
    shipped_failures: tuple[Failure, ...] = ()
    """Own failures in cells measured with shipped C, when those do not decide the verdict."""
    flaky: tuple[str, ...] = ()
    untried: tuple[tuple[str, str], ...] = ()
    """``(cell_id, outcome)`` of cells in range that could not be tried."""
    not_tested: tuple[str, ...] = ()
    """Combinations of tested versions in range with no result for this case."""
    toolchain_failures: tuple[str, ...] = ()
    """Counted cells in range where it failed because the toolchain builds nothing there
    (details in :attr:`Answer.toolchain`); they do not decide the verdict."""
    safety: dict[str, int] = field(default_factory=dict)
    """The safety verdicts of its worked cells in range (``safe``, ``dangles``, ``cannot
    tell``: the rows' ``safety``, :mod:`matrix.model.safety`) and how many cells gave each."""
    dangles: tuple[Failure, ...] = ()
    """The worked cells in range whose target was measured to dangle after the source's
    resize, each with a reproducer (with ``--safe`` they fail the query)."""
    does: tuple[Property, ...] = ()
    """What it does where it worked in range: the copy/alias answer, the lock, the safety
    (:data:`PROPERTIES`), each with where it varies."""

    def property(self, name: str) -> Property:
        return next((p for p in self.does if p.name == name), Property(name, {}))


@dataclass(frozen=True)
class Answer:
    range: str
    tested: dict[str, list[str]]
    """The tested versions inside the range, per axis."""
    cases: tuple[CaseAnswer, ...]
    toolchain: tuple[ToolchainFailure, ...] = ()
    """Toolchains in range that build nothing (the control cases' failing cells)."""
    warnings: tuple[str, ...] = ()
    """Parts of the range the data covers only partly (each names its flag)."""
    untested: tuple[str, ...] = ()
    """Why nothing in range was tried for the selected cases; empty when something was."""
    data: dict[str, Any] = field(default_factory=dict)
    """What the answer was read from: the results' ``date`` (the day of the newest record) and
    ``digest`` (compat.json's provenance) and the ``source`` (the shipped snapshot, a file, a
    URL)."""

    def data_text(self) -> str:
        """What the answer was read from (:func:`data_text`)."""
        return data_text(self.data)

    @property
    def failing(self) -> tuple[CaseAnswer, ...]:
        return tuple(c for c in self.cases if c.failures)

    @property
    def dangling(self) -> tuple[CaseAnswer, ...]:
        """The cases whose target dangles after a resize somewhere in range."""
        return tuple(c for c in self.cases if c.dangles)

    def status(self, *, strict_toolchain: bool = False, safe: bool = False) -> int:
        """The exit status (:data:`report.query.status.EXIT_STATUSES`); with ``safe``, a dangling
        target fails."""
        if self.untested:
            return EXIT_UNTESTED
        if self.failing or (safe and self.dangling):
            return EXIT_FAILS
        if strict_toolchain and any(t.counted for t in self.toolchain):
            return EXIT_TOOLCHAIN
        return EXIT_WORKS

    def to_json(self, *, strict_toolchain: bool = False, safe: bool = False) -> dict[str, Any]:
        return {"range": self.range, "data": self.data, "tested": self.tested,
                "exit_status": self.status(strict_toolchain=strict_toolchain, safe=safe),
                "untested": list(self.untested), "warnings": list(self.warnings),
                "failing_cases": [c.case_id for c in self.failing],
                "dangling_cases": [c.case_id for c in self.dangling],
                "toolchain_failures": [asdict(t) for t in self.toolchain],
                "cases": [asdict(c) for c in self.cases]}


def data_text(data: dict[str, Any]) -> str:
    """``published results of 2026-12-05 (digest 0033c7fd869d4346), from the snapshot shipped
    with cymatrix 0.1.0``: an answer's ``data`` (its ``date``, ``digest`` and ``source``) as
    the query and the scan print it."""
    date = data.get("date") or "an unknown day"
    digest = f" (digest {data['digest']})" if data.get("digest") else ""
    source = f", from {data['source']}" if data.get("source") else ""
    return f"published results of {date}{digest}{source}"


def answer(data: dict[str, Any], support: SupportRange, case_globs: Sequence[str] = (),
           *, shipped_c: bool = False, compiler: str = DEFAULT_COMPILER,
           source: str = "") -> Answer:
    """Answer ``support`` over the published ``data`` for the cases matching ``case_globs``,
    built with ``compiler``; with ``shipped_c``, cells measured with shipped C count like the
    others; ``source`` names where the data was read (:attr:`Answer.data`)."""
    cells = [r for r in data["cells"] if r.get("compiler", DEFAULT_COMPILER) == compiler]
    if not cells:
        raise QueryError(f"--compiler {compiler}: no published cell was built with it")
    controls = control_ids(data)
    cases = [c for c in data["cases"] if c["id"] not in controls]
    if case_globs:
        for pattern in case_globs:
            if any(fnmatch.fnmatchcase(c["id"], pattern) for c in cases):
                continue
            if any(fnmatch.fnmatchcase(c, pattern) for c in controls):
                raise QueryError(f"--case {pattern}: matches only control cases (the toolchain"
                                 " baseline, reported apart), no conversion case")
            raise QueryError(f"--case {pattern}: matches no published case")
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c["id"], p) for p in case_globs)]
    selected = {c["id"] for c in cases}
    mine_all = [r for r in cells if r["case_id"] in selected]
    rows = [r for r in cells if support.holds(r)]
    shown = [r for r in rows if r["case_id"] not in controls]
    tested = {"python": sorted_values(r["python"] for r in shown),
              "cython": sorted_values(r["cython"] for r in shown),
              "numpy": sorted_values(r["numpy_build"] for r in shown if r["kind"] == "numpy")}
    by_case: dict[str, list[Row]] = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    # The grid's cells: those measured for several conversion cases.  A cell measured for one
    # case only (a bisection: `matrix bisect`) is no gap in the others' coverage.
    per_cell: dict[str, set[str]] = {}
    for row in rows:
        if row["case_id"] not in controls:
            per_cell.setdefault(row["cell_id"], set()).add(row["case_id"])
    grid: dict[str, set[str]] = {}
    for row in rows:
        if len(per_cell.get(row["cell_id"], ())) > 1:
            grid.setdefault(row["kind"], set()).add(row["cell_id"])
    kinds = {r["case_id"]: row_family(r) for r in cells}
    answers = []
    for case in cases:
        mine = by_case.get(case["id"], [])
        kind = kinds.get(case["id"], "core")
        expected = grid.get(kind, set()) | (grid.get("abi", set()) if kind == "numpy" else set())
        answers.append(_case_answer(case, mine, expected, shipped_c))
    families = {kinds.get(c, "core") for c in selected}
    toolchain = _toolchain(
        [r for r in rows if r["case_id"] in controls and row_family(r) in families], shipped_c)
    warnings = (kind_warnings(support, mine_all) + python_warnings(support, mine_all)
                + series_warnings(support, mine_all))
    untested: list[str] = []
    if all(a.verdict == "untested" for a in answers):
        untested = why_untested(support, mine_all, [r for r in rows if r["case_id"] in selected],
                                shipped_c, compiler)
    else:
        warnings.extend(axis_warnings(support, mine_all))
    read = {**(data.get("provenance") or {}), **({"source": source} if source else {})}
    return Answer(support.text(), tested, tuple(answers), toolchain, tuple(warnings),
                  tuple(untested), {k: read[k] for k in ("date", "digest", "source") if k in read})



def _failure(row: Row) -> Failure:
    return Failure(row["cell_id"], row["outcome"], _text(row.get("note")), row["error"],
                   reproduce_row(row))


def _case_answer(case: dict[str, Any], rows: list[Row], expected: set[str],
                 shipped_c: bool) -> CaseAnswer:
    flaky = tuple(r["cell_id"] for r in rows if r["flaky"] == "true")
    settled = [r for r in rows if r["flaky"] != "true"]
    apart = [r for r in settled if r["shipped_c"] == "true" and not shipped_c]
    settled = [r for r in settled if r not in apart]
    tried = [r for r in settled if r["tried"] == "true"]
    toolchain = [r for r in tried if r.get("toolchain_failure") == "true"]
    built = [r for r in tried if r not in toolchain]
    failed = [r for r in built if r["failed"] == "true"]
    works = sum(1 for r in built if r["outcome"] == "ok")
    untried = tuple((r["cell_id"], r["outcome"]) for r in settled if r["tried"] != "true")
    missing = sorted(expected - {r["cell_id"] for r in rows})
    if failed:
        verdict = "fails"
    elif built:
        verdict = "works"
    elif flaky:
        verdict = "flaky"
    else:
        verdict = "untested"
    own_apart = [r for r in apart if r["failed"] == "true"
                 and r.get("toolchain_failure") != "true"]
    succeeded = [r for r in built if r["outcome"] == "ok"]
    worked = [r for r in succeeded if r.get("safety")]
    safety = Counter(r["safety"] for r in worked)
    return CaseAnswer(
        case["id"], case["title"], case["group"], verdict, len(rows), works,
        tuple(_failure(r) for r in failed), tuple(_failure(r) for r in own_apart),
        flaky, untried, tuple(missing), tuple(r["cell_id"] for r in toolchain),
        dict(sorted(safety.items())),
        tuple(Failure(r["cell_id"], "dangles", _text(r.get("note")), r.get("safety_reason", ""),
                      reproduce_row(r)) for r in worked if r["safety"] == "dangles"),
        properties_of(succeeded))


def _toolchain(rows: list[Row], shipped_c: bool) -> tuple[ToolchainFailure, ...]:
    """The control cases' settled failures in range, grouped by Cython release, stage and
    note (and shipped C)."""
    groups: dict[tuple[str, str, str, str, str, str, bool], list[Row]] = {}
    for row in rows:
        if row["tried"] != "true" or row["flaky"] == "true" or row["failed"] != "true":
            continue
        note = _text(row.get("note"))
        key = (row_family(row), row["case_id"], row["cython"], row["outcome"], note,
               "" if note else row["error"], row["shipped_c"] == "true")
        groups.setdefault(key, []).append(row)
    found = []
    for (family, control, cython, stage, note, _, shipped), members in groups.items():
        members.sort(key=lambda r: (parse_version(row_release(r)) or Version("0"),
                                    parse_version(r["numpy_build"]) or Version("0"),
                                    parse_version(r["numpy_run"]) or Version("0"), r["cell_id"]))
        numpy: tuple[str, ...] = ()
        if family == "numpy":
            numpy = tuple(dict.fromkeys(
                r["numpy_build"] if r["numpy_build"] == r["numpy_run"]
                else f"{r['numpy_build']} run under {r['numpy_run']}" for r in members))
        found.append(ToolchainFailure(
            control, cython, stage, note, members[0]["error"],
            tuple(dict.fromkeys(r["python"] for r in members)), numpy,
            tuple(r["cell_id"] for r in members), shipped, shipped_c or not shipped,
            reproduce_row(members[0])))
    found.sort(key=lambda t: (parse_version(t.cython) or Version("0"), t.shipped_c, t.stage,
                              t.control, t.note))
    return tuple(found)
