#!/usr/bin/env python3
"""Times `atscale.sweep` against `atscale sweep` on the same sweep file: the
evidence for the Python package's "at least as fast as the CLI".

    .venv/bin/python scripts/python-speed.py [--cli target/release/atscale] [--repeat 5] [SWEEP.toml]

Both sides run the same points on the same number of threads; the CLI's
time includes writing its CSV, Python's building the arrays. Compare builds
of one profile: the wheel `scripts/python.sh build` installs is built in the
dev profile (opt-level 1) like target/debug/atscale; a release wheel
(`maturin build --release`) goes with target/release/atscale. Prints the
median wall times in s and their ratio.
"""

import argparse
import os
import pathlib
import statistics
import subprocess
import tempfile
import time

import atscale

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep", nargs="?", default=str(ROOT / "docs/examples/sweep-fi.toml"))
    ap.add_argument("--cli", default=str(ROOT / "target/debug/atscale"), help="the atscale binary")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    args = ap.parse_args()
    cli, py = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "out.csv"
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(
                [args.cli, "sweep", args.sweep, "-o", str(out), "--force", "--jobs", str(args.jobs)],
                check=True,
                capture_output=True,
            )
            cli.append(time.perf_counter() - t)
            t = time.perf_counter()
            table = atscale.sweep(args.sweep, jobs=args.jobs, frame="numpy")
            py.append(time.perf_counter() - t)
        same = table.csv.splitlines()[1:] == out.read_text().splitlines()[1:]
    c, p = statistics.median(cli), statistics.median(py)
    print(f"{args.sweep}: {len(table)} points, {args.jobs} threads, {args.repeat} runs each")
    print(f"  atscale sweep (CLI): median {c:.3f} s (min {min(cli):.3f} s)")
    print(f"  atscale.sweep (Python): median {p:.3f} s (min {min(py):.3f} s)")
    print(f"  Python / CLI = {p / c:.3f}; rows identical (header's sweep path aside): {same}")


if __name__ == "__main__":
    main()
