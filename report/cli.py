"""Command line: ``python -m report <command>``.

  render   render docs/compat.{md,json,csv} and docs/compat-heatmap.png from the stored
           results (builds nothing); ``--check`` only reports drift from the committed files
  agree    does a run (``--results DIR``) agree with the published results? one line, then each
           disagreement with a reproducer; exit 1 if any
  regressions
           print the changes against the baseline (markdown; ``--summary FILE`` also appends
           them there, e.g. to $GITHUB_STEP_SUMMARY); exit 1 if any cell regressed
           (``--confirmed``: only if re-measuring confirmed it; flaky cells never fail)
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from matrix.model.errors import MatrixError, dispatch
from report.freshness import RenderInputs, forget, is_current, record, renderer_digest
from report.query.answer import answer
from report.query.data import load_data
from report.query.project import PYPROJECT, ProjectRange, project_range
from report.query.range import SupportRange
from report.query.snapshot import SNAPSHOT_FILE, ship, shipped_drift
from report.query.source import open_source
from report.query.status import QueryError, help_epilog
from report.query.text import render_text

if TYPE_CHECKING:  # the rest is imported by the commands that use it: `query` stays fast
    from matrix.model.records import Record
    from report.model import Report

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The checkout the report is rendered in (``results/``, ``cases/`` and ``docs/`` beside it)."""
DEFAULT_RESULTS = PROJECT_ROOT / "results"
DEFAULT_CASES = PROJECT_ROOT / "cases"
DEFAULT_OUT = PROJECT_ROOT / "docs"
DEFAULT_CANARY = PROJECT_ROOT / "canary"
"""The canary lane's store (``run --pre``), beside ``results/``."""


class ReportError(MatrixError):
    """A report input is missing; the message says what to run."""


NAMED = "named"
"""``--baseline``'s default: the previous publication ``results/store.json`` names."""


def read_records(spec: Path | str, results: Path, what: str) -> list[Record]:
    """Every current record of a store folder, archive or records file, or of the store in a
    git ref (raises ``ResultsFileError`` naming file:line)."""
    from matrix.model.storeformat import load_results

    if what == "results" and not Path(spec).exists():
        raise ReportError(f"{spec}: no results (run `nox -s matrix` to measure, or pass"
                          " --results PATH)")
    return load_results(spec, results)


def resolve_baseline(spec: Path | str | None, results: Path
                     ) -> tuple[str, list[Record]] | None:
    """``(name, records)`` of the baseline ``spec`` names: a store folder, archive, records
    file or git ref, or :data:`NAMED` (the publication ``results/store.json`` names; none if
    it names none); ``None`` for no baseline."""
    from matrix.model.storeformat import named_baseline

    if spec is None:
        return None
    if spec == NAMED:
        return named_baseline(results) if results.is_dir() else None
    return str(spec), read_records(spec, results, "baseline")


