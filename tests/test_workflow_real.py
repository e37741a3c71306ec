"""The weekly workflow replayed as GitHub would run it, with real measurements: its own `run:`
scripts, job after job, on a two-shard quick slice (Python 3.13, ``dry_run``: ``--quick``), in a
repository whose last publication holds one of the slice's cells.

plan -> measure (shard 1/2, shard 2/2, each in a fresh clone, its artifact made as
upload-artifact makes it) -> recheck (3.13) -> publish (merge, compact, render, size guard,
regressions).  Each job after the plan (which reads only the interpreter data) is a fresh
clone of the repository (``actions/checkout``); the `uses:` steps are emulated (artifacts) or
are the test's environment (the harness action: this interpreter, its build cache shared by the
jobs, as actions/cache would restore it).

Asserted: the shards' artifacts hold only deltas (the cells the publication lacks, nothing it
holds, a few small files); the store the pull request would carry passes the size guard; the
published table equals the one a local run over the same cells renders against the same
publication (what a record measured, cell by cell; compat.md apart from the run's own dates).
Costs about a minute here (five cells of three cases, built once).
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from matrix.plan.interpreters import Interpreter
from matrix.plan.shard import Shard
from matrix.store.paths import PROJECT_ROOT
from matrix.store.results import ResultStore

from .conftest import missing_prerequisite
from .test_storeformat import git, make_repo
from .test_workflow import WORKFLOW, fill, run_plan_step, run_steps, steps

CASES = [PROJECT_ROOT / "tests" / "fixtures" / "cases" / f"fixture-{name}.{ext}"
         for name in ("copies", "aliases") for ext in ("pyx", "toml")] + [
    PROJECT_ROOT / "cases" / f"bytes-to-numpy-frombuffer.{ext}" for ext in ("pyx", "toml")]
"""Two core cases and one numpy case: every kind of cell of the slice holds a case."""
HELD_CELL = "py3.13-cy0.29.37"
"""The slice's cell the last publication holds: the shards must skip it."""
TAG = "results-2026-11-30-run1"
SLICE = ["--python", "3.13", "--quick"]

PYTHON_SHIM = '#!/bin/sh\nexec "{python}" "$@"\n'
"""`python` in the jobs' scripts: this interpreter (the harness action's host Python)."""

VOLATILE = ("seen", "check")
"""Columns of compat.csv.gz that say when or how often a cell was measured, not what."""


def run(cwd: Path, env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def run_job(workflow: dict[str, Any], job: str, repo: Path, env: dict[str, str],
            context: dict[str, str]) -> None:
    """A job's `run:` steps (:func:`tests.test_workflow.run_steps`); the steps only a real
    publication takes (the pull request and what follows it, the schedule's keep-alive) are
    not taken by a dry run."""
    def taken(step: dict[str, Any]) -> bool:
        condition = str(step.get("if", ""))
        return "steps.pr" not in condition and "schedule" not in condition

    run_steps(workflow, job, repo, env, context, taken=taken)


def upload(workflow: dict[str, Any], job: str, repo: Path, artifacts: Path,
           context: dict[str, str]) -> list[Path]:
    """upload-artifact: the files its patterns match, below their common folder, as an
    artifact named as the step names it; the files uploaded."""
    (step,) = [s for s in steps(workflow, job)
               if s.get("uses", "").startswith("actions/upload-artifact")]
    files = sorted({Path(f) for pattern in step["with"]["path"].split()
                    for f in glob.glob(str(repo / pattern))})
    if not files:
        return []
    root = Path(os.path.commonpath([f.parent for f in files]))
    target = artifacts / fill(step["with"]["name"], context)
    for name in files:
        (target / name.relative_to(root)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(name, target / name.relative_to(root))
    return [target / f.relative_to(root) for f in files]


def download(workflow: dict[str, Any], job: str, repo: Path, artifacts: Path,
             context: dict[str, str]) -> None:
    """download-artifact: each artifact the pattern matches, into path/<name>/."""
    for step in steps(workflow, job):
        if not step.get("uses", "").startswith("actions/download-artifact"):
            continue
        pattern = fill(step["with"]["pattern"].split("#")[0].strip(), context)
        for found in sorted(artifacts.glob(pattern)):
            shutil.copytree(found, repo / step["with"]["path"] / found.name)


def checkout(origin: Path, path: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(path)], check=True)
    git(path, "fetch", "-q", "--tags")
    git(path, "config", "user.email", "t@example.org")
    git(path, "config", "user.name", "t")
    return path


def rows(docs: Path) -> list[dict[str, str]]:
    text = gzip.decompress((docs / "compat.csv.gz").read_bytes()).decode("utf-8")
    return sorted(({k: v for k, v in row.items() if k not in VOLATILE}
                   for row in csv.DictReader(io.StringIO(text))),
                  key=lambda row: (row["case_id"], row["cell_id"]))


def undated(markdown: str) -> str:
    """compat.md without what only says when the records were made."""
    markdown = re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "<time>", markdown)
    return re.sub(r"Results digest:\*\* `[0-9a-f]+`", "Results digest:** <digest>", markdown)


