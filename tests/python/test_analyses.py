"""`verify`, `design` and `landscape` return what the CLI's `--json` prints."""

import json

import numpy as np
import pytest

import atscale

FHN = "netlists/ngspice/fitzhugh_nagumo.cir"


def test_verify_returns_the_cli_report(root, cli):
    r = atscale.verify(root / FHN, events={"v": (1.0, 0.5)}, tstop=200)
    out = cli.json("verify", FHN, "--events", "v,1,0.5", "--tstop", "200")
    assert set(r) == set(out) and r["verdict"]["agree"] is True
    assert [e["name"] for e in r["engines"]] == ["native", "ngspice"]
    # The native engine's events are computed the same way: equal bits.
    assert r["engines"][0]["events"] == out["engines"][0]["events"]
    assert r["engines"][1]["events"] == out["engines"][1]["events"]


def test_design_equals_the_cli_design(root, cli, tmp_path):
    spec = root / "docs/examples/tonic-spiking-100hz.toml"
    d = atscale.design(spec)
    cli.run("design", spec, "-o", tmp_path)
    on_disk = json.loads((tmp_path / "design.json").read_text())
    assert d.data == on_disk
    assert abs(d["achieved"]["rate_hz"] - 100.0) < 0.01
    # The physical circuit simulates at the achieved rate.
    r = atscale.sim(d.circuit, events={"v": (0.1, 0.05)})
    assert abs(1 / np.diff(r.events["v"]).mean() - d["achieved"]["rate_hz"]) < 1e-3


def test_a_spec_as_a_dict_designs_the_same_neuron(root):
    import tomllib

    path = root / "docs/examples/tonic-spiking-100hz.toml"
    from_file = atscale.design(path)
    from_dict = atscale.design(tomllib.loads(path.read_text()))
    assert from_dict["scales"] == from_file["scales"]
    assert from_dict["achieved"] == from_file["achieved"]


def test_landscape_equals_the_cli_landscape(root, cli):
    ls = atscale.landscape(root / FHN)
    out = cli.json("landscape", FHN)
    assert ls["behaviour"] == out["behaviour"] == "tonic-spiking"
    assert len(ls["curves"]) == len(out["curves"])
    for mine, theirs in zip(ls["curves"], out["curves"]):
        assert isinstance(mine["current_a"], np.ndarray)
        assert np.array_equal(mine["current_a"], np.asarray(theirs["current_a"], dtype=float))
        assert mine["critical"] == theirs["critical"]
    # The instantaneous curve is the cubic v^3/3 - v (the netlist's Rnl) plus
    # constants: the inductor's branch held at its operating point, minus I_ext.
    fast = ls["curves"][0]
    v = fast["v_volt"]
    offset = fast["current_a"] - (v**3 / 3 - v)
    assert np.ptp(offset) < 1e-12, np.ptp(offset)


def test_scale_analyses_equal_the_cli(root, cli):
    tanh = "netlists/ngspice/tanh_spiker.cir"
    fit = atscale.scale_fit(root / tanh, "Rf")
    out = cli.json("scale", "fit", tanh, "--element", "Rf")
    assert fit["g0_siemens"] == out["g0_siemens"] and fit["scale_plot"] == out["scale_plot"]
    assert fit["residual_rms"] < 1e-2 and len(fit["a_per_volt"]) == len(out["scale_plot"])
    fhn = "netlists/ngspice/fitzhugh_nagumo.cir"
    co = atscale.scale_coarsen(root / fhn, "Rnl", bias=0.0)
    out = cli.json("scale", "coarsen", fhn, "--element", "Rnl", "--bias", "0")
    assert co["fingerprint"] == out["fingerprint"]
    # v^3/3 - v has three zeros; smoothing far beyond its wells leaves one.
    assert co["critical_points"][0] == 3 and co["critical_points"][-1] == 1
    bode = atscale.scale_bode(root / tanh, "Ms")
    out = cli.json("scale", "bode", tanh, "--element", "Ms")
    assert [s["tau_s"] for s in bode["states"]] == [s["tau_s"] for s in out["states"]]
    assert bode["states"][0]["bode"].shape == (401, 2)
    with pytest.raises(atscale.Error, match="not a nonlinear resistor"):
        atscale.scale_fit(root / fhn, "C1")
