#!/usr/bin/env python3
"""f-I curve of the 100 Hz tonic-spiking design, from Python.

Runs docs/examples/sweep-fi.toml (the bias current Iext from 0 to 2x its
designed value) with `atscale.sweep` on all cores and plots the firing rate
in Hz against the bias current in nA with matplotlib.

    .venv/bin/python scripts/fi_curve.py [--out fi-curve.png] [--steps 41]

Needs the package installed (`scripts/python.sh build`) and matplotlib.
"""

import argparse
import pathlib

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import atscale  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="fi-curve.png", help="the plot (PNG)")
    ap.add_argument("--steps", type=int, default=41, help="bias currents from 0 to 2x the design's")
    args = ap.parse_args()

    examples = ROOT / "docs" / "examples"
    spec = {
        "design": str(examples / "tonic-spiking-100hz.toml"),
        "seed": 1,
        "metrics": ["firing_rate", "threshold_current"],
        "simulation": {"tstop_units": 1000},
        "parameter": [{"name": "Iext", "min": 0.0, "max": 2.0, "steps": args.steps, "relative": True}],
    }
    table = atscale.sweep(spec, frame="numpy")
    design = atscale.design(examples / "tonic-spiking-100hz.toml")
    # Iext is relative to the design's bias current: back to amperes.
    i_nominal = design.circuit.get("Iext")
    bias_na = table["Iext"] * i_nominal * 1e9
    rate = table["firing_rate"]
    print(f"{len(table)} points; rate {np.nanmax(rate):.2f} Hz at most; bias {i_nominal * 1e9:.3f} nA nominal")

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(bias_na, rate, "o-", ms=3)
    ax.axvline(i_nominal * 1e9, color="grey", lw=0.8, ls="--", label="design bias")
    ax.set_xlabel("bias current Iext (nA)")
    ax.set_ylabel(f"firing rate ({table.units['firing_rate']})")
    ax.set_title("f-I curve of the 100 Hz tonic-spiking design")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
