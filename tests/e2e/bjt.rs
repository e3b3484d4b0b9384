//! The native Gummel-Poon bipolar transistor (ngspice's BJT level 1)
//! against real ngspice: NPN and PNP operating points to 1e-12 relative
//! (every DC parameter, area, M, substrate), an inverter's transfer curve
//! through cutoff, the active region and saturation, model variants (IBE
//! and IBC, SPICE2 leakage, SUBS), an astable multivibrator and NPN and PNP
//! ring oscillators of subcircuits with every charge event by event, the
//! instance parameters read and written back, and what the native engine
//! refuses or names.

use std::path::{Path, PathBuf};

use crate::{atscale, root};

fn deck(name: &str) -> PathBuf {
    root().join("tests/e2e/data/bjt").join(name)
}

/// The probed values at the first time point (the operating point) and at
/// the stop time of `netlist` run on `engine` (`atscale sim -o csv`), and
/// its stderr.
fn first_and_last(netlist: &Path, engine: &str, probes: &[&str]) -> ([Vec<f64>; 2], String) {
    let (rows, stderr) = crate::sim_rows(netlist, engine, probes, &[]);
    let values = |r: &Vec<f64>| r[1..].to_vec();
    ([values(&rows[0]), values(&rows[rows.len() - 1])], stderr)
}

/// The largest relative difference between the native and ngspice values
/// of `probes` at the first time point (`at_start`: the operating point) or
/// at the stop time of the static deck `netlist`; the native run may not warn.
fn op_difference_at(netlist: &Path, probes: &[&str], at_start: bool) -> f64 {
    let (native, warned) = first_and_last(netlist, "native", probes);
    assert!(!warned.contains("warning"), "{}: {warned}", netlist.display());
    let (ngspice, _) = first_and_last(netlist, "ngspice", probes);
    let k = if at_start { 0 } else { 1 };
    let mut worst: f64 = 0.0;
    for ((p, a), b) in probes.iter().zip(&native[k]).zip(&ngspice[k]) {
        let rel = (a - b).abs() / b.abs();
        eprintln!("{}: {p}: native {a:e}, ngspice {b:e}, {rel:.1e} relative", netlist.display());
        worst = worst.max(rel);
    }
    worst
}

/// [`op_difference_at`] the stop time.
fn op_difference(netlist: &Path, probes: &[&str]) -> f64 {
    op_difference_at(netlist, probes, false)
}

#[test]
fn npn_common_emitter_bias_point_matches_ngspice() {
    // ngspice at reltol 1e-9: both engines solve the same equations to
    // rounding. Measured 3.1e-14 relative (v(e)); 3e-13 is 10x, far inside
    // the 1e-9 the issue asks for.
    let worst = op_difference(&deck("ce_bias.cir"), &["c", "b", "e"]);
    assert!(worst < 3e-13, "{worst:e}");
}

