"""The interpreter as data: which kind of Python a cell runs (CPython, free-threaded CPython,
PyPy), and every name that follows from it.

The facts of each kind are one table of ``matrix/data/interpreters.toml`` (an
:class:`InterpreterKind`); an :class:`InterpreterId` is a kind and a language version (plus the
implementation's own release, such as PyPy 7.3.19).  Everything that names an interpreter asks
it: the axis value (``"3.11"``, ``"3.13t"``, ``"pypy3.11"``), the cell id's head (``py3.11``,
``py3.13t``, ``pp3.11``), the build identifier (``cp311``, ``cp313t``, ``pp311``), the
executable discovery looks for, the content key's material, the environment folder and the
generate cache's name.  The default kind (CPython without ABI flags) keeps every name and key it
always had: its key material is ``str(version)``, its folder ``py{version}``.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

INTERPRETERS_FILE = Path(__file__).resolve().parents[1] / "data" / "interpreters.toml"
DEFAULT_KIND = "cpython"
_LABEL = re.compile(r"^(?P<label>[A-Za-z]*)(?P<minor>\d+\.\d+)(?P<abi>[a-z]*)$")


@dataclass(frozen=True)
class InterpreterKind:
    """One kind of interpreter: a table of ``interpreters.toml`` (its comments say what each
    field means)."""

    id: str
    implementation: str
    """What ``platform.python_implementation()`` says: ``CPython``, ``PyPy``."""
    name: str
    abi: str = ""
    """ABI flags: ``t`` free-threaded, ``d`` debug."""
    label: str = ""
    cell: str = "py"
    build: str = "cp"
    executable: str = "python"
    uv: str = "cpython-"
    wheels: str = "cpython"
    """``cpython`` (``packaging.tags.cpython_tags``) or ``generic`` (``generic_tags``)."""
    wheel_abi: str = ""
    enabled: bool = False
    ci: tuple[str, ...] = ()
    """The language versions (``3.11``) of this kind the scheduled CI job measures."""
    order: int = 0
    """Its place in the data file: the order of kinds within one language version."""

    @property
    def free_threaded(self) -> bool:
        """A free-threaded build (PEP 703: ``t`` in its ABI flags)."""
        return "t" in self.abi

    @property
    def title(self) -> str:
        """How texts name the kind, the one spelling every output uses: ``CPython``,
        ``free-threaded CPython``, ``PyPy``."""
        return f"free-threaded {self.name}" if self.free_threaded else self.name

    @property
    def is_default(self) -> bool:
        """CPython with no ABI flags: the kind every record before this file was measured on."""
        return self.id == DEFAULT_KIND


def load_kinds(path: Path = INTERPRETERS_FILE) -> dict[str, InterpreterKind]:
    """The kinds of ``path``, in its order; raises ``ValueError`` naming the file."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in fields(InterpreterKind)} - {"id", "order"}
    kinds: dict[str, InterpreterKind] = {}
    for order, (kind_id, table) in enumerate(data.items()):
        if not isinstance(table, dict) or set(table) - known:
            raise ValueError(f"{path}: [{kind_id}]: unknown fields"
                             f" {sorted(set(table) - known) if isinstance(table, dict) else table}")
        ci = table.get("ci", [])
        if not isinstance(ci, list) or not all(
                isinstance(v, str) and re.fullmatch(r"\d+\.\d+", v) for v in ci):
            raise ValueError(f"{path}: [{kind_id}]: ci must be a list of language versions"
                             ' ("3.11")')
        try:
            kind = InterpreterKind(id=kind_id, order=order, **{**table, "ci": tuple(ci)})
        except TypeError as exc:
            raise ValueError(f"{path}: [{kind_id}]: {exc}") from None
        if kind.wheels not in ("cpython", "generic") or (kind.wheels == "generic"
                                                         and not kind.wheel_abi):
            raise ValueError(f"{path}: [{kind_id}]: wheels must be 'cpython' or 'generic'"
                             " (with a wheel_abi)")
        kinds[kind_id] = kind
    labels = [(k.label, k.abi) for k in kinds.values()]
    if DEFAULT_KIND not in kinds or len(set(labels)) != len(labels):
        raise ValueError(f"{path}: needs a [{DEFAULT_KIND}] table, and one kind per label and"
                         " ABI flags")
    return kinds


KINDS: dict[str, InterpreterKind] = load_kinds()
CPYTHON = KINDS[DEFAULT_KIND]


