"""The engine versions: which code decided a record's outcome, and which record is current.

A record names the engine version that measured it (``provenance["engine_version"]``, a key
input: :mod:`matrix.run.engine_version` pins the code it stands for).  Which record of a
(case, cell) is current is decided by rule, never by the clock alone:

* a record of an engine version this code does not know (a newer checkout's, a corrupt or
  forged one) is never current: the report shows it apart, as such;
* among known versions, the newest engine's record wins; among records of one engine, the
  newest timestamp (then the key, so that the pick is stable).

So a shard from a machine whose clock runs ahead cannot pin a cell with an old engine's
record, and a merge refuses a record timestamped in the future (:func:`future_timestamp`).
"""

from __future__ import annotations

import datetime

ENGINE_VERSION = "6"
"""1: every record measured before the version was a key input (migrated, see
:mod:`matrix.store.migrate`).  2: exact attribution in every cell kind (an import failure of a
batched module is blamed by building suspects alone, numpy build-vs-run cells included), the
outcome policy of :mod:`matrix.model.policy` (transient causes retried, a timeout re-run alone).
3: only the conversion fails a case: an error inside a probe method is that probe's "cannot
tell" (``probe_errors``), a timeout's first error says it was re-run alone.  4: the ``moves``
probe after a resize (does the target dangle?), the ``gcc-asan`` compiler (AddressSanitizer:
a report at the read after the resize is the safety verdict, elsewhere a ``memory-error``).
5: generation classes (:mod:`matrix.build.invariance`): a cell compiles the C generated under
its class's generator, and its record names the class (``c_class``).  6: the runner reports
on a channel of its own, so nothing a case prints can change its outcome; each module and case
runs in a fresh folder, a process a case leaves behind is killed before the next case; a
module's import is bounded by the run timeout; a case's output is capped (``output_cut``)."""

KNOWN_ENGINES = tuple(str(n) for n in range(1, int(ENGINE_VERSION) + 1))
"""Every engine version this code knows, oldest first."""

CLOCK_SKEW = datetime.timedelta(hours=1)
"""How far ahead of this machine's clock a record's timestamp may be before a merge refuses
it (clocks of CI runners differ by seconds; an hour is an error, not a skew)."""


def engine_rank(version: object) -> int | None:
    """The position of an engine version among :data:`KNOWN_ENGINES` (higher is newer);
    ``None`` for one this code does not know.  A record without one is version 1's."""
    text = "1" if version is None else str(version)
    return KNOWN_ENGINES.index(text) if text in KNOWN_ENGINES else None


def future_timestamp(timestamp: str, now: datetime.datetime | None = None) -> bool:
    """Whether a record's timestamp (``2026-12-04T03:23:00Z``) is ahead of ``now`` (this
    machine's clock, UTC) by more than :data:`CLOCK_SKEW`; an unreadable one counts as ahead."""
    try:
        when = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return True
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return when > now + CLOCK_SKEW
