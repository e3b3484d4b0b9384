//! `atscale reliability`: the example experiment run through
//! `scripts/reliability.sh`, its report checked, its exported trial
//! netlists re-run in real ngspice against the native spike times, and an
//! existing report kept without `--force`.

use std::process::Command;

use crate::atscale;

fn times(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|t| t.as_f64().expect("number")).collect()
}

#[test]
fn the_example_is_reliable_with_frozen_noise_and_not_with_a_constant_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("rel");
    let out_s = out_dir.to_str().expect("UTF-8");
    let script = crate::root().join("scripts/reliability.sh");
    let run = Command::new(&script)
        .args(["docs/examples/reliability.toml", out_s])
        .env("ATSCALE", env!("CARGO_BIN_EXE_atscale"))
        .current_dir(crate::root())
        .output()
        .expect("the script runs");
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        run.status.success(),
        "{} failed with {}\nstdout:\n{stdout}\nstderr:\n{}",
        script.display(),
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    for f in ["report.json", "report.md", "raster.png", "frozen_trial0.cir", "constant_trial0.cir"] {
        assert!(out_dir.join(f).exists(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).expect("report.json"))
            .expect("JSON");
    let (f, c) = (&json["frozen"]["stats"], &json["constant"]["stats"]);
    let (rf, rc) = (f["reliability"].as_f64().expect("number"), c["reliability"].as_f64().expect("number"));
    assert!(rf > 0.9, "frozen reliability {rf}");
    assert!(rc < rf - 0.3, "constant reliability {rc}");
    assert_eq!(json["passed"], true);
    assert_eq!(json["spec"]["seed"], 1);
    assert_eq!(json["spec"]["trials"], 30);
    assert_eq!(json["units"]["time"], "model time units");
    let precision = f["precision"].as_f64().expect("frozen events have a precision");
    // A sanity band, not an accuracy (measured 0.088): the frozen-noise spikes
    // are precise to well under the half model time unit allowed.
    assert!(precision > 0.0 && precision < 0.5, "precision {precision}");
    // Every trial of the constant case fires tonically (period ~39.5) in the
    // 400-unit window: about 10 spikes per trial.
    let spikes = c["spikes"].as_u64().expect("count");
    assert!((270..=330).contains(&spikes), "{spikes}");
    // The numbers the summary prints are the report's.
    let num = atscale_render::axis::num;
    assert!(stdout.contains(&format!("frozen noise:     reliability {}", num(rf))), "{stdout}");
    assert!(stdout.contains("PASS"), "{stdout}");
    let md = std::fs::read_to_string(out_dir.join("report.md")).expect("report.md");
    assert!(
        md.contains(&format!("| reliability (fraction of spikes in events) | {} | {} |", num(rf), num(rc))),
        "{md}"
    );
    // A raster (280 pixels) above a PSTH (200 pixels) per case, 1300 wide.
    let png = std::fs::read(out_dir.join("raster.png")).expect("raster.png");
    let decoded = png::Decoder::new(std::io::Cursor::new(&png)).read_info().expect("a PNG");
    assert_eq!((decoded.info().width, decoded.info().height), (1300, 960));
    // The script re-ran both netlists in ngspice.
    assert!(stdout.contains("ngspice spike times of"), "{stdout}");

    // Trial 0 of each case in real ngspice fires at the native times. Measured
    // largest difference (model time units, period ~39.5): frozen 3.72e-3 (one
    // spike on a slow crossing of the noisy drive; the others within 1.4e-3),
    // constant 1.26e-4; 3x and 10x margin.
    for (case, max_dt) in [("frozen", 0.011), ("constant", 1.3e-3)] {
        let cir = out_dir.join(format!("{case}_trial0.cir"));
        let ng = crate::ngspice_events(&cir, "v", 1.0, 0.5);
        let native = times(&json[case]["spike_times"][0]);
        assert!(native.len() >= 10, "{case}: {native:?}");
        assert_eq!(ng.len(), native.len(), "{case}: ngspice {ng:?}, native {native:?}");
        for (a, b) in ng.iter().zip(&native) {
            assert!((a - b).abs() <= max_dt, "{case}: ngspice spike at {a}, native at {b}");
        }
    }

    // A second run without --force keeps the report and exits 2.
    let before = std::fs::read(out_dir.join("report.json")).expect("report.json");
    let again = atscale(&["reliability", "docs/examples/reliability.toml", "-o", out_s]);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("report.json exists; pass --force to overwrite it"), "{err}");
    assert_eq!(std::fs::read(out_dir.join("report.json")).expect("report.json"), before);
}

#[test]
fn a_bad_spec_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("bad.toml");
    std::fs::write(&spec, "seed = 3\ntrials = 1\n").expect("writes");
    let spec_s = spec.to_str().expect("UTF-8");
    let out = atscale(&["reliability", spec_s, "-o", dir.path().join("out").to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{spec_s}:2: trials must be from 2 to 100000, got 1")), "{err}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_unreliable_setting_exits_1() {
    // Without frozen noise the two cases are the same experiment: neither is reliable.
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("flat.toml");
    std::fs::write(&spec, "noise_std = 0.0\ntrials = 8\nduration = 200.0\nsettle_time = 50.0\n")
        .expect("writes");
    let out_dir = dir.path().join("out");
    let out = atscale(&[
        "reliability",
        spec.to_str().expect("UTF-8"),
        "-o",
        out_dir.to_str().expect("UTF-8"),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["passed"], false);
    assert_eq!(json["frozen"]["spike_times"], json["constant"]["spike_times"]);
    assert!(out_dir.join("report.md").exists());
}
