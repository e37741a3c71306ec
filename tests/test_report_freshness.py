"""The render stamp (:mod:`report.freshness`): a second render with nothing changed writes
nothing and says so; a changed result, a changed renderer, a published file edited or a file
put into the folder since, or ``--force``, render again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from report import cli
from report.freshness import renderer_digest
from report.publish import RETIRED_FILES

from .test_report_cli import FIXTURE, render_args

CURRENT = "nothing to render"


@pytest.fixture()
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fixture's records, copied (a test changes them), and a cache of the test's own."""
    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "records.jsonl"
    shutil.copyfile(FIXTURE / "records.jsonl", copy)
    return copy


def render(out: Path, results: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Render; what it printed."""
    capsys.readouterr()
    assert cli.main([*render_args(out, results), *extra]) == 0
    return capsys.readouterr().err


def test_a_second_render_with_nothing_changed_writes_nothing(
        tmp_path: Path, results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert "rendered" in render(out, results, capsys)
    (out / "compat.md").touch()
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    said = render(out, results, capsys)
    assert CURRENT in said and said.count("\n") == 1, said
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before, "nothing written"
    assert "rendered" in render(out, results, capsys, "--force")


def test_a_changed_result_renders(tmp_path: Path, results: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render(out, results, capsys)
    lines = results.read_text(encoding="utf-8").splitlines(keepends=True)
    results.write_text("".join(lines[:-1]), encoding="utf-8")  # one record fewer
    assert "rendered" in render(out, results, capsys)
    assert CURRENT in render(out, results, capsys)


def test_a_changed_renderer_renders(tmp_path: Path, results: Path,
                                    capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    render(out, results, capsys)
    monkeypatch.setattr(cli, "renderer_digest", lambda: "another renderer")
    assert "rendered" in render(out, results, capsys)


def test_the_renderer_digest_covers_every_file_of_the_packages(tmp_path: Path) -> None:
    for package in ("report", "matrix"):
        (tmp_path / package / "page").mkdir(parents=True)
        (tmp_path / package / "page" / "index.html").write_text("<p>a</p>\n", encoding="utf-8")
    first = renderer_digest(tmp_path)
    assert renderer_digest(tmp_path) == first
    (tmp_path / "report" / "page" / "index.html").write_text("<p>b</p>\n", encoding="utf-8")
    assert renderer_digest(tmp_path) != first


def test_an_edited_or_added_file_renders(tmp_path: Path, results: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    render(out, results, capsys)
    with open(out / "compat.md", "a", encoding="utf-8") as handle:
        handle.write("edited by hand\n")
    assert "rendered" in render(out, results, capsys)
    retired = out / RETIRED_FILES[0]
    retired.write_text("old\n", encoding="utf-8")
    assert "rendered" in render(out, results, capsys)
    assert not retired.exists()
    (out / "compat.json").unlink()
    assert "rendered" in render(out, results, capsys)
    assert CURRENT in render(out, results, capsys)
