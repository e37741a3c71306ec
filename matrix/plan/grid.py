"""The grid: axes discovered from the machine and the index, filtered by a selection.

Every planned cell either can be tried, or carries the reason it cannot exist (no numpy wheel
for that Python, no Python here on which that Cython installs): such cells are recorded as
``not-possible``, never as failures.  A Cython release without a wheel for a cell's Python is
no reason: the cell is planned as *shipped C* (that Cython's C, generated under a Python it
installs on, compiled and run on this one) and says so.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from packaging.version import Version

from matrix.model.cases import Case
from matrix.model.cells import Cell
from matrix.model.compilers import (
    COMPILERS,
    DEFAULT_COMPILER,
    sanitizer_unavailable,
    select_compilers,
)
from matrix.model.compilers import spec as compiler_spec
from matrix.model.errors import SelectionError, UnknownVersionError
from matrix.model.interpreters import InterpreterId, python_matches
from matrix.model.measurement import wanted
from matrix.model.policy import Cause
from matrix.model.versions import channel
from matrix.plan.index import ReleaseIndex
from matrix.plan.interpreters import Interpreter

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

AXES_FILE = Path(__file__).resolve().parents[1] / "data" / "axes.toml"
GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class AxesConfig:
    """Bounds of the default grid (``matrix/data/axes.toml``)."""

    cython_floor: Version = Version("0.27")
    numpy_floor: Version = Version("1.13")
    abi_builds: tuple[str, ...] = ("oldest-1", "newest-1", "every-2")

    @classmethod
    def load(cls, path: Path = AXES_FILE) -> AxesConfig:
        data = tomllib.loads(path.read_text())
        try:
            return cls(
                cython_floor=Version(data["cython"]["floor"]),
                numpy_floor=Version(data["numpy"]["floor"]),
                abi_builds=tuple(data["abi"]["builds"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SelectionError(f"{path}: malformed axes file ({exc!r})") from exc


@dataclass(frozen=True)
class Selection:
    """What to run; ``None`` on an axis means its default.  Items may be globs."""

    python: tuple[str, ...] | None = None
    cython: tuple[str, ...] | None = None
    numpy: tuple[str, ...] | None = None
    cells: tuple[str, ...] | None = None
    abi: bool = True
    quick: bool = False
    compilers: tuple[str, ...] | None = None
    """Compiler ids (globs); ``None``: the default compiler everywhere and every compiler on
    core cells and on the newest numpy 1.x and 2.x cells (:func:`default_compilers`)."""
    pre: bool = False
    """The canary lane (``--pre``): pre-releases beside final ones (:mod:`matrix.plan.canary`),
    instead of the released grid."""


@dataclass(frozen=True)
class PlannedCell:
    """A cell and, if it cannot exist, why."""

    cell: Cell
    interpreter: Interpreter
    not_possible: str | None = None
    not_possible_cause: Cause = Cause.NO_WHEEL
    """Why, as the outcome policy reads it: ``no-wheel`` (the index), or ``no-sanitizer`` (the
    cell's compiler is a sanitizer that cannot see this interpreter's heap)."""
    shipped_c: str | None = None
    """Why this Cython cannot be installed on this Python (the cell is measured with shipped
    C); ``None`` when it has a wheel here (whether it *runs* here is measured)."""
    generators: tuple[Interpreter, ...] = ()
    """The Pythons on which this Cython has a wheel, newest first: where its C may be made."""


def holding(cells: Sequence[PlannedCell], cases: Sequence[Case]) -> list[PlannedCell]:
    """The ``cells`` that hold at least one of ``cases`` (:func:`matrix.model.measurement.
    wanted`)."""
    return [planned for planned in cells if wanted(planned.cell, cases)]


@dataclass
class Plan:
    cells: list[PlannedCell] = field(default_factory=list)
    not_tested: list[str] = field(default_factory=list)
    beside: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The canary lane's plan (:mod:`matrix.plan.canary`): ``canary cell id -> (baseline cell
    id, what is coming)``; empty for the released grid."""


def split_items(text: str, flag: str = "a selection") -> tuple[str, ...]:
    """``"3.0.11, 0.29.*"`` -> ``("3.0.11", "0.29.*")``; nothing in it is an error naming
    ``flag`` (``--numpy ''`` selects nothing: it is refused, never read as "all")."""
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    if not items:
        raise SelectionError(f"{flag} {text!r}: empty (omit the flag to select all)")
    return items


def is_glob(item: str) -> bool:
    return bool(GLOB_CHARS & set(item))


def _series(version: Version) -> tuple[int, int]:
    return (version.major, version.minor)


