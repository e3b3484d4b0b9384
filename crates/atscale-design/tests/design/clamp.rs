//! The voltage clamp's pure part: the relaxation the membrane predicts
//! against the landscape at its two ends, the clamped circuit run by the
//! native solver against the prediction, and the refusals.

use atscale_circuit::{Analysis, FlatCircuit};
use atscale_design::clamp::{
    ClampTolerances, Frame, Prediction, Protocol, ReadSpec, Timing, INSTANT_FRACTION_ALGEBRAIC,
};
use atscale_design::landscape::{linspace, Membrane};
use atscale_design::templates::{fitzhugh_nagumo, four_conductance, Setting};
use atscale_sim::Simulation;

/// The clamp currents of `circuit` at each read of `p`, from the native solver.
fn native_clamp(circuit: &FlatCircuit, p: &Protocol, tol: &ClampTolerances) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; p.steps_v.len()]; p.reads.len()];
    for (k, &v) in p.steps_v.iter().enumerate() {
        for run in &p.runs {
            let clamped = p.clamped(circuit, run, v).unwrap();
            let an = p.analysis(run, &Analysis::default(), tol);
            let probe = format!("i({})", clamped.source);
            let r = Simulation::for_analysis(&clamped.circuit, &an, run.tstop_s)
                .unwrap()
                .probe(&probe)
                .run()
                .unwrap();
            let (reads, _) = p.read(run, &r.time, r.trace(&probe).unwrap(), "test").unwrap();
            for (j, i) in reads {
                out[j][k] = i;
            }
        }
    }
    out
}

fn protocol(m: &Membrane, steps: &[f64], specs: &[ReadSpec]) -> (Protocol, f64) {
    let pred = Prediction { membrane: m, frame: Frame::IDENTITY };
    let hold = pred.operating_point(&linspace(-3.0, 3.0, 1201)).unwrap();
    let (lo, hi) = pred.timescale_range(steps).unwrap();
    let timing = Timing::from_timescales(lo, hi, INSTANT_FRACTION_ALGEBRAIC);
    (Protocol::new("v", hold, steps, specs, timing).unwrap(), hold)
}

#[test]
fn relaxation_ends_are_the_landscapes_finest_and_coarsest_curves() {
    for t in [fitzhugh_nagumo(0.5), four_conductance(Setting::Bursting)] {
        let m = Membrane::new(&t.circuit, "v").unwrap();
        let hold = -0.8;
        for v in linspace(-3.0, 3.0, 25) {
            let scale = 1.0 + m.current(f64::INFINITY, hold, v).abs();
            let d0 = m.relaxed_current(hold, v, 0.0) - m.current(0.0, hold, v);
            let dinf = m.relaxed_current(hold, v, f64::INFINITY) - m.current(f64::INFINITY, hold, v);
            // Rounding only: v + (v_hold - v) is v_hold within an ulp.
            assert!(d0.abs() < 1e-14 * scale && dinf.abs() < 1e-14 * scale, "{}: {d0} {dinf}", t.name);
        }
    }
}

#[test]
fn native_clamp_of_fitzhugh_nagumo_meets_the_landscape_and_the_relaxation() {
    let t = fitzhugh_nagumo(0.5);
    let m = Membrane::new(&t.circuit, "v").unwrap();
    let steps = linspace(-3.0, 3.0, 13);
    let specs = [ReadSpec::Instant, ReadSpec::After { t_s: 15.625 }, ReadSpec::Steady];
    let (p, hold) = protocol(&m, &steps, &specs);
    let tol = ClampTolerances::at_scale(1e-9, 1.0, 10.0, 1.0);
    let measured = native_clamp(&t.circuit, &p, &tol);
    // The closed form: i = v^3/3 - v + i_L - 0.5 with i_L relaxing from
    // (v_h + 0.7)/0.8 to (v + 0.7)/0.8 with tau = L/R = 15.625.
    let closed = |v: f64, t: f64| {
        let il = (v + 0.7) / 0.8 + (hold - v) / 0.8 * (-t / 15.625f64).exp();
        v * v * v / 3.0 - v + il - 0.5
    };
    for (k, read) in p.reads.iter().enumerate() {
        let want: Vec<f64> = steps.iter().map(|&v| closed(v, read.t_s)).collect();
        let scale = want.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let worst = measured[k].iter().zip(&want).fold(0.0f64, |a, (x, y)| a.max((x - y).abs())) / scale;
        // Measured 4.4e-14, 7.8e-11 and 8.8e-17 (reltol 1e-9); 1e-9 is 13x the worst.
        assert!(worst < 1e-9, "{}: {worst:e}", read.label());
    }
}

