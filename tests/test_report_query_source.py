"""Where the query's data comes from (:mod:`report.query.source`, :mod:`report.query.snapshot`):
the shipped snapshot, a file, and a URL served by a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from report.cli import main
from report.query.data import QUERY_FIELDS, load_data
from report.query.snapshot import SNAPSHOT_FILE, read_snapshot, snapshot_bytes, source_tree_snapshot
from report.query.source import fetch, open_source
from report.query.status import EXIT_FAILS, EXIT_USAGE, QueryError

EXPECTED = Path(__file__).parent / "fixtures" / "report" / "expected"
DOCS = Path(__file__).resolve().parent.parent / "docs"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served over HTTP on 127.0.0.1 (a random port): its base URL and the folder,
    holding the report fixture's compat.json, its rows and their snapshot."""
    folder = tmp_path / "site"
    folder.mkdir()
    for name in ("compat.json", "compat.csv.gz"):
        shutil.copy(EXPECTED / name, folder / name)
    (folder / SNAPSHOT_FILE).write_bytes(snapshot_bytes(load_data(EXPECTED / "compat.json")))
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def test_the_snapshot_holds_what_the_query_reads_of_compat_json() -> None:
    """Read back, a snapshot is the compat.json's query data: every row's fields, the cases'
    ids, titles and groups, the controls and the results' date and digest."""
    full = load_data(EXPECTED / "compat.json")
    back = read_snapshot(snapshot_bytes(full), "x", QUERY_FIELDS)
    assert back["cells"] == full["cells"] and len(full["cells"]) > 100
    assert [(c["id"], c["title"], c["group"]) for c in back["cases"]] == [
        (c["id"], c["title"], c["group"]) for c in full["cases"]]
    assert back["controls"] == full["controls"] and back["controls"]
    assert back["provenance"] == full["provenance"] and set(back["provenance"]) == {
        "date", "digest", "cells", "records"}


def test_the_shipped_snapshot_is_the_published_one() -> None:
    """The distribution ships the snapshot the last render published (docs/); a render that
    forgot to copy it fails here (and in ``render --check``)."""
    shipped = source_tree_snapshot()
    assert shipped.read_bytes() == (DOCS / SNAPSHOT_FILE).read_bytes()
    assert load_data(shipped)["provenance"] == load_data(DOCS / "compat.json")["provenance"]


@pytest.mark.parametrize(("damage", "message"), [
    (b"not gzip at all", "not a query data snapshot"),
    (gzip.compress(b'{"what": "something else"}'), "no 'what'"),
    (gzip.compress(json.dumps({"what": "cython-memory-matrix query data",
                               "format": 99}).encode()), "snapshot format 99"),
])
def test_a_bad_snapshot_is_named(tmp_path: Path, damage: bytes, message: str) -> None:
    path = tmp_path / SNAPSHOT_FILE
    path.write_bytes(damage if damage.startswith(b"\x1f\x8b") else b"\x1f\x8b" + damage)
    with pytest.raises(QueryError, match=message) as raised:
        load_data(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize("name", [SNAPSHOT_FILE, "compat.json"])
def test_data_from_a_url_answers_and_says_where_it_came_from(
        served: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    """``--data URL`` (a snapshot, or a compat.json whose rows are fetched from beside it):
    the answer is the file's, names the URL and the results' date; the copies are kept in the
    cache folder (``MATRIX_CACHE_DIR`` here), nowhere else."""
    base, _ = served
    cache = tmp_path / "cache"
    monkeypatch.setenv("MATRIX_CACHE_DIR", str(cache))
    local = main(["query", "--data", str(EXPECTED / "compat.json"), "--json"])
    expected = json.loads(capsys.readouterr().out)
    status = main(["query", "--data", f"{base}/{name}", "--json"])
    got = json.loads(capsys.readouterr().out)
    assert status == local == EXIT_FAILS
    assert got["cases"] == expected["cases"] and got["failing_cases"]
    assert got["data"]["source"].startswith(f"{base}/{name} (fetched ")
    assert got["data"]["date"] == expected["data"]["date"] and got["data"]["date"]
    kept = sorted(p.name for p in (cache / "data").rglob("*") if p.is_file())
    assert kept == ([name] if name == SNAPSHOT_FILE else ["compat.csv.gz", "compat.json"])
    main(["query", "--data", f"{base}/{name}"])
    assert f"from {base}/{name} (fetched " in capsys.readouterr().out


def test_a_url_that_fails_answers_from_the_copy_it_kept(served: tuple[str, Path],
                                                         tmp_path: Path) -> None:
    base, folder = served
    url = f"{base}/{SNAPSHOT_FILE}"
    first = fetch(url, tmp_path)
    (folder / SNAPSHOT_FILE).unlink()  # the server now answers 404
    again = fetch(url, tmp_path)
    assert again.path == first.path and again.path.is_file()
    assert "fetching failed" in again.label and "the copy fetched" in again.label
    with pytest.raises(QueryError, match="could not be fetched"):
        fetch(f"{base}/missing.json.gz", tmp_path)


@pytest.mark.parametrize("url", ["http://example.org/query-data.json.gz",
                                 "ftp://127.0.0.1/query-data.json.gz"])
def test_only_https_or_this_machine_is_fetched(url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path))
    assert main(["query", "--data", url]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert f"--data {url}: only https:// URLs are fetched" in error
    assert not (tmp_path / "data").exists()


def test_no_data_flag_reads_the_shipped_snapshot(tmp_path: Path) -> None:
    with open_source(None, tmp_path) as source:
        assert source.path.name == SNAPSHOT_FILE
        assert source.label.startswith("the snapshot shipped with cymatrix ")
        assert load_data(source.path)["provenance"]["date"]
