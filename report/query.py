"""Answer a support range: "I support Python A-B, Cython C-D and numpy E-F: which idioms may I
use, and what breaks where?" (like browserslist + doiuse, over the published data).

Reads only published data (``docs/compat.json`` and the ``compat.csv.gz`` it names);
builds nothing.  A range is a PEP 440 specifier per axis; a cell is *in range* when its Python
and Cython release satisfy theirs and,
for numpy cases, both the numpy it was built against and the numpy it ran under satisfy the
numpy one.  Cells are per Python *minor* and judged on the exact patch release measured there
(the rows' ``python_version``, e.g. 3.9.18; in data without it, the minor, which PEP 440 reads
as X.Y.0): a specifier that admits only some patch releases of a tested minor gets a warning
naming the flag, never a silent drop.  A range also names its interpreter kinds
(``--interpreter``: ``cpython`` by default; ``pypy``, ``cpython-freethreaded`` or ``all``, the
kinds of :mod:`matrix.model.interpreters`): a cell of a kind the range does not name is out of
range whatever its version, and the answer says how many such cells there were (a PyPy 3.11 cell
is never in a CPython range by its language version).  Within the named kinds a cell is in range
by its language version; its cell id and Python value name the kind (``pp3.11-cy3.1.2``), so a
failure there says where.  Per case the answer says:

* **works**: every tried cell in range worked (*works where the toolchain builds* when it also
  failed where the toolchain builds nothing, see below);
* **fails**: the cells in range where it failed on its own (stage, note, a paste-ready
  reproducer);
* **flaky**: cells whose results did not repeat when measured again (neither works nor fails);
* **not tried / not tested**: cells in range that could not be tried, and the cells the grid
  has in range (for some case of the same kind) with no result for this case; never counted as
  success.

Cells measured with *shipped C* (📦: a Cython that does not install on that Python; its C,
generated elsewhere, built there as from an sdist) are listed apart and do not decide the
verdict, unless ``shipped_c=True`` (for packagers whose sdists ship generated C).

*Toolchain failures.*  The control cases (the data's ``controls``: no memory idiom, built in
every cell) are never listed as cases.  A case that failed in a cell where a control failed at
the same stage (its row's ``toolchain_failure`` is ``"true"``) hit a toolchain that builds
nothing there: that failure is not the case's own and does not make it fail.  The control
cases' failing cells in range are reported once, apart, grouped by Cython release and stage.
Data without ``controls`` or ``toolchain_failure`` (older files) counts every failure as the
case's own.

A case with no tried cell in range, or only toolchain failures there, is *untested* there, not
"works"; when that holds for every selected case the answer names the specifier that matched
no tested version (or says that the axes match only apart), with the tested versions.

Exit status of ``python -m report query`` (:meth:`Answer.status`; 1 and 4 win over 3):

* 0: every selected case works wherever tried in range; toolchain failures are reported but do
  not fail the query (unless ``--strict-toolchain``);
* 1: a selected case fails on its own somewhere in range; with ``--safe``, also when a selected
  case's target was measured to dangle after a resize of its source somewhere in range (the
  rows' ``safety``, :mod:`matrix.model.safety`; listed under the case either way);
* 2: a usage error: argparse's, a specifier that does not parse, a ``--case`` glob that matches
  no conversion case, a missing or malformed data file, a ``--compiler`` with no cells
  (:class:`QueryError`, like every ``MatrixError``: ``error: ...`` on stderr);
* 3: only with ``--strict-toolchain``: the range includes toolchains that build nothing (a
  control case fails in a counted cell in range) and no case fails on its own;
* 4: nothing in range was tried for the selected cases: a specifier matches no tested version
  (the message names the flag and lists the tested versions), or the axes each match but never
  together, or the cells in range are only shipped C, could not be tried, or are toolchain
  failures.
"""

from __future__ import annotations

import contextlib
import csv
import fnmatch
import functools
import gzip
import hashlib
import io
import json
import marshal
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from matrix.model.cells import Cell
from matrix.model.compilers import DEFAULT_COMPILER
from matrix.model.errors import MatrixError
from matrix.model.interpreters import DEFAULT_KIND, KINDS, axis_key, kind_id
from report.legend import ANSWER_SYMBOLS

AXES = ("python", "cython", "numpy")

EXIT_WORKS = 0
EXIT_FAILS = 1
EXIT_USAGE = 2
EXIT_TOOLCHAIN = 3
EXIT_UNTESTED = 4

