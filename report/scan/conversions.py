"""What the scanner found in a Cython source: one :class:`Conversion` per place where code turns
one memory representation into another, with the types Cython's own analysis gave its two sides.
Pure data: :mod:`report.scan.frontend` finds them, :mod:`report.scan.match` matches them to the
measured cases."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNTYPED = "object"
"""A source whose type analysis says only "Python object": what it converts depends on the
object at run time."""

_ARRAY = re.compile(r"^(.*?)\s*\[(\d*)\]$")


def type_name(cython_type: str) -> str:
    """A type as the signatures spell it: Cython's printed name, a builtin Python type without
    `` object`` (``bytes object`` -> ``bytes``), any other Python object ``object``, a C array
    without the space (``int [4]`` -> ``int[4]``)."""
    name = " ".join(cython_type.split())
    if name in ("Python object", "object"):
        return UNTYPED
    if name.endswith(" object"):
        return name[: -len(" object")]
    found = _ARRAY.match(name)
    if found and not name.endswith(":]") and found.group(1) and ":" not in name:
        return f"{found.group(1)}[{found.group(2)}]"
    return name


@dataclass(frozen=True)
class Conversion:
    """One conversion in a source file."""

    path: str
    """The file, as the scan was given it (relative paths stay relative)."""
    line: int
    column: int
    """1-based, as an editor and SARIF count."""
    construct: str
    """One of :data:`matrix.model.cases.CONSTRUCTS`."""
    source: str
    """The converted value's type (:func:`type_name`); :data:`UNTYPED` for an untyped object."""
    target: str
    call: str = ""
    """The callee of a call, method or attribute: ``numpy.asarray``, ``tobytes``."""
    keywords: tuple[str, ...] = ()
    """Keyword arguments passed, as written (``copy=False``)."""
    code: str = ""
    """The source line, stripped."""
    typed: bool = True
    """False where the file's type analysis failed and the conversion was found by parsing alone
    (its types are unknown)."""

    @property
    def where(self) -> str:
        """``path:line:column``."""
        return f"{self.path}:{self.line}:{self.column}"

    @property
    def untyped(self) -> bool:
        return self.source == UNTYPED or not self.typed


@dataclass(frozen=True)
class FileScan:
    """What scanning one file gave: its conversions, and whether type analysis failed (then the
    conversions were found by parsing alone, and ``error`` is Cython's first error)."""

    path: str
    conversions: tuple[Conversion, ...]
    lines: int
    error: str = ""
    """Cython's first error, where the analysis (or the parse) failed."""
    parsed_only: bool = False
    cplus: bool = False
    """Analysed as C++ (:func:`report.scan.frontend.is_cplus`): the case signatures a C++ file
    may match."""
    covers: tuple[str, ...] = ()
    """Other files analysed with this one (the ``.pxd`` files it cimports that the scan was
    given): their conversions are among ``conversions``, under their own path."""
