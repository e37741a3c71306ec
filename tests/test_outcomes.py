"""The closed set of outcomes (matrix/model/outcomes.py): what each says about the case, and the
stage each failure stopped at."""

from __future__ import annotations

from matrix.model.outcomes import Outcome, Stage


def test_each_outcome_is_a_success_a_failure_or_untried() -> None:
    for outcome in Outcome:
        kinds = [outcome is Outcome.OK, outcome.failed, outcome.could_not_be_tried]
        assert kinds.count(True) == 1, outcome
    assert {o for o in Outcome if o.could_not_be_tried} == {Outcome.ENV_ERROR,
                                                           Outcome.NOT_POSSIBLE}


def test_every_failure_has_a_stage_and_nothing_else_has_one() -> None:
    assert {o for o in Outcome if o.stage is not None} == {o for o in Outcome if o.failed}
    assert Outcome.CYTHONIZE_ERROR.stage is Stage.CYTHONIZE
    assert Outcome.CC_ERROR.stage is Stage.COMPILE
    assert Outcome.IMPORT_ERROR.stage is Stage.IMPORT
    assert {o for o in Outcome if o.stage is Stage.RUN} == {
        Outcome.RUN_ERROR, Outcome.CRASH, Outcome.MEMORY_ERROR, Outcome.TIMEOUT}
    assert [s for s in Stage if s.is_build] == [Stage.CYTHONIZE, Stage.COMPILE]
    assert [s.value for s in Stage] == ["cythonize", "compile", "import", "run"]  # pipeline order
