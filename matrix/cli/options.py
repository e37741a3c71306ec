"""Every option of ``python -m matrix``, declared once, as data (nox keeps its options apart from
its commands the same way).

A command names the options it takes (:class:`Use`: an option, with what that command says
differently, its help or whether it is required; :class:`Group`: a titled group of them);
:func:`add` puts them on its parser.  The helpers below turn parsed options into the values
the harness takes (a :class:`~matrix.plan.grid.Selection`, the run's settings, the folders).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Union

from packaging.version import Version

from matrix.model.buildsource import PROJECTS, BuildSource
from matrix.model.compilers import COMPILERS, DEFAULT_COMPILER
from matrix.model.errors import MatrixError, SelectionError, UnknownVersionError
from matrix.model.interpreters import KINDS, InterpreterId, axis_value
from matrix.model.policy import DEFAULT_RETRY, Retry
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.grid import Selection, split_items
from matrix.run.engine import EngineSettings
from matrix.store.paths import Layout
from matrix.store.results import LayeredStore, ResultStore


def _delays(text: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected seconds, e.g. 5,30") from None
    if not all(0 <= d < float("inf") for d in delays):  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}': pauses are seconds, 0 or more")
    return delays


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected seconds, e.g. 60") from None
    if not 0 < value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"'{text}': must be a number of seconds above 0")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}': must be at least 1")
    return value


@dataclass(frozen=True)
class Option:
    """One option: its names (a positional's is its dest) and ``add_argument``'s settings."""

    names: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)


def _option(*names: str, **settings: Any) -> Option:
    return Option(names, settings)


def _pythons_example() -> tuple[str, str]:
    """Axis values and build identifiers of the interpreter data's kinds (each kind's newest
    ``ci`` version): ``'3.15', '3.14t', 'pypy3.11'`` and ``'cp315, cp314t, pp311'``."""
    examples = [InterpreterId(kind, Version(kind.ci[-1])) for kind in KINDS.values()
                if kind.enabled and kind.ci]
    return (", ".join(f"'{i.label}'" for i in examples), ", ".join(i.build for i in examples))


def _default_compilers() -> str:
    """The default grid's compilers, from the compiler data: ``gcc on every cell, clang and
    gcc14-errors on core and newest-numpy cells, gcc-asan on core cells``."""
    by_grid: dict[tuple[str, ...], list[str]] = {}
    for spec in COMPILERS.values():
        by_grid.setdefault(spec.grid, []).append(spec.id)
    parts = [f"{' and '.join(ids)} on "
             + ("every cell" if grid == ("every",) else f"{' and '.join(grid)} cells")
             for grid, ids in by_grid.items()]
    return ", ".join(parts) + " (other compilers than the default on CPython only)"


_SANITIZED = "; ".join(f"{s.id}: {s.sanitizer.capitalize()}Sanitizer"
                       for s in COMPILERS.values() if s.sanitizer)


PUBLICATION_TAG_PREFIX = "results-"
"""Each publication is a git tag ``results-YYYY-MM-DD`` (the workflow makes it): the baseline
of the next one."""

OPTIONS: dict[str, Option] = {
    # what to measure
    "python": _option("--python", help=f"Pythons, e.g. '3.11,3.1*', {_pythons_example()[0]},"
                      " or build identifiers as cibuildwheel spells them,"
                      f" {_pythons_example()[1]}, 'pp3*' (default: all found)"),
    "cython": _option("--cython", help="Cython releases, e.g. '3.0.11,0.29.*' (default: newest"
                      " patch of every series from 0.27; 'default' and 'latest' are keywords)"),
    "numpy": _option("--numpy", help="numpy releases, e.g. '1.26.*,2.1.3' (default: newest"
                     " patch of every series with a wheel for that Python)"),
    "cython-from": _option("--cython-from", metavar="SOURCE", help="a development build of"
                           " Cython instead of a release: a wheel file, a URL to one, a simple"
                           " index (its newest version with a wheel for the Python) or"
                           " git+URL@ref (built into a wheel once per commit); named exactly in"
                           " every record's provenance (a canary: run needs --pre)"),
    "numpy-from": _option("--numpy-from", metavar="SOURCE", help="a development build of numpy,"
                          " as --cython-from (e.g. the nightly index https://pypi.anaconda.org/"
                          "scientific-python-nightly-wheels/simple)"),
    "numpy-run": _option("--numpy-run", help="run numpy cases under this numpy (ABI check)"),
    "cell": _option("--cell", help="cell id globs, e.g. 'py3.11-cy3.*-np2.*'"),
    "compiler": _option("--compiler", default=DEFAULT_COMPILER, help="C compiler: "
                        + ", ".join(COMPILERS) + f" (default: %(default)s; {_SANITIZED})"),
    "case": _option("--case", help="case id globs (default: all cases)"),
    "quick": _option("--quick", action="store_true", help="10 cells spanning old and new (the"
                     " oldest Python 3 and the newest with numpy 1.x and 2.x; each with its"
                     " oldest and newest Cython, oldest numpy with the oldest, newest with the"
                     " newest, and one numpy upgrade cell): a smoke run of about two minutes"
                     " from nothing"),
    "no-abi": _option("--no-abi", action="store_true", help="skip the numpy build-vs-run cells"),
    "shard": _option("--shard", help="only this part of the grid, e.g. 2/5 (stable by cell id)"),
    "new-releases": _option("--new-releases", action="store_true", help="only cells of"
                            " Cython/numpy releases or Python minors the stored results do not"
                            " cover"),
    "pre": _option("--pre", action="store_true", help="the canary lane: pre-releases (a, b,"
                   " rc) of Cython and numpy newer than each one's newest final release (or"
                   " those --cython/--numpy name), each cell beside the same cell with the newest"
                   " final release; measured into canary/, never into the released table"),
    "offline": _option("--offline", action="store_true", help="do not ask the package index;"
                       " use cached or committed release data"),
    # how to measure
    "jobs": _option("--jobs", "-j", type=_positive, default=os.cpu_count() or 1,
                    help="cells measured at once, 1 or more (default: one per core)"),
    "timeout": _option("--timeout", type=_seconds, default=TIMEOUTS.run,
                       help="seconds per case run, above 0 (a key input: part of every record;"
                       " default: %(default)s)"),
    "retry-delays": _option("--retry-delays", type=_delays, default=DEFAULT_RETRY.delays,
                            metavar="S,S", help="pauses before a transient failure is tried"
                            " again (default: %(default)s; see the outcome policy in"
                            " docs/measuring.md)"),
    "verbose": _option("--verbose", "-v", action="store_true", help="print the probe evidence"
                       " of every case; for a failing case also its log, what its run printed"
                       " and, for a run or import error, the Python traceback (the case run"
                       " again to show it)"),
    "json": _option("--json", action="store_true", help="machine-readable, for CI fan-out"),
    # where
    "results": _option("--results", help="results directory (default: results/)"),
    "cases": _option("--cases", help="cases directory (default: cases/)"),
    "held": _option("--held", action="append", metavar="PATH", help="a store whose records"
                    " count as measured, read only (repeatable): measure into an empty"
                    " --results and keep only what was measured"),
    "any-toolchain": _option("--any-toolchain", action="store_true", help="skip what the store"
                             " holds as measured by another toolchain (another gcc, Python"
                             " patch release or machine), as CI images do"),
    "archive": _option("--archive", help="archive to write (.jsonl.gz; default:"
                       " .cache/archive/superseded-<UTC time>.jsonl.gz)"),
    # re-measuring
    "attempts": _option("--attempts", "-k", type=_positive, default=2,
                        help="re-measurements per changed result (default: %(default)s)"),
    "baseline": _option("--baseline", help="previous results to compare with: a store folder,"
                        " an archive or records file, or a git ref (default: the publication"
                        " results/store.json names)"),
    "sample": _option("--sample", "-n", type=_positive, required=True,
                      help="how many stored results to re-measure"),
    "seed": _option("--seed", type=int, help="random seed (default: a fresh one, printed)"),
    # stores
    "output": _option("output", help="store folder to write (or a .jsonl records file); it may"
                      " be one of the inputs"),
    "inputs": _option("inputs", nargs="+", help="store folders, archives or records files"),
    "sources": _option("sources", nargs="+", help="archive (.jsonl.gz), records file, store"
                       " folder or git ref (a publication's tag)"),
    "deltas": _option("deltas", nargs="*", help="shard store folders (globs allowed)"),
    "baseline-tag": _option("--baseline-tag", default="auto", help="the previous publication's"
                            " tag (default: the newest tag starting with --tag-prefix; '' for"
                            " none)"),
    "tag-prefix": _option("--tag-prefix", default=PUBLICATION_TAG_PREFIX,
                          help="publication tags' prefix (default: %(default)s)"),
    "files": _option("files", nargs="+", help="results files, rewritten in place"),
}
"""Every option of every command, once."""


@dataclass(frozen=True)
class Use:
    """An option as one command takes it: what it says differently there (its help, its
    default, whether it is required)."""

    name: str
    override: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Group:
    """Options shown under a title."""

    title: str
    uses: tuple[Use | str, ...]


Spec = Union[Use, Group, str]

ONE_PYTHON = Use("python", dict(required=True, help=f"Python, e.g. {_pythons_example()[0]} (or"
                                f" {_pythons_example()[1]})"))
"""``--python`` of a one-cell command (try, bisect)."""

SELECTION = Group("selection (comma-separated, globs allowed)", (
    "python", "cython", "numpy", "cell",
    Use("compiler", dict(default=None, help="C compilers, e.g."
                         f" '{','.join(list(COMPILERS)[:3])}' (default: {_default_compilers()};"
                         f" --quick: {DEFAULT_COMPILER})")),
    "quick", "no-abi", "offline", "shard", "new-releases", "pre"))
"""The grid's selection (run, list)."""

