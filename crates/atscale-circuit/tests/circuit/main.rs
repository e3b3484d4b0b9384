//! Integration tests of the circuit model: flattening, validation, serde.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod flatten;
mod serde_roundtrip;
mod validation;
