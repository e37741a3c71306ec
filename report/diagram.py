"""The diagram: the representations as nodes, one arrow per ordered pair of them that a
measured conversion case converts between (``docs/diagram.svg``, shown in compat.md, and the
same drawing on the page, restyled for the reader's range).

What an arrow says comes only from the published data (``compat.json``'s cases, their ``pair``,
and the cell rows of ``compat.csv.gz``), through the support-range answer of ``python -m report
query`` (:func:`report.query.answer.answer`), case by case (:func:`arrows`: a case's verdict in
the range, what it does where it worked there, whether it locks the source, whether its target
dangles), then summarised per pair by one function (:func:`pair_of`: the line, the colour by
:data:`COLOUR_PRECEDENCE`, the marks, the number of cases).

The layout is computed, never typed in: the nine representations on an ellipse in
:data:`matrix.model.representations.REPRESENTATIONS` order, the other ends some case names (a
literal, a C++ string, an ``mmap``) outside it, towards the representations they convert
between; each arrow a quadratic curve bent to its own right, so that A -> B and B -> A are
apart, a pair from a representation to itself a loop outward (:func:`layout`); the legend sits
under the ellipse, inside the drawing. The page gets the drawing with each arrow a link to its
pair's first case's grid (:func:`render_svg` with ``links``) and repaints the arrows for the
range the reader sets, by the rules of :func:`arrow_of` and :func:`pair_of`
(report/page/index.html, ``arrowOf`` and ``pairOf``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from matrix.model.representations import REPRESENTATIONS
from report.export import cell_rows
from report.legend import (
    DANGLES,
    DIAGRAM_COLOURS,
    DIAGRAM_COUNT,
    DIAGRAM_MARKS,
    DIAGRAM_STYLES,
    LOCKS,
)
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
COUNT_PX = 11
"""The number of cases on an arrow with more than one."""
CHAR_PX = 7.8
"""An estimate of a character's width at :data:`FONT_PX` (sans-serif), to size the boxes."""
RADIUS_X = 330
RADIUS_Y = 255
"""The ellipse the representations' centres lie on (wider than high: the boxes are)."""
OUTSIDE = 1.32
"""How far out, as a multiple of the ellipse's radii, the other ends sit."""
TOP = 70
"""The space above the ellipse (the title; the top node's box)."""
BEND = 0.13
"""How far an arrow's middle lies right of the straight line, as a share of its length."""
BEND_MAX = 42.0
"""The most an arrow's middle is bent off the straight line, in pixels."""
LEGEND_LINE = 22
"""The legend's line height."""
STROKE_PX = {"untested": 1.3}
"""An arrow's line width by its colour (default :data:`STROKE_DEFAULT`): the untested thinner,
so the measured stand out where much is not measured yet."""
STROKE_DEFAULT = 2.2
PALETTE = {"node": "#f5f6f8", "edge": "#5f6368", "text": "#1d1d1f"}

COLOUR_PRECEDENCE = ("fails", "flaky", "works", "untested")
"""A pair's colour: the first of these that any of its cases has in the range. One failing case
makes the pair fail somewhere; otherwise one case with only flaky cells makes it flaky (it was
tried and did not work reliably); otherwise it works everywhere its cases were tried; a pair
none of whose cases was tried is untested (:func:`pair_colour`)."""


@dataclass(frozen=True)
class Arrow:
    """One conversion case, as its pair's arrow summarises it."""

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
    """What it does, as the query prints it (its line of the arrow's tooltip)."""

    @property
    def marks(self) -> str:
        return (LOCKS if self.locks else "") + (DANGLES if self.dangles else "")

    @property
    def line(self) -> str:
        """Its line of the pair's tooltip: id, title, what it does, its verdict."""
        return (f"{self.case_id}: {self.title}" + (f" ({self.does})" if self.does else "")
                + f": {self.colour}")


