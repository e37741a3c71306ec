"""A scan's answer: every conversion found in the given sources, matched to the measured cases
(:mod:`report.scan.match`) and each matched case answered on the support range by the query's
own rules (:func:`report.query.answer.answer`), with the query's exit statuses."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from report.query.answer import Answer, CaseAnswer, answer
from report.query.range import SupportRange
from report.query.status import EXIT_FAILS, EXIT_WORKS, QueryError
from report.scan.conversions import FileScan
from report.scan.frontend import include_dirs, scan_file
from report.scan.match import MATCHED, Match, Signature, match, signatures

SOURCE_SUFFIXES = (".pyx", ".pxd", ".pxi")
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".tox", ".nox", ".venv", "venv", "build",
                             "node_modules", "__pycache__", ".eggs"})
"""Folders a scan of a tree does not enter (environments, build output, VCS data)."""


@dataclass(frozen=True)
class Finding:
    """A conversion, what matched it, and the matched cases' answers in range."""

    match: Match
    answers: tuple[CaseAnswer, ...] = ()
    """The answers of ``match.cases`` (the first is the match's), in that order."""
    conditional: tuple[tuple[str, CaseAnswer], ...] = ()
    """``(when, answer)`` of each conditional case."""

    @property
    def answer(self) -> CaseAnswer | None:
        return self.answers[0] if self.answers and self.match.status == MATCHED else None

    @property
    def fails(self) -> bool:
        return self.answer is not None and self.answer.verdict == "fails"

    @property
    def dangles(self) -> bool:
        return self.answer is not None and bool(self.answer.dangles)


@dataclass(frozen=True)
class ScanResult:
    files: tuple[FileScan, ...]
    findings: tuple[Finding, ...]
    answer: Answer | None
    """The query's answer over the matched cases (range, data, toolchains); ``None`` when
    nothing matched."""
    range: str
    data: dict[str, Any]

    def status(self, *, safe: bool = False) -> int:
        """0: no matched conversion fails on its own in range (with ``safe``: none dangles
        either); 1: one does."""
        if any(f.fails or (safe and f.dangles) for f in self.findings):
            return EXIT_FAILS
        return EXIT_WORKS

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.match.status == status)


def source_files(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """The Cython sources under ``paths`` (files as given, folders walked, sorted), each with
    its name as the output shows it; raises :class:`QueryError` for a path that does not
    exist or holds none."""
    found: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_file():
            found.append((path, str(path)))
        elif path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix in SOURCE_SUFFIXES
                            and p.is_file() and not (set(p.relative_to(path).parts[:-1])
                                                     & SKIPPED_FOLDERS))
            if not inside:
                raise QueryError(f"{path}: holds no Cython source (.pyx, .pxd, .pxi)")
            found.extend((p, str(p)) for p in inside)
        else:
            raise QueryError(f"{path}: no such file or folder")
    return found


_INCLUDE = re.compile(r"""^[ \t]*include[ \t]+(?P<q>["'])(?P<name>[^"']+)(?P=q)""", re.MULTILINE)


def includes_of(path: Path, folders: Sequence[str] = ()) -> list[Path]:
    """The files ``path`` includes (``include "x.pxi"``), as Cython finds them: beside it,
    then in the include folders; the ones that exist."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = []
    for name in (m["name"] for m in _INCLUDE.finditer(text)):
        for folder in (path.parent, *map(Path, folders)):
            if (folder / name).is_file():
                found.append((folder / name).resolve())
                break
    return found


def included(files: Sequence[Path], folders: Sequence[str] = ()) -> dict[Path, Path]:
    """Which of ``files`` another one includes (directly or through an included file), each
    with the file that includes it (the first in order that is not itself included): a file
    included is scanned as part of the module that includes it, not alone (where its names
    are undeclared)."""
    resolved = [f.resolve() for f in files]
    direct = {f: includes_of(f, folders) for f in resolved}
    inside = {i for found in direct.values() for i in found}
    owners: dict[Path, Path] = {}
    for top in (f for f in resolved if f not in inside):
        stack = list(direct[top])
        while stack:
            current = stack.pop()
            if current in owners or current == top:
                continue
            owners[current] = top
            stack.extend(direct.get(current) or includes_of(current, folders))
    return owners


def file_directives(path: Path) -> dict[str, Any]:
    """A source's ``# cython:`` header directives, as Cython reads them."""
    from matrix.model.cases import header_directives
    from matrix.model.errors import CaseDefinitionError

    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    header = []  # Cython reads the comment lines before the first line of code, no further
    for line in lines:
        if line.strip() and not line.strip().startswith("#"):
            break
        header.append(line)
    try:
        return dict(header_directives(path, "\n".join(header)))
    except CaseDefinitionError:  # not name=value: Cython's own analysis reports it
        return {}


