#!/usr/bin/env bash
# Client benchmark for fpaste (issue 3). Builds release binaries, then measures on loopback:
#   1. seal and open throughput of a SIZE_MIB file, each as a ratio to `openssl speed -evp
#      aes-256-gcm` measured in the same run, interleaved, medians (target >= 0.8x each),
#   2. peak RSS of `fpaste` while uploading it, encrypted and plain (target < 32 MiB),
#      and while downloading + decrypting it,
#   3. proof-of-work solve time at difficulty 20, median of POW_RUNS (target < 0.5 s),
#      and the median wall time of a whole `fpaste create` against a server requiring it.
# Needs: curl, python3 (free port), GNU time (`apt-get install time`).
# Usage: bench/fpaste-client.sh        (SIZE_MIB=256 POW_RUNS=10 RUNS=7 by default;
#        CRYPTO_ONLY=1 stops after the cipher figures; FPASTE_BIN_DIR=dir uses binaries from dir)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB="${SIZE_MIB:-256}"
POW_RUNS="${POW_RUNS:-10}"
RUNS="${RUNS:-7}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"

if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is missing: apt-get install -y time" >&2
    exit 1
fi

if [[ -n "${FPASTE_BIN_DIR:-}" ]]; then
    BIN="$FPASTE_BIN_DIR"
else
    echo "== building release binaries" >&2
    cargo build --release --quiet -p paste-cli --bin fpaste
    cargo build --release --quiet -p paste-server --bin fpasted
    BIN="$CARGO_TARGET_DIR/release"
fi

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
peak_rss_kib() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Starts fpasted on a free loopback port with extra VAR=value settings; sets BASE.
start_server() {
    stop_server
    local port
    port="$(free_port)"
    mkdir -p "$WORK/db"
    rm -f "$WORK"/db/fpaste.db*
    env FLASKPASTE_LISTEN="127.0.0.1:$port" FLASKPASTE_DB="$WORK/db/fpaste.db" \
        FLASKPASTE_MAX_ANON=$(((SIZE_MIB + 16) << 20)) FLASKPASTE_MAX_AUTH=$(((SIZE_MIB + 16) << 20)) \
        FLASKPASTE_RATE_LIMIT=0 FLASKPASTE_DEDUP_MAX=0 FLASKPASTE_REQUEST_TIMEOUT=600 "$@" \
        "$BIN/fpasted" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    BASE="http://127.0.0.1:$port"
    for _ in $(seq 100); do
        curl -sf "$BASE/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "fpasted did not start:" >&2
    cat "$WORK/server.log" >&2
    exit 1
}
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

echo "== CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores;" \
    "flags: $(grep -m1 -o -w -E 'aes' /proc/cpuinfo || echo no-aes) $(grep -m1 -o -w 'pclmulqdq' /proc/cpuinfo || echo no-pclmul)" >&2

echo "== writing a ${SIZE_MIB} MiB random file" >&2
head -c $((SIZE_MIB << 20)) /dev/urandom >"$WORK/big.bin"

echo "== 1. seal and open throughput against openssl speed, interleaved, ${RUNS} rounds" >&2
# Each round measures openssl's AES-256-GCM on 64 KiB blocks, then fpaste sealing, then opening,
# so a neighbour's burst on this shared machine lands on all alike; ratios are of the medians.
# Two clocks: CPU time (openssl's default, and fpaste's thread CPU time), which a busy machine
# does not distort, and the wall clock (openssl -elapsed). openssl prints thousands of bytes per
# second ("k"); MB/s are 10^6 bytes and the ratios convert fpaste's MiB/s to the same unit.
# Sealing is timed on plaintext already in memory, as opening is on ciphertext in memory; the
# same sealing straight from the file (page cache) is printed beside it, since there the kernel's
# copy out of the page cache costs more CPU than the cipher does.
: >"$WORK/enc.txt"; : >"$WORK/dec.txt"; : >"$WORK/ossl.txt"; : >"$WORK/enc-file.txt"
: >"$WORK/enc-wall.txt"; : >"$WORK/dec-wall.txt"; : >"$WORK/ossl-wall.txt"
ossl() { openssl speed "$@" -evp aes-256-gcm -bytes 65536 -seconds 1 2>/dev/null |
    awk 'tolower($1) ~ /^aes-256-gcm/ { v = $NF; sub(/k$/, "", v); print v }'; }
wall() { sed -n 's/.*: \([0-9]*\) MiB\/s wall.*/\1/p'; }
cpu() { sed -n 's/.*, \([0-9]*\) MiB\/s cpu/\1/p'; }
for _ in $(seq "$RUNS"); do
    ossl >>"$WORK/ossl.txt"
    ossl -elapsed >>"$WORK/ossl-wall.txt"
    "$BIN/fpaste" encrypt-bench --in-memory "$WORK/big.bin" 2>"$WORK/one.txt"
    cpu <"$WORK/one.txt" >>"$WORK/enc.txt"; wall <"$WORK/one.txt" >>"$WORK/enc-wall.txt"
    "$BIN/fpaste" encrypt-bench "$WORK/big.bin" 2>"$WORK/one.txt"
    cpu <"$WORK/one.txt" >>"$WORK/enc-file.txt"
    "$BIN/fpaste" decrypt-bench "$WORK/big.bin" 2>"$WORK/one.txt"
    cpu <"$WORK/one.txt" >>"$WORK/dec.txt"; wall <"$WORK/one.txt" >>"$WORK/dec-wall.txt"
