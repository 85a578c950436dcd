#!/usr/bin/env bash
# 45-declutter-lb.sh again, the three `declutter serve` instances on one PostgreSQL database (a
# fresh one on the .ci/postgres server) instead of one SQLite file: the same journey through
# nginx, round-robin, no sticky sessions.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
need_pkgs postgresql
admin=$("$ops_root/.ci/postgres" start) || fail "the PostgreSQL server did not start"
name=ops_lb_$$_$RANDOM
psql "$admin" -qc "CREATE DATABASE $name" || fail "cannot create database $name"
trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
DECLUTTER_LB_DATABASE_URL=${admin%/*}/$name bash "$(dirname "$0")/45-declutter-lb.sh"
