# What the bench scripts share; sourced by them, not run.

# Sets BIN to the fleetsim binary to measure: the one named by BIN, or a fresh release build.
release_binary() {
  if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/fleetsim
  fi
}

# "MEDIAN LOWEST HIGHEST" of the numbers on stdin, one a line (of an even count's middle two,
# the lower is the median).
median_range() {
  sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# The median of the numbers on stdin, one a line.
median() {
  median_range | cut -d' ' -f1
}

# A scratch folder in $out, removed when the script exits.
scratch_folder() {
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
}

# Where the figures that follow were taken: the machine and its load at the start.
machine_lines() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
}
