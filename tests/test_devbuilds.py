"""Development builds resolved into wheels (:mod:`matrix.plan.devbuilds`): a real Cython wheel
from PyPI as a local file and on a local simple index (PEP 503, served over HTTP on
localhost), its version, provenance and key material; the index planning its cells."""

from __future__ import annotations

import functools
import hashlib
import http.server
import platform
import shutil
import subprocess
import sys
import threading
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from matrix.build.envs import EnvSpec, cython_material, with_builds
from matrix.model.buildsource import BuildSource, BuildSourceError, key_material
from matrix.model.cells import Cell
from matrix.model.interpreters import InterpreterId
from matrix.model.measurement import Measurement
from matrix.model.records import content_key
from matrix.plan.devbuilds import indexed, provenance_of, resolve, uses, wheel_for
from matrix.plan.index import Release, ReleaseIndex
from matrix.plan.interpreters import Interpreter
from matrix.plan.simple_api import fetch_files
from matrix.store.paths import PROJECT_ROOT

from .conftest import missing_prerequisite

WHEELS = PROJECT_ROOT / ".cache" / "test-wheels"
"""Wheels downloaded from PyPI for the tests, kept between runs."""
PURE = "cython-3.2.4-py3-none-any.whl"
"""Cython's pure-Python wheel: small, and it installs on every Python 3."""


@functools.cache
def pypi_wheel(filename: str) -> Path:
    """The real wheel ``filename`` of Cython from PyPI (checked against PyPI's sha256),
    downloaded once into :data:`WHEELS`; no network: skipped here, failed under CI."""
    target = WHEELS / filename
    if target.is_file():
        return target
    try:
        listed = {f.filename: f for f in fetch_files("https://pypi.org/simple/", "cython")}
    except OSError as exc:
        missing_prerequisite(f"PyPI unreachable ({exc})")
    found = listed[filename]
    assert found.url and found.sha256
    WHEELS.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(filename + ".part")
    with urllib.request.urlopen(found.url, timeout=120) as response, open(partial, "wb") as out:
        shutil.copyfileobj(response, out)
    assert hashlib.sha256(partial.read_bytes()).hexdigest() == found.sha256
    partial.replace(target)
    return target


def interpreter(version: str) -> Interpreter:
    return Interpreter(Version(version), Path(f"/nowhere/python{version}"))


PY311 = interpreter("3.11.9")


@pytest.fixture()
def wheel(tmp_path: Path) -> Path:
    """The real pure-Python Cython 3.2.4 wheel, copied into a temporary folder."""
    copy = tmp_path / "wheels" / PURE
    copy.parent.mkdir()
    shutil.copyfile(pypi_wheel(PURE), copy)
    return copy


def test_a_local_wheel_is_its_version_with_its_sha256_in_provenance_and_key(
        wheel: Path, tmp_path: Path) -> None:
    source = BuildSource.parse("cython", str(wheel))
    assert source.kind == "wheel"
    build = resolve(source, [PY311], tmp_path / "cache")
    sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    assert build.version == "3.2.4" and build.requires_python == ">=3.8"
    cell = Cell("3.11", build.version)
    used = uses([build], cell, PY311.id)
    assert provenance_of(used) == [{"project": "cython", "version": "3.2.4", "source": "wheel",
                                    "wheel": PURE, "sha256": sha}]
    material = key_material(provenance_of(used))
    assert material == (f"cython==3.2.4 sha256:{sha}",)
    # The key: the release's key for a cell without builds, another one with this wheel.
    common = dict(python_key="3.11.9", runner_hash="r", machine="m", cc="gcc 12",
                  cflags=("-O0",), procedure="p", run_timeout_s=60.0)
    released = Measurement(cell, (), **common)  # type: ignore[arg-type]
    built = Measurement(cell, (), **common, builds=material)  # type: ignore[arg-type]
    assert released.key_for("h") == content_key(
        case_hash="h", runner_hash="r", python_version="3.11.9", cython="3.2.4",
        numpy_build=None, numpy_run=None, cc="gcc 12", cflags=("-O0",), machine="m",
        procedure="p", engine_version=released.engine_version, run_timeout_s=60.0)
    assert built.key_for("h") != released.key_for("h")
    # The environment installs the file, in an environment of its own.
    spec = with_builds(EnvSpec(PY311, "3.2.4", None), [build])
    assert spec.requirements() == [str(wheel.resolve())]
    assert spec.name == f"py3.11.9-cy3.2.4-w{sha[:12]}"
    assert with_builds(EnvSpec(PY311, "3.2.3", None), [build]).requirements() == [
        "cython==3.2.3"]


