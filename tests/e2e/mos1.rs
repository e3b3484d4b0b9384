//! The level-1 MOSFET and the diode completed (issue 15), each parameter
//! group against ngspice 39 run for real: operating points (node voltages
//! and drain currents of small decks with DC sources, read at the stop of a
//! short `.tran`), and waveforms event by event with `atscale verify` at its
//! default tolerance (a ring oscillator with every device capacitance, a
//! rectifier whose diode has junction and diffusion charge). A deck that
//! uses only modelled parameters runs without a warning; what is not
//! modelled is named; what neither engine can run is refused by name.

use std::path::PathBuf;

use crate::{atscale, root};

fn deck(name: &str) -> PathBuf {
    root().join("tests/e2e/data/mos1").join(name)
}

/// The probed values at the stop time of `name` on `engine`, from a run
/// that must succeed, with its standard error.
fn final_values(name: &str, engine: &str, probes: &[&str]) -> (Vec<f64>, String) {
    let (rows, stderr) = crate::sim_rows(&deck(name), engine, probes, &[]);
    (rows.last().unwrap()[1..].to_vec(), stderr)
}

/// The largest relative difference between the engines' values of
/// `probes` in `name`, after checking the native run names nothing as
/// unmodelled.
fn operating_point_difference(name: &str, probes: &[&str]) -> f64 {
    let (native, stderr) = final_values(name, "native", probes);
    assert!(!stderr.contains("not modelled") && !stderr.contains("warning"), "{name}: {stderr}");
    let (ngspice, _) = final_values(name, "ngspice", probes);
    let mut worst = 0.0f64;
    for (k, p) in probes.iter().enumerate() {
        let (a, b) = (native[k], ngspice[k]);
        assert!(b != 0.0 && b.is_finite(), "{name}: ngspice {p} = {b}");
        let rel = (a - b).abs() / b.abs();
        assert!(rel < 1e-9, "{name}: {p} native {a:e}, ngspice {b:e} ({rel:e} relative)");
        worst = worst.max(rel);
    }
    worst
}

fn currents(n: usize) -> Vec<String> {
    (1..=n).map(|k| format!("i(VS{k})")).collect()
}

#[test]
fn kp_from_u0_and_tox_matches_ngspice() {
    let probes: Vec<String> = currents(5).into_iter().chain(["s2".to_string()]).collect();
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    // Measured 2.0e-14 relative (the 1.6 uA of M4 to 30 ulp); 2e-13 is 10x.
    let worst = operating_point_difference("kp_from_tox.cir", &probes);
    assert!(worst < 2e-13, "{worst:e}");
}

#[test]
fn vto_gamma_and_phi_from_nsub_nss_and_tpg_match_ngspice() {
    let probes = currents(6);
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    // Measured 9.9e-16 relative; 1e-14 is a 10x margin.
    let worst = operating_point_difference("nsub.cir", &probes);
    assert!(worst < 1e-14, "{worst:e}");
}

#[test]
fn ld_m_series_resistances_and_junction_currents_match_ngspice() {
    let probes: Vec<String> = currents(6).into_iter().chain(["i(VB)".to_string()]).collect();
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    // Measured 2.3e-15 relative; 2e-14 is a 9x margin.
    let worst = operating_point_difference("geometry.cir", &probes);
    assert!(worst < 2e-14, "{worst:e}");
}

#[test]
fn instance_values_from_subcircuit_parameters_match_ngspice() {
    // Measured 2.0e-13 relative (the series resistances' internal nodes
    // leave the last Newton step a few hundred ulp apart); 2e-12 is 10x.
    let worst = operating_point_difference("subckt.cir", &["a", "b", "c", "d", "i(VDD)"]);
    assert!(worst < 2e-12, "{worst:e}");
}

