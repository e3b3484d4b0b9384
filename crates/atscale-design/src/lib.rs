//! The energy-shaping designer of atscale.
//!
//! **Not implemented yet.** This crate will hold scaling, amplitude and time
//! scale analysis, landscapes per timescale and design to specification
//! (issue 6). It currently exports nothing.
