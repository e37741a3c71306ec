"""The diagram: the representations as nodes, an arrow per measured conversion case
(``docs/diagram.svg``, shown in compat.md, and the same drawing on the page, restyled for the
reader's range).

What an arrow says comes only from the published data (``compat.json``'s cases, their ``pair``,
and the cell rows of ``compat.csv.gz``), through the support-range answer of ``python -m report
query`` (:func:`report.query.answer.answer`): its colour is the case's verdict in the range, its
line what the case does where it worked there (copy, alias, read-only alias), its marks whether
it locks the source and whether its target dangles after a resize (:func:`arrows`).

The layout is computed, never typed in: the nodes on a circle in
:data:`matrix.model.representations.REPRESENTATIONS` order (then the other ends some case
names: a literal, a C++ string), the arrows as quadratic curves bent by their index among the
arrows between the same two nodes (:func:`layout`); the legend sits under the circle, inside
the drawing. The page gets the drawing with each arrow a link to its case's grid
(:func:`render_svg` with ``links``) and repaints the arrows for the range the reader sets, by
the rules of :func:`arrow_of` (report/page/index.html, ``paintDiagram``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from matrix.model.representations import REPRESENTATIONS
from report.export import cell_rows
from report.legend import DANGLES, DIAGRAM_COLOURS, DIAGRAM_MARKS, DIAGRAM_STYLES, LOCKS
from report.model import Report
from report.query.answer import CaseAnswer, answer
from report.query.range import SupportRange
from report.query.status import QueryError

WIDTH = 1000
"""The drawing's width in pixels (GitHub shows it at most this wide)."""
FONT_PX = 13
"""The nodes' text; the legend's is :data:`SMALL_PX`, the marks' :data:`MARK_PX`."""
SMALL_PX = 12
MARK_PX = 14
CHAR_PX = 7.8
"""An estimate of a character's width at :data:`FONT_PX` (sans-serif), to size the boxes."""
RADIUS_X = 370
RADIUS_Y = 300
"""The ellipse the nodes' centres lie on (wider than high: the boxes are)."""
TOP = 60
"""The space above the circle (the title; the top node's box)."""
SPREAD = 24
"""Pixels between two arrows' middles among those between the same two nodes."""
LEGEND_LINE = 22
"""The legend's line height."""
PALETTE = {"node": "#f5f6f8", "edge": "#5f6368", "text": "#1d1d1f"}


@dataclass(frozen=True)
class Arrow:
    """One conversion case's arrow: from its pair's first representation to its second."""

    case_id: str
    title: str
    source: str
    target: str
    style: str
    """What it does where it worked in range: a key of :data:`report.legend.DIAGRAM_STYLES`."""
    colour: str
    """Its verdict in range: a key of :data:`report.legend.DIAGRAM_COLOURS`."""
    locks: bool
    """It locks its source somewhere in range."""
    dangles: bool
    """Its target dangles after a resize somewhere in range."""
    does: str = ""
    """What it does, as the query prints it (the arrow's tooltip)."""

    @property
    def marks(self) -> str:
        return (LOCKS if self.locks else "") + (DANGLES if self.dangles else "")


def style_of(semantics: Mapping[str, object]) -> str:
    """The line of what worked cells measured (the ``semantics`` values that could tell): one
    value, or ``varies``, or ``unknown``."""
    kinds = {"copy": "copy", "read-only copy": "copy", "alias": "alias",
             "read-only alias": "read-only alias"}
    found = {kinds.get(value, "unknown") for value in semantics}
    if not found:
        return "unknown"
    return found.pop() if len(found) == 1 else "varies"


def arrow_of(case: Mapping[str, Any], found: CaseAnswer) -> Arrow:
    """A case's arrow from the range's answer for it (the page's ``arrowOf`` mirrors it)."""
    source, target = case["pair"]
    semantics = found.property("semantics")
    does = "; ".join(f"{p.name}: {p.text(0)}" for p in found.does if p.values)
    return Arrow(case["id"], case["title"], source, target, style_of(semantics.told),
                 found.verdict, "yes" in found.property("locks").values, bool(found.dangles),
                 does)


