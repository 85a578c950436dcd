#!/usr/bin/env bash
# deploy/nginx against a real fpasted: TLS termination, client-certificate identity through
# X-SSL-Client-SHA1 + X-Proxy-Secret, spoofing refused, /metrics hidden, body limit, request
# ids, and the sub-path variant with FLASKPASTE_URL_PREFIX.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init nginx
need_pkgs nginx openssl curl

secret=ops-test-proxy-secret-0123456789abcdef
tls=$ops_tmp/tls
mkdir -p "$tls"

# --- certificates: a client CA, a server certificate for 127.0.0.1, a client certificate
# from that CA and a rogue one from a CA nginx does not trust.
mint_ca() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -keyout "$tls/$1.key" -out "$tls/$1.pem" 2>/dev/null
}
mint_leaf() { # name ca ext
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$tls/$1.key" -out "$tls/$1.csr" 2>/dev/null
    printf '%s\n' "$3" >"$tls/$1.ext"
    openssl x509 -req -in "$tls/$1.csr" -CA "$tls/$2.pem" -CAkey "$tls/$2.key" \
        -CAcreateserial -days 2 -extfile "$tls/$1.ext" -out "$tls/$1.pem" 2>/dev/null
}
mint_ca client-ca
mint_ca server-ca
mint_ca rogue-ca
mint_leaf server server-ca "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
mint_leaf alice client-ca "extendedKeyUsage=clientAuth"
mint_leaf mallory rogue-ca "extendedKeyUsage=clientAuth"
cat "$tls/server.pem" "$tls/server-ca.pem" >"$tls/server-chain.pem"
alice_fp=$(openssl x509 -in "$tls/alice.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
[[ $alice_fp =~ ^[0-9a-f]{40}$ ]] || fail "could not compute alice's fingerprint"
chmod 755 "$ops_tmp" "$tls"

# --- nginx prefix: our config files with listen ports, paths and the secret substituted.
# run_nginx SITE BACKEND_PORT HEALTH_PATH: starts nginx in the foreground (as a background
# job) with SITE and waits until fpasted's health answers through it.
run_nginx() {
    local site=$1 backend=$2 health=$3 dir=$ops_tmp/nginx-$1
    mkdir -p "$dir/snippets"
    nginx_main_conf "$dir"
    sed -e "/listen \[::\]/d" \
        -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
        -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
        -e "s|/etc/fpaste/tls/server.pem|$tls/server-chain.pem|" \
        -e "s|/etc/fpaste/tls/|$tls/|" \
        -e "s|server 127.0.0.1:5000;|server 127.0.0.1:$backend;|" \
        -e "s|root /var/www/html;|return 204;|" \
        -e "s|/etc/nginx/snippets/|$dir/snippets/|" \
        "$ops_root/deploy/nginx/$site.conf" >"$dir/site.conf"
    sed -e "s|change-me-to-a-long-random-secret|$secret|" \
        "$ops_root/deploy/nginx/fpaste-proxy-params.conf" >"$dir/snippets/fpaste-proxy-params.conf"
    grep -q "$secret" "$dir/snippets/fpaste-proxy-params.conf" || fail "secret placeholder not found"
    nginx -p "$dir" -c "$dir/nginx.conf" -t -q 2>"$dir/logs/test.log" ||
        fail "nginx -t rejected $site.conf: $(cat "$dir/logs/test.log")"
    nginx -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/logs/error.log" &
    ops_pids+=($!)
    wait_http "https://127.0.0.1:$https_port$health" --cacert "$tls/server-ca.pem"
}

stop_last() { # stops the most recently started background process
    local pid=${ops_pids[-1]}
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset 'ops_pids[-1]'
}

# https PATH [curl args...]: prints "STATUS\nBODY" for a request through nginx.
https() {
    local path=$1
    shift
    curl -sS --cacert "$tls/server-ca.pem" -o "$ops_tmp/body" -w '%{http_code}' \
        "$@" "https://127.0.0.1:$https_port$path"
}
body() { cat "$ops_tmp/body"; }
expect() { # expect STATUS what: compares with $status
    [[ $status == "$1" ]] || fail "$2: expected $1, got $status: $(body)"
}

backend=$(free_port)
http_port=$(free_port)
https_port=$(free_port)

# ===== root-path site =====
start_fpasted "$backend" FLASKPASTE_TRUST_PROXY=true TRUSTED_PROXY_SECRET="$secret"
run_nginx fpaste "$backend" /health

status=$(https / -X POST --data-binary 'anonymous through nginx')
expect 201 "anonymous paste"
[[ -z $(body | json_get owner) ]] || fail "anonymous paste got an owner: $(body)"
anon_raw=$(body | json_get raw)
status=$(https "$anon_raw")
expect 200 "raw read of the anonymous paste"
[[ $(body) == "anonymous through nginx" ]] || fail "raw content differs: $(body)"
note "anonymous paste created and read back through TLS"

status=$(https / -X POST --data-binary 'alice was here' --cert "$tls/alice.pem" --key "$tls/alice.key")
expect 201 "paste with client certificate"
owner=$(body | json_get owner)
[[ $owner == "$alice_fp" ]] || fail "owner is '$owner', expected alice's SHA-1 $alice_fp"
alice_id=$(body | json_get id)
note "client certificate became owner $owner"

spoof=0123456789abcdef0123456789abcdef01234567
status=$(https / -X POST --data-binary 'spoofed' -H "X-SSL-Client-SHA1: $spoof" -H "X-Proxy-Secret: $secret")
expect 201 "spoofed fingerprint without a certificate"
[[ -z $(body | json_get owner) ]] || fail "spoofed X-SSL-Client-SHA1 was honoured: $(body)"
status=$(https / -X POST --data-binary 'double' -H "X-SSL-Client-SHA1: $spoof" \
    --cert "$tls/alice.pem" --key "$tls/alice.key")
expect 201 "spoofed fingerprint beside a real certificate"
[[ $(body | json_get owner) == "$alice_fp" ]] || fail "client header overrode the certificate: $(body)"
status=$(https / -X POST --data-binary 'wrong secret' -H "X-Proxy-Secret: nope")
expect 201 "client-sent X-Proxy-Secret is replaced by nginx"
note "client-sent X-SSL-Client-SHA1 and X-Proxy-Secret are not honoured"

status=$(https / -X POST --data-binary 'rogue' --cert "$tls/mallory.pem" --key "$tls/mallory.key")
expect 400 "certificate from an untrusted CA"
note "certificate from an untrusted CA refused by nginx (400)"

status=$(https "/$alice_id" -X DELETE)
expect 401 "anonymous delete of alice's paste"
status=$(https "/$alice_id" -X DELETE --cert "$tls/alice.pem" --key "$tls/alice.key")
[[ $status == 200 || $status == 204 ]] || fail "owner delete through nginx: $status $(body)"
note "owner-only delete works through the proxy identity"

for path in /metrics //metrics /%6Detrics '/metrics?format=text'; do
    status=$(https "$path")
    expect 404 "GET $path through nginx"
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$backend/metrics") == 200 ]] ||
    fail "fpasted did not serve /metrics to loopback directly (test premise)"
note "/metrics is 404 through nginx (4 spellings), 200 only on fpasted's loopback port"

status=$(https / -D "$ops_tmp/headers")
expect 200 "API info"
rid=$(grep -i '^x-request-id:' "$ops_tmp/headers" | tr -d '\r' | cut -d' ' -f2)
[[ $rid =~ ^[0-9a-f]{32}$ ]] || fail "expected nginx's \$request_id to be echoed, got '$rid'"
status=$(https / -D "$ops_tmp/headers" -H 'X-Request-ID: trace-me-42')
rid=$(grep -i '^x-request-id:' "$ops_tmp/headers" | tr -d '\r' | cut -d' ' -f2)
[[ $rid == trace-me-42 ]] || fail "client request id not kept: '$rid'"
grep -q "\"request_id\":\"trace-me-42\"" "$ops_tmp/fpasted-$backend.log" ||
    fail "request id did not reach fpasted's log"
note "X-Request-ID generated by nginx or kept from the client, and logged by fpasted"

head -c $((4 * 1024 * 1024)) /dev/urandom >"$ops_tmp/4m"
status=$(https / -X POST --data-binary @"$ops_tmp/4m")
expect 413 "4 MiB anonymous paste (fpasted's limit)"
body | grep -q '"error"' || fail "413 for anon size should come from fpasted: $(body)"
status=$(https / -X POST --data-binary @"$ops_tmp/4m" --cert "$tls/alice.pem" --key "$tls/alice.key")
expect 201 "4 MiB authenticated paste"
head -c $((51 * 1024 * 1024)) /dev/zero >"$ops_tmp/51m"
status=$(https / -X POST --data-binary @"$ops_tmp/51m" --cert "$tls/alice.pem" --key "$tls/alice.key")
expect 413 "51 MiB paste (nginx client_max_body_size)"
rm -f "$ops_tmp/51m"
note "body limits: 4 MiB anon 413 from fpasted, 4 MiB with cert 201, 51 MiB 413 at nginx"

status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/x?y=1")
expect 308 "plain HTTP redirect"
stop_last
stop_last

# ===== sub-path site =====
backend=$(free_port)
start_fpasted "$backend" FLASKPASTE_TRUST_PROXY=true TRUSTED_PROXY_SECRET="$secret" \
    FLASKPASTE_URL_PREFIX=/paste
run_nginx fpaste-subpath "$backend" /paste/health
status=$(https /paste/ -X POST --data-binary 'under a prefix' --cert "$tls/alice.pem" --key "$tls/alice.key")
expect 201 "paste under /paste/"
url=$(body | json_get url)
raw=$(body | json_get raw)
[[ $url == /paste/* && $raw == /paste/*/raw ]] || fail "URLs lack the prefix: $(body)"
[[ $(body | json_get owner) == "$alice_fp" ]] || fail "owner lost under the prefix: $(body)"
status=$(https "$raw")
expect 200 "raw under prefix"
[[ $(body) == "under a prefix" ]] || fail "content under prefix differs"
status=$(https /paste -X POST --data-binary 'no slash')
expect 201 "POST /paste without slash"
for path in /paste/metrics /paste//metrics; do
    status=$(https "$path")
    expect 404 "GET $path"
done
status=$(https /)
expect 204 "the rest of the site stays with nginx"
note "sub-path variant: prefixed URLs, owner, raw read, /paste/metrics 404"

echo "PASS nginx"
