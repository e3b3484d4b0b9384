//! SPICE netlists in and out for atscale.
//!
//! **Not implemented yet.** This crate will hold the ngspice and Xyce netlist
//! writers and the ngspice-language parser (issue 4). It currently exports
//! nothing, so no caller can mistake it for a working writer or parser.
