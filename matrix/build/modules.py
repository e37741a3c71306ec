"""Build cases into extension modules: generate C once (stage 1), compile it per Python (stage 2).

Many cases share one module (Cython's memoryview utility code is ~27,000 lines of C, paid
once per module).  A failing batch is split so that every failure is attributed to its
case: cythonize errors name the case file, and C compiler errors are traced to the case
through Cython's ``/* "file.pyx":N`` markers, so those cases are built alone and the rest is
retried as a batch; an error that cannot be traced (utility code, a missing header) falls
back to one module per case.  Both stages are cached by content (:mod:`matrix.build.generate`,
:mod:`matrix.build.compile`), so a module generated for one Python is only compiled for the next.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matrix.build.compile import UNATTRIBUTED, Compiled, CompileSettings, compile_module
from matrix.build.envs import Environment
from matrix.build.generate import Generated, PxdTree, generate, generate_many
from matrix.model.cases import BuildOptions, Case
from matrix.model.directives import module_configuration
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry

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
    """Who generates the C: the generator of the cell's generation class."""
    target: Environment
    """The Python (and numpy headers) the C is compiled for."""
    pxd: PxdTree | None
    compile: CompileSettings
    cache: Path
    retry: Retry = DEFAULT_RETRY

    @property
    def generate_root(self) -> Path:
        return self.cache / "generate"

    @property
    def compile_root(self) -> Path:
        return self.cache / "compile"


@dataclass(frozen=True)
class ModuleBuild:
    """One attempt to build an extension module from some cases: its generated C and, if that
    was generated, the C compiled for the target.  The last stage reached decides."""

    generated: Generated
    compiled: Compiled | None = None

    @property
    def last(self) -> Generated | Compiled:
        return self.compiled or self.generated

    @property
    def module(self) -> str:
        return self.generated.module

    @property
    def case_ids(self) -> tuple[str, ...]:
        return self.generated.case_ids

    @property
    def generated_under(self) -> str:
        return self.generated.generated_under

    @property
    def directory(self) -> Path:
        """Where the compiled module is (or, if generating failed, the generated sources)."""
        return self.last.directory

    @property
    def outcome(self) -> Outcome:
        return self.last.outcome

    @property
    def first_error(self) -> str | None:
        return self.last.first_error

    @property
    def cause(self) -> Cause:
        return self.last.cause

    @property
    def error_files(self) -> set[str]:
        return self.last.error_files

    @property
    def log(self) -> str:
        return self.generated.log + (self.compiled.log if self.compiled else "")

    @property
    def duration_s(self) -> float:
        return self.generated.duration_s + (self.compiled.duration_s if self.compiled else 0.0)


@dataclass
class CaseBuild:
    """Where a case ended up: the module that holds it, or the stage that failed."""

    case_id: str
    module: ModuleBuild
    batched: bool


def build_module(context: BuildContext, cases: Sequence[Case]) -> ModuleBuild:
    """Generate (or reuse) the C of ``cases`` and compile (or reuse) it for the target."""
    generated = generate(context.generator, cases, context.pxd, context.generate_root,
                         retry=context.retry)
    if generated.outcome is not Outcome.OK:
        return ModuleBuild(generated)
    return ModuleBuild(generated, compile_module(generated, context.target,
                                                 context.compile_root, context.compile,
                                                 context.retry))


def pregenerate(context: BuildContext, modules: Sequence[Sequence[Case]]) -> None:
    """Generate the C of ``modules`` that the cache lacks in one Cython process
    (:func:`matrix.build.generate.generate_many`); :func:`build_module` then finds it cached."""
    if len(modules) > 1:
        generate_many(context.generator, modules, context.pxd, context.generate_root,
                      retry=context.retry)


@dataclass(frozen=True)
class PlannedModule:
    """One module a cell builds first, and why its cases are together or alone."""

    cases: tuple[Case, ...]
    why: str
    batched: bool = False
    """A batch (split by blame if it fails), or one case alone."""


