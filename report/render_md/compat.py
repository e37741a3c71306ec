"""``docs/compat.md``, the answer first: the summary, the toolchain baseline, the inferred
ranges, the compilers, the changes in brief, the legend, the provenance and the notes."""

from __future__ import annotations

from collections.abc import Sequence

from matrix.model.compilers import COMPILERS, DEFAULT_COMPILER
from report.footnotes import NOTES_FILE, NoteId, refs
from report.legend import (
    COMPILER_MARK,
    CONTRADICTED,
    FAILS,
    FLAKY,
    MIXED,
    NOT_POSSIBLE,
    RANGES_LEAVE_OUT_TOOLCHAIN,
    SHIPPED_C,
    TOOLCHAIN,
    VARIANT,
    WORKS,
)
from report.model import CaseRow, Provenance, Report, ToolchainGrid
from report.render_md.changes import render_diff_summary
from report.render_md.coming import COMING_TITLE, render_coming_section
from report.render_md.common import (
    DETAIL_FILE,
    DIAGRAM_FILE,
    HEATMAP_FILE,
    PAGE_LINK,
    READING_LINK,
    TOOLCHAIN_ANCHOR,
    TOOLCHAIN_TITLE,
    cell_escape,
    code,
    compiler_result,
    md_table,
    render_legend,
    safety_cell,
    verdict_cell,
)
from report.verdicts import shipped_mark


def render_compilers(report: Report) -> str:
    """Every cell whose C compilers disagree, with each compiler's result and note."""
    counts = dict(report.provenance.compiler_counts)
    entries = "; ".join(f"**{c}**: {COMPILERS[c].title} ({counts.get(c, 0)} records)"
                        for c in COMPILERS)
    intro = (f"The C is generated once and compiled per compiler. {entries}. The tables above"
             f" show {DEFAULT_COMPILER}; the other compilers measured the core cells and the"
             " newest numpy 1.x and 2.x cells (the sanitizer the core cells of CPython 3.6+,"
             " where AddressSanitizer sees the heap; its reads after a resize feed the Safety"
             " column). Each row below is a cell where they did not all"
             f" give the same result (outcome, first error, behaviour); {COMPILER_MARK} marks"
             " the summary cells that cover one.")
    found = report.compiler_disagreements
    if not found:
        return f"{intro}\n\nNo cell where the compilers disagree."
    columns = [c for c in COMPILERS if any(c == comp for d in found for comp, _ in d.results)]
    rows = []
    for d in found:
        results = dict(d.results)
        numpy = d.numpy_build or "—"
        if d.numpy_run and d.numpy_run != d.numpy_build:
            numpy += f" → {d.numpy_run}"
        rows.append([code(d.case_id), d.python, d.cython, numpy,
                     *[compiler_result(results[c], report) if c in results else "—"
                       for c in columns]])
    table = md_table(["Case", "Python", "Cython", "numpy", *columns],
                     [[cell_escape(text) for text in row] for row in rows])
    return f"{intro}\n\n{len(found)} cells:\n\n{table}"