@dataclass(frozen=True)
class PairArrow:
    """The arrow of one ordered pair of ends: its cases, summarised (:func:`pair_of`)."""

    source: str
    target: str
    cases: tuple[Arrow, ...]
    style: str
    colour: str
    locks: bool
    dangles: bool

    @property
    def key(self) -> str:
        """The pair as the drawing names it (``data-pair``): ``source→target``."""
        return f"{self.source}→{self.target}"

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(a.case_id for a in self.cases)

    @property
    def marks(self) -> str:
        return (LOCKS if self.locks else "") + (DANGLES if self.dangles else "")

    @property
    def count(self) -> str:
        """The label on the arrow: its number of cases, when more than one."""
        return str(len(self.cases)) if len(self.cases) > 1 else ""


def style_of(semantics: Mapping[str, object]) -> str:
    """The line of what worked cells measured (the ``semantics`` values that could tell): one
    value, or ``mixed``, or ``unknown``."""
    kinds = {"copy": "copy", "read-only copy": "copy", "alias": "alias",
             "read-only alias": "read-only alias"}
    found = {kinds.get(value, "unknown") for value in semantics}
    if not found:
        return "unknown"
    return found.pop() if len(found) == 1 else "mixed"


def pair_style(styles: Iterable[str]) -> str:
    """A pair's line: what every case that worked in range (its style known) does, ``mixed``
    when they differ, ``unknown`` when none worked."""
    known = {style for style in styles if style != "unknown"}
    if not known:
        return "unknown"
    return known.pop() if len(known) == 1 else "mixed"


def pair_colour(colours: Iterable[str]) -> str:
    """A pair's colour: the first of :data:`COLOUR_PRECEDENCE` among its cases' colours."""
    found = set(colours)
    return next((c for c in COLOUR_PRECEDENCE if c in found), "untested")


def pair_of(cases: Sequence[Arrow]) -> PairArrow:
    """The arrow of one pair's cases (all with the same source and target): its line
    (:func:`pair_style`), colour (:func:`pair_colour`), and the marks any case has (the page's
    ``pairOf`` mirrors it)."""
    first = cases[0]
    return PairArrow(first.source, first.target, tuple(cases),
                     pair_style(a.style for a in cases), pair_colour(a.colour for a in cases),
                     any(a.locks for a in cases), any(a.dangles for a in cases))


def pairs(drawn: Iterable[Arrow]) -> tuple[PairArrow, ...]:
    """One arrow per ordered pair (source, target), in the order of each pair's first case."""
    grouped: dict[tuple[str, str], list[Arrow]] = {}
    for arrow in drawn:
        grouped.setdefault((arrow.source, arrow.target), []).append(arrow)
    return tuple(pair_of(cases) for cases in grouped.values())


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
    """A pair's curve (SVG path data), the middle of it (where its count goes) and where its
    marks go (beside the middle, on the side it bends to)."""

    key: str
    d: str
    mx: float
    my: float
    marks_x: float
    marks_y: float


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


MIN_APART = 0.42
"""The least angle (radians) between two of the other ends outside the ellipse."""


def _angles(drawn: Sequence[PairArrow]) -> dict[str, tuple[float, float]]:
    """Each end's angle around the centre and its distance as a multiple of the ellipse's
    radii: the representations on the ellipse in order, each other end outside it in the
    mean direction of the representations it shares an arrow with (kept :data:`MIN_APART`)."""
    inner = list(REPRESENTATIONS)
    placed = {end: (-math.pi / 2 + 2 * math.pi * i / len(inner), 1.0)
              for i, end in enumerate(inner)}
    others = sorted({end for p in drawn for end in (p.source, p.target)} - set(inner))
    wanted = []
    for index, end in enumerate(others):
        near = [placed[other][0] for p in drawn for other in (p.source, p.target)
                if end in (p.source, p.target) and other in placed]
        x, y = sum(math.cos(a) for a in near), sum(math.sin(a) for a in near)
        fallback = -math.pi / 2 + 2 * math.pi * (index + 0.5) / max(len(others), 1)
        wanted.append((math.atan2(y, x) if math.hypot(x, y) > 1e-9 else fallback, end))
    wanted.sort()
    for index in range(1, len(wanted)):  # push apart, in angle order
        previous, (angle, end) = wanted[index - 1][0], wanted[index]
        wanted[index] = (max(angle, previous + MIN_APART), end)
    placed.update({end: (angle, OUTSIDE) for angle, end in wanted})
    return placed


