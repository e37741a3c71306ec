"""Resolving a development build's source (:class:`~matrix.model.buildsource.BuildSource`) into
wheel files on this machine, and planning with it.

* a wheel file is used where it is (its sha256 taken);
* a URL to a wheel is downloaded under ``<cache>/builds/downloads``;
* a simple index (:mod:`matrix.plan.simple_api`) gives its newest version that has a wheel for
  one of the Pythons asked for (pre-releases and development builds included: that is what
  nightly indexes hold), and those wheels are downloaded;
* a git ref (``git+URL@ref``) is fetched (``git fetch --depth 1``), its commit read, and built
  into a wheel once per commit (``uv build --wheel``, under ``<cache>/builds/git/<commit>``);
  from then on it is a wheel file.

:func:`indexed` puts the builds into the release index as releases of their own (their wheels'
tags decide which Pythons they install on), so the grid plans their cells as any other;
:func:`uses` says which wheel a cell installs, for its environments, key and provenance.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

from matrix.model.buildsource import Build, BuildSource, BuildSourceError, BuildWheel
from matrix.model.cells import Cell
from matrix.model.interpreters import InterpreterId
from matrix.model.timeouts import TIMEOUTS
from matrix.plan.index import Release, ReleaseIndex, supported_tags
from matrix.plan.interpreters import Interpreter
from matrix.plan.simple_api import IndexFile, fetch_files

BUILD_TIMEOUT_S = 1800.0
"""How long building a git ref into a wheel may take (Cython compiles itself: minutes)."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _requires_python(source: BuildSource, path: Path) -> str | None:
    """``Requires-Python`` of the wheel's metadata (``None``: it states none)."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist()
                         if n.count("/") == 1 and n.endswith(".dist-info/METADATA")), None)
            if name is None:
                raise BuildSourceError(source, f"{path.name} has no .dist-info/METADATA: not a"
                                       " wheel")
            metadata = archive.read(name).decode("utf-8", errors="replace")
    except (zipfile.BadZipFile, OSError) as exc:
        raise BuildSourceError(source, f"{path.name} is not a wheel ({exc})") from None
    for line in metadata.splitlines():
        if not line.strip():
            break  # the headers end at the first empty line
        if line.lower().startswith("requires-python:"):
            return line.split(":", 1)[1].strip() or None
    return None


def wheel_version(source: BuildSource, filename: str) -> Version:
    """The version a wheel's file name states; a wheel of another project is an error."""
    try:
        name, version, _, _ = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise BuildSourceError(source, f"not a wheel file name ({exc})") from None
    if canonicalize_name(name) != source.project:
        raise BuildSourceError(source, f"{filename} is a wheel of {name}, not of"
                               f" {source.project}")
    return version


def _wheel(source: BuildSource, path: Path, url: str | None = None) -> BuildWheel:
    if not path.is_file():
        raise BuildSourceError(source, "no such file")
    wheel_version(source, path.name)
    return BuildWheel(path.name, path.resolve(), sha256_of(path), url)


def _build(source: BuildSource, wheels: Sequence[BuildWheel],
           commit: str | None = None) -> Build:
    first = wheels[0]
    return Build(source, str(wheel_version(source, first.filename)), tuple(wheels),
                 _requires_python(source, first.path), commit)