def rebuilt(wheel: Path, folder: Path) -> Path:
    """The same wheel with one more file: a nightly rebuilt under the same version."""
    folder.mkdir(parents=True)
    copy = folder / wheel.name
    shutil.copyfile(wheel, copy)
    with zipfile.ZipFile(copy, "a") as archive:
        archive.writestr("Cython/rebuilt.txt", "again\n")
    return copy


def test_a_rebuild_under_the_same_version_is_another_measurement(
        wheel: Path, tmp_path: Path) -> None:
    first = resolve(BuildSource.parse("cython", str(wheel)), [PY311], tmp_path)
    again = resolve(BuildSource.parse("cython", str(rebuilt(wheel, tmp_path / "again"))),
                    [PY311], tmp_path)
    assert first.version == again.version
    cell = Cell("3.11", first.version)
    materials = [key_material(provenance_of(uses([b], cell, PY311.id))) for b in (first, again)]
    assert materials[0] != materials[1]
    specs = [with_builds(EnvSpec(PY311, "3.2.4", None), [b]) for b in (first, again)]
    assert specs[0].name != specs[1].name
    # Nor is its C the cached C of the other: the build caches key the wheel too.
    built = [cython_material(spec, "3.2.4") for spec in specs]
    assert built[0] != built[1] and built[0].startswith("3.2.4 sha256:")
    assert cython_material(EnvSpec(PY311, "3.2.4", None), "3.2.4") == "3.2.4"


def test_a_record_states_what_its_key_was_made_of(wheel: Path, tmp_path: Path) -> None:
    """``Measurement.of_record`` rebuilds a build's key from the record's provenance alone
    (what ``migrate`` and the store rely on), and its identity tells two builds apart."""
    from matrix.model.measurement import Identity, procedure_of
    from matrix.model.outcomes import Outcome
    from matrix.model.records import Behaviour, Record

    build = resolve(BuildSource.parse("cython", str(wheel)), [PY311], tmp_path)
    cell = Cell("3.11", build.version)
    entries = provenance_of(uses([build], cell, PY311.id))
    measurement = Measurement(cell, (), "3.11.9", "r", "Linux-x86_64", "gcc 12", ("-O0",),
                              procedure_of(cell), 60.0, builds=key_material(entries))
    provenance = {"runner_hash": "r", "machine": "Linux-x86_64", "cc": "gcc 12",
                  "cflags": ["-O0"], "engine_version": measurement.engine_version,
                  "run_timeout_s": 60.0, "python_version": "3.11.9", "builds": entries}
    record = Record(measurement.key_for("h"), "case", "h", cell.id, cell.kind, "3.11",
                    cell.cython, None, None, Outcome.OK, None, Behaviour(), provenance, None,
                    0.0, "2026-12-05T00:00:00Z")
    again = Measurement.of_record(record, "3.11.9")
    assert again.key_for("h") == record.key
    assert Identity.stored("case", cell.id, "h", provenance).builds == key_material(entries)
    assert Identity.stored("case", cell.id, "h", {**provenance, "builds": []}).builds == ()


