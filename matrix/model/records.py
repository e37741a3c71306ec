"""Result records: one per (case, cell), with full provenance and a content key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from matrix.model.cells import Cell
from matrix.model.compilers import DEFAULT_COMPILER
from matrix.model.jsonlines import read_lines
from matrix.model.outcomes import Outcome
from matrix.model.policy import IMPLIED_CAUSES, Cause, is_provisional_result

SCHEMA_VERSION = 1


def content_key(
    *,
    case_hash: str,
    runner_hash: str,
    python_version: str,
    cython: str,
    numpy_build: str | None,
    numpy_run: str | None,
    cc: str,
    cflags: tuple[str, ...],
    machine: str,
    procedure: str | None = None,
    engine_version: str | None = None,
    run_timeout_s: float | None = None,
    builds: tuple[str, ...] = (),
) -> str:
    """Everything that can change a measurement, hashed: equal key, no need to measure again.

    ``procedure`` names how cells are built, ``engine_version`` the code that decides
    outcomes (:mod:`matrix.run.engine_version`), ``run_timeout_s`` how long a case may run.
    ``None`` (keys made before they were inputs) leaves the material as it was, so every
    stored key stays reproducible (:mod:`matrix.store.migrate` relies on it).  ``builds``: the
    development builds' wheels (:func:`matrix.model.buildsource.key_material`), only in the
    keys of cells measured with one; empty, the material is as it was."""
    inputs: list[object] = [case_hash, runner_hash, python_version, cython, numpy_build,
                            numpy_run, cc, list(cflags), machine]
    if procedure is not None:
        inputs.append(procedure)
    if engine_version is not None:
        inputs.extend([engine_version, run_timeout_s])
    if builds:
        inputs.append(list(builds))
    material = json.dumps(inputs)
    return hashlib.sha256(material.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Behaviour:
    """The measured behaviour probes (``None`` = could not tell, see the detail)."""

    values_ok: bool | None = None
    copies: bool | None = None
    copies_evidence: tuple[str, ...] = ()
    readonly: bool | None = None
    readonly_detail: str | None = None
    locks_source: bool | None = None
    locks_detail: str | None = None
    warnings: tuple[str, ...] = ()
    probe_errors: tuple[str, ...] = ()
    """``probe: method() raised E: message`` for each probe whose method raised something that
    is not a measurement (that probe's value is then ``None``); empty for most records, and
    not written then (records from before the field keep their bytes)."""
    gil_enabled: bool | None = None
    """On a free-threaded CPython: whether importing the case's module re-enabled the GIL
    (``False``: it stayed disabled); ``None`` on other interpreters or where that could not be
    told (:attr:`matrix.run.probe.CaseRun.gil_enabled`), and not written then."""
    moves: str | None = None
    """After a resize of the source that took place (``locks_source`` false): ``"dangles"``
    (the source's data moved, the target kept the old address), ``"follows"`` (the target
    moved with it); ``None``: not measured or could not tell (``moves_detail`` says which,
    e.g. the resize left the data where it was)."""
    moves_detail: str | None = None
    sanitizer_read: str | None = None
    """In an AddressSanitizer build (``gcc-asan``), what reading through the target after the
    resize gave: ASan's error kind (``"heap-use-after-free"``), or ``"clean"`` (no report);
    ``None``: not read (no sanitizer, or no resize took place)."""
    sanitizer_report: str | None = None
    """The first line of ASan's report (``ERROR: AddressSanitizer: heap-use-after-free on
    address ...``, the address replaced by ``<address>``)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Behaviour:
        """A record's stored ``behaviour``; raises ``TypeError`` for a field it does not
        have."""
        found = dict(data)
        found["copies_evidence"] = tuple(found.get("copies_evidence", ()))
        found["warnings"] = tuple(found.get("warnings", ()))
        found["probe_errors"] = tuple(found.get("probe_errors", ()))
        return cls(**found)

    @classmethod
    def from_probes(cls, probes: dict[str, Any]) -> Behaviour:
        values = probes.get("values_ok", {})
        copies = probes.get("copies", {})
        readonly = probes.get("readonly", {})
        locks = probes.get("locks_source", {})
        convert = probes.get("convert", {})
        moves = probes.get("moves", {})
        read = probes.get("read_after_resize", {})
        return cls(
            values_ok=values.get("values_ok"),
            copies=copies.get("copies"),
            copies_evidence=tuple(copies.get("evidence", ())),
            readonly=readonly.get("readonly"),
            readonly_detail=readonly.get("detail") or readonly.get("error"),
            locks_source=locks.get("locks_source"),
            locks_detail=locks.get("detail") or locks.get("error"),
            warnings=tuple(convert.get("warnings", ())),
            probe_errors=tuple(f"{name}: {event['probe_error']}" for name, event in probes.items()
                               if isinstance(event, dict) and event.get("probe_error")),
            moves=moves.get("moves"),
            moves_detail=moves.get("detail") or moves.get("error"),
            sanitizer_read=read.get("sanitizer"),
            sanitizer_report=read.get("report"),
        )