def ci_pythons(kinds: Mapping[str, InterpreterKind] | None = None) -> list[str]:
    """The axis values the scheduled CI job measures by default (each kind's ``ci``
    versions, enabled kinds only), by language version, then kind: ``2.7``, ..., ``3.13``,
    ``3.13t``, ..., ``pypy3.11``."""
    chosen = [InterpreterId(kind, Version(minor))
              for kind in (kinds if kinds is not None else KINDS).values() if kind.enabled
              for minor in kind.ci]
    return [i.label for i in sorted(chosen, key=lambda i: (i.version, i.kind.order))]


def kind_of(implementation: str, abi: str = "") -> InterpreterKind | None:
    """The kind of an interpreter that says it is ``implementation`` with ``abi`` flags."""
    return next((k for k in KINDS.values()
                 if k.implementation.lower() == implementation.lower() and k.abi == abi), None)


@dataclass(frozen=True)
class InterpreterId:
    """A kind of interpreter and its language version: what a cell's Python *is*, apart from
    where it lives (:class:`matrix.plan.interpreters.Interpreter` adds that)."""

    kind: InterpreterKind
    version: Version
    """The language version: the exact release once measured (``3.11.9``; PyPy 7.3.19 says
    ``3.11.11``), the minor when only the axis value is known (``3.11``)."""
    implementation_version: str = ""
    """The implementation's own release where it has one apart from the language version
    (PyPy ``7.3.19``); ``""`` for CPython."""

    @classmethod
    def of(cls, python: Version | InterpreterId) -> InterpreterId:
        """``python`` itself, or a bare version read as the default kind (CPython)."""
        return python if isinstance(python, InterpreterId) else cls(CPYTHON, python)

    @classmethod
    def from_label(cls, label: str) -> InterpreterId:
        """``"pypy3.11"`` -> PyPy 3.11; raises ``ValueError`` for a label no kind has."""
        return _from_label(label)

    @classmethod
    def from_measured(cls, label: str, python_version: str,
                      implementation_version: str = "") -> InterpreterId:
        """The interpreter a record names: its axis value (``python``) and its provenance's
        ``python_version`` (and ``implementation_version``); raises ``ValueError``."""
        try:
            version = Version(python_version)
        except InvalidVersion as exc:
            raise ValueError(f"python_version {python_version!r}: {exc}") from None
        return cls(_from_label(label).kind, version, implementation_version)

    @functools.cached_property
    def minor(self) -> str:
        """``"3.11"``: the language minor (computed once: a frozen value's memo)."""
        return f"{self.version.major}.{self.version.minor}"

    @property
    def label(self) -> str:
        """The axis value: ``"3.11"``, ``"3.13t"``, ``"pypy3.11"`` (``--python``, a cell's and a
        record's ``python``)."""
        return f"{self.kind.label}{self.minor}{self.kind.abi}"

    @property
    def cell_prefix(self) -> str:
        """The head of a cell id: ``py3.11``, ``py3.13t``, ``pp3.11``."""
        return f"{self.kind.cell}{self.minor}{self.kind.abi}"

    @property
    def build(self) -> str:
        """The cibuildwheel-style build identifier (and wheel interpreter tag): ``cp311``,
        ``cp313t``, ``pp311``."""
        return f"{self.kind.build}{self.version.major}{self.version.minor}{self.kind.abi}"

    @property
    def wheel_interpreter(self) -> str:
        """The interpreter tag of its wheels: ``cp311``, ``cp313`` (a free-threaded wheel says
        ``t`` in its ABI tag, ``cp313-cp313t``), ``pp311``."""
        return f"{self.kind.build}{self.version.major}{self.version.minor}"

    @property
    def executable(self) -> str:
        """The name discovery looks for on ``PATH``: ``python3.11``, ``python3.13t``,
        ``pypy3.11``."""
        return f"{self.kind.executable}{self.minor}{self.kind.abi}"

    @property
    def display(self) -> str:
        """``CPython 3.11``, ``CPython 3.13t``, ``PyPy 3.11`` (messages)."""
        return f"{self.kind.name} {self.minor}{self.kind.abi}"

    @property
    def key_material(self) -> str:
        """What a content key holds of the interpreter: ``str(version)`` for the default kind,
        exactly as every stored key has it (``3.11.9``); others add their ABI flags and
        implementation (``3.13.0t``, ``pypy-7.3.19-3.11.11``)."""
        text = f"{self.version}{self.kind.abi}"
        if self.kind.implementation != CPYTHON.implementation:
            text = f"{self.kind.implementation.lower()}-{self.implementation_version}-{text}"
        return text

    @property
    def folder(self) -> str:
        """An environment folder's and a per-Python generate cache entry's name for it:
        ``py3.11.9`` (as always), ``py3.13.0t``, ``pp3.11.11-pypy7.3.19``."""
        text = f"{self.kind.cell}{self.version}{self.kind.abi}"
        if self.kind.implementation != CPYTHON.implementation:
            text += f"-{self.kind.implementation.lower()}{self.implementation_version}"
        return text

    def wheel_abis(self) -> list[str]:
        """The ABI tags of its own wheels (``abi3`` and ``none`` come from ``packaging.tags``):
        ``cp27mu``/``cp27m``, ``cp36m``, ``cp311``, ``cp313t``, ``pypy311_pp73``."""
        major, minor = self.version.major, self.version.minor
        if self.kind.wheels == "generic":
            return [self.kind.wheel_abi.format(nodot=f"{major}{minor}")]
        base = f"cp{major}{minor}{self.kind.abi}"
        if major == 2:
            return [f"{base}mu", f"{base}m"]
        return [f"{base}m"] if minor <= 7 else [base]