EXIT_STATUSES = """\
exit status:
  0  every selected case works wherever tried in range (toolchain failures are
     reported apart and do not fail the query)
  1  a selected case fails on its own somewhere in range
  2  usage error: bad arguments, a specifier that does not parse, a --case glob
     that matches no case, no data file
  3  only with --strict-toolchain: the range includes toolchains that build
     nothing (a control case fails there), and no case fails on its own
  4  nothing in range was tried for the selected cases (the message names the
     specifier that matches no tested version), also when only toolchain
     failures are in range"""
"""The exit-status contract, for the command's ``--help``."""

PATCH_SPAN = 50
"""Patch releases past the highest tested one considered when a specifier is checked for
admitting only part of a Python minor."""

Row = dict[str, str]


class QueryError(MatrixError):
    """A bad specifier, case pattern or data file; the message names it."""


@functools.cache
def _version(value: str) -> Version | None:
    """A version parsed once per distinct text (a query tests thousands of rows)."""
    try:
        return Version(value)
    except InvalidVersion:
        return None


def _order(value: str) -> tuple[Version, int, str]:
    """Versions oldest first; a Python axis value of another interpreter kind (``3.13t``,
    ``pypy3.11``) by its language minor, right after CPython's."""
    version = _version(value)
    if version is not None:
        return (version, 0, value)
    python = axis_key(value)
    return (*python, value) if python is not None else (Version("0"), 0, value)


def _sorted(values: Iterable[str]) -> list[str]:
    return sorted(set(values), key=_order)


def _language_minor(label: str) -> Version | None:
    """The language minor of a Python axis value: ``3.11`` for ``3.11`` and ``pypy3.11``."""
    python = axis_key(label)
    return python[0] if python is not None else _version(label)


def python_release(row: Row) -> str:
    """The Python release a row's cell was measured on: the exact patch release when the data
    has it, else the minor."""
    measured = row.get("python_version") or ""
    return measured if _version(measured) is not None else row["python"]


def row_kind(row: Row) -> str:
    """The interpreter kind of a cell row, from its Python axis value (``pypy3.11``: PyPy)."""
    return kind_id(str(row["python"]))


def _family(row: Row) -> str:
    """``core`` or ``numpy`` (numpy and ABI cells)."""
    return "core" if row["kind"] == "core" else "numpy"


