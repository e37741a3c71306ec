"""Reading a project's files from a package index through the simple repository API.

The JSON form (PEP 691, ``application/vnd.pypi.simple.v1+json``) is asked for first; a server
that answers only HTML (PEP 503, with PEP 592's ``data-yanked`` and PEP 503's
``data-requires-python``) is read with :mod:`html.parser`.  A ``file:`` index is a directory
laid out the same way (``<project>/index.html``), as pip reads one.  Versions come from the file
names (:func:`packaging.utils.parse_wheel_filename` / ``parse_sdist_filename``); files of other
formats (``.exe``, ``.egg``) are not installable here and are skipped.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from matrix.model.timeouts import TIMEOUTS
from matrix.plan.package_index import redact

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPES = ("application/vnd.pypi.simple.v1+html", "text/html")
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
"""The ``Accept`` header PEP 691 suggests: JSON, else HTML."""


@dataclass(frozen=True)
class IndexFile:
    """One file of a project as the index lists it."""

    filename: str
    requires_python: str | None = None
    yanked: bool = False
    url: str | None = None
    """Where the file is, as the page links it (:func:`fetch_files` makes it absolute, without
    its fragment)."""
    sha256: str | None = None
    """Its sha256, where the index states it (PEP 691 ``hashes``, PEP 503's URL
    fragment)."""


def project_url(index_url: str, project: str) -> str:
    """``<index>/<normalized project name>/`` (PEP 503)."""
    parts = urllib.parse.urlsplit(index_url)
    path = f"{parts.path.rstrip('/')}/{canonicalize_name(project)}/"
    return urllib.parse.urlunsplit(parts._replace(path=path))


def _check_api_version(version: object, where: str) -> None:
    """PEP 629: a client must refuse a major version it does not know."""
    if version is None:
        return
    if not isinstance(version, str) or version.split(".")[0] != "1":
        raise ValueError(f"{where}: unsupported simple API version {version!r}")


def files_from_json(data: Any, where: str) -> list[IndexFile]:
    """The files of a PEP 691 project page (``yanked`` may be a reason string: yanked)."""
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise ValueError(f"{where}: not a PEP 691 project page (no 'files' list)")
    meta = data.get("meta")
    _check_api_version(meta.get("api-version") if isinstance(meta, dict) else None, where)
    files = []
    for item in data["files"]:
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str):
            raise ValueError(f"{where}: a file entry without a 'filename'")
        yanked = item.get("yanked", False)
        hashes = item.get("hashes")
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        url = item.get("url")
        files.append(IndexFile(item["filename"], item.get("requires-python") or None,
                               isinstance(yanked, str) or yanked is True,
                               url if isinstance(url, str) else None,
                               sha256 if isinstance(sha256, str) else None))
    return files


class _AnchorParser(HTMLParser):
    """The anchors of a PEP 503 project page and its PEP 629 repository version."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: list[IndexFile] = []
        self.api_version: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name") == "pypi:repository-version":
            self.api_version = values.get("content")
        if tag != "a" or not values.get("href"):
            return
        href = values["href"] or ""
        parts = urllib.parse.urlsplit(href)
        filename = urllib.parse.unquote(parts.path.rstrip("/").rpartition("/")[2])
        name, _, digest = parts.fragment.partition("=")
        self.files.append(IndexFile(filename, values.get("data-requires-python") or None,
                                    "data-yanked" in values, href,
                                    digest if name == "sha256" and digest else None))


def files_from_html(text: str, where: str) -> list[IndexFile]:
    """The files of a PEP 503 project page (attribute values are unescaped by the parser)."""
    parser = _AnchorParser()
    parser.feed(text)
    parser.close()
    _check_api_version(parser.api_version, where)
    return [f for f in parser.files if f.filename]


def _request(url: str) -> urllib.request.Request:
    """A GET for ``url`` asking for JSON first; credentials in the URL become a Basic
    ``Authorization`` header (urllib does not send them itself)."""
    parts = urllib.parse.urlsplit(url)
    headers = {"Accept": ACCEPT}
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
        url = urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
    return urllib.request.Request(url, headers=headers)


def fetch_files(index_url: str, project: str,
                timeout_s: float = TIMEOUTS.index) -> list[IndexFile]:
    """Every file the index lists for ``project``; raises ``OSError`` (``urllib.error.URLError``
    included) when the index cannot be reached or refuses, ``ValueError`` when it answers
    something that is not a project page."""
    url = project_url(index_url, project)
    return [replace(file, url=urllib.parse.urldefrag(urllib.parse.urljoin(url, file.url)).url
                    if file.url else None)  # the fragment, a hash, is in ``sha256``
            for file in _fetch_page(url, timeout_s)]


def _fetch_page(url: str, timeout_s: float) -> list[IndexFile]:
    where = redact(url)
    if urllib.parse.urlsplit(url).scheme == "file":
        page = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)) / "index.html"
        return files_from_html(page.read_text(encoding="utf-8"), where)
    with urllib.request.urlopen(_request(url), timeout=timeout_s) as response:  # noqa: S310
        content_type = response.headers.get_content_type()
        charset = response.headers.get_content_charset() or "utf-8"
        body = response.read()
    if content_type == JSON_TYPE:
        return files_from_json(json.loads(body.decode(charset)), where)
    if content_type in HTML_TYPES:
        return files_from_html(body.decode(charset, errors="replace"), where)
    raise ValueError(f"{where}: unexpected content type {content_type!r}")


def file_version(filename: str) -> tuple[Version, bool] | None:
    """``(version, is_wheel)`` of a wheel or sdist file name; ``None`` for other formats."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1], True
        return parse_sdist_filename(filename)[1], False
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None


def summarize_files(files: Iterable[IndexFile], machine: str) -> list[dict[str, Any]]:
    """What the grid needs of each version (the summary format of
    ``matrix/data/index-snapshot.json``): the wheels for ``machine`` (and pure ones; no
    musllinux), the Python bounds (the first file's that states them), whether an sdist exists,
    and whether the release is yanked (every file of it is)."""
    by_version: dict[Version, list[tuple[IndexFile, bool]]] = {}
    for file in files:
        parsed = file_version(file.filename)
        if parsed is not None:
            by_version.setdefault(parsed[0], []).append((file, parsed[1]))
    summary = []
    for version in sorted(by_version):
        entries = by_version[version]
        summary.append({
            "version": str(version),
            "requires_python": next((f.requires_python for f, _ in entries
                                     if f.requires_python), None),
            "wheels": sorted(
                f.filename for f, is_wheel in entries
                if is_wheel and (machine in f.filename or f.filename.endswith("-any.whl"))
                and "musllinux" not in f.filename
            ),
            "sdist": any(not is_wheel for _, is_wheel in entries),
            "yanked": all(f.yanked for f, _ in entries),
        })
    return summary
