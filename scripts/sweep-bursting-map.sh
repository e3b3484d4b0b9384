#!/bin/sh
# Bursting map over two conductance gains of the designed burster: copy this
# script and docs/examples/sweep-bursting-map.toml, edit the TOML (gains,
# ranges, steps, metrics), and run
#
#   scripts/sweep-bursting-map.sh [SWEEP.toml] [OUTPUT_DIR] [--force]
#
# It writes OUTPUT_DIR/results.csv (one row per point, units in the header)
# and OUTPUT_DIR/report/{summary.md, summary.json, heatmap-spikes_per_burst.png}.
# An interrupted run continues where it stopped when run again.
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
sweep=${1:-$here/docs/examples/sweep-bursting-map.toml}
out=${2:-bursting-map-out}
force=${3:-}

. "$here/scripts/atscale-command.sh"

mkdir -p "$out"
resume=
if [ -e "$out/results.csv.partial" ] && [ -z "$force" ]; then
    resume=--resume
fi
# shellcheck disable=SC2086 # ATSCALE may be a command with arguments
$ATSCALE sweep "$sweep" -o "$out/results.csv" $resume $force
# shellcheck disable=SC2086
$ATSCALE sweep report "$out/results.csv" -o "$out/report" --metric spikes_per_burst $force