def arrows(data: Mapping[str, Any], support: SupportRange | None = None) -> tuple[Arrow, ...]:
    """The arrows of the published ``data`` (``compat.json``'s cases and cell rows, as
    :func:`report.query.data.load_data` reads them) for ``support`` (default: every version,
    CPython, as the page opens): one per conversion case with a ``pair``, in the data's order."""
    cases = [c for c in data["cases"] if c.get("pair") and c.get("role") != "control"]
    if not cases:
        return ()
    try:
        found = answer(dict(data), support or SupportRange(), [c["id"] for c in cases]).cases
    except QueryError:  # no cell measured with the default compiler: nothing measured
        found = tuple(CaseAnswer(c["id"], c["title"], c.get("group", ""), "untested", 0, 0)
                      for c in cases)
    by_id = {a.case_id: a for a in found}
    return tuple(arrow_of(c, by_id[c["id"]]) for c in cases)


def diagram_data(report: Report) -> dict[str, Any]:
    """What :func:`arrows` reads, from the report as ``compat.json`` publishes it: its cases
    (id, title, group, role, pair) and the cell rows of ``compat.csv.gz``."""
    return {"cases": [{"id": row.case.id, "title": row.case.title, "group": row.case.group,
                       "role": row.case.role,
                       "pair": list(row.case.pair) if row.case.pair else None}
                      for row in report.rows],
            "controls": sorted(report.toolchain_baseline.control_ids),
            "cells": cell_rows(report)}


# ---- layout ----


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Curve:
    """An arrow's curve (SVG path data) and the middle of it, where its marks go."""

    case_id: str
    d: str
    mx: float
    my: float


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    nodes: tuple[Node, ...]
    paths: tuple[Curve, ...]
    legend_top: float


def label_of(representation: str) -> str:
    """A node's text: the representation's name without markdown."""
    return REPRESENTATIONS.get(representation, representation).replace("`", "")


def _box_edge(node: Node, dx: float, dy: float, margin: float = 3.0) -> tuple[float, float]:
    """Where the ray from the node's centre along (dx, dy) leaves its box (plus ``margin``)."""
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    half_w, half_h = node.width / 2 + margin, node.height / 2 + margin
    reach = min(half_w / abs(ux) if ux else math.inf, half_h / abs(uy) if uy else math.inf)
    return node.x + ux * reach, node.y + uy * reach


def _f(value: float) -> str:
    """A coordinate as the drawing spells it (one decimal, no ``-0.0``)."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def layout(drawn: Sequence[Arrow]) -> Layout:
    """Nodes on a circle (the nine representations, then the other ends the arrows name), each
    arrow a quadratic curve between its nodes' boxes, bent by its index among the arrows
    between the same two nodes (both directions), loops outward; the legend's top."""
    ends = list(REPRESENTATIONS) + sorted({end for a in drawn for end in (a.source, a.target)}
                                          - set(REPRESENTATIONS))
    cx = WIDTH / 2
    cy = TOP + RADIUS_Y
    nodes = {}
    for index, end in enumerate(ends):
        angle = -math.pi / 2 + 2 * math.pi * index / len(ends)
        label = label_of(end)
        nodes[end] = Node(end, label, cx + RADIUS_X * math.cos(angle),
                          cy + RADIUS_Y * math.sin(angle),
                          len(label) * CHAR_PX + 16, FONT_PX + 13)
    order = {end: index for index, end in enumerate(ends)}
    between: dict[tuple[str, str], list[Arrow]] = {}
    for arrow in drawn:
        key = tuple(sorted((arrow.source, arrow.target), key=order.__getitem__))
        between.setdefault((key[0], key[1]), []).append(arrow)
    paths: dict[str, Curve] = {}
    for (first, second), group in between.items():
        for index, arrow in enumerate(group):
            if first == second:
                paths[arrow.case_id] = _loop(arrow.case_id, nodes[first], cx, cy, index)
                continue
            a, b = nodes[arrow.source], nodes[arrow.target]
            # the bend is measured across the line first -> second, whichever way it points
            p, q = nodes[first], nodes[second]
            length = math.hypot(q.x - p.x, q.y - p.y) or 1.0
            nx, ny = -(q.y - p.y) / length, (q.x - p.x) / length
            bend = (index - (len(group) - 1) / 2) * SPREAD
            # a quadratic's middle lies halfway to its control point
            qx = (a.x + b.x) / 2 + nx * bend * 2
            qy = (a.y + b.y) / 2 + ny * bend * 2
            sx, sy = _box_edge(a, qx - a.x, qy - a.y)
            ex, ey = _box_edge(b, qx - b.x, qy - b.y, margin=5.0)
            d = f"M{_f(sx)},{_f(sy)} Q{_f(qx)},{_f(qy)} {_f(ex)},{_f(ey)}"
            paths[arrow.case_id] = Curve(arrow.case_id, d, (sx + 2 * qx + ex) / 4,
                                        (sy + 2 * qy + ey) / 4)
    lowest = max([n.y + n.height / 2 for n in nodes.values()]
                 + [c.my + MARK_PX for c in paths.values()])
    legend_top = lowest + 40
    lines = 1 + max(len(DIAGRAM_STYLES), len(DIAGRAM_COLOURS) + len(DIAGRAM_MARKS))
    height = int(legend_top + lines * LEGEND_LINE + 16)
    return Layout(WIDTH, height, tuple(nodes.values()),
                  tuple(paths[a.case_id] for a in drawn), legend_top)


