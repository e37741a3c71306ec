"""The report's vocabulary in one place: what a cell can say (:class:`Verdict`), its symbol,
its colour and its legend text, the failing stages, and every mark a reader meets beside a
cell, a case or a claim. The markdown, the heatmap, the web page and the query all read them
from here, so they cannot disagree: the page gets the verdicts' through ``compat-data.js``, and
the marks its template names (``{{mark:NAME}}``, :data:`MARKS`) are filled in when it is
rendered (:func:`report.render_html.render_page`). A test fails on a mark written anywhere
else in ``report/`` (tests/test_report_legend.py).
"""

from __future__ import annotations

import enum

from matrix.model.outcomes import Outcome


class Verdict(str, enum.Enum):
    """The verdict over a group of records (e.g. one case on one Cython series)."""

    OK = "ok"
    MIXED = "mixed"
    FAILED = "failed"
    FLAKY = "flaky"
    TOOLCHAIN = "toolchain"
    ENV_ERROR = "env-error"
    NOT_POSSIBLE = "not-possible"
    NOT_TESTED = "not-tested"


SYMBOLS: dict[Verdict, str] = {
    Verdict.OK: "✅",
    Verdict.MIXED: "⚠️",
    Verdict.FAILED: "❌",
    Verdict.FLAKY: "🎲",
    Verdict.TOOLCHAIN: "🧱",
    Verdict.ENV_ERROR: "🔧",
    Verdict.NOT_POSSIBLE: "n/p",
    Verdict.NOT_TESTED: "—",
}

LEGEND: dict[Verdict, str] = {
    Verdict.OK: "works on every cell where it was tried",
    Verdict.MIXED: "works on some cells, fails on others; the note says where and why",
    Verdict.FAILED: "fails on every cell where it was tried; the failing stage and a note follow",
    Verdict.FLAKY: "flaky: measured again from scratch, the results disagree (`python -m matrix"
    " recheck`/`aa`); never counted as working, failing, a regression or a fix; the note lists"
    " what was measured. After another symbol: some of the cells it covers are flaky",
    Verdict.TOOLCHAIN: "the toolchain builds nothing here: the control case, which uses no"
    " memory idiom, fails at the same stage (see the toolchain table); not this case's"
    " failure, and counted as neither working nor failing",
    Verdict.ENV_ERROR: "could not be tried: the environment could not be set up (a spurious,"
    " infrastructure error; re-run)",
    Verdict.NOT_POSSIBLE: "not possible: nothing can be built there (no numpy wheel for that"
    " Python, or no Python here on which that Cython can generate C)",
    Verdict.NOT_TESTED: "not tested: no result for that combination",
}

WORKS = SYMBOLS[Verdict.OK]
"""A cell where the case worked on every cell it covers."""
MIXED = SYMBOLS[Verdict.MIXED]
"""A cell where the case worked on some of the cells it covers and failed on others."""
FAILS = SYMBOLS[Verdict.FAILED]
"""A cell where the case failed on every cell it covers where it was tried."""
FLAKY = SYMBOLS[Verdict.FLAKY]
"""A cell (or after another symbol: some of the cells it covers) whose results disagree."""
TOOLCHAIN = SYMBOLS[Verdict.TOOLCHAIN]
"""A cell where only the toolchain failed (the control case fails at the same stage)."""
NOT_POSSIBLE = SYMBOLS[Verdict.NOT_POSSIBLE]
"""A cell where nothing can be built."""

SHIPPED_C = "📦"
"""Follows a cell (or a cell id, a range) measured with shipped C."""

SHIPPED_C_LEGEND = (
    "measured with shipped C. This Cython does not install or run on this Python, so the C it"
    " generated under another Python was compiled, imported and run here, as from an sdist that"
    " ships it: not a claim that this Cython installs on this Python"
)

STAGES: dict[Outcome, str] = {
    Outcome.CYTHONIZE_ERROR: "cythonize",
    Outcome.CC_ERROR: "cc",
    Outcome.IMPORT_ERROR: "import",
    Outcome.RUN_ERROR: "run",
    Outcome.CRASH: "crash",
    Outcome.MEMORY_ERROR: "memory",
    Outcome.TIMEOUT: "timeout",
}
"""Short names of the failing stages, as table cells show them."""

STAGE_LEGEND: dict[Outcome, str] = {
    Outcome.CYTHONIZE_ERROR: "Cython rejected the code",
    Outcome.CC_ERROR: "the C compiler rejected the generated code",
    Outcome.IMPORT_ERROR: "the built module does not import",
    Outcome.RUN_ERROR: "the conversion (or a probe) raised",
    Outcome.CRASH: "the process died (e.g. SIGSEGV)",
    Outcome.MEMORY_ERROR: "AddressSanitizer reported a memory error (a -fsanitize=address build)",
    Outcome.TIMEOUT: "the run did not finish in time",
}