CHECK_SELECTION: tuple[Spec, ...] = (
    Use("case", dict(help="only these case id globs")),
    Use("cell", dict(help="only these cell id globs, e.g. 'py3.12-*'")),
    Use("python", dict(help="only cells of these Python minors")),
    Use("results", dict(help="results directory (default: results/); the re-measurements are"
                        " appended to rechecks.jsonl there")),
    "cases", "jobs", "retry-delays", "offline")
"""What re-measuring commands take (recheck, aa)."""


def add(parser: argparse.ArgumentParser, specs: Sequence[Spec]) -> None:
    """Put the options ``specs`` name on ``parser``, in that order."""
    for spec in specs:
        if isinstance(spec, Group):
            group = parser.add_argument_group(spec.title)
            for use in spec.uses:
                _add_one(group, use)
        else:
            _add_one(parser, spec)


def _add_one(parser: argparse.ArgumentParser | argparse._ArgumentGroup, use: Use | str) -> None:
    use = Use(use) if isinstance(use, str) else use
    option = OPTIONS[use.name]
    parser.add_argument(*option.names, **{**option.settings, **use.override})


def items(value: str | None, flag: str) -> tuple[str, ...] | None:
    """A comma-separated option's items (``None``: not given)."""
    return None if value is None else split_items(value, flag)


