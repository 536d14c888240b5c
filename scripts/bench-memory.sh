#!/usr/bin/env bash
# Peak memory against simulated time, fleet size and live sessions, for docs/performance.md.
#
#   scripts/bench-memory.sh            # all three
#   BIN=/path/to/fleetsim scripts/bench-memory.sh   # another build (skips cargo build)
#
# Each figure is the peak resident set size (`/usr/bin/time -v`, "Maximum resident set size")
# of one `fleetsim run ... --no-charts`:
# - diurnal-day over 1, 2 and 4 simulated days, with its 10 s report windows and with 1 h ones
#   (the time series is an output: one row per window, so it grows with the run);
# - bytes per idle instance: 400,000 instances against 4, no traffic, 10 s (health checks only);
# - bytes per live session: sticky in-memory sessions that stay (a request every 1,000 s), about
#   1,000,000 live at the end against about 10,000, both on 4 instances.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
release_binary
scratch_folder
machine_lines

# Peak RSS in kB of `fleetsim run` with these arguments.
peak_kb() {
  /usr/bin/time -v "$BIN" run "$@" --no-charts --force --out "$out" >/dev/null 2>"$out/time"
  awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$out/time"
}

echo
echo "diurnal-day, peak RSS (kB)"
printf '%-12s %10s %10s %10s\n' window 1d 2d 4d
for window in 10s 1h; do
  printf '%-12s' "$window"
  for d in 24h 48h 96h; do
    printf ' %10s' "$(peak_kb diurnal-day --set duration=$d --set report.window=$window)"
  done
  echo
done

idle=(benches/simplest.yaml --set workload.arrivals.rate=0.001 --set duration=10s)
small=$(peak_kb "${idle[@]}" --set instances.count=4)
large=$(peak_kb "${idle[@]}" --set instances.count=400000)
echo
echo "idle instances: 4 → $small kB, 400,000 → $large kB:" \
  "$(( (large - small) * 1024 / 399996 )) B per instance"

# Sessions arrive at `rate`/s for 100 s and stay: 1,000 requests each, 1,000 s apart (constant),
# so every session that arrived is live at the end, with no request in flight.
sessions() {
  peak_kb benches/simplest.yaml --set instances.count=4 --set duration=100s \
    --set "workload.arrivals.rate=$1" --set balancer.affinity=cookie \
    --set sessions.store=in-memory \
    --set "workload.session={ requests: { dist: constant, value: 1000 }, think_time: { dist: constant, value: 1000s } }"
}
few=$(sessions 100)
many=$(sessions 10000)
echo "live sessions: ~10,000 → $few kB, ~1,000,000 → $many kB:" \
  "$(( (many - few) * 1024 / 990000 )) B per session"
