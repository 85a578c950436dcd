#!/usr/bin/env bash
# deploy/ansible: the playbook passes --syntax-check; a --check --diff run against localhost with
# the real paths succeeds and writes nothing; a real run into a temporary root installs the
# binary, environment, unit and nginx site with the right modes, rendering exactly the
# reviewed files in deploy/systemd and deploy/nginx; a second run changes nothing; and the
# installed fpasted starts with the rendered environment.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init ansible
need_pkgs ansible-core curl openssl
[[ -x ${FPASTED:-} ]] || fail "FPASTED must point at a built fpasted binary"

export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOME=$ops_tmp/ansible-home \
    ANSIBLE_LOCAL_TEMP=$ops_tmp/ansible-tmp ANSIBLE_REMOTE_TEMP=$ops_tmp/ansible-tmp \
    ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_ROLES_PATH=$ops_root/deploy/ansible/roles
site=$ops_root/deploy/ansible/site.yml
secret=ansible-test-secret-0123456789abcdef0123
play() {
    ansible-playbook -i localhost, -c local -e ansible_python_interpreter=/usr/bin/python3 \
        -e fpaste_binary_src="$FPASTED" -e fpaste_proxy_secret="$secret" \
        -e fpaste_nginx_server_name=paste.example.org "$site" "$@"
}
recap() { # recap LOG FIELD: a number from the PLAY RECAP line
    grep -oE "$2=[0-9]+" "$1" | tail -n 1 | cut -d= -f2
}

out=$(ansible-playbook -i localhost, "$site" --syntax-check 2>&1) || fail "syntax-check: $out"
note "ansible-playbook --syntax-check: ok"

# --- check mode against the real filesystem: reports changes, makes none.
real_paths=(/usr/local/bin/fpasted /etc/fpaste/fpasted.env /etc/systemd/system/fpasted.service
    /etc/nginx/sites-available/fpaste.conf /etc/nginx/snippets/fpaste-proxy-params.conf
    /etc/nginx/sites-enabled/fpaste.conf)
fingerprint() {
    local p
    for p in "${real_paths[@]}"; do
        if [[ -e $p || -L $p ]]; then sha256sum "$p"; else echo "absent $p"; fi
    done
}
before=$(fingerprint)
play --check --diff >"$ops_tmp/check.log" 2>&1 || fail "check-mode run failed: $(tail -n 30 "$ops_tmp/check.log")"
[[ $(recap "$ops_tmp/check.log" failed) == 0 ]] || fail "check-mode run reported failures"
[[ $(fingerprint) == "$before" ]] || fail "check mode changed files on this machine"
grep -qF "$secret" "$ops_tmp/check.log" &&
    fail "the proxy secret appears in the --diff output"
note "--check --diff against localhost: $(recap "$ops_tmp/check.log" changed) changes reported, none made, secret not shown"

# --- a real run into a temporary root.
root=$ops_tmp/root
play -e fpaste_root="$root" >"$ops_tmp/run1.log" 2>&1 || fail "real run failed: $(tail -n 30 "$ops_tmp/run1.log")"
mode() { stat -c %a "$1"; }
[[ $(mode "$root/usr/local/bin/fpasted") == 755 ]] || fail "fpasted not installed 0755"
cmp -s "$FPASTED" "$root/usr/local/bin/fpasted" || fail "installed fpasted differs from the source"
[[ $(mode "$root/etc/fpaste/fpasted.env") == 640 ]] || fail "environment file not 0640"
[[ $(mode "$root/etc/nginx/snippets/fpaste-proxy-params.conf") == 640 ]] || fail "proxy params not 0640"
[[ $(readlink "$root/etc/nginx/sites-enabled/fpaste.conf") == ../sites-available/fpaste.conf ]] ||
    fail "site not enabled by a relative link"
[[ -f $root/etc/nginx/sites-enabled/fpaste.conf ]] || fail "sites-enabled link dangles"

# The role's templates, with default values, render the reviewed files byte for byte.
diff -u "$ops_root/deploy/systemd/fpasted.service" "$root/etc/systemd/system/fpasted.service" ||
    fail "the role's unit drifted from deploy/systemd/fpasted.service"
diff -u "$ops_root/deploy/nginx/fpaste.conf" "$root/etc/nginx/sites-available/fpaste.conf" ||
    fail "the role's nginx site drifted from deploy/nginx/fpaste.conf"
diff -u <(sed "s|change-me-to-a-long-random-secret|$secret|" "$ops_root/deploy/nginx/fpaste-proxy-params.conf") \
    "$root/etc/nginx/snippets/fpaste-proxy-params.conf" ||
    fail "the role's proxy params drifted from deploy/nginx/fpaste-proxy-params.conf"
grep -qx "TRUSTED_PROXY_SECRET=$secret" "$root/etc/fpaste/fpasted.env" || fail "secret not in the environment"
note "real run into a temp root: files, modes and link right; unit and nginx files match deploy/"

