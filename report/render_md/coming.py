""""What is coming": compat.md's section and ``docs/coming.md`` (every entry, with the report
text to paste upstream).  The same words serve the page (:func:`coming_lead`)."""

from __future__ import annotations

from report.coming import Coming, ComingEntry
from report.model import Report
from report.render_md.common import cell_escape, code, md_table

COMING_FILE = "coming.md"
COMING_TITLE = "What is coming"
LANE_LINK = "measuring.md#the-canary-lane-what-is-coming"
"""Where docs/measuring.md explains the lane (from docs/, where compat.md and coming.md are)."""


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def coming_lead(coming: Coming | None) -> str:
    """One paragraph: what the canary lane measured and what differs (markdown links)."""
    if coming is None:
        return ("No canary run here: `nox -s matrix -- run --pre` measures the pre-releases of"
                " Cython and numpy newer than their newest final release, each beside the same"
                f" cell with that final release ([the canary lane]({LANE_LINK})).")
    history = (f" The store keeps {_count(len(coming.past), 'canary cell')} of pre-releases"
               " that have shipped since: history, [replayed]"
               "(measuring.md#what-the-canary-would-have-said-a-replay)." if coming.past else "")
    if not coming.cells:
        return ("Nothing is coming: the canary lane holds no pre-release newer than the final"
                f" releases of the released table ([the canary lane]({LANE_LINK})).{history}")
    releases = ", ".join(sorted({c.coming for c in coming.cells}))
    own, toolchain = coming.own, coming.toolchain()
    found = (f"{len(own)} differ as the case's own ({len(coming.changes)} a confirmed"
             " change: re-measured alike, and no fix)" if own else "no case differs on its own")
    if toolchain:
        found += (f", and in {_count(len(toolchain), 'cell')} the control differs too (the"
                  " toolchain's:"
                  f" {len(coming.entries) - len(own)} results, one row per cell)")
    return (f"{releases}: {_count(len(coming.cells), 'canary cell')} measured {coming.measured},"
            " each"
            " beside the same cell with the newest final release below it, in the same run;"
            f" of {coming.compared} case results compared, {found}. A difference counts once"
            " re-measuring from scratch repeated it (`nox -s matrix -- recheck --pre`); where"
            " the control differs too, it is the toolchain's. Every entry with its report text"
            f" for upstream: [{COMING_FILE}]({COMING_FILE}); [the canary lane]({LANE_LINK})."
            + history)


def _anchor(entry: ComingEntry) -> str:
    return f"{entry.case_id}-{entry.cell_id}".lower().replace(".", "")


def toolchain_text(others: tuple[str, ...]) -> str:
    """What a toolchain row says of the cases that differ beside the control."""
    if not others:
        return "the toolchain's (the control differs)"
    named = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    return f"the toolchain's: the control differs, and so do {named}"


def _checked(entry: ComingEntry) -> str:
    """``confirmed (2×)``, ``flaky (2×)``, ``unchecked``: what re-measuring said."""
    return entry.check + (f" ({entry.remeasured}×)" if entry.remeasured else "")


def _row(entry: ComingEntry, link: str, others: tuple[str, ...] | None = None) -> list[str]:
    checked = _checked(entry)
    whose = "the case's own" if others is None else toolchain_text(others)
    return [f"[{code(entry.case_id)}]({link}#{_anchor(entry)})", entry.coming,
            code(entry.cell_id), cell_escape(entry.before), cell_escape(entry.now),
            f"{entry.change}; {whose}", checked]


HEADERS = ["Case", "Coming", "Cell", "Before (final release)", "Now", "Change", "Re-measured"]


def coming_rows(coming: Coming) -> list[tuple[ComingEntry, tuple[str, ...] | None]]:
    """What the table lists: each difference of a case's own, then one row per cell where the
    control differs too (with the other cases that differ there)."""
    return ([(e, None) for e in coming.own]
            + [(head, others) for head, others in coming.toolchain()])


def render_coming_section(report: Report) -> str:
    """compat.md's section: the lead, and a row per difference of a case's own (and one per
    cell whose control differs), each linking to its entry in coming.md."""
    coming = report.coming
    lead = coming_lead(coming)
    if coming is None or not coming.entries:
        return lead
    return lead + "\n\n" + md_table(HEADERS, [_row(e, COMING_FILE, others)
                                              for e, others in coming_rows(coming)])


def render_coming_file(report: Report) -> str:
    """``docs/coming.md`` of the report (:func:`render_coming_page`)."""
    return render_coming_page(report.coming)


def render_coming_page(coming: Coming | None, *, published: bool = True) -> str:
    """``docs/coming.md``: every difference with both results, its reproducer and the text to
    paste into the upstream tracker; ends with one newline (``published``: with the generated
    file's header; ``report coming`` prints it without)."""
    sections = [
        f"# {COMING_TITLE}",
        *(["<!-- Generated by `python -m report render` from canary/. Do not edit by hand. -->"]
          if published else []),
        coming_lead(coming).replace(f"[{COMING_FILE}]({COMING_FILE}); ", ""),
    ]
    for entry, others in coming_rows(coming) if coming is not None else ():
        sections += [
            f'<a id="{_anchor(entry)}"></a>\n\n## `{entry.case_id}` with {entry.coming}, in'
            f' `{entry.cell_id}`',
            md_table(["", ""], [
                ["Cell", f"{code(entry.cell_id)} beside {code(entry.baseline_id)}"],
                ["Before", cell_escape(entry.before)],
                ["Now", cell_escape(entry.now)],
                ["Change", entry.change + (f": {cell_escape(entry.detail)}" if entry.detail
                                           else "")],
                ["Whose", "the case's own" if others is None else toolchain_text(others)],
                ["Re-measured", _checked(entry)],
                ["Reproduce", code(entry.reproduce)],
            ]),
            "To paste upstream:",
            "````markdown\n" + entry.upstream + "\n````",
        ]
    return "\n\n".join(sections) + "\n"
