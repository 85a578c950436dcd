#!/usr/bin/env bash
# 45-declutter-lb.sh and 46-declutter-lb-chromium.sh again, the three `declutter serve`
# instances on one PostgreSQL database (a fresh one each, on the .ci/postgres server) instead of
# one SQLite file: the same journeys through nginx, round-robin, no sticky sessions, and no
# SQLite file written.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
need_pkgs postgresql
admin=$("$ops_root/.ci/postgres" start) || fail "the PostgreSQL server did not start"
made=()
drop_made() {
    local d
    for d in "${made[@]}"; do
        psql "$admin" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
    done
}
trap drop_made EXIT
for journey in 45-declutter-lb 46-declutter-lb-chromium; do
    name=ops_lb_$$_${journey%%-*}
    psql "$admin" -qc "CREATE DATABASE $name" || fail "cannot create database $name"
    made+=("$name")
    DECLUTTER_LB_DATABASE_URL=${admin%/*}/$name bash "$(dirname "$0")/$journey.sh" ||
        fail "$journey failed on PostgreSQL"
done
