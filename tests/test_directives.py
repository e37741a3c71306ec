"""Which directives a case can take on its classes (joining its configuration's batch), and how
its code carries them; the table is checked against the installed Cython's own."""

from __future__ import annotations

from pathlib import Path

from Cython.Compiler import Options

from matrix.model.cases import BuildOptions, load_case
from matrix.model.directives import (
    CLASS_DIRECTIVES,
    module_code,
    module_configuration,
    takes_locally,
)

from .test_cases import GOOD_TOML, write_case

CLASS_ONLY_PYX = """\
# cython: boundscheck=False
cdef extern from "string.h":
    size_t strlen(const char*)

ctypedef int demo_case_int

cdef class demo_case:
    cdef int[:] view
    def __init__(self):
        pass

cdef class demo_case_helper:
    pass
"""


def _case(tmp_path: Path, pyx: str, options: str = ""):  # type: ignore[no-untyped-def]
    return load_case(write_case(tmp_path, GOOD_TOML + options, pyx))


def test_no_class_directive_is_module_only_in_cython() -> None:
    """Cython's own table of where a directive may appear: none of ours is module-only."""
    scopes = Options.directive_scopes
    assert not [name for name in CLASS_DIRECTIVES if scopes.get(name) == ("module",)]
    assert {name for name in CLASS_DIRECTIVES if "." not in name} <= set(Options.directive_types)
    # ... and the module-only ones the catalogue uses are not in it
    assert scopes["freethreading_compatible"] == ("module",)
    assert scopes["language_level"] == ("module",)
    assert not {"freethreading_compatible", "language_level"} & CLASS_DIRECTIVES


def test_class_directives_go_on_the_classes_and_the_case_joins_the_batch(
        tmp_path: Path) -> None:
    case = _case(tmp_path, CLASS_ONLY_PYX)
    assert case.options.directives == (("boundscheck", False),)  # the record still names it
    assert takes_locally(case) == (("boundscheck", False),)
    assert module_configuration(case) == BuildOptions()
    code = module_code(case)
    assert code.startswith("cimport cython\n")
    assert code.count("@cython.boundscheck(False)\ncdef class ") == 2
    assert "@cython.boundscheck(False)\nctypedef" not in code


def test_a_top_level_function_keeps_the_directive_module_wide(tmp_path: Path) -> None:
    case = _case(tmp_path, CLASS_ONLY_PYX + "\ndef demo_case_f():\n    pass\n")
    assert takes_locally(case) == ()
    assert module_configuration(case) == case.options
    assert module_code(case) == case.code


def test_module_only_directives_and_other_options_stay(tmp_path: Path) -> None:
    case = _case(tmp_path, CLASS_ONLY_PYX.replace(
        "boundscheck=False", "boundscheck=False, language_level=2"),
        '\n[options]\ncplus = true\n')
    assert takes_locally(case) == (("boundscheck", False),)
    assert module_configuration(case) == BuildOptions(
        directives=(("language_level", 2),), cplus=True)


def test_without_directives_the_code_is_as_written(tmp_path: Path) -> None:
    case = _case(tmp_path, CLASS_ONLY_PYX.replace("# cython: boundscheck=False\n", ""))
    assert module_code(case) == case.code and module_configuration(case) == BuildOptions()
