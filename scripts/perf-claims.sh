#!/bin/sh
# The performance figures of docs/performance.md, measured again:
#
#   scripts/perf-claims.sh          # or `make perf`: about 4 minutes at load 2
#
# 1. `cargo bench -p atscale-sim --bench transient` (its `perf:` lines): the
#    FitzHugh-Nagumo cell against ngspice at equal accuracy (ratio), the
#    1000-cell chain against ngspice (ratio), the 1000-cell random network
#    and the 10,000-cell chain (native wall time);
# 2. the 10,000-cell chain again as its own process under GNU time
#    (`target/release/examples/large chain 10000 100`): peak memory;
# 3. a 10,000-point Latin-hypercube sweep of the 100 Hz design, 1000 model
#    time units per point, seven metrics, on all cores: the sweep of
#    `cargo bench -p atscale-explore --bench sweep`, run once through the
#    release `atscale sweep` under GNU time.
#
# Each figure is printed with its unit, the requirement docs/performance.md
# states and a guard: a generous threshold (several times today's figure, so a
# loaded machine passes) that a 10x regression still fails. The exit status
# is 1 when a guard fails. Timings are never asserted in `cargo test`; this
# script is not part of `make test`. The load average is printed before
# each part: a loaded machine inflates every time, though less the ratios.
#
# Needs cargo, ngspice and GNU time (/usr/bin/time).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
CARGO=${CARGO:-cargo}
TIME=${TIME:-/usr/bin/time}
if ! "$TIME" -f %e true >/dev/null 2>&1; then
    echo "error: GNU time is needed for peak memory and wall time ($TIME -f ...); install it (Debian: apt-get install time) or set TIME" >&2
    exit 2
fi
command -v ngspice >/dev/null 2>&1 || { echo "error: ngspice is needed (scripts/install-ngspice.sh)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

load() {
    echo "-- load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime) ($(date -u +%H:%M) UTC)"
}

# check NAME VALUE UNIT OP LIMIT CLAIM: prints the figure and PASS/FAIL of
# `VALUE OP LIMIT` (OP is `<` or `>=`).
check() {
    if awk -v v="$2" -v l="$5" -v op="$4" 'BEGIN { exit !((op == "<" && v < l) || (op == ">=" && v >= l)) }'; then
        verdict=PASS
    else
        verdict=FAIL
        status=1
    fi
    printf '%-24s %10s %-4s required %-30s guard %s %s %s: %s\n' "$1" "$(printf '%.4g' "$2")" "$3" "$6" "$4" "$5" "$3" "$verdict"
}

echo "== building (release)"
$CARGO build --quiet --release --locked -p atscale-sim --examples
$CARGO build --quiet --release --locked -p atscale-cli --bin atscale

load
echo "== cargo bench -p atscale-sim --bench transient (about 3 minutes)"
$CARGO bench --quiet --locked -p atscale-sim --bench transient -- --warm-up-time 1 --measurement-time 3 \
    >"$work/bench.out" 2>"$work/bench.err" || { cat "$work/bench.err" >&2; exit 2; }
perf() {
    awk -v n="$1" '$1 == "perf:" && $2 == n { print $3 }' "$work/bench.out"
}
for name in fhn_native fhn_ngspice fhn_ngspice_tmax fhn_ratio chain_native chain_ngspice chain_ratio network_1000 chain_10k; do
    if [ -z "$(perf "$name")" ]; then
        echo "error: the bench printed no figure $name" >&2
        cat "$work/bench.out" "$work/bench.err" >&2
        exit 2
    fi
done
echo "   FHN cell: native $(perf fhn_native) ms, ngspice $(perf fhn_ngspice) ms at TMAX $(perf fhn_ngspice_tmax)"
echo "   chain 1000: native $(perf chain_native) s, ngspice $(perf chain_ngspice) s"
check "fhn_ratio" "$(perf fhn_ratio)" x ">=" 10 ">= 50x (issue 3)"
check "chain_1000_ratio" "$(perf chain_ratio)" x ">=" 10 ">= 20x (issue 3)"
check "network_1000_time" "$(perf network_1000)" s "<" 20 "< 30 s (issue 3)"
check "chain_10k_time" "$(perf chain_10k)" s "<" 15 "< 60 s (issue 3)"

load
echo "== target/release/examples/large chain 10000 100 under GNU time"
"$TIME" -f "%e %M" -o "$work/large.time" target/release/examples/large chain 10000 100 >"$work/large.out"
read -r secs kib <"$work/large.time"
check "chain_10k_peak_memory" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" MiB "<" 600 "< 1 GiB (issue 3)"
check "chain_10k_process_time" "$secs" s "<" 15 "< 60 s (two set-ups, one run)"

load
echo "== 10,000-point sweep of the 100 Hz design through atscale sweep"
cat >"$work/sweep.toml" <<EOF
design = "$here/docs/examples/tonic-spiking-100hz.toml"
seed = 7
sampling = "lhs"
points = 10000
metrics = ["firing_rate", "spike_count", "spikes_per_burst", "burst_period", "first_spike_latency", "energy_per_spike", "activity"]
[simulation]
tstop_units = 1000
[[parameter]]
name = "Iext"
min = 0.5
max = 1.5
relative = true
[[parameter]]
name = "R1"
min = 0.8
max = 1.2
relative = true
EOF
"$TIME" -f "%e %M" -o "$work/sweep.time" target/release/atscale sweep "$work/sweep.toml" -o "$work/sweep.csv" \
    >"$work/sweep.out" 2>&1 || { cat "$work/sweep.out" >&2; exit 2; }
read -r secs kib <"$work/sweep.time"
grep '^wrote' "$work/sweep.out" | sed 's/^/   /'
check "sweep_10k_time" "$secs" s "<" 200 "< 60 s on 2 cores (issue 7)"

load
if [ "$status" -eq 0 ]; then echo "all guards pass"; else echo "a guard failed" >&2; fi
exit "$status"
