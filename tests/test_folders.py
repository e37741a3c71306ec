"""matrix.model.folders: the one cache-folder rule, read by the harness's layout and the
report's query cache alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from matrix.model.folders import CHECKOUT, cache_root, is_checkout
from matrix.store.paths import Layout


def test_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATRIX_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert is_checkout(CHECKOUT) and cache_root() == CHECKOUT / ".cache"
    installed = tmp_path / "site-packages"
    (installed / "matrix").mkdir(parents=True)
    assert not is_checkout(installed)
    assert cache_root(installed) == tmp_path / "xdg" / "cython-memory-matrix"
    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == cache_root(installed) == tmp_path / "mine"


def test_the_harness_and_the_query_read_the_same_rule(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from report.cli import query_cache

    monkeypatch.setenv("MATRIX_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert Layout.default().cache == tmp_path / "elsewhere"
    assert query_cache() == tmp_path / "elsewhere" / "query"
    monkeypatch.delenv("MATRIX_CACHE_DIR")
    assert query_cache().parent == Layout.default().cache == CHECKOUT / ".cache"
