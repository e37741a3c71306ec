"""Where the harness and the report keep what they can make again: the one cache-folder rule.

``MATRIX_CACHE_DIR`` when it is set; else ``.cache/`` in the checkout the code runs from (a
checkout: ``pyproject.toml`` beside the packages); else, for an installed copy, the user's
cache folder as the platform has it (``platformdirs``: ``~/.cache/cython-memory-matrix`` on
Linux).  Everything under it is git-ignored and may be deleted: environments, build stages, the
release index, logs, the query's parsed data.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "MATRIX_CACHE_DIR"
APP_NAME = "cython-memory-matrix"
CHECKOUT = Path(__file__).resolve().parents[2]
"""The folder that holds the ``matrix`` package: a checkout, or ``site-packages``."""


def is_checkout(root: Path = CHECKOUT) -> bool:
    """Whether ``root`` is the project's own checkout (not an installed copy)."""
    return (root / "pyproject.toml").is_file() and (root / "matrix").is_dir()


def cache_root(root: Path = CHECKOUT) -> Path:
    """The cache folder (see the module's text); not created here."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return Path(chosen)
    if is_checkout(root):
        return root / ".cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def source_url() -> str:
    """The project's repository, as its distribution's metadata names it (``Source`` of
    ``[project.urls]`` in pyproject.toml)."""
    from importlib import metadata

    try:
        urls = metadata.metadata(APP_NAME).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return "the project's repository"
    found = dict(url.split(", ", 1) for url in urls if ", " in url)
    return str(found.get("Source", "the project's repository"))
