"""Release data from the package index: which versions exist and which have a wheel for a Python.

The index is the one the user's installers are configured for (pip's and uv's environment and
configuration files, :mod:`matrix.plan.package_index`; PyPI when nothing is configured), read
through its simple API (:mod:`matrix.plan.simple_api`).  Sources, in order: a fresh cached copy
of that index's data (< 24 h; the cache is kept per index URL), the index itself, a stale cached
copy, and the snapshot committed in ``matrix/data/index-snapshot.json`` (so the grid can be
built offline).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import time
import urllib.error
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from matrix.model.errors import MatrixError
from matrix.model.interpreters import InterpreterId
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.package_index import DEFAULT_INDEX_URL, IndexChoice, configured_index
from matrix.plan.simple_api import fetch_files, summarize_files

PROJECTS = ("cython", "numpy")
SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "index-snapshot.json"
CACHE_TTL_S = 24 * 3600


@dataclass(frozen=True)
class Release:
    """One release: its files (wheel names, for this platform family) and Python bounds."""

    version: Version
    requires_python: str | None
    wheels: tuple[str, ...]
    yanked: bool = False

    def wheel_tags(self) -> frozenset[Tag]:
        return _wheel_tags(self.wheels)


@functools.cache
def _wheel_tags(wheels: tuple[str, ...]) -> frozenset[Tag]:
    """The tags of some wheel file names (cached: planning asks for them thousands of times)."""
    tags: set[Tag] = set()
    for name in wheels:
        try:
            tags |= set(parse_wheel_filename(name)[3])
        except InvalidWheelFilename:
            continue
    return frozenset(tags)


@dataclass(frozen=True)
class ReleaseIndex:
    """Releases of the projects the matrix installs, and where the data came from."""

    releases: Mapping[str, tuple[Release, ...]]
    source: str = "snapshot"
    notes: tuple[str, ...] = field(default=())

    def versions(self, project: str) -> list[Version]:
        return [r.version for r in self.releases.get(project, ())]

    @functools.cached_property
    def _by_version(self) -> dict[tuple[str, Version], Release]:
        """``(project, version) -> release`` (the first listed, as a scan would find it)."""
        found: dict[tuple[str, Version], Release] = {}
        for project, releases in self.releases.items():
            for release in releases:
                found.setdefault((project, release.version), release)
        return found

    def get(self, project: str, version: str) -> Release | None:
        return self._by_version.get((project, Version(version)))

    def installable(self, project: str, version: str,
                    python: Version | InterpreterId) -> str | None:
        """``None`` if a wheel serves ``python`` (a bare version: CPython); else the reason it
        cannot be installed.  ``Requires-Python`` is held against the language version."""
        target = InterpreterId.of(python)
        release = self.get(project, version)
        if release is None:
            return f"{project} {version} is not on the package index"
        if release.requires_python:
            try:
                if not SpecifierSet(release.requires_python).contains(target.version,
                                                                      prereleases=True):
                    return (f"{project} {version} requires Python {release.requires_python}"
                            f" (this is {target.version})")
            except InvalidSpecifier:
                pass
        if not release.wheel_tags() & supported_tags(target):
            return (f"{project} {version} has no wheel for {target.display}"
                    " on this platform (source builds are not attempted)")
        return None


def _platforms() -> list[str]:
    machine = os.uname().machine
    glibc_minor = 36
    try:
        glibc = os.confstr("CS_GNU_LIBC_VERSION") or ""
        glibc_minor = int(glibc.split()[-1].split(".")[1])
    except (ValueError, IndexError, OSError):
        pass
    platforms = [f"manylinux_2_{minor}_{machine}" for minor in range(glibc_minor, 4, -1)]
    legacy = {"manylinux2014": 17, "manylinux2010": 12, "manylinux1": 5}
    platforms += [f"{name}_{machine}" for name, minor in legacy.items() if minor <= glibc_minor]
    return platforms + [f"linux_{machine}", "any"]


@functools.cache
def supported_tags(python: Version | InterpreterId) -> frozenset[Tag]:
    """Wheel tags the target interpreter (a bare version: CPython) accepts on this (Linux)
    platform, as ``packaging.tags`` makes them for it: CPython's tags (its own ABI, ``abi3``
    where it applies, ``none``) or another kind's generic ones (PyPy: ``pp311-pypy311_pp73``),
    plus the compatible ``py3X-none`` tags."""
    target = InterpreterId.of(python)
    version = (target.version.major, target.version.minor)
    platforms = _platforms()
    if target.kind.wheels == "cpython":
        tags = set(cpython_tags(version, target.wheel_abis(), platforms))
    else:
        tags = set(generic_tags(target.wheel_interpreter, target.wheel_abis(), platforms))
    tags |= set(compatible_tags(version, target.wheel_interpreter, platforms))
    return frozenset(tags)


def releases_from_summary(summary: Iterable[Mapping[str, Any]]) -> tuple[Release, ...]:
    return tuple(
        Release(
            version=Version(item["version"]),
            requires_python=item.get("requires_python"),
            wheels=tuple(item.get("wheels", ())),
            yanked=bool(item.get("yanked")),
        )
        for item in summary
    )


def fetch_summary(project: str, index_url: str = DEFAULT_INDEX_URL,
                  timeout_s: float = TIMEOUTS.index) -> list[dict[str, Any]]:
    """Ask the index's simple API about ``project`` (the summary format of the snapshot);
    raises ``OSError`` when the index cannot be reached, ``ValueError`` on a malformed page."""
    return summarize_files(fetch_files(index_url, project, timeout_s), os.uname().machine)


def cache_path(cache_dir: Path, index: IndexChoice, project: str) -> Path:
    """``<cache>/<host-path>-<hash of the URL>/<project>.json``: two indexes never share an
    entry (the URL is kept without its password)."""
    display = index.display
    readable = re.sub(r"[^A-Za-z0-9.]+", "-", display.split("://", 1)[-1]).strip("-")[:48]
    digest = hashlib.sha256(display.encode()).hexdigest()[:12]
    return cache_dir / f"{readable}-{digest}" / f"{project}.json"


def read_cache(path: Path) -> dict[str, Any] | None:
    """A cached entry, or ``None`` if there is none or it is unreadable (then it is refetched)."""
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (not isinstance(cached, dict) or not isinstance(cached.get("fetched_at"), (int, float))
            or not isinstance(cached.get("releases"), list)):
        return None
    return cached


def write_cache(path: Path, index: IndexChoice, summary: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetched_at": time.time(), "index": index.display,
                                "releases": summary}))


def load_index(cache_dir: Path, *, offline: bool = False,
               index: IndexChoice | None = None) -> ReleaseIndex:
    """Release data for Cython and numpy, from the freshest source that answers.

    ``index`` defaults to the configured one (:func:`configured_index`; a malformed
    configuration is an :class:`~matrix.plan.package_index.IndexConfigError`).  ``source``
    says where the data came from and which index (and setting) was asked; an unreachable
    index is a note naming its URL, and the older data is used."""
    index = configured_index() if index is None else index
    cache_dir.mkdir(parents=True, exist_ok=True)
    snapshot = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.is_file() else {}
    releases: dict[str, tuple[Release, ...]] = {}
    sources: set[str] = set()
    notes: list[str] = [] if index.is_default else [f"package index: {index.describe()}"]
    for project in PROJECTS:
        cached_path = cache_path(cache_dir, index, project)
        cached = read_cache(cached_path)
        if cached and time.time() - cached["fetched_at"] < CACHE_TTL_S:
            releases[project] = releases_from_summary(cached["releases"])
            sources.add("cache")
            continue
        if not offline:
            try:
                summary = fetch_summary(project, index.url)
            except (OSError, urllib.error.URLError, ValueError) as exc:
                notes.append(f"{project}: package index {index.display} unreachable ({exc});"
                             " using older data")
            else:
                write_cache(cached_path, index, summary)
                releases[project] = releases_from_summary(summary)
                sources.add("index")
                continue
        if cached:
            releases[project] = releases_from_summary(cached["releases"])
            sources.add("stale cache")
        elif project in snapshot.get("releases", {}):
            releases[project] = releases_from_summary(snapshot["releases"][project])
            sources.add(f"snapshot {snapshot.get('taken', '?')}")
        else:
            notes.append(f"{project}: no release data at all")
            releases[project] = ()
    source = f"{', '.join(sorted(sources))}; index {index.describe()}"
    return ReleaseIndex(releases, source, tuple(notes))


def write_snapshot(path: Path = SNAPSHOT, index: IndexChoice | None = None) -> None:
    """Commit-ready snapshot of the current release data (the offline fallback), from the
    configured index; an unreachable index is an error naming its URL."""
    index = configured_index() if index is None else index
    data: dict[str, Any] = {"index": index.display, "taken": time.strftime("%Y-%m-%d"),
                            "releases": {}}
    for project in PROJECTS:
        try:
            data["releases"][project] = fetch_summary(project, index.url)
        except (OSError, ValueError) as exc:
            raise MatrixError(f"package index {index.describe()}: cannot read {project}"
                              f" ({exc})") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