def download(source: BuildSource, url: str, folder: Path, sha256: str | None = None,
             timeout_s: float = TIMEOUTS.index) -> BuildWheel:
    """``url`` downloaded into ``folder``/<digest of the URL>/ (one the index states the
    sha256 of is not downloaded again while the copy has it)."""
    filename = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rpartition("/")[2])
    wheel_version(source, filename)
    target = folder / hashlib.sha256(url.encode()).hexdigest()[:16] / filename
    if sha256 is not None and target.is_file() and sha256_of(target) == sha256:
        return BuildWheel(filename, target, sha256, url)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    try:
        if urllib.parse.urlsplit(url).scheme == "file":
            shutil.copyfile(urllib.request.url2pathname(urllib.parse.urlsplit(url).path),
                            partial)
        else:
            with urllib.request.urlopen(url, timeout=timeout_s) as response, \
                    open(partial, "wb") as out:  # noqa: S310 - the user's own URL
                shutil.copyfileobj(response, out)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise BuildSourceError(source, f"cannot download {url} ({exc})") from None
    os.replace(partial, target)
    wheel = _wheel(source, target, url)
    if sha256 is not None and wheel.sha256 != sha256:
        raise BuildSourceError(source, f"{url}: sha256 {wheel.sha256} is not the index's"
                               f" {sha256}")
    return wheel


def serving(filename: str, python: InterpreterId) -> bool:
    """Whether the wheel ``filename`` installs on ``python`` here (its tags)."""
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return False
    return bool(set(tags) & supported_tags(python))


def newest_on_index(source: BuildSource, files: Sequence[IndexFile],
                    pythons: Sequence[InterpreterId]) -> tuple[Version, list[IndexFile]]:
    """The newest version of the index's wheels that installs on one of ``pythons`` here, and
    for each Python that one serves, its wheel (one per Python, in their order)."""
    by_version: dict[Version, list[IndexFile]] = {}
    for file in files:
        if file.yanked or not file.filename.endswith(".whl"):
            continue
        try:
            name, version, _, _ = parse_wheel_filename(file.filename)
        except InvalidWheelFilename:
            continue
        if canonicalize_name(name) == source.project:
            by_version.setdefault(version, []).append(file)
    if not by_version:
        raise BuildSourceError(source, f"the index lists no {source.project} wheel")
    for version in sorted(by_version, reverse=True):
        chosen: list[IndexFile] = []
        for python in pythons:
            found = next((f for f in by_version[version] if serving(f.filename, python)), None)
            if found is not None and found not in chosen:
                chosen.append(found)
        if chosen:
            return version, chosen
    names = ", ".join(p.display for p in pythons)
    raise BuildSourceError(source, f"no {source.project} wheel there for {names} on this"
                           f" platform (newest there: {max(by_version)})")


