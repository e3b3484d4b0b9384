//! Integration tests of the native solver.

// Helpers outside `#[test]` functions unwrap too; this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod analytic;
mod events;
mod mos;
mod op;
mod solvers;
mod stats;
mod stops;
