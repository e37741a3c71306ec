"""Which of a case's build options need a module of their own, and which apply to its code alone.

Cases share one extension module per cell when they share its *module configuration*: the same
language level, the same module-wide directives, the same C or C++ mode, the same Limited API
version and the same macros (:class:`matrix.model.cases.BuildOptions`).  A directive that
Cython also accepts on a class (``@cython.boundscheck(False)``) does not need that: it is
applied to the case's own top-level classes, and the case joins the batch of the rest of its
configuration.  The case's records still name the directive (its declared options); only where
Cython reads it changes, from the module's header to the case's classes.
"""

from __future__ import annotations

import re
from dataclasses import replace

from matrix.model.cases import TOP_LEVEL_KEYWORD, BuildOptions, Case, Directive

CLASS_DIRECTIVES = frozenset({
    "always_allow_keywords", "binding", "boundscheck", "cdivision", "cdivision_warnings",
    "cpow", "embedsignature", "infer_types", "initializedcheck", "nonecheck", "overflowcheck",
    "overflowcheck.fold", "wraparound"})
"""Directives Cython applies to a class's methods when given as a class decorator (its
documentation, "Compiler directives", *Locally*: "by decorating a function or class";
``Cython.Compiler.Options.directive_scopes`` restricts none of them to the module, checked
against the installed Cython by ``tests/test_directives.py``).  Measured here on Cython 0.27.3
and 3.3.1: ``@cython.boundscheck(False)`` on a ``cdef class`` removes the bounds checks of its
methods' memoryview indexing, as the module header does.  Any other directive (``language_level``,
``freethreading_compatible``, ``c_string_type``, one this table does not know) stays
module-wide."""

_CLASS_LINE = re.compile(r"^(?:cdef\s+(?:(?:public|api|final|readonly)\s+)*class|class)\s")


def takes_locally(case: Case) -> tuple[Directive, ...]:
    """The case's directives that can be applied to its own classes instead of its module: those
    in :data:`CLASS_DIRECTIVES`, when every top-level definition of its code is a class (a
    top-level function would escape a class decorator, so such a case keeps its header)."""
    local = tuple(d for d in case.options.directives if d[0] in CLASS_DIRECTIVES)
    if not local:
        return ()
    for line in case.code.splitlines():
        if (TOP_LEVEL_KEYWORD.match(line) and not _CLASS_LINE.match(line)
                and not line.startswith(("ctypedef", "cdef extern"))):
            return ()
    return local


def module_configuration(case: Case) -> BuildOptions:
    """What the case's module must be built with: its options without the directives applied
    to its classes (:func:`takes_locally`).  Cases with equal configurations share a module."""
    local = takes_locally(case)
    if not local:
        return case.options
    return replace(case.options,
                   directives=tuple(d for d in case.options.directives if d not in local))


def module_code(case: Case) -> str:
    """The case's code as its module includes it: with each directive of
    :func:`takes_locally` as a decorator on each of its top-level classes (``cimport cython``
    first), else as written."""
    local = takes_locally(case)
    if not local:
        return case.code
    decorators = "".join(f"@cython.{name}({value!r})\n" for name, value in local)
    lines = ["cimport cython\n"]
    for line in case.code.splitlines(keepends=True):
        if _CLASS_LINE.match(line):
            lines.append(decorators)
        lines.append(line)
    return "".join(lines)