def layout(drawn: Sequence[PairArrow]) -> Layout:
    """The representations on an ellipse, the other ends outside it (:func:`_angles`), each
    pair's arrow a quadratic curve between its nodes' boxes bent to its right (so a pair's two
    directions lie apart), a pair from a node to itself a loop outward; the legend's top."""
    cx = WIDTH / 2
    nodes: dict[str, Node] = {}
    for end, (angle, out) in _angles(drawn).items():
        label = label_of(end)
        width = len(label) * CHAR_PX + 16
        x = cx + RADIUS_X * out * math.cos(angle)
        x = min(max(x, width / 2 + 6), WIDTH - width / 2 - 6)
        nodes[end] = Node(end, label, x, RADIUS_Y * out * math.sin(angle), width, FONT_PX + 13)
    shift = TOP - min(n.y - n.height / 2 for n in nodes.values())
    nodes = {k: Node(n.id, n.label, n.x, n.y + shift, n.width, n.height)
             for k, n in nodes.items()}
    cy = shift
    paths = [_loop(p.key, nodes[p.source], cx, cy) if p.source == p.target
             else _curve(p.key, nodes[p.source], nodes[p.target]) for p in drawn]
    lowest = max([n.y + n.height / 2 for n in nodes.values()]
                 + [max(c.my, c.marks_y) + MARK_PX for c in paths])
    legend_top = lowest + 40
    lines = 1 + max(len(DIAGRAM_STYLES), len(DIAGRAM_COLOURS) + len(DIAGRAM_MARKS) + 1)
    height = int(legend_top + lines * LEGEND_LINE + 16)
    return Layout(WIDTH, height, tuple(nodes.values()), tuple(paths), legend_top)


def _curve(key: str, a: Node, b: Node) -> Curve:
    """An arrow from ``a`` to ``b``: a quadratic curve whose middle lies right of the straight
    line (in the drawing, y downwards) by :data:`BEND` of its length, at most :data:`BEND_MAX`."""
    dx, dy = b.x - a.x, b.y - a.y
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    bend = min(BEND * length, BEND_MAX)
    # a quadratic's middle lies halfway to its control point
    qx, qy = (a.x + b.x) / 2 + nx * bend * 2, (a.y + b.y) / 2 + ny * bend * 2
    sx, sy = _box_edge(a, qx - a.x, qy - a.y)
    ex, ey = _box_edge(b, qx - b.x, qy - b.y, margin=5.0)
    mx, my = (sx + 2 * qx + ex) / 4, (sy + 2 * qy + ey) / 4
    d = f"M{_f(sx)},{_f(sy)} Q{_f(qx)},{_f(qy)} {_f(ex)},{_f(ey)}"
    return Curve(key, d, mx, my, mx + nx * MARK_PX, my + ny * MARK_PX)


def _loop(key: str, node: Node, cx: float, cy: float) -> Curve:
    """A pair from a representation to itself: a loop outward from the ellipse."""
    out = math.atan2(node.y - cy, node.x - cx)
    size = 50
    points = [_box_edge(node, math.cos(out + turn), math.sin(out + turn))
              for turn in (-0.45, 0.45)]
    controls = [(node.x + math.cos(out + t) * (node.width / 2 + size),
                 node.y + math.sin(out + t) * (node.height / 2 + size)) for t in (-0.5, 0.5)]
    (sx, sy), (ex, ey) = points
    (ax, ay), (bx, by) = controls
    d = f"M{_f(sx)},{_f(sy)} C{_f(ax)},{_f(ay)} {_f(bx)},{_f(by)} {_f(ex)},{_f(ey)}"
    mx, my = (sx + 3 * ax + 3 * bx + ex) / 8, (sy + 3 * ay + 3 * by + ey) / 8
    return Curve(key, d, mx, my, mx + math.cos(out) * MARK_PX, my + math.sin(out) * MARK_PX)


