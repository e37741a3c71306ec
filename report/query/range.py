"""The support range: a PEP 440 specifier per axis (Python, Cython, numpy) and the interpreter
kinds in range, parsed from the command's flags, and which cell rows it holds."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from matrix.model.interpreters import DEFAULT_KIND, KINDS
from report.query.status import QueryError
from report.query.versions import Row, parse_version, row_kind, row_release

AXES = ("python", "cython", "numpy")


@dataclass(frozen=True)
class SupportRange:
    """A specifier per axis (empty: any version)."""

    python: SpecifierSet = field(default_factory=SpecifierSet)
    cython: SpecifierSet = field(default_factory=SpecifierSet)
    numpy: SpecifierSet = field(default_factory=SpecifierSet)
    written: tuple[str, str, str] = field(default=("", "", ""), compare=False)
    """The specifiers as given (for messages naming the flag)."""
    interpreters: frozenset[str] = frozenset({DEFAULT_KIND})
    """The interpreter kinds in range (ids of ``matrix/data/interpreters.toml``)."""

    @staticmethod
    def parse_interpreters(text: str | None) -> frozenset[str]:
        """``--interpreter cpython,pypy`` (or ``all``); raises :class:`QueryError` naming the
        flag for a kind the data file does not have.  ``None``: CPython."""
        if text is None:
            return frozenset({DEFAULT_KIND})
        items = [item.strip() for item in text.split(",") if item.strip()]
        if items == ["all"]:
            return frozenset(KINDS)
        unknown = [item for item in items if item not in KINDS]
        if unknown or not items:
            raise QueryError(f"--interpreter '{text}': not an interpreter kind (choose from"
                             f" {', '.join(KINDS)}, or all)")
        return frozenset(items)

    def holds_kind(self, row: Row) -> bool:
        """The row's interpreter kind is one the range names."""
        return row_kind(row) in self.interpreters

    @classmethod
    def parse(cls, python: str | None, cython: str | None, numpy: str | None, *,
              given: bool = False, interpreters: str | None = None) -> SupportRange:
        """Raises :class:`QueryError` naming the flag of a specifier that does not parse; with
        ``given`` (the flags as typed), also for an empty one (``--python ''``: an unset
        variable would silently widen the range to any version). ``None``, or ``""`` without
        ``given``: any version."""
        for axis, text in zip(AXES, (python, cython, numpy)):
            if given and text is not None and not text.strip():
                raise QueryError(f"--{axis} '{text}': an empty specifier (an unset variable?);"
                                 " leave the flag out for any version")
        specifiers = {}
        for axis, text in zip(AXES, (python, cython, numpy)):
            try:
                specifiers[axis] = SpecifierSet(text or "")
            except InvalidSpecifier:
                raise QueryError(f"--{axis} '{text}': not a version specifier (PEP 440, e.g."
                                 " '>=3.8' or '>=0.29,<4')") from None
        return cls(written=(python or "", cython or "", numpy or ""),
                   interpreters=cls.parse_interpreters(interpreters), **specifiers)

    def text(self) -> str:
        specs = ", ".join(f"{axis} {spec or 'any'}" for axis, spec in
                          zip(AXES, (self.python, self.cython, self.numpy)))
        if self.interpreters == {DEFAULT_KIND}:
            return specs
        return f"{specs}; interpreters {', '.join(sorted(self.interpreters))}"

    def spec(self, axis: str) -> SpecifierSet:
        return {"python": self.python, "cython": self.cython, "numpy": self.numpy}[axis]

    def flag(self, axis: str) -> str:
        """``--python '>=3.9'``: the flag and the specifier as given."""
        text = self.written[AXES.index(axis)] or str(self.spec(axis))
        return f"--{axis} '{text}'"

    @staticmethod
    @functools.cache
    def _holds(spec: SpecifierSet, value: str) -> bool:
        version = parse_version(value)
        return version is not None and spec.contains(version, prereleases=True)

    def holds_axis(self, axis: str, row: Row) -> bool:
        """The row satisfies one axis (numpy: both the build and the run numpy; a core row
        always satisfies the numpy axis)."""
        if axis == "python":
            return self._holds(self.python, row_release(row))
        if axis == "cython":
            return self._holds(self.cython, row["cython"])
        if row["kind"] == "core":
            return True
        return (self._holds(self.numpy, row["numpy_build"])
                and self._holds(self.numpy, row["numpy_run"]))

    def holds(self, row: Row) -> bool:
        """The cell row is in range."""
        return self.holds_kind(row) and all(self.holds_axis(axis, row) for axis in AXES)
