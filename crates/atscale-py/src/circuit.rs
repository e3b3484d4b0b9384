//! `atscale.Circuit`: a netlist or circuit file read once, inspected and
//! changed by parameter name, then run by any engine.

use std::path::PathBuf;

use atscale_circuit::random::Rng;
use atscale_circuit::{Analysis, Circuit as Source, FlatCircuit, Measure};
use atscale_explore::sweep::point::{build, resolve, Resolved};
use atscale_verify::engines::Prepared;
use atscale_verify::limits::Limits;
use atscale_verify::simulate::{read, ReadOptions};
use pyo3::prelude::*;

use crate::{py_err, to_json};

/// A circuit read from a netlist (`.cir`, `.sp`, ...) or a circuit file
/// (`.json`, `.toml`), its parameters settable by name.
#[pyclass(module = "atscale._native", frozen)]
pub struct Circuit {
    /// The netlist as read (its deck is what ngspice runs while nothing is set).
    pub(crate) read: Prepared,
    /// Parameters set so far, in order, with their values.
    set: std::sync::Mutex<Vec<(Resolved, f64)>>,
    /// The default voltage range of a landscape, V (a design's ±3 model units).
    pub(crate) range_v: (f64, f64),
    warnings: Vec<String>,
}

impl Circuit {
    /// A circuit built in memory (a design) with its analysis.
    pub(crate) fn in_memory(
        name: &str,
        flat: FlatCircuit,
        analysis: Analysis,
        range_v: (f64, f64),
    ) -> PyResult<Circuit> {
        let p = Prepared::for_circuit(name, name, flat, analysis, Vec::new(), &Limits::default())
            .map_err(py_err)?;
        Ok(Circuit { warnings: p.warnings.clone(), read: p, set: Default::default(), range_v })
    }

    /// The circuit as it stands, ready for an engine: the one read while no
    /// parameter is set, else the changed circuit with its deck written anew.
    pub(crate) fn prepared(&self, limits: &Limits) -> PyResult<Prepared> {
        let set = self.settings()?;
        if set.is_empty() {
            return Ok(self.read.clone());
        }
        let flat = self.flat_with(&set)?;
        let measures: Vec<Measure> = self.read.measures.clone();
        let name = self.read.path.display().to_string();
        let title = format!("{name} with {}", describe(&set));
        Prepared::for_circuit(&name, &title, flat, self.read.analysis.clone(), measures, limits)
            .map_err(py_err)
    }

    /// The parameters set so far.
    fn settings(&self) -> PyResult<std::sync::MutexGuard<'_, Vec<(Resolved, f64)>>> {
        self.set.lock().map_err(|_| py_err(anyhow::anyhow!("the circuit's settings lock was poisoned")))
    }

    /// The flat circuit as it stands.
    fn flat(&self) -> PyResult<FlatCircuit> {
        self.flat_with(&self.settings()?)
    }

    fn flat_with(&self, set: &[(Resolved, f64)]) -> PyResult<FlatCircuit> {
        let (resolved, values): (Vec<Resolved>, Vec<f64>) = set.iter().cloned().unzip();
        // No spreads: nothing is drawn.
        build(&self.read.source, &self.read.circuit, &resolved, &values, &[], &mut Rng::stream(0, 0))
            .map_err(|e| py_err(anyhow::anyhow!("{}: {e}", self.read.path.display())))
    }

    fn resolve(&self, name: &str) -> PyResult<Resolved> {
        resolve(&self.read.source, &self.read.circuit, name, None)
            .map_err(|e| py_err(anyhow::anyhow!("{}: {e}", self.read.path.display())))
    }
}

fn describe(set: &[(Resolved, f64)]) -> String {
    let parts: Vec<String> = set.iter().map(|(r, v)| format!("{:?} = {v:?} {}", r.target, r.unit)).collect();
    parts.join(", ")
}