def build_report(results: Path, baseline: Path | str | tuple[str, list[Record]] | None,
                 cases_dir: Path, rechecks: Path | None = None,
                 references: Path | None = None, *, same_cells: bool = False,
                 canary: Path | None = None) -> Report:
    """Read the inputs and compose the report (the only function here that reads files).
    ``baseline``: what :func:`resolve_baseline` takes, or what it gave.
    ``rechecks`` defaults to the re-measurement log beside ``results`` (absent: none).
    ``same_cells``: the baseline's records of the cases and cells the results hold, only (a
    run over part of the grid compared with the published results of that part).
    ``canary``: the canary lane's store (:mod:`report.coming`; ``None`` or absent: none)."""
    import dataclasses

    from matrix.model.cases import load_cases
    from matrix.model.checks import load_log, log_beside
    from matrix.model.selection import CaseInfo
    from report.coming import compose_coming
    from report.compose import compose
    from report.references import REFERENCES_FILE, load_references

    defined = load_cases(cases_dir)
    cases = [CaseInfo.from_case(case) for case in defined]
    records = read_records(results, results, "results")
    log = load_log(rechecks if rechecks is not None else log_beside(results))
    held = {(r.case_id, r.cell_id) for r in records} if same_cells else None

    def narrowed(found: list[Record]) -> list[Record]:
        return found if held is None else [r for r in found if (r.case_id, r.cell_id) in held]

    if isinstance(baseline, tuple):
        report = compose(records, cases, narrowed(baseline[1]), log,
                         load_references(references or REFERENCES_FILE))
    else:
        def previous() -> list[Record] | None:  # read while the tables are composed
            resolved = resolve_baseline(baseline, results)
            return narrowed(resolved[1]) if resolved is not None else None

        report = compose(records, cases, previous, log,
                         load_references(references or REFERENCES_FILE))
    from matrix.model.storeformat import STORE_FILE

    if canary is None or not (canary / STORE_FILE).is_file():
        return report
    coming = compose_coming(read_records(canary, canary, "canary"), cases,
                            load_log(log_beside(canary)), {c.id: c.code for c in defined},
                            released=report.records)
    return dataclasses.replace(report, coming=coming)


def _baseline(args: argparse.Namespace) -> Path | str | None:
    if args.no_baseline:
        return None
    return str(args.baseline) if args.baseline is not None else NAMED


def _canary(args: argparse.Namespace) -> Path:
    """``--canary``, or ``canary/`` beside the results folder (``run --pre`` measures there)."""
    return Path(args.canary) if args.canary else Path(args.results).resolve().parent / "canary"


def _rechecks(args: argparse.Namespace) -> Path | None:
    return Path(args.rechecks) if args.rechecks else None


def _references(args: argparse.Namespace) -> Path | None:
    return Path(args.references) if args.references else None


