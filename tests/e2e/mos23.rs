//! The level-2 and level-3 MOSFETs (ngspice's MOS2 and MOS3, issue 15)
//! against ngspice 39 run for real: drain currents over a bias grid of
//! single transistors held by sources (every channel parameter, NMOS and
//! PMOS, both modes), bias points solved through series resistances and
//! loads, CMOS inverter transfer points, and ring oscillators event by
//! event with `atscale verify` at its default tolerance (one of level-3
//! inverter subcircuits); what neither engine runs is refused by name and
//! what the native engine ignores is named.

use std::path::{Path, PathBuf};

use crate::{atscale, root};

fn deck(name: &str) -> PathBuf {
    root().join("tests/e2e/data/mos23").join(name)
}

/// The probed values at the stop time of `netlist` on `engine`, from a
/// run that must succeed, with its standard error.
fn final_values(netlist: &Path, engine: &str, probes: &[String]) -> (Vec<f64>, String) {
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    let (rows, stderr) = crate::sim_rows(netlist, engine, &probes, &[]);
    (rows.last().unwrap()[1..].to_vec(), stderr)
}

/// The largest difference between the engines' values of `probes` at the
/// stop of the static deck `name`, relative to the value or, below them,
/// to 1 nA (currents) and 1 µV (voltages): ngspice's Newton iteration stops
/// within its ABSTOL of 1 pA and VNTOL of 1 µV, so a cut-off device's
/// picoamperes agree to 1e-21 A, not to 1e-9 of themselves. The native run
/// must name nothing as unmodelled.
fn operating_point_difference(name: &str, probes: &[String]) -> f64 {
    let path = deck(name);
    let (native, stderr) = final_values(&path, "native", probes);
    assert!(!stderr.contains("not modelled") && !stderr.contains("warning"), "{name}: {stderr}");
    let (ngspice, _) = final_values(&path, "ngspice", probes);
    let mut worst = 0.0f64;
    for (k, p) in probes.iter().enumerate() {
        let (a, b) = (native[k], ngspice[k]);
        assert!(b.is_finite(), "{name}: ngspice {p} = {b}");
        let floor = if p.starts_with("i(") { 1e-9 } else { 1e-6 };
        let rel = (a - b).abs() / b.abs().max(floor);
        eprintln!("{name}: {p}: native {a:e}, ngspice {b:e}, {rel:.1e}");
        worst = worst.max(rel);
    }
    worst
}

/// `prefix1` .. `prefixN` as probes, e.g. `i(VD1)` with `("i(VD", ")")`.
fn numbered(n: usize, prefix: &str, suffix: &str) -> Vec<String> {
    (1..=n).map(|k| format!("{prefix}{k}{suffix}")).collect()
}

#[test]
fn level3_nmos_drain_currents_over_a_bias_grid_match_ngspice() {
    // Every MOS3 channel parameter (NSUB, NSS, NFS, VMAX, THETA, ETA, KAPPA,
    // DELTA, XJ, LD, WD, XL, XW, DELVTO) at 16 bias points: cutoff, weak
    // inversion, linear, saturation, vbs from -3 V to +0.3 V, reversed mode.
    // Measured 8.8e-15 relative; 1e-13 is 11x.
    let worst = operating_point_difference("nmos3_bias.cir", &numbered(16, "i(VD", ")"));
    assert!(worst < 1e-13, "{worst:e}");
}

#[test]
fn level3_pmos_drain_currents_with_thresholds_from_doping_match_ngspice() {
    // VTO, GAMMA and PHI from NSUB, NSS and TPG = -1 (and U0 spelt UO).
    // Measured 7.5e-15 relative; 7.5e-14 is 10x.
    let worst = operating_point_difference("pmos3_bias.cir", &numbered(16, "i(VD", ")"));
    assert!(worst < 7.5e-14, "{worst:e}");
}

