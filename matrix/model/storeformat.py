"""The results store's format, and reading a store wherever it is: a folder, an archive, a
legacy single file, or a folder in a git commit (a publication's tag).

Layout 2 (``results/``), JSON lines, sorted, one concept per file::

    store.json                {"layout": 2, "columns": [...], "baseline": {"tag", "commit"}}
    classes.jsonl             how cells' C was generated, once: {"id", "c_class"|"c_invariance"}
    shared.jsonl              a value records or cells share, once: {"id", "behaviour"|
                              "first_error"|"provenance"|"environment"}
    <shard>/cells.jsonl       facts shared by a cell's records, once: {"id", "facts"}
    <shard>/records.jsonl     one record per line, an array of :data:`ROW_COLUMNS`: its own
                              values, ids of the shared ones and of its cell's facts
    rechecks.jsonl            the re-measurement log (:mod:`matrix.model.checks`)

A shard is one Python axis value, named by its cibuildwheel build identifier (``cp311``,
``cp313t``, ``pp311``): a CI job measuring one Python writes its own files.  Facts are
content-addressed (``id`` = a digest of the facts), so two shards or two machines that store
the same facts store the same line, and re-joining a record gives back exactly the record that
was split (:func:`split_record`, :func:`join_record`; the migration test checks every record).
A record's row is an array rather than an object: the field names would be a third of its
bytes (the growth test, ``tests/test_store_growth.py``, holds a year of releases to 25 MB).

What belongs to a record itself (:data:`RECORD_FIELDS`, :data:`RECORD_PROVENANCE`) is what
varies between the records of one cell; everything else a record carries (its cell, versions,
compiler, toolchain, generation class...) is the cell's facts.

Readers take no lock: writers (:mod:`matrix.store.results`) append whole lines, facts before
the records that name them, and replace files records-first, cells next, classes last, while
readers read classes, then cells, then records.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from matrix.model.errors import MatrixError, ResultsFileError
from matrix.model.interpreters import InterpreterId
from matrix.model.jsonlines import parse_lines
from matrix.model.measurement import Identity, identity_of
from matrix.model.outcomes import Outcome
from matrix.model.policy import Cause, is_provisional_result
from matrix.model.records import Behaviour, Record, cause_of

LAYOUT_VERSION = 2
STORE_FILE = "store.json"
LEGACY_RECORDS_FILE = "records.jsonl"
"""Layout 1: every record, whole, in one file (read, and migrated by ``matrix compact``)."""
RECORDS_FILE = "records.jsonl"
CELLS_FILE = "cells.jsonl"
CLASSES_FILE = "classes.jsonl"
SHARED_FILE = "shared.jsonl"
ROW_COLUMNS = ("key", "case_id", "case_hash", "cell", "outcome", "first_error", "behaviour",
               "provenance", "module", "log", "duration_s", "timestamp")
"""A row's columns: ``cell`` is a cell facts id; ``first_error`` (or null), ``behaviour`` and
``provenance`` (the record's own provenance but its ``module``, or null) are ids of
``shared.jsonl`` values; ``log`` is 0 for the usual place (:func:`default_log`)."""
SHARED_KINDS = ("behaviour", "first_error", "provenance", "environment")
DEFAULT_LOG = 0
ARCHIVE_SUFFIX = ".jsonl.gz"

RECORD_FIELDS = ("key", "case_id", "case_hash", "outcome", "first_error", "behaviour", "log",
                 "duration_s", "timestamp")
"""A record's own fields; the others (``cell_id``, ``python``, ``cython``, ``numpy_*``,
``cell_kind``, ``compiler``, ``shipped_c``, ``schema``) are its cell's facts."""
RECORD_PROVENANCE = ("module", "batched", "options", "cause", "output_cut")
"""The provenance entries that vary between the records of one cell; the rest of the
provenance (toolchain, environment, engine, generation) is the cell's facts."""
GENERATION_ENTRIES = ("c_class", "c_invariance")
"""Provenance entries that describe how a cell's C was generated (a generation class, an
invariance verdict): the same for every cell of a Cython release and class of Pythons, stored
once, in ``classes.jsonl``."""
ENVIRONMENT_PROVENANCE = ("build_tool", "cc", "cflags", "compiler", "engine_version",
                          "env_backend", "implementation_version", "machine", "pip", "platform",
                          "python_source", "python_version", "run_env_backend", "run_timeout_s",
                          "runner_hash")
