"""Release data from the index the user configured (issue 18): pip's and uv's settings choose
the index, its simple API (PEP 691 JSON, PEP 503 HTML) is read, the cache is kept per index,
and an unreachable index falls back as before.

A local simple-API index is served from ``tests/fixtures/index`` by a small HTTP server on
127.0.0.1 (JSON or HTML by the ``Accept`` header); nothing here reaches the real PyPI.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from packaging.version import Version

from matrix.cli import main
from matrix.model.compilers import DEFAULT_COMPILER
from matrix.model.errors import MatrixError
from matrix.plan.grid import AxesConfig, Selection, plan_grid
from matrix.plan.index import (
    CACHE_TTL_S,
    SNAPSHOT,
    ReleaseIndex,
    cache_path,
    fetch_summary,
    load_index,
    write_snapshot,
)
from matrix.plan.interpreters import Interpreter
from matrix.plan.package_index import (
    DEFAULT_INDEX_URL,
    IndexChoice,
    IndexConfigError,
    configured_index,
)
from matrix.plan.simple_api import JSON_TYPE

from .conftest import FIXTURES

INDEX = FIXTURES / "index" / "simple"
M = "manylinux_2_17_x86_64.manylinux2014_x86_64"
CY_OLD = ">=2.6, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*"
CY_NEW = ">=2.7, !=3.0.*, !=3.1.*, !=3.2.*, !=3.3.*"

pytestmark = pytest.mark.skipif(os.uname().machine != "x86_64",
                                reason="the fixture index lists x86_64 wheels")


def release(version: str, wheels: list[str], requires: str | None, sdist: bool = True,
            yanked: bool = False) -> dict[str, object]:
    return {"version": version, "wheels": wheels, "requires_python": requires, "sdist": sdist,
            "yanked": yanked}


EXPECTED = {
    "cython": [
        release("0.9.8", [], None),  # the .exe is skipped, the sdist keeps the version
        release("0.29.36", [f"Cython-0.29.36-cp311-cp311-{M}.whl",
                            "Cython-0.29.36-py2.py3-none-any.whl"], CY_OLD),
        release("0.29.37", ["Cython-0.29.37-py2.py3-none-any.whl"], CY_OLD),
        release("3.0.10", ["Cython-3.0.10-py2.py3-none-any.whl"], CY_NEW, yanked=True),
        release("3.0.11", [f"Cython-3.0.11-cp311-cp311-{M}.whl",
                           f"Cython-3.0.11-cp312-cp312-{M}.whl",
                           "Cython-3.0.11-py2.py3-none-any.whl"], CY_NEW),
        release("3.1.0b1", ["Cython-3.1.0b1-py3-none-any.whl"], ">=3.8", sdist=False),
    ],
    "numpy": [
        release("1.26.4", [f"numpy-1.26.4-cp311-cp311-{M}.whl",
                           f"numpy-1.26.4-cp312-cp312-{M}.whl"], ">=3.9"),
        release("2.1.2", [f"numpy-2.1.2-cp311-cp311-{M}.whl",
                          f"numpy-2.1.2-cp312-cp312-{M}.whl"], ">=3.10"),  # one file yanked
        release("2.1.3", [f"numpy-2.1.3-cp311-cp311-{M}.whl",
                          f"numpy-2.1.3-cp312-cp312-{M}.whl"], ">=3.10"),
        release("2.2.0", [f"numpy-2.2.0-cp312-cp312-{M}.whl"], ">=3.10"),
        release("2.3.0rc1", [f"numpy-2.3.0rc1-cp312-cp312-{M}.whl"], ">=3.11", sdist=False),
    ],
}


class IndexServer:
    """A simple-API index on 127.0.0.1 serving ``root/<project>/index.{json,html}``."""

    def __init__(self, root: Path, *, html_only: bool = False) -> None:
        self.root = root
        self.html_only = html_only
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                accept = self.headers.get("Accept", "")
                server.requests.append({"path": self.path, "accept": accept,
                                        "auth": self.headers.get("Authorization", "")})
                parts = [p for p in self.path.split("/") if p]
                folder = server.root / parts[-1] if len(parts) == 2 else None
                if parts[:1] != ["simple"] or folder is None or not folder.is_dir():
                    self.send_error(404)
                    return
                if JSON_TYPE in accept and not server.html_only:
                    body, kind = (folder / "index.json").read_bytes(), JSON_TYPE
                else:
                    body, kind = (folder / "index.html").read_bytes(), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/simple/"
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> IndexServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.httpd.shutdown()
        self.httpd.server_close()

    def project_requests(self) -> list[str]:
        return [r["path"] for r in self.requests]


@contextmanager
def serve(root: Path = INDEX, *, html_only: bool = False) -> Iterator[IndexServer]:
    with IndexServer(root, html_only=html_only) as server:
        yield server


def dead_url() -> str:
    """An index URL on 127.0.0.1 where nothing listens (connection refused)."""
    server = IndexServer(INDEX)
    server.stop()
    return server.url


def lagging_copy(tmp_path: Path) -> Path:
    """A second index that lags behind: no Cython 3.0.11 and no numpy 2.2.0."""
    root = tmp_path / "lagging"
    shutil.copytree(INDEX, root)
    for project, gone in (("cython", "3.0.11"), ("numpy", "2.2.0")):
        page = root / project / "index.json"
        data = json.loads(page.read_text())
        data["files"] = [f for f in data["files"] if f"-{gone}" not in f["filename"]]
        page.write_text(json.dumps(data))
    return root


@pytest.fixture(autouse=True)
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No index settings from this machine: a fresh HOME, working folder and XDG dirs; no
    proxy for 127.0.0.1.  Returns the fake home."""
    for name in ("MATRIX_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL",
                 "PIP_CONFIG_FILE", "UV_CONFIG_FILE", "UV_NO_CONFIG", "XDG_CONFIG_HOME",
                 "VIRTUAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    work = tmp_path / "work"
    for folder in (home, work, tmp_path / "xdg"):
        folder.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "xdg"))
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.chdir(work)
    return home


