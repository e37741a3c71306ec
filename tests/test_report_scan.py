"""``cymatrix scan`` (:mod:`report.scan`): the memory conversions of Cython sources, found by
Cython's own front end and answered from the measured cases.  Scanning ``cases/`` maps every
case's conversion line to that very case; a fixture project shows each kind of finding (matched:
works, dangles, fails; untyped; unmeasured; a file whose analysis fails) in text, JSON and SARIF
(validated against the SARIF 2.1.0 schema), with the query's exit statuses."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from matrix.model.cases import header_directives, load_cases, scan_signature
from matrix.model.folders import cache_root
from report.cli import main
from report.scan.frontend import include_dirs, scan_file
from report.scan.match import MATCHED, UNMEASURED, UNTYPED_STATUS, Signature, match
from tests.conftest import missing_prerequisite

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"
FIXTURE = Path(__file__).parent / "fixtures" / "scan" / "project"

UNMARKED = {"bytearray-to-char-memoryview": 7, "bytearray-to-char-memoryview-freethreading": 7}
"""Cases whose .pyx has no "conversion under test" comment (adding one would change the code
the measurements were keyed by): their conversion's line."""
CONDITIONAL = {
    "c-array-cast-to-memoryview-then-python-memoryview":
        "the same call as cython-memoryview-to-python-memoryview: that the view is a cast of a C"
        " array is no type",
    "c-array-to-int-memoryview":
        "Cython wraps the C array in the cast pointer-cast-to-int-array-view writes (<int[:n]> of"
        " its address): that the pointer was a C array is no type",
    "numpy-int-to-long-memoryview":
        "the same coercion as numpy-int-underscore-to-long-memoryview: the dtype np.int the"
        " array was made with is no type",
    "readonly-numpy-to-double-memoryview":
        "ndarray -> double[:] answers so only for a read-only array, which is no type (a"
        " writable one is not measured with double[:])",
    "bytes-to-c-array":
        "the same coercion as bytes-to-char-pointer: Cython copies arr[:n] = b through the"
        " bytes' char*, and the slice assignment around it is no type",
    "bytearray-to-c-array":
        "the same coercion as bytearray-to-char-pointer: Cython copies arr[:n] = ba through"
        " the bytearray's char*, and the slice assignment around it is no type",
    "python-memoryview-to-bytes":
        "the same method as memoryview-tobytes: what the Python memoryview was made of is no"
        " type",
    "python-memoryview-to-char-pointer":
        "the same address-of as memoryview-to-char-pointer: that the typed memoryview views a"
        " Python memoryview is no type",
    "numpy-2d-fortran-to-c-contiguous-memoryview":
        "the same coercion as numpy-2d-c-to-c-contiguous-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-transpose-to-c-contiguous-memoryview":
        "the same coercion as numpy-2d-c-to-c-contiguous-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-2d-c-to-fortran-contiguous-memoryview":
        "the same coercion as numpy-2d-fortran-to-fortran-contiguous-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-transpose-to-fortran-contiguous-memoryview":
        "the same coercion as numpy-2d-fortran-to-fortran-contiguous-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-2d-fortran-to-strided-memoryview":
        "the same coercion as numpy-2d-c-to-strided-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-strided-slice-to-memoryview":
        "the same coercion as numpy-intp-to-intp-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-negative-stride-to-memoryview":
        "the same coercion as numpy-intp-to-intp-memoryview: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-strided-slice-to-contiguous-memoryview":
        "no case answers ndarray -> intp_t[::1] in general: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
    "numpy-negative-stride-to-contiguous-memoryview":
        "no case answers ndarray -> intp_t[::1] in general: "
        "the memory layout of the array (its order, a slice's stride, a transpose) is no type",
}
"""Cases matched conditionally (their ``when``) beside a case that answers in general."""
NOT_FOUND = {
    "const-fused-memoryview-argument":
        "a fused-type cpdef argument converts in the fused dispatcher, at run time: the"
        " analysis sees a Python call",
    "c-array-to-int-pointer":
        "a C array assigned to a pointer is no coercion in Cython's tree (C's own decay)",
}
PARSED_ONLY = {
    "numpy-int-t-memoryview": "'int_t' is not a type identifier",  # gone from numpy 2's .pxd
    "pointer-to-numpy-guide": "",  # the guide's code: its own analysis fails
}
"""Cases whose analysis fails with today's numpy or Cython (as their own cythonize does in those
cells): found by the parse alone, their types unknown, they are candidates of an untyped call."""
UNTYPED_SOURCE = {
    "mmap-to-uchar-memoryview": "Cython knows no type for an mmap.mmap",
    "mmap-to-python-memoryview": "Cython knows no type for an mmap.mmap",
}
"""Cases whose source is a Python object Cython has no type for: the conversion is found untyped,
the case among its candidates."""


