#!/usr/bin/env python3
"""Expected spread of the firing rate in the Monte Carlo sweep of tests/e2e/sweep.rs.

The sweep (`mc_sweep` in tests/e2e/sweep.rs) draws the 100 Hz tonic design of
docs/examples/tonic-spiking-100hz.toml with every value multiplied by
1 + sigma N(0, 1): resistors (R1) sigma 0.02, nonlinear resistors (the gain of
the cubic law of Rnl) 0.05, and the bias Iext 0.03, and measures the firing
rate over 400 model time units (the inverse of the mean inter-spike interval
after the first two spikes of v rising through 1 model volt, re-armed below
0.5).

The design is the FitzHugh-Nagumo mother circuit scaled in time by omega
(docs/theory.md, sections 3 and 4): neither C nor L is drawn, so omega is
fixed and the rate's relative spread is that of the mother circuit

    dv/dt = -g (v^3/3 - v) - i + I,   12.5 di/dt = v + 0.7 - R i,
    v(0) = -1, i(0) = 1, g = 1 + 0.05 z1, R = 0.8 (1 + 0.02 z2), I = 0.5 (1 + 0.03 z3).

Two independent estimates, integrated with scipy's Radau (rtol 1e-10):
1. linear propagation: the sensitivities S_k = d ln(rate) / d ln(p_k) by
   central differences (steps of 1e-3 and 1e-2 agree to the digits kept),
   sigma_rel = sqrt(sum (S_k sigma_k)^2);
2. direct Monte Carlo with DRAWS draws of the same distribution (seed 1): the
   sample mean and relative standard deviation, with their standard errors.
Also written: the chi-square quantiles that bound the relative standard
deviation of N = 24 draws (two-sided, 99.9 %), used by the test.

Writes mc_spread.json beside this script. Run: python3 make_mc_spread.py
"""
import json
import os

import numpy as np
from scipy.integrate import solve_ivp
from scipy.stats import chi2, norm

SIGMA = {"g": 0.05, "R": 0.02, "I": 0.03}
NOMINAL = {"g": 1.0, "R": 0.8, "I": 0.5}
TSTOP = 400.0
THRESHOLD, REARM = 1.0, 0.5
DRAWS = 400
N_TEST = 24


def rate(g, R, I):
    def rhs(_t, y):
        v, i = y
        return [-g * (v ** 3 / 3 - v) - i + I, (v + 0.7 - R * i) / 12.5]

    def up(_t, y):
        return y[0] - THRESHOLD
    up.direction = 1

    def down(_t, y):
        return y[0] - REARM
    down.direction = -1
    sol = solve_ivp(rhs, (0.0, TSTOP), [-1.0, 1.0], method="Radau", rtol=1e-10, atol=1e-12, events=[up, down])
    assert sol.status == 0, sol.message
    marks = sorted([(t, 1) for t in sol.t_events[0]] + [(t, 0) for t in sol.t_events[1]])
    ev, armed = [], True
    for t, is_up in marks:
        if is_up and armed:
            ev.append(t)
            armed = False
        elif not is_up:
            armed = True
    assert len(ev) >= 5, ev
    e = ev[2:]
    return (len(e) - 1) / (e[-1] - e[0])


def main():
    r0 = rate(**NOMINAL)
    sens = {}
    for k in SIGMA:
        for h in (1e-3, 1e-2):
            hi = dict(NOMINAL, **{k: NOMINAL[k] * (1 + h)})
            lo = dict(NOMINAL, **{k: NOMINAL[k] * (1 - h)})
            sens.setdefault(k, {})[str(h)] = (np.log(rate(**hi)) - np.log(rate(**lo))) / (2 * h)
    linear = float(np.sqrt(sum((sens[k]["0.001"] * SIGMA[k]) ** 2 for k in SIGMA)))
    rng = np.random.default_rng(1)
    z = rng.standard_normal((DRAWS, 3))
    rates = np.array([rate(NOMINAL["g"] * (1 + SIGMA["g"] * a), NOMINAL["R"] * (1 + SIGMA["R"] * b),
                           NOMINAL["I"] * (1 + SIGMA["I"] * c)) for a, b, c in z])
    rel = rates / r0
    mc_sd = float(rel.std(ddof=1))
    out = {
        "about": "relative spread of the firing rate of the Monte Carlo sweep in tests/e2e/sweep.rs",
        "sigmas": SIGMA,
        "nominal_rate_model_units": r0,
        "sensitivities": sens,
        "linear_relative_sd": linear,
        "monte_carlo": {
            "draws": DRAWS,
            "mean_over_nominal": float(rel.mean()),
            "mean_standard_error": mc_sd / np.sqrt(DRAWS),
            "relative_sd": mc_sd,
            "relative_sd_standard_error": mc_sd / np.sqrt(2 * (DRAWS - 1)),
        },
        "bound_for_n": {
            "n": N_TEST,
            "two_sided_probability": 0.999,
            "sd_ratio_low": float(np.sqrt(chi2.ppf(0.0005, N_TEST - 1) / (N_TEST - 1))),
            "sd_ratio_high": float(np.sqrt(chi2.ppf(0.9995, N_TEST - 1) / (N_TEST - 1))),
            "mean_z": float(norm.ppf(0.9995)),
        },
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mc_spread.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
