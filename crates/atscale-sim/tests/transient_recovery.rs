//! The last resort of a transient step whose Newton iteration fails at
//! every step size (issue 16): gmin stepping, a temporary conductance from
//! every node to ground stepped down to none, which gets Newton through
//! one step and is not left in the result.

// Helpers outside `#[test]` functions unwrap too; this is test code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atscale_circuit::FlatCircuit;
use atscale_sim::Simulation;

fn circuit(netlist: &str) -> FlatCircuit {
    atscale_spice::parse_str(netlist, "recovery.cir").unwrap().circuit.flatten().unwrap()
}

/// A node held by `1 mA atan(v - v0)` alone, whose root `v0` jumps from
/// 0 to 10 V when a ramp crosses 0.5 V (at 500 µs). Newton's iteration on
/// `atan` diverges from more than 1.39 V away from the root, whatever the
/// step: the native engine (like ngspice, "timestep too small ... trouble
/// with node b") stopped there. With a conductance from the node to
/// ground, 10 mS stepped down to none, each stage starts close enough to
/// its root. The closed form: b = 0 before 500 µs and 10 V after.
#[test]
fn a_root_that_jumps_beyond_newtons_reach_is_reached_by_gmin_stepping() {
    let c = circuit(
        "atan root jump\nV1 c 0 PWL(0 0 1m 1)\nB1 b 0 I = 1e-3 * atan(V(b) - (V(c) > 0.5 ? 10 : 0))\n\
         R1 c d 1k\nC1 d 0 1u\n.end\n",
    );
    let res = Simulation::new(&c).unwrap().tstop(1e-3).probe("b").probe("c").run().unwrap();
    assert!(res.stats.tran_gmin_steps >= 1, "no step needed gmin stepping: {:?}", res.stats);
    let (b, ramp) = (res.trace("b").unwrap(), res.trace("c").unwrap());
    // Every time point, the one gmin stepping reached included.
    let worst =
        b.iter().zip(ramp).map(|(v, c)| (v - if *c > 0.5 { 10.0 } else { 0.0 }).abs()).fold(0.0, f64::max);
    // Measured 2.0e-14 V; 2e-13 V is a 10x margin (a conductance of 1 pS
    // left in would move b by 1e-8 V).
    assert!(worst < 2e-13, "b off its root by {worst:e} V");
}
