"""Closed-form events of bsource_cap.cir: c crossing 0.5 V upwards.

The source b is 1 V on (k T, k T + T/2) and 0 V on (k T + T/2, (k + 1) T),
T = 2 ms (the sine is positive on the first half of each period; b is 0 at
t = 0, where v(a) = 0 is not > 0). The filter R1 C2 (tau = 1 ms) gives
c = 1 - (1 - c0) exp(-(t - t0) / tau) while b is high and
c = c0 exp(-(t - t0) / tau) while it is low. C1 only loads the source.
Events: rising crossings of 0.5 V, re-armed below 0.5 - 0.05 V (as
atscale's --events c,0.5,0.05). Writes events.json beside this script.
"""
import json
import math
import pathlib

TAU, T, STOP, LEVEL, HYST = 1e-3, 2e-3, 10e-3, 0.5, 0.05


def main():
    events, c, armed = [], 0.0, True
    for k in range(int(round(STOP / T))):
        t0 = k * T
        # High half: rising from c towards 1.
        if armed and c < LEVEL < 1.0 - (1.0 - c) * math.exp(-(T / 2) / TAU):
            events.append(t0 + TAU * math.log((1.0 - c) / (1.0 - LEVEL)))
            armed = False
        c = 1.0 - (1.0 - c) * math.exp(-(T / 2) / TAU)
        # Low half: decaying from c.
        c_end = c * math.exp(-(T / 2) / TAU)
        if c_end < LEVEL - HYST:
            armed = True
        c = c_end
    out = pathlib.Path(__file__).with_name("events.json")
    out.write_text(json.dumps({"events": events, "generated_by": "reference.py"}, indent=1) + "\n")
    print(events)


main()