# -- reading the simple API ------------------------------------------------------------------


@pytest.mark.parametrize("html_only", [False, True], ids=["pep691-json", "pep503-html"])
def test_the_simple_api_gives_versions_wheels_bounds_and_yanked(html_only: bool) -> None:
    with serve(html_only=html_only) as server:
        found = {project: fetch_summary(project, server.url) for project in EXPECTED}
    assert found == EXPECTED
    assert server.project_requests() == ["/simple/cython/", "/simple/numpy/"]
    assert all(r["accept"].startswith(JSON_TYPE) for r in server.requests), \
        "JSON is asked for first; HTML is what a PEP 503-only server answers instead"


def test_a_local_directory_index_is_read_like_pip_reads_one() -> None:
    url = INDEX.resolve().as_uri()
    assert {project: fetch_summary(project, url) for project in EXPECTED} == EXPECTED


def test_credentials_in_the_index_url_are_sent_and_never_shown(tmp_path: Path) -> None:
    with serve() as server:
        url = server.url.replace("http://", "http://mirror-user:s3cret@")
        index = load_index(tmp_path / "cache", index=IndexChoice(url, "PIP_INDEX_URL"))
    expected = "Basic " + base64.b64encode(b"mirror-user:s3cret").decode()
    assert {r["auth"] for r in server.requests} == {expected}
    assert index.versions("cython")[-1] == Version("3.1.0b1")
    shown = " ".join([index.source, *index.notes,
                      *(str(p) for p in (tmp_path / "cache").rglob("*")),
                      *(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))])
    assert "mirror-user:***@127.0.0.1" in index.source
    assert "s3cret" not in shown


# -- load_index against a configured index ---------------------------------------------------


def check_fixture_releases(index: ReleaseIndex) -> None:
    assert [str(v) for v in index.versions("cython")] == [
        "0.9.8", "0.29.36", "0.29.37", "3.0.10", "3.0.11", "3.1.0b1"]
    assert [str(v) for v in index.versions("numpy")] == [
        "1.26.4", "2.1.2", "2.1.3", "2.2.0", "2.3.0rc1"]
    cython = index.get("cython", "3.0.11")
    assert cython is not None and cython.requires_python == CY_NEW
    assert cython.wheels == (f"Cython-3.0.11-cp311-cp311-{M}.whl",
                             f"Cython-3.0.11-cp312-cp312-{M}.whl",
                             "Cython-3.0.11-py2.py3-none-any.whl")
    yanked = index.get("cython", "3.0.10")
    assert yanked is not None and yanked.yanked, "a yanked release is kept and marked"
    partly = index.get("numpy", "2.1.2")
    assert partly is not None and not partly.yanked, "one yanked file does not yank a release"
    numpy = index.get("numpy", "2.2.0")
    assert numpy is not None and numpy.requires_python == ">=3.10"


