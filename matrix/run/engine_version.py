"""The version of the code that decides outcomes: part of every record's content key.

A record says what one engine measured.  When the code that turns a build or a run into an
outcome changes (how batches are split and blamed, how a runner's output is classified, what
is retried), the same inputs may give another record, so the engine version is a key input
and a new version re-measures everything (the build stages' caches are keyed by content and
stay valid; only the runs are repeated).

``SOURCES_DIGEST`` pins the code of ``ENGINE_SOURCES`` (docstrings and comments excluded):
``tests/test_engine_version.py`` fails when that code changes, so whoever changes it decides
on purpose whether outcomes may change (bump ``ENGINE_VERSION``, kept with its history in
:mod:`matrix.model.engines`) or not (a refactor: only update the digest).  The in-environment
runner is keyed by its own hash (:func:`matrix.run.engine.runner_hash`).
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

ENGINE_SOURCES = ("run/engine.py", "build/modules.py", "build/generate.py", "build/compile.py",
                  "run/probe.py", "build/invariance.py", "model/policy.py", "build/tools.py",
                  "build/envs.py", "model/compilers.py", "build/cc.py", "model/timeouts.py",
                  "model/directives.py", "build/inenv/cythonize_many.py")
"""The modules whose code decides what outcome a (case, cell) gets."""

SOURCES_DIGEST = "a82bac943699b3ac"
"""``sources_digest()`` of the code ``ENGINE_VERSION`` was declared for."""


def _code_only(source: str) -> str:
    """The module's syntax tree without docstrings or other bare strings: comments, docs and
    layout do not decide an outcome."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            body = getattr(node, name, None)
            if isinstance(body, list) and body:
                kept = [stmt for stmt in body if not (
                    isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                    and isinstance(stmt.value.value, str))]
                setattr(node, name, kept or [ast.Pass()])
    return ast.dump(tree, annotate_fields=False)


PACKAGE = Path(__file__).resolve().parents[1]
"""The ``matrix`` package folder (``ENGINE_SOURCES`` are relative to it)."""


def sources_digest(package: Path = PACKAGE) -> str:
    """A digest of the outcome-deciding code as it is now."""
    digest = hashlib.sha256()
    for name in ENGINE_SOURCES:
        digest.update(name.encode() + b"\0")
        digest.update(_code_only((package / name).read_text(encoding="utf-8")).encode())
    return digest.hexdigest()[:16]
