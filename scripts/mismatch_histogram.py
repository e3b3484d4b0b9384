#!/usr/bin/env python3
"""Monte Carlo mismatch histogram of the 100 Hz tonic-spiking design.

Runs docs/examples/sweep-mismatch.toml (2 % resistors, 1 % capacitors, 5 %
nonlinear resistor, 3 % bias current, one sigma) with `atscale.sweep`,
seed-reproducible, and draws the histogram of the firing rate in Hz with
matplotlib; prints mean and standard deviation.

    .venv/bin/python scripts/mismatch_histogram.py [--out mismatch.png] [--samples 400]

Needs the package installed (`scripts/python.sh build`) and matplotlib.
"""

import argparse
import pathlib

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import atscale  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="mismatch.png", help="the histogram (PNG)")
    ap.add_argument("--samples", type=int, default=400, help="Monte Carlo draws")
    args = ap.parse_args()

    path = ROOT / "docs" / "examples" / "sweep-mismatch.toml"
    spec = tomllib.loads(path.read_text())
    spec["design"] = str(path.parent / spec["design"])
    spec["monte_carlo"]["samples"] = args.samples
    table = atscale.sweep(spec, frame="numpy")
    rate = table["firing_rate"]
    ok = rate[np.isfinite(rate)]
    print(
        f"{len(table)} draws (seed {table.meta['seed']}): {len(ok)} spiking, "
        f"rate {ok.mean():.3f} Hz ± {ok.std(ddof=1):.3f} Hz (one sigma)"
    )

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(ok, bins=max(5, int(np.sqrt(len(ok)))), color="#4878a8")
    ax.set_xlabel(f"firing rate ({table.units['firing_rate']})")
    ax.set_ylabel("draws")
    ax.set_title(f"Mismatch: {len(ok)} of {len(table)} draws spiking")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
