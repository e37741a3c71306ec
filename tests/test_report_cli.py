"""``python -m report``: render, check, and errors that name the file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matrix.store.paths import PROJECT_ROOT
from report.cli import main
from report.publish import PNG_SIGNATURE, RETIRED_FILES, SAME_CONTENT

FIXTURE = Path(__file__).parent / "fixtures" / "report"


def render_args(out: Path, results: Path = FIXTURE / "records.jsonl") -> list[str]:
    return ["render", "--results", str(results), "--baseline", str(FIXTURE / "baseline.jsonl"),
            "--cases", str(FIXTURE / "cases"), "--out", str(out),
            "--references", str(FIXTURE / "references.toml")]


def test_render_writes_the_published_files(tmp_path: Path) -> None:
    assert main(render_args(tmp_path)) == 0
    for name in ("compat.md", "compat.json", "compat.csv.gz", "compat.parquet"):
        written, golden = (tmp_path / name).read_bytes(), (FIXTURE / "expected" / name).read_bytes()
        assert written == golden or (name in SAME_CONTENT and SAME_CONTENT[name](golden, written))
    assert (tmp_path / "compat-heatmap.png").read_bytes().startswith(PNG_SIGNATURE)


def test_check_reports_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(render_args(tmp_path)) == 0
    assert main([*render_args(tmp_path), "--check"]) == 0


def test_files_no_longer_published_are_removed_and_reported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """compat.json schema 4's compat-records.json and plain compat.csv: a render removes them,
    the drift check names one left behind."""
    for name in RETIRED_FILES:
        (tmp_path / name).write_text("old\n", encoding="utf-8")
    assert main(render_args(tmp_path)) == 0
    assert not any((tmp_path / name).exists() for name in RETIRED_FILES)
    (tmp_path / "compat.csv").write_text("old\n", encoding="utf-8")
    capsys.readouterr()
    assert main([*render_args(tmp_path), "--check"]) == 1
    assert "compat.csv: no longer published (remove it)" in capsys.readouterr().err
    with open(tmp_path / "compat.md", "a", encoding="utf-8") as handle:
        handle.write("edited by hand\n")
    assert main([*render_args(tmp_path), "--check"]) == 1
    assert "compat.md: differs" in capsys.readouterr().err


def test_check_compares_the_parquet_table(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(render_args(tmp_path)) == 0
    parquet = tmp_path / "compat.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    assert main([*render_args(tmp_path), "--check"]) == 1
    assert "compat.parquet: differs" in capsys.readouterr().err
    fresh = (FIXTURE / "expected" / "compat.parquet").read_bytes()
    older = fresh.replace(b"parquet-cpp-arrow version", b"parquet-cpp-arrow VERSION")
    assert older != fresh
    parquet.write_bytes(older)  # another pyarrow wrote the same table: not drift
    assert main([*render_args(tmp_path), "--check"]) == 0
    capsys.readouterr()
    parquet.unlink()
    assert main([*render_args(tmp_path), "--check"]) == 1
    assert "compat.parquet: missing" in capsys.readouterr().err


def test_corrupt_results_name_file_and_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "records.jsonl"
    lines = (FIXTURE / "records.jsonl").read_text().splitlines(keepends=True)
    broken.write_text(lines[0] + "{not json\n" + lines[1])
    assert main(render_args(tmp_path / "out", broken)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {broken}:2: not valid JSON")
    assert not (tmp_path / "out").exists()


def test_missing_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(render_args(tmp_path, tmp_path / "nothing.jsonl")) == 2
    assert "nothing.jsonl: no results" in capsys.readouterr().err


def test_python_dash_m_report(tmp_path: Path) -> None:
    """The command the nox sessions run, from another directory."""
    shutil.copytree(FIXTURE / "cases", tmp_path / "cases")
    done = subprocess.run(
        [sys.executable, "-m", "report", "render", "--results", str(FIXTURE / "records.jsonl"),
         "--no-baseline", "--cases", str(tmp_path / "cases"), "--out", str(tmp_path / "docs"),
         "--no-heatmap"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "rendered 11 cases" in done.stderr
    text = (tmp_path / "docs" / "compat.md").read_text(encoding="utf-8")
    assert "No previous run to compare with" in text
    assert not (tmp_path / "docs" / "compat-heatmap.png").exists()


def test_regressions_fail_and_write_the_summary(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    args = ["regressions", "--results", str(FIXTURE / "records.jsonl"),
            "--cases", str(FIXTURE / "cases"), "--summary", str(summary)]
    assert main([*args, "--baseline", str(FIXTURE / "baseline.jsonl")]) == 1
    out = capsys.readouterr()
    assert "### Regressed (worked, now fails): 1" in out.out
    assert "1 cell(s) regressed" in out.err
    assert summary.read_text().startswith("# earlier step\n## Changes since the previous run")
    same = ["--baseline", str(FIXTURE / "records.jsonl")]
    assert main([*args, *same]) == 0
    assert main([*args, "--no-baseline"]) == 0
