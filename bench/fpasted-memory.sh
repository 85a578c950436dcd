#!/usr/bin/env bash
# Peak memory of fpasted under large and crowded transfers (a benchmark, not a test: the figures
# depend on the machine). Each scenario runs against a fresh release fpasted on loopback and
# reports the server's peak RSS (VmHWM) and how every client was answered:
#   1. one 50 MiB authenticated upload                      target < 100 MiB
#   2. 100 concurrent 3 MiB anonymous uploads               target < 192 MiB
#   3. 1,000 concurrent 3 MiB (max-size) anonymous uploads  target < body budget + 64 MiB,
#                                                            every client 201 or 503
#   4. 32 concurrent downloads of one 50 MiB paste at 20 MB/s each   target < 128 MiB
#   bench/fpasted-memory.sh [scenario numbers...]   (default: all; BODY_BUDGET_MIB=96;
#   FPASTED=path measures that binary instead of building one, for A/B runs)
# The allocator runs with its defaults, as operators get it; set MIMALLOC_* in the environment
# to measure other settings.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"
if [ -n "${FPASTED:-}" ]; then
    bin=$FPASTED
else
    cargo build --release --quiet -p paste-server --bin fpasted
    bin="$CARGO_TARGET_DIR/release/fpasted"
fi
work=$(mktemp -d)
port=5097
base="http://127.0.0.1:$port"
# Under a URL prefix the API root has a file part (/p), so `curl -T` does not append the file name.
api="$base/p"
budget=$((${BODY_BUDGET_MIB:-96} * 1024 * 1024))
fp_pid=
cleanup() {
    if [ -n "$fp_pid" ]; then kill "$fp_pid" 2>/dev/null || true; wait "$fp_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 8192 2>/dev/null || true

start() { # a fresh server (and database, unless told to keep it); abuse limits off
    stop
    [ "${1:-}" = keep ] || rm -f "$work"/bench.db*
    FLASKPASTE_LISTEN=127.0.0.1:$port FLASKPASTE_DB="$work/bench.db" FLASKPASTE_RATE_LIMIT=0 \
    FLASKPASTE_DEDUP_MAX=0 FLASKPASTE_POW_DIFFICULTY=0 FLASKPASTE_ANON_QUOTA_BYTES=0 \
    FLASKPASTE_ANON_QUOTA_PASTES=0 FLASKPASTE_QUOTA_BYTES=0 FLASKPASTE_TRUST_PROXY=true \
    FLASKPASTE_BODY_BUDGET=$budget FLASKPASTE_REQUEST_TIMEOUT=120 FLASKPASTE_URL_PREFIX=/p RUST_LOG=warn \
        "$bin" >>"$work/fpasted.log" 2>&1 &
    fp_pid=$!
    for _ in $(seq 100); do curl -fs "$api/health" >/dev/null && return; sleep 0.05; done
    echo "fpasted did not start" >&2; exit 1
}
stop() {
    if [ -n "$fp_pid" ]; then kill "$fp_pid" 2>/dev/null || true; wait "$fp_pid" 2>/dev/null || true; fi
    fp_pid=
}
peak_mib() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$fp_pid/status"; }
statuses() { sort | uniq -c | awk '{printf "%s×%s ", $1, $2}'; }

# Uploads in parallel with curl, each streaming its file (curl sends Expect: 100-continue).
uploads() { # count, file, extra curl args...
    local n=$1 file=$2; shift 2
    : > "$work/curl.cfg"
    for _ in $(seq "$n"); do printf 'upload-file = "%s"\nurl = "%s"\noutput = "/dev/null"\n' "$file" "$api" >> "$work/curl.cfg"; done
    curl -s -Z --parallel-immediate --parallel-max "$n" -X POST -w '%{http_code}\n' "$@" -K "$work/curl.cfg" 2>/dev/null || true
}

head -c $((50 * 1024 * 1024)) /dev/urandom > "$work/50m"
head -c $((3 * 1024 * 1024)) /dev/urandom > "$work/3m"
fp=0123456789abcdef0123456789abcdef01234567
only=("$@")
want() { [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }
echo "fpasted $("$bin" --version) on $(nproc) cores; body budget $((budget / 1048576)) MiB"

if want 1; then
    start; idle=$(peak_mib)
    codes=$(uploads 1 "$work/50m" -H "X-SSL-Client-SHA1: $fp" | statuses)
    printf '%-46s peak RSS %4s MiB (idle %s)   %s\n' "1 × 50 MiB authenticated upload" "$(peak_mib)" "$idle" "$codes"
fi
if want 2; then
    start
    codes=$(uploads 100 "$work/3m" | statuses)
    printf '%-46s peak RSS %4s MiB   %s\n' "100 × 3 MiB concurrent anonymous uploads" "$(peak_mib)" "$codes"
fi
if want 3; then
    start
    codes=$(uploads 1000 "$work/3m" -D "$work/heads" | statuses)
    # Every 503 must say when to come back.
    busy=$(grep -c '^HTTP/1.1 503' "$work/heads" || true)
    retry=$(grep -ci '^retry-after:' "$work/heads" || true)
    printf '%-46s peak RSS %4s MiB   %s (000 = reset; target < %s MiB; %s of %s 503 with Retry-After)\n' \
        "1000 × 3 MiB concurrent anonymous uploads" "$(peak_mib)" "$codes" "$((budget / 1048576 + 64))" "$retry" "$busy"
fi
if want 4; then
    start
    id=$(curl -fs -X POST -T "$work/50m" -H "X-SSL-Client-SHA1: $fp" "$api" | sed -E 's/.*"id":"([^"]+)".*/\1/')
    start keep # measure the downloads alone, not the upload before them
    : > "$work/curl.cfg"
    for _ in $(seq 32); do printf 'url = "%s/%s/raw"\noutput = "/dev/null"\n' "$api" "$id" >> "$work/curl.cfg"; done
    codes=$(curl -s -Z --parallel-immediate --parallel-max 32 --limit-rate 20M -w '%{http_code}:%{size_download}\n' -K "$work/curl.cfg" 2>/dev/null | statuses)
    printf '%-46s peak RSS %4s MiB   %s\n' "32 × 50 MiB concurrent downloads at 20 MB/s" "$(peak_mib)" "$codes"
fi
