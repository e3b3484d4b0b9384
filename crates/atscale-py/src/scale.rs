//! The amplitude and time scale analyses of one element (`atscale scale
//! fit|coarsen|bode`), their JSON as the CLI prints it.

use atscale_circuit::{ElementKind, Relaxation, ResistiveLaw};
use atscale_design::amplitude::{coarsen_law, default_smoothing_scales, fit_conductance};
use atscale_design::timescale::bode_states;
use atscale_verify::limits::Limits;
use pyo3::prelude::*;
use serde_json::json;

use crate::circuit::Circuit;
use crate::{py_err, to_json};

fn element(circuit: &Circuit, name: &str) -> PyResult<(ElementKind<f64>, String)> {
    let p = circuit.prepared(&Limits::default())?;
    let file = p.path.display().to_string();
    match p.circuit.element(name) {
        Some(e) => Ok((e.kind.clone(), file)),
        None => Err(py_err(anyhow::anyhow!("{file}: no element named `{name}`"))),
    }
}

fn resistive_law(circuit: &Circuit, name: &str) -> PyResult<ResistiveLaw<f64>> {
    match element(circuit, name)? {
        (ElementKind::NonlinearResistor { law, .. }, _) => Ok(law),
        (_, file) => Err(py_err(anyhow::anyhow!("element `{name}` of {file} is not a nonlinear resistor"))),
    }
}

/// A voltage window (V) the analyses can sample, as the CLI's `--range` checks it.
pub(crate) fn window((lo, hi): (f64, f64)) -> PyResult<(f64, f64)> {
    atscale_design::landscape::check_voltage_window(lo, hi)
        .map_err(|why| py_err(anyhow::anyhow!("range=({lo} V, {hi} V): {why}")))?;
    Ok((lo, hi))
}

/// A nonlinear resistor's conductance on the softplus basis: `scale fit --json`.
#[pyfunction]
#[pyo3(signature = (circuit, element, *, range=(-3.0, 3.0), per_decade=4))]
pub fn scale_fit(circuit: &Circuit, element: &str, range: (f64, f64), per_decade: usize) -> PyResult<String> {
    let law = resistive_law(circuit, element)?;
    let fit = fit_conductance(&law, window(range)?, per_decade)
        .map_err(|e| py_err(anyhow::Error::new(e).context(format!("element `{element}`"))))?;
    let mut v = serde_json::to_value(&fit).map_err(py_err)?;
    v["element"] = json!(element);
    to_json(&v)
}

/// Critical points of `G(v) - I v` per Pólya smoothing scale (V): `scale coarsen --json`.
#[pyfunction]
#[pyo3(signature = (circuit, element, *, bias, range=(-3.0, 3.0), scales=None))]
pub fn scale_coarsen(
    circuit: &Circuit,
    element: &str,
    bias: f64,
    range: (f64, f64),
    scales: Option<Vec<f64>>,
) -> PyResult<String> {
    if !bias.is_finite() {
        return Err(py_err(anyhow::anyhow!("bias={bias}: must be finite")));
    }
    let (lo, hi) = window(range)?;
    let law = resistive_law(circuit, element)?;
    let scales = scales.unwrap_or_else(|| default_smoothing_scales(hi - lo));
    let rows = coarsen_law(&law, bias, (lo, hi), &scales)
        .map_err(|e| py_err(anyhow::Error::new(e).context(format!("smoothing `{element}`"))))?;
    let pts: Vec<_> = rows.iter().map(|&(s, n)| json!({"scale_volt": s, "critical_points": n})).collect();
    to_json(&json!({"element": element, "bias_amp": bias, "range_volt": [lo, hi], "fingerprint": pts}))
}

/// Each relaxation state of a memristive element linearised at `v_op` (V): `scale bode --json`.
#[pyfunction]
#[pyo3(signature = (circuit, element, *, v_op=0.0))]
pub fn scale_bode(circuit: &Circuit, element: &str, v_op: f64) -> PyResult<String> {
    let states: Vec<Relaxation<f64>> = match self::element(circuit, element)? {
        (ElementKind::Memristive { states, .. }, _) => states,
        (_, file) => {
            return Err(py_err(anyhow::anyhow!(
                "element `{element}` of {file} is not memristive (no relaxation states)"
            )))
        }
    };
    let rows = bode_states(&states, v_op)
        .map_err(|e| py_err(anyhow::Error::new(e).context(format!("`{element}` at v_op = {v_op} V"))))?;
    to_json(&json!({"element": element, "v_op_volt": v_op, "states": rows}))
}
