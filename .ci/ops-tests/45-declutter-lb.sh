#!/usr/bin/env bash
# deploy/nginx/declutter-lb.conf in front of three real `declutter serve` instances on one
# database, round-robin and no sticky sessions: sign-up, assigning a folder, a scan (queued on
# any instance, run by whichever has workers), a plan, its apply and the undo of the whole plan,
# each request on the next instance; every file is back byte for byte, and the nginx log shows
# all three instances answered. With DECLUTTER_LB_DATABASE_URL (47-declutter-lb-postgres.sh)
# the three share that PostgreSQL database instead of one SQLite file.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init "declutter-lb${DECLUTTER_LB_DATABASE_URL:+-postgres}"
lb_env=()
lb_postgres_env
need_pkgs nginx openssl curl
[[ -x ${DECLUTTER:-} ]] || fail "DECLUTTER must point at a built declutter binary"

# shellcheck source=SCRIPTDIR/declutter-lb.sh
source "$(dirname "$0")/declutter-lb.sh"

# The journey, as a browser would do it (cookie jar, Origin, CSRF token from each page, no
# automatic redirects).
python3 - "$public" "$tls/ca.pem" "$folder" <<'PY' || {
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
    lb_show_problems
    fail "the journey through the load balancer failed"
}

lb_check_files_back
lb_check_spread 5
lb_check_store "$db"
