"""Which package index the harness reads its release data from: the one the user's installers
are configured for (pip's and uv's environment and configuration files), else PyPI.

The cell environments are made by uv and pip, which read these settings themselves; this module
only makes the harness's *own* release listing (:mod:`matrix.plan.index`) ask the same index, so
a user behind a mirror can plan and run the grid.  Only the one index that replaces PyPI is
looked for (pip's ``index-url``, uv's default index); extra indexes are not.

Precedence, first found wins (:func:`configured_index`):

1. ``MATRIX_INDEX_URL`` (the harness's own override);
2. ``UV_DEFAULT_INDEX`` (``[name=]url``), then ``UV_INDEX_URL`` (uv's environment,
   https://docs.astral.sh/uv/reference/environment/ and
   https://docs.astral.sh/uv/concepts/indexes/);
3. ``PIP_INDEX_URL`` (pip's environment: ``PIP_<UPPER_LONG_NAME>``,
   https://pip.pypa.io/en/stable/topics/configuration/#environment-variables);
4. pip's configuration files, as ``pip config`` reads them (:func:`pip_config_index`);
5. uv's configuration files (:func:`uv_config_index`);
6. ``https://pypi.org/simple/``.
"""

from __future__ import annotations

import configparser
import os
import re
import sys
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matrix.model.errors import MatrixError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
ENVIRONMENT = ("MATRIX_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")
"""The environment variables naming the index, strongest first."""
PIP_SECTIONS = ("global", "install")
"""pip's sections that set ``pip install``'s index, weakest first (a command's own section
overrides ``[global]``)."""
_INDEX_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_FALSE = ("", "0", "false", "no", "off")


class IndexConfigError(MatrixError):
    """A setting that names the package index is malformed: names the file (or environment
    variable) and the setting."""

    def __init__(self, where: str | Path, setting: str, problem: str) -> None:
        self.where = str(where)
        self.setting = setting
        self.problem = problem
        super().__init__(f"{where}: setting '{setting}': {problem}")


@dataclass(frozen=True)
class IndexChoice:
    """A package index (its simple-API base URL, ending in ``/``) and the setting that chose
    it (``"default"`` when nothing did)."""

    url: str
    setting: str = "default"

    @property
    def is_default(self) -> bool:
        return self.url == DEFAULT_INDEX_URL

    @property
    def display(self) -> str:
        """The URL with any password hidden, for messages, notes and cache entries."""
        return redact(self.url)

    def describe(self) -> str:
        """``https://mirror.example/simple/ (from PIP_INDEX_URL)``; ``... (default)``."""
        if self.setting == "default":
            return f"{self.display} (default)"
        return f"{self.display} (from {self.setting})"


def redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def normalize_url(value: str, where: str | Path, setting: str) -> str:
    """An index URL as given in a setting, checked (http, https or file; a local directory
    becomes a ``file:`` URL, as pip accepts one) and ending in ``/``."""
    text = value.strip()
    if text.startswith(("/", "./", "../", "~")):
        text = Path(text).expanduser().resolve().as_uri()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme not in ("http", "https", "file") or (parts.scheme != "file"
                                                          and not parts.netloc):
        raise IndexConfigError(where, setting,
                               f"{value!r} is not an http(s) or file URL of a package index")
    if parts.path.endswith("/"):
        return text
    return urllib.parse.urlunsplit(parts._replace(path=parts.path + "/"))


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in _FALSE


def configured_index(environ: Mapping[str, str] | None = None, *, home: Path | None = None,
                     cwd: Path | None = None, etc: Path = Path("/etc")) -> IndexChoice:
    """The index the user's installers are configured for (see the module's docstring for the
    order); ``environ``/``home``/``cwd``/``etc`` default to this process's."""
    env = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    cwd = Path.cwd() if cwd is None else cwd
    for name in ENVIRONMENT:
        value = env.get(name, "").strip()
        if not value:
            continue
        if name == "UV_DEFAULT_INDEX":
            value = strip_index_name(value)
        return IndexChoice(normalize_url(value, "environment", name), name)
    return (pip_config_index(env, home, etc) or uv_config_index(env, home, cwd, etc)
            or IndexChoice(DEFAULT_INDEX_URL))


