#!/usr/bin/env bash
# Regenerates the output excerpts in the docs after a change meant to alter outputs (see
# tests/cli/docs.rs for the excerpt syntax); review the diff, then fix by hand what it could not.
set -euo pipefail
cd "$(dirname "$0")/.."
FLEETSIM_BLESS=1 cargo test --test cli docs:: "$@"
