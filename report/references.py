"""Upstream references: *why* a failure happens, cited like browser-compat-data's notes.

``report/references.toml`` holds one ``[[reference]]`` per known cause: a regular expression
over the failure's first error line as the report shows it, optionally narrowed to an
outcome, case ids and version ranges, plus the upstream source (a changelog entry, release
note, migration guide, What's New section, C-API page or issue) and one sentence saying what
it explains.  A failure note lists every reference that matches it.  A reference never
changes an outcome: it is read only by the report, after everything was measured.

Fields (``error``, ``title``, ``url`` and ``why`` are required):

* ``id`` -- a stable name, unique in the file;
* ``error`` -- a Python regular expression, searched in the normalized first error line;
* ``outcome`` -- only notes of this outcome (``cc-error``, ``import-error``, ...);
* ``case`` -- only records of cases matching this glob;
* ``python``, ``cython``, ``numpy_build``, ``numpy_run`` -- PEP 440 specifiers a record's
  versions must satisfy (a note matches when at least one of its records does); ``python`` is
  the language version (free-threaded ``3.13t`` is 3.13) of an interpreter of the reference's
  ``implementation``;
* ``implementation`` -- what ``platform.python_implementation()`` says of the interpreters a
  ``python`` specifier is about (default ``CPython``: CPython's changes are not PyPy's);
* ``title``, ``url`` (``https://``), ``why`` (one sentence, at most 240 characters).

The tests fail on a reference that matches no published note (a stale reference).
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from matrix.model.errors import MatrixError
from matrix.model.interpreters import KINDS, InterpreterId
from matrix.model.outcomes import Outcome
from matrix.model.records import Record

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

REFERENCES_FILE = Path(__file__).resolve().parent / "references.toml"
VERSION_FIELDS = ("python", "cython", "numpy_build", "numpy_run")
REQUIRED = ("id", "error", "title", "url", "why")
OPTIONAL = ("outcome", "case", "implementation", *VERSION_FIELDS)
MAX_WHY_CHARS = 240


class ReferenceError(MatrixError):
    """A malformed references file; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Reference:
    """One upstream source explaining a kind of failure."""

    id: str
    error: re.Pattern[str]
    title: str
    url: str
    why: str
    outcome: str | None = None
    case: str | None = None
    versions: tuple[tuple[str, SpecifierSet], ...] = ()
    implementation: str = "CPython"
    """The implementation whose language versions ``python`` specifies."""
    """``(record field, specifier)`` pairs, e.g. ``("numpy_run", SpecifierSet(">=2"))``."""

    def applies_to(self, record: Record) -> bool:
        """The reference's case and version ranges hold for ``record``."""
        if self.case is not None and not fnmatch.fnmatchcase(record.case_id, self.case):
            return False
        for name, specifier in self.versions:
            value = getattr(record, name)
            if name == "python":
                try:
                    found = InterpreterId.from_label(str(value))
                except ValueError:
                    return False
                if found.kind.implementation != self.implementation:
                    return False
                value = found.minor
            try:
                if value is None or Version(value) not in specifier:
                    return False
            except InvalidVersion:
                return False
        return True

    def matches(self, outcome: str, error: str, records: Iterable[Record]) -> bool:
        """It explains the note ``(outcome, error)`` seen in ``records``."""
        if self.outcome is not None and self.outcome != outcome:
            return False
        if not self.error.search(error):
            return False
        return any(self.applies_to(record) for record in records)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "url": self.url, "why": self.why}


def _entry(path: Path, index: int, data: object) -> Reference:
    where = f"{path}: reference {index}"
    if not isinstance(data, dict):
        raise ReferenceError(f"{where}: expected a table ([[reference]])")
    if isinstance(data.get("id"), str):
        where += f" ({data['id']})"
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ReferenceError(f"{where}: unknown field '{unknown[0]}' (known: "
                             f"{', '.join(REQUIRED + OPTIONAL)})")
    for name in REQUIRED:
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise ReferenceError(f"{where}: field '{name}' is required (a non-empty string)")
    for name in OPTIONAL:
        if name in data and not isinstance(data[name], str):
            raise ReferenceError(f"{where}: field '{name}' must be a string")
    try:
        pattern = re.compile(data["error"])
    except re.error as exc:
        raise ReferenceError(f"{where}: field 'error' is not a regular expression: {exc}"
                             ) from None
    if not data["url"].startswith("https://"):
        raise ReferenceError(f"{where}: field 'url' must be an https:// address")
    if len(data["why"]) > MAX_WHY_CHARS:
        raise ReferenceError(f"{where}: field 'why' is longer than {MAX_WHY_CHARS} characters"
                             " (one sentence)")
    outcomes = [o.value for o in Outcome]
    if "outcome" in data and data["outcome"] not in outcomes:
        raise ReferenceError(f"{where}: field 'outcome' must be one of {', '.join(outcomes)}")
    versions = []
    for name in VERSION_FIELDS:
        if name in data:
            try:
                versions.append((name, SpecifierSet(data[name])))
            except InvalidSpecifier:
                raise ReferenceError(f"{where}: field '{name}': '{data[name]}' is not a version"
                                     " specifier (e.g. '>=3.9' or '<0.29.10')") from None
    implementations = sorted({kind.implementation for kind in KINDS.values()})
    if "implementation" in data and data["implementation"] not in implementations:
        raise ReferenceError(f"{where}: field 'implementation' must be one of"
                             f" {', '.join(implementations)}")
    return Reference(data["id"], pattern, data["title"], data["url"], data["why"],
                     data.get("outcome"), data.get("case"), tuple(versions),
                     data.get("implementation", "CPython"))


def load_references(path: Path = REFERENCES_FILE) -> tuple[Reference, ...]:
    """Every reference in ``path``; a malformed entry raises :class:`ReferenceError`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceError(f"{path}: no references file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"reference"})
    if unknown:
        raise ReferenceError(f"{path}: unknown top-level key '{unknown[0]}' (expected"
                             " [[reference]] tables)")
    entries = data.get("reference", [])
    if not isinstance(entries, list):
        raise ReferenceError(f"{path}: 'reference' must be an array of tables ([[reference]])")
    references = [_entry(path, index, entry) for index, entry in enumerate(entries, start=1)]
    seen: set[str] = set()
    for index, reference in enumerate(references, start=1):
        if reference.id in seen:
            raise ReferenceError(f"{path}: reference {index}: field 'id': '{reference.id}' is"
                                 " used twice")
        seen.add(reference.id)
    return tuple(references)


def references_for(references: Sequence[Reference], outcome: str, error: str,
                   records: Sequence[Record]) -> tuple[Reference, ...]:
    """The references that explain one failure note, in file order."""
    return tuple(r for r in references if r.matches(outcome, error, records))
