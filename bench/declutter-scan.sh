#!/usr/bin/env bash
# Benchmark: `declutter scan` against `fclones group` on a generated tree, plus cold vs warm
# rescans. Parameterised through the environment:
#   FILES=100000     number of files to generate
#   AVG_KIB=32       mean file size in KiB (100k x 32 KiB ~ 3 GiB)
#   DUP_PCT=20       percentage of files that are copies of another file
#   WORK=/tmp/declutter-bench   where the tree and databases go (kept between runs)
#   KEEP_TREE=1      reuse an existing tree of the same parameters
#   DECLUTTER=path   benchmark this binary instead of building one (e.g. a baseline build)
# Prints a Markdown table of wall time and max RSS to stdout, then the ratios the targets are
# stated in (wall and RSS against fclones, warm against cold) and both tools' group counts.
set -euo pipefail

FILES=${FILES:-100000}
AVG_KIB=${AVG_KIB:-32}
DUP_PCT=${DUP_PCT:-20}
WORK=${WORK:-/tmp/declutter-bench}
KEEP_TREE=${KEEP_TREE:-1}
ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}
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
if [ -z "${DECLUTTER:-}" ]; then
  log "building declutter (release)"
  (cd "$ROOT_DIR" && cargo build --release -q -p declutter-server)
  DECLUTTER="$CARGO_TARGET_DIR/release/declutter"
fi

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

secs() { # m:ss.cc or h:mm:ss -> seconds
  echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

measure() { # key label command... ; records WALL_<key> (s) and RSS_<key> (MiB), prints a row
  local key=$1 label=$2; shift 2
  local out wall rss
  out=$( /usr/bin/time -v "$@" 2>&1 >"$WORK/$key.out" | tail -n 30 )
  wall=$(echo "$out" | sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p')
  rss=$(echo "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p')
  printf -v "WALL_$key" '%s' "$(secs "$wall")"
  printf -v "RSS_$key" '%s' "$(( ${rss:-0} / 1024 ))"
  echo "| $label | $wall | $(( ${rss:-0} / 1024 )) MiB |"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Warm the page cache once so every contender reads from memory alike.
cat "$TREE"/d*/s*/* > /dev/null 2>&1 || true

echo "Tree: $FILES files, $SIZE, $DUP_PCT% duplicates, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | wall (m:ss) | max RSS |"
echo "| --- | --- | --- |"
measure fclones "fclones group" fclones group --threads "$(nproc)" "$TREE"
DB="$WORK/bench.db"
rm -f "$DB" "$DB-wal" "$DB-shm"
measure cold "declutter scan (cold: empty database)" "$DECLUTTER" --db "$DB" scan "$TREE"
measure warm "declutter scan (warm: rescan, hash cache)" "$DECLUTTER" --db "$DB" scan "$TREE"
NGROUPS=$("$DECLUTTER" --db "$DB" dupes --csv | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
# fclones' report: one header line per group (hash, size, count), files indented below.
FGROUPS=$(grep -cv '^\(#\|[[:space:]]\|$\)' "$WORK/fclones.out" || true)
echo
echo "declutter found $NGROUPS duplicate groups, fclones $FGROUPS"
echo "cold wall vs fclones: $(ratio "$WALL_cold" "$WALL_fclones")x (target <= 1.0)"
echo "cold max RSS vs fclones: $(ratio "$RSS_cold" "$RSS_fclones")x, warm: $(ratio "$RSS_warm" "$RSS_fclones")x (target <= 1.0)"
echo "warm rescan speed-up over cold: $(ratio "$WALL_cold" "$WALL_warm")x (target >= 10)"
