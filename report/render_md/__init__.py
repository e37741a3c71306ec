"""The markdown files, one module per file: :mod:`~report.render_md.compat` (``compat.md``),
:mod:`~report.render_md.changes` (``changes.md``), :mod:`~report.render_md.detail`
(``detail.md``), and what they share (:mod:`~report.render_md.common`: tables, cell text,
legend, notes), all rendered from a :class:`report.model.Report`.
"""