def conversion_line(case: Any) -> int:
    if case.id in UNMARKED:
        return UNMARKED[case.id]
    lines = case.pyx_path.read_text(encoding="utf-8").splitlines()
    marked = [n for n, line in enumerate(lines, start=1) if "conversion under test" in line]
    assert marked, f"{case.pyx_path}: no line marked as the conversion under test"
    n = marked[-1]
    return n + 1 if lines[n - 1].strip().startswith("#") else n


@pytest.fixture(scope="module")
def catalogue() -> tuple[list[Any], tuple[Signature, ...]]:
    cases = [c for c in load_cases(CASES) if not c.is_control]
    sigs = tuple(Signature.of(c.id, data) for c in cases
                 if (data := scan_signature(c)) is not None)
    return cases, sigs


def test_scanning_the_catalogue_maps_every_case_to_itself(
        catalogue: tuple[list[Any], tuple[Signature, ...]]) -> None:
    """Recall on cases/: every case's conversion line is matched to that very case, first;
    each exception is listed above with its reason (and still holds the case somewhere)."""
    cases, sigs = catalogue
    assert len(sigs) == len(cases), "every conversion case declares its [conversion]"
    includes = include_dirs()
    calls = {c for s in sigs for c in s.call}  # as `scan` reads them: list(b), memcpy(...)
    exact, missed = [], []
    contexts: dict[tuple[Any, ...], Any] = {}  # shared between files built alike, as `scan`
    for case in cases:  # shares them (30 s alone, 4 s shared, 2026-12-05)
        line = conversion_line(case)
        scanned = scan_file(case.pyx_path, case.pyx_path.name, includes=includes, calls=calls,
                            contexts=contexts)
        # the build the case declares (its [options] directives), as a project would set them
        directives = {**dict(case.options.directives),
                      **dict(header_directives(case.pyx_path, case.code))}
        found = [match(c, sigs, directives=directives, cplus=case.options.cplus,
                       limited_api=bool(case.options.limited_api))
                 for c in scanned.conversions if c.line == line]
        if case.id in NOT_FOUND:
            assert not any(case.id in m.cases for m in found), case.id  # else: not an exception
            continue
        if case.id in PARSED_ONLY and scanned.parsed_only:
            assert PARSED_ONLY[case.id] in scanned.error, scanned.error
            assert any(m.status == UNTYPED_STATUS and case.id in m.cases for m in found) or (
                not found), (case.id, found)
            continue
        if case.id in UNTYPED_SOURCE:
            assert any(m.status == UNTYPED_STATUS and case.id in m.cases for m in found), (
                case.id, found)
            continue
        if case.id in CONDITIONAL:
            assert any(case.id in [c for c, _ in m.conditional] for m in found), (case.id, found)
            continue
        if any(m.status == MATCHED and m.cases[:1] == (case.id,) for m in found):
            exact.append(case.id)
        else:
            missed.append((case.id, line, [(m.conversion, m.status, m.cases) for m in found]))
    assert not missed, missed
    assert len(exact) >= (len(cases) - len(NOT_FOUND) - len(PARSED_ONLY) - len(CONDITIONAL)
                          - len(UNTYPED_SOURCE))


def run_scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["scan", *args])
    return status, capsys.readouterr().out


