//! Integration tests of atscale-spice, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod corpus_mutation;
mod errors;
mod fuzz;
mod generators;
mod golden;
mod ngspice;
mod parser;
mod properties;
mod reference;
mod roundtrip;
mod setup;
mod vacask;
mod xyce;
mod zoo;