def newest_per_series(versions: Iterable[Version]) -> list[Version]:
    """The newest patch of every ``major.minor`` series, oldest series first."""
    newest: dict[tuple[int, int], Version] = {}
    for version in versions:
        if version.is_prerelease or version.is_devrelease:
            continue
        key = _series(version)
        if key not in newest or version > newest[key]:
            newest[key] = version
    return [newest[key] for key in sorted(newest)]


def final_releases(index: ReleaseIndex, project: str, floor: Version) -> list[Version]:
    return sorted(
        r.version for r in index.releases.get(project, ())
        if not r.version.is_prerelease and not r.version.is_devrelease and not r.yanked
        and r.version >= floor
    )


def resolve_versions(project: str, items: Sequence[str] | None, index: ReleaseIndex,
                     floor: Version, default: list[Version]) -> list[Version]:
    """Turn ``--cython 3.0.11,0.29.*`` into exact releases; unknown exact versions are errors."""
    if items is None:
        return default
    known = final_releases(index, project, Version("0"))
    chosen: set[Version] = set()
    for item in items:
        if item == "default":
            chosen.update(default)
        elif item == "latest":
            chosen.update(default[-1:])
        elif is_glob(item):
            matched = [v for v in known if v >= floor and fnmatch.fnmatchcase(str(v), item)]
            if not matched:
                raise SelectionError(f"--{project} {item}: matches no {project} release")
            chosen.update(matched)
        else:
            version = require_release(index, project, item)
            if channel(item) != "final":
                raise SelectionError(f"--{project} {item}: a pre-release: the released table"
                                     " takes final releases only (add --pre to measure it in"
                                     " the canary lane)")
            chosen.add(version)
    return sorted(chosen)


def require_release(index: ReleaseIndex, project: str, item: str,
                    flag: str | None = None) -> Version:
    """The exact release ``item`` of ``project``; one the index does not know is an error
    naming the flag (``--cython 9.9: no such cython release ...``), the same in every command
    (docs/measuring.md, "Exit statuses")."""
    flag = flag or f"--{project}"
    try:
        wanted = Version(item)
    except ValueError as exc:
        raise UnknownVersionError(f"{flag} {item}: not a version") from exc
    if index.get(project, item) is None:
        known = final_releases(index, project, Version("0"))
        newest = ", ".join(str(v) for v in newest_per_series(known)[-4:])
        raise UnknownVersionError(
            f"{flag} {item}: no such {project} release on the package index"
            f" (newest series: {newest})"
        )
    return wanted


def require_releases(index: ReleaseIndex, *, cython: str | None = None,
                     numpy: str | None = None, numpy_run: str | None = None) -> None:
    """``try`` and ``bisect``: each exact release given (``--cython``, ``--numpy``,
    ``--numpy-run``) is on the index, as :func:`require_release` checks it for ``run`` and
    ``list``; a range ``A..B`` is bisect's own to check."""
    for flag, project, item in (("--cython", "cython", cython), ("--numpy", "numpy", numpy),
                                ("--numpy-run", "numpy", numpy_run)):
        if item is not None and ".." not in item:
            require_release(index, project, item, flag)


def no_interpreter(value: str, interpreters: Mapping[str, Interpreter]) -> UnknownVersionError:
    """``--python value`` names no interpreter on this machine: the one error every command
    gives (``run``/``list`` when none of their ``--python`` items has one)."""
    return UnknownVersionError(f"--python {value}: no such interpreter here"
                               f" (found: {', '.join(interpreters) or 'none'})")


def select_pythons(interpreters: dict[str, Interpreter], items: Sequence[str] | None,
                   plan: Plan) -> list[Interpreter]:
    if items is None:
        return list(interpreters.values())
    chosen: list[Interpreter] = []
    for item in items:
        matched = [i for label, i in interpreters.items() if python_matches(label, item)]
        if not matched:
            plan.not_tested.append(
                f"Python {item}: no interpreter on this machine (not tested here)")
        chosen.extend(i for i in matched if i not in chosen)
    return sorted(chosen)


def numpy_for_python(index: ReleaseIndex, python: Version | InterpreterId,
                     config: AxesConfig) -> list[Version]:
    """Newest patch of each numpy series that has a wheel for ``python``."""
    installable = [v for v in final_releases(index, "numpy", config.numpy_floor)
                   if index.installable("numpy", str(v), python) is None]
    return newest_per_series(installable)


