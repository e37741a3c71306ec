"""The closed set of outcomes a (case, cell) record can have."""

from __future__ import annotations

import enum


class Stage(str, enum.Enum):
    """The step of a case's way through a cell that an outcome stopped at: it is cythonized,
    its C compiled, the module imported, the conversion run (:attr:`Outcome.stage`)."""

    CYTHONIZE = "cythonize"
    COMPILE = "compile"
    IMPORT = "import"
    RUN = "run"

    @property
    def is_build(self) -> bool:
        """Cythonizing or compiling: the module was never built."""
        return self in (Stage.CYTHONIZE, Stage.COMPILE)


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
    MEMORY_ERROR = "memory-error"
    """AddressSanitizer reported a memory error (its kind: ``heap-use-after-free``,
    ``stack-buffer-overflow``, ...) in a ``-fsanitize=address`` build (the ``gcc-asan``
    compiler, :mod:`matrix.model.compilers`), before the case's probes had finished: never an
    ordinary crash.  A report at the read through the target after the source's resize is the
    case's safety verdict (``Behaviour.sanitizer_read``), not a failure."""
    TIMEOUT = "timeout"
    ENV_ERROR = "env-error"
    NOT_POSSIBLE = "not-possible"

    @property
    def could_not_be_tried(self) -> bool:
        """True for infrastructure outcomes that say nothing about the case itself."""
        return self in _UNTRIED

    @property
    def failed(self) -> bool:
        """True when the case itself was tried and did not work."""
        return self in _FAILED

    @property
    def stage(self) -> Stage | None:
        """The step a failure stopped at, as the outcome names it: ``CRASH``,
        ``MEMORY_ERROR`` and ``TIMEOUT`` count as the run's (one during the import says so in
        its error line; a build that timed out is never stored as a fact,
        :mod:`matrix.model.policy`); ``None`` for ``OK`` and the outcomes of a case that could
        not be tried."""
        return _STAGES.get(self)

    @property
    def built(self) -> bool:
        """The case's module was built: the case reached its import (``OK``, or a failure at
        the import or the run)."""
        return self is Outcome.OK or (self.stage is not None and not self.stage.is_build)

    @property
    def cut_short(self) -> bool:
        """The case's process was ended from outside (a signal, the time bound) rather than
        reporting its end: what it had not reported yet is unknown."""
        return self in (Outcome.CRASH, Outcome.TIMEOUT)

    @property
    def raised(self) -> bool:
        """The failure is a Python exception (at the import or the run): there is a traceback
        to show."""
        return self in (Outcome.IMPORT_ERROR, Outcome.RUN_ERROR)


_UNTRIED = frozenset({Outcome.ENV_ERROR, Outcome.NOT_POSSIBLE})
_FAILED = frozenset(o for o in Outcome if o not in _UNTRIED and o is not Outcome.OK)
_STAGES = {
    Outcome.CYTHONIZE_ERROR: Stage.CYTHONIZE,
    Outcome.CC_ERROR: Stage.COMPILE,
    Outcome.IMPORT_ERROR: Stage.IMPORT,
    Outcome.RUN_ERROR: Stage.RUN,
    Outcome.CRASH: Stage.RUN,
    Outcome.MEMORY_ERROR: Stage.RUN,
    Outcome.TIMEOUT: Stage.RUN,
}
