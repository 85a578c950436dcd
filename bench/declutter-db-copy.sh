#!/usr/bin/env bash
# Benchmark: `declutter db copy` (SQLite -> PostgreSQL, verified) of an installation holding a
# scanned tree, against `declutter backup` of the same database as the anchor (the cost of
# reading and writing the same rows within SQLite). The two alternate, A B A B, for ROUNDS
# rounds after a warm-up of each, every copy into a fresh PostgreSQL database; medians and the
# copy/backup ratio are reported.
#   FILES=100000   files in the generated tree (1 KiB each, 20% duplicates)
#   ROUNDS=3       interleaved rounds
#   WORK=/tmp/declutter-copy-bench
#   DECLUTTER=path benchmark this binary instead of building one
# PostgreSQL is the throwaway server `.ci/postgres start` runs (installed by .ci/install-packages).
set -euo pipefail

FILES=${FILES:-100000}
ROUNDS=${ROUNDS:-3}
WORK=${WORK:-/tmp/declutter-copy-bench}
ROOT_DIR=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}
log() { echo "bench: $*" >&2; }

if [ -z "${DECLUTTER:-}" ]; then
  log "building declutter (release)"
  (cd "$ROOT_DIR" && cargo build --release -q -p declutter-server)
  DECLUTTER="$CARGO_TARGET_DIR/release/declutter"
fi
ADMIN=$("$ROOT_DIR/.ci/postgres" start | tail -n 1)
BASE=${ADMIN%/*}

mkdir -p "$WORK"
SOURCE="$WORK/source-$FILES.db"
if [ ! -f "$SOURCE" ]; then
  TREE="$WORK/tree-$FILES"
  log "generating and scanning $FILES files"
  rm -rf "$TREE" && mkdir -p "$TREE"
  python3 - "$TREE" "$FILES" <<'PY'
import os, random, sys
root, files = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
for i in range(files):
    d = os.path.join(root, f"d{i % 100:02d}", f"s{(i // 100) % 50:02d}")
    os.makedirs(d, exist_ok=True)
    seed = rng.randrange(files * 4 // 5) if rng.random() < 0.2 else i
    with open(os.path.join(d, f"f{i}.bin"), "wb") as f:
        f.write(random.Random(seed).randbytes(1024))
PY
  DECLUTTER_DB="$SOURCE" "$DECLUTTER" scan "$TREE" >/dev/null
fi
rows=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(sum(c.execute(f'SELECT COUNT(*) FROM \"{t}\"').fetchone()[0] for (t,) in c.execute(\"SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'\")))" "$SOURCE")
log "the installation holds $rows rows"

: > "$WORK/copy.runs"
: > "$WORK/backup.runs"
run_copy() {
  local db="copybench_$1"
  PGOPTIONS="-c client_min_messages=warning" psql -q "$ADMIN" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" env DECLUTTER_DB="$SOURCE" "$DECLUTTER" db copy --to "$BASE/$db" >/dev/null
  psql -q "$ADMIN" -c "DROP DATABASE $db"
  cat "$WORK/t"
}
run_backup() {
  rm -f "$WORK/backup.db"
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" env DECLUTTER_DB="$SOURCE" "$DECLUTTER" backup "$WORK/backup.db" >/dev/null
  cat "$WORK/t"
}
log "warm-up"
run_copy warm >/dev/null
run_backup >/dev/null
for r in $(seq 1 "$ROUNDS"); do
  c=$(run_copy "$r"); echo "$c" >> "$WORK/copy.runs"; log "round $r copy   $c"
  b=$(run_backup);    echo "$b" >> "$WORK/backup.runs"; log "round $r backup $b"
done
median() { sort -n -k"$2" "$WORK/$1.runs" | awk -v k="$2" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
cpu() { awk '{ print $1, $2 + $3, $4 }' "$WORK/$1.runs" > "$WORK/$1.cpu"; sort -n -k2 "$WORK/$1.cpu" | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }'; }
echo
echo "| run | median wall | median CPU | median max RSS |"
echo "| --- | --- | --- | --- |"
for k in copy backup; do
  printf '| %s | %.2f s | %.2f s | %d MiB |\n' "$k" "$(median $k 1)" "$(cpu $k)" "$(( $(median $k 4) / 1024 ))"
done
awk -v c="$(median copy 1)" -v b="$(median backup 1)" -v n="$rows" \
  'BEGIN { printf "copy/backup wall: %.1fx; copy rate: %.0f rows/s (copied and verified)\n", c / b, n / c }'
