"""The drift check: the committed docs/compat.* must be what the committed results render to.

Re-render with ``nox -s report`` (or ``python -m report render``) and commit docs/ whenever
results/ or cases/ change. The PNG is only required to exist and be a PNG, because its bytes
depend on the matplotlib version; compat.csv.gz and compat.parquet are compared by what they
hold where their bytes differ (another zlib or pyarrow writes other bytes for the same rows).
"""

from __future__ import annotations

import pytest

from matrix.store.paths import PROJECT_ROOT
from report.cli import (
    DEFAULT_CANARY,
    DEFAULT_CASES,
    DEFAULT_OUT,
    DEFAULT_RESULTS,
    NAMED,
    build_report,
)
from report.publish import SAME_CONTENT, render_files
from report.render_md.common import HEATMAP_FILE


@pytest.mark.skipif(not (DEFAULT_RESULTS / "store.json").exists(),
                    reason="results/ is not committed yet (no published run)")
def test_committed_report_matches_committed_results() -> None:
    # changes.md compares with the publication results/store.json names (read from git).
    report = build_report(DEFAULT_RESULTS, NAMED, DEFAULT_CASES, canary=DEFAULT_CANARY)
    # One rendering (the published data takes seconds to render): what `render --check`
    # compares is checked by drift() on the fixture's report in test_report_cli.
    for name, data in render_files(report).items():
        committed = DEFAULT_OUT / name
        assert committed.exists(), f"{committed} missing: run `nox -s report` and commit docs/"
        held = committed.read_bytes()
        assert held == data or (name in SAME_CONTENT and SAME_CONTENT[name](held, data)), (
            f"{committed.relative_to(PROJECT_ROOT)} is out of date with results/: run"
            " `nox -s report` and commit docs/")
    assert (DEFAULT_OUT / HEATMAP_FILE).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


GITHUB_MARKDOWN_BUDGET = 300_000
"""Bytes: GitHub renders markdown only up to about 2 MB and gives up earlier on table-heavy
files (its Markdown API refuses text over 400 KB); compat.md and notes.md must open there.  At
112 cases compat.md is 281 KB: the per-Python tables live in detail.md, the diff in changes.md,
the notes in notes.md."""


def test_the_published_markdown_opens_on_github() -> None:
    """compat.md stays small (the per-Python tables live in detail.md, the diff in
    changes.md) and gives the answer before the provenance."""
    page = (DEFAULT_OUT / "compat.md").read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) <= GITHUB_MARKDOWN_BUDGET
    assert page.index("## Summary") < page.index("## Toolchain baseline") < page.index(
        "## Provenance")
    assert "### Regressed" not in page and "### New cells" not in page
    assert "(changes.md)" in page and "(detail.md)" in page and "(notes.md)" in page
    assert len((DEFAULT_OUT / "notes.md").read_bytes()) <= GITHUB_MARKDOWN_BUDGET
    for name in ("changes.md", "detail.md", "notes.md"):
        assert (DEFAULT_OUT / name).is_file()
    assert len((DEFAULT_OUT / "changes.md").read_bytes()) < 2_000_000