#[test]
fn level2_nmos_drain_currents_with_velocity_saturation_match_ngspice() {
    // Baum's velocity saturation (VMAX, NEFF: ngspice's quartic solved as it
    // solves it), NFS, UCRIT/UEXP, DELTA, XJ, LD, NSUB and NSS.
    // Measured 1.1e-14 relative; 1.1e-13 is 10x.
    let worst = operating_point_difference("nmos2_bias.cir", &numbered(16, "i(VD", ")"));
    assert!(worst < 1.1e-13, "{worst:e}");
}

#[test]
fn level2_pmos_drain_currents_with_lambda_match_ngspice() {
    // LAMBDA, mobility reduction, GAMMA, DELTA. Measured 3.6e-12 (a cut-off
    // device's 3 pA, 2e-21 A apart, over the 1 nA floor; 8e-16 above
    // it); 3.6e-11 is 10x.
    let worst = operating_point_difference("pmos2_bias.cir", &numbered(16, "i(VD", ")"));
    assert!(worst < 3.6e-11, "{worst:e}");
}

/// The supply currents and solved nodes of the `loads*.cir` decks.
fn load_probes() -> Vec<String> {
    let mut p = numbered(4, "i(VS", ")");
    p.extend(["d1", "s1", "d2", "d3", "d4", "d5"].map(String::from));
    p
}

#[test]
fn level3_bias_points_through_series_resistances_and_loads_match_ngspice() {
    // RD/RS (internal nodes), RSH with NRD/NRS, M, JS by AD/AS, a PMOS
    // mirror. Measured 1.0e-13 relative (the mirror's supply current);
    // 1e-12 is 10x.
    let worst = operating_point_difference("loads3.cir", &load_probes());
    assert!(worst < 1e-12, "{worst:e}");
}

#[test]
fn level2_bias_points_through_series_resistances_and_loads_match_ngspice() {
    // Measured 2.3e-13 relative (v(d5)); 2.3e-12 is 10x.
    let worst = operating_point_difference("loads2.cir", &load_probes());
    assert!(worst < 2.3e-12, "{worst:e}");
}

#[test]
fn level3_cmos_inverter_transfer_points_match_ngspice() {
    // Ten input voltages, five within 0.6 V of the switching point.
    // Measured 2.5e-11 (the 8.7 nV output at 5 V in, 2.5e-17 V apart, over
    // the 1 uV floor; 2.5e-15 relative elsewhere); 2.5e-10 is 10x.
    let worst = operating_point_difference("inverter3.cir", &numbered(10, "out", ""));
    assert!(worst < 2.5e-10, "{worst:e}");
}

#[test]
fn level2_cmos_inverter_transfer_points_match_ngspice() {
    // Measured 6.7e-11 relative at vin = 3 V: ngspice's own Newton error
    // at its default tolerances (its output moves by 6.2e-11 relative at
    // RELTOL 1e-6, VNTOL 1e-12; the native one is within 5.6e-12 of that);
    // 6.7e-10 is 10x, within the 1e-9 asked.
    let worst = operating_point_difference("inverter2.cir", &numbered(10, "out", ""));
    assert!(worst < 6.7e-10, "{worst:e}");
}

