"""Conversion cases: a small TOML file of data plus a tiny ``.pyx``, loaded and validated.

The engine knows nothing about any particular case: it reads ``cases/<id>.toml``, finds the
code in ``cases/<id>.pyx`` and instantiates the class named after the case's symbol.
See ``cases/README.md`` for the format.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matrix.model.errors import CaseDefinitionError
from matrix.model.representations import OTHER_ENDS, REPRESENTATIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib

ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
KNOWN_AXES = frozenset({"numpy"})
KNOWN_FIELDS = frozenset(
    {"id", "title", "group", "source", "target", "axes", "expect", "variant_of", "pyx", "build",
     "role", "options", "conversion", "pair"}
)
CONSTRUCTS = ("coercion", "cast", "call", "method", "slice", "slice-assignment", "address",
              "attribute", "literal")
"""How code converts one representation into another, as ``[conversion] construct`` names it
and the scanner (:mod:`report.scan`) finds it: an implicit ``coercion`` (an assignment, an
argument, a return), a ``cast`` (``<char[:n]> p``), a ``call`` (``np.asarray(x)``,
``PyMemoryView_FromMemory(...)``), a ``method`` (``mv.copy()``, ``.tobytes()``), a ``slice`` of a
pointer (``p[:n]``), a ``slice-assignment`` (``view[:] = b``), an ``address`` (``&mv[0]``), an
``attribute`` (``ar.data.as_voidptr``), a ``literal`` (``"abc"`` as ``char*``)."""
KNOWN_CONVERSION_FIELDS = frozenset({"construct", "from", "to", "call", "keywords", "when", "why"})
KNOWN_OPTIONS = frozenset({"directives", "cplus", "macros", "limited_api"})
BUILD_MODES = ("batched", "alone")
ROLES = ("conversion", "control")
"""What a case is for: a memory-conversion idiom (the default), or a *control* that uses no
idiom and measures whether a toolchain builds and runs anything at all (the baseline every
conversion case is judged against, :mod:`report.baseline`)."""
KNOWN_EXPECT_FIELDS = frozenset(
    {"copies", "readonly", "locks_source", "safe", "works", "note", "reference"}
)
# A top-level definition in case code starts at column 0 with one of these words.
TOP_LEVEL_KEYWORD = re.compile(r"^(?:cdef|cpdef|def|class|ctypedef)\b")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_NOT_NAMES = frozenset({"cdef", "cpdef", "def", "class", "ctypedef", "extern", "public", "api",
                        "inline", "readonly", "struct", "union", "enum", "packed", "fused"})


Directive = tuple[str, "str | int | bool"]


@dataclass(frozen=True)
class BuildOptions:
    """How a case is built, as case data (``[options]`` in its file, and the ``# cython:``
    header of its ``.pyx``): Cython compiler directives, C++ mode, C macros and a Limited API
    build. Cases with other options never share a module; options are part of the case's
    hash (so of every key) and of its records' provenance. The default (no options) leaves a
    case's hash as it always was."""

    directives: tuple[Directive, ...] = ()
    """``(name, value)``, sorted: e.g. ``("language_level", 2)``, ``("binding", True)``."""
    cplus: bool = False
    """C++ mode: ``cython --cplus``, compiled by the C++ compiler of the cell's compiler."""
    macros: tuple[tuple[str, str], ...] = ()
    """``(NAME, value)`` defined for the C compiler (``-DNAME=value``), sorted."""
    limited_api: str | None = None
    """``"3.11"``: built for the Limited API of that Python (``Py_LIMITED_API=0x030B0000`` and
    ``CYTHON_LIMITED_API``; Cython >= 3.1 supports it)."""

    @property
    def is_default(self) -> bool:
        return self == BuildOptions()

    @property
    def language_level(self) -> str:
        """The ``language_level`` the module is cythonized with (``3`` unless a directive
        says otherwise)."""
        return str(dict(self.directives).get("language_level", 3))

    def compile_macros(self) -> tuple[tuple[str, str], ...]:
        """The macros the C compiler gets: the case's, and the Limited API's."""
        macros = list(self.macros)
        if self.limited_api is not None:
            major, minor = (int(part) for part in self.limited_api.split("."))
            macros += [("Py_LIMITED_API", f"0x{major:02X}{minor:02X}0000"),
                       ("CYTHON_LIMITED_API", "1")]
        return tuple(macros)

    def to_json(self) -> dict[str, Any]:
        """The options as records and the report state them (only what is set)."""
        data: dict[str, Any] = {}
        if self.directives:
            data["directives"] = dict(self.directives)
        if self.cplus:
            data["cplus"] = True
        if self.macros:
            data["macros"] = dict(self.macros)
        if self.limited_api is not None:
            data["limited_api"] = self.limited_api
        return data

    def text(self) -> str:
        """``language_level=2; C++; Limited API 3.11; NPY_NO_DEPRECATED_API=...``."""
        parts = [f"{k}={_directive_text(v)}" for k, v in self.directives]
        parts += ["C++"] if self.cplus else []
        parts += [f"Limited API {self.limited_api}"] if self.limited_api else []
        parts += [f"{k}={v}" for k, v in self.macros]
        return "; ".join(parts)


