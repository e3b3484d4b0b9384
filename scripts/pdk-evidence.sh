#!/bin/sh
# Regenerates the numbers of the guide's sections on the open PDKs
# ("On open PDKs", "IHP SG13G2 in VACASK", "Tape-out-ready biasing") with
# the PDKs' own models (issue 18):
#
#   scripts/pdk-evidence.sh [OUTPUT_DIR]
#
# 1. the 100 Hz spiker (tonic-spiking-100hz.toml) in GF180 with
#    five-transistor amplifiers (GF180's default is symmetric, item 6): nominal
#    (untrimmed), corners tt, ff, ss, Monte Carlo seeds 1 to 4,
#    and with --trim; its voltage clamp in ngspice over the design (plot);
# 2. the same spiker in sky130: nominal, and with --trim;
# 3. the spiker with tape-out-ready biasing (--bias mirrors --references
#    ladder: only the supply and one reference current ideal) in GF180
#    (five-transistor) and
#    sky130;
# 4. the burster (bursting.toml) in GF180 (five-transistor), untrimmed and with --trim; in
#    sky130 (its offsets drawn as stacks of devices within the bins), with
#    five-transistor and self-cascoded amplifiers;
# 4b. the spiker and the burster on sky130's 5 V devices (--tech sky130-hv):
#    symmetric (the spiker with corners, temperatures and Monte Carlo seeds
#    1 to 4, the burster with corners tt, ff, ss), symmetric with tape-out
#    biasing, five-transistor; the symmetric burster also with technology
#    copies at limits.bias_min_a 15 and 10 pA (its fast followers' current),
#    with --compensate-strays, and the clamps at 200 and 100 pA;
# 5. the spiker in IHP SG13G2 (VACASK): five-transistor untrimmed, --trim,
#    --compensate-strays; --amplifier symmetric (IHP's default), and symmetric with tape-out
#    biasing (its ladder of IHP's rhigh); the symmetric spiker's 100-draw
#    Monte Carlo (drawn by atscale, 8 periods a draw); the burster with
#    linearised followers (IHP's default; corners tt, ff, ss), with
#    --cancel-follower-offsets, and with offset pairs;
# 5b. the bursters with linearised followers, block by block, with
#    --cancel-follower-offsets, and the burster with a bias margin
#    (bursting-margin.toml) in GF180 and sky130-hv;
# 6. the guide's amplifier table: the spiker and the burster in GF180 with
#    --amplifier cascoded, symmetric and self-cascoded (the spiker also with
#    --compensate-strays and with tape-out-ready biasing, which the burster
#    does not survive), and the spiker in sky130 with
#    cascoded and symmetric amplifiers (out of headroom) and self-cascoded.
# The Monte Carlo as a sweep (100 draws, two shards) is
# docs/examples/sweep-mc-gf180.toml; run it with `atscale sweep`. The
# script writes its sky130-hv copy (symmetric amplifiers) into OUTPUT_DIR
# and prints how to run it (20.5 s a draw, one shard alone on an idle
# machine; 91 s a draw with two shards while release builds ran).
# Each step prints the Evidence section of its report.md (and the corners and
# Monte Carlo tables); the reports are in OUTPUT_DIR. Needs ngspice, the PDKs
# (`make pdks`) and VACASK (`make vacask`). About 15 minutes on an idle
# 2-core machine (sky130's nominal ngspice run alone takes about a minute),
# about 25 minutes more for sky130-hv (its burster runs take 1 to 4 minutes each), and about
# 20 minutes for the block-by-block and linearised-follower bursters. The bursters on
# gf180 and sky130-hv run with --followers offset-pairs where the guide's figures are
# the offset pairs' (both technologies take linearised followers by default).
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-pdk-evidence}

. "$here/scripts/atscale-command.sh"
# VACASK as `make vacask` installs it (the Makefile's default), unless set.
ATSCALE_VACASK=${ATSCALE_VACASK:-$here/.venv/atscale/vacask}
export ATSCALE_VACASK
mkdir -p "$out"

evidence() {
    sed -n '/^## Evidence/,/^## Subthreshold/p' "$1/report.md" | sed '$d'
}

# realise NAME DESIGN ARGS...: realises DESIGN into OUTPUT_DIR/NAME and prints its evidence.
realise() {
    name=$1
    design=$2
    shift 2
    # shellcheck disable=SC2086 # ATSCALE may be a command with arguments
    $ATSCALE realise "$design" -o "$out/$name" --force "$@" >/dev/null
    echo "== $name: $*"
    evidence "$out/$name"
}