#[test]
fn diode_breakdown_matches_ngspice_around_bv() {
    // Below BV (4.9 V), at it, beyond it by 0.2 V and deep in breakdown
    // (12 V through 1 kOhm), with NBV and an area.
    let probes = ["k1", "k2", "k3", "k4", "k5", "k6"];
    // Measured 1.8e-16 relative (one ulp); 2e-15 is an 11x margin.
    let worst = operating_point_difference("breakdown.cir", &probes);
    assert!(worst < 2e-15, "{worst:e}");
    // In breakdown: the cathode of D4 is held near BV, not at the 12 V supply.
    let (native, _) = final_values("breakdown.cir", "native", &probes);
    assert!((5.1..5.3).contains(&native[3]), "v(k4) = {} V", native[3]);
}

#[test]
fn diode_knee_recombination_sidewall_and_tunnel_currents_match_ngspice() {
    let probes = ["k1", "k2", "k3", "k4", "k5", "k6"];
    // Measured 5.9e-16 relative; 6e-15 is a 10x margin.
    let worst = operating_point_difference("diode_dc.cir", &probes);
    assert!(worst < 6e-15, "{worst:e}");
}

/// `atscale verify --json` of a deck in the mos1 folder: (exit code, JSON).
fn verify(name: &str, events: &[&str]) -> (Option<i32>, serde_json::Value) {
    let path = deck(name);
    let mut args = vec!["verify", path.to_str().unwrap(), "--json"];
    for e in events {
        args.extend(["--events", e]);
    }
    let out = atscale(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("atscale {args:?}: no JSON ({e})\nstderr:\n{}", String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code(), json)
}

/// The largest |dt| over the local interval of every signal of a verify report.
fn worst_ratio(json: &serde_json::Value) -> f64 {
    let mut worst = 0.0f64;
    for c in json["comparisons"].as_array().unwrap() {
        for s in c["signals"].as_array().unwrap() {
            let cmp = &s["comparison"];
            assert_eq!(cmp["counts"]["missing"], 0, "{s:#}");
            assert_eq!(cmp["counts"]["extra"], 0, "{s:#}");
            for m in cmp["matched"].as_array().unwrap() {
                worst = worst.max(m["dt_rel_local"].as_f64().unwrap().abs());
            }
        }
    }
    worst
}

#[test]
fn ring_oscillator_with_every_device_capacitance_matches_ngspice_event_by_event() {
    // Meyer gate capacitances (TOX), overlaps, bottom and sidewall junctions
    // and 20 fF loads, started under `uic`; ngspice at the step verify
    // gives it (147 fs). Measured: all 8 events matched, worst |dt| 1.55 ps
    // = 6.6e-4 of the interval (ngspice's own Meyer charges move its events
    // by 0.8 ps between steps of 147 fs and 50 fs; the native engine's by
    // 0.5 ps between its default and tight tolerances); verify's default
    // tolerance is 1e-3.
    let (code, json) = verify("ring_caps.cir", &["n1,0.9,0.2"]);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["verdict"]["agree"], true, "{json:#}");
    let n = json["engines"][0]["events"]["n1"].as_array().unwrap().len();
    assert_eq!(n, 8, "{json:#}");
    let worst = worst_ratio(&json);
    assert!(worst < 1e-3, "{worst:e}");
}

#[test]
fn rectifier_with_junction_and_diffusion_charge_matches_ngspice_event_by_event() {
    // Ten cycles at 5 MHz; CJO, VJ, M (one above ngspice's 0.9 limit), FC
    // (one with FC VJ > 1), TT, and a sidewall capacitance (CJP by PJ, PHP,
    // MJSW, FCS). Measured worst |dt| 4.8 ps = 2.4e-5 of the 200 ns
    // interval (out), 17 fs (out2) and 133 fs (out3).
    let (code, json) = verify("rectifier.cir", &["out,0.5,0.05", "out2,0.8,0.05", "out3,0.5,0.05"]);
    assert_eq!(code, Some(0), "{json:#}");
    for s in ["out", "out2", "out3"] {
        assert_eq!(json["engines"][0]["events"][s].as_array().unwrap().len(), 10, "{json:#}");
    }
    // Measured 2.4e-5; 2.5e-4 is a 10x margin.
    let worst = worst_ratio(&json);
    assert!(worst < 2.5e-4, "{worst:e}");
}

