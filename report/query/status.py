"""The exit statuses of ``python -m report query``: one table (:data:`EXIT_STATUSES`), which
the package's docstring (:mod:`report.query`) and the command's ``--help`` (its epilog) are
both written from, and the error that gives the usage status."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from matrix.model.errors import MatrixError

EXIT_WORKS = 0
EXIT_FAILS = 1
EXIT_USAGE = 2
EXIT_TOOLCHAIN = 3
EXIT_UNTESTED = 4


class QueryError(MatrixError):
    """A bad specifier, case pattern or data file; the message names it (exit status 2, like
    every ``MatrixError``: ``error: ...`` on stderr)."""


@dataclass(frozen=True)
class ExitStatus:
    """One exit status, its verdict in a word or two (a step summary's heading), and what it
    means."""

    code: int
    verdict: str
    meaning: str


EXIT_STATUSES: tuple[ExitStatus, ...] = (
    ExitStatus(EXIT_WORKS, "works",
               "every selected case works wherever tried in range; toolchain"
               " failures are reported apart and do not fail the query (unless"
               " --strict-toolchain)"),
    ExitStatus(EXIT_FAILS, "fails",
               "a selected case fails on its own somewhere in range; with --safe,"
               " also when a selected case's target was measured to dangle after a resize of"
               " its source somewhere in range (listed under the case either way)"),
    ExitStatus(EXIT_USAGE, "usage error",
               "usage error: bad arguments, a specifier that does not parse, a"
               " --case glob that matches no conversion case, a missing or malformed data"
               " file, a --compiler with no cells (error: ... on stderr)"),
    ExitStatus(EXIT_TOOLCHAIN, "toolchains build nothing",
               "only with --strict-toolchain: the range includes toolchains"
               " that build nothing (a control case fails in a counted cell in range), and no"
               " case fails on its own"),
    ExitStatus(EXIT_UNTESTED, "untested",
               "nothing in range was tried for the selected cases: a specifier"
               " matches no tested version (the message names the flag and lists the tested"
               " versions), or the axes each match but never together, or the cells in range"
               " are only shipped C, could not be tried, or are toolchain failures"),
)
"""The exit-status contract (:meth:`report.query.answer.Answer.status` decides)."""

PRECEDENCE = "4 wins over 1, and both over 3"
"""Which status a query that meets several conditions exits with."""


def help_epilog(width: int = 79) -> str:
    """The table as ``python -m report query --help`` prints it, after the options."""
    lines = ["exit status:"]
    for status in EXIT_STATUSES:
        lines.extend(textwrap.wrap(status.meaning, width, initial_indent=f"  {status.code}  ",
                                   subsequent_indent="     "))
    lines.append(f"  ({PRECEDENCE})")
    return "\n".join(lines)


def docstring_text(width: int = 95) -> str:
    """The table as the package's docstring reads it."""
    lines = [f"Exit status of ``python -m report query`` ({PRECEDENCE}):", ""]
    for status in EXIT_STATUSES:
        lines.extend(textwrap.wrap(status.meaning, width, initial_indent=f"* {status.code}: ",
                                   subsequent_indent="  "))
    return "\n".join(lines)
