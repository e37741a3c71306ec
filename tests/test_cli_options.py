"""matrix/cli/options.py: help texts that name an axis's values are made from the axis's data
(a kind or a compiler added to the data shows in --help with no text edited)."""

from __future__ import annotations

import argparse

from packaging.version import Version

from matrix.cli import build_parser
from matrix.model.compilers import COMPILERS
from matrix.model.interpreters import KINDS, InterpreterId


def _help(command: str) -> str:
    parser = build_parser()
    sub = next(a for a in parser._actions  # noqa: SLF001
               if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    return " ".join(sub.choices[command].format_help().split())


def test_the_help_names_every_kind_and_compiler_of_the_data() -> None:
    run, try_ = _help("run"), _help("try")
    for kind in KINDS.values():
        if kind.enabled and kind.ci:
            newest = InterpreterId(kind, Version(kind.ci[-1]))
            assert f"'{newest.label}'" in run and newest.build in run and newest.build in try_
    for spec in COMPILERS.values():
        assert spec.id in run
    assert "gcc-asan on core cells" in run and "gcc on every cell" in run
    assert "gcc-asan: AddressSanitizer" in _help("try")