def _loop(case_id: str, node: Node, cx: float, cy: float, index: int) -> Curve:
    """A case from a representation to itself: a loop outward from the circle."""
    out = math.atan2(node.y - cy, node.x - cx)
    size = 50 + 22 * index
    points = []
    for turn in (-0.45, 0.45):
        points.append(_box_edge(node, math.cos(out + turn), math.sin(out + turn)))
    controls = [(node.x + math.cos(out + t) * (node.width / 2 + size),
                 node.y + math.sin(out + t) * (node.height / 2 + size)) for t in (-0.5, 0.5)]
    (sx, sy), (ex, ey) = points
    (ax, ay), (bx, by) = controls
    d = f"M{_f(sx)},{_f(sy)} C{_f(ax)},{_f(ay)} {_f(bx)},{_f(by)} {_f(ex)},{_f(ey)}"
    return Curve(case_id, d, (sx + 3 * ax + 3 * bx + ex) / 8, (sy + 3 * ay + 3 * by + ey) / 8)


# ---- drawing ----


def _arrow_svg(arrow: Arrow, path: Curve, links: bool) -> str:
    colour = DIAGRAM_COLOURS[arrow.colour][0]
    dash = DIAGRAM_STYLES[arrow.style][0]
    title = (f"{arrow.case_id}: {arrow.title} ({label_of(arrow.source)} → "
             f"{label_of(arrow.target)}); {DIAGRAM_COLOURS[arrow.colour][1]}"
             + (f"; {arrow.does}" if arrow.does else ""))
    attrs = (f'class="arrow" data-case="{escape(arrow.case_id)}" data-style="{arrow.style}"'
             f' data-colour="{arrow.colour}" data-locks="{str(arrow.locks).lower()}"'
             f' data-dangles="{str(arrow.dangles).lower()}"')
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    body = (f'<title>{escape(title)}</title>'
            f'<path d="{path.d}" fill="none" stroke="{colour}" stroke-width="2.2"'
            f' stroke-linecap="round"{dashed}'
            f' marker-end="url(#head-{arrow.colour})"/>'
            f'<text class="marks" x="{_f(path.mx)}" y="{_f(path.my + MARK_PX / 2 - 2)}"'
            f' text-anchor="middle" font-size="{MARK_PX}" paint-order="stroke" stroke="#ffffff"'
            f' stroke-width="4">{arrow.marks}</text>')
    if links:
        return f'<a href="#{escape(arrow.case_id)}" {attrs}>{body}</a>'
    return f'<g {attrs}>{body}</g>'


