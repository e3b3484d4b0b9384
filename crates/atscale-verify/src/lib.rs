//! Cross-engine verification for atscale.
//!
//! **Not implemented yet.** This crate will run a netlist through ngspice, the
//! native solver and spice21, read raw files and compare event timings
//! (issue 5). It currently exports nothing.
