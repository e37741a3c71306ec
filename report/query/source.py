"""Where a query's data comes from (``--data``): the snapshot the distribution ships (the
default), a file (a snapshot or a publication's ``compat.json`` with its records file beside
it), or a URL of either, fetched into the user's cache folder.

A URL is fetched over HTTPS (``http://`` only from this machine: ``127.0.0.1``, ``::1``,
``localhost``) with :mod:`urllib.request`; a ``compat.json``'s records file is fetched from
beside it.  The copy is kept under ``data/`` in the cache folder
(:func:`matrix.model.folders.cache_root`: the user's cache directory for an installed copy),
one folder per URL; when fetching fails and an earlier copy is there, the answer comes from it
and says so.  Nothing is ever written into the installed package.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from report.query.data import RECORDS_FILE_FIELD
from report.query.snapshot import is_snapshot, packaged
from report.query.status import QueryError

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
"""Hosts a plain ``http://`` URL may name (a test's local server)."""
FETCH_TIMEOUT_S = 30.0
"""How long one request may take, in seconds."""
MAX_BYTES = 64 * 1024 * 1024
"""The most a data file may hold (a publication's compat.json is ~5 MB)."""


@dataclass(frozen=True)
class DataSource:
    """A query's data, as a local file, and how the answer names where it came from."""

    path: Path
    label: str
    """``the snapshot shipped with cymatrix 0.1.0``, ``docs/compat.json``,
    ``https://... (fetched 2026-12-05 06:30 UTC)``."""


def is_url(spec: str) -> bool:
    return "://" in spec


@contextlib.contextmanager
def open_source(spec: str | None, cache: Path) -> Iterator[DataSource]:
    """The data ``--data`` names (``None``: the shipped snapshot) as a local file while the
    context lasts.  Raises :class:`QueryError` naming the flag and what is wrong."""
    if spec is None:
        shipped = packaged()
        if not shipped.is_file():
            raise QueryError(f"{shipped}: the shipped query data is missing (in a checkout:"
                             " render it with `python -m report render`; or pass --data)")
        with resources.as_file(shipped) as path:
            yield DataSource(path, f"the snapshot shipped with cymatrix {_version()}")
        return
    if is_url(spec):
        yield fetch(spec, cache)
        return
    yield DataSource(Path(spec), spec)


def _version() -> str:
    try:
        return metadata.version("cython-memory-matrix")
    except metadata.PackageNotFoundError:  # a checkout run without installing
        return "(source checkout)"


def fetch(url: str, cache: Path) -> DataSource:
    """``url``'s data file (and a compat.json's records file) in ``cache``; raises
    :class:`QueryError` when the URL is refused or nothing could be fetched or kept."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise QueryError(f"--data {url}: only https:// URLs are fetched (http:// only from this"
                         " machine: 127.0.0.1, ::1, localhost)")
    name = Path(urllib.parse.unquote(parts.path)).name or "compat.json"
    folder = cache / "data" / hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    kept = folder / name
    try:
        raw = _get(url)
        folder.mkdir(parents=True, exist_ok=True)
        if not is_snapshot(raw):
            named = RECORDS_FILE_FIELD.search(raw)
            if named is not None:
                records = named[1].decode("utf-8")
                if Path(records).name != records:
                    raise QueryError(f"--data {url}: 'records_file' is not a file name"
                                     f" ({records!r})")
                _keep(folder / records, _get(urllib.parse.urljoin(url, records)))
        _keep(kept, raw)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if kept.is_file():
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(kept.stat().st_mtime))
            return DataSource(kept, f"{url} (fetching failed: {reason}; the copy fetched"
                                    f" {when})")
        raise QueryError(f"--data {url}: could not be fetched ({reason})") from None
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return DataSource(kept, f"{url} (fetched {when})")


def _get(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": f"cymatrix/{_version()}"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
        raw: bytes = response.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValueError(f"{url}: more than {MAX_BYTES // 2**20} MB")
    return raw


def _keep(path: Path, raw: bytes) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(raw)
    os.replace(partial, path)

