"""The published compatibility report, rendered only from stored results (never builds).

``compose`` turns (records, cases, baseline) into a :class:`report.model.Report`; the
renderers turn that into ``docs/compat.md``, ``compat.json`` (its rows in ``compat.csv.gz``),
``compat.parquet`` and ``compat-heatmap.png``. Command line:
``python -m report render | regressions | query``.
"""