def _directive_text(value: str | int | bool) -> str:
    """A directive's value as Cython's header spells it (``True``, ``2``, ``str``)."""
    return str(value)


@dataclass(frozen=True)
class Expectation:
    """What the documentation claims; shown beside the measured values, never instead of them."""

    reference: str
    copies: bool | None = None
    readonly: bool | None = None
    locks_source: bool | None = None
    safe: bool | None = None
    """The guide's safety claim: ``false`` for its "NO copy unsafe" (a pointer that the
    source's resize leaves dangling), checked against the measured safety verdict
    (:mod:`matrix.model.safety`)."""
    works: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ConversionSignature:
    """What the case's conversion looks like in code (``[conversion]`` in its file): how a
    scanner of Cython sources recognises the idiom.  Types are spelled as Cython's type analysis
    prints them, a Python builtin without its ``object``: ``bytes``, ``bytearray``, ``char *``,
    ``const unsigned char[:]``, ``int[4]``, ``array`` (``cpython.array``), ``ndarray``, ``object``
    (untyped); each may be a pattern: ``*`` any text, ``?`` one character, ``#`` a number
    (``*[#]``: any C array).  A case without it is matched by nothing (its
    line is listed, with ``why``)."""

    construct: str
    """One of :data:`CONSTRUCTS`."""
    source: str = "*"
    target: str = "*"
    call: tuple[str, ...] = ()
    """For a ``call``/``method``/``attribute``: the callee's dotted names (``numpy.asarray``,
    ``tobytes``, ``data.as_voidptr``), any of them."""
    keywords: tuple[str, ...] = ()
    """Keyword arguments the call must pass, as written: ``copy=False``."""
    when: str = ""
    """What else must hold at run time for the case to be the answer, which no type says
    (``the array is read-only``, ``the array was made with dtype np.int``): a match is then
    conditional, and says so."""
    why: str = ""
    """Why a scanner cannot see it (a fused-type argument converts at run time), when it
    cannot; the signature still names what it is."""


@dataclass(frozen=True)
class Case:
    """One conversion idiom, ready to be built and probed."""

    id: str
    title: str
    group: str
    source: str
    target: str
    axes: frozenset[str]
    expect: Expectation
    pyx_path: Path
    definition_path: Path
    content_hash: str
    variant_of: str | None = None
    code: str = field(repr=False, default="")
    build_alone: bool = False
    role: str = "conversion"
    """One of :data:`ROLES`."""
    options: BuildOptions = BuildOptions()
    """How the case is built (:class:`BuildOptions`; default: as every other case)."""
    conversion: ConversionSignature | None = None
    """How the conversion looks in code (``[conversion]``), for the scanner; ``None``: not
    declared (a control case has none)."""
    pair: tuple[str, str] | None = None
    """The representations it converts between (``pair = ["bytes", "pointer"]``: ids of
    :data:`matrix.model.coverage.REPRESENTATIONS`, or a literal or C++ string), for the
    coverage table; ``None`` for a control."""

    @property
    def is_control(self) -> bool:
        """A toolchain control, not a conversion idiom."""
        return self.role == "control"

    @property
    def symbol(self) -> str:
        """The Python name of the case class inside the built module."""
        return symbol_of(self.id)

    @property
    def needs_numpy(self) -> bool:
        return "numpy" in self.axes


