#!/usr/bin/env bash
# The same deployment as 45-declutter-lb.sh (nginx with TLS, round-robin over three real
# `declutter serve` instances on one database, no sticky sessions), driven by a real headless
# Chromium through chromedriver (W3C WebDriver): sign-up, assigning the folder on the admin
# page, connecting Google Drive through its OAuth consent (declutter-fakes: a fake Drive behind
# a fake authorization server checking PKCE, client secret and redirect URI), scanning both,
# the consent to read contents (previews), the duplicates page, the plan preview, the apply (its
# confirmation dialog accepted, then the consent for write access, after which the apply
# resumes by itself) and the undo of the whole plan from the job page, every step a click or a
# typed field. Chromium verifies the server's certificate against its pinned key (not "ignore
# certificate errors"), so the session cookie is a real `__Host-`, `Secure` cookie over TLS.
# Every file is back byte for byte, the nginx log shows all three instances answered, and each
# of them took part in an OAuth consent (sealing or opening the pending flow and the tokens
# with its DECLUTTER_TOKEN_KEY; an instance with another key refuses to start, and were it
# to run, the journey would fail). With DECLUTTER_LB_DATABASE_URL (47-declutter-lb-postgres.sh)
# the three share that PostgreSQL database instead of one SQLite file.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init "declutter-lb-chromium${DECLUTTER_LB_DATABASE_URL:+-postgres}"
need_pkgs nginx openssl curl chromium chromium-driver
[[ -x ${DECLUTTER:-} ]] || fail "DECLUTTER must point at a built declutter binary"
[[ -x ${DECLUTTER_FAKES:-} ]] || fail "DECLUTTER_FAKES must point at a built declutter-fakes binary"

# The fake Drive and its authorization server; every instance is configured with them.
coproc fakes { exec "$DECLUTTER_FAKES"; }
ops_pids+=("$fakes_PID")
read -r -t 30 fakes_json <&"${fakes[0]}" || fail "declutter-fakes printed nothing"
fake() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$fakes_json" "$1"; }
lb_env=(
    "DECLUTTER_GOOGLE_CLIENT_ID=$(fake client_id)"
    "DECLUTTER_GOOGLE_CLIENT_SECRET=$(fake client_secret)"
    "DECLUTTER_GOOGLE_AUTH_URL=$(fake auth_url)"
    "DECLUTTER_GOOGLE_TOKEN_URL=$(fake token_url)"
    "DECLUTTER_GOOGLE_REVOKE_URL=$(fake revoke_url)"
    "DECLUTTER_DRIVE_URL=$(fake drive_url)"
)
lb_postgres_env

# shellcheck source=SCRIPTDIR/declutter-lb.sh
source "$(dirname "$0")/declutter-lb.sh"

# Chromium trusts exactly this server key: the base64 SHA-256 of its SubjectPublicKeyInfo.
spki=$(openssl x509 -in "$tls/server.pem" -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)

driver_port=$(free_port)
chromedriver --port="$driver_port" >"$ops_tmp/chromedriver.log" 2>&1 &
ops_pids+=($!)
wait_http "http://127.0.0.1:$driver_port/status"

python3 - "$public" "$folder" "$driver_port" "$spki" "$ops_tmp/chromium" "$fakes_json" \
    "$dir/logs/access.log" <<'PY' || {
import json, os, re, sys, time, urllib.error, urllib.parse, urllib.request

base, folder, port, spki, profile, fakes, access_log = sys.argv[1:]
fakes = json.loads(fakes)
driver = f"http://127.0.0.1:{port}"

def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(driver + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())["value"]
    except urllib.error.HTTPError as e:
        return json.loads(e.read())["value"]

caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "acceptInsecureCerts": False,
        "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--ignore-certificate-errors-spki-list={spki}"]}}}}
session = call("POST", "/session", caps)
if "sessionId" not in session:
    sys.exit(f"no Chromium session: {session}")
s = "/session/" + session["sessionId"]
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

def go(path):
    call("POST", s + "/url", {"url": base + path})

def find(css):
    v = call("POST", s + "/element", {"using": "css selector", "value": css})
    if ELEMENT not in v:
        sys.exit(f"no element {css!r} on {call('GET', s + '/url')}: {v}")
    return v[ELEMENT]

def fill(css, text):
    call("POST", s + f"/element/{find(css)}/value", {"text": text})

def click(css):
    call("POST", s + f"/element/{find(css)}/click", {})

def page():
    return call("GET", s + "/source") or ""

def path():
    return urllib.parse.urlparse(call("GET", s + "/url")).path

def text():  # the page's words, for failure messages
    html = re.sub(r"(?s)<(head|script|style)\b.*?</\1>", " ", page())
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()[:800]

