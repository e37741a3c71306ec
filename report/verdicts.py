"""Verdicts: what a group of records says about a case, and how a table cell shows it.

Three kinds of "no" are kept apart, because they mean different things to a reader:

* *failed*       -- the case was built/run and did not work (the case's fault);
* *not possible* -- the cell cannot exist (no wheel, this Cython cannot run on this Python);
* *not tested*   -- no record at all for that cell;

and an environment error (network, install hiccup) is *could not be tried*, never a failure.

A *flaky* record (:mod:`matrix.model.checks`: measured again from scratch, the results disagree) is
neither a success nor a failure: it is left out of the counts and shown with :data:`FLAKY`
(a group of only flaky records has the verdict :attr:`Verdict.FLAKY`).

A *toolchain failure* (:mod:`report.controls`: the case failed in a cell where the toolchain's
control case failed at the same stage) is the toolchain's, not the case's: like a flaky record
it counts for neither side, and a group of only toolchain failures has the verdict
:attr:`Verdict.TOOLCHAIN`, shown with :data:`TOOLCHAIN` (the toolchain table says why, once).

A cell measured with *shipped C* (this Cython does not install or run on this Python, so the C
it generated under another Python was built and run there, as from an sdist) is tried like any
other, and marked with :data:`SHIPPED_C` wherever it is shown, so that it is never read as
"this Cython works on this Python".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import CellKey, is_shipped_c
from report.footnotes import FailureKey, failure_key
from report.legend import FLAKY, SHIPPED_C, STAGES, SYMBOLS, Verdict


def _outcome_order(outcome: Outcome) -> int:
    return list(Outcome).index(outcome)


@dataclass(frozen=True)
class GroupVerdict:
    """A verdict plus what is needed to explain it."""

    verdict: Verdict
    stages: tuple[Outcome, ...] = ()
    """Failing outcomes seen (enum order)."""
    failures: tuple[FailureKey, ...] = ()
    """Distinct failures (and environment errors) seen, in cell order."""
    total: int = 0
    tried: int = 0
    ok: int = 0
    shipped: int = 0
    """How many of the tried records were measured with shipped C (see :data:`SHIPPED_C`)."""
    flaky: tuple[CellKey, ...] = ()
    """The flaky records of the group (left out of ``tried``, ``ok`` and the stages)."""
    toolchain: tuple[CellKey, ...] = ()
    """The records of the group that are toolchain failures (left out like flaky ones)."""
    toolchain_stages: tuple[Outcome, ...] = ()
    """The stages the toolchain failures failed at (enum order)."""
    toolchain_failures: tuple[FailureKey, ...] = ()
    """The distinct failures of the toolchain-failed records, in cell order."""

    @property
    def stage_text(self) -> str:
        return ", ".join(STAGES[s] for s in self.stages)


def aggregate(records: Sequence[Record], flaky: Collection[CellKey] = frozenset(),
              toolchain: Collection[CellKey] = frozenset()) -> GroupVerdict:
    """The verdict over ``records`` (already in cell order); the ``flaky`` ones and the
    ``toolchain`` failures (:mod:`report.controls`) count for neither side."""
    if not records:
        return GroupVerdict(Verdict.NOT_TESTED)
    if not any((r.case_id, r.cell_id) in toolchain or (r.case_id, r.cell_id) in flaky
               for r in records):  # the common case: neither applies
        return _plain(records)
    broken = tuple((r.case_id, r.cell_id) for r in records
                   if (r.case_id, r.cell_id) in toolchain
                   and (r.case_id, r.cell_id) not in flaky)
    if broken:
        rest = [r for r in records if (r.case_id, r.cell_id) not in toolchain
                or (r.case_id, r.cell_id) in flaky]
        failed = [r for r in records if (r.case_id, r.cell_id) in broken]
        group = aggregate(rest, flaky) if rest else GroupVerdict(Verdict.NOT_TESTED)
        if group.verdict in (Verdict.NOT_TESTED, Verdict.NOT_POSSIBLE, Verdict.ENV_ERROR):
            # Only toolchain failures were tried: their shipped C is what the cell shows.
            group = replace(group, verdict=Verdict.TOOLCHAIN,
                            shipped=sum(1 for r in failed if is_shipped_c(r)))
        stages = tuple(sorted({r.outcome for r in failed}, key=_outcome_order))
        found: list[FailureKey] = []
        for record in failed:
            key = failure_key(record)
            if key is not None and key not in found:
                found.append(key)
        return replace(group, total=len(records), toolchain=broken, toolchain_stages=stages,
                       toolchain_failures=tuple(found))
    unsettled = tuple((r.case_id, r.cell_id) for r in records
                      if (r.case_id, r.cell_id) in flaky)
    if unsettled:
        settled = [r for r in records if (r.case_id, r.cell_id) not in flaky]
        group = aggregate(settled) if settled else GroupVerdict(Verdict.FLAKY)
        verdict = Verdict.FLAKY if group.verdict in (Verdict.NOT_TESTED,) else group.verdict
        return replace(group, verdict=verdict, total=len(records), flaky=unsettled)
    return _plain(records)


def _plain(records: Sequence[Record]) -> GroupVerdict:
    """The verdict over ``records`` none of which is flaky or a toolchain failure."""
    tried = [r for r in records if not r.outcome.could_not_be_tried]
    ok = sum(1 for r in tried if r.outcome is Outcome.OK)
    failed = [r for r in tried if r.outcome.failed]
    stages = tuple(sorted({r.outcome for r in failed}, key=_outcome_order))
    keys: list[FailureKey] = []
    notable = failed if tried else [r for r in records if r.outcome is Outcome.ENV_ERROR]
    for record in notable:
        key = failure_key(record)
        if key is not None and key not in keys:
            keys.append(key)
    if not tried:
        envs = any(r.outcome is Outcome.ENV_ERROR for r in records)
        verdict = Verdict.ENV_ERROR if envs else Verdict.NOT_POSSIBLE
    elif not failed:
        verdict = Verdict.OK
    elif ok:
        verdict = Verdict.MIXED
    else:
        verdict = Verdict.FAILED
    shipped = sum(1 for r in tried if is_shipped_c(r))
    return GroupVerdict(verdict, stages, tuple(keys), len(records), len(tried), ok, shipped)


def shipped_mark(shipped: bool | int) -> str:
    """A space and :data:`~report.legend.SHIPPED_C` after something measured (partly) with
    shipped C; empty otherwise."""
    return f" {SHIPPED_C}" if shipped else ""


def cell_text(group: GroupVerdict, note_refs: str = "", *, counts: bool = False) -> str:
    """How a table cell shows a verdict: its symbol (:data:`~report.legend.SYMBOLS`), for a
    mixed one ``2/3`` and the stages, for a failed one the stages (``run<sup>4</sup>``),
    followed by :func:`shipped_mark` when any tried record of the group was measured with
    shipped C (no count: cells stay short; ``compat.json`` has it).

    Args:
        group: the verdict.
        note_refs: the rendered note references (``<sup>..</sup>``), if any.
        counts: show ``ok/tried`` for mixed verdicts.
    """
    if group.flaky and group.verdict not in (Verdict.FLAKY, Verdict.MIXED, Verdict.FAILED,
                                             Verdict.ENV_ERROR):
        # Only the flaky records have notes here: they follow the flaky mark.
        return f"{SYMBOLS[group.verdict]} {FLAKY}{note_refs}" + shipped_mark(group.shipped)
    flaky = f" {FLAKY}" if group.flaky and group.verdict is not Verdict.FLAKY else ""
    return _verdict_text(group, note_refs, counts=counts) + flaky + shipped_mark(group.shipped)


def _verdict_text(group: GroupVerdict, note_refs: str, *, counts: bool) -> str:
    symbol = SYMBOLS[group.verdict]
    if group.verdict is Verdict.MIXED:
        detail = f" {group.ok}/{group.tried}" if counts else ""
        return f"{symbol}{detail} {group.stage_text}{note_refs}"
    if group.verdict is Verdict.FAILED:
        return f"{symbol} {group.stage_text}{note_refs}"
    if group.verdict in (Verdict.ENV_ERROR, Verdict.FLAKY):
        return f"{symbol}{note_refs}"
    if group.verdict is Verdict.TOOLCHAIN:
        stages = ", ".join(STAGES[s] for s in group.toolchain_stages)
        return f"{symbol} {stages}{note_refs}" if stages else f"{symbol}{note_refs}"
    return symbol