"""Provenance entries that describe the toolchain and engine (the same for most cells of a
shard): stored once, as an ``environment`` value of ``shared.jsonl``."""
DIGEST_CHARS = 12
_IDENTITY_PROVENANCE = {"runner_hash", "engine_version", "run_timeout_s", "cflags"}


class StoreFormatError(MatrixError):
    """A store that is not in a layout this code reads (names the file)."""


def canonical(data: object) -> str:
    """The deterministic JSON text of ``data`` (sorted keys, no spaces)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(data: object) -> str:
    """Content address of ``data``: the first :data:`DIGEST_CHARS` hex digits of the SHA-256
    of its canonical JSON."""
    return hashlib.sha256(canonical(data).encode()).hexdigest()[:DIGEST_CHARS]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def shard_of(python: str) -> str:
    """The shard folder of a Python axis value: its cibuildwheel build identifier (``3.11`` ->
    ``cp311``, ``3.13t`` -> ``cp313t``, ``pypy3.11`` -> ``pp311``); a value no interpreter
    kind has keeps its own (file-safe) spelling, after ``other-``."""
    try:
        return InterpreterId.from_label(python).build
    except ValueError:
        return "other-" + (_UNSAFE.sub("_", python) or "_")


def default_log(data: dict[str, Any]) -> str:
    """Where a record's log lives unless it says otherwise: ``logs/<cell>/<case>.log``."""
    return f"logs/{data.get('cell_id')}/{data.get('case_id')}.log"


@dataclass(frozen=True)
class SplitRecord:
    """A record as layout 2 stores it: its row, its cell's facts, and the values those name."""

    shard: str
    row: dict[str, Any]
    """The row as :func:`join_record` takes it (:func:`encode_row` makes the stored array)."""
    cell_id: str
    """The facts id the row names (``row["cell"]``)."""
    cell: dict[str, Any]
    generation: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """``classes.jsonl`` entries the cell names: id -> (entry, value)."""
    shared: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """``shared.jsonl`` values the cell names (its environment): id -> (kind, value)."""


def split_record(record: Record) -> SplitRecord:
    """Split a record into what is its own and what its cell and class share (exact:
    :func:`join_record` gives back ``record.to_json()``)."""
    data = record.to_json()
    provenance = dict(data.get("provenance") or {})
    own = {name: provenance.pop(name) for name in RECORD_PROVENANCE if name in provenance}
    facts: dict[str, Any] = {name: value for name, value in data.items()
                             if name not in RECORD_FIELDS and name != "provenance"}
    generation: dict[str, tuple[str, Any]] = {}
    for entry in GENERATION_ENTRIES:
        if isinstance(provenance.get(entry), dict):
            value = provenance.pop(entry)
            found = digest([entry, value])
            generation[found] = (entry, value)
            facts[entry] = found
    shared: dict[str, tuple[str, Any]] = {}
    environment = {name: provenance.pop(name) for name in ENVIRONMENT_PROVENANCE
                   if name in provenance}
    if environment:
        found = digest(["environment", environment])
        shared[found] = ("environment", environment)
        facts["environment"] = found
    facts["provenance"] = provenance
    cell_id = digest(facts)
    row: dict[str, Any] = {"cell": cell_id}
    for name in RECORD_FIELDS:
        if name == "log" and data.get("log") == default_log(data):
            continue  # the usual place: not stored
        if name == "behaviour":
            # Only what was measured: an absent property reads back as "not measured".
            row[name] = {k: v for k, v in data[name].items() if v is not None and v != []}
        elif name in data:
            row[name] = data[name]
    if own:
        row["provenance"] = own
    return SplitRecord(shard_of(record.python), row, cell_id, facts, generation, shared)