def _run(source: BuildSource, step: str, command: list[str],
         timeout_s: float = BUILD_TIMEOUT_S) -> str:
    """Run a git or build command; its failure is an error naming the flag, the ``step``
    (``git fetch``) and the command's last line."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s,
                              check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BuildSourceError(source, f"{step} failed: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise BuildSourceError(source, f"{step} failed:"
                               f" {lines[-1].strip() if lines else done.returncode}")
    return done.stdout.strip()


def built_from_git(source: BuildSource, python: Interpreter, folder: Path) -> Build:
    """Fetch ``source``'s ref, read its commit, and build it into a wheel for ``python``,
    once per commit (``<folder>/git/<commit>/``)."""
    git = shutil.which("git")
    if git is None:
        raise BuildSourceError(source, "git is not installed on the host")
    location = source.location
    if not urllib.parse.urlsplit(location).scheme and os.path.isdir(location):
        location = str(Path(location).resolve())
    checkout = folder / "git" / "checkouts" / hashlib.sha256(location.encode()).hexdigest()[:16]
    checkout.mkdir(parents=True, exist_ok=True)
    if not (checkout / ".git").is_dir():
        _run(source, "git init", [git, "init", "--quiet", str(checkout)])
    _run(source, "git fetch", [git, "-C", str(checkout), "fetch", "--quiet", "--depth", "1",
                               location, source.ref or "HEAD"], timeout_s=TIMEOUTS.install)
    commit = _run(source, "git rev-parse", [git, "-C", str(checkout), "rev-parse",
                                            "FETCH_HEAD"])
    out = folder / "git" / commit
    made = sorted(out.glob("*.whl")) if out.is_dir() else []
    if not made:
        _run(source, "git checkout", [git, "-C", str(checkout), "checkout", "--quiet",
                                      "--force", commit])
        uv = shutil.which("uv")
        if uv is None:
            raise BuildSourceError(source, "uv is not installed on the host (it builds the"
                                   " wheel)")
        partial = out.with_name(out.name + ".part")
        shutil.rmtree(partial, ignore_errors=True)
        _run(source, f"building commit {commit[:12]}",
             [uv, "build", "--wheel", "--quiet", "--python", str(python.path), "--out-dir",
              str(partial), str(checkout)])
        shutil.rmtree(out, ignore_errors=True)
        os.replace(partial, out)
        made = sorted(out.glob("*.whl"))
        if not made:
            raise BuildSourceError(source, f"building commit {commit[:12]} made no wheel")
    return _build(source, [_wheel(source, path) for path in made], commit)


def resolve(source: BuildSource, pythons: Sequence[Interpreter], cache: Path) -> Build:
    """``source`` as wheel files on this machine, for ``pythons`` (an index's wheels, and the
    Python a git ref is built with: the first of them); every failure is a
    :class:`~matrix.model.buildsource.BuildSourceError` naming the flag and the value."""
    folder = cache / "builds"
    if source.kind == "wheel":
        return _build(source, [_wheel(source, Path(source.location))])
    if source.kind == "url":
        return _build(source, [download(source, source.location, folder / "downloads")])
    if source.kind == "git":
        if not pythons:
            raise BuildSourceError(source, "no Python to build it with")
        return built_from_git(source, pythons[0], folder)
    try:
        files = fetch_files(source.location, source.project)
    except FileNotFoundError:
        raise BuildSourceError(source, f"the index has no {source.project} project") from None
    except urllib.error.HTTPError as exc:
        problem = (f"the index has no {source.project} project" if exc.code == 404
                   else f"the index refused ({exc})")
        raise BuildSourceError(source, problem) from None
    except (OSError, ValueError) as exc:
        raise BuildSourceError(source, f"cannot read the index ({exc})") from None
    _, chosen = newest_on_index(source, files, [p.id for p in pythons])
    wheels = [download(source, f.url or f.filename, folder / "downloads", f.sha256)
              for f in chosen]
    return _build(source, wheels)


def indexed(index: ReleaseIndex, builds: Iterable[Build]) -> ReleaseIndex:
    """``index`` with each build as a release of its own (listed first, so its version names
    the build, not an index release of the same version): its wheels decide where it
    installs."""
    releases = dict(index.releases)
    for build in builds:
        release = Release(Version(build.version), build.requires_python,
                          tuple(w.filename for w in build.wheels))
        releases[build.project] = (release, *(r for r in releases.get(build.project, ())
                                              if r.version != release.version))
    return ReleaseIndex(releases, index.source, index.notes)


def wheel_for(build: Build, python: InterpreterId) -> BuildWheel | None:
    """The wheel of ``build`` that installs on ``python`` here, if one does."""
    return next((w for w in build.wheels if serving(w.filename, python)), None)


def uses(builds: Iterable[Build], cell: Cell, python: InterpreterId
         ) -> tuple[tuple[Build, BuildWheel], ...]:
    """The builds ``cell`` uses on ``python``, each with the wheel it installs there (a Cython
    with no wheel for it, whose C is generated elsewhere: each of its wheels)."""
    wanted = {("cython", cell.cython), ("numpy", cell.numpy_build), ("numpy", cell.numpy_run)}
    found: list[tuple[Build, BuildWheel]] = []
    for build in builds:
        if (build.project, build.version) not in wanted:
            continue
        wheel = wheel_for(build, python)
        found.extend((build, w) for w in ((wheel,) if wheel is not None else build.wheels))
    return tuple(found)


def provenance_of(used: Iterable[tuple[Build, BuildWheel]]) -> list[dict[str, Any]]:
    """A record's ``builds`` provenance entry (:meth:`Build.provenance` of each)."""
    return [build.provenance(wheel) for build, wheel in used]
