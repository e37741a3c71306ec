"""The provenance header (:class:`report.model.Provenance`): what was measured, where and when,
from the records alone.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from matrix.model.checks import Check, Remeasurement, latest_aa
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from matrix.model.selection import CaseInfo, CellKey, is_shipped_c
from matrix.model.versions import sorted_versions
from report.cgeneration import c_generation_of, generation_classes_of, shipped_cells_of
from report.compilers import compilers_measured
from report.model import Provenance
from report.toolchains import disagreements, toolchain_counts


def _distinct(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if v not in (None, "", [])}))


def provenance_of(records: Sequence[Record], cases: Sequence[CaseInfo], *, stale: int = 0,
                  unknown: int = 0, superseded: int = 0, others: Sequence[Record] = (),
                  unknown_engines: Sequence[Record] = (),
                  checks: Mapping[CellKey, Check] | None = None,
                  rechecks: Sequence[Remeasurement] = ()) -> Provenance:
    """The provenance header, from the records alone."""
    outcomes = Counter(r.outcome for r in records)
    pythons: dict[str, set[str]] = defaultdict(set)
    sources: dict[str, set[str]] = defaultdict(set)
    for record in records:
        exact = record.provenance.get("python_version")
        pythons[record.python].update({str(exact)} if exact else set())
        source = record.provenance.get("python_source")
        sources[record.python].update({str(source)} if source else set())
    digest = hashlib.sha256("\n".join(sorted(r.key for r in records)).encode()).hexdigest()
    return Provenance(
        # The day, not the time: a grid measured in shards on several machines renders the
        # same table as one run on one machine.
        date=max((r.timestamp for r in records), default="")[:10],
        records=len(records),
        cells=len({r.cell_id for r in records}),
        cases=len(cases),
        cases_tested=len({r.case_id for r in records}),
        controls=sum(1 for case in cases if case.is_control),
        outcomes=tuple((o.value, outcomes[o]) for o in Outcome if outcomes[o]),
        pythons=tuple((minor, ", ".join(sorted_versions(pythons[minor])))
                      for minor in sorted_versions(pythons)),
        cython=tuple(sorted_versions(r.cython for r in records)),
        numpy=tuple(sorted_versions(
            [r.numpy_build for r in records] + [r.numpy_run for r in records])),
        platforms=_distinct(r.provenance.get("platform") for r in records),
        compilers=_distinct(r.provenance.get("cc") for r in records),
        cflags=_distinct(" ".join(r.provenance.get("cflags") or []) for r in records),
        build_tools=_distinct(r.provenance.get("build_tool") for r in records),
        env_backends=_distinct(r.provenance.get("env_backend") for r in records),
        runner_hashes=_distinct(r.provenance.get("runner_hash") for r in records),
        digest=digest[:16],
        stale=stale,
        unknown=unknown,
        unknown_engines=tuple(sorted(Counter(
            str(r.provenance.get("engine_version")) for r in unknown_engines).items())),
        superseded=superseded,
        python_sources=tuple((minor, ", ".join(sorted(sources[minor])))
                             for minor in sorted_versions(sources) if sources[minor]),
        tried=sum(1 for r in records if not r.outcome.could_not_be_tried),
        shipped_c=sum(1 for r in records if is_shipped_c(r)),
        shipped_cells=shipped_cells_of(records),
        c_generation=c_generation_of(records),
        generation_classes=generation_classes_of(records),
        engine_versions=_distinct(r.provenance.get("engine_version") for r in records),
        run_timeouts=_distinct(r.provenance.get("run_timeout_s") for r in records),
        toolchains=toolchain_counts(records),
        toolchain_disagreements=disagreements(records, others),
        compiler_counts=compilers_measured(records),
        checked=tuple((j.value, n) for j, n in
                      Counter(c.judgement for c in (checks or {}).values()).most_common()),
        aa=latest_aa(rechecks),
    )