def encode_row(row: dict[str, Any]) -> tuple[list[Any], dict[str, tuple[str, Any]]]:
    """A split record's row as stored (:data:`ROW_COLUMNS`) and the shared values it names
    (id -> (kind, value))."""
    shared: dict[str, tuple[str, Any]] = {}

    def ref(kind: str, value: Any) -> str:
        found = digest([kind, value])
        shared[found] = (kind, value)
        return found

    own = dict(row.get("provenance") or {})
    module = own.pop("module") if isinstance(own.get("module"), str) else None
    error = row.get("first_error")
    values = [row["key"], row["case_id"], row["case_hash"], row["cell"], row["outcome"],
              None if error is None else ref("first_error", error),
              ref("behaviour", row["behaviour"]), ref("provenance", own) if own else None,
              module, row["log"] if "log" in row else DEFAULT_LOG, row["duration_s"],
              row["timestamp"]]
    return values, shared


def decode_row(values: list[Any], shared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A stored row as :func:`join_record` takes it; raises ``ValueError`` naming what is
    wrong (a row of other length, an id ``shared.jsonl`` lacks)."""
    if len(values) != len(ROW_COLUMNS):
        raise ValueError(f"a row has {len(ROW_COLUMNS)} columns ({', '.join(ROW_COLUMNS)}),"
                         f" this one {len(values)}")
    key, case_id, case_hash, cell, outcome, error, behaviour, own, module, log, duration, \
        timestamp = values

    def value(kind: str, found: Any) -> Any:
        return _lookup(shared, found, kind, SHARED_FILE)

    if not isinstance(key, str) or not isinstance(cell, str):
        raise ValueError("key and cell must be strings")
    row: dict[str, Any] = {"key": key, "case_id": case_id, "case_hash": case_hash, "cell": cell,
                           "outcome": outcome,
                           "first_error": None if error is None else value("first_error", error),
                           "behaviour": value("behaviour", behaviour), "duration_s": duration,
                           "timestamp": timestamp}
    provenance = dict(value("provenance", own)) if own is not None else {}
    if module is not None:
        provenance["module"] = module
    if provenance:
        row["provenance"] = provenance
    if log != DEFAULT_LOG:
        row["log"] = log
    return row


def join_record(row: dict[str, Any], cells: dict[str, dict[str, Any]],
                classes: dict[str, dict[str, Any]],
                shared: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A record's JSON (as :meth:`Record.from_json` reads it) from its row and the facts it
    names; raises ``ValueError`` naming an id that is not stored."""
    cell_id = row.get("cell")
    facts = cells.get(str(cell_id))
    if facts is None:
        raise ValueError(f"names cell facts {cell_id!r}, which {CELLS_FILE} does not hold")
    data = {name: value for name, value in facts.items()
            if name not in ("provenance", "environment", *GENERATION_ENTRIES)}
    provenance = dict(facts.get("provenance") or {})
    for entry in GENERATION_ENTRIES:
        if entry in facts:
            provenance[entry] = _lookup(classes, facts[entry], entry, CLASSES_FILE)
    if "environment" in facts:
        provenance.update(_lookup(shared, facts["environment"], "environment", SHARED_FILE))
    for name, value in row.items():
        if name == "provenance":
            provenance.update(value)
        elif name != "cell":
            data[name] = value
    data["provenance"] = provenance
    if "log" not in row:
        data["log"] = default_log(data)
    return data


def _lookup(table: dict[str, dict[str, Any]], found: object, kind: str, file: str) -> Any:
    entry = table.get(str(found))
    if entry is None or kind not in entry:
        raise ValueError(f"names {kind} {found!r}, which {file} does not hold")
    return entry[kind]


def is_store_file(name: str) -> bool:
    """Whether a path relative to a store folder is one of the store's files (not the
    re-measurement log, a log folder or a lock)."""
    parts = name.split("/")
    if len(parts) == 1:
        return name in (STORE_FILE, LEGACY_RECORDS_FILE, CLASSES_FILE, SHARED_FILE)
    return len(parts) == 2 and parts[1] in (CELLS_FILE, RECORDS_FILE)


class StoreFiles(Protocol):
    """Where a store's files are read from: a folder, or a folder in a git commit."""

    def names(self) -> list[str]:
        """Every file's path relative to the store folder (``cp311/records.jsonl``)."""

    def read(self, name: str) -> bytes: ...

    def where(self, name: str) -> Path:
        """How errors name the file."""


@dataclass(frozen=True)
class FolderFiles:
    root: Path

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = [p.relative_to(self.root).as_posix()
                 for pattern in ("*", "*/*") for p in self.root.glob(pattern)]
        return sorted(name for name in found if is_store_file(name)
                      and (self.root / name).is_file())

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def where(self, name: str) -> Path:
        return self.root / name


@dataclass
class GitFiles:
    """The store folder ``folder`` in the tree of ``ref`` (a tag, branch or commit) of the
    repository at ``repo``, read with ``git`` (one ``cat-file --batch`` for every file)."""

    repo: Path
    ref: str
    folder: str = "results"
    _blobs: dict[str, bytes] = field(default_factory=dict)

    def _load(self) -> None:
        if self._blobs:
            return
        listing = _git(self.repo, "ls-tree", "-r", "-z", f"{self.ref}:{self.folder}")
        entries = []
        for item in listing.split(b"\0"):
            if not item:
                continue
            meta, path = item.split(b"\t", 1)
            _, kind, sha = meta.split()
            if kind == b"blob" and is_store_file(path.decode()):
                entries.append((path.decode(), sha.decode()))
        if not entries:
            return
        request = "".join(f"{sha}\n" for _, sha in entries).encode()
        out = subprocess.run(["git", "-C", str(self.repo), "cat-file", "--batch"],
                             input=request, capture_output=True, check=True).stdout
        position = 0
        for blob_name, _ in entries:
            header_end = out.index(b"\n", position)
            size = int(out[position:header_end].split()[2])
            start = header_end + 1
            self._blobs[blob_name] = out[start:start + size]
            position = start + size + 1

    def names(self) -> list[str]:
        self._load()
        return sorted(self._blobs)

    def read(self, name: str) -> bytes:
        self._load()
        return self._blobs[name]

    def where(self, name: str) -> Path:
        return Path(f"{self.ref}:{self.folder}/{name}")


def _git(repo: Path, *args: str) -> bytes:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                              check=True).stdout
    except FileNotFoundError:
        raise MatrixError("git is not installed: results in a git ref cannot be read") from None
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode(errors="replace").strip().splitlines()
        raise MatrixError(f"git {' '.join(args)}: {message[-1] if message else exc}") from None


