"""Discover the interpreters this machine has: pyenv versions, uv-managed Pythons and the
executables of each enabled kind on ``PATH`` (``python2.7``, ``python3.X``; ``python3.Xt`` and
``pypy3.X`` once their kinds are enabled in ``matrix/data/interpreters.toml``); each is asked
what it is (implementation, version, free-threaded or not) and remembers where it was found
(its provenance)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from matrix.model.interpreters import CPYTHON, KINDS, InterpreterId, InterpreterKind, kind_of
from matrix.model.timeouts import TIMEOUTS

PROBE = (
    "import platform, sys; "
    "pypy = getattr(sys, 'pypy_version_info', None); "
    "sys.stdout.write(' '.join([platform.python_implementation(), platform.python_version(),"
    " getattr(sys, 'abiflags', '') or '-',"
    " '.'.join([str(n) for n in pypy[:3]]) if pypy else '-']))"
)
"""What an interpreter is: ``CPython 3.13.1 t -`` (implementation, language version, its ABI
flags or ``-``: a free-threaded build has ``t`` in ``sys.abiflags`` (PEP 703), PyPy's own
release or ``-``); runs on Python 2.7 too, and imports nothing slow (every interpreter on the
machine answers it on every run)."""
MINORS = ("2.7", *(f"3.{minor}" for minor in range(6, 20)))
"""The language versions discovery looks for on ``PATH`` (``python3.11``, ``pypy3.11``)."""


@dataclass(frozen=True)
class Probed:
    """What an executable said it is."""

    kind: InterpreterKind | None
    """``None``: a kind ``interpreters.toml`` does not have."""
    version: Version
    implementation_version: str = ""


@dataclass(frozen=True, order=True)
class Interpreter:
    """One real interpreter: its full version and where it lives."""

    version: Version
    path: Path
    source: str = field(default="", compare=False)
    """Where it was found: ``pyenv``, ``uv-managed`` or ``PATH``."""
    kind: InterpreterKind = field(default=CPYTHON, compare=False)
    implementation_version: str = field(default="", compare=False)
    """The implementation's own release (PyPy ``7.3.19``); ``""`` for CPython."""

    @property
    def id(self) -> InterpreterId:
        """What it is, apart from where it lives: every name and key material it has."""
        return InterpreterId(self.kind, self.version, self.implementation_version)

    @property
    def label(self) -> str:
        """``"3.11"`` (``"3.13t"``, ``"pypy3.11"``): the axis value this interpreter serves."""
        return self.id.label

    @property
    def minor(self) -> str:
        """``"3.11"``: its language minor (a PyPy 3.11 too; :attr:`label` tells them apart)."""
        return f"{self.version.major}.{self.version.minor}"


