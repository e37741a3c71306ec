"""Whether the published files are current: the render stamp, so that a render with nothing
changed is skipped at once.

After writing, ``render`` keeps a stamp of what it rendered from and what it wrote: a digest of
its inputs (the results store's files, the re-measurement log, the cases, the references, the
baseline named, the options that change the files), of the renderer itself (every file of the
``report`` and ``matrix`` packages, the libraries that write the files, the Python), of each
file it wrote, and the names of the folder's files.  The next render computes the inputs'
digest first (hashing some megabytes, before pandas or matplotlib is imported) and, when it and
the folder still match the stamp, writes nothing and says so in one line.  Changed code, a
changed result, a published file edited, deleted or put back since all render again.

The stamp lives in the cache (``render/``, :func:`matrix.model.folders.cache_root`), one per
output folder, not in the published files: a digest of the renderer's code there would make
every change to that code drift ``docs/`` (and the golden files), whether or not the output
changed.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from matrix.model.folders import cache_root

STAMP_VERSION = 1
"""The stamp's format; a stamp of another version never matches."""

RENDERER_PACKAGES = ("report", "matrix")
"""The packages whose files make the published files (the report reads the harness's model)."""

WRITERS = ("pandas", "pyarrow", "matplotlib", "numpy")
"""The libraries whose versions may change the bytes written (the parquet's metadata, the PNG)."""

SOURCE_ROOT = Path(__file__).resolve().parents[1]
"""The folder holding :data:`RENDERER_PACKAGES`."""


def _add_tree(digest: hashlib._Hash, path: Path, label: str,
              skip: tuple[Path, ...] = ()) -> None:
    """Every file under ``path`` (or ``path`` itself) but those under ``skip``, by its name
    relative to it and its bytes; a missing path counts as missing."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc", ".lock")
                       and not any(p.is_relative_to(folder) for folder in skip))
    else:
        digest.update(f"{label}: missing\0".encode())
        return
    for file in files:
        name = file.name if file == path else file.relative_to(path).as_posix()
        digest.update(f"{label}/{name}\0".encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())


RENDERED_INTO_SOURCES = (Path("report") / "snapshot",)
"""Folders of the renderer's packages that a render writes (the shipped query data): what the
render made, not what makes it."""


def renderer_digest(root: Path = SOURCE_ROOT) -> str:
    """The renderer: its packages' files (but :data:`RENDERED_INTO_SOURCES`), the writing
    libraries' versions, the Python."""
    digest = hashlib.sha256()
    for package in RENDERER_PACKAGES:
        _add_tree(digest, root / package, package,
                  skip=tuple(root / folder for folder in RENDERED_INTO_SOURCES))
    for name in WRITERS:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{name}=={version}\0".encode())
    digest.update(platform.python_version().encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class RenderInputs:
    """What a render reads, and the options that change what it writes."""

    results: Path
    cases: Path
    rechecks: Path
    references: Path
    baseline: str | None
    """A path (its files count) or a git ref or ``named`` (the name counts: the named one is
    in ``results/store.json``)."""
    options: Sequence[str] = ()
    canary: Path | None = None
    """The canary lane's store (its re-measurement log inside it)."""

    def digest(self, renderer: str) -> str:
        """The inputs' and ``renderer``'s digest (:func:`renderer_digest`)."""
        digest = hashlib.sha256(f"stamp {STAMP_VERSION}\0renderer {renderer}\0".encode())
        _add_tree(digest, self.results, "results")
        _add_tree(digest, self.rechecks, "rechecks")
        _add_tree(digest, self.cases, "cases")
        _add_tree(digest, self.references, "references")
        if self.canary is not None:
            _add_tree(digest, self.canary, "canary")
        if self.baseline is not None and Path(self.baseline).exists():
            _add_tree(digest, Path(self.baseline), "baseline")
        digest.update(f"baseline {self.baseline}\0options {list(self.options)}\0".encode())
        return digest.hexdigest()


def stamp_file(out: Path, cache: Path | None = None) -> Path:
    """Where the stamp of the output folder ``out`` is kept."""
    name = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:16]
    return (cache if cache is not None else cache_root()) / "render" / f"{name}.json"


def _file_digests(out: Path, names: Iterable[str]) -> dict[str, str | None]:
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest()
            if (out / name).is_file() else None for name in names}


def is_current(out: Path, inputs: str, cache: Path | None = None) -> bool:
    """Whether ``out`` holds what a render of ``inputs`` (:meth:`RenderInputs.digest`) wrote,
    every file unchanged since."""
    try:
        stamp = json.loads(stamp_file(out, cache).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict) or stamp.get("inputs") != inputs:
        return False
    files = stamp.get("files")
    if not isinstance(files, dict) or not files or stamp.get("names") != _names(out):
        return False  # a file added or removed since (a retired file put back: render removes it)
    return _file_digests(out, files) == files


def _names(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.is_file()) if out.is_dir() else []


def record(out: Path, inputs: str, written: Sequence[Path], cache: Path | None = None) -> None:
    """Keep the stamp of a render of ``inputs`` that wrote ``written`` into ``out``."""
    path = stamp_file(out, cache)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = {"version": STAMP_VERSION, "out": str(out.resolve()), "inputs": inputs,
             "files": _file_digests(out, sorted(p.name for p in written)), "names": _names(out)}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    temporary.replace(path)


def forget(out: Path, cache: Path | None = None) -> None:
    """Drop ``out``'s stamp (before writing: a render cut short leaves no stamp)."""
    stamp_file(out, cache).unlink(missing_ok=True)
