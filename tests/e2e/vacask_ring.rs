//! VACASK on level-1 MOSFET circuits started under `uic`: the CMOS ring
//! oscillator of tests/e2e/data/ring_oscillator.cir against the scipy
//! reference and the other two engines, the warning that names a junction
//! VACASK's start forward-biases, and VACASK's own behaviour on such a start
//! (tests/e2e/data/vacask/uic_forward_junction.sim, against ngspice).

use std::process::Command;

use serde_json::Value;

use crate::root;
use crate::vacask::vacask;

/// The scipy reference events of the ring oscillator
/// (crates/atscale-verify/tests/fixtures/ring_oscillator/, written by
/// make_ring_oscillator.py beside them).
fn reference_events() -> Vec<f64> {
    let path = root().join("crates/atscale-verify/tests/fixtures/ring_oscillator/ring_oscillator.json");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("reference")).expect("JSON");
    json["events_s"].as_array().expect("events").iter().map(|t| t.as_f64().expect("s")).collect()
}

/// The ring oscillator with `.ic v(n1)=1.8` instead of `uic` (the operating
/// point with n1 held, then the transient): VACASK's own hold failed here
/// (tests/e2e/data/vacask/ic_op_residual.sim); atscale holds the node with a
/// source for the operating point and VACASK agrees with ngspice.
#[test]
fn the_ring_oscillator_with_an_ic_without_uic_agrees_in_vacask() {
    vacask();
    let tmp = tempfile::tempdir().expect("temp dir");
    let ring = std::fs::read_to_string(root().join("tests/e2e/data/ring_oscillator.cir")).expect("ring");
    let held = ring.replace(".tran 10p 60n 0 2p uic", ".ic v(n1)=1.8\n.tran 10p 60n 0 2p");
    assert_ne!(held, ring);
    let path = tmp.path().join("ring_ic.cir");
    std::fs::write(&path, held).expect("netlist");
    let p = path.to_str().expect("UTF-8");
    let out =
        crate::atscale(&["verify", p, "--events", "n1,0.9,0.1", "--engines", "ngspice,vacask", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["verdict"]["agree"], true, "{report:#}");
    let count = |k: usize| report["engines"][k]["events"]["n1"].as_array().map_or(0, Vec::len);
    // Measured: 10 events in each, 558 as apart at most.
    assert_eq!((count(0), count(1)), (10, 10), "{report:#}");
}

/// The first-order warning VACASK's `uic` start gets (engines.rs, `vacask_unmodelled`).
const WARNING: &str = "VACASK starts `uic` at the initial conditions with every other node at 0 V";

/// The ring oscillator oscillates in VACASK as in ngspice and the native
/// engine: atscale starts its charge-free supply at 1.8 V, so no junction
/// starts forward-biased, and nothing is warned.
#[test]
fn the_level1_ring_oscillator_agrees_across_native_ngspice_and_vacask() {
    vacask();
    let args = [
        "verify",
        "tests/e2e/data/ring_oscillator.cir",
        "--events",
        "n1,0.9,0.2",
        "--engines",
        "native,ngspice,vacask",
        "--json",
    ];
    let out = crate::atscale(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(WARNING), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["verdict"]["agree"], true, "{report:#}");
    let engine = &report["engines"][2];
    assert_eq!(engine["name"], "vacask");
    assert!(engine.get("unmodelled").is_none(), "{engine:#}");
    let events: Vec<f64> =
        engine["events"]["n1"].as_array().expect("events").iter().map(|t| t.as_f64().expect("s")).collect();
    let reference = reference_events();
    assert_eq!(events.len(), reference.len(), "{events:?}");
    let off = events.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    eprintln!("VACASK's n1 rising crossings of 0.9 V: max |dt| {off:e} s from the scipy reference");
    // measured 1.68e-14 s (growing along the train, 2 ps maximum step, as
    // ngspice's 1.7e-14 s); 10x margin
    assert!(off < 1.7e-13, "VACASK's events are {off:e} s from the reference: {events:?}");
}

/// With a decoupling capacitor on the supply, atscale must leave the supply
/// at 0 V in VACASK's start (the capacitor's initial voltage counts it at
/// 0 V, as ngspice does), so MP3's drain-bulk junction starts forward by
/// 1.8 V: `sim` names it.
#[test]
fn vacask_names_the_junction_its_uic_start_forward_biases() {
    vacask();
    let deck = root().join("tests/e2e/data/vacask/ring_decap.cir");
    let (rows, stderr) = crate::sim_rows(&deck, "vacask", &["n1"], &[]);
    assert!(stderr.contains(WARNING), "{stderr}");
    assert!(stderr.contains("`MP3` drain-bulk junction forward-biased by 1.8 V."), "{stderr}");
    // What the warning is for: n1 held 1.74 V above the 1.8 V supply.
    let top = rows.iter().map(|r| r[1]).fold(f64::MIN, f64::max);
    eprintln!("VACASK's n1 reaches {top} V");
    assert!(top > 3.0, "VACASK's n1 reaches only {top} V: has VACASK's uic start changed?");
}

/// VACASK 0.3.4 itself (the reproducer, run as written): from a start with
/// the PMOS drain-bulk junction forward by 1.8 V it holds the inverter's
/// output at 3.5445 V, where ngspice keeps it at 1.8 V. If this fails,
/// VACASK changed: revisit `UIC_FORWARD_LIMIT_V` and the warning.
#[test]
fn vacask_holds_a_node_above_its_supply_from_a_forward_biased_uic_start() {
    let data = root().join("tests/e2e/data/vacask");
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(data.join("uic_forward_junction.sim"), dir.path().join("deck.sim")).expect("copies");
    let out = Command::new(vacask())
        .args(["-qp", "-se", "-sp", "deck.sim"])
        .current_dir(dir.path())
        .output()
        .expect("vacask runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let raw = atscale_verify::raw::RawFile::read(&dir.path().join("tran1.raw")).expect("VACASK's raw file");
    let d = raw.plots[0].real("d").expect("d");
    let end = d[d.len() - 1];
    // measured 3.5445 V (1.7445 V above the supply) from the first step on
    assert!((end - 3.5445).abs() < 1e-3, "VACASK ends at {end} V");

    let (rows, _) = crate::sim_rows(&data.join("uic_forward_junction.cir"), "ngspice", &["d"], &[]);
    let worst = rows.iter().map(|r| (r[1] - 1.8).abs()).fold(0.0, f64::max);
    eprintln!("ngspice: d within {worst:e} V of 1.8 V; VACASK ends at {end} V");
    // measured 7.0e-9 V (the junctions' leakage through the on PMOS); 7x margin
    assert!(worst < 5e-8, "ngspice's d is {worst:e} V from 1.8 V");
}
