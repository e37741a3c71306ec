"""Every command README.md shows runs, as shown, in a fresh shell after the README's set-up
commands (issue 17, item 8): no project virtualenv on ``PATH``, only what ``python3 -m pip install
nox uv`` provides.

A command is any line of a shell block (```console; with ``$`` prompts, the prompt lines, whose
following lines are the output shown) and any inline code span that starts like a command
(``nox ...``, ``python -m ...``: the Commands table, the set-up paragraph, "Adding a case"). Each
one must be covered here, or the fast test fails:

* every shown command is parsed: ``nox -s <session> -- <args>`` must name a session of the
  noxfile, and the command line the session runs (the noxfile's own mapping) must parse with the
  real ``python -m matrix`` / ``python -m report`` parser, placeholders (``X``, ``[--json]``, ...)
  filled with sample values;
* cheap ones run for real (slow: nox makes its environments): every ``$`` command whose output
  the README shows (the query example: its shown lines must come out, in order), ``--help`` of
  every subcommand shown, through the same ``nox -s`` entry point (each flag the README passes
  must be in it), and ``nox -l`` for every session named;
* expensive ones (the whole grid, a measurement, a build, the test suite) are only parsed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import nox
import pytest

from matrix.cli import build_parser as matrix_parser
from matrix.run.hygiene import SUPERVISED_ENV
from matrix.store.paths import PROJECT_ROOT
from report.cli import build_parser as report_parser
from tests.conftest import missing_prerequisite

README = PROJECT_ROOT / "README.md"

SHELL_FENCES = frozenset({"console", "shell", "shell-session", "sh", "bash"})

COMMAND_SPAN = re.compile(
    r"^(?:\$ )?(?:nox|cymatrix(?:-measure)?|python[0-9.]*|pip[0-9.]*|uvx?|pytest|bash|sh|git|cd"
    r"|make|\./\S+)(?: |$)")
"""An inline code span that is a command (``python3.X``, an interpreter's name, is not)."""

NOT_COMMANDS = {
    "python -m ziglang cc": "names the clang the harness runs inside its own environments",
}
"""Code spans that look like commands but name what the harness runs, with the reason."""

PLACEHOLDERS = {
    "X": ["3.11"], "Y": ["3.2.4"], "Z": ["2.3.5"], "C": ["bytes-to-char-pointer"],
    "A..B": ["0.27.3..0.28.6"], "N": ["5"], "<id>": ["bytes-to-char-pointer"],
    "...": ["--python", ">=3.8", "--case", "bytes-*"], "PATH...": ["cases"],
}
"""Sample values for the Commands table's placeholders (``...``: more flags of the command)."""

OPTIONAL_GROUP = re.compile(r"\[([^\]]+)\]")
SELECTION = "--quick --python 3.12 --cython 3.*"
"""What ``[selection]`` stands for in a sample command."""

SESSION_TIMEOUT_S = 900  # the first run of a session creates its environment


class Unchecked(Exception):
    """A README command no check here covers (or that does not parse)."""


@dataclass(frozen=True)
class Shown:
    """A command as README.md shows it."""

    line: int
    text: str
    output: tuple[str, ...] = ()  # the lines shown under a ``$`` prompt

    @property
    def label(self) -> str:
        return f"README.md:{self.line}: {self.text}"


@dataclass(frozen=True)
class NoxCheck:
    """How one concrete ``nox -s`` command is checked: its session, and for a session that runs
    a ``python -m`` command line, that line and the prefix of posargs that selects it."""

    session: str
    module: str | None = None
    argv: tuple[str, ...] = ()
    help_prefix: tuple[str, ...] = ()

    @property
    def subcommand(self) -> str | None:
        return self.argv[0] if self.argv else None

    @property
    def flags(self) -> list[str]:
        return [a.split("=", 1)[0] for a in self.argv if a.startswith("-") and a != "--"]


@dataclass(frozen=True)
class PipCheck:
    """The set-up's ``python3 -m pip install nox uv``."""

    argv: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class InstallCheck:
    """``python3 -m pip install .``: the distribution built from the clone and installed;
    tests/test_distribution.py builds that wheel, installs it into a fresh venv and runs the
    README's :class:`ToolCheck` commands there."""

    argv: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ToolCheck:
    """``cymatrix ARGS``: the installed tool (``python -m report ARGS``); parsed here with the
    real command line, run by tests/test_distribution.py in the fresh venv."""

    argv: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SdistCheck:
    """``pip download --no-deps --no-binary :all: NAME==VERSION`` and its ``tar xzf
    NAME-VERSION.tar.gz``: a real package's source, pinned, for the scan's example;
    tests/test_distribution.py runs them in the fresh venv before the scan."""

    argv: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class UvPythonCheck:
    """``uv python install REQUEST...`` (how the README gets PyPy and free-threaded CPython):
    each request names a download uv knows (its own metadata, no network)."""

    requests: tuple[str, ...] = field(default=())


# -- finding the commands -------------------------------------------------------------------


def shown_commands(markdown: str) -> list[Shown]:
    """Every command in ``markdown``: shell-block lines and command-like inline code spans."""
    lines = markdown.splitlines()
    found: list[Shown] = []
    prose = list(lines)
    i = 0
    while i < len(lines):
        fence = re.match(r"^\s*(```|~~~)\s*([\w-]*)", lines[i])
        if not fence:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines))
                    if lines[j].strip().startswith(fence.group(1))), len(lines))
        for j in range(i, min(end + 1, len(lines))):
            prose[j] = ""
        if fence.group(2) in SHELL_FENCES:
            found += _block_commands(lines[i + 1:end], first_line=i + 2)
        i = end + 1
    text = "\n".join(prose)
    for match in re.finditer(r"`([^`]+)`", text):
        span = " ".join(match.group(1).split())
        if COMMAND_SPAN.match(span) and span not in NOT_COMMANDS:
            found.append(Shown(text.count("\n", 0, match.start()) + 1, span.removeprefix("$ ")))
    return sorted(found, key=lambda s: s.line)


