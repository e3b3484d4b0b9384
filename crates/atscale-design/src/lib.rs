//! The energy-shaping designer of atscale (theory note sections 1-9), and
//! the design-space tools built on it.
//!
//! A tour, in the order a user meets it:
//!
//! - [`templates`]: dimensionless mother circuits (FitzHugh-Nagumo,
//!   four-conductance neurons, Hodgkin-Huxley, bistable switch, cable,
//!   Hopfield network).
//! - [`scaling`]: map a mother circuit to a physical one by amplitude `s`,
//!   time `omega`, capacitance `C0` and space `epsilon`, and back.
//! - [`amplitude`]: conductances on the softplus basis: fit, stretch,
//!   coarsen, count critical points.
//! - [`timescale`]: Bode magnitudes of relaxation filters in log coordinates.
//! - [`landscape`]: I-V curves and energy landscapes per timescale, their
//!   critical points, and the behaviour they imply.
//! - [`energy`]: energy accounting along a simulated trajectory.
//! - [`random`]: seeded random streams for sweeps, Monte Carlo and trials.
//! - [`sweep`]: design-space exploration: sweeps, Monte Carlo mismatch, shards, plots.
//! - [`reliability`]: the reliability experiment (theory section 9): a
//!   frozen fluctuating current against a constant one, spike rasters,
//!   PSTH, reliability and precision.
//! - [`spec`]: design to specification: a TOML spec of behaviour, targets,
//!   scales and constraints in, a verified physical circuit with its
//!   component values out.
//! - [`realise`]: a design realised in transistors for a technology
//!   (TOML or built-in), every device sized, checked and reported.
#![warn(missing_docs)]

pub mod amplitude;
pub mod energy;
pub mod error;
pub mod landscape;
pub mod random;
pub mod realise;
pub mod reliability;
pub mod scaling;
pub mod spec;
pub mod sweep;
pub mod templates;
pub mod timescale;
mod toml_file;

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
