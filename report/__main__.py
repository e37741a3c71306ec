"""``python -m report``: render the published compatibility report."""

from __future__ import annotations

import sys

from report.cli import main

sys.exit(main())
