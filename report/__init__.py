"""The published compatibility report, rendered only from stored results (never builds).

``compose`` turns (records, cases, baseline) into a :class:`report.compose.Report`; the
renderers turn that into ``docs/compat.md``, ``compat.json`` (with ``compat-records.json``),
``compat.csv``, ``compat.parquet`` and ``compat-heatmap.png``. Command line:
``python -m report render | promote | regressions``.
"""
