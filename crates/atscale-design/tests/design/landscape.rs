//! Landscapes per timescale, classification against simulation, fingerprints.

use atscale_circuit::{Element, ElementKind, FlatCircuit, ResistiveLaw, Waveform};
use atscale_design::landscape::{self, linspace, Behaviour, FoldKind, Membrane, Nature};
use atscale_sim::{reference, Direction, Simulation};

fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
    Element { name: name.into(), kind }
}

fn cap(v0: f64) -> Element<f64> {
    el("C1", ElementKind::Capacitor { p: "v".into(), n: "0".into(), c_farad: 1.0, ic_volt: Some(v0) })
}

fn bias(i: f64) -> Element<f64> {
    el(
        "Iext",
        ElementKind::CurrentSource {
            p: "0".into(),
            n: "v".into(),
            waveform: Waveform::Dc { value: i },
            dc: None,
        },
    )
}

fn cubic() -> Element<f64> {
    el(
        "Rnl",
        ElementKind::NonlinearResistor {
            p: "v".into(),
            n: "0".into(),
            law: ResistiveLaw::Cubic { a: 1.0 / 3.0, b: 1.0 },
        },
    )
}

fn flat(elements: Vec<Element<f64>>) -> FlatCircuit {
    FlatCircuit { title: "test".into(), models: Vec::new(), elements }
}

/// The FitzHugh-Nagumo reference with its bias current replaced.
fn fhn(i_ext: f64) -> FlatCircuit {
    let mut c = reference::fitzhugh_nagumo().circuit;
    for e in &mut c.elements {
        if let ElementKind::CurrentSource { waveform, .. } = &mut e.kind {
            *waveform = Waveform::Dc { value: i_ext };
        }
    }
    c
}

fn grid() -> Vec<f64> {
    linspace(-3.0, 3.0, 601)
}

/// Rising crossings of v = 1 (hysteresis 0.5) from rest-like initial state.
fn spikes(circuit: &FlatCircuit, tstop: f64) -> Vec<f64> {
    Simulation::new(circuit)
        .unwrap()
        .tstop(tstop)
        .uic(true)
        .probe("v")
        .event("v", 1.0, 0.5, Direction::Rising)
        .run()
        .unwrap()
        .event_times("v")
}

/// The real roots of `v³/3 - v = i`, ascending (trigonometric form, |i| < 2/3).
fn cubic_roots(i: f64) -> Vec<f64> {
    // v = 2 cos(θ), 8cos³θ/3 - 2cosθ = (2/3)(4cos³θ - 3cosθ) = (2/3) cos 3θ.
    let phi = (1.5 * i).acos();
    let mut r: Vec<f64> =
        (0..3).map(|k| 2.0 * ((phi + 2.0 * std::f64::consts::PI * f64::from(k)) / 3.0).cos()).collect();
    r.sort_by(f64::total_cmp);
    r
}

#[test]
fn cubic_landscape_has_three_critical_points_iff_bias_below_two_thirds() {
    for (i, n) in [(0.5, 3), (0.8, 1), (-0.5, 3), (-0.8, 1)] {
        let c = flat(vec![cap(0.0), cubic(), bias(i)]);
        let curve = landscape::iv_curve(&c, "v", 0.0, 0.0, &grid()).unwrap();
        assert_eq!(curve.critical_points().len(), n, "I = {i}: {:?}", curve.critical_points());
        if n == 3 {
            let want = cubic_roots(i);
            for (cp, w) in curve.critical_points().iter().zip(&want) {
                // Measured at most 6.7e-16; 1e-14 is a 15x margin.
                assert!((cp.v_volt - w).abs() <= 1e-14, "I = {i}: root {} vs exact {w}", cp.v_volt);
            }
            let natures: Vec<Nature> = curve.critical_points().iter().map(|c| c.nature).collect();
            assert_eq!(natures, [Nature::Well, Nature::Barrier, Nature::Well]);
            assert_eq!(curve.wells(), 2);
        } else {
            // The single root, by Cardano.
            let v = curve.critical_points()[0].v_volt;
            // Measured at most 2.2e-16; 1e-14 is a 45x margin (a few ulp of the terms).
            assert!((v * v * v / 3.0 - v - i).abs() <= 1e-14, "I = {i}: residual at {v}");
            assert_eq!(curve.critical_points()[0].nature, Nature::Well);
        }
        // The potential is P(v) = v⁴/12 - v²/2 - I v up to a constant.
        let g = grid();
        let exact = |v: f64| v.powi(4) / 12.0 - v * v / 2.0 - i * v;
        for (k, v) in g.iter().enumerate() {
            let want = exact(*v) - exact(g[0]);
            assert!(
                // Measured at most 6.2e-15; 1e-13 is a 16x margin.
                (curve.potential_j[k] - want).abs() <= 1e-13,
                "P({v}) = {} vs {want}",
                curve.potential_j[k]
            );
        }
    }
}

