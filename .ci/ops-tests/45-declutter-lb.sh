#!/usr/bin/env bash
# deploy/nginx/declutter-lb.conf in front of three real `declutter serve` instances on one
# database, round-robin and no sticky sessions: sign-up, assigning a folder, a scan (queued on
# any instance, run by whichever has workers), a plan, its apply and the undo of the whole plan,
# each request on the next instance; every file is back byte for byte, and the nginx log shows
# all three instances answered.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init declutter-lb
need_pkgs nginx openssl curl
[[ -x ${DECLUTTER:-} ]] || fail "DECLUTTER must point at a built declutter binary"

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
start_declutter() { # PORT [extra args...]: one instance of the three
    local port=$1
    shift
    env -u DECLUTTER_TOKEN_KEY_FILE DECLUTTER_DB="$db" DECLUTTER_TOKEN_KEY="$key" \
        DECLUTTER_LISTEN="127.0.0.1:$port" DECLUTTER_PUBLIC_URL="$public" \
        DECLUTTER_TRUSTED_PROXY=127.0.0.1 DECLUTTER_LOCAL_ROOTS="$roots" LOG_FORMAT=json \
        "$DECLUTTER" serve "$@" >"$ops_tmp/declutter-$port.log" 2>&1 &
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
    -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" \
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

# The journey, as a browser would do it (cookie jar, Origin, CSRF token from each page, no
# automatic redirects).
python3 - "$public" "$tls/ca.pem" "$folder" <<'PY' || fail "the journey through the load balancer failed"
import http.cookiejar, json, os, re, ssl, sys, time, urllib.error, urllib.parse, urllib.request

base, ca, folder = sys.argv[1:]
ctx = ssl.create_default_context(cafile=ca)
jar = http.cookiejar.CookieJar()

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None

opener = urllib.request.build_opener(
    urllib.request.HTTPSHandler(context=ctx), urllib.request.HTTPCookieProcessor(jar), NoRedirect)

def call(method, path, form=None, headers=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Origin", base)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()

def csrf(page):
    status, _, html = call("GET", page)
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    if not m:
        sys.exit(f"no csrf field on {page} ({status})")
    return m.group(1)

def post(page, action, fields):
    status, headers, body = call("POST", action, dict(fields, csrf=csrf(page)))
    if status != 303:
        sys.exit(f"POST {action}: {status} {body[:300]}")
    return headers["Location"]

def get_json(path):
    status, _, body = call("GET", path)
    if status != 200:
        sys.exit(f"GET {path}: {status} {body[:300]}")
    return json.loads(body)

def wait(path, kind):
    for _ in range(600):
        s = get_json(path)
        if s["state"] not in ("queued", "running"):
            if s["state"] != "done":
                sys.exit(f"{kind} ended {s['state']}: {s}")
            return s
        time.sleep(0.1)
    sys.exit(f"{kind} did not end")

tail = lambda loc: int(loc.rstrip("/").rsplit("/", 1)[1])
post("/signup", "/signup", {"email": "admin@example.com", "display_name": "Admin",
                            "password": "correct horse battery staple"})
me = get_json("/api/me")
post("/admin/sources", "/admin/sources", {"user_id": me["id"], "path": folder})
source = get_json("/api/sources")[0]["id"]
scan = wait(f"/api/scans/{tail(post('/sources', f'/sources/{source}/scan', {}))}", "scan")
assert scan["indexed"] >= 90, scan
dupes = get_json("/api/dupes")
assert dupes["total_groups"] == 40, dupes["total_groups"]
plan = tail(post("/dupes", "/plans", {"prefer": "original-name", "then": "none"}))
applied = wait(f"/api/jobs/{tail(post(f'/plans/{plan}', f'/plans/{plan}/apply', {}))}", "apply")
assert applied["summary"]["trashed"] == 40, applied
left = [n for top, _, names in os.walk(folder) if ".declutter-trash" not in top for n in names]
assert len(left) == 50, f"one copy of each pair and the unique files stay: {len(left)} files"
restored = wait(f"/api/jobs/{tail(post(f'/plans/{plan}', f'/plans/{plan}/restore', {}))}", "restore")
assert restored["summary"]["restored"] == 40, restored
print("  journey: signed up, scanned 40 pairs, applied and restored the plan")
PY

(cd "$folder" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$ops_tmp/after.sums"
diff -u "$ops_tmp/before.sums" "$ops_tmp/after.sums" >&2 || fail "files differ after the undo"
note "every file is back byte for byte"
served=$(awk '$4 ~ /^127\.0\.0\.1:/ {print $4}' "$dir/logs/access.log" | sort | uniq -c)
[[ $(wc -l <<<"$served") -eq 3 ]] || fail "not all three instances answered: $served"
while read -r n addr; do
    ((n >= 5)) || fail "instance $addr answered only $n requests"
done <<<"$served"
note "requests per instance: $(tr -s ' \n' ' ' <<<"$served")"
