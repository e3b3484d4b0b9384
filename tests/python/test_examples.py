"""The Python examples run as a user runs them: the notebook-style
walkthrough (docs/examples/python/) and the two scripts (scripts/)."""

import os
import runpy
import struct
import subprocess
import sys

import pytest


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_the_walkthrough_notebook_runs(root, monkeypatch, capsys):
    monkeypatch.chdir(root)
    ns = runpy.run_path(str(root / "docs/examples/python/walkthrough.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "achieved rate 100.0000 Hz" in out
    assert "engines agree: True" in out
    # Its results, not only its printout.
    assert abs(ns["d"]["achieved"]["rate_hz"] - 100.0) < 0.01
    assert ns["report"]["verdict"]["agree"] is True
    assert len(ns["fi"]) == 41 and ns["fi"].attrs["units"]["firing_rate"] == "Hz"


@pytest.mark.parametrize(
    "script, args, expect",
    [
        ("scripts/fi_curve.py", ["--steps", "9"], "9 points"),
        ("scripts/mismatch_histogram.py", ["--samples", "40"], "40 draws (seed 2026)"),
    ],
)
def test_the_example_scripts_run(root, tmp_path, script, args, expect):
    png = tmp_path / "out.png"
    out = subprocess.run(
        [sys.executable, str(root / script), "--out", str(png), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert out.returncode == 0, out.stderr
    assert expect in out.stdout, out.stdout
    width, height = png_size(png)
    assert width >= 600 and height >= 400
