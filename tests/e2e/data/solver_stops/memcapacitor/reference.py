"""Reference events of memcapacitor.cir: the memcapacitor's voltage b rising
through 0.1 V, re-armed below 0 V.

The deck's equations: the charge q on the memcapacitor, its state x and
its voltage b = q / C(x) with C(x) = 100 nF x + 1 uF (1 - x):

    dq/dt = (sin(2 pi 1k t) - b) / 1k
    dx/dt = 2e3 (b - 0.2) (1 - x) above 0.2 V, 2e3 (b + 0.2) x below -0.2 V, else 0

from q = 0, x = 0.5, integrated by scipy's Radau at rtol = 1e-12 (atol
1e-18 C and 1e-12) with its dense output's roots as event times.
Written for atscale's tests (MIT).

Run: /work/pyref/bin/python reference.py > events.json
"""
import json
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
from hysteresis_events import armed_events, detectors  # noqa: E402

TSTOP = 10e-3


def volt(q, x):
    return q / (100e-9 * x + 1e-6 * (1 - x))


def rhs(t, y):
    q, x = y
    b = volt(q, x)
    if b > 0.2:
        dx = 2e3 * (b - 0.2) * (1 - x)
    elif b < -0.2:
        dx = 2e3 * (b + 0.2) * x
    else:
        dx = 0.0
    return [(np.sin(2 * np.pi * 1e3 * t) - b) / 1e3, dx]


def main():
    sol = solve_ivp(rhs, (0.0, TSTOP), [0.0, 0.5], method="Radau", rtol=1e-12, atol=[1e-18, 1e-12],
                    events=detectors(lambda y: volt(*y), 0.1, 0.1))
    events = armed_events(sol)  # b starts at 0 V, at the re-arm level
    json.dump({"signal": "b", "threshold": 0.1, "hysteresis": 0.1, "tstop": TSTOP,
               "method": "scipy Radau rtol=1e-12", "events": events}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