@dataclass(frozen=True)
class SupportRange:
    """A specifier per axis (empty: any version)."""

    python: SpecifierSet = field(default_factory=SpecifierSet)
    cython: SpecifierSet = field(default_factory=SpecifierSet)
    numpy: SpecifierSet = field(default_factory=SpecifierSet)
    written: tuple[str, str, str] = field(default=("", "", ""), compare=False)
    """The specifiers as given (for messages naming the flag)."""
    interpreters: frozenset[str] = frozenset({DEFAULT_KIND})
    """The interpreter kinds in range (ids of ``matrix/data/interpreters.toml``)."""

    @staticmethod
    def parse_interpreters(text: str | None) -> frozenset[str]:
        """``--interpreter cpython,pypy`` (or ``all``); raises :class:`QueryError` naming the
        flag for a kind the data file does not have.  ``None``: CPython."""
        if text is None:
            return frozenset({DEFAULT_KIND})
        items = [item.strip() for item in text.split(",") if item.strip()]
        if items == ["all"]:
            return frozenset(KINDS)
        unknown = [item for item in items if item not in KINDS]
        if unknown or not items:
            raise QueryError(f"--interpreter '{text}': not an interpreter kind (choose from"
                             f" {', '.join(KINDS)}, or all)")
        return frozenset(items)

    def holds_kind(self, row: Row) -> bool:
        """The row's interpreter kind is one the range names."""
        return row_kind(row) in self.interpreters

    @classmethod
    def parse(cls, python: str | None, cython: str | None, numpy: str | None, *,
              given: bool = False, interpreters: str | None = None) -> SupportRange:
        """Raises :class:`QueryError` naming the flag of a specifier that does not parse; with
        ``given`` (the flags as typed), also for an empty one (``--python ''``: an unset
        variable would silently widen the range to any version). ``None``, or ``""`` without
        ``given``: any version."""
        for axis, text in zip(AXES, (python, cython, numpy)):
            if given and text is not None and not text.strip():
                raise QueryError(f"--{axis} '{text}': an empty specifier (an unset variable?);"
                                 " leave the flag out for any version")
        specifiers = {}
        for axis, text in zip(AXES, (python, cython, numpy)):
            try:
                specifiers[axis] = SpecifierSet(text or "")
            except InvalidSpecifier:
                raise QueryError(f"--{axis} '{text}': not a version specifier (PEP 440, e.g."
                                 " '>=3.8' or '>=0.29,<4')") from None
        return cls(written=(python or "", cython or "", numpy or ""),
                   interpreters=cls.parse_interpreters(interpreters), **specifiers)

    def text(self) -> str:
        specs = ", ".join(f"{axis} {spec or 'any'}" for axis, spec in
                          zip(AXES, (self.python, self.cython, self.numpy)))
        if self.interpreters == {DEFAULT_KIND}:
            return specs
        return f"{specs}; interpreters {', '.join(sorted(self.interpreters))}"

    def spec(self, axis: str) -> SpecifierSet:
        return {"python": self.python, "cython": self.cython, "numpy": self.numpy}[axis]

    def flag(self, axis: str) -> str:
        """``--python '>=3.9'``: the flag and the specifier as given."""
        text = self.written[AXES.index(axis)] or str(self.spec(axis))
        return f"--{axis} '{text}'"

    @staticmethod
    @functools.cache
    def _holds(spec: SpecifierSet, value: str) -> bool:
        version = _version(value)
        return version is not None and spec.contains(version, prereleases=True)

    def holds_axis(self, axis: str, row: Row) -> bool:
        """The row satisfies one axis (numpy: both the build and the run numpy; a core row
        always satisfies the numpy axis)."""
        if axis == "python":
            return self._holds(self.python, python_release(row))
        if axis == "cython":
            return self._holds(self.cython, row["cython"])
        if row["kind"] == "core":
            return True
        return (self._holds(self.numpy, row["numpy_build"])
                and self._holds(self.numpy, row["numpy_run"]))

    def holds(self, row: Row) -> bool:
        """The cell row is in range."""
        return self.holds_kind(row) and all(self.holds_axis(axis, row) for axis in AXES)


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

    @property
    def failing(self) -> tuple[CaseAnswer, ...]:
        return tuple(c for c in self.cases if c.failures)

    @property
    def dangling(self) -> tuple[CaseAnswer, ...]:
        """The cases whose target dangles after a resize somewhere in range."""
        return tuple(c for c in self.cases if c.dangles)

    def status(self, *, strict_toolchain: bool = False, safe: bool = False) -> int:
        """The exit status (module docstring); with ``safe``, a dangling target fails."""
        if self.untested:
            return EXIT_UNTESTED
        if self.failing or (safe and self.dangling):
            return EXIT_FAILS
        if strict_toolchain and any(t.counted for t in self.toolchain):
            return EXIT_TOOLCHAIN
        return EXIT_WORKS

    def to_json(self, *, strict_toolchain: bool = False, safe: bool = False) -> dict[str, Any]:
        return {"range": self.range, "tested": self.tested,
                "exit_status": self.status(strict_toolchain=strict_toolchain, safe=safe),
                "untested": list(self.untested), "warnings": list(self.warnings),
                "failing_cases": [c.case_id for c in self.failing],
                "dangling_cases": [c.case_id for c in self.dangling],
                "toolchain_failures": [asdict(t) for t in self.toolchain],
                "cases": [asdict(c) for c in self.cases]}


RECORDS_FILE_FIELD = re.compile(rb'"records_file"\s*:\s*"([^"\\]+)"')
"""``compat.json``'s ``records_file`` (a quote inside a JSON string is escaped: this matches
only a key)."""

QUERY_FIELDS = ("case_id", "cell_id", "compiler", "cython", "error", "failed", "flaky", "kind",
                "note", "numpy_build", "numpy_run", "outcome", "python", "python_version",
                "safety", "safety_reason", "shipped_c", "toolchain_failure", "tried")
"""The fields of a cell row that answering a query reads (the rest of ``compat.json`` is for
other readers): what :func:`load_data` keeps in its cache."""