#[test]
fn cubic_folds_are_at_plus_minus_two_thirds() {
    let c = flat(vec![cap(0.0), cubic()]);
    let curve = landscape::iv_curve(&c, "v", 0.0, 0.0, &grid()).unwrap();
    let folds = curve.folds();
    assert_eq!(folds.len(), 2, "{folds:?}");
    assert_eq!(folds[0].kind, FoldKind::Maximum);
    assert_eq!(folds[1].kind, FoldKind::Minimum);
    // Measured 2.5e-9 and 9.1e-9 V; 1e-7 V is an 11x margin.
    assert!((folds[0].v_volt + 1.0).abs() < 1e-7, "{folds:?}");
    assert!((folds[1].v_volt - 1.0).abs() < 1e-7, "{folds:?}");
    // Thresholds and fold currents below: measured exactly 0; 1e-15 is 9 ulp of 2/3.
    assert!((folds[0].threshold_amp - 2.0 / 3.0).abs() <= 1e-15, "{folds:?}");
    assert!((folds[1].threshold_amp + 2.0 / 3.0).abs() <= 1e-15, "{folds:?}");
    // With a bias the fold currents of I_tau shift by it, the thresholds do not.
    let c = flat(vec![cap(0.0), cubic(), bias(0.25)]);
    let curve = landscape::iv_curve(&c, "v", 0.0, 0.0, &grid()).unwrap();
    assert!((curve.folds()[0].current_a - (2.0 / 3.0 - 0.25)).abs() <= 1e-15);
    assert!((curve.folds()[0].threshold_amp - 2.0 / 3.0).abs() <= 1e-15);
}

#[test]
fn fhn_timescales_and_fingerprint() {
    let c = fhn(0.5);
    let ts = landscape::timescales(&c, "v", 0.0).unwrap();
    let taus: Vec<f64> = ts.iter().map(|t| t.tau_s).collect();
    assert_eq!(ts.len(), 2, "{ts:?}");
    assert_eq!(taus[0], 0.0);
    // Both time constants measured exactly; 1e-14 is 6 ulp of 15.625.
    assert!((taus[1] - 12.5 / 0.8).abs() < 1e-14, "L/R: {taus:?}");
    // The Norton form of the same branch (reference chain cell) gives the same.
    let m = Membrane::new(&reference::fhn_chain(1, 10.0).circuit, "v0").unwrap();
    assert!((m.distinct_timescales(0.0)[0] - 15.625).abs() < 1e-14);
    let fp = landscape::fingerprint(&c, "v", -0.8, &[0.0, 1.0, 15.625, 100.0], &grid()).unwrap();
    let counts: Vec<usize> = fp.iter().map(|f| f.1).collect();
    assert_eq!(counts, [3, 3, 1, 1], "{fp:?}");
}

#[test]
fn fhn_spiking_and_excitable_agree_with_simulation() {
    let spiking = landscape::classify(&fhn(0.5), "v", &grid()).unwrap();
    eprintln!("FHN I=0.5: v* = {} fingerprint {:?}", spiking.v_op_volt, spiking.fingerprint);
    assert_eq!(spiking.behaviour, Behaviour::TonicSpiking);
    let ev = spikes(&fhn(0.5), 400.0);
    assert!(ev.len() >= 9, "tonic spiking: {ev:?}");

    let excitable = landscape::classify(&fhn(0.0), "v", &grid()).unwrap();
    eprintln!("FHN I=0: v* = {} fingerprint {:?}", excitable.v_op_volt, excitable.fingerprint);
    assert_eq!(excitable.behaviour, Behaviour::Excitable);
    // Started at rest it stays there.
    let v_rest = excitable.v_op_volt;
    let il_rest = (v_rest + 0.7) / 0.8;
    let mut rest = fhn(0.0);
    for e in &mut rest.elements {
        match &mut e.kind {
            ElementKind::Capacitor { ic_volt, .. } => *ic_volt = Some(v_rest),
            ElementKind::Inductor { ic_amp, .. } => *ic_amp = Some(il_rest),
            _ => {}
        }
    }
    assert!(spikes(&rest, 300.0).is_empty());
    // The fast landscape around rest: the barrier is the threshold.
    let fast = &excitable.curves[0];
    assert_eq!(fast.critical_points().len(), 3);
    assert_eq!(fast.critical_points()[0].nature, Nature::Well);
    // Measured 2.2e-16 V; 2e-15 V is a 9x margin.
    assert!((fast.critical_points()[0].v_volt - v_rest).abs() < 2e-15);
    // A brief pulse above threshold gives one spike, one below gives none.
    let pulsed = |amp: f64| {
        let mut c = rest.clone();
        c.elements.push(el(
            "Ipulse",
            ElementKind::CurrentSource {
                p: "0".into(),
                n: "v".into(),
                waveform: Waveform::Pulse {
                    v1: 0.0,
                    v2: amp,
                    td: Some(20.0),
                    tr: Some(0.01),
                    tf: Some(0.01),
                    pw: Some(1.0),
                    per: None,
                    np: None,
                },
                dc: None,
            },
        ));
        c
    };
    // The classification sees the pulse at its base level.
    assert_eq!(landscape::classify(&pulsed(2.0), "v", &grid()).unwrap().behaviour, Behaviour::Excitable);
    let above = spikes(&pulsed(2.0), 300.0);
    assert_eq!(above.len(), 1, "pulse above threshold: {above:?}");
    assert!(above[0] > 20.0);
    let below = spikes(&pulsed(0.2), 300.0);
    assert!(below.is_empty(), "pulse below threshold: {below:?}");
}

