"""One error hierarchy for the harness: every message names the file and field at fault."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


class MatrixError(Exception):
    """Base class of every error the harness reports to a person."""


class CaseDefinitionError(MatrixError):
    """A case file is malformed: names the file and the offending field."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path}: field '{field}': {problem}")


class UnknownVersionError(MatrixError):
    """A requested version (Python, Cython, numpy) is not known to the index or the machine."""


class SelectionError(MatrixError):
    """A selection flag (``--cython 3.0.*``) is malformed or selects nothing."""


class ResultsFileError(MatrixError):
    """A results file is corrupt: names the file and line."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}")


def dispatch(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Run the chosen subcommand; a ``MatrixError`` becomes ``error: ...`` and exit code 2."""
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except MatrixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): it took what it wanted. End quietly, the rest of
        # the output discarded (Python's own advice: its "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
