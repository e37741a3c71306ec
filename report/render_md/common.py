"""The pieces the markdown files share: GitHub tables (tabulate, ``tablefmt="github"``, with
number parsing off and wide-character measuring off, so the bytes do not depend on whether the
optional ``wcwidth`` package happens to be installed), cell text, the files' names and links,
the legend and the notes (``compat.md``'s, which ``detail.md``'s note ids refer to).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import tabulate as tabulate_module

from matrix.model.errorline import normalize_error
from matrix.model.outcomes import Outcome
from matrix.model.records import Record
from report.footnotes import Footnote, NoteId, refs
from report.legend import (
    COMPILER_MARK,
    CONTRADICTED,
    FLAKY,
    LEGEND,
    SHIPPED_C,
    SHIPPED_C_LEGEND,
    STAGE_LEGEND,
    STAGES,
    SYMBOLS,
    TOOLCHAIN,
    Verdict,
)
from report.model import Report, VerdictCell, failure_note
from report.semantics import SAFETY_LEGEND, SEMANTICS_LEGEND
from report.verdicts import cell_text

HEATMAP_FILE = "compat-heatmap.png"
DIAGRAM_FILE = "diagram.svg"
READING_LINK = "reading.md"
PAGE_LINK = "index.html"
CHANGES_FILE = "changes.md"
"""The diff against the previous run, in a file of its own (``docs/changes.md``)."""
DETAIL_FILE = "detail.md"
"""Every measured cell, per Python, and the numpy build-vs-run tables (``docs/detail.md``):
one click from ``compat.md``, which stays small enough for GitHub to render."""
TOOLCHAIN_TITLE = "Toolchain baseline"
TOOLCHAIN_ANCHOR = "#toolchain-baseline"
"""GitHub's anchor of the section titled :data:`TOOLCHAIN_TITLE`."""
COLLAPSE_OVER = 12
"""Change lists longer than this are folded into ``<details>``."""


@contextmanager
def _narrow_chars() -> Iterator[None]:
    """Measure cells with ``len`` (not ``wcwidth``) for byte-stable output everywhere."""
    saved = getattr(tabulate_module, "WIDE_CHARS_MODE", False)
    tabulate_module.WIDE_CHARS_MODE = False
    try:
        yield
    finally:
        tabulate_module.WIDE_CHARS_MODE = saved


def md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table; every cell is text, left-aligned."""
    with _narrow_chars():
        return str(tabulate_module.tabulate(
            [list(row) for row in rows], headers=list(headers), tablefmt="github",
            disable_numparse=True, colalign=["left"] * len(headers),
        ))


def cell_escape(text: str) -> str:
    """Make text safe inside a table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    """An inline code span that survives backticks in ``text``."""
    if "`" not in text:
        return f"`{text}`"
    return f"`` {text} ``"


def verdict_cell(cell: VerdictCell, *, counts: bool = False, link: bool = True) -> str:
    """A table cell; its note ids link to the notes on this page (``link=False``: bare ids)."""
    mark = f" {COMPILER_MARK}" if cell.compiler_dependent else ""
    return cell_text(cell.verdict, refs(cell.notes, link=link), counts=counts) + mark


COMPILER_ERROR_CHARS = 110


def compiler_result(record: Record, report: Report) -> str:
    """``ok`` or ``cc-error: `first error line`<sup>9</sup>``: one compiler's result."""
    if record.outcome is Outcome.OK:
        return "ok"
    note = failure_note(report, record)
    error = normalize_error(record.first_error)
    if len(error) > COMPILER_ERROR_CHARS:
        error = error[:COMPILER_ERROR_CHARS - 1].rstrip() + "…"
    return f"{record.outcome.value}: {code(error)}{refs([note]) if note is not None else ''}"


