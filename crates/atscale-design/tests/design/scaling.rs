//! Scaling invariance (theory section 4): events at `omega` times, amplitudes
//! `s` times the mother's, and an exact round trip.

use atscale_circuit::expr::Expr;
use atscale_circuit::{
    Element, ElementKind, FlatCircuit, Gate, MemristiveLaw, Relaxation, ResistiveLaw, Slope, SoftplusTerm,
    StateTerm, Waveform,
};
use atscale_design::scaling::{to_mother, to_physical, Scales};
use atscale_design::templates::{self, Setting, Template};
use atscale_sim::{Direction, Simulation};
use proptest::prelude::*;

/// Relative tolerance of a scaled event time against `omega` times the
/// mother's. Measured at most 1.96e-10 over 1,024 random scale sets of the
/// property test (s, omega from 1e-15 to 1e9, C0 from 1e-18 to 1e9), 2.3e-10
/// on the zoo and 6.0e-11 on the other templates; 2e-9 is a 9x margin.
const EVENT_REL_TOL: f64 = 2e-9;

/// Relative tolerance of a scaled membrane maximum against `s` times the
/// mother's. The maximum is taken over accepted time points, which differ
/// between the two runs: it agrees to the sampling of the peak. Measured at
/// most 1.25e-5 (four-conductance spiker) over the same 1,024 scale sets and
/// 2.7e-6 on the other templates; 1e-4 is an 8x margin.
const MAX_REL_TOL: f64 = 1e-4;

/// Events and the maximum of the membrane of `c`, run for `tstop` with
/// tolerances scaled by `sc` (base 1e-9 in model units, reltol 1e-8).
fn run(c: &FlatCircuit, t: &Template, tstop: f64, sc: &Scales) -> (Vec<f64>, f64) {
    let base = 1e-9;
    let r = Simulation::new(c)
        .unwrap()
        .tstop(tstop)
        .uic(true)
        .reltol(1e-8)
        .vntol(base * sc.s_volt)
        .abstol(base * sc.current_a())
        .chgtol(base * sc.s_volt * sc.c0_farad)
        .statetol(base * sc.s_volt.min(1.0))
        .probe(&t.membrane)
        .event(&t.membrane, t.threshold * sc.s_volt, t.hysteresis * sc.s_volt, Direction::Rising)
        .run()
        .unwrap();
    let max = r.trace(&t.membrane).unwrap().iter().cloned().fold(f64::MIN, f64::max);
    (r.event_times(&t.membrane), max)
}

fn tanh_spiker() -> Template {
    let case = atscale_sim::reference::tanh_spiker();
    Template { circuit: case.circuit, threshold: 0.0, ..templates::four_conductance(Setting::Spiking) }
}

fn quick_templates() -> Vec<(Template, f64)> {
    vec![
        (templates::fitzhugh_nagumo(0.5), 70.0),
        (tanh_spiker(), 60.0),
        (templates::four_conductance(Setting::Spiking), 150.0),
        (templates::bistable_switch(), 10.0),
        (templates::fitzhugh_nagumo(0.0).with_pulse(1.0, 5.0, 2.0), 20.0),
    ]
}

fn check_invariance(sc: &Scales) {
    let unit = Scales::default();
    for (t, tstop) in quick_templates() {
        let (ev_m, max_m) = run(&t.circuit, &t, tstop, &unit);
        let phys = to_physical(&t.circuit, sc).unwrap();
        let (ev_p, max_p) = run(&phys, &t, tstop * sc.omega_s, sc);
        assert!(!ev_m.is_empty(), "{}: mother has events", t.name);
        assert_eq!(ev_m.len(), ev_p.len(), "{} at {sc:?}: {ev_m:?} vs {ev_p:?}", t.name);
        for (m, p) in ev_m.iter().zip(&ev_p) {
            let want = m * sc.omega_s;
            assert!(
                (p - want).abs() <= EVENT_REL_TOL * want,
                "{} at {sc:?}: event {p:e} vs {want:e}",
                t.name
            );
        }
        let want = max_m * sc.s_volt;
        assert!(
            (max_p - want).abs() <= MAX_REL_TOL * want.abs(),
            "{} at {sc:?}: max {max_p:e} vs {want:e}",
            t.name
        );
    }
}

