"""Release data from the package index: which versions exist and which have a wheel for a Python.

Sources, in order: a fresh cached copy (< 24 h), PyPI's JSON API, a stale cached copy, and the
snapshot committed in ``matrix/data/index-snapshot.json`` (so the grid can be built offline).
"""

from __future__ import annotations

import functools
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

PROJECTS = ("cython", "numpy")
SNAPSHOT = Path(__file__).resolve().parents[1] / "data" / "index-snapshot.json"
CACHE_TTL_S = 24 * 3600
PYPI_JSON = "https://pypi.org/pypi/{project}/json"


@dataclass(frozen=True)
class Release:
    """One release: its files (wheel names, for this platform family) and Python bounds."""

    version: Version
    requires_python: str | None
    wheels: tuple[str, ...]
    has_sdist: bool
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

    def get(self, project: str, version: str) -> Release | None:
        wanted = Version(version)
        return next((r for r in self.releases.get(project, ()) if r.version == wanted), None)

    def installable(self, project: str, version: str, python: Version) -> str | None:
        """``None`` if a wheel serves ``python``; else the reason it cannot be installed."""
        release = self.get(project, version)
        if release is None:
            return f"{project} {version} is not on the package index"
        if release.requires_python:
            try:
                if not SpecifierSet(release.requires_python).contains(python, prereleases=True):
                    return (f"{project} {version} requires Python {release.requires_python}"
                            f" (this is {python})")
            except InvalidSpecifier:
                pass
        if not release.wheel_tags() & supported_tags(python):
            return (f"{project} {version} has no wheel for CPython {python.major}.{python.minor}"
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
def supported_tags(python: Version) -> frozenset[Tag]:
    """Wheel tags a CPython ``python`` on this (Linux) platform accepts."""
    major, minor = python.major, python.minor
    interpreter = f"cp{major}{minor}"
    if major == 2:
        abis = [f"{interpreter}mu", f"{interpreter}m"]
    elif minor <= 7:
        abis = [f"{interpreter}m"]
    else:
        abis = [interpreter]
    platforms = _platforms()
    tags = {Tag(interpreter, abi, plat) for abi in abis + ["none"] for plat in platforms}
    if major == 3:
        tags |= {Tag(f"cp3{m}", "abi3", plat) for m in range(2, minor + 1) for plat in platforms}
    generic = [f"py{major}", f"py{major}{minor}"] + [f"py{major}{m}" for m in range(minor)]
    tags |= {Tag(py, "none", plat) for py in generic for plat in platforms}
    return frozenset(tags)


def summarize(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Reduce PyPI's JSON to what the grid needs (x86_64/any wheels, bounds, yanked)."""
    machine = os.uname().machine
    summary = []
    for version, files in data.get("releases", {}).items():
        try:
            Version(version)
        except InvalidVersion:
            continue
        if not files:
            continue
        wheels = sorted(
            f["filename"] for f in files
            if f.get("packagetype") == "bdist_wheel"
            and (machine in f["filename"] or f["filename"].endswith("-any.whl"))
            and "musllinux" not in f["filename"]
        )
        summary.append({
            "version": version,
            "requires_python": next((f.get("requires_python") for f in files
                                     if f.get("requires_python")), None),
            "wheels": wheels,
            "sdist": any(f.get("packagetype") == "sdist" for f in files),
            "yanked": all(f.get("yanked", False) for f in files),
        })
    summary.sort(key=lambda item: Version(item["version"]))
    return summary


def releases_from_summary(summary: Iterable[Mapping[str, Any]]) -> tuple[Release, ...]:
    return tuple(
        Release(
            version=Version(item["version"]),
            requires_python=item.get("requires_python"),
            wheels=tuple(item.get("wheels", ())),
            has_sdist=bool(item.get("sdist")),
            yanked=bool(item.get("yanked")),
        )
        for item in summary
    )


def fetch_summary(project: str, timeout_s: float = 30.0) -> list[dict[str, Any]]:
    """Ask PyPI's JSON API; raises ``OSError`` when the index cannot be reached."""
    request = urllib.request.Request(PYPI_JSON.format(project=project),
                                     headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
        return summarize(json.load(response))


def load_index(cache_dir: Path, *, offline: bool = False) -> ReleaseIndex:
    """Release data for Cython and numpy, from the freshest source that answers."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    snapshot = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.is_file() else {}
    releases: dict[str, tuple[Release, ...]] = {}
    sources: set[str] = set()
    notes: list[str] = []
    for project in PROJECTS:
        cached_path = cache_dir / f"{project}.json"
        cached = json.loads(cached_path.read_text()) if cached_path.is_file() else None
        if cached and time.time() - cached["fetched_at"] < CACHE_TTL_S:
            releases[project] = releases_from_summary(cached["releases"])
            sources.add("pypi (cached)")
            continue
        if not offline:
            try:
                summary = fetch_summary(project)
            except (OSError, urllib.error.URLError, ValueError) as exc:
                notes.append(f"{project}: package index unreachable ({exc}); using older data")
            else:
                cached_path.write_text(json.dumps({"fetched_at": time.time(),
                                                   "releases": summary}))
                releases[project] = releases_from_summary(summary)
                sources.add("pypi")
                continue
        if cached:
            releases[project] = releases_from_summary(cached["releases"])
            sources.add("pypi (stale cache)")
        elif project in snapshot.get("releases", {}):
            releases[project] = releases_from_summary(snapshot["releases"][project])
            sources.add(f"snapshot {snapshot.get('taken', '?')}")
        else:
            notes.append(f"{project}: no release data at all")
            releases[project] = ()
    return ReleaseIndex(releases, ", ".join(sorted(sources)), tuple(notes))


def write_snapshot(path: Path = SNAPSHOT) -> None:
    """Commit-ready snapshot of the current release data (the offline fallback)."""
    data: dict[str, Any] = {"taken": time.strftime("%Y-%m-%d"), "releases": {}}
    for project in PROJECTS:
        data["releases"][project] = fetch_summary(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
