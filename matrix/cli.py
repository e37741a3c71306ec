"""Command line: ``python -m matrix <command>``.

``try``    measure one cell and print what every case did (for case authors; stores nothing)
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from collections.abc import Sequence

from matrix.cases import load_cases
from matrix.cells import Cell
from matrix.engine import EngineSettings, Toolchain, measure_cell
from matrix.errors import MatrixError, UnknownVersionError
from matrix.interpreters import discover_interpreters
from matrix.paths import Layout
from matrix.records import Record


def _verdict(record: Record) -> str:
    b = record.behaviour
    if record.outcome.value != "ok":
        return f"{record.outcome.value}: {record.first_error}"

    def word(value: bool | None, yes: str, no: str) -> str:
        return "?" if value is None else (yes if value else no)

    return (
        f"values_ok={word(b.values_ok, 'yes', 'NO')} "
        f"{word(b.copies, 'copy', 'alias')} "
        f"{word(b.readonly, 'read-only', 'writable')} "
        f"{word(b.locks_source, 'locks-source', 'no-lock')}"
    )


def cmd_try(args: argparse.Namespace) -> int:
    layout = Layout.default()
    cases = [c for c in load_cases(layout.cases)
             if any(fnmatch.fnmatch(c.id, pattern) for pattern in args.case)]
    interpreters = discover_interpreters()
    interpreter = interpreters.get(args.python)
    if interpreter is None:
        raise UnknownVersionError(
            f"--python {args.python}: no such interpreter here (found: {', '.join(interpreters)})"
        )
    settings = EngineSettings()
    toolchain = Toolchain.detect(settings)
    cells = [Cell(args.python, args.cython)]
    if args.numpy:
        cells.append(Cell(args.python, args.cython, args.numpy, args.numpy_run or args.numpy))
    for cell in cells:
        for record in measure_cell(cell, cases, interpreter, layout, settings, toolchain):
            print(f"{cell.id:32} {record.case_id:44} {_verdict(record)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    try_ = sub.add_parser("try", help="measure one cell and print the results")
    try_.add_argument("--python", required=True, help="Python minor, e.g. 3.11")
    try_.add_argument("--cython", required=True, help="exact Cython release, e.g. 3.2.4")
    try_.add_argument("--numpy", help="exact numpy release for numpy cases (omit: core only)")
    try_.add_argument("--numpy-run", help="run numpy cases under this numpy (ABI check)")
    try_.add_argument("--case", action="append", default=None, help="case id glob (repeatable)")
    try_.set_defaults(func=cmd_try)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "case", None) is None:
        args.case = ["*"]
    try:
        return int(args.func(args))
    except MatrixError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