def selection_from(args: argparse.Namespace) -> Selection:
    return Selection(
        python=items(args.python, "--python"),
        cython=items(args.cython, "--cython"),
        numpy=items(args.numpy, "--numpy"),
        cells=items(args.cell, "--cell"),
        abi=not args.no_abi,
        quick=args.quick,
        compilers=items(args.compiler, "--compiler"),
        pre=getattr(args, "pre", False),
    )


def build_sources(args: argparse.Namespace) -> tuple[BuildSource, ...]:
    """``--cython-from`` and ``--numpy-from`` as given (none: index releases only); one given
    with ``--cython``/``--numpy`` too is an error naming both."""
    sources = []
    for project in PROJECTS:
        text = getattr(args, f"{project}_from", None)
        if text is None:
            continue
        source = BuildSource.parse(project, text)
        if getattr(args, project, None) is not None:
            raise SelectionError(f"{source.flag} {text}: names the {project} to measure, as"
                                 f" --{project} does: give one of them")
        sources.append(source)
    return tuple(sources)


def engine_settings(args: argparse.Namespace) -> EngineSettings:
    """The run's settings (``recheck``/``aa`` take each record's own run timeout)."""
    return EngineSettings(run_timeout_s=getattr(args, "timeout", TIMEOUTS.run),
                          retry=Retry(args.retry_delays))


def layout_from(args: argparse.Namespace) -> Layout:
    """The default folders, with ``--results`` and ``--cases`` where the command takes them."""
    layout = Layout.default()
    if getattr(args, "pre", False):  # the canary lane: its own store (--results moves it)
        layout = replace(layout, results=layout.canary)
    if getattr(args, "results", None):
        layout = replace(layout, results=Path(args.results))
    return replace(layout, cases=Path(args.cases)) if args.cases else layout


def one_python(text: str) -> str:
    """``--python`` of one cell (try, bisect): an axis value or a build identifier."""
    try:
        return axis_value(text)
    except ValueError as exc:
        raise UnknownVersionError(f"--python {text}: {exc}") from None


def results_store(results: Path, held: Sequence[str] | None) -> ResultStore:
    """The store measured into; with ``--held``, read-only stores whose records count as
    measured too (a CI shard measures into an empty folder and uploads only what it
    measured)."""
    paths = [Path(p) for p in (held or [])]
    for path in paths:
        if not path.exists():
            raise MatrixError(f"--held {path}: no such results folder or file")
    if not paths:
        return ResultStore.in_directory(results)
    return LayeredStore(results, [ResultStore(path) for path in paths])
