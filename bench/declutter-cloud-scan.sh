#!/usr/bin/env bash
# A full OneDrive scan of a large account (the fake Graph server, over HTTP on loopback, in a
# process of its own) into SQLite and into PostgreSQL, interleaved (SQLite, PostgreSQL, SQLite,
# ...), each into a fresh database, after a warm-up pair; prints each run's wall time and the
# scanning process's peak RSS, then the medians and the PostgreSQL/SQLite ratio.
#   bench/declutter-cloud-scan.sh [items] [rounds]   (default 1000000 and 3)
# PostgreSQL: the server .ci/postgres starts (or PLATFORM_TEST_POSTGRES, an admin URL).
# Targets (issue 15): on PostgreSQL, RSS < 256 MiB and at most 2x the SQLite time.
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-1000000}
rounds=${2:-3}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"
cargo build --release --quiet -p declutter-core --example cloud_scan
bin=$CARGO_TARGET_DIR/release/examples/cloud_scan
admin=${PLATFORM_TEST_POSTGRES:-$(.ci/postgres start)}
work=$(mktemp -d)
cleanup() { # this run's databases, even after a failed run
    for db in $(psql "$admin" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'bench_cloud_$$_%'" 2>/dev/null); do
        psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

one() { # backend: prints "secs rss"
    local out
    if [[ $1 == sqlite ]]; then
        rm -f "$work"/scan.db*
        out=$("$bin" "$work/scan.db" "$items")
    else
        local db=bench_cloud_$$_$RANDOM
        psql "$admin" -qc "CREATE DATABASE $db"
        out=$("$bin" "${admin%/*}/$db" "$items")
        psql "$admin" -qc "DROP DATABASE $db WITH (FORCE)"
    fi
    sed -n 's/^RESULT .*secs=\([0-9.]*\) peak_rss_mib=\([0-9]*\).*/\1 \2/p' <<<"$out"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "warm-up: sqlite $(one sqlite), postgres $(one postgres)"
: >"$work/sqlite" && : >"$work/postgres"
for r in $(seq "$rounds"); do
    for backend in sqlite postgres; do
        read -r secs rss < <(one "$backend")
        echo "round $r $backend: ${secs} s, peak RSS ${rss} MiB"
        echo "$secs $rss" >>"$work/$backend"
    done
done
s=$(cut -d' ' -f1 "$work/sqlite" | median)
p=$(cut -d' ' -f1 "$work/postgres" | median)
echo "items=$items rounds=$rounds: median SQLite ${s} s, PostgreSQL ${p} s, ratio $(echo "scale=2; $p / $s" | bc)x;" \
    "peak RSS SQLite $(cut -d' ' -f2 "$work/sqlite" | sort -n | tail -1) MiB, PostgreSQL $(cut -d' ' -f2 "$work/postgres" | sort -n | tail -1) MiB"