def load_data(path: Path, cache: Path | None = None) -> dict[str, Any]:
    """The published ``compat.json``: its ``cases``, ``controls`` and ``cells`` (the fields of
    :data:`QUERY_FIELDS`), the cells read from the records file it names (``records_file``:
    ``compat.csv.gz`` beside it; schema 4 named ``compat-records.json``, older data has them
    inline).  Raises
    :class:`QueryError` naming the file.

    With ``cache`` (a folder), the files are parsed once: what a query reads of them is kept
    there (``marshal``, named by the sha256 of both files' bytes) and read back by every later
    query of the same files, several times faster than parsing their JSON.  A cache that
    cannot be read or written is passed over."""
    raw = _read(path)
    named = RECORDS_FILE_FIELD.search(raw)  # the rows' file, found without parsing the JSON
    records_raw = b""
    if named is not None:  # its bytes key the cache too
        records_raw = _read(records_path(path, {"records_file": named[1].decode("utf-8")}),
                            path)
    kept = None
    if cache is not None:
        digest = hashlib.sha256(raw)
        digest.update(records_raw)
        kept = cache / f"compat-{digest.hexdigest()[:32]}.marshal{marshal.version}"
        try:
            found = marshal.loads(kept.read_bytes())
            if isinstance(found, dict) and found.get("fields") == QUERY_FIELDS:
                return found
        except (OSError, ValueError, EOFError, TypeError):
            pass
    data = _parse(path, raw)
    if "records_file" in data:
        records = records_path(path, data)
        if named is None or records.name != named[1].decode("utf-8"):
            records_raw = _read(records, path)
        cells = _records(records, records_raw)
    elif "cells" in data:
        cells = [{k: row[k] for k in QUERY_FIELDS if k in row} for row in data["cells"]]
    else:
        raise QueryError(f"{path}: not a compat.json (no 'records_file' or 'cells')")
    slim = {"fields": QUERY_FIELDS, "cases": data["cases"],
            "controls": data.get("controls") or [], "cells": cells}
    if kept is not None:
        with contextlib.suppress(OSError, ValueError):
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
            partial.write_bytes(marshal.dumps(slim))
            os.replace(partial, kept)
    return slim


def records_path(path: Path, data: dict[str, Any]) -> Path:
    """The records file a ``compat.json`` names, beside it."""
    name = data.get("records_file")
    if not isinstance(name, str) or not name or Path(name).name != name:
        raise QueryError(f"{path}: 'records_file' is not a file name ({name!r})")
    return path.with_name(name)


def _read(path: Path, named_by: Path | None = None) -> bytes:
    if path.is_dir():
        raise QueryError(f"{path}: a folder, not a data file (--data takes the compat.json of a"
                         " publication, e.g. docs/compat.json)")
    try:
        return path.read_bytes()
    except PermissionError:
        raise QueryError(f"{path}: cannot be read (permission denied)") from None
    except FileNotFoundError:
        beside = f" ({named_by.name} names it as its records_file)" if named_by else ""
        raise QueryError(f"{path}: no published data{beside} (render it with `python -m report"
                         " render`, or pass --data)") from None


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise QueryError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or "cases" not in data:
        raise QueryError(f"{path}: not a compat.json (no 'cases')")
    return data


def rows_of(records: dict[str, Any], fields: Sequence[str] | None = None) -> list[Row]:
    """The rows of a parsed ``compat-records.json`` (``compat.json`` schema 4) as one dict per
    record: every column, or only ``fields``."""
    columns: list[str] = records["columns"]
    keep = [(name, columns.index(name)) for name in (fields or columns) if name in columns]
    return [{name: row[index] for name, index in keep} for row in records["rows"]]


def published_cells(path: Path, data: dict[str, Any]) -> list[Row]:
    """Every cell row of the ``compat.json`` at ``path`` (parsed: ``data``) with every column:
    the rows of the records file it names, or its ``cells`` (older data)."""
    if "records_file" not in data:
        return list(data.get("cells") or [])
    records = records_path(path, data)
    return _records(records, _read(records, path), None)


def _records(path: Path, raw: bytes, fields: Sequence[str] | None = QUERY_FIELDS) -> list[Row]:
    """The cell rows of a records file with the fields of :data:`QUERY_FIELDS` (``None``:
    every column): ``compat.csv.gz`` (schema 5), or ``compat-records.json`` (``columns`` and
    ``rows``, schema 4)."""
    if path.name.endswith(".json"):
        return _json_records(path, raw, fields)
    try:
        text = (gzip.decompress(raw) if path.name.endswith(".gz") else raw).decode("utf-8")
        reader = csv.reader(io.StringIO(text, newline=""))
        columns = next(reader)
        missing = [name for name in fields or () if name not in columns]
        if missing:
            raise QueryError(f"{path}: not the cell rows of a compat.json (no column"
                             f" {', '.join(missing)})")
        keep = [(name, columns.index(name)) for name in (fields or columns)]
        rows = []
        for number, row in enumerate(reader, start=2):
            if len(row) != len(columns):
                raise QueryError(f"{path}: line {number}: {len(row)} fields, the header has"
                                 f" {len(columns)}")
            rows.append({name: row[index] for name, index in keep})
        return rows
    except (OSError, EOFError, UnicodeDecodeError, StopIteration, csv.Error) as exc:
        raise QueryError(f"{path}: not the cell rows of a compat.json ({type(exc).__name__}:"
                         f" {exc})") from None


