"""The compiler axis: which C compiler builds a cell's generated C (the C is generated once and
compiled per compiler).

The entries are the tables of ``matrix/data/compilers.toml`` (its comments say what each field
means), in its order; the first is the default.  Today:

* ``gcc`` -- the system C compiler (``$CC``, default ``gcc``; 12.2 on Debian 12);
* ``clang`` -- clang from the ``ziglang`` wheel on PyPI (``python -m ziglang cc``), installed by
  the harness into an environment of its own like any other (run by :mod:`matrix.build.cc`);
* ``gcc14-errors`` -- the system gcc with GCC 14's new default errors enabled;
* ``gcc-asan`` -- the system gcc with AddressSanitizer (``-fsanitize=address``): the cell's
  Python runs with ASan's runtime preloaded (``gcc -print-file-name=libasan.so``), CPython's
  own allocator replaced by ``malloc`` (``PYTHONMALLOC=malloc``, so that freed object memory
  is ASan's to watch) and leak detection off; the runner then reads through each target once
  more after its source was resized, so a dangling target is caught at the read.  CPython 3.6+
  with the GIL only (:func:`sanitizer_unavailable` says why not elsewhere).

A record of the default compiler keeps the cell id it always had; other compilers add their id
(``py3.11-cy0.29.37-clang``).  The compiler's version and its extra flags are part of every
key, its id part of the cell and of the provenance.  Adding a compiler that is the system
compiler with other flags, or another zig release, is a table in the data file and nothing else.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matrix.model.errors import SelectionError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

if TYPE_CHECKING:
    from matrix.model.interpreters import InterpreterId

COMPILERS_FILE = Path(__file__).resolve().parents[1] / "data" / "compilers.toml"

ASAN_OPTIONS = ("detect_leaks=0",)
"""An interpreter leaks by design at exit: LeakSanitizer would report that, not the case."""

GRID_GROUPS = ("core", "newest-numpy")
"""The cell groups a compiler's ``grid`` may list (``"every"``: every cell)."""

SANITIZERS = ("address",)


@dataclass(frozen=True)
class CompilerSpec:
    """One entry of the compiler axis: a table of ``compilers.toml``."""

    id: str
    title: str
    extra_flags: tuple[str, ...] = ()
    ziglang: str | None = None
    """The pinned ``ziglang`` wheel whose ``zig cc`` this is; ``None``: the system compiler."""
    sanitizer: str | None = None
    """``"address"``: built with AddressSanitizer, run with its runtime (the runner's
    ``MATRIX_SANITIZER``)."""
    grid: tuple[str, ...] = ("every",)
    """The default grid's cells it builds: ``("every",)``, or some of :data:`GRID_GROUPS`."""

    @property
    def uses_zig(self) -> bool:
        """Run as ``zig cc`` from the pinned ``ziglang`` wheel."""
        return self.ziglang is not None

    def builds(self, group: str) -> bool:
        """Whether the default grid has this compiler build cells of ``group``
        (one of :data:`GRID_GROUPS`)."""
        return "every" in self.grid or group in self.grid


def _spec(path: Path, compiler_id: str, table: Mapping[str, Any]) -> CompilerSpec:
    where = f"{path}: [{compiler_id}]"
    unknown = set(table) - {"title", "flags", "ziglang", "sanitizer", "grid"}
    if unknown:
        raise ValueError(f"{where}: unknown fields {sorted(unknown)}")
    title, flags = table.get("title"), table.get("flags", [])
    ziglang, sanitizer = table.get("ziglang"), table.get("sanitizer")
    grid = table.get("grid", "every")
    if not isinstance(title, str) or not title:
        raise ValueError(f"{where}: title must be a non-empty string")
    if not isinstance(flags, list) or not all(isinstance(f, str) and f for f in flags):
        raise ValueError(f"{where}: flags must be a list of C flags")
    if ziglang is not None and not isinstance(ziglang, str):
        raise ValueError(f"{where}: ziglang must be a version string")
    if sanitizer is not None and sanitizer not in SANITIZERS:
        raise ValueError(f"{where}: sanitizer must be one of {list(SANITIZERS)}")
    groups = (grid,) if grid == "every" else grid
    if not isinstance(groups, (list, tuple)) or not groups or not all(
            g == "every" or g in GRID_GROUPS for g in groups):
        raise ValueError(f'{where}: grid must be "every" or a list of {list(GRID_GROUPS)}')
    return CompilerSpec(compiler_id, title.format(ziglang=ziglang), tuple(flags), ziglang,
                        sanitizer, tuple(groups))


def load_compilers(path: Path = COMPILERS_FILE) -> dict[str, CompilerSpec]:
    """The compilers of ``path``, in its order (the first is the default); raises
    ``ValueError`` naming the file and the table."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: {exc}") from None
    compilers: dict[str, CompilerSpec] = {}
    for compiler_id, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(f"{path}: {compiler_id}: a table per compiler, [{compiler_id}]")
        compilers[compiler_id] = _spec(path, compiler_id, table)
    if not compilers:
        raise ValueError(f"{path}: no compiler")
    default = next(iter(compilers.values()))
    if default.grid != ("every",) or default.sanitizer is not None:
        raise ValueError(f"{path}: [{default.id}]: the default compiler (the first table) builds"
                         ' every cell (grid = "every") and has no sanitizer')
    return compilers


COMPILERS: dict[str, CompilerSpec] = load_compilers()
DEFAULT_COMPILER = next(iter(COMPILERS))


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
    pinned = spec(compiler).ziglang
    if pinned is not None:
        return f"clang (ziglang {pinned})"
    return system_cc_version


def sanitizer_unavailable(python: InterpreterId) -> str | None:
    """Why AddressSanitizer cannot watch ``python``'s object memory, or ``None`` (CPython 3.6+
    with the GIL).  ASan sees only ``malloc``'s heap; CPython 3.6 added ``PYTHONMALLOC=malloc``
    (PEP 445's allocators, its "PYTHONMALLOC" documentation) to route objects there."""
    if python.kind.implementation != "CPython":
        return (f"AddressSanitizer cannot see {python.kind.title}'s heap: its objects live in its"
                " own garbage-collected memory, not malloc's")
    if python.kind.free_threaded:
        return (f"AddressSanitizer cannot see {python.kind.title}'s heap: it refuses"
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