def _legend(top: float) -> list[str]:
    """The legend: the lines on the left, the colours and marks on the right."""
    out = [f'<text x="20" y="{_f(top)}" font-weight="600">Line: what it does where it worked'
           f'</text>',
           f'<text x="520" y="{_f(top)}" font-weight="600">Colour and marks: in the range</text>']
    for index, (dash, text) in enumerate(DIAGRAM_STYLES.values(), start=1):
        y = top + index * LEGEND_LINE
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="20" y1="{_f(y - 4)}" x2="80" y2="{_f(y - 4)}"'
                   f' stroke="{PALETTE["edge"]}" stroke-width="2.2"'
                   f' stroke-linecap="round"{dashed}/>')
        out.append(f'<text x="92" y="{_f(y)}">{escape(text)}</text>')
    index = 0
    for index, (colour, text) in enumerate(DIAGRAM_COLOURS.values(), start=1):
        y = top + index * LEGEND_LINE
        out.append(f'<line x1="520" y1="{_f(y - 4)}" x2="560" y2="{_f(y - 4)}"'
                   f' stroke="{colour}" stroke-width="4"/>')
        out.append(f'<text x="572" y="{_f(y)}">{escape(text)}</text>')
    for offset, (mark, text) in enumerate(DIAGRAM_MARKS.items(), start=index + 1):
        y = top + offset * LEGEND_LINE
        out.append(f'<text x="540" y="{_f(y)}" text-anchor="middle"'
                   f' font-size="{MARK_PX}">{mark}</text>')
        out.append(f'<text x="572" y="{_f(y)}">{escape(text)}</text>')
    return out


def render_svg(drawn: Sequence[Arrow], *, links: bool = False,
               title: str = "Conversions between representations",
               scope: str = "every version on CPython") -> str:
    """The drawing: nodes, one arrow per case (each an ``<a>`` to its case's grid with
    ``links``), the legend; ``scope`` names the range in the heading; every arrow carries its
    case and what it shows as data attributes (``data-case``, ``data-style``,
    ``data-colour``, ``data-locks``, ``data-dangles``)."""
    shape = layout(drawn)
    by_case = {p.case_id: p for p in shape.paths}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="{shape.width}"'
           f' height="{shape.height}" viewBox="0 0 {shape.width} {shape.height}"'
           f' font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'
           f' font-size="{SMALL_PX}" fill="{PALETTE["text"]}">',
           f'<title>{escape(title)}</title>',
           '<defs>']
    for name, (colour, _) in DIAGRAM_COLOURS.items():
        out.append(f'<marker id="head-{name}" viewBox="0 0 10 10" refX="9" refY="5"'
                   f' markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                   f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')
    out.append('</defs>')
    out.append(f'<rect width="{shape.width}" height="{shape.height}" fill="#ffffff"/>')
    out.append(f'<text x="20" y="28" font-size="{FONT_PX + 2}" font-weight="600">'
               f'{escape(title)}: one arrow per measured case, in'
               f' <tspan class="scope">{escape(scope)}</tspan></text>')
    out.append('<g class="arrows">')
    out.extend(_arrow_svg(a, by_case[a.case_id], links) for a in drawn)
    out.append('</g>')
    out.append('<g class="nodes">')
    for node in shape.nodes:
        out.append(f'<g class="node" data-node="{escape(node.id)}">'
                   f'<rect x="{_f(node.x - node.width / 2)}" y="{_f(node.y - node.height / 2)}"'
                   f' width="{_f(node.width)}" height="{_f(node.height)}" rx="6"'
                   f' fill="{PALETTE["node"]}" stroke="{PALETTE["edge"]}"/>'
                   f'<text x="{_f(node.x)}" y="{_f(node.y + FONT_PX / 2 - 2)}"'
                   f' text-anchor="middle" font-size="{FONT_PX}">{escape(node.label)}</text></g>')
    out.append('</g>')
    out.append('<g class="legend">')
    out.extend(_legend(shape.legend_top))
    out.append('</g>')
    out.append('</svg>')
    return "\n".join(out) + "\n"


def render_diagram(report: Report) -> str:
    """``diagram.svg``: the drawing for the default range (every version, CPython)."""
    return render_svg(arrows(diagram_data(report)))