done
for f in enc enc-file dec ossl enc-wall dec-wall ossl-wall; do
    echo "   $f runs: $(tr '\n' ' ' <"$WORK/$f.txt")" >&2
done
ENC_MEDIAN="$(median <"$WORK/enc.txt")"
ENC_BEST="$(sort -g "$WORK/enc.txt" | tail -1)"
DEC_MEDIAN="$(median <"$WORK/dec.txt")"
OSSL_KBS="$(median <"$WORK/ossl.txt")"
OSSL_MBS="$(python3 -c "print(round($OSSL_KBS * 1000 / 1e6))")"
ratio() { python3 -c "print(f'{$1 * 1048576 / ($2 * 1000):.2f}')"; }
SEAL_RATIO="$(ratio "$ENC_MEDIAN" "$OSSL_KBS")"
OPEN_RATIO="$(ratio "$DEC_MEDIAN" "$OSSL_KBS")"
OSSL_WALL="$(median <"$WORK/ossl-wall.txt")"
SEAL_WALL="$(ratio "$(median <"$WORK/enc-wall.txt")" "$OSSL_WALL")"
OPEN_WALL="$(ratio "$(median <"$WORK/dec-wall.txt")" "$OSSL_WALL")"
FILE_RATIO="$(ratio "$(median <"$WORK/enc-file.txt")" "$OSSL_KBS")"
CIPHER_LINE="openssl aes-256-gcm 64KiB ${OSSL_MBS} MB/s (cpu); seal ${SEAL_RATIO}x, open ${OPEN_RATIO}x of it by CPU time (target >= 0.8x each); by the wall clock seal ${SEAL_WALL}x, open ${OPEN_WALL}x; sealing straight from the file ${FILE_RATIO}x (cpu)"
if [[ -n "${CRYPTO_ONLY:-}" ]]; then
    echo "seal median ${ENC_MEDIAN} MiB/s, open median ${DEC_MEDIAN} MiB/s (cpu); $CIPHER_LINE"
    exit 0
fi

echo "== 2. peak RSS of fpaste uploading ${SIZE_MIB} MiB to a release fpasted on loopback" >&2
start_server
/usr/bin/time -v -o "$WORK/time-enc.txt" "$BIN/fpaste" --server "$BASE" -e "$WORK/big.bin" >"$WORK/url-enc.txt"
/usr/bin/time -v -o "$WORK/time-plain.txt" "$BIN/fpaste" --server "$BASE" --no-encrypt "$WORK/big.bin" >/dev/null
RSS_ENC="$(peak_rss_kib "$WORK/time-enc.txt")"
RSS_PLAIN="$(peak_rss_kib "$WORK/time-plain.txt")"
UP_SECS="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time-enc.txt")"
/usr/bin/time -v -o "$WORK/time-get.txt" "$BIN/fpaste" get "$(cat "$WORK/url-enc.txt")" >"$WORK/back.bin"
RSS_GET="$(peak_rss_kib "$WORK/time-get.txt")"
cmp -s "$WORK/big.bin" "$WORK/back.bin" || { echo "download differs from upload" >&2; exit 1; }
rm -f "$WORK/back.bin"
stop_server

echo "== 3. proof of work at difficulty 20" >&2
POW_JSON="$("$BIN/fpaste" pow-bench --difficulty 20 --runs "$POW_RUNS" 2>/dev/null)"
POW_MEDIAN="$(printf '%s' "$POW_JSON" | python3 -c 'import json, sys; print(round(json.load(sys.stdin)["median_s"], 3))')"
start_server FLASKPASTE_POW_DIFFICULTY=20 FLASKPASTE_POW_FLOOD=0
"$BIN/fpaste" --server "$BASE" info | grep 'proof of work' >&2
for i in $(seq "$POW_RUNS"); do
    s=$(date +%s.%N)
    printf 'pow run %s %s\n' "$i" "$RANDOM$RANDOM" | "$BIN/fpaste" --server "$BASE" --no-encrypt >/dev/null
    e=$(date +%s.%N)
    python3 -c "print($e - $s)"
done >"$WORK/create.txt"
CREATE_MEDIAN="$(median <"$WORK/create.txt")"
stop_server

cat <<EOF
fpaste client benchmark ($(date -u +%Y-%m-%dT%H:%MZ), ${SIZE_MIB} MiB file, $(nproc) cores)
  encrypt throughput        median ${ENC_MEDIAN} MiB/s, best ${ENC_BEST} MiB/s (cpu)   (target >= 1024)
  decrypt throughput        median ${DEC_MEDIAN} MiB/s (cpu)
  ${CIPHER_LINE}
  peak RSS, encrypted upload  $((RSS_ENC / 1024)) MiB (${RSS_ENC} KiB) in ${UP_SECS} s   (target < 32 MiB)
  peak RSS, plain upload      $((RSS_PLAIN / 1024)) MiB (${RSS_PLAIN} KiB)
  peak RSS, get + decrypt     $((RSS_GET / 1024)) MiB (${RSS_GET} KiB)
  PoW difficulty 20 solve   median ${POW_MEDIAN} s over ${POW_RUNS} runs   (target < 0.5)
  create with PoW 20 (e2e)  median $(printf '%.3f' "$CREATE_MEDIAN") s over ${POW_RUNS} runs
EOF
