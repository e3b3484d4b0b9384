#!/bin/sh
# Regenerates the numbers of the guide's section "Transistor-level
# realisation" (issue 8) with ngspice:
#
#   scripts/realise-evidence.sh [OUTPUT_DIR]
#
# 1. the spiker (100 Hz) realised in generic-bsim4, 600 model units;
# 2. the bias sweep 0.5, 1, 2 of the spiker, 500 model units, with the
#    fitted log-log slope (subthreshold theory: 1);
# 3. the burster (13 spikes per 0.5 s) realised in generic-bsim4 over its
#    full window (4.5 design burst periods, the realisation's own maximum
#    step; about 20 s of ngspice), trimmed (--trim) and untrimmed (the
#    default: the static current error at the design's knee left in);
# 4. the FitzHugh-Nagumo spiker (100 Hz) realised in generic-bsim4, trimmed
#    (--trim) and untrimmed;
# 5. the level-1 realisation of a 200 kHz spiker verified across ngspice,
#    the native solver and spice21;
# 6. current mirrors (--bias mirrors): the spiker, 400 model units, with
#    ideal sources and with mirrors (the reference x2), and the burster
#    with mirrors (2 s, 3.2 model units maximum step);
# 7. why the burster with mirrors and --trim loses a spike: its netlist
#    (the default window) run in ngspice as written and with the membrane's
#    bias mirror MIext_b replaced by an ideal source of its target current,
#    bursts and periods from the spike times (python3); and with
#    --cascode-membrane.
# Each step prints the Evidence section of its report.md; the reports are in
# OUTPUT_DIR/{fc,fc-sweep,burst,burst-untrimmed,fhn,fhn-untrimmed,l1,fc400,fc-mirrors,burst-mirrors,
# burst-mirrors-default,burst-mirrors-cascode}. Needs ngspice.
#
# ATSCALE names the atscale binary (default: `atscale` on PATH, else the
# release build of this repository through cargo).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-realise-evidence}

. "$here/scripts/atscale-command.sh"
mkdir -p "$out"

evidence() {
    sed -n '/^## Evidence/,$p' "$1/report.md"
}

# shellcheck disable=SC2086 # ATSCALE may be a command with arguments
$ATSCALE design "$here/docs/examples/four-conductance-spiking.toml" -o "$out/fc-design" --force >/dev/null
# shellcheck disable=SC2086
$ATSCALE realise "$out/fc-design/design.json" --tech generic-bsim4 -o "$out/fc" --tstop-model 600 --force >/dev/null
echo "== spiker, generic-bsim4, 600 model units"
evidence "$out/fc"

# shellcheck disable=SC2086
$ATSCALE realise "$out/fc-design/design.json" --tech generic-bsim4 -o "$out/fc-sweep" --tstop-model 500 \
    --sweep 0.5,1,2 --force >/dev/null
echo "== bias sweep 0.5, 1, 2, 500 model units"
evidence "$out/fc-sweep"

# shellcheck disable=SC2086
$ATSCALE design "$here/docs/examples/bursting.toml" -o "$out/burst-design" --force >/dev/null
# shellcheck disable=SC2086
$ATSCALE realise "$out/burst-design/design.json" --tech generic-bsim4 -o "$out/burst" --trim --force >/dev/null
echo "== burster, generic-bsim4, full window (membrane trimmed, --trim)"
evidence "$out/burst"
# shellcheck disable=SC2086
$ATSCALE realise "$out/burst-design/design.json" --tech generic-bsim4 -o "$out/burst-untrimmed" \
    --force >/dev/null
echo "== burster, generic-bsim4, full window, untrimmed (the default)"
evidence "$out/burst-untrimmed"
# shellcheck disable=SC2086
$ATSCALE realise "$out/burst-design/design.json" --tech generic-bsim4 -o "$out/burst-linearised" \
    --amplifier symmetric --followers linearised --force >/dev/null
echo "== burster, generic-bsim4, symmetric amplifiers, linearised followers (a minute)"
evidence "$out/burst-linearised"

# shellcheck disable=SC2086
$ATSCALE design "$here/docs/examples/tonic-spiking-100hz.toml" -o "$out/fhn-design" --force >/dev/null
# shellcheck disable=SC2086
$ATSCALE realise "$out/fhn-design/design.json" --tech generic-bsim4 -o "$out/fhn" --trim --force >/dev/null
echo "== FitzHugh-Nagumo spiker, generic-bsim4, --trim"
evidence "$out/fhn"
# shellcheck disable=SC2086
$ATSCALE realise "$out/fhn-design/design.json" --tech generic-bsim4 -o "$out/fhn-untrimmed" \
    --force >/dev/null
echo "== FitzHugh-Nagumo spiker, generic-bsim4, untrimmed (the default)"
evidence "$out/fhn-untrimmed"

