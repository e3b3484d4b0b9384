//! `atscale verify`: native against real ngspice on the reference netlists,
//! each engine's events against closed forms (pulsed RC, RLC ring-down) and
//! scipy references (RC-diode, ring oscillator), the steps the documented
//! accuracy rule gives, an unconverged ngspice run caught, an aborting
//! netlist reported, control blocks refused, the report written.

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
    assert!(conv.iter().any(|c| c["refinement"].as_str().is_some_and(|r| r.contains("max step 2 s -> 1 s"))));
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
    // The native engine alone never runs a control block: `sim` sets it
    // aside with a warning naming the commands not run.
    let out = atscale(&["sim", p, "--events", "a,0.5"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "ctl.cir:7: the .control block is set aside: none of its commands runs; not run: shell, quit"
        ),
        "{err}"
    );
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

/// Each engine's events of `signal`, by engine name, from a verify report.
fn engine_events(json: &serde_json::Value, signal: &str) -> Vec<(String, Vec<f64>)> {
    json["engines"]
        .as_array()
        .expect("engines")
        .iter()
        .map(|e| {
            let name = e["name"].as_str().expect("name").to_string();
            let ev = e["events"][signal].as_array().expect("events").iter().map(|t| t.as_f64().expect("s"));
            (name, ev.collect())
        })
        .collect()
}

/// Asserts each engine's events against `exact`, within the engine's
/// tolerance in seconds (`tols`: engine name and tolerance).
fn assert_events_near(json: &serde_json::Value, signal: &str, exact: &[f64], tols: &[(&str, f64)]) {
    for (name, got) in engine_events(json, signal) {
        assert_eq!(got.len(), exact.len(), "{name}: {got:?} vs exact {exact:?}");
        let worst = got.iter().zip(exact).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let tol = tols.iter().find(|(n, _)| *n == name).map(|t| t.1).expect("a tolerance per engine");
        eprintln!("{signal}: {name} largest error {worst:.3e} s (tolerance {tol:e} s)");
        assert!(worst <= tol, "{name}: events {got:?} vs exact {exact:?}: {worst:e} s");
    }
}

/// Median inter-event interval, the verifier's time scale.
fn median_interval(ev: &[f64]) -> f64 {
    let mut d: Vec<f64> = ev.windows(2).map(|w| w[1] - w[0]).collect();
    d.sort_by(f64::total_cmp);
    if d.len() % 2 == 1 {
        d[d.len() / 2]
    } else {
        (d[d.len() / 2 - 1] + d[d.len() / 2]) / 2.0
    }
}

/// Rising crossings of 0.5 V by `out` of tests/e2e/data/rc_pulse.cir, in
/// closed form. With tau = RC, tau v' = u - v is solved piece by piece over
/// the PULSE(0 1 td tr tf pw per) input: along an edge u = u0 + k s
/// (k = ±1/tr) from v0, v(s) = u0 + (v0 - u0) e^(-s/tau) + k (s - tau (1 - e^(-s/tau)));
/// on a flat part at level u, v(s) = u + (v0 - u) e^(-s/tau). The crossing
/// follows the rising edge: t = td + n per + tr + tau ln((1 - v1) / 0.5),
/// v1 the value at the edge's end (below 0.5 each time, and each low phase
/// takes `out` below 0.4, re-arming the event).
fn rc_pulse_events() -> Vec<f64> {
    let (tau, td, tr, tf, pw, per) = (1e3 * 1e-6, 0.5e-3, 1e-6, 1e-6, 2e-3, 4e-3);
    let edge = |v0: f64, u0: f64, k: f64, s: f64| {
        let e = (-s / tau).exp();
        u0 + (v0 - u0) * e + k * (s - tau * (1.0 - e))
    };
    let flat = |v0: f64, u: f64, s: f64| u + (v0 - u) * (-s / tau).exp();
    let mut v = 0.0;
    let mut events = Vec::new();
    for n in 0..3 {
        let v1 = edge(flat(v, 0.0, if n == 0 { td } else { per - tr - pw - tf }), 0.0, 1.0 / tr, tr);
        assert!(v1 < 0.5);
        events.push(td + n as f64 * per + tr + tau * ((1.0 - v1) / 0.5).ln());
        let v2 = edge(flat(v1, 1.0, pw), 1.0, -1.0 / tf, tf);
        v = v2;
    }
    events
}