def _block_commands(block: list[str], first_line: int) -> list[Shown]:
    if not any(line.startswith("$ ") for line in block):
        return [Shown(first_line + n, line.strip()) for n, line in enumerate(block)
                if line.strip()]
    commands: list[Shown] = []
    for n, line in enumerate(block):
        if line.startswith("$ "):
            output = itertools.takewhile(lambda x: not x.startswith("$ "), block[n + 1:])
            commands.append(Shown(first_line + n, line[2:].strip(),
                                  tuple(x.rstrip() for x in output)))
    return commands


def variants(text: str) -> list[list[list[str]]]:
    """The concrete command lines a shown command stands for: each optional ``[...]`` group
    left out and put in, placeholders filled; each one a list of ``&&``-joined argvs."""
    groups = OPTIONAL_GROUP.findall(text)
    result = []
    for chosen in itertools.product((False, True), repeat=len(groups)):
        parts = iter(chosen)

        def fill(match: re.Match[str], parts: Iterator[bool] = parts) -> str:
            if not next(parts):
                return ""
            return SELECTION if match.group(1) == "selection" else match.group(1)

        try:
            tokens = shlex.split(OPTIONAL_GROUP.sub(fill, text), comments=True)
        except ValueError as exc:
            raise Unchecked(f"{text!r} does not split as a shell line: {exc}") from exc
        tokens = [v for t in tokens for v in PLACEHOLDERS.get(t, [t])]
        argvs = [list(g) for is_and, g in itertools.groupby(tokens, lambda t: t == "&&")
                 if not is_and]
        result.append(argvs)
    return result


# -- what each command means ----------------------------------------------------------------


def _noxfile() -> ModuleType:
    import noxfile  # the repository root is on sys.path (pytest's pythonpath)

    return noxfile


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(action.choices)


def _parse(module: str, argv: list[str]) -> None:
    parser = matrix_parser() if module == "matrix" else report_parser()
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            parser.parse_args(argv)
    except SystemExit as exc:
        raise Unchecked(f"`python -m {module} {shlex.join(argv)}` does not parse:"
                        f" {errors.getvalue().strip()}") from exc


Check = NoxCheck | PipCheck | UvPythonCheck | InstallCheck | ToolCheck | SdistCheck
PINNED_SDIST = re.compile(r"^[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9_.!+-]*$")


