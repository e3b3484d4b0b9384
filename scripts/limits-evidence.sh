#!/usr/bin/env bash
# Evidence for the limits of issue 12 (and its second attack round): every resource case an input of a few
# bytes could blow up is run through the release binary under
# /usr/bin/time -v, and the peak memory, wall time, exit status and the
# error's first line are printed as a table. The script fails if any case
# uses 1 GiB or more, panics, or exits 0 where it must refuse.
#
#   scripts/limits-evidence.sh            # all cases (about two minutes)
#
# Needs: cargo, ngspice (scripts/install-ngspice.sh), GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { echo "error: /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }
cargo build --quiet --release --locked -p atscale-cli
A="$PWD/target/release/atscale"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
LIMIT_KB=$((1024 * 1024))
fail=0

# case NAME EXPECTED_EXIT COMMAND...: runs COMMAND under GNU time.
case_() {
    local name="$1" want="$2"
    shift 2
    local log="$W/time.log" err="$W/err.log"
    set +e
    /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$err"
    local code=$?
    set -e
    local kb wall first
    kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    first=$(grep -m1 -v '^warning\|^preparing' "$err" | cut -c1-110 || true)
    printf '| %s | %s | %s MiB | %s | %s |\n' "$name" "$code" "$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')" "$wall" "$first"
    if [ "$kb" -ge "$LIMIT_KB" ]; then echo "FAIL: $name used $kb KiB" >&2; fail=1; fi
    if grep -q panicked "$err"; then echo "FAIL: $name panicked" >&2; fail=1; fi
    if [ "$code" != "$want" ]; then echo "FAIL: $name exited $code, expected $want" >&2; fail=1; fi
}

# --- inputs
FHN=netlists/ngspice/fitzhugh_nagumo.cir
printf 'rc\nC1 a 0 1e-6 IC=1\nR1 a 0 1000\n.tran 5e-6 0.002 uic\n.end\n' > "$W/rc.cir"
sed 's/^\.tran .*/.tran 0.1 1e9 uic/' "$FHN" > "$W/fhn_long.cir"
{
    echo fan-out; echo '.subckt l0 a'; echo 'R1 a 0 1k'; echo '.ends'
    for k in $(seq 1 10); do
        echo ".subckt l$k a"; for j in $(seq 0 9); do echo "X$j a l$((k - 1))"; done; echo '.ends'
    done
    echo 'V1 a 0 1'; echo 'Xtop a l10'; echo '.tran 1u 1m'; echo '.end'
} > "$W/fan.cir"
{
    echo deep; echo '.subckt d0 a'; echo 'R1 a 0 1k'; echo '.ends'
    for k in $(seq 1 9999); do echo ".subckt d$k a"; echo "X1 a d$((k - 1))"; echo '.ends'; done
    echo 'V1 a 0 1'; echo 'Xtop a d9999'; echo '.tran 1u 1m'; echo '.end'
} > "$W/deep.cir"
printf 'zero\nR1 a 0 1\n.include /dev/zero\n.end\n' > "$W/zero.cir"
mkfifo "$W/fifo"
printf 'fifo\nR1 a 0 1\n.include %s\n.end\n' "$W/fifo" > "$W/fifo.cir"
python3 - "$W" <<'PY'
import sys
w = sys.argv[1]
open(f"{w}/long.cir", "w").write("long\nR1 a 0 " + "y" * 10_000_000 + "\n.end\n")
terms = " + ".join(f"{1.0 / (k + 2)}*v(a)" for k in range(100_000))
open(f"{w}/sum.cir", "w").write(f"sum\nV1 a 0 1\nB1 b 0 V={{{terms}}}\nR1 b 0 1k\n.tran 1u 10u\n.end\n")
net = "docs/examples/fhn-param.cir"
head = f'netlist = "{__import__("os").path.abspath(net)}"\nmetrics = ["spike_count"]\n[event]\nnode = "v"\nthreshold_v = 0.5\n'
open(f"{w}/grid.toml", "w").write(head + '[[parameter]]\nname = "ibias"\nmin = 0.0\nmax = 1.0\nsteps = 100000\n[[parameter]]\nname = "rrec"\nmin = 0.4\nmax = 1.2\nsteps = 100000\n')
open(f"{w}/lhs.toml", "w").write('sampling = "lhs"\npoints = 1000000000000\n' + head + '[[parameter]]\nname = "ibias"\nmin = 0.0\nmax = 1.0\n')
open(f"{w}/mc.toml", "w").write(head + '[monte_carlo]\nsamples = 10000000000\n[monte_carlo.class]\nresistor = 0.1\n')
rel = open("docs/examples/reliability.toml").read().replace("bin_width = 2.0", "bin_width = 1e-9")
open(f"{w}/rel.toml", "w").write(rel)
params = "".join(f'[[parameter]]\nname = "p{k}"\nmin = 0.0\nmax = 1.0\n' for k in range(200))
open(f"{w}/wide.toml", "w").write('sampling = "lhs"\npoints = 1000000\n' + head + params)
tree = ["tree", ".model nch nmos(level=54)", ".subckt s0 a b", "M1 a a b b nch W=1u L=1u", ".ends"]
for k in range(1, 19):
    tree += [f".subckt s{k} a b", f"X1 a m s{k - 1}", f"X2 m b s{k - 1}", ".ends"]
