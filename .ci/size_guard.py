#!/usr/bin/env python3
"""Fail when a file git would commit is larger than GitHub accepts without complaint.

GitHub refuses any file over 100 MB (push error GH001) and warns over 50 MB ("About large
files on GitHub").  Checked: every tracked file and every untracked file that is not ignored
(what ``git add -A`` would commit: the scheduled job's pull request adds results/ and docs/),
at its size in the work tree.  Standard library only; run by ``.ci/run`` and by the workflow.

Usage: python3 .ci/size_guard.py [--limit-mb 50] [REPO]
Exit status: 0 all files fit, 1 some file is over the limit (each is listed), 2 bad usage.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

GITHUB_WARNING_MB = 50
MB = 1024 * 1024


def oversized(repo: Path, limit_bytes: int) -> list[tuple[str, int]]:
    """``(path, bytes)`` of every file git would commit that is over ``limit_bytes``."""
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True, check=True).stdout
    found = []
    for name in sorted(set(listing.decode().split("\0")) - {""}):
        path = repo / name
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            if size > limit_bytes:
                found.append((name, size))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", default=".", help="work tree (default: .)")
    parser.add_argument("--limit-mb", type=float, default=GITHUB_WARNING_MB,
                        help="largest size allowed, in MiB (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.limit_mb <= 0:
        parser.error("--limit-mb must be positive")
    try:
        found = oversized(Path(args.repo), int(args.limit_mb * MB))
    except subprocess.CalledProcessError as exc:
        print(f"error: {args.repo}: not a git work tree ({exc.stderr.decode().strip()})",
              file=sys.stderr)
        return 2
    for name, size in found:
        print(f"{name}: {size / MB:.1f} MiB, over the {args.limit_mb:g} MiB limit (GitHub warns"
              " over 50 MB and refuses 100 MB)", file=sys.stderr)
    if found:
        return 1
    print(f"size guard: no file over {args.limit_mb:g} MiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
