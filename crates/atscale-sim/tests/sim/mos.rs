//! Level-1 MOSFETs at their threshold: the regression of the realised
//! level-1 neuron (issue 8), which the native solver could not integrate.

use atscale_sim::{Simulation, Tolerances};

/// The linearised leak of the level-1 realisation of a 200 kHz spiker
/// (`atscale realise --tech generic-level1`): five five-transistor
/// amplifiers whose inverting inputs and outputs are the membrane, the
/// membrane pulsed to ~1.5 V, which cuts off the `+` input device of every
/// amplifier and leaves each mirror node with no current but leakage.
const LEAK: &str = "\
realised level-1 leak, membrane pulsed above the references
.model nch NMOS(LEVEL=1 VTO=0.5 KP=0.0001 LAMBDA=0.01)
.model pch PMOS(LEVEL=1 VTO=-0.5 KP=5e-5 LAMBDA=0.01)
Vdd vdd 0 DC 1.8
Vref vref 0 DC 0.9
CC1 v 0 1e-12
Vref1 ref1 0 DC 0.54
MGl0_p Gl0_m ref1 Gl0_t 0 nch W=1.37e-6 L=2e-6
MGl0_n v v Gl0_t 0 nch W=1.37e-6 L=2e-6
MGl0_d Gl0_m Gl0_m vdd vdd pch W=2.74e-6 L=2e-6
MGl0_o v Gl0_m vdd vdd pch W=2.74e-6 L=2e-6
IGl0_b Gl0_t 0 DC 1.5370977724312467e-6
Vref2 ref2 0 DC 0.72
MGl1_p Gl1_m ref2 Gl1_t 0 nch W=5.1e-7 L=3.08e-6
MGl1_n v v Gl1_t 0 nch W=5.1e-7 L=3.08e-6
MGl1_d Gl1_m Gl1_m vdd vdd pch W=6.5e-7 L=2e-6
MGl1_o v Gl1_m vdd vdd pch W=6.5e-7 L=2e-6
IGl1_b Gl1_t 0 DC 3.6548637055310085e-7
MGl2_p Gl2_m vref Gl2_t 0 nch W=1.26e-6 L=2e-6
MGl2_n v v Gl2_t 0 nch W=1.26e-6 L=2e-6
MGl2_d Gl2_m Gl2_m vdd vdd pch W=2.52e-6 L=2e-6
MGl2_o v Gl2_m vdd vdd pch W=2.52e-6 L=2e-6
IGl2_b Gl2_t 0 DC 1.412701649496307e-6
Vref3 ref3 0 DC 1.08
MGl3_p Gl3_m ref3 Gl3_t 0 nch W=5.1e-7 L=3.08e-6
MGl3_n v v Gl3_t 0 nch W=5.1e-7 L=3.08e-6
MGl3_d Gl3_m Gl3_m vdd vdd pch W=6.5e-7 L=2e-6
MGl3_o v Gl3_m vdd vdd pch W=6.5e-7 L=2e-6
IGl3_b Gl3_t 0 DC 3.6548637055311277e-7
Vref4 ref4 0 DC 1.26
MGl4_p Gl4_m ref4 Gl4_t 0 nch W=1.37e-6 L=2e-6
MGl4_n v v Gl4_t 0 nch W=1.37e-6 L=2e-6
MGl4_d Gl4_m Gl4_m vdd vdd pch W=2.74e-6 L=2e-6
MGl4_o v Gl4_m vdd vdd pch W=2.74e-6 L=2e-6
IGl4_b Gl4_t 0 DC 1.53709777243124e-6
Iin 0 v PULSE(0 6u 100n 50n 50n 300n 2u)
.end
";

/// Before the fix the native solver stopped here with \"time step too
/// small\" at 0.47 µs: the level-1 model had no bulk junctions (only a
/// drain-source gmin), which parks a cut-off amplifier's mirror node on the
/// diode-connected PMOS's threshold (vdd - |VTO| = 1.3 V), where the
/// square-law current and its slope vanish, and the chord Newton iteration
/// accepted or oscillated around points hundreds of microvolts off.
///
/// With MOS1's junctions (gmin across each), the mirror node of the cut-off
/// amplifier draws `gmin (2 V_m - V_dd)` through the diode-connected PMOS:
/// `V_m = V_dd - |VTO| - sqrt(2 I / beta)` (ngspice gives the same with its gmin:
/// 1.299855 V at gmin = 8.36e-13 S, formula 1.299854 V).
#[test]
fn level1_amplifier_with_a_cut_off_input_integrates_and_matches_mos1_leakage() {
    let netlist = atscale_spice::parse_str(LEAK, "leak.cir").unwrap();
    let c = netlist.circuit.flatten().unwrap();
    let tol = Tolerances { reltol: 1e-4, abstol: 1e-12, ..Tolerances::default() };
    let res = Simulation::new(&c)
        .unwrap()
        .tstop(1e-6)
        .max_step(12.5e-9)
        .tolerances(tol)
        .ic("v", 0.9)
        .probe("v")
        .probe("Gl2_m")
        .run()
        .unwrap();
    // Linear interpolation of a trace at `t`.
    let at = |name: &str, t: f64| {
        let i = res.time.partition_point(|x| *x < t).clamp(1, res.time.len() - 1);
        let (t0, t1) = (res.time[i - 1], res.time[i]);
        let y = res.trace(name).unwrap();
        y[i - 1] + (y[i] - y[i - 1]) * (t - t0) / (t1 - t0)
    };
    // The membrane is high (every + input cut off) at 400 ns.
    let v = at("v", 400e-9);
    // Measured 1.96e-4 V from ngspice (1.5e-4 V from 1.4793); 2e-3 V is a 13x margin.
    assert!((v - 1.4793).abs() < 2e-3, "membrane {v} V (ngspice 1.479344 V)");
    let gmin: f64 = 1e-12;
    let beta: f64 = 5e-5 * 2.52 / 2.0;
    let m = at("Gl2_m", 400e-9);
    let expect = 1.3 - (2.0 * gmin * (2.0 * 1.3 - 1.8) / beta).sqrt();
    // Measured 4.3e-7 V; 3e-6 V is a 7x margin.
    assert!((m - expect).abs() < 3e-6, "mirror node {m} V, MOS1 junction leakage predicts {expect} V");
    // After the pulse the leak returns the membrane to its rest at 0.9 V.
    let end = *res.trace("v").unwrap().last().unwrap();
    // Measured 1.4e-5 V from 0.90300 (1.6e-5 V from ngspice); 1e-4 V is a 7x margin.
    assert!((end - 0.90300).abs() < 1e-4, "membrane {end} V at 1 µs (ngspice 0.902998 V)");
}
