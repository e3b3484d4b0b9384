//! `sim` and `verify`: a netlist (a path or an `atscale.Circuit`) through
//! one engine or several, as `atscale sim` and `atscale verify` run it.

use std::path::PathBuf;
use std::time::Duration;

use atscale_verify::compare::{CompareOptions, Tolerances};
use atscale_verify::engines::{node_name, Overrides, Prepared};
use atscale_verify::events::EventSpec;
use atscale_verify::limits::Limits;
use atscale_verify::simulate::{read, simulate, ReadOptions, SimJson, SimRequest};
use atscale_verify::verify::{verify as verify_engines, EngineKind, VerifyOptions};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::circuit::Circuit;
use crate::{f64_bytes, py_err, to_json};

/// The limits of a run with `timeout` seconds of wall clock.
pub(crate) fn limits(timeout: f64) -> PyResult<Limits> {
    let timeout = Duration::try_from_secs_f64(timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| py_err(anyhow::anyhow!("timeout={timeout}: must be a positive number of seconds")))?;
    Ok(Limits { timeout, ..Limits::default() })
}

fn error(text: String) -> PyErr {
    py_err(anyhow::anyhow!(text))
}

/// The overrides of the netlist's analysis, checked as the CLI checks them.
fn overrides(tstop: Option<f64>, max_step: Option<f64>, reltol: Option<f64>) -> PyResult<Overrides> {
    for (name, v) in [("tstop", tstop), ("max_step", max_step)] {
        if let Some(x) = v.filter(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(error(format!("{name}={x}: must be a positive time in seconds")));
        }
    }
    if let Some(r) = reltol.filter(|r| !(r.is_finite() && *r > 0.0 && *r < 1.0)) {
        return Err(error(format!("reltol={r}: must lie strictly between 0 and 1")));
    }
    Ok(Overrides { tstop_s: tstop, max_step_s: max_step, reltol })
}

/// Event specs from `(node, threshold, hysteresis)`.
fn events(list: Vec<(String, f64, f64)>) -> PyResult<Vec<EventSpec>> {
    let mut out: Vec<EventSpec> = Vec::new();
    for (node, threshold, hysteresis) in list {
        if node.trim().is_empty() {
            return Err(error("events: a node name is empty".into()));
        }
        if !threshold.is_finite() || !hysteresis.is_finite() || hysteresis < 0.0 {
            return Err(error(format!(
                "events on `{node}`: threshold must be finite and hysteresis finite and non-negative"
            )));
        }
        let e = EventSpec::rising(node_name(&node), threshold, hysteresis);
        if out.iter().any(|o| o.signal.eq_ignore_ascii_case(&e.signal) && o.threshold == e.threshold) {
            return Err(error(format!("events on `{node}`: the same node and threshold are given twice")));
        }
        out.push(e);
    }
    Ok(out)
}

fn engine(name: &str) -> PyResult<EngineKind> {
    EngineKind::parse(name)
        .ok_or_else(|| error(format!("engine `{name}`: expected native, ngspice, spice21 or vacask")))
}

/// The netlist to run: an `atscale.Circuit` as it stands, or a path read
/// for the engines named (with the CLI's rules for `.control` blocks).
fn source(
    py: Python<'_>,
    netlist: &Bound<'_, PyAny>,
    options: ReadOptions,
) -> PyResult<(Prepared, Vec<String>)> {
    if let Ok(c) = netlist.cast::<Circuit>() {
        return Ok((c.get().prepared(&options.limits)?, Vec::new()));
    }
    let path: PathBuf = netlist.extract()?;
    let r = py.detach(|| read(&path, &options)).map_err(py_err)?;
    Ok((r.prepared, r.warnings))
}

/// What `sim` returns: `(json, time bytes, [(signal, bytes)], warnings)`.
type SimOutput<'py> = (String, Bound<'py, PyBytes>, Vec<(String, Bound<'py, PyBytes>)>, Vec<String>);

/// One engine's run: `(json, time bytes, [(signal, bytes)], warnings)`;
/// the JSON is `atscale sim --json`'s.
#[pyfunction]
#[pyo3(signature = (netlist, *, tstop=None, probes=Vec::new(), events=Vec::new(), engine="native", reltol=None,
    max_step=None, timeout=600.0, allow_control=false, skip_control=false))]
