#!/usr/bin/env bash
# deploy/systemd: the unit passes `systemd-analyze verify`, its sandbox scores at most 2.0 on
# `systemd-analyze security --offline` (0 = fully locked down, 10 = wide open) with the key
# options present, and fpasted.env.example names only variables fpasted knows and is accepted
# by the real server.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init systemd
need_pkgs systemd curl

unit_src=$ops_root/deploy/systemd/fpasted.service
env_src=$ops_root/deploy/systemd/fpasted.env.example
config_srcs=("$ops_root/crates/paste-server/src/config/env.rs" "$ops_root/crates/paste-server/src/pki/config.rs")
[[ -x ${FPASTED:-} ]] || fail "FPASTED must point at a built fpasted binary"

# verify checks that ExecStart= exists and is executable, so point it at the binary under test.
mkdir -p "$ops_tmp/units"
unit=$ops_tmp/units/fpasted.service
sed "s|^ExecStart=/usr/local/bin/fpasted|ExecStart=$FPASTED|" "$unit_src" >"$unit"
grep -q "^ExecStart=$FPASTED\$" "$unit" || fail "ExecStart=/usr/local/bin/fpasted not found in the unit"
out=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $out"
[[ -z $out ]] || fail "systemd-analyze verify warned: $out"
note "systemd-analyze verify: clean"

for opt in DynamicUser=yes StateDirectory=fpaste ProtectSystem=strict ProtectHome=yes \
    PrivateTmp=yes NoNewPrivileges=yes CapabilityBoundingSet= \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" SystemCallFilter=@system-service \
    MemoryDenyWriteExecute=yes LockPersonality=yes RestrictNamespaces=yes; do
    grep -qxF "$opt" "$unit" || fail "unit lacks $opt"
done

# --threshold is in tenths: 20 means an overall exposure of 2.0 or less.
report=$(systemd-analyze security --offline=true --threshold=20 "$unit" 2>&1) ||
    fail "sandbox exposure above 2.0: $(tail -n 3 <<<"$report")"
note "$(grep -o 'Overall exposure level.*' <<<"$report")"

# Every variable the example or the unit sets must be one fpasted reads (catches typos that
# would silently fall back to defaults).
mapfile -t known < <(grep -hoE '"[A-Z][A-Z0-9_]+"' "${config_srcs[@]}" | tr -d '"' | sort -u)
((${#known[@]} > 20)) || fail "could not read the variable names from config/env.rs and pki/config.rs"
mapfile -t used < <({
    sed -nE 's/^#?([A-Z][A-Z0-9_]*)=.*/\1/p' "$env_src"
    sed -nE 's/^Environment=([A-Z][A-Z0-9_]*)=.*/\1/p' "$unit_src"
} | sort -u)
for v in "${used[@]}"; do
    printf '%s\n' "${known[@]}" | grep -qxF "$v" || fail "$v is not a variable fpasted reads"
done
note "${#used[@]} variables in the example and unit, all known to fpasted"

# The example, as systemd would pass it (no quotes, no expansion), must start the real server.
port=$(free_port)
mapfile -t envs < <(grep -E '^[A-Z][A-Z0-9_]*=' "$env_src" |
    grep -vE '^(FLASKPASTE_LISTEN|FLASKPASTE_DB)=')
start_fpasted "$port" "${envs[@]}"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary 'from the example config' \
    "http://127.0.0.1:$port/")
[[ $code == 201 ]] || fail "fpasted with the example environment answered $code to a paste"
note "fpasted starts with fpasted.env.example and accepts a paste"

echo "PASS systemd"
