"""Compile-stage helpers that need no compiler: tracing C errors to their case."""

from __future__ import annotations


def test_c_errors_are_traced_to_case_files_through_cython_markers(tmp_path: object) -> None:
    from pathlib import Path

    from matrix.build.compile import UNATTRIBUTED, cc_error_sources

    c_file = Path(str(tmp_path)) / "mm_x.c"
    lines = ["/* utility code */"] * 200 + [
        '/* "case-a.pyx":7', " *     strlen(b'abc', 1)", " */", "  x = strlen(a, 1);",
    ]
    c_file.write_text("\n".join(lines) + "\n")
    at = len(lines)
    assert cc_error_sources(f"mm_x.c:{at}:7: error: too many arguments", c_file) == {"case-a.pyx"}
    assert cc_error_sources("mm_x.c:50:1: error: in utility code", c_file) == {UNATTRIBUTED}
    assert cc_error_sources("mm_x.c:3:10: fatal error: nope.h: No such file", c_file) == {
        UNATTRIBUTED}
