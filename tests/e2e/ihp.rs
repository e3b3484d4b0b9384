//! `atscale realise --tech ihp-sg13g2`: IHP SG13G2's PSP 103 transistors in
//! VACASK (the models installed and compiled by scripts/install-ihp.sh, which
//! `make pdks` runs): the 100 Hz spiker realised, characterised and run in
//! VACASK, its rate against the design's, and the reported run against a
//! separate VACASK run of the netlist written.

use std::path::Path;
use std::process::Command;

use atscale_verify::events::{crossings, EventSpec};
use serde_json::Value;

use crate::vacask::vacask;
use crate::{atscale, root, stdout_ok};

/// The PDK's folder, installed (a clear failure when it is not).
fn ihp_installed() -> std::path::PathBuf {
    let dir = root().join(".venv/atscale/pdk/ihp-sg13g2");
    assert!(
        dir.join("atscale.lib").is_file() && dir.join("osdi/psp103.osdi").is_file(),
        "these tests need IHP SG13G2's models at {}: run `make pdks` (scripts/install-ihp.sh, after \
         `make vacask`)",
        dir.display()
    );
    dir
}

/// The membrane's rising crossings in a separate VACASK run of `netlist`
/// (in its own folder, as written), at the report's threshold.
fn separate_vacask_events(netlist: &Path, rep: &Value) -> Vec<f64> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(netlist, dir.path().join("deck.sim")).expect("copies");
    let out = Command::new(vacask())
        .args(["-qp", "-se", "-sp", "deck.sim"])
        .current_dir(dir.path())
        .output()
        .expect("vacask runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && !stdout.contains("aborted"), "{stdout}");
    let raw = atscale_verify::raw::RawFile::read(&dir.path().join("tran1.raw")).expect("VACASK's raw file");
    let plot = &raw.plots[0];
    let real = &rep["realisation"];
    let node = real["membrane"].as_str().expect("membrane");
    let spec = EventSpec::rising(
        node,
        real["threshold_v"].as_f64().expect("threshold"),
        real["hysteresis_v"].as_f64().expect("hysteresis"),
    );
    crossings(plot.time().expect("time"), plot.real(node).expect("membrane"), &spec)
}

/// The FitzHugh-Nagumo spiker of docs/examples/tonic-spiking-100hz.toml in
/// IHP SG13G2 (sg13_hv_nmos/pmos, 3.3 V): characterised and run in VACASK,
/// written as a VACASK netlist, with the symmetric amplifiers (the
/// five-transistor ones leave a static error of 55.26 pA at the knee, and
/// run 11.2 % fast) and tape-out biasing: only the supply and one reference
/// current ideal, every bias a mirror (the spiker's membrane bias a PMOS
/// source) and every reference a tap of one string of IHP's rhigh
/// resistors. It spikes at the design's rate within 10 %, and the reported
/// spikes are those of the written netlist run alone.
#[test]
fn ihp_spiker_runs_in_vacask_at_the_designs_rate() {
    vacask();
    let pdk = ihp_installed();
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = tmp.path().join("ihp");
    let o = out.to_str().expect("UTF-8");
    let design = d.join("design.json");
    // Eight periods of the spiker (the default window is twice as long; the same rate).
    let args = [
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "ihp-sg13g2",
        "--amplifier",
        "symmetric",
        "--bias",
        "mirrors",
        "--references",
        "ladder",
        "-o",
        o,
        "--tstop-model",
        "320",
    ];
    let r = atscale(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report"))
        .expect("JSON");
    let ev = &rep["evidence"];
    assert!(ev["simulator"].as_str().is_some_and(|s| s.starts_with("vacask")), "{}", ev["simulator"]);
    assert!(rep["characterisation"]["simulator"].as_str().is_some_and(|s| s.starts_with("vacask")));
    // VACASK's netlist, on the installed PDK's library and hv devices; no ngspice or Xyce netlist.
    let netlist = std::fs::read_to_string(out.join("realised.sim")).expect("realised.sim");
    let include =
        format!("include \"{}\" section=tt", pdk.canonicalize().expect("pdk").join("atscale.lib").display());
    assert!(netlist.lines().any(|l| l == include), "{include}\n{netlist}");
    assert!(netlist.contains("'sg13_hv_nmos' w=") && netlist.contains("'sg13_hv_pmos' w="));
    assert!(!out.join("realised.cir").exists() && !out.join("realised.xyce.cir").exists());
    // Ideal: the supply and the reference current. The ladder: the PDK's
    // resistor (0.5 um wide, its body at ground); the membrane bias: a PMOS mirror.
    let devices = rep["realisation"]["devices"].as_array().expect("devices");
    let sources: Vec<_> = devices.iter().filter(|d| d["kind"] == "current source").collect();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert!(!netlist.contains("atscale_r r="), "an ideal resistor:\n{netlist}");
    let ladder = netlist.lines().filter(|l| l.starts_with("'Rladder")).collect::<Vec<_>>();
    assert!(!ladder.is_empty() && ladder.iter().all(|l| l.contains(" 0) 'rhigh' w=5e-7 l=")), "{ladder:?}");
    let iext = devices.iter().find(|d| d["name"] == "MIext_b").expect("membrane bias mirror");
    assert_eq!(iext["kind"], "pmos", "{iext}");
    let rate = ev["nominal"]["rate_hz"].as_f64().expect("the spiker spikes");
    let design_rate = ev["design_rate_hz"].as_f64().expect("design rate");
    eprintln!("IHP SG13G2 in VACASK: {rate} Hz, design {design_rate} Hz");
    // Measured 103.8 Hz against 100 Hz (+3.8 %, the default window; 102.2 Hz
    // with ideal sources): the target is 10 %.
    assert!((rate / design_rate - 1.0).abs() < 0.10, "{rate} Hz against {design_rate} Hz");
    let reported: Vec<f64> = ev["nominal"]["events_s"]
        .as_array()
        .expect("events")
        .iter()
        .map(|t| t.as_f64().expect("s"))
        .collect();
    let separate = separate_vacask_events(&out.join("realised.sim"), &rep);
    assert_eq!(reported.len(), separate.len(), "report {reported:?}\nseparate {separate:?}");
    for (a, b) in reported.iter().zip(&separate) {
        // Measured: identical (the same netlist text in the same VACASK).
        assert!((a - b).abs() < 1e-15, "report {reported:?}\nseparate {separate:?}");
    }
}

/// `atscale clamp` writes ngspice decks of a realisation: an IHP realisation
/// (a VACASK library) is refused, naming why, instead of reaching ngspice
/// with a library it cannot read.
#[test]
fn clamping_an_ihp_realisation_is_refused_naming_why() {
    vacask();
    ihp_installed();
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = tmp.path().join("ihp");
    let design = d.join("design.json");
    let o = out.to_str().expect("UTF-8");
    stdout_ok(&["realise", design.to_str().expect("UTF-8"), "--tech", "ihp-sg13g2", "-o", o, "--no-sim"]);
    let r = atscale(&["clamp", o, "--engine", "ngspice", "--points", "3"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("technology ihp-sg13g2 runs in VACASK") && err.contains("not supported yet"),
        "{err}"
    );
}
