"""Golden files: the renderer on the small hand-made fixture in tests/fixtures/report/ (every
published text file, and compat.csv.gz and compat.parquet byte for byte, the Parquet file read
back against the CSV).

The fixture covers every outcome class, ranges with gaps on each axis, a per-Python
qualifier, varying and contradicted semantics, the build-vs-run table, left-out records,
every kind of change against the baseline, and combinations that fail for every case (see
tests/fixtures/report/make_fixture.py).

After an intended change to the report, regenerate the goldens and review their diff:

    REPORT_UPDATE_GOLDENS=1 python3 -m pytest -q tests/test_report_golden.py
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from matrix.store.results import ResultStore
from report.cli import build_report
from report.export import BOOLEAN_COLUMNS, CSV_COLUMNS
from report.model import Report
from report.publish import (
    BINARY_RENDERERS,
    SAME_CONTENT,
    TEXT_RENDERERS,
    render_files,
    render_texts,
)
from report.render_html import PAGE_FILE

FIXTURE = Path(__file__).parent / "fixtures" / "report"
EXPECTED = FIXTURE / "expected"
UPDATE = os.environ.get("REPORT_UPDATE_GOLDENS") == "1"


@pytest.fixture(scope="module")
def report() -> Report:
    return build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                        references=FIXTURE / "references.toml", canary=FIXTURE / "canary")


@pytest.mark.parametrize("name", sorted(set(TEXT_RENDERERS) - {PAGE_FILE}))
def test_golden(report: Report, name: str) -> None:
    """Every rendered text file but the page, whose fixed template is the page itself
    (its filled-in marks: tests/test_report_legend.py)."""
    rendered = render_texts(report)[name]
    golden = EXPECTED / name
    if UPDATE:
        EXPECTED.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered)
    assert golden.exists(), f"{golden} missing: run with REPORT_UPDATE_GOLDENS=1"
    assert rendered.decode() == golden.read_text(encoding="utf-8"), (
        f"{name} differs from {golden}; if intended, run with REPORT_UPDATE_GOLDENS=1")


@pytest.mark.parametrize("name", sorted(BINARY_RENDERERS))
def test_golden_binary(report: Report, name: str) -> None:
    """compat.csv.gz and compat.parquet: byte for byte where the same library wrote the golden
    file (the same zlib compresses the same text to the same bytes; a parquet footer names its
    pyarrow), else what it holds (:data:`report.publish.SAME_CONTENT`)."""
    rendered = BINARY_RENDERERS[name](report)
    golden = EXPECTED / name
    if UPDATE:
        EXPECTED.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(rendered)
    assert golden.exists(), f"{golden} missing: run with REPORT_UPDATE_GOLDENS=1"
    held = golden.read_bytes()
    assert SAME_CONTENT[name](held, rendered), f"{name} differs from {golden}"
    if name == "compat.parquet" and pq.read_metadata(golden).created_by != pq.read_metadata(
            pa.BufferReader(rendered)).created_by:
        return  # another pyarrow: the same table is all that can be asked
    if name == "compat.csv.gz" and gzip.compress(b"x", mtime=0) != GZIP_OF_X:
        return  # another zlib: the same text is all that can be asked
    assert rendered == held, (
        f"{name} differs from {golden}; if intended (or after a pyarrow upgrade), run with"
        " REPORT_UPDATE_GOLDENS=1")


GZIP_OF_X = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x00\x00\x83\x16\xdc\x8c\x01\x00\x00\x00"
"""``gzip.compress(b"x", mtime=0)`` with the Python and zlib that wrote the golden file (the
header's OS byte and the deflate stream are theirs)."""


def _csv_rows() -> pd.DataFrame:
    return pd.read_csv(EXPECTED / "compat.csv.gz", dtype=str, keep_default_na=False)


def test_the_golden_parquet_holds_the_csv_rows() -> None:
    """compat.parquet read back: the CSV's columns and rows, booleans for its true/false/empty
    columns, a missing value where the CSV field is empty."""
    frame = pd.read_parquet(EXPECTED / "compat.parquet", dtype_backend="numpy_nullable")
    rows = _csv_rows()
    assert list(frame.columns) == list(rows.columns) == list(CSV_COLUMNS)
    assert len(frame) == len(rows) > 100
    as_text = pd.DataFrame({
        name: [("" if pd.isna(v) else ("true" if v else "false") if name in BOOLEAN_COLUMNS
                else str(v)) for v in frame[name]]
        for name in frame.columns})
    assert as_text.equals(rows)
    assert all(str(frame[name].dtype) == ("boolean" if name in BOOLEAN_COLUMNS else "string")
               for name in frame.columns)


def test_the_golden_compat_json_names_the_csv_as_its_records_file() -> None:
    published = json.loads((EXPECTED / "compat.json").read_text(encoding="utf-8"))
    assert published["records_file"] == "compat.csv.gz" and "cells" not in published
    assert not (EXPECTED / "compat-records.json").exists()
    assert not (EXPECTED / "compat.csv").exists()


def test_rendering_is_deterministic(report: Report) -> None:
    again = build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                         references=FIXTURE / "references.toml", canary=FIXTURE / "canary")
    assert render_files(again) == render_files(report)


def test_input_order_does_not_matter() -> None:
    from matrix.model.cases import load_cases
    from matrix.model.selection import CaseInfo
    from report.compose import compose

    records = ResultStore(FIXTURE / "records.jsonl").records()
    baseline = ResultStore(FIXTURE / "baseline.jsonl").records()
    cases = [CaseInfo.from_case(c) for c in load_cases(FIXTURE / "cases")]
    forward = compose(records, cases, baseline)
    backward = compose(list(reversed(records)), list(reversed(cases)), list(reversed(baseline)))
    assert render_files(forward) == render_files(backward)


def test_fixture_covers_every_outcome_and_change(report: Report) -> None:
    from matrix.model.diff import Change
    from matrix.model.outcomes import Outcome

    assert {r.outcome for r in (*report.records, *report.compiler_records)} == set(Outcome)
    assert report.diff is not None
    assert all(report.diff.of(kind) for kind in Change)
    p = report.provenance
    assert (p.stale, p.superseded, p.unknown) == (1, 1, 1)


def test_fixture_records_match_the_fixture_cases() -> None:
    from matrix.model.cases import load_cases

    hashes = {c.id: c.content_hash for c in load_cases(FIXTURE / "cases")}
    current = [r for r in ResultStore(FIXTURE / "records.jsonl").records()
               if r.case_id in hashes and r.case_hash == hashes[r.case_id]]
    assert len(current) > 100, (
        "the fixture cases changed: run python tests/fixtures/report/make_fixture.py")
