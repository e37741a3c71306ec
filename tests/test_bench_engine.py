"""The engine benchmark's count of a grid's modules per cell: planned by kind, and what
splitting a failing batch adds (the figure issue 38 asks the benchmark to print)."""

from __future__ import annotations

import sys

from matrix.build.modules import plan_modules
from matrix.model.cases import load_cases
from matrix.store.paths import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))

import bench_engine  # noqa: E402

CASES = load_cases(PROJECT_ROOT / "cases")


def _records(cell: str, modules: dict[str, str]) -> dict[tuple[str, str], dict[str, object]]:
    return {(case_id, cell): {"provenance": {"module": module}}
            for case_id, module in modules.items()}


def test_a_cell_built_as_planned_adds_no_split() -> None:
    core = [c for c in CASES if not c.needs_numpy]
    planned = plan_modules(core)
    modules = {case.id: f"mm_{index}" for index, module in enumerate(planned)
               for case in module.cases}
    counts = bench_engine.module_counts(_records("py3.11-cy3.2.9", modules))
    assert counts.cells == 1
    assert counts.built == len(planned) == 7
    assert counts.planned == {"default batch": 1, "other configurations": 4, "control": 1,
                              "alone by design": 1}
    assert counts.splits == 0
    assert bench_engine.module_text(counts) == (
        "modules per cell: 7.0 built = 7.0 planned (1.0 default batch, 4.0 other"
        " configurations, 1.0 control, 1.0 alone by design) + 0.0 from splitting failing"
        " batches")


def test_a_failing_batch_split_into_one_module_per_case_counts_as_splits() -> None:
    """A build-vs-run cell whose batch fails to import and has each case built alone (numpy 1.x
    headers, numpy 2.x at run time), beside a core cell built as planned."""
    numpy = [c for c in CASES if c.needs_numpy]
    alone = {case.id: f"mm_{case.id}" for case in numpy}
    core = {case.id: f"mm_{index}"
            for index, module in enumerate(plan_modules([c for c in CASES
                                                          if not c.needs_numpy]))
            for case in module.cases}
    counts = bench_engine.module_counts({**_records("py3.12-cy3.3.1-np1.26.4-run2.5.5", alone),
                                         **_records("py3.12-cy3.3.1", core)})
    assert counts.cells == 2
    assert counts.planned == {"default batch": 2, "other configurations": 4, "control": 2,
                              "alone by design": 2}  # the guide's numpy case, the Limited API one
    assert counts.built == len(numpy) + 7
    assert counts.splits == len(numpy) - 3
    assert bench_engine.module_text(counts).endswith(
        f" + {(len(numpy) - 3) / 2:.1f} from splitting failing batches")