def test_the_weekly_run_replayed_on_a_two_shard_slice(
        tmp_path: Path, interpreters: dict[str, Interpreter]) -> None:
    if "3.13" not in interpreters:
        missing_prerequisite("Python 3.13 is not installed")
    workflow = yaml.safe_load(WORKFLOW.read_text())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").write_text(PYTHON_SHIM.format(python=sys.executable))
    (bin_dir / "python").chmod(0o755)
    # The machine's own environment (uv's settings and certificates live under HOME), the
    # jobs' Python first on PATH, their build cache shared (as actions/cache restores it).
    env = {**{k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN")},
           "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "MATRIX_CACHE_DIR": str(tmp_path / "cache"),
           "MATRIX_ENVS_DIR": str(PROJECT_ROOT / ".cache" / "envs"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}

    # The repository: the harness, three cases, and a last publication holding one cell.
    seed = make_repo(tmp_path / "seed")
    for name in ("matrix", "report"):
        shutil.copytree(PROJECT_ROOT / name, seed / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (seed / "cases").mkdir()
    for case in CASES:
        shutil.copy(case, seed / "cases" / case.name)
    (seed / ".ci").mkdir()
    shutil.copy(PROJECT_ROOT / ".ci" / "size_guard.py", seed / ".ci")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", seed)
    (seed / ".gitignore").write_text("__pycache__/\n*.lock\n.cache/\n")
    run(seed, env, "python", "-m", "matrix", "run", *SLICE, "--cell", HELD_CELL,
        "--results", "results")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "the last publication")
    git(seed, "tag", TAG)
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(origin)], check=True)
    published = ResultStore(seed / "results").records()
    assert published and {r.cell_id for r in published} == {HELD_CELL}
    assert not [r for r in published if r.outcome.could_not_be_tried], (
        "the publication holds measurements (an environment that could not be made is no"
        f" fact): {[(r.case_id, r.outcome.value, r.first_error) for r in published]}")

    # plan (a dry run on Python 3.13, two shards)
    outputs = run_plan_step(workflow, tmp_path, {"python": "3.13", "shards": "2",
                                                 "dry_run": "true"}, "workflow_dispatch")
    assert outputs["jobs"] == '[{"python":"3.13","shard":1},{"python":"3.13","shard":2}]'
    needs = {f"needs.plan.outputs.{k}": v for k, v in outputs.items()}

    # measure x 2: each shard into an empty store, reading the publication's to skip it
    artifacts = tmp_path / "artifacts"
    deltas = []
    for shard in (1, 2):
        context = {"matrix.python": "3.13", "matrix.shard": str(shard), **needs}
        job = checkout(origin, tmp_path / f"measure-{shard}")
        run_job(workflow, "measure", job, env, context)
        uploaded = upload(workflow, "measure", job, artifacts, context)
        assert sum(f.stat().st_size for f in uploaded) < 1024 * 1024, "a delta, not the store"
        delta = ResultStore(uploaded[0].parent).records() if uploaded else []
        assert all(Shard(shard, 2).owns(r.cell_id) for r in delta), "its own cells only"
        deltas.append(delta)
    measured = [r for delta in deltas for r in delta]
    cells = {r.cell_id for r in measured}
    planned = run(seed, env, "python", "-m", "matrix", "list", *SLICE).split()
    assert HELD_CELL not in cells, "what the publication holds is not measured again"
    assert cells == {c for c in planned if c.startswith("py3.13-")} - {HELD_CELL}
    assert all(deltas), "each shard measured its part (the slice's cells fall in both)"
    assert {r.key for r in measured}.isdisjoint(r.key for r in published)

    # recheck (3.13): this Python's deltas merged with the publication, changes re-measured
    recheck = checkout(origin, tmp_path / "recheck")
    context = {"matrix.python": "3.13", **needs}
    download(workflow, "recheck", recheck, artifacts, context)
    run_job(workflow, "recheck", recheck, env, context)
    upload(workflow, "recheck", recheck, artifacts, context)

    # publish: merge, compact, render, size guard, regressions (a dry run opens no PR)
    publish = checkout(origin, tmp_path / "publish")
    download(workflow, "publish", publish, artifacts, {})
    run_job(workflow, "publish", publish, env, {"github.token": "t", "github.run_number": "1"})
    store = ResultStore(publish / "results").records()
    assert {r.key for r in store} == {r.key for r in [*published, *measured]}
    run(publish, env, "python", ".ci/size_guard.py", "--limit-mb", "1")  # and far below 50 MB

    # One local run over the same cells, rendered against the same publication
    local = checkout(origin, tmp_path / "local")
    run(local, env, "python", "-m", "matrix", "run", *SLICE, "--results", "local-results")
    run(local, env, "python", "-m", "report", "render", "--results", "local-results",
        "--cases", "cases", "--out", "local-docs", "--baseline", TAG)
    assert rows(publish / "docs") == rows(local / "local-docs"), "what each cell measured"
    assert undated((publish / "docs" / "compat.md").read_text()) == undated(
        (local / "local-docs" / "compat.md").read_text())


@pytest.fixture(autouse=True)
def _no_ci_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay never talks to GitHub: no token reaches its scripts."""
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