def plan(argv: list[str]) -> Check:
    """How a concrete command is checked; :class:`Unchecked` if no check here covers it."""
    shown = shlex.join(argv)
    if argv[:4] == ["python3", "-m", "pip", "install"] and set(argv[4:]) <= {"nox", "uv"}:
        return PipCheck(tuple(argv))
    if argv == ["python3", "-m", "pip", "install", "."]:
        return InstallCheck(tuple(argv))
    if argv[:1] == ["cymatrix"]:
        _parse("report", argv[1:])
        return ToolCheck(tuple(argv))
    if argv[:5] == ["pip", "download", "--no-deps", "--no-binary", ":all:"] and len(argv) == 6:
        if not PINNED_SDIST.match(argv[5]):
            raise Unchecked(f"`{shown}`: the package must be pinned (NAME==VERSION)")
        return SdistCheck(tuple(argv))
    if argv[:2] == ["tar", "xzf"] and len(argv) == 3 and argv[2].endswith(".tar.gz"):
        return SdistCheck(tuple(argv))
    if argv[:3] == ["uv", "python", "install"] and len(argv) > 3 and not any(
            a.startswith("-") for a in argv[3:]):
        return UvPythonCheck(tuple(argv[3:]))
    if argv[:2] != ["nox", "-s"] or len(argv) < 3 or (len(argv) > 3 and argv[3] != "--"):
        raise Unchecked(f"`{shown}`: no check covers this command (only `nox -s SESSION"
                        " [-- ARGS]`, `cymatrix ARGS`, the set-up's pip installs and `uv python"
                        " install` are checked)")
    session, posargs = argv[2], argv[4:]
    nf = _noxfile()
    if session == "tests":
        if posargs:
            raise Unchecked(f"`{shown}`: the tests session's pytest arguments are not checked")
        return NoxCheck("tests")
    if session == "matrix":
        module, command = "matrix", nf._command(posargs, nf.MATRIX_COMMANDS, "run")
    elif session == "report":
        module, command = "report", nf._command(posargs, nf.REPORT_COMMANDS, "render")
    elif session == "query":
        module, command = "report", ["query", *posargs]
    else:
        raise Unchecked(f"`{shown}`: no check covers session {session!r}")
    _parse(module, command)
    prefix = tuple(posargs[:1]) if posargs[:1] == command[:1] else ()
    return NoxCheck(session, module, tuple(command), prefix)


def plans(shown: Shown) -> list[Check]:
    return [plan(argv) for variant in variants(shown.text) for argv in variant]


COMMANDS = shown_commands(README.read_text(encoding="utf-8"))


def _all_nox_checks() -> list[NoxCheck]:
    checks = []
    for shown in COMMANDS:
        with contextlib.suppress(Unchecked):  # test_every_command_is_checked reports it
            checks += [c for c in plans(shown) if isinstance(c, NoxCheck)]
    return checks


# -- running in a fresh shell ---------------------------------------------------------------


def _in_venv(directory: str) -> bool:
    return (Path(directory).parent / "pyvenv.cfg").is_file()


def fresh_shell_env() -> dict[str, str]:
    """This environment as a fresh shell has it: no virtualenv (this suite's own, or the nox
    session running it) on ``PATH`` or activated, no test-runner or harness variables."""
    drop = {"VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX",
            "PYTHONSAFEPATH", SUPERVISED_ENV}
    env = {k: v for k, v in os.environ.items()
           if k not in drop and not k.startswith(("PYTEST_", "NOX_"))}
    env["PATH"] = os.pathsep.join(d for d in os.environ.get("PATH", "").split(os.pathsep)
                                  if d and not _in_venv(d))
    return env


def need_tool(name: str, env: dict[str, str]) -> str:
    """``name`` on the fresh shell's ``PATH``: skipped where missing, failing under ``CI``."""
    path = shutil.which(name, path=env["PATH"])
    if path is None:
        missing_prerequisite(f"no {name} on PATH outside a virtualenv (run the README's set-up"
                             " first)")
    return path


def in_fresh_shell(command: str) -> subprocess.CompletedProcess[str]:
    env = fresh_shell_env()
    need_tool(shlex.split(command)[0], env)
    return subprocess.run(["bash", "-c", command], cwd=PROJECT_ROOT, env=env, text=True,
                          capture_output=True, timeout=SESSION_TIMEOUT_S, check=False)


def assert_shows(shown: Shown, stdout: str, context: str = "") -> None:
    """The output the README shows for ``shown`` comes out in ``stdout``, in order ("..."
    stands for lines left out)."""
    lines = iter(stdout.splitlines())
    for expected in shown.output:
        if expected.strip() in ("", "..."):
            continue
        assert any(line.rstrip() == expected for line in lines), \
            f"{shown.label}: output lacks (in order) {expected!r}\n{context or stdout[-3000:]}"


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n" \
           f"{result.stderr[-3000:]}"


# -- fast checks ----------------------------------------------------------------------------