def test_bad_sources_are_errors_naming_the_flag_and_value(wheel: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nothing-1.0-py3-none-any.whl"
    with pytest.raises(BuildSourceError, match=rf"^--cython-from {missing}: no such file$"):
        resolve(BuildSource.parse("cython", str(missing)), [PY311], tmp_path)
    with pytest.raises(BuildSourceError, match="^--cython-from notes.txt: not a wheel file"):
        BuildSource.parse("cython", "notes.txt")
    with pytest.raises(BuildSourceError, match=rf"^--numpy-from {wheel}: {PURE} is a wheel of"
                       " cython, not of numpy$"):
        resolve(BuildSource.parse("numpy", str(wheel)), [PY311], tmp_path)
    broken = tmp_path / "cython-3.3.0.dev0-py3-none-any.whl"
    broken.write_text("not a zip")
    with pytest.raises(BuildSourceError, match=r"^--cython-from .*: cython-3.3.0.dev0-py3-none-"
                       "any.whl is not a wheel"):
        resolve(BuildSource.parse("cython", str(broken)), [PY311], tmp_path)


def test_sources_are_told_apart_by_their_spelling(tmp_path: Path) -> None:
    parse = functools.partial(BuildSource.parse, "cython")
    assert parse("git+https://github.com/cython/cython@master") == BuildSource(
        "cython", "git", "https://github.com/cython/cython",
        "git+https://github.com/cython/cython@master", "master")
    assert parse("git+https://github.com/cython/cython").ref is None
    assert parse("https://example.org/x/cython-3.3.0-py3-none-any.whl").kind == "url"
    assert parse("file:///tmp/cython-3.3.0-py3-none-any.whl") == BuildSource(
        "cython", "wheel", "/tmp/cython-3.3.0-py3-none-any.whl",
        "file:///tmp/cython-3.3.0-py3-none-any.whl")
    index = "https://pypi.anaconda.org/scientific-python-nightly-wheels/simple"
    assert parse(index).kind == "index"
    assert parse(str(tmp_path)) == BuildSource("cython", "index", tmp_path.as_uri(),
                                               str(tmp_path))


@pytest.fixture()
def simple_index(tmp_path: Path, wheel: Path) -> Iterator[Callable[[str], str]]:
    """A PEP 503 index served on localhost: ``cython`` holds the real 3.2.4 wheel, a
    development build (the same wheel as 3.3.0.dev0, newer) and an older release only for
    Python 2; the hrefs are relative with sha256 fragments, as PyPI's are.  ``numpy`` holds a
    wheel for no Python here."""
    root = tmp_path / "index"
    files = root / "files"
    files.mkdir(parents=True)
    dev = files / "cython-3.3.0.dev0-py3-none-any.whl"
    shutil.copyfile(wheel, dev)
    shutil.copyfile(wheel, files / PURE)
    (files / "cython-3.2.3-py2-none-any.whl").write_bytes(wheel.read_bytes())
    links = "".join(
        f'<a href="../../files/{p.name}#sha256={hashlib.sha256(p.read_bytes()).hexdigest()}"'
        f">{p.name}</a>\n" for p in sorted(files.iterdir()))
    (root / "simple" / "cython").mkdir(parents=True)
    (root / "simple" / "cython" / "index.html").write_text(f"<html><body>\n{links}</body>")
    (root / "simple" / "numpy").mkdir()  # a wheel for no Python here (never downloaded)
    (root / "simple" / "numpy" / "index.html").write_text(
        '<a href="numpy-2.5.0.dev0-cp399-cp399-linux_x86_64.whl">numpy</a>')
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield lambda path: f"http://127.0.0.1:{port}/{path}"
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_a_simple_index_gives_its_newest_version_with_a_wheel_here(
        simple_index: Callable[[str], str], tmp_path: Path) -> None:
    url = simple_index("simple")
    source = BuildSource.parse("cython", url)
    assert source.kind == "index"
    build = resolve(source, [PY311], tmp_path / "cache")
    assert build.version == "3.3.0.dev0"
    assert Cell("3.11", build.version).is_canary
    (wheel,) = build.wheels
    assert wheel.url == simple_index("files/cython-3.3.0.dev0-py3-none-any.whl")
    assert wheel.path.is_relative_to(tmp_path / "cache" / "builds" / "downloads")
    assert build.provenance(wheel) == {
        "project": "cython", "version": "3.3.0.dev0", "source": "index", "index": url,
        "url": wheel.url, "wheel": wheel.filename, "sha256": wheel.sha256}
    # Once downloaded (the index states the sha256), it is not downloaded again.
    stamp = wheel.path.stat().st_mtime_ns
    assert resolve(source, [PY311], tmp_path / "cache").wheels[0].path.stat().st_mtime_ns == stamp


def test_an_index_without_the_project_or_a_wheel_here_is_an_error(
        simple_index: Callable[[str], str], tmp_path: Path) -> None:
    nothing = simple_index("nothing")
    with pytest.raises(BuildSourceError, match=rf"^--cython-from {nothing}: the index has no"
                       " cython project$"):
        resolve(BuildSource.parse("cython", nothing), [PY311], tmp_path)
    url = simple_index("simple")
    with pytest.raises(BuildSourceError, match=rf"^--numpy-from {url}: no numpy wheel there"
                       r" for CPython 3.11 on this platform \(newest there: 2.5.0.dev0\)$"):
        resolve(BuildSource.parse("numpy", url), [PY311], tmp_path)
    # Newest *for the Python asked*: on 2.7, the release with a wheel for it.
    python2 = interpreter("2.7.18")
    assert resolve(BuildSource.parse("cython", url), [python2], tmp_path).version == "3.2.3"


def test_a_folder_laid_out_as_an_index_is_read_from_file_urls(
        simple_index: Callable[[str], str], tmp_path: Path) -> None:
    folder = tmp_path / "index" / "simple"
    build = resolve(BuildSource.parse("cython", str(folder)), [PY311], tmp_path / "cache")
    assert build.version == "3.3.0.dev0"
    assert build.wheels[0].url == (tmp_path / "index" / "files" / build.wheels[0].filename
                                   ).as_uri()


def test_the_grid_plans_a_build_as_a_release_of_its_own(wheel: Path, tmp_path: Path) -> None:
    """In the index, a build replaces an index release of the same version (its wheel decides
    where it installs); planning a cell then finds it as any release."""
    from matrix.plan.grid import plan_cell

    build = resolve(BuildSource.parse("cython", str(wheel)), [PY311], tmp_path)
    cp311_only = Release(Version("3.2.4"), None, ("cython-3.2.4-cp311-cp311-linux_x86_64.whl",))
    index = indexed(ReleaseIndex({"cython": (cp311_only,), "numpy": ()}), [build])
    assert index.get("cython", "3.2.4") == Release(Version("3.2.4"), ">=3.8", (PURE,))
    assert index.installable("cython", "3.2.4", InterpreterId.from_label("3.12")) is None
    planned = plan_cell(Cell("3.11", "3.2.4"), PY311, index, [PY311])
    assert planned.not_possible is None and planned.shipped_c is None
    assert wheel_for(build, PY311.id) == build.wheels[0]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


def test_a_git_ref_is_built_once_per_commit(tmp_path: Path) -> None:
    """A small project named cython in a local repository (uv's own build backend), as a
    branch of Cython would be: built into a wheel of the commit's version, named by
    repository, ref and commit; a new commit is another build."""
    if shutil.which("git") is None or shutil.which("uv") is None:
        missing_prerequisite("git and uv are needed to build a git ref")
    repo = tmp_path / "repo"
    (repo / "src" / "cython").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "cython"\nversion = "3.3.0a0.dev0"\nrequires-python = ">=3.8"\n'
        '[build-system]\nrequires = ["uv_build>=0.8,<0.14"]\nbuild-backend = "uv_build"\n')
    (repo / "src" / "cython" / "__init__.py").write_text("")
    git(tmp_path, "init", "--quiet", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "one")
    git(repo, "tag", "nightly")
    python = Interpreter(Version(platform.python_version()), Path(sys.executable))
    source = BuildSource.parse("cython", f"git+{repo}@nightly")
    assert (source.kind, source.location, source.ref) == ("git", str(repo), "nightly")
    build = resolve(source, [python], tmp_path / "cache")
    commit = git(repo, "rev-parse", "HEAD")
    (wheel,) = build.wheels
    assert build.version == "3.3.0a0.dev0" and build.commit == commit
    assert wheel.path.parent == tmp_path / "cache" / "builds" / "git" / commit
    assert build.provenance(wheel) == {
        "project": "cython", "version": "3.3.0a0.dev0", "source": "git",
        "wheel": "cython-3.3.0a0.dev0-py3-none-any.whl", "sha256": wheel.sha256,
        "repository": str(repo), "ref": "nightly", "commit": commit}
    stamp = wheel.path.stat().st_mtime_ns
    assert resolve(source, [python], tmp_path / "cache").wheels[0].path.stat(
        ).st_mtime_ns == stamp  # not built again
    (repo / "src" / "cython" / "__init__.py").write_text("changed = True\n")
    git(repo, "commit", "--quiet", "-am", "two")
    git(repo, "tag", "--force", "nightly")
    again = resolve(source, [python], tmp_path / "cache")
    assert again.commit == git(repo, "rev-parse", "HEAD") != commit
    assert again.wheels[0].sha256 != wheel.sha256
    with pytest.raises(BuildSourceError, match=rf"^--cython-from git\+{repo}@nope: git fetch"
                       " failed: fatal: couldn't find remote ref nope$"):
        resolve(BuildSource.parse("cython", f"git+{repo}@nope"), [python], tmp_path / "cache")
