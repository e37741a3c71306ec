"""The measured toolchain baseline: which failures are a case's own, which the toolchain's.

Every cell also builds *control cases* (``role = "control"`` in ``cases/``): code with no memory
idiom, built alone (``control-plain`` in core cells; ``control-numpy``, which cimports numpy and
calls ``import_array()``, in numpy cells). A control that fails says the toolchain of that cell
(Python, Cython, numpy built against and run under, C compiler) builds or runs nothing at that
stage: C from Cython 0.29.37 does not compile for Python 3.13, a module built against numpy
1.26 does not import under numpy 2.

A conversion case that fails in a cell where a control failed *at the same stage* (the same
outcome) has hit that toolchain failure, not a failure of its own idiom: the report shows it
once, in the toolchain table, and judges the case on the other cells. A numpy cell's toolchain
contains its core cell's (same Python, Cython and compiler), so a numpy cell is judged against
both its own control and the core cell's: C from Cython 0.29.37 does not compile for Python
3.13 whether or not the module cimports numpy (where numpy 2.5's ``.pxd`` stops
``control-numpy`` at the cythonize stage, ``control-plain`` still shows that the C would not
compile). A case that fails at another stage than every control (Cython 0.27 rejects ``const``
memoryviews at the cythonize stage, where its C would also fail to compile) keeps its
failure: it is the case's own.

Only settled control records judge: a control that could not be tried (``env-error``,
``not-possible``) or is flaky (:mod:`matrix.model.checks`) says nothing, and the case's failures in
that cell stay its own (nothing is excused without a measurement).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from matrix.model.records import Record
from matrix.model.selection import CaseInfo, CellKey


@dataclass(frozen=True)
class ToolchainBaseline:
    """The settled control records of each cell, and the judgement they allow."""

    control_ids: frozenset[str]
    """The ids of the control cases."""
    controls: Mapping[str, tuple[Record, ...]] = field(default_factory=dict)
    """``cell_id -> settled control records`` (tried, not flaky)."""

    def is_control(self, case_id: str) -> bool:
        return case_id in self.control_ids

    def controls_of(self, record: Record) -> tuple[Record, ...]:
        """The settled controls that judge ``record``: its cell's, and for a numpy cell also
        its core cell's."""
        own = self.controls.get(record.cell_id, ())
        if record.numpy_build is None:
            return own
        return own + self.controls.get(record.core_cell.id, ())

    def judges(self, record: Record) -> bool:
        """A settled control was measured in the record's cell (and the record is no
        control): the record can be judged against the baseline."""
        return not self.is_control(record.case_id) and bool(self.controls.get(record.cell_id))

    def is_toolchain_failure(self, record: Record) -> bool:
        """The record failed at the stage a settled control of its cell (or of its core cell)
        failed at."""
        if not record.outcome.failed or not self.judges(record):
            return False
        return any(c.outcome is record.outcome for c in self.controls_of(record))

    def verdict_text(self, record: Record) -> str:
        """``true`` (a toolchain failure), ``false`` (judged: the record's result is its
        own) or ``""`` (a control, or no settled control in its cell): the data files'
        ``toolchain_failure`` column."""
        if not self.judges(record):
            return ""
        return "true" if self.is_toolchain_failure(record) else "false"

    def toolchain_failures(self, records: Iterable[Record]) -> frozenset[CellKey]:
        """The ``(case, cell)`` of every toolchain failure among ``records``."""
        return frozenset((r.case_id, r.cell_id) for r in records if self.is_toolchain_failure(r))


def toolchain_baseline_of(records: Iterable[Record], cases: Iterable[CaseInfo],
                flaky: Collection[CellKey] = frozenset()) -> ToolchainBaseline:
    """The baseline from the report's records (one per case and cell) and the cases' roles;
    ``flaky`` records (re-measured, the results disagree) are not settled."""
    control_ids = frozenset(c.id for c in cases if c.role == "control")
    controls: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        if (record.case_id in control_ids and not record.outcome.could_not_be_tried
                and (record.case_id, record.cell_id) not in flaky):
            controls[record.cell_id].append(record)
    return ToolchainBaseline(control_ids, {cell: tuple(rs) for cell, rs in controls.items()})
