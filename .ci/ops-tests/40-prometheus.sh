#!/usr/bin/env bash
# deploy/prometheus: promtool accepts the rules and the example config, the promtool unit tests
# of the alerts pass, every flaskpaste_* name the rules use is one fpasted really exports, and a
# real Prometheus scraping a real fpasted computes the recording rules from live data.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
ops_init prometheus
need_pkgs prometheus curl

dir=$ops_root/deploy/prometheus
out=$(promtool check rules "$dir/fpaste-recording.yml" "$dir/fpaste-alerts.yml" 2>&1) ||
    fail "promtool check rules: $out"
out=$(promtool check config "$dir/prometheus.yml" 2>&1) || fail "promtool check config: $out"
out=$(promtool test rules "$dir"/tests/*.test.yml 2>&1) || fail "promtool test rules: $out"
note "promtool: rules and config valid; $(grep -c '^  - name:' "$dir"/tests/*.test.yml) alert test cases pass"

# --- the names the rules use against what fpasted exports
port=$(free_port)
start_fpasted "$port"
curl -sf -X POST --data-binary 'metric fodder' "http://127.0.0.1:$port/" >/dev/null
curl -sf "http://127.0.0.1:$port/metrics" >"$ops_tmp/metrics.txt"
mapfile -t used < <(grep -ohE 'flaskpaste_[a-z_]+' "$dir"/fpaste-*.yml | sort -u)
for name in "${used[@]}"; do
    grep -qE "^$name(\{| )" "$ops_tmp/metrics.txt" ||
        grep -qE "^# TYPE ${name%_total} counter" "$ops_tmp/metrics.txt" ||
        fail "rules use $name, which fpasted does not export"
done
note "all ${#used[@]} flaskpaste_* names in the rules are exported by fpasted"

# --- a real Prometheus: scrape fpasted every second and evaluate the rules every second.
prom_port=$(free_port)
mkdir -p "$ops_tmp/prom/data"
sed 's/^    interval: 30s$/    interval: 1s/' "$dir/fpaste-recording.yml" >"$ops_tmp/prom/fpaste-recording.yml"
cp "$dir/fpaste-alerts.yml" "$ops_tmp/prom/"
cat >"$ops_tmp/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [fpaste-recording.yml, fpaste-alerts.yml]
scrape_configs:
  - job_name: fpaste
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF
prometheus --config.file="$ops_tmp/prom/prometheus.yml" --storage.tsdb.path="$ops_tmp/prom/data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$ops_tmp/prom/log" 2>&1 &
ops_pids+=($!)
wait_http "http://127.0.0.1:$prom_port/-/ready"

query() { # prints the first value of an instant query, or nothing
    curl -sf --get --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
ok=""
for _ in $(seq 1 60); do
    curl -s -o /dev/null "http://127.0.0.1:$port/health"
    curl -s -o /dev/null -X POST --data-binary "paste $RANDOM$RANDOM" "http://127.0.0.1:$port/"
    if [[ $(query 'up{job="fpaste"}') == 1 ]] &&
        [[ -n $(query 'fpaste:requests:rate5m > 0') ]] &&
        [[ -n $(query 'fpaste:request_duration_seconds:p95_5m') ]] &&
        [[ -n $(query 'fpaste:pastes_created:rate5m > 0') ]] &&
        [[ -n $(query 'flaskpaste_storage_bytes > 0') ]]; then
        ok=yes
        break
    fi
    sleep 0.5
done
[[ -n $ok ]] || fail "Prometheus did not compute the recording rules from fpasted's metrics: $(tail -n 5 "$ops_tmp/prom/log")"
note "Prometheus scraped fpasted (OpenMetrics) and computed request rate, p95 and creation rate"
alerts=$(curl -sf "http://127.0.0.1:$prom_port/api/v1/rules?type=alert" |
    python3 -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
[[ $alerts -ge 7 ]] || fail "Prometheus loaded only $alerts alert rules"
firing=$(query 'ALERTS{alertstate="firing"}')
[[ -z $firing ]] || fail "an alert fires against a healthy fpasted"
note "$alerts alert rules loaded by Prometheus, none firing on a healthy server"

echo "PASS prometheus"