def scan_signature(case: Case) -> dict[str, Any] | None:
    """What a scanner of Cython sources matches the case by, as plain data (compat.json's
    ``cases[].scan`` and the query's data snapshot carry it): the conversion's signature and the
    build options a file must share (directives, C++, Limited API); ``None`` without
    ``[conversion]``."""
    sig = case.conversion
    if sig is None:
        return None
    return {"construct": sig.construct, "from": sig.source, "to": sig.target,
            "call": list(sig.call), "keywords": list(sig.keywords), "when": sig.when,
            "why": sig.why, "directives": {k: v for k, v in case.options.directives},
            "cplus": case.options.cplus, "limited_api": case.options.limited_api}


def symbol_of(case_id: str) -> str:
    """A case's symbol: its id with ``-`` replaced by ``_`` (the class its ``.pyx`` defines)."""
    return case_id.replace("-", "_")


def _require_str(path: Path, data: Mapping[str, Any], name: str, *, optional: bool = False) -> str:
    value = data.get(name)
    if value is None and optional:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise CaseDefinitionError(path, name, "must be a non-empty string")
    return value


def _optional_bool(path: Path, data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is not None and not isinstance(value, bool):
        raise CaseDefinitionError(path, f"expect.{name}", "must be true, false or absent")
    return value


def _parse_pair(path: Path, raw: object) -> tuple[str, str] | None:
    if raw is None:
        return None
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(r, str) for r in raw)):
        raise CaseDefinitionError(path, "pair", "must be [from, to]: two representations")
    for end in raw:
        if end not in REPRESENTATIONS and end not in OTHER_ENDS:
            raise CaseDefinitionError(path, "pair", f"{end!r} is none of "
                                      + ", ".join([*REPRESENTATIONS, *sorted(OTHER_ENDS)]))
    return (raw[0], raw[1])


def _check_table(path: Path, name: str, raw: object, known: frozenset[str], what: str) -> None:
    """``[name]`` is a table of ``known`` keys; raises naming the field at fault."""
    if not isinstance(raw, dict):
        raise CaseDefinitionError(path, name, f"must be a table ([{name}])")
    unknown = sorted(set(raw) - known)
    if unknown:
        raise CaseDefinitionError(path, f"{name}.{unknown[0]}", f"unknown {what} (known: "
                                  + ", ".join(sorted(known)) + ")")