def abi_versions(numpys: Sequence[Version], rules: Sequence[str]) -> list[Version]:
    """The numpy builds of the build-vs-run table, from the rules in ``axes.toml``."""
    ones = [v for v in numpys if v.major == 1]
    twos = [v for v in numpys if v.major >= 2]
    chosen: set[Version] = set()
    for rule in rules:
        if rule == "oldest-1" and ones:
            chosen.add(ones[0])
        elif rule == "newest-1" and ones:
            chosen.add(ones[-1])
        elif rule == "every-2":
            chosen.update(twos)
        elif rule not in ("oldest-1", "newest-1", "every-2"):
            raise SelectionError(f"{AXES_FILE}: field 'abi.builds': unknown rule {rule!r}")
    return sorted(chosen)


def _ends(values: Sequence[Version]) -> list[Version]:
    return sorted({values[0], values[-1]}) if values else []


def impossible(index: ReleaseIndex, cell: Cell, python: Version | InterpreterId) -> str | None:
    """Why ``cell`` cannot exist on ``python`` (no numpy wheel to compile and run against, or
    no such Cython release), or ``None``.  Cython's own wheels do not decide this."""
    if index.get("cython", cell.cython) is None:
        return f"cython {cell.cython} is not on the package index"
    for version in (cell.numpy_build, cell.numpy_run):
        if version is not None:
            why = index.installable("numpy", version, python)
            if why is not None:
                return why
    return None


def cython_generators(index: ReleaseIndex, interpreters: Iterable[Interpreter],
                      cython: str) -> tuple[Interpreter, ...]:
    """The CPythons (without ABI flags) on which ``cython`` has a wheel, newest first: where
    its shared and shipped C is made, as for an sdist.  Other kinds (PyPy, free-threaded
    CPython) generate their own C where this Cython installs on them, and otherwise compile
    this shipped C."""
    return tuple(sorted((i for i in interpreters if i.kind.is_default
                         and index.installable("cython", cython, i.id) is None),
                        reverse=True))


def plan_cell(cell: Cell, interpreter: Interpreter, index: ReleaseIndex,
              interpreters: Iterable[Interpreter],
              generators: tuple[Interpreter, ...] | None = None) -> PlannedCell:
    """``cell`` on ``interpreter``: possible or not, native or shipped C, and its generators
    (computed from ``interpreters`` unless given)."""
    if generators is None:
        generators = cython_generators(index, interpreters, cell.cython)
    why = impossible(index, cell, interpreter.id)
    if why is None and not generators:
        why = (f"no Python here has a wheel of cython {cell.cython}, so nothing can generate"
               " its C (source builds are not attempted)")
    cause = Cause.NO_WHEEL
    if why is None and compiler_spec(cell.compiler).sanitizer is not None:
        why = sanitizer_unavailable(interpreter.id)
        cause = Cause.NO_SANITIZER
    return PlannedCell(cell, interpreter, why, not_possible_cause=cause,
                       shipped_c=index.installable("cython", cell.cython, interpreter.id),
                       generators=generators)


def quick_pythons(pythons: Sequence[Interpreter], index: ReleaseIndex,
                  config: AxesConfig) -> list[Interpreter]:
    """The oldest Python 3 and the newest Python that still has numpy 1.x and 2.x wheels."""
    modern = [i for i in pythons if i.version.major >= 3] or list(pythons)
    both = [i for i in modern
            if {v.major for v in numpy_for_python(index, i.id, config)} >= {1, 2}]
    return sorted({modern[0], (both or modern)[-1]})


def quick_numpy(numpys: Sequence[Version], position: int) -> list[Version]:
    """``--quick``'s numpy cells of a Python's oldest (``position`` 0) and newest Cython: the
    oldest numpy with the oldest Cython, the newest with the newest, as a project pins them."""
    if not numpys:
        return []
    return [numpys[0] if position == 0 else numpys[-1]]


def default_compilers(cell: Cell, numpys: Sequence[Version]) -> tuple[str, ...]:
    """The default grid's compilers for a cell, as each compiler's ``grid`` in
    ``compilers.toml`` says (:meth:`~matrix.model.compilers.CompilerSpec.builds`): the groups
    are the core cells and the numpy cells of the newest 1.x and the newest 2.x numpy for that
    Python; a sanitizer only where it can see the Python's heap (CPython 3.6+); the default
    compiler alone on the rest (other numpy versions, build-vs-run), and on every cell of
    another interpreter kind than CPython (PyPy, free-threaded: the compilers are compared on
    CPython, the kinds with the default compiler, as their wheels are built)."""
    python = InterpreterId.from_label(cell.python)
    if not python.kind.is_default:
        return (DEFAULT_COMPILER,)
    newest = {str(max(group)) for group in ([v for v in numpys if v.major == 1],
                                            [v for v in numpys if v.major >= 2]) if group}
    group = ("core" if cell.kind == "core" else
             "newest-numpy" if cell.kind == "numpy" and cell.numpy_build in newest else None)
    if group is None:
        return (DEFAULT_COMPILER,)
    return tuple(c for c, s in COMPILERS.items() if s.builds(group)
                 and (s.sanitizer is None or sanitizer_unavailable(python) is None))