#[test]
fn invariance_at_extreme_scales() {
    check_invariance(&Scales::new(0.1, 1e-3, 1e-12).unwrap());
    check_invariance(&Scales::new(1e-9, 1e3, 1e-9).unwrap());
    check_invariance(&Scales::new(1e3, 1e-9, 1e3).unwrap());
}

proptest! {
    // 128 cases take 3 s (optimised test profile). The scales span 24
    // decades (27 for C0): from 1 fV, 1 fs and 1 aF per model unit to 1e9.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn events_scale_by_omega_and_amplitudes_by_s(ls in -15.0f64..9.0, lw in -15.0f64..9.0, lc in -18.0f64..9.0) {
        let sc = Scales::new(10f64.powf(ls), 10f64.powf(lw), 10f64.powf(lc)).unwrap();
        check_invariance(&sc);
    }

    #[test]
    fn round_trip_is_exact(ls in -9.0f64..3.0, lw in -9.0f64..3.0, lc in -9.0f64..3.0) {
        let sc = Scales { epsilon_m: 1e-6, ..Scales::new(10f64.powf(ls), 10f64.powf(lw), 10f64.powf(lc)).unwrap() };
        for c in round_trip_circuits() {
            let back = to_mother(&to_physical(&c, &sc).unwrap(), &sc).unwrap();
            assert_close_json(
                &serde_json::to_value(&c).unwrap(),
                &serde_json::to_value(&back).unwrap(),
                &c.title,
            );
        }
        // Kinetic rates come back equal in value.
        let hh = templates::hodgkin_huxley().circuit;
        let back = to_mother(&to_physical(&hh, &sc).unwrap(), &sc).unwrap();
        for (a, b) in hh.elements.iter().zip(&back.elements) {
            for (ea, eb) in a.kind.expressions().iter().zip(b.kind.expressions()) {
                for v in [-80.0, -55.5, -20.0, 10.0] {
                    let at = |e: &Expr| e.eval_const(&mut |n| (n == "v").then_some(v)).unwrap();
                    let (x, y) = (at(ea), at(eb));
                    // Measured at most 3.1e-15 relative; 3e-14 is a 9.6x margin.
                    assert!((x - y).abs() <= 3e-14 * x.abs(), "{}: {x} vs {y}", a.name);
                }
            }
        }
    }
}

fn assert_close_json(a: &serde_json::Value, b: &serde_json::Value, what: &str) {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            // Measured at most 5e-16 relative; 5e-15 is a 10x margin.
            assert!((x - y).abs() <= 5e-15 * x.abs(), "{what}: {x} vs {y}");
        }
        (J::Array(x), J::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{what}");
            x.iter().zip(y).for_each(|(x, y)| assert_close_json(x, y, what));
        }
        (J::Object(x), J::Object(y)) => {
            assert_eq!(x.len(), y.len(), "{what}: {x:?} vs {y:?}");
            for (k, v) in x {
                assert_close_json(v, &y[k], &format!("{what}.{k}"));
            }
        }
        _ => assert_eq!(a, b, "{what}"),
    }
}

fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
    Element { name: name.into(), kind }
}

