#!/usr/bin/env bash
# deploy/nginx with fpasted's built-in PKI: nginx trusts the CA from GET /pki/ca.crt and the CRL
# from GET /pki/crl (the shipped `ssl_crl` line, uncommented). A certificate from /register
# (PKCS#12, read by OpenSSL) and one signed from an OpenSSL CSR at /csr both own pastes through
# nginx; after the admin revokes one through nginx, fpasted refuses it at once (403) and, with
# the fresh CRL loaded, nginx refuses its handshake while the other still works.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init nginx-pki
need_pkgs nginx openssl curl

secret=ops-test-proxy-secret-0123456789abcdef
tls=$ops_tmp/tls
mkdir -p "$tls"

# The server certificate nginx presents (the PKI is for clients only).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=server-ca \
    -keyout "$tls/server-ca.key" -out "$tls/server-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=server \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/server-ca.pem" -CAkey "$tls/server-ca.key" \
    -CAcreateserial -days 2 -extfile "$tls/server.ext" -out "$tls/server.pem" 2>/dev/null
cat "$tls/server.pem" "$tls/server-ca.pem" >"$tls/server-chain.pem"

backend=$(free_port)
https_port=$(free_port)
http_port=$(free_port)
start_fpasted "$backend" FLASKPASTE_TRUST_PROXY=true TRUSTED_PROXY_SECRET="$secret" \
    FLASKPASTE_PKI_ENABLED=true FLASKPASTE_PKI_CA_PASSWORD=ops-test-ca-password \
    FLASKPASTE_REGISTER_POW=0
direct=http://127.0.0.1:$backend

# The admin registers (first certificate, no FLASKPASTE_ADMINS) and gets a PKCS#12 bundle.
curl -fsS -o "$tls/admin.p12" -D "$ops_tmp/reg.h" -X POST "$direct/register"
grep -qi '^x-is-admin: 1' "$ops_tmp/reg.h" || fail "first registration is not admin: $(cat "$ops_tmp/reg.h")"
openssl pkcs12 -in "$tls/admin.p12" -passin pass: -nokeys -clcerts -out "$tls/admin.pem" 2>/dev/null ||
    fail "OpenSSL cannot read the registration bundle"
openssl pkcs12 -in "$tls/admin.p12" -passin pass: -nocerts -nodes -out "$tls/admin.key" 2>/dev/null
# Bob keeps his key: an OpenSSL CSR signed at /csr.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bob \
    -keyout "$tls/bob.key" -out "$tls/bob.csr" 2>/dev/null
curl -fsS -o "$tls/bob.pem" -D "$ops_tmp/csr.h" -H 'Content-Type: application/x-pem-file' \
    --data-binary @"$tls/bob.csr" "$direct/csr"
