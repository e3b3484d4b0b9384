"""Closed-form reference values for the coupled-inductor decks of this
folder (coupled_pair.cir, transformer3.cir, transformer3_subckt.cir): each
circuit is a linear system x' = A x, solved as x(t) = expm(A t) x0 with
mpmath at 40 digits. Writes coupled_reference.txt: `deck time signal value`.

Run: python3 coupled_reference.py (needs mpmath).
"""
import mpmath as mp

mp.mp.dps = 40
m = mp.mpf


def inverse_inductances(ls, ks):
    """The inverse of the inductance matrix of windings `ls` (H) coupled by
    `ks` {(i, j): k}: M_ij = k sqrt(L_i L_j)."""
    n = len(ls)
    lm = mp.matrix(n, n)
    for i in range(n):
        lm[i, i] = ls[i]
    for (i, j), k in ks.items():
        lm[i, j] = lm[j, i] = k * mp.sqrt(ls[i] * ls[j])
    return lm**-1


def pair(times):
    """coupled_pair.cir: x = [v(a), v(b), i(L1), i(L2)] from the uic state."""
    l1, l2, c1, c2, r1, r2 = m("1e-3"), m("4e-3"), m("1e-6"), m("0.5e-6"), m(100), m(200)
    li = inverse_inductances([l1, l2], {(0, 1): m("0.6")})
    a = mp.matrix(4, 4)
    a[0, 0], a[0, 2] = -1 / (r1 * c1), -1 / c1
    a[1, 1], a[1, 3] = -1 / (r2 * c2), -1 / c2
    for i in range(2):
        for j in range(2):
            a[2 + i, j] = li[i, j]
    x0 = mp.matrix([0, 0, m("10e-3"), m("-5e-3")])
    for t in times:
        x = mp.expm(a * t) * x0
        yield t, {"a": x[0], "b": x[1], "i(L1)": x[2], "i(L2)": x[3]}


def transformer(times):
    """transformer3.cir: x = [i(L1), i(L2), i(L3), sin, cos]; the sine
    source is the pair (sin, cos) with sin' = w cos, cos' = -w sin; the
    winding voltages are v(b) = sin - R1 i1, v(c) = -R2 i2, v(d) = -R3 i3."""
    r1, r2, r3, w = m(10), m(100), m(50), 2 * mp.pi * 1000
    li = inverse_inductances(
        [m("1e-3"), m("4e-3"), m("2e-3")], {(0, 1): m("0.9"), (0, 2): m("-0.5"), (1, 2): m("-0.3")}
    )
    # v = [sin - r1 i1, -r2 i2, -r3 i3] = B x
    b = mp.matrix(3, 5)
    b[0, 3], b[0, 0], b[1, 1], b[2, 2] = 1, -r1, -r2, -r3
    a = mp.matrix(5, 5)
    lib = li * b
    for i in range(3):
        for j in range(5):
            a[i, j] = lib[i, j]
    a[3, 4], a[4, 3] = w, -w
    x0 = mp.matrix([0, 0, 0, 0, 1])
    for t in times:
        x = mp.expm(a * t) * x0
        yield t, {"c": -r2 * x[1], "d": -r3 * x[2], "i(V1)": -x[0]}


def main():
    lines = []
    for t, vals in pair([m("50e-6"), m("100e-6"), m("200e-6"), m("400e-6")]):
        for k, v in vals.items():
            lines.append(f"coupled_pair.cir {mp.nstr(t, 17)} {k} {mp.nstr(v, 20)}")
    for deck in ["transformer3.cir", "transformer3_subckt.cir"]:
        for t, vals in transformer([m("0.25e-3"), m("0.5e-3"), m("1.1e-3"), m("2e-3")]):
            for k, v in vals.items():
                lines.append(f"{deck} {mp.nstr(t, 17)} {k} {mp.nstr(v, 20)}")
    with open("coupled_reference.txt", "w") as f:
        f.write("# deck time_s signal value (V or A), from coupled_reference.py\n")
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
