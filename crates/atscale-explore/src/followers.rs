//! Linearised followers' offsets: where a follower's state settles against
//! the membrane, measured on the realisation in the technology's simulator.
//!
//! A linearised follower (`tau dx/dt = lin(v) - lin(x)`) is two sets of
//! nine amplifiers driving the state node, one sourcing and one sinking.
//! Each amplifier's systematic output error (its output devices' drains
//! sit elsewhere than their diodes') has the same sign in both sets, so
//! the two add instead of cancelling; the run's shunt to ground
//! (`rshunt`, which the operating point needs) adds its own error. The
//! state settles off the membrane: on sky130-hv about half a millivolt
//! below it. The memristive element's output pair then sees its offset
//! moved by as much, and the bursting template's spike count hangs on the
//! slow negative element's offset to within about a millivolt (1.5 % of
//! it gives 12 spikes instead of 13, 2 % gives 14).
//!
//! The measurement holds the membrane with an ideal source at the voltage
//! each follower's output pair compares against (its `delta`), solves the
//! operating point of the whole realisation (one run per distinct
//! voltage) and reads every follower's `x - v`; with
//! `--cancel-follower-offsets` the realisation then moves each output
//! pair's reference by it ([`Options::follower_offsets`]). The offset is
//! the simulated circuit's, shunt included (on the generic-bsim4 burster
//! the ultraslow follower's is -229.6 µV with the shunt, about -623 µV
//! without), and one voltage per follower: the offsets change along the
//! membrane voltage. On the template's burster it took sky130-hv's static
//! error at the knee from 4.939 pA to -25.3 fA and GF180's from 1.037 pA
//! to 2.64 pA, so it is asked for, not done by default.

use std::path::Path;
use std::time::Duration;

use atscale_circuit::{ElementKind, MemristiveLaw};
use atscale_design::realise::mapping::trim_probe;
use atscale_design::realise::{Options, Realisation};
use atscale_design::spec::Design;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::realise::{probe_analysis, run_probe};
use crate::simulator::Simulator;

/// One follower's measured offset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FollowerOffset {
    /// The memristive element (`Msp`, ...).
    pub element: String,
    /// Its state node.
    pub node: String,
    /// The membrane voltage held, V: the output pair's reference.
    pub membrane_v: f64,
    /// `x - v` at the operating point, V.
    pub offset_v: f64,
    /// The simulator's wall time of the run that measured it, s.
    pub wall_s: f64,
}

/// The linearised followers of `r` (a memristive element of `design` with
/// a tanh law whose state node `{name}_x` the realisation has) and the
/// offsets their output pairs compare against, model units; empty unless
/// `r` was built with linearised followers.
pub(crate) fn followers(r: &Realisation, design: &Design) -> Vec<(String, String, f64)> {
    if !r.has_linearised_followers() {
        return Vec::new();
    }
    let has = |node: &str| r.circuit.elements.iter().any(|e| e.kind.nodes().contains(&node));
    design
        .mother
        .elements
        .iter()
        .filter_map(|e| match &e.kind {
            ElementKind::Memristive { law: MemristiveLaw::Tanh { delta, .. }, .. } => {
                let node = format!("{}_x", e.name);
                has(&node).then(|| (e.name.clone(), node, *delta))
            }
            _ => None,
        })
        .collect()
}

/// Measures the offsets of `r`'s linearised followers (see the module
/// documentation); none when it has none.
///
/// # Errors
///
/// A failed run or a state node missing from its output.
pub fn measure_follower_offsets(
    runner: &Simulator,
    r: &Realisation,
    design: &Design,
    (tech_dir, design_path, timeout): (Option<&Path>, &Path, Duration),
) -> Result<Vec<FollowerOffset>> {
    let what = "the followers' offsets";
    let list = followers(r, design);
    let mut deltas: Vec<f64> = list.iter().map(|f| f.2).collect();
    deltas.sort_by(f64::total_cmp);
    deltas.dedup();
    let mut out = Vec::new();
    for delta in deltas {
        let probe = trim_probe(r, delta);
        let an = probe_analysis(r, 10.0 * r.run.tmax_s);
        let run = run_probe(runner, r, (&probe, &an), "followers", (tech_dir, design_path, timeout))?;
        let plot = run.plot().ok_or(Error::Measurement { what, missing: "a transient plot" })?;
        let first = |name: &str| -> Result<f64> {
            plot.real(name)?.first().copied().ok_or(Error::Measurement { what, missing: "time points" })
        };
        let v = first(&format!("v({})", r.membrane))?;
        for (element, node, _) in list.iter().filter(|f| f.2 == delta) {
            out.push(FollowerOffset {
                element: element.clone(),
                node: node.clone(),
                membrane_v: v,
                offset_v: first(&format!("v({node})"))? - v,
                wall_s: run.wall_s,
            });
        }
    }
    Ok(out)
}

/// The options' follower offsets, model units, from the measured ones.
pub fn cancelling(opts: &Options, measured: &[FollowerOffset], s_volt: f64) -> Options {
    Options {
        follower_offsets: measured.iter().map(|f| (f.element.clone(), f.offset_v / s_volt)).collect(),
        ..opts.clone()
    }
}
