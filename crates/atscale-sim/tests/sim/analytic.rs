//! RC and RLC against their analytic waveforms; error shrinking with tolerance.
//!
//! The exact solutions are written here from the element values of each
//! circuit, independently of the `exact` functions of the reference cases
//! (which the first test checks against them).

use atscale_circuit::{ElementKind, FlatCircuit};
use atscale_sim::reference::{self, ReferenceCase};

/// The value of the element `name` (Ohm, F or H) and a capacitor's initial voltage.
fn value(c: &FlatCircuit, name: &str) -> (f64, f64) {
    let e = c.elements.iter().find(|e| e.name == name).unwrap();
    match &e.kind {
        ElementKind::Resistor { r_ohm, .. } => (*r_ohm, 0.0),
        ElementKind::Capacitor { c_farad, ic_volt, .. } => (*c_farad, ic_volt.unwrap_or(0.0)),
        ElementKind::Inductor { l_henry, .. } => (*l_henry, 0.0),
        other => panic!("{name} is a {}", other.class_name()),
    }
}

/// The closed-form voltage of node `a` of the reference case.
///
/// RC: `C v' = -v/R`, `v(0) = V0`: `v = V0 exp(-t/(RC))`.
/// Series RLC from `C` at `V0`, no inductor current: `v'' + (R/L) v' +
/// v/(LC) = 0` with `v(0) = V0`, `v'(0) = 0`; underdamped,
/// `v = V0 exp(-a t) (cos(wd t) + (a/wd) sin(wd t))`, `a = R/(2L)`,
/// `wd = sqrt(1/(LC) - a²)`.
fn closed_form(case: &ReferenceCase) -> Box<dyn Fn(f64) -> f64> {
    let c = &case.circuit;
    let (r, _) = value(c, "R1");
    let (cap, v0) = value(c, "C1");
    match case.name {
        "rc" => Box::new(move |t: f64| v0 * (-t / (r * cap)).exp()),
        "rlc" => {
            let (l, _) = value(c, "L1");
            let a = r / (2.0 * l);
            let wd = (1.0 / (l * cap) - a * a).sqrt();
            Box::new(move |t: f64| v0 * (-a * t).exp() * ((wd * t).cos() + a / wd * (wd * t).sin()))
        }
        other => panic!("no closed form for {other}"),
    }
}

fn max_error(case: &ReferenceCase, reltol: f64) -> f64 {
    let res = case.simulation().unwrap().reltol(reltol).run().unwrap();
    let exact = closed_form(case);
    let v = res.trace(case.signal).unwrap();
    res.time.iter().zip(v).map(|(t, v)| (v - exact(*t)).abs()).fold(0.0, f64::max)
}

#[test]
fn the_reference_exact_waveforms_are_the_closed_forms() {
    for case in [reference::rc(), reference::rlc()] {
        let (mine, theirs) = (closed_form(&case), case.exact.unwrap());
        for k in 0..=200 {
            let t = case.tstop * f64::from(k) / 200.0;
            let (a, b) = (mine(t), theirs(t));
            // Same formula, evaluated in another order: rounding only.
            assert!((a - b).abs() <= 1e-15, "{} at {t}: {a} vs {b}", case.name);
        }
    }
}

#[test]
fn rc_matches_exponential_within_tolerance() {
    let case = reference::rc();
    // Measured 1.79e-6 V at reltol 1e-3 (amplitude 1 V); 1e-5 V is a 5.6x margin.
    let e = max_error(&case, 1e-3);
    assert!(e < 1e-5, "RC max error {e}");
}

#[test]
fn rlc_matches_ring_down_within_tolerance() {
    let case = reference::rlc();
    // Measured 2.80e-6 V at reltol 1e-3 (amplitude 1 V); 1.5e-5 V is a 5.4x margin.
    let e = max_error(&case, 1e-3);
    assert!(e < 1.5e-5, "RLC max error {e}");
}

#[test]
fn error_shrinks_over_three_decades() {
    // Measured (RC, RLC) max errors at reltol 1e-2 .. 1e-5:
    // RC 1.51e-5, 1.79e-6, 2.02e-7, 2.43e-8; RLC 1.79e-5, 2.80e-6, 2.03e-7, 6.73e-8.
    for case in [reference::rc(), reference::rlc()] {
        let errs: Vec<f64> = [1e-2, 1e-3, 1e-4, 1e-5].iter().map(|&rt| max_error(&case, rt)).collect();
        for w in errs.windows(2) {
            assert!(w[1] < w[0], "{}: errors {errs:?}", case.name);
        }
        assert!(errs[3] < errs[0] / 100.0, "{}: errors {errs:?}", case.name);
        // At reltol 1e-2 the error is measured at 1.5e-5 (RC) and 1.8e-5 (RLC): 1e-4 is a 5.6x margin.
        assert!(errs[0] < 1e-4, "{}: errors {errs:?}", case.name);
    }
}

#[test]
fn output_at_requested_times_interpolates() {
    let case = reference::rc();
    let times: Vec<f64> = (0..=10).map(|k| k as f64 * 4e-4).collect();
    let res = case.simulation().unwrap().output(atscale_sim::Output::Times(times.clone())).run().unwrap();
    assert_eq!(res.time, times);
    let exact = closed_form(&case);
    for (t, v) in res.time.iter().zip(res.trace("a").unwrap()) {
        // Measured at most 1.28e-6 V over these times; 1e-5 V is a 7.8x margin.
        assert!((v - exact(*t)).abs() < 1e-5, "at {t}: {v} vs {}", exact(*t));
    }
}
