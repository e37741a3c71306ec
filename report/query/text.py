"""The answer for a terminal (``python -m report query`` without ``--json``): both halves first,
a table with one line per case (does it work in range, and what it does where it works: copy or
alias, lock, safety), then one block per case, failures grouped by note, each with a reproducer;
toolchain failures once, at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tabulate import tabulate

from report.legend import ANSWER_SYMBOLS, DANGLES, SHIPPED_C
from report.query.answer import Answer, CaseAnswer, Failure, ToolchainFailure
from report.query.range_warnings import plural


def render_text(result: Answer, *, max_cells: int = 6, strict_toolchain: bool = False,
                safe: bool = False) -> str:
    """The answer for a terminal: the table of :func:`overview`, one block per case, failures
    grouped by note; toolchain failures once, at the end."""
    lines = [f"Support range: {result.range}", f"Data: {result.data_text()}"]
    lines.append("Tested in range: " + "; ".join(
        f"{axis} {', '.join(values) if values else 'none'}"
        for axis, values in result.tested.items()))
    lines.extend(f"warning: {warning}" for warning in result.warnings)
    lines.append("")
    if result.untested:
        lines.extend(f"untested: {reason}" for reason in result.untested)
        lines.append("")
        selected = plural(len(result.cases), "selected case")
        lines.append(f"Nothing in range was tried for the {selected}: untested, not a success.")
        lines.extend(_toolchain_lines(result.toolchain, strict_toolchain))
        return "\n".join(lines) + "\n"
    lines.extend(overview(result.cases))
    lines.append("")
    for case in result.cases:
        lines.extend(_case_lines(case, max_cells))
    failing = result.failing
    lines.append("")
    lines.append(f"{len(failing)} of {len(result.cases)} cases fail somewhere in the range"
                 + (f": {', '.join(c.case_id for c in failing)}" if failing else "."))
    dangling = result.dangling
    if dangling or safe:
        lines.append(f"{len(dangling)} of {len(result.cases)} cases leave a dangling target"
                     " after a resize of the source somewhere in the range"
                     + (f": {', '.join(c.case_id for c in dangling)}" if dangling else ".")
                     + (" (--safe: they fail the query)" if safe and dangling else ""))
    lines.extend(_toolchain_lines(result.toolchain, strict_toolchain))
    return "\n".join(lines) + "\n"


def headline_mark(case: CaseAnswer) -> str:
    """The case's mark: its verdict's, except a case that works but dangles somewhere in range
    (:data:`~report.legend.DANGLES`): working is not all a reader needs to know."""
    if case.verdict == "works" and case.dangles:
        return DANGLES
    return ANSWER_SYMBOLS[case.verdict]


def overview(cases: Sequence[CaseAnswer]) -> list[str]:
    """One line per case, both halves of the answer: does it work in range (and where it
    fails), and what it does where it works (copy or alias, lock, safety)."""
    table = []
    for case in cases:
        tried = case.works + len(case.failures)
        answer = case.verdict
        if case.verdict == "fails":
            answer = f"fails on {len(case.failures)} of {tried}"
        elif case.verdict == "works":
            answer = f"works on {tried}" + (f", dangles on {len(case.dangles)}"
                                            if case.dangles else "")
        table.append([f"{headline_mark(case)} {case.case_id}", answer,
                      case.property("semantics").text(0), case.property("locks").text(0),
                      case.property("safety").text(0)])
    text = tabulate(table, headers=["case", "in range", "does", "locks source", "safety"],
                    tablefmt="simple", disable_numparse=True)
    return text.splitlines()


def _case_lines(case: CaseAnswer, max_cells: int) -> list[str]:
    head = f"{headline_mark(case)} {case.case_id}: "
    tried = case.works + len(case.failures)
    apart = ""
    if case.toolchain_failures:
        apart = (f"; {plural(len(case.toolchain_failures), 'toolchain failure')} not held"
                 " against it (listed at the end)")
    if case.verdict == "works":
        head += (f"works (where the toolchain builds) on all {tried} tried cells in range{apart}"
                 if apart else f"works on all {tried} tried cells in range")
    elif case.verdict == "fails":
        head += f"fails on {len(case.failures)} of {tried} tried cells in range{apart}"
    elif case.verdict == "flaky":
        head += f"only flaky results in range (neither works nor fails){apart}"
    else:
        head += f"no result in range (untested, not a success){apart}"
    if case.dangles and case.verdict == "works":
        head += (f", but its target dangles after a resize of the source on"
                 f" {plural(len(case.dangles), 'cell')}")
    lines = [head]
    does = [f"{p.name} {p.text(max_cells // 2)}" for p in case.does if p.values]
    if does:
        lines.append("    does where it works: " + "; ".join(does))
    lines.extend(_failure_lines(case.failures, max_cells, "    "))
    if case.shipped_failures:
        count = len(case.shipped_failures)
        lines.append(f"    with shipped C {SHIPPED_C} (a Cython that does not install on that"
                     f" Python; not counted unless --shipped-c): fails on {count}"
                     f" cell{'s' if count > 1 else ''}")
        lines.extend(_failure_lines(case.shipped_failures, max_cells, "      "))
    if case.dangles:
        lines.append(f"    dangles after a resize of the source (measured) on"
                     f" {plural(len(case.dangles), 'worked cell')}:")
        lines.extend(_failure_lines(case.dangles, max_cells, "      "))
    if case.flaky:
        lines.append(f"    flaky (results disagree when measured again): "
                     f"{', '.join(case.flaky[:max_cells])}"
                     + (f" and {len(case.flaky) - max_cells} more"
                        if len(case.flaky) > max_cells else ""))
    if case.untried:
        counts = Counter(outcome for _, outcome in case.untried)
        lines.append("    could not be tried: " + ", ".join(
            f"{n} {outcome}" for outcome, n in counts.items()))
    if case.not_tested:
        shown = ", ".join(case.not_tested[:3])
        more = f" and {len(case.not_tested) - 3} more" if len(case.not_tested) > 3 else ""
        lines.append(f"    not tested: {len(case.not_tested)} cells of the grid in range"
                     f" have no result for it ({shown}{more})")
    return lines


def _toolchain_lines(toolchain: Sequence[ToolchainFailure], strict: bool) -> list[str]:
    """``Your range includes toolchains that build nothing: ...``, one line per group."""
    if not toolchain:
        return []
    lines = ["", "Your range includes toolchains that build nothing (a control case, with no"
                 " memory idiom, fails there too; not held against any case):"]
    for group in toolchain:
        where = f"Cython {group.cython} on Python {', '.join(group.pythons)}"
        if group.numpy:
            where += f" with numpy {', '.join(group.numpy)}"
        what = group.stage + (f", note {group.note}" if group.note else f": {group.error}")
        if group.shipped_c:
            where = f"{SHIPPED_C} {where}"
            what += ("; shipped C, counted (--shipped-c)" if group.counted
                     else "; shipped C, not counted unless --shipped-c")
        lines.append(f"    {where} ({what})")
        lines.append(f"      reproduce: {group.reproduce}")
    if strict and any(t.counted for t in toolchain):
        lines.append("--strict-toolchain: these fail the query (exit status 3).")
    return lines


def _failure_lines(failures: Sequence[Failure], max_cells: int, indent: str) -> list[str]:
    """Failures grouped by note: what failed, where, and one reproducer."""
    groups: dict[tuple[str, str, str], list[Failure]] = {}
    for failure in failures:
        groups.setdefault((failure.note, failure.stage, failure.error), []).append(failure)
    lines = []
    for (note, stage, error), found in groups.items():
        cells = ", ".join(f.cell_id for f in found[:max_cells])
        more = f" and {len(found) - max_cells} more" if len(found) > max_cells else ""
        label = f"note {note}, " if note else ""
        lines.append(f"{indent}{label}{stage}: {error}")
        lines.append(f"{indent}  in {cells}{more}")
        lines.append(f"{indent}  reproduce: {found[0].reproduce}")
    return lines