/// Every resistive law family, gates and GLM over linear states, and every waveform.
fn zoo() -> FlatCircuit {
    let nl = |name: &str, law| el(name, ElementKind::NonlinearResistor { p: "v".into(), n: "0".into(), law });
    let src = |name: &str, waveform| {
        el(name, ElementKind::CurrentSource { p: "0".into(), n: "v".into(), waveform, dc: Some(0.1) })
    };
    FlatCircuit {
        title: "zoo".into(),
        models: vec![],
        elements: vec![
            el(
                "C1",
                ElementKind::Capacitor { p: "v".into(), n: "0".into(), c_farad: 2.0, ic_volt: Some(0.3) },
            ),
            el("L1", ElementKind::Inductor { p: "v".into(), n: "0".into(), l_henry: 3.0, ic_amp: Some(0.2) }),
            nl("N1", ResistiveLaw::Tanh { alpha: -2.0, delta: 0.1, w: 0.5 }),
            nl("N2", ResistiveLaw::Logistic { alpha: 1.0, a: 3.0, c: -0.2 }),
            nl("N3", ResistiveLaw::Softplus { alpha: 0.5, a: -2.0, c: 0.4 }),
            nl("N4", ResistiveLaw::Glm { g0: 0.1, terms: vec![SoftplusTerm { w: 0.7, a: 4.0, c: 0.1 }] }),
            nl("N5", ResistiveLaw::Pwl { points: vec![(-1.0, -0.5), (0.0, 0.0), (2.0, 3.0)] }),
            el(
                "M1",
                ElementKind::Memristive {
                    p: "v".into(),
                    n: "0".into(),
                    states: vec![Relaxation::Linear { tau_s: 5.0, x0: -0.4 }],
                    law: MemristiveLaw::Gates {
                        gbar: 1.5,
                        e_volt: 0.8,
                        gates: vec![Gate { state: 0, power: 2, logistic: Some(Slope { a: 5.0, c: 0.1 }) }],
                    },
                },
            ),
            el(
                "M2",
                ElementKind::Memristive {
                    p: "v".into(),
                    n: "0".into(),
                    states: vec![Relaxation::Linear { tau_s: 7.0, x0: 0.2 }],
                    law: MemristiveLaw::Glm {
                        gbar: 0.3,
                        e_volt: -0.5,
                        terms: vec![StateTerm { state: 0, w: 1.2, a: -3.0, c: 0.25 }],
                    },
                },
            ),
            src(
                "I1",
                Waveform::Sin {
                    vo: 0.1,
                    va: 0.2,
                    freq: Some(0.05),
                    td: Some(1.0),
                    theta: Some(0.01),
                    phase: Some(30.0),
                },
            ),
            src(
                "I2",
                Waveform::Exp {
                    v1: 0.0,
                    v2: 1.0,
                    td1: Some(1.0),
                    tau1: Some(2.0),
                    td2: Some(5.0),
                    tau2: Some(3.0),
                },
            ),
            src("I3", Waveform::Pwl { points: vec![(0.0, 0.0), (1.0, 2.0), (4.0, -1.0)] }),
            el(
                "V1",
                ElementKind::VoltageSource {
                    p: "b".into(),
                    n: "0".into(),
                    waveform: Waveform::Pulse {
                        v1: 0.0,
                        v2: 1.0,
                        td: Some(1.0),
                        tr: Some(0.1),
                        tf: Some(0.2),
                        pw: Some(2.0),
                        per: Some(10.0),
                        np: Some(3.0),
                    },
                    dc: Some(0.5),
                },
            ),
            el("R1", ElementKind::Resistor { p: "b".into(), n: "v".into(), r_ohm: 4.0 }),
        ],
    }
}

fn round_trip_circuits() -> Vec<FlatCircuit> {
    let mut out: Vec<FlatCircuit> = quick_templates().into_iter().map(|(t, _)| t.circuit).collect();
    out.push(templates::four_conductance(Setting::Bursting).circuit);
    out.push(templates::cable(3, templates::Compartment::FitzHughNagumo, 0.5).unwrap().circuit);
    out.push(zoo());
    out
}

