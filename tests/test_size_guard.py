"""The size guard (``.ci/size_guard.py``, run by ``.ci/run`` and the workflow): a file git
would commit over 50 MiB fails it, whether tracked or new; ignored files do not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from matrix.store.paths import PROJECT_ROOT

from .test_storeformat import git, make_repo

GUARD = PROJECT_ROOT / ".ci" / "size_guard.py"


def guard(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GUARD), str(repo), *args], capture_output=True,
                          text=True)


def big(path: Path, mib: float) -> None:
    """A sparse file of ``mib`` MiB (costs no disk)."""
    with path.open("wb") as handle:
        handle.truncate(int(mib * 1024 * 1024))


def test_a_file_over_the_limit_fails_the_guard(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    (repo / "small.jsonl").write_text("{}\n")
    git(repo, "add", "-A")
    assert guard(repo).returncode == 0
    big(repo / "results.jsonl", 50.5)  # new, not yet added: the pull request would add it
    done = guard(repo)
    assert done.returncode == 1
    assert "results.jsonl: 50.5 MiB, over the 50 MiB limit" in done.stderr
    (repo / ".gitignore").write_text("results.jsonl\n")
    assert guard(repo).returncode == 0, "an ignored file is never committed"
    assert guard(repo, "--limit-mb", "0.000001").returncode == 1  # .gitignore itself
    assert guard(tmp_path / "not-a-repo").returncode == 2


def test_the_checkout_passes_and_ci_runs_the_guard() -> None:
    assert guard(PROJECT_ROOT).returncode == 0
    assert "python3 .ci/size_guard.py" in (PROJECT_ROOT / ".ci" / "run").read_text()
    workflow = (PROJECT_ROOT / ".github" / "workflows" / "matrix.yml").read_text()
    assert "python .ci/size_guard.py" in workflow


def test_no_store_file_is_over_10_mb() -> None:
    """The published store stays far below GitHub's limits (issue 29's target)."""
    results = PROJECT_ROOT / "results"
    sizes = [p.stat().st_size for p in results.rglob("*.jsonl")]
    assert sizes and max(sizes) <= 10_000_000
    assert sum(sizes) + (results / "store.json").stat().st_size <= 25_000_000
