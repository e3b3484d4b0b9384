//! `atscale sim` on the reference netlists in `netlists/`: the native engine
//! reproduces the independently computed reference event times.

use atscale_sim::reference;

use crate::{atscale, stdout_ok};

/// Runs `atscale sim --json` and returns the event times on `signal`.
fn json_events(netlist: &str, extra: &[&str], signal: &str) -> (Vec<f64>, serde_json::Value) {
    let mut args = vec!["sim", netlist, "--json"];
    args.extend_from_slice(extra);
    let out = stdout_ok(&args);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["engine"], "native", "{out}");
    let times = v["events"][signal]
        .as_array()
        .unwrap_or_else(|| panic!("no events for {signal} in {out}"))
        .iter()
        .map(|t| t.as_f64().expect("seconds"))
        .collect();
    (times, v)
}

fn assert_events_match(case: &reference::ReferenceCase, got: &[f64], rel_to_isi: f64) {
    assert_eq!(got.len(), case.expected_events.len(), "{}: {got:?}", case.name);
    for (g, e) in got.iter().zip(&case.expected_events) {
        assert!(
            (g - e).abs() <= rel_to_isi * case.isi,
            "{}: event at {g} s, reference {e} s, allowed {} s",
            case.name,
            rel_to_isi * case.isi
        );
    }
}

#[test]
fn reference_netlists_reproduce_reference_events() {
    for (file, case) in [
        ("netlists/ngspice/fitzhugh_nagumo.cir", reference::fitzhugh_nagumo()),
        ("netlists/ngspice/tanh_spiker.cir", reference::tanh_spiker()),
        ("netlists/ngspice/tanh_spiker_subckt.cir", reference::tanh_spiker()),
        ("netlists/ngspice/hodgkin_huxley.cir", reference::hodgkin_huxley()),
    ] {
        let spec = case.event.as_ref().expect("spiking case");
        let events = format!("{},{},{}", spec.signal, spec.threshold, spec.hysteresis);
        // The netlist's own .tran (with its maximum step) applies.
        let (got, json) = json_events(file, &["--events", &events], &spec.signal);
        // Measured at most 1.6e-8 of the ISI (FitzHugh-Nagumo; tanh 3.9e-10,
        // HH 4.0e-9); 2e-7 is a 12x margin.
        assert_events_match(&case, &got, 2e-7);
        assert!(json["stats"]["accepted"].as_u64().expect("accepted steps") > 0, "{json}");
        assert!(json["wall_s"].as_f64().expect("wall time") > 0.0, "{json}");
        // Without the netlist's small maximum step the native engine's own
        // error control still meets 1e-4 of the inter-spike interval (the
        // documented default accuracy): measured 3.3e-5 (FitzHugh-Nagumo),
        // 2.3e-5 (tanh), 1.2e-5 (HH); 3x to 8x.
        let (got, _) = json_events(file, &["--events", &events, "--max-step", "1e9"], &spec.signal);
        assert_events_match(&case, &got, 1e-4);
    }
}

#[test]
fn tstop_override_and_spice_suffixes() {
    // 100m of the FitzHugh-Nagumo run is 0.1 time units: no spike yet; 70 gives two.
    let (got, json) =
        json_events("netlists/ngspice/fitzhugh_nagumo.cir", &["--tstop", "70", "--events", "v,1,500m"], "v");
    assert_eq!(got.len(), 2, "{json}");
    assert_eq!(json["tstop_s"], 70.0);
    let (got, _) =
        json_events("netlists/ngspice/fitzhugh_nagumo.cir", &["--tstop", "100m", "--events", "v,1"], "v");
    assert!(got.is_empty());
}

#[test]
fn csv_output_has_units_and_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("rc.csv");
    let csv_s = csv.to_str().expect("UTF-8");
    stdout_ok(&["sim", "netlists/ngspice/rc.cir", "--probe", "a", "-o", csv_s]);
    let text = std::fs::read_to_string(&csv).expect("CSV written");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("time (s),a (V)"));
    // The RC circuit discharges: compare the last row with the analytic value.
    let case = reference::rc();
    let exact = case.exact.expect("RC has an analytic solution");
    let last: Vec<f64> =
        text.lines().last().expect("rows").split(',').map(|x| x.parse().expect("number")).collect();
    // Measured 1.2e-8 V; 1.5e-7 V is a 12x margin.
    assert!((last[1] - exact(last[0])).abs() < 1.5e-7, "{last:?} vs {}", exact(last[0]));

    let out = atscale(&["sim", "netlists/ngspice/rc.cir", "--probe", "a", "-o", csv_s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists; pass --force to overwrite it"));
    stdout_ok(&["sim", "netlists/ngspice/rc.cir", "--probe", "a", "-o", csv_s, "--force"]);
}

#[test]
fn bad_netlist_error_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bad.cir");
    std::fs::write(&path, "title\nR1 a 0 1k\nC1 a 0 1p\nJ1 a b c jmod\n.tran 1n 1u\n.end\n").expect("writes");
    let out = atscale(&["sim", path.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.cir:4:1"), "{err}");
    assert!(err.contains("J1 a b c jmod"), "{err}");
}

#[test]
fn bad_event_option_is_a_usage_error() {
    let out = atscale(&["sim", "netlists/ngspice/rc.cir", "--events", "a"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NODE,THRESHOLD[,HYSTERESIS]"));
    let out = atscale(&["sim", "netlists/ngspice/rc.cir", "--events", "a,1x?"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("threshold `1x?`"));
}
