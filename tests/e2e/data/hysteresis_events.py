"""Event times as atscale's detectors define them, from a scipy solution.

Shared by the reference scripts of tests/e2e/data (burster, hh_mv,
memcapacitor): `sol` is a `solve_ivp` result run with two event functions,
[rise (direction +1, the threshold), rearm (direction -1, threshold minus
hysteresis)]; a rising crossing counts when the detector is armed, and a
falling crossing of the re-arm level arms it again. The detector starts
armed.
"""


def detectors(signal, threshold, hysteresis):
    """The two event functions of atscale's detector on `signal(y)`: a rising
    crossing of `threshold`, and a falling one of `threshold - hysteresis`."""

    def rise(_t, y):
        return signal(y) - threshold

    def rearm(_t, y):
        return signal(y) - (threshold - hysteresis)

    rise.direction = 1
    rearm.direction = -1
    return [rise, rearm]


def armed_events(sol):
    marks = sorted([(t, "rise") for t in sol.t_events[0]] + [(t, "rearm") for t in sol.t_events[1]])
    armed, events = True, []
    for t, kind in marks:
        if kind == "rise" and armed:
            events.append(float(t))
            armed = False
        elif kind == "rearm":
            armed = True
    return events
