"""Development builds of Cython and numpy, as data: where a build comes from when it is not a
release of the package index (``--cython-from`` / ``--numpy-from``), and the wheel files it
resolved to.

A :class:`BuildSource` is the flag's value as given: a wheel file, a URL to a wheel, a simple
index (PEP 503/691: numpy's nightly index is
``https://pypi.anaconda.org/scientific-python-nightly-wheels/simple``; the newest version there
is chosen) or a git ref (``git+URL@ref``, built into a wheel once per commit).  Resolving it
(:mod:`matrix.plan.devbuilds`) gives a :class:`Build`: one version (the wheel's own, so a cell's
id stays ``py3.12-cy3.3.0a0.dev0+g1a2b3c4``-like and :attr:`matrix.model.cells.Cell.is_canary`
holds) and its wheel files with their sha256.  A record measured with a build names it exactly
in its provenance (``builds``: :meth:`Build.provenance`) and its key holds the wheel's sha256
(:func:`key_material`): a nightly rebuilt under the same version is another measurement.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix.model.errors import MatrixError

PROJECTS = ("cython", "numpy")
SOURCE_KINDS = ("wheel", "url", "index", "git")
"""A wheel file, a URL to a wheel, a simple index, a git ref."""
PROVENANCE_FIELD = "builds"
"""The provenance entry naming the development builds a record was measured with."""


class BuildSourceError(MatrixError):
    """A ``--cython-from``/``--numpy-from`` value that cannot be used: names the flag and the
    value."""

    def __init__(self, source: BuildSource | tuple[str, str], problem: str) -> None:
        flag, text = ((source.flag, source.text) if isinstance(source, BuildSource)
                      else source)
        super().__init__(f"{flag} {text}: {problem}")


def flag_of(project: str) -> str:
    """``--cython-from``: the option naming ``project``'s build source."""
    return f"--{project}-from"


def _is_url(text: str) -> bool:
    return text.split("://", 1)[0] in ("http", "https", "file") and "://" in text


@dataclass(frozen=True)
class BuildSource:
    """Where a Cython or numpy comes from when it is not an index release."""

    project: str
    kind: str
    """One of :data:`SOURCE_KINDS`."""
    location: str
    """The wheel's path, the URL, the index URL or the git repository."""
    text: str
    """The value as given."""
    ref: str | None = None
    """The git ref (``None``: the repository's ``HEAD``)."""

    @property
    def flag(self) -> str:
        return flag_of(self.project)

    @classmethod
    def parse(cls, project: str, text: str) -> BuildSource:
        """``path/to.whl``, ``https://.../x.whl``, ``https://.../simple`` (a local folder laid
        out as one, or ``file://``), or ``git+URL[@ref]``."""
        if project not in PROJECTS:
            raise ValueError(f"no build source for {project!r}")
        value = text.strip()
        if not value:
            raise BuildSourceError((flag_of(project), repr(text)),
                                   "empty (a wheel, a URL, a simple index or git+URL@ref)")
        if value.startswith("git+"):
            url = value[4:]
            head, _, tail = url.rpartition("@")
            if head and "/" not in tail and ":" not in tail and tail:
                return cls(project, "git", head, text, tail)
            return cls(project, "git", url, text)
        if _is_url(value):
            path = value.split("#", 1)[0].split("?", 1)[0]
            if path.endswith(".whl"):
                if value.startswith("file://"):
                    return cls(project, "wheel", path[len("file://"):], text)
                return cls(project, "url", value, text)
            return cls(project, "index", value, text)
        if value.endswith(".whl"):
            return cls(project, "wheel", os.path.abspath(value), text)
        if os.path.isdir(value):  # a folder laid out as a simple index, as pip reads one
            return cls(project, "index", Path(value).resolve().as_uri(), text)
        raise BuildSourceError((flag_of(project), text), "not a wheel file (.whl), a URL, a"
                               " simple index (URL or folder) or git+URL@ref")


@dataclass(frozen=True)
class BuildWheel:
    """One wheel file of a build, on this machine."""

    filename: str
    path: Path
    sha256: str
    url: str | None = None
    """Where it was downloaded from (a URL source or an index's file)."""


@dataclass(frozen=True)
class Build:
    """A resolved build source: the version it holds and its wheel files."""

    source: BuildSource
    version: str
    wheels: tuple[BuildWheel, ...]
    requires_python: str | None = None
    commit: str | None = None
    """The git commit a ``git`` source was built from."""

    @property
    def project(self) -> str:
        return self.source.project

    def provenance(self, wheel: BuildWheel) -> dict[str, Any]:
        """What a record names of this build (its ``builds`` entry): the project, version,
        source, wheel file and sha256; the URL of a URL or index source, the index; the
        repository, ref and commit of a git source."""
        data: dict[str, Any] = {"project": self.project, "version": self.version,
                                "source": self.source.kind, "wheel": wheel.filename,
                                "sha256": wheel.sha256}
        if self.source.kind == "index":
            data["index"] = self.source.location
        if wheel.url is not None:
            data["url"] = wheel.url
        if self.source.kind == "git":
            data.update(repository=self.source.location, ref=self.source.ref or "HEAD",
                        commit=self.commit)
        return data

    def describe(self, wheel: BuildWheel) -> str:
        """``cython 3.3.0a0.dev0 from git https://...@master (commit 1a2b3c4d5e6f),
        Cython-....whl sha256 0123456789ab``: one line for a person."""
        where = {"wheel": "a wheel file", "url": f"URL {wheel.url}",
                 "index": f"index {self.source.location}",
                 "git": f"git {self.source.location}@{self.source.ref or 'HEAD'}"
                        f" (commit {(self.commit or '?')[:12]})"}[self.source.kind]
        return (f"{self.project} {self.version} from {where}: {wheel.filename}"
                f" sha256 {wheel.sha256[:12]}")


def key_material(entries: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """A record's builds (its provenance's ``builds`` entries) as key material: the project,
    version and sha256 of each wheel, sorted; empty for a record of index releases (whose keys
    stay as they were)."""
    return tuple(sorted(f"{e.get('project')}=={e.get('version')} sha256:{e.get('sha256')}"
                        for e in entries))


def stated(provenance: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """The ``builds`` entries a record's provenance states (none: index releases only)."""
    entries = provenance.get(PROVENANCE_FIELD) or ()
    return [e for e in entries if isinstance(e, Mapping)]
