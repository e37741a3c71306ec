#!/usr/bin/env bash
# .ci/history_blobs.sh [LIMIT_BYTES] [REPO_DIR]: before publishing the repository on GitHub
# (docs/internals.md, "Publishing this repository on GitHub").
# Lists every blob reachable from any ref (branches, tags, remotes: git rev-list --all)
# that is bigger than LIMIT_BYTES (default 52428800 = 50 MiB, GitHub's warning size;
# GitHub rejects blobs over 104857600 = 100 MiB), largest first, as
#   SIZE_BYTES  SIZE_MiB  BLOB_ID  PATH
# Exit 0: none; 1: some; 2: usage or git error.
set -euo pipefail
limit=${1:-52428800}
dir=${2:-.}
case $limit in ''|*[!0-9]*) echo "usage: $0 [LIMIT_BYTES] [REPO_DIR]" >&2; exit 2;; esac
git -C "$dir" rev-parse --git-dir >/dev/null 2>&1 || { echo "$dir: not a git repository" >&2; exit 2; }

big=$(git -C "$dir" rev-list --objects --all |
  git -C "$dir" cat-file --batch-check='%(objecttype) %(objectsize) %(objectname) %(rest)' |
  awk -v lim="$limit" '$1 == "blob" && $2 + 0 > lim + 0 {
      path = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ ?/, "", path)
      printf "%s\t%.1f MiB\t%s\t%s\n", $2, $2 / 1048576, $3, path }' |
  sort -t "$(printf '\t')" -k1,1nr)

if [ -n "$big" ]; then
  n=$(printf '%s\n' "$big" | wc -l)
  echo "$n blob(s) over $limit bytes reachable from refs of $(cd "$dir" && pwd):"
  printf '%s\n' "$big"
  exit 1
fi
echo "no blob over $limit bytes reachable from any ref"
exit 0