def test_readme_shows_the_commands_this_test_expects() -> None:
    """The extraction works on the real README: the set-up lines, the query example with its
    output, and the Commands table are all found."""
    texts = [s.text for s in COMMANDS]
    assert any(t.startswith("python3 -m pip install nox uv && nox -s tests") for t in texts)
    assert any(s.output and s.text.startswith("nox -s query") for s in COMMANDS)
    assert sum(t.startswith("nox -s matrix -- ") for t in texts) >= 6
    kinds = {type(c) for s in COMMANDS for c in plans(s)}  # the install-and-query path
    assert {InstallCheck, ToolCheck} <= kinds, kinds
    assert len(COMMANDS) >= 15, texts


@pytest.mark.parametrize("shown", COMMANDS, ids=[s.label[:90] for s in COMMANDS])
def test_every_command_is_checked(shown: Shown) -> None:
    """Each shown command (every placeholder variant) is one this file checks, names a real
    session and parses with the real command line."""
    checks = plans(shown)
    assert checks
    names = set(nox.registry.get())
    for check in checks:
        if isinstance(check, NoxCheck):
            assert check.session in names, f"{shown.label}: no nox session {check.session!r}"


def test_an_unchecked_or_wrong_command_is_caught() -> None:
    """What a README edit could add that no check covers, or that would not run, fails."""
    markdown = "\n".join([
        "Run `python -m report query --python 3.8` or `nox -s nosuch`, not `python3.X`.",
        "| `nox -s matrix -- try --pyhton 3.11 --cython 3.2.4` | x |",
        "| `nox -s matrix -- bisect --python X` | x |",
        "```console", "make all", "```",
        "```console", "$ nox -l", "output", "```",
        "```toml", "id = 'x'", "```",
        "The clang is `python -m ziglang cc`.",
    ])
    found = shown_commands(markdown)
    assert [s.text for s in found] == [
        "python -m report query --python 3.8", "nox -s nosuch",
        "nox -s matrix -- try --pyhton 3.11 --cython 3.2.4",
        "nox -s matrix -- bisect --python X", "make all", "nox -l",
    ]
    assert found[-1].output == ("output",)
    for shown in found:
        with pytest.raises(Unchecked):
            plans(shown)
    with pytest.raises(Unchecked, match="does not parse"):
        plan(["nox", "-s", "query", "--", "--pyhton", ">=3.8"])


def test_placeholders_expand_to_every_variant() -> None:
    [(a,), (b,), (c,), (d,)] = variants("nox -s matrix -- list [selection] [--json]")
    assert a == ["nox", "-s", "matrix", "--", "list"]
    assert b == a + ["--json"] and c == a + shlex.split(SELECTION) and d == c + ["--json"]
    [[pip, nox]] = variants("python3 -m pip install nox uv && nox -s tests   # the tests")
    assert pip[-2:] == ["nox", "uv"] and nox == ["nox", "-s", "tests"]


def test_not_commands_are_still_in_the_readme() -> None:
    """The exemptions are for text the README has (a stale one would hide nothing, but mislead)."""
    text = " ".join(README.read_text(encoding="utf-8").split())
    for span in NOT_COMMANDS:
        assert f"`{span}`" in text


def test_noxfile_dispatches_every_command_line_command() -> None:
    """``nox -s matrix -- <command>`` / ``nox -s report -- <command>`` know every subcommand of
    the command lines (a new one would otherwise be taken as flags of ``run``/``render``)."""
    nf = _noxfile()
    assert set(nf.MATRIX_COMMANDS) == _subcommands(matrix_parser())
    assert set(nf.REPORT_COMMANDS) == _subcommands(report_parser())


# -- run for real through nox, in a fresh shell ---------------------------------------------


@pytest.mark.slow
def test_setup_install_resolves() -> None:
    """The set-up's ``python3 -m pip install nox uv``, as a dry run (it installs nothing)."""
    [pip] = {c for s in COMMANDS for c in plans(s) if isinstance(c, PipCheck)}
    result = in_fresh_shell(shlex.join([*pip.argv[:4], "--dry-run", "--quiet", *pip.argv[4:]]))
    assert result.returncode == 0, _explain(result)


