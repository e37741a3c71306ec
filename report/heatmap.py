"""The heatmap picture: cases (rows) x (Python, Cython) (columns), coloured by verdict.

A case is judged against the toolchain baseline (:mod:`report.controls`): a cell whose failures
are all toolchain failures has its own colour, never the case's red or amber.

Cells measured with shipped C (that Cython does not install or run on that Python) are hatched
over their colour, and their column label says ``(shipped C)``, so that a green cell there is
never read as "this Cython works on this Python".

Drawn with matplotlib's object API on the Agg canvas (no pyplot state, no display), and saved
without the software tag or timestamps, so the same matplotlib draws the same bytes.  What is
drawn is a small value (:class:`HeatmapData`), so that a process that imported matplotlib
beforehand can draw it (:func:`report.publish.painter`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from matrix.model.cells import Cell
from matrix.model.records import Record
from matrix.model.selection import cell_sort_key
from report.legend import (
    COLOURS,
    SHIPPED_COLUMN,
    SHIPPED_HATCH,
    SHIPPED_HATCH_COLOUR,
    SHIPPED_LEGEND,
    SHORT_LEGEND,
    Verdict,
)
from report.model import Report
from report.verdicts import GroupVerdict, aggregate

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def import_matplotlib() -> None:
    """Import what drawing needs (about 0.3 s here): done ahead by a process that draws later."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401


@dataclass(frozen=True)
class HeatmapData:
    """What the picture shows: row labels (cases), column labels and each cell's verdict and
    whether it was measured with shipped C (hatched)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    verdicts: tuple[tuple[Verdict, ...], ...]
    shipped: tuple[tuple[bool, ...], ...]


def heatmap_data(report: Report) -> HeatmapData:
    """The picture's content (see :func:`heatmap_groups`)."""
    rows, columns, groups = heatmap_groups(report)
    return HeatmapData(tuple(rows), tuple(columns),
                       tuple(tuple(g.verdict for g in line) for line in groups),
                       tuple(tuple(bool(g.shipped) for g in line) for line in groups))


def heatmap_groups(report: Report) -> tuple[list[str], list[str], list[list[GroupVerdict]]]:
    """Row labels (cases), column labels (the (Python, Cython) pair spelled as a cell id:
    ``py3.12-cy3.3.1``, ``pp3.11-cy3.1.8``, ``py3.13t-cy3.2.9``, followed by ``(shipped C)``
    where any cell of the column was measured with shipped C) and each cell's verdict."""
    main = [r for r in report.records if r.cell_kind != "abi"]
    columns: list[tuple[str, str]] = []
    for record in sorted(main, key=cell_sort_key):
        if (record.python, record.cython) not in columns:
            columns.append((record.python, record.cython))
    rows = [row.case.id for row in report.rows]
    toolchain = report.toolchain_failures
    by_cell: dict[tuple[str, str, str], list[Record]] = {}
    for record in main:  # in the report's order, as each cell's records were taken before
        by_cell.setdefault((record.case_id, record.python, record.cython), []).append(record)
    grid = [[aggregate(by_cell.get((case_id, *column), []), toolchain=toolchain)
             for column in columns] for case_id in rows]
    shipped = [any(line[index].shipped for line in grid) for index in range(len(columns))]
    # A core cell's id names the interpreter kind as every cell id does (pp3.11, py3.13t).
    labels = [f"{Cell(p, c).id}{SHIPPED_COLUMN if mark else ''}"
              for (p, c), mark in zip(columns, shipped)]
    return rows, labels, grid


def heatmap_grid(report: Report) -> tuple[list[str], list[str], list[list[Verdict]]]:
    """Row labels, column labels and the verdict of each cell (see :func:`heatmap_groups`)."""
    rows, columns, groups = heatmap_groups(report)
    return rows, columns, [[group.verdict for group in line] for line in groups]


def draw_heatmap(report: Report) -> Figure:
    """The picture as a matplotlib figure (attached to an Agg canvas)."""
    return draw(heatmap_data(report))