#[test]
fn rc_and_rlc_events_match_their_closed_forms() {
    // RC charged by pulses: three events. Default tolerance 1e-3 of the median interval.
    let (code, json, stderr) = verify_json(&["tests/e2e/data/rc_pulse.cir", "--events", "out,0.5,0.1"]);
    assert_eq!(code, Some(0), "{json:#}\n{stderr}");
    // Measured: native (reltol 1e-3) 9.3e-10 s, ngspice 2.9e-10 s; 10x margin
    // (the verdict allows 3.9e-6 s).
    assert_events_near(&json, "out", &rc_pulse_events(), &[("native", 9.3e-9), ("ngspice", 2.9e-9)]);
    // ngspice's maximum step from the documented rule: the accuracy is a
    // quarter of the allowed |dt| (1e-3 times the native median interval),
    // TMAX a quarter of the accuracy.
    let native = &engine_events(&json, "out")[0].1;
    let tmax = json["engines"][1]["settings"]["max_step"]["value_s"].as_f64().expect("TMAX");
    let want = 1e-3 * median_interval(native) / 4.0 / 4.0;
    // Measured exactly 0 (here and for the steps below); 1e-15 is a few ulp.
    assert!((tmax - want).abs() <= 1e-15 * want, "ngspice TMAX {tmax:e} s, the rule gives {want:e} s");

    // Series RLC ring-down from 1 V (C 1 uF, L 1 mH, R 10 Ohm): v = e^(-a t)
    // (cos w t + (a/w) sin w t), a = R/2L, w = sqrt(1/LC - a^2), is zero where
    // tan w t = -w/a and rising where sin w t < 0: t_k = (2 pi (k + 1) - atan(w/a)) / w,
    // five of them before 1 ms (each dip first reaches below -0.01 V, re-arming).
    let (code, json, stderr) = verify_json(&["netlists/ngspice/rlc.cir", "--events", "a,0,0.01"]);
    assert_eq!(code, Some(0), "{json:#}\n{stderr}");
    let (a, w) = (5e3f64, (1e9f64 - 25e6).sqrt());
    let exact: Vec<f64> =
        (0..5).map(|k| (2.0 * std::f64::consts::PI * (k + 1) as f64 - (w / a).atan()) / w).collect();
    // Measured: native 3.2e-13 s; ngspice 1.8e-8 s (the netlist's TMAX of
    // 0.5 us: trapezoidal phase error growing along the train); 10x margin.
    assert_events_near(&json, "a", &exact, &[("native", 3.2e-12), ("ngspice", 1.8e-7)]);
}

/// Event times of a scipy reference in the verifier's fixtures
/// (`crates/atscale-verify/tests/fixtures/<name>/<name>.json`, written by
/// `make_<name>.py` beside it).
fn reference_events(name: &str) -> Vec<f64> {
    let path = crate::root().join(format!("crates/atscale-verify/tests/fixtures/{name}/{name}.json"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("reference")).expect("JSON");
    json["events_s"].as_array().expect("events").iter().map(|t| t.as_f64().expect("s")).collect()
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
    // The steps by the documented rule, by hand: no interval, so the time
    // scale is a tenth of the 400 µs run; the allowed |dt| 1e-3 of it (40 ns);
    // the accuracy a quarter of that (10 ns); ngspice's TMAX a quarter of the
    // accuracy (2.5 ns); spice21's step the accuracy over its 1 event (10 ns).
    let tmax = json["engines"][1]["settings"]["max_step"]["value_s"].as_f64().expect("TMAX");
    assert!((tmax - 2.5e-9).abs() <= 1e-15 * 2.5e-9, "ngspice TMAX {tmax:e} s");
    let step = json["engines"][2]["settings"]["fixed_step_s"].as_f64().expect("spice21 reports its step");
    assert!((step - 1e-8).abs() <= 1e-15 * 1e-8, "spice21 step {step:e} s");
    // Against scipy's Radau at rtol 1e-12 (make_rc_diode.py). Measured: native
    // 1.5e-11 s, ngspice 8.5e-12 s (its CODATA 2014 thermal voltage), spice21
    // 6.6e-9 s (within its 10 ns accuracy); 10x margin, spice21's capped by
    // its accuracy.
    let exact = reference_events("rc_diode");
    assert_events_near(&json, "out", &exact, &[("native", 1.5e-10), ("ngspice", 8.5e-11), ("spice21", 1e-8)]);

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
    // The netlist's own TMAX (2 ps) wins for ngspice; spice21's step follows
    // the rule: 5e-3 of the native median interval, a quarter of that, over 10 events.
    let native = &engine_events(&json, "n1")[0].1;
    let step = json["engines"][2]["settings"]["fixed_step_s"].as_f64().expect("spice21 step");
    let want = 5e-3 * median_interval(native) / 4.0 / 10.0;
    assert!((step - want).abs() <= 1e-15 * want, "spice21 step {step:e} s, the rule gives {want:e} s");
    // Against the Shichman-Hodges ODE in scipy (make_ring_oscillator.py).
    // Measured: native 4.4e-15 s, ngspice 1.7e-14 s (10x margin); spice21
    // 9.06e-12 s, its backward Euler lag of 12 steps at the tenth event, which
    // is 1.2 times the accuracy its step was chosen for (7.5e-12 s) and 0.3
    // times the allowed |dt| (3.0e-11 s): pinned within 10 %.
    let exact = reference_events("ring_oscillator");
    assert_events_near(&json, "n1", &exact, &[("native", 4.4e-14), ("ngspice", 1.7e-13), ("spice21", 1e-11)]);
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
