"""The case-file validator: every bad file gets an error naming the file and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from matrix.model.cases import load_case, load_cases
from matrix.model.errors import CaseDefinitionError
from matrix.store.paths import PROJECT_ROOT

GOOD_TOML = """\
id = "demo-case"
title = "demo"
group = "bytes"
source = "bytearray"
target = "char[:]"

[expect]
copies = false
reference = "guide"
"""

GOOD_PYX = """\
cdef class demo_case:
    def __init__(self):
        pass

def demo_case_helper():
    pass
"""


def write_case(directory: Path, toml: str = GOOD_TOML, pyx: str | None = GOOD_PYX,
               name: str = "demo-case") -> Path:
    path = directory / f"{name}.toml"
    path.write_text(toml)
    if pyx is not None:
        (directory / f"{name}.pyx").write_text(pyx)
    return path


def test_good_case_loads(tmp_path: Path) -> None:
    case = load_case(write_case(tmp_path))
    assert case.id == "demo-case"
    assert case.symbol == "demo_case"
    assert case.expect.copies is False
    assert not case.needs_numpy
    assert len(case.content_hash) == 16


def test_hash_changes_with_code(tmp_path: Path) -> None:
    first = load_case(write_case(tmp_path)).content_hash
    second = load_case(write_case(tmp_path, pyx=GOOD_PYX + "\n# changed\n")).content_hash
    assert first != second


@pytest.mark.parametrize(
    ("edit", "changes"),
    [
        (lambda t: t.replace('title = "demo"', 'title = "a better title"'), False),
        (lambda t: t.replace('reference = "guide"', 'reference = "https://example.org"'), False),
        (lambda t: t + 'note = "see the guide"\n', False),
        (lambda t: t.replace('group = "bytes"', 'group = "array"'), False),
        (lambda t: t.replace("[expect]", 'axes = ["numpy"]\n[expect]'), True),
        (lambda t: t.replace("[expect]", 'build = "alone"\n[expect]'), True),
    ],
    ids=["title", "reference", "note", "group", "axes", "build-mode"],
)
def test_hash_covers_only_what_changes_a_measurement(
        tmp_path: Path, edit: Callable[[str], str], changes: bool) -> None:
    before = load_case(write_case(tmp_path)).content_hash
    after = load_case(write_case(tmp_path, toml=edit(GOOD_TOML))).content_hash
    assert (before != after) is changes


@pytest.mark.parametrize(
    ("toml", "field", "problem"),
    [
        (GOOD_TOML.replace('title = "demo"\n', ""), "title", "non-empty string"),
        (GOOD_TOML.replace('id = "demo-case"', 'id = "Demo_Case"'), "id", "lowercase"),
        (GOOD_TOML.replace('id = "demo-case"', 'id = "other-case"'), "id", "file name"),
        (GOOD_TOML + 'colour = "red"\n', "expect.colour", "unknown field"),
        ('flavour = "x"\n' + GOOD_TOML, "flavour", "unknown field"),
        (GOOD_TOML.replace("copies = false", 'copies = "no"'), "expect.copies", "true, false"),
        (GOOD_TOML.replace('reference = "guide"\n', ""), "expect.reference", "where"),
        (GOOD_TOML.replace("[expect]", 'axes = ["pandas"]\n[expect]'), "axes", "unknown axis"),
        (GOOD_TOML.replace("[expect]", 'axes = "numpy"\n[expect]'), "axes", "list"),
        (GOOD_TOML.replace("[expect]\n", "").replace("copies = false\n", "")
         .replace('reference = "guide"\n', ""), "expect", "table"),
        ("id = [unclosed\n", "<toml>", "not valid TOML"),
        (GOOD_TOML.replace("[expect]", 'variant_of = "no-such-case"\n[expect]'),
         "variant_of", "no case with id"),
        (GOOD_TOML.replace("[expect]", 'build = "sometimes"\n[expect]'), "build", "'alone'"),
        (GOOD_TOML.replace("[expect]", 'role = "baseline"\n[expect]'), "role", "'control'"),
        (GOOD_TOML.replace("[expect]", 'role = "control"\n[expect]'), "build",
         "must be built alone"),
    ],
)
def test_bad_definitions_name_file_and_field(
    tmp_path: Path, toml: str, field: str, problem: str
) -> None:
    path = write_case(tmp_path, toml=toml)
    with pytest.raises(CaseDefinitionError) as info:
        load_cases(tmp_path)
    assert info.value.field == field
    assert info.value.path.name in {path.name, "demo-case.pyx"}
    assert str(path.name) in str(info.value)
    assert problem in str(info.value)


def test_missing_code_file(tmp_path: Path) -> None:
    path = write_case(tmp_path, pyx=None)
    with pytest.raises(CaseDefinitionError, match="demo-case.toml: field 'pyx'"):
        load_case(path)


def test_code_must_define_the_case_class(tmp_path: Path) -> None:
    path = write_case(tmp_path, pyx="cdef class something_else:\n    pass\n")
    with pytest.raises(CaseDefinitionError, match=r"demo-case.pyx: field 'code'.*'demo_case'"):
        load_case(path)


@pytest.mark.parametrize(
    "definition",
    ["def helper():\n    pass\n", "cdef int counter(int x):\n    return x\n",
     "cdef class Other:\n    pass\n", "cpdef int twice(int x):\n    return 2 * x\n"],
)
def test_code_names_must_stay_in_the_case_namespace(tmp_path: Path, definition: str) -> None:
    path = write_case(tmp_path, pyx=GOOD_PYX + "\n" + definition)
    with pytest.raises(CaseDefinitionError, match="must start with 'demo_case_'"):
        load_case(path)


def test_extern_blocks_are_free(tmp_path: Path) -> None:
    pyx = ('cdef extern from "Python.h":\n'
           "    object PyMemoryView_FromMemory(char*, Py_ssize_t, int)\n")
    load_case(write_case(tmp_path, pyx=pyx + GOOD_PYX))


def test_project_cases_all_load() -> None:
    cases = load_cases(PROJECT_ROOT / "cases")
    assert cases, "the project has cases"
    assert len({case.id for case in cases}) == len(cases)
    controls = {case.id: case for case in cases if case.is_control}
    assert set(controls) == {"control-plain", "control-numpy"}
    assert all(case.build_alone for case in controls.values())
    assert [c.needs_numpy for c in (controls["control-plain"], controls["control-numpy"])] == [
        False, True]


def test_a_control_is_a_role_not_a_new_kind_of_code(tmp_path: Path) -> None:
    toml = GOOD_TOML.replace("[expect]", 'role = "control"\nbuild = "alone"\n[expect]')
    write_case(tmp_path, toml=toml)
    (case,) = load_cases(tmp_path)
    assert case.is_control and case.role == "control"
    (tmp_path / "plain").mkdir()
    plain = load_case(write_case(tmp_path / "plain"))
    assert not plain.is_control and plain.role == "conversion"


def test_top_level_names_understand_cython_declarations() -> None:
    from matrix.model.cases import top_level_names

    code = (
        "cdef int* p = NULL\ncdef class A(B):\ncdef inline int f(int x):\nctypedef int myint\n"
        'cdef:\n    int x\ncdef extern from "x.h":\n    int g()\ncdef long[:] mv\n'
        "cdef int[3] arr\ncpdef double twice(double v):\n"
    )
    assert top_level_names(code) == ["p", "A", "f", "myint", "mv", "arr", "twice"]


@pytest.mark.parametrize(
    ("options", "field", "problem"),
    [
        ("[options]\nfoo = 1\n", "options.foo", "unknown option"),
        ("[options]\ncplus = \"yes\"\n", "options.cplus", "true or false"),
        ("[options]\nlimited_api = \"3\"\n", "options.limited_api", "e.g. \"3.11\""),
        ("[options]\nmacros = { \"1BAD\" = \"x\" }\n", "options.macros", "C macro NAME"),
        ("[options]\ndirectives = { language_level = 3 }\n", "options.directives.language_level",
         "contradicts the `# cython:` header"),
    ],
)
def test_bad_build_options_name_file_and_field(tmp_path: Path, options: str, field: str,
                                               problem: str) -> None:
    pyx = "# cython: language_level=2\n" + GOOD_PYX
    write_case(tmp_path, toml=GOOD_TOML.replace("[expect]", options + "\n[expect]"), pyx=pyx)
    with pytest.raises(CaseDefinitionError) as info:
        load_cases(tmp_path)
    assert (info.value.field, problem in str(info.value)) == (field, True), str(info.value)


def test_a_cython_header_is_honoured_and_a_late_one_refused(tmp_path: Path) -> None:
    write_case(tmp_path, pyx="# a comment\n# cython: language_level=2, boundscheck=False\n"
               + GOOD_PYX)
    (case,) = load_cases(tmp_path)
    assert case.options.directives == (("boundscheck", False), ("language_level", 2))
    assert case.options.language_level == "2"
    late = GOOD_PYX + "# cython: boundscheck=False\n"
    write_case(tmp_path, pyx=late)
    with pytest.raises(CaseDefinitionError) as info:
        load_cases(tmp_path)
    assert info.value.field == f"line {len(GOOD_PYX.splitlines()) + 1}"
    assert "ignored by Cython" in str(info.value)
    assert info.value.path.name == "demo-case.pyx"


def test_a_case_without_options_keeps_its_hash() -> None:
    from matrix.model.cases import BuildOptions, measured_hash

    assert measured_hash("code", ["numpy"], "batched") == measured_hash(
        "code", ["numpy"], "batched", BuildOptions())
    limited = BuildOptions(limited_api="3.11")
    assert limited.compile_macros() == (("Py_LIMITED_API", "0x030B0000"),
                                        ("CYTHON_LIMITED_API", "1"))
    assert measured_hash("code", [], "batched", limited) != measured_hash("code", [], "batched")