def test_the_fixture_project_in_text(capsys: pytest.CaptureFixture[str]) -> None:
    """Each kind of finding, at file:line:col, the range read from the project's
    pyproject.toml; a matched conversion failing in range makes the exit status 1."""
    status, out = run_scan(capsys, str(FIXTURE), "--project", str(FIXTURE))
    assert status == 1
    assert out.startswith("Range from ")
    assert "src/buffers.pyx\n" in out and "broken/broken.pyx\n" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")
             and line.split()[0][0].isdigit()}
    assert "✅ bytes -> const unsigned char[:] (coercion): bytes-to-const-uchar-memoryview:" \
        in lines["17:23"]
    assert "↯ bytearray -> char * (coercion): bytearray-to-char-pointer:" in lines["18:22"]
    assert "dangles on" in lines["18:22"]
    assert "❌ bytes -> const char[:] (coercion): bytes-to-const-char-memoryview: fails" \
        in lines["19:24"]
    assert "untyped, depends on the object at run time; candidates:" in lines["21:23"]
    assert "unmeasured" in lines["23:19"] and "nearest measured:" in lines["23:19"]
    assert ("analysis failed, scanned by its parse alone (types unknown): broken.pyx:5:22:"
            " undeclared name not builtin: undeclared_name") in out
    assert "numpy.asarray(object) (call): untyped, types unknown" in out
    assert out.rstrip().splitlines()[-1].startswith("2 files, ")


def test_exit_statuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """0 when nothing matched fails in range; --safe makes a dangling conversion fail (1);
    usage errors are 2."""
    works = tmp_path / "works.pyx"
    works.write_text("cdef bytes b = b'x'\ncdef const unsigned char[:] v = b\n", encoding="utf-8")
    dangles = tmp_path / "dangles.pyx"
    dangles.write_text("cdef bytearray ba = bytearray(b'x')\ncdef char* p = ba\n",
                       encoding="utf-8")
    assert run_scan(capsys, str(works), "--python", ">=3.9", "--cython", ">=3.0")[0] == 0
    assert run_scan(capsys, str(dangles), "--python", ">=3.9", "--cython", ">=3.0")[0] == 0
    assert run_scan(capsys, str(dangles), "--python", ">=3.9", "--cython", ">=3.0",
                    "--safe")[0] == 1
    assert main(["scan", str(tmp_path / "missing.pyx")]) == 2
    assert "missing.pyx: no such file or folder" in capsys.readouterr().err
    assert main(["scan", str(works), "-X", "language_level"]) == 2
    assert "--directive 'language_level': not NAME=VALUE" in capsys.readouterr().err


def test_the_fixture_project_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run_scan(capsys, str(FIXTURE), "--project", str(FIXTURE), "--format", "json")
    document = json.loads(out)
    assert status == document["exit_status"] == 1
    summary = document["summary"]
    statuses = [c["status"] for c in document["conversions"]]
    assert summary["matched"] == statuses.count(MATCHED) >= 3
    assert summary["untyped"] == statuses.count(UNTYPED_STATUS) >= 2
    assert summary["unmeasured"] == statuses.count(UNMEASURED) >= 1
    assert summary["failing"] == 1 and summary["dangling"] == 1 and summary["parsed_only"] == 1
    failing = next(c for c in document["conversions"] if c["where"].endswith("buffers.pyx:19:24"))
    assert failing["cases"] == ["bytes-to-const-char-memoryview"]
    assert failing["answer"]["verdict"] == "fails" and failing["answer"]["failures"]
    assert failing["answer"]["failures"][0]["reproduce"].startswith("nox -s matrix -- try ")


SARIF_SCHEMA_PACKAGE = ("https://registry.npmjs.org/@microsoft/jest-sarif/-/"
                        "jest-sarif-1.0.0-beta.0.tgz")
SARIF_SCHEMA_SHA256 = "748e2c3d1a842e7bb258416685c7ea3a0da40005b72267b2052c2856d48ad102"
SARIF_SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
"""The SARIF 2.1.0 schema, from Microsoft's MIT-licensed npm package that ships it (pinned by
hash, fetched from the npm registry once into the cache folder)."""