/// The bursting four-conductance neuron (timescales 50 and 2500) clamped
/// in the native engine against the relaxation its membrane predicts, at
/// every read time of the default protocol; and against the landscape's
/// finest and coarsest curves at the two ends.
#[test]
fn native_clamp_of_the_bursting_neuron_meets_its_prediction() {
    let t = four_conductance(Setting::Bursting);
    let m = Membrane::new(&t.circuit, "v").unwrap();
    let steps = linspace(-3.0, 3.0, 13);
    let specs =
        [ReadSpec::Instant, ReadSpec::After { t_s: 50.0 }, ReadSpec::After { t_s: 2500.0 }, ReadSpec::Steady];
    let (p, hold) = protocol(&m, &steps, &specs);
    // Two runs per step: the instantaneous read alone, then the others (within RUN_SPAN of 50).
    assert_eq!(p.runs.iter().map(|r| r.reads.clone()).collect::<Vec<_>>(), vec![vec![0], vec![1, 2, 3]]);
    let tol = ClampTolerances::at_scale(1e-9, 1.0, 10.0, 1.0);
    let measured = native_clamp(&t.circuit, &p, &tol);
    let pred = Prediction { membrane: &m, frame: Frame::IDENTITY };
    for (k, c) in pred.curves(&p).iter().enumerate() {
        let scale = c.current_a.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let worst =
            measured[k].iter().zip(&c.current_a).fold(0.0f64, |a, (x, y)| a.max((x - y).abs())) / scale;
        // Measured 2.9e-13, 3.2e-9, 7.6e-10 and 1.1e-16 (reltol 1e-9): 1e-8 is 3x the worst.
        assert!(worst < 1e-8, "{}: {worst:e}", c.read.label());
    }
    for (k, tau) in [(0, 0.0), (3, f64::INFINITY)] {
        let land: Vec<f64> = steps.iter().map(|&v| m.current(tau, hold, v)).collect();
        let scale = land.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        let worst = measured[k].iter().zip(&land).fold(0.0f64, |a, (x, y)| a.max((x - y).abs())) / scale;
        // Measured 2.2e-8 at tau = 0 (the slow states moved by about 1e-8 of
        // their way in the 1e-8 of 50 before the read), 1.1e-16 at tau = ∞.
        assert!(worst < 1e-7, "landscape at tau = {tau}: {worst:e}");
    }
}

#[test]
fn a_clamp_names_an_unknown_node_and_refuses_ground_and_shorted_nodes() {
    let t = fitzhugh_nagumo(0.5);
    let specs = [ReadSpec::After { t_s: 1.0 }];
    let timing = Timing { instant_s: 1.0, steady_s: 1.0 };
    let p = Protocol::new("vm", 0.0, &[-1.0, 0.0, 1.0], &specs, timing).unwrap();
    let e = p.clamped(&t.circuit, &p.runs[0], 0.5).unwrap_err().to_string();
    assert_eq!(e, "the circuit has no node `vm` (its nodes: v, m, e)");
    let p = Protocol::new("0", 0.0, &[-1.0, 0.0, 1.0], &specs, timing).unwrap();
    let e = p.clamped(&t.circuit, &p.runs[0], 0.5).unwrap_err().to_string();
    assert_eq!(e, "the node `0` cannot be voltage-clamped: it is ground");
    // `e` is held by the battery: a clamp there would short it.
    let p = Protocol::new("E", 0.0, &[-1.0, 0.0, 1.0], &specs, timing).unwrap();
    let e = p.clamped(&t.circuit, &p.runs[0], 0.5).unwrap_err().to_string();
    assert!(e.contains("`E` cannot be voltage-clamped") && e.contains("(Vbat)"), "{e}");
    // A clamp on `v` leaves out the membrane capacitor and adds the source.
    let p = Protocol::new("V", 0.0, &[-1.0, 0.0, 1.0], &specs, timing).unwrap();
    let c = p.clamped(&t.circuit, &p.runs[0], 0.5).unwrap();
    assert_eq!((c.source.as_str(), c.left_out.clone()), ("Vclamp", vec![("C1".to_string(), 1.0)]));
    assert_eq!(c.circuit.elements.len(), t.circuit.elements.len());
}
