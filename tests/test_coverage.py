"""The coverage of the representations (:mod:`matrix.model.coverage`): every ordered pair of the
guide's nine representations is measured by a case, or explained (no direct idiom, with a
reference; or an idiom still to write); cases/README.md's table is the one the data makes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matrix.model.cases import load_cases
from matrix.model.coverage import (
    COVERAGE_FILE,
    TABLE_END,
    TABLE_START,
    coverage_table,
    covered_pairs,
    load_uncovered,
    pairs,
)
from matrix.model.errors import CaseDefinitionError
from matrix.model.representations import REPRESENTATIONS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def catalogue() -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], object]]:
    cases = load_cases(ROOT / "cases")
    assert all((c.pair is None) == c.is_control for c in cases), \
        [c.id for c in cases if (c.pair is None) != c.is_control]
    covered = covered_pairs((c.id, c.pair) for c in cases if not c.is_control)
    return covered, dict(load_uncovered(COVERAGE_FILE))


def test_every_pair_is_measured_or_explained(catalogue: tuple[dict, dict]) -> None:
    covered, uncovered = catalogue
    assert len(pairs()) == len(REPRESENTATIONS) * (len(REPRESENTATIONS) - 1) == 72
    blank = [p for p in pairs() if p not in covered and p not in uncovered]
    assert not blank, f"pairs neither measured nor explained: {blank}"
    stale = sorted(set(uncovered) & set(covered))
    assert not stale, f"{COVERAGE_FILE} explains pairs a case now measures: {stale}"


def test_the_readme_table_is_the_datas(catalogue: tuple[dict, dict]) -> None:
    covered, uncovered = catalogue
    text = (ROOT / "cases" / "README.md").read_text(encoding="utf-8")
    shown = text[text.index(TABLE_START) + len(TABLE_START):text.index(TABLE_END)].strip()
    assert shown == coverage_table(covered, uncovered), \
        "cases/README.md's coverage table is stale: python -m matrix.model.coverage"


@pytest.mark.parametrize(("entry", "field"), [
    ('from = "bytes"\nto = "nowhere"\nstatus = "todo"\nidiom = "x"', "pair[0].to"),
    ('from = "bytes"\nto = "list"\nstatus = "maybe"\nidiom = "x"', "pair[0].status"),
    ('from = "bytes"\nto = "list"\nstatus = "todo"', "pair[0].idiom"),
    ('from = "bytes"\nto = "list"\nstatus = "no-direct-idiom"\nwhy = "x"', "pair[0].reference"),
])
def test_a_bad_entry_is_named(tmp_path: Path, entry: str, field: str) -> None:
    path = tmp_path / "coverage.toml"
    path.write_text(f"[[pair]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(CaseDefinitionError, match=re.escape(f"field {field!r}")):
        load_uncovered(path)
