"""The compiler axis: which C compiler builds a cell's generated C (the C is generated once and
compiled per compiler).

* ``gcc`` -- the system C compiler (``$CC``, default ``gcc``; 12.2 on Debian 12);
* ``clang`` -- clang from the ``ziglang`` wheel on PyPI (``python -m ziglang cc``), installed by
  the harness into an environment of its own like any other (pinned here:
  :data:`ZIGLANG_VERSION`; run by :mod:`matrix.build.cc`); zig builds its own caches on first
  use (about 20 s), later compiles are as fast as gcc's;
* ``gcc14-errors`` -- the system gcc with GCC 14's new default errors enabled
  (implicit function declarations, implicit ``int``, int-conversion, incompatible pointer
  types): "gcc 12 with GCC 14 error defaults", not GCC 14 itself.

A record of the default compiler keeps the cell id it always had; other compilers add their id
(``py3.11-cy0.29.37-clang``).  The compiler's version and its extra flags are part of every
key, its id part of the cell and of the provenance.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from matrix.model.errors import SelectionError

DEFAULT_COMPILER = "gcc"
GCC14_ERRORS: tuple[str, ...] = (
    "-Werror=implicit-function-declaration",
    "-Werror=implicit-int",
    "-Werror=int-conversion",
    "-Werror=incompatible-pointer-types",
)
"""What GCC 14 turned from warnings into errors by default (its porting guide, "Certain
warnings are now errors")."""
ZIGLANG_VERSION = "0.17.1"
"""The ``ziglang`` wheel whose ``zig cc`` is the clang entry (clang 22.1)."""


@dataclass(frozen=True)
class CompilerSpec:
    """One entry of the compiler axis."""

    id: str
    title: str
    extra_flags: tuple[str, ...] = ()
    uses_zig: bool = False


COMPILERS: dict[str, CompilerSpec] = {
    "gcc": CompilerSpec("gcc", "the system gcc"),
    "clang": CompilerSpec("clang", f"clang from the ziglang {ZIGLANG_VERSION} wheel (zig cc)",
                          uses_zig=True),
    "gcc14-errors": CompilerSpec("gcc14-errors", "the system gcc with GCC 14's error defaults"
                                 " (not GCC 14)", GCC14_ERRORS),
}


def spec(compiler: str) -> CompilerSpec:
    try:
        return COMPILERS[compiler]
    except KeyError:
        raise SelectionError(f"--compiler {compiler}: no such compiler (known: "
                             f"{', '.join(COMPILERS)})") from None


def select_compilers(items: tuple[str, ...]) -> tuple[str, ...]:
    """``--compiler gcc,cl*`` -> compiler ids; a pattern matching none is an error naming it."""
    chosen: list[str] = []
    for item in items:
        matched = [c for c in COMPILERS if fnmatch.fnmatchcase(c, item)]
        if not matched:
            raise SelectionError(f"--compiler {item}: matches no compiler (known: "
                                 f"{', '.join(COMPILERS)})")
        chosen.extend(c for c in matched if c not in chosen)
    return tuple(chosen)


def base_cflags(compiler: str, cflags: tuple[str, ...]) -> tuple[str, ...]:
    """A record's flags without its compiler's own: the run's flags that measured it (the
    engine adds the compiler's flags back, so a re-measurement is the same measurement)."""
    extra = spec(compiler).extra_flags
    if extra and cflags[-len(extra):] == extra:
        return cflags[:-len(extra)]
    return cflags


def version_of(compiler: str, system_cc_version: str) -> str:
    """The version that goes into keys: the system compiler's, or the pinned zig's clang."""
    if spec(compiler).uses_zig:
        return f"clang (ziglang {ZIGLANG_VERSION})"
    return system_cc_version
