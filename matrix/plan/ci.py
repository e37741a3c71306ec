"""The scheduled CI job's measure matrix: one job per (Python, shard), from the interpreter axis's
data (each kind's ``ci`` versions in ``matrix/data/interpreters.toml``), so that CI measures
what the data says and keeps no Python list of its own.

``python -m matrix.plan.ci --shards 3 [--python 3.11,3.13t] [--kind-image 3.13]`` prints two
GitHub Actions outputs (``jobs=`` and ``targets=``, compact JSON), as the workflow's plan step
appends them to ``$GITHUB_OUTPUT``:

* ``jobs``: ``[{"python": "3.11", "shard": 1, "image": "3.11"}, ...]``: CPython X.Y in the
  official ``python:X.Y`` image; another kind (``3.13t``, ``pypy3.11``) in the ``python:`` image
  ``--kind-image`` names, where the harness installs it with uv;
* ``targets``: one ``{"python", "image"}`` per Python (what the recheck jobs run on).

A ``--python`` value that names no interpreter exits 2 with ``error: --python ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from matrix.model.interpreters import InterpreterId, axis_value, ci_pythons

DEFAULT_SHARDS = 3


def image_of(python: str, kind_image: str) -> str:
    """The ``python:`` image tag a job of ``python`` runs in."""
    interpreter = InterpreterId.from_label(python)
    return interpreter.minor if interpreter.kind.is_default else kind_image


def jobs(pythons: Sequence[str], shards: int, kind_image: str) -> list[dict[str, object]]:
    """One job per (Python, shard), Pythons in the given order."""
    return [{"python": python, "shard": shard, "image": image_of(python, kind_image)}
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
    parser = argparse.ArgumentParser(prog="python -m matrix.plan.ci", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default="",
                        help="axis values or build identifiers, comma-separated (default, or"
                             f" empty: {','.join(ci_pythons())})")
    parser.add_argument("--shards", type=_shards, default=DEFAULT_SHARDS,
                        help="shards per Python (default: %(default)s)")
    parser.add_argument("--kind-image", default="3.13",
                        help="the python: image of the other interpreter kinds (default:"
                             " %(default)s)")
    args = parser.parse_args(argv)
    items = [item.strip() for item in args.python.split(",") if item.strip()]
    try:
        pythons = [axis_value(item) for item in items] if items else ci_pythons()
    except ValueError as exc:
        print(f"error: --python {args.python}: {exc}", file=sys.stderr)
        return 2
    planned = jobs(list(dict.fromkeys(pythons)), args.shards, args.kind_image)
    targets = [{"python": j["python"], "image": j["image"]} for j in planned if j["shard"] == 1]
    print("jobs=" + json.dumps(planned, separators=(",", ":")))
    print("targets=" + json.dumps(targets, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