# ---- drawing ----


def pair_title(pair: PairArrow) -> str:
    """An arrow's tooltip: the pair, then each case on its own line (the page's ``pairTitle``
    mirrors it)."""
    count = len(pair.cases)
    head = (f"{label_of(pair.source)} → {label_of(pair.target)}: {count}"
            f" case{'s' if count > 1 else ''}")
    return "\n".join([head, *(a.line for a in pair.cases)])


def _arrow_svg(pair: PairArrow, path: Curve, links: bool) -> str:
    colour = DIAGRAM_COLOURS[pair.colour][0]
    dash = DIAGRAM_STYLES[pair.style][0]
    attrs = (f'class="arrow" data-pair="{escape(pair.key)}"'
             f' data-cases="{escape(" ".join(pair.case_ids))}" data-style="{pair.style}"'
             f' data-colour="{pair.colour}" data-locks="{str(pair.locks).lower()}"'
             f' data-dangles="{str(pair.dangles).lower()}"')
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    halo = ' paint-order="stroke" stroke="#ffffff" stroke-width="4"'
    body = (f'<title>{escape(pair_title(pair))}</title>'
            f'<path d="{path.d}" fill="none" stroke="{colour}"'
            f' stroke-width="{STROKE_PX.get(pair.colour, STROKE_DEFAULT)}"'
            f' stroke-linecap="round"{dashed}'
            f' marker-end="url(#head-{pair.colour})"/>'
            + (f'<text class="count" x="{_f(path.mx)}" y="{_f(path.my + COUNT_PX / 2 - 1)}"'
               f' text-anchor="middle" font-size="{COUNT_PX}" font-weight="700"{halo}>'
               f'{pair.count}</text>' if pair.count else "")
            + f'<text class="marks" x="{_f(path.marks_x)}"'
            f' y="{_f(path.marks_y + MARK_PX / 2 - 2)}" text-anchor="middle"'
            f' font-size="{MARK_PX}"{halo}>{pair.marks}</text>')
    if links:
        return f'<a href="#{escape(pair.case_ids[0])}" {attrs}>{body}</a>'
    return f'<g {attrs}>{body}</g>'


def _legend(top: float) -> list[str]:
    """The legend: the lines on the left, the colours, marks and count on the right."""
    out = [f'<text x="20" y="{_f(top)}" font-weight="600">Line: what the pair\'s cases do'
           f' where they worked</text>',
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
    y = top + (index + len(DIAGRAM_MARKS) + 1) * LEGEND_LINE
    out.append(f'<text x="540" y="{_f(y)}" text-anchor="middle" font-size="{COUNT_PX}"'
               f' font-weight="700">3</text>')
    out.append(f'<text x="572" y="{_f(y)}">{escape(DIAGRAM_COUNT)}</text>')
    return out


def render_svg(drawn: Sequence[Arrow], *, links: bool = False,
               title: str = "Conversions between representations",
               scope: str = "every version on CPython") -> str:
    """The drawing of the cases' arrows ``drawn``: nodes, one arrow per ordered pair
    (:func:`pairs`; each an ``<a>`` to its first case's grid with ``links``), the legend;
    ``scope`` names the range in the heading; every arrow carries its pair, its cases and what
    it shows as data attributes (``data-pair``, ``data-cases``, ``data-style``,
    ``data-colour``, ``data-locks``, ``data-dangles``)."""
    summed = pairs(drawn)
    shape = layout(summed)
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
               f'{escape(title)}, one arrow per pair, in'
               f' <tspan class="scope">{escape(scope)}</tspan></text>')
    out.append('<g class="arrows">')
    out.extend(_arrow_svg(p, c, links) for p, c in zip(summed, shape.paths))
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
