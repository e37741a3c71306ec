"""The support range a project declares in its ``pyproject.toml``, per axis, with where each
came from: Python from ``[project] requires-python``; Cython and numpy from ``[build-system]
requires`` (PEP 508), numpy also from ``[project] dependencies`` (the numpy it runs under).

The query's numpy axis is "built against and run under": when the project declares both, the
specifier is their intersection, and the answer says so.  ``oldest-supported-numpy`` is numpy's
oldest release per Python, not a range: the build side stays open, named.  Markers are not
evaluated (against nothing): a requirement with one is kept, and the answer says so; several
requirements of one name are joined.  An axis the project does not declare stays open ("any",
"not declared").  Flags given override their axis only (:meth:`ProjectRange.overridden`).

Errors name the file and the field (``pyproject.toml: build-system.requires[2] 'Cython >=>3':
not a PEP 508 requirement``) as a :class:`~report.query.status.QueryError` (exit status 2).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from report.query.range import AXES
from report.query.status import QueryError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
REQUIRES_PYTHON = "project.requires-python"
BUILD_REQUIRES = "build-system.requires"
DEPENDENCIES = "project.dependencies"
NOT_DECLARED = "not declared"
OLDEST_SUPPORTED_NUMPY = "oldest-supported-numpy"
"""A build requirement that pins numpy's oldest release per Python: not a range."""


@dataclass(frozen=True)
class Declared:
    """One axis of the range and where it came from."""

    axis: str
    specifier: str | None = None
    """The specifier (``None``: any version); a flag's as typed."""
    source: str = NOT_DECLARED
    """The field it was read from (``build-system.requires``), or the flag (``--python``)."""
    notes: tuple[str, ...] = ()
    """What a reader should know about how it was read (markers kept, ranges joined)."""

    def text(self) -> str:
        """``cython >=3.0 (build-system.requires)``."""
        return f"{self.axis} {self.specifier or 'any'} ({'; '.join((self.source, *self.notes))})"

    def to_json(self) -> dict[str, Any]:
        return {"specifier": self.specifier, "from": self.source, "notes": list(self.notes)}


@dataclass(frozen=True)
class ProjectRange:
    """The range a ``pyproject.toml`` declares, one :class:`Declared` per axis."""

    file: str
    """The file as the answer names it."""
    python: Declared
    cython: Declared
    numpy: Declared

    @property
    def axes(self) -> tuple[Declared, Declared, Declared]:
        return (self.python, self.cython, self.numpy)

    def overridden(self, flags: Mapping[str, str | None]) -> ProjectRange:
        """The range with each flag given (not ``None``) in place of its axis."""
        def pick(declared: Declared) -> Declared:
            text = flags.get(declared.axis)
            return declared if text is None else Declared(declared.axis, text, f"--{declared.axis}")

        return ProjectRange(self.file, *(pick(declared) for declared in self.axes))

    def specifiers(self) -> tuple[str | None, str | None, str | None]:
        """What :meth:`report.query.range.SupportRange.parse` takes: python, cython, numpy."""
        return (self.python.specifier, self.cython.specifier, self.numpy.specifier)

    def text(self) -> str:
        """The answer's first line: ``Range from pyproject.toml: python >=3.9 (...), ...``."""
        return f"Range from {self.file}: " + ", ".join(d.text() for d in self.axes)

    def to_json(self) -> dict[str, Any]:
        """``--json``'s ``range_source``."""
        return {"file": self.file, **{d.axis: d.to_json() for d in self.axes}}


def locate(named: str | None, *, own: Path | None = None) -> Path | None:
    """The ``pyproject.toml`` to read: the one ``--project`` names (a file, or a folder holding
    one; raises :class:`QueryError` when there is none), else ``./pyproject.toml`` if it exists
    and is not ``own`` (the harness's own, which declares the harness's Python, not a range to
    answer); ``None``: no project."""
    if named is not None:
        path = Path(named)
        found = path / PYPROJECT if path.is_dir() else path
        if not found.is_file():
            raise QueryError(f"--project {named}: no {PYPROJECT} there (name a project's folder"
                             f" or its {PYPROJECT})")
        return found
    found = Path(PYPROJECT)
    if not found.is_file() or (own is not None and found.resolve() == own.resolve()):
        return None
    return found


def project_range(named: str | None, flags: Mapping[str, str | None], *,
                  own: Path | None = None) -> ProjectRange | None:
    """The range of the project :func:`locate` finds, each flag given overriding its axis;
    ``None`` when no project is read (none found, or every axis given as a flag and no
    ``--project``)."""
    if named is None and all(flags.get(axis) is not None for axis in AXES):
        return None
    path = locate(named, own=own)
    return None if path is None else read_project(path).overridden(flags)


