#!/usr/bin/env bash
# A longer fuzzing campaign than `cargo test` runs: hostile scenarios and arguments must give a
# clear error or a correct result, never a panic, a hang or partial output.
#
#   scripts/fuzz.sh                 # 5,000 cases per property, 2,000 mutated scenarios
#   CASES=50000 MUTANTS=20000 scripts/fuzz.sh
#
# 1. The property tests, with PROPTEST_CASES cases each: generated scenarios (every store,
#    balancer, event kind, timeouts, retries, saturation) account for every request exactly once;
#    `--set` values of every kind never panic; `--grid`/`--vary` ranges never panic.
# 2. Mutated bundled scenarios through the release binary: a line's value replaced by a hostile
#    one, a line deleted or duplicated. Each must exit 0 with balanced accounting, or exit 1 with
#    a one-line-first `error:` message, no panic and nothing written; never take longer than the
#    timeout. Hostile `--grid` arguments to `sweep` likewise (exit 0, 1 or 2, no panic).
# Failures are printed with the input that caused them; the exit code is the number of failures
# (capped at 100).
set -uo pipefail
cd "$(dirname "$0")/.."

cases=${CASES:-5000}
mutants=${MUTANTS:-2000}

echo "== property tests, $cases cases each"
PROPTEST_CASES=$cases cargo test --lib --quiet -- proptests ranges_never_panic || exit 100

echo "== $mutants mutated scenarios through the binary"
cargo build --release --quiet || exit 100
python3 - "$mutants" <<'PY'
import json, os, random, re, subprocess, sys, tempfile

N = int(sys.argv[1])
BIN = "target/release/fleetsim"
rng = random.Random(int(os.environ.get("SEED", "1")))
scenarios = sorted(f for f in os.listdir("scenarios") if f.endswith(".yaml"))
hostile = ["0", "-1", "4294967296", "18446744073709551615", "-9223372036854775808", "1e308",
           ".nan", ".inf", "-.inf", "~", "''", "'40'", "1ns", "87600h", "1.5ns", "5 s", "!!foo 3",
           "[]", "{}", "[1, 2]", "x" * 5000, "\"\\u0007\\n\"", "*a", "&a 1", "{dist: bogus}",
           "{dist: geometric, mean: 1e9}", "{dist: lognormal, mean: 1ms, p99: 1h}", "0.0000001",
           "-0.0", "true", "null"]
failures = 0

def check(args, files_dir, yaml=None):
    global failures
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        failures += 1
        print(f"TIMEOUT: {' '.join(args)}\n{yaml or ''}")
        return
    err = p.stderr
    bad = None
    if "panicked" in err or p.returncode not in (0, 1, 2):
        bad = f"exit {p.returncode}"
    elif p.returncode == 1:
        if not err.startswith("error: "):
            bad = "message does not start with `error: `"
        elif files_dir and os.path.exists(files_dir) and os.listdir(files_dir):
            bad = "wrote output although it failed"
    elif p.returncode == 0 and "--format" in args:
        r = json.loads(p.stdout)["requests"]
        if r["sent"] != r["succeeded"] + sum(r["failed"].values()) + r["in_flight_at_end"]:
            bad = f"accounting: {r}"
    if bad:
        failures += 1
        print(f"FAIL ({bad}): {' '.join(args)}\n{err[:2000]}\n{yaml or ''}")

with tempfile.TemporaryDirectory() as tmp:
    for i in range(N):
        text = open(os.path.join("scenarios", rng.choice(scenarios))).read().splitlines()
        lines = [k for k, l in enumerate(text) if re.match(r"^\s*[\w-]+:\s*\S", l)]
        k = rng.choice(lines)
        what = rng.random()
        if what < 0.7:
            key = text[k].split(":", 1)[0]
            text[k] = f"{key}: {rng.choice(hostile)}"
        elif what < 0.85:
            del text[k]
        else:
            text.insert(k, text[k])
        yaml = "\n".join(text) + "\n"
        # Short runs: the point is robustness, not long simulations.
        path = os.path.join(tmp, f"m{i}.yaml")
        open(path, "w").write(yaml)
        out = os.path.join(tmp, f"out{i}")
        check([BIN, "run", path, "--format", "json", "--out", out, "--set", "duration=2m",
               "--set", "warmup=0s"], out, yaml)
        if i % 10 == 0:
            value = rng.choice(hostile + ["1..1e308:1e-308", "0..9223372036854775807",
                                          "a,b,a", "1..3:0", "-5..5:-1"])
            path_ = rng.choice(["instances.count", "workload.arrivals.rate", "description",
                                "seed", "events.0.at", "sessions.store"])
            sweep_out = os.path.join(tmp, f"sweep{i}")
            check([BIN, "sweep", "baseline", "--grid", f"{path_}={value}", "--seeds", "1",
                   "--set", "duration=1m", "--quiet", "--out", sweep_out], None)
        if (i + 1) % 500 == 0:
            print(f"  {i + 1} mutants, {failures} failures", flush=True)
print(f"{N} mutants: {failures} failures")
sys.exit(min(failures, 100))
PY
