//! `Realisation::with_ideal_blocks`: the transistor circuit with some
//! blocks replaced by their part of the ideal model, in physical units at
//! the realisation's reference voltage; and the ideal model of linearised
//! followers.

use atscale_circuit::ElementKind;
use atscale_design::realise::{predict, realise, DeviceKind, Options, Realisation, Technology};
use atscale_design::spec::{design, Design, Spec};
use atscale_sim::{Direction, Simulation};

/// The example design spec `name` (under docs/examples/), designed.
fn example(name: &str) -> Design {
    let path = format!("{}/../../docs/examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("the example");
    design(&Spec::from_toml_str(&text, name).expect("spec")).expect("design")
}

fn spiker() -> (Design, Realisation) {
    let d = example("tonic-spiking-100hz.toml");
    let tech = Technology::builtin("generic-bsim4").expect("built-in");
    let r = realise(&d, &tech, &Options::default()).expect("realises");
    (d, r)
}

/// Symmetric amplifiers and linearised followers.
fn linearised() -> Options {
    use atscale_design::realise::{Amplifier, Followers};
    Options { amplifier: Amplifier::Symmetric, followers: Followers::Linearised, ..Options::default() }
}

/// `d`'s event threshold and hysteresis, model volts.
fn event_model(d: &Design) -> (f64, f64) {
    (d.event.threshold_v / d.scales.s_volt, d.event.hysteresis_v / d.scales.s_volt)
}

/// The membrane's spike times of circuit `c` (a hybrid of realisation `r`,
/// in physical units) run in the native solver for `tstop_model` model
/// units, at the event of `d`.
fn hybrid_events(
    c: &atscale_circuit::FlatCircuit,
    r: &Realisation,
    d: &Design,
    tstop_model: f64,
) -> Vec<f64> {
    let ((th, hy), s) = (event_model(d), &r.scales);
    let res = Simulation::new(c)
        .expect("the hybrid circuit")
        .tstop(tstop_model * s.omega_s)
        .uic(true)
        .reltol(1e-7)
        .event(&r.membrane, s.v_ref_v + s.s_volt * th, s.s_volt * hy, Direction::Rising)
        .run()
        .expect("runs");
    res.event_times(&r.membrane).to_vec()
}

fn names(r: &Realisation, element: &str) -> Vec<String> {
    r.devices.iter().filter(|d| d.element == element).map(|d| d.name.clone()).collect()
}

/// One block: its devices go, its ideal sources come, the rest stays.
#[test]
fn an_ideal_block_replaces_exactly_its_devices() {
    let (_, r) = spiker();
    let gone = names(&r, "Rnl");
    assert!(gone.len() > 20, "{gone:?}");
    let c = r.with_ideal_blocks(&["Rnl".to_string()]).expect("hybrid");
    let has = |n: &str| c.elements.iter().any(|e| e.name == n);
    assert!(gone.iter().all(|n| !has(n)));
    assert!(has("BRnl") && !has("BL1") && names(&r, "L1").iter().all(|n| has(n)));
    assert_eq!(c.elements.len(), r.circuit.elements.len() - gone.len() + 1);
    let err = r.with_ideal_blocks(&["Gx".to_string()]).expect_err("no such block").to_string();
    assert!(err.contains("Gx") && err.contains("C1, Rnl, L1, Iext"), "{err}");
}

/// Every block ideal: no transistor is left, and the native solver runs
/// the circuit, model 0 V at half the supply (0.9 V), at the ideal model's
/// rate (computed in model units): the scales and the reference voltage
/// are exact.
#[test]
fn every_block_ideal_is_the_ideal_model_at_the_realisations_scales() {
    let (d, r) = spiker();
    let all: Vec<String> = ["C1", "Rnl", "L1", "Iext"].map(String::from).to_vec();
    let c = r.with_ideal_blocks(&all).expect("hybrid");
    assert!(c.elements.iter().all(|e| !matches!(e.kind, ElementKind::Mosfet { .. })));
    let (th, hy) = event_model(&d);
    let want = predict(&r, th, hy, 800.0).expect("prediction").rate_hz.expect("the ideal model spikes");
    let ev = hybrid_events(&c, &r, &d, 800.0);
    let n = ev.len();
    assert!(n > 8, "{ev:?}");
    let got = (n / 2 - 1) as f64 / (ev[n - 1] - ev[n / 2]);
    // The same model in model units and in volts, amperes and seconds.
    assert!((got / want - 1.0).abs() < 1e-3, "{got} Hz against {want} Hz");
}

/// Linearised followers (`lin(v)` in, `lin(x)` out) make the burster's
/// ideal model its design: 13 spikes per 500.3 ms against 500 ms (the
/// offset pairs': 13 per 471.9 ms, -5.6 %). Each follower is eighteen
/// amplifiers, and the run gets a shunt to ground at every node for its
/// operating point; the five-transistor amplifier is refused.
#[test]
fn linearised_followers_make_the_bursters_ideal_model_its_design() {
    use atscale_design::realise::Followers;
    let d = example("bursting.toml");
    let tech = Technology::builtin("generic-bsim4").expect("built-in");
    let (th, hy) = event_model(&d);
    let period = |followers| {
        let opts = Options { followers, ..linearised() };
        let r = realise(&d, &tech, &opts).expect("realises");
        let p = predict(&r, th, hy, 25_000.0).expect("prediction");
        assert_eq!(p.spikes_per_burst, Some(13));
        (p.burst_period_s.expect("bursts"), r)
    };
    let (lin, r) = period(Followers::Linearised);
    let (pairs, _) = period(Followers::OffsetPairs);
    // Measured 500.3 ms (the nine pairs' 1.2e-3 model units of bend) and 471.9 ms.
    assert!((lin / 0.5 - 1.0).abs() < 2e-3, "{lin}");
    assert!((pairs / 0.5 - 1.0) < -0.05, "{pairs}");
    let amplifiers =
        |tag: &str| r.devices.iter().filter(|x| x.name.starts_with(&format!("IMsp{tag}"))).count();
    assert_eq!((amplifiers("fi"), amplifiers("fo")), (9, 9));
    let shunt = r.run.rshunt_ohm.expect("a shunt");
    // 1 % of the smallest half bias at the full supply (1.8 V).
    let half_bias = r
        .devices
        .iter()
        .filter(|x| x.kind == DeviceKind::CurrentSource)
        .filter_map(|x| x.current_a)
        .map(|i| i.abs() / 2.0)
        .fold(f64::INFINITY, f64::min);
    assert!((1.8 / shunt / (1e-2 * half_bias) - 1.0).abs() < 1e-12, "{shunt} Ω, half bias {half_bias} A");
    let five = Options { followers: Followers::Linearised, ..Options::default() };
    let err = realise(&d, &tech, &five).expect_err("five-transistor").to_string();
    assert!(err.contains("linearised followers need the symmetric amplifiers"), "{err}");
}

/// A follower's offset (`Options::follower_offsets`) moves its output
/// pair's reference by as much, and nothing else: the reference source of
/// `Msn` (offset -0.88 model V) sits at `V_ref + s (-0.88 + o)`, every
/// other device and the ideal model are the same, and the block says so.
#[test]
fn a_follower_offset_moves_its_output_pairs_reference() {
    use atscale_design::realise::Followers;
    let d = example("bursting.toml");
    let tech = Technology::builtin("generic-bsim4").expect("built-in");
    let base = linearised();
    let plain = realise(&d, &tech, &base).expect("realises");
    let o = -0.004_7;
    let moved = Options { follower_offsets: vec![("Msn".into(), o)], ..base.clone() };
    let r = realise(&d, &tech, &moved).expect("realises");
    let gate = |r: &Realisation| {
        let pair = r.circuit.elements.iter().find(|e| e.name == "MMsn_n").expect("Msn's reference device");
        let ElementKind::Mosfet { g, .. } = &pair.kind else { panic!("{pair:?}") };
        let source = r
            .circuit
            .elements
            .iter()
            .find(|e| matches!(&e.kind, ElementKind::VoltageSource { p, .. } if p == g))
            .expect("a reference source");
        match &source.kind {
            ElementKind::VoltageSource { waveform: atscale_circuit::Waveform::Dc { value }, .. } => *value,
            k => panic!("{k:?}"),
        }
    };
    let s = r.scales.s_volt;
    let want = r.scales.v_ref_v + s * (-0.88 + o);
    assert!((gate(&r) - want).abs() < 1e-12, "{} V against {want} V", gate(&r));
    assert!((gate(&plain) - (want - s * o)).abs() < 1e-12, "{}", gate(&plain));
    assert_eq!(r.ideal_model, plain.ideal_model);
    // Every element but the moved reference source is the same.
    let moved = |e: &atscale_circuit::Element<f64>| {
        matches!(&e.kind, ElementKind::VoltageSource { waveform: atscale_circuit::Waveform::Dc { value }, .. }
            if (*value - want).abs() < 1e-12 || (*value - (want - s * o)).abs() < 1e-12)
    };
    let kept = |r: &Realisation| r.circuit.elements.iter().filter(|e| !moved(e)).cloned().collect::<Vec<_>>();
    assert_eq!(kept(&r), kept(&plain));
    assert_eq!(r.circuit.elements.len(), plain.circuit.elements.len());
    let block = r.blocks.iter().find(|b| b.element == "Msn").expect("Msn");
    let text = format!("the reference moved by {}", atscale_circuit::units::si(s * o, "V"));
    assert!(block.realises.contains(&text), "{block:?}");
    // An offset for an element without a linearised follower is refused.
    for (opts, element) in [
        (Options { follower_offsets: vec![("Rf".into(), o)], ..base.clone() }, "Rf"),
        (
            Options { followers: Followers::OffsetPairs, follower_offsets: vec![("Msn".into(), o)], ..base },
            "Msn",
        ),
    ] {
        let err = realise(&d, &tech, &opts).expect_err("refused").to_string();
        assert!(
            err.contains(&format!("element {element}")) && err.contains("no linearised follower"),
            "{err}"
        );
    }
}

/// An ideal follower takes its block's state capacitor (the realised one,
/// 50 pF for the ultraslow `Mus`, not the ideal model's unit 1 pF) with its
/// current scaled alike, so that the run's shunt to ground at every node
/// loads its state as it loads the transistor circuit's. With every block
/// ideal and that shunt on every node, the native solver runs the burster
/// at its ideal model's 13 spikes per burst and period within 0.1 %; at
/// the unit capacitor the same shunt draws fifty times the follower's share
/// (sky130-hv in ngspice: 14 spikes per 478.3 ms against 13 per 500.3 ms).
#[test]
fn ideal_followers_keep_their_blocks_state_capacitors_under_the_runs_shunt() {
    use atscale_circuit::Element;
    let d = example("bursting.toml");
    let tech = Technology::builtin("generic-bsim4").expect("built-in");
    let r = realise(&d, &tech, &linearised()).expect("realises");
    let all: Vec<String> = ["C1", "Gl", "Rf", "Msp", "Msn", "Mus", "Iext"].map(String::from).to_vec();
    let mut c = r.with_ideal_blocks(&all).expect("hybrid");
    let capacitance = |c: &[Element<f64>], node: &str| {
        c.iter().find_map(|e| match &e.kind {
            ElementKind::Capacitor { p, c_farad, .. } if p == node => Some(*c_farad),
            _ => None,
        })
    };
    for e in ["Msp", "Msn", "Mus"] {
        let node = format!("{e}_x");
        let realised = capacitance(&r.circuit.elements, &node).expect("a realised state capacitor");
        assert_eq!(capacitance(&c.elements, &node), Some(realised), "{e}");
    }
    assert!(capacitance(&c.elements, "Mus_x").expect("Mus") > 10.0 * r.scales.c0_farad);
    let shunt = r.run.rshunt_ohm.expect("linearised followers run with a shunt");
    let nodes: Vec<String> = c.nodes().into_iter().map(String::from).collect();
    for (k, n) in nodes.into_iter().enumerate() {
        let kind = ElementKind::Resistor { p: n, n: "0".into(), r_ohm: shunt };
        c.elements.push(Element { name: format!("Rshunt{k}"), kind });
    }
    let (th, hy) = event_model(&d);
    let want = predict(&r, th, hy, 25_000.0).expect("prediction");
    let (counts, period) =
        atscale_design::spikes::bursts(&hybrid_events(&c, &r, &d, 25_000.0)).expect("bursts");
    assert_eq!(counts.last().copied(), want.spikes_per_burst);
    let p = want.burst_period_s.expect("the ideal model bursts");
    assert!((period / p - 1.0).abs() < 1e-3, "{period} s against {p} s");
}

/// Below `limits.bias_min_a` every device of an amplifier is sized
/// narrower than a square and longer, its input pair too; the pairs' kappa
/// is measured on one square of `sizing.l_m`, so such pairs are named as
/// not modelled by the ideal model's width. The generic-bsim4 burster's
/// followers are far above its 0.1 pA floor; at a floor of 20 pA (GF180's
/// and sky130-hv's) the ultraslow follower's eighteen amplifiers (8 to
/// 11 pA) fall below it, and only they.
#[test]
fn pairs_sized_below_the_bias_floor_are_named_as_not_the_characterised_device() {
    use atscale_design::realise::Role;
    let d = example("bursting.toml");
    let mut tech = Technology::builtin("generic-bsim4").expect("built-in");
    let opts = linearised();
    assert_eq!(realise(&d, &tech, &opts).expect("realises").warnings, Vec::<String>::new());
    tech.limits.bias_min_a = 20e-12;
    let r = realise(&d, &tech, &opts).expect("realises");
    let long: Vec<_> = r
        .devices
        .iter()
        .filter(|x| matches!(x.role, Role::InputPair { .. }))
        .filter(|x| x.l_m.is_some_and(|l| (l / tech.sizing.l_m - 1.0).abs() > 1e-6))
        .collect();
    assert_eq!(long.len(), 36);
    assert!(long.iter().all(|x| x.element == "Mus" && x.current_a.is_some_and(|i| i < 20e-12)));
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let w = &r.warnings[0];
    assert!(w.starts_with("Mus: 36 input-pair devices are ") && w.contains("sizing.l_m"), "{w}");
}
