#!/bin/sh
# The reliability experiment (theory section 9): copy this script and
# docs/examples/reliability.toml, edit the TOML (noise, trials, seed, ...),
# and run
#
#   scripts/reliability.sh [SPEC.toml] [OUTPUT_DIR] [--force]
#
# It writes OUTPUT_DIR/{report.md, report.json, raster.png,
# frozen_trial0.cir, constant_trial0.cir} and re-runs trial 0 of both cases
# in ngspice when it is installed, printing its spike times (the native
# ones are in report.json: frozen.spike_times[0], constant.spike_times[0]).
# Exit status: 0 when the frozen-noise case is reliable and the constant
# case is not, 1 when not, 2 on an error.
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
spec=${1:-$here/docs/examples/reliability.toml}
out=${2:-reliability-out}
force=${3:-}

. "$here/scripts/atscale-command.sh"

status=0
# shellcheck disable=SC2086 # ATSCALE may be a command with arguments
$ATSCALE reliability "$spec" -o "$out" $force || status=$?
if [ "$status" -ge 2 ]; then
    exit "$status"
fi

if command -v ngspice >/dev/null 2>&1; then
    for case in frozen constant; do
        echo "ngspice spike times of $out/${case}_trial0.cir:"
        # shellcheck disable=SC2086
        $ATSCALE sim "$out/${case}_trial0.cir" --engine ngspice --events v,1,0.5
    done
fi
exit "$status"