def _string_list(path: Path, field_name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CaseDefinitionError(path, field_name, "must be a string or a list of strings")
    return tuple(value)


def _parse_conversion(path: Path, raw: object) -> ConversionSignature | None:
    if raw is None:
        return None
    _check_table(path, "conversion", raw, KNOWN_CONVERSION_FIELDS, "field")
    assert isinstance(raw, dict)
    construct = raw.get("construct")
    if construct not in CONSTRUCTS:
        raise CaseDefinitionError(path, "conversion.construct",
                                  f"must be one of {', '.join(CONSTRUCTS)}")
    for name in ("from", "to", "when", "why"):
        if name in raw and (not isinstance(raw[name], str) or not raw[name].strip()):
            raise CaseDefinitionError(path, f"conversion.{name}", "must be a non-empty string")
    call = _string_list(path, "conversion.call", raw.get("call", []))
    if construct in ("call", "method", "attribute") and not call:
        raise CaseDefinitionError(path, "conversion.call",
                                  f"a {construct} names its callee (e.g. numpy.asarray)")
    return ConversionSignature(construct, raw.get("from", "*"), raw.get("to", "*"), call,
                               _string_list(path, "conversion.keywords",
                                            raw.get("keywords", [])),
                               raw.get("when", ""), raw.get("why", ""))


def _parse_expect(path: Path, raw: object) -> Expectation:
    if not isinstance(raw, dict):
        raise CaseDefinitionError(path, "expect", "must be a table ([expect])")
    unknown = sorted(set(raw) - KNOWN_EXPECT_FIELDS)
    if unknown:
        raise CaseDefinitionError(path, f"expect.{unknown[0]}", "unknown field")
    reference = raw.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise CaseDefinitionError(
            path, "expect.reference", "must say where the expectation comes from (guide or URL)"
        )
    for text_field in ("works", "note"):
        if text_field in raw and not isinstance(raw[text_field], str):
            raise CaseDefinitionError(path, f"expect.{text_field}", "must be a string")
    return Expectation(
        reference=reference,
        copies=_optional_bool(path, raw, "copies"),
        readonly=_optional_bool(path, raw, "readonly"),
        locks_source=_optional_bool(path, raw, "locks_source"),
        safe=_optional_bool(path, raw, "safe"),
        works=raw.get("works"),
        note=raw.get("note"),
    )


def top_level_names(code: str) -> list[str]:
    """Names a case's code defines at module level (``cdef extern`` blocks excluded)."""
    names = []
    for line in code.splitlines():
        if not TOP_LEVEL_KEYWORD.match(line) or re.match(r"^cdef\s+extern\b", line):
            continue
        head = re.split(r"[(:=]", re.sub(r"\[[^\]]*\]", "", line), maxsplit=1)[0]
        words = [w for w in _IDENTIFIER.findall(head) if w not in _NOT_NAMES]
        if words:
            names.append(words[-1])
    return names


def _check_code(pyx_path: Path, code: str, symbol: str) -> None:
    """Case code must define its class and keep every top-level name inside its namespace."""
    names = top_level_names(code)
    if symbol not in names:
        raise CaseDefinitionError(
            pyx_path, "code", f"must define a top-level class named '{symbol}' (the case symbol)"
        )
    for name in names:
        if not (name == symbol or name.startswith(symbol + "_")):
            raise CaseDefinitionError(
                pyx_path,
                "code",
                f"top-level name '{name}' must start with '{symbol}_' so that cases can share"
                " one extension module",
            )


def measured_hash(code: str, axes: list[str] | frozenset[str], build_mode: str,
                  options: BuildOptions = BuildOptions()) -> str:
    """What a case's measurements depend on: its code, its axes, its build mode and its build
    options (only when it has any: a case without options keeps the hash it always had).

    Title, group, expectations, notes and references are left out on purpose: editing them
    neither invalidates a case's records nor hides them from the report.
    """
    fields: dict[str, Any] = {"code": code, "axes": sorted(axes), "build": build_mode}
    if not options.is_default:
        fields["options"] = options.to_json()
    material = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


_HEADER = re.compile(r"^#\s*cython\s*:\s*(?P<body>.*)$")
_DIRECTIVE_NAME = re.compile(r"^[a-z_][a-z0-9_.]*$")
_MACRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LIMITED_API = re.compile(r"^3\.(?:[0-9]|[1-9][0-9])$")


def _directive_value(text: str) -> str | int | bool:
    """``True``/``False`` -> bool, digits -> int, anything else as written (``3str``)."""
    if text in ("True", "False"):
        return text == "True"
    return int(text) if text.isdigit() else text


def header_directives(pyx_path: Path, code: str) -> dict[str, str | int | bool]:
    """The ``# cython: name=value, ...`` header of a case's code, as Cython reads a module's:
    comment lines before the first line of code. Cases are included into a shared module,
    where Cython would ignore them, so the harness honours them as the case's directives; a
    ``# cython:`` line after code has begun (which Cython ignores) or one that does not parse
    is an error naming the file and line, never silently ignored."""
    found: dict[str, str | int | bool] = {}
    in_header = True
    for number, line in enumerate(code.splitlines(), start=1):
        stripped = line.strip()
        match = _HEADER.match(stripped)
        if match is None:
            if stripped and not stripped.startswith("#"):
                in_header = False
            continue
        where = f"{pyx_path}:{number}"
        if not in_header:
            raise CaseDefinitionError(pyx_path, f"line {number}",
                                      "a `# cython:` directive after the first line of code is"
                                      " ignored by Cython; move it to the header (or into"
                                      " [options].directives)")
        for item in (part.strip() for part in match.group("body").split(",")):
            name, sep, value = (piece.strip() for piece in item.partition("="))
            if not sep or not _DIRECTIVE_NAME.match(name) or not value:
                raise CaseDefinitionError(pyx_path, f"line {number}",
                                          f"'{item}' is not a directive (name=value) ({where})")
            found[name] = _directive_value(value)
    return found


def _parse_options(path: Path, raw: object, header: dict[str, str | int | bool],
                   pyx_path: Path) -> BuildOptions:
    """``[options]`` plus the code's ``# cython:`` header; raises naming the field."""
    if raw is None:
        raw = {}
    _check_table(path, "options", raw, KNOWN_OPTIONS, "option")
    assert isinstance(raw, dict)
    directives = raw.get("directives", {})
    if not isinstance(directives, dict):
        raise CaseDefinitionError(path, "options.directives", "must be a table of name = value")
    for name, value in directives.items():
        if not _DIRECTIVE_NAME.match(name) or not isinstance(value, (str, int, bool)):
            raise CaseDefinitionError(path, f"options.directives.{name}",
                                      "must be a directive name = a string, integer or boolean")
        if name in header and header[name] != value:
            raise CaseDefinitionError(path, f"options.directives.{name}",
                                      f"{value!r} contradicts the `# cython:` header of"
                                      f" {pyx_path.name} ({header[name]!r})")
    cplus = raw.get("cplus", False)
    if not isinstance(cplus, bool):
        raise CaseDefinitionError(path, "options.cplus", "must be true or false")
    macros = raw.get("macros", {})
    if not isinstance(macros, dict) or not all(
            _MACRO_NAME.match(k) and isinstance(v, (str, int)) for k, v in macros.items()):
        raise CaseDefinitionError(path, "options.macros",
                                  "must be a table of C macro NAME = value (string or integer)")
    limited = raw.get("limited_api")
    if limited is not None and (not isinstance(limited, str) or not _LIMITED_API.match(limited)):
        raise CaseDefinitionError(path, "options.limited_api",
                                  "must be a Python version as a string, e.g. \"3.11\"")
    merged = {**header, **directives}
    return BuildOptions(
        directives=tuple(sorted(merged.items())),
        cplus=cplus,
        macros=tuple(sorted((k, str(v)) for k, v in macros.items())),
        limited_api=limited,
    )


def load_case(definition_path: Path) -> Case:
    """Load and validate one ``cases/<id>.toml`` and its ``.pyx``.

    Raises:
        CaseDefinitionError: naming the file and field at fault.
    """
    try:
        raw = tomllib.loads(definition_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise CaseDefinitionError(definition_path, "<toml>", f"not UTF-8 text ({exc.reason} at"
                                  f" byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CaseDefinitionError(definition_path, "<toml>", f"not valid TOML: {exc}") from exc
    unknown = sorted(set(raw) - KNOWN_FIELDS)
    if unknown:
        raise CaseDefinitionError(definition_path, unknown[0], "unknown field")
    case_id = _require_str(definition_path, raw, "id")
    if not ID_PATTERN.match(case_id):
        raise CaseDefinitionError(
            definition_path, "id", f"'{case_id}' must be lowercase words joined by '-'"
        )
    if definition_path.stem != case_id:
        raise CaseDefinitionError(
            definition_path, "id", f"'{case_id}' must match the file name '{definition_path.stem}'"
        )
    axes = raw.get("axes", [])
    if not isinstance(axes, list) or not all(isinstance(a, str) for a in axes):
        raise CaseDefinitionError(definition_path, "axes", "must be a list of strings")
    unknown_axes = sorted(set(axes) - KNOWN_AXES)
    if unknown_axes:
        raise CaseDefinitionError(
            definition_path, "axes", f"unknown axis '{unknown_axes[0]}' (known: numpy)"
        )
    variant_of = raw.get("variant_of")
    if variant_of is not None and (
        not isinstance(variant_of, str) or not ID_PATTERN.match(variant_of)
    ):
        raise CaseDefinitionError(definition_path, "variant_of", "must be a case id")
    build_mode = raw.get("build", "batched")
    if build_mode not in BUILD_MODES:
        raise CaseDefinitionError(definition_path, "build", "must be 'batched' or 'alone'")
    role = raw.get("role", "conversion")
    if role not in ROLES:
        raise CaseDefinitionError(definition_path, "role", "must be 'conversion' or 'control'")
    if role == "control" and build_mode != "alone":
        raise CaseDefinitionError(
            definition_path, "build", "a control must be built alone (build = \"alone\"): its"
            " outcome is the toolchain's, never a batch mate's")
    pyx_name = raw.get("pyx", f"{case_id}.pyx")
    if not isinstance(pyx_name, str):
        raise CaseDefinitionError(definition_path, "pyx", "must be a file name")
    pyx_path = definition_path.parent / pyx_name
    if not pyx_path.is_file():
        raise CaseDefinitionError(definition_path, "pyx", f"code file {pyx_path} does not exist")
    code_bytes = pyx_path.read_bytes()
    try:
        code = code_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseDefinitionError(definition_path, "pyx", f"{pyx_path} is not UTF-8 text"
                                  f" ({exc.reason} at byte {exc.start})") from None
    symbol = symbol_of(case_id)
    _check_code(pyx_path, code, symbol)
    options = _parse_options(definition_path, raw.get("options"),
                             header_directives(pyx_path, code), pyx_path)
    return Case(
        id=case_id,
        title=_require_str(definition_path, raw, "title"),
        group=_require_str(definition_path, raw, "group"),
        source=_require_str(definition_path, raw, "source"),
        target=_require_str(definition_path, raw, "target"),
        axes=frozenset(axes),
        expect=_parse_expect(definition_path, raw.get("expect")),
        pyx_path=pyx_path,
        definition_path=definition_path,
        content_hash=measured_hash(code, axes, build_mode, options),
        variant_of=variant_of,
        code=code,
        build_alone=build_mode == "alone",
        role=role,
        options=options,
        conversion=_parse_conversion(definition_path, raw.get("conversion")),
        pair=_parse_pair(definition_path, raw.get("pair")),
    )


def load_cases(directory: Path) -> list[Case]:
    """Load every case in ``directory``, sorted by id; ids must be unique.

    Raises:
        CaseDefinitionError: naming the file and field at fault, or the folder when it does not
        exist or holds no case (``<id>.toml``): measuring or rendering nothing is never an
        answer."""
    cases, broken = load_cases_apart(directory)
    if broken:
        raise next(iter(broken.values()))
    return cases


def load_cases_apart(directory: Path) -> tuple[list[Case], dict[str, CaseDefinitionError]]:
    """The cases of ``directory`` that load (sorted by id), and the error of each file that does
    not, by its id (the file's name): one broken case does not keep the others from being
    measured (:func:`matrix.plan.scope.selected_cases` fails only when it is selected).  A
    missing or empty folder raises."""
    if not directory.is_dir():
        raise CaseDefinitionError(directory, "<folder>", "no such folder of cases")
    paths = sorted(directory.glob("*.toml"))
    if not paths:
        raise CaseDefinitionError(directory, "<folder>", "holds no case (<id>.toml and its"
                                  " .pyx)")
    cases: list[Case] = []
    broken: dict[str, CaseDefinitionError] = {}
    for path in paths:
        try:
            cases.append(load_case(path))
        except CaseDefinitionError as exc:
            broken[path.stem] = exc
    known = {case.id for case in cases} | set(broken)
    for case in list(cases):
        if case.variant_of is not None and case.variant_of not in known:
            broken[case.id] = CaseDefinitionError(
                case.definition_path, "variant_of", f"no case with id '{case.variant_of}'")
            cases.remove(case)
    return cases, dict(sorted(broken.items()))
