//! The native half of the Python package `atscale` (`atscale._native`):
//! the library behind the CLI, called in-process. Results cross as JSON
//! (the CLI's own schemas) and as little-endian `f64` bytes that the Python
//! half turns into numpy arrays without a copy per element; every error is
//! an `atscale.Error` carrying the CLI's message (file and line included).
//! The simulations run with the GIL released.

mod circuit;
mod design;
mod run;
mod scale;
mod sweep;

use pyo3::prelude::*;

pyo3::create_exception!(atscale, Error, pyo3::exceptions::PyException, "An error atscale reports.");

/// An `atscale.Error` from any error of the library.
pub(crate) fn py_err(err: impl Into<anyhow::Error>) -> PyErr {
    Error::new_err(atscale_files::error_text(err.into().as_ref()))
}

/// JSON text of a value, as a Python error when it cannot be written.
pub(crate) fn to_json(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(py_err)
}

/// Values as little-endian `f64` bytes (numpy's `<f8`).
pub(crate) fn f64_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The module `atscale._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<circuit::Circuit>()?;
    m.add_function(wrap_pyfunction!(run::sim, m)?)?;
    m.add_function(wrap_pyfunction!(run::verify, m)?)?;
    m.add_function(wrap_pyfunction!(design::design, m)?)?;
    m.add_function(wrap_pyfunction!(design::landscape, m)?)?;
    m.add_function(wrap_pyfunction!(sweep::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(scale::scale_fit, m)?)?;
    m.add_function(wrap_pyfunction!(scale::scale_coarsen, m)?)?;
    m.add_function(wrap_pyfunction!(scale::scale_bode, m)?)?;
    Ok(())
}
