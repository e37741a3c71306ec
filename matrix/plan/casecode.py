"""A case's code checked before anything is built: its ``.pyx`` defines the case's class with the
methods every case needs (``source()`` and ``target()``: cases/README.md), read with Cython's own
parser.

A case whose class lacks one would build and run, and answer nothing (its probes would fail one
by one): an authoring error, named with its file before a cell is planned.  Code that Cython's
parser rejects is *not* an authoring error here: whether Cython accepts the code is what the
matrix measures (a ``cythonize-error`` record), so such a file passes this check.

A case's code is parsed once: a file named by its content hash under the cache folder marks it
checked (importing Cython's compiler takes about 0.6 s, parsing every case 0.5 s more).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from matrix.model.cases import Case
from matrix.model.errors import CaseDefinitionError

REQUIRED_METHODS = ("source", "target")
"""What the probes call on every case (cases/README.md, "The probe contract")."""


def _children(node: Any) -> Iterator[Any]:
    for name in getattr(node, "child_attrs", ()):
        child = getattr(node, name, None)
        for item in child if isinstance(child, list) else [child]:
            if item is not None:
                yield item
                yield from _children(item)


def methods_of(code: str, name: str, symbol: str) -> set[str] | None:
    """The ``def`` methods of the class ``symbol`` (a ``cdef class`` or a Python class) in
    ``code``; ``None`` when Cython's parser rejects the code (measured, not judged, here)."""
    from Cython.Compiler import Nodes
    from Cython.Compiler.Errors import CompileError
    from Cython.Compiler.TreeFragment import parse_from_strings

    parse: Any = parse_from_strings  # Cython's compiler is untyped
    try:
        tree = parse(name, code)
    except CompileError:
        return None
    for node in _children(tree):
        named = (getattr(node, "class_name", None) if isinstance(node, Nodes.CClassDefNode)
                 else getattr(node, "name", None) if isinstance(node, Nodes.PyClassDefNode)
                 else None)
        if named == symbol:
            return {str(getattr(d, "name", "")) for d in _children(node)
                    if isinstance(d, Nodes.DefNode)}
    return set()


def check_case_code(cases: Sequence[Case], cache: Path | None = None) -> None:
    """Raise :class:`CaseDefinitionError` naming the ``.pyx`` of the first case whose class is
    missing or lacks a :data:`REQUIRED_METHODS` method; ``cache``: a folder where each checked
    case's content hash is kept."""
    for case in cases:
        mark = cache / f"{case.content_hash}.ok" if cache is not None else None
        if mark is not None and mark.exists():
            continue
        code = case.code or case.pyx_path.read_text(encoding="utf-8")
        found = methods_of(code, case.pyx_path.name, case.symbol)
        if found is not None:
            if not found:
                raise CaseDefinitionError(case.pyx_path, f"class {case.symbol}",
                                          "no such class: a case's .pyx defines one, named"
                                          " after its id")
            missing = [m for m in REQUIRED_METHODS if m not in found]
            if missing:
                raise CaseDefinitionError(
                    case.pyx_path, f"class {case.symbol}",
                    f"has no {', '.join(f'{m}()' for m in missing)}: every case defines"
                    f" {' and '.join(f'{m}()' for m in REQUIRED_METHODS)} (cases/README.md)")
        if mark is not None:
            try:
                mark.parent.mkdir(parents=True, exist_ok=True)
                mark.touch()
            except OSError:
                pass  # a cache that cannot be written is passed over
