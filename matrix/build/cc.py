"""How to run an entry of the compiler axis (:mod:`matrix.model.compilers`) on this machine:
the system compiler, or clang from the ``ziglang`` wheel, installed into an environment of its
own like any other."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from matrix.build import stagecache
from matrix.model.policy import DEFAULT_RETRY, Retry
from matrix.model.timeouts import TIMEOUTS


@dataclass(frozen=True)
class CompilerTool:
    """How to run one compiler here: the command prefix and its environment."""

    command: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


class ToolInstallError(Exception):
    """The compiler could not be installed (the cell is then an env-error)."""


def zig_tool(version: str, envs: Path, cache: Path, retry: Retry = DEFAULT_RETRY
             ) -> CompilerTool:
    """``python -m ziglang cc`` of the ``ziglang`` wheel ``version`` (a compiler's pinned
    ``ziglang``, :mod:`matrix.model.compilers`) from an environment of its own under ``envs``
    (created once, with uv), zig's caches under ``cache``; raises :class:`ToolInstallError`."""
    name = f"tool-ziglang-{version}"
    with stagecache.locked_entry(envs, name) as directory:
        python = directory / "bin" / "python"
        if not (directory / "installed").exists():
            error: str | None = None
            for attempt in range(1, len(retry.delays) + 2):
                if attempt > 1:
                    retry.pause(attempt - 1)
                shutil.rmtree(directory, ignore_errors=True)
                error = _install(directory, python, version)
                if error is None:
                    break
            if error is not None:
                raise ToolInstallError(f"ziglang {version} could not be installed:"
                                       f" {error}")
            (directory / "installed").write_text(version)
    zig_cache = cache / "zig"
    env = (("ZIG_GLOBAL_CACHE_DIR", str(zig_cache)), ("ZIG_LOCAL_CACHE_DIR", str(zig_cache)))
    return CompilerTool((str(python), "-m", "ziglang", "cc"), env)


def _install(directory: Path, python: Path, version: str) -> str | None:
    """Create the tool environment; the error line, or ``None``."""
    steps = [["uv", "venv", "--quiet", "--python", sys.executable, str(directory)],
             ["uv", "pip", "install", "--quiet", "--python", str(python),
              f"ziglang=={version}"]]
    for argv in steps:
        done = subprocess.run(argv, capture_output=True, text=True,
                              timeout=TIMEOUTS.install)
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            return lines[-1] if lines else f"exit {done.returncode}"
    return None