#[pymethods]
impl Circuit {
    /// Reads a netlist or circuit file. `.control` blocks are set aside
    /// (with a warning) unless `skip_control` is False and ngspice is to
    /// run them: use `atscale.sim(path, engine="ngspice", allow_control=True)`.
    #[staticmethod]
    #[pyo3(signature = (path, *, timeout=600.0))]
    fn load(py: Python<'_>, path: PathBuf, timeout: f64) -> PyResult<Circuit> {
        let limits = crate::run::limits(timeout)?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if ext == "json" || ext == "toml" {
            return py.detach(|| from_circuit_file(&path));
        }
        let options = ReadOptions {
            ngspice: false,
            allow_control: false,
            skip_control: true,
            ngspice_alone: false,
            limits,
        };
        let r = py.detach(|| read(&path, &options)).map_err(py_err)?;
        Ok(Circuit { read: r.prepared, set: Default::default(), range_v: (-3.0, 3.0), warnings: r.warnings })
    }

    /// The file or name the circuit came from.
    #[getter]
    fn path(&self) -> String {
        self.read.path.display().to_string()
    }

    /// The circuit's title.
    #[getter]
    fn title(&self) -> String {
        self.read.circuit.title.clone()
    }

    /// Warnings from reading and checking it, as sentences.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// The summary (`atscale summary --json`) of the circuit as it stands:
    /// elements with their class, nodes and energy nature; node count.
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_loads(py, &to_json(&self.flat()?.summary())?)
    }

    /// Every numeric parameter of every element, as
    /// `[(element, path, unit, value), ...]`; `get`/`set` take
    /// `"element.path"` (or an element's name alone for its value).
    fn parameters(&self) -> PyResult<Vec<(String, String, &'static str, f64)>> {
        let flat = self.flat()?;
        Ok(flat
            .elements
            .iter()
            .flat_map(|e| e.kind.fields().into_iter().map(move |f| (e.name.clone(), f.path, f.unit, f.value)))
            .collect())
    }

    /// The value of a parameter: a `.param`, an element's value (`R1`) or
    /// an element's field (`Msn.law.alpha`), as sweeps name them.
    fn get(&self, name: &str) -> PyResult<f64> {
        let set = self.settings()?;
        let r = self.resolve(name)?;
        if let Some((_, v)) = set.iter().rev().find(|(s, _)| s.target == r.target) {
            return Ok(*v);
        }
        Ok(r.nominal)
    }

    /// The unit of a parameter (`-` for a `.param`).
    fn unit(&self, name: &str) -> PyResult<String> {
        Ok(self.resolve(name)?.unit)
    }

    /// Sets a parameter by name (see `get`); the circuit is checked at once.
    fn set(&self, name: &str, value: f64) -> PyResult<()> {
        if !value.is_finite() {
            return Err(py_err(anyhow::anyhow!("`{name}` = {value}: a parameter must be a finite number")));
        }
        let r = self.resolve(name)?;
        let mut set = self.settings()?;
        let mut next = set.clone();
        next.retain(|(s, _)| s.target != r.target);
        next.push((r, value));
        self.flat_with(&next)?;
        *set = next;
        Ok(())
    }

    /// The circuit as it stands in atscale's JSON form (flat).
    fn to_json(&self) -> PyResult<String> {
        to_json(&self.flat()?)
    }

    /// The ngspice netlist of the circuit as it stands (the deck as read
    /// while nothing is set).
    fn netlist(&self) -> PyResult<String> {
        let p = self.prepared(&Limits::default())?;
        p.deck.ngspice_text(true, None).map_err(py_err)
    }

    fn __repr__(&self) -> String {
        format!(
            "<atscale.Circuit {} ({} elements)>",
            self.read.path.display(),
            self.read.circuit.elements.len()
        )
    }
}

/// Python's `json.loads(text)`.
pub(crate) fn json_loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

/// A circuit file (JSON, TOML) without analysis of its own.
fn from_circuit_file(path: &std::path::Path) -> PyResult<Circuit> {
    let file = atscale_spice::read_circuit(path).map_err(py_err)?;
    let source: Source = file.circuit;
    let checked =
        anyhow::Context::with_context(source.check(), || format!("in {}", path.display())).map_err(py_err)?;
    let mut c =
        Circuit::in_memory(&path.display().to_string(), checked.circuit, Analysis::default(), (-3.0, 3.0))?;
    // Its `.param`s stay settable by name.
    c.read.source = source;
    c.warnings = file.warnings.into_iter().chain(checked.warnings.iter().map(ToString::to_string)).collect();
    Ok(c)
}
