"""report.legend is the one home of every mark a reader meets: the sources of report/ and the
page's template spell none of them (the template names them, ``{{mark:NAME}}``, and rendering
fills them in from the legend)."""

from __future__ import annotations

from pathlib import Path

import pytest

from report.legend import MARKS, SYMBOLS, Verdict
from report.render_html import PAGE_TEMPLATE, fill_marks

REPORT = Path(__file__).resolve().parents[1] / "report"
HOME = REPORT / "legend.py"


def _glyphs() -> dict[str, str]:
    """Each mark's first character (``⚠️`` is ``⚠`` and a variation selector) -> its name."""
    return {mark[0]: name for name, mark in MARKS.items()}


def test_no_mark_is_written_outside_the_legend() -> None:
    glyphs = _glyphs()
    sources = [p for p in sorted(REPORT.rglob("*")) if p.suffix in (".py", ".html", ".js")
               and p != HOME]
    assert PAGE_TEMPLATE in sources and len(sources) > 20
    found = [f"{path.relative_to(REPORT.parent)}:{number}: {glyphs[char]} ({char})"
             for path in sources
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             for char in line if char in glyphs]
    assert found == [], "write marks as report.legend's names (the page: {{mark:NAME}})"


def test_every_mark_is_told_apart() -> None:
    assert len(set(MARKS.values())) == len(MARKS) == len(_glyphs())
    assert {SYMBOLS[v] for v in Verdict} - {SYMBOLS[Verdict.NOT_POSSIBLE],
                                            SYMBOLS[Verdict.NOT_TESTED]} <= set(MARKS.values())


def test_the_page_gets_its_marks_from_the_legend() -> None:
    template = PAGE_TEMPLATE.read_text(encoding="utf-8")
    page = fill_marks(template)
    assert "{{mark:" not in page
    for name in ("SHIPPED_C", "VARIANT", "CONTRADICTED"):
        assert f"{{{{mark:{name}}}}}" in template
        assert template.count(f"{{{{mark:{name}}}}}") <= page.count(MARKS[name])
    assert fill_marks("a {{mark:VARIANT}} b") == f"a {MARKS['VARIANT']} b"


def test_a_mark_the_legend_does_not_have_is_an_error() -> None:
    with pytest.raises(KeyError, match="VARIANTT"):
        fill_marks("{{mark:VARIANTT}}")
