"""Error lines, in one place: how the harness stores a first error line and how readers see it.

* Stored (by the build stages and the engine): :func:`strip_build_folders` drops the build
  folders, :func:`stored_line` cuts to :data:`STORED_ERROR_CHARS`, :func:`last_line` picks a
  tool's last output line.
* Shown (the report, the diff, the A/A flip count and the re-check verdicts: a flip is a change
  a reader would see, never a moved address or build folder): :func:`normalize_error` removes
  what still differs between machines and runs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

MAX_ERROR_CHARS = 240
"""Characters of an error line as readers see it (longer ones end with ``…``)."""
STORED_ERROR_CHARS = 300
"""Characters of a first error line as records store it."""

_STORED_SITE_PACKAGES = re.compile(r"(?:/[^\s'\"`:/]+)+/site-packages/")
_SITE_PACKAGES = re.compile(r"(?:[A-Za-z]:)?[^\s'\"`:]*[/\\]site-packages[/\\]")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"`:/]+/)+(?=[^\s'\"`:/]+)")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_SPACES = re.compile(r"\s+")
# A position in Cython's generated C moves with everything else in the module (and a batched
# module holds other cases), so the same compiler error would otherwise get one note per module.
_GENERATED_C_POSITION = re.compile(r"^(<module>\.(?:c|cpp)):\d+:\d+:")


def stored_line(text: str) -> str:
    """An error line as a record stores it: at most :data:`STORED_ERROR_CHARS` characters."""
    return text[:STORED_ERROR_CHARS]


def last_line(lines: list[str], default: str) -> str:
    """The last of a tool's output ``lines`` as a stored error line; ``default`` for none."""
    return stored_line(lines[-1]) if lines else default


def drop_folders(line: str, directories: Sequence[Path]) -> str:
    """Drop build folders from an error line so equal errors compare equal (``<dir>/x.c`` ->
    ``x.c``, ``<dir>`` -> ``.``)."""
    for directory in directories:
        line = line.replace(str(directory) + "/", "").replace(str(directory), ".")
    return line


def strip_build_folders(line: str, directories: Sequence[Path]) -> str:
    """:func:`drop_folders`, then surrounding white space: a build tool's error line."""
    return drop_folders(line, directories).strip()


def drop_site_packages(line: str) -> str:
    """``/env/lib/python3.12/site-packages/numpy/__init__.pxd`` -> ``numpy/__init__.pxd``: the
    absolute environment paths a stored line drops (the shown form drops any path, see
    :func:`normalize_error`)."""
    return _STORED_SITE_PACKAGES.sub("", line)


@functools.lru_cache(maxsize=65536)
def normalize_error(text: str | None) -> str:
    """The first error line as the report shows it: stable across machines and cells.

    * ``.../site-packages/numpy/__init__.pxd`` -> ``numpy/__init__.pxd``
    * other absolute paths keep only their last component: ``/a/b/x.pyx`` -> ``.../x.pyx``
    * memory addresses -> ``0x...``; runs of white space -> one space; long lines are cut.
    * ``<module>.c:1737:105: error: ...`` -> ``<module>.c: error: ...`` (generated-C positions)
    """
    if text is None or not text.strip():
        return "(no error line recorded)"
    line = _SITE_PACKAGES.sub("", text.strip())
    line = _ABSOLUTE_PATH.sub(".../", line)
    line = _ADDRESS.sub("0x...", line)
    line = _GENERATED_C_POSITION.sub(r"\1:", line)
    line = _SPACES.sub(" ", line)
    if len(line) > MAX_ERROR_CHARS:
        line = line[: MAX_ERROR_CHARS - 1].rstrip() + "…"
    return line


_SANITIZER_ERROR = re.compile(r"(?:==\d+==)?\s*(ERROR: AddressSanitizer: (?P<kind>[\w-]+).*?)"
                              r"(?: at pc 0x[0-9a-f]+.*)?$")


def sanitizer_error(lines: Sequence[str]) -> tuple[str, str] | None:
    """AddressSanitizer's error kind and first line, from the lines of its report
    (``==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x60...`` ->
    ``("heap-use-after-free", "ERROR: AddressSanitizer: heap-use-after-free on address 0x60...")``,
    the process id and the registers (``at pc ... bp ... sp ...``) dropped, the line cut to
    :data:`STORED_ERROR_CHARS`); ``None`` when no line
    is ASan's error line.  ASan's kinds: ``heap-use-after-free``, ``heap-buffer-overflow``,
    ``stack-buffer-overflow``, ``SEGV``, ... (its documentation, "AddressSanitizer")."""
    for line in lines:
        match = _SANITIZER_ERROR.search(line)
        if match:
            return match.group("kind"), stored_line(match.group(1).strip())
    return None
