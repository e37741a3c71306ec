"""Matching a found conversion to the measured cases, by the signature each case declares
(``[conversion]`` in its file, published as ``cases[].scan``): the mapping is data beside the
case, so adding a case extends the scanner.

A conversion is

* **matched** when a case's signature fits it: the construct, the callee and keywords, the two
  types (globs), and the build options a file must share (a case built with a directive matches
  a file that sets it; a Limited API case only with ``--limited-api``, which no code shows).  A
  case whose answer needs something no type says (``when``: the array is read-only) matches
  *conditionally*, and says so;
* **untyped** when its source is an untyped object (or the file's analysis failed): what it
  converts depends on the object at run time; the cases it could be are listed;
* **unmeasured** when no case covers it: the catalogue's to-do list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from report.scan.conversions import UNTYPED, Conversion

MATCHED, UNTYPED_STATUS, UNMEASURED = "matched", "untyped", "unmeasured"
STATUSES = (MATCHED, UNTYPED_STATUS, UNMEASURED)


@dataclass(frozen=True)
class Signature:
    """A case's ``scan`` data (:func:`matrix.model.cases.scan_signature`)."""

    case_id: str
    construct: str
    source: str = "*"
    target: str = "*"
    call: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    when: str = ""
    why: str = ""
    directives: Mapping[str, Any] = field(default_factory=dict)
    cplus: bool = False
    limited_api: str | None = None

    @classmethod
    def of(cls, case_id: str, data: Mapping[str, Any]) -> Signature:
        return cls(case_id, str(data["construct"]), str(data.get("from", "*")),
                   str(data.get("to", "*")), tuple(data.get("call") or ()),
                   tuple(data.get("keywords") or ()), str(data.get("when") or ""),
                   str(data.get("why") or ""), dict(data.get("directives") or {}),
                   bool(data.get("cplus")), data.get("limited_api"))

    @property
    def globs(self) -> int:
        """How many of its sides are patterns (the fewer, the more specific)."""
        return sum(any(ch in side for ch in "*?#") for side in (self.source, self.target))


def signatures(cases: Sequence[Mapping[str, Any]]) -> tuple[Signature, ...]:
    """The signatures of the published ``cases`` that declare one (controls declare none)."""
    return tuple(Signature.of(str(c["id"]), c["scan"]) for c in cases if c.get("scan"))


@dataclass(frozen=True)
class Match:
    """A conversion and the cases that answer for it."""

    conversion: Conversion
    status: str
    """One of :data:`STATUSES`."""
    cases: tuple[str, ...] = ()
    """Matched: the case(s) that answer for it, most specific first; untyped: the candidates."""
    conditional: tuple[tuple[str, str], ...] = ()
    """``(case, when)``: cases that answer only if ``when`` holds at run time."""
    nearest: tuple[str, ...] = ()
    """Unmeasured: the cases of the same construct (and callee) with other types, the nearest
    measured idioms."""


@functools.cache
def _pattern(glob: str) -> re.Pattern[str]:
    """A signature's type pattern: ``*`` any text, ``?`` one character, ``#`` a number (a C
    array's size: ``int[#]``); everything else, ``[:]`` included, stands for itself."""
    parts = {"*": ".*", "?": ".", "#": "[0-9]+"}
    return re.compile("".join(parts.get(ch, re.escape(ch)) for ch in glob) + r"\Z")


def glob_match(value: str, glob: str) -> bool:
    return _pattern(glob).match(value) is not None


def _same_call(found: str, wanted: str) -> bool:
    """``numpy.asarray`` is ``np.asarray``'s resolved name; a C function cimported from a
    module is called by its bare name (``PyArray_DATA``), or through the module."""
    if found == wanted:
        return True
    if "." in found and "." in wanted:
        return False
    return found.rsplit(".", 1)[-1] == wanted.rsplit(".", 1)[-1]


def _fits(conversion: Conversion, sig: Signature) -> bool:
    if conversion.construct != sig.construct:
        return False
    if sig.call and not any(_same_call(conversion.call, c) for c in sig.call):
        return False
    written = {k.replace(" ", "") for k in conversion.keywords}
    if not {k.replace(" ", "") for k in sig.keywords} <= written:
        return False
    if conversion.untyped:  # the source's type is unknown: any source fits
        return conversion.target == UNTYPED or glob_match(conversion.target, sig.target)
    return glob_match(conversion.source, sig.source) and glob_match(conversion.target, sig.target)


def _builds_alike(sig: Signature, directives: Mapping[str, Any], cplus: bool,
                  limited_api: bool) -> bool:
    """Whether the file is built as the case is: its directives set as the case sets them,
    C++ where the case is C++, a Limited API build only when asked for."""
    if bool(sig.limited_api) != limited_api:
        return False
    if sig.cplus and not cplus:
        return False
    return all(str(directives.get(k)).lower() == str(v).lower()
               for k, v in sig.directives.items())


def match(conversion: Conversion, known: Sequence[Signature], *,
          directives: Mapping[str, Any] | None = None, cplus: bool = False,
          limited_api: bool = False) -> Match:
    """What answers for ``conversion`` among the ``known`` signatures, for a file built with
    ``directives`` (its ``# cython:`` header and the project's), in C++ or not, as the Limited
    API or not."""
    fitting = [s for s in known if _fits(conversion, s)]
    alike = [s for s in fitting if _builds_alike(s, directives or {}, cplus, limited_api)]
    chosen = alike or fitting
    # The most specific first: one that shares more of the file's directives, then fewer globs.
    chosen.sort(key=lambda s: (-len(s.directives), s.globs, s.case_id))
    if conversion.untyped:
        return Match(conversion, UNTYPED_STATUS, tuple(s.case_id for s in chosen))
    plain = tuple(s.case_id for s in chosen if not s.when)
    conditional = tuple((s.case_id, s.when) for s in chosen if s.when)
    if plain or conditional:
        if plain:  # a file with the case's directive gets that case alone, not its sibling
            top = chosen[0]
            plain = tuple(c for c in plain if c == top.case_id or not top.directives)
        return Match(conversion, MATCHED, plain, conditional)
    near = sorted({s.case_id for s in known if s.construct == conversion.construct
                   and (not s.call or any(_same_call(conversion.call, c) for c in s.call))})
    return Match(conversion, UNMEASURED, nearest=tuple(near))


__all__ = ["MATCHED", "Match", "STATUSES", "Signature", "UNMEASURED", "UNTYPED",
           "UNTYPED_STATUS", "match", "signatures"]