def _json_records(path: Path, raw: bytes, fields: Sequence[str] | None) -> list[Row]:
    try:
        records = json.loads(raw.decode("utf-8"))
        missing = [name for name in fields or () if name not in records["columns"]]
        if missing:
            raise QueryError(f"{path}: not a compat-records.json (no column"
                             f" {', '.join(missing)})")
        return rows_of(records, fields)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise QueryError(f"{path}: not a compat-records.json ({type(exc).__name__}:"
                         f" {exc})") from None


def control_ids(data: dict[str, Any]) -> frozenset[str]:
    """The control cases' ids: the data's ``controls`` and cases whose role is ``control``
    (neither in older data)."""
    listed = data.get("controls") or []
    return frozenset(str(c) for c in listed) | frozenset(
        c["id"] for c in data["cases"] if c.get("role") == "control")


def answer(data: dict[str, Any], support: SupportRange, case_globs: Sequence[str] = (),
           *, shipped_c: bool = False, compiler: str = DEFAULT_COMPILER) -> Answer:
    """Answer ``support`` over the published ``data`` for the cases matching ``case_globs``,
    built with ``compiler``; with ``shipped_c``, cells measured with shipped C count like the
    others."""
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
    tested = {"python": _sorted(r["python"] for r in shown),
              "cython": _sorted(r["cython"] for r in shown),
              "numpy": _sorted(r["numpy_build"] for r in shown if r["kind"] == "numpy")}
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
    kinds = {r["case_id"]: _family(r) for r in cells}
    answers = []
    for case in cases:
        mine = by_case.get(case["id"], [])
        kind = kinds.get(case["id"], "core")
        expected = grid.get(kind, set()) | (grid.get("abi", set()) if kind == "numpy" else set())
        answers.append(_case_answer(case, mine, expected, shipped_c))
    families = {kinds.get(c, "core") for c in selected}
    toolchain = _toolchain(
        [r for r in rows if r["case_id"] in controls and _family(r) in families], shipped_c)
    warnings = (_kind_warnings(support, mine_all) + _python_warnings(support, mine_all)
                + _series_warnings(support, mine_all))
    untested: list[str] = []
    if all(a.verdict == "untested" for a in answers):
        untested = _why_untested(support, mine_all, [r for r in rows if r["case_id"] in selected],
                                 shipped_c, compiler)
    else:
        warnings.extend(_axis_warnings(support, mine_all))
    return Answer(support.text(), tested, tuple(answers), toolchain, tuple(warnings),
                  tuple(untested))


def _kind_warnings(support: SupportRange, rows: list[Row]) -> list[str]:
    """How many cells of the selected cases are of kinds the range does not name."""
    left_out = Counter(row_kind(r) for r in rows if not support.holds_kind(r))
    if not left_out:
        return []
    parts = ", ".join(f"{KINDS[kind].name}{' free-threaded' if KINDS[kind].free_threaded else ''}"
                      f" {count}" for kind, count in sorted(left_out.items()))
    return [f"{_plural(sum(left_out.values()), 'cell')} of other interpreters are out of range"
            f" ({parts}): --interpreter names the kinds in range (e.g."
            f" --interpreter {','.join(sorted({*support.interpreters, *left_out}))})"]


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
    worked = [r for r in built if r["outcome"] == "ok" and r.get("safety")]
    safety = Counter(r["safety"] for r in worked)
    return CaseAnswer(
        case["id"], case["title"], case["group"], verdict, len(rows), works,
        tuple(_failure(r) for r in failed), tuple(_failure(r) for r in own_apart),
        flaky, untried, tuple(missing), tuple(r["cell_id"] for r in toolchain),
        dict(sorted(safety.items())),
        tuple(Failure(r["cell_id"], "dangles", _text(r.get("note")), r.get("safety_reason", ""),
                      reproduce_row(r)) for r in worked if r["safety"] == "dangles"))


