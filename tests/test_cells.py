"""matrix.model.cells: one order of cells for the plan, the tables and the records."""

from __future__ import annotations

from dataclasses import replace

from matrix.model.cells import Cell, cell_order
from matrix.model.compilers import COMPILERS
from matrix.model.selection import cell_sort_key

from .test_store import make_record


def test_the_plan_and_the_records_sort_cells_alike() -> None:
    """A cell and a record of it have the same key (the plan's and the tables' order once
    disagreed on compilers: the plan put them by name, the tables in the axis's order)."""
    cells = [Cell("3.11", "3.0.12", compiler=c) for c in reversed(list(COMPILERS))]
    cells += [Cell("pypy3.11", "3.0.12"), Cell("3.11", "0.29.37"), Cell("3.13t", "3.1.8"),
              Cell("3.11", "3.0.12", "2.1.3", "2.1.3"), Cell("3.11", "3.0.12", "1.26.4", "2.1.3"),
              Cell("3.12", "3.0.12"), Cell("2.7", "0.29.37")]
    ordered = sorted(cells, key=Cell.sort_key)
    assert [c.id for c in ordered] == [
        "py2.7-cy0.29.37", "py3.11-cy0.29.37",
        *(Cell("3.11", "3.0.12", compiler=c).id for c in COMPILERS),  # the axis's order
        "py3.11-cy3.0.12-np1.26.4-run2.1.3", "py3.11-cy3.0.12-np2.1.3",
        "pp3.11-cy3.0.12", "py3.12-cy3.0.12", "py3.13t-cy3.1.8"]
    assert list(COMPILERS)[1:] != sorted(list(COMPILERS)[1:]), "the axis is not alphabetical"
    for cell in cells:
        record = replace(make_record("k"), python=cell.python, cython=cell.cython,
                         numpy_build=cell.numpy_build, numpy_run=cell.numpy_run,
                         compiler=cell.compiler)
        assert cell_sort_key(record) == cell.sort_key() == cell_order(
            cell.python, cell.cython, cell.numpy_build, cell.numpy_run, cell.compiler)
