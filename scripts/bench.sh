#!/usr/bin/env bash
# Reproducible speed and memory figures for the README.
#
#   scripts/bench.sh            # criterion benches + a 10 M-request memory run
#   ROUNDS=9 scripts/bench.sh   # more rounds of reference against fleetsim (default 5)
#
# Prints: simulated requests per second for the hand-rolled reference loop and for fleetsim on
# the same model (benches/simplest.yaml), taking turns ROUNDS times, their ratio round by round
# (median and range), fleetsim on the bundled baseline, and the peak resident memory of fleetsim
# simulating 10 M requests. Single-threaded throughout.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
machine_lines
echo "rustc:   $(rustc --version)"
echo

ROUNDS=${ROUNDS:-5}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The two criterion bench binaries, built once.
benches=$(cargo bench --no-run --bench reference --bench engine 2>&1)
bench_binary() {
  sed -n "s|.*Executable benches/$1.rs (\(.*\))|\1|p" <<<"$benches"
}
reference=$(bench_binary reference)
engine=$(bench_binary engine)

# Middle estimate of the throughput line that follows a bench's name in $log, in M elements/s.
thrpt() {
  awk -v name="$1" '
    index($0, name) == 1 { found = 1 }
    found && /thrpt:/ {
      gsub(/[\[\]]/, ""); v = $4; unit = $5
      if (unit ~ /^Kelem/) v /= 1000; else if (unit ~ /^Gelem/) v *= 1000; else if (unit ~ /^elem/) v /= 1e6
      print v; exit
    }' "$log"
}

# The reference loop and fleetsim on the simplest model take turns, ROUNDS times, and the ratio
# is taken round by round: on a machine whose speed drifts, two benches run minutes apart can
# differ by half, and a ratio of neighbours keeps its meaning.
refs=() sims=() ratios=()
for round in $(seq "$ROUNDS"); do
  "$reference" --bench >"$log" 2>/dev/null
  ref=$(thrpt "reference/hand_rolled_2M_requests")
  "$engine" --bench simplest >"$log" 2>/dev/null
  sim=$(thrpt "simulate/simplest_2M_requests")
  ratio=$(awk -v a="$sim" -v b="$ref" 'BEGIN { printf "%.3f", a / b }')
  echo "round $round: reference $ref M req/s, fleetsim $sim M req/s, ratio $ratio"
  refs+=("$ref") sims+=("$sim") ratios+=("$ratio")
done
"$engine" --bench baseline >"$log" 2>/dev/null
base=$(thrpt "simulate/baseline")

release_binary
out=$(mktemp -d)
peak_kb=$( { /usr/bin/time -f "%M" "$BIN" run benches/simplest.yaml \
  --set duration=17860s --out "$out" --format json >/dev/null; } 2>&1 | tail -n 1)
sent=$(grep -m1 '"sent"' "$out/simplest/summary.json" | tr -dc '0-9')
rm -rf "$out"

read -r mid low high < <(printf '%s\n' "${ratios[@]}" | median_range)
echo
printf '%-44s %10s\n' "model (medians of $ROUNDS rounds)" "M req/s"
printf '%-44s %10.2f\n' "hand-rolled reference loop (simplest model)" "$(printf '%s\n' "${refs[@]}" | median)"
printf '%-44s %10.2f\n' "fleetsim, simplest model" "$(printf '%s\n' "${sims[@]}" | median)"
printf '%-44s %10.2f\n' "fleetsim, bundled baseline" "$base"
echo "fleetsim / reference: $mid (rounds: $low to $high)"
awk -v kb="$peak_kb" -v n="$sent" 'BEGIN { printf "peak memory simulating %d requests: %.1f MB\n", n, kb / 1024 }'
