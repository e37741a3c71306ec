"""Combinations that fail for every case: toolchains, not cases, at fault.

Some failures say nothing about a case: in a cell where *every* case that was tried failed to
build (Cython rejected it, or the C compiler did), the toolchain combination itself is broken:
Cython 0.29's generated C, say, does not compile for Python 3.13. Such a cell is listed once, as
a combination, and the inferred ranges of each case leave it out (as if untried), so that they
state what is the case's own doing.

Only the build stages count. A run-stage outcome (``import-error``, ``run-error``, ``crash``,
``timeout``) is the case's behaviour, even when every case shows it; and the build-vs-run (``abi``)
cells are left to their own table, which already says when no built module imports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.version import Version

from matrix.outcomes import Outcome
from matrix.records import Record
from report.footnotes import FailureKey, failure_key
from report.model import cell_sort_key, generated_under, is_shipped_c, version_key
from report.verdicts import SHIPPED_C

BUILD_FAILURES = (Outcome.CYTHONIZE_ERROR, Outcome.CC_ERROR)
"""The outcomes that can be a combination's fault (in the order stages are named)."""
KINDS = ("core", "numpy")
"""Cell kinds searched; core and numpy cells hold different case sets, and never share an id."""
MIN_CASES = 2
"""Fewer cases tried than this are no evidence that the combination, not the case, fails."""
MAX_LISTED = 6
"""More versions than this on one axis are named by their span and count."""

_STAGE_PHRASES = {
    (Outcome.CYTHONIZE_ERROR,): "fail to build (cythonize)",
    (Outcome.CC_ERROR,): "fail to compile (cc)",
    BUILD_FAILURES: "fail to build (cythonize or cc)",
}


@dataclass(frozen=True)
class CombinationFailure:
    """One cell where every case that was tried failed to build."""

    cell_id: str
    kind: str
    python: str
    cython: str
    numpy: str | None
    cases: tuple[str, ...]
    """The cases tried there (all failed), in record order."""
    stages: tuple[Outcome, ...]
    """The build stages they failed at, in stage order."""
    failures: tuple[FailureKey, ...]
    """The distinct failures, in record order."""
    shipped_c: bool = False
    """Measured with shipped C: this Cython does not install or run on this Python, so what
    failed is the C it generated under another Python (:attr:`generated_under`)."""
    generated_under: tuple[str, ...] = ()
    """The Pythons the shipped C was generated under (oldest first); empty when native."""

    @property
    def common_failure(self) -> FailureKey | None:
        """The failure every case shows, or ``None`` when they differ."""
        return self.failures[0] if len(self.failures) == 1 else None


def _failure(cell_id: str, tried: Sequence[Record]) -> CombinationFailure:
    first = tried[0]
    keys: list[FailureKey] = []
    for record in tried:
        key = failure_key(record)
        if key is not None and key not in keys:
            keys.append(key)
    found = {r.outcome for r in tried}
    shipped = [r for r in tried if is_shipped_c(r)]
    return CombinationFailure(
        cell_id=cell_id, kind=first.cell_kind, python=first.python, cython=first.cython,
        numpy=first.numpy_build, cases=tuple(r.case_id for r in tried),
        stages=tuple(o for o in BUILD_FAILURES if o in found), failures=tuple(keys),
        shipped_c=bool(shipped),
        generated_under=tuple(sorted({generated_under(r) for r in shipped} - {""},
                                     key=version_key)),
    )


def is_combination_failure(records: Sequence[Record], *, min_cases: int = MIN_CASES) -> bool:
    """Whether the records of one cell show a broken combination.

    True when at least ``min_cases`` cases were tried there (``env-error`` and
    ``not-possible`` are not tried) and every one of them failed at a build stage.
    """
    tried = [r for r in records if not r.outcome.could_not_be_tried]
    return len(tried) >= min_cases and all(r.outcome in BUILD_FAILURES for r in tried)


def combination_failures(records: Iterable[Record], *, min_cases: int = MIN_CASES,
                         ) -> tuple[CombinationFailure, ...]:
    """The core and numpy cells where every case tried failed to build, in cell order.

    Args:
        records: one record per (case, cell), as the report uses them.
        min_cases: the fewest cases that must have been tried in a cell.
    """
    by_cell: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        if record.cell_kind in KINDS:
            by_cell[record.cell_id].append(record)
    found = []
    for cell_id, cell_records in by_cell.items():
        if is_combination_failure(cell_records, min_cases=min_cases):
            tried = [r for r in cell_records if not r.outcome.could_not_be_tried]
            found.append((cell_sort_key(tried[0]), _failure(cell_id, tried)))
    return tuple(failure for _, failure in sorted(found, key=lambda pair: pair[0]))


def listed(values: Iterable[str]) -> str:
    """Versions oldest first: all of them when few, else ``first–last (n versions)``."""
    ordered = sorted(set(values), key=version_key)
    if len(ordered) <= MAX_LISTED:
        return ", ".join(ordered)
    return f"{ordered[0]}–{ordered[-1]} ({len(ordered)} versions)"


