#!/bin/sh
# How far each parameter of the designed burster may move before it loses
# its 13 spikes per burst: the guide's figures for the template's bias
# (docs/examples/bursting.toml) against the centred bias
# (docs/examples/bursting-margin.toml, `constraints.bias_margin`).
#
#   scripts/burster-margins.sh [OUTPUT_DIR]
#
# For each design, one `atscale sweep` (native solver, 25000 model time
# units) per parameter: the bias Iext, the leak Gl.r_ohm, the gains of Rf,
# Msp, Msn and Mus and Msn's offset, each over 0.97 to 1.03 times its value
# in 0.5 % steps; Msp's and Mus's offsets (0 V) over -3 to +3 mV. Prints one
# line per sweep: the value (x nominal, or mV) and spikes per burst / burst
# period (ms) at each point. About 75 s with a release build (the margin
# design, with its count margins, takes 8 s per sweep).
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-burster-margins}

. "$here/scripts/atscale-command.sh"
mkdir -p "$out"

# sweep DESIGN PARAMETER MIN MAX RELATIVE
sweep() {
    name="$(basename "$1" .toml)-$2"
    cat >"$out/$name.toml" <<EOF
design = "$here/docs/examples/$1"
seed = 1
metrics = ["spikes_per_burst", "burst_period"]
[simulation]
tstop_units = 25000
[[parameter]]
name = "$2"
min = $3
max = $4
steps = 13
relative = $5
EOF
    # shellcheck disable=SC2086 # ATSCALE may be a command with arguments
    $ATSCALE sweep "$out/$name.toml" -o "$out/$name.csv" --force >/dev/null
    scale=1
    [ "$5" = false ] && scale=1000
    printf '%s: ' "$name"
    grep -v '^#' "$out/$name.csv" | tail -n +2 | cut -d, -f3,4,5 |
        awk -F, -v k="$scale" '{ printf "%.4g:%s/%.1f ", $1 * k, ($2 == "" ? "-" : $2), $3 * 1000 }'
    echo
}

for design in bursting.toml bursting-margin.toml; do
    for p in Iext Gl.r_ohm Rf.law.alpha Msp.law.alpha Msn.law.alpha Mus.law.alpha Msn.law.delta; do
        sweep "$design" "$p" 0.97 1.03 true
    done
    for p in Msp.law.delta Mus.law.delta; do
        sweep "$design" "$p" -0.003 0.003 false
    done
done
