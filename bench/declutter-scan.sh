#!/usr/bin/env bash
# Benchmark: `declutter scan` against `fclones group` on a generated tree, plus cold vs warm
# rescans. Parameterised through the environment:
#   FILES=100000     number of files to generate
#   AVG_KIB=32       mean file size in KiB (100k x 32 KiB ~ 3 GiB)
#   DUP_PCT=20       percentage of files that are copies of another file
#   WORK=/tmp/declutter-bench   where the tree and databases go (kept between runs)
#   KEEP_TREE=1      reuse an existing tree of the same parameters
# Prints a Markdown table of wall time and max RSS to stdout.
set -euo pipefail

FILES=${FILES:-100000}
AVG_KIB=${AVG_KIB:-32}
DUP_PCT=${DUP_PCT:-20}
WORK=${WORK:-/tmp/declutter-bench}
KEEP_TREE=${KEEP_TREE:-1}
ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/root/.cache/declutter-target}
TREE="$WORK/tree-$FILES-$AVG_KIB-$DUP_PCT"

log() { echo "bench: $*" >&2; }

if [ ! -x /usr/bin/time ]; then
  log "installing GNU time"
  apt-get update -qq && apt-get install -y -qq time >/dev/null
fi
if ! command -v fclones >/dev/null; then
  log "installing fclones (cargo install fclones --locked)"
  cargo install fclones --locked >&2
fi
log "building declutter (release)"
(cd "$ROOT_DIR" && cargo build --release -q -p declutter-server)
DECLUTTER="$CARGO_TARGET_DIR/release/declutter"

if [ "$KEEP_TREE" != 1 ] || [ ! -f "$TREE/.complete" ]; then
  log "generating $FILES files (~$AVG_KIB KiB mean, $DUP_PCT% duplicates) in $TREE"
  rm -rf "$TREE"
  mkdir -p "$TREE"
  python3 - "$TREE" "$FILES" "$AVG_KIB" "$DUP_PCT" <<'PY'
import os, random, sys
root, files, avg_kib, dup_pct = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(42)
originals = []
for i in range(files):
    d = os.path.join(root, f"d{i % 100:02d}", f"s{(i // 100) % 50:02d}")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"f{i}.bin")
    if originals and rng.random() * 100 < dup_pct:
        src = rng.choice(originals)
        with open(src, "rb") as f:
            data = f.read()
    else:
        size = min(int(rng.expovariate(1.0 / (avg_kib * 1024))), 64 * 1024 * 1024)
        data = os.urandom(size)
        originals.append(path)
    with open(path, "wb") as f:
        f.write(data)
open(os.path.join(root, ".complete"), "w").close()
PY
fi
SIZE=$(du -sh --apparent-size "$TREE" | cut -f1)

measure() { # label, command...
  local label=$1; shift
  local out wall rss
  out=$( /usr/bin/time -v "$@" 2>&1 >/dev/null | tail -n 30 )
  wall=$(echo "$out" | sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p')
  rss=$(echo "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p')
  echo "| $label | $wall | $(( ${rss:-0} / 1024 )) MiB |"
}

# Warm the page cache once so every contender reads from memory alike.
cat "$TREE"/d*/s*/* > /dev/null 2>&1 || true

echo "Tree: $FILES files, $SIZE, $DUP_PCT% duplicates, $(nproc) cores"
echo
echo "| run | wall (m:ss) | max RSS |"
echo "| --- | --- | --- |"
measure "fclones group" fclones group --threads "$(nproc)" "$TREE"
DB="$WORK/bench.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
measure "declutter scan (cold: empty database)" "$DECLUTTER" --db "$DB" scan "$TREE"
measure "declutter scan (warm: rescan, hash cache)" "$DECLUTTER" --db "$DB" scan "$TREE"
NGROUPS=$("$DECLUTTER" --db "$DB" dupes --csv | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
echo
echo "declutter found $NGROUPS duplicate groups"