play -e fpaste_root="$root" >"$ops_tmp/run2.log" 2>&1 || fail "second run failed"
[[ $(recap "$ops_tmp/run2.log" changed) == 0 ]] || fail "second run changed something: $(grep -E '^changed' "$ops_tmp/run2.log")"
note "second run: changed=0 (idempotent)"

# A static user and a URL prefix render too.
play -e fpaste_root="$ops_tmp/root2" -e fpaste_user=fpaste -e fpaste_url_prefix=/paste \
    >"$ops_tmp/run3.log" 2>&1 || fail "run with user and prefix failed: $(tail -n 20 "$ops_tmp/run3.log")"
unit2=$ops_tmp/root2/etc/systemd/system/fpasted.service
grep -qx 'User=fpaste' "$unit2" || fail "static user not rendered"
grep -q '^DynamicUser' "$unit2" && fail "DynamicUser kept beside a static user"
grep -q 'location = /paste/metrics' "$ops_tmp/root2/etc/nginx/sites-available/fpaste.conf" ||
    fail "prefix not rendered into the nginx site"
grep -qx 'FLASKPASTE_URL_PREFIX=/paste' "$ops_tmp/root2/etc/fpaste/fpasted.env" || fail "prefix not in the environment"
note "static user and URL prefix variants render"

# The built-in PKI: nginx gets the CRL line, fpasted its variables, the host the refresh job.
pki_password=ansible-test-ca-password
play -e fpaste_root="$ops_tmp/root3" -e fpaste_pki_enabled=true -e fpaste_pki_ca_password="$pki_password" \
    --diff >"$ops_tmp/run4.log" 2>&1 || fail "run with the PKI failed: $(tail -n 20 "$ops_tmp/run4.log")"
root3=$ops_tmp/root3
grep -qx '    ssl_crl /etc/fpaste/tls/client-crl.pem;' "$root3/etc/nginx/sites-available/fpaste.conf" ||
    fail "ssl_crl not rendered into the nginx site"
grep -qx 'FLASKPASTE_PKI_ENABLED=true' "$root3/etc/fpaste/fpasted.env" || fail "PKI not in the environment"
grep -qx "FLASKPASTE_PKI_CA_PASSWORD=$pki_password" "$root3/etc/fpaste/fpasted.env" ||
    fail "CA password not in the environment"
grep -qF "$pki_password" "$ops_tmp/run4.log" && fail "the CA password appears in the --diff output"
[[ $(mode "$root3/usr/local/bin/fpaste-crl-refresh") == 755 ]] || fail "CRL refresh script not installed"
grep -q 'OnCalendar=\*:0/15' "$root3/etc/systemd/system/fpaste-crl.timer" || fail "CRL timer not installed"
grep -q 'ExecStart=/usr/local/bin/fpaste-crl-refresh' "$root3/etc/systemd/system/fpaste-crl.service" ||
    fail "CRL service not installed"
sh -n "$root3/usr/local/bin/fpaste-crl-refresh" || fail "CRL refresh script is not valid sh"
note "PKI variant: ssl_crl, PKI environment (password kept out of --diff), CRL refresh script and timer"

# The rendered refresh script against a live fpasted: creates the CA, fetches CA and CRL.
port=$(free_port)
play -e fpaste_root="$ops_tmp/root4" -e fpaste_pki_enabled=true -e fpaste_pki_ca_password="$pki_password" \
    -e fpaste_listen="127.0.0.1:$port" -e fpaste_nginx_client_ca="$ops_tmp/pki-ca.pem" \
    -e fpaste_nginx_client_crl="$ops_tmp/pki-crl.pem" >"$ops_tmp/run5.log" 2>&1 ||
    fail "run for the refresh script failed: $(tail -n 20 "$ops_tmp/run5.log")"
start_fpasted "$port" FLASKPASTE_PKI_ENABLED=true FLASKPASTE_PKI_CA_PASSWORD="$pki_password"
"$ops_tmp/root4/usr/local/bin/fpaste-crl-refresh" || fail "the CRL refresh script failed"
openssl x509 -in "$ops_tmp/pki-ca.pem" -noout 2>/dev/null || fail "refresh wrote no CA certificate"
openssl crl -in "$ops_tmp/pki-crl.pem" -noout 2>/dev/null || fail "refresh wrote no CRL"
[[ $(curl -s "http://127.0.0.1:$port/pki/status" | json_get ca_exists) == True ]] ||
    fail "the refresh script did not create the CA"
note "rendered fpaste-crl-refresh creates the CA and fetches CA certificate and CRL from fpasted"

# The installed binary accepts the rendered environment.
port=$(free_port)
mapfile -t envs < <(grep -E '^[A-Z][A-Z0-9_]*=' "$root/etc/fpaste/fpasted.env" |
    grep -vE '^(FLASKPASTE_LISTEN|FLASKPASTE_DB)=')
FPASTED=$root/usr/local/bin/fpasted start_fpasted "$port" "${envs[@]}"
note "installed fpasted starts with the rendered environment"

echo "PASS ansible"
