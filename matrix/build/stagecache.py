"""Content-addressed cache entries for the build stages (generate, compile).

An entry is a folder named by a content key.  Its mark file (JSON) is written last, atomically,
and lists the sha256 of every artefact the entry vouches for; loading re-hashes them.  A
missing, half-written or tampered entry (a run killed mid-write, a full disk, a file edited by
hand) is therefore rebuilt, never trusted.  A file lock per key lets several processes ask for
the same entry: one builds it, the others wait and reuse it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

MARK = "mm-stage.json"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def key_of(material: Sequence[object]) -> str:
    """A short stable hash of JSON-able ``material``."""
    return hashlib.sha256(json.dumps(list(material), sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def locked_entry(root: Path, name: str) -> Iterator[Path]:
    """The folder of entry ``name`` under ``root``, with its lock held."""
    root = root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield root / name


def load(directory: Path) -> dict[str, Any] | None:
    """The entry's data if its mark is whole and every artefact it lists is intact."""
    try:
        data = json.loads((directory / MARK).read_text())
        artefacts = data["artefacts"]
        for name, digest in artefacts.items():
            if file_digest(directory / name) != digest:
                return None
        result = data["data"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return result if isinstance(result, dict) else None


def fresh(directory: Path) -> Path:
    """Empty ``directory`` for a rebuild (whatever a damaged earlier attempt left)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


def save(directory: Path, data: dict[str, Any], artefacts: Sequence[str]) -> None:
    """Write the mark last and atomically, with the digest of each artefact."""
    mark = {"data": data,
            "artefacts": {name: file_digest(directory / name) for name in artefacts}}
    tmp = directory / (MARK + ".tmp")
    tmp.write_text(json.dumps(mark, sort_keys=True))
    os.replace(tmp, directory / MARK)