# shellcheck disable=SC2086
$ATSCALE design "$here/docs/examples/tonic-spiking-100hz.toml" -o "$out/spiker" --force >/dev/null
# shellcheck disable=SC2086
$ATSCALE design "$here/docs/examples/bursting.toml" -o "$out/burster" --force >/dev/null
# shellcheck disable=SC2086
$ATSCALE design "$here/docs/examples/bursting-margin.toml" -o "$out/burster-margin" --force >/dev/null
spiker="$out/spiker/design.json"
burster="$out/burster/design.json"
margin="$out/burster-margin/design.json"

realise gf180-spiker "$spiker" --tech gf180 --amplifier five-transistor --corners tt,ff,ss --monte-carlo 4 --seed 1
realise gf180-spiker-trim "$spiker" --tech gf180 --amplifier five-transistor --trim
# shellcheck disable=SC2086
$ATSCALE clamp "$out/gf180-spiker" --engine ngspice --plot "$out/gf180-spiker-clamp.png" --force
realise sky130-spiker "$spiker" --tech sky130
realise sky130-spiker-trim "$spiker" --tech sky130 --trim
realise gf180-spiker-tapeout "$spiker" --tech gf180 --amplifier five-transistor --bias mirrors --references ladder
realise sky130-spiker-tapeout "$spiker" --tech sky130 --bias mirrors --references ladder
realise gf180-burster "$burster" --followers offset-pairs --tech gf180 --amplifier five-transistor
realise gf180-burster-trim "$burster" --followers offset-pairs --tech gf180 --amplifier five-transistor --trim
realise sky130-burster "$burster" --tech sky130
realise sky130-hv-spiker-symmetric "$spiker" --tech sky130-hv --amplifier symmetric --corners tt,ff,ss,sf,fs \
    --temperatures -40,27,85 --monte-carlo 4 --seed 1
realise sky130-hv-spiker-symmetric-tapeout "$spiker" --tech sky130-hv --amplifier symmetric --bias mirrors \
    --references ladder
realise sky130-hv-spiker-five-transistor "$spiker" --tech sky130-hv --amplifier five-transistor
realise sky130-hv-burster-symmetric "$burster" --followers offset-pairs --tech sky130-hv --amplifier symmetric --corners tt,ff,ss
realise sky130-hv-burster-symmetric-tapeout "$burster" --followers offset-pairs --tech sky130-hv --amplifier symmetric --bias mirrors \
    --references ladder
realise sky130-hv-burster-five-transistor "$burster" --followers offset-pairs --tech sky130-hv --amplifier five-transistor
for pa in 15 10; do
    sed -e "s/^name = \"sky130-hv\"/name = \"sky130-hv-bias-min-${pa}pa\"/" \
        -e "s/^bias_min_a = 2e-11 /bias_min_a = ${pa}e-12 /" \
        "$here/docs/examples/tech/sky130-hv.toml" >"$out/sky130-hv-bias-min-${pa}pa.toml"
    realise "sky130-hv-burster-symmetric-bias-min-${pa}pa" "$burster" --followers offset-pairs --tech "$out/sky130-hv-bias-min-${pa}pa.toml" \
        --amplifier symmetric
done
realise sky130-hv-burster-symmetric-strays "$burster" --followers offset-pairs --tech sky130-hv --amplifier symmetric --compensate-strays
# The clamps of the burster with its fast followers at 200 pA (the default) and 100 pA.
for run in sky130-hv-burster-symmetric sky130-hv-burster-symmetric-bias-min-10pa; do
    # shellcheck disable=SC2086
    $ATSCALE clamp "$out/$run" --engine ngspice --points 13 --json --plot "$out/$run-clamp.png" --force \
        >"$out/$run-clamp.json"
    echo "== clamp of $run: $out/$run-clamp.json"
done
realise ihp-spiker "$spiker" --tech ihp-sg13g2 --amplifier five-transistor
realise ihp-spiker-trim "$spiker" --tech ihp-sg13g2 --amplifier five-transistor --trim
realise ihp-spiker-strays "$spiker" --tech ihp-sg13g2 --amplifier five-transistor --compensate-strays
realise ihp-spiker-symmetric "$spiker" --tech ihp-sg13g2 --amplifier symmetric
realise ihp-spiker-tapeout "$spiker" --tech ihp-sg13g2 --amplifier symmetric --bias mirrors --references ladder
realise ihp-spiker-mc "$spiker" --tech ihp-sg13g2 --tstop-model 320 --monte-carlo 100 --seed 1
realise ihp-burster "$burster" --tech ihp-sg13g2 --corners tt,ff,ss
realise ihp-burster-cancel "$burster" --tech ihp-sg13g2 --cancel-follower-offsets
realise ihp-burster-offset-pairs "$burster" --tech ihp-sg13g2 --followers offset-pairs
for amp in cascoded symmetric self-cascoded; do
    realise "gf180-spiker-$amp" "$spiker" --tech gf180 --amplifier "$amp"
    realise "gf180-burster-$amp" "$burster" --followers offset-pairs --tech gf180 --amplifier "$amp"
    realise "sky130-spiker-$amp" "$spiker" --tech sky130 --amplifier "$amp"
