//! `atscale verify`: native against real ngspice on the reference netlists,
//! an unconverged ngspice run caught, an aborting netlist reported, control
//! blocks refused, the report written.

use crate::{atscale, stdout_ok};

fn verify_json(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut all = vec!["verify", "--json"];
    all.extend_from_slice(args);
    let out = atscale(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("atscale {all:?}: no JSON ({e})\nstdout:\n{stdout}\nstderr:\n{stderr}"));
    (out.status.code(), json, stderr)
}

#[test]
fn every_reference_netlist_verifies_native_against_ngspice() {
    for (file, events) in [
        ("netlists/ngspice/fitzhugh_nagumo.cir", "v,1,0.5"),
        ("netlists/ngspice/tanh_spiker.cir", "v,0,0.5"),
        ("netlists/ngspice/tanh_spiker_subckt.cir", "v,0,0.5"),
        ("netlists/ngspice/hodgkin_huxley.cir", "v,0,10"),
        // The ring-down oscillates through 0 V several times.
        ("netlists/ngspice/rlc.cir", "a,0,0.01"),
        // The RC discharge never rises through 0.5 V: both engines must agree on none.
        ("netlists/ngspice/rc.cir", "a,0.5,0.1"),
    ] {
        let (code, json, stderr) = verify_json(&[file, "--events", events]);
        assert_eq!(code, Some(0), "{file}: {json:#}\n{stderr}");
        assert_eq!(json["verdict"]["agree"], true, "{file}");
        assert_eq!(json["engines"][0]["name"], "native");
        assert_eq!(json["engines"][1]["name"], "ngspice");
        let signal = events.split(',').next().expect("signal");
        let native = json["engines"][0]["events"][signal].as_array().expect("events").len();
        let ngspice = json["engines"][1]["events"][signal].as_array().expect("events").len();
        assert_eq!(native, ngspice, "{file}");
        if file.contains("rlc") {
            assert!(native >= 3, "{file}: the ring-down should cross 0 V rising several times, got {native}");
        }
    }
}

#[test]
fn unconverged_ngspice_is_flagged_and_converged_shows_its_drift() {
    // A 2 s maximum step (a twentieth of the period) leaves ngspice far from converged.
    let (code, json, stderr) = verify_json(&[
        "netlists/ngspice/fitzhugh_nagumo.cir",
        "--events",
        "v,1,0.5",
        "--max-step",
        "2",
        "--converged",
    ]);
    assert_eq!(code, Some(1), "{json:#}\n{stderr}");
    assert_eq!(json["verdict"]["agree"], false);
    let conv = json["convergence"].as_array().expect("convergence");
    let drift = |engine: &str| {
        conv.iter()
            .find(|c| c["engine"] == engine)
            .and_then(|c| c["signals"][0]["max_shift_s"].as_f64())
            .unwrap_or_else(|| panic!("no drift for {engine}: {json:#}"))
    };
    let (native, ngspice) = (drift("native"), drift("ngspice"));
    // ngspice's own events move by much more than the allowed |dt| (1e-3 of ~39.5 s);
    // the native engine's barely move.
    assert!(ngspice > 0.0395, "ngspice drift {ngspice} s");
    assert!(native < 0.0395 / 10.0, "native drift {native} s");
    assert!(conv
        .iter()
        .any(|c| c["refinement"].as_str().is_some_and(|r| r.contains("max step 2e0 s -> 1e0 s"))));
}

