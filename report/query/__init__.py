"""Answer a support range: "I support Python A-B, Cython C-D and numpy E-F: which idioms may I
use, and what breaks where?" (like browserslist + doiuse, over the published data).

One module per concept: :mod:`~report.query.range` (the support range: a specifier per axis,
and the interpreter kinds), :mod:`~report.query.project` (the range a project's
``pyproject.toml`` declares), :mod:`~report.query.versions` (the version keys of the data's axis
values), :mod:`~report.query.data` (reading the published data, and its cache),
:mod:`~report.query.answer` (the answer: its types and how it is computed),
:mod:`~report.query.range_warnings` (where the data covers a range only partly, and why nothing
in it was tried), :mod:`~report.query.text` (the answer for a terminal),
:mod:`~report.query.summary` (the answer as the GitHub Action's step summary and outputs) and
:mod:`~report.query.status` (the exit statuses, listed at the end of this docstring).

Reads only published data (``docs/compat.json`` and the ``compat.csv.gz`` it names);
builds nothing.  A range is a PEP 440 specifier per axis; a cell is *in range* when its Python
and Cython release satisfy theirs and,
for numpy cases, both the numpy it was built against and the numpy it ran under satisfy the
numpy one.  Cells are per Python *minor* and judged on the exact patch release measured there
(the rows' ``python_version``, e.g. 3.9.18; in data without it, the minor, which PEP 440 reads
as X.Y.0): a specifier that admits only some patch releases of a tested minor gets a warning
naming the flag, never a silent drop.  A range also names its interpreter kinds
(``--interpreter``: ``cpython`` by default; ``pypy``, ``cpython-freethreaded`` or ``all``, the
kinds of :mod:`matrix.model.interpreters`): a cell of a kind the range does not name is out of
range whatever its version, and the answer says how many such cells there were (a PyPy 3.11 cell
is never in a CPython range by its language version).  Within the named kinds a cell is in range
by its language version; its cell id and Python value name the kind (``pp3.11-cy3.1.2``), so a
failure there says where.  Per case the answer says:

* **works**: every tried cell in range worked (*works where the toolchain builds* when it also
  failed where the toolchain builds nothing, see below);
* **fails**: the cells in range where it failed on its own (stage, note, a paste-ready
  reproducer);
* **flaky**: cells whose results did not repeat when measured again (neither works nor fails);
* **not tried / not tested**: cells in range that could not be tried, and the cells the grid
  has in range (for some case of the same kind) with no result for this case; never counted as
  success.

Cells measured with *shipped C* (:data:`report.legend.SHIPPED_C`: a Cython that does not
install on that Python; its C, generated elsewhere, built there as from an sdist) are listed
apart and do not decide the verdict, unless ``shipped_c=True`` (for packagers whose sdists ship
generated C).

*Toolchain failures.*  The control cases (the data's ``controls``: no memory idiom, built in
every cell) are never listed as cases.  A case that failed in a cell where a control failed at
the same stage (its row's ``toolchain_failure`` is ``"true"``) hit a toolchain that builds
nothing there: that failure is not the case's own and does not make it fail.  The control
cases' failing cells in range are reported once, apart, grouped by Cython release and stage.
Data without ``controls`` or ``toolchain_failure`` (older files) counts every failure as the
case's own.

A case with no tried cell in range, or only toolchain failures there, is *untested* there, not
"works"; when that holds for every selected case the answer names the specifier that matched
no tested version (or says that the axes match only apart), with the tested versions.
"""

from __future__ import annotations

from report.query.status import docstring_text

__doc__ = f"{__doc__ or ''}\n{docstring_text()}\n"
