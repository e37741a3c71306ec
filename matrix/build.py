"""Build cases into extension modules: generate C once (stage 1), compile it per Python (stage 2).

Many cases share one module (Cython's memoryview utility code is ~27,000 lines of C, paid
once per module).  A failing batch is split so that every failure is attributed to its
case: cythonize errors name the case file, and C compiler errors are traced to the case
through Cython's ``/* "file.pyx":N`` markers, so those cases are built alone and the rest is
retried as a batch; an error that cannot be traced (utility code, a missing header) falls
back to one module per case.  Both stages are cached by content (:mod:`matrix.generate`,
:mod:`matrix.compile`), so a module generated for one Python is only compiled for the next.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matrix.cases import Case
from matrix.compile import UNATTRIBUTED, CompileSettings, compile_module
from matrix.envs import Environment
from matrix.generate import PxdTree, generate
from matrix.outcomes import Outcome

DEFAULT_CFLAGS: tuple[str, ...] = ("-O0", "-fPIC", "-fwrapv", "-fno-strict-aliasing")


@dataclass(frozen=True)
class BuildSettings:
    cc: str = field(default_factory=lambda: os.environ.get("CC", "gcc"))
    cflags: tuple[str, ...] = DEFAULT_CFLAGS
    batch: bool = True


@dataclass(frozen=True)
class BuildContext:
    """Everything a cell's builds share: who generates, for what it compiles, where to cache."""

    generator: Environment
    per_python: bool
    """The generator's C differs by Python: its Python is part of the generate key."""
    target: Environment
    """The Python (and numpy headers) the C is compiled for."""
    pxd: PxdTree | None
    compile: CompileSettings
    cache: Path

    @property
    def generate_root(self) -> Path:
        return self.cache / "generate"

    @property
    def compile_root(self) -> Path:
        return self.cache / "compile"


@dataclass
class ModuleBuild:
    """One attempt to build an extension module from some cases (both stages)."""

    module: str
    directory: Path
    """Where the compiled module is (or, if generating failed, the generated sources)."""
    case_ids: tuple[str, ...]
    outcome: Outcome
    generated_under: str
    first_error: str | None = None
    error_files: set[str] = field(default_factory=set)
    log: str = ""
    duration_s: float = 0.0


@dataclass
class CaseBuild:
    """Where a case ended up: the module that holds it, or the stage that failed."""

    case_id: str
    module: ModuleBuild
    batched: bool


def build_module(context: BuildContext, cases: Sequence[Case]) -> ModuleBuild:
    """Generate (or reuse) the C of ``cases`` and compile (or reuse) it for the target."""
    generated = generate(context.generator, cases, context.pxd, context.generate_root,
                         per_python=context.per_python)
    build = ModuleBuild(generated.module, generated.directory, generated.case_ids,
                        generated.outcome, generated.generated_under, generated.first_error,
                        generated.error_files, generated.log, generated.duration_s)
    if generated.outcome is not Outcome.OK:
        return build
    compiled = compile_module(generated, context.target, context.compile_root, context.compile)
    build.directory = compiled.directory
    build.outcome = compiled.outcome
    build.first_error = compiled.first_error
    build.error_files = compiled.error_files
    build.log += compiled.log
    build.duration_s += compiled.duration_s
    return build


def build_cases(context: BuildContext, cases: Sequence[Case],
                isolate: frozenset[str] = frozenset(), *, batch: bool = True,
                ) -> dict[str, CaseBuild]:
    """Build every case, batched where possible; each case maps to the build that decides it.

    Cases in ``isolate`` (blamed for a failure of an earlier batch) get modules of their own.
    """
    result: dict[str, CaseBuild] = {}
    for case in cases:
        if case.id in isolate or case.build_alone:
            result[case.id] = CaseBuild(case.id, build_module(context, [case]), False)
    pending = [case for case in cases if case.id not in result]
    while batch and len(pending) > 1:
        module = build_module(context, pending)
        if module.outcome is Outcome.OK:
            for case in pending:
                result[case.id] = CaseBuild(case.id, module, batched=True)
            return result
        blamed = [c for c in pending if f"{c.id}.pyx" in module.error_files]
        attributable = module.outcome is Outcome.CYTHONIZE_ERROR or (
            module.outcome is Outcome.CC_ERROR and UNATTRIBUTED not in module.error_files)
        if not attributable or not blamed:
            break  # cannot attribute: build each case on its own
        for case in blamed:
            result[case.id] = CaseBuild(case.id, build_module(context, [case]), False)
        pending = [c for c in pending if c.id not in result]
    for case in pending:
        result[case.id] = CaseBuild(case.id, build_module(context, [case]), False)
    return result