def resolve_commit(repo: Path, ref: str) -> str | None:
    """The commit ``ref`` names in the repository at ``repo``, or ``None``."""
    try:
        result = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet",
                                 f"{ref}^{{commit}}"], capture_output=True, text=True)
    except FileNotFoundError:
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


@dataclass(frozen=True)
class StoredStatus:
    """What a run asks of a stored record before measuring (is it held as a fact? by which
    measurement?), read without building the record."""

    outcome: Outcome
    cause: Cause
    decided_by: str | None

    @property
    def provisional(self) -> bool:
        return is_provisional_result(self.outcome, self.cause)

    @classmethod
    def of(cls, record: Record) -> StoredStatus:
        return cls(record.outcome, record.cause, record.provenance.get("decided_by"))


@functools.lru_cache(maxsize=1024)
def _status(outcome: str, cause: str | None, decided_by: str | None) -> StoredStatus:
    """One :class:`StoredStatus` per distinct (outcome, cause, decided_by): a few dozen."""
    found = Outcome(outcome)
    return StoredStatus(found, cause_of(found, cause), decided_by)


@dataclass
class StoreContents:
    """Everything a store holds, read: rows (latest line per key), facts by id."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    shared: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Shared values by id: ``{kind: value}``."""
    legacy: dict[str, Record] = field(default_factory=dict)
    """Whole records of a layout-1 file (``records.jsonl`` at the top): read as they are."""
    where: dict[str, tuple[Path, int]] = field(default_factory=dict)
    """Where each row was read (errors name file:line)."""
    baseline: dict[str, str] = field(default_factory=dict)
    """The publication this state is compared against (``store.json``)."""
    _merged: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    _behaviours: dict[int, tuple[object, Behaviour]] = field(default_factory=dict, repr=False)
    """Parsed behaviours by the id of their stored value (records share them), kept with that
    value (so an id is never reused while it is here)."""

    def record(self, key: str) -> Record:
        """The record stored under ``key`` (raises ``KeyError``; a row naming facts that are
        not stored raises ``ResultsFileError`` naming its file and line)."""
        row = self.rows.get(key)
        if row is None:
            return self.legacy[key]
        try:
            data = join_record(row, self.cells, self.classes, self.shared)
            stored = data["behaviour"]
            held, behaviour = self._behaviours.get(id(stored), (None, None))
            if held is not stored or behaviour is None:
                behaviour = Behaviour.from_json(stored)
                self._behaviours[id(stored)] = (stored, behaviour)
            return Record.from_json(data, behaviour)
        except (KeyError, ValueError, TypeError) as exc:
            path, line = self.where.get(key, (Path("?"), 0))
            raise ResultsFileError(path, line, f"not a valid record: {exc}") from None

    def keys(self) -> list[str]:
        return list({**dict.fromkeys(self.legacy), **dict.fromkeys(self.rows)})

    def status(self, key: str) -> StoredStatus:
        """:class:`StoredStatus` of the record under ``key`` (raises ``KeyError``)."""
        row = self.rows.get(key)
        if row is None:
            return StoredStatus.of(self.legacy[key])
        try:
            shared = self.cells[row["cell"]]["provenance"]
            own = row.get("provenance") or {}
            return _status(row["outcome"], own.get("cause", shared.get("cause")),
                           shared.get("decided_by"))
        except (KeyError, ValueError, TypeError):
            return StoredStatus.of(self.record(key))  # raises naming file:line

    def identity(self, key: str) -> Identity:
        """:func:`identity_of` the record under ``key``, read without building it."""
        row = self.rows.get(key)
        if row is None:
            return identity_of(self.legacy[key])
        try:
            facts = self.cells[row["cell"]]
            shared = self._cell_provenance(row["cell"])
            own = row.get("provenance") or {}
            provenance = {**shared, **own} if own.keys() & _IDENTITY_PROVENANCE else shared
            return Identity.stored(row["case_id"], facts["cell_id"], row["case_hash"],
                                   provenance)
        except (KeyError, TypeError, ValueError):
            return identity_of(self.record(key))

    def _cell_provenance(self, cell: str) -> dict[str, Any]:
        """A cell's provenance with its environment (not its generation entries), made once
        per cell."""
        made = self._merged.get(cell)
        if made is None:
            facts = self.cells[cell]
            made = dict(facts["provenance"])
            if "environment" in facts:
                made.update(_lookup(self.shared, facts["environment"], "environment",
                                    SHARED_FILE))
            self._merged[cell] = made
        return made


