"""``python -m matrix``: the harness's command line."""

from __future__ import annotations

import sys

from matrix.cli import command_line

sys.exit(command_line())
