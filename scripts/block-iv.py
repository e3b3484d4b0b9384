#!/usr/bin/env python3
"""The DC I-V curve of one block of a realisation, against its ideal model.

    scripts/block-iv.py OUT ELEMENT [--table NETLIST]

OUT is an `atscale realise` output folder (realised.cir, report.json),
ELEMENT a design element whose block draws from the membrane (`Gl`, `Rf`:
a block whose ideal model is one behavioural current on the membrane).
ngspice runs the block's devices alone (supply, references, tail sources,
model cards) with the membrane swept over ±6 model V around model 0 V in
261 steps; the script prints every tenth: the current the block gives the
membrane against its ideal model's, pA.

With --table, it also writes NETLIST: the realised netlist with the
block's devices replaced by a `pwl` source of the measured curve, which
separates the block's static characteristic from its dynamics (run it
with `atscale sim NETLIST --engine ngspice --events v,...`).

Needs ngspice on the PATH and numpy (`make python` installs it in .venv).
"""
import json
import re
import subprocess
import sys
import tempfile

import numpy as np


def card_name(line):
    """The device a netlist line places (`XMname` for a subcircuit device), or None."""
    if not line or line[0] in "*.+":
        return None
    name = line.split()[0]
    return name[1:] if name.startswith("X") else name


def model_cards(lines):
    """The netlist's `.model` cards with their `+` continuation lines."""
    cards, inside = [], False
    for l in lines:
        inside = l.lower().startswith(".model") or (inside and l.startswith("+"))
        if inside:
            cards.append(l)
    return cards


def main():
    args = sys.argv[1:]
    table = None
    if "--table" in args:
        i = args.index("--table")
        if i + 1 >= len(args):
            sys.exit(__doc__)
        table = args[i + 1]
        del args[i:i + 2]
    if len(args) != 2:
        sys.exit(__doc__)
    out, element = args
    rep = json.load(open(f"{out}/report.json"))["realisation"]
    sc = rep["scales"]
    s, k, vref = sc["s_volt"], sc["current_a"], sc["v_ref_v"]
    membrane = rep["membrane"]
    lines = open(f"{out}/realised.cir").read().split("\n")
    ideal = {e["name"]: e for e in rep["ideal_model"]["elements"]}.get(f"B{element}")
    if ideal is None or membrane not in (ideal["p"], ideal["n"]):
        sys.exit(f"{element}: no behavioural current on the membrane in the ideal model")
    reads = set(re.findall(r"v\(([^)]*)\)", ideal["expr"]))
    calls = set(re.findall(r"([A-Za-z_]\w*)\s*\(", ideal["expr"])) - {"v"}
    if reads != {membrane} or not calls <= {"tanh"}:
        sys.exit(
            f"{element}: its ideal current reads {sorted(reads)} with {sorted(calls)}; this script measures a "
            f"block that reads the membrane alone through tanh pairs (a leak, a tanh conductance, a cubic)"
        )
    devices = rep["devices"]
    mine = {d["name"] for d in devices if d["element"] == element}
    shared = {d["name"] for d in devices if d["element"] == "bias"} | {"Vdd", "Vref"}
    deck = [lines[0]]
    deck += [l for l in lines if l.startswith((".lib", ".include"))]
    deck += model_cards(lines)
    deck += [l for l in lines if card_name(l) in mine | shared]
    deck += [l for l in lines if l.startswith(".options")]
    lo, step = vref - 6.0 * s, 12.0 * s / 260
    deck += [f"Vmem {membrane} 0 DC {vref}", f".dc Vmem {lo} {lo + 260.5 * step} {step}", ".print dc i(Vmem)", ".end"]
    with tempfile.NamedTemporaryFile("w", suffix=".cir") as f:
        f.write("\n".join(deck))
        f.flush()
        run = subprocess.run(["ngspice", "-b", f.name], capture_output=True, text=True, check=True)
    rows = [l.split() for l in run.stdout.split("\n") if re.match(r"^\d+\s+\S+\s+\S+\s*$", l.strip())]
    if len(rows) != 261:
        sys.exit(f"{element}: ngspice gave {len(rows)} of the sweep's 261 points:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    v = np.array([float(r[1]) for r in rows])
    into = np.array([float(r[2]) for r in rows])  # through Vmem from the membrane: the block's current into it
    expr = ideal["expr"].replace("- -", "+ ").replace(f"v({membrane})", "u")
    sign = -1.0 if ideal["p"] == membrane else 1.0
    model = sign * k * eval(expr, {"tanh": np.tanh, "u": (v - vref) / s})
    print(f"# {element}: current into the membrane, pA (transistors, ideal model, difference)")
    for a, b, c in list(zip(v, into, model))[::10]:
        print(f"{a:.3f} V  {b * 1e12:10.2f}  {c * 1e12:10.2f}  {(b - c) * 1e12:8.2f}")
    if table:
        pts = ",".join(f"{a:.4f},{b:.6e}" for a, b in zip(v, into))
        kept = [l for l in lines if card_name(l) not in mine]
        at = next(i for i, l in enumerate(kept) if l.startswith(".options"))
        kept.insert(at, f"B{element}_dc 0 {membrane} I=pwl(v({membrane}),{pts})")
        open(table, "w").write("\n".join(kept))


if __name__ == "__main__":
    main()
