"""Stage 2, *compile*: build generated C into an extension module for one Python, cached by content.

The key holds what can change the result: the generated C, the target Python's headers and
extension suffix, the numpy headers (for numpy cases), the compiler's version and the flags.
Headers are found relocatably by the in-environment runner (``sysconfig.get_paths()``), so
relocated, repackaged and uv-managed interpreters compile like any other.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matrix.build import stagecache
from matrix.build.envs import Environment
from matrix.build.generate import Generated
from matrix.build.procs import run_process
from matrix.build.tools import run_build_tool
from matrix.model.errorline import strip_build_folders
from matrix.model.outcomes import Outcome
from matrix.model.policy import DEFAULT_RETRY, Cause, Retry, build_cached
from matrix.model.timeouts import TIMEOUTS

STAGE_VERSION = "compile/1"
_CC_ERROR = re.compile(r"(?:error|fatal error):", re.IGNORECASE)
_CC_ERROR_AT = re.compile(r"^(?P<file>[^\s:]+\.c):(?P<line>\d+):(?:\d+:)? (?:fatal )?error:")
# Cython marks the C it generates for a source line with /* "file.pyx":12 */ just above it.
_SOURCE_MARKER = re.compile(r'^/\* "(?P<file>[^"]+\.pyx)":\d+')
MARKER_WINDOW = 80
UNATTRIBUTED = "?"


@dataclass(frozen=True)
class CompileSettings:
    """The compiler and its flags (version and flags are part of every key and record)."""

    cc: str
    cc_version: str
    cflags: tuple[str, ...]
    command: tuple[str, ...] = ()
    """How to run it, when not just ``cc`` (``python -m ziglang cc``)."""
    env: tuple[tuple[str, str], ...] = ()
    """Extra environment for it (zig's cache folders)."""


def cplus_command(settings: CompileSettings) -> tuple[str, ...]:
    """The C++ compiler beside the cell's C compiler: ``g++`` for ``gcc``, ``clang++`` for
    ``clang``, ``c++`` for ``cc``, ``zig c++`` for ``zig cc``."""
    if settings.command:
        *head, last = settings.command
        return (*head, "c++" if last == "cc" else last)
    name = Path(settings.cc).name
    swapped = {"gcc": "g++", "clang": "clang++", "cc": "c++"}.get(name, name)
    return (str(Path(settings.cc).with_name(swapped)) if "/" in settings.cc else swapped,)


@dataclass
class Compiled:
    """One attempt to compile a generated module for one Python (and numpy headers)."""

    directory: Path
    outcome: Outcome
    first_error: str | None = None
    error_files: set[str] = field(default_factory=set)
    log: str = ""
    duration_s: float = 0.0
    cause: Cause = Cause.REPORTED


@functools.cache
def headers_digest(directories: tuple[str, ...]) -> str:
    """A hash of every header under ``directories`` (names and bytes)."""
    digest = hashlib.sha256()
    for directory in directories:
        for path in sorted(Path(directory).rglob("*.h")):
            digest.update(str(path.relative_to(directory)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cc_error_sources(output: str, c_file: Path) -> set[str]:
    """The case files whose generated C the compiler rejected, from Cython's source markers.

    An error with no marker close above it (Cython's utility code, a missing header) makes the
    set contain ``UNATTRIBUTED``: the batch cannot be split by blame.
    """
    try:
        c_lines = c_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {UNATTRIBUTED}
    sources: set[str] = set()
    for line in output.splitlines():
        match = _CC_ERROR_AT.match(line.strip())
        if not match or Path(match.group("file")).name != c_file.name:
            continue
        number = int(match.group("line"))
        found = UNATTRIBUTED
        for index in range(min(number, len(c_lines)) - 1, max(number - MARKER_WINDOW, 0) - 1, -1):
            marker = _SOURCE_MARKER.match(c_lines[index].strip())
            if marker:
                found = Path(marker.group("file")).name
                break
        sources.add(found)
    return sources or {UNATTRIBUTED}


def first_cc_error(output: str, directories: Sequence[Path]) -> str | None:
    for line in output.splitlines():
        if _CC_ERROR.search(line):
            return strip_build_folders(line, directories)
    lines = [line for line in output.splitlines() if line.strip()]
    return strip_build_folders(lines[-1], directories) if lines else None


def compile_key(generated: Generated, target: Environment, settings: CompileSettings
                ) -> list[object]:
    info = target.info
    numpy_headers = headers_digest((info.numpy_include,)) if info.numpy_include else None
    material: list[object] = [
        STAGE_VERSION, stagecache.file_digest(generated.c_file), info.python, info.ext_suffix,
        headers_digest(info.includes), numpy_headers, settings.cc_version, list(settings.cflags)]
    if not generated.options.is_default:  # a module without options keeps its key
        material.append(generated.options.to_json())
    return material


def compile_module(generated: Generated, target: Environment, root: Path,
                   settings: CompileSettings, retry: Retry = DEFAULT_RETRY) -> Compiled:
    """Compile ``generated`` (which must have C) for ``target``'s Python and numpy headers."""
    name = f"{generated.module}-{stagecache.key_of(compile_key(generated, target, settings))}"
    with stagecache.locked_entry(root, name) as directory:
        cached = stagecache.load(directory)
        if cached is not None:
            return Compiled(directory, Outcome(cached["outcome"]), cached["first_error"],
                            set(cached["error_files"]), cached["log"],
                            float(cached["duration_s"]))
        return _compile_locked(generated, target, stagecache.fresh(directory), settings, retry)


def _compile_locked(generated: Generated, target: Environment, directory: Path,
                    settings: CompileSettings, retry: Retry) -> Compiled:
    info = target.info
    includes = [f"-I{d}" for d in info.includes]
    if info.numpy_include:
        includes.append(f"-I{info.numpy_include}")
    module_file = f"{generated.module}{info.ext_suffix}"
    # Compile from the generating folder so that error lines name ``<module>.c`` only.
    options = generated.options
    compiler = cplus_command(settings) if options.cplus else (settings.command or (settings.cc,))
    macros = [f"-D{name}={value}" for name, value in options.compile_macros()]
    argv = [*compiler, *settings.cflags, *macros, "-shared", *includes,
            generated.c_file.name, "-o", str(directory / module_file)]
    env = {**os.environ, **dict(settings.env)} if settings.env else None
    tool = run_build_tool(
        lambda: run_process(argv, timeout_s=TIMEOUTS.compile, cwd=generated.directory, env=env),
        Outcome.CC_ERROR, retry)
    done = tool.done
    result = Compiled(directory, tool.outcome, log=done.transcript(),
                      duration_s=done.duration_s, cause=tool.cause)
    if tool.outcome is Outcome.CC_ERROR:
        result.first_error = first_cc_error(done.output, [generated.directory, directory])
        result.error_files = cc_error_sources(done.output, generated.c_file)
    elif tool.outcome is not Outcome.OK:  # killed or timed out, every try: not the cases' doing
        result.first_error = tool.transient_error(Path(settings.cc).name)
    if build_cached(tool.outcome, tool.cause):
        data = {"outcome": result.outcome.value, "first_error": result.first_error,
                "error_files": sorted(result.error_files), "log": result.log,
                "duration_s": result.duration_s, "module": generated.module,
                "python": info.python}
        stagecache.save(directory, data, [module_file] if result.outcome is Outcome.OK else [])
    return result