def wait(what, test, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        if test():
            return
        if str(call("GET", s + "/title")).startswith("Error "):
            sys.exit(f"an error page instead of {what}: at {path()}: {text()}")
        time.sleep(0.2)
    sys.exit(f"{what} not within {seconds} s: at {path()}: {text()}")

def accept_confirm():
    def open_():
        return isinstance(call("GET", s + "/alert/text"), str)
    wait("a confirmation dialog", open_, 10)
    call("POST", s + "/alert/accept", {})

try:
    # Sign up: the first account is the administrator.
    go("/signup")
    if not path().startswith("/signup") or 'id="display_name"' not in page():
        sys.exit(f"no sign-up page over TLS (is the certificate trusted?): at "
                 f"{call('GET', s + '/url')}: {call('GET', s + '/title')}: {text()[:300]}")
    fill("#display_name", "Admin")
    fill("#email", "admin@example.com")
    fill("#password", "correct horse battery staple")
    click("form[action='/signup'] button[type=submit]")
    wait("signed in", lambda: not path().startswith("/signup"))

    # Assign the folder to the account on the admin page.
    go("/admin/sources")
    fill("#path", folder)
    click("form[action='/admin/sources'] button[type=submit]")
    wait("the folder assigned", lambda: folder in page())

    # Connect Google Drive: the fake consents and sends the browser back through nginx, to
    # the callback (seen in nginx's log) and on to the account page.
    def oauth_log():
        with open(access_log) as f:
            return [w for w in map(str.split, f)
                    if len(w) > 3 and w[1].startswith("/connections/gdrive/")]
    def callbacks():
        return sum(w[1] == "/connections/gdrive/callback" for w in oauth_log())
    def back_from_consent(before):
        wait("back from the consent", lambda: callbacks() > before and path() == "/account"
             and urllib.parse.urlparse(call("GET", s + "/url")).netloc
             == urllib.parse.urlparse(base).netloc, 30)
    def consent(form):
        go("/account")
        before = callbacks()
        click(f"{form} button[type=submit]")
        back_from_consent(before)
    consent("form[action='/connections/gdrive/connect']:not(.inline)")
    if "Google Drive: connected, read-only" not in page():
        sys.exit(f"Google Drive is not connected: {text()}")
    # The consent to read contents, for previews on the duplicates page.
    consent("form[action='/connections/gdrive/connect'].inline")
    if "Allow Google Drive previews" in page():
        sys.exit(f"the consent to read contents did not stick: {text()}")

    # The instance that starts a consent seals the pending flow, the one the browser comes back
    # to opens it and seals the tokens, workers open them: each instance must have done one of
    # these with its key. The round robin decides which; a re-consent (the same connect form,
    # which has no button once connected) moves it on until all three have.
    def oauth_instances():
        return {w[3] for w in oauth_log()}
    for _ in range(3):
        if len(oauth_instances()) == 3:
            break
        go("/account")
        before = callbacks()
        call("POST", s + "/execute/sync", {"script": "document.querySelector("
             "\"form[action='/connections/gdrive/connect']:not(.inline)\").submit()", "args": []})
        back_from_consent(before)
    if len(oauth_instances()) != 3:
        sys.exit(f"only {sorted(oauth_instances())} took part in a consent")

    def drive_trashed(item):
        req = urllib.request.Request(f"{fakes['drive_url']}/files/{item}?fields=trashed",
                                     headers={"Authorization": f"Bearer {fakes['access_token']}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["trashed"]

    # Scan the folder and the drive from the sources page; the scan page follows each job.
    def scan(form):
        go("/sources")
        click(f"{form} button[type=submit]")
        wait("on the scan page", lambda: path().startswith("/scans/"))
        def scanned():
            html = page()
            if "The scan failed" in html:
                sys.exit(f"the scan failed: {text()}")
            return 'href="/dupes">See duplicates' in html
        wait("the scan done (is any instance running workers?)", scanned, 120)
    scan("form[action^='/sources/'][action$='/scan']")
    scan("form[action^='/drives/'][action$='/scan']")

    # The duplicates page lists the 40 pairs and the drive's pair; preview a plan for all.
    go("/dupes")
    wait("41 groups listed", lambda: ">41<" in page())
    click("form[action='/plans'] button[name=scope][value=all]")
    wait("on the plan page", lambda: path().startswith("/plans/"))
    plan = path().rsplit("/", 1)[1]

    # Apply, confirming the dialog. The drive is read-only so far: the browser goes through
    # the consent for write access and the apply resumes by itself on the job page.
    click(f"form[action='/plans/{plan}/apply'] button[type=submit]")
    accept_confirm()
    wait("on the job page", lambda: path().startswith("/jobs/"), 60)
    wait("the apply done", lambda: "moved to the trash" in page(), 120)
    left = [n for top, _, names in os.walk(folder) if ".declutter-trash" not in top for n in names]
    if len(left) != 50:
        sys.exit(f"one copy of each pair and the unique files stay: {len(left)} files")
    if not drive_trashed(fakes["copy"]) or drive_trashed(fakes["keep"]):
        sys.exit("the drive's copy is not in Drive's trash, or the kept one is")

    # Undo the whole plan from the job page.
    click(f"form[action='/plans/{plan}/restore'] button[type=submit]")
    accept_confirm()
    wait("the undo done", lambda: "are back where they were" in page(), 120)
    if drive_trashed(fakes["copy"]):
        sys.exit("the drive's copy is still in Drive's trash after the undo")
    print("  chromium: signed up, assigned a folder, connected Google Drive (each instance in a "
          "consent), scanned both, applied through the write consent and undid the plan")
finally:
    call("DELETE", s)
PY
    lb_show_problems
    fail "the Chromium journey through the load balancer failed"
}

lb_check_files_back
lb_check_spread 5
lb_check_store "$db"
