#!/usr/bin/env bash
# Regenerates the pictures the README shows, from real runs of the release binary:
#
#   scripts/pictures.sh
#
# docs/crash-sticky-dashboard.png   fleetsim run crash-sticky (its dashboard.png)
# docs/showcase-compare.png         fleetsim (the showcase's compare.png)
# docs/showcase-compare-page.png    the top of the showcase's compare.html, rendered by Chromium
# docs/sweep-instances-by-store.png fleetsim sweep crash-sticky over instance counts and stores
#
# Every run is deterministic, so the pictures change only when the model or the charts do.
# The page screenshot needs Chromium (Debian: apt-get install chromium); without it, that one
# picture is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
bin=$PWD/target/release/fleetsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" run crash-sticky --out "$work/run" >/dev/null 2>&1
cp "$work/run/crash-sticky/dashboard.png" docs/crash-sticky-dashboard.png

(cd "$work" && "$bin" >/dev/null)
cp "$work/output/showcase/compare.png" docs/showcase-compare.png

"$bin" sweep crash-sticky --grid instances.count=3..8 --grid sessions.store=in-memory,redis,jwt \
  --seeds 5 --out "$work/sweep" --quiet >/dev/null
cp "$work/sweep/sweep.png" docs/sweep-instances-by-store.png

if command -v chromium >/dev/null; then
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" --window-size=1200,1220 \
    --screenshot="$PWD/docs/showcase-compare-page.png" \
    "file://$work/output/showcase/compare.html" 2>/dev/null
else
  echo "chromium not found: docs/showcase-compare-page.png left as it is" >&2
fi
ls -l docs/*.png
