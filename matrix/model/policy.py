"""The outcome policy: for every outcome and its cause, how often it is tried, whether it is a
fact, and whether a build stage caches it.  The one place that says so; the engine, the build
stages, the environments and the grid all consult it, and docs/measuring.md shows
:func:`markdown_table`.

A *fact* is kept until an input of its key changes.  A *provisional* record is stored (the
report shows it as what it is) but the next run measures it again: it says something about
the machine or the network at that moment, not about the case.  Transient causes are retried
within the run first, with a growing pause between attempts (:class:`Retry`).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from matrix.model.outcomes import Outcome

T = TypeVar("T")


class Cause(str, enum.Enum):
    """Why a record has its outcome, as far as the policy cares."""

    REPORTED = "reported"
    """The tool or the case said so: an error message, an exit status, the case's own crash."""
    TOOL_KILLED = "tool-killed"
    """cython or the C compiler was killed by a signal (the OOM killer, an operator)."""
    BUILD_TIMEOUT = "build-timeout"
    """cython or the C compiler outlived its timeout."""
    RUN_TIMEOUT = "run-timeout"
    """The case (or its module's import) outlived the run timeout, also when re-run alone."""
    NETWORK = "network"
    """The package index could not be reached while making an environment."""
    INSTALL = "install"
    """An environment could not be made for another reason (disk, a broken download)."""
    SMOKE_TIMEOUT = "smoke-timeout"
    """Cythonizing an empty module timed out: whether this Cython runs here is unknown."""
    HARNESS = "harness"
    """The harness itself failed in that cell (a bug, a killed worker)."""
    NO_WHEEL = "no-wheel"
    """The plan or the installer found no wheel for the cell's Python (a fact of the index)."""
    NO_GENERATOR = "no-generator"
    """The Cython release installs and runs on no Python of this machine."""
    NO_SANITIZER = "no-sanitizer"
    """AddressSanitizer cannot see this interpreter's heap (PyPy, free-threaded CPython, 2.7:
    :func:`matrix.model.compilers.sanitizer_unavailable`)."""


class Fate(str, enum.Enum):
    FACT = "fact"
    PROVISIONAL = "provisional"


@dataclass(frozen=True)
class Rule:
    outcome: Outcome
    cause: Cause
    attempts: int
    """Tries within one run before the outcome is recorded (a pause between them)."""
    fate: Fate
    build_cached: bool
    """A build stage (generate, compile) keeps this result in its content-addressed cache."""
    why: str


_BUILD_FAILURES = tuple(o for o in Outcome if o.stage is not None and o.stage.is_build)
_TIMED = (Outcome.TIMEOUT,)
"""Timeouts have rules by their cause (a run's, a build's)."""
_BUILT_FAILURES = tuple(o for o in Outcome if o.failed and o.built and o not in _TIMED)
_RULES: tuple[Rule, ...] = (
    Rule(Outcome.OK, Cause.REPORTED, 1, Fate.FACT, True, "measured"),
    *(Rule(o, Cause.REPORTED, 1, Fate.FACT, True, "the tool's own error: deterministic")
      for o in _BUILD_FAILURES),
    *(Rule(o, Cause.REPORTED, 1, Fate.FACT, False, "measured in the case's own process")
      for o in _BUILT_FAILURES),
    Rule(Outcome.TIMEOUT, Cause.RUN_TIMEOUT, 2, Fate.PROVISIONAL, False,
         "re-run alone (a module child of its own) before it stands; a loaded machine can"
         " cause it"),
    Rule(Outcome.TIMEOUT, Cause.BUILD_TIMEOUT, 2, Fate.PROVISIONAL, False,
         "a loaded machine can cause it"),
    Rule(Outcome.ENV_ERROR, Cause.TOOL_KILLED, 3, Fate.PROVISIONAL, False,
         "a signal (OOM killer) says nothing about the case; never a cythonize/cc error"),
    Rule(Outcome.ENV_ERROR, Cause.NETWORK, 3, Fate.PROVISIONAL, False,
         "the index was unreachable: never recorded as not-possible"),
    Rule(Outcome.ENV_ERROR, Cause.INSTALL, 2, Fate.PROVISIONAL, False,
         "could not be tried; the next run tries again"),
    Rule(Outcome.ENV_ERROR, Cause.SMOKE_TIMEOUT, 2, Fate.PROVISIONAL, False,
         "unknown whether this Cython runs here: never taken as 'cannot run'"),
    Rule(Outcome.ENV_ERROR, Cause.HARNESS, 1, Fate.PROVISIONAL, False,
         "the harness failed, not the case"),
    Rule(Outcome.NOT_POSSIBLE, Cause.NO_WHEEL, 1, Fate.FACT, False,
         "tried again when the index gains a wheel (the plan changes)"),
    Rule(Outcome.NOT_POSSIBLE, Cause.NO_GENERATOR, 1, Fate.FACT, False,
         "no Python here can run this Cython to generate C"),
    Rule(Outcome.NOT_POSSIBLE, Cause.NO_SANITIZER, 1, Fate.FACT, False,
         "a fact of the interpreter: ASan cannot see its heap"),
)
POLICY: dict[tuple[Outcome, Cause], Rule] = {(r.outcome, r.cause): r for r in _RULES}