def _entry(kind: str, payload: str) -> Any:
    def parse(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        value = data[payload]
        if not isinstance(value, dict):
            raise ValueError(f"{payload} is not an object")
        return str(data["id"]), value
    parse.__name__ = f"parse_{kind}"
    return parse


def _one_of(kinds: tuple[str, ...]) -> Any:
    def parse(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        named = [kind for kind in kinds if kind in data]
        if len(named) != 1:
            raise ValueError(f"an entry names one of {', '.join(kinds)}")
        return str(data["id"]), {named[0]: data[named[0]]}
    return parse


def read_records(files: StoreFiles, *, warn: bool = True) -> list[Record]:
    """Every record of a store (latest per key, stable order), built shard by shard so a
    shard's parsed rows are dropped before the next is read (what a reader such as the report
    needs: half the peak memory of :func:`read_store` and its records)."""
    contents = read_store(files, warn=warn, rows=False)
    found: dict[str, Record] = dict(contents.legacy)
    for shard in _shards(files.names()):
        part = read_store(files, warn=warn, only=shard, facts=contents)
        for key in part.rows:
            found[key] = part.record(key)
    return sorted(found.values(), key=lambda r: (r.case_id, r.cell_id, r.key))


def _shards(names: list[str]) -> list[str]:
    return sorted({name.split("/")[0] for name in names if name.count("/") == 1})


def read_store(files: StoreFiles, *, warn: bool = True, rows: bool = True,
               only: str | None = None, facts: StoreContents | None = None) -> StoreContents:
    """Read a store folder (layout 2, or a layout-1 ``records.jsonl``, or both while one is
    being migrated).  A half-written last line is skipped with a warning; any other bad line
    raises ``ResultsFileError`` naming file:line; a ``store.json`` of another layout raises
    :class:`StoreFormatError`."""
    names = files.names()
    contents = StoreContents()
    if facts is not None:  # the facts of the whole store are read: this shard's rows only
        contents.cells, contents.classes = facts.cells, facts.classes
        contents.shared = facts.shared
        names = [name for name in names if name == f"{only}/{RECORDS_FILE}"]
    if STORE_FILE in names:
        where = files.where(STORE_FILE)
        try:
            manifest = json.loads(files.read(STORE_FILE))
        except ValueError as exc:
            raise ResultsFileError(where, 1, f"not valid JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("layout") != LAYOUT_VERSION:
            found = manifest.get("layout") if isinstance(manifest, dict) else manifest
            raise StoreFormatError(f"{where}: layout {found!r}; this code reads layout"
                                   f" {LAYOUT_VERSION}")
        columns = manifest.get("columns", list(ROW_COLUMNS))
        if columns != list(ROW_COLUMNS):
            raise StoreFormatError(f"{where}: columns {columns}; layout {LAYOUT_VERSION}'s rows"
                                   f" are {list(ROW_COLUMNS)}")
        contents.baseline = {str(k): str(v) for k, v in (manifest.get("baseline") or {}).items()}
    if LEGACY_RECORDS_FILE in names:
        for record in parse_lines(files.read(LEGACY_RECORDS_FILE),
                                  files.where(LEGACY_RECORDS_FILE), Record.from_json, warn=warn):
            contents.legacy[record.key] = record
    if CLASSES_FILE in names:
        contents.classes.update(parse_lines(files.read(CLASSES_FILE), files.where(CLASSES_FILE),
                                            _one_of(GENERATION_ENTRIES), warn=warn))
    if SHARED_FILE in names:
        contents.shared.update(parse_lines(files.read(SHARED_FILE), files.where(SHARED_FILE),
                                           _one_of(SHARED_KINDS), warn=warn))
    shards = _shards(names)
    for shard in shards:
        name = f"{shard}/{CELLS_FILE}"
        if name in names:
            contents.cells.update(parse_lines(files.read(name), files.where(name),
                                              _entry("cell", "facts"), warn=warn))
    for shard in shards if rows else ():
        name = f"{shard}/{RECORDS_FILE}"
        if name not in names:
            continue
        path = files.where(name)
        lines = parse_lines(files.read(name), path, lambda values: values, warn=warn,
                            shape=list)
        for number, values in enumerate(lines, start=1):
            try:
                row = decode_row(values, contents.shared)
            except ValueError as exc:
                raise ResultsFileError(path, number, f"not a valid record: {exc}") from None
            if row["cell"] not in contents.cells:
                raise ResultsFileError(path, number, f"not a valid record: names cell facts"
                                       f" {row['cell']!r}, which {shard}/{CELLS_FILE} does"
                                       " not hold")
            contents.rows[row["key"]] = row
            contents.where[row["key"]] = (path, number)
    return contents


def read_archive(path: Path) -> list[Record]:
    """Every record of an archive (``.jsonl.gz``, whole records, one per line) or of a
    layout-1 ``.jsonl`` file."""
    raw = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return parse_lines(raw, path, Record.from_json, warn=True)


def latest(records: Iterable[Record]) -> list[Record]:
    """The latest record per key (later ones replace earlier ones), in the stable order."""
    by_key = {record.key: record for record in records}
    return sorted(by_key.values(), key=lambda r: (r.case_id, r.cell_id, r.key))


PUBLISHED_FOLDER = "results"
"""Where a commit's tree holds its store: a git ref (a publication's tag) names that."""


def repository_for(results: Path) -> Path | None:
    """The git work tree a ref is read from: the one holding ``results``, else the one of the
    current folder; ``None`` if neither is in one (or git is missing)."""
    for probe in (results, Path.cwd()):
        while not probe.is_dir() and probe != probe.parent:
            probe = probe.parent
        try:
            done = subprocess.run(["git", "-C", str(probe), "rev-parse", "--show-toplevel"],
                                  capture_output=True, text=True)
        except FileNotFoundError:
            return None
        if done.returncode == 0:
            return Path(done.stdout.strip())
    return None


def git_store(repo: Path, ref: str) -> GitFiles:
    """The store ``ref`` published (its tree's ``results/``); ``MatrixError`` if its tree
    has none."""
    if subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{ref}:{PUBLISHED_FOLDER}"],
                      capture_output=True).returncode != 0:
        raise MatrixError(f"{ref}: its tree holds no {PUBLISHED_FOLDER}/ folder (not a"
                          " publication of this repository)")
    return GitFiles(repo, ref, PUBLISHED_FOLDER)


def load_results(spec: Path | str, results: Path) -> list[Record]:
    """The records of a results store wherever it is (latest per key, stable order):

    * a folder: a store (layout 2; or a layout-1 ``records.jsonl`` in it);
    * a file: an archive (``.jsonl.gz``) or a layout-1 records file (``.jsonl``);
    * otherwise a git ref (tag, branch, commit) of the repository holding ``results`` (else of
      the current folder): the ``results/`` of that commit (a publication's tag holds the
      results it published).

    Raises ``ResultsFileError`` (file:line) for a corrupt file and ``MatrixError`` for a spec
    that names nothing."""
    path = Path(spec)
    if path.is_dir():
        return read_records(FolderFiles(path))
    if path.is_file():
        return latest(read_archive(path))
    repo = repository_for(results)
    if repo is not None and resolve_commit(repo, str(spec)) is not None:
        return read_records(git_store(repo, str(spec)))
    where = f"a git ref of {repo}" if repo is not None else (
        "a git ref (no git work tree holds it or the current folder)")
    raise MatrixError(f"{spec}: no such results folder or file, nor {where}")


def named_baseline(results: Path) -> tuple[str, list[Record]] | None:
    """The baseline ``results/store.json`` names (the previous publication: its tag, else its
    commit), read from git: ``(ref, records)``; ``None`` if it names none.  A named baseline
    this clone lacks is an error saying what to fetch."""
    manifest = results / STORE_FILE
    if not manifest.is_file():
        return None
    try:
        named = json.loads(manifest.read_text(encoding="utf-8")).get("baseline") or {}
    except (ValueError, AttributeError) as exc:
        raise ResultsFileError(manifest, 1, f"not a store manifest ({exc})") from None
    if not named:
        return None
    repo = repository_for(results)
    if repo is None:
        raise MatrixError(
            f"{manifest}: names the baseline {named.get('tag') or named.get('commit')}, a git"
            " ref, but no git work tree holds this store or the current folder: pass"
            " --baseline PATH (a store, an archive) or --no-baseline")
    for ref in (named.get("tag"), named.get("commit")):
        if ref and resolve_commit(repo, str(ref)) is not None:
            return str(ref), read_records(git_store(repo, str(ref)))
    raise MatrixError(
        f"{manifest}: the baseline it names (tag {named.get('tag')}, commit"
        f" {named.get('commit')}) is not in {repo}: fetch it (`git fetch origin tag"
        f" {named.get('tag')}`), or pass --baseline PATH|REF or --no-baseline")