def test_uv_python_install_names_downloads_uv_knows() -> None:
    """Each ``uv python install`` request the README shows resolves to a download in uv's own
    metadata (``uv python list --only-downloads``, offline: nothing is downloaded)."""
    requests = sorted({r for s in COMMANDS for c in plans(s) if isinstance(c, UvPythonCheck)
                       for r in c.requests})
    assert requests, "the README shows how to install PyPy and free-threaded CPython"
    env = fresh_shell_env()
    uv = need_tool("uv", env)
    for request in requests:
        result = subprocess.run([uv, "python", "list", "--only-downloads", request],
                                capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0 and "<download available>" in result.stdout, \
            (f"uv python install {request}: uv knows no such download\n"
             f"{result.stdout}{result.stderr}")


@pytest.mark.slow
def test_every_session_named_exists() -> None:
    sessions = sorted({c.session for c in _all_nox_checks()})
    assert {"matrix", "tests", "query", "report"} <= set(sessions)
    result = in_fresh_shell(shlex.join(["nox", "-l", "--json", "-s", *sessions]))
    assert result.returncode == 0, _explain(result)
    import json

    assert sorted(s["name"] for s in json.loads(result.stdout)) == sessions


RUN_AS_SHOWN = [s for s in COMMANDS if s.output
                and all(isinstance(c, NoxCheck) for c in plans(s))]
"""The commands with shown output that run through nox here (the installed tool's run in
tests/test_distribution.py's fresh venv)."""


@pytest.mark.slow
@pytest.mark.parametrize("shown", RUN_AS_SHOWN, ids=[s.label[:90] for s in RUN_AS_SHOWN])
def test_command_with_shown_output_runs_as_shown(shown: Shown) -> None:
    """Run it exactly as shown; the output the README shows comes out, in order ("..." stands
    for lines left out), and a non-zero exit is the command's own documented status 1 (a case
    failing in the range), not a crash or a usage error."""
    result = in_fresh_shell(shown.text)
    assert_shows(shown, result.stdout, _explain(result))
    assert "Traceback" not in result.stderr, _explain(result)
    if result.returncode != 0:
        assert "failed with exit code 1" in result.stderr, _explain(result)


HELP_CHECKS = sorted({(c.session, c.help_prefix, c.module, c.subcommand)
                      for c in _all_nox_checks() if c.module is not None})


@pytest.mark.slow
@pytest.mark.parametrize("session,prefix,module,subcommand", HELP_CHECKS,
                         ids=[f"{s}-{' '.join(p) or '(default)'}" for s, p, _, _ in HELP_CHECKS])
def test_subcommand_help_through_nox(session: str, prefix: tuple[str, ...], module: str,
                                     subcommand: str) -> None:
    """``nox -s SESSION -- [SUBCOMMAND] --help`` in a fresh shell reaches the right command line,
    which offers every flag the README passes it, and runs nothing else (no rendering)."""
    flags = sorted({f for c in _all_nox_checks()
                    if (c.session, c.help_prefix) == (session, prefix) for f in c.flags})
    # Bare `--help` is the overview of every command; the default command's own help is asked
    # for by name.
    result = in_fresh_shell(shlex.join(["nox", "-s", session, "--", *(prefix or (subcommand,)),
                                        "--help"]))
    assert result.returncode == 0, _explain(result)
    assert f"usage: python -m {module} {subcommand}" in result.stdout, _explain(result)
    missing = [f for f in flags if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])",
                                                 result.stdout)]
    assert not missing, f"--help lacks {missing}\n{_explain(result)}"
    if module == "matrix":
        assert "report render" not in result.stderr, "--help must not go on to render the report"


def test_the_readme_figures_the_harness_can_count() -> None:
    """The counts the README states next to its measuring examples are what the harness plans
    (offline, from the index snapshot), and its case count is the cases folder's."""
    import subprocess
    import sys

    from matrix.model.cases import load_cases

    text = " ".join(README.read_text(encoding="utf-8").split())
    examples = re.findall(r"`nox -s matrix -- (--[^`]+)`,? \(?(\d+) cells", text)
    assert len(examples) >= 2, examples
    for flags, cells in examples:
        argv = [a.strip("'") for a in flags.split() if a not in ("--results",)]
        argv = [a for a in argv if not a.startswith("/tmp/")]
        done = subprocess.run([sys.executable, "-m", "matrix", "list", *argv, "--offline"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
        assert done.stdout.strip().splitlines()[-1] == f"# {cells} cells" or (
            f"# {cells} cells" in done.stderr), (flags, done.stdout[-200:], done.stderr[-200:])
    cases = load_cases(PROJECT_ROOT / "cases")
    controls = sum(case.is_control for case in cases)
    assert f"{len(cases) - controls} cases (and {controls} controls)" in text