#[test]
fn npn_inverter_transfer_curve_matches_ngspice() {
    // One deck per input voltage: cutoff (0 to 0.6 V), the active region,
    // saturation (the B-C junction forward: BR, ISC, NC, IKR, VAR) up to 5 V.
    let template = std::fs::read_to_string(deck("ce_transfer.cir")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut worst: f64 = 0.0;
    for vin in ["0", "0.3", "0.6", "0.7", "0.8", "1", "1.5", "2", "3", "5"] {
        let path = dir.path().join(format!("transfer_{vin}.cir"));
        std::fs::write(&path, template.replace("{VIN}", vin)).unwrap();
        worst = worst.max(op_difference(&path, &["b", "c"]));
    }
    // Measured 1.9e-13 relative (v(c) at 1.5 V in); 2e-12 is 10x.
    assert!(worst < 2e-12, "{worst:e}");
}

#[test]
fn pnp_bias_points_with_substrate_area_and_m_match_ngspice() {
    let probes = ["c1", "b1", "e1", "c2", "b2", "e2", "c3", "b3", "e3", "i(vsub)"];
    // Measured 2.0e-13 relative (v(c1)); 2e-12 is 10x. The substrate
    // current (ISS and gmin of the lateral PNP's base junction) agrees as well.
    let worst = op_difference(&deck("pnp_bias.cir"), &probes);
    assert!(worst < 2e-12, "{worst:e}");
}

#[test]
fn model_variants_ibe_ibc_spice2_leakage_and_subs_match_ngspice() {
    let probes = ["ba", "ca", "bb", "cb", "bc", "cc", "bd", "cd", "ed", "i(vs)", "i(vsp)"];
    // Measured 3.6e-13 relative (v(ca)); 3e-12 is 8x.
    let worst = op_difference(&deck("variants.cir"), &probes);
    assert!(worst < 3e-12, "{worst:e}");
}

#[test]
fn amplifier_operating_point_at_default_tolerances_matches_ngspice() {
    // The operating point itself (the first time point) at RELTOL 1e-3:
    // both engines test each BJT's currents for convergence, as ngspice
    // does. Measured 1.9e-13 relative (v(14)); 2e-12 is 10x (without the
    // test: 1.3e-5 at the differential pair's emitters, v(7), v(10)).
    let worst = op_difference_at(&deck("rca3040_op.cir"), &["6", "7", "10", "12", "14"], true);
    assert!(worst < 2e-12, "{worst:e}");
}

/// `atscale verify --json` of `netlist` with `events`: the JSON, after
/// checking the verdict is agreement.
fn verify_agrees(netlist: &Path, events: &str) -> serde_json::Value {
    let out = atscale(&["verify", netlist.to_str().unwrap(), "--events", events, "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: no JSON ({e})\n{stdout}\n{stderr}", netlist.display()));
    assert_eq!(json["verdict"]["agree"], true, "{}: {json:#}\n{stderr}", netlist.display());
    assert!(!stderr.contains("warning"), "{stderr}");
    json
}

/// The largest |dt| between matched events over the median interval, and
/// the number of events.
fn worst_relative_dt(json: &serde_json::Value) -> (f64, usize) {
    let c = &json["comparisons"][0]["signals"][0]["comparison"];
    let dt = c["max_abs_dt_s"].as_f64().unwrap();
    let ev: Vec<f64> = json["engines"][1]["events"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    let mut d: Vec<f64> = ev.windows(2).map(|w| w[1] - w[0]).collect();
    d.sort_by(f64::total_cmp);
    (dt / d[d.len() / 2], ev.len())
}

#[test]
fn astable_multivibrator_fires_with_ngspice() {
    // Two 2N3904s (CJE, CJC, TF with XTF/VTF/ITF, TR); period 0.83 ms.
    // Measured worst |dt| 55 to 121 ns over the native solver's revisions,
    // at most 1.5e-4 of the period (ngspice's TMAX is 52 ns); verify's
    // default tolerance is 1e-3.
    let json = verify_agrees(&deck("astable.cir"), "c1,2.5");
    let (rel, n) = worst_relative_dt(&json);
    assert_eq!(n, 5);
    assert!(rel < 1e-3, "{rel:e}");
}

#[test]
fn astable_multivibrator_from_uic_initial_conditions_fires_with_ngspice() {
    // `uic` from .ic values: the internal nodes of RB and RC start at their
    // terminals' voltages, whose junction voltages ngspice starts the
    // devices from (left at 0 V, the first crossing came 66 ps into the
    // run instead of at 405 us). Measured worst |dt| 71 to 84 ns, at most
    // 1.0e-4 of the period; verify's default tolerance is 1e-3.
    let json = verify_agrees(&deck("astable_uic.cir"), "c1,2.5");
    let (rel, n) = worst_relative_dt(&json);
    assert_eq!(n, 5);
    assert!(rel < 1e-3, "{rel:e}");
}

#[test]
fn ring_oscillator_of_bjt_subcircuits_with_every_charge_fires_with_ngspice() {
    // Five RTL inverters (a subcircuit each), the model with CJE, TF and
    // XTF/VTF/ITF, CJC split by XCJC at RB's internal base, TR and CJS to
    // an explicit substrate node; period 73 ns. Measured worst |dt| 7.1 to 8.1 ps,
    // at most 1.1e-4 of the period; verify's default tolerance is 1e-3.
    let json = verify_agrees(&deck("ring.cir"), "n1,1.5");
    let (rel, n) = worst_relative_dt(&json);
    assert_eq!(n, 4);
    assert!(rel < 1e-3, "{rel:e}");
}

#[test]
fn pnp_ring_oscillator_fires_with_ngspice() {
    // The mirror image on -3.3 V: lateral PNPs, the substrate at the lowest
    // potential, every charge; period 74 ns. Measured worst |dt| 4.8 to 5.9 ps,
    // at most 8.0e-5 of the period; verify's default tolerance is 1e-3.
    let json = verify_agrees(&deck("ring_pnp.cir"), "n1,-1.5");
    let (rel, n) = worst_relative_dt(&json);
    assert_eq!(n, 4);
    assert!(rel < 1e-3, "{rel:e}");
}

/// A deck in `dir` with `models` and `elements` around a supply and a base
/// resistor, run natively: exit status and stderr.
fn run_native(dir: &Path, name: &str, card: &str) -> (Option<i32>, String) {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("t\nVCC vcc 0 DC 5\nRB vcc b 100k\nRL vcc c 1k\n{card}\n.tran 1n 10n\n.end\n"),
    )
    .unwrap();
    let out = atscale(&["sim", path.to_str().unwrap(), "--probe", "c"]);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn what_the_native_bjt_does_not_model_is_named_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Another level: refused, naming the element and the ngspice engine.
    let (code, stderr) =
        run_native(dir.path(), "vbic.cir", "Q7 c b 0 qv\n.model qv npn(level=4 is=1e-16 bf=100)");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("element Q7 cannot be simulated: bipolar transistor level 4")
            && stderr.contains("run it with --engine ngspice"),
        "{stderr}"
    );
    // A parameter out of range: refused with its name and value.
    let (code, stderr) = run_native(dir.path(), "bf.cir", "Q1 c b 0 qz\n.model qz npn(bf=0)");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("element Q1 cannot be simulated: model `qz`: BF = 0 must be positive"),
        "{stderr}"
    );
    // Excess phase, quasi-saturation, TNOM, an unknown parameter, OFF and
    // IC=: the run goes on, each named. Temperature coefficients (XTI, EG)
    // and noise (KF, AF) cannot change a transient at 27 °C: not named.
    let card = "Q1 c b 0 qw OFF IC=0.7,2\nQ2 c b 0 qw M=0.5\n.model qw npn(is=1e-16 tf=0.3n ptf=30 rco=50 \
                tnom=50 bff=1 kf=1e-15 af=1 xti=3 eg=1.11 cje=1p cjc=1p)";
    let (code, stderr) = run_native(dir.path(), "named.cir", card);
    assert_eq!(code, Some(0), "{stderr}");
    for named in [
        "bipolar transistor model `qw`: PTF (excess phase), RCO (quasi-saturation",
        "TNOM = 50 °C",
        "BFF (not a parameter of ngspice's level-1 bipolar transistor) are not modelled",
        "bipolar transistor `Q1`: OFF (",
        "and IC= (",
    ] {
        assert!(stderr.contains(named), "no warning naming {named}: {stderr}");
    }
    for quiet in ["XTI", "KF", "`Q2`"] {
        assert!(!stderr.contains(quiet), "{quiet} named: {stderr}");
    }
}