def sarif_schema() -> dict[str, Any]:
    kept = cache_root() / "sarif" / "sarif-2.1.0-rtm.5.json"
    if not kept.is_file():
        try:
            raw = urllib.request.urlopen(SARIF_SCHEMA_PACKAGE, timeout=60).read()
        except OSError as exc:
            missing_prerequisite(f"the SARIF schema's package could not be fetched ({exc})")
        assert hashlib.sha256(raw).hexdigest() == SARIF_SCHEMA_SHA256, "the pinned package changed"
        with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
            member = archive.extractfile(SARIF_SCHEMA_MEMBER)
            assert member is not None
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_bytes(member.read())
    schema: dict[str, Any] = json.loads(kept.read_text(encoding="utf-8"))
    return schema


def test_the_fixture_project_in_sarif_is_valid_sarif(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    """SARIF 2.1.0, valid against its schema: a result per conversion at file:line:col, the
    failing one an error, the dangling one a warning (an error with --safe)."""
    import jsonschema

    out = tmp_path / "scan.sarif"
    status = main(["scan", str(FIXTURE), "--project", str(FIXTURE), "--format", "sarif",
                   "--output", str(out)])
    assert status == 1 and capsys.readouterr().out == ""
    document = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.validate(document, sarif_schema())
    run = document["runs"][0]
    assert run["tool"]["driver"]["name"] == "cymatrix"
    results = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]): r
               for r in run["results"]}
    assert results[("buffers.pyx", 19)]["level"] == "error"
    assert results[("buffers.pyx", 19)]["ruleId"] == "bytes-to-const-char-memoryview"
    assert results[("buffers.pyx", 18)]["level"] == "warning"
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert all(0 <= r["ruleIndex"] < len(rules) and rules[r["ruleIndex"]] == r["ruleId"]
               for r in run["results"])
    main(["scan", str(FIXTURE / "src"), "--project", str(FIXTURE), "--format", "sarif",
          "--output", str(out), "--safe"])
    safe = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert next(r for r in safe if r["locations"][0]["physicalLocation"]["region"]["startLine"]
                == 18)["level"] == "error"