def draw(data: HeatmapData) -> Figure:
    """:class:`HeatmapData` as a matplotlib figure (attached to an Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, PathPatch
    from matplotlib.path import Path as MplPath
    from matplotlib.transforms import offset_copy

    rows, columns = data.rows, data.columns
    order = list(Verdict)
    codes = ([[order.index(v) for v in line] for line in data.verdicts]
             or [[order.index(Verdict.NOT_TESTED)]])
    width = max(8.0, 4.5 + 0.3 * len(columns))
    height = 3.0 + 0.26 * max(len(rows), 1)
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    colours = ListedColormap([COLOURS[v] for v in order])
    norm = BoundaryNorm([i - 0.5 for i in range(len(order) + 1)], len(order))
    axes.pcolormesh(codes, cmap=colours, norm=norm, edgecolors="#dddddd", linewidth=0.5)
    hatched = [(x, y) for y, line in enumerate(data.shipped)
               for x, shipped in enumerate(line) if shipped]
    if hatched:
        # One compound path for every hatched cell: one draw call, not one artist per cell
        # (thousands of them on the published grid).  Added as a plain artist: it lies inside
        # the grid, so the data limits need no update (which walks every square's curves).
        squares = [MplPath([(x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1), (x, y)], closed=True)
                   for x, y in hatched]
        axes.add_artist(PathPatch(MplPath.make_compound_path(*squares), fill=False,
                                 hatch=SHIPPED_HATCH, edgecolor=SHIPPED_HATCH_COLOUR,
                                 linewidth=0))
    # The labels are plain texts where ticks would be: a tick is five artists, and the
    # published grid has nearly two hundred of them.
    axes.set_xticks([])
    axes.set_yticks([])
    below = offset_copy(axes.get_xaxis_transform(), figure, y=-LABEL_GAP_POINTS, units="points")
    for index, label in enumerate(columns):
        axes.text(index + 0.5, 0, label, transform=below, rotation=90, ha="center", va="top",
                  fontsize=LABEL_POINTS)
    left = offset_copy(axes.get_yaxis_transform(), figure, x=-LABEL_GAP_POINTS, units="points")
    for index, label in enumerate(rows):
        axes.text(0, index + 0.5, label, transform=left, ha="right", va="center",
                  fontsize=LABEL_POINTS)
    axes.invert_yaxis()
    axes.set_title("Outcome per case and (Python, Cython)", fontsize=TITLE_POINTS)
    handles = [Patch(facecolor=COLOURS[v], edgecolor="#888888", label=SHORT_LEGEND[v])
               for v in order]
    if hatched:
        handles.append(Patch(facecolor="#ffffff", edgecolor=SHIPPED_HATCH_COLOUR,
                             hatch=SHIPPED_HATCH, label=SHIPPED_LEGEND))
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=LEGEND_POINTS,
                  frameon=False)
    _fit_axes(figure, rows, columns, legend_inches=LEGEND_INCHES)
    return figure


LEGEND_INCHES = 0.5
"""The band under the plot the legend is drawn in."""

DPI = 100
"""The picture's pixels per inch: a point is DPI / 72 pixels at its published size."""

LABEL_POINTS = 8
"""The row and column labels' font size: 11 px at :data:`DPI` (readable at 100%)."""

LEGEND_POINTS = 8
"""The legend's font size."""

TITLE_POINTS = 10
"""The title's font size (the layout leaves room for it)."""

LABEL_GAP_POINTS = 3.5
"""The gap between the grid and its labels (matplotlib's tick label padding)."""


def _fit_axes(figure: Figure, rows: Sequence[str], columns: Sequence[str], *,
              legend_inches: float) -> None:
    """Place the plot so that its labels, title and the legend's band just fit the figure:
    what ``tight_layout`` does, from the labels' measured widths alone (it lays every tick
    label out twice, a third of the picture's drawing time on the published grid)."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties

    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    points = figure.dpi / 72  # pixels per point
    labels = FontProperties(size=LABEL_POINTS)

    def widest(texts: Sequence[str]) -> float:
        return max((renderer.get_text_width_height_descent(text, labels, ismath=False)[0]
                    for text in texts), default=0.0)

    width, height = figure.get_size_inches() * figure.dpi
    pad = 1.08 * rcParams["font.size"] * points  # tight_layout's default padding
    tick = LABEL_GAP_POINTS * points
    title = (TITLE_POINTS + rcParams["axes.titlepad"]) * points * 1.3
    figure.subplots_adjust(
        left=(pad + tick + widest(rows)) / width,
        right=1 - pad / width,
        bottom=(legend_inches * figure.dpi + pad + tick + widest(columns)) / height,
        top=1 - (pad + title) / height)


def write_heatmap(report: Report, path: Path) -> None:
    """Save the picture as PNG with no software tag or creation time in its metadata."""
    write_picture((heatmap_data(report), path))


def write_picture(job: tuple[HeatmapData, Path]) -> str:
    """Save ``job``'s picture at its path (PNG, no software tag or creation time); the path."""
    data, path = job
    draw(data).savefig(path, format="png", metadata={"Software": None})
    return str(path)
