"""The data files people load directly: compat.json (compact, no per-record rows), its rows in
compat.csv.gz (stable bytes, no name or time in the gzip header) and compat.parquet (typed,
stable bytes), and the pandas and DuckDB snippets of docs/reading.md, run against the report
fixture's rendering."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from matrix.store.paths import PROJECT_ROOT
from report.cli import build_report
from report.export import (
    BOOLEAN_COLUMNS,
    CSV_COLUMNS,
    JSON_SCHEMA,
    PARQUET_FILE,
    RECORDS_FILE,
    parquet_schema,
    render_csv,
)
from report.publish import write_outputs

FIXTURE = Path(__file__).parent / "fixtures" / "report"
READING = PROJECT_ROOT / "docs" / "reading.md"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture's published files, in ``<tmp>/docs`` (the snippets read
    ``docs/compat.parquet``)."""
    report = build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl", FIXTURE / "cases",
                          references=FIXTURE / "references.toml")
    out = tmp_path_factory.mktemp("exports") / "docs"
    write_outputs(report, out, heatmap=False)
    return out


def _csv(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "compat.csv.gz", dtype=str, keep_default_na=False)


def test_the_parquet_columns_are_typed(rendered: Path) -> None:
    """Strings as strings, the true/false columns as nullable booleans, nothing ``object``;
    no index column, no pandas metadata (it names library versions), zstd throughout."""
    schema = pq.read_schema(rendered / PARQUET_FILE)
    assert schema.names == list(CSV_COLUMNS)
    assert {name: str(schema.field(name).type) for name in schema.names} == {
        name: "bool" if name in BOOLEAN_COLUMNS else "string" for name in CSV_COLUMNS}
    assert all(schema.field(name).nullable for name in schema.names)
    assert not schema.metadata or b"pandas" not in schema.metadata
    assert schema == parquet_schema()
    meta = pq.ParquetFile(rendered / PARQUET_FILE).metadata
    chunks = [meta.row_group(g).column(c) for g in range(meta.num_row_groups)
              for c in range(meta.num_columns)]
    assert {chunk.compression for chunk in chunks} == {"ZSTD"}
    frame = pd.read_parquet(rendered / PARQUET_FILE, dtype_backend="numpy_nullable")
    dtypes = {name: str(dtype) for name, dtype in frame.dtypes.items()}
    assert dtypes == {name: "boolean" if name in BOOLEAN_COLUMNS else "string"
                      for name in CSV_COLUMNS}
    assert frame["copies"].isna().any() and frame["copies"].any() and (~frame["copies"]).any()


def test_the_parquet_has_the_csv_rows(rendered: Path) -> None:
    frame = pd.read_parquet(rendered / PARQUET_FILE, dtype_backend="numpy_nullable")
    rows = _csv(rendered)
    assert len(frame) == len(rows) > 100
    assert frame["cell_id"].tolist() == rows["cell_id"].tolist()
    for name in BOOLEAN_COLUMNS:  # the CSV's true/false/empty, nothing else, kept as such
        assert set(rows[name]) <= {"true", "false", ""}, name
        assert frame[name].map({True: "true", False: "false"}).fillna("").tolist() \
            == rows[name].tolist(), name
    assert frame["numpy_build"].isna().tolist() == (rows["numpy_build"] == "").tolist()


def test_compat_json_is_compact_and_names_its_records_file(rendered: Path) -> None:
    text = (rendered / "compat.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.count("\n") == 1, "one line: no indentation"
    data = json.loads(text)
    assert text == json.dumps(data, sort_keys=True, ensure_ascii=False,
                              separators=(",", ":")) + "\n"
    assert data["schema"] == JSON_SCHEMA == 5
    assert data["records_file"] == RECORDS_FILE == "compat.csv.gz"
    assert "cells" not in data
    assert not any(isinstance(v, list) and v and isinstance(v[0], dict)
                   and {"case_id", "cell_id", "outcome"} <= set(v[0])
                   for v in data.values()), "no per-record list left in compat.json"
    assert (rendered / data["records_file"]).is_file()
    assert not (rendered / "compat-records.json").exists()
    assert not (rendered / "compat.csv").exists()


def test_the_records_file_is_the_csv_gzipped_with_a_bare_header(rendered: Path) -> None:
    """One gzip member, no file name, no time (bytes 4-7 are the mtime, 0), its text the CSV
    (header, then one line per record); a file name would need the FNAME flag (bit 3)."""
    raw = (rendered / RECORDS_FILE).read_bytes()
    assert raw[:3] == b"\x1f\x8b\x08" and raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0"
    text = gzip.decompress(raw).decode("utf-8")
    report = build_report(FIXTURE / "records.jsonl", FIXTURE / "baseline.jsonl",
                          FIXTURE / "cases", references=FIXTURE / "references.toml")
    assert text == render_csv(report)
    lines = text.splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert len(lines) == len(_csv(rendered)) + 1 > 100


# --- docs/reading.md --------------------------------------------------------------------------

def _section() -> str:
    text = READING.read_text(encoding="utf-8")
    start = text.index("\n## The data files\n")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_the_schema_table_in_reading_md_is_the_parquet_schema() -> None:
    table = re.findall(r"^\| `(\w+)` \| (string|boolean) \| .+ \|$", _section(), re.M)
    assert table == [(name, "boolean" if name in BOOLEAN_COLUMNS else "string")
                     for name in CSV_COLUMNS]


def _snippet(module: str) -> str:
    blocks = re.findall(r"```python\n(.*?)```", _section(), re.S)
    found = [b for b in blocks if re.search(rf"^import {module}\b", b, re.M)]
    assert len(found) == 1, f"one {module} snippet in the data files section of reading.md"
    return found[0]


def _run(code: str, folder: Path) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True,
                          text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_pandas_snippet_answers_from_the_parquet(rendered: Path) -> None:
    """The snippet as printed in reading.md, run from the folder above the fixture's docs/:
    which cases copy on CPython 3.12 with Cython 3.x (fx-contradict copies there)."""
    code = _snippet("pandas")
    assert '"docs/compat.parquet"' in code
    out = _run(code, rendered.parent)
    assert out.strip()
    assert out.split()[:3] == ["worked", "copied", "semantics"]
    assert "fx-contradict" in out


def test_the_duckdb_snippet_answers_from_the_parquet(rendered: Path) -> None:
    """The DuckDB snippet (duckdb is a test dependency), for a fixture case that fails on its
    own (on Python 2.7)."""
    code = _snippet("duckdb")
    assert "'docs/compat.parquet'" in code
    asked, count = re.subn(r"case_id = '[^']+'", "case_id = 'fx-py3'", code)
    assert count == 1
    out = _run(asked, rendered.parent)
    assert out.strip()
    assert "│ 2.7 " in out and "cc-error" in out
