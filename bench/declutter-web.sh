#!/usr/bin/env bash
# Read benchmark of the declutter web app with a large index, on loopback, with wrk.
#   bench/declutter-web.sh [seconds-per-run]   (default 10)
# Seeds one account with 100k indexed files in 10k duplicate groups (examples/seed.rs, straight
# into SQLite through the engine's store API), starts the release `declutter serve`, builds one
# plan over every group (10k groups, 90k removals), and prints p50/p95/p99 latency of every
# review page and API call at 8 connections: the duplicates page and API (first and deep pages,
# filtered by type, size, folder and name, each sort), the folder view, the plan preview (first,
# middle and last page) and its API, the dashboard; then GET /api/dupes at 1000 connections.
# Targets: issue 6, p95 < 100 ms for the duplicates page and API and p99 < 250 ms at 1k;
# issue 14, every page and API call p95 < 200 ms at 8 connections, the plan page < 300 KB.
# With DECLUTTER_BENCH_DATABASE_URL=postgres://… (an empty database) the same on PostgreSQL.
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
more=()
cleanup() {
    for p in $pid "${more[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

port="${DECLUTTER_BENCH_PORT:-5180}"
secret=$(head -c 32 /dev/urandom | base64 -w0)
t0=$(date +%s.%N)
store=${DECLUTTER_BENCH_DATABASE_URL:-$work/declutter.db}
eval "$("$bin/examples/seed" "$store" "$secret" 10000 10)"
backend=SQLite
[ -n "${DECLUTTER_BENCH_DATABASE_URL:-}" ] && backend=PostgreSQL
echo "seeded 100000 files / 10000 groups in $(echo "$(date +%s.%N) - $t0" | bc) s ($backend)"

pg_env=()
[ -n "${DECLUTTER_BENCH_DATABASE_URL:-}" ] && pg_env=(DECLUTTER_DATABASE_URL="$DECLUTTER_BENCH_DATABASE_URL")
token_key=$(head -c 32 /dev/urandom | base64 -w0)
serve() { # PORT: one instance on the seeded database, answering once it is up
    env "${pg_env[@]}" DECLUTTER_LISTEN="127.0.0.1:$1" DECLUTTER_DB="$work/declutter.db" \
    DECLUTTER_TOKEN_KEY="$token_key" DECLUTTER_JWT_SECRET="$secret" \
    DECLUTTER_LOGIN_RATE=0 DECLUTTER_SIGNUP_RATE=0 DECLUTTER_API_RATE=0 RUST_LOG=warn \
        "$bin/declutter" serve >>"$work/serve.log" 2>&1 &
    for _ in $(seq 200); do curl -fs "http://127.0.0.1:$1/healthz" >/dev/null && break; sleep 0.05; done
    curl -fs "http://127.0.0.1:$1/healthz" >/dev/null || { cat "$work/serve.log" >&2; exit 1; }
}
serve "$port"
pid=$!

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

# Connections the kernel dropped because a listener's accept queue was full (each one waits
# for its SYN to be sent again, 1 s and then 3 s later), counted per run.
overflows() { nstat -asz TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/ {n = $2} END {print n + 0}'; }
run() { # label, script, connections, path
    local out before
    before=$(overflows)
    out=$(wrk -t2 -c"$3" -d"${secs}s" --timeout 10s -s "$work/$2" "$base$4" | grep RESULT)
    printf '%-34s c=%-5s %s overflows=%s\n' "$1" "$3" "${out#RESULT }" \
        "$(( $(overflows) - before ))"
}
t0=$(date +%s.%N)
plan=$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"rules":["newest"]}' "$base/api/plans" | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
[ -n "$plan" ] || { echo "no plan was made" >&2; exit 1; }
echo "plan $plan over 10000 groups built in $(echo "$(date +%s.%N) - $t0" | bc) s"
for page in 1 200 400; do
    bytes=$(curl -fs -H "Cookie: __Host-declutter=$SESSION" "$base/plans/$plan?page=$page" | wc -c)
    echo "GET /plans/$plan?page=$page: $bytes bytes of HTML (limit 300000)"
    [ "$bytes" -lt 300000 ] || { echo "plan page too large" >&2; exit 1; }
done
# Warm-up: the first requests after a bulk load fill the caches (and on PostgreSQL meet a
# planner without statistics until autovacuum's ANALYZE); measured runs come after.
for path in /dupes /dupes/folders "/plans/$plan"; do
    wrk -t2 -c8 -d2s -s "$work/cookie.lua" "$base$path" >/dev/null
done
wrk -t2 -c8 -d2s -s "$work/bearer.lua" "$base/api/dupes" >/dev/null
echo "declutter $("$bin/declutter" --version 2>/dev/null | head -1) on $(nproc) cores, wrk -t2 -d${secs}s (ms)"
run "GET /dupes (HTML, page 1)" cookie.lua 8 /dupes
run "GET /dupes?type=image&sort=size&p=3" cookie.lua 8 "/dupes?type=image&sort=size&page=3"
run "GET /dupes/folders (HTML)" cookie.lua 8 /dupes/folders
run "GET /dupes/folders?parent=/Photos" cookie.lua 8 "/dupes/folders?parent=/Photos"
run "GET /plans/N (HTML, page 1)" cookie.lua 8 "/plans/$plan"
run "GET /plans/N?page=200 (HTML)" cookie.lua 8 "/plans/$plan?page=200"
run "GET /plans/N?page=400 (last)" cookie.lua 8 "/plans/$plan?page=400"
run "GET /api/dupes (page 1)" bearer.lua 8 /api/dupes
run "GET /api/dupes?page=400 (last)" bearer.lua 8 "/api/dupes?page=400"
run "GET /api/dupes?sort=count&page=250" bearer.lua 8 "/api/dupes?sort=count&page=250"
run "GET /api/dupes?sort=date&page=100" bearer.lua 8 "/api/dupes?sort=date&page=100"
run "GET /api/dupes?folder=/Backup/7" bearer.lua 8 "/api/dupes?folder=/Backup/7&page=5"
run "GET /api/dupes?min_size=4000000" bearer.lua 8 "/api/dupes?min_size=4000000&sort=size"
run "GET /api/dupes?q=img_0042" bearer.lua 8 "/api/dupes?q=img_0042"
run "GET /api/folders?parent=/Backup" bearer.lua 8 "/api/folders?parent=/Backup"
run "GET /api/plans/N?page=300" bearer.lua 8 "/api/plans/$plan?page=300"
run "GET /api/usage (dashboard)" bearer.lua 8 /api/usage
run "GET /dashboard (HTML)" cookie.lua 8 /dashboard
run "GET /api/dupes 1k concurrent" bearer.lua 1000 /api/dupes
run "GET /dupes 1k concurrent" cookie.lua 1000 /dupes
rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
echo "declutter peak RSS: $((rss_kib / 1024)) MiB"

# DECLUTTER_BENCH_INSTANCES=3: two more instances on the same database and nginx round-robin in
# front of the three (HTTP keep-alive to each), then the 1,000-connection calls through it.
# DECLUTTER_BENCH_LB=least_conn (or another nginx balancing directive) replaces round-robin.
instances=${DECLUTTER_BENCH_INSTANCES:-1}
balance=${DECLUTTER_BENCH_LB:+$DECLUTTER_BENCH_LB;}
if [ "$instances" -gt 1 ]; then
    command -v nginx >/dev/null || { apt-get update -qq && apt-get install -y -qq nginx >/dev/null; }
    upstreams="server 127.0.0.1:$port;"
    for i in $(seq 2 "$instances"); do
        p=$((port + i - 1))
        serve "$p"
        more+=("$!")
        upstreams="$upstreams server 127.0.0.1:$p;"
    done
    lb=$((port + 100))
    mkdir -p "$work/nginx/logs" "$work/nginx/temp"
    chmod 755 "$work" && chmod 777 "$work/nginx/temp"
    cat >"$work/nginx/nginx.conf" <<CONF
$([ "$(id -u)" -eq 0 ] && echo "user nobody nogroup;")
daemon off;
worker_processes 2;
worker_rlimit_nofile 65536;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $work/nginx/temp/body;
    proxy_temp_path $work/nginx/temp/proxy;
    fastcgi_temp_path $work/nginx/temp/fastcgi;
    uwsgi_temp_path $work/nginx/temp/uwsgi;
    scgi_temp_path $work/nginx/temp/scgi;
    upstream declutter { $balance $upstreams keepalive 128; }
    server {
        listen 127.0.0.1:$lb backlog=4096;
        location / {
            proxy_pass http://declutter;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_max_temp_file_size 0;
        }
    }
}
CONF
    nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
    more+=("$!")
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$lb/healthz" >/dev/null && break; sleep 0.05; done
    base="http://127.0.0.1:$lb"
    # Warm-up through the balancer: each instance's page cache and each of its pool's
    # connections' prepared statements fill on their first requests.
    wrk -t2 -c8 -d2s -s "$work/bearer.lua" "$base/api/dupes" >/dev/null
    wrk -t2 -c8 -d2s -s "$work/cookie.lua" "$base/dupes" >/dev/null
    echo "through nginx, $instances instances${balance:+ ($balance)}:"
    run "GET /api/dupes 1k concurrent" bearer.lua 1000 /api/dupes
    run "GET /dupes 1k concurrent" cookie.lua 1000 /dupes
fi
