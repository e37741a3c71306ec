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
from report.scan.frontend import include_dirs, is_cplus, scan_file
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


INCLUDE = re.compile(r"""^[ \t]*include[ \t]+["']([^"']+)["']""", re.MULTILINE)


def included(files: Iterable[Path]) -> set[Path]:
    """The files of ``files`` that another of them ``include``s: scanned as part of it (their
    lines reported as theirs), never alone (on their own they lack its declarations)."""
    found: set[Path] = set()
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name in INCLUDE.findall(text):
            found.add((path.parent / name).resolve())
    return found


def source_files(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """The Cython sources under ``paths`` (files as given, folders walked, sorted; a folder's
    files that another ``include``s are left to it), each with its name as the output shows
    it; raises :class:`QueryError` for a path that does not exist or holds none."""
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
            parts = included(inside)
            found.extend((p, str(p)) for p in inside if p.resolve() not in parts)
        else:
            raise QueryError(f"{path}: no such file or folder")
    return found


def file_directives(path: Path) -> dict[str, Any]:
    """A source's ``# cython:`` header directives, as Cython reads them."""
    from matrix.model.cases import header_directives

    text = path.read_text(encoding="utf-8", errors="replace")
    return dict(header_directives(path, text))


def scan(paths: Sequence[Path], data: Mapping[str, Any], support: SupportRange, *,
         includes: Sequence[Path] = (), directives: Mapping[str, Any] | None = None,
         limited_api: bool = False, shipped_c: bool = False, source: str = "") -> ScanResult:
    """Scan ``paths`` and answer each conversion from the published ``data`` on ``support``."""
    known = signatures(data["cases"])
    calls = {c for s in known for c in s.call}
    folders = include_dirs(includes)
    scans: list[FileScan] = []
    matches: list[Match] = []
    for path, shown in source_files(paths):
        own = {**dict(directives or {}), **file_directives(path)}
        scanned = scan_file(path, shown, includes=folders, directives=own, calls=calls)
        scans.append(scanned)
        cplus = is_cplus(path.read_text(encoding="utf-8", errors="replace"))
        matches.extend(match(c, known, directives=own, cplus=cplus, limited_api=limited_api)
                       for c in scanned.conversions)
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