/// Events of `v` through `threshold` (both directions, hysteresis 0.05
/// model units) and `v` at `times`, for the zoo at scales `sc` (tolerances
/// scaled as in [`run`]; its memristive states are voltages).
fn run_zoo(c: &FlatCircuit, sc: &Scales, threshold: f64, times: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let base = 1e-9;
    let r = Simulation::new(c)
        .unwrap()
        .tstop(40.0 * sc.omega_s)
        .uic(true)
        .reltol(1e-8)
        .vntol(base * sc.s_volt)
        .abstol(base * sc.current_a())
        .chgtol(base * sc.s_volt * sc.c0_farad)
        .statetol(base * sc.s_volt)
        .probe("v")
        .event("v", threshold * sc.s_volt, 0.05 * sc.s_volt, Direction::Both)
        .output(atscale_sim::Output::Times(times.iter().map(|t| t * sc.omega_s).collect()))
        .run()
        .unwrap();
    (r.event_times("v"), r.trace("v").unwrap().to_vec())
}

/// The zoo (every law family, both memristive laws, every waveform) scaled:
/// its crossings of four levels happen at `omega` times the mother's and its
/// voltage at `omega t` is `s` times the mother's at `t`.
#[test]
fn zoo_runs_and_scales() {
    let c = zoo();
    let unit = Scales::default();
    let times: Vec<f64> = (0..=80).map(|k| 0.5 * f64::from(k)).collect();
    for sc in [
        Scales::new(0.05, 2e-3, 1e-9).unwrap(),
        Scales::new(0.1, 1e-3, 1e-12).unwrap(),
        Scales::new(1e-9, 1e3, 1e-9).unwrap(),
        Scales::new(1e3, 1e-9, 1e3).unwrap(),
    ] {
        let p = to_physical(&c, &sc).unwrap();
        let cc: atscale_circuit::Circuit = p.clone().into();
        cc.check().unwrap();
        let mut worst_event: f64 = 0.0;
        let mut worst_v: f64 = 0.0;
        for threshold in [-1.0, -0.6, -0.3, 0.0] {
            let (ev_m, v_m) = run_zoo(&c, &unit, threshold, &times);
            let (ev_p, v_p) = run_zoo(&p, &sc, threshold, &times);
            assert!(ev_m.len() >= 2, "the mother crosses {threshold}: {ev_m:?}");
            assert_eq!(ev_m.len(), ev_p.len(), "at {sc:?}, level {threshold}: {ev_m:?} vs {ev_p:?}");
            for (m, p) in ev_m.iter().zip(&ev_p) {
                worst_event = worst_event.max((p / sc.omega_s - m).abs() / m);
            }
            for (m, p) in v_m.iter().zip(&v_p) {
                worst_v = worst_v.max((p / sc.s_volt - m).abs());
            }
        }
        assert!(worst_event <= EVENT_REL_TOL, "at {sc:?}: events differ by {worst_event:e} of their time");
        // Measured at most 5.9e-10 model units (at s = 1 kV); 5e-9 is an 8.5x margin.
        assert!(worst_v <= 5e-9, "at {sc:?}: v differs by {worst_v:e} model units");
    }
}

#[test]
fn devices_and_bad_scales_are_errors() {
    let e = Scales::new(0.0, 1.0, 1.0).unwrap_err().to_string();
    assert!(e.contains("amplitude scale s (V per model unit)"), "{e}");
    let e = Scales::new(1.0, f64::NAN, 1.0).unwrap_err().to_string();
    assert!(e.contains("time scale omega"), "{e}");
    let mut c = zoo();
    c.elements
        .push(el("D1", ElementKind::Diode { p: "v".into(), n: "0".into(), model: "d".into(), area: None }));
    let e = to_physical(&c, &Scales::default()).unwrap_err().to_string();
    assert!(e.contains("D1") && e.contains("not scalable"), "{e}");
}

