"""The results store: a folder of JSON-lines files, sharded per Python, with the facts a cell's
records share stored once (the format: :mod:`matrix.model.storeformat`).

* Appends are whole lines, each file's batch written with one ``write`` and fsynced, facts
  before the records that name them; a run killed with SIGKILL leaves at most one half-written
  last line per file: loading reports it (and appending repairs it) without losing any finished
  record.
* Several processes may share one store (parallel nox sessions, bisect beside a run): appends
  and tidying hold the store's lock file (``store.lock``), and tidying re-reads the files, so no
  process drops what another one appended.  Reading takes no lock.
* Any other unreadable line is an error naming the file and line: nothing is silently dropped.
* Later records for the same content key replace earlier ones (a re-run replaces a result).
* :meth:`ResultStore.tidy` rewrites each shard sorted, one line per key and only the facts its
  records name; :func:`matrix.store.compaction.compact` moves superseded records out (into an
  archive) so that the folder holds the current state only.

A path ending in ``.jsonl`` is a layout-1 file (every record whole, one file): still read,
written and tidied as such (test fixtures, and files given to ``merge``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from matrix.model.errors import MatrixError
from matrix.model.jsonlines import read_lines
from matrix.model.measurement import Identity, identity_of
from matrix.model.records import Record
from matrix.model.storeformat import (
    CELLS_FILE,
    CLASSES_FILE,
    LAYOUT_VERSION,
    LEGACY_RECORDS_FILE,
    RECORDS_FILE,
    ROW_COLUMNS,
    SHARED_FILE,
    STORE_FILE,
    FolderFiles,
    StoreContents,
    StoredStatus,
    canonical,
    encode_row,
    read_store,
    split_record,
)

LOCK_FILE = "store.lock"


class ResultStore:
    """Records keyed by content key: a layout-2 folder, or a layout-1 ``.jsonl`` file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.single_file = path.suffix == ".jsonl" or path.is_file()
        self._records: dict[str, Record] = {}
        self._contents = StoreContents()
        if self.single_file:
            if path.exists():
                self._records = _read_file(path, warn=True)
        else:
            self._contents = read_store(FolderFiles(path))

    @classmethod
    def in_directory(cls, directory: Path) -> ResultStore:
        """The store in ``directory`` (layout 2; a layout-1 ``records.jsonl`` there is read
        too, until ``tidy`` or ``compact`` rewrites it into the folder's layout).  A
        ``directory`` that is a file is an error at once (before anything is measured into
        it)."""
        if directory.exists() and not directory.is_dir():
            raise MatrixError(f"{directory}: a file, not a results folder (the store is a folder;"
                              " `python -m matrix compact` rewrites a layout-1 records file into"
                              " one)")
        return cls(directory)

    # -- reading -------------------------------------------------------------------------

    def __contains__(self, key: str) -> bool:
        return key in self._records or key in self._contents.rows or key in self._contents.legacy

    def __len__(self) -> int:
        return len(self.keys())

    def keys(self) -> list[str]:
        return self._own_keys()

    def get(self, key: str) -> Record | None:
        return self._own_get(key)

    def status(self, key: str) -> StoredStatus | None:
        """What a run needs to know of the record under ``key`` (cheaper than :meth:`get`);
        ``None`` if the store lacks it."""
        return self._own_status(key)

    def fact_identities(self) -> set[Identity]:
        """The identities (:func:`matrix.model.measurement.identity_of`) of every record held as a
        fact (not provisional), read without building the records."""
        found = set()
        for key in self._own_keys():
            status = self._own_status(key)
            if status is None or status.provisional:
                continue
            record = self._records.get(key)
            found.add(identity_of(record) if record is not None
                      else self._contents.identity(key))
        return found

    def records(self) -> list[Record]:
        """Current records (latest per key), in a stable order."""
        return self._own_records()

    # What the store itself holds (a layered store adds what others hold to the above).

    def _own_keys(self) -> list[str]:
        return list({**dict.fromkeys(self._contents.keys()), **dict.fromkeys(self._records)})

    def _own_get(self, key: str) -> Record | None:
        record = self._records.get(key)
        if record is not None or not ResultStore.__contains__(self, key):
            return record
        record = self._contents.record(key)
        self._records[key] = record
        return record

    def _own_status(self, key: str) -> StoredStatus | None:
        record = self._records.get(key)
        if record is not None:
            return StoredStatus.of(record)
        if key in self._contents.rows or key in self._contents.legacy:
            return self._contents.status(key)
        return None

    def _own_records(self) -> list[Record]:
        found = [self._own_get(key) for key in self._own_keys()]
        return sorted((r for r in found if r is not None),
                      key=lambda r: (r.case_id, r.cell_id, r.key))

    @property
    def baseline(self) -> dict[str, str]:
        """The publication this state is compared against (``store.json``): ``tag``,
        ``commit``; empty if none is named."""
        return dict(self._contents.baseline)

    # -- writing -------------------------------------------------------------------------

    def append(self, records: Iterable[Record]) -> None:
        """Durably add records: one line each, flushed and fsynced (facts first)."""
        batch = list(records)
        if not batch:
            return
        if self.single_file:
            append_lines(self.path, [record.to_line() for record in batch])
        else:
            self._append_split(batch)
        for record in batch:
            self._records[record.key] = record

    def _append_split(self, batch: Sequence[Record]) -> None:
        parts = [split_record(record) for record in batch]
        with self._locked():
            # What is on disk now (another process may have tidied facts away): facts are
            # written unless the file holds them, always before the rows that name them.
            self._ensure_manifest()
            held_classes = _ids(self.path / CLASSES_FILE)
            classes = {cid: canonical({"id": cid, entry: value}) for p in parts
                       for cid, (entry, value) in p.generation.items() if cid not in held_classes}
            append_lines(self.path / CLASSES_FILE, list(classes.values()), lock=False)
            rows = [encode_row(p.row) for p in parts]
            held_shared = _ids(self.path / SHARED_FILE)
            named = [found for _, found in rows] + [p.shared for p in parts]
            shared = {sid: canonical({"id": sid, kind: value}) for found in named
                      for sid, (kind, value) in found.items() if sid not in held_shared}
            append_lines(self.path / SHARED_FILE, list(shared.values()), lock=False)
            stored = {id(p): canonical(values) for p, (values, _) in zip(parts, rows)}
            for shard in sorted({p.shard for p in parts}):
                mine = [p for p in parts if p.shard == shard]
                held = _ids(self.path / shard / CELLS_FILE)
                cells = {p.cell_id: canonical({"id": p.cell_id, "facts": p.cell})
                         for p in mine if p.cell_id not in held}
                append_lines(self.path / shard / CELLS_FILE, list(cells.values()), lock=False)
                append_lines(self.path / shard / RECORDS_FILE,
                             [stored[id(p)] for p in mine], lock=False)
        for part, (_, found) in zip(parts, rows):
            self._contents.cells.setdefault(part.cell_id, part.cell)
            for cid, (entry, value) in part.generation.items():
                self._contents.classes.setdefault(cid, {entry: value})
            for sid, (kind, value) in (*found.items(), *part.shared.items()):
                self._contents.shared.setdefault(sid, {kind: value})

    def _ensure_manifest(self) -> None:
        manifest = self.path / STORE_FILE
        if not manifest.exists():
            self.path.mkdir(parents=True, exist_ok=True)
            write_atomic(manifest, json.dumps({"columns": list(ROW_COLUMNS),
                                               "layout": LAYOUT_VERSION}, indent=1) + "\n")

    def set_baseline(self, tag: str, commit: str) -> None:
        """Name the publication this state is compared against (``store.json``)."""
        with self._locked():
            self._ensure_manifest()
            manifest = self.path / STORE_FILE
            data = json.loads(manifest.read_text())
            data["baseline"] = {"commit": commit, "tag": tag}
            write_atomic(manifest, json.dumps(data, indent=1, sort_keys=True) + "\n")
            self._contents.baseline = dict(data["baseline"])

    def tidy(self) -> None:
        """Rewrite the store with one line per key, sorted, each shard holding only the facts
        its records name, including what other processes appended meanwhile (each file
        replaced atomically; a layout-1 ``records.jsonl`` in the folder is carried over into
        the shards and removed)."""
        with self._locked():
            self._reread()
            self._rewrite(self._own_records())

    def replace_all(self, records: Sequence[Record]) -> None:
        """Make ``records`` the store's whole content (under the lock; files replaced
        atomically, records first)."""
        with self._locked():
            self._rewrite(records)

    def rewrite_with(self, choose: Callable[[list[Record]], Sequence[Record]]) -> None:
        """Under the lock: re-read every record (what other processes appended included),
        let ``choose`` pick what stays, and rewrite the store with it."""
        with self._locked():
            self._reread()
            self._rewrite(choose(self._own_records()))

    def _reread(self) -> None:
        if self.single_file:
            if self.path.exists():
                self._records.update(_read_file(self.path, warn=False))
            return
        on_disk = read_store(FolderFiles(self.path), warn=False)
        for key in on_disk.keys():
            self._records[key] = on_disk.record(key)
        self._contents.baseline = on_disk.baseline or self._contents.baseline

    def _rewrite(self, records: Sequence[Record]) -> None:
        ordered = sorted({r.key: r for r in records}.values(),
                         key=lambda r: (r.case_id, r.cell_id, r.key))
        if self.single_file:
            write_atomic(self.path, "".join(r.to_line() + "\n" for r in ordered))
            self._records = {r.key: r for r in ordered}
            return
        self._ensure_manifest()
        write_layout(self.path, ordered)
        # Every record is in memory already: the files are not read back.
        self._records = {r.key: r for r in ordered}
        self._contents = StoreContents(baseline=self._contents.baseline)

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        if self.single_file:
            return locked(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        return locked(self.path / LOCK_FILE, lock_file=self.path / LOCK_FILE)


class LayeredStore(ResultStore):
    """A store that also counts what read-only stores hold as held: a CI shard measures into
    an empty folder and uploads only what it measured, reading the committed store to skip
    what is published.  Writes go to the store; reads see the store first, then ``held``."""

    def __init__(self, path: Path, held: Sequence[ResultStore]) -> None:
        super().__init__(path)
        self.held = list(held)

    def __contains__(self, key: str) -> bool:
        return super().__contains__(key) or any(key in store for store in self.held)

    def get(self, key: str) -> Record | None:
        own = super().get(key)
        if own is not None:
            return own
        return next((r for r in (s.get(key) for s in self.held) if r is not None), None)

    def status(self, key: str) -> StoredStatus | None:
        own = super().status(key)
        if own is not None:
            return own
        return next((s for s in (h.status(key) for h in self.held) if s is not None), None)

    def fact_identities(self) -> set[Identity]:
        found = super().fact_identities()
        for store in self.held:
            found |= store.fact_identities()
        return found

    def keys(self) -> list[str]:
        every = dict.fromkeys(k for store in self.held for k in store.keys())
        every.update(dict.fromkeys(self._own_keys()))
        return list(every)

    def records(self) -> list[Record]:
        """What the store and the held stores hold (the store's record of a key first)."""
        found = [self.get(key) for key in self.keys()]
        return sorted((r for r in found if r is not None),
                      key=lambda r: (r.case_id, r.cell_id, r.key))


def layout_texts(records: Sequence[Record]) -> dict[str, str]:
    """The files of a layout-2 store holding exactly ``records`` (relative path -> text):
    sorted lines, each shard's facts only those its records name."""
    classes: dict[str, str] = {}
    shared: dict[str, str] = {}
    cells: dict[str, dict[str, str]] = defaultdict(dict)
    rows: dict[str, list[tuple[tuple[str, str, str], str]]] = defaultdict(list)
    for record in records:
        part = split_record(record)
        for cid, (entry, value) in part.generation.items():
            classes.setdefault(cid, canonical({"id": cid, entry: value}))
        cells[part.shard][part.cell_id] = canonical({"id": part.cell_id, "facts": part.cell})
        values, found = encode_row(part.row)
        for sid, (kind, value) in (*found.items(), *part.shared.items()):
            if sid not in shared:
                shared[sid] = canonical({"id": sid, kind: value})
        rows[part.shard].append(((record.case_id, record.cell_id, record.key),
                                 canonical(values)))
    texts = {CLASSES_FILE: "".join(line + "\n" for _, line in sorted(classes.items())),
             SHARED_FILE: "".join(line + "\n" for _, line in sorted(shared.items()))}
    for shard in sorted(rows):
        texts[f"{shard}/{RECORDS_FILE}"] = "".join(
            line + "\n" for _, line in sorted(rows[shard]))
        texts[f"{shard}/{CELLS_FILE}"] = "".join(
            line + "\n" for _, line in sorted(cells[shard].items()))
    return texts


def write_layout(folder: Path, records: Sequence[Record]) -> None:
    """Replace the store files in ``folder`` with ``records``, so that a reader (who reads the
    facts, then the records) never meets a row without its facts: facts files first gain the
    new entries (old and new together), then the records files are replaced, then the facts
    files lose what no record names.  A file whose text is unchanged is not touched; shards
    without records and a layout-1 file go."""
    texts = layout_texts(records)
    existing = {p.relative_to(folder).as_posix() for pattern in ("*/" + RECORDS_FILE,
                                                                  "*/" + CELLS_FILE)
                for p in folder.glob(pattern)}
    facts = [name for name in texts if not name.endswith(RECORDS_FILE)]
    for name in facts:  # 1: the union of old and new facts
        path = folder / name
        if path.exists():
            held = path.read_text(encoding="utf-8").splitlines(keepends=True)
            known = set(held)
            new = [line for line in texts[name].splitlines(keepends=True) if line not in known]
            if new:
                write_atomic(path, "".join(held + new))
    for name in sorted(set(texts) - set(facts)) + facts:  # 2: records; 3: facts, exactly
        path = folder / name
        if not (path.exists() and path.read_text(encoding="utf-8") == texts[name]):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, texts[name])
    for name in sorted(existing - set(texts), key=lambda n: not n.endswith(RECORDS_FILE)):
        (folder / name).unlink()
    for shard in {name.split("/")[0] for name in existing - set(texts)}:
        with contextlib.suppress(OSError):
            (folder / shard).rmdir()
    legacy = folder / LEGACY_RECORDS_FILE
    if legacy.exists():
        legacy.unlink()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsynced, then
    renamed over it: a reader sees the old file or the new one, never a part.  Where it cannot
    (a full disk, a read-only folder), :class:`StoreWriteError`, the file as it was and no
    temporary file left."""
    data = text.encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    held = path.stat().st_size if path.exists() else 0
    require_space(path.parent, len(data) - held if len(data) > held else 0, path)
    try:
        write_synced(tmp, data, os.O_CREAT | os.O_TRUNC)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StoreWriteError(path, exc) from None


def write_synced(path: Path, data: bytes, flags: int) -> None:
    """Open ``path`` for writing with ``flags`` (``os.O_APPEND``, ``os.O_EXCL``...), write all
    of ``data`` and fsync it: the one way every store file is written (raises ``OSError``)."""
    fd = os.open(path, os.O_WRONLY | flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


SPACE_MARGIN = 64 * 1024
"""Bytes left free beyond what a write needs (the file system's own blocks and metadata)."""


def require_space(folder: Path, needed: int, path: Path) -> None:
    """:class:`StoreWriteError` naming ``path`` unless ``folder``'s file system has ``needed``
    bytes free and :data:`SPACE_MARGIN` more: checked before writing, so that a write that
    cannot fit is not begun."""
    try:
        free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
    except OSError:
        return  # cannot tell: the write itself will say
    if needed and free < needed + SPACE_MARGIN:
        raise StoreWriteError(path, OSError(errno.ENOSPC, f"no space left: {needed} bytes to"
                                            f" write, {free} free"))


class StoreWriteError(MatrixError):
    """A store file could not be written (a full disk, a read-only folder); the file is as it
    was before the write."""

    def __init__(self, path: Path, cause: OSError) -> None:
        self.path = path
        super().__init__(f"{path}: cannot write ({cause.strerror or cause}); the file is as it"
                         " was before this write, nothing stored is lost (free space, or"
                         " choose another --results, and run again: what is stored is"
                         " not measured again)")


@contextlib.contextmanager
def locked(path: Path, *, lock_file: Path | None = None) -> Iterator[None]:
    """Hold the lock file beside ``path`` (``<name>.lock``, or ``lock_file``): one writer at a
    time."""
    lock = lock_file or path.with_name(path.name + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock, "w")  # noqa: SIM115 - held open for the whole block
    except OSError as exc:  # a read-only folder: no writer can work there
        raise StoreWriteError(lock, exc) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def append_lines(path: Path, lines: Sequence[str], *, lock: bool = True) -> None:
    """Durably append whole lines (one ``write``, fsynced), first cutting a line an
    interrupted writer left unfinished; under the file's lock unless the caller holds the
    store's (``lock=False``)."""
    if not lines:
        return
    payload = "".join(line + "\n" for line in lines).encode()
    with locked(path) if lock else contextlib.nullcontext():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _drop_half_written_line(path)
        except OSError as exc:
            raise StoreWriteError(path, exc) from None
        require_space(path.parent, len(payload), path)
        held = path.stat().st_size if path.exists() else 0
        try:
            write_synced(path, payload, os.O_APPEND | os.O_CREAT)
        except OSError as exc:  # a part may have been written: cut it
            with contextlib.suppress(OSError):
                os.truncate(path, held)
            raise StoreWriteError(path, exc) from None


def _drop_half_written_line(path: Path) -> None:
    """Cut a line an interrupted writer left unfinished (the lock is held: no writer is)."""
    if not path.exists():
        return
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        handle.seek(0)
        data = handle.read()
        handle.truncate(data.rfind(b"\n") + 1)


def _ids(path: Path) -> set[str]:
    """The ids of the complete facts lines of a facts file (a half-written last line is not
    one: it is cut before the next append)."""
    if not path.exists():
        return set()
    found = set()
    for line in path.read_bytes().split(b"\n"):
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                found.add(entry["id"])
    return found


def _read_file(path: Path, *, warn: bool) -> dict[str, Record]:
    return {record.key: record for record in read_lines(path, _parse_record, warn=warn)}


def _parse_record(data: dict[str, Any]) -> Record:
    return Record.from_json(data)