def without_cycle_collection(
        command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``command`` run with Python's cycle collector paused (then resumed).  A report reads and
    makes hundreds of thousands of objects that stay alive to its end, in no cycles worth
    collecting; each collection walks them all (about a fifth of a render of the published
    grid, measured with ``benchmarks/bench_store.py``).  Reference counting still frees
    everything else as usual."""
    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return command(args)
        finally:
            if was_enabled:
                gc.enable()
    return run


SHRINK_LIMIT = 0.5
"""A render into a folder that publishes N cells refuses a report of fewer than N x this
(``--allow-shrink`` overrides)."""


def published_cell_count(out: Path) -> int:
    """How many cells the ``compat.json`` in ``out`` publishes (0: none there, or unreadable:
    nothing to protect)."""
    key = '"provenance":'
    try:
        text = (out / "compat.json").read_text(encoding="utf-8")
        if text.count(key) == 1:  # the one top-level key: read that object alone (4 MB less)
            start = text.index(key) + len(key)
            data = {"provenance": json.JSONDecoder().raw_decode(text, start)[0]}
        else:
            data = json.loads(text)
        return int(data["provenance"]["cells"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def render_inputs(args: argparse.Namespace) -> RenderInputs:
    """What ``render`` reads, as the render stamp counts it (:mod:`report.freshness`)."""
    from matrix.model.checks import log_beside
    from report.references import REFERENCES_FILE

    results, baseline = Path(args.results), _baseline(args)
    return RenderInputs(
        results=results, cases=Path(args.cases),
        rechecks=_rechecks(args) or log_beside(results),
        references=_references(args) or REFERENCES_FILE,
        baseline=None if baseline is None else str(baseline), canary=_canary(args),
        options=[name for name in ("no_heatmap", "same_cells") if getattr(args, name)])


RENDER_MODULES = ("pandas", "pyarrow", "matplotlib")
"""What rendering imports beyond the base install: the ``report`` extra of pyproject.toml."""


def cmd_render(args: argparse.Namespace) -> int:
    missing = [name for name in RENDER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ReportError(f"render needs the report extra (missing: {', '.join(missing)}):"
                          " pip install 'cython-memory-matrix[report]'")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"--out {out}: a file; the published files go into a folder")
    inputs = None if args.check else render_inputs(args).digest(renderer_digest())
    if inputs is not None and not args.force and is_current(out, inputs):
        print(f"{out} is current (inputs and renderer {inputs[:12]}, every file as rendered):"
              " nothing to render (--force renders anyway)", file=sys.stderr)
        _ship_snapshot(out)
        return 0
    from report.publish import drift, painter, write_outputs  # pandas: only to render

    # The picture's process imports matplotlib while the report is read and composed.
    drawer = painter() if not args.check and not args.no_heatmap else None
    published = 0 if args.check else published_cell_count(out)
    report = build_report(Path(args.results), _baseline(args), Path(args.cases),
                          _rechecks(args), _references(args), same_cells=args.same_cells,
                          canary=_canary(args))
    if not report.provenance.records:
        raise ReportError(f"{args.results}: holds no record of the cases in {args.cases};"
                          " an empty report is never published")
    if args.check:
        problems = drift(report, out)
        if _publishes(out) and not problems:
            problems.extend(p for p in [shipped_drift(out)] if p)
        for problem in problems:
            print(f"drift: {problem}", file=sys.stderr)
        if problems:
            print("re-render with `nox -s report` and commit docs/", file=sys.stderr)
            return 1
        print(f"{out}: up to date with the results", file=sys.stderr)
        return 0
    if published and report.provenance.cells < published * SHRINK_LIMIT and not args.allow_shrink:
        raise ReportError(
            f"{args.results} holds {report.provenance.cells} cells, {out} publishes {published}:"
            f" a store that lost more than {1 - SHRINK_LIMIT:.0%} of the published cells is not"
            " rendered over them (a lost shard? a store cut short?); pass --allow-shrink if the"
            " grid shrank on purpose")
    if out.is_dir():
        forget(out)  # a render cut short leaves no stamp behind
    try:
        written = write_outputs(report, out, heatmap=not args.no_heatmap, drawer=drawer)
    except OSError as exc:
        raise ReportError(f"--out {out}: cannot write the published files ({exc.strerror or exc}:"
                          f" {exc.filename or out})") from None
    if inputs is not None:
        record(out, inputs, written)
    written.extend(p for p in [_ship_snapshot(out)] if p)
    p = report.provenance
    print(f"rendered {p.cases} cases over {p.cells} cells ({p.records} records, "
          f"{len(report.footnotes)} notes) -> {', '.join(str(w) for w in written)}",
          file=sys.stderr)
    return 0


def _publishes(out: Path) -> bool:
    """Whether ``out`` is the published docs/ of this checkout (not a copy rendered elsewhere,
    and not an installed package's folder)."""
    from matrix.model.folders import is_checkout

    return is_checkout(PROJECT_ROOT) and out.resolve() == DEFAULT_OUT.resolve()


def _ship_snapshot(out: Path) -> Path | None:
    """The published docs' query data copied to where the distribution ships it
    (:func:`report.query.snapshot.ship`), when ``out`` is the published docs/."""
    if not _publishes(out) or not (out / SNAPSHOT_FILE).is_file():
        return None
    return ship(out)


def cmd_agree(args: argparse.Namespace) -> int:
    """The machine check's verdict (:mod:`matrix.model.agreement`)."""
    from matrix.model.agreement import compare_with_published

    results, published = Path(args.results), Path(args.published)
    agreement = compare_with_published(read_records(results, results, "results"),
                                       read_records(published, published, "results"))
    print("\n".join(agreement.lines()))
    return 1 if agreement.disagreements else 0


def cmd_regressions(args: argparse.Namespace) -> int:
    from matrix.model.checks import Judgement
    from matrix.model.diff import Change
    from report.render_md.changes import render_diff

    results = Path(args.results)
    baseline = resolve_baseline(_baseline(args), results)
    report = None if baseline is None else build_report(
        results, baseline, Path(args.cases), _rechecks(args), _references(args))
    if baseline is None or report is None or report.diff is None:
        text = "No baseline run to compare with: nothing can have regressed.\n"
        regressed, gone = 0, 0
    else:
        found = report.diff.of(Change.REGRESSED)
        confirmed = [c for c in found if c.check == Judgement.CONFIRMED.value]
        regressed = len(confirmed) if args.confirmed else len(found)
        # Results of a case no longer defined went on purpose; those of a defined case did not.
        defined = {row.case.id for row in report.rows} | set(report.toolchain_baseline.control_ids)
        gone = 0 if args.allow_gone else sum(1 for c in report.diff.of(Change.GONE)
                                             if c.case_id in defined)
        text = (f"## Changes since the previous run ({baseline[0]})\n\n"
                f"{render_diff(report.diff, report)}\n")
        if args.confirmed and len(confirmed) < len(found):
            text += (f"\n{len(found) - len(confirmed)} regression(s) not confirmed by"
                     " re-measuring (`python -m matrix recheck`): listed, not failing.\n")
        if gone:
            text += (f"\n{gone} result(s) of the previous run are gone from the results:"
                     " a lost shard or a store cut short fails this check; if cases or cells were"
                     " removed on purpose, pass --allow-gone.\n")
    sys.stdout.write(text)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(text)
    if regressed or gone:
        what = "confirmed regression(s)" if args.confirmed else "cell(s) regressed"
        print(f"{regressed} {what}, {gone} result(s) gone, against the baseline"
              f" ({baseline and baseline[0]})", file=sys.stderr)
        return 1
    return 0


def _require_canary(canary: Path) -> None:
    """A canary store is there (its ``store.json``), or an error naming ``--canary``."""
    from matrix.model.storeformat import STORE_FILE

    if not (canary / STORE_FILE).is_file():
        raise ReportError(f"--canary {canary}: no canary store (measure one with"
                          " `nox -s matrix -- run --pre`)")


def cmd_coming(args: argparse.Namespace) -> int:
    """``What is coming`` from the canary store, against the released table's finals."""
    from matrix.model.cases import load_cases
    from matrix.model.checks import load_log, log_beside
    from matrix.model.selection import CaseInfo
    from report.coming import compose_coming
    from report.render_md.coming import render_coming_page

    canary = _canary(args)
    _require_canary(canary)
    defined = load_cases(Path(args.cases))
    results = Path(args.results)
    released = read_records(results, results, "results") if results.exists() else []
    coming = compose_coming(read_records(canary, canary, "canary"),
                            [CaseInfo.from_case(c) for c in defined],
                            load_log(log_beside(canary)), {c.id: c.code for c in defined},
                            released=released)
    text = render_coming_page(coming, published=False)
    sys.stdout.write(text)
    if args.summary:
        with open(args.summary, "a", encoding="utf-8") as handle:
            handle.write(text)
    changes = coming.changes
    if args.check and changes:
        print(f"{len(changes)} confirmed change(s) coming: "
              + ", ".join(f"{e.case_id} with {e.coming}" for e in changes), file=sys.stderr)
        return 1
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """The replay table (:mod:`report.replay`) of the canary store."""
    from matrix.model.cases import load_cases
    from matrix.model.checks import load_log, log_beside
    from report.replay import render_replay, replay_rows

    canary = Path(args.canary)
    _require_canary(canary)
    controls = [c.id for c in load_cases(Path(args.cases)) if c.is_control]
    rows = replay_rows(read_records(canary, canary, "canary"), load_log(log_beside(canary)),
                       controls)
    sys.stdout.write(render_replay(rows))
    return 0


def query_cache() -> Path:
    """Where ``query`` keeps what it read of a data file: ``query/`` in the cache folder
    (:func:`matrix.model.folders.cache_root`)."""
    from matrix.model.folders import cache_root

    return cache_root() / "query"


def support_range(args: argparse.Namespace) -> tuple[ProjectRange | None, SupportRange]:
    """The range ``query`` and ``scan`` answer on: the flags over what the project's
    ``pyproject.toml`` declares (:func:`report.query.project.project_range`), and what was read
    there (``None``: no project file read)."""
    flags = {"python": args.python, "cython": args.cython, "numpy": args.numpy}
    declared = project_range(args.project, flags, own=PROJECT_ROOT / PYPROJECT)
    specifiers = declared.specifiers() if declared else (args.python, args.cython, args.numpy)
    return declared, SupportRange.parse(*specifiers, given=True, interpreters=args.interpreter)


def cmd_query(args: argparse.Namespace) -> int:
    declared, support = support_range(args)
    globs = [g.strip() for g in args.case.split(",") if g.strip()] if args.case else []
    if args.case is not None and not globs:
        raise QueryError(f"--case '{args.case}': an empty pattern (an unset variable?); omit"
                         " --case for every case")
    cache = query_cache()
    with open_source(args.data, cache.parent) as data:
        result = answer(load_data(data.path, cache), support, globs,
                        shipped_c=args.shipped_c, compiler=args.compiler, source=data.label)
    strict, safe = args.strict_toolchain, args.safe
    if args.json:
        found = result.to_json(strict_toolchain=strict, safe=safe)
        if declared:
            found = {"range_source": declared.to_json(), **found}
        sys.stdout.write(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    else:
        if declared:
            sys.stdout.write(declared.text() + "\n")
        sys.stdout.write(render_text(result, strict_toolchain=strict, safe=safe))
    return result.status(strict_toolchain=strict, safe=safe)


def _directives(given: Sequence[str]) -> dict[str, object]:
    """``-X name=value`` as Cython takes them (``True``/``False``/numbers parsed)."""
    found: dict[str, object] = {}
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--directive '{item}': not NAME=VALUE (e.g. language_level=3)")
        text = value.strip()
        parsed: object = {"true": True, "false": False}.get(text.lower(), text)
        if isinstance(parsed, str) and parsed.lstrip("-").isdigit():
            parsed = int(parsed)
        found[name.strip()] = parsed
    return found


def cmd_scan(args: argparse.Namespace) -> int:
    """``scan``: :mod:`report.scan`."""
    if importlib.util.find_spec("Cython") is None:
        raise QueryError("scan reads Cython sources with Cython's own front end: install"
                         " Cython (pip install Cython)")
    from report.scan.output import render_json, render_sarif
    from report.scan.output import render_text as scan_text
    from report.scan.result import scan

    declared, support = support_range(args)
    cache = query_cache()
    with open_source(args.data, cache.parent) as data:
        result = scan([Path(p) for p in args.paths], load_data(data.path, cache), support,
                      includes=[Path(i) for i in args.include],
                      directives=_directives(args.directive), limited_api=args.limited_api,
                      shipped_c=args.shipped_c, source=data.label)
    if args.format == "json":
        text = render_json(result, safe=args.safe)
    elif args.format == "sarif":
        from matrix.model.folders import source_url

        text = render_sarif(result, safe=args.safe, version=_tool_version(),
                            information_uri=source_url())
    else:
        text = (declared.text() + "\n" if declared else "") + scan_text(result, safe=args.safe)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return result.status(safe=args.safe)


def _tool_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("cython-memory-matrix")
    except metadata.PackageNotFoundError:
        return ""


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", default=str(DEFAULT_RESULTS),
                        help="results store folder, or a records file (default: results/)")
    parser.add_argument("--baseline", default=None,
                        help="previous run to diff against: a store folder, an archive or"
                        " records file, or a git ref such as a publication's tag (default:"
                        " the publication results/store.json names)")
    parser.add_argument("--no-baseline", action="store_true", help="do not diff")
    parser.add_argument("--cases", default=str(DEFAULT_CASES),
                        help="cases directory (default: cases/)")
    parser.add_argument("--rechecks", default=None,
                        help="re-measurement log (default: rechecks.jsonl beside --results)")
    parser.add_argument("--references", default=None,
                        help="upstream references cited in the notes (default:"
                        " report/references.toml)")
    parser.add_argument("--canary", default=None,
                        help="the canary lane's store, for \"What is coming\" (default: canary/"
                        " beside the results folder; absent: no canary run)")


def _add_range(parser: argparse.ArgumentParser) -> None:
    """The support range's options (``query`` and ``scan``)."""
    parser.add_argument("--python", help="PEP 440 specifier for Python, e.g. '>=3.8' (a minor's"
                       " cells are judged on the patch release measured there)")
    parser.add_argument("--interpreter", help="interpreter kinds in range, comma-separated:"
                       " cpython (default), cpython-freethreaded, pypy, or all; cells of other"
                       " kinds are out of range (and counted)")
    parser.add_argument("--cython", help="specifier for Cython releases, e.g. '>=0.29,<4'")
    parser.add_argument("--numpy", help="specifier for numpy (built against and run under),"
                       " e.g. '>=1.21'")
    parser.add_argument("--project", metavar="PATH",
                       help="read the range from this pyproject.toml (or the folder holding"
                       " one); default: ./pyproject.toml if there is one (requires-python, and"
                       " Cython and numpy in build-system.requires; numpy also in dependencies)."
                       " --python/--cython/--numpy override their axis")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    render = sub.add_parser("render", help="render the published report from stored results")
    _add_inputs(render)
    render.add_argument("--out", default=str(DEFAULT_OUT), help="output directory (default: docs/)")
    render.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the files in --out differ from a fresh"
                        " rendering (the drift check)")
    render.add_argument("--no-heatmap", action="store_true", help="skip the PNG")
    render.add_argument("--force", action="store_true",
                        help="render even when --out is current (by default a render whose"
                        " inputs, renderer and written files are as the last render left them"
                        " writes nothing: report/freshness.py)")
    render.add_argument("--allow-shrink", action="store_true",
                        help="render even when the results hold less than half the cells the"
                        " --out folder publishes (the grid shrank on purpose)")
    render.add_argument("--same-cells", action="store_true",
                        help="compare only with the baseline's records of the cases and cells"
                        " the results hold (a run over part of the grid against the published"
                        " results: nothing else is 'gone')")
    render.set_defaults(func=without_cycle_collection(cmd_render))

    agree = sub.add_parser("agree", help="does a run agree with the published results? one"
                           " line, then each disagreement with a reproducer; exit 1 if any")
    agree.add_argument("--results", required=True,
                       help="the run's results (a store folder or records file)")
    agree.add_argument("--published", default=str(DEFAULT_RESULTS),
                       help="the published results (default: results/)")
    agree.set_defaults(func=cmd_agree)

    query = sub.add_parser("query", help="which cases work across a support range; exit 1 if"
                           " a selected case fails on its own somewhere in it, 4 if nothing in"
                           " it was tried", epilog=help_epilog(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_range(query)
    query.add_argument("--case", help="case id globs, comma-separated (default: all)")
    query.add_argument("--json", action="store_true", help="machine-readable answer")
    query.add_argument("--compiler", default="gcc",
                       help="the C compiler's cells to answer from: gcc (default), clang,"
                       " gcc14-errors (measured on core cells and the newest numpy 1.x/2.x),"
                       " or gcc-asan (AddressSanitizer; core cells of CPython 3.6+)")
    query.add_argument("--shipped-c", action="store_true",
                       help="count cells measured with shipped C (a Cython that does not install"
                       " on that Python) like the others: for sdists that ship generated C")
    query.add_argument("--safe", action="store_true",
                       help="a case whose target was measured to dangle after a resize of its"
                       " source somewhere in range fails the query (exit 1), as a failure"
                       " does; listed either way")
    query.add_argument("--strict-toolchain", action="store_true",
                       help="exit 3 when the range includes toolchains that build nothing (a"
                       " control case fails there; reported either way)")
    query.add_argument("--data", default=None,
                       help="the data to answer from: a query data snapshot or a publication's"
                       " compat.json, as a path or an https:// URL (fetched into the user's"
                       " cache folder); default: the snapshot shipped with cymatrix")
    query.set_defaults(func=cmd_query)

    scan = sub.add_parser(
        "scan", help="find the memory conversions in Cython sources and answer each from the"
        " measured cases on the support range; exit 1 if a matched one fails on its own in"
        " it", epilog=help_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    scan.add_argument("paths", nargs="+", metavar="PATH",
                      help=".pyx/.pxd/.pxi files, or folders to search for them")
    _add_range(scan)
    scan.add_argument("-I", "--include", action="append", default=[], metavar="DIR",
                      help="a folder `cimport` searches (as cythonize -I); numpy's is added"
                      " where numpy is installed")
    scan.add_argument("-X", "--directive", action="append", default=[], metavar="NAME=VALUE",
                      help="a Cython directive for every file, as cythonize -X (a file's own"
                      " `# cython:` header wins), e.g. language_level=2")
    scan.add_argument("--limited-api", action="store_true",
                      help="the sources are built for the Limited API (no code says so)")
    scan.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                      help="text for people (default), json, or sarif (SARIF 2.1.0, for"
                      " GitHub code scanning)")
    scan.add_argument("--output", metavar="FILE", help="write the answer here, not to stdout")
    scan.add_argument("--safe", action="store_true",
                      help="a conversion measured to dangle after a resize of its source fails"
                      " the scan (exit 1), as a failure does; listed either way")
    scan.add_argument("--shipped-c", action="store_true",
                      help="count cells measured with shipped C like the others")
    scan.add_argument("--data", default=None,
                      help="the data to answer from (as query --data); default: the snapshot"
                      " shipped with cymatrix")
    scan.set_defaults(func=cmd_scan)

    regressions = sub.add_parser("regressions",
                                 help="print the changes against the baseline; exit 1 on"
                                 " regressions")
    _add_inputs(regressions)
    regressions.add_argument("--summary", help="also append the markdown to this file")
    regressions.add_argument("--allow-gone", action="store_true",
                             help="results of the baseline that are no longer in the results"
                             " (cases or cells removed on purpose) do not fail the check")
    regressions.add_argument("--confirmed", action="store_true",
                             help="fail only on regressions that re-measuring confirmed"
                             " (run `python -m matrix recheck` first; flaky cells never fail)")
    regressions.set_defaults(func=without_cycle_collection(cmd_regressions))

    coming = sub.add_parser("coming", help="print what the canary lane found (markdown, each"
                            " difference with its report text for upstream); --check: exit 1"
                            " on a confirmed regression or change of a case's own")
    _add_inputs(coming)
    coming.add_argument("--summary", help="also append the markdown to this file")
    coming.add_argument("--check", action="store_true",
                        help="exit 1 if re-measuring confirmed a regression, a change of stage"
                        " or of behaviour of a case's own (run `python -m matrix recheck --pre`"
                        " first); fixes, unchecked, flaky and toolchain differences are listed,"
                        " never failing")
    coming.set_defaults(func=without_cycle_collection(cmd_coming))

    replay = sub.add_parser("replay", help="what the canary lane would have reported before"
                            " each final release in the canary store, and what reached it")
    replay.add_argument("--canary", default=str(DEFAULT_CANARY),
                        help="the canary store (default: canary/)")
    replay.add_argument("--cases", default=str(DEFAULT_CASES),
                        help="cases directory (default: cases/)")
    replay.set_defaults(func=cmd_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch(build_parser(), argv)
