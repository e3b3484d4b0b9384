"""`atscale.sim` and `atscale.Circuit` against the reference events and the CLI."""

import json
import math
import warnings

import numpy as np
import pytest

import atscale

FHN = "netlists/ngspice/fitzhugh_nagumo.cir"


def reference_events(root):
    data = json.loads((root / "crates/atscale-spice/tests/spice/data/reference/events.json").read_text())
    return np.asarray(data["fitzhugh_nagumo"]["events"])


def test_fitzhugh_nagumo_gives_the_reference_events(root, monkeypatch):
    """The issue's acceptance: scipy's events (crates/atscale-spice/tests/spice/
    data/reference, independent of atscale) within verify's default accuracy,
    1e-3 of the interval between events."""
    monkeypatch.chdir(root)
    r = atscale.sim(FHN, tstop=400, events={"v": (1.0, 0.5)})
    ref = reference_events(root)
    got = r.events["v"]
    assert len(got) == len(ref) == 10
    interval = np.median(np.diff(ref))
    assert np.max(np.abs(got - ref)) < 1e-3 * interval, np.abs(got - ref).max()
    assert r.engine == "native" and r.tstop == 400.0
    assert r.stats["accepted"] > 0 and r.stats["events"] == 10


def test_sim_equals_the_cli_to_the_bit(root, cli, tmp_path):
    """Same engine, same numbers: events and waveforms equal `atscale sim`'s."""
    r = atscale.sim(root / FHN, tstop=100, events={"v": (1.0, 0.5)}, probes=["v", "i(L1)"])
    out = cli.json("sim", FHN, "--tstop", "100", "--events", "v,1,0.5", "--probe", "v", "--probe", "i(L1)")
    assert r.events["v"].tolist() == out["events"]["v"]
    assert r.stats == out["stats"]
    assert set(r.report) == set(out)
    csv = tmp_path / "w.csv"
    cli.run("sim", FHN, "--tstop", "100", "--probe", "v", "--probe", "i(L1)", "-o", csv)
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert np.array_equal(table[:, 0], r.time)
    assert np.array_equal(table[:, 1], r["v"])
    assert np.array_equal(table[:, 2], r.signals["i(L1)"])
    assert r["v"].dtype == np.float64 and r.time.flags["C_CONTIGUOUS"]


def test_ngspice_through_python_equals_ngspice_through_the_cli(root, cli):
    r = atscale.sim(root / FHN, tstop=100, engine="ngspice", events={"v": (1.0, 0.5)})
    out = cli.json("sim", FHN, "--tstop", "100", "--engine", "ngspice", "--events", "v,1,0.5")
    assert r.engine == "ngspice" and r.stats is None
    assert r.events["v"].tolist() == out["events"]["v"]


def test_parameters_are_set_by_name_and_every_engine_sees_the_change(root, cli, tmp_path):
    c = atscale.Circuit.load(root / FHN)
    assert c.get("L1") == 12.5 and c.unit("L1") == "H"
    assert ("Rnl", "law.a", "A/V^3", pytest.approx(1 / 3)) in c.parameters()
    before = atscale.sim(c, tstop=200, events={"v": (1.0, 0.5)}).events["v"]
    c.set("L1", 6.25)
    assert c.get("L1") == 6.25
    native = atscale.sim(c, tstop=200, events={"v": (1.0, 0.5)}).events["v"]
    assert np.diff(native).mean() < np.diff(before).mean()
    # The same change made by hand in the netlist, through the CLI.
    edited = tmp_path / "fhn.cir"
    edited.write_text((root / FHN).read_text().replace("12.5", "6.25"))
    assert "6.25" in edited.read_text()
    out = cli.json("sim", edited, "--tstop", "200", "--events", "v,1,0.5")
    assert native.tolist() == out["events"]["v"]
    # ngspice runs the changed circuit too (its deck is written anew).
    ng = atscale.sim(c, tstop=200, engine="ngspice", events={"v": (1.0, 0.5)}).events["v"]
    assert len(ng) == len(native)
    assert np.max(np.abs(ng - native)) < 1e-3 * np.diff(native).mean()
    assert "6.25" in c.netlist()


def test_a_circuit_round_trips_through_its_json_file(root, tmp_path):
    c = atscale.Circuit.load(root / FHN)
    s = c.summary()
    assert {"C1", "L1"} <= {e["name"] for e in s["elements"]}
    f = tmp_path / "fhn.json"
    f.write_text(c.to_json())
    back = atscale.Circuit.load(f)
    assert back.summary() == s
    assert back.parameters() == c.parameters()


def test_what_the_native_engine_does_not_model_is_a_warning(tmp_path):
    net = tmp_path / "rc.cir"
    net.write_text("rc\nC1 a 0 1u IC=1\nR1 a 0 1k\n.options gmin=1e-15\n.tran 1u 1m uic\n.end\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = atscale.sim(net, probes=["a"])
    said = [str(w.message) for w in caught if issubclass(w.category, atscale.AtscaleWarning)]
    assert r.unmodelled, "the test needs an option the native engine does not model"
    assert any("native engine" in m for m in said), said
    # The RC decay itself: v(a) = exp(-t / 1 ms).
    assert r["a"][-1] == pytest.approx(math.exp(-1.0), rel=2e-3)