#[test]
fn a_netlist_that_makes_ngspice_abort_is_an_error_naming_time_and_cause() {
    let out = atscale(&[
        "verify",
        "crates/atscale-verify/tests/fixtures/aborted_blowup.cir",
        "--events",
        "x,2",
        "--engines",
        "ngspice,native",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("aborted_blowup.cir"), "{err}");
    assert!(err.contains("ngspice aborted"), "{err}");
    assert!(err.contains("timestep too small at t = 9.97696e-1 s"), "{err}");
    assert!(err.contains("trouble with node \"x\""), "{err}");
}

#[test]
fn control_blocks_are_refused_unless_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ctl.cir");
    let mut text = std::fs::read_to_string(crate::root().join("netlists/ngspice/rc.cir")).expect("reads");
    text = text.replace(".end", ".control\nshell echo hello\nquit\n.endc\n.end");
    std::fs::write(&path, text).expect("writes");
    let p = path.to_str().expect("UTF-8");
    let out = atscale(&["verify", p, "--events", "a,0.5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ctl.cir:7: a .control block (`.control`)"), "{err}");
    assert!(err.contains("--allow-control"), "{err}");
    // The native engine alone never runs a control block: `sim` accepts the file with a warning.
    let out = atscale(&["sim", p, "--events", "a,0.5"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("this engine does not run it"));
}

#[test]
fn report_directory_holds_json_markdown_and_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rep = dir.path().join("rep");
    let rep_s = rep.to_str().expect("UTF-8");
    let out =
        stdout_ok(&["verify", "netlists/ngspice/tanh_spiker.cir", "--events", "v,0,0.5", "--report", rep_s]);
    assert!(out.contains("**AGREE**"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rep.join("report.json")).expect("report.json"))
            .expect("JSON");
    assert_eq!(json["schema_version"], 1);
    let md = std::fs::read_to_string(rep.join("report.md")).expect("report.md");
    assert!(md.contains("| native |"), "{md}");
    // Quantities read with SI prefixes and units: the stop time, the event,
    // and the largest time difference (the JSON's number, as `si` prints it).
    let tstop = json["tstop_s"].as_f64().expect("tstop");
    assert!(md.contains(&format!("Stop time {}.", atscale_render::axis::si(tstop, "s"))), "{md}");
    assert!(md.contains("- `v`: rising through 0 V, hysteresis 500 mV"), "{md}");
    let dt = json["comparisons"][0]["signals"][0]["comparison"]["max_abs_dt_s"].as_f64().expect("dt");
    let dt_text = atscale_render::axis::si(dt, "s");
    assert!(dt_text.ends_with(" ns") || dt_text.ends_with(" µs") || dt_text.ends_with(" ps"), "{dt_text}");
    assert!(md.contains(&format!("| {dt_text} |")), "{md}");
    // No quantity with a unit in exponent form (`5.000000e-1 s`).
    let words: Vec<&str> = md.split(|c: char| c.is_whitespace() || c == '|' || c == '(').collect();
    for w in words.windows(2) {
        let exponent = w[0].contains('e') && w[0].parse::<f64>().is_ok();
        assert!(!(exponent && ["s", "V", "A", "Hz"].contains(&w[1])), "`{} {}` in {md}", w[0], w[1]);
    }
    let png = std::fs::read(rep.join("overlay.png")).expect("overlay.png");
    let decoded = png::Decoder::new(std::io::Cursor::new(&png)).read_info().expect("a PNG");
    assert_eq!((decoded.info().width, decoded.info().height), (1300, 900));
    // A second run does not overwrite the report without --force.
    let again =
        atscale(&["verify", "netlists/ngspice/tanh_spiker.cir", "--events", "v,0,0.5", "--report", rep_s]);
    assert_eq!(again.status.code(), Some(2));
    stdout_ok(&[
        "verify",
        "netlists/ngspice/tanh_spiker.cir",
        "--events",
        "v,0,0.5",
        "--report",
        rep_s,
        "--force",
    ]);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["verify", "netlists/ngspice/rc.cir", "--events", "a,0.5", "--engines", "native,hspice"],
        vec!["verify", "netlists/ngspice/rc.cir", "--events", "a,0.5", "--engines", "native"],
        vec!["verify", "netlists/ngspice/rc.cir", "--events", "a"],
        vec!["verify", "netlists/ngspice/rc.cir", "--events", "a,0.5", "--tol", "-1"],
    ] {
        let out = atscale(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn circuits_in_spice21_reach_verify_across_three_engines() {
    // One threshold event; default tolerance (1e-3 of the run, as there is no interval).
    let (code, json, stderr) = verify_json(&[
        "tests/e2e/data/rc_diode.cir",
        "--events",
        "out,2,0.1",
        "--engines",
        "native,ngspice,spice21",
    ]);
    assert_eq!(code, Some(0), "{json:#}\n{stderr}");
    let names: Vec<&str> = json["engines"]
        .as_array()
        .expect("engines")
        .iter()
        .map(|e| e["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["native", "ngspice", "spice21"]);
    assert!(json["engines"][2]["settings"]["fixed_step_s"].as_f64().expect("spice21 reports its step") > 0.0);
    // Stated tolerance for the ring oscillator: 5e-3 of the period, because
    // spice21's backward Euler accumulates a period error along the train.
    let (code, json, stderr) = verify_json(&[
        "tests/e2e/data/ring_oscillator.cir",
        "--events",
        "n1,0.9,0.2",
        "--engines",
        "native,ngspice,spice21",
        "--tol",
        "5e-3",
    ]);
    assert_eq!(code, Some(0), "{json:#}\n{stderr}");
    for c in json["comparisons"].as_array().expect("comparisons") {
        assert_eq!(c["signals"][0]["comparison"]["counts"]["matched"], 10, "{c:#}");
    }
}

#[test]
fn spice21_explains_what_is_out_of_its_reach() {
    let out =
        atscale(&["sim", "netlists/ngspice/fitzhugh_nagumo.cir", "--engine", "spice21", "--events", "v,1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inductor `L1`: spice21 has no inductors"), "{err}");
}

#[test]
fn control_blocks_in_included_files_and_ng_script_are_refused_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("evil.inc"), "R9 a 0 1k\n.control\nshell echo hello\n.endc\n")
        .expect("writes");
    let rc = std::fs::read_to_string(crate::root().join("netlists/ngspice/rc.cir")).expect("reads");
    let top = dir.path().join("top.cir");
    std::fs::write(&top, rc.replace(".end", ".include evil.inc\n.end")).expect("writes");
    let out = atscale(&["verify", top.to_str().expect("UTF-8"), "--events", "a,0.5"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("evil.inc:2: a .control block"), "{err}");
    assert!(err.contains("--allow-control"), "{err}");

    let script = dir.path().join("script.cir");
    std::fs::write(&script, format!("*ng_script\n{}", rc.lines().skip(1).collect::<Vec<_>>().join("\n")))
        .expect("writes");
    let out = atscale(&["verify", script.to_str().expect("UTF-8"), "--events", "a,0.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("*ng_script"));
}

#[test]
fn relative_includes_resolve_from_the_netlist_folder_for_ngspice_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("lib")).expect("mkdir");
    std::fs::write(dir.path().join("lib/load.inc"), "R1 a 0 1000\n").expect("writes");
    let top = dir.path().join("top.cir");
    std::fs::write(
        &top,
        "rc with an included resistor\nC1 a 0 1e-6 IC=1\n.include lib/load.inc\n.tran 1e-5 5e-3 0 1e-6 uic\n.end\n",
    )
    .expect("writes");
    let (code, json, stderr) =
        verify_json(&[top.to_str().expect("UTF-8"), "--events", "a,0.5", "--tol-abs", "1e-6"]);
    assert_eq!(code, Some(0), "{json:#}\n{stderr}");
}