cat >"$out/spec200k.toml" <<'SPEC'
template = "four-conductance-spiking"
[target]
rate_hz = 200000.0
[scale]
amplitude_v = 0.1
capacitance_f = 1e-12
SPEC
# shellcheck disable=SC2086
$ATSCALE design "$out/spec200k.toml" -o "$out/l1-design" --force >/dev/null
# shellcheck disable=SC2086
$ATSCALE realise "$out/l1-design/design.json" --tech generic-level1 -o "$out/l1" --force >/dev/null
echo "== level-1 realisation, 200 kHz spiker"
evidence "$out/l1"
thr=$(sed -n 's/.*"threshold_v": *\([-0-9.eE+]*\).*/\1/p' "$out/l1/report.json" | head -n 1)
hyst=$(sed -n 's/.*"hysteresis_v": *\([-0-9.eE+]*\).*/\1/p' "$out/l1/report.json" | head -n 1)
# shellcheck disable=SC2086
$ATSCALE verify "$out/l1/realised.cir" --events "v,$thr,$hyst" --engines ngspice,native,spice21 --tol 5e-3

# shellcheck disable=SC2086
$ATSCALE realise "$out/fc-design/design.json" --tech generic-bsim4 -o "$out/fc400" --tstop-model 400 \
    --force >/dev/null
echo "== spiker, generic-bsim4, 400 model units, ideal bias sources"
evidence "$out/fc400"
# shellcheck disable=SC2086
$ATSCALE realise "$out/fc-design/design.json" --tech generic-bsim4 -o "$out/fc-mirrors" --tstop-model 400 \
    --bias mirrors --sweep 2 --force >/dev/null
echo "== spiker, generic-bsim4, 400 model units, current mirrors (reference x2 swept)"
evidence "$out/fc-mirrors"
# shellcheck disable=SC2086
$ATSCALE realise "$out/burst-design/design.json" --tech generic-bsim4 -o "$out/burst-mirrors" --bias mirrors \
    --tstop-model 16000 --max-step-model 3.2 --trim --force >/dev/null
echo "== burster, generic-bsim4, current mirrors, 2 s, 3.2 model units maximum step, --trim"
evidence "$out/burst-mirrors"

# shellcheck disable=SC2086
$ATSCALE realise "$out/burst-design/design.json" --tech generic-bsim4 -o "$out/burst-mirrors-default" \
    --bias mirrors --trim --force >/dev/null
run="$out/burst-mirrors-default"
thr=$(sed -n 's/.*"threshold_v": *\([-0-9.eE+]*\).*/\1/p' "$run/report.json" | head -n 1)
hyst=$(sed -n 's/.*"hysteresis_v": *\([-0-9.eE+]*\).*/\1/p' "$run/report.json" | head -n 1)
# The membrane bias mirror (an NMOS from v to ground) as an ideal source of
# the current the bank sized it for.
target=$(python3 - "$run/report.json" <<'PY'
import json, sys
devices = json.load(open(sys.argv[1]))["realisation"]["devices"]
d = next(d for d in devices if d["name"] == "MIext_b")
assert d["kind"] == "nmos", d
print(repr(d["current_a"]))
PY
)
sed -e "s/^MIext_b v .*/IIext v 0 DC $target/" "$run/realised.cir" >"$run/ideal-iext.cir"
grep -q '^IIext v 0 DC' "$run/ideal-iext.cir"
# shellcheck disable=SC2086
$ATSCALE realise "$out/burst-design/design.json" --tech generic-bsim4 -o "$out/burst-mirrors-cascode" \
    --bias mirrors --trim --cascode-membrane --force >/dev/null
cp "$out/burst-mirrors-cascode/realised.cir" "$run/cascoded.cir"
for net in realised ideal-iext cascoded; do
    # shellcheck disable=SC2086
    $ATSCALE sim "$run/$net.cir" --engine ngspice --events "v,$thr,$hyst" --json >"$run/$net-events.json"
done
echo "== burster, generic-bsim4, mirrors, --trim, default window: as written, MIext_b ideal, MIext_b cascoded"
python3 - "$target" "$run/realised-events.json" "$run/ideal-iext-events.json" "$run/cascoded-events.json" <<'PY'
import json, statistics, sys
print(f"MIext_b's target current: {float(sys.argv[1]) * 1e12:.4g} pA")
for path in sys.argv[2:]:
    t = json.load(open(path))["events"]["v"]
    isi = [b - a for a, b in zip(t, t[1:])]
    gap = 5 * statistics.median(isi)
    starts = [0] + [k + 1 for k, d in enumerate(isi) if d > gap]
    sizes = [b - a for a, b in zip(starts, starts[1:] + [len(t)])]
    periods = [round((t[b] - t[a]) * 1e3, 2) for a, b in zip(starts, starts[1:])]
    mean = sum(periods) / len(periods) if periods else float("nan")
    print(f"{path}: spikes per burst {sizes}, burst periods {periods} ms (mean {mean:.2f} ms)")
PY
