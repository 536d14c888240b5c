#!/usr/bin/env bash
# Reproducible speed and memory figures for the README.
#
#   scripts/bench.sh            # criterion benches + a 10 M-request memory run
#
# Prints: simulated requests per second for the hand-rolled reference loop and for fleetsim on
# the same model (benches/simplest.yaml) and on the bundled baseline, their ratio, and the peak
# resident memory of fleetsim simulating 10 M requests. Single-threaded throughout.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

source scripts/lib.sh
machine_lines
echo "rustc:   $(rustc --version)"
echo

cargo bench --bench reference --bench engine 2>/dev/null | tee "$log" | grep -E "^(reference|simulate)/|thrpt" || true

# Middle estimate of the throughput line that follows a bench's name, in M elements/s.
thrpt() {
  awk -v name="$1" '
    index($0, name) == 1 { found = 1 }
    found && /thrpt:/ {
      gsub(/[\[\]]/, ""); v = $4; unit = $5
      if (unit ~ /^Kelem/) v /= 1000; else if (unit ~ /^Gelem/) v *= 1000; else if (unit ~ /^elem/) v /= 1e6
      print v; exit
    }' "$log"
}

ref=$(thrpt "reference/hand_rolled_2M_requests")
sim=$(thrpt "simulate/simplest_2M_requests")
base=$(thrpt "simulate/baseline")

release_binary
out=$(mktemp -d)
peak_kb=$( { /usr/bin/time -f "%M" "$BIN" run benches/simplest.yaml \
  --set duration=17860s --out "$out" --format json >/dev/null; } 2>&1 | tail -n 1)
sent=$(grep -m1 '"sent"' "$out/simplest/summary.json" | tr -dc '0-9')
rm -rf "$out"

echo
printf '%-44s %10s\n' "model" "M req/s"
printf '%-44s %10.2f\n' "hand-rolled reference loop (simplest model)" "$ref"
printf '%-44s %10.2f\n' "fleetsim, simplest model" "$sim"
printf '%-44s %10.2f\n' "fleetsim, bundled baseline" "$base"
awk -v a="$sim" -v b="$ref" 'BEGIN { printf "fleetsim / reference: %.2f\n", a / b }'
awk -v kb="$peak_kb" -v n="$sent" 'BEGIN { printf "peak memory simulating %d requests: %.1f MB\n", n, kb / 1024 }'
