"""Does a run agree with the published results? The machine check's verdict.

A run into a fresh results folder (``nox -s matrix -- --quick --results DIR``) measured some
cells again, on this machine: each of its records is compared with the published record of the
same case and cell (the current one, whichever toolchain measured it) by what they measured
(:func:`~matrix.model.checks.signature`: the outcome, the error line as readers see it, the
behaviour), the rule a re-measurement uses.  Records of cells the published results do not hold
are counted apart, never as agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matrix.model.cells import Cell
from matrix.model.checks import PROPERTIES, signature
from matrix.model.records import Record
from matrix.model.selection import latest_per_cell


@dataclass(frozen=True)
class Agreement:
    """The run's records against the published ones, cell by cell."""

    compared: int
    """Records of the run whose case and cell the published results hold."""
    disagreements: tuple[tuple[Record, Record], ...]
    """``(measured here, published)`` pairs that measured something else."""
    unpublished: int
    """Records of cells the published results do not hold (nothing to agree with)."""

    @property
    def agreeing(self) -> int:
        return self.compared - len(self.disagreements)

    def verdict(self) -> str:
        """One line: ``234 of 234 records agree with the published results``."""
        line = f"{self.agreeing} of {self.compared} records agree with the published results"
        if self.unpublished:
            line += f" ({self.unpublished} of cells they do not hold: not compared)"
        return line

    def lines(self) -> list[str]:
        """The verdict, then each disagreement with what each side measured and a reproducer."""
        found = [self.verdict()]
        for here, published in self.disagreements:
            cell = Cell(here.python, here.cython, here.numpy_build, here.numpy_run,
                        here.compiler)
            found.append(f"  {here.case_id} on {here.cell_id}: here {_said(here)},"
                         f" published {_said(published)}")
            found.append(f"    reproduce: {cell.try_command(here.case_id)}")
        return found


def _said(record: Record) -> str:
    """What a record measured, as :func:`~matrix.model.checks.signature` compares it."""
    measured = signature(record)
    if measured.outcome != "ok":
        return f"{measured.outcome} ({measured.error})"
    return "ok (" + ", ".join(f"{name}={'?' if value is None else str(value).lower()}"
                              for name, value in zip(PROPERTIES, measured.behaviour)) + ")"


def compare_with_published(measured: Sequence[Record], published: Sequence[Record]
                           ) -> Agreement:
    """Each current record of ``measured`` against the current published record of its case
    and cell."""
    theirs = latest_per_cell(published)
    mine = latest_per_cell(measured)
    compared = [(record, theirs[key]) for key, record in sorted(mine.items()) if key in theirs]
    return Agreement(len(compared),
                     tuple((m, p) for m, p in compared if signature(m) != signature(p)),
                     len(mine) - len(compared))