def read_project(path: Path) -> ProjectRange:
    """The range ``path`` (a ``pyproject.toml``) declares; raises :class:`QueryError` naming
    the file and the field for what cannot be read."""
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QueryError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QueryError(f"{name}: not TOML ({exc})") from None
    project = _table(data, "project", name)
    build = _table(data, "build-system", name)
    built = _requirements(build.get("requires"), BUILD_REQUIRES, name)
    run = _requirements(project.get("dependencies"), DEPENDENCIES, name)
    return ProjectRange(name, _python(project.get("requires-python"), name),
                        _joined("cython", built.get("cython", []), BUILD_REQUIRES),
                        _numpy(built, run))


Found = tuple[int, Requirement]
"""A requirement and its index in its list (for messages naming it)."""


def _table(data: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise QueryError(f"{name}: {key}: not a table")
    return table


def _python(value: object, name: str) -> Declared:
    if value is None:
        return Declared("python")
    if not isinstance(value, str):
        raise QueryError(f"{name}: {REQUIRES_PYTHON} {value!r}: not a string (a PEP 440"
                         " specifier, e.g. '>=3.9')")
    try:
        spec = SpecifierSet(value)
    except InvalidSpecifier:
        raise QueryError(f"{name}: {REQUIRES_PYTHON} '{value}': not a PEP 440 specifier"
                         " (e.g. '>=3.9')") from None
    return Declared("python", str(spec) or None, REQUIRES_PYTHON)


def _requirements(value: object, field: str, name: str) -> dict[str, list[Found]]:
    """The requirements of a PEP 508 list, by normalized name."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise QueryError(f"{name}: {field}: not a list of PEP 508 requirements")
    found: dict[str, list[Found]] = {}
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise QueryError(f"{name}: {field}[{index}] {item!r}: not a string (a PEP 508"
                             " requirement, e.g. 'Cython>=3.0')")
        try:
            requirement = Requirement(item)
        except InvalidRequirement:
            raise QueryError(f"{name}: {field}[{index}] '{item}': not a PEP 508"
                             " requirement") from None
        found.setdefault(canonicalize_name(requirement.name), []).append((index, requirement))
    return found


def _markers(found: Sequence[Found], field: str) -> list[str]:
    """``build-system.requires[1]: marker python_version >= "3.12" kept, not evaluated``."""
    return [f"{field}[{index}]: marker {requirement.marker} kept, not evaluated"
            for index, requirement in found if requirement.marker is not None]


def _spec(found: Sequence[Found]) -> SpecifierSet:
    """The specifiers of ``found`` joined (every one holds)."""
    return functools.reduce(lambda a, b: a & b, (r.specifier for _, r in found), SpecifierSet())


def _joined(axis: str, found: Sequence[Found], field: str) -> Declared:
    """The axis as the requirements of one list declare it."""
    if not found:
        return Declared(axis)
    notes = _markers(found, field)
    if len(found) > 1:
        notes.insert(0, f"{len(found)} requirements joined")
    spec = str(_spec(found))
    if not spec:
        notes.insert(0, "no version given")
    return Declared(axis, spec or None, field, tuple(notes))


def _numpy(built: Mapping[str, list[Found]], run: Mapping[str, list[Found]]) -> Declared:
    """numpy, built against (``build-system.requires``) and run under
    (``project.dependencies``): the intersection where both are declared."""
    oldest = [f"{OLDEST_SUPPORTED_NUMPY} is numpy's oldest release per Python, not a range:"
              " the numpy built against is left open"] if OLDEST_SUPPORTED_NUMPY in built else []
    build = _joined("numpy", built.get("numpy", []), BUILD_REQUIRES)
    runs = _joined("numpy", run.get("numpy", []), DEPENDENCIES)
    if build.specifier and runs.specifier:
        spec = SpecifierSet(build.specifier) & SpecifierSet(runs.specifier)
        both = (f"built against {build.specifier}, run under {runs.specifier}: the query holds"
                " both numpys to their intersection")
        return Declared("numpy", str(spec), f"{BUILD_REQUIRES} and {DEPENDENCIES}",
                        (both, *oldest, *build.notes, *runs.notes))
    if build.specifier or not runs.specifier and build.source != NOT_DECLARED:
        declared = build
    else:
        declared = runs
    if declared.source == NOT_DECLARED and oldest:
        return Declared("numpy", None, BUILD_REQUIRES, tuple(oldest))
    return replace(declared, notes=(*oldest, *declared.notes))
