"""Scan a corpus of real packages' Cython sources (issue 35): what ``cymatrix scan`` finds there,
how much of it the measured cases answer, and how fast it is against Cython's C generation.

The sdists of the packages below (pinned by version and sha256, as PyPI's JSON API gives them)
are downloaded into ``<cache>/corpus`` (:func:`matrix.model.folders.cache_root`), verified and
unpacked.  Every ``.pyx``, ``.pxd`` and ``.pxi`` of each is scanned with
:func:`report.scan.result.scan` (the published data shipped with the tool, any version in
range; a file another includes is scanned as part of the module including it); template
sources (``*.in``, ``*.tp``: Tempita, generated at build time) cannot be read by Cython and are
skipped, and counted as such.  Include folders: each package's import
roots (the folder above its top-level package) and numpy's, as the scanner adds them; the
directive ``language_level=3`` (a file's own header wins), as ``cython -3`` has it.  A file that
needs a generated header or a ``.pxd`` the sdist lacks fails its analysis: it is counted so.

It prints, per package, a markdown table (files, lines, conversions, matched, untyped,
unmeasured, analysis failed, scan seconds; with ``--generate`` also the seconds of Cython
generating C (``cython -3``: its ``compile_multiple``) from the same modules with the same
include folders and directives, in the same process right after the scan, and the ratio),
then the unmeasured conversions ranked by (construct, source, target, call), and writes every
finding as JSON (``--findings``).  ``--sample N --seed S`` prints a seeded random sample of
the findings for a hand check; ``--checked FILE`` reads the verdicts of one
(``benchmarks/scan_corpus_checked.toml``) and prints the precision.

Usage:  python benchmarks/scan_corpus.py [--packages a,b] [--jobs 2] [--generate]
            [--findings FILE] [--sample 50 --seed 35] [--checked FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import hashlib
import json
import multiprocessing
import os
import random
import shutil
import sys
import tarfile
import time
import urllib.request
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matrix.model.folders import cache_root  # noqa: E402

FILES = "https://files.pythonhosted.org/packages/"


@dataclass(frozen=True)
class Package:
    """One sdist of the corpus, pinned."""

    name: str
    version: str
    sdist: str
    sha256: str
    path: str
    """The sdist's path under :data:`FILES` (PyPI's JSON API, ``urls[].url``)."""
    kind: str
    """What its Cython code is heavy on: ``numpy`` (typed memoryviews, numpy arrays),
    ``bytes`` (bytes/bytearray/char* buffers) or ``other``."""
    directives: tuple[tuple[str, object], ...] = ()
    """Directives its build gives every file (its setup.py/meson.build; the scan and the
    generation both get them, as ``-X``)."""
    needs: tuple[str, ...] = ()
    """Corpus packages whose ``.pxd`` its code cimports (build dependencies): their import
    roots are include folders."""

    @property
    def url(self) -> str:
        return FILES + self.path


PACKAGES = (
    # typed memoryviews and numpy
    Package("numcodecs", "0.17.1", "numcodecs-0.17.1.tar.gz",
            "5069dc01b0087c6135cbb3b043707aaf927c992fcd325248d15d907c51dd3747",
            "a6/f7/7fd3a5066fd07a1541b7937f3f9db73552f48b28a819470c5c00a0c3e472/"
            "numcodecs-0.17.1.tar.gz", "numpy"),
    Package("scikit-image", "0.26.0", "scikit_image-0.26.0.tar.gz",
            "f5f970ab04efad85c24714321fcc91613fcb64ef2a892a13167df2f3e59199fa",
            "a1/b4/2528bb43c67d48053a7a649a9666432dc307d66ba02e3a6d5c40f46655df/"
            "scikit_image-0.26.0.tar.gz", "numpy"),
    Package("PyWavelets", "1.10.0", "pywavelets-1.10.0.tar.gz",
            "f3cb8640225a8f3fdcbc3f6f3bd112c78927c9407cbfa65a5ff303990a6a3e32",
            "25/84/a9e80e33eb114e78bd2f1829a90d72d8d4d660109c721a8aa2f0d58d7592/"
            "pywavelets-1.10.0.tar.gz", "numpy"),
    Package("h5py", "3.16.0", "h5py-3.16.0.tar.gz",
            "a0dbaad796840ccaa67a4c144a0d0c8080073c34c76d5a6941d6818678ef2738",
            "db/33/acd0ce6863b6c0d7735007df01815403f5589a21ff8c2e1ee2587a38f548/"
            "h5py-3.16.0.tar.gz", "numpy"),
    Package("hdbscan", "0.8.44", "hdbscan-0.8.44.tar.gz",
            "1ac6196fabdd42072284b60c9be7b9b504b5f4f25cf7a551a8af29a3c7963a4d",
            "b0/51/b476849d27980d1ce5ba0a172891d37441b0112047894350951f6b169266/"
            "hdbscan-0.8.44.tar.gz", "numpy"),
    Package("scikit-learn", "1.9.1", "scikit_learn-1.9.1.tar.gz",
            "629cada3e33e2b9bf376cdc7614a47a4140b8aedc1d836579e359736fbd82977",
            "d2/eb/eaf5e07fcc0da7149b0e084f24e54edd7441b9a89ce7e034032ae97fe3a0/"
            "scikit_learn-1.9.1.tar.gz", "numpy",
            # as measured on 2026-12-05 (docs/measuring.md); its meson.build has cdivision=True
            directives=(("cpow", True),)),
    Package("pandas", "3.1.1", "pandas-3.1.1.tar.gz",
            "05fed3e3b7c99b226f160e29d7d6cb7ef39638c758cbfe42b3f24ba34f04b859",
            "17/ca/24c6bc92aca3d366146358e47f1d374c0e1a50763ef226fc71eff20a63fb/"
            "pandas-3.1.1.tar.gz", "numpy"),
    Package("statsmodels", "0.15.0", "statsmodels-0.15.0.tar.gz",
            "5d257fe58d0772bc46a557880ca78e2a8e07fec7bfd9d11074aef8e33e1aecbc",
            "a8/1f/a3cbf6ed7cf6286afec694bfef561f3e51483197716717fb8476f1f0c50e/"
            "statsmodels-0.15.0.tar.gz", "numpy"),
    Package("fastparquet", "2026.9.0", "fastparquet-2026.9.0.tar.gz",
            "bdf391e7d212707c884ad0ea6047719b7a1b2b4642b8d79d223b4d745f3bd4bb",
            "dd/8a/931300515567b64646c54d3a03484db1c588b14c0f1128c9f60e04b2fb14/"
            "fastparquet-2026.9.0.tar.gz", "numpy"),
    # bytes, bytearray and char* buffers
    Package("msgpack", "1.2.4", "msgpack-1.2.4.tar.gz",
            "475c44e12f2a5de766a8448783f149c9b33f3f49b88953c6cd739a77d93c732c",
            "cc/52/1ec7ead2c7528bf3d1db73e886fa4df10f9e6f0eb7854a448b7090cfcef7/"
            "msgpack-1.2.4.tar.gz", "bytes"),
    Package("asyncpg", "0.32.0", "asyncpg-0.32.0.tar.gz",
            "45e64e56714d888330b884aad1dfb363d0bf43fb343e3d1a8968525f3bade478",
            "80/4e/59dc964f962f09e3ed472e5d2d3ba670a41a2be25080dc62ab3db507ff5e/"
            "asyncpg-0.32.0.tar.gz", "bytes"),
    Package("uvloop", "0.23.0", "uvloop-0.23.0.tar.gz",
            "28d160f51ab4da3b187063652e643dea6831072add4adc1e6d62afbe73b6be27",
            "fa/42/02c739ce85fb2ee8d99212c61417da8140c6b87e9d97c430bea520d76044/"
            "uvloop-0.23.0.tar.gz", "bytes"),
    Package("pyzmq", "27.3.0", "pyzmq-27.3.0.tar.gz",
            "bbedb3d1d99babc625f1dd9d7438acefd442b36b75073fd6bc1ef7c0a4b96d56",
            "e2/e1/ea46ab0d707219c098065a37d2add5b53d3b124241aa19429bcd0863e5b4/"
            "pyzmq-27.3.0.tar.gz", "bytes"),
    Package("httptools", "0.9.0", "httptools-0.9.0.tar.gz",
            "d484ebb7e3a3f3597b0f645fbd1b85633674ca808c1f5ba11c2caf7c66f5c8b6",
            "3a/ec/deed52912ab7ca6c0b12859330c571c60c61d7267b341b28951fcbf13694/"
            "httptools-0.9.0.tar.gz", "bytes"),
    Package("aiohttp", "3.14.5", "aiohttp-3.14.5.tar.gz",
            "5558a7f5a05af9ecf744af91e5baefc436f93c9333e656c27ec253f9a6bbe178",
            "6c/4c/bdccd81e9ee225b69c60e7766c9a5b05364f118f4d383713b89a682d772d/"
            "aiohttp-3.14.5.tar.gz", "bytes"),
    Package("yarl", "1.25.1", "yarl-1.25.1.tar.gz",
            "03dd38de09bc213e9a8b29761eec33ee1d5318dac0e49d8af36e4d27830e23a7",
            "75/16/e8be8e2fb175bbf41a0680381a319f1199fae256588241a2ac8677eafb49/"
            "yarl-1.25.1.tar.gz", "bytes"),
    Package("PyYAML", "6.0.4", "pyyaml-6.0.4.tar.gz",
            "e24bf71af8a432d7808fabff134d38dfe16d3cbb41f2873bb4b1e42422de0a1a",
            "76/b8/c0b780928e2fb1c87e9e375818c6f121da2398b071012d1747be300b83f4/"
            "pyyaml-6.0.4.tar.gz", "bytes"),
    Package("fastavro", "1.13.1", "fastavro-1.13.1.tar.gz",
            "6f05aa2539bf7a19e9eb3bdaf6580c4d0f082a8230f641eaf9c84e4bcf0e6bc4",
            "d6/ee/05cae1eeb332f876a1226b382a1f1be4ac8ce66634c313f2746beadab16f/"
            "fastavro-1.13.1.tar.gz", "bytes"),
    Package("clickhouse-driver", "0.2.11", "clickhouse_driver-0.2.11.tar.gz",
            "1bec70343bde9e9a55c2254c5960d34c682ff7d60256589226d96c67a112f95a",
            "da/75/42c6c0f1e0b84213ff096f913ac0ff82037da6f06754bff28685b2d1e23a/"
            "clickhouse_driver-0.2.11.tar.gz", "bytes"),
    Package("cassandra-driver", "3.30.1", "cassandra_driver-3.30.1.tar.gz",
            "0c6a3e1428f7c6a9aa6c944b9c47a37cd2cdbeb5b5a82d42c33afdd56f14e398",
            "bb/ed/4e16210e194660f107929ee494f1cf18557252655067d9b39029c241be2d/"
            "cassandra_driver-3.30.1.tar.gz", "bytes"),
    Package("aiokafka", "0.14.0", "aiokafka-0.14.0.tar.gz",
            "8ffdc945798ba4d3d132b705d4244d0a1f493925efb57c637a2ca88ee82794e1",
            "89/5f/dfc1180fd22d1acdc91949ec36e97199c43742dacb057cb8efed3679ed04/"
            "aiokafka-0.14.0.tar.gz", "bytes"),
    Package("srsly", "2.5.6", "srsly-2.5.6.tar.gz",
            "8f7cbc9b24bf39ca17ee5cd50d9ebfe9adaa5f00b11457358c551730fe165160",
            "6d/58/01a228fa8d43f58cec76488124e02c31c6443addeb93af6571f859604cd1/"
            "srsly-2.5.6.tar.gz", "bytes"),
    # other Cython code (containers, hashing, memory pools)
    Package("cytoolz", "1.2.0", "cytoolz-1.2.0.tar.gz",
            "fdd8ded8a93e1be009577fccddaacf78aa21cbe7dc6ec53c229def0198a1ffa5",
            "43/ce/d8bd9b5f85b11c7231f7cec791e1248949c8073e9cded5076759d973d35b/"
            "cytoolz-1.2.0.tar.gz", "other"),
    Package("frozenlist", "1.8.0", "frozenlist-1.8.0.tar.gz",
            "3ede829ed8d842f6cd48fc7081d7a41001a56f1f38603f9d49bf3020d59a31ad",
            "2d/f5/c831fac6cc817d26fd54c7eaccd04ef7e0288806943f7cc5bbf69f3ac1f0/"
            "frozenlist-1.8.0.tar.gz", "other"),
    Package("propcache", "0.5.4", "propcache-0.5.4.tar.gz",
            "ff6b113f50bc066a698db5d944d2c6dc7507168dd3341e255a8892fd0715a558",
            "b3/9a/9fbf4e4ec0c2d7f1c32519fff782ef467859b8faa9fbc5331a96f6395d43/"
            "propcache-0.5.4.tar.gz", "other"),
    Package("cymem", "2.0.16", "cymem-2.0.16.tar.gz",
            "a1f2f2bf8632f152867967a86dd58014064aa09bf9cb17ae297f4c33a8fc8b6e",
            "06/eb/f7983fc45fc18498924800219b9423b689803509fe24a3cb775ed8cdf707/"
            "cymem-2.0.16.tar.gz", "other"),
    Package("preshed", "3.0.15", "preshed-3.0.15.tar.gz",
            "47c6ccd9e2b5639f5983a1645bb270e8812964c03f23e989ee7996c64691fdc8",
            "c5/73/725b4e2aa7f29b575da399c6d8eecef1f0c34f4d46c580655e83ea9d4c96/"
            "preshed-3.0.15.tar.gz", "other", needs=("cymem", "murmurhash")),
    Package("murmurhash", "1.0.16", "murmurhash-1.0.16.tar.gz",
            "09794ace87d87d4adbefe6c614a31ecc5cc65ef815a5c61a02bf3055150bdbbf",
            "0c/0a/1a7e365e3315188ef5bc683950c6108170bd49aa5912a7aeb2463a9317e8/"
            "murmurhash-1.0.16.tar.gz", "other"),
)
TEMPLATES = ("*.in", "*.tp", "*.templ.*")
"""Sources generated at build time (Tempita): Cython cannot read them, the scan skips them."""
DIRECTIVES = {"language_level": 3}
"""As ``cython -3`` (a file's own ``# cython:`` header wins, in both)."""
STATUSES = ("matched", "untyped", "unmeasured")


def corpus_folder() -> Path:
    return cache_root() / "corpus"


# -- the sdists -------------------------------------------------------------------------------
def download(package: Package, folder: Path) -> Path:
    """The sdist in ``folder``, downloaded unless there, its sha256 verified; raises
    :class:`SystemExit` naming the package on a mismatch."""
    target = folder / package.sdist
    if not target.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        with urllib.request.urlopen(package.url, timeout=120) as response, \
                partial.open("wb") as handle:
            shutil.copyfileobj(response, handle)
        partial.replace(target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != package.sha256:
        target.unlink()
        raise SystemExit(f"{package.name} {package.version}: {package.sdist} has sha256 {digest},"
                         f" pinned {package.sha256} (removed; run again to download it anew)")
    return target


def unpack(archive: Path, folder: Path) -> Path:
    """The sdist's tree (its single top folder) under ``folder``, unpacked once."""
    stem = archive.name.removesuffix(".tar.gz").removesuffix(".zip")
    target = folder / "src" / stem
    done = target / ".unpacked"
    if not done.is_file():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(target)
        else:
            with tarfile.open(archive) as bundle:
                if hasattr(tarfile, "data_filter"):
                    bundle.extractall(target, filter="data")
                else:  # Python < 3.11.4 without the filter
                    bundle.extractall(target)  # noqa: S202 - a pinned, verified sdist
        done.write_text("", encoding="utf-8")
    inside = [p for p in target.iterdir() if p.is_dir()]
    return inside[0] if len(inside) == 1 else target


@dataclass(frozen=True)
class Sources:
    scanned: tuple[Path, ...]
    """``.pyx``, ``.pxd`` and ``.pxi`` files, sorted."""
    templates: tuple[Path, ...]


def sources(tree: Path) -> Sources:
    scanned, templates = [], []
    for path in sorted(tree.rglob("*")):
        if not path.is_file():
            continue
        if any(fnmatch.fnmatch(path.name, t) for t in TEMPLATES) and (
                ".pyx" in path.name or ".pxd" in path.name or ".pxi" in path.name):
            templates.append(path)
        elif path.suffix in (".pyx", ".pxd", ".pxi"):
            scanned.append(path)
    return Sources(tuple(scanned), tuple(templates))


def import_roots(files: Iterable[Path]) -> list[Path]:
    """The folders ``cimport pkg.mod`` resolves from: above each file's top-level package (a
    folder with ``__init__.py``/``.pxd``/``.pyx``, or a ``.pxd`` sibling tree)."""
    roots: set[Path] = set()
    for path in files:
        folder = path.parent
        while any((folder / f"__init__{s}").is_file() for s in (".py", ".pxd", ".pyx")):
            folder = folder.parent
        roots.add(folder)
    return sorted(roots)


# -- scanning and generating ------------------------------------------------------------------
@dataclass
class PackageScan:
    package: str
    version: str
    kind: str
    files: int = 0
    lines: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    scan_seconds: float = 0.0
    generate_seconds: float | None = None
    generate_failed: int = 0
    templates: int = 0
    errors: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conversions(self) -> int:
        return sum(self.counts.values())


_DATA: dict[str, Any] = {}


def _data() -> dict[str, Any]:
    """The shipped query data, read once per worker."""
    if not _DATA:
        from report.cli import query_cache
        from report.query.data import load_data
        from report.query.source import open_source

        with open_source(None, query_cache().parent) as found:
            _DATA.update(load_data(found.path, query_cache()))
    return _DATA


def scan_package(package: Package, tree: Path, generate: bool,
                 needed: Sequence[Path] = ()) -> PackageScan:
    """Scan (and with ``generate``, generate C from) one unpacked sdist (``needed``: the trees
    of the packages it needs).  Both are timed in this process, Cython's compiler and the data
    imported before (a fresh process per package: no heap left from another)."""
    import gc

    import Cython.Compiler.Main  # noqa: F401 - imported before the timers

    from report.query.range import SupportRange
    from report.scan.result import scan

    found = sources(tree)
    roots = import_roots(found.scanned) + [r for t in needed
                                           for r in import_roots(sources(t).scanned)]
    directives = {**DIRECTIVES, **dict(package.directives)}
    result = PackageScan(package.name, package.version, package.kind,
                         templates=len(found.templates))
    if not found.scanned:
        return result
    data = _data()
    warm_up()
    gc.collect()
    start = time.perf_counter()
    scanned = scan(list(found.scanned), data, SupportRange.parse(None, None, None),
                   includes=roots, directives=directives)
    result.scan_seconds = time.perf_counter() - start
    result.files = len(scanned.files)
    result.lines = sum(f.lines for f in scanned.files)
    result.failed = sum(1 for f in scanned.files if f.parsed_only or f.error)
    result.errors = [f"{_shown(f.path, tree)}: {f.error}" for f in scanned.files if f.error]
    result.counts = {s: scanned.count(s) for s in STATUSES}
    for finding in scanned.findings:
        match = finding.match
        c = match.conversion
        result.findings.append({
            "package": package.name, "where": f"{_shown(c.path, tree)}:{c.line}:{c.column}",
            "construct": c.construct, "source": c.source, "target": c.target, "call": c.call,
            "keywords": list(c.keywords), "code": c.code, "typed": c.typed,
            "status": match.status, "cases": list(match.cases),
            "conditional": [case for case, _ in match.conditional],
            "nearest": list(match.nearest)})
    if generate:
        from report.scan.frontend import include_dirs
        from report.scan.result import included

        inside = included(found.scanned, include_dirs(roots))
        gc.collect()
        result.generate_seconds, result.generate_failed = generate_c(
            [p for p in found.scanned if p.suffix == ".pyx" and p.resolve() not in inside],
            roots, directives)
    return result


def _shown(path: str, tree: Path) -> str:
    """A file as the findings name it: from the sdist's folder (``msgpack-1.2.4/...``)."""
    return os.path.relpath(Path(path).resolve(), tree.parent.resolve())


WARM_UP = "cdef bytes b = b'x'\ncdef const char* p = b\ncdef const unsigned char[:] v = b\n"


def warm_up() -> None:
    """Generate C once from a tiny module before anything is timed: Cython builds its lexicon
    and loads its utility code on first use (a second or so), which neither figure should
    carry."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        module = Path(folder) / "warm_up.pyx"
        module.write_text(WARM_UP, encoding="utf-8")
        generate_c([module], [], {})


def generate_c(files: Sequence[Path], roots: Sequence[Path],
               directives: dict[str, object]) -> tuple[float, int]:
    """Seconds of Cython generating C from ``files``, as ``cython -3 -I... -X...`` does
    (Cython's own ``compile_multiple``, in this process: no interpreter start counted, as the
    scan counts none), with the scan's include folders; C++ where the file says so, as the
    scan decides it; and how many files it failed.  The C is written beside each file, then
    removed (a shipped one restored)."""
    import io

    from Cython.Compiler import Errors
    from Cython.Compiler.Main import CompilationOptions, compile_multiple, default_options

    from report.scan.frontend import include_dirs, is_cplus

    groups: dict[bool, list[Path]] = {}
    for path in files:
        cplus = is_cplus(path.read_text(encoding="utf-8", errors="replace"))
        groups.setdefault(cplus, []).append(path)
    seconds, failed = 0.0, 0
    for cplus, group in groups.items():
        outputs = [p.with_suffix(".cpp" if cplus else ".c") for p in group]
        shipped = {p: p.read_bytes() for p in outputs if p.is_file()}
        options = CompilationOptions(default_options, language_level=3, cplus=cplus,
                                     include_path=include_dirs(roots),
                                     compiler_directives=dict(directives))
        start = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            Errors.reset()
            try:
                results = compile_multiple([str(p) for p in group], options)
                failed += sum(1 for r in results.values() if r.num_errors)
            except Exception:  # noqa: BLE001 - Cython's own crash: the group failed
                failed += len(group)
        seconds += time.perf_counter() - start
        for output in outputs:
            if output in shipped:  # the sdist's own generated C stays as shipped
                output.write_bytes(shipped[output])
            else:
                with contextlib.suppress(FileNotFoundError):
                    output.unlink()
    return seconds, failed


def _tree(package: Package) -> Path:
    folder = corpus_folder()
    return unpack(download(package, folder / "sdists"), folder)


def _scan_star(item: tuple[Package, bool]) -> PackageScan:
    return _scan_one(*item)


def _scan_one(package: Package, generate: bool) -> PackageScan:
    needed = [_tree(p) for p in PACKAGES if p.name in package.needs]
    return scan_package(package, _tree(package), generate, needed)


# -- the report -------------------------------------------------------------------------------
def table(scans: Sequence[PackageScan], generate: bool) -> str:
    head = ["package", "kind", "files", "lines", "conversions", "matched", "untyped",
            "unmeasured", "analysis failed", "scan s"]
    if generate:
        head += ["generate s", "scan/generate"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(name: str, kind: str, items: Sequence[PackageScan]) -> str:
        scan_s = sum(s.scan_seconds for s in items)
        cells = [name, kind, str(sum(s.files for s in items)),
                 f"{sum(s.lines for s in items):,}",
                 str(sum(s.conversions for s in items)),
                 *(str(sum(s.counts.get(k, 0) for s in items)) for k in STATUSES),
                 str(sum(s.failed for s in items)), f"{scan_s:.1f}"]
        if generate:
            gen = sum(s.generate_seconds or 0.0 for s in items)
            cells += [f"{gen:.1f}", f"{scan_s / gen:.2f}" if gen else "-"]
        return "| " + " | ".join(cells) + " |"

    for s in scans:
        rows.append(row(f"{s.package} {s.version}", s.kind, [s]))
    rows.append(row(f"**total ({len(scans)})**", "", scans))
    return "\n".join(rows)


def ranking(findings: Sequence[dict[str, Any]], top: int) -> str:
    counted = Counter((f["construct"], f["source"], f["target"], f["call"]) for f in findings
                      if f["status"] == "unmeasured")
    packages: dict[tuple[str, str, str, str], set[str]] = {}
    for f in findings:
        if f["status"] == "unmeasured":
            packages.setdefault((f["construct"], f["source"], f["target"], f["call"]),
                                set()).add(f["package"])
    lines = ["| # | construct | source | target | call | count | packages |",
             "|---|---|---|---|---|---|---|"]
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    for rank, (key, count) in enumerate(ordered[:top], 1):
        construct, source, target, call = key
        lines.append(f"| {rank} | {construct} | `{source}` | `{target}` | {call or '-'} |"
                     f" {count} | {len(packages[key])} |")
    return "\n".join(lines)


def idioms(findings: Sequence[dict[str, Any]]) -> str:
    """The unmeasured conversions by construct and callee alone (every type pair together):
    which idioms the catalogue lacks, however many element types they come in."""
    counted = Counter((f["construct"], f["call"]) for f in findings
                      if f["status"] == "unmeasured")
    lines = ["| # | construct | call | count | type pairs |", "|---|---|---|---|---|"]
    pairs: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for f in findings:
        if f["status"] == "unmeasured":
            pairs.setdefault((f["construct"], f["call"]), set()).add((f["source"], f["target"]))
    ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    for rank, ((construct, call), count) in enumerate(ordered, 1):
        lines.append(f"| {rank} | {construct} | {call or '-'} | {count} |"
                     f" {len(pairs[(construct, call)])} |")
    return "\n".join(lines)


def finding_text(f: dict[str, Any]) -> str:
    what = f"{f['construct']} {f['source']} -> {f['target']}" + (
        f" [{f['call']}]" if f["call"] else "")
    cases = ", ".join(f["cases"] or f["conditional"]) or "-"
    return f"{what}: {f['status']} ({cases})"


def sample(findings: Sequence[dict[str, Any]], size: int, seed: int) -> list[dict[str, Any]]:
    ordered = sorted(findings, key=lambda f: (f["package"], f["where"], f["construct"]))
    return random.Random(seed).sample(ordered, min(size, len(ordered)))


def precision(checked: Path, findings: Sequence[dict[str, Any]]) -> str:
    """``k of n right`` from the verdicts file, after checking it is the sample of its seed."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.9 and 3.10
        import tomli as tomllib

    data = tomllib.loads(checked.read_text(encoding="utf-8"))
    verdicts = data["finding"]
    drawn = sample(findings, len(verdicts), int(data["seed"])) if findings else []
    if drawn and [f["where"] for f in drawn] != [v["where"] for v in verdicts]:
        raise SystemExit(f"{checked}: its findings are not the sample of seed {data['seed']}"
                         " drawn from these findings (the corpus or the scanner changed):"
                         " check a new sample")
    right = sum(1 for v in verdicts if v["right"])
    by_status = Counter((v["status"], v["right"]) for v in verdicts)
    parts = ", ".join(f"{status}: {by_status[(status, True)]} of "
                      f"{by_status[(status, True)] + by_status[(status, False)]}"
                      for status in STATUSES
                      if by_status[(status, True)] + by_status[(status, False)])
    return f"precision: {right} of {len(verdicts)} right (seed {data['seed']}; {parts})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", default="",
                        help="comma-separated names or globs (default: all of the corpus)")
    parser.add_argument("--jobs", type=int, default=2, help="packages at once (default 2)")
    parser.add_argument("--generate", action="store_true",
                        help="also time `cython -3` generating C from the same .pyx files")
    parser.add_argument("--findings", default=None,
                        help="write the findings here as JSON (default:"
                        " <cache>/corpus/findings.json); with --no-scan, read them from it")
    parser.add_argument("--no-scan", action="store_true",
                        help="do not scan: read the findings of an earlier run (--findings)")
    parser.add_argument("--top", type=int, default=15,
                        help="unmeasured conversions ranked (default 15)")
    parser.add_argument("--sample", type=int, default=0,
                        help="print a seeded random sample of this many findings")
    parser.add_argument("--seed", type=int, default=35, help="the sample's seed (default 35)")
    parser.add_argument("--checked", default=None,
                        help="verdicts of a hand-checked sample (TOML): print the precision")
    args = parser.parse_args()
    findings_file = Path(args.findings) if args.findings else corpus_folder() / "findings.json"
    wanted = [w.strip() for w in args.packages.split(",") if w.strip()]
    chosen = [p for p in PACKAGES
              if not wanted or any(fnmatch.fnmatch(p.name.lower(), w.lower()) for w in wanted)]
    if not chosen:
        parser.error(f"--packages '{args.packages}': none of the corpus")
    findings: list[dict[str, Any]] = []
    if args.no_scan:
        findings = json.loads(findings_file.read_text(encoding="utf-8"))["findings"]
    else:
        start = time.perf_counter()
        # a fresh process per package: no heap (and collector work) left from another
        with multiprocessing.get_context("spawn").Pool(max(1, args.jobs),
                                                       maxtasksperchild=1) as pool:
            scans = []
            for done in pool.imap(_scan_star, [(p, args.generate) for p in chosen]):
                scans.append(done)
                print(f"scanned {done.package} {done.version}: {done.files} files,"
                      f" {done.conversions} conversions, {done.scan_seconds:.1f} s"
                      + (f"; generated in {done.generate_seconds:.1f} s"
                         if done.generate_seconds is not None else ""),
                      file=sys.stderr, flush=True)
        wall = time.perf_counter() - start
        findings = [f for s in scans for f in s.findings]
        findings_file.parent.mkdir(parents=True, exist_ok=True)
        findings_file.write_text(json.dumps(
            {"packages": [{k: v for k, v in asdict(s).items() if k != "findings"}
                          for s in scans], "findings": findings}, indent=1) + "\n",
            encoding="utf-8")
        print(table(scans, args.generate))
        print()
        skipped = [f"{s.package} {s.templates}" for s in scans if s.templates]
        print("Template sources skipped (generated at build time): "
              + (", ".join(skipped) or "none") + ".")
        print(f"Conversions by construct: {dict(Counter(f['construct'] for f in findings))}")
        if args.generate:
            scan_s = sum(s.scan_seconds for s in scans)
            gen_s = sum(s.generate_seconds or 0.0 for s in scans)
            print(f"Speed: scan {scan_s:.1f} s, `cython -3` generation {gen_s:.1f} s over the"
                  f" same .pyx files: scan/generation = {scan_s / gen_s:.2f} (the scan reads the"
                  " .pxd files as well); generation failed on"
                  f" {sum(s.generate_failed for s in scans)} file(s).")
        print(f"Run: {wall:.0f} s wall with {args.jobs} job(s); findings in {findings_file}")
        print()
        for s in scans:
            for error in s.errors:
                print(f"analysis failed: {error}")
        print()
    print(ranking(findings, args.top))
    print()
    print(idioms(findings))
    if args.sample:
        print()
        for f in sample(findings, args.sample, args.seed):
            print(f"{f['where']}\n    {f['code']}\n    -> {finding_text(f)}")
    if args.checked:
        print()
        print(precision(Path(args.checked), findings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