open(f"{w}/tree.cir", "w").write("\n".join(tree + ["X0 a 0 s18", "V1 a 0 1", ".tran 1u 10u", ".end"]) + "\n")
mos1 = ["tree", ".model nch nmos(level=1 vto=0.5 kp=1e-4)", ".subckt s0 a b", "M1 a a b b nch W=1u L=1u", ".ends"] + tree[5:]
tail = ["V1 a 0 1", ".tran 1u 2u", ".end"]
open(f"{w}/tree98k.cir", "w").write("\n".join(mos1 + ["X0 a 0 s16", "X01 a 0 s15"] + tail) + "\n")
open(f"{w}/tree491k.cir", "w").write("\n".join(mos1 + ["X0 a 0 s18", "X01 a 0 s17", "X02 a 0 s16", "X03 a 0 s15"] + tail) + "\n")
open(f"{w}/tree98k54.cir", "w").write("\n".join(tree[:5] + tree[5:] + ["X0 a 0 s16", "X01 a 0 s15"] + tail) + "\n")
import json
def memristive(n, distinct):
    els = [{"name": "C1", "kind": "capacitor", "p": "v", "n": "0", "c_farad": 1.0},
           {"name": "G1", "kind": "resistor", "p": "v", "n": "0", "r_ohm": 1.0}]
    els += [{"name": f"M{k}", "kind": "memristive", "p": "v", "n": "0",
             "states": [{"relaxation": "linear", "tau_s": 1.0 + k % distinct, "x0": 0.0}],
             "law": {"law": "tanh", "state": 0, "alpha": -1e-4, "delta": 0.0}} for k in range(n)]
    return json.dumps({"title": "landscape load", "elements": els})
