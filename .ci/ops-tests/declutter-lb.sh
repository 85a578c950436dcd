# shellcheck shell=bash disable=SC2154 # ops_tmp, ops_root, ops_pids and fail come from lib.sh
# Shared by 45-declutter-lb.sh and 46-declutter-lb-chromium.sh (sourced after lib.sh and
# ops_init): deploy/nginx/declutter-lb.conf with TLS in front of three real `declutter serve`
# instances on one database, two of them `--no-worker`, no sticky sessions; and a folder of
# 40 duplicate pairs and 10 unique files whose checksums are kept in $ops_tmp/before.sums.
# Sets: tls (the CA is $tls/ca.pem), folder, roots, public (the https URL), ports, dir (nginx's
# prefix; its access log names the upstream of each request). Variables in the array lb_env
# (NAME=value), when the caller sets it, are given to every instance.

lb_upstream_counts() { # prints "count addr" per instance that answered
    awk '$4 ~ /^127\.0\.0\.1:/ {print $4}' "$dir/logs/access.log" | sort | uniq -c
}

# Every instance answered at least MIN requests.
lb_check_spread() { # MIN
    local served n addr
    served=$(lb_upstream_counts)
    [[ $(wc -l <<<"$served") -eq 3 ]] || fail "not all three instances answered: $served"
    while read -r n addr; do
        ((n >= $1)) || fail "instance $addr answered only $n requests"
    done <<<"$served"
    note "requests per instance: $(tr -s ' \n' ' ' <<<"$served")"
}

# After a failed journey: the warnings and errors each instance logged, the last few of each.
lb_show_problems() {
    local log
    for log in "$ops_tmp"/declutter-*.log; do
        grep -E '"level":"(WARN|ERROR)"' "$log" | tail -n 3 | sed "s|^|  $(basename "$log" .log): |" >&2 || true
    done
}

lb_check_files_back() {
    (cd "$folder" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$ops_tmp/after.sums"
    diff -u "$ops_tmp/before.sums" "$ops_tmp/after.sums" >&2 || fail "files differ after the undo"
    note "every file is back byte for byte"
}

tls=$ops_tmp/tls
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=ops ca" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
chmod 755 "$ops_tmp" "$tls"
chmod 644 "$tls"/*

# A folder of duplicates: 40 pairs and 10 unique files, their checksums kept.
roots=$ops_tmp/roots
folder=$roots/photos
for i in $(seq 1 40); do
    mkdir -p "$folder/a" "$folder/b"
    head -c $((1000 + i)) /dev/urandom >"$folder/a/p$i.jpg"
    cp -p "$folder/a/p$i.jpg" "$folder/b/p$i copy.jpg"
done
for i in $(seq 1 10); do head -c 777 /dev/urandom >"$folder/unique$i.txt"; done
(cd "$folder" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$ops_tmp/before.sums"

https_port=$(free_port)
public=https://127.0.0.1:$https_port
key=$(head -c 32 /dev/urandom | base64)
db=$ops_tmp/db/declutter.db
mkdir -p "$ops_tmp/db"
ports=()
[[ -v lb_env ]] || lb_env=()
start_declutter() { # PORT [extra args...]: one instance of the three
    local port=$1
    shift
    env -u DECLUTTER_TOKEN_KEY_FILE DECLUTTER_DB="$db" DECLUTTER_TOKEN_KEY="$key" \
        DECLUTTER_LISTEN="127.0.0.1:$port" DECLUTTER_PUBLIC_URL="$public" \
        DECLUTTER_TRUSTED_PROXY=127.0.0.1 DECLUTTER_LOCAL_ROOTS="$roots" LOG_FORMAT=json \
        "${lb_env[@]}" "$DECLUTTER" serve "$@" >"$ops_tmp/declutter-$port.log" 2>&1 &
    ops_pids+=($!)
    ports+=("$port")
}
# Two instances serve the web only; the third also runs the scan and clean-up workers.
start_declutter "$(free_port)" --no-worker
start_declutter "$(free_port)" --no-worker
start_declutter "$(free_port)"
for port in "${ports[@]}"; do wait_http "http://127.0.0.1:$port/readyz"; done

dir=$ops_tmp/nginx
# shellcheck disable=SC2016 # nginx variables, written literally
nginx_main_conf "$dir" 'log_format upstream '"'"'$request_method $uri $status $upstream_addr'"'"';'
sed -e "/listen \[::\]/d" \
    -e "/listen 80;/d" -e "/return 308/d" \
    -e "s|listen 443 ssl http2 backlog=4096;|listen 127.0.0.1:$https_port ssl http2 backlog=4096;|" \
    -e "s|/etc/declutter/tls/server.pem|$tls/server.pem|" \
    -e "s|/etc/declutter/tls/server.key|$tls/server.key|" \
    -e "s|server 127.0.0.1:8081 |server 127.0.0.1:${ports[0]} |" \
    -e "s|server 127.0.0.1:8082 |server 127.0.0.1:${ports[1]} |" \
    -e "s|server 127.0.0.1:8083 |server 127.0.0.1:${ports[2]} |" \
    "$ops_root/deploy/nginx/declutter-lb.conf" >"$dir/site.conf"
for port in "${ports[@]}"; do grep -q ":$port " "$dir/site.conf" || fail "upstream port $port not substituted"; done
nginx -p "$dir" -c "$dir/nginx.conf" -t -q 2>"$dir/logs/test.log" ||
    fail "nginx -t rejected declutter-lb.conf: $(cat "$dir/logs/test.log")"
nginx -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/logs/error.log" &
ops_pids+=($!)
wait_http "$public/healthz" --cacert "$tls/ca.pem"