def _lines(name: str, sources: Sequence[tuple[Path, str]]) -> int:
    path = next((p for p, shown in sources if shown == name), Path(name))
    return len(path.read_text(encoding="utf-8", errors="replace").splitlines())


def scan(paths: Sequence[Path], data: Mapping[str, Any], support: SupportRange, *,
         includes: Sequence[Path] = (), directives: Mapping[str, Any] | None = None,
         limited_api: bool = False, shipped_c: bool = False, source: str = "") -> ScanResult:
    """Scan ``paths`` and answer each conversion from the published ``data`` on ``support``."""
    known = signatures(data["cases"])
    calls = {c for s in known for c in s.call}
    folders = include_dirs(includes)
    sources = source_files(paths)
    owners = included([p for p, _ in sources], folders)
    names = {str(p.resolve()): shown for p, shown in sources}
    parts: dict[Path, list[str]] = {}  # an including file -> the scanned files it includes
    for part, owner in owners.items():
        if str(part) in names:
            parts.setdefault(owner, []).append(names[str(part)])
    by_name: dict[str, FileScan] = {}
    matches: list[Match] = []
    pxds = {str(p.resolve()) for p, _ in sources if p.suffix == ".pxd"}
    contexts: dict[tuple[Any, ...], Any] = {}  # one per build alike, as cythonize's
    # modules first: the .pxd files they cimport are analysed with them, not again alone
    for path, shown in sorted(sources, key=lambda item: item[0].suffix == ".pxd"):
        if path.resolve() in owners and str(path.resolve()) in names:
            continue  # scanned as part of the module that includes it
        if shown in by_name:
            continue  # a .pxd analysed with a module that cimports it
        own = {**dict(directives or {}), **file_directives(path)}
        scanned = scan_file(path, shown, includes=folders, directives=own, calls=calls,
                            names=names, pxds=pxds - {n for n in pxds if names[n] in by_name},
                            contexts=contexts)
        inner = parts.get(path.resolve(), []) + [c for c in scanned.covers if c not in by_name]
        # an included file the scan was not given is shown too (``include "x.pxi"``)
        inner += sorted({c.path for c in scanned.conversions} - {shown, *inner, *by_name})
        for name in (shown, *inner):
            by_name[name] = FileScan(
                name, tuple(c for c in scanned.conversions if c.path == name),
                scanned.lines if name == shown else _lines(name, sources),
                scanned.error if name == shown or not scanned.error
                else f"(included by {shown}) {scanned.error}", scanned.parsed_only)
        matches.extend(match(c, known, directives=own, cplus=scanned.cplus,
                             limited_api=limited_api)
                       for c in scanned.conversions if c.path in (shown, *inner))
    given = [shown for _, shown in sources]
    scans = [by_name[name] for name in given if name in by_name] + [
        by_name[name] for name in by_name if name not in given]
    wanted = sorted({c for m in matches for c in (*m.cases, *(x for x, _ in m.conditional))})
    result = (answer(dict(data), support, wanted, shipped_c=shipped_c, source=source)
              if wanted else None)
    by_case = {a.case_id: a for a in result.cases} if result else {}
    findings = tuple(Finding(m, tuple(by_case[c] for c in m.cases if c in by_case),
                             tuple((when, by_case[c]) for c, when in m.conditional
                                   if c in by_case)) for m in matches)
    read = dict(result.data) if result else {**(data.get("provenance") or {}),
                                             **({"source": source} if source else {})}
    return ScanResult(tuple(scans), findings, result, support.text(), read)


__all__ = ["Finding", "ScanResult", "Signature", "scan", "source_files"]