open(f"{w}/taus.json", "w").write(memristive(5000, 5000))
open(f"{w}/slow.json", "w").write(memristive(20000, 99))
PY
# Fake simulators: one that prints 2 GB, one that writes a 3 GB raw file,
# one that never answers `-v`, one that leaves a child holding its pipes.
REAL=$(command -v ngspice)
mkdir -p "$W/chatty" "$W/bigraw" "$W/mute" "$W/child"
printf '#!/bin/sh\nif [ "$1" = -v ]; then exec %s -v; fi\nhead -c 2000000000 /dev/zero | tr "\\0" x\nexec %s "$@"\n' "$REAL" "$REAL" > "$W/chatty/ngspice"
printf '#!/bin/sh\nif [ "$1" = -v ]; then exec %s -v; fi\nwhile [ "$1" != -r ]; do shift; done\ntruncate -s 3G "$2"\n' "$REAL" > "$W/bigraw/ngspice"
printf '#!/bin/sh\nexec sleep 600\n' > "$W/mute/ngspice"
printf '#!/bin/sh\nif [ "$1" = -v ]; then exec %s -v; fi\nsetsid sleep 120 &\nexec %s "$@"\n' "$REAL" "$REAL" > "$W/child/ngspice"
chmod +x "$W"/*/ngspice

echo "| case | exit | peak memory | wall | message |"
echo "|---|---|---|---|---|"
case_ "native: --max-step 1e-9 over 400 s" 2 "$A" sim "$FHN" --max-step 1e-9
case_ "native: 1e9 s of spikes (step limit at run time)" 2 "$A" sim "$W/fhn_long.cir" --probe v
case_ "spice21: 1e-14 s fixed step" 2 "$A" sim "$W/rc.cir" --engine spice21 --max-step 1e-14
case_ "10 levels of 10 instances" 2 "$A" summary "$W/fan.cir"
case_ "subcircuits 10,000 deep" 2 "$A" summary "$W/deep.cir"
case_ "sweep grid 1e5 x 1e5" 2 "$A" sweep "$W/grid.toml" -o "$W/g.csv"
case_ "sweep lhs points = 1e12" 2 "$A" sweep "$W/lhs.toml" -o "$W/l.csv"
case_ "sweep samples = 1e10" 2 "$A" sweep "$W/mc.toml" -o "$W/m.csv"
case_ "reliability bin_width = 1e-9" 2 "$A" reliability "$W/rel.toml" -o "$W/rel"
case_ ".include /dev/zero" 2 "$A" sim "$W/zero.cir"
case_ ".include of a FIFO" 2 "$A" sim "$W/fifo.cir"
case_ "10 MB line with an error" 2 "$A" summary "$W/long.cir"
case_ "flat sum of 100,000 terms" 0 "$A" sim "$W/sum.cir"
case_ "ngspice printing 2 GB" 0 env PATH="$W/chatty:$PATH" "$A" sim "$W/rc.cir" --engine ngspice
case_ "ngspice writing a 3 GB raw file" 2 env PATH="$W/bigraw:$PATH" "$A" sim "$W/rc.cir" --engine ngspice
case_ "ngspice -v never answers (--timeout 5)" 2 env PATH="$W/mute:$PATH" "$A" sim "$W/rc.cir" --engine ngspice --timeout 5
case_ "ngspice leaves a child on its pipes" 0 env PATH="$W/child:$PATH" "$A" sim "$W/rc.cir" --engine ngspice
case_ "ngspice: 884 bytes, 262,144 BSIM4 devices (--max-engine-memory 800meg)" 2 "$A" sim "$W/tree.cir" --engine ngspice --max-engine-memory 800meg
case_ "native: 98,304 level-1 MOSFETs (at the element limit)" 0 "$A" sim "$W/tree98k.cir" -o "$W/t98.csv"
case_ "native: 491,520 level-1 MOSFETs" 2 "$A" sim "$W/tree491k.cir" -o "$W/t491.csv"
case_ "ngspice: 98,304 BSIM4 devices (at the element limit)" 0 "$A" sim "$W/tree98k54.cir" --engine ngspice -o "$W/t98n.csv"
case_ "sweep lhs 1e6 points x 200 parameters" 2 "$A" sweep "$W/wide.toml" -o "$W/w.csv"
case_ "landscape with 5,000 timescales" 2 "$A" landscape "$W/taus.json"
case_ "landscape 99 timescales x 20,000 elements (--timeout 5)" 2 "$A" landscape "$W/slow.json" --timeout 5
pkill -f "sleep 120" 2>/dev/null || true
exit $fail
