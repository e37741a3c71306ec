"""The compiler axis as data (matrix/model/compilers.py reading matrix/data/compilers.toml):
what the committed file says, a compiler added by a table alone, and bad tables named."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from matrix.model import compilers
from matrix.model.cells import Cell
from matrix.model.compilers import COMPILERS_FILE, load_compilers

NUMPYS = [Version(v) for v in ("1.25.2", "1.26.4", "2.0.2", "2.1.3")]


def test_the_committed_axis() -> None:
    loaded = load_compilers()
    assert list(loaded) == ["gcc", "clang", "gcc14-errors", "gcc-asan"]
    assert compilers.DEFAULT_COMPILER == "gcc"
    clang = loaded["clang"]
    assert clang.uses_zig and clang.ziglang == "0.17.1"
    assert clang.title == "clang from the ziglang 0.17.1 wheel (zig cc)"  # {ziglang} filled in
    assert compilers.version_of("clang", "gcc 12.2.0") == "clang (ziglang 0.17.1)"
    assert compilers.version_of("gcc14-errors", "gcc 12.2.0") == "gcc 12.2.0"
    assert "-Werror=implicit-int" in loaded["gcc14-errors"].extra_flags
    assert loaded["gcc-asan"].sanitizer == "address" and loaded["gcc-asan"].grid == ("core",)
    assert not loaded["gcc"].uses_zig and loaded["gcc"].grid == ("every",)


def test_a_compiler_is_added_by_a_table_alone(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A new entry (the system gcc at -O3 on core cells) reaches the default grid, the flags a
    cell is built with and the key's compiler version, with no code changed."""
    from matrix.plan import grid

    data = tmp_path / "compilers.toml"
    data.write_text(COMPILERS_FILE.read_text(encoding="utf-8")
                    + '\n[gcc-o3]\ntitle = "the system gcc at -O3"\nflags = ["-O3"]\n'
                      'grid = ["core"]\n', encoding="utf-8")
    loaded = load_compilers(data)
    monkeypatch.setattr(compilers, "COMPILERS", loaded)
    monkeypatch.setattr(grid, "COMPILERS", loaded)
    assert grid.default_compilers(Cell("3.11", "3.0.12"), NUMPYS)[-1] == "gcc-o3"
    assert "gcc-o3" not in grid.default_compilers(Cell("3.11", "3.0.12", "2.1.3", "2.1.3"),
                                                  NUMPYS)
    assert grid.default_compilers(Cell("3.13t", "3.1.8"), NUMPYS) == ("gcc",)
    assert compilers.spec("gcc-o3").extra_flags == ("-O3",)
    assert compilers.base_cflags("gcc-o3", ("-O0", "-O3")) == ("-O0",)
    assert compilers.select_compilers(("gcc-o*",)) == ("gcc-o3",)


@pytest.mark.parametrize(("table", "message"), [
    ('[cc]\ntitle = "x"\nflag = ["-O2"]\n', "[cc]: unknown fields ['flag']"),
    ('[cc]\nflags = ["-O2"]\n', "[cc]: title must be a non-empty string"),
    ('[cc]\ntitle = "x"\nflags = "-O2"\n', "[cc]: flags must be a list of C flags"),
    ('[cc]\ntitle = "x"\nsanitizer = "thread"\n', "[cc]: sanitizer must be one of"),
    ('[cc]\ntitle = "x"\ngrid = ["numpy"]\n', '[cc]: grid must be "every" or a list of'),
    ('[cc]\ntitle = "x"\ngrid = ["core"]\n', "[cc]: the default compiler (the first table)"),
    ('cc = "gcc"\n', "cc: a table per compiler"),
    ('[cc\n', "compilers.toml: "),
    ('', "no compiler"),
])
def test_a_bad_table_is_named(tmp_path: Path, table: str, message: str) -> None:
    data = tmp_path / "compilers.toml"
    data.write_text(table, encoding="utf-8")
    with pytest.raises(ValueError) as raised:
        load_compilers(data)
    assert str(data) in str(raised.value) and message in str(raised.value)