_Block = tuple[frozenset[str], frozenset[str], frozenset[str]]
"""(Pythons, Cythons, numpys) whose every combination failed; numpy empty for core cells."""


def _merge(blocks: Iterable[_Block], axis: int) -> list[_Block]:
    """Merge blocks that agree on every axis but ``axis``."""
    merged: dict[tuple[frozenset[str], ...], set[str]] = defaultdict(set)
    for block in blocks:
        rest = tuple(part for index, part in enumerate(block) if index != axis)
        merged[rest].update(block[axis])
    out = []
    for rest, values in merged.items():
        parts = list(rest)
        parts.insert(axis, frozenset(values))
        out.append((parts[0], parts[1], parts[2]))
    return out


def _block_key(block: _Block) -> tuple[tuple[int, Version | str], ...]:
    """Cython, then Python, then numpy: the oldest version of each."""
    return tuple(min((version_key(v) for v in part), default=version_key(None))
                 for part in (block[1], block[0], block[2]))


def combination_names(failures: Iterable[CombinationFailure], *, shipped_c: bool = False,
                      ) -> tuple[str, ...]:
    """Compact names for the failed cells: ``Cython 0.29.37 on Python 3.12, 3.13 with numpy
    2.1.3``. Cells that differ on one axis only are named together (numpy first, then Python,
    then Cython), so every named combination is one that failed.

    With ``shipped_c`` (cells measured with shipped C) the names say whose C it was:
    ``C from Cython 0.27.3 on Python 3.12 📦``.
    """
    blocks: list[_Block] = [
        (frozenset({f.python}), frozenset({f.cython}),
         frozenset({f.numpy}) if f.numpy else frozenset())
        for f in failures
    ]
    for axis in (2, 0, 1):
        blocks = _merge(blocks, axis)
    names = []
    for pythons, cythons, numpys in sorted(blocks, key=_block_key):
        name = f"Cython {listed(cythons)} on Python {listed(pythons)}"
        if numpys:
            name += f" with numpy {listed(numpys)}"
        names.append(f"C from {name} {SHIPPED_C}" if shipped_c else name)
    return tuple(names)


@dataclass(frozen=True)
class CombinationGroup:
    """Combinations of one cell kind that fail at the same stages, with the same error (or
    with various errors), all measured natively or all with shipped C."""

    kind: str
    stages: tuple[Outcome, ...]
    common_failure: FailureKey | None
    """The failure every case shows in every combination of the group; ``None``: various."""
    combinations: tuple[CombinationFailure, ...]
    shipped_c: bool = False
    """The combinations were measured with shipped C (see :attr:`CombinationFailure.shipped_c`)."""

    @property
    def generated_under(self) -> tuple[str, ...]:
        """The Pythons the shipped C was generated under, oldest first."""
        found = {v for c in self.combinations for v in c.generated_under}
        return tuple(sorted(found, key=version_key))

    @property
    def failures(self) -> tuple[FailureKey, ...]:
        """Every distinct failure seen in the group, in cell order."""
        keys: list[FailureKey] = []
        for combination in self.combinations:
            keys.extend(k for k in combination.failures if k not in keys)
        return tuple(keys)

    @property
    def names(self) -> tuple[str, ...]:
        return combination_names(self.combinations, shipped_c=self.shipped_c)

    @property
    def what(self) -> str:
        """``all 25 cases tried fail to compile (cc), with various errors``, ``both numpy cases
        tried fail to build (cythonize)`` (one error, the one note); for shipped C, followed by
        ``(shipped C, generated under Python 3.6.15)``."""
        counts = sorted({len(c.cases) for c in self.combinations})
        noun = "numpy cases" if self.kind == "numpy" else "cases"
        if counts == [2]:
            subject = f"both {noun} tried"
        else:
            number = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
            subject = f"all {number} {noun} tried"
        errors = "" if self.common_failure is not None else ", with various errors"
        return f"{subject} {_STAGE_PHRASES[self.stages]}{errors}{self._shipped_text}"

    @property
    def _shipped_text(self) -> str:
        if not self.shipped_c:
            return ""
        under = self.generated_under
        return (f" (shipped C, generated under Python {', '.join(under)})" if under
                else " (shipped C)")

    @property
    def sentence(self) -> str:
        """The entry without its note references."""
        return f"{'; '.join(self.names)}: {self.what}"


def group_combinations(failures: Iterable[CombinationFailure]) -> tuple[CombinationGroup, ...]:
    """Group combinations by (kind, stages, common error or various, shipped C or native);
    core first, then numpy, each in the order of its first cell."""
    grouped: dict[tuple[str, tuple[Outcome, ...], FailureKey | None, bool],
                  list[CombinationFailure]] = defaultdict(list)
    for failure in failures:
        key = (failure.kind, failure.stages, failure.common_failure, failure.shipped_c)
        grouped[key].append(failure)
    groups = [CombinationGroup(kind, stages, common, tuple(members), shipped)
              for (kind, stages, common, shipped), members in grouped.items()]
    return tuple(sorted(groups, key=lambda g: KINDS.index(g.kind)))