BATCHED = "batched: the default module configuration"
CONTROL_ALONE = "a control: built alone (its outcome is the toolchain's, never a batch mate's)"
BUILT_ALONE = "build = \"alone\" in its file"
ISOLATED = "blamed for a failure of an earlier batch: built alone"
UNBATCHED = "batching is off"


def plan_modules(cases: Sequence[Case], isolate: frozenset[str] = frozenset(), *,
                 batch: bool = True) -> list[PlannedModule]:
    """The modules a cell's first build makes of ``cases``, in build order: cases built alone
    (controls, ``build = "alone"``, those in ``isolate``), then one module per module
    configuration (:func:`matrix.model.directives.module_configuration`: cases whose other
    options are only class-level directives join their configuration's batch)."""
    planned: list[PlannedModule] = []
    grouped: dict[BuildOptions, list[Case]] = {}
    for case in cases:
        if case.id in isolate:
            planned.append(PlannedModule((case,), ISOLATED))
        elif case.is_control:
            planned.append(PlannedModule((case,), CONTROL_ALONE))
        elif case.build_alone:
            planned.append(PlannedModule((case,), BUILT_ALONE))
        else:
            grouped.setdefault(module_configuration(case), []).append(case)
    # The default configuration's batch first (the cell's main module), then the others.
    for options, group in sorted(grouped.items(), key=lambda item: not item[0].is_default):
        if not batch:
            planned += [PlannedModule((case,), UNBATCHED) for case in group]
        else:
            planned.append(PlannedModule(
                tuple(group), BATCHED if options.is_default
                else f"batched: the module configuration {options.text()}", batched=True))
    return planned


def build_cases(context: BuildContext, cases: Sequence[Case],
                isolate: frozenset[str] = frozenset(), *, batch: bool = True,
                ) -> dict[str, CaseBuild]:
    """Build every case, batched where possible; each case maps to the build that decides it.

    Cases in ``isolate`` (blamed for a failure of an earlier batch) get modules of their own.
    The C of every planned module is generated first, in one Cython process.
    """
    planned = plan_modules(cases, isolate, batch=batch)
    if batch:  # unbatched (the benchmark's naive build): one Cython process per module
        pregenerate(context, [module.cases for module in planned])
    result: dict[str, CaseBuild] = {}
    for module in planned:
        if not module.batched:
            [case] = module.cases
            result[case.id] = CaseBuild(case.id, build_module(context, [case]), False)
        else:
            result.update(_build_batched(context, list(module.cases), batch))
    return result


def _build_batched(context: BuildContext, pending: list[Case], batch: bool
                   ) -> dict[str, CaseBuild]:
    """Cases of one module configuration: one module, split by blame where it fails."""
    result: dict[str, CaseBuild] = {}
    while batch and len(pending) > 1:
        module = build_module(context, pending)
        if module.outcome is Outcome.OK or module.cause is not Cause.REPORTED:
            # Built, or the tool was killed / timed out on every try: that is nobody's
            # failure (each case gets the provisional outcome, measured again next run).
            for case in pending:
                result[case.id] = CaseBuild(case.id, module, batched=True)
            return result
        blamed = [c for c in pending if f"{c.id}.pyx" in module.error_files]
        attributable = module.outcome is Outcome.CYTHONIZE_ERROR or (
            module.outcome is Outcome.CC_ERROR and UNATTRIBUTED not in module.error_files)
        if not attributable or not blamed:
            break  # cannot attribute: build each case on its own
        rest = [c for c in pending if c not in blamed]
        pregenerate(context, [[case] for case in blamed] + ([rest] if rest else []))
        for case in blamed:
            result[case.id] = CaseBuild(case.id, build_module(context, [case]), False)
        pending = rest
    if batch:
        pregenerate(context, [[case] for case in pending])
    for case in pending:
        result[case.id] = CaseBuild(case.id, build_module(context, [case]), False)
    return result