#[allow(clippy::too_many_arguments)]
pub fn sim<'py>(
    py: Python<'py>,
    netlist: &Bound<'py, PyAny>,
    tstop: Option<f64>,
    probes: Vec<String>,
    events: Vec<(String, f64, f64)>,
    engine: &str,
    reltol: Option<f64>,
    max_step: Option<f64>,
    timeout: f64,
    allow_control: bool,
    skip_control: bool,
) -> PyResult<SimOutput<'py>> {
    let kind = self::engine(engine)?;
    let limits = limits(timeout)?;
    let request = SimRequest {
        engine: kind,
        overrides: overrides(tstop, max_step, reltol)?,
        probes: probes.iter().map(|p| node_name(p).to_string()).collect(),
        events: self::events(events)?,
        allow_control,
        limits,
    };
    let ngspice = kind == EngineKind::Ngspice;
    let options = ReadOptions { ngspice, allow_control, skip_control, ngspice_alone: true, limits };
    let (prepared, mut warnings) = source(py, netlist, options)?;
    let done = py.detach(|| simulate(&prepared, &request)).map_err(py_err)?;
    let r = &done.run;
    warnings.extend(r.report.unmodelled_warnings());
    let json = to_json(&SimJson::new(r, done.tstop_s))?;
    let time = PyBytes::new(py, &f64_bytes(&r.waveforms.time_s));
    let signals =
        r.waveforms.signals.iter().map(|(name, v)| (name.clone(), PyBytes::new(py, &f64_bytes(v)))).collect();
    Ok((json, time, signals, warnings))
}

/// Several engines, events compared one by one: `(json, warnings)`; the
/// JSON is `atscale verify --json`'s.
#[pyfunction]
#[pyo3(signature = (netlist, *, events, engines=vec!["native".to_string(), "ngspice".to_string()], tol=1e-3,
    tol_abs=None, allow_count_mismatch=false, window=None, converged=false, probes=Vec::new(), tstop=None,
    max_step=None, reltol=None, timeout=600.0, allow_control=false, skip_control=false))]
#[allow(clippy::too_many_arguments)]
pub fn verify(
    py: Python<'_>,
    netlist: &Bound<'_, PyAny>,
    events: Vec<(String, f64, f64)>,
    engines: Vec<String>,
    tol: f64,
    tol_abs: Option<f64>,
    allow_count_mismatch: bool,
    window: Option<f64>,
    converged: bool,
    probes: Vec<String>,
    tstop: Option<f64>,
    max_step: Option<f64>,
    reltol: Option<f64>,
    timeout: f64,
    allow_control: bool,
    skip_control: bool,
) -> PyResult<(String, Vec<String>)> {
    let mut kinds = Vec::new();
    for name in &engines {
        let k = engine(name)?;
        if kinds.contains(&k) {
            return Err(error(format!("engines: `{}` is listed twice", k.name())));
        }
        kinds.push(k);
    }
    if kinds.len() < 2 && !converged {
        return Err(error(
            "engines: give at least two engines to compare (or one with converged=True)".into(),
        ));
    }
    if events.is_empty() {
        return Err(error("events: give at least one node to compare events on".into()));
    }
    if !(tol.is_finite() && tol > 0.0) {
        return Err(error(format!("tol={tol}: must be positive")));
    }
    for (name, v) in [("tol_abs", tol_abs), ("window", window)] {
        if let Some(x) = v.filter(|x| !(x.is_finite() && *x > 0.0)) {
            return Err(error(format!("{name}={x}: must be a positive time in seconds")));
        }
    }
    let limits = limits(timeout)?;
    let opts = VerifyOptions {
        engines: kinds.clone(),
        events: self::events(events)?,
        probes,
        overrides: overrides(tstop, max_step, reltol)?,
        tolerances: Tolerances {
            require_equal_counts: !allow_count_mismatch,
            max_abs_dt_rel: tol,
            max_abs_dt_s: tol_abs,
        },
        compare: CompareOptions { coincidence_window_s: window, ..CompareOptions::default() },
        converged,
        limits,
        allow_control,
    };
    let ngspice = kinds.contains(&EngineKind::Ngspice);
    let options = ReadOptions { ngspice, allow_control, skip_control, ngspice_alone: false, limits };
    let (prepared, mut warnings) = source(py, netlist, options)?;
    let v = py.detach(|| verify_engines(&prepared, &opts)).map_err(py_err)?;
    for e in &v.report.engines {
        warnings.extend(e.unmodelled_warnings());
    }
    Ok((to_json(&v.json())?, warnings))
}