@functools.cache
def _from_label(label: str) -> InterpreterId:
    match = _LABEL.match(label)
    kind = None
    if match is not None:
        kind = next((k for k in KINDS.values()
                     if (k.label, k.abi) == (match["label"], match["abi"])), None)
    if match is None or kind is None:
        known = ", ".join(InterpreterId(k, Version("3.11")).label for k in KINDS.values())
        raise ValueError(f"{label!r} names no interpreter (axis values look like {known})")
    return InterpreterId(kind, Version(match["minor"]))


_BUILD = re.compile(r"^(?P<build>[a-z]+)(?P<major>[23])(?P<minor>[0-9]+)(?P<abi>[a-z]*)$")


def axis_value(text: str) -> str:
    """The axis value a ``--python`` argument names: an axis value itself (``3.13t``,
    ``pypy3.11``) or a cibuildwheel build identifier (``cp313t`` -> ``3.13t``, ``pp311`` ->
    ``pypy3.11``); raises ``ValueError`` naming both spellings for text that is neither."""
    try:
        return _from_label(text).label
    except ValueError:
        pass
    match = _BUILD.match(text)
    kind = None if match is None else next(
        (k for k in KINDS.values() if (k.build, k.abi) == (match["build"], match["abi"])), None)
    if match is None or kind is None:
        known = ", ".join(f"{i.label} ({i.build})" for i in
                          (InterpreterId(k, Version("3.13")) for k in KINDS.values()))
        raise ValueError(f"{text!r} names no interpreter (axis values and build identifiers "
                         f"look like {known})")
    return InterpreterId(kind, Version(f"{match['major']}.{match['minor']}")).label


def python_matches(label: str, pattern: str) -> bool:
    """Whether a ``--python`` glob selects the axis value ``label``: the glob matches the value
    (``3.1*``, ``pypy3.*``) or its build identifier, as cibuildwheel spells selectors
    (``cp313t``, ``pp3*``, ``cp31?``)."""
    if fnmatch.fnmatchcase(label, pattern):
        return True
    try:
        return fnmatch.fnmatchcase(_from_label(label).build, pattern)
    except ValueError:
        return False


def axis_key(label: str) -> tuple[Version, int] | None:
    """Sort key of an axis value: its language minor, then its kind in the data file's order
    (``3.11`` < ``3.11t`` < ``pypy3.11`` < ``3.12``); ``None`` for a label no kind has."""
    try:
        found = _from_label(label)
    except ValueError:
        return None
    return (found.version, found.kind.order)


@functools.cache
def kind_id(label: str) -> str:
    """The interpreter kind id of an axis value (``pypy3.11`` -> ``pypy``, ``3.13t`` ->
    ``cpython-freethreaded``); a value no kind has is the default kind's, as before kinds."""
    try:
        return _from_label(label).kind.id
    except ValueError:
        return DEFAULT_KIND


@functools.cache
def cell_prefix(label: str) -> str:
    """The head of the cell ids of an axis value (``pypy3.11`` -> ``pp3.11``); ``py{label}``
    for a label no kind has (as every cell id was made before kinds)."""
    try:
        return _from_label(label).cell_prefix
    except ValueError:
        return f"py{label}"


def measured_key_material(label: str, provenance: dict[str, Any]) -> str:
    """The interpreter's key material as a record states it: its axis value and its
    provenance's ``python_version`` (and ``implementation_version``, stored for other kinds
    than the default).  Raises ``ValueError``."""
    return InterpreterId.from_measured(
        label, str(provenance.get("python_version")),
        str(provenance.get("implementation_version") or "")).key_material
