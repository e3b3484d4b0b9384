//! `atscale realise` on the open PDKs' own models (sky130, GF180; installed
//! by `scripts/install-pdks.sh`, which `make test` runs): the technology's
//! subthreshold parameters measured on the models against an independent
//! script's, and the corner, temperature and Monte Carlo runs against
//! separate ngspice runs of the written netlist with the section (and seed)
//! changed by hand.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{atscale, stdout_ok};

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("JSON")
}

/// The 100 Hz tonic spiker of the examples, designed into `dir`.
fn spiker(dir: &Path) -> PathBuf {
    let d = dir.join("design");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    d.join("design.json")
}

fn realise(design: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["realise", design.to_str().expect("UTF-8"), "-o", out.to_str().expect("UTF-8")];
    args.extend_from_slice(extra);
    let o = atscale(&args);
    assert!(
        o.status.success(),
        "atscale {args:?}: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    report(out)
}

/// atscale's characterisation (one operating point of one transistor per
/// gate voltage, in ngspice or for IHP in VACASK) against
/// scripts/characterise-pdk.py's (an ngspice `.dc` sweep, or a VACASK
/// `sweep` of `op`, of one transistor per length, fitted in numpy), recorded
/// in tests/e2e/data/pdk/characterisation.json by that script.
#[test]
fn pdk_characterisation_agrees_with_the_independent_script() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::root().join("tests/e2e/data/pdk/characterisation.json"))
            .expect("reference"),
    )
    .expect("JSON");
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    crate::vacask::vacask();
    for tech in ["sky130", "gf180", "ihp-sg13g2"] {
        let rep = realise(&design, &tmp.path().join(tech), &["--tech", tech, "--no-sim", "--force"]);
        let got = &rep["characterisation"]["measured"];
        let want = &reference[tech];
        for key in
            ["kappa_n", "kappa_p", "specific_current_n_a", "specific_current_p_a", "offset_length_factor"]
        {
            let (g, w) = (got[key].as_f64().expect(key), want[key].as_f64().expect(key));
            // Measured: 8.5e-8 relative at most (sky130's NMOS specific current; the
            // two benches' currents differ in ngspice's last digits), IHP in VACASK
            // 3.3e-12 (the PMOS specific current); 12x margin.
            assert!((g / w - 1.0).abs() < 1e-6, "{tech} {key}: atscale {g}, script {w}");
        }
        assert_eq!(got["offset_length_at_longest"], want["offset_length_at_longest"], "{tech}");
        assert_eq!(got["square_m"], want["square_m"], "{tech}");
    }
}

