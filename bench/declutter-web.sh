#!/usr/bin/env bash
# Read benchmark of the declutter web app with a large index, on loopback, with wrk.
#   bench/declutter-web.sh [seconds-per-run]   (default 10)
# Seeds one account with 100k indexed files in 10k duplicate groups (examples/seed.rs, straight
# into SQLite through the engine's store API), starts the release `declutter serve`, and prints
# p50/p95/p99 latency of the duplicates page, GET /api/dupes (first and a deep page) and the
# dashboard's GET /api/usage at 8 connections, then GET /api/dupes at 1000 connections.
# Targets (issue 6): p95 < 100 ms for the duplicates page and API; p99 < 250 ms at 1k.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
# wrk -c1000 needs a descriptor per connection on both ends.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p declutter-web --example seed
cargo build --release --quiet -p declutter-server --bin declutter
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port="${DECLUTTER_BENCH_PORT:-5180}"
secret=$(head -c 32 /dev/urandom | base64 -w0)
t0=$(date +%s.%N)
eval "$("$bin/examples/seed" "$work/declutter.db" "$secret" 10000 10)"
echo "seeded 100000 files / 10000 groups in $(echo "$(date +%s.%N) - $t0" | bc) s"

DECLUTTER_LISTEN=127.0.0.1:$port DECLUTTER_DB="$work/declutter.db" \
DECLUTTER_TOKEN_KEY="$(head -c 32 /dev/urandom | base64 -w0)" DECLUTTER_JWT_SECRET="$secret" \
DECLUTTER_LOGIN_RATE=0 DECLUTTER_SIGNUP_RATE=0 DECLUTTER_API_RATE=0 RUST_LOG=warn \
    "$bin/declutter" serve >>"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }

# One wrk script per credential; done() prints the percentiles wrk's --latency omits (p95).
lua() { # header name, header value
    cat <<LUA
wrk.headers["$1"] = "$2"
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT rps=%.0f p50=%.1f p95=%.1f p99=%.1f n=%d non2xx=%d errors=%d\n",
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
        summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA
}
lua Cookie "__Host-declutter=$SESSION" > "$work/cookie.lua"
lua Authorization "Bearer $TOKEN" > "$work/bearer.lua"
base="http://127.0.0.1:$port"
curl -fs -H "Authorization: Bearer $TOKEN" "$base/api/dupes" | grep -q '"total_groups":10000' \
    || { echo "API did not see 10000 groups" >&2; exit 1; }

run() { # label, script, connections, path
    local out
    out=$(wrk -t2 -c"$3" -d"${secs}s" --timeout 10s -s "$work/$2" "$base$4" | grep RESULT)
    printf '%-34s c=%-5s %s\n' "$1" "$3" "${out#RESULT }"
}
echo "declutter $("$bin/declutter" --version 2>/dev/null | head -1) on $(nproc) cores, wrk -t2 -d${secs}s (ms)"
run "GET /dupes (HTML, page 1)" cookie.lua 8 /dupes
run "GET /api/dupes (page 1)" bearer.lua 8 /api/dupes
run "GET /api/dupes?page=400 (last)" bearer.lua 8 "/api/dupes?page=400"
run "GET /api/usage (dashboard)" bearer.lua 8 /api/usage
run "GET /dashboard (HTML)" cookie.lua 8 /dashboard
run "GET /api/dupes 1k concurrent" bearer.lua 1000 /api/dupes
run "GET /dupes 1k concurrent" cookie.lua 1000 /dupes
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "declutter peak RSS: $((rss_kib / 1024)) MiB"
