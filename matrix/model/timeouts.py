"""Every time bound the harness sets, in one table (seconds).

A bound that is hit is an outcome or a cause (:mod:`matrix.model.policy`): a case's run that
does not end in ``run`` is a ``timeout`` record (``--timeout`` sets it; it is part of every
record's key, so a run under another bound is another measurement); a build step, an install or
a smoke check that does not end is a provisional cause, tried again and never stored as a fact
of the case.  The others bound questions the harness asks the machine (a compiler's version, an
interpreter's probe, the package index), which fail the question, not a case.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    """The bounds, by what they bound."""

    run: float = 60.0
    """One case's conversion and probes (``--timeout``'s default; part of every key)."""
    import_module: float = 120.0
    """Importing a case's built module in the runner server (tried twice)."""
    server_slack: float = 30.0
    """What a runner server's request may take beyond its import and its cases' runs."""
    replay_slack: float = 60.0
    """What ``matrix try``'s replay of one case may take beyond its run's bound."""
    cythonize: float = 600.0
    """One ``cythonize`` of a module."""
    compile: float = 600.0
    """One C compile (and link) of a module."""
    install: float = 900.0
    """Installing a cell environment's packages (Cython, numpy), or a compiler's own."""
    create_env: float = 300.0
    """Creating a virtual environment (uv or virtualenv)."""
    smoke: float = 300.0
    """A generation class's smoke build (:mod:`matrix.build.invariance`)."""
    runner_info: float = 120.0
    """The runner's ``info`` in a new environment (what the interpreter is)."""
    probe_machine: float = 60.0
    """Asking a compiler for its version or its sanitizer runtime."""
    discover: float = 20.0
    """Asking ``pyenv``, ``uv`` or an interpreter where and what it is."""
    index: float = 30.0
    """One request to the package index."""


TIMEOUTS = Timeouts()
"""The harness's bounds (``--timeout`` overrides :attr:`Timeouts.run` for one run)."""
