"""Running a build tool (cython, the C compiler) under the outcome policy
(:mod:`matrix.model.policy`): what its exit means, and how often it is tried."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from matrix.build.procs import Completed
from matrix.model.outcomes import Outcome
from matrix.model.policy import Cause, Retry

_KILLED_CHILD = re.compile(r"Killed signal terminated program|internal compiler error: Killed")
"""gcc's driver survives the OOM killer taking ``cc1`` and reports it as an error."""


@dataclass(frozen=True)
class ToolRun:
    """A build tool's last try, judged (see :func:`run_build_tool`)."""

    done: Completed
    outcome: Outcome
    cause: Cause
    tries: int

    def transient_error(self, tool: str) -> str:
        """The error line of a tool killed or timed out on every try."""
        what = self.done.signal_name or ("timed out" if self.done.timed_out else "killed")
        return f"{tool} {what} after {self.done.duration_s:.0f}s ({self.tries} tries)"


def run_build_tool(run: Callable[[], Completed], failure: Outcome, retry: Retry) -> ToolRun:
    """Run a build tool (cython, the C compiler) as often as its verdict's rule says;
    ``failure`` is what the tool's own error means (cythonize-error, cc-error)."""
    done, tries = retry.run(run, lambda done: process_verdict(done, failure))
    return ToolRun(done, *process_verdict(done, failure), tries)


def process_verdict(done: Completed, failure: Outcome) -> tuple[Outcome, Cause]:
    """What a build tool's run means: ``failure`` (cythonize-error, cc-error) if the tool
    reported an error itself; a timeout or a killed tool is transient, not the case's."""
    if done.timed_out:
        return Outcome.TIMEOUT, Cause.BUILD_TIMEOUT
    if done.returncode == 0:
        return Outcome.OK, Cause.REPORTED
    if (done.returncode is not None and done.returncode < 0) or _KILLED_CHILD.search(done.output):
        return Outcome.ENV_ERROR, Cause.TOOL_KILLED
    return failure, Cause.REPORTED
