"""What a planned cell measures, as a value: the cases it holds, and each case's content key and
identity.

A :class:`Measurement` is built once per planned cell from the cell, its interpreter and the
host's facts (compiler version, runner hash, machine, flags, run timeout).  The run asks it which
cases are missing from the store, the engine stamps its records with its keys, bisect looks its
steps up by them, ``recheck`` checks that a re-measurement is the same measurement, ``migrate``
and the store rebuild a stored record's key from :meth:`Measurement.of_record`.  A record's
:func:`identity_of` and a planned cell's :meth:`Measurement.identity` are the same
:class:`Identity`, built from the same fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from matrix.model.buildsource import key_material, stated
from matrix.model.cases import Case
from matrix.model.cells import Cell
from matrix.model.compilers import spec as compiler_spec
from matrix.model.compilers import version_of
from matrix.model.engines import ENGINE_VERSION
from matrix.model.interpreters import InterpreterId, measured_key_material
from matrix.model.records import BUILD_PROCEDURE, NUMPY_PXD_PROCEDURE, Record, content_key


def wanted(cell: Cell, cases: Iterable[Case]) -> list[Case]:
    """The ``cases`` that ``cell`` holds: a core cell the numpy-free ones, a numpy or abi cell
    the numpy ones (the one place that says so)."""
    numpy_cell = cell.numpy_build is not None
    return [case for case in cases if case.needs_numpy == numpy_cell]


def procedure_of(cell: Cell) -> str:
    """How ``cell`` is built (:data:`BUILD_PROCEDURE`, plus numpy's ``.pxd`` for numpy cells):
    part of its keys."""
    if cell.numpy_build is None:
        return BUILD_PROCEDURE
    return f"{BUILD_PROCEDURE};{NUMPY_PXD_PROCEDURE}"


class Identity(NamedTuple):
    """What a content key holds minus the toolchain (compiler version, Python patch release,
    machine): equal identities on two toolchains measured the same thing on each."""

    case_id: str
    cell_id: str
    case_hash: str
    runner_hash: object
    engine_version: object
    run_timeout_s: object
    cflags: tuple[str, ...]
    builds: tuple[str, ...] = ()
    """The development builds' wheels (:func:`matrix.model.buildsource.key_material`; empty
    for index releases)."""

    @classmethod
    def stored(cls, case_id: str, cell_id: str, case_hash: str,
               provenance: dict[str, Any]) -> Identity:
        """The identity a stored record states (a store reads these fields without the
        record)."""
        p = provenance
        return cls(case_id, cell_id, case_hash, p.get("runner_hash"), p.get("engine_version"),
                   p.get("run_timeout_s"), tuple(p.get("cflags") or ()),
                   key_material(stated(p)))


def identity_of(record: Record) -> Identity:
    """The identity of a stored record (:meth:`Measurement.identity` of what measured it)."""
    return Identity.stored(record.case_id, record.cell_id, record.case_hash, record.provenance)


@dataclass(frozen=True)
class Measurement:
    """One cell's measurement: its cases and every input of their keys but the case's own."""

    cell: Cell
    cases: tuple[Case, ...]
    """The cases given that this cell holds (:func:`wanted`)."""
    python_key: str
    """The interpreter's key material (:attr:`InterpreterId.key_material`)."""
    runner_hash: str
    machine: str
    cc: str
    """The cell's compiler version (:func:`matrix.model.compilers.version_of`)."""
    cflags: tuple[str, ...]
    """The run's flags plus the cell's compiler's own."""
    procedure: str | None
    """:func:`procedure_of` the cell; ``None`` only in keys of scheme 1, which had neither a
    procedure nor an engine version and run timeout (:mod:`matrix.store.migrate`)."""
    run_timeout_s: float | None
    engine_version: str | None = ENGINE_VERSION
    builds: tuple[str, ...] = ()
    """The development builds' wheels the cell uses, as key material
    (:func:`matrix.model.buildsource.key_material`); empty for index releases, whose keys stay
    as they were."""

    @classmethod
    def of(cls, cell: Cell, interpreter: InterpreterId, cases: Iterable[Case], *,
           system_cc: str, runner_hash: str, machine: str, cflags: tuple[str, ...],
           run_timeout_s: float, builds: tuple[str, ...] = ()) -> Measurement:
        """The measurement of ``cell`` on this host: ``system_cc`` is the system compiler's
        version, ``cflags`` the run's flags (the cell's compiler adds its own), ``builds`` the
        key material of the development builds it uses."""
        return cls(cell, tuple(wanted(cell, cases)), interpreter.key_material, runner_hash,
                   machine, version_of(cell.compiler, system_cc),
                   (*cflags, *compiler_spec(cell.compiler).extra_flags), procedure_of(cell),
                   run_timeout_s, builds=builds)

    @classmethod
    def of_record(cls, record: Record, python_key: str | None = None) -> Measurement:
        """The measurement a stored record states (no cases): its :meth:`key_for` the record's
        case hash is the record's key.  ``python_key``: the interpreter's key material, if
        not the one the record states (raises ``ValueError`` for a Python it cannot read)."""
        p = record.provenance
        if python_key is None:
            python_key = measured_key_material(record.python, p)
        return cls(record.cell, (), python_key, str(p.get("runner_hash")),
                   str(p.get("machine")), str(p.get("cc")), tuple(p.get("cflags") or ()),
                   procedure_of(record.cell), p.get("run_timeout_s"), p.get("engine_version"),
                   key_material(stated(p)))

    def key_for(self, case_hash: str) -> str:
        """The content key of the case whose hash is ``case_hash`` in this measurement."""
        return content_key(
            case_hash=case_hash, runner_hash=self.runner_hash, python_version=self.python_key,
            cython=self.cell.cython, numpy_build=self.cell.numpy_build,
            numpy_run=self.cell.numpy_run, cc=self.cc, cflags=self.cflags, machine=self.machine,
            procedure=self.procedure, engine_version=self.engine_version,
            run_timeout_s=self.run_timeout_s, builds=self.builds)

    def key(self, case: Case) -> str:
        """The content key of ``case`` in this cell: everything that can change the result."""
        return self.key_for(case.content_hash)

    def identity(self, case: Case) -> Identity:
        """What :meth:`key` holds minus the toolchain."""
        return Identity(case.id, self.cell.id, case.content_hash, self.runner_hash,
                        self.engine_version, self.run_timeout_s, self.cflags, self.builds)
