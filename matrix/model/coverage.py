"""The representations a chunk of memory can have in Cython code, and which conversions between
them the catalogue measures: every ordered pair of :data:`REPRESENTATIONS` is covered by the
cases whose ``pair`` names it, or explained in ``matrix/data/coverage.toml`` (no direct idiom, and
why, with a reference; or an idiom still to be written as a case).  ``cases/README.md`` holds
the table (:func:`coverage_table`), kept in step by ``tests/test_coverage.py``;
``python -m matrix.model.coverage`` writes it."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9 and 3.10
    import tomli as tomllib

from matrix.model.errors import CaseDefinitionError
from matrix.model.representations import REPRESENTATIONS

STATUSES = ("no-direct-idiom", "todo")
COVERAGE_FILE = Path(__file__).resolve().parents[1] / "data" / "coverage.toml"
"""Why each pair no case measures has none yet (beside the other data of the axes: not in
``cases/``, where every ``.toml`` is a case)."""
TABLE_START = "<!-- coverage table: python -m matrix.model.coverage -->"
TABLE_END = "<!-- end of the coverage table -->"


@dataclass(frozen=True)
class Uncovered:
    """A pair no case measures: ``no-direct-idiom`` (``why``, with a ``reference``), or
    ``todo`` (the ``idiom`` a case should measure)."""

    source: str
    target: str
    status: str
    text: str
    reference: str = ""


def pairs() -> list[tuple[str, str]]:
    """Every ordered pair of distinct representations (72)."""
    return [(a, b) for a in REPRESENTATIONS for b in REPRESENTATIONS if a != b]


def load_uncovered(path: Path) -> dict[tuple[str, str], Uncovered]:
    """``matrix/data/coverage.toml``: ``[[pair]]`` tables of ``from``, ``to``, ``status`` and
    ``why`` (+ ``reference``) or ``idiom``; raises :class:`CaseDefinitionError` naming the
    field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CaseDefinitionError(path, "<toml>", f"not readable TOML: {exc}") from None
    found: dict[tuple[str, str], Uncovered] = {}
    for index, entry in enumerate(raw.get("pair", [])):
        where = f"pair[{index}]"
        ends = (entry.get("from"), entry.get("to"))
        for name, end in zip(("from", "to"), ends):
            if end not in REPRESENTATIONS:
                raise CaseDefinitionError(path, f"{where}.{name}", f"{end!r} is none of "
                                          + ", ".join(REPRESENTATIONS))
        status = entry.get("status")
        if status not in STATUSES:
            raise CaseDefinitionError(path, f"{where}.status", f"must be one of {STATUSES}")
        text = entry.get("why" if status == "no-direct-idiom" else "idiom")
        if not isinstance(text, str) or not text.strip():
            raise CaseDefinitionError(path, f"{where}.{'why' if status != 'todo' else 'idiom'}",
                                      "must say why there is none, or which idiom to measure")
        reference = str(entry.get("reference") or "")
        if status == "no-direct-idiom" and not reference:
            raise CaseDefinitionError(path, f"{where}.reference", "a 'no direct idiom' cites"
                                      " its source")
        key = (str(ends[0]), str(ends[1]))
        if key in found:
            raise CaseDefinitionError(path, where, f"{key[0]} -> {key[1]} is listed twice")
        found[key] = Uncovered(key[0], key[1], status, text.strip(), reference)
    return found


def coverage_table(covered: Mapping[tuple[str, str], Sequence[str]],
                   uncovered: Mapping[tuple[str, str], Uncovered]) -> str:
    """The markdown table: one row per ordered pair, the cases measuring it, or why none."""
    lines = ["| from | to | measured by |", "|---|---|---|"]
    for pair in pairs():
        cases = covered.get(pair, ())
        if cases:
            cell = ", ".join(f"`{c}`" for c in cases)
        elif pair in uncovered:
            entry = uncovered[pair]
            cell = (f"no direct idiom: {entry.text} ({entry.reference})"
                    if entry.status == "no-direct-idiom" else f"to do: {entry.text}")
        else:
            cell = "**blank**"
        lines.append(f"| {REPRESENTATIONS[pair[0]]} | {REPRESENTATIONS[pair[1]]} | {cell} |")
    return "\n".join(lines)


def covered_pairs(cases: Iterable[tuple[str, tuple[str, str] | None]]
                  ) -> dict[tuple[str, str], list[str]]:
    """``(case id, pair)`` -> the case ids of each pair."""
    found: dict[tuple[str, str], list[str]] = {}
    for case_id, pair in cases:
        if pair is not None:
            found.setdefault(pair, []).append(case_id)
    return found


def main() -> int:
    """Write the table into ``cases/README.md`` between its markers."""
    from matrix.model.cases import load_cases
    from matrix.model.folders import CHECKOUT

    folder = CHECKOUT / "cases"
    cases = [c for c in load_cases(folder) if not c.is_control]
    table = coverage_table(covered_pairs((c.id, c.pair) for c in cases),
                           load_uncovered(COVERAGE_FILE))
    readme = folder / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(TABLE_START), text.index(TABLE_END)
    readme.write_text(text[:start + len(TABLE_START)] + "\n\n" + table + "\n\n" + text[end:],
                      encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
