"""Reference events of burster.cir: v rising through 0, re-armed below -0.5.

The circuit's equations (model units), integrated by scipy's Radau at
rtol = atol = 1e-12 with its dense output's roots as event times:

    dv/dt     = -v - af tanh(v) - as tanh(vs) - asn tanh(vs - dsn)
                - aus tanh(vus) + iapp
    50 dvs/dt   = v - vs
    2500 dvus/dt = v - vus

Run: python3 reference.py > events.json
"""
import json
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from hysteresis_events import armed_events, detectors  # noqa: E402

AF, AS, ASN, DSN, AUS, IAPP = -2.0, 2.0, -1.5, -0.88, 1.5, -2.0
TSTOP = 6000.0


def rhs(_t, y):
    v, vs, vus = y
    dv = -v - AF * np.tanh(v) - AS * np.tanh(vs) - ASN * np.tanh(vs - DSN) - AUS * np.tanh(vus) + IAPP
    return [dv, (v - vs) / 50.0, (v - vus) / 2500.0]


def main():
    sol = solve_ivp(rhs, (0.0, TSTOP), [-1.8, -1.8, -1.8], method="Radau", rtol=1e-12, atol=1e-12,
                    events=detectors(lambda y: y[0], 0.0, 0.5))
    events = armed_events(sol)  # v starts at -1.8, below the re-arm level
    json.dump({"signal": "v", "threshold": 0.0, "hysteresis": 0.5, "tstop": TSTOP,
               "method": "scipy Radau rtol=atol=1e-12", "events": events}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
