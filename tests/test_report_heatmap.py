"""The heatmap: the grid it draws, and a PNG without software tag or timestamps."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from report.cli import build_report
from report.heatmap import draw_heatmap, heatmap_grid, heatmap_groups, write_heatmap
from report.legend import Verdict

FIXTURE = Path(__file__).parent / "fixtures" / "report"


def test_grid_and_png(tmp_path: Path) -> None:
    report = build_report(FIXTURE / "records.jsonl", None, FIXTURE / "cases")
    rows, columns, grid = heatmap_grid(report)
    assert rows[:4] == ["fx-dangles", "fx-since", "fx-split", "fx-works"]
    assert columns[:2] == ["py2.7-cy0.27.3", "py2.7-cy0.29.37"] and len(columns) == 14
    # Every kind's column is spelled as its cells are (an f"py{python}" once drew pypypy3.11):
    assert {"pp3.11-cy3.1.4", "py3.13t-cy3.1.4"} <= set(columns)
    assert not any(c.startswith("pypy") for c in columns)
    assert dict(zip(columns, grid[rows.index("fx-works")]))["pp3.11-cy3.1.4"] is Verdict.OK
    cell = dict(zip(columns, grid[rows.index("fx-np-ok")]))
    # numpy 2.1.3 fails to cythonize where its control does too (a toolchain failure, not the
    # case's): only 1.26.4 counts, and works.
    assert cell["py3.12-cy0.29.37"] is Verdict.OK
    assert cell["py3.6-cy0.27.3"] is Verdict.OK
    # Cython 0.27.3 does not run on Python 3.12: its C from Python 3.6 was measured there.
    # numpy 2.1.3's headers reject that C, as they reject the control's: the toolchain again.
    assert cell["py3.12-cy0.27.3 (shipped C)"] is Verdict.OK
    contradict = dict(zip(columns, grid[rows.index("fx-contradict")]))
    assert contradict["py3.6-cy3.1.4"] is Verdict.TOOLCHAIN  # fails where the control fails
    assert contradict["py3.12-cy0.27.3 (shipped C)"] is Verdict.FAILED  # its own: control works
    assert dict(zip(columns, grid[rows.index("fx-py3")]))["py2.7-cy0.29.37"] is Verdict.FAILED
    assert not any(row.startswith("fx-control") for row in rows)  # controls are no case rows
    assert [c for c in columns if "shipped" in c] == ["py3.12-cy0.27.3 (shipped C)"]
    _, _, groups = heatmap_groups(report)
    shipped = {(rows[y], columns[x]) for y, line in enumerate(groups)
               for x, group in enumerate(line) if group.shipped}
    assert shipped == {(row, "py3.12-cy0.27.3 (shipped C)") for row in rows}
    assert cell["py3.6-cy3.1.4"] is Verdict.ENV_ERROR
    path = tmp_path / "h.png"
    write_heatmap(report, path)
    first = path.read_bytes()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert "Software" not in image.info and "Creation Time" not in image.info
    write_heatmap(report, path)
    assert path.read_bytes() == first


def test_every_text_is_at_least_10_px_at_the_published_size() -> None:
    """Labels, title and legend: a point is DPI / 72 pixels in the PNG as published (which
    compat.md links, to be opened at full size)."""
    from matplotlib.text import Text

    report = build_report(FIXTURE / "records.jsonl", None, FIXTURE / "cases")
    figure = draw_heatmap(report)
    texts = [t for t in figure.findobj(Text) if t.get_text()]
    assert len(texts) > 20
    smallest = min(t.get_fontsize() for t in texts) * figure.dpi / 72
    assert smallest >= 10, smallest
    labels = {t.get_text() for t in texts}
    assert {"pp3.11-cy3.1.4", "py3.13t-cy3.1.4", "fx-works"} <= labels
