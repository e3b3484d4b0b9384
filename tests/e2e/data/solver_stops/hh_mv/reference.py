"""Reference events of hh_mv.cir: v rising through 0 mV, re-armed below -20 mV.

The deck's equations (mV, ms, uF/cm^2, uA/cm^2), integrated by scipy's Radau
at rtol = 1e-12 (atol 1e-12 mV and gate fraction) with its dense output's
roots as event times:

    dv/dt = 10 - 0.3 (v + 54.387) - 120 m^3 h (v - 50) - 36 n^4 (v + 77)
    dm/dt = am(v) (1 - m) - bm(v) m     (likewise h and n)

from v = -65, m = 0.0529, h = 0.5961, n = 0.3177 (the deck's .ic, uic).
Written for atscale's tests (MIT).

Both decks (hh_mv.cir, and hh_mv_tight.cir with tighter absolute tolerances)
have these equations.

Run: /work/pyref/bin/python reference.py > events.json
"""
import json
import os
import sys

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
from hysteresis_events import armed_events, detectors  # noqa: E402

TSTOP = 50.0
Y0 = [-65.0, 0.0529, 0.5961, 0.3177]


def rates(v):
    am = 0.1 * (v + 40) / (1 - np.exp(-(v + 40) / 10))
    bm = 4 * np.exp(-(v + 65) / 18)
    ah = 0.07 * np.exp(-(v + 65) / 20)
    bh = 1 / (1 + np.exp(-(v + 35) / 10))
    an = 0.01 * (v + 55) / (1 - np.exp(-(v + 55) / 10))
    bn = 0.125 * np.exp(-(v + 65) / 80)
    return am, bm, ah, bh, an, bn


def rhs(_t, y):
    v, m, h, n = y
    am, bm, ah, bh, an, bn = rates(v)
    dv = 10 - 0.3 * (v + 54.387) - 120 * m**3 * h * (v - 50) - 36 * n**4 * (v + 77)
    return [dv, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]


def main():
    sol = solve_ivp(rhs, (0.0, TSTOP), Y0, method="Radau", rtol=1e-12, atol=1e-12, events=detectors(lambda y: y[0], 0.0, 20.0))
    events = armed_events(sol)  # v starts at -65 mV, below the re-arm level
    json.dump({"signal": "v", "threshold": 0.0, "hysteresis": 20.0, "tstop": TSTOP,
               "method": "scipy Radau rtol=atol=1e-12", "events": events}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
