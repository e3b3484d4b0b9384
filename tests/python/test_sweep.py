"""`atscale.sweep`: the CLI's rows, as numpy arrays and data frames; Parquet."""

import csv
import io
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

import atscale

FI = "docs/examples/sweep-fi.toml"


def cli_rows(text):
    lines = [l for l in text.splitlines() if not l.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return rows[0], rows[1:]


def cell(value, kind):
    """A data-frame value as the CSV cell that holds it."""
    if kind == "text":
        return value
    if kind == "integer":
        return str(int(value))
    return "" if math.isnan(value) else value


def test_the_f_i_sweep_returns_the_cli_rows(root, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(root)
    out = tmp_path / "fi.csv"
    cli.run("sweep", FI, "-o", out)
    text = out.read_text()
    table = atscale.sweep(FI, frame="numpy")
    # The table's own CSV form is the CLI's file, byte for byte.
    assert table.csv == text
    # The arrays convert back to the same cells: numbers to the bit.
    header, rows = cli_rows(text)
    assert [c.split(" [")[0] for c in header] == list(table.columns)
    for k, name in enumerate(table.columns):
        col = table[name]
        for row, value in zip(rows, col):
            if col.dtype == np.float64:
                want = float(row[k]) if row[k] else math.nan
                assert (math.isnan(want) and math.isnan(value)) or want == value, (name, row[k], value)
            else:
                assert str(value) == row[k], (name, row[k], value)
    assert table.units["firing_rate"] == "Hz" and table.meta["seed"] == "1"
    # As a data frame, with units in attrs.
    df = atscale.sweep(root / FI, jobs=1)
    assert isinstance(df, pd.DataFrame) and len(df) == 41
    assert df.attrs["units"]["threshold_current"] == "A"
    assert np.array_equal(df["firing_rate"].to_numpy(), table["firing_rate"], equal_nan=True)


def test_a_sweep_given_as_a_dict_and_progress(root):
    seen = []
    spec = {
        "design": str(root / "docs/examples/tonic-spiking-100hz.toml"),
        "metrics": ["firing_rate"],
        "simulation": {"tstop_units": 200},
        "parameter": [{"name": "Iext", "min": 1.0, "max": 1.5, "steps": 3, "relative": True}],
    }
    t = atscale.sweep(spec, jobs=2, progress=lambda done, todo: seen.append((done, todo)), frame="numpy")
    assert t["point"].tolist() == [0, 1, 2] and t["status"].tolist() == ["ok"] * 3
    assert sorted(seen) == [(1, 3), (2, 3), (3, 3)]
    assert t.meta["sweep"] == "<dict>"


def test_parquet_reads_back_in_pandas_and_pyarrow_with_units(root, cli, tmp_path):
    cli.run("sweep", FI, "-o", tmp_path / "fi.parquet")
    cli.run("sweep", FI, "-o", tmp_path / "fi.csv")
    df = pd.read_parquet(tmp_path / "fi.parquet")
    assert df.attrs["units"]["firing_rate"] == "Hz"
    assert df.attrs["meta"]["sweep_hash"]
    meta = pq.read_metadata(tmp_path / "fi.parquet").metadata
    assert b"atscale.units" in meta and b"atscale.header" in meta
    assert pq.read_schema(tmp_path / "fi.parquet").field("firing_rate").type == "double"
    _, rows = cli_rows((tmp_path / "fi.csv").read_text())
    rate = [float(r[3]) if r[3] else math.nan for r in rows]
    assert np.array_equal(df["firing_rate"].to_numpy(), np.asarray(rate), equal_nan=True)
    assert df["landscape_class"].tolist() == [r[8] for r in rows]
    # The CLI reads it back too: the report of the Parquet file is the CSV's.
    a = cli.run("sweep", "report", tmp_path / "fi.parquet", "-o", tmp_path / "from-parquet").stdout
    b = cli.run("sweep", "report", tmp_path / "fi.csv", "-o", tmp_path / "from-csv").stdout
    assert a.replace("from-parquet", "X") == b.replace("from-csv", "X")


def test_ctrl_c_stops_a_sweep_with_keyboard_interrupt(root, tmp_path):
    """SIGINT during a sweep: KeyboardInterrupt once the points in flight
    finish, long before the sweep would end; the interpreter goes on."""
    import signal
    import subprocess
    import sys

    program = f"""
import sys, atscale
spec = {{"design": {str(root / "docs/examples/tonic-spiking-100hz.toml")!r}, "metrics": ["firing_rate"],
        "simulation": {{"tstop_units": 400}}, "monte_carlo": {{"samples": 5000, "class": {{"resistor": 0.02}}}}}}
def progress(done, todo):
    if done == 1:
        print("started", flush=True)
try:
    atscale.sweep(spec, jobs=1, progress=progress)
    print("finished")
except KeyboardInterrupt:
    print("interrupted", flush=True)
r = atscale.sim({str(root / "netlists/ngspice/fitzhugh_nagumo.cir")!r}, tstop=50, events={{"v": (1.0, 0.5)}})
print("after:", len(r.events["v"]), "events")
"""
    # SIGINT at its default in the child: a shell without job control starts
    # background commands (`make test &`) with SIGINT ignored, which the
    # child would inherit (and Python would then not raise KeyboardInterrupt).
    p = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert p.stdout.readline().strip() == "started"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert out.splitlines()[0] == "interrupted", out
    # A run after the interruption is not stopped by it.
    assert out.splitlines()[1] == "after: 1 events", out