def _join(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "—"


def _python(minor: str, exact: str, source: str) -> str:
    """``3.12 (3.12.1; pyenv)``, ``3.12 (3.12.1)``, ``3.12``."""
    inside = "; ".join(part for part in (exact, source) if part)
    return f"{minor} ({inside})" if inside else minor


def render_shipped_c(p: Provenance) -> list[str]:
    """The provenance's shipped-C line (with one sub-item per Python and Cython release)."""
    if not p.knows_c_generation:
        return []
    lines = [f"- **Shipped C {SHIPPED_C}:** {p.shipped_c} of {p.tried} tried records were measured"
             " with shipped C (that Cython does not install or run on that Python)"
             + (":" if p.shipped_cells else "")]
    lines.extend(f"  - {cell_escape(cells.sentence)}" for cells in p.shipped_cells)
    return lines


def render_c_generation(p: Provenance) -> str:
    """The tables of how each Cython release's C was generated: its generation classes, and
    (records from before classes) its invariance check; empty when no record says."""
    parts = []
    if p.generation_classes:
        rows = [[cell_escape(text) for text in [
            e.cython, e.series, " · ".join(c.text for c in e.classes), e.canary or "—"]]
            for e in p.generation_classes]
        table = md_table(["Cython", "Series", "Generation classes (Pythons with byte-identical"
                          " C; generated under)", "Canary"], rows)
        parts.append(
            "**C generation per Cython release.** Each release generated a canary (the run's"
            " numpy-free cases as one module) under every Python whose cells use it; the"
            " Pythons whose C is byte-identical form a *generation class* (separated by ·),"
            " whose C is generated once, under one member (its newest CPython with a compiled"
            " Cython), and compiled for every member. Cells where that Cython cannot be used"
            " compile the C of the class of its newest usable CPython (shipped C). A"
            f" bisection's canary is its own cases.\n\n{table}")
    if p.c_generation:
        rows = [[cell_escape(text) for text in [
            e.cython, e.series, f"{e.oldest or '?'} / {e.newest or '?'}", e.identical_text,
            e.detail or "—", e.how]] for e in p.c_generation]
        table = md_table(["Cython", "Series", "Compared (oldest / newest Python)", "Identical",
                          "Detail", "Generated"], rows)
        parts.append(
            "**C generation per Cython release (invariance check, records before generation"
            " classes).** Each release's C was generated under the oldest and the newest Python"
            " it runs on here and compared: where identical, it is generated once and shared by"
            " every Python (and is the shipped C where that Cython cannot be used); where it"
            f" differs, native cells generate under their own Python.\n\n{table}")
    return "\n\n".join(parts)


def render_provenance(report: Report) -> str:
    p = report.provenance
    outcome_text = " · ".join(f"{name} {count}" for name, count in p.outcomes) or "none"
    sources = dict(p.python_sources)
    python_text = ", ".join(_python(minor, exact, sources.get(minor, ""))
                            for minor, exact in p.pythons)
    lines = [
        f"- **Results as of:** {p.date or '—'} (the day of the newest record)",
        f"- **Cells:** {p.cells} ({p.records} records; {p.cases_tested} of {p.cases} cases"
        " measured" + (f", {p.controls} of them the toolchain's controls" if p.controls else "")
        + ")",
        f"- **Outcomes:** {outcome_text}",
        f"- **Python:** {python_text or '—'}",
        f"- **Cython:** {_join(p.cython)}",
        f"- **numpy:** {_join(p.numpy)}",
        f"- **Machine:** {_join(p.platforms)}; compiler {_join(p.compilers)}; cflags "
        f"{', '.join(code(f) for f in p.cflags) or '—'}",
        f"- **Build:** {_join(p.build_tools)}; environments by {_join(p.env_backends)};"
        f" runner {_join(p.runner_hashes)}"
        + (f"; engine {_join(p.engine_versions)}" if p.engine_versions else "")
        + (f"; run timeout {_join(p.run_timeouts)} s" if p.run_timeouts else ""),
        f"- **Results digest:** {code(p.digest)}",
        f"- **A/A:** {cell_escape(p.aa.text()) if p.aa else 'not measured yet'}"
        " (`python -m matrix aa`: stored results drawn at random and measured again from"
        " scratch)" + (":" if p.aa and p.aa.flips else ""),
    ]
    if p.aa:
        lines.extend(f"  - {code(f.case_id)} in {code(f.cell_id)}: stored"
                     f" {cell_escape(f.stored.text())}; again {cell_escape(f.again.text())}"
                     for f in p.aa.flips)
    if p.checked:
        lines.append("- **Re-measured from scratch:** " + ", ".join(
            f"{count} {judgement}" for judgement, count in p.checked)
            + f" (shown records; {FLAKY} flaky ones count as neither working nor failing)")
    left_out = []
    if p.stale:
        left_out.append(f"{p.stale} measured on an older version of a case's code")
    if p.unknown:
        left_out.append(f"{p.unknown} of cases no longer defined")
    if p.superseded:
        left_out.append(f"{p.superseded} replaced by a newer record of the same cell")
    for engine, count in p.unknown_engines:
        left_out.append(f"{count} measured by engine version {engine}, which this code does not"
                        " know (never shown as a result: render them with the code that"
                        " measured them)")
    if left_out:
        lines.append(f"- **Records left out:** {'; '.join(left_out)}")
    if len(p.toolchains) > 1:
        lines.append("- **Toolchains:** " + "; ".join(f"{name} ({count} records shown)"
                                                     for name, count in p.toolchains)
                     + ". A cell measured by several shows its newest record.")
    if p.toolchain_disagreements:
        lines.append(f"- **Toolchain disagreements:** {len(p.toolchain_disagreements)} cells"
                     " another toolchain measured differently (shown / other):")
        lines.extend(f"  - {code(d.case_id)} in {code(d.cell_id)}: {d.shown.outcome}"
                     f" ({d.shown.first_error or 'no error'}) on {d.shown.toolchain} /"
                     f" {d.other.outcome} ({d.other.first_error or 'no error'}) on"
                     f" {d.other.toolchain}" for d in p.toolchain_disagreements)
    lines.extend(render_shipped_c(p))
    generation = render_c_generation(p)
    return "\n".join(lines) + (f"\n\n{generation}" if generation else "")


def _measured(label: str, notes: Sequence[NoteId]) -> str:
    return f"{label}{refs(notes)}"


def _documented(row: CaseRow) -> str:
    if not row.contradictions:
        return row.documented
    return f"{row.documented} {CONTRADICTED}{refs(row.contradiction_notes)}"


def _conversion(row: CaseRow) -> str:
    """``bytes`` → ``char*``, followed by the case's build options if it has any."""
    options = f" ({row.case.options})" if row.case.options else ""
    return f"{code(row.case.source)} → {code(row.case.target)}{options}"


WHAT_IT_DOES = ("Semantics", "Locks source", "Safety", "Documented")
"""The columns of a group's first table, after its case and conversion: what the idiom does."""


def render_summary(report: Report) -> str:
    """Per group of cases, two tables: what each idiom does (its conversion, the measured
    semantics, lock and safety, and what its reference documents), then where it works (one
    column per Cython series, each cell with its notes). Two narrow tables, not one wide one,
    so that neither scrolls sideways in GitHub's 1,012 px column
    (tests/test_report_github_width.py) and the copy and safety answer comes first."""
    does_headers = ["Case", "Conversion", *WHAT_IT_DOES]
    works_headers = ["Case", *report.series]
    parts = []
    groups: list[str] = []
    for row in report.rows:
        if row.case.group not in groups:
            groups.append(row.case.group)
    for group in groups:
        does, works = [], []
        for row in (r for r in report.rows if r.case.group == group):
            name = code(row.case.id)
            if row.case.variant_of:
                name = f"{VARIANT} {name}"
            does.append([cell_escape(text) for text in [
                name, _conversion(row),
                _measured(row.semantics.label, row.semantics_notes),
                _measured(row.locks.label, row.locks_notes),
                _measured(safety_cell(row.safety.label), row.safety_notes), _documented(row),
            ]])
            works.append([cell_escape(text) for text in [
                name, *(verdict_cell(c) for c in row.series)]])
        parts.append(f"### {group}\n\n{md_table(does_headers, does)}\n\n"
                     f"{md_table(works_headers, works)}")
    kinds = render_kind_summary(report)
    if kinds:
        parts.append(kinds)
    return "\n\n".join(parts)


def kinds_measured(report: Report) -> list[str]:
    """The names of the other interpreter kinds any case was measured on (``PyPy``, ...)."""
    names: list[str] = []
    for row in report.rows:
        names.extend(k.name for k in row.kinds if k.name not in names)
    return names


def render_kind_summary(report: Report) -> str:
    """The summary on the other interpreter kinds: one row per case and kind where the kind
    answers otherwise than CPython on some series (:func:`report.compose.kind_differs`); a series
    where it does not reads ``same``. Empty when no other kind was measured."""
    names = kinds_measured(report)
    if not names:
        return ""
    rows = []
    differing: dict[str, int] = {}
    cases = 0
    for row in report.rows:
        if not row.kinds:
            continue
        cases += 1
        for kind in row.kinds:
            if not kind.any_difference:
                continue
            differing[kind.name] = differing.get(kind.name, 0) + 1
            cells = ["same" if alike else verdict_cell(c)
                     for c, alike in zip(kind.series, kind.same)]
            rows.append([cell_escape(text) for text in [code(row.case.id), kind.name, *cells]])
    counts = "; ".join(f"{name}: {differing.get(name, 0)} of {cases} cases" for name in names)
    lead = ("The tables above answer for CPython. The same cases on " + ", ".join(names)
            + ", judged the same way (against the control case of the same cell), where they"
            " answer otherwise than CPython of the same language versions and numpy builds on"
            " some Cython series (`same`: both answer alike there; a series where only one"
            " side answers, the other having hit only its toolchain, is no difference). The"
            " semantics"
            " columns' notes name where another interpreter measured another copy, write,"
            f" lock or safety answer. Differing: {counts}.")
    parts = [f"### Other interpreters\n\n{lead}"]
    if rows:
        parts.append(md_table(["Case", "Interpreter", *report.series], rows))
    if report.gil_at_import:
        parts.append(report.gil_at_import)
    return "\n\n".join(parts)


def render_toolchain_grid(grid: ToolchainGrid) -> str:
    """One control's grid: rows (Python minors or numpy built against) x Cython releases."""
    counts = grid.rows_axis == "numpy"
    rows = [[cell_escape(text) for text in [row, *(verdict_cell(c, counts=counts) for c in cells)]]
            for row, cells in zip(grid.rows, grid.cells)]
    return md_table([f"{grid.rows_axis} ↓ / Cython →", *grid.cython], rows)


def render_toolchain(report: Report) -> str:
    """The toolchain baseline: each control's grid, and where the compilers disagree on it."""
    section = report.toolchain
    if not section.grids:
        return ("No control case was measured: every failure is counted as the case's own."
                " Run `nox -s matrix` to measure the controls.")
    parts = [
        "Does this Python × Cython (× numpy) × C compiler build and run *anything*? Each cell"
        " below is a *control case*, built alone, with no memory idiom (one plain, for the core"
        " cells; one that does `cimport numpy`, holds a typed `ndarray` and calls"
        f" `import_array()` at module level, for the numpy cells). {WORKS} it builds, imports"
        f" and runs; {WORKS} {SHIPPED_C} it works only"
        " as shipped C (that Cython does not install on that Python; its C, generated under"
        f" another Python, builds there as from an sdist); {FAILS} it fails (stage, note);"
        f" {NOT_POSSIBLE} nothing can be built there. A case that fails where its control fails"
        " *at the same stage* has hit the toolchain, not its idiom: the summary and the ranges"
        f" do not count it, the per-Python tables show it as {TOOLCHAIN}."
        f" {section.excused} of the {section.judged} case records measured beside a control"
        " are such toolchain failures.",
    ]
    for grid in report.toolchain.grids:
        if grid.rows_axis == "numpy":
            title = (f"**numpy headers × Cython** (`{grid.case_id}`, gcc; built and run on the"
                     f" same numpy; a cell covers every Python tested with that numpy, {MIXED}"
                     " *k/n*:"
                     " *k* of *n* Pythons work, the note says where it fails)")
        else:
            title = f"**Python × Cython** (`{grid.case_id}`, gcc)"
        parts.append(f"{title}\n\n{render_toolchain_grid(grid)}")
        if grid.extra:
            parts.append("Also measured (cells a bisection added, outside the grid): " + "; ".join(
                f"Cython {version} with {grid.rows_axis} {row}: {verdict_cell(cell)}"
                for row, version, cell in grid.extra))
    if section.compilers:
        columns = [c for c in COMPILERS
                   if any(c == comp for d in section.compilers for comp, _ in d.results)]
        rows = []
        for d in section.compilers:
            results = dict(d.results)
            numpy = d.numpy_build or "—"
            if d.numpy_run and d.numpy_run != d.numpy_build:
                numpy += f" → {d.numpy_run}"
            rows.append([cell_escape(text) for text in [
                code(d.case_id), d.python, d.cython, numpy,
                *[compiler_result(results[c], report) if c in results else "—"
                  for c in columns]]])
        parts.append(f"**Where the C compiler decides** ({len(rows)} cells where the controls'"
                     " results differ by compiler)\n\n"
                     + md_table(["Control", "Python", "Cython", "numpy", *columns], rows))
    else:
        parts.append("The C compilers (gcc, clang, gcc14-errors) agree on every control cell.")
    return "\n\n".join(parts)


def render_ranges(report: Report) -> str:
    lines = []
    for row in report.rows:
        mark = f" {RANGES_LEAVE_OUT_TOOLCHAIN}" if row.ranges_leave_out_toolchain else ""
        head = f"- **{code(row.case.id)}**{mark} — {row.case.title}"
        if row.case.variant_of:
            head += f" (variant of {code(row.case.variant_of)})"
        lines.append(head)
        if not row.tested:
            lines.append("  - not tested")
        for statement, notes in zip(row.ranges, row.range_notes):
            mark = shipped_mark(statement.shipped_c)
            lines.append(f"  - {statement.sentence}{refs(notes)}{mark}")
        if row.case.expect.works:
            lines.append(f"  - documented: {row.case.expect.works}")
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The whole page, the answer first; ends with exactly one newline."""
    sections = [
        "# Cython memory-conversion compatibility",
        "<!-- Generated by `python -m report render` from results/."
        " Do not edit by hand. -->",
        "Does a memory-conversion idiom work on your Python × Cython × numpy, and does it copy?"
        " Every cell below was measured by building and running the idiom. A case is judged"
        f" against the [{TOOLCHAIN_TITLE.lower()}]({TOOLCHAIN_ANCHOR}): where the toolchain"
        " itself builds nothing, that is shown once, there, not as the case's failure. How to"
        f" read it: [Reading the table]({READING_LINK}); the same report as a [web page]"
        f"({PAGE_LINK}) with filters and a support-range query.",
        f"![The conversions between representations, one arrow per pair summing up its cases:"
        f" its line says copy, alias, read-only alias or mixed, its colour whether they work"
        f" everywhere ({DIAGRAM_FILE})]"
        f"({DIAGRAM_FILE})",
        f"*The conversions measured, one arrow per pair of representations (a number: its"
        f" cases), for every version on CPython (the legend is in the picture; on the [web"
        f" page]({PAGE_LINK}) it follows your range, hovering an arrow lists its cases and"
        f" clicking it opens the first; how to read it: [the diagram]({READING_LINK}"
        f"#the-diagram)).*",
        "## Summary",
        "Each group of cases has two tables. The first says what each idiom does, measured"
        " on CPython where it worked: its semantics (copy, alias or read-only alias), whether it"
        " locks its source against resizing, whether the target is safe after the source is"
        f" resized (or {safety_cell('dangles')}), and what its reference documents"
        f" ({CONTRADICTED} a claim a measurement contradicts). The second says where it works."
        + (" One column per Cython series, on CPython (other interpreters: [below]"
           "(#other-interpreters)): " if kinds_measured(report) else
           " One column per Cython series: ")
        + f"{WORKS} works wherever its toolchain works; {MIXED} works on some"
        f" cells and fails on others, {FAILS} fails everywhere it was tried (stage and note"
        f" follow); {TOOLCHAIN} only toolchain failures; {FLAKY} flaky; {SHIPPED_C} some cells"
        f" measured with shipped C; {COMPILER_MARK} depends on the C compiler. The full"
        " [legend](#legend) is below.",
        render_summary(report),
        f"The same at one glance over every cell: [the heatmap]({HEATMAP_FILE}), every case ×"
        " (Python, Cython) coloured by verdict, one large picture to open at full size (its"
        f" labels are 11 px there; [how to read it]({READING_LINK}#the-heatmap)).",
        f"## {TOOLCHAIN_TITLE}",
        render_toolchain(report),
        "## Inferred ranges",
        "Only tested versions are named; where behaviour changes between two tested versions,"
        " the releases in between were not tested and the change may lie anywhere there."
        f" {RANGES_LEAVE_OUT_TOOLCHAIN} marks a case whose ranges would read otherwise if its"
        " toolchain failures (see the"
        f" [{TOOLCHAIN_TITLE.lower()}]({TOOLCHAIN_ANCHOR})) counted as its own; they are left"
        " out, as if untried.",
        render_ranges(report),
        "## Compilers",
        render_compilers(report),
        "## Changes since the previous run",
        render_diff_summary(report.diff),
        f"## {COMING_TITLE}",
        render_coming_section(report),
        "## Legend",
        render_legend(),
        "## Provenance",
        render_provenance(report),
        "## Every cell",
        f"Every measured cell, per Python (Cython × case × numpy), and the numpy build-vs-run"
        f" tables: [{DETAIL_FILE}]({DETAIL_FILE}).",
        "## Notes",
        f"Every failure and semantics note, with where it was seen, a reproducer and its upstream"
        f" sources: [{NOTES_FILE}]({NOTES_FILE}) (each id above links there).",
    ]
    return "\n\n".join(sections) + "\n"
