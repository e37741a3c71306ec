"""Reading the project's JSON-lines files (the results store, the re-measurement log): one JSON
object per line; a half-written last line (an interrupted writer) is skipped with a warning,
any other bad line is an error naming the file and line.  Writing, with its locking, is the
store's (:mod:`matrix.store.results`)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from matrix.model.errors import ResultsFileError

T = TypeVar("T")


class TruncatedRecordWarning(UserWarning):
    """The last line of a results file was cut off (an interrupted run); it is ignored."""


def read_lines(path: Path, parse: Callable[[dict[str, Any]], T], *, warn: bool) -> list[T]:
    """Every entry of a JSON-lines file, parsed (no lock needed: writers append whole lines).

    A half-written last line (an interrupted writer) is skipped, with a
    :class:`TruncatedRecordWarning` if ``warn``; any other bad line raises
    ``ResultsFileError`` naming the file and line.
    """
    if not path.exists():
        return []
    return parse_lines(path.read_bytes(), path, parse, warn=warn)


def parse_lines(raw: bytes, source: Path, parse: Callable[[Any], T], *, warn: bool,
                shape: type = dict) -> list[T]:
    """The entries of JSON-lines text ``raw`` read from ``source`` (a file, or a name such as
    ``REF:results/cp311/records.jsonl`` for a file in git), as :func:`read_lines` describes;
    each line is a JSON object (``shape=dict``) or array (``shape=list``)."""
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the file ends with a newline, as every complete write does
    ends_cleanly = raw.endswith(b"\n") or not raw
    total = len(lines)
    whole = lines if ends_cleanly else lines[:-1]
    fast = _parse_all(whole, parse, shape)
    if fast is not None:
        if ends_cleanly or not lines:
            return fast
        lines, start = lines[-1:], total  # only the unfinished last line is left
    else:
        fast, start = [], 1
    entries: list[T] = fast
    for number, line in enumerate(lines, start=start):
        problem = _parse_problem(line, parse, shape)
        if not isinstance(problem, str):
            entries.append(problem)
            continue
        if number == total and not ends_cleanly:
            if warn:
                warnings.warn(
                    f"{source}:{number}: ignoring a half-written last record"
                    " (interrupted run); that cell will be measured again",
                    TruncatedRecordWarning,
                    stacklevel=4,
                )
            break
        raise ResultsFileError(source, number, problem)
    return entries


def _parse_all(lines: list[bytes], parse: Callable[[Any], T], shape: type) -> list[T] | None:
    """Every line parsed at once (one JSON array: the decoder shares the keys' strings across
    lines, a third less memory and faster), or ``None`` if any line is not a valid entry (the
    caller then finds which, line by line)."""
    if any(not line.strip() for line in lines):
        return None
    try:
        data = json.loads(b"[" + b",".join(lines) + b"]")
        if not all(isinstance(item, shape) for item in data):
            return None
        return [parse(item) for item in data]
    except (ValueError, KeyError, TypeError):
        return None


def _parse_problem(line: bytes, parse: Callable[[Any], T], shape: type = dict) -> T | str:
    """The entry on ``line``, or what is wrong with it."""
    if not line.strip():
        return "empty line"
    try:
        data = json.loads(line)
    except ValueError as exc:
        return f"not valid JSON ({exc})"
    if not isinstance(data, shape):
        return "not a JSON object" if shape is dict else "not a JSON array"
    try:
        return parse(data)
    except KeyError as exc:
        return f"not a valid record: missing field {exc}"
    except (ValueError, TypeError) as exc:
        return f"not a valid record: {exc}"
