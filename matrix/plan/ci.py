"""The scheduled CI job's measure matrix: one job per (Python, shard), from the interpreter axis's
data (each kind's ``ci`` versions in ``matrix/data/interpreters.toml``), so that CI measures
what the data says and keeps no Python list of its own.

``python -m matrix.plan.ci --shards 3 [--python 3.11,3.13t]`` prints two GitHub Actions outputs
(compact JSON), as the workflow's plan step appends them to ``$GITHUB_OUTPUT``:

* ``jobs``: ``[{"python": "3.11", "shard": 1}, ...]``;
* ``targets``: ``[{"python": "3.11"}, ...]``, one per Python (what the recheck jobs run on).

``--list`` prints the default Pythons instead, one per line (what ``.ci/install-pythons``
installs in every job: the cell's Python and the others, which generate shipped C).

The jobs fit GitHub's limit of :data:`MAX_JOBS` per matrix, or the command exits 2 saying so;
so does a ``--python`` value that names no interpreter.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from matrix.model.interpreters import axis_value, ci_pythons

DEFAULT_SHARDS = 3
MAX_JOBS = 256
"""GitHub Actions' limit on the jobs one matrix generates ("Using a matrix for your jobs")."""


def jobs(pythons: Sequence[str], shards: int) -> list[dict[str, object]]:
    """One job per (Python, shard), Pythons in the given order."""
    return [{"python": python, "shard": shard}
            for python in pythons for shard in range(1, shards + 1)]


def _shards(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of shards")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix.plan.ci",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--python", default="",
                        help="axis values or build identifiers, comma-separated (default, or"
                             f" empty: {','.join(ci_pythons())})")
    parser.add_argument("--shards", type=_shards, default=DEFAULT_SHARDS,
                        help="shards per Python (default: %(default)s)")
    parser.add_argument("--list", action="store_true",
                        help="print the default Pythons, one per line, and nothing else")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(ci_pythons()))
        return 0
    items = [item.strip() for item in args.python.split(",") if item.strip()]
    try:
        pythons = [axis_value(item) for item in items] if items else ci_pythons()
    except ValueError as exc:
        print(f"error: --python {args.python}: {exc}", file=sys.stderr)
        return 2
    planned = jobs(list(dict.fromkeys(pythons)), args.shards)
    if len(planned) > MAX_JOBS:
        print(f"error: --shards {args.shards}: {len(planned)} jobs, over GitHub's {MAX_JOBS}"
              " per matrix: fewer shards or fewer Pythons", file=sys.stderr)
        return 2
    targets = [{"python": j["python"]} for j in planned if j["shard"] == 1]
    print("jobs=" + json.dumps(planned, separators=(",", ":")))
    print("targets=" + json.dumps(targets, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
