//! Integration tests of atscale-design, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod amplitude;
mod clamp;
mod energy;
mod ideal_blocks;
mod landscape;
mod scaling;
mod sensitivity;
mod spec;
mod stacks;
mod templates;
mod timescale;