#[test]
fn tanh_spiker_classifies_as_spiking() {
    let case = reference::tanh_spiker();
    let c = landscape::classify(&case.circuit, "v", &grid()).unwrap();
    eprintln!("tanh spiker: v* = {} fingerprint {:?}", c.v_op_volt, c.fingerprint);
    assert_eq!(c.behaviour, Behaviour::TonicSpiking);
    // Measured exactly 0; 1e-15 is 9 ulp of 0.7.
    assert!((c.v_op_volt + 0.7).abs() < 1e-15, "coarse equilibrium v + 0.7 = 0: {}", c.v_op_volt);
    let ts = landscape::timescales(&case.circuit, "v", 0.0).unwrap();
    assert_eq!(ts.iter().map(|t| t.tau_s).collect::<Vec<_>>(), [0.0, 0.0, 20.0]);
    assert_eq!(ts[2].state, Some(0));
    let ev = case.simulation().unwrap().run().unwrap().event_times("v");
    assert!(ev.len() >= 5, "{ev:?}");
}

#[test]
fn cubic_without_recovery_is_bistable_and_rc_monostable() {
    let c = flat(vec![cap(0.0), cubic()]);
    let cl = landscape::classify(&c, "v", &grid()).unwrap();
    assert_eq!(cl.behaviour, Behaviour::Bistable);
    assert_eq!(cl.fingerprint, [(0.0, 3)]);
    let rc = reference::rc();
    let node = rc.signal;
    let cl = landscape::classify(&rc.circuit, node, &grid()).unwrap();
    assert_eq!(cl.behaviour, Behaviour::Monostable);
    // Measured exactly 0 (the RC rests at 0 V); 1e-15 V only admits rounding.
    assert!(cl.v_op_volt.abs() < 1e-15);
}

#[test]
fn errors_name_what_is_wrong() {
    let c = flat(vec![cubic()]);
    let err = landscape::classify(&c, "v", &grid()).unwrap_err();
    assert!(err.to_string().contains("no capacitor"), "{err}");
    let c = flat(vec![cap(0.0), cubic()]);
    let err = landscape::iv_curve(&c, "v", 0.0, 0.0, &[0.0, 1.0]).unwrap_err();
    assert!(err.to_string().contains("strictly increasing"), "{err}");
}

/// The landscape classification agrees with the behaviour each template
/// shows in simulation (checked by the templates' own tests): spiking,
/// bursting (a double well at the slow scale too), bistable, excitable.
#[test]
fn classification_agrees_with_the_templates_behaviour() {
    use atscale_design::templates::{self, Setting};
    for (t, fingerprint) in [
        (templates::four_conductance(Setting::Spiking), vec![(0.0, 3), (50.0, 1), (2500.0, 1)]),
        (templates::four_conductance(Setting::Bursting), vec![(0.0, 3), (50.0, 3), (2500.0, 1)]),
        (templates::bistable_switch(), vec![(0.0, 3)]),
        (templates::fitzhugh_nagumo(0.0), vec![(0.0, 3), (15.625, 1)]),
        (templates::fitzhugh_nagumo(0.5), vec![(0.0, 3), (15.625, 1)]),
    ] {
        let c = landscape::classify(&t.circuit, &t.membrane, &grid()).unwrap();
        assert_eq!(c.behaviour, t.behaviour, "{}", t.name);
        assert_eq!(c.fingerprint, fingerprint, "{}", t.name);
    }
}
