"""The compiler axis: which C compiler builds a cell's generated C (the C is generated once and
compiled per compiler).

* ``gcc`` -- the system C compiler (``$CC``, default ``gcc``; 12.2 on Debian 12);
* ``clang`` -- clang from the ``ziglang`` wheel on PyPI (``python -m ziglang cc``), installed by
  the harness into an environment of its own like any other (pinned here:
  :data:`ZIGLANG_VERSION`; run by :mod:`matrix.build.cc`); zig builds its own caches on first
  use (about 20 s), later compiles are as fast as gcc's;
* ``gcc14-errors`` -- the system gcc with GCC 14's new default errors enabled
  (implicit function declarations, implicit ``int``, int-conversion, incompatible pointer
  types): "gcc 12 with GCC 14 error defaults", not GCC 14 itself;
* ``gcc-asan`` -- the system gcc with AddressSanitizer (``-fsanitize=address``): the cell's
  Python runs with ASan's runtime preloaded (``gcc -print-file-name=libasan.so``), CPython's
  own allocator replaced by ``malloc`` (``PYTHONMALLOC=malloc``, so that freed object memory
  is ASan's to watch) and leak detection off; the runner then reads through each target once
  more after its source was resized, so a dangling target is caught at the read.  CPython 3.6+
  with the GIL only (:func:`sanitizer_unavailable` says why not elsewhere).

A record of the default compiler keeps the cell id it always had; other compilers add their id
(``py3.11-cy0.29.37-clang``).  The compiler's version and its extra flags are part of every
key, its id part of the cell and of the provenance.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matrix.model.errors import SelectionError

if TYPE_CHECKING:
    from matrix.model.interpreters import InterpreterId

DEFAULT_COMPILER = "gcc"
GCC14_ERRORS: tuple[str, ...] = (
    "-Werror=implicit-function-declaration",
    "-Werror=implicit-int",
    "-Werror=int-conversion",
    "-Werror=incompatible-pointer-types",
)
"""What GCC 14 turned from warnings into errors by default (its porting guide, "Certain
warnings are now errors")."""
ASAN_FLAGS: tuple[str, ...] = ("-fsanitize=address", "-fno-omit-frame-pointer")
"""AddressSanitizer's flags (compile and link: the module is built in one ``-shared`` step)."""
ASAN_OPTIONS = ("detect_leaks=0",)
"""An interpreter leaks by design at exit: LeakSanitizer would report that, not the case."""
ZIGLANG_VERSION = "0.17.1"
"""The ``ziglang`` wheel whose ``zig cc`` is the clang entry (clang 22.1)."""


@dataclass(frozen=True)
class CompilerSpec:
    """One entry of the compiler axis."""

    id: str
    title: str
    extra_flags: tuple[str, ...] = ()
    uses_zig: bool = False
    sanitizer: str | None = None
    """``"address"``: built with AddressSanitizer, run with its runtime (the runner's
    ``MATRIX_SANITIZER``)."""


COMPILERS: dict[str, CompilerSpec] = {
    "gcc": CompilerSpec("gcc", "the system gcc"),
    "clang": CompilerSpec("clang", f"clang from the ziglang {ZIGLANG_VERSION} wheel (zig cc)",
                          uses_zig=True),
    "gcc14-errors": CompilerSpec("gcc14-errors", "the system gcc with GCC 14's error defaults"
                                 " (not GCC 14)", GCC14_ERRORS),
    "gcc-asan": CompilerSpec("gcc-asan", "the system gcc with AddressSanitizer"
                             " (-fsanitize=address), run with PYTHONMALLOC=malloc",
                             ASAN_FLAGS, sanitizer="address"),
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


def sanitizer_unavailable(python: InterpreterId) -> str | None:
    """Why AddressSanitizer cannot watch ``python``'s object memory, or ``None`` (CPython 3.6+
    with the GIL).  ASan sees only ``malloc``'s heap; CPython 3.6 added ``PYTHONMALLOC=malloc``
    (PEP 445's allocators, its "PYTHONMALLOC" documentation) to route objects there."""
    if python.kind.implementation != "CPython":
        return (f"AddressSanitizer cannot see {python.kind.name}'s heap: its objects live in its"
                " own garbage-collected memory, not malloc's")
    if python.kind.free_threaded:
        return ("AddressSanitizer cannot see free-threaded CPython's heap: it refuses"
                " PYTHONMALLOC=malloc ('unknown allocator'; its objects live in mimalloc's heap)")
    if (python.version.major, python.version.minor) < (3, 6):
        return (f"AddressSanitizer cannot see CPython {python.minor}'s heap: PYTHONMALLOC=malloc"
                " (to route objects through malloc) exists from CPython 3.6")
    return None


def sanitizer_env(compiler: str, libasan: str, log_prefix: str) -> dict[str, str]:
    """The environment a ``compiler`` cell's Python runs in: empty for a compiler without a
    sanitizer; for ``gcc-asan``, ASan's runtime preloaded (``libasan``: the path ``gcc
    -print-file-name=libasan.so`` printed), ``PYTHONMALLOC=malloc``, :data:`ASAN_OPTIONS` and
    ASan's reports written to ``<log_prefix>.<pid>`` (read by the runner, per case)."""
    if spec(compiler).sanitizer is None:
        return {}
    return {"LD_PRELOAD": libasan, "PYTHONMALLOC": "malloc", "MATRIX_SANITIZER": "address",
            "ASAN_OPTIONS": ":".join((*ASAN_OPTIONS, f"log_path={log_prefix}"))}
