#!/usr/bin/env bash
# Engine cost per request against fleet size, for docs/performance.md.
#
#   scripts/bench-fleet.sh                 # 4 … 400,000 instances, every case
#   SIZES="4 40000" CASES="round-robin least-connections" scripts/bench-fleet.sh
#   REQUESTS=500000 scripts/bench-fleet.sh # fewer requests per run (quicker, noisier)
#   BIN=/path/to/fleetsim scripts/bench-fleet.sh   # another build of fleetsim (not rebuilt)
#
# Every run holds the load per instance constant — 2 workers at ρ = 0.6, one 10 ms request per
# session (Poisson arrivals at 120 sessions/s per instance) — and lasts long enough for about
# REQUESTS requests (default 2,000,000), so that only the fleet's size changes. The figure is
# the engine's wall time (summary.json `engine.wall_seconds`: building the simulation, running
# it and assembling its report; no parsing, no output) divided by the requests sent. Each case
# and size runs RUNS times (default 3), the sizes taking turns, and the median is printed; the
# last column is the median over the rounds of the largest size's figure over the smallest's in
# the same round, with the rounds' lowest and highest: on a machine whose speed drifts, runs
# seconds apart keep their ratio better than medians taken minutes apart. MAX_LC caps the sizes
# least-connections runs at (default 400,000: all of them); sizes beyond it are marked `–`.
#
# Cases: round-robin (JWT sessions), least-connections, power-of-two, cookie-sticky (in-memory
# sessions), one crash (a crash at mid-run), random crashes (mtbf: each instance once per run on
# average), autoscaled (on CPU, min = the size, max = twice); and minimal-loop, not fleetsim but
# examples/minimal_fleet.rs: a hand-rolled loop of the same load behind round robin on a binary
# heap, with nothing else in it — how much a simulator with no features grows on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"4 40 400 4000 40000 400000"}
CASES=${CASES:-"minimal-loop round-robin least-connections power-of-two cookie-sticky one-crash random-crashes autoscaled"}
REQUESTS=${REQUESTS:-2000000}
RUNS=${RUNS:-3}
MAX_LC=${MAX_LC:-400000}

source scripts/lib.sh
release_binary
if [[ " $CASES " == *" minimal-loop "* ]]; then
  cargo build --release --quiet --example minimal_fleet
fi
scratch_folder
machine_lines
echo "engine ns per request, median of $RUNS runs of ~$REQUESTS requests each"
echo

# The --set arguments of one case at one size.
case_args() {
  local case=$1 n=$2 duration=$3
  local rate=$((120 * n))
  local args=(--set "instances.count=$n" --set instances.workers=2 --set instances.queue=1000
    --set "workload.arrivals.rate=$rate" --set "duration=${duration}ms"
    --set balancer.health_check.interval=5s --set "report.window=${duration}ms")
  case $case in
    round-robin) args+=(--set balancer.algorithm=round-robin) ;;
    least-connections) args+=(--set balancer.algorithm=least-connections) ;;
    power-of-two) args+=(--set balancer.algorithm=power-of-two) ;;
    cookie-sticky) args+=(--set balancer.algorithm=round-robin --set balancer.affinity=cookie
      --set sessions.store=in-memory) ;;
    one-crash) args+=(--set balancer.algorithm=round-robin
      --set "events=[{ at: $((duration / 2))ms, action: crash }]") ;;
    random-crashes) args+=(--set balancer.algorithm=round-robin
      --set "events=[{ action: crash, mtbf: ${duration}ms }]") ;;
    autoscaled) args+=(--set balancer.algorithm=round-robin
      --set "autoscaler={ metric: cpu, target: 0.6, min: $n, max: $((2 * n)), interval: 15s }") ;;
    *) echo "unknown case: $case" >&2; exit 2 ;;
  esac
  printf '%s\n' "${args[@]}"
}

# Engine ns/request of one run of one case at one size.
measure() {
  local case=$1 n=$2
  if [ "$case" = minimal-loop ]; then
    target/release/examples/minimal_fleet "$n" "$REQUESTS" | cut -d' ' -f1
    return
  fi
  # Requests per second are 120 per instance: the duration (in ms) that gives REQUESTS of them.
  local duration=$(( (REQUESTS * 1000 + 120 * n - 1) / (120 * n) ))
  mapfile -t args < <(case_args "$case" "$n" "$duration")
  "$BIN" run benches/simplest.yaml "${args[@]}" --out "$out" --format json --no-charts --force \
    >"$out/summary.json" 2>/dev/null
  python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["engine"]["wall_seconds"] * 1e9 / max(s["requests"]["sent"], 1))' "$out/summary.json"
}

# The sizes a case runs at.
sizes_of() {
  local case=$1
  for n in $SIZES; do
    if [ "$case" != least-connections ] || [ "$n" -le "$MAX_LC" ]; then echo "$n"; fi
  done
}

printf '%-18s' "instances"
for n in $SIZES; do printf '%10s' "$n"; done
printf '%22s\n' "last/first (range)"
for case in $CASES; do
  mapfile -t sizes < <(sizes_of "$case")
  # The sizes take turns, run after run, so that a drift in the machine's speed reaches every
  # size alike rather than a few of them.
  declare -A figures=()
  ratios=()
  for _ in $(seq "$RUNS"); do
    for n in "${sizes[@]}"; do
      figures[$n]+="$(measure "$case" "$n") "
    done
    read -ra smallest <<<"${figures[${sizes[0]}]}"
    read -ra largest <<<"${figures[${sizes[-1]}]}"
    ratios+=("$(awk -v a="${largest[-1]}" -v b="${smallest[-1]}" 'BEGIN { print a / b }')")
  done
  printf '%-18s' "$case"
  for n in $SIZES; do
    if [ -z "${figures[$n]:-}" ]; then
      printf '%9s–' ''   # '%10s' would count the dash's three bytes as three columns
      continue
    fi
    read -ra runs <<<"${figures[$n]}"
    printf '%10.0f' "$(printf '%s\n' "${runs[@]}" | median)"
  done
  read -r mid low high < <(printf '%s\n' "${ratios[@]}" | median_range)
  printf '%10.2f (%.2f–%.2f)\n' "$mid" "$low" "$high"
  unset figures
done
