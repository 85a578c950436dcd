# Helpers sourced by the ops tests (not a test itself: run-all.sh runs only NN-*.sh).
# shellcheck shell=bash

ops_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ops_root

fail() {
    printf 'FAIL %s: %s\n' "${test_name:-ops-test}" "$*" >&2
    exit 1
}

note() { printf '  %s\n' "$*"; }

# Installs the Debian packages that are missing, quietly. Packages whose services would start
# (nginx, prometheus) do not: containers and CI machines carry a policy-rc.d, and the tests
# start their own instances on loopback ports anyway.
need_pkgs() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    note "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Installs Python packages for the current user when the module is missing.
need_pip() {
    local module=$1 package=$2
    python3 -c "import $module" 2>/dev/null && return 0
    note "installing $package (pip)"
    python3 -m pip install -q --disable-pip-version-check "$package" >/dev/null 2>&1 ||
        python3 -m pip install -q --disable-pip-version-check --break-system-packages "$package" >/dev/null
}

# A TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Background processes started by a test; killed by the EXIT trap that ops_init installs.
ops_pids=()
ops_cleanup() {
    local pid
    for pid in "${ops_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${ops_pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    [[ -n ${ops_tmp:-} && -d $ops_tmp ]] && rm -rf "$ops_tmp"
    return 0
}

# ops_init NAME: sets test_name, a private temp dir in $ops_tmp and the cleanup trap.
ops_init() {
    test_name=$1
    ops_tmp=$(mktemp -d "${TMPDIR:-/tmp}/ops-$1.XXXXXX")
    trap ops_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Waits up to 10 s for URL to answer 200 (extra curl arguments may follow).
wait_http() {
    local url=$1
    shift
    for _ in $(seq 1 100); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "$@" "$url" 2>/dev/null) == 200 ]]; then
            return 0
        fi
        sleep 0.1
    done
    fail "$url did not answer 200 within 10 s"
}

# start_fpasted PORT [VAR=value...]: runs $FPASTED on 127.0.0.1:PORT with a fresh database in
# $ops_tmp and the given extra environment, logging to $ops_tmp/fpasted-PORT.log; waits for
# /health (under FLASKPASTE_URL_PREFIX when one is given).
start_fpasted() {
    local port=$1 prefix="" kv
    shift
    [[ -x ${FPASTED:-} ]] || fail "FPASTED must point at a built fpasted binary"
    for kv in "$@"; do
        [[ $kv == FLASKPASTE_URL_PREFIX=* ]] && prefix=${kv#FLASKPASTE_URL_PREFIX=}
    done
    mkdir -p "$ops_tmp/db-$port"
    env FLASKPASTE_LISTEN="127.0.0.1:$port" \
        FLASKPASTE_DB="$ops_tmp/db-$port/fpaste.db" \
        FLASKPASTE_RATE_LIMIT=0 FLASKPASTE_DEDUP_MAX=0 LOG_FORMAT=json \
        "$@" "$FPASTED" >"$ops_tmp/fpasted-$port.log" 2>&1 &
    local pid=$!
    ops_pids+=("$pid")
    for _ in $(seq 1 100); do
        curl -sf -o /dev/null "http://127.0.0.1:$port${prefix}/health" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null ||
            fail "fpasted exited at start: $(tail -n 5 "$ops_tmp/fpasted-$port.log")"
        sleep 0.1
    done
    fail "fpasted did not become healthy on port $port within 10 s"
}

# json_get FIELD: reads one top-level member of a JSON object on stdin ("" when absent).
json_get() {
    python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"
}

# nginx_main_conf DIR [ACCESS_LOG_FORMAT_LINE]: writes DIR/nginx.conf for an nginx run in the
# foreground with its prefix, logs and temp files under DIR, including DIR/site.conf; a
# `log_format upstream ...;` line given as the second argument becomes the access log's format.
nginx_main_conf() {
    local dir=$1 log_format=${2:-} user_line="" access="access_log $1/logs/access.log;"
    mkdir -p "$dir/logs" "$dir/temp"
    [[ $(id -u) -eq 0 ]] && user_line="user nobody nogroup;"
    [[ -n $log_format ]] && access="access_log $dir/logs/access.log upstream;"
    cat >"$dir/nginx.conf" <<CONF
$user_line
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 64; }
http {
    $log_format
    $access
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    include $dir/site.conf;
}
CONF
}

# For 45 and 46 run by 47-declutter-lb-postgres.sh: appends to the array lb_env the variables
# putting the three instances on the PostgreSQL database DECLUTTER_LB_DATABASE_URL (with the
# shared API token secret it needs); nothing without it.
lb_postgres_env() {
    [[ -n ${DECLUTTER_LB_DATABASE_URL:-} ]] || return 0
    lb_env+=("DECLUTTER_DATABASE_URL=$DECLUTTER_LB_DATABASE_URL"
        "DECLUTTER_JWT_SECRET=$(head -c 32 /dev/urandom | base64)")
}

# After a journey on PostgreSQL: the data is there (one account), and the SQLite file the
# instances were also given (DB) was never written.
lb_check_store() { # DB
    [[ -n ${DECLUTTER_LB_DATABASE_URL:-} ]] || return 0
    [[ ! -e $1 ]] || fail "an instance wrote the SQLite file $1"
    local users
    users=$(psql "$DECLUTTER_LB_DATABASE_URL" -Atc "SELECT count(*) FROM users") ||
        fail "cannot read the PostgreSQL database"
    [[ $users == 1 ]] || fail "PostgreSQL holds $users accounts, not the one signed up"
    note "the data is in PostgreSQL; no SQLite file was written"
}
