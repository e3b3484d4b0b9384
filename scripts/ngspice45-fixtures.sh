#!/bin/sh
# Records the fixtures of real ngspice 45.2 output in
# crates/atscale-verify/tests/fixtures/ngspice45/: ngspice 45.2 is the npm
# package eecircuit-engine 1.8.0 (WebAssembly, installed by
# scripts/install-eecircuit.sh) run through scripts/ngspice45.mjs, which
# takes the command line the runner gives ngspice (`-n -b -r RAW DECK`).
# The netlists are the ones the ngspice 39.3 fixtures were recorded from
# (fixtures/*.cir and fixtures/failures/*.cir), so both versions can be
# compared. The Date: lines of the raw files change on every run, nothing
# else should. Run from anywhere: sh scripts/ngspice45-fixtures.sh
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-eecircuit.sh"
fx="$root/crates/atscale-verify/tests/fixtures"
out="$fx/ngspice45"
shim="$root/scripts/ngspice45.mjs"
mkdir -p "$out"
# What the runner reads as the version (`ngspice -v`).
node "$shim" -v > "$out/version.stdout"
# run NAME NETLIST [--ascii]: NAME.stdout, NAME.stderr and NAME.raw (when
# ngspice wrote one); the exit status is kept in NAME.status.
run() {
    name=$1 netlist=$2
    shift 2
    rm -f "$out/$name.raw"
    status=0
    node "$shim" -n -b "$@" -r "$out/$name.raw" "$netlist" \
        > "$out/$name.stdout" 2> "$out/$name.stderr" || status=$?
    echo "$status" > "$out/$name.status"
}
# Successful runs: a transient (binary and ASCII) and an AC sweep (complex data).
run rc_step "$fx/rc_step.cir"
run rc_step_ascii "$fx/rc_step.cir" --ascii
run ac_rc "$fx/ac_rc.cir"
run ac_rc_ascii "$fx/ac_rc.cir" --ascii
# uic: does ngspice 45.2 write the t = 0 row (ngspice 39.3 does not)?
run fhn_uic "$fx/fhn_uic.cir"
# Failures: the netlists of fixtures/failures/ (not slow.cir, which only
# takes long), each with what ngspice printed and the raw file it wrote.
for f in "$fx"/failures/*.cir; do
    case "$f" in *slow.cir) continue ;; esac
    b=$(basename "$f" .cir)
    run "$b" "$f"
done
