# %% [markdown]
# # atscale from Python: design, inspect, simulate, verify, sweep
#
# A notebook in the percent format (`# %%` cells: Jupyter with jupytext, VS
# Code and Spyder open it as a notebook); `make test` runs it top to bottom
# (tests/python/test_examples.py). Every number is printed with its unit.

# %%
import pathlib

import numpy as np

import atscale

examples = pathlib.Path(__file__).resolve().parent.parent if "__file__" in globals() else pathlib.Path("docs/examples")

# %% [markdown]
# ## 1. Design a 100 Hz tonic-spiking neuron
# The spec is the TOML file `atscale design` reads, here as a dict.

# %%
spec = {
    "behaviour": "tonic-spiking",
    "target": {"rate_hz": 100.0},
    "scale": {"amplitude_v": 0.1, "capacitance_f": 1e-12},
    "constraints": {"max_bias_a": 1e-6, "supply_v": 1.8},
}
d = atscale.design(spec)
print(f"achieved rate {d['achieved']['rate_hz']:.4f} Hz; amplitude scale {d['scales']['s_volt'] * 1e3:.0f} mV per model unit")
for name, path, unit, value in d.circuit.parameters()[:4]:
    print(f"  {name}.{path} = {value:.4g} {unit}")

# %% [markdown]
# ## 2. Its energy landscape per timescale

# %%
ls = atscale.landscape(d.circuit)
print("behaviour:", ls["behaviour"])
for curve in ls["curves"]:
    wells = [p["v_volt"] for p in curve["critical"] if p["nature"] == "well"]
    print(f"  tau = {curve['tau_s']:.3g} s: {len(curve['critical'])} critical points, wells at {np.round(wells, 4)} V")

# %% [markdown]
# ## 3. Simulate it, then change the bias current by name

# %%
spike = (0.1, 0.05)  # threshold 100 mV, hysteresis 50 mV
r = atscale.sim(d.circuit, events={"v": spike}, probes=["v"])
isi = np.diff(r.events["v"])
print(f"{len(r.events['v'])} spikes in {r.tstop * 1e3:.1f} ms, mean rate {1 / isi.mean():.3f} Hz, {len(r.time)} time points")

i0 = d.circuit.get("Iext")
d.circuit.set("Iext", 1.5 * i0)
r15 = atscale.sim(d.circuit, events={"v": spike})
print(f"bias {i0 * 1e9:.3f} nA -> {1.5 * i0 * 1e9:.3f} nA: rate {1 / np.diff(r15.events['v']).mean():.3f} Hz")
d.circuit.set("Iext", i0)

# %% [markdown]
# ## 4. Verify a netlist against ngspice, spike by spike

# %%
netlist = examples.parent.parent / "netlists" / "ngspice" / "fitzhugh_nagumo.cir"
report = atscale.verify(netlist, events={"v": (1.0, 0.5)})
print("engines agree:", report["verdict"]["agree"])
for c in report["comparisons"]:
    for s in c["signals"]:
        dt = s["comparison"]["max_abs_dt_s"]
        print(f"  {c['reference']} vs {c['other']} on {s['signal']}: largest |dt| {dt:.3g} s (model units)")

# %% [markdown]
# ## 5. A sweep on all cores, as a data frame

# %%
fi = atscale.sweep(examples / "sweep-fi.toml")
print(fi[["Iext", "firing_rate", "landscape_class"]].iloc[::10].to_string(index=False))
print("units:", {k: fi.attrs["units"][k] for k in ("Iext", "firing_rate")})
