//! Plots and Markdown reports of atscale, in one place and with one look.
//!
//! Everything a command shows a person is rendered here from data the
//! other crates compute: no simulation, no file. Numbers carry their units
//! with SI prefixes (`31.39 ms`, an axis `time (ms)`), plain numbers where a
//! quantity has no unit, and titles use readable names (`tonic-spiking`).
//!
//! - [`axis`]: numbers, quantities and axes;
//! - [`figure`]: the one way a plot is drawn (panels, series, legends
//!   beside the data, PNG in memory or SVG) with its layout for tests;
//! - [`plots`]: every figure atscale writes;
//! - [`markdown`]: every report atscale writes.

pub mod axis;
pub mod error;
pub mod figure;
pub mod markdown;
pub mod plots;

pub use error::{Error, Result};
pub use figure::{Format, Rendered};
