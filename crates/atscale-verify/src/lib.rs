//! Cross-engine verification for atscale: run a netlist through ngspice, read its
//! raw file, extract events and compare event timings between engines.
//!
//! A tour in the order a user meets the types:
//!
//! 1. [`engines::Prepared::load`] reads a netlist once as an
//!    [`atscale_spice::Deck`] (its includes expanded, every route by which
//!    ngspice would run commands recorded), parses and validates it within
//!    the [`limits::Limits`] of the run.
//! 2. [`ngspice::NgspiceRunner::detect`] finds ngspice and its version;
//!    [`ngspice::NgspiceRunner::run`] runs a deck with [`ngspice::RunOptions`]
//!    (timeout, maximum step or event accuracy) and returns an
//!    [`ngspice::NgspiceRun`] holding the parsed raw file and the
//!    [`ngspice::MaxStepChoice`] it made, or a structured [`Error`] naming the
//!    cause (timestep too small at t, singular matrix at a node, rejected line,
//!    incomplete run, timeout).
//! 3. [`raw::RawFile`] reads ngspice raw files (binary/ASCII, real/complex, several
//!    plots, aborted runs); [`raw::Plot::real`] finds columns by name and
//!    [`raw::Plot::prepend_initial_row`] restores the t = 0 row `uic` omits.
//! 4. [`events::EventSpec`] and [`events::crossings`] turn a sampled waveform into
//!    event times, with one definition for all engines.
//! 5. [`compare::compare_trains`] matches two event trains and measures them
//!    ([`compare::TrainComparison`]: counts, dt, Γ, van Rossum, Victor-Purpura);
//!    [`compare::verdict`] judges them against [`compare::Tolerances`].
//! 6. [`spice21::capability`] says whether the in-process spice21 engine can
//!    simulate a flat circuit (and why not); [`spice21::run`] runs it with a fixed
//!    backward-Euler step chosen from the requested event accuracy
//!    ([`spice21::StepChoice`]), its panics caught and its console captured.
//! 7. [`vacask::VacaskRunner::detect`] finds VACASK and its Verilog-A
//!    compiler; [`engines::run_vacask`] writes the circuit for it
//!    ([`atscale_spice::write_vacask`]), runs it and reads its raw file, its
//!    failures a structured [`vacask::VacaskError`].
//! 8. [`report::Report::assemble`] gathers engines and comparisons into the JSON
//!    report; `atscale-render` renders it for people.
//!
//! ```
//! use atscale_verify::compare::{compare_trains, verdict, CompareOptions, Tolerances};
//! use atscale_verify::events::{crossings, EventSpec};
//!
//! let t = [0.0, 1.0, 2.0, 3.0, 4.0];
//! let v = [0.0, 2.0, 0.0, 2.0, 0.0];
//! let spec = EventSpec::rising("v", 1.0, 0.5);
//! let a = crossings(&t, &v, &spec);
//! assert_eq!(a, vec![0.5, 2.5]);
//! let c = compare_trains(&a, &[0.5, 2.5005], &CompareOptions::default());
//! assert_eq!(c.counts.matched, 2);
//! assert!(verdict(&c, &Tolerances::default()).agree);
//! ```
#![warn(missing_docs)]

pub mod compare;
pub mod engines;
mod error;
pub mod events;
pub mod interrupt;
pub mod limits;
pub mod ngspice;
mod process;
pub mod raw;
pub mod report;
mod settle;
pub mod simulate;
pub mod spice21;
pub mod vacask;
pub mod verify;

pub use error::{Error, Result, RunContext};