COLOURS: dict[Verdict, str] = {
    Verdict.OK: "#2e7d32",
    Verdict.MIXED: "#f9a825",
    Verdict.FAILED: "#c62828",
    Verdict.FLAKY: "#00838f",
    Verdict.TOOLCHAIN: "#8d6e63",
    Verdict.ENV_ERROR: "#6a1b9a",
    Verdict.NOT_POSSIBLE: "#b0b0b0",
    Verdict.NOT_TESTED: "#ffffff",
}
SHORT_LEGEND: dict[Verdict, str] = {
    Verdict.OK: "works",
    Verdict.MIXED: "works with some numpy versions",
    Verdict.FAILED: "fails",
    Verdict.FLAKY: "flaky (results disagree)",
    Verdict.TOOLCHAIN: "toolchain builds nothing (control fails too)",
    Verdict.ENV_ERROR: "could not be tried",
    Verdict.NOT_POSSIBLE: "not possible",
    Verdict.NOT_TESTED: "not tested",
}

SHIPPED_HATCH = "////"
SHIPPED_HATCH_COLOUR = "#202020"
SHIPPED_LEGEND = "hatched: shipped C, not that Cython on that Python"
SHIPPED_COLUMN = " (shipped C)"
"""Follows the label of a column where any cell was measured with shipped C."""

COMPILER_MARK = "⚙"
"""Follows a summary cell whose verdict depends on the compiler."""

CONTRADICTED = "❗"
"""Follows a documented claim (the summary's *Documented* column, the page's safety cell) that
a measurement contradicts."""

RANGES_LEAVE_OUT_TOOLCHAIN = "†"
"""Follows a case whose inferred ranges would read otherwise if its toolchain failures counted
as its own."""

VARIANT = "↳"
"""Precedes a case that is a variant of the one above it, and on the page another
interpreter's row under its case."""

DANGLES = "↯"
"""Marks a cell of the page's case grids where a worked conversion's target dangled."""
DANGLES_LEGEND = ("a target measured to dangle after the source's resize (the moves probe, or"
                  " AddressSanitizer)")

UNTYPED_MARK = "❔"
"""Marks a conversion ``cymatrix scan`` found whose source is an untyped object (or whose file's
analysis failed): no measured case answers for it by type alone."""
UNMEASURED_MARK = "○"
"""Marks a conversion ``cymatrix scan`` found that no measured case covers."""

LOCKS = "🔒"
"""Marks an arrow of the diagram one of whose conversions locks its source against resizing
while the target lives (measured somewhere in the range)."""

DIAGRAM_STYLES: dict[str, tuple[str, str]] = {
    "copy": ("", "solid: copies"),
    "alias": ("9 5", "dashed: aliases (writable)"),
    "read-only alias": ("2 5", "dotted: read-only alias"),
    "mixed": ("12 4 2 4", "dash-dot: mixed, the pair's cases differ"),
    "unknown": ("1 9", "sparse dots: no worked case in range measured it"),
}
"""The diagram's line per what a pair's conversions do where they worked in the range (their
``semantics``: a read-only copy is a copy; ``mixed`` when the cases, or one case's cells,
differ): the SVG ``stroke-dasharray`` and the legend text."""

DIAGRAM_COLOURS: dict[str, tuple[str, str]] = {
    "works": (COLOURS[Verdict.OK], "works everywhere each case was tried in the range"),
    "fails": (COLOURS[Verdict.FAILED], "a case fails somewhere in the range"),
    "flaky": (COLOURS[Verdict.FLAKY], "none fails, a case has only flaky cells in the range"),
    "untested": (COLOURS[Verdict.NOT_POSSIBLE], "not measured in the range"),
}
"""The diagram's colour per the range's answers for a pair's cases (``report query``'s verdicts:
:class:`report.query.answer.CaseAnswer`, combined by
:data:`report.diagram.COLOUR_PRECEDENCE`) and its legend text."""

DIAGRAM_MARKS: dict[str, str] = {
    LOCKS: "a case locks the source against resizing",
    DANGLES: "a case's target dangles after a resize of the source",
}
"""The marks on an arrow of the diagram and their legend text."""

DIAGRAM_COUNT = "the pair's number of cases, when more than one (hover: each case)"
"""The legend of the number on an arrow of the diagram."""

MARKS: dict[str, str] = {
    "WORKS": WORKS, "MIXED": MIXED, "FAILS": FAILS, "FLAKY": FLAKY, "TOOLCHAIN": TOOLCHAIN,
    "ENV_ERROR": SYMBOLS[Verdict.ENV_ERROR], "SHIPPED_C": SHIPPED_C,
    "COMPILER_MARK": COMPILER_MARK, "CONTRADICTED": CONTRADICTED,
    "RANGES_LEAVE_OUT_TOOLCHAIN": RANGES_LEAVE_OUT_TOOLCHAIN, "VARIANT": VARIANT,
    "DANGLES": DANGLES, "UNTYPED_MARK": UNTYPED_MARK, "UNMEASURED_MARK": UNMEASURED_MARK,
    "LOCKS": LOCKS,
}
"""Every mark a reader meets, by the name the page's template gives it (``{{mark:VARIANT}}``);
the verdicts' words and dash (``n/p``, ``—``) are ordinary text and not listed."""

ANSWER_SYMBOLS = {"works": WORKS, "fails": FAILS, "flaky": FLAKY,
                  "untested": SYMBOLS[Verdict.NOT_TESTED]}
"""The support-range query's answer per case (``python -m report query``)."""
