#!/usr/bin/env python3
"""Reference spike trains of every point of docs/examples/sweep-netlist.toml.

The sweep runs docs/examples/fhn-param.cir, a FitzHugh-Nagumo neuron in
model units, at 24 Latin-hypercube points (seed 5) of its bias current
`ibias` and recovery resistance `rrec`. As an ODE (docs/theory.md, section 3):

    C dv/dt = -(v^3/3 - v) - i_L + ibias,    L di_L/dt = v + E - rrec i_L

with C = 1, L = 12.5, E = 0.7, v(0) = -1, i_L(0) = 0 (the netlist's ICs, uic),
run to 200. Events are rising crossings of v through 0.5, re-armed once v
falls below 0 (hysteresis 0.5), armed at the start (v starts below 0.5).
Each point is integrated with scipy's Radau (rtol 1e-12, atol 1e-12) and its
crossings are located by event functions; LSODA at the same tolerance gives
the spread written beside them.

POINTS are the parameter values the sweep draws (copied from its CSV, which
writes numbers in their shortest exact form); the e2e test checks the sweep
still draws exactly these. Writes sweep_netlist.json beside this script.
Run: python3 make_sweep_netlist.py
"""
import json
import os

from scipy.integrate import solve_ivp

C, L, E = 1.0, 12.5, 0.7
V0, I0 = -1.0, 0.0
TSTOP = 200.0
THRESHOLD, REARM = 0.5, 0.0

# (point, ibias, rrec): the sweep's Latin-hypercube draws with seed 5.
POINTS = [
    (0, 0.5398867242688075, 0.986343825924802),
    (1, 1.3462787711226578, 0.9000222185061398),
    (2, 0.3377144999126159, 1.1314501026257915),
    (3, 0.7270633043318491, 1.0214166748513276),
    (4, 0.1974216043147327, 1.0423069950835195),
    (5, 0.6756692168812013, 0.8699689307765163),
    (6, 1.4034815746091838, 0.6609696502374911),
    (7, 0.44613493057573894, 1.0829184026908145),
    (8, 1.4711460509031011, 1.1917249387107511),
    (9, 0.09543032945287189, 0.7988801136666561),
    (10, 1.2794468677149464, 0.4233904552579461),
    (11, 0.8337704549408276, 1.1464082582327833),
    (12, 0.6075040835680924, 0.9423634555962297),
    (13, 0.010175107631933501, 0.5252848172307669),
    (14, 0.17191841044972334, 0.4795582195801936),
    (15, 0.951734931082024, 0.8571577752179582),
    (16, 0.26054597709823846, 0.6325715863228188),
    (17, 1.0625460001830664, 0.8038842102842699),
    (18, 0.4079058933910761, 0.7263635898636074),
    (19, 0.9351429162800671, 0.44834187800691183),
    (20, 1.0201398335604535, 0.5396864709836277),
    (21, 1.2497427568248545, 0.6969643320887968),
    (22, 1.147086630060842, 0.5706841466992072),
    (23, 0.7608018391359934, 0.7620377428591314),
]


def spikes(ibias, rrec, method):
    def rhs(_t, y):
        v, i = y
        return [(-(v ** 3 / 3 - v) - i + ibias) / C, (v + E - rrec * i) / L]

    def up(_t, y):
        return y[0] - THRESHOLD
    up.direction = 1

    def down(_t, y):
        return y[0] - REARM
    down.direction = -1
    sol = solve_ivp(rhs, (0.0, TSTOP), [V0, I0], method=method, rtol=1e-12, atol=1e-12, events=[up, down])
    assert sol.status == 0, sol.message
    marks = sorted([(t, "up") for t in sol.t_events[0]] + [(t, "down") for t in sol.t_events[1]])
    out, armed = [], V0 < THRESHOLD
    for t, kind in marks:
        if kind == "up" and armed:
            out.append(float(t))
            armed = False
        elif kind == "down":
            armed = True
    return out


def main():
    points, spread = [], 0.0
    for k, ibias, rrec in POINTS:
        ref = spikes(ibias, rrec, "Radau")
        other = spikes(ibias, rrec, "LSODA")
        assert len(ref) == len(other), (k, ref, other)
        spread = max([spread] + [abs(a - b) for a, b in zip(ref, other)])
        points.append({"point": k, "ibias": ibias, "rrec": rrec, "spikes_s": ref})
    out = {
        "sweep": "docs/examples/sweep-netlist.toml",
        "event": {"signal": "v", "threshold_v": THRESHOLD, "hysteresis_v": THRESHOLD - REARM},
        "method": "scipy solve_ivp Radau rtol 1e-12 atol 1e-12, event functions",
        "lsoda_spread_s": spread,
        "points": points,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep_netlist.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    for p in points:
        print(p["point"], len(p["spikes_s"]), p["spikes_s"][:2])
    print("LSODA spread", spread)


if __name__ == "__main__":
    main()
