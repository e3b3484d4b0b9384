//! `sweep`: a sweep file's points on the Rust thread pool, the table held
//! in memory (`atscale sweep`'s rows, byte for byte), columns typed.

use std::cell::RefCell;
use std::path::PathBuf;

use atscale_explore::sweep::table::{column_name, column_unit, ColumnKind, Table};
use atscale_explore::sweep::{run_in_memory, Progress, RunOptions, Shard, Sweep, SweepLimits, SweepSpec};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::{f64_bytes, py_err};

/// One column handed to Python: its data as `f64` bytes (numbers, NaN
/// where empty), whole numbers or text.
#[derive(IntoPyObject)]
pub enum Column<'py> {
    /// `<f8` bytes.
    Number(Bound<'py, PyBytes>),
    /// Whole numbers.
    Integer(Vec<i64>),
    /// Text.
    Text(Vec<String>),
}

/// What `sweep` returns: `(meta, [(name, unit, kind, column)], csv_text)`.
type SweepResult<'py> = (Vec<(String, String)>, Vec<(String, String, &'static str, Column<'py>)>, String);

fn spec(path: Option<PathBuf>, spec_json: Option<&str>) -> PyResult<SweepSpec> {
    match (path, spec_json) {
        (Some(p), None) => SweepSpec::from_file(&p).map_err(py_err),
        (None, Some(j)) => {
            let text = crate::design::toml_of_json(j, "the sweep spec")?;
            SweepSpec::from_toml_str(&text, "<dict>").map_err(py_err)
        }
        _ => Err(py_err(anyhow::anyhow!("give a sweep spec: a TOML file's path or a dict"))),
    }
}

/// Runs a sweep from a file (`path`) or a dict (`spec_json`; its paths are
/// relative to the working folder) on `jobs` threads; `progress(done,
/// todo)` is called as points finish. Ctrl-C stops it (`KeyboardInterrupt`).
#[pyfunction]
#[pyo3(signature = (path=None, spec_json=None, *, jobs=None, progress=None, shard=None, verify_sample=0,
    max_points=None, timeout=300.0))]
#[allow(clippy::too_many_arguments)]
pub fn sweep<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    spec_json: Option<&str>,
    jobs: Option<usize>,
    progress: Option<Py<PyAny>>,
    shard: Option<&str>,
    verify_sample: usize,
    max_points: Option<usize>,
    timeout: f64,
) -> PyResult<SweepResult<'py>> {
    let limits = crate::run::limits(timeout)?;
    let shard = shard.map(Shard::parse).transpose().map_err(|e| py_err(anyhow::anyhow!(e)))?;
    let spec = spec(path, spec_json)?;
    let max_points = max_points.unwrap_or(SweepLimits::default().max_points);
    let sweep =
        py.detach(|| Sweep::prepare(spec, &SweepLimits { max_points, run: limits })).map_err(py_err)?;
    let opts = RunOptions { shard, resume: false, force: false, verify_sample, jobs, limits };
    let table = py.detach(|| run(&sweep, &opts, progress.as_ref()))?;
    columns(py, &table)
}

/// Runs the sweep, calling back into Python (with the GIL taken for the
/// call only) as points finish; a Python exception there (Ctrl-C's
/// `KeyboardInterrupt` among them) stops the sweep and is raised.
fn run(sweep: &Sweep, opts: &RunOptions, callback: Option<&Py<PyAny>>) -> PyResult<Table> {
    let raised: RefCell<Option<PyErr>> = RefCell::new(None);
    let on_progress = |p: Progress<'_>| {
        if raised.borrow().is_some() {
            return;
        }
        let outcome = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let (Some(cb), Progress::Point { done, todo, .. }) = (callback, &p) {
                cb.call1(py, (*done, *todo))?;
            }
            Ok(())
        });
        if let Err(e) = outcome {
            *raised.borrow_mut() = Some(e);
            atscale_verify::interrupt::request();
        }
    };
    let result = run_in_memory(sweep, opts, &mut { on_progress });
    if let Some(e) = raised.into_inner() {
        atscale_verify::interrupt::reset();
        return Err(e);
    }
    result.map_err(py_err)
}

fn columns<'py>(py: Python<'py>, t: &Table) -> PyResult<SweepResult<'py>> {
    let mut out = Vec::with_capacity(t.header.columns.len());
    for (k, c) in t.header.columns.iter().enumerate() {
        let (name, unit) = (column_name(c).to_string(), column_unit(c).to_string());
        let column = match t.header.kind(k) {
            ColumnKind::Number => {
                let v: Vec<f64> = t.numbers(k).into_iter().map(|x| x.unwrap_or(f64::NAN)).collect();
                ("number", Column::Number(PyBytes::new(py, &f64_bytes(&v))))
            }
            ColumnKind::Integer => {
                let v = t
                    .cells(k)
                    .iter()
                    .map(|s| {
                        s.parse::<i64>().map_err(|_| {
                            py_err(anyhow::anyhow!("column `{name}`: `{s}` is not a whole number"))
                        })
                    })
                    .collect::<PyResult<Vec<i64>>>()?;
                ("integer", Column::Integer(v))
            }
            ColumnKind::Text => ("text", Column::Text(t.cells(k).iter().map(|s| s.to_string()).collect())),
        };
        out.push((name, unit, column.0, column.1));
    }
    Ok((t.header.meta.clone(), out, t.text()))
}