def pyenv_root() -> Path | None:
    """``$PYENV_ROOT``, else what ``pyenv root`` says, else ``~/.pyenv`` if it exists."""
    from_env = os.environ.get("PYENV_ROOT")
    if from_env:
        return Path(from_env)
    pyenv = shutil.which("pyenv")
    if pyenv:
        try:
            out = subprocess.run(
                [pyenv, "root"], capture_output=True, text=True, timeout=TIMEOUTS.discover,
                check=True
            )
            return Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def uv_python_dir() -> Path | None:
    """Where uv keeps the Pythons it manages (``uv python install``): ``$UV_PYTHON_INSTALL_DIR``,
    else what ``uv python dir`` says; ``None`` without uv."""
    from_env = os.environ.get("UV_PYTHON_INSTALL_DIR")
    if from_env:
        return Path(from_env)
    uv = shutil.which("uv")
    if uv is None:
        return None
    try:
        out = subprocess.run([uv, "python", "dir"], capture_output=True, text=True,
                             timeout=TIMEOUTS.discover,
                             check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.stdout.strip() else None


def enabled_kinds() -> list[InterpreterKind]:
    """The kinds ``interpreters.toml`` turns on (today: CPython)."""
    return [kind for kind in KINDS.values() if kind.enabled]


def _first_python(version_dir: Path, kinds: Iterable[InterpreterKind]) -> Path | None:
    names = dict.fromkeys(["python3", "python2", "python",
                           *(f"{k.executable}3" for k in kinds if k.executable != "python")])
    for name in names:
        exe = version_dir / "bin" / name
        if exe.is_file():
            return exe
    return None


def candidate_paths(root: Path | None, path_dirs: Iterable[str], uv_dir: Path | None = None,
                    kinds: Iterable[InterpreterKind] | None = None) -> list[tuple[Path, str]]:
    """Executables that may be interpreters of ``kinds`` (default: the enabled ones), with
    their source: pyenv ones first, then uv-managed ones, then ``PATH``."""
    kinds = list(enabled_kinds() if kinds is None else kinds)
    uv_prefixes = tuple(dict.fromkeys(k.uv for k in kinds))
    candidates: list[tuple[Path, str]] = []
    for base, source in ((root / "versions" if root else None, "pyenv"), (uv_dir, "uv-managed")):
        if base is None:
            continue
        for version_dir in sorted(base.glob("*")):
            if source == "uv-managed" and not version_dir.name.startswith(uv_prefixes):
                continue
            exe = _first_python(version_dir, kinds)
            if exe is not None:
                candidates.append((exe, source))
    names = list(dict.fromkeys(InterpreterId(kind, Version(minor)).executable
                               for kind in kinds for minor in MINORS))
    for directory in path_dirs:
        if "shims" in Path(directory).parts:
            continue
        for name in names:
            exe = Path(directory) / name
            if exe.is_file() and os.access(exe, os.X_OK):
                candidates.append((exe, "PATH"))
    return candidates


def parse_probe(output: str) -> Probed | None:
    """Read :data:`PROBE`'s answer; ``None`` if it is not one."""
    parts = output.split()
    if len(parts) != 4:
        return None
    implementation, version_text, abiflags, implementation_version = parts
    try:
        version = Version(version_text)
    except InvalidVersion:
        return None
    abi = "t" if "t" in abiflags.replace("-", "") else ""
    return Probed(kind_of(implementation, abi), version,
                  "" if implementation_version == "-" else implementation_version)


def probe(exe: Path) -> Probed | None:
    """Ask the interpreter what it is; ``None`` if it does not run or answer."""
    try:
        out = subprocess.run([str(exe), "-c", PROBE], capture_output=True, text=True,
                             timeout=TIMEOUTS.discover)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return parse_probe(out.stdout)


def discover_interpreters(
    root: Path | None = None, path_dirs: Iterable[str] | None = None,
    uv_dir: Path | None = None, kinds: Iterable[InterpreterKind] | None = None,
) -> dict[str, Interpreter]:
    """Map each axis value (``"3.11"``; ``"pypy3.11"`` for an enabled PyPy) to the newest
    interpreter found for it, among the ``kinds`` (default: those ``interpreters.toml``
    enables; an interpreter of another kind is passed over)."""
    if root is None:
        root = pyenv_root()
    if path_dirs is None:
        path_dirs = os.environ.get("PATH", "").split(os.pathsep)
    if uv_dir is None:
        uv_dir = uv_python_dir()
    wanted = list(enabled_kinds() if kinds is None else kinds)
    found: dict[str, Interpreter] = {}
    seen: set[Path] = set()
    for exe, source in candidate_paths(root, path_dirs, uv_dir, wanted):
        resolved = exe.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        probed = probe(exe)
        if probed is None or probed.kind not in wanted or probed.version.is_prerelease:
            continue
        interpreter = Interpreter(version=probed.version, path=exe, source=source,
                                  kind=probed.kind,
                                  implementation_version=probed.implementation_version)
        current = found.get(interpreter.label)
        if current is None or interpreter.version > current.version:
            found[interpreter.label] = interpreter
    return dict(sorted(found.items(), key=lambda item: (
        Version(item[1].minor), item[1].kind.order)))