def render_legend() -> str:
    verdicts = md_table(["Cell", "Meaning"], [
        [f"{SYMBOLS[v]}{' stage' if v in (Verdict.MIXED, Verdict.FAILED) else ''}", LEGEND[v]]
        for v in Verdict
    ])
    stages = md_table(["Stage", "Outcome", "Meaning"], [
        [STAGES[o], code(o.value), STAGE_LEGEND[o]] for o in STAGES
    ])
    semantics = md_table(["Semantics", "Meaning"], [
        [label, meaning] for label, meaning in SEMANTICS_LEGEND.items()
    ])
    safety = md_table(["Safety", "Meaning"], [
        [safety_cell(label), meaning] for label, meaning in SAFETY_LEGEND.items()
    ])
    return "\n\n".join([
        "A summary cell covers every Python and numpy version tested with that Cython series"
        " (the build-vs-run cells are left out: they have their own table). Untried cells"
        " (not possible, environment errors) never count as failures.",
        verdicts,
        f"{COMPILER_MARK} after a summary cell: some cell it covers gave another result with"
        " another C compiler (clang, or gcc with GCC 14's error defaults); the"
        " [Compilers](#compilers) section lists them.",
        f"{SHIPPED_C} after a cell: {SHIPPED_C_LEGEND}. After a summary cell, at least one of"
        " the cells it covers was (the per-Python tables show which); after a cell id in a"
        " note, that cell was; after an inferred range, some of the cells it"
        " rests on were.",
        f"{TOOLCHAIN} in a per-Python table: the case failed where its cell's control case"
        f" failed at the same stage (see the [{TOOLCHAIN_TITLE.lower()}]({TOOLCHAIN_ANCHOR}));"
        " the summary and the ranges leave such cells out.",
        "`<sup>cc-3f2a1</sup>` refers to the note with that id at the end: the failure's first"
        " error line and the cells where it was seen. A note's id comes from what it says (the"
        " stage and a hash of the error line), so it stays the same from run to run. Failing"
        " stages:",
        stages,
        "Measured semantics come from the cells where the case worked; *Locks source* says"
        " whether resizing the source raised `BufferError` while the target lived."
        f" *Documented* is what the case's reference claims; {CONTRADICTED} marks a claim that a"
        " measurement contradicts.",
        semantics,
        "*Safety* answers the guide's \"unsafe\": after the source was resized, does the"
        " target still point at good memory? After a resize that took place, the runner asks"
        " for the source's and the target's addresses again (the *moves* probe); in the"
        " `gcc-asan` cells (AddressSanitizer, CPython 3.6+) it then reads through the target"
        " once more, and ASan names the error. Every dangling target has a note with the ASan"
        " line and a reproducer.",
        safety,
    ])


SAFETY_MARKS = {"dangles": "**dangles**"}
"""How a safety verdict reads in a table cell: a dangling target stands out."""


def safety_cell(label: str) -> str:
    return SAFETY_MARKS.get(label, label)


TOOLCHAIN_NAMED = 3
"""How many other cases a note names beside a control seen in the same cells; more are counted."""
NAMED_CASES = 6
"""The most cases a note names for one set of cells; a longer list names the first three and
counts the rest (each case's row carries the note, and compat.json's notes list every case)."""


def _where(note: Footnote, controls: frozenset[str] = frozenset()) -> str:
    """``a`` (py3.9: cy0.29.37); ``b``, ``c`` (py3.13: ...): cases seen in the same cells are
    named together (a toolchain failure is seen in the same cells by every case).  Where a
    control is among them the failure is the toolchain's, said once: the control, and how many
    other cases share it; a list longer than :data:`NAMED_CASES` names three and counts the
    rest (each case's own row still carries the note)."""
    grouped: dict[str, list[str]] = {}
    for case_id, cells in note.where:
        grouped.setdefault(cells, []).append(case_id)
    parts = []
    for cells, cases in grouped.items():
        control = next((c for c in cases if c in controls), None)
        others = [c for c in cases if c != control]
        if control is not None and len(others) > TOOLCHAIN_NAMED:
            named = f"{code(control)} and {len(others)} other cases (the toolchain's failure)"
        elif len(cases) > NAMED_CASES:
            named = (", ".join(code(c) for c in cases[:3])
                     + f" and {len(cases) - 3} other cases")
        else:
            named = ", ".join(code(c) for c in cases)
        parts.append(f"{named} ({cells})" if cells else named)
    return "; ".join(parts)


def _anchor(note: NoteId) -> str:
    """The note's id, bold, with an HTML anchor of the same name (``#cc-3f2a1``)."""
    return f'<a id="{note}"></a>**{note}** '


def render_notes(notes: Sequence[Footnote], controls: frozenset[str] = frozenset()) -> str:
    """The notes, each with where it was seen; ``controls``: the control cases' ids."""
    lines = []
    for note in notes:
        if note.kind == "semantics":
            lines.append(f"- {_anchor(note.id)}{_where(note)}: {note.text}")
            continue
        if note.kind == "flaky":
            lines.append(f"- {_anchor(note.id)}{FLAKY} flaky {_where(note)}:"
                         f" {cell_escape(note.text)}; measure it: {code(note.reproduce)}")
            continue
        label = note.outcome or note.kind
        line = (f"- {_anchor(note.id)}{label} {code(note.text)} — seen in"
                f" {_where(note, controls)}")
        if note.reproduce:
            line += f"; reproduce: {code(note.reproduce)}"
        lines.append(line)
        lines.extend(f"   - Upstream: [{cell_escape(r.title)}]({r.url}): {cell_escape(r.why)}"
                     for r in note.references)
    return "\n".join(lines) if lines else "No failures."
