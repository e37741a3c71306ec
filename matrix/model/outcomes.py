"""The closed set of outcomes a (case, cell) record can have."""

from __future__ import annotations

import enum


class Outcome(str, enum.Enum):
    """What happened to one case in one cell, named after the stage that stopped it.

    ``ENV_ERROR`` and ``NOT_POSSIBLE`` mean the case *could not be tried*; they are never the
    case's fault and never count as a failure of the idiom.
    """

    OK = "ok"
    CYTHONIZE_ERROR = "cythonize-error"
    CC_ERROR = "cc-error"
    IMPORT_ERROR = "import-error"
    RUN_ERROR = "run-error"
    CRASH = "crash"
    TIMEOUT = "timeout"
    ENV_ERROR = "env-error"
    NOT_POSSIBLE = "not-possible"

    @property
    def could_not_be_tried(self) -> bool:
        """True for infrastructure outcomes that say nothing about the case itself."""
        return self in (Outcome.ENV_ERROR, Outcome.NOT_POSSIBLE)

    @property
    def failed(self) -> bool:
        """True when the case itself was tried and did not work."""
        return not self.could_not_be_tried and self is not Outcome.OK
