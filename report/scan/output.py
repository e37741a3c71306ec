"""A scan's answer in each output format: text for people (grouped by file, one line per
conversion at ``file:line:col``, then a summary), JSON, and SARIF 2.1.0 for GitHub code
scanning (one rule per measured case, plus ``untyped`` and ``unmeasured``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from report.legend import ANSWER_SYMBOLS, DANGLES, UNMEASURED_MARK, UNTYPED_MARK
from report.query.answer import CaseAnswer, data_text
from report.query.range_warnings import plural
from report.scan.match import MATCHED, UNMEASURED, UNTYPED_STATUS
from report.scan.result import Finding, ScanResult

FORMATS = ("text", "json", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"


def does_text(case: CaseAnswer) -> str:
    """``alias, locks: yes, safety: safe`` where it worked in range (the query's words)."""
    parts = [case.property("semantics").text(0)]
    locks = case.property("locks")
    if locks.values:
        parts.append(f"locks: {locks.text(0)}")
    parts.append(f"safety: {case.property('safety').text(0)}")
    return ", ".join(parts)


def verdict_text(case: CaseAnswer) -> str:
    """``works on 31``, ``fails on 16 of 34``, ``works on 28, dangles on 28``."""
    tried = case.works + len(case.failures)
    if case.verdict == "fails":
        return f"fails on {len(case.failures)} of {tried}"
    if case.verdict == "works":
        return f"works on {tried}" + (f", dangles on {len(case.dangles)}" if case.dangles
                                      else "")
    return "no result in range" if case.verdict == "untested" else case.verdict


def mark(finding: Finding) -> str:
    status = finding.match.status
    if status == UNTYPED_STATUS:
        return UNTYPED_MARK
    if status == UNMEASURED:
        return UNMEASURED_MARK
    found = finding.answer
    if found is None:
        return UNTYPED_MARK  # only conditional answers
    if found.verdict == "works" and found.dangles:
        return DANGLES
    return ANSWER_SYMBOLS[found.verdict]


def finding_text(finding: Finding) -> str:
    """One line: where, what converts, and the answer."""
    c = finding.match.conversion
    what = f"{c.source} -> {c.target}"
    if c.call:
        what = f"{c.call}({c.source})" if c.construct in ("call", "method") else (
            f"{c.source}.{c.call}")
    head = f"  {c.line}:{c.column}  {mark(finding)} {what} ({c.construct})"
    status = finding.match.status
    if status == UNTYPED_STATUS:
        candidates = ", ".join(finding.match.cases) or "none measured"
        why = "types unknown: the file's analysis failed" if not c.typed else (
            "depends on the object at run time")
        return f"{head}: untyped, {why}; candidates: {candidates}"
    if status == UNMEASURED:
        near = finding.match.nearest
        return f"{head}: unmeasured (no case covers it yet" + (
            f"; nearest measured: {', '.join(near[:3])}" if near else "") + ")"
    case = finding.answer
    if case is None:
        text = f"{head}: no case answers for it in general"
    else:
        text = f"{head}: {case.case_id}: {verdict_text(case)}; {does_text(case)}"
    for when, other in finding.conditional:
        text += f"\n      if {when}: {other.case_id}: {verdict_text(other)}; {does_text(other)}"
    return text


def render_text(result: ScanResult, *, safe: bool = False) -> str:
    lines = [f"Support range: {result.range}", f"Data: {data_text(result.data)}"]
    by_file: dict[str, list[Finding]] = {}
    for finding in result.findings:  # in scan order: a file, then the files it includes
        by_file.setdefault(finding.match.conversion.path, []).append(finding)
    errors = {scanned.path: scanned.error for scanned in result.files if scanned.error}
    for path in [*by_file, *(p for p in errors if p not in by_file)]:
        lines.append("")
        lines.append(path)
        if path in errors:
            lines.append(f"  analysis failed, scanned by its parse alone (types unknown):"
                         f" {errors[path]}")
        lines.extend(finding_text(f) for f in by_file.get(path, []))
    failing = [f for f in result.findings if f.fails]
    dangling = [f for f in result.findings if f.dangles]
    matched = result.count(MATCHED)
    lines.append("")
    lines.append(
        f"{plural(len(result.files), 'file')}, {plural(len(result.findings), 'conversion')}:"
        f" {matched} matched to a measured case ({len(failing)} failing in range,"
        f" {len(dangling)} dangling), {result.count(UNTYPED_STATUS)} untyped,"
        f" {result.count(UNMEASURED)} unmeasured"
        + (f"; {plural(sum(1 for s in result.files if s.error), 'file')} scanned by parse"
           " alone" if any(s.error for s in result.files) else "") + ".")
    if dangling and safe:
        lines.append("--safe: a dangling conversion fails the scan.")
    return "\n".join(lines) + "\n"


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {**asdict(finding.match.conversion), "where": finding.match.conversion.where,
            "status": finding.match.status, "cases": list(finding.match.cases),
            "conditional": [{"case": c, "when": w} for c, w in finding.match.conditional],
            "nearest": list(finding.match.nearest),
            "answer": asdict(finding.answer) if finding.answer else None,
            "conditional_answers": [{"when": w, "answer": asdict(a)}
                                    for w, a in finding.conditional]}


def render_json(result: ScanResult, *, safe: bool = False) -> str:
    document = {
        "range": result.range, "data": result.data,
        "exit_status": result.status(safe=safe),
        "files": [{"path": f.path, "lines": f.lines, "error": f.error,
                   "parsed_only": f.parsed_only,
                   "conversions": len(f.conversions)} for f in result.files],
        "conversions": [_finding_json(f) for f in result.findings],
        "summary": {"files": len(result.files), "conversions": len(result.findings),
                    "matched": result.count(MATCHED), "untyped": result.count(UNTYPED_STATUS),
                    "unmeasured": result.count(UNMEASURED),
                    "failing": sum(1 for f in result.findings if f.fails),
                    "dangling": sum(1 for f in result.findings if f.dangles),
                    "parsed_only": sum(1 for f in result.files if f.parsed_only)},
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _level(finding: Finding, safe: bool) -> str:
    if finding.fails or (safe and finding.dangles):
        return "error"
    if finding.dangles:
        return "warning"
    return "note"


def render_sarif(result: ScanResult, *, safe: bool = False, version: str = "",
                 information_uri: str = "") -> str:
    """SARIF 2.1.0: one run of the ``cymatrix`` tool; a rule per case that answered (its id),
    and ``untyped``/``unmeasured``; a result per conversion, its level ``error`` where it fails
    in range (or dangles, with ``safe``), ``warning`` where it dangles, else ``note``."""
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in result.findings:
        match = finding.match
        answering = [*match.cases, *(c for c, _ in match.conditional)]
        rule = answering[0] if match.status == MATCHED and answering else match.status
        if rule not in rules:
            described = (f"Memory conversion measured as case {rule}"
                         if match.status == MATCHED else {
                             UNTYPED_STATUS: "Memory conversion of an untyped object",
                             UNMEASURED: "Memory conversion no measured case covers"}.get(
                                 match.status, rule))
            rules[rule] = {"id": rule, "shortDescription": {"text": described}}
        c = match.conversion
        results.append({
            "ruleId": rule, "ruleIndex": list(rules).index(rule),
            "level": _level(finding, safe),
            "message": {"text": finding_text(finding).strip()},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": c.path.replace("\\", "/")},
                "region": {"startLine": c.line, "startColumn": c.column}}}],
        })
    driver: dict[str, Any] = {"name": "cymatrix", "rules": list(rules.values())}
    if version:
        driver["version"] = version
    if information_uri.startswith(("https://", "http://")):
        driver["informationUri"] = information_uri
    document = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION,
                "runs": [{"tool": {"driver": driver}, "results": results}]}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
