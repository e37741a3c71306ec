"""Command line: ``python -m matrix <command>``.

  run       measure the selected grid (default: the whole default grid) into the results store
  list      print the planned cells (``--json`` for CI fan-out)
  try       measure one cell and print what every case did (for case authors; stores nothing)
  bisect    find the first Cython/numpy release where a case's outcome changes
  recheck   re-measure from scratch, k times, every result that differs from the baseline:
            confirmed or flaky (re-measurements go to results/rechecks.jsonl)
  aa        re-measure a random sample of stored results from scratch: how many flip
  merge     combine stores (or record files) from several machines (shards) into one store
  compact   move superseded records out of the store into an archive: the current state stays
  restore   put records back from an archive or a git ref (a publication's tag)
  publish   merge CI shards' stores into the store, compact, name the baseline (the workflow)
  snapshot  refresh the committed offline snapshot of the package index
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matrix.cli.cell import cmd_bisect, cmd_try
from matrix.cli.checks import cmd_aa, cmd_recheck
from matrix.cli.grid import cmd_list, cmd_run
from matrix.cli.options import CHECK_SELECTION, ONE_PYTHON, SELECTION, Spec, Use, add
from matrix.cli.stores import (
    cmd_compact,
    cmd_merge,
    cmd_migrate,
    cmd_publish,
    cmd_restore,
    cmd_snapshot,
)
from matrix.model.errors import dispatch
from matrix.model.folders import is_checkout, source_url
from matrix.run.hygiene import SUPERVISED_ENV, Terminated, die_with_parent, supervise


@dataclass(frozen=True)
class Command:
    """One command: its help line, what it does, and the options it takes
    (:mod:`matrix.cli.options`), in the order its help lists them."""

    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    options: tuple[Spec, ...] = ()


COMMANDS = (
    Command("run", "measure the selected grid into the results store", cmd_run, (
        SELECTION, "cython-from", "numpy-from", "case", "jobs", "timeout", "retry-delays",
        "results", "cases", "held", "any-toolchain")),
    Command("list", "print the planned cells", cmd_list, (
        SELECTION, "json",
        Use("case", dict(help="case id globs: only the cells that hold one of them, as run"
                         " plans them (default: all cases)")),
        "results", "cases")),
    Command("try", "measure one cell and print the results", cmd_try, (
        ONE_PYTHON, Use("cython", dict(help="exact Cython release, e.g. 3.2.4 (or"
                                       " --cython-from)")),
        "cython-from",
        Use("numpy", dict(help="exact numpy release for numpy cases (omit: core cases only; a"
                          " --case naming only numpy cases is then an error)")),
        "numpy-from", "numpy-run", "case", "cases", "compiler", "timeout", "retry-delays",
        "verbose", "offline")),
    Command("bisect", "first release where a case's outcome changes", cmd_bisect, (
        Use("case", dict(required=True, help="case id")), ONE_PYTHON,
        Use("cython", dict(help="a release, or the range to bisect: 0.27.3..0.28.6")),
        Use("numpy", dict(help="a release, or the range to bisect: 1.23.5..1.24.4")),
        Use("numpy-run", dict(help="run under this numpy, or bisect a range of them")),
        Use("pre", dict(help="walk pre-releases (a, b, rc) too; by default bisect walks final"
                        " releases only")),
        "compiler", "results", "cases", "timeout", "retry-delays", "offline")),
    Command("recheck", "re-measure what differs from the baseline, k times from scratch:"
            " confirmed or flaky", cmd_recheck, (
                "attempts", "baseline", *CHECK_SELECTION,
                Use("pre", dict(help="the canary lane: re-measure each canary result that"
                                " differs from its baseline cell's, in canary/ (or --results)"))
            )),
    Command("aa", "re-measure a random sample of stored results from scratch and count the"
            " flips", cmd_aa, ("sample", "seed", *CHECK_SELECTION)),
    Command("merge", "combine stores (e.g. CI shards') into one", cmd_merge,
            ("output", "inputs")),
    Command("compact", "move superseded records into an archive", cmd_compact,
            ("results", "cases", "archive")),
    Command("restore", "put records back from archives or git refs", cmd_restore,
            ("sources", "results", "cases")),
    Command("publish", "merge CI shards' stores into the store, compact, name the baseline"
            " (what the scheduled job runs)", cmd_publish, (
                "deltas", "results", "cases",
                Use("archive", dict(help="where superseded records go (.jsonl.gz)")),
                "baseline-tag", "tag-prefix")),
    Command("migrate", "carry stored records over to the current key scheme, exactly (see"
            " matrix/store/migrate.py)", cmd_migrate, ("files",)),
    Command("snapshot", "refresh the offline package-index snapshot", cmd_snapshot),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command_parser = sub.add_parser(command.name, help=command.help)
        add(command_parser, command.options)
        command_parser.set_defaults(func=command.run)
    return parser


SPAWNING_COMMANDS = frozenset({"run", "try", "bisect", "recheck", "aa"})
"""Commands that start builds and runs: from the command line they run under
:func:`matrix.run.hygiene.supervise` (see ``matrix/__main__.py``)."""


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; under a supervisor (``MATRIX_SUPERVISED``), this process also dies
    with its parent and unwinds on SIGTERM (:mod:`matrix.run.hygiene`)."""
    if os.environ.get(SUPERVISED_ENV):
        try:
            die_with_parent()
            return dispatch(build_parser(), argv)
        except (KeyboardInterrupt, Terminated):
            return 130
    return dispatch(build_parser(), argv)


def command_line() -> int:
    """``python -m matrix`` (``cymatrix-measure``): a command that starts processes runs as the
    child of a supervisor that ends whatever it leaves behind, however it ends.  Measuring needs
    the project's clone (its cases/, results/ and docs/): an installed copy says so."""
    if not is_checkout():
        print(f"error: {sys.argv[0]} measures from a clone of the project (its cases/, results/"
              f" and docs/ live there): git clone {source_url()} and run `nox -s matrix` there;"
              " an installed copy answers support-range queries from the data it ships"
              " (`cymatrix query --help`)", file=sys.stderr)
        return 2
    arguments = sys.argv[1:]
    if arguments[:1] and arguments[0] in SPAWNING_COMMANDS and not os.environ.get(SUPERVISED_ENV):
        return supervise([sys.executable, "-m", "matrix", *arguments])
    return main(arguments)