def strip_index_name(value: str) -> str:
    """uv's ``<name>=<url>`` form of ``--index``/``--default-index`` (``UV_DEFAULT_INDEX``):
    "names are optional but can be included using the <name>=<url> syntax"
    (https://docs.astral.sh/uv/concepts/indexes/)."""
    name, sep, url = value.partition("=")
    return url if sep and _INDEX_NAME.match(name) else value


# -- pip -----------------------------------------------------------------------------------


def pip_config_files(env: Mapping[str, str], home: Path,
                     etc: Path = Path("/etc")) -> list[Path]:
    """pip's configuration files on Unix, in loading order (a later file's value wins), as
    https://pip.pypa.io/en/stable/topics/configuration/ ("Location", "PIP_CONFIG_FILE",
    "Loading order") lists them:

    * global: ``pip/pip.conf`` in each of ``$XDG_CONFIG_DIRS`` (default ``/etc/xdg``), then
      ``/etc/pip.conf``;
    * user: the legacy ``~/.pip/pip.conf``, then ``$XDG_CONFIG_HOME/pip/pip.conf`` (default
      ``~/.config``), skipped when ``PIP_CONFIG_FILE`` names a file that exists;
    * site: ``$VIRTUAL_ENV/pip.conf``;
    * ``$PIP_CONFIG_FILE``, loaded last; set to ``os.devnull`` it disables every file.

    Files that do not exist are listed too (the reader skips them)."""
    config_file = env.get("PIP_CONFIG_FILE")
    if config_file == os.devnull:
        return []
    xdg_dirs = env.get("XDG_CONFIG_DIRS") or str(etc / "xdg")
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs.split(os.pathsep) if d]
    files.append(etc / "pip.conf")
    if not (config_file and Path(config_file).exists()):
        files.append(home / ".pip" / "pip.conf")
        files.append(Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    if env.get("VIRTUAL_ENV"):
        files.append(Path(env["VIRTUAL_ENV"]) / "pip.conf")
    if config_file:
        files.append(Path(config_file))
    return files


def read_pip_config(path: Path) -> dict[str, str]:
    """``{section: index-url}`` of one pip configuration file (INI, read with configparser
    like pip does; option names are case- and ``_``/``-``-insensitive as in pip)."""
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise IndexConfigError(path, "index-url", f"not a readable pip configuration file:"
                               f" {exc}".replace("\n", " ")) from exc
    found = {}
    for section in parser.sections():
        for key, value in parser.items(section):
            if key.lower().replace("_", "-") == "index-url" and section in PIP_SECTIONS:
                found[section] = value
    return found


def pip_config_index(env: Mapping[str, str], home: Path,
                     etc: Path = Path("/etc")) -> IndexChoice | None:
    """``index-url`` as ``pip install`` reads it from its configuration files: the files are
    merged in loading order, then ``[install]`` overrides ``[global]`` ("Within the
    configuration file, values in command-specific sections override values in the global
    section", https://pip.pypa.io/en/stable/topics/configuration/#precedence-override-order)."""
    merged: dict[str, tuple[str, Path]] = {}
    for path in pip_config_files(env, home, etc):
        if path.is_file():
            merged.update((section, (value, path))
                          for section, value in read_pip_config(path).items())
    for section in reversed(PIP_SECTIONS):
        if section in merged:
            value, path = merged[section]
            setting = f"{section}.index-url"
            return IndexChoice(normalize_url(value, path, setting), f"{path} {setting}")
    return None


# -- uv ------------------------------------------------------------------------------------


def uv_config_files(env: Mapping[str, str], home: Path, cwd: Path,
                    etc: Path = Path("/etc")) -> list[tuple[Path, bool]]:
    """uv's configuration files that exist, strongest first, as ``(path, is_pyproject)``,
    following https://docs.astral.sh/uv/concepts/configuration-files/:

    * ``UV_NO_CONFIG`` (``--no-config``) disables discovery; ``UV_CONFIG_FILE``
      (``--config-file``) replaces it ("this file will be used instead of any discovered
      configuration files");
    * project: ``uv.toml``, else ``pyproject.toml`` with a ``[tool.uv]`` table, in the current
      directory or the nearest parent that has one ("uv.toml files take precedence over
      pyproject.toml files");
    * user: ``$XDG_CONFIG_HOME/uv/uv.toml`` (default ``~/.config/uv/uv.toml``);
    * system: the first of ``$XDG_CONFIG_DIRS/uv/uv.toml`` (default ``/etc/xdg``) and
      ``/etc/uv/uv.toml`` ("only the first-discovered file will be used, with XDG taking
      priority").

    "project-level configuration taking precedence over the user-level configuration, and
    user-level configuration taking precedence over the system-level configuration"."""
    if _truthy(env.get("UV_NO_CONFIG")):
        return []
    if env.get("UV_CONFIG_FILE"):
        path = Path(env["UV_CONFIG_FILE"])
        if not path.is_file():
            raise IndexConfigError("environment", "UV_CONFIG_FILE", f"{path}: no such file")
        return [(path, False)]
    found: list[tuple[Path, bool]] = []
    for directory in (cwd, *cwd.parents):
        if (directory / "uv.toml").is_file():
            found.append((directory / "uv.toml", False))
            break
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "uv" in _table(_load_toml(pyproject).get("tool")):
            found.append((pyproject, True))
            break
    user = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "uv" / "uv.toml"
    if user.is_file():
        found.append((user, False))
    xdg_dirs = env.get("XDG_CONFIG_DIRS") or str(etc / "xdg")
    system = [Path(d) / "uv" / "uv.toml" for d in xdg_dirs.split(os.pathsep) if d]
    found += [(p, False) for p in [*system, etc / "uv" / "uv.toml"] if p.is_file()][:1]
    return found


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IndexConfigError(path, "index", f"not a readable TOML file: {exc}") from exc
    return data


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def uv_file_index(path: Path, is_pyproject: bool) -> IndexChoice | None:
    """The default index one uv configuration file sets: the ``url`` of an ``[[index]]`` entry
    with ``default = true``, else the (deprecated) ``index-url``
    (https://docs.astral.sh/uv/reference/settings/#index and #index-url); in a
    ``pyproject.toml`` both live under ``[tool.uv]``."""
    data = _load_toml(path)
    prefix = "tool.uv." if is_pyproject else ""
    table = _table(data.get("tool")).get("uv") if is_pyproject else data
    if not isinstance(table, dict):
        raise IndexConfigError(path, prefix.rstrip("."), "is not a table")
    indexes = table.get("index", [])
    if not isinstance(indexes, list) or not all(isinstance(i, dict) for i in indexes):
        raise IndexConfigError(path, f"{prefix}index", "is not an array of tables ([[index]])")
    for position, entry in enumerate(indexes):
        if entry.get("default") is True:
            setting = f"{prefix}index[{position}].url"
            url = entry.get("url")
            if not isinstance(url, str):
                raise IndexConfigError(path, setting, "the default index has no url")
            return IndexChoice(normalize_url(url, path, setting), f"{path} {setting}")
    if "index-url" in table:
        setting = f"{prefix}index-url"
        url = table["index-url"]
        if not isinstance(url, str):
            raise IndexConfigError(path, setting, f"{url!r} is not a string")
        return IndexChoice(normalize_url(url, path, setting), f"{path} {setting}")
    return None


def uv_config_index(env: Mapping[str, str], home: Path, cwd: Path,
                    etc: Path = Path("/etc")) -> IndexChoice | None:
    """The default index from uv's configuration files, the strongest file that sets one."""
    for path, is_pyproject in uv_config_files(env, home, cwd, etc):
        found = uv_file_index(path, is_pyproject)
        if found is not None:
            return found
    return None

