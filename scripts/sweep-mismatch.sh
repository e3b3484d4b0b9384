#!/bin/sh
# Mismatch (Monte Carlo) study of a design: copy this script and
# docs/examples/sweep-mismatch.toml, edit the spreads, samples and seed, and
# run
#
#   scripts/sweep-mismatch.sh [SWEEP.toml] [OUTPUT_DIR] [VERIFY_K] [--force]
#
# It writes OUTPUT_DIR/results.csv and OUTPUT_DIR/report/{summary.md,
# summary.json, hist-*.png}: mean, spread and quantiles of each metric over
# the mismatch draws. VERIFY_K (default 2) random draws are also run through
# ngspice and their verdicts recorded in the `verify` column. The same seed
# gives the same file; change `seed` for new draws.
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
sweep=${1:-$here/docs/examples/sweep-mismatch.toml}
out=${2:-mismatch-out}
verify=${3:-2}
force=${4:-}

. "$here/scripts/atscale-command.sh"

mkdir -p "$out"
# shellcheck disable=SC2086 # ATSCALE may be a command with arguments
$ATSCALE sweep "$sweep" -o "$out/results.csv" --verify-sample "$verify" --report "$out/report" $force
