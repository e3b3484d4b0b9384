//! The run layer of atscale's designer: everything that touches files,
//! threads or simulators on its behalf.
//!
//! - [`characterise`]: a technology's subthreshold parameters measured on
//!   its own models in ngspice, cached.
//! - [`clamp`]: voltage-clamp runs, one transient per step voltage in
//!   any engine, currents read at the protocol's times.
//! - [`drawn`]: Monte Carlo draws of a PDK's process parameters and
//!   mismatch made by atscale, for a simulator without random functions.
//! - [`realise`]: realisation evidence in ngspice: mirror sizing, the
//!   membrane trim, the nominal run, the calibration against the design and
//!   the bias sweep.
//! - [`strays`]: the membrane's stray capacitance, measured in ngspice.
//! - [`sweep`]: design-space exploration: sweeps, Monte Carlo mismatch,
//!   shards; points run on a thread pool, rows appended to a results file
//!   as they finish, resumable, verified in ngspice on request.
//! - [`technology`]: a technology by name or file, its installed PDK found.
#![warn(missing_docs)]

pub mod characterise;
pub mod clamp;
pub mod drawn;
pub mod error;
pub mod followers;
pub mod realise;
pub mod simulator;
pub mod strays;
pub mod sweep;
pub mod technology;

pub use error::{Error, Result};

/// Reads a text input of the user's (a spec, a sweep) under the one input
/// policy of `atscale_files`: a regular file or a pipe, at most the default
/// input limit, text only.
pub(crate) fn read_text(path: &std::path::Path, what: &str) -> Result<String> {
    read_text_within(path, what, atscale_files::DEFAULT_MAX_INPUT_BYTES)
}

/// [`read_text`] with a limit of `max_bytes`.
pub(crate) fn read_text_within(path: &std::path::Path, what: &str, max_bytes: u64) -> Result<String> {
    let rules = atscale_files::InputRules::named(max_bytes);
    Ok(atscale_files::read_input(path, what, &rules)?.text)
}
