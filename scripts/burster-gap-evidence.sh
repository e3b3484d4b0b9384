#!/bin/sh
# Where the linearised PDK bursters' gap to their ideal model goes: the
# guide's "Where sky130-hv's 3.74 % goes". For the template's burster
# (docs/examples/bursting.toml) in sky130-hv and GF180 (linearised
# followers, untrimmed, ideal bias):
#
#   1. `atscale realise` (its nominal run, ideal model and static error);
#   2. scripts/amplifier-errors.py: each amplifier's error at the knee;
#   3. variants of the written netlist, each run in ngspice through
#      `atscale sim --events` and measured here (spikes per burst, burst
#      periods): the run's shunt (`rshunt`) ten times and 3.33 times the
#      resistance; the ultraslow follower's input pairs (`Mus`, biased below
#      `limits.bias_min_a` and sized longer) made one unit square each, alone
#      and with the shunts; and with those pairs, the operating point at the
#      written shunt and the transient without any (every node's operating
#      point voltage given as an initial condition, `uic`).
#
#   scripts/burster-gap-evidence.sh [OUTPUT_DIR]
#
# About 40 min on two cores (sky130-hv's runs take 3 to 8 min each). Needs
# ngspice, the PDKs (scripts/install-pdks.sh) and python3.
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo); TECHS the technologies
# (default "sky130-hv gf180"); REUSE=1 keeps a realisation already in
# OUTPUT_DIR.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-burster-gap}

. "$here/scripts/atscale-command.sh"
out=$(output_dir "$out")

$ATSCALE design "$here/docs/examples/bursting.toml" -o "$out/design" --force >/dev/null

# variant TECH NAME PAIRS_AT_UNIT SHUNT_FACTOR: writes $out/TECH-NAME.cir from
# the realised netlist.
variant() {
    python3 - "$out/$1" "$out/$1-$2.cir" "$3" "$4" <<'EOF'
import json, re, sys
real_dir, dest, unit_pairs, factor = sys.argv[1], sys.argv[2], sys.argv[3] == "1", float(sys.argv[4])
rep = json.load(open(f"{real_dir}/report.json"))
# The unit square in the device subcircuit's units (sky130: µm, GF180: m).
unit = rep["characterisation"]["measured"]["square_m"] * rep["realisation"]["device_subckts"][0]["scale"]
lines = open(f"{real_dir}/realised.cir").read().splitlines()
out = []
for l in lines:
    if unit_pairs and re.match(r"XMMusf[io]\d+_[pn] ", l):
        l = re.sub(r" w=\S+ l=\S+$", f" w={unit:g} l={unit:g}", l)
    if l.startswith(".options") and "rshunt=" in l:
        l = re.sub(r"rshunt=(\S+)", lambda m: f"rshunt={float(m.group(1)) * factor!r}", l)
    if l == ".end":
        # Only the membrane is measured: a full save is over 256 MB.
        out.append(f".save v({rep['realisation']['membrane']})")
    out.append(l)
open(dest, "w").write("\n".join(out) + "\n")
EOF
}

# two_stage TECH: the unit-pair netlist's operating point with its shunt, then
# $out/TECH-two-stage.cir: the transient without the shunt from that point.
two_stage() {
    base="$out/$1-unit-pairs.cir"
    sed -e 's/^\.tran .*//' -e '/^\.save /d' -e "s|^\.end\$|.control\nop\nset width=200\nprint all > $out/$1-op.txt\nquit\n.endc\n.end|" \
        "$base" >"$out/$1-op.cir"
    ngspice -b "$out/$1-op.cir" >"$out/$1-op.log" 2>&1 ||
        { echo "$1: the operating point failed (see $out/$1-op.log)" >&2; exit 1; }
    python3 - "$base" "$out/$1-op.txt" "$out/$1-two-stage.cir" <<'EOF'
import re, sys
base, op, dest = sys.argv[1:]
ic = [f".ic v({k.strip()})={v.strip()}" for k, v in (l.split("=") for l in open(op) if "=" in l and "#" not in l)]
out = []
for l in open(base).read().splitlines():
    if l.startswith(".options") and "rshunt=" in l:
        l = re.sub(r" rshunt=\S+", "", l)
    if l.startswith(".ic "):
        continue
    if l.startswith(".tran"):
        l += " uic"
    if l == ".end":
        out += ic
    out.append(l)
open(dest, "w").write("\n".join(out) + "\n")
EOF
}

# measure TECH NAME: runs $out/TECH-NAME.cir and prints its bursts.
measure() {
    rep="$out/$1/report.json"
    events=$(python3 -c "import json; r = json.load(open('$rep'))['realisation']; \
print(f\"{r['membrane']},{r['threshold_v']!r},{r['hysteresis_v']!r}\")")
    $ATSCALE sim "$out/$1-$2.cir" --engine ngspice --events "$events" --timeout 3600 --json >"$out/$1-$2.json" \
        2>"$out/$1-$2.err"
    python3 - "$out/$1-$2.json" "$1 $2" <<'EOF'
import json, statistics, sys
doc = json.load(open(sys.argv[1]))
ev = next(iter(doc["events"].values()))
isi = [b - a for a, b in zip(ev, ev[1:])]
gap = 5 * statistics.median(isi)
starts, counts = [0], []
for i, d in enumerate(isi):
    if d > gap:
        counts.append(i + 1 - starts[-1])
        starts.append(i + 1)
counts.append(len(ev) - starts[-1])
periods = [round((ev[b] - ev[a]) * 1e3, 2) for a, b in zip(starts, starts[1:])]
print(f"{sys.argv[2]}: {len(ev)} spikes, spikes per burst {counts}, burst periods {periods} ms")
EOF
}

for tech in ${TECHS:-sky130-hv gf180}; do
    [ -n "${REUSE:-}" ] && [ -f "$out/$tech/report.json" ] ||
        $ATSCALE realise "$out/design/design.json" --tech "$tech" -o "$out/$tech" --force >"$out/$tech.log" 2>&1
    grep -E "transistor circuit:|ideal model of|static current error|against the ideal" "$out/$tech.log"
    python3 "$here/scripts/amplifier-errors.py" "$out/$tech" >"$out/$tech-amplifiers.txt"
    grep '^block' "$out/$tech-amplifiers.txt"
    variant "$tech" shunt-x10 0 10
    variant "$tech" shunt-x3.33 0 3.33
    variant "$tech" unit-pairs 1 1
    variant "$tech" unit-pairs-shunt-x10 1 10
    variant "$tech" unit-pairs-shunt-x3.33 1 3.33
    two_stage "$tech"
    for v in shunt-x10 shunt-x3.33 unit-pairs unit-pairs-shunt-x10 unit-pairs-shunt-x3.33 two-stage; do
        measure "$tech" "$v" &
        [ "$v" = shunt-x3.33 ] || [ "$v" = unit-pairs-shunt-x10 ] || [ "$v" = two-stage ] && wait
    done
    wait
done
