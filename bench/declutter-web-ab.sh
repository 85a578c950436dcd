#!/usr/bin/env bash
# Two declutter binaries compared on one call of the web app on PostgreSQL, interleaved
# (A B A B …) on one seeded database, as BENCHMARKS.md's per-change figures were measured.
#   bench/declutter-web-ab.sh ROUNDS BINARY_A BINARY_B [CONNECTIONS] [PATH]
#   (defaults: 1000 connections, /api/dupes; an /api/ path sends the bearer token, any other
#   the session cookie)
# Needs DECLUTTER_BENCH_DATABASE_URL: a PostgreSQL server URL whose database this script drops
# and recreates (`bench_ab` on the same server). Seeds 100k files in 10k groups once; each run
# starts one instance of the binary, warms up 3 s, measures 10 s with wrk and prints
# requests/s, p50/p95/p99 (ms) and the server's CPU per request (µs, from /proc).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=$1 a=$2 b=$3 conns=${4:-1000} path=${5:-/api/dupes}
server=${DECLUTTER_BENCH_DATABASE_URL:?set DECLUTTER_BENCH_DATABASE_URL=postgres://…}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p declutter-web --example seed
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
url="${server%/*}/bench_ab"
psql "$server" -Xqc "DROP DATABASE IF EXISTS bench_ab" -c "CREATE DATABASE bench_ab"
secret=$(head -c 32 /dev/urandom | base64 -w0)
eval "$("$CARGO_TARGET_DIR/release/examples/seed" "$url" "$secret" 10000 10)"
token_key=$(head -c 32 /dev/urandom | base64 -w0)
case "$path" in
    /api/*) header="wrk.headers[\"Authorization\"] = \"Bearer $TOKEN\"" ;;
    *) header="wrk.headers[\"Cookie\"] = \"__Host-declutter=$SESSION\"" ;;
esac
cat >"$work/call.lua" <<LUA
$header
done = function(summary, latency, requests)
    io.write(string.format("RESULT rps=%.0f p50=%.1f p95=%.1f p99=%.1f n=%d non2xx=%d\n",
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(95) / 1000,
        latency:percentile(99) / 1000, summary.requests, summary.errors.status))
end
LUA
port=${DECLUTTER_BENCH_PORT:-5190}
for _ in $(seq "$rounds"); do
    for who in A B; do
        exe=$a
        [ "$who" = B ] && exe=$b
        DECLUTTER_DATABASE_URL="$url" DECLUTTER_LISTEN="127.0.0.1:$port" DECLUTTER_DB="$work/unused.db" \
        DECLUTTER_TOKEN_KEY="$token_key" DECLUTTER_JWT_SECRET="$secret" \
        DECLUTTER_LOGIN_RATE=0 DECLUTTER_SIGNUP_RATE=0 DECLUTTER_API_RATE=0 RUST_LOG=warn \
            "$exe" serve >>"$work/serve.log" 2>&1 &
        pid=$!
        for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
        wrk -t2 -c"$conns" -d3s --timeout 10s -s "$work/call.lua" "http://127.0.0.1:$port$path" >/dev/null
        t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        out=$(wrk -t2 -c"$conns" -d10s --timeout 10s -s "$work/call.lua" "http://127.0.0.1:$port$path" | grep RESULT)
        t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
        n=${out##* n=}
        n=${n%% *}
        ticks=$(getconf CLK_TCK)
        echo "$who ${out#RESULT } cpu_us_per_request=$(( (t1 - t0) * 1000000 / ticks / n ))"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        pid=""
    done
done
