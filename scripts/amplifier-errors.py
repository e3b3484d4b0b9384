#!/usr/bin/env python3
"""Each amplifier's static current error in a realisation, one ngspice run.

Usage: scripts/amplifier-errors.py OUT [KNEE_MODEL_V]

OUT is an `atscale realise` output folder (realised.cir, report.json).
Every amplifier of the netlist is held at the design's knee (the report's
`evidence.static_error.knee_model_v`, or KNEE_MODEL_V): its output by a
voltage source of its own, the membrane and every state node (a
follower's, where the ideal model has it in steady state, and a recovery
branch's) at the knee voltage, the references as written; one operating point gives each
amplifier's output current, compared with the ideal `I_b tanh((V+ - V-)/s)`
of its tail current, written inputs and the realisation's model volt `s`.
Prints one line per amplifier and the sum per block (`<element>` for the
amplifiers into the membrane, `<element>_f` for a follower's), in
picoamperes. The run keeps the netlist's options (its `rshunt` too).
Only plain pairs are compared (the report's role `input pair +`), not
the offset pairs' built-in offsets. It takes the symmetric amplifiers
(`symmetric`, `self-cascoded`, whose `-` device drains into its own
mirror) with ideal tail sources and references, and refuses other
realisations by name.
"""
import json, math, re, subprocess, sys, tempfile, collections
from pathlib import Path

out = Path(sys.argv[1])
rep = json.loads((out / "report.json").read_text())
real = rep["realisation"]
s, vref = real["scales"]["s_volt"], real["scales"]["v_ref_v"]
knee = float(sys.argv[2]) if len(sys.argv) > 2 else rep["evidence"]["static_error"]["knee_model_v"]
lines = (out / "realised.cir").read_text().splitlines()
vm = vref + knee * s
opts = real["options"]
for key, ok in (("amplifier", ("symmetric", "self-cascoded")), ("bias", ("ideal",)), ("references", ("ideal",))):
    if opts[key] not in ok:
        sys.exit(f"{out / 'report.json'}: realised with {key} {opts[key]!r}; this script holds the outputs of "
                 f"{' or '.join(ok)} {key} only")
membrane = real["membrane"]
element = {d["name"]: d["element"] for d in real["devices"]}
roles = {d["name"]: d["role"] for d in real["devices"]}
caps = {e["name"]: e["p"] for e in real["circuit"]["elements"] if e["kind"] == "capacitor"}
states = {membrane} | {caps[n] for n, r in roles.items() if r in ("state capacitor", "recovery state capacitor")}
tails, gates, outs, keep = {}, collections.defaultdict(dict), {}, []
for ln in lines:
    t = ln.split()
    if not t or ln.startswith("*") or t[0].lower() in (".ic", ".tran", ".end", ".control", ".endc"):
        continue
    m = re.match(r"I(\S+)_b$", t[0])
    if m and t[1] == f"{m.group(1)}_t":
        tails[m.group(1)] = float(t[4])
    m = re.match(r"X?M(.+?)_(p|n|oc|y_oc)$", t[0]) if "_x_" not in t[0] else None
    if m:
        tag, role = m.groups()
        if role in ("p", "n"):
            gates[tag][role] = t[2]
        else:
            outs[tag] = t[1]
            t[1] = f"o_{tag}"
            ln = " ".join(t)
    keep.append(ln)
amps = sorted(t for t in outs if t in tails and {"p", "n"} <= gates[t].keys() and roles.get(f"M{t}_p") == "input pair +")
if not amps:
    sys.exit(f"{out / 'realised.cir'}: no amplifier with a plain input pair and an ideal tail source")
volts = {t[1].lower(): float(t[4]) for t in (l.split() for l in lines)
         if len(t) > 4 and t[0].startswith("V") and t[2] == "0" and t[3] == "DC"}
for n in states:
    volts[n.lower()] = vm
with tempfile.TemporaryDirectory() as tmp:
    net, res = Path(tmp) / "held.cir", Path(tmp) / "held.txt"
    src = [f"Vheld_{n} {n} 0 DC {vm}" for n in sorted(states)]
    src += [f"Vo_{t} o_{t} 0 DC {volts[outs[t].lower()]}" for t in amps]
    probe = " ".join(f"i(Vo_{t})" for t in amps)
    net.write_text("held amplifiers\n" + "\n".join(keep[1:] + src)
                   + f"\n.control\nop\nset width=1000\nprint {probe} > {res}\nquit\n.endc\n.end\n")
    subprocess.run(["ngspice", "-b", str(net)], capture_output=True, check=True)
    got = {}
    for ln in res.read_text().splitlines():
        m = re.match(r"i\(vo_(\S+)\)\s*=\s*(\S+)", ln.strip().lower())
        if m:
            got[m.group(1)] = float(m.group(2))
blocks = collections.defaultdict(float)
for t in amps:
    ideal = tails[t] * math.tanh((volts[gates[t]["p"].lower()] - volts[gates[t]["n"].lower()]) / s)
    err = got[t.lower()] - ideal
    block = element.get(f"I{t}_b", t) + ("_f" if re.search(r"f[io]\d+$", t) else "")
    blocks[block] += err
    print(f"{t:12s} into {outs[t]:8s} bias {tails[t]*1e12:9.3f} pA  ideal {ideal*1e12:+10.3f} pA  "
          f"error {err*1e12:+8.4f} pA ({err/tails[t]*1e6:+7.0f} ppm of the bias)")
for b, e in sorted(blocks.items()):
    print(f"block {b}: {e*1e12:+.4f} pA")
