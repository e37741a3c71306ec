"""Subprocesses: a missing program is a result."""

from __future__ import annotations


def test_a_missing_program_is_a_result_not_an_exception() -> None:
    from matrix.build.procs import run_process

    done = run_process(["/nonexistent/mm-no-such-program", "x"], timeout_s=5)
    assert done.returncode == 127 and "cannot run" in done.output