/// The `.lib` line of a written netlist with its section replaced by
/// `section`, `.options temp=` by `temp_c`, and `extra` cards added before `.end`.
fn with_section(netlist: &str, section: &str, temp_c: f64, extra: &str) -> String {
    let mut out = String::new();
    let mut replaced = 0;
    for line in netlist.lines() {
        if line.to_ascii_lowercase().starts_with(".options temp=") {
            out.push_str(&format!(".options temp={temp_c}\n"));
        } else if line.to_ascii_lowercase().starts_with(".lib ") {
            let cut = line.rfind(' ').expect("a section");
            out.push_str(&format!("{} {section}\n", &line[..cut]));
            replaced += 1;
        } else if line.eq_ignore_ascii_case(".end") {
            out.push_str(extra);
            out.push_str(".end\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(replaced, 1, "one .lib line in\n{netlist}");
    out
}

fn events(v: &Value) -> Vec<f64> {
    v["events_s"].as_array().expect("events").iter().map(|t| t.as_f64().expect("time")).collect()
}

/// Events of a separate ngspice run of `text` at the report's threshold.
fn separate_run(dir: &Path, name: &str, text: &str, rep: &Value) -> Vec<f64> {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("netlist");
    let real = &rep["realisation"];
    crate::ngspice_events(
        &path,
        real["membrane"].as_str().expect("membrane"),
        real["threshold_v"].as_f64().expect("threshold"),
        real["hysteresis_v"].as_f64().expect("hysteresis"),
    )
}

fn assert_same_events(what: &str, reported: &[f64], separate: &[f64]) {
    assert_eq!(reported.len(), separate.len(), "{what}: report {reported:?}\nseparate {separate:?}");
    for (a, b) in reported.iter().zip(separate) {
        // Measured: identical to the bit (the same netlist text); 1e-15 s admits rounding only.
        assert!((a - b).abs() < 1e-15, "{what}: report {reported:?}\nseparate {separate:?}");
    }
}

/// GF180's corners, temperatures and Monte Carlo: each reported run is the
/// written netlist on that section (temperature, seed) run separately; the
/// `tt` corner at 27 °C is the nominal run; the Monte Carlo seeds give
/// different circuits.
#[test]
fn gf180_corners_and_monte_carlo_are_the_netlist_on_those_sections() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    let out = tmp.path().join("gf");
    let args = [
        "--tech",
        "gf180",
        "--corners",
        "tt,ss",
        "--temperatures",
        "27,85",
        "--monte-carlo",
        "3",
        "--seed",
        "1",
        // Eight periods of the spiker (half the default window): seven spikes a run.
        "--tstop-model",
        "320",
        "--force",
    ];
    let rep = realise(&design, &out, &args);
    let ev = &rep["evidence"];
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("realised.cir");
    let corners = ev["corners"].as_array().expect("corners");
    let order: Vec<(String, f64)> = corners
        .iter()
        .map(|c| (c["section"].as_str().expect("section").into(), c["temperature_c"].as_f64().expect("temp")))
        .collect();
    assert_eq!(order, [("tt".into(), 27.0), ("tt".into(), 85.0), ("ss".into(), 27.0), ("ss".into(), 85.0)]);
    assert_same_events("tt against nominal", &events(&corners[0]["measured"]), &events(&ev["nominal"]));
    for (c, (section, temp)) in corners.iter().zip(&order).skip(1) {
        let text = with_section(&netlist, section, *temp, "");
        let separate = separate_run(tmp.path(), &format!("{section}{temp}.cir"), &text, &rep);
        assert_same_events(&format!("{section} {temp}"), &events(&c["measured"]), &separate);
        let e = c["measured"]["energy_per_spike_j"].as_f64().expect("energy");
        // The supply's energy per spike: 325 pJ measured at tt (3.3 V, ~1 nA of bias).
        assert!(e > 1e-11 && e < 1e-8, "{section} {temp}: {e} J");
    }
    let mc = ev["monte_carlo"]["runs"].as_array().expect("monte carlo runs");
    let seeds: Vec<u64> = mc.iter().map(|r| r["seed"].as_u64().expect("seed")).collect();
    assert_eq!(seeds, [1, 2, 3]);
    // Seeds 1 and 3 spike (94.4 and 102.8 Hz in ngspice 39), seed 2 does not
    // (its mismatch stops the spiker): different circuits.
    assert_ne!(events(&mc[0]["measured"]), events(&mc[2]["measured"]), "seeds 1 and 3 gave the same circuit");
    for (k, r) in mc.iter().enumerate() {
        let seed = format!(".options seed={}\n", k + 1);
        let separate =
            separate_run(tmp.path(), &format!("mc{k}.cir"), &with_section(&netlist, "mc", 27.0, &seed), &rep);
        assert_same_events(&format!("seed {}", k + 1), &events(&r["measured"]), &separate);
    }
    let png = std::fs::read(out.join("monte-carlo.png")).expect("monte-carlo.png");
    assert!(png.starts_with(b"\x89PNG"));
}

/// Errors name what is missing: corners of a technology of model cards, a
/// corner the technology does not list, Monte Carlo without a statistical
/// section, a PDK that is not installed.
#[test]
fn pdk_options_refuse_what_the_technology_cannot_do() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    let d = design.to_str().expect("UTF-8");
    let out = tmp.path().join("x");
    let o = out.to_str().expect("UTF-8");
    for (args, want) in [
        (vec!["--tech", "generic-bsim4", "--corners", "ff"], "generic-bsim4 has model cards"),
        (
            vec!["--tech", "gf180", "--corners", "tt,xx"],
            "gf180 has no corner `xx`; its corners: tt, ff, ss, sf, fs",
        ),
        (vec!["--tech", "generic-bsim4", "--monte-carlo", "2"], "generic-bsim4 has none"),
        (
            vec!["--tech", "ihp-sg13g2", "--monte-carlo", "2"],
            "ihp-sg13g2 has none: IHP's statistical and mismatch libraries (sg13g2_moshv_stat.lib, \
             sg13g2_moshv_mismatch.lib) are not converted for VACASK",
        ),
        (vec!["--tech", "gf180", "--corners", "tt;.control"], "is not a library section name"),
        (vec!["--tech", "gf180", "--temperatures", "-300"], "--temperatures values must be between"),
        (vec!["--tech", "gf180", "--corners", "ff", "--no-sim"], "not with --no-sim"),
        (
            vec!["--tech", "gf180", "--monte-carlo", "2", "--seed", "2147483647"],
            "at most 10000 runs, with seeds up to 2147483647",
        ),
    ] {
        let mut all = vec!["realise", d, "-o", o];
        all.extend(args.iter());
        let r = atscale(&all);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_atscale"))
        .args(["realise", d, "-o", o, "--no-sim", "--tech", "sky130"])
        .current_dir(crate::root())
        .env("ATSCALE_PDK_ROOT", tmp.path())
        .output()
        .expect("atscale runs");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("the sky130 PDK is not installed") && err.contains("make pdks"), "{err}");
}
