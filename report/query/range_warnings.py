"""Where the published data covers a support range only partly, each said with the flag that
causes it: cells of interpreter kinds the range leaves out, a specifier that admits only some
patch releases of a tested Python minor, ``==3.1`` read as 3.1.0, a specifier that matches no
tested version; and, when nothing in range was tried, why (:func:`why_untested`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from matrix.model.interpreters import KINDS
from report.legend import SHIPPED_C
from report.query.range import AXES, SupportRange
from report.query.versions import (
    Row,
    language_minor,
    parse_version,
    row_kind,
    row_release,
    sorted_values,
)

PATCH_SPAN = 50
"""Patch releases past the highest tested one considered when a specifier is checked for
admitting only part of a Python minor."""


def kind_warnings(support: SupportRange, rows: list[Row]) -> list[str]:
    """How many cells of the selected cases are of kinds the range does not name."""
    left_out = Counter(row_kind(r) for r in rows if not support.holds_kind(r))
    if not left_out:
        return []
    parts = ", ".join(f"{KINDS[kind].title} {count}" for kind, count in sorted(left_out.items()))
    return [f"{plural(sum(left_out.values()), 'cell')} of other interpreters are out of range"
            f" ({parts}): --interpreter names the kinds in range (e.g."
            f" --interpreter {','.join(sorted({*support.interpreters, *left_out}))})"]


def _runs(numbers: Sequence[int], top: int, prefix: str) -> str:
    """``3.9.0-3.9.4, 3.9.7 and 3.9.20 and later`` for sorted patch numbers below ``top``."""
    spans: list[list[int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    parts = []
    for first, last in spans:
        if last == top - 1:
            parts.append(f"{prefix}{first} and later")
        elif first == last:
            parts.append(f"{prefix}{first}")
        else:
            parts.append(f"{prefix}{first}-{prefix}{last}")
    return _and(parts)


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def python_warnings(support: SupportRange, rows: list[Row]) -> list[str]:
    """One warning per tested Python minor of which the specifier admits some patch releases
    but not all."""
    if not support.python:
        return []
    releases: dict[str, set[str]] = {}
    for row in rows:
        releases.setdefault(row["python"], set())
        if row_release(row) != row["python"]:
            releases[row["python"]].add(row_release(row))
    flag = support.flag("python")
    warnings = []
    for minor in sorted_values(releases):
        base = language_minor(minor)
        if base is None or len(base.release) < 2:
            continue
        head = f"{base.release[0]}.{base.release[1]}."
        tested = sorted_values(releases[minor])
        patches = [v.release[2] if len(v.release) > 2 else 0
                   for v in (Version(m) for m in tested)]
        top = max(patches, default=0) + PATCH_SPAN
        admitted = [n for n in range(top) if support.python.contains(Version(f"{head}{n}"))]
        if not admitted or len(admitted) == top:
            continue
        excluded = _runs([n for n in range(top) if n not in admitted], top, head)
        kept = [m for m in tested if support.python.contains(Version(m), prereleases=True)]
        left = [m for m in tested if m not in kept]
        if not tested:
            held = support.python.contains(base, prereleases=True)
            warnings.append(
                f"{flag} admits only part of Python {minor} (excludes {excluded}); the data"
                f" does not say which {minor} release was tested, so it is judged as"
                f" {minor}.0 and {'kept' if held else 'left out'}")
        elif not left:
            verb = "satisfies" if len(kept) == 1 else "satisfy"
            warnings.append(
                f"{flag} keeps Python {minor} because the tested {_and(kept)} {verb} it, but"
                f" excludes {excluded}: the answer covers only what was tested")
        elif not kept:
            verb = "does" if len(left) == 1 else "do"
            warnings.append(
                f"{flag} leaves out Python {minor}: it admits only"
                f" {_runs(admitted, top, head)} of that minor, and the tested {_and(left)}"
                f" {verb} not satisfy it ('=={minor}.*' is the whole minor)")
        else:
            warnings.append(
                f"{flag} keeps Python {minor} only where measured on {_and(kept)} (not"
                f" {_and(left)}): it excludes {excluded}")
    return warnings


LABELS = {"python": "Python", "cython": "release", "numpy": "numpy"}


def _axis_releases(axis: str, rows: Iterable[Row]) -> list[str]:
    """The tested versions of one axis: Python minors, Cython releases, numpy releases (built
    against or run under)."""
    if axis == "python":
        return sorted_values(r["python"] for r in rows)
    if axis == "cython":
        return sorted_values(r["cython"] for r in rows)
    numpy = [r for r in rows if r["kind"] != "core"]
    return sorted_values([r["numpy_build"] for r in numpy] + [r["numpy_run"] for r in numpy])


def _series(spec: SpecifierSet) -> str | None:
    """``3.1`` when every version the specifier names is of the 3.1 series."""
    found = set()
    for item in spec:
        version = parse_version(item.version.removesuffix(".*"))
        if version is None:
            return None
        release = (*version.release, 0)[:2]
        found.add(f"{release[0]}.{release[1]}")
    return found.pop() if len(found) == 1 else None


def _no_match(support: SupportRange, axis: str, rows: list[Row]) -> str:
    """``--cython '==3.1' matches no tested release; tested 3.1 releases are ...``"""
    spec = support.spec(axis)
    text = f"{support.flag(axis)} matches no tested {LABELS[axis]}"
    series = _series(spec)
    if axis == "python":
        full = sorted_values(row_release(r) for r in rows)
    else:
        full = _axis_releases(axis, rows)
    same = [v for v in full if series is not None and (v == series or v.startswith(series + "."))]
    if same:
        text += (f"; the tested {series} release is {same[0]}" if len(same) == 1
                 else f"; tested {series} releases are {', '.join(same)}")
    else:
        text += f"; tested: {', '.join(_axis_releases(axis, rows))}"
    items = list(spec)
    if (len(items) == 1 and items[0].operator == "==" and "*" not in items[0].version
            and len(Version(items[0].version).release) == 2):
        written = items[0].version
        whole = "minor" if axis == "python" else "series"
        text += (f" (PEP 440 reads '=={written}' as {written}.0 only; '=={written}.*' is the"
                 f" whole {whole})")
    return text


def _axes(support: SupportRange, rows: list[Row]) -> list[str]:
    """The given axes (numpy only with numpy rows)."""
    return [a for a in AXES if support.spec(a)
            and (a != "numpy" or any(r["kind"] != "core" for r in rows))]


def _empty_axes(support: SupportRange, tried: list[Row]) -> list[str]:
    """The given axes whose specifier no tried row satisfies on its own."""
    return [a for a in _axes(support, tried)
            if not any(support.holds_axis(a, r) for r in tried
                       if a != "numpy" or r["kind"] != "core")]


def why_untested(support: SupportRange, mine: list[Row], in_range: list[Row],
                 shipped_c: bool, compiler: str) -> list[str]:
    """Why no selected case has a tried cell in range: the specifiers that match no tested
    version, else the combination, else what the cells in range were."""
    tried = [r for r in mine if r["tried"] == "true"]
    if not tried:
        return [f"no selected case was tried anywhere in the published data"
                f" (--compiler {compiler})"]
    empty = _empty_axes(support, tried)
    if empty:
        return [_no_match(support, axis, tried) for axis in empty]
    in_tried = [r for r in in_range if r["tried"] == "true"]
    counts: Counter[str] = Counter()
    for row in in_range:
        if row["tried"] != "true":
            counts[f"could not be tried ({row['outcome']})"] += 1
        elif row["shipped_c"] == "true" and not shipped_c:
            counts[f"measured with shipped C {SHIPPED_C} only (--shipped-c counts them)"] += 1
        elif row.get("toolchain_failure") == "true":
            counts["toolchain failures (the toolchain builds nothing there; listed apart)"] += 1
        else:
            counts["flaky"] += 1
    found = _and([f"{n} {what}" for what, n in counts.items()]) if counts else ""
    if not in_tried:
        flags = [support.flag(a) for a in _axes(support, tried)]
        text = (f"{_and(flags)} each match tested versions, but no selected case was tried"
                " where they all hold")
        if support.python and support.cython:
            pythons = [r for r in tried if support.holds_axis("python", r)
                       and support.holds_axis("numpy", r)]
            cythons = _axis_releases("cython", pythons)
            text += (f"; on the Pythons in range ({', '.join(_axis_releases('python', pythons))})"
                     f" the tested Cython releases are {', '.join(cythons)}")
        return [text + (f" (in range: {found})" if found else "")]
    return [f"no selected case was tried in range where it counts: of"
            f" {plural(len(in_range), 'result')} in range, {found}"]


def series_warnings(support: SupportRange, rows: list[Row]) -> list[str]:
    """``--cython '==3.1'`` names one release (3.1.0), not the series: where that release was
    tested beside others of its series, say so (where it was not, the untested answer does)."""
    found = []
    for axis in ("cython", "numpy"):
        items = list(support.spec(axis))
        if not (len(items) == 1 and items[0].operator == "==" and "*" not in items[0].version
                and len(Version(items[0].version).release) == 2):
            continue
        written = items[0].version
        same = [v for v in _axis_releases(axis, rows)
                if v == written or v.startswith(written + ".")]
        if any(support.holds_axis(axis, r) for r in rows) and len(same) > 1:
            found.append(f"{support.flag(axis)} is {written}.0 only (PEP 440); the tested"
                         f" {written} releases are {', '.join(same)}; '=={written}.*' is the"
                         " whole series")
    return found


def axis_warnings(support: SupportRange, mine: list[Row]) -> list[str]:
    """Specifiers that match no tested version of the cases they apply to while other cases
    were tried (numpy, with core cases selected too)."""
    tried = [r for r in mine if r["tried"] == "true"]
    return [f"{_no_match(support, axis, tried)}: the selected numpy cases are untested in"
            " this range" for axis in _empty_axes(support, tried)]


def plural(count: int, word: str) -> str:
    """``1 cell``, ``2 cells``."""
    return f"{count} {word}{'' if count == 1 else 's'}"
