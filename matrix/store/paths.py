"""Where things live: the project's own folders and the (git-ignored) cache."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from matrix.model.errors import MatrixError
from matrix.model.folders import CACHE_ENV, cache_root

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Layout:
    """Folders one run uses; tests point these at temporary directories."""

    cases: Path
    cache: Path
    results: Path
    shared_envs: Path | None = None
    canary: Path = PROJECT_ROOT / "canary"
    """The canary lane's store (``run --pre``): pre-release cells and their baselines, apart
    from the released table in ``results``."""

    @property
    def envs(self) -> Path:
        """Environments; tests share one folder of them across temporary layouts."""
        return self.shared_envs if self.shared_envs is not None else self.cache / "envs"

    @classmethod
    def default(cls) -> Layout:
        """Project folders; the cache where :func:`matrix.model.folders.cache_root` says
        (``MATRIX_CACHE_DIR`` moves it), ``MATRIX_ENVS_DIR`` the environments."""
        cache = os.environ.get(CACHE_ENV)
        envs = os.environ.get("MATRIX_ENVS_DIR")
        for name, value in ((CACHE_ENV, cache), ("MATRIX_ENVS_DIR", envs)):
            if value and os.pathsep in value:
                # Build folders end up on PYTHONPATH, which would split the path there.
                raise MatrixError(f"{name}={value}: a folder name with '{os.pathsep}' cannot be"
                                  " used (PYTHONPATH would split it)")
        return cls(
            cases=PROJECT_ROOT / "cases",
            cache=cache_root(),
            results=PROJECT_ROOT / "results",
            shared_envs=Path(envs) if envs else None,
        )