bob_serial=$(grep -i '^x-certificate-serial:' "$ops_tmp/csr.h" | tr -d '\r' | cut -d' ' -f2)
bob_fp=$(openssl x509 -in "$tls/bob.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')
[[ -n $bob_serial ]] || fail "no X-Certificate-Serial from /csr"
note "registration bundle read by OpenSSL; OpenSSL CSR signed at /csr"

fetch_pki() { # what nginx verifies clients with, straight from fpasted
    curl -fsS -o "$tls/client-ca.pem" "$direct/pki/ca.crt"
    curl -fsS -o "$tls/client-crl.pem" "$direct/pki/crl"
    openssl crl -in "$tls/client-crl.pem" -noout 2>/dev/null || fail "GET /pki/crl is not a PEM CRL"
}
fetch_pki

dir=$ops_tmp/nginx
mkdir -p "$dir/snippets"
chmod 755 "$ops_tmp" "$tls"
chmod 644 "$tls"/*
nginx_main_conf "$dir"
grep -q '^    # ssl_crl /etc/fpaste/tls/client-crl.pem;$' "$ops_root/deploy/nginx/fpaste.conf" ||
    fail "deploy/nginx/fpaste.conf no longer ships the ssl_crl line"
sed -e "/listen \[::\]/d" \
    -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
    -e "s|# ssl_crl |ssl_crl |" \
    -e "s|/etc/fpaste/tls/server.pem|$tls/server-chain.pem|" \
    -e "s|/etc/fpaste/tls/|$tls/|" \
    -e "s|server 127.0.0.1:5000;|server 127.0.0.1:$backend;|" \
    -e "s|/etc/nginx/snippets/|$dir/snippets/|" \
    "$ops_root/deploy/nginx/fpaste.conf" >"$dir/site.conf"
grep -q "ssl_crl $tls/client-crl.pem;" "$dir/site.conf" || fail "ssl_crl not enabled in the test site"
sed -e "s|change-me-to-a-long-random-secret|$secret|" \
    "$ops_root/deploy/nginx/fpaste-proxy-params.conf" >"$dir/snippets/fpaste-proxy-params.conf"
nginx -p "$dir" -c "$dir/nginx.conf" -t -q 2>"$dir/logs/test.log" ||
    fail "nginx -t rejected the site: $(cat "$dir/logs/test.log")"
nginx -p "$dir" -c "$dir/nginx.conf" 2>>"$dir/logs/error.log" &
ops_pids+=($!)
wait_http "https://127.0.0.1:$https_port/health" --cacert "$tls/server-ca.pem"

https() { # https PATH WHO [curl args...]: prints the status, body in $ops_tmp/body
    local path=$1 who=$2
    shift 2
    local id=()
    [[ $who != anon ]] && id=(--cert "$tls/$who.pem" --key "$tls/$who.key")
    curl -sS --cacert "$tls/server-ca.pem" -o "$ops_tmp/body" -w '%{http_code}' \
        "${id[@]}" "$@" "https://127.0.0.1:$https_port$path"
}
body() { cat "$ops_tmp/body"; }

status=$(https / bob -X POST --data-binary "bob's paste")
[[ $status == 201 ]] || fail "bob's paste through nginx: $status $(body)"
[[ $(body | json_get owner) == "$bob_fp" ]] || fail "bob is not the owner: $(body)"
status=$(https / admin -X POST --data-binary "admin's paste")
[[ $status == 201 ]] || fail "admin's paste through nginx: $status $(body)"
note "certificates from /register and /csr own pastes through nginx"

status=$(https /pki/revoke admin -H 'Content-Type: application/json' -d "{\"serial\":\"$bob_serial\"}")
[[ $status == 200 ]] || fail "revoke through nginx as the PKI admin: $status $(body)"
status=$(https / bob -X POST --data-binary 'after revocation')
[[ $status == 403 ]] || fail "fpasted accepted a revoked certificate via nginx: $status $(body)"
note "revoked through nginx; fpasted refuses the revoked fingerprint at once (403) while nginx's CRL is stale"

fetch_pki
openssl crl -in "$tls/client-crl.pem" -noout -text | tr -d ' :' | grep -qi "SerialNumber${bob_serial}" ||
    fail "the served CRL does not list bob's serial $bob_serial"
nginx -p "$dir" -c "$dir/nginx.conf" -s reload
# The reload is done once a new worker answers with the new CRL: wait for bob's refusal.
for _ in $(seq 1 50); do
    status=$(https / bob -X POST --data-binary 'x' 2>/dev/null || true)
    [[ $status == 400 ]] && break
    sleep 0.1
done
[[ $status == 400 ]] || fail "nginx accepted bob's revoked certificate with the new CRL: $status"
body | grep -q 'SSL certificate error' || fail "the 400 is not nginx's certificate refusal: $(body)"
status=$(https / admin -X POST --data-binary 'still fine')
[[ $status == 201 ]] || fail "the admin's certificate broke with the new CRL: $status $(body)"
note "with the fresh CRL nginx refuses the revoked certificate (400 SSL certificate error), others pass"

echo "PASS nginx-pki"
