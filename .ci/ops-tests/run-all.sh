#!/usr/bin/env bash
# Runs every deployment test (.ci/ops-tests/NN-*.sh) in order and ends with the summary line
# `N passed, M failed`; exits non-zero when any failed. Needs FPASTED (a built fpasted) and
# optionally FPASTE, DECLUTTER and DECLUTTER_FAKES (the declutter tests fail without them);
# OPS_TESTS=NN,NN runs
# a subset.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ -z ${FPASTED:-} ]]; then
    echo "run-all.sh: set FPASTED to a built fpasted binary" >&2
    exit 2
fi
FPASTED=$(realpath "$FPASTED")
export FPASTED
[[ -n ${FPASTE:-} ]] && FPASTE=$(realpath "$FPASTE") && export FPASTE
[[ -n ${DECLUTTER:-} ]] && DECLUTTER=$(realpath "$DECLUTTER") && export DECLUTTER
[[ -n ${DECLUTTER_FAKES:-} ]] && DECLUTTER_FAKES=$(realpath "$DECLUTTER_FAKES") && export DECLUTTER_FAKES

passed=0 failed=0 failures=()
for test in "$here"/[0-9][0-9]-*.sh; do
    name=$(basename "$test" .sh)
    if [[ -n ${OPS_TESTS:-} && ",$OPS_TESTS," != *",${name%%-*},"* ]]; then
        continue
    fi
    printf '\n--- %s\n' "$name"
    start=$SECONDS
    if bash "$test"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
    fi
    printf '    (%ss)\n' $((SECONDS - start))
done
echo
((failed)) && printf 'failed: %s\n' "${failures[*]}"
echo "$passed passed, $failed failed"
((failed == 0))