done
realise sky130-burster-self-cascoded "$burster" --tech sky130 --amplifier self-cascoded
realise gf180-spiker-symmetric-strays "$spiker" --tech gf180 --amplifier symmetric --compensate-strays
realise gf180-burster-symmetric-strays "$burster" --followers offset-pairs --tech gf180 --amplifier symmetric --compensate-strays
realise gf180-spiker-symmetric-tapeout "$spiker" --tech gf180 --amplifier symmetric --bias mirrors --references ladder
realise gf180-burster-symmetric-tapeout "$burster" --followers offset-pairs --tech gf180 --amplifier symmetric --bias mirrors \
    --references ladder
# The burster block by block (--ideal-blocks) and with linearised followers.
for blocks in Gl Rf Gl,Rf Msp,Msn Mus C1,Gl,Rf,Msp,Msn,Mus,Iext; do
    realise "sky130-hv-burster-ideal-$(echo "$blocks" | tr , -)" "$burster" --followers offset-pairs --tech sky130-hv --ideal-blocks "$blocks"
done
realise sky130-hv-burster-linearised "$burster" --tech sky130-hv --followers linearised
realise sky130-hv-burster-linearised-ideal-Gl-Rf "$burster" --tech sky130-hv --followers linearised \
    --ideal-blocks Gl,Rf
realise sky130-hv-burster-linearised-ideal-gates "$burster" --tech sky130-hv --followers linearised \
    --ideal-blocks Msp,Msn,Mus
realise sky130-hv-burster-linearised-tapeout "$burster" --tech sky130-hv --followers linearised --bias mirrors \
    --references ladder
realise gf180-burster-linearised "$burster" --tech gf180 --followers linearised --corners tt,ff,ss
realise gf180-burster-linearised-tapeout "$burster" --tech gf180 --followers linearised --bias mirrors \
    --references ladder
# The followers' offsets cancelled (--cancel-follower-offsets), and the
# burster with a bias margin (bursting-margin.toml).
realise gf180-burster-cancel "$burster" --tech gf180 --cancel-follower-offsets
realise sky130-hv-burster-cancel "$burster" --tech sky130-hv --cancel-follower-offsets --corners tt,ff,ss
realise sky130-hv-burster-cancel-tapeout "$burster" --tech sky130-hv --cancel-follower-offsets --bias mirrors \
    --references ladder
realise gf180-margin "$margin" --tech gf180
realise gf180-margin-tapeout "$margin" --tech gf180 --bias mirrors --references ladder
realise gf180-margin-cancel "$margin" --tech gf180 --cancel-follower-offsets
realise sky130-hv-margin "$margin" --tech sky130-hv
realise sky130-hv-margin-ideal-Msn "$margin" --tech sky130-hv --ideal-blocks Msn
realise sky130-hv-margin-cancel "$margin" --tech sky130-hv --cancel-follower-offsets

# The sky130-hv Monte Carlo sweep: the GF180 file with sky130-hv's symmetric spiker.
sed -e 's/^tech = "gf180" /tech = "sky130-hv"/' -e 's/^amplifier = "five-transistor" /amplifier = "symmetric"/' \
    -e 's|^design = "tonic-spiking-100hz.toml"|design = "'"$here"'/docs/examples/tonic-spiking-100hz.toml"|' \
    "$here/docs/examples/sweep-mc-gf180.toml" >"$out/sweep-mc-sky130-hv.toml"
grep -q '^tech = "sky130-hv"' "$out/sweep-mc-sky130-hv.toml"
grep -q '^amplifier = "symmetric"' "$out/sweep-mc-sky130-hv.toml"
echo "== sky130-hv Monte Carlo: $out/sweep-mc-sky130-hv.toml; run each shard I of 1, 2 with"
echo "   $ATSCALE sweep $out/sweep-mc-sky130-hv.toml --shard I/2 --jobs 1 -o $out/mc-I.csv"
echo "   then: $ATSCALE sweep merge $out/mc.csv $out/mc-1.csv $out/mc-2.csv --report $out/mc"