#[test]
fn instance_parameters_are_read_and_written_back() {
    // The substrate node, a positional area, M (not folded into the area:
    // ngspice 39 treats them differently), OFF and IC= survive a write and
    // a second read; a third IC value is refused with its place.
    use atscale_circuit::ElementKind;
    let text = "t\nQ1 c b e sub qn 2 M=3 OFF IC=0.7,2\n.model qn npn(va=50 ccs=1p)\n.end\n";
    let first = atscale_spice::parse_str(text, "q.cir").unwrap();
    let written = atscale_spice::write_netlist(
        &first.circuit,
        &first.analysis,
        &atscale_spice::Ngspice,
        &Default::default(),
    )
    .unwrap();
    let again = atscale_spice::parse_str(&written, "q2.cir").unwrap();
    let bjt = |n: &atscale_spice::Netlist| match n.circuit.elements[0].kind.clone() {
        ElementKind::Bjt { sub, area, m, off, ic_volt, .. } => (sub, area, m, off, ic_volt),
        other => panic!("not a BJT: {other:?}"),
    };
    let (sub, area, m, off, ic) = bjt(&first);
    assert_eq!(sub.as_deref(), Some("sub"));
    assert_eq!((area, m, off), (Some(2.0.into()), Some(3.0.into()), true));
    assert_eq!(ic, vec![0.7.into(), 2.0.into()]);
    assert_eq!(bjt(&again), bjt(&first), "{written}");
    // Aliases are kept under ngspice's main names.
    assert_eq!(again.circuit.models, first.circuit.models);
    let atscale_circuit::ModelKind::Npn(p) = &first.circuit.models[0].kind else { panic!() };
    assert_eq!(p.params.keys().collect::<Vec<_>>(), ["cjs", "vaf"]);
    let err =
        atscale_spice::parse_str("t\nQ1 c b e qn IC=1,2,3\n.model qn npn\n.end\n", "q3.cir").unwrap_err();
    assert!(err.to_string().contains("at most two values"), "{err}");
}