def _toolchain(rows: list[Row], shipped_c: bool) -> tuple[ToolchainFailure, ...]:
    """The control cases' settled failures in range, grouped by Cython release, stage and
    note (and shipped C)."""
    groups: dict[tuple[str, str, str, str, str, str, bool], list[Row]] = {}
    for row in rows:
        if row["tried"] != "true" or row["flaky"] == "true" or row["failed"] != "true":
            continue
        note = _text(row.get("note"))
        key = (_family(row), row["case_id"], row["cython"], row["outcome"], note,
               "" if note else row["error"], row["shipped_c"] == "true")
        groups.setdefault(key, []).append(row)
    found = []
    for (family, control, cython, stage, note, _, shipped), members in groups.items():
        members.sort(key=lambda r: (_version(python_release(r)) or Version("0"),
                                    _version(r["numpy_build"]) or Version("0"),
                                    _version(r["numpy_run"]) or Version("0"), r["cell_id"]))
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
    found.sort(key=lambda t: (_version(t.cython) or Version("0"), t.shipped_c, t.stage,
                              t.control, t.note))
    return tuple(found)


def _runs(numbers: Sequence[int], top: int, prefix: str) -> str:
    """``3.9.0-3.9.4, 3.9.7 and 3.9.20 and later`` for sorted patch numbers below ``top``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    parts = []
    for first, last in spans:
        if last == top - 1:
            parts.append(f"{prefix}{first} and later")
        elif first == last:
            parts.append(f"{prefix}{first}")
        else:
            parts.append(f"{prefix}{first}-{prefix}{last}")
    return _and(parts)


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _python_warnings(support: SupportRange, rows: list[Row]) -> list[str]:
    """One warning per tested Python minor of which the specifier admits some patch releases
    but not all."""
    if not support.python:
        return []
    releases: dict[str, set[str]] = {}
    for row in rows:
        releases.setdefault(row["python"], set())
        if python_release(row) != row["python"]:
            releases[row["python"]].add(python_release(row))
    flag = support.flag("python")
    warnings = []
    for minor in _sorted(releases):
        base = _language_minor(minor)
        if base is None or len(base.release) < 2:
            continue
        head = f"{base.release[0]}.{base.release[1]}."
        tested = _sorted(releases[minor])
        patches = [v.release[2] if len(v.release) > 2 else 0
                   for v in (Version(m) for m in tested)]
        top = max(patches, default=0) + PATCH_SPAN
        admitted = [n for n in range(top) if support.python.contains(Version(f"{head}{n}"))]
        if not admitted or len(admitted) == top:
            continue
        excluded = _runs([n for n in range(top) if n not in admitted], top, head)
        kept = [m for m in tested if support.python.contains(Version(m), prereleases=True)]
        left = [m for m in tested if m not in kept]
        if not tested:
            held = support.python.contains(base, prereleases=True)
            warnings.append(
                f"{flag} admits only part of Python {minor} (excludes {excluded}); the data"
                f" does not say which {minor} release was tested, so it is judged as"
                f" {minor}.0 and {'kept' if held else 'left out'}")
        elif not left:
            verb = "satisfies" if len(kept) == 1 else "satisfy"
            warnings.append(
                f"{flag} keeps Python {minor} because the tested {_and(kept)} {verb} it, but"
                f" excludes {excluded}: the answer covers only what was tested")
        elif not kept:
            verb = "does" if len(left) == 1 else "do"
            warnings.append(
                f"{flag} leaves out Python {minor}: it admits only"
                f" {_runs(admitted, top, head)} of that minor, and the tested {_and(left)}"
                f" {verb} not satisfy it ('=={minor}.*' is the whole minor)")
        else:
            warnings.append(
                f"{flag} keeps Python {minor} only where measured on {_and(kept)} (not"
                f" {_and(left)}): it excludes {excluded}")
    return warnings


LABELS = {"python": "Python", "cython": "release", "numpy": "numpy"}


def _axis_releases(axis: str, rows: Iterable[Row]) -> list[str]:
    """The tested versions of one axis: Python minors, Cython releases, numpy releases (built
    against or run under)."""
    if axis == "python":
        return _sorted(r["python"] for r in rows)
    if axis == "cython":
        return _sorted(r["cython"] for r in rows)
    numpy = [r for r in rows if r["kind"] != "core"]
    return _sorted([r["numpy_build"] for r in numpy] + [r["numpy_run"] for r in numpy])


def _series(spec: SpecifierSet) -> str | None:
    """``3.1`` when every version the specifier names is of the 3.1 series."""
    found = set()
    for item in spec:
        version = _version(item.version.removesuffix(".*"))
        if version is None:
            return None
        release = (*version.release, 0)[:2]
        found.add(f"{release[0]}.{release[1]}")
    return found.pop() if len(found) == 1 else None


def _no_match(support: SupportRange, axis: str, rows: list[Row]) -> str:
    """``--cython '==3.1' matches no tested release; tested 3.1 releases are ...``"""
    spec = support.spec(axis)
    text = f"{support.flag(axis)} matches no tested {LABELS[axis]}"
    series = _series(spec)
    if axis == "python":
        full = _sorted(python_release(r) for r in rows)
    else:
        full = _axis_releases(axis, rows)
    same = [v for v in full if series is not None and (v == series or v.startswith(series + "."))]
    if same:
        text += (f"; the tested {series} release is {same[0]}" if len(same) == 1
                 else f"; tested {series} releases are {', '.join(same)}")
    else:
        text += f"; tested: {', '.join(_axis_releases(axis, rows))}"
    items = list(spec)
    if (len(items) == 1 and items[0].operator == "==" and "*" not in items[0].version
            and len(Version(items[0].version).release) == 2):
        written = items[0].version
        whole = "minor" if axis == "python" else "series"
        text += (f" (PEP 440 reads '=={written}' as {written}.0 only; '=={written}.*' is the"
                 f" whole {whole})")
    return text


def _axes(support: SupportRange, rows: list[Row]) -> list[str]:
    """The given axes (numpy only with numpy rows)."""
    return [a for a in AXES if support.spec(a)
            and (a != "numpy" or any(r["kind"] != "core" for r in rows))]


def _empty_axes(support: SupportRange, tried: list[Row]) -> list[str]:
    """The given axes whose specifier no tried row satisfies on its own."""
    return [a for a in _axes(support, tried)
            if not any(support.holds_axis(a, r) for r in tried
                       if a != "numpy" or r["kind"] != "core")]


def _why_untested(support: SupportRange, mine: list[Row], in_range: list[Row],
                  shipped_c: bool, compiler: str) -> list[str]:
    """Why no selected case has a tried cell in range: the specifiers that match no tested
    version, else the combination, else what the cells in range were."""
    tried = [r for r in mine if r["tried"] == "true"]
    if not tried:
        return [f"no selected case was tried anywhere in the published data"
                f" (--compiler {compiler})"]
    empty = _empty_axes(support, tried)
    if empty:
        return [_no_match(support, axis, tried) for axis in empty]
    in_tried = [r for r in in_range if r["tried"] == "true"]
    counts: Counter[str] = Counter()
    for row in in_range:
        if row["tried"] != "true":
            counts[f"could not be tried ({row['outcome']})"] += 1
        elif row["shipped_c"] == "true" and not shipped_c:
            counts["measured with shipped C 📦 only (--shipped-c counts them)"] += 1
        elif row.get("toolchain_failure") == "true":
            counts["toolchain failures (the toolchain builds nothing there; listed apart)"] += 1
        else:
            counts["flaky"] += 1
    found = _and([f"{n} {what}" for what, n in counts.items()]) if counts else ""
    if not in_tried:
        flags = [support.flag(a) for a in _axes(support, tried)]
        text = (f"{_and(flags)} each match tested versions, but no selected case was tried"
                " where they all hold")
        if support.python and support.cython:
            pythons = [r for r in tried if support.holds_axis("python", r)
                       and support.holds_axis("numpy", r)]
            cythons = _axis_releases("cython", pythons)
            text += (f"; on the Pythons in range ({', '.join(_axis_releases('python', pythons))})"
                     f" the tested Cython releases are {', '.join(cythons)}")
        return [text + (f" (in range: {found})" if found else "")]
    return [f"no selected case was tried in range where it counts: of"
            f" {_plural(len(in_range), 'result')} in range, {found}"]


def _series_warnings(support: SupportRange, rows: list[Row]) -> list[str]:
    """``--cython '==3.1'`` names one release (3.1.0), not the series: where that release was
    tested beside others of its series, say so (where it was not, the untested answer does)."""
    found = []
    for axis in ("cython", "numpy"):
        items = list(support.spec(axis))
        if not (len(items) == 1 and items[0].operator == "==" and "*" not in items[0].version
                and len(Version(items[0].version).release) == 2):
            continue
        written = items[0].version
        same = [v for v in _axis_releases(axis, rows)
                if v == written or v.startswith(written + ".")]
        if any(support.holds_axis(axis, r) for r in rows) and len(same) > 1:
            found.append(f"{support.flag(axis)} is {written}.0 only (PEP 440); the tested"
                         f" {written} releases are {', '.join(same)}; '=={written}.*' is the"
                         " whole series")
    return found


def _axis_warnings(support: SupportRange, mine: list[Row]) -> list[str]:
    """Specifiers that match no tested version of the cases they apply to while other cases
    were tried (numpy, with core cases selected too)."""
    tried = [r for r in mine if r["tried"] == "true"]
    return [f"{_no_match(support, axis, tried)}: the selected numpy cases are untested in"
            " this range" for axis in _empty_axes(support, tried)]




def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render_text(result: Answer, *, max_cells: int = 6, strict_toolchain: bool = False,
                safe: bool = False) -> str:
    """The answer for a terminal: one block per case, failures grouped by note; toolchain
    failures once, at the end."""
    lines = [f"Support range: {result.range}"]
    lines.append("Tested in range: " + "; ".join(
        f"{axis} {', '.join(values) if values else 'none'}"
        for axis, values in result.tested.items()))
    lines.extend(f"warning: {warning}" for warning in result.warnings)
    lines.append("")
    if result.untested:
        lines.extend(f"untested: {reason}" for reason in result.untested)
        lines.append("")
        selected = _plural(len(result.cases), "selected case")
        lines.append(f"Nothing in range was tried for the {selected}: untested, not a success.")
        lines.extend(_toolchain_lines(result.toolchain, strict_toolchain))
        return "\n".join(lines) + "\n"
    for case in result.cases:
        lines.extend(_case_lines(case, max_cells))
    failing = result.failing
    lines.append("")
    lines.append(f"{len(failing)} of {len(result.cases)} cases fail somewhere in the range"
                 + (f": {', '.join(c.case_id for c in failing)}" if failing else "."))
    dangling = result.dangling
    if dangling or safe:
        lines.append(f"{len(dangling)} of {len(result.cases)} cases leave a dangling target"
                     " after a resize of the source somewhere in the range"
                     + (f": {', '.join(c.case_id for c in dangling)}" if dangling else ".")
                     + (" (--safe: they fail the query)" if safe and dangling else ""))
    lines.extend(_toolchain_lines(result.toolchain, strict_toolchain))
    return "\n".join(lines) + "\n"


def _case_lines(case: CaseAnswer, max_cells: int) -> list[str]:
    head = f"{ANSWER_SYMBOLS[case.verdict]} {case.case_id}: "
    tried = case.works + len(case.failures)
    apart = ""
    if case.toolchain_failures:
        apart = (f"; {_plural(len(case.toolchain_failures), 'toolchain failure')} not held"
                 " against it (listed at the end)")
    if case.verdict == "works":
        head += (f"works (where the toolchain builds) on all {tried} tried cells in range{apart}"
                 if apart else f"works on all {tried} tried cells in range")
    elif case.verdict == "fails":
        head += f"fails on {len(case.failures)} of {tried} tried cells in range{apart}"
    elif case.verdict == "flaky":
        head += f"only flaky results in range (neither works nor fails){apart}"
    else:
        head += f"no result in range (untested, not a success){apart}"
    lines = [head]
    lines.extend(_failure_lines(case.failures, max_cells, "    "))
    if case.shipped_failures:
        count = len(case.shipped_failures)
        lines.append(f"    with shipped C 📦 (a Cython that does not install on that Python;"
                     f" not counted unless --shipped-c): fails on {count}"
                     f" cell{'s' if count > 1 else ''}")
        lines.extend(_failure_lines(case.shipped_failures, max_cells, "      "))
    if case.dangles:
        lines.append(f"    dangles after a resize of the source (measured) on"
                     f" {_plural(len(case.dangles), 'worked cell')}:")
        lines.extend(_failure_lines(case.dangles, max_cells, "      "))
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
    return lines


def _toolchain_lines(toolchain: Sequence[ToolchainFailure], strict: bool) -> list[str]:
    """``Your range includes toolchains that build nothing: ...``, one line per group."""
    if not toolchain:
        return []
    lines = ["", "Your range includes toolchains that build nothing (a control case, with no"
                 " memory idiom, fails there too; not held against any case):"]
    for group in toolchain:
        where = f"Cython {group.cython} on Python {', '.join(group.pythons)}"
        if group.numpy:
            where += f" with numpy {', '.join(group.numpy)}"
        what = group.stage + (f", note {group.note}" if group.note else f": {group.error}")
        if group.shipped_c:
            where = "📦 " + where
            what += ("; shipped C, counted (--shipped-c)" if group.counted
                     else "; shipped C, not counted unless --shipped-c")
        lines.append(f"    {where} ({what})")
        lines.append(f"      reproduce: {group.reproduce}")
    if strict and any(t.counted for t in toolchain):
        lines.append("--strict-toolchain: these fail the query (exit status 3).")
    return lines


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
