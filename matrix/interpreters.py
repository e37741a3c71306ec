"""Discover the CPython interpreters this machine has (pyenv versions and PATH)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

_VERSION_PROBE = "import platform, sys; sys.stdout.write(platform.python_version())"


@dataclass(frozen=True, order=True)
class Interpreter:
    """One real interpreter: its full version and where it lives."""

    version: Version
    path: Path

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


def candidate_paths(root: Path | None, path_dirs: Iterable[str]) -> list[Path]:
    """Executables that may be CPython interpreters, pyenv ones first."""
    candidates: list[Path] = []
    if root is not None:
        for version_dir in sorted((root / "versions").glob("*")):
            for name in ("python3", "python2", "python"):
                exe = version_dir / "bin" / name
                if exe.is_file():
                    candidates.append(exe)
                    break
    names = ["python2.7"] + [f"python3.{minor}" for minor in range(6, 20)]
    for directory in path_dirs:
        if "shims" in Path(directory).parts:
            continue
        for name in names:
            exe = Path(directory) / name
            if exe.is_file() and os.access(exe, os.X_OK):
                candidates.append(exe)
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
    root: Path | None = None, path_dirs: Iterable[str] | None = None
) -> dict[str, Interpreter]:
    """Map each Python minor (``"3.11"``) to the newest interpreter found for it."""
    if root is None:
        root = pyenv_root()
    if path_dirs is None:
        path_dirs = os.environ.get("PATH", "").split(os.pathsep)
    found: dict[str, Interpreter] = {}
    seen: set[Path] = set()
    for exe in candidate_paths(root, path_dirs):
        resolved = exe.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        version = probe_version(exe)
        if version is None or version.is_prerelease:
            continue
        interpreter = Interpreter(version=version, path=exe)
        current = found.get(interpreter.minor)
        if current is None or interpreter.version > current.version:
            found[interpreter.minor] = interpreter
    return dict(sorted(found.items(), key=lambda item: item[1].version))
