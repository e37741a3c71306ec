"""The safety verdict of a record: after the source was resized, is the target still good?

The guide's third claim per conversion ("NO copy unsafe": a raw pointer into a bytearray is
invalidated when the bytearray grows and is relocated), answered from what the probes measured
(:mod:`matrix.run.inenv.runner`), in one place for the report, the query and the exports:

* ``safe`` -- the target is a copy, or the source refused to resize while the target lived
  (``BufferError``), or the target moved with the source;
* ``dangles`` -- measured: the source's data moved and the target kept the old address (the
  ``moves`` probe), or AddressSanitizer reported an error reading through the target after the
  resize (a ``gcc-asan`` cell; its kind, e.g. ``heap-use-after-free``);
* ``cannot tell`` -- the probes could not tell (the case offers no resize or no addresses, the
  resize left the data where it was, ...): the reason says which.

Only a record whose conversion worked (``ok``) has a verdict.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from matrix.model.outcomes import Outcome
from matrix.model.records import Behaviour, Record


class Safety(str, enum.Enum):
    SAFE = "safe"
    DANGLES = "dangles"
    CANNOT_TELL = "cannot tell"


@dataclass(frozen=True)
class SafetyVerdict:
    """A verdict and the measurement behind it (``reason``: a short phrase)."""

    safety: Safety
    reason: str
    sanitizer: str | None = None
    """ASan's error kind when AddressSanitizer confirmed it (``heap-use-after-free``)."""


def behaviour_safety(behaviour: Behaviour) -> SafetyVerdict:
    """The verdict of a worked conversion's measured behaviour."""
    b = behaviour
    if b.copies is True:
        return SafetyVerdict(Safety.SAFE, "a copy")
    if b.locks_source is True:
        return SafetyVerdict(Safety.SAFE, "the source refuses to resize (BufferError)")
    if b.sanitizer_read not in (None, "clean"):
        return SafetyVerdict(Safety.DANGLES, f"ASan: {b.sanitizer_read} reading the target"
                             " after the resize", b.sanitizer_read)
    if b.moves == "dangles":
        return SafetyVerdict(Safety.DANGLES, "the source's data moved, the target kept the old"
                             " address")
    if b.moves == "follows":
        return SafetyVerdict(Safety.SAFE, "the target moved with the source")
    if b.locks_source is None and b.locks_detail == "source is not resizable":
        return SafetyVerdict(Safety.CANNOT_TELL, "the case offers no resize of its source")
    if b.locks_source is None:
        return SafetyVerdict(Safety.CANNOT_TELL, _detail(b.locks_detail, "the resize"))
    return SafetyVerdict(Safety.CANNOT_TELL, _detail(b.moves_detail, "the moves probe"))


def record_safety(record: Record) -> SafetyVerdict | None:
    """The record's verdict; ``None`` unless its conversion worked (``ok``)."""
    if record.outcome is not Outcome.OK:
        return None
    return behaviour_safety(record.behaviour)


def _detail(detail: str | None, what: str) -> str:
    if not detail:
        return f"{what} was not measured"
    return detail.removeprefix("cannot tell: ")