#[test]
fn mosfet_junction_capacitances_given_per_device_match_ngspice_event_by_event() {
    // CBD and CBS (instead of CJ by area), PB, MJ, and FC = 0.3 with the
    // bulk pulsed 0.6 V above the source, past FC PB into the linear
    // extension. Measured worst |dt| 5.8 fs = 1.2e-6 of the local interval;
    // 1.2e-5 is a 10x margin.
    let (code, json) = verify("mos_junctions.cir", &["c,0.8,0.1", "a,1.0,0.1"]);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["engines"][0]["events"]["a"].as_array().unwrap().len(), 5, "{json:#}");
    assert_eq!(json["engines"][0]["events"]["c"].as_array().unwrap().len(), 4, "{json:#}");
    let worst = worst_ratio(&json);
    assert!(worst < 1.2e-5, "{worst:e}");
}

#[test]
fn what_the_native_mosfet_and_diode_do_not_model_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("gaps.cir");
    std::fs::write(
        &p,
        "gaps\n.model nch NMOS(LEVEL=1 VTO=0.5 KP=1e-4 TNOM=25 VMAX=1e5 KF=1e-25 AF=1.2)\n\
         .model dd D(IS=1e-14 LEVEL=3 EG=1.2 XTI=2 KF=1e-20)\n\
         V1 d 0 1.8\nM1 d d 0 0 nch W=1u L=1u OFF\nM2 d d 0 0 nch W=1u L=1u IC=1.8,1.8,0\n\
         D1 d 0 dd\n.tran 1n 10n\n.end\n",
    )
    .unwrap();
    let out = atscale(&["sim", p.to_str().unwrap(), "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for named in [
        "level-1 MOSFET model `nch`: TNOM = 25 °C",
        "VMAX (not a level-1 parameter; ngspice ignores it too)",
        "MOSFET `M1`: OFF",
        "MOSFET `M2`: IC=",
        "diode model `dd`: LEVEL = 3",
    ] {
        assert!(stderr.contains(named), "no warning naming {named}: {stderr}");
    }
    // Noise and temperature coefficients cannot change a transient at 27 °C.
    for quiet in ["KF", "AF", "EG", "XTI"] {
        assert!(!stderr.contains(&format!("{quiet} ")), "{quiet} named: {stderr}");
    }
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["unmodelled"].as_array().map(Vec::len), Some(4), "{json}");
}

#[test]
fn parameters_neither_engine_can_run_are_refused_with_the_element_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("LD=0.6u", "W=1u L=1u", "element M1 cannot be simulated: model `nch`: the effective channel length"),
        ("TOX=20n NSUB=1e9", "W=1u L=1u", "model `nch`: NSUB = 1e9 /cm³ is below the intrinsic density"),
        ("PHI=-0.2", "W=1u L=1u", "MOSFET `M1`: model `nch` parameter PHI must be positive"),
    ];
    for (model, inst, expected) in cases {
        let p = dir.path().join("bad.cir");
        std::fs::write(
            &p,
            format!("bad\n.model nch NMOS(LEVEL=1 {model})\nV1 d 0 1\nM1 d d 0 0 nch {inst}\n.tran 1n 10n\n.end\n"),
        )
        .unwrap();
        let out = atscale(&["sim", p.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{model}: {stderr}");
        assert!(stderr.contains(expected), "{model}: {stderr}");
    }
    // A bad instance value is a validation error naming element and field.
    let p = dir.path().join("m.cir");
    std::fs::write(&p, "m\n.model nch NMOS(LEVEL=1)\nV1 d 0 1\nM1 d d 0 0 nch M=0\n.tran 1n 10n\n.end\n")
        .unwrap();
    let out = atscale(&["sim", p.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("M1") && stderr.contains("multiplier M"), "{stderr}");
}
