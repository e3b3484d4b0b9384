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

# pair_shape TECH: one pair of the unit devices alone at Rf's bias, its
# drains held at 2 V, one input at the knee and the other swept: how far
# its output bends from the tanh of its slope at balance at +-1.17 model V,
# with its bulk grounded (as realised) and tied to its common source.
pair_shape() {
    python3 - "$out/$1" <<'PAIR'
import json, math, subprocess, sys, tempfile
from pathlib import Path
d = Path(sys.argv[1])
rep = json.load(open(d / "report.json"))
real, measured = rep["realisation"], rep["characterisation"]["measured"]
s, knee = real["scales"]["s_volt"], rep["evidence"]["static_error"]["knee_model_v"]
cm = real["scales"]["v_ref_v"] + knee * s
nmos = real["device_subckts"][0]
unit = measured["square_m"] * nmos["scale"]
lines = (d / "realised.cir").read_text().splitlines()
lib = next(l for l in lines if l.startswith(".lib"))
ib = next(float(l.split()[4]) for l in lines if l.startswith("IRf_b "))
size = f"{nmos['w_param']}={unit:g} {nmos['l_param']}={unit:g}"
for bulk in ("0", "t"):
    with tempfile.TemporaryDirectory() as tmp:
        res = Path(tmp) / "out.txt"
        (Path(tmp) / "p.cir").write_text(
            f"pair\n{lib}\nVcm cm 0 DC {cm}\nVd in cm DC 0\nV1 d1 0 DC 2\nV2 d2 0 DC 2\nI1 t 0 DC {ib}\n"
            f"X1 d1 in t {bulk} {nmos['subckt']} {size}\nX2 d2 cm t {bulk} {nmos['subckt']} {size}\n"
            f".options temp={real['temperature_c']} reltol=1e-7 abstol=1e-20 gmin=1e-20\n"
            f".control\ndc Vd -0.4 0.4 0.002\nwrdata {res} i(V1)-i(V2)\nquit\n.endc\n.end\n")
        subprocess.run(["ngspice", "-b", str(Path(tmp) / "p.cir")], capture_output=True, check=True)
        pts = [tuple(map(float, l.split()[:2])) for l in res.read_text().splitlines() if l.strip()]
    x, i = [p[0] for p in pts], [-p[1] for p in pts]
    j = min(range(len(x)), key=lambda k: abs(x[k]))
    width = ib / ((i[j + 1] - i[j - 1]) / (x[j + 1] - x[j - 1]))

    def bend(u):
        v = u * width
        k = max(k for k in range(len(x) - 1) if x[k] <= v)
        f = i[k] + (i[k + 1] - i[k]) * (v - x[k]) / (x[k + 1] - x[k])
        return (f - ib * math.tanh(u)) / ib * 1e6

    print(f"pair alone, bulk {'grounded' if bulk == '0' else 'tied to its source'}: kappa at balance "
          f"{2 * measured['thermal_voltage_v'] / abs(width):.4f}, from its tanh {bend(1.17):+.0f} ppm at "
          f"+1.17 and {bend(-1.17):+.0f} ppm at -1.17 model V")
PAIR
}

# measure TECH NAME: runs $out/TECH-NAME.cir and prints its bursts.
measure() {
    rep="$out/$1/report.json"
    events=$(python3 -c "import json; r = json.load(open('$rep'))['realisation']; \
print(f\"{r['membrane']},{r['threshold_v']!r},{r['hysteresis_v']!r}\")")
    $ATSCALE sim "$out/$1-$2.cir" --engine ngspice --events "$events" --timeout 3600 --json >"$out/$1-$2.json" \
        2>"$out/$1-$2.err"
    python3 - "$out/$1-$2.json" "$rep" "$1 $2" <<'EOF'
import json, math, sys
# The bursts as atscale_design::spikes::bursts measures them (the report's
# figures): split at intervals longer than the geometric mean of the
# shortest and longest, the first and last bursts dropped, the period the
# mean interval between burst starts over the second half of the train.
ev = next(iter(json.load(open(sys.argv[1]))["events"].values()))
ideal = json.load(open(sys.argv[2]))["evidence"]["ideal"]["burst_period_s"]
isi = [b - a for a, b in zip(ev, ev[1:])]
gap = math.sqrt(min(isi) * max(isi))
starts = [0] + [k + 1 for k, d in enumerate(isi) if d > gap]
counts = [b - a for a, b in zip(starts[1:], starts[2:])]
settled = starts[max(len(starts) // 2, 1):]
period = (ev[settled[-1]] - ev[settled[0]]) / (len(settled) - 1)
each = [f"{(ev[b] - ev[a]) * 1e3:.2f}" for a, b in zip(starts, starts[1:])]
print(f"{sys.argv[3]}: {len(ev)} spikes, complete bursts of {counts} spikes, burst period "
      f"{period * 1e3:.2f} ms ({100 * (period / ideal - 1):+.2f} % from the ideal model's "
      f"{ideal * 1e3:.2f} ms; burst to burst: {', '.join(each)} ms)")
EOF
}

for tech in ${TECHS:-sky130-hv gf180}; do
    [ -n "${REUSE:-}" ] && [ -f "$out/$tech/report.json" ] ||
        $ATSCALE realise "$out/design/design.json" --tech "$tech" -o "$out/$tech" --force >"$out/$tech.log" 2>&1
    grep -E "transistor circuit:|ideal model of|static current error|against the ideal" "$out/$tech.log"
    python3 "$here/scripts/amplifier-errors.py" "$out/$tech" >"$out/$tech-amplifiers.txt"
    grep '^block' "$out/$tech-amplifiers.txt"
    pair_shape "$tech"
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
