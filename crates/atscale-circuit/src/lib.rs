//! The circuit model of atscale.
//!
//! Every other part of atscale (designer, netlist writer and parser, native
//! solver, verifier) speaks this model. A tour, in the order a user meets it:
//!
//! - [`Circuit`]: a circuit as written — [`Param`]s, device [`Model`]s,
//!   [`Subckt`]s, [`Element`]s and [`Instance`]s. Component values are
//!   [`Value`]s: numbers in SI units or [`Expr`]essions over parameters.
//! - [`ElementKind`]: resistors, capacitors, inductors, independent sources
//!   with SPICE [`Waveform`]s, behavioural sources, nonlinear resistors with
//!   a [`ResistiveLaw`], memristive conductances with [`Relaxation`] states
//!   and a [`MemristiveLaw`], diodes and MOSFETs. Each says its
//!   [`EnergyNature`]: it stores, dissipates or supplies energy.
//! - [`Circuit::flatten`] resolves parameters and expands subcircuits into a
//!   [`FlatCircuit`] (every value an `f64`, hierarchical names `x1.n2`);
//!   [`Circuit::check`] also validates it and returns [`Warning`]s.
//! - [`expr`]: the ngspice B-source expression language, with compiled
//!   evaluation that returns exact first derivatives.
//! - [`law`]: current, slope, co-content and content of resistive laws.
//! - [`Measure`]: a `.meas tran` card as data (trigger and target, `WHEN`,
//!   `FIND`, statistics over a window), evaluated on any engine's samples by
//!   `atscale_sim::measure`.
//!
//! Units are SI throughout: volts, amperes, ohms, siemens, farads, henries,
//! seconds. This crate is pure: no files, processes, environment or clock.

pub mod analysis;
pub mod builtin;
mod circuit;
mod element;
pub mod error;
pub mod expr;
pub mod field;
mod flatten;
pub mod law;
pub mod measure;
mod model;
pub mod random;
mod summary;
pub mod units;
mod validate;
mod value;
pub mod waveform;

pub use analysis::{Analysis, Method, Options, Tran};
pub use circuit::{Circuit, FlatCircuit, Instance, Param, Subckt};
pub use element::SwitchControl;
pub use element::{Element, ElementKind, EnergyNature, MosInstance, GROUND};
pub use error::{Error, Problem, Result, Warning};
pub use expr::Expr;
pub use field::{Field, FieldError};
pub use flatten::CircuitLimits;
pub use law::{Gate, MemristiveLaw, Relaxation, ResistiveLaw, Slope, SoftplusTerm, StateTerm};
pub use measure::{Measure, MeasureKind};
pub use model::{BjtParams, DiodeParams, Model, ModelKind, MosParams, SwitchParams};
pub use summary::{ElementSummary, Summary};
pub use validate::Checked;
pub use value::Value;
pub use waveform::{Distribution, TranTiming, Waveform};
