"""Real builds: a class-level directive applied to a batched case's classes does in its module
what the case's header does alone (on Cython 0.27.3 under Python 2.7, and 3.2.9)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matrix.build.envs import EnvFailure, EnvSpec, ensure_env
from matrix.build.generate import generate
from matrix.model.cases import load_case, load_cases
from matrix.model.directives import module_configuration
from matrix.plan.interpreters import Interpreter
from matrix.store.paths import PROJECT_ROOT

from .conftest import FIXTURES, need_python
from .test_cases import GOOD_TOML, write_case

pytestmark = pytest.mark.slow

INDEXING = """\
# cython: boundscheck=False, wraparound=False
cdef class demo_case:
    cdef int[:] view
    def __init__(self, int[:] view):
        self.view = view
    def get(self, Py_ssize_t i):
        return self.view[i]
"""


@pytest.mark.parametrize(("minor", "cython"), [("2.7", "0.27.3"), ("3.11", "3.2.9")])
def test_a_class_directive_in_a_batch_acts_as_the_header_does(
        interpreters: dict[str, Interpreter], tmp_path: Path, minor: str, cython: str) -> None:
    env = ensure_env(EnvSpec(need_python(interpreters, minor), cython, None),
                     PROJECT_ROOT / ".cache" / "envs")
    assert not isinstance(env, EnvFailure), env
    case = load_case(write_case(tmp_path, GOOD_TOML, INDEXING))
    assert module_configuration(case).is_default  # it joins the default batch
    mate = next(c for c in load_cases(FIXTURES / "cases") if c.id == "fixture-aliases")
    batched = generate(env, [mate, case], None, tmp_path / "generate")
    (tmp_path / "plain").mkdir()
    plain = load_case(write_case(tmp_path / "plain", GOOD_TOML, INDEXING.split("\n", 1)[1]))
    unchecked = generate(env, [mate, plain], None, tmp_path / "generate")
    def checks(c_file: Path) -> int:
        """Bounds checks of memoryview indexing (a call with the failing axis)."""
        return len(re.findall(r"__Pyx_RaiseBufferIndexError\(__pyx_", c_file.read_text()))

    # the same module but the directive: the case's indexing loses its bounds check
    assert checks(unchecked.c_file) >= 1
    assert checks(batched.c_file) == checks(unchecked.c_file) - 1
