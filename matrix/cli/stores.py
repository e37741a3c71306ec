"""The store's commands: ``merge``, ``compact``, ``restore``, ``publish``, ``migrate`` and
``snapshot`` (the package index's committed snapshot)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from matrix.cli.options import layout_from
from matrix.model.cases import load_cases
from matrix.model.checks import CHECKS_FILE
from matrix.model.errors import MatrixError
from matrix.model.storeformat import (
    ARCHIVE_SUFFIX,
    LEGACY_RECORDS_FILE,
    STORE_FILE,
    load_results,
    repository_for,
    resolve_commit,
)
from matrix.plan.index import write_snapshot
from matrix.plan.shard import merge_stores
from matrix.store.checklog import CheckLog
from matrix.store.compaction import Compaction, compact, read_log_archive, restore, restore_log
from matrix.store.migrate import migrate_file
from matrix.store.paths import Layout
from matrix.store.results import ResultStore


def cmd_merge(args: argparse.Namespace) -> int:
    count = merge_stores([Path(p) for p in args.inputs], Path(args.output))
    print(f"merged {len(args.inputs)} inputs: {count} records -> {args.output}", file=sys.stderr)
    return 0


def _archive_path(args: argparse.Namespace, layout: Layout) -> Path:
    if args.archive:
        return Path(args.archive)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return layout.cache / "archive" / f"superseded-{stamp}{ARCHIVE_SUFFIX}"


def _compact(args: argparse.Namespace, layout: Layout) -> Compaction:
    cases = {case.id: case.content_hash for case in load_cases(layout.cases)}
    store = ResultStore.in_directory(layout.results)
    return compact(store, cases, CheckLog(layout.results / CHECKS_FILE),
                   _archive_path(args, layout))


def _has_store(results: Path) -> bool:
    return (results / STORE_FILE).exists() or (results / LEGACY_RECORDS_FILE).exists()


def cmd_compact(args: argparse.Namespace) -> int:
    layout = layout_from(args)
    if not _has_store(layout.results):
        raise MatrixError(f"{layout.results}: no results store to compact")
    print(_compact(args, layout).text(), file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    layout = layout_from(args)
    store = ResultStore.in_directory(layout.results)
    total = 0
    for source in args.sources:
        if str(source).endswith(f".rechecks{ARCHIVE_SUFFIX}"):
            log = CheckLog(layout.results / CHECKS_FILE)
            count = restore_log(log, read_log_archive(Path(source)))
            print(f"{source}: {count} re-measurements restored -> {log.path}", file=sys.stderr)
            continue
        count = restore(store, load_results(source, layout.results))
        print(f"{source}: {count} records restored", file=sys.stderr)
        total += count
    print(f"{total} records restored -> {store.path}", file=sys.stderr)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """The scheduled job's publication step, as one command the tests run too: the baseline is
    resolved first (a bad tag changes nothing), then the deltas are merged and the store
    compacted."""
    layout = layout_from(args)
    tag = args.baseline_tag
    if tag == "auto":
        tag = last_publication(layout.results, args.tag_prefix)
    commit = None
    if tag:
        repo = repository_for(layout.results)
        commit = resolve_commit(repo, tag) if repo is not None else None
        if commit is None:
            raise MatrixError(f"--baseline-tag {tag}: no such tag in this clone")
    deltas = [Path(d) for d in args.deltas]
    inputs = [layout.results, *deltas] if _has_store(layout.results) else deltas
    if inputs:
        count = merge_stores(inputs, layout.results)
        print(f"merged {len(deltas)} shard stores into {layout.results}: {count} records",
              file=sys.stderr)
    print(_compact(args, layout).text(), file=sys.stderr)
    if tag and commit:
        ResultStore.in_directory(layout.results).set_baseline(tag, commit)
        print(f"baseline: {tag} ({commit[:12]})", file=sys.stderr)
    else:
        print("baseline: none (no earlier publication)", file=sys.stderr)
    return 0


def last_publication(results: Path, prefix: str) -> str | None:
    """The newest publication tag (``<prefix>YYYY-MM-DD...``, newest by name) of the
    repository holding ``results``; ``None`` if there is none."""
    repo = repository_for(results)
    if repo is None:
        return None
    out = subprocess.run(["git", "-C", str(repo), "tag", "--list", f"{prefix}*",
                          "--sort=-v:refname"], capture_output=True, text=True)
    tags = out.stdout.split()
    return tags[0] if out.returncode == 0 and tags else None


def cmd_migrate(args: argparse.Namespace) -> int:
    layout = Layout.default()
    cases = {case.id: case for case in load_cases(layout.cases)}
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise MatrixError(f"{path}: no such results file")
        result = migrate_file(path, cases)
        kept = ", ".join(f"{n} {why}" for why, n in sorted(result.kept.items())) or "none"
        print(f"{path}: {result.migrated} migrated, {result.current} already current,"
              f" kept as they were: {kept}", file=sys.stderr)
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    write_snapshot()
    print("wrote matrix/data/index-snapshot.json", file=sys.stderr)
    return 0
