"""Version keys of the published data's axis values: versions parsed once, put in order (a
Python of another interpreter kind right after CPython's of the same minor), and the Python
release a cell was measured on (which the page's data uses too, :mod:`report.render_html`)."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

from matrix.model.interpreters import axis_key, kind_id

Row = dict[str, str]
"""One cell row of the published data (``compat.csv.gz``): every field is text."""


@functools.cache
def parse_version(value: str) -> Version | None:
    """A version parsed once per distinct text (a query tests thousands of rows)."""
    try:
        return Version(value)
    except InvalidVersion:
        return None


def version_order(value: str) -> tuple[Version, int, str]:
    """Versions oldest first; a Python axis value of another interpreter kind (``3.13t``,
    ``pypy3.11``) by its language minor, right after CPython's."""
    version = parse_version(value)
    if version is not None:
        return (version, 0, value)
    python = axis_key(value)
    return (*python, value) if python is not None else (Version("0"), 0, value)


def sorted_values(values: Iterable[str]) -> list[str]:
    """The distinct values, in :func:`version_order`."""
    return sorted(set(values), key=version_order)


def language_minor(label: str) -> Version | None:
    """The language minor of a Python axis value: ``3.11`` for ``3.11`` and ``pypy3.11``."""
    python = axis_key(label)
    return python[0] if python is not None else parse_version(label)


def python_release(python: str, measured: str | None) -> str:
    """The Python release a cell was measured on: the exact patch release (``measured``, a
    row's ``python_version`` or a record's provenance) when it is a version, else the minor
    (``python``, the Python axis value)."""
    return measured if measured and parse_version(measured) is not None else python


def row_release(row: Row) -> str:
    """:func:`python_release` of a cell row."""
    return python_release(row["python"], row.get("python_version"))


def row_kind(row: Row) -> str:
    """The interpreter kind of a cell row, from its Python axis value (``pypy3.11``: PyPy)."""
    return kind_id(str(row["python"]))


def row_family(row: Row) -> str:
    """``core`` or ``numpy`` (numpy and ABI cells)."""
    return "core" if row["kind"] == "core" else "numpy"
