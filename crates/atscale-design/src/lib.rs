//! The energy-shaping designer of atscale (theory note sections 1-9). Pure:
//! it reads no file, starts no process or thread and reads no clock; the
//! native solver it runs in the loop is a pure function. Sweeps, their
//! files and runs of ngspice are in `atscale-explore`.
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
//! - [`clamp`]: the voltage clamp's protocol, clamped circuit and curves,
//!   and what a membrane predicts it measures.
//! - [`energy`]: energy accounting along a simulated trajectory.
//! - [`reliability`]: the reliability experiment (theory section 9): a
//!   frozen fluctuating current against a constant one, spike rasters,
//!   PSTH, reliability and precision.
//! - [`spec`]: design to specification: a TOML spec of behaviour, targets,
//!   scales and constraints in, a verified physical circuit with its
//!   component values out.
//! - [`realise`]: a design realised in transistors for a technology
//!   (TOML or built-in), every device sized, checked and reported.
//! - [`toml_file`]: the one reader of the crate's TOML files (specs,
//!   sweeps, experiments, technologies): lines of errors, shared checks.
#![warn(missing_docs)]

pub mod amplitude;
pub mod clamp;
pub mod energy;
pub mod error;
pub mod landscape;
pub mod realise;
pub mod reliability;
pub mod scaling;
pub mod spec;
pub mod spikes;
pub mod templates;
pub mod timescale;
pub mod toml_file;

pub use error::{Error, Result};
