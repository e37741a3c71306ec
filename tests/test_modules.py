"""The modules a cell builds from the catalogue, and why each case is together or alone: a case
that silently forks a module of its own fails here (the count is the build cost of a cell)."""

from __future__ import annotations

from matrix.build.modules import (
    BATCHED,
    BUILT_ALONE,
    CONTROL_ALONE,
    ISOLATED,
    UNBATCHED,
    plan_modules,
)
from matrix.model.cases import load_cases
from matrix.store.paths import PROJECT_ROOT

CASES = load_cases(PROJECT_ROOT / "cases")


def _plan(numpy: bool) -> list[tuple[str, list[str]]]:
    cases = [c for c in CASES if c.needs_numpy == numpy]
    return [(m.why, [c.id for c in m.cases]) for m in plan_modules(cases)]


def test_a_core_cell_builds_seven_modules() -> None:
    """The core cell (every numpy-free case): the control alone; the Limited API case that fails
    in every cell alone (its file says why: in the batch its failure split the batch every
    time); one batch of the default configuration; one module per other configuration (Limited
    API 3.11, which its two other cases share; a module-wide directive; C++;
    language_level=2)."""
    plan = _plan(numpy=False)
    why = [w for w, _ in plan]
    assert why == [BUILT_ALONE, CONTROL_ALONE, BATCHED,
                   "batched: the module configuration Limited API 3.11",
                   "batched: the module configuration freethreading_compatible=True",
                   "batched: the module configuration C++",
                   "batched: the module configuration language_level=2"], why
    modules = dict((w, ids) for w, ids in plan)
    assert modules[CONTROL_ALONE] == ["control-plain"]
    assert modules[BUILT_ALONE] == ["array-to-int-memoryview-limited-api"]
    assert modules["batched: the module configuration Limited API 3.11"] == [
        "buffer-exporter-to-python-memoryview-limited-api",
        "bytes-to-const-uchar-memoryview-limited-api"]
    assert len(modules[BATCHED]) == len(CASES) - sum(c.needs_numpy for c in CASES) - 7


def test_a_numpy_cell_builds_three_modules() -> None:
    """The numpy cell: its control alone; the guide's pointer-to-numpy alone (Cython 3 inserts
    ``import_array()`` only into a module that never calls it, its file says), one batch."""
    plan = _plan(numpy=True)
    assert [(w, ids) for w, ids in plan if len(ids) == 1] == [
        (CONTROL_ALONE, ["control-numpy"]), (BUILT_ALONE, ["pointer-to-numpy-guide"])]
    assert [w for w, _ in plan] == [CONTROL_ALONE, BUILT_ALONE, BATCHED]


def test_controls_are_alone_whatever_else_happens() -> None:
    """A control's outcome is the toolchain's: never built with a batch mate, even when
    batching is off or its cases are isolated."""
    for case in CASES:
        if case.is_control:
            assert case.build_alone, case.id  # the loader insists on it too
    plan = plan_modules(CASES, frozenset({"control-plain", "bytes-to-char-pointer"}))
    alone = {m.cases[0].id: m.why for m in plan if len(m.cases) == 1}
    assert alone["control-plain"] == ISOLATED and alone["bytes-to-char-pointer"] == ISOLATED
    assert alone["control-numpy"] == CONTROL_ALONE
    assert all(m.why == UNBATCHED or len(m.cases) == 1
               for m in plan_modules(CASES, batch=False))
