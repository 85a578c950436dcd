#!/usr/bin/env bash
# Apply as a background job, over loopback HTTP against the real server, on a real folder:
#   bench/declutter-apply.sh [pairs] [runs] [file bytes]   (default 5000 5 4096)
# Each run makes a fresh folder of duplicate pairs, scans it, plans `original-name` (one copy
# of each pair goes) and applies; it reports files/s, the time until POST .../apply answers
# (202) and the time until GET /api/jobs/{id} first shows a moved file, then the medians.
# Targets (issue 14): >= 500 files/s; progress visible within 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fpaste-declutter/target}"
cargo build --release --quiet -p declutter-web --example apply_bench
# The temporary folders (TMPDIR) hold the trees and the database: a real disk, not tmpfs,
# gives the figures a person would see.
"$CARGO_TARGET_DIR/release/examples/apply_bench" "${1:-5000}" "${2:-5}" "${3:-4096}"
