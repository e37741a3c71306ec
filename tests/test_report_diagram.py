"""report.diagram: the arrows come from compat.json's content through the query's answer, a case
not measured yet is drawn as not measured, one arrow per ordered pair sums its cases up (one
function: line, colour by precedence, marks, count), the layout is computed and the drawing readable
(text at 11 px or more, at most 1,000 px wide, every arrow and mark inside it, the legend under
the arrows). The drawing itself is a golden file (tests/test_report_golden.py, diagram.svg);
the page's arrows are checked against it in a browser (tests/test_page_browser.py)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from matrix.model.representations import REPRESENTATIONS
from report.cli import build_report
from report.diagram import (
    COLOUR_PRECEDENCE,
    RADIUS_X,
    WIDTH,
    Arrow,
    arrows,
    diagram_data,
    layout,
    pair_of,
    pair_title,
    pairs,
    render_svg,
    style_of,
)
from report.legend import DANGLES, DIAGRAM_COLOURS, DIAGRAM_STYLES, LOCKS
from report.model import Report
from report.publish import write_outputs
from report.query.data import load_data
from report.query.range import SupportRange

FIXTURE = Path(__file__).parent / "fixtures" / "report"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                        rechecks=FIXTURE / "rechecks.jsonl",
                        references=FIXTURE / "references.toml")


def test_one_arrow_per_conversion_case_with_a_pair(report: Report) -> None:
    drawn = arrows(diagram_data(report))
    with_pair = [row.case.id for row in report.rows if row.case.pair is not None]
    assert [a.case_id for a in drawn] == with_pair
    assert "fx-split" not in with_pair and len(with_pair) == 8  # fx-split names no pair
    by_id = {a.case_id: a for a in drawn}
    assert (by_id["fx-works"].source, by_id["fx-works"].target) == ("typed-memoryview",) * 2
    assert by_id["fx-dangles"].dangles and DANGLES in by_id["fx-dangles"].marks
    assert by_id["fx-broken"].colour == "fails" and by_id["fx-broken"].style == "unknown"
    assert {a.colour for a in drawn} <= set(DIAGRAM_COLOURS)
    assert {a.style for a in drawn} <= set(DIAGRAM_STYLES)


def test_the_arrows_read_only_what_compat_json_publishes(report: Report, tmp_path: Path) -> None:
    """The same arrows from the report and from the files it publishes (compat.json and its
    compat.csv.gz, read as ``report query`` reads them), for the default range and another."""
    write_outputs(report, tmp_path, heatmap=False)
    published = load_data(tmp_path / "compat.json")
    for support in (None, SupportRange.parse(">=3.12", ">=3.0", None)):
        assert arrows(published, support) == arrows(diagram_data(report), support)
    assert (tmp_path / "diagram.svg").read_text(encoding="utf-8") == render_svg(
        arrows(published))


def test_a_case_not_measured_yet_is_drawn_as_not_measured(report: Report) -> None:
    data = diagram_data(report)
    data["cases"] = [*data["cases"], {"id": "fx-new", "title": "not measured yet",
                                      "group": "alpha", "role": "conversion",
                                      "pair": ["list", "numpy"]}]
    new = arrows(data)[-1]
    assert (new.case_id, new.colour, new.style, new.marks) == ("fx-new", "untested",
                                                               "unknown", "")
    nothing = dict(data, cells=[])  # a store with no records at all
    assert {a.colour for a in arrows(nothing)} == {"untested"}


@pytest.mark.parametrize(("values", "style"), [
    ({"copy": ()}, "copy"), ({"read-only copy": (), "copy": ()}, "copy"),
    ({"alias": ()}, "alias"), ({"read-only alias": ()}, "read-only alias"),
    ({"alias": (), "copy": ()}, "mixed"), ({}, "unknown"), ({"wrong values": ()}, "unknown"),
])
def test_the_line_says_what_the_worked_cells_measured(values: dict[str, Any],
                                                      style: str) -> None:
    assert style_of(values) == style


def _arrow(case_id: str, source: str, target: str, *, locks: bool = False,
           style: str = "alias", colour: str = "works", dangles: bool = False) -> Arrow:
    return Arrow(case_id, case_id, source, target, style, colour, locks, dangles)


@pytest.mark.parametrize(("styles", "colours", "style", "colour"), [
    (["copy"], ["works"], "copy", "works"),
    (["alias", "alias", "unknown"], ["works", "works", "fails"], "alias", "fails"),
    (["alias", "copy"], ["works", "untested"], "mixed", "works"),
    (["mixed", "mixed"], ["flaky", "works"], "mixed", "flaky"),
    (["unknown", "unknown"], ["untested", "untested"], "unknown", "untested"),
    (["read-only alias", "unknown"], ["flaky", "fails"], "read-only alias", "fails"),
])
def test_a_pair_sums_up_its_cases(styles: list[str], colours: list[str], style: str,
                                  colour: str) -> None:
    cases = [_arrow(f"c{i}", "bytes", "numpy", style=s, colour=c, locks=i == 1,
                    dangles=i == len(styles) - 1)
             for i, (s, c) in enumerate(zip(styles, colours))]
    pair = pair_of(cases)
    assert (pair.style, pair.colour) == (style, colour)
    assert pair.colour in COLOUR_PRECEDENCE
    assert pair.locks == (len(cases) > 1) and pair.dangles
    assert pair.count == (str(len(cases)) if len(cases) > 1 else "")
    lines = pair_title(pair).split("\n")
    assert lines[0].startswith("bytes → numpy array") and len(lines) == 1 + len(cases)
    assert all(line.startswith(f"{a.case_id}: ") and line.endswith(a.colour)
               for line, a in zip(lines[1:], cases))


def test_one_arrow_per_ordered_pair_in_order(report: Report) -> None:
    drawn = arrows(diagram_data(report))
    summed = pairs(drawn)
    assert sorted(c for p in summed for c in p.case_ids) == sorted(a.case_id for a in drawn)
    assert len({(p.source, p.target) for p in summed}) == len(summed)
    assert [(p.source, p.target) for p in summed] == list(dict.fromkeys(
        (a.source, a.target) for a in drawn))
    both = pairs([_arrow("a", "bytes", "pointer"), _arrow("b", "pointer", "bytes"),
                  _arrow("c", "bytes", "pointer")])
    assert [(p.key, p.case_ids) for p in both] == [("bytes→pointer", ("a", "c")),
                                                   ("pointer→bytes", ("b",))]


def test_the_layout_is_computed_both_directions_apart() -> None:
    summed = pairs([_arrow("a", "bytes", "pointer"), _arrow("b", "bytes", "pointer"),
                    _arrow("c", "pointer", "bytes"), _arrow("d", "str literal", "pointer"),
                    _arrow("e", "numpy", "numpy"), _arrow("f", "mmap", "memoryview")])
    shape = layout(summed)
    assert [n.id for n in shape.nodes] == [*REPRESENTATIONS, "mmap", "str literal"]
    assert len(shape.paths) == len(summed) == 5
    assert len({p.d for p in shape.paths}) == len(summed)
    there, back = shape.paths[0], shape.paths[1]
    assert abs(there.mx - back.mx) + abs(there.my - back.my) > 20  # bent to opposite sides
    assert shape.paths[3].d.split()[1].startswith("C")  # a loop
    nodes = {n.id: n for n in shape.nodes}
    cx = WIDTH / 2
    cy = sum(nodes[r].y for r in REPRESENTATIONS) / len(REPRESENTATIONS)
    inner = max(abs(nodes[r].x - cx) for r in REPRESENTATIONS)
    assert inner <= RADIUS_X + 1
    for other in ("mmap", "str literal"):  # outside the ellipse
        n, near = nodes[other], nodes["memoryview" if other == "mmap" else "pointer"]
        assert math.hypot(n.x - cx, n.y - cy) > math.hypot(near.x - cx, near.y - cy)


def _px(node: ET.Element, root: ET.Element) -> float:
    return float(node.get("font-size") or root.get("font-size") or 0)


def test_the_drawing_is_readable_at_its_size(report: Report) -> None:
    drawn = [*arrows(diagram_data(report)),
             _arrow("many", "c-array", "list", locks=True), _arrow("more", "c-array", "list")]
    text = render_svg(drawn)
    root = ET.fromstring(text)
    width, height = float(root.get("width", 0)), float(root.get("height", 0))
    assert width == WIDTH <= 1000
    texts = list(root.iter(f"{SVG}text"))
    assert texts and min(_px(t, root) for t in texts) >= 11
    for t in texts:
        x, y = float(t.get("x", 0)), float(t.get("y", 0))
        assert 0 <= x <= width and 0 <= y <= height, t.text
    numbers = [float(n) for d in re.findall(r' d="([^"]+)"', text)
               for n in re.findall(r"-?\d+\.\d+", d)]
    assert numbers and min(numbers) >= 0 and max(numbers) <= max(width, height)
    legend = min(float(t.get("y", 0)) for t in root.iter(f"{SVG}text")
                 if t.text and t.text.startswith("Line:"))
    marks = [float(t.get("y", 0)) for t in root.iter(f"{SVG}text") if t.get("class") == "marks"]
    assert max(marks) < legend
    assert LOCKS in text and DANGLES in text
    counts = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "count"]
    assert counts == [p.count for p in pairs(drawn) if p.count]
    linked = render_svg(drawn, links=True)
    for pair in pairs(drawn):
        assert (f'href="#{pair.case_ids[0]}" class="arrow" data-pair="{pair.key}"'
                f' data-cases="{" ".join(pair.case_ids)}"') in linked
    assert "href=" not in text