/// The templates not in the property test (slower ones, or without spikes):
/// events (when the template has any in the window) at `omega` times the
/// mother's and membrane maxima at `s` times, at two extreme scale sets.
#[test]
fn every_other_template_scales_too() {
    let unit = Scales::default();
    let others: Vec<(Template, f64)> = vec![
        (templates::four_conductance(Setting::Bursting), 400.0),
        (templates::hodgkin_huxley(), 20.0),
        (templates::cable(3, templates::Compartment::FitzHughNagumo, 1.0).unwrap(), 60.0),
        (templates::cable(4, templates::Compartment::Passive, 0.5).unwrap(), 5.0),
        (
            templates::hopfield(&[vec![true, false, true, false], vec![true, true, false, false]]).unwrap(),
            10.0,
        ),
    ];
    for sc in [Scales::new(0.1, 1e-3, 1e-12).unwrap(), Scales::new(1e-9, 1e3, 1e-9).unwrap()] {
        for (t, tstop) in &others {
            let (ev_m, max_m) = run(&t.circuit, t, *tstop, &unit);
            let phys = to_physical(&t.circuit, &sc).unwrap();
            let (ev_p, max_p) = run(&phys, t, tstop * sc.omega_s, &sc);
            assert_eq!(ev_m.len(), ev_p.len(), "{} at {sc:?}", t.name);
            for (m, p) in ev_m.iter().zip(&ev_p) {
                let want = m * sc.omega_s;
                assert!(
                    (p - want).abs() <= EVENT_REL_TOL * want,
                    "{} at {sc:?}: event {p:e} vs {want:e}",
                    t.name
                );
            }
            let want = max_m * sc.s_volt;
            assert!(
                (max_p - want).abs() <= MAX_REL_TOL * want.abs().max(1e-12 * sc.s_volt),
                "{}: max {max_p:e} vs {want:e}",
                t.name
            );
        }
    }
}

/// `with_reference` moves what reads a node against ground, and only that:
/// `v(a)` and `v(a, 0)` lose the reference, `v(0, a)` gains it, `v(a, b)`
/// stays; a capacitor to ground starts that much higher, one between two
/// nodes does not; a resistor is refused by name.
#[test]
fn with_reference_moves_only_what_reads_a_node_against_ground() {
    use atscale_circuit::{Element, ElementKind, FlatCircuit};
    use atscale_design::scaling::with_reference;
    let el = |name: &str, kind| Element { name: name.into(), kind };
    let expr = Expr::parse("v(a) + v(a, 0) + v(0, a) + v(a, b)").unwrap();
    let c = FlatCircuit {
        title: "t".into(),
        models: vec![],
        elements: vec![
            el("B1", ElementKind::BehaviouralCurrent { p: "0".into(), n: "a".into(), expr }),
            el(
                "C1",
                ElementKind::Capacitor { p: "a".into(), n: "0".into(), c_farad: 1e-12, ic_volt: Some(0.1) },
            ),
            el(
                "C2",
                ElementKind::Capacitor { p: "0".into(), n: "b".into(), c_farad: 1e-12, ic_volt: Some(0.1) },
            ),
            el(
                "C3",
                ElementKind::Capacitor { p: "a".into(), n: "b".into(), c_farad: 1e-12, ic_volt: Some(0.1) },
            ),
        ],
    };
    let m = with_reference(&c, 1.65).unwrap();
    let want = Expr::parse("(v(a) - 1.65) + (v(a, 0) - 1.65) + (v(0, a) + 1.65) + v(a, b)").unwrap();
    let ElementKind::BehaviouralCurrent { expr, .. } = &m.elements[0].kind else {
        panic!("{:?}", m.elements[0])
    };
    assert_eq!(expr.to_string(), want.to_string());
    let ic = |k: usize| match &m.elements[k].kind {
        ElementKind::Capacitor { ic_volt, .. } => ic_volt.unwrap(),
        k => panic!("{k:?}"),
    };
    assert!((ic(1) - 1.75).abs() < 1e-12 && (ic(2) + 1.55).abs() < 1e-12 && (ic(3) - 0.1).abs() < 1e-12);
    let mut r = c.clone();
    r.elements.push(el("R1", ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: 1e6 }));
    let err = with_reference(&r, 1.65).unwrap_err().to_string();
    assert!(err.contains("R1") && err.contains("1.65 V"), "{err}");
}
