"""Discover the CPython interpreters this machine has: pyenv versions, uv-managed Pythons and
``python2.7``/``python3.X`` on ``PATH``; each remembers where it was found (its provenance)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

_VERSION_PROBE = "import platform, sys; sys.stdout.write(platform.python_version())"


@dataclass(frozen=True, order=True)
class Interpreter:
    """One real interpreter: its full version and where it lives."""

    version: Version
    path: Path
    source: str = field(default="", compare=False)
    """Where it was found: ``pyenv``, ``uv-managed`` or ``PATH``."""

    @property
    def minor(self) -> str:
        """``"3.11"``: the axis value this interpreter serves."""
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
                [pyenv, "root"], capture_output=True, text=True, timeout=20, check=True
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
        out = subprocess.run([uv, "python", "dir"], capture_output=True, text=True, timeout=20,
                             check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out.stdout.strip()) if out.stdout.strip() else None


def _first_python(version_dir: Path) -> Path | None:
    for name in ("python3", "python2", "python"):
        exe = version_dir / "bin" / name
        if exe.is_file():
            return exe
    return None


def candidate_paths(root: Path | None, path_dirs: Iterable[str],
                    uv_dir: Path | None = None) -> list[tuple[Path, str]]:
    """Executables that may be CPython interpreters, with their source: pyenv ones first, then
    uv-managed ones, then ``PATH``."""
    candidates: list[tuple[Path, str]] = []
    for base, source in ((root / "versions" if root else None, "pyenv"), (uv_dir, "uv-managed")):
        if base is None:
            continue
        for version_dir in sorted(base.glob("*")):
            if source == "uv-managed" and not version_dir.name.startswith("cpython-"):
                continue
            exe = _first_python(version_dir)
            if exe is not None:
                candidates.append((exe, source))
    names = ["python2.7"] + [f"python3.{minor}" for minor in range(6, 20)]
    for directory in path_dirs:
        if "shims" in Path(directory).parts:
            continue
        for name in names:
            exe = Path(directory) / name
            if exe.is_file() and os.access(exe, os.X_OK):
                candidates.append((exe, "PATH"))
    return candidates


def probe_version(exe: Path) -> Version | None:
    """Ask the interpreter its version; ``None`` if it does not run."""
    try:
        out = subprocess.run(
            [str(exe), "-c", _VERSION_PROBE], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    try:
        return Version(out.stdout.strip())
    except ValueError:
        return None


def discover_interpreters(
    root: Path | None = None, path_dirs: Iterable[str] | None = None,
    uv_dir: Path | None = None,
) -> dict[str, Interpreter]:
    """Map each Python minor (``"3.11"``) to the newest interpreter found for it."""
    if root is None:
        root = pyenv_root()
    if path_dirs is None:
        path_dirs = os.environ.get("PATH", "").split(os.pathsep)
    if uv_dir is None:
        uv_dir = uv_python_dir()
    found: dict[str, Interpreter] = {}
    seen: set[Path] = set()
    for exe, source in candidate_paths(root, path_dirs, uv_dir):
        resolved = exe.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        version = probe_version(exe)
        if version is None or version.is_prerelease:
            continue
        interpreter = Interpreter(version=version, path=exe, source=source)
        current = found.get(interpreter.minor)
        if current is None or interpreter.version > current.version:
            found[interpreter.minor] = interpreter
    return dict(sorted(found.items(), key=lambda item: item[1].version))
