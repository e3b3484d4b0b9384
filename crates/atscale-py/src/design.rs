//! `design` (a spec to a neuron, as `atscale design`) and `landscape` (the
//! energy landscape of a membrane per timescale, as `atscale landscape`).

use std::path::PathBuf;

use atscale_design::landscape::{linspace, Membrane};
use atscale_design::spec::{design as design_spec, Spec};
use pyo3::prelude::*;

use crate::circuit::Circuit;
use crate::{py_err, to_json};

/// TOML text of a spec given as JSON text (a Python dict), named `name`.
pub(crate) fn toml_of_json(json: &str, name: &str) -> PyResult<String> {
    let value: toml::Value =
        serde_json::from_str(json).map_err(|e| py_err(anyhow::anyhow!("{name}: not a TOML table: {e}")))?;
    toml::to_string(&value).map_err(|e| py_err(anyhow::anyhow!("{name}: cannot be written as TOML: {e}")))
}

/// Designs a neuron from a spec file (`path`) or a spec as JSON text
/// (`spec_json`, a Python dict): `(design.json's text, the physical circuit)`.
#[pyfunction]
#[pyo3(signature = (path=None, spec_json=None))]
pub fn design(py: Python<'_>, path: Option<PathBuf>, spec_json: Option<&str>) -> PyResult<(String, Circuit)> {
    let (text, name) = match (&path, spec_json) {
        (Some(p), None) => {
            let rules = atscale_files::InputRules::named(atscale_files::DEFAULT_MAX_INPUT_BYTES);
            let input = atscale_files::read_input(p, "the design spec", &rules).map_err(py_err)?;
            (input.text, p.display().to_string())
        }
        (None, Some(j)) => (toml_of_json(j, "the design spec")?, "<dict>".to_string()),
        _ => return Err(py_err(anyhow::anyhow!("give a design spec: a TOML file's path or a dict"))),
    };
    let spec = Spec::from_toml_str(&text, &name).map_err(py_err)?;
    let d = py.detach(|| design_spec(&spec)).map_err(py_err)?;
    let s = d.scales.s_volt;
    let circuit = Circuit::in_memory("design", d.physical.clone(), d.analysis(), (-3.0 * s, 3.0 * s))?;
    Ok((to_json(&d)?, circuit))
}

/// The landscapes of `circuit` at node `membrane` on `points` voltages
/// from `lo` to `hi` (default: the circuit's range): `Classification` JSON.
#[pyfunction]
#[pyo3(signature = (circuit, *, membrane="v", range=None, points=1201))]
pub fn landscape(
    py: Python<'_>,
    circuit: &Circuit,
    membrane: &str,
    range: Option<(f64, f64)>,
    points: usize,
) -> PyResult<String> {
    let (lo, hi) = crate::scale::window(range.unwrap_or(circuit.range_v))?;
    if !(3..=1_000_000).contains(&points) {
        return Err(py_err(anyhow::anyhow!("points={points}: give 3 to 1000000 voltages")));
    }
    let p = circuit.prepared(&atscale_verify::limits::Limits::default())?;
    let grid = linspace(lo, hi, points);
    let c =
        py.detach(|| Membrane::new(&p.circuit, membrane).and_then(|m| m.classify(&grid))).map_err(|e| {
            py_err(anyhow::anyhow!("landscape of {} at node `{membrane}`: {e}", p.path.display()))
        })?;
    to_json(&c)
}