def test_an_included_file_is_scanned_as_part_of_its_module(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file another ``include``s is scanned within it (its own lines reported under its own
    name), not alone, where it would lack the module's declarations; a reference cast
    (``<PyObject*>``) is no memory conversion."""
    (tmp_path / "module.pyx").write_text(
        "from cpython.ref cimport PyObject\ncdef bytes b = b'x'\ninclude \"part.pxi\"\n",
        encoding="utf-8")
    (tmp_path / "part.pxi").write_text(
        "cdef const char* p = b\ncdef PyObject* o = <PyObject*>b\n", encoding="utf-8")
    status, out = run_scan(capsys, str(tmp_path), "--python", ">=3.9", "--cython", ">=3.0",
                           "--format", "json")
    document = json.loads(out)
    files = {f["path"]: f for f in document["files"]}  # the part listed as its own file
    assert set(files) == {str(tmp_path / "module.pyx"), str(tmp_path / "part.pxi")}
    assert not any(f["error"] for f in files.values()), files  # never analysed alone
    found = [(c["path"], c["line"], c["construct"], c["source"], c["target"])
             for c in document["conversions"]]
    assert found == [(str(tmp_path / "part.pxi"), 1, "coercion", "bytes", "const char *")]


def test_a_package_is_scanned_as_cythonize_compiles_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What a real package's layout needs (found on the corpus, benchmarks/scan_corpus.py): a
    ``.pyx`` is its package's module (a relative cimport resolves, its own ``.pxd`` is read);
    a ``.pxd`` is analysed as a cimport sees it (Cython compiles none alone: scanned as a module
    it was "redeclared"), its inline functions' conversions found, once (with the module that
    cimports it, or through a module of its own); a ``# cython:`` line that is no directive is
    Cython's to report, not a crash of the scan; an included ``.pxi``/``.pyx``
    is scanned as part of the module including it (alone its names are undeclared) and its
    conversions are its own, once; ``<PyObject*> o``/``<void*> o`` take the object's address,
    ``<Holder> p`` the object back from it, ``<func_t> f`` a function's: no buffer;
    ``PyObject_GetBuffer`` converts its object argument into a ``Py_buffer``."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "shared.pxd").write_text(
        "cdef class Holder:\n    cdef bytearray data\n\n"
        "cdef inline char* first(bytearray ba):\n    cdef char* p = ba\n    return p\n",
        encoding="utf-8")
    (package / "holder.pyx").write_text(
        "from .shared cimport Holder, first\n"
        "from cpython.buffer cimport PyObject_GetBuffer, PyBUF_SIMPLE\n"
        "from cpython.ref cimport PyObject\n"
        "ctypedef object (*func_t)(object)\n"
        'include "parts.pxi"\n\n'
        "def use(Holder h, object o):\n"
        "    cdef Py_buffer view\n"
        "    PyObject_GetBuffer(o, &view, PyBUF_SIMPLE)\n"
        "    cdef PyObject* ref = <PyObject*>o\n"
        "    cdef void* address = <void*>o\n"
        "    cdef Holder back = <Holder>address\n"
        "    cdef func_t handler = <func_t>use_one\n"
        "    return first(h.data), view_of(h.data)\n\n"
        "cdef object use_one(object o):\n    return o\n", encoding="utf-8")
    (package / "alone.pxd").write_text(  # cimported by nothing the scan was given
        "# cython: boundscheck=False\n# cython: not a directive\n"
        "cdef inline bytes copy(char* p):\n    return p\n", encoding="utf-8")
    (package / "parts.pxi").write_text(
        "cdef const unsigned char[:] view_of(bytes b):\n    return b\n", encoding="utf-8")
    status, out = run_scan(capsys, str(package), "--format", "json")
    document = json.loads(out)
    files = {Path(f["path"]).name: f for f in document["files"]}
    assert set(files) == {"alone.pxd", "holder.pyx", "parts.pxi", "shared.pxd"}
    assert not any(f["error"] or f["parsed_only"] for f in files.values()), files
    found = sorted((Path(c["path"]).name, c["line"], c["construct"], c["source"], c["target"],
                    c["call"]) for c in document["conversions"])
    assert found == [
        ("alone.pxd", 4, "coercion", "char *", "bytes", ""),
        ("holder.pyx", 9, "call", "object", "Py_buffer", "PyObject_GetBuffer"),
        ("holder.pyx", 14, "coercion", "char *", "bytes", ""),  # first()'s char* returned
        ("parts.pxi", 2, "coercion", "bytes", "const unsigned char[:]", ""),
        ("shared.pxd", 5, "coercion", "bytearray", "char *", ""),
    ], found


def test_modules_scanned_together_find_what_each_finds_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A package's modules share one Cython context (a .pxd they cimport is analysed once, as
    cythonize compiles them): what each module gives is what it gives scanned alone."""
    (tmp_path / "shared.pxd").write_text("cdef char* first(bytes b)\n", encoding="utf-8")
    for name, body in (("a", "cdef bytearray ba = bytearray(b'x')\ncdef char* p = ba\n"),
                       ("b", "cdef bytes b = b'x'\ncdef const unsigned char[:] v = b\n")):
        (tmp_path / f"{name}.pyx").write_text("cimport shared\n" + body, encoding="utf-8")

    def found(*paths: Path) -> list[tuple[str, int, str, str, str]]:
        main(["scan", *map(str, paths), "--python", ">=3.9", "--format", "json"])
        return sorted((Path(c["path"]).name, c["line"], c["construct"], c["source"],
                       c["target"]) for c in json.loads(capsys.readouterr().out)["conversions"])

    together = found(tmp_path / "a.pyx", tmp_path / "b.pyx")
    alone = found(tmp_path / "a.pyx") + found(tmp_path / "b.pyx")
    assert together == sorted(alone) and len(together) >= 2