/// `atscale verify --json` of `name` with `events` (default tolerance): the
/// JSON, after checking the engines agree with no warning, and the
/// largest |dt| over the local interval with the number of events.
fn verify_agrees(name: &str, events: &str) -> (serde_json::Value, f64, usize) {
    let path = deck(name);
    let out = atscale(&["verify", path.to_str().unwrap(), "--events", events, "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{name}: no JSON ({e})\n{stdout}\nstderr:\n{stderr}"));
    assert_eq!(json["verdict"]["agree"], true, "{name}: {json:#}\n{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    let cmp = &json["comparisons"][0]["signals"][0]["comparison"];
    let mut worst = 0.0f64;
    for m in cmp["matched"].as_array().unwrap() {
        worst = worst.max(m["dt_rel_local"].as_f64().unwrap().abs());
    }
    let node = events.split(',').next().unwrap();
    let n = json["engines"][0]["events"][node].as_array().unwrap().len();
    (json, worst, n)
}

#[test]
fn level3_ring_oscillator_of_inverter_subcircuits_fires_with_ngspice() {
    // Five inverter subcircuits, every device charge (Meyer from TOX,
    // overlaps, bottom and sidewall junctions) and 10 fF per stage; ngspice
    // at the step verify gives it (127 fs). Measured: 5 events, worst |dt|
    // 1.37 ps = 6.7e-4 of the 2 ns period, ngspice's own step error (it
    // shrinks in proportion to the step: 0.46 ps at 50 fs, 0.23 ps at 25
    // fs; the native events move 24 fs when its tolerance is halved);
    // verify's default tolerance is 1e-3.
    let (json, worst, n) = verify_agrees("ring3.cir", "n1,1.65");
    assert_eq!(n, 5, "{json:#}");
    assert!(worst < 1e-3, "{worst:e}");
}

#[test]
fn level2_ring_oscillator_fires_with_ngspice() {
    // Three stages, every device charge and 15 fF loads. Measured: 5
    // events, worst |dt| 0.83 ps = 4.7e-4 of the 1.8 ns period (0.34 ps
    // with ngspice at 50 fs, 0.17 ps at 25 fs); verify's default is 1e-3.
    let (json, worst, n) = verify_agrees("ring2.cir", "n1,1.65");
    assert_eq!(n, 5, "{json:#}");
    assert!(worst < 1e-3, "{worst:e}");
}

/// A resistor-loaded NMOS (a subcircuit instance) with model card `model`,
/// run natively: exit status and stderr.
fn run_native(dir: &Path, model: &str) -> (Option<i32>, String) {
    let path = dir.join("m.cir");
    std::fs::write(
        &path,
        format!(
            "t\nVDD vdd 0 DC 3\nRL vdd d 10k\nX1 d vdd 0 cell\n.subckt cell a g s\nM1 a g s s nm W=10u L=1u\n\
             .ends\n.model nm nmos {model}\n.tran 1n 10n\n.end\n"
        ),
    )
    .unwrap();
    let csv = dir.join("m.csv");
    let out = atscale(&[
        "sim",
        path.to_str().unwrap(),
        "--engine",
        "native",
        "--probe",
        "d",
        "-o",
        csv.to_str().unwrap(),
        "--force",
    ]);
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn other_levels_and_what_ngspice_refuses_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = run_native(dir.path(), "level=6 vto=0.7 kp=50u");
    assert_ne!(code, Some(0), "{err}");
    assert!(
        err.contains("X1.M1") && err.contains("MOSFET level 6") && err.contains("--engine ngspice"),
        "{err}"
    );
    // ngspice 39 lists XD, ALPHA and INPUT_DELTA for level 3 but refuses a
    // card that sets them.
    let (code, err) = run_native(dir.path(), "level=3 vto=0.7 kp=50u alpha=2");
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("X1.M1") && err.contains("ALPHA is not a parameter of ngspice's level-3"), "{err}");
    let (code, err) = run_native(dir.path(), "level=3 vto=0.7 kp=50u ld=0.6u");
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("effective channel length L - 2 LD + XL"), "{err}");
}

#[test]
fn what_levels_2_and_3_ignore_is_named_and_noise_parameters_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = run_native(dir.path(), "level=3 vto=0.7 kp=50u theta=0.1 kf=1e-25 af=1.2");
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
    // LAMBDA is not a level-3 parameter: ngspice warns and ignores it, so
    // does the native engine, naming it.
    let (code, err) = run_native(dir.path(), "level=3 vto=0.7 kp=50u lambda=0.02");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("level-3 MOSFET model `nm`: LAMBDA (not a level-3 parameter"), "{err}");
    let (code, err) = run_native(dir.path(), "level=2 vto=0.7 kp=50u eta=0.1 tnom=25");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("TNOM = 25 °C") && err.contains("ETA (not a level-2 parameter"), "{err}");
}