def test_pip_index_url_points_the_harness_at_the_local_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve() as server:
        monkeypatch.setenv("PIP_INDEX_URL", server.url)
        index = load_index(tmp_path / "cache")
    check_fixture_releases(index)
    assert server.project_requests() == ["/simple/cython/", "/simple/numpy/"]
    assert index.source == f"index; index {server.url} (from PIP_INDEX_URL)"
    assert index.notes == (f"package index: {server.url} (from PIP_INDEX_URL)",)


def test_uv_default_index_points_the_harness_at_an_html_only_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(html_only=True) as server:
        monkeypatch.setenv("UV_DEFAULT_INDEX", f"mirror={server.url}")
        index = load_index(tmp_path / "cache")
    check_fixture_releases(index)
    assert index.source == f"index; index {server.url} (from UV_DEFAULT_INDEX)"


def test_a_pip_conf_points_the_harness_at_the_local_index(
        tmp_path: Path, clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_conf = clean_environment / ".config" / "pip" / "pip.conf"
    user_conf.parent.mkdir(parents=True)
    with serve() as server, serve(lagging_copy(tmp_path)) as other:
        user_conf.write_text(f"[global]\ntimeout = 60\nindex-url = {server.url}\n")
        index = load_index(tmp_path / "cache-1")
        check_fixture_releases(index)
        assert index.source == f"index; index {server.url} (from {user_conf} global.index-url)"
        # PIP_CONFIG_FILE is loaded last: its [install] section wins
        extra = tmp_path / "extra.conf"
        extra.write_text(f"[install]\nindex_url = {other.url}\n")
        monkeypatch.setenv("PIP_CONFIG_FILE", str(extra))
        index = load_index(tmp_path / "cache-2")
    assert Version("3.0.11") not in index.versions("cython")
    assert index.source == f"index; index {other.url} (from {extra} install.index-url)"
    assert other.project_requests() == ["/simple/cython/", "/simple/numpy/"]


# -- which index: precedence -----------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_precedence_environment_then_pip_files_then_uv_files_then_pypi(tmp_path: Path) -> None:
    home, cwd, etc = tmp_path / "h", tmp_path / "h" / "project", tmp_path / "etc"
    cwd.mkdir(parents=True)
    environ = {
        "MATRIX_INDEX_URL": "https://matrix.example/simple",
        "UV_DEFAULT_INDEX": "https://uv-default.example/simple/",
        "UV_INDEX_URL": "https://uv-index-url.example/simple/",
        "PIP_INDEX_URL": "https://pip-env.example/simple/",
        "XDG_CONFIG_DIRS": str(etc / "xdg"),
    }
    pip_conf = write(home / ".config" / "pip" / "pip.conf",
                     "[global]\nindex-url = https://pip-conf.example/simple/\n")
    uv_toml = write(home / ".config" / "uv" / "uv.toml",
                    'index-url = "https://uv-toml.example/simple/"\n')
    order = [
        ("MATRIX_INDEX_URL", "https://matrix.example/simple/", "MATRIX_INDEX_URL"),
        ("UV_DEFAULT_INDEX", "https://uv-default.example/simple/", "UV_DEFAULT_INDEX"),
        ("UV_INDEX_URL", "https://uv-index-url.example/simple/", "UV_INDEX_URL"),
        ("PIP_INDEX_URL", "https://pip-env.example/simple/", "PIP_INDEX_URL"),
        ("pip.conf", "https://pip-conf.example/simple/", f"{pip_conf} global.index-url"),
        ("uv.toml", "https://uv-toml.example/simple/", f"{uv_toml} index-url"),
        (None, DEFAULT_INDEX_URL, "default"),
    ]
    for remove, url, setting in order:
        chosen = configured_index(environ, home=home, cwd=cwd, etc=etc)
        assert (chosen.url, chosen.setting) == (url, setting), f"before removing {remove}"
        if remove == "pip.conf":
            pip_conf.unlink()
        elif remove == "uv.toml":
            uv_toml.unlink()
        elif remove is not None:
            del environ[remove]
    assert chosen.is_default and chosen.describe() == "https://pypi.org/simple/ (default)"


def test_pip_configuration_files_merge_like_pip_config(tmp_path: Path) -> None:
    home, etc = tmp_path / "h", tmp_path / "etc"
    env = {"XDG_CONFIG_DIRS": str(etc / "xdg")}

    def chosen(environ: dict[str, str] = env) -> tuple[str, str]:
        found = configured_index(environ, home=home, cwd=tmp_path, etc=etc)
        return found.url, found.setting

    site = write(etc / "pip.conf", "[global]\nindex-url = https://etc.example/simple/\n")
    assert chosen() == ("https://etc.example/simple/", f"{site} global.index-url")
    xdg = write(etc / "xdg" / "pip" / "pip.conf",
                "[install]\nindex-url = https://xdg.example/simple/\n")
    assert chosen()[0] == "https://xdg.example/simple/", "[install] beats [global] anywhere"
    xdg.unlink()
    legacy = write(home / ".pip" / "pip.conf", "[global]\nINDEX_URL = https://legacy.example/\n")
    assert chosen() == ("https://legacy.example/", f"{legacy} global.index-url")
    write(home / ".config" / "pip" / "pip.conf", "[global]\nindex-url = https://user.example/\n")
    assert chosen()[0] == "https://user.example/", "the XDG user file overrides the legacy one"
    venv = write(tmp_path / "venv" / "pip.conf", "[global]\nindex-url = https://venv.example/\n")
    assert chosen({**env, "VIRTUAL_ENV": str(venv.parent)})[0] == "https://venv.example/"
    config_file = write(tmp_path / "only.conf", "[global]\ntimeout = 1\n")
    assert chosen({**env, "PIP_CONFIG_FILE": str(config_file)}) == (
        "https://etc.example/simple/", f"{site} global.index-url"), \
        "an existing PIP_CONFIG_FILE keeps the user files from loading"
    assert chosen({**env, "PIP_CONFIG_FILE": os.devnull})[0] == DEFAULT_INDEX_URL, \
        "PIP_CONFIG_FILE=os.devnull disables every file"


def test_uv_configuration_files_follow_uv_discovery(tmp_path: Path) -> None:
    home, etc = tmp_path / "h", tmp_path / "etc"
    project = tmp_path / "repo"
    cwd = project / "src" / "pkg"
    cwd.mkdir(parents=True)
    env: dict[str, str] = {"XDG_CONFIG_DIRS": str(etc / "xdg")}

    def chosen(environ: dict[str, str] = env) -> tuple[str, str]:
        found = configured_index(environ, home=home, cwd=cwd, etc=etc)
        return found.url, found.setting

    system = write(etc / "uv" / "uv.toml", 'index-url = "https://etc-uv.example/simple"\n')
    assert chosen() == ("https://etc-uv.example/simple/", f"{system} index-url")
    xdg = write(etc / "xdg" / "uv" / "uv.toml", 'index-url = "https://xdg-uv.example/"\n')
    assert chosen() == ("https://xdg-uv.example/", f"{xdg} index-url"), "XDG comes first"
    user = write(home / ".config" / "uv" / "uv.toml",
                 'index-url = "https://deprecated.example/"\n'
                 '[[index]]\nname = "extra"\nurl = "https://extra.example/"\n'
                 '[[index]]\nname = "mirror"\nurl = "https://user-uv.example/"\ndefault = true\n')
    assert chosen() == ("https://user-uv.example/", f"{user} index[1].url")
    write(project / "pyproject.toml", '[project]\nname = "x"\n')  # no [tool.uv]: skipped
    pyproject = write(cwd / "pyproject.toml",
                      '[tool.uv]\nindex-url = "https://project-uv.example/"\n')
    assert chosen() == ("https://project-uv.example/", f"{pyproject} tool.uv.index-url")
    pyproject.write_text('[project]\nname = "pkg"\n')
    project_toml = write(project / "uv.toml",
                         '[[index]]\nurl = "https://repo-uv.example/"\ndefault = true\n')
    assert chosen() == ("https://repo-uv.example/", f"{project_toml} index[0].url"), \
        "the nearest parent with a uv.toml"
    assert chosen({**env, "UV_NO_CONFIG": "1"})[0] == DEFAULT_INDEX_URL
    given = write(tmp_path / "given.toml", 'index-url = "https://given.example/"\n')
    assert chosen({**env, "UV_CONFIG_FILE": str(given)})[0] == "https://given.example/"


def test_uv_default_index_may_carry_a_name() -> None:
    def url(value: str) -> str:
        return configured_index({"UV_DEFAULT_INDEX": value}, home=Path("/nonexistent")).url

    assert url("mirror=https://m.example/simple") == "https://m.example/simple/"
    assert url("https://m.example/simple?token=a=b") == "https://m.example/simple/?token=a=b"
    assert url("https://m.example/a=b/") == "https://m.example/a=b/"


# -- malformed settings are errors naming the file and the setting ----------------------------


@pytest.mark.parametrize(("name", "text", "setting"), [
    ("pip.conf", "[global\nindex-url = https://x.example/\n", "index-url"),
    ("pip.conf", "[global]\nindex-url = not a url\n", "global.index-url"),
    ("pip.conf", "[install]\nindex-url =\n", "install.index-url"),
    ("uv.toml", 'index-url = "https://x.example/\n', "index"),
    ("uv.toml", "index-url = 3\n", "index-url"),
    ("uv.toml", "[[index]]\nname = 'm'\ndefault = true\n", "index[0].url"),
    ("uv.toml", "index = 'https://x.example/'\n", "index"),
])
def test_a_malformed_configuration_file_is_an_error_naming_file_and_setting(
        tmp_path: Path, name: str, text: str, setting: str) -> None:
    home = tmp_path / "h"
    folder = "pip" if name == "pip.conf" else "uv"
    path = write(home / ".config" / folder / name, text)
    with pytest.raises(IndexConfigError) as caught:
        configured_index({"XDG_CONFIG_DIRS": str(tmp_path / "x")}, home=home, cwd=tmp_path,
                         etc=tmp_path / "etc")
    assert str(caught.value).startswith(f"{path}: setting '{setting}': ")


def test_a_malformed_setting_stops_the_command_line_with_its_name(
        monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "mirror.example/simple")
    assert main(["list", "--offline"]) == 2
    assert ("error: environment: setting 'PIP_INDEX_URL': 'mirror.example/simple' is not an"
            " http(s) or file URL of a package index") in capfd.readouterr().err


# -- caching and falling back ----------------------------------------------------------------


def test_the_cache_is_kept_per_index_url(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve() as first, serve(lagging_copy(tmp_path)) as second:
        a, b = IndexChoice(first.url, "PIP_INDEX_URL"), IndexChoice(second.url, "PIP_INDEX_URL")
        assert Version("3.0.11") in load_index(cache, index=a).versions("cython")
        from_second = load_index(cache, index=b)
        assert Version("3.0.11") not in from_second.versions("cython"), \
            "the second index is asked, not the first one's fresh cache"
        assert len(second.requests) == 2
        again = load_index(cache, index=a)
        assert again.source.startswith("cache; ") and len(first.requests) == 2, \
            "the first index's fresh cache is used again"
        assert Version("3.0.11") in again.versions("cython")
    entries = sorted(p.parent.name for p in cache.rglob("cython.json"))
    assert len(entries) == 2 and entries[0] != entries[1]
    assert json.loads(cache_path(cache, b, "cython").read_text())["index"] == second.url


def test_an_unreachable_index_falls_back_and_names_its_url(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    down = IndexChoice(dead_url(), "UV_DEFAULT_INDEX")
    with serve() as other:
        load_index(cache, index=IndexChoice(other.url, "PIP_INDEX_URL"))  # another index's cache
    index = load_index(cache, index=down)
    snapshot = json.loads(SNAPSHOT.read_text())
    assert index.source == (f"snapshot {snapshot['taken']}; index {down.url}"
                            " (from UV_DEFAULT_INDEX)"), "never another index's cached data"
    assert len(index.versions("cython")) == len(snapshot["releases"]["cython"])
    unreachable = [n for n in index.notes if "unreachable" in n]
    assert [n.split(":")[0] for n in unreachable] == ["cython", "numpy"]
    assert all(f"package index {down.url} unreachable (" in n for n in unreachable)


def test_a_stale_cache_of_the_same_index_is_used_when_it_is_down(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with serve() as server:
        choice = IndexChoice(server.url, "PIP_INDEX_URL")
        load_index(cache, index=choice)
    for project in ("cython", "numpy"):
        path = cache_path(cache, choice, project)
        data = json.loads(path.read_text())
        data["fetched_at"] -= CACHE_TTL_S + 1
        path.write_text(json.dumps(data))
    index = load_index(cache, index=choice)  # the server is gone now
    assert index.source == f"stale cache; index {server.url} (from PIP_INDEX_URL)"
    check_fixture_releases(index)
    assert any(f"package index {server.url} unreachable" in n for n in index.notes)


def test_an_unreadable_cache_entry_is_fetched_again(tmp_path: Path) -> None:
    with serve() as server:
        choice = IndexChoice(server.url, "PIP_INDEX_URL")
        write(cache_path(tmp_path / "cache", choice, "cython"), '{"fetched_at": "now"')
        index = load_index(tmp_path / "cache", index=choice)
    assert server.project_requests() == ["/simple/cython/", "/simple/numpy/"]
    check_fixture_releases(index)


def test_the_snapshot_is_written_from_the_configured_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve() as server:
        monkeypatch.setenv("MATRIX_INDEX_URL", server.url)
        write_snapshot(tmp_path / "snapshot.json")
    data = json.loads((tmp_path / "snapshot.json").read_text())
    assert data["index"] == server.url and data["releases"] == EXPECTED
    down = dead_url()
    with pytest.raises(MatrixError, match=f"package index {down} .*: cannot read cython"):
        write_snapshot(tmp_path / "never.json", IndexChoice(down, "PIP_INDEX_URL"))
    assert not (tmp_path / "never.json").exists()


def test_offline_never_asks_the_index(tmp_path: Path) -> None:
    with serve() as server:
        index = load_index(tmp_path / "cache", offline=True,
                           index=IndexChoice(server.url, "PIP_INDEX_URL"))
    assert server.requests == []
    assert index.source.startswith("snapshot ")


def test_a_project_missing_from_the_index_falls_back(tmp_path: Path) -> None:
    root = tmp_path / "only-cython"
    shutil.copytree(INDEX / "cython", root / "cython")
    with serve(root) as server:
        index = load_index(tmp_path / "cache", index=IndexChoice(server.url, "PIP_INDEX_URL"))
    assert index.versions("cython")[-1] == Version("3.1.0b1")
    assert len(index.versions("numpy")) > 100, "numpy from the committed snapshot"
    assert any(n.startswith(f"numpy: package index {server.url} unreachable (HTTP Error 404")
               for n in index.notes)


# -- the harness plans against the local index ------------------------------------------------


def test_the_grid_is_planned_from_the_local_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with serve() as server:
        monkeypatch.setenv("UV_INDEX_URL", server.url)
        index = load_index(tmp_path / "cache")
    interpreters = {minor: Interpreter(Version(full), Path(f"/fake/{full}/bin/python"))
                    for minor, full in (("3.11", "3.11.7"), ("3.12", "3.12.1"))}
    config = AxesConfig(cython_floor=Version("0.29"), numpy_floor=Version("1.26"))
    plan = plan_grid(interpreters, index, Selection(compilers=(DEFAULT_COMPILER,)), config)
    cells = [(p.cell.python, p.cell.cython, p.cell.numpy_build, p.cell.numpy_run)
             for p in plan.cells]
    core = [(cy, None, None) for cy in ("0.29.37", "3.0.11")]

    def numpy_cells(*numpys: str) -> list[tuple[str, str | None, str | None]]:
        return [(cy, np, np) for cy in ("0.29.37", "3.0.11") for np in numpys]

    def abi(*builds: str) -> list[tuple[str, str | None, str | None]]:
        return [("3.0.11", b, r) for b in builds for r in builds if b != r]

    expected = {
        "3.11": core + numpy_cells("1.26.4", "2.1.3") + abi("1.26.4", "2.1.3"),
        "3.12": core + numpy_cells("1.26.4", "2.1.3", "2.2.0")
        + abi("1.26.4", "2.1.3", "2.2.0"),
    }
    assert sorted(cells, key=str) == sorted(
        ((py, *rest) for py, rows in expected.items() for rest in rows), key=str)
    assert all(p.not_possible is None and p.shipped_c is None for p in plan.cells)