@dataclass(frozen=True)
class Record:
    """One measured (case, cell): append-only, deterministic JSON."""

    key: str
    case_id: str
    case_hash: str
    cell_id: str
    cell_kind: str
    python: str
    """The cell's Python axis value: ``"3.11"`` for CPython, as every record always had; another
    interpreter kind's value names the kind (``"3.13t"``, ``"pypy3.11"``:
    :mod:`matrix.model.interpreters`), its provenance the release (``python_version``, and
    PyPy's own ``implementation_version``), from which
    :func:`matrix.model.interpreters.measured_key_material` rebuilds its key material."""
    cython: str
    numpy_build: str | None
    numpy_run: str | None
    outcome: Outcome
    first_error: str | None
    behaviour: Behaviour
    provenance: dict[str, Any] = field(default_factory=dict)
    log: str | None = None
    duration_s: float = 0.0
    timestamp: str = ""
    schema: int = SCHEMA_VERSION
    shipped_c: str | None = None
    """Set when this Cython does not install or run on this Python: the cell was measured with
    the C that Cython generated under another Python (``provenance["generated_under"]``),
    compiled, imported and run here, as an sdist shipping that C would be; the text says why
    Cython itself could not be used here.  ``None``: Cython installed and ran on this Python."""
    compiler: str = DEFAULT_COMPILER
    """The C compiler of the cell (:mod:`matrix.model.compilers`); stored only when not the
    default, so records of the default compiler read as they always did."""

    @property
    def cell(self) -> Cell:
        """The cell the record was measured in (its id is :attr:`cell_id`)."""
        return Cell(self.python, self.cython, self.numpy_build, self.numpy_run, self.compiler)

    @property
    def core_cell(self) -> Cell:
        """The core cell whose toolchain this record's cell contains (same Python, Cython and
        compiler, no numpy): the cell itself for a core cell."""
        return Cell(self.python, self.cython, None, None, self.compiler)

    @property
    def cause(self) -> Cause:
        """Why the record has its outcome, as the outcome policy reads it
        (:mod:`matrix.model.policy`): stored as ``provenance["cause"]``; a record from before
        the cause was recorded gets the one its outcome implies."""
        return cause_of(self.outcome, self.provenance.get("cause"))

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data (fresh dicts and lists; the provenance's nested values are
        shared with the record, so treat them as read-only)."""
        data = {name: getattr(self, name) for name in _RECORD_FIELDS}
        data["behaviour"] = {name: getattr(self.behaviour, name) for name in _BEHAVIOUR_FIELDS}
        data["provenance"] = dict(self.provenance)
        if self.compiler == DEFAULT_COMPILER:
            del data["compiler"]
        data["outcome"] = self.outcome.value
        data["behaviour"]["copies_evidence"] = list(self.behaviour.copies_evidence)
        data["behaviour"]["warnings"] = list(self.behaviour.warnings)
        if self.behaviour.probe_errors:
            data["behaviour"]["probe_errors"] = list(self.behaviour.probe_errors)
        else:
            del data["behaviour"]["probe_errors"]
        for name in ("gil_enabled", "moves", "moves_detail", "sanitizer_read",
                     "sanitizer_report"):
            if data["behaviour"][name] is None:
                del data["behaviour"][name]
        return data

    def to_line(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: dict[str, Any], behaviour: Behaviour | None = None) -> Record:
        """Parse a stored record; raises ``KeyError``, ``ValueError`` or ``TypeError``.
        ``behaviour``: ``data["behaviour"]`` already parsed (:meth:`Behaviour.from_json`; a
        store shares one among the records that measured the same)."""
        if data.get("schema") != SCHEMA_VERSION:
            raise ValueError(f"unknown schema {data.get('schema')!r} (expected {SCHEMA_VERSION})")
        return cls(
            key=str(data["key"]),
            case_id=str(data["case_id"]),
            case_hash=str(data["case_hash"]),
            cell_id=str(data["cell_id"]),
            cell_kind=str(data["cell_kind"]),
            python=str(data["python"]),
            cython=str(data["cython"]),
            numpy_build=data.get("numpy_build"),
            numpy_run=data.get("numpy_run"),
            outcome=Outcome(data["outcome"]),
            first_error=data.get("first_error"),
            behaviour=behaviour or Behaviour.from_json(data["behaviour"]),
            provenance=dict(data.get("provenance", {})),
            log=data.get("log"),
            duration_s=float(data.get("duration_s", 0.0)),
            timestamp=str(data.get("timestamp", "")),
            schema=int(data["schema"]),
            shipped_c=data.get("shipped_c"),
            compiler=str(data.get("compiler", "gcc")),
        )


_RECORD_FIELDS = tuple(f.name for f in fields(Record))
_BEHAVIOUR_FIELDS = tuple(f.name for f in fields(Behaviour))

BUILD_PROCEDURE = "generate-once/compile-per-python/1"
"""How a cell is built; part of every content key (a new procedure is a new measurement)."""
NUMPY_PXD_PROCEDURE = "numpy-package-mirror-on-sys.path"
"""How numpy cells give Cython numpy's ``.pxd`` (see :mod:`matrix.build.generate`); part of
their keys."""


def cause_of(outcome: Outcome, stored: object) -> Cause:
    """A record's cause: the stored ``provenance["cause"]``, else the one ``outcome``
    implies (records from before causes were recorded)."""
    if stored:
        return Cause(stored)
    return IMPLIED_CAUSES.get(outcome, Cause.REPORTED)


def is_provisional(record: Record) -> bool:
    """Stored, but measured again by the next run (:mod:`matrix.model.policy`)."""
    return is_provisional_result(record.outcome, record.cause)


def toolchain_of(record: Record, *, with_python: bool = True) -> str:
    """What measured a record besides its cell: ``gcc 12.2.0 · Python 3.11.7 · Linux-x86_64``
    (without the Python: per machine).  Records of one cell by different toolchains are kept
    apart (the report lists where they disagree)."""
    p = record.provenance
    python = f" · Python {p.get('python_version') or record.python}" if with_python else ""
    return f"{p.get('cc') or '?'}{python} · {p.get('machine') or '?'}"


def measured_content(record: Record) -> tuple[object, ...]:
    """What must agree between two records of the same key (not timings or log paths)."""
    return (record.outcome, record.first_error, record.behaviour, record.case_hash,
            record.cell_id)


def load_records(path: Path) -> list[Record]:
    """The current records of a results file (the latest line per key wins), in a stable order,
    read without the writers' lock (a reader such as the report; a half-written last line is
    skipped with a warning, any other bad line raises ``ResultsFileError`` naming file:line).
    The store (:mod:`matrix.store.results`) reads and writes the same file under its lock."""
    latest = {record.key: record for record in read_lines(path, Record.from_json, warn=True)}
    return sorted(latest.values(), key=lambda r: (r.case_id, r.cell_id, r.key))
