"""The first error line as readers see it: one normaliser for the report, the diff, the A/A
flip count and the re-check verdicts (a flip is a change a reader would see, never a moved
address or build folder).

The engine stores the line with its build folder already stripped
(:func:`matrix.run.engine.normalize_error`); this removes what still differs between machines and
runs.
"""

from __future__ import annotations

import re

MAX_ERROR_CHARS = 240

_SITE_PACKAGES = re.compile(r"(?:[A-Za-z]:)?[^\s'\"`:]*[/\\]site-packages[/\\]")
_ABSOLUTE_PATH = re.compile(r"(?<![\w.])/(?:[^\s'\"`:/]+/)+(?=[^\s'\"`:/]+)")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_SPACES = re.compile(r"\s+")
# A position in Cython's generated C moves with everything else in the module (and a batched
# module holds other cases), so the same compiler error would otherwise get one note per module.
_GENERATED_C_POSITION = re.compile(r"^(<module>\.c):\d+:\d+:")


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
