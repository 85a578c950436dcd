#!/usr/bin/env bash
# Load benchmark of fpasted against a bare hyper "hello" ceiling, on loopback, with wrk.
#   bench/fpasted-load.sh [seconds-per-run]   (default 10; FPASTED=path measures that binary, for
#   A/B runs, with the hello server still built here)
# Prints requests/s and latency percentiles for GET /{id}/raw (1 KiB), POST / (1 KiB, PoW,
# rate limit and throttle off), the hello server, and a hyper server answering with exactly the
# bytes fpasted sends for that paste (headers included); the peak RSS of fpasted; and whether a
# paste answered 201 survives a kill -9 of the server.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -n "${FPASTED:-}" ]; then
    cargo build --release --quiet -p platform --example hello
else
    cargo build --release --quiet -p paste-server --bin fpasted -p platform --example hello
fi
bin="$CARGO_TARGET_DIR/release"
fpasted="${FPASTED:-$bin/fpasted}"
work=$(mktemp -d)
pids=()
cleanup() { # waiting on each keeps bash from reporting the kills
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

port=5098
start_fpasted() {
    FLASKPASTE_LISTEN=127.0.0.1:$port FLASKPASTE_DB="$work/bench.db" FLASKPASTE_RATE_LIMIT=0 \
    FLASKPASTE_DEDUP_MAX=0 FLASKPASTE_POW_DIFFICULTY=0 FLASKPASTE_ANON_QUOTA_PASTES=0 \
    FLASKPASTE_ANON_QUOTA_BYTES=0 RUST_LOG=warn \
        "$fpasted" >>"$work/fpasted.log" 2>&1 &
    fp_pid=$!
    pids+=("$fp_pid")
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && return; sleep 0.05; done
    echo "fpasted did not start" >&2; exit 1
}

head -c 1024 /dev/urandom | base64 -w0 | head -c 1024 > "$work/body"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$work/body", "rb"); wrk.body = f:read("*a"); f:close()
LUA

report() { # name, wrk output
    awk -v name="$1" '
        /Requests\/sec/ {rps=$2}
        /^ +50%/ {p50=$2} /^ +90%/ {p90=$2} /^ +99%/ {p99=$2}
        /Non-2xx/ {errs=$NF}
        END {printf "%-22s %10s req/s   p50 %8s   p90 %8s   p99 %8s   non-2xx %s\n", name, rps, p50, p90, p99, (errs==""?0:errs)}'
}

start_fpasted
id=$(curl -fs --data-binary @"$work/body" "http://127.0.0.1:$port/" | sed -E 's/.*"id":"([^"]+)".*/\1/')
echo "fpasted $("$fpasted" --version) on $(nproc) cores, wrk -t2 -c32 -d${secs}s"
raw=$(wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:$port/$id/raw"); echo "$raw" | report "GET /{id}/raw 1KiB"
post=$(wrk -t2 -c32 -d"${secs}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/"); echo "$post" | report "POST / 1KiB"
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$fp_pid/status")
echo "fpasted peak RSS under load: $((rss_kib / 1024)) MiB"

"$bin/examples/hello" 127.0.0.1:5099 & pids+=("$!")
sleep 0.3
hello=$(wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:5099/"); echo "$hello" | report "hyper hello (ceiling)"
"$bin/examples/hello" 127.0.0.1:5100 same-bytes & pids+=("$!")
sleep 0.3
same=$(wrk -t2 -c32 -d"${secs}s" --latency "http://127.0.0.1:5100/"); echo "$same" | report "hyper, same bytes"
rps() { echo "$1" | awk '/Requests\/sec/ {print $2}'; }
awk -v a="$(rps "$raw")" -v b="$(rps "$hello")" -v c="$(rps "$same")" 'BEGIN {
    printf "raw GET / hello ceiling: %.0f%%   (/ a hyper server sending the same headers and body: %.0f%%)\n", 100*a/b, 100*a/c }'

# Durability: a paste answered 201 survives kill -9.
created=$(curl -fs --data-binary "survives kill -9 $(date +%s%N)" "http://127.0.0.1:$port/")
sid=$(echo "$created" | sed -E 's/.*"id":"([^"]+)".*/\1/')
kill -9 "$fp_pid"; wait "$fp_pid" 2>/dev/null || true
start_fpasted
if curl -fs "http://127.0.0.1:$port/$sid/raw" | grep -q "survives kill -9"; then
    echo "kill -9 durability: paste $sid answered 201 before the kill is served after restart"
else
    echo "kill -9 durability: FAILED, paste $sid lost" >&2; exit 1
fi
