"""A cell of the matrix: one Python x one Cython x (optionally) numpy built / numpy run."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from matrix.model.compilers import COMPILERS, DEFAULT_COMPILER
from matrix.model.interpreters import cell_prefix
from matrix.model.versions import CHANNELS, VersionKey, channel, version_key

TRY_COMMAND = "nox -s matrix -- try"
"""How a reproducer starts (the README's spelling of ``python -m matrix try``)."""


@dataclass(frozen=True, order=True)
class Cell:
    """One coordinate of the grid; ``python`` is the axis value: a minor such as ``"3.11"``, or
    another interpreter kind's (``"3.13t"``, ``"pypy3.11"``: :mod:`matrix.model.interpreters`).

    Kinds:
        ``core``  -- no numpy: the cases that do not depend on numpy.
        ``numpy`` -- numpy cases built and run against the same numpy.
        ``abi``   -- numpy cases built against ``numpy_build`` and run under ``numpy_run``.
    """

    python: str
    cython: str
    numpy_build: str | None = None
    numpy_run: str | None = None
    compiler: str = DEFAULT_COMPILER
    """The C compiler (:mod:`matrix.model.compilers`); the default one keeps the id it always
    had."""

    def __post_init__(self) -> None:
        if (self.numpy_build is None) != (self.numpy_run is None):
            raise ValueError("numpy_build and numpy_run are set together")

    @property
    def kind(self) -> str:
        if self.numpy_build is None:
            return "core"
        return "numpy" if self.numpy_build == self.numpy_run else "abi"

    @property
    def id(self) -> str:
        """Flat readable id, e.g. ``py3.11-cy3.0.12-np1.26.4``, ``...-np1.26.4-run2.1.3`` or,
        with another compiler than the default, ``py3.11-cy0.29.37-clang``; another interpreter
        kind's head is its own (``pp3.11-cy3.0.12``)."""
        return f"{cell_prefix(self.python)}-{self.id_after_python}"

    @property
    def id_after_python(self) -> str:
        """The id without its Python head: ``cy3.3.1-np1.26.4-run2.1.3`` (how a list of cells
        on one Python names them)."""
        text = f"cy{self.cython}"
        if self.numpy_build is not None:
            text += f"-np{self.numpy_build}"
            if self.numpy_run != self.numpy_build:
                text += f"-run{self.numpy_run}"
        if self.compiler != DEFAULT_COMPILER:
            text += f"-{self.compiler}"
        return text

    @property
    def channels(self) -> tuple[str, ...]:
        """The kinds of release that are not final in this cell (:func:`matrix.model.versions.
        channel` of its Cython and numpy releases): empty for a cell of the released table."""
        found = {channel(v) for v in (self.cython, self.numpy_build, self.numpy_run)}
        return tuple(c for c in CHANNELS if c in found and c != "final")

    @property
    def is_canary(self) -> bool:
        """A cell of a pre-release or development build: measured in the canary lane, never
        in the released table."""
        return bool(self.channels)

    def try_command(self, case_id: str) -> str:
        """``nox -s matrix -- try ...`` measuring ``case_id`` in this cell (builds it again,
        stores nothing): the paste-ready reproducer of notes, queries and bisections, spelled
        as the README's commands are, so it runs in a fresh shell of a checkout (``python -m
        matrix try ...`` with the same flags, in the project's environment)."""
        parts = [TRY_COMMAND, f"--python {self.python}", f"--cython {self.cython}"]
        if self.numpy_build:
            parts.append(f"--numpy {self.numpy_build}")
            if self.numpy_run != self.numpy_build:
                parts.append(f"--numpy-run {self.numpy_run}")
        if self.compiler != DEFAULT_COMPILER:
            parts.append(f"--compiler {self.compiler}")
        parts.append(f"--case {case_id}")
        return " ".join(parts)

    def sort_key(self) -> VersionKey:
        """The cell in the one cell order (:func:`cell_order`)."""
        return cell_order(self.python, self.cython, self.numpy_build, self.numpy_run,
                          self.compiler)

    def to_json(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "cython": self.cython,
            "numpy_build": self.numpy_build,
            "numpy_run": self.numpy_run,
            "compiler": self.compiler,
        }


@functools.lru_cache(maxsize=65536)
def cell_order(python: str, cython: str, numpy_build: str | None, numpy_run: str | None,
               compiler: str) -> VersionKey:
    """The one order of cells (plans, tables, records): Python (a kind right after CPython's of
    the same language version), Cython, numpy built, numpy run, oldest first; then the
    compiler, in the compiler axis's order (the default first)."""
    order = list(COMPILERS)
    rank = order.index(compiler) if compiler in order else len(order)
    return (version_key(python), version_key(cython), version_key(numpy_build),
            version_key(numpy_run), rank, compiler)