def plan_grid(interpreters: dict[str, Interpreter], index: ReleaseIndex, selection: Selection,
              config: AxesConfig | None = None) -> Plan:
    """Every cell of the selected grid, in a stable order, with not-possible reasons."""
    config = config or AxesConfig.load()
    plan = Plan()
    pythons = select_pythons(interpreters, selection.python, plan)
    for interpreter in [i for i in pythons if i.version.is_prerelease]:
        plan.not_tested.append(f"Python {interpreter.version}: a pre-release, measured in the"
                               " canary lane only (--pre)")
        pythons.remove(interpreter)
    if selection.quick and selection.python is None and pythons:
        pythons = quick_pythons(pythons, index, config)
    default_cython = newest_per_series(final_releases(index, "cython", config.cython_floor))
    cythons = resolve_versions("cython", selection.cython, index, config.cython_floor,
                               default_cython)
    chosen_compilers = (select_compilers(selection.compilers)
                        if selection.compilers is not None else None)
    cells: list[PlannedCell] = []
    everyone = list(interpreters.values())
    generators: dict[str, tuple[Interpreter, ...]] = {}
    for interpreter in pythons:
        label, full = interpreter.label, interpreter.id

        def planned_cell(cell: Cell, interpreter: Interpreter = interpreter) -> PlannedCell:
            if cell.cython not in generators:
                generators[cell.cython] = cython_generators(index, everyone, cell.cython)
            return plan_cell(cell, interpreter, index, everyone, generators[cell.cython])

        default_numpy = numpy_for_python(index, full, config)
        numpys = resolve_versions("numpy", selection.numpy, index, config.numpy_floor,
                                  default_numpy)
        if selection.numpy is not None:
            numpys = [v for v in numpys if v in default_numpy
                      or not any(is_glob(i) for i in selection.numpy)]
        py_cythons = list(cythons)
        if selection.quick:
            usable = [v for v in py_cythons if index.installable("cython", str(v), full) is None]
            py_cythons = _ends(usable)
            numpys = _ends(numpys)
        def add(cell: Cell, numpys: Sequence[Version] = numpys) -> None:
            if chosen_compilers is not None:
                compilers = chosen_compilers
            elif selection.quick:
                compilers = (DEFAULT_COMPILER,)
            else:
                compilers = default_compilers(cell, numpys)
            for compiler in compilers:
                cells.append(planned_cell(replace(cell, compiler=compiler)))

        for position, cython in enumerate(py_cythons):
            add(Cell(label, str(cython)))
            for numpy in quick_numpy(numpys, position) if selection.quick else numpys:
                add(Cell(label, str(cython), str(numpy), str(numpy)))
        if not selection.abi:
            continue
        usable_cythons = [v for v in py_cythons
                          if index.installable("cython", str(v), full) is None]
        if not usable_cythons:
            continue
        abi_cython = str(usable_cythons[-1])
        builds = abi_versions(numpys, config.abi_builds)
        pairs = [(built, ran) for built in builds for ran in builds if built != ran]
        if selection.quick:  # built against the oldest, run under the newest: an upgrade
            pairs = [(builds[0], builds[-1])] if len(builds) > 1 else []
        for built, ran in pairs:
            add(Cell(label, abi_cython, str(built), str(ran)))
    if selection.cells is not None:
        patterns = selection.cells
        cells = [p for p in cells if any(fnmatch.fnmatchcase(p.cell.id, pat) for pat in patterns)]
    plan.cells = sorted(cells, key=lambda p: p.cell.sort_key())
    return plan


def uncovered_releases(cells: Sequence[PlannedCell], covered_cython: set[str],
                       covered_numpy: set[str],
                       covered_python: set[str] | None = None) -> list[PlannedCell]:
    """Cells that use a Cython or numpy release, or a Python minor (when ``covered_python`` is
    given), that no stored record covers yet: what new releases add to the grid."""
    def is_new(cell: Cell) -> bool:
        numpys = {v for v in (cell.numpy_build, cell.numpy_run) if v is not None}
        new_python = covered_python is not None and cell.python not in covered_python
        return cell.cython not in covered_cython or bool(numpys - covered_numpy) or new_python

    return [planned for planned in cells if is_new(planned.cell)]
