"""The heatmap: the grid it draws, and a PNG without software tag or timestamps."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from report.cli import build_report
from report.heatmap import heatmap_grid, write_heatmap
from report.verdicts import Verdict

FIXTURE = Path(__file__).parent / "fixtures" / "report"


def test_grid_and_png(tmp_path: Path) -> None:
    report = build_report(FIXTURE / "records.jsonl", None, FIXTURE / "cases")
    rows, columns, grid = heatmap_grid(report)
    assert rows[:3] == ["fx-since", "fx-split", "fx-works"]
    assert columns[:2] == ["py2.7 cy0.27.3", "py2.7 cy0.29.37"] and len(columns) == 12
    cell = dict(zip(columns, grid[rows.index("fx-np-ok")]))
    assert cell["py3.12 cy0.29.37"] is Verdict.MIXED  # numpy 2.1.3 fails, 1.26.4 works
    assert cell["py3.12 cy0.27.3"] is Verdict.NOT_POSSIBLE
    assert cell["py3.6 cy3.1.4"] is Verdict.ENV_ERROR
    path = tmp_path / "h.png"
    write_heatmap(report, path)
    first = path.read_bytes()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert "Software" not in image.info and "Creation Time" not in image.info
    write_heatmap(report, path)
    assert path.read_bytes() == first
