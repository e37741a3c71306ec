"""The canary lane's plan (matrix/plan/canary.py): pre-releases beside the newest final release
below them, never in the released grid (issue 37)."""

from __future__ import annotations

import dataclasses

import pytest

from matrix.model.errors import SelectionError
from matrix.plan.canary import coming_releases, plan_canary, pre_releases
from matrix.plan.grid import Selection, plan_grid
from matrix.plan.index import ReleaseIndex, releases_from_summary

from .test_grid import CONFIG, fake_index, interpreters, wheel


def index_with(*extra_cython: str, numpy_rc: str | None = None) -> ReleaseIndex:
    """:func:`tests.test_grid.fake_index` (finals up to Cython 3.0.12 and numpy 2.1.3, and
    3.1.0b1) plus more Cython pre-releases and a numpy release candidate."""
    base = fake_index()
    cython = [*base.releases["cython"], *releases_from_summary(
        [{"version": v, "wheels": [f"Cython-{v}-py3-none-any.whl"]} for v in extra_cython])]
    numpy = list(base.releases["numpy"])
    if numpy_rc:
        numpy += releases_from_summary([{"version": numpy_rc, "requires_python": ">=3.10",
                                         "wheels": [wheel("numpy", numpy_rc, "cp312-cp312")]}])
    return ReleaseIndex({"cython": tuple(cython), "numpy": tuple(numpy)}, source="fake")


def test_what_is_coming_is_the_pre_releases_newer_than_the_newest_final() -> None:
    index = index_with("3.0.0b1", "3.1.0rc1", "3.1.0.dev1")
    assert [str(v) for v in pre_releases(index, "cython")] == ["3.0.0b1", "3.1.0b1", "3.1.0rc1"]
    assert [str(v) for v in coming_releases(index, "cython")] == ["3.1.0b1", "3.1.0rc1"]
    assert coming_releases(index, "numpy") == []


def test_a_cython_pre_release_is_planned_beside_the_newest_final_below_it() -> None:
    pairs, plan = plan_canary(interpreters("3.12.1"), fake_index(), Selection(pre=True), CONFIG)
    beside = {p.canary.cell.id: (p.baseline.cell.id, p.coming) for p in pairs}
    assert beside == {
        "py3.12-cy3.1.0b1": ("py3.12-cy3.0.12", "cython 3.1.0b1"),
        "py3.12-cy3.1.0b1-np1.26.4": ("py3.12-cy3.0.12-np1.26.4", "cython 3.1.0b1"),
        "py3.12-cy3.1.0b1-np2.1.3": ("py3.12-cy3.0.12-np2.1.3", "cython 3.1.0b1"),
    }
    assert plan.beside == beside
    assert sorted(p.cell.id for p in plan.cells) == sorted([*beside, *(b for b, _ in
                                                                       beside.values())])
    assert all(p.canary.cell.is_canary and not p.baseline.cell.is_canary for p in pairs)


def test_a_numpy_release_candidate_takes_the_newest_final_cython() -> None:
    index = index_with(numpy_rc="2.2.0rc1")
    pairs, _ = plan_canary(interpreters("3.12.1"), index,
                           Selection(pre=True, numpy=("2.2.0rc1",)), CONFIG)
    assert [(p.canary.cell.id, p.baseline.cell.id) for p in pairs] == [
        ("py3.12-cy3.0.12-np2.2.0rc1", "py3.12-cy3.0.12-np2.1.3")]
    assert pairs[0].coming == "numpy 2.2.0rc1"


def test_named_pre_releases_and_what_the_lane_refuses() -> None:
    index = index_with("3.0.0b1", "3.0.0rc1")
    pairs, _ = plan_canary(interpreters("3.12.1"), index,
                           Selection(pre=True, cython=("3.0.0*",), compilers=("gcc",)), CONFIG)
    assert sorted({p.coming for p in pairs}) == ["cython 3.0.0b1", "cython 3.0.0rc1"]
    assert {p.baseline.cell.cython for p in pairs} == {"0.29.37"}
    _, plan = plan_canary(interpreters("3.12.1"), index,
                          Selection(pre=True, cython=("3.0.0b1",)), CONFIG)
    assert plan.not_tested == ['cython 3.0.0b1: cython 3.0.12 has shipped since, so "What is'
                               ' coming" counts its cells as history (the replay reads them)']
    with pytest.raises(SelectionError, match="--cython 3.0.12: a final release"):
        plan_canary(interpreters("3.12.1"), index, Selection(pre=True, cython=("3.0.12",)),
                    CONFIG)
    with pytest.raises(SelectionError, match="--cython 9.9b1: no such cython pre-release"):
        plan_canary(interpreters("3.12.1"), index, Selection(pre=True, cython=("9.9b1",)),
                    CONFIG)
    with pytest.raises(SelectionError, match="--cython 4.*: matches no cython pre-release"):
        plan_canary(interpreters("3.12.1"), index, Selection(pre=True, cython=("4.*",)), CONFIG)


def test_the_released_grid_refuses_pre_releases_and_leaves_out_a_pre_release_python() -> None:
    with pytest.raises(SelectionError, match="--cython 3.1.0b1: a pre-release.*--pre"):
        plan_grid(interpreters("3.12.1"), fake_index(), Selection(cython=("3.1.0b1",)), CONFIG)
    plan = plan_grid(interpreters("3.12.1", "3.13.0a2"), fake_index(),
                     Selection(cython=("3.0.12",)), CONFIG)
    assert {p.cell.python for p in plan.cells} == {"3.12"}
    assert any("3.13.0a2: a pre-release" in note for note in plan.not_tested)


def test_a_pre_release_python_is_compared_with_the_newest_final_python_below_it() -> None:
    pythons = interpreters("3.12.1", "3.13.0a2")
    pairs, _ = plan_canary(pythons, fake_index(), Selection(pre=True), CONFIG)
    by_python = [(p.canary.cell.id, p.baseline.cell.id) for p in pairs if p.coming.startswith(
        "Python")]
    assert by_python == [("py3.13-cy3.0.12", "py3.12-cy3.0.12")]


def test_nothing_coming_plans_nothing_and_says_so() -> None:
    index = fake_index()
    finals = dataclasses.replace(index, releases={
        "cython": tuple(r for r in index.releases["cython"] if not r.version.is_prerelease),
        "numpy": index.releases["numpy"]})
    pairs, plan = plan_canary(interpreters("3.12.1"), finals, Selection(pre=True), CONFIG)
    assert pairs == [] and plan.cells == []
    assert plan.not_tested == ["nothing is coming: no pre-release newer than cython 3.0.12 or"
                               " numpy 2.1.3 on the package index, and no pre-release Python"
                               " here"]