def rule(outcome: Outcome, cause: Cause) -> Rule:
    """The rule for ``outcome`` with ``cause``; an unlisted pair is a harness bug."""
    try:
        return POLICY[(outcome, cause)]
    except KeyError:
        raise ValueError(f"no outcome policy for {outcome.value} caused by {cause.value}") from None


IMPLIED_CAUSES: dict[Outcome, Cause] = {
    Outcome.TIMEOUT: Cause.RUN_TIMEOUT,
    Outcome.ENV_ERROR: Cause.INSTALL,
    Outcome.NOT_POSSIBLE: Cause.NO_WHEEL,
}
"""The cause of a record from before causes were recorded (:attr:`Record.cause`); any other
outcome's is :attr:`Cause.REPORTED`."""


def is_provisional_result(outcome: Outcome, cause: Cause) -> bool:
    """Stored, but measured again by the next run (a record's:
    :func:`matrix.model.records.is_provisional`)."""
    return rule(outcome, cause).fate is Fate.PROVISIONAL


def build_cached(outcome: Outcome, cause: Cause) -> bool:
    return rule(outcome, cause).build_cached


@dataclass(frozen=True)
class Retry:
    """Pauses between attempts (seconds), growing; tests make them short."""

    delays: tuple[float, ...] = (5.0, 30.0)
    sleep: Callable[[float], None] = time.sleep

    def pause(self, attempt: int) -> None:
        """Wait before try number ``attempt + 1`` (``attempt`` counts from 1)."""
        self.sleep(self.delays[min(attempt, len(self.delays)) - 1] if self.delays else 0.0)

    def run(self, attempt: Callable[[], T], verdict: Callable[[T], tuple[Outcome, Cause]]
            ) -> tuple[T, int]:
        """Call ``attempt`` until its result's rule allows no more tries; the last result and
        how many tries it took."""
        tries = 1
        while True:
            result = attempt()
            outcome, cause = verdict(result)
            if tries >= rule(outcome, cause).attempts:
                return result, tries
            self.pause(tries)
            tries += 1


DEFAULT_RETRY = Retry()

def markdown_table() -> str:
    """The policy as docs/measuring.md shows it (a test keeps the page in step)."""
    lines = ["| outcome | cause | tries per run | stored as | build cache | why |",
             "|---|---|---|---|---|---|"]
    for r in _RULES:
        lines.append(f"| `{r.outcome.value}` | {r.cause.value} | {r.attempts} |"
                     f" {'fact' if r.fate is Fate.FACT else 'provisional: re-measured next run'} |"
                     f" {'cached' if r.build_cached else '-'} | {r.why} |")
    return "\n".join(lines)
