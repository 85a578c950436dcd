#!/usr/bin/env bash
# Benchmark: `declutter scan` against `fclones group` on a generated tree, plus cold vs warm
# rescans. The comparison is made fair: the tree is read once first so both tools read from the
# page cache, then the cold scan (into a fresh database) and `fclones group` alternate, A B A B,
# for ROUNDS rounds, and medians are reported (a single run on a shared machine is noise).
# Parameterised through the environment:
#   FILES=100000     number of files to generate (e.g. FILES=20000 for quick iterations)
#   AVG_KIB=32       mean file size in KiB (100k x 32 KiB ~ 3 GiB)
#   DUP_PCT=20       percentage of files that are copies of another file
#   ROUNDS=5         interleaved rounds (one cold declutter scan and one fclones run each)
#   WORK=/tmp/declutter-bench   where the tree and databases go (kept between runs)
#   KEEP_TREE=1      reuse an existing tree of the same parameters
#   DECLUTTER=path   benchmark this binary instead of building one (e.g. a baseline build)
#   PG=1             also scan into PostgreSQL each round (a fresh database of the server
#                    .ci/postgres starts, or of PLATFORM_TEST_POSTGRES, an admin URL), through the
#                    engine's local path as the web app's workers run it (example `local_scan`)
# Prints every run, then a Markdown table of medians (wall, user+sys CPU, cores busy = CPU/wall,
# max RSS) with the spread of the wall times, the declutter/fclones ratios the targets are
# stated in, the warm-rescan speed-up, and both tools' group counts.
set -euo pipefail

FILES=${FILES:-100000}
AVG_KIB=${AVG_KIB:-32}
DUP_PCT=${DUP_PCT:-20}
WORK=${WORK:-/tmp/declutter-bench}
KEEP_TREE=${KEEP_TREE:-1}
ROUNDS=${ROUNDS:-5}
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

PG=${PG:-0}
if [ "$PG" = 1 ]; then
  log "building the local_scan example (release)"
  (cd "$ROOT_DIR" && cargo build --release -q -p declutter-core --example local_scan)
  LOCAL_SCAN="$CARGO_TARGET_DIR/release/examples/local_scan"
  PG_ADMIN=${PLATFORM_TEST_POSTGRES:-$("$ROOT_DIR/.ci/postgres" start)}
  pg_cleanup() {
    for db in $(psql "$PG_ADMIN" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'bench_scan_$$_%'" 2>/dev/null); do
      psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
  }
  trap pg_cleanup EXIT
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

# One run under GNU time; appends "wall cpu rss_mib" to $WORK/<key>.runs and prints a row.
measure() { # key label command...
  local key=$1 label=$2; shift 2
  local out wall user sys rss cpu
  out=$( /usr/bin/time -v "$@" 2>&1 >"$WORK/$key.out" | tail -n 30 )
  wall=$(secs "$(echo "$out" | sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p')")
  user=$(echo "$out" | sed -n 's/.*User time (seconds): //p')
  sys=$(echo "$out" | sed -n 's/.*System time (seconds): //p')
  rss=$(( $(echo "$out" | sed -n 's/.*Maximum resident set size (kbytes): //p') / 1024 ))
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  echo "$wall $cpu $rss" >>"$WORK/$key.runs"
  printf '| %s | %.2f s | %.2f s | %.2f | %s MiB |\n' "$label" "$wall" "$cpu" \
    "$(awk -v c="$cpu" -v w="$wall" 'BEGIN { print (w > 0 ? c / w : 0) }')" "$rss"
}

# median <key> <column 1-3>, over the recorded runs
median() {
  awk -v c="$2" '{ print $c }' "$WORK/$1.runs" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
spread() { # min-max of the wall times
  awk '{ print $1 }' "$WORK/$1.runs" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f s", lo, hi }'
}
busy() { awk -v c="$(median "$1" 2)" -v w="$(median "$1" 1)" 'BEGIN { printf "%.2f", (w > 0 ? c / w : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# Warm-up: read the whole tree once so every contender reads from the page cache alike.
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null 2>&1 || true

echo "Tree: $FILES files, $SIZE, $DUP_PCT% duplicates, $(nproc) cores, $ROUNDS interleaved rounds, load before $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| run | wall | CPU (user+sys) | cores busy | max RSS |"
echo "| --- | --- | --- | --- | --- |"
rm -f "$WORK"/{cold,fclones,warm,cold-pg}.runs
DB="$WORK/bench.db"
for round in $(seq 1 "$ROUNDS"); do
  rm -f "$DB" "$DB-wal" "$DB-shm"
  measure cold "declutter scan, cold ($round)" "$DECLUTTER" --db "$DB" scan "$TREE"
  measure fclones "fclones group ($round)" fclones group --threads "$(nproc)" "$TREE"
  if [ "$PG" = 1 ]; then
    pgdb=bench_scan_$$_$round
    psql "$PG_ADMIN" -qc "CREATE DATABASE $pgdb"
    measure cold-pg "declutter cold scan into PostgreSQL ($round)" "$LOCAL_SCAN" "${PG_ADMIN%/*}/$pgdb" "$TREE"
    PG_GROUPS=$(sed -n 's/.*groups=\([0-9]*\).*/\1/p' "$WORK/cold-pg.out")
    psql "$PG_ADMIN" -qc "DROP DATABASE $pgdb WITH (FORCE)"
  fi
done
# Warm rescans of the last cold database (hash cache hit for every file).
for round in $(seq 1 "$ROUNDS"); do
  measure warm "declutter scan, warm rescan ($round)" "$DECLUTTER" --db "$DB" scan "$TREE"
done
NGROUPS=$("$DECLUTTER" --db "$DB" dupes --csv | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
# fclones' report: one header line per group (hash, size, count), files indented below.
FGROUPS=$(grep -cv '^\(#\|[[:space:]]\|$\)' "$WORK/fclones.out" || true)
echo
echo "Medians of $ROUNDS runs (load after $(cut -d' ' -f1-3 /proc/loadavg)):"
echo
echo "| tool | wall | wall spread | CPU (user+sys) | cores busy | max RSS |"
echo "| --- | --- | --- | --- | --- | --- |"
keys="cold fclones warm"
[ "$PG" = 1 ] && keys="$keys cold-pg"
for key in $keys; do
  printf '| %s | %.2f s | %s | %.2f s | %s | %s MiB |\n' "$key" "$(median $key 1)" "$(spread $key)" \
    "$(median $key 2)" "$(busy $key)" "$(median $key 3)"
done
echo
echo "declutter found $NGROUPS duplicate groups, fclones $FGROUPS"
echo "cold/fclones wall: $(ratio "$(median cold 1)" "$(median fclones 1)")x (target <= 1.0)," \
  "CPU: $(ratio "$(median cold 2)" "$(median fclones 2)")x," \
  "cores busy: $(busy cold) vs $(busy fclones)"
if [ "$PG" = 1 ]; then
  echo "PostgreSQL: $PG_GROUPS duplicate groups; cold-pg/fclones wall: $(ratio "$(median cold-pg 1)" "$(median fclones 1)")x (target <= 1.0)," \
    "cold-pg/cold (SQLite) wall: $(ratio "$(median cold-pg 1)" "$(median cold 1)")x"
fi
echo "max RSS vs fclones: cold $(ratio "$(median cold 3)" "$(median fclones 3)")x," \
  "warm $(ratio "$(median warm 3)" "$(median fclones 3)")x (target <= 1.0)"
echo "warm rescan speed-up over cold: $(ratio "$(median cold 1)" "$(median warm 1)")x (target >= 10)"
