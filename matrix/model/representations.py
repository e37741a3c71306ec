"""The representations a chunk of memory has in Cython code: the guide's nine, by the id a
case's ``pair`` names them with (:mod:`matrix.model.coverage` tables the pairs)."""

from __future__ import annotations

REPRESENTATIONS: dict[str, str] = {
    "bytes": "`bytes`",
    "bytearray": "`bytearray`",
    "memoryview": "Python `memoryview`",
    "pointer": "raw pointer (`char*`, `int*`)",
    "typed-memoryview": "typed memoryview (`char[:]`)",
    "array": "`cpython.array`",
    "numpy": "numpy array",
    "c-array": "C array (`int[4]`)",
    "list": "`list`",
}
"""The guide's nine representations, by the id a case's ``pair`` names them with."""
OTHER_ENDS = frozenset({"str literal", "std::string", "mmap"})
"""Ends of a case's pair outside the nine (a literal, a C++ string, an ``mmap.mmap``): allowed,
not tabled."""
