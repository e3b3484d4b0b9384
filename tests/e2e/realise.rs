//! `atscale realise`: designs realised in transistors, simulated for real in
//! ngspice (and spice21). The rates are checked against independent truths:
//! the design target of the spec file, and the membrane events of a separate
//! ngspice run of the written `realised.cir` (`atscale sim --engine
//! ngspice`), from which the test computes rates and bursts itself.
//!
//! ngspice is deterministic: every value pinned below was identical to the
//! last bit in repeated runs (and the report's events equal those of the
//! separate run to the bit). The bands are therefore set from the numerical
//! accuracy of the runs instead, measured by halving the maximum step or by
//! changing it by 0.1 %, so that any change of the circuits shows.

use std::path::Path;

use serde_json::Value;

use crate::{atscale, stdout_ok};

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("JSON")
}

/// A number of the `[target]` table of a spec file: the design target, the
/// truth the realisation is measured against.
fn target(spec: &str, key: &str) -> f64 {
    let text = std::fs::read_to_string(crate::root().join(spec)).expect("spec");
    let spec: toml::Value = toml::from_str(&text).expect("TOML spec");
    spec["target"][key].as_float().or_else(|| spec["target"][key].as_integer().map(|i| i as f64)).expect(key)
}

/// Membrane events of a separate ngspice run of the written `realised.cir`,
/// at the report's threshold and hysteresis.
fn ngspice_events(dir: &Path, rep: &Value) -> Vec<f64> {
    let real = &rep["realisation"];
    let node = real["membrane"].as_str().expect("membrane");
    let threshold = real["threshold_v"].as_f64().expect("threshold");
    let hysteresis = real["hysteresis_v"].as_f64().expect("hysteresis");
    crate::ngspice_events(&dir.join("realised.cir"), node, threshold, hysteresis)
}

/// The report's events are those of the separate run of the netlist it wrote.
/// Measured: identical to the bit; 1e-12 s (1e-10 of the interval) allows
/// the last bits of another libm.
fn assert_report_events_are_the_netlists(rep: &Value, ngspice: &[f64]) {
    let reported: Vec<f64> = rep["evidence"]["nominal"]["events_s"]
        .as_array()
        .expect("events")
        .iter()
        .map(|t| t.as_f64().expect("time"))
        .collect();
    assert_eq!(reported.len(), ngspice.len(), "report {reported:?}\nngspice {ngspice:?}");
    for (a, b) in reported.iter().zip(ngspice) {
        // Measured exactly 0 over 82 events (the same numbers); 1e-15 s only admits rounding.
        assert!((a - b).abs() < 1e-15, "report {reported:?}\nngspice {ngspice:?}");
    }
}

/// The guide's firing rate: 1 / mean inter-spike interval after the first
/// two spikes (at least five spikes), Hz.
fn rate_hz(ev: &[f64]) -> f64 {
    assert!(ev.len() >= 5, "too few spikes for a rate: {ev:?}");
    (ev.len() - 3) as f64 / (ev[ev.len() - 1] - ev[2])
}

/// A burst train as the guide defines it: bursts split at the intervals
/// longer than the geometric mean of the shortest and longest; returns the
/// settled spikes per burst (the complete bursts, first and last dropped,
/// all equal), the burst period (mean interval between the burst starts of
/// the second half) and the mean interval inside bursts after the first.
fn bursts(ev: &[f64]) -> (usize, f64, f64) {
    let isi: Vec<f64> = ev.windows(2).map(|w| w[1] - w[0]).collect();
    let (lo, hi) = isi.iter().fold((f64::INFINITY, 0.0_f64), |(l, h), &d| (l.min(d), h.max(d)));
    let gap = (lo * hi).sqrt();
    let starts: Vec<usize> =
        std::iter::once(0).chain((0..isi.len()).filter(|&k| isi[k] > gap).map(|k| k + 1)).collect();
    assert!(starts.len() >= 4, "fewer than two complete bursts: {ev:?}");
    let counts: Vec<usize> = starts.windows(2).skip(1).map(|w| w[1] - w[0]).collect();
    assert!(counts.iter().all(|&c| c == counts[0]), "unsettled bursts {counts:?}");
    let settled = &starts[starts.len() / 2..];
    let period = (ev[settled[settled.len() - 1]] - ev[settled[0]]) / (settled.len() - 1) as f64;
    let first_gap = isi.iter().position(|&d| d > gap).expect("a gap");
    let inside: Vec<f64> = isi[first_gap + 1..].iter().copied().filter(|&d| d < gap).collect();
    (counts[0], period, inside.iter().sum::<f64>() / inside.len() as f64)
}

/// `value` within `rel` of `pinned`, relatively.
fn assert_pinned(what: &str, value: f64, pinned: f64, rel: f64) {
    assert!((value / pinned - 1.0).abs() <= rel, "{what}: {value}, pinned at {pinned} within {rel:e}");
}

/// The guide's example: the four-conductance spiker at 100 Hz realised in
/// the generic BSIM4 technology, 400 model units. Its rate, measured by a
/// separate ngspice run of the written netlist, is pinned against the
/// design target: +2.535 % (measured 102.535 Hz against 100 Hz; the ideal
/// model of the realisation says 114.90 Hz, the transistors are 10.8 %
/// slower than it, the documented deficit of the followers). The spiker has
/// no knee, so it is not trimmed.
#[test]
fn realised_spiker_spikes_in_ngspice_at_the_predicted_rate() {
    const SPEC: &str = "docs/examples/four-conductance-spiking.toml";
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fc");
    let r = tmp.path().join("fc-real");
    stdout_ok(&["design", SPEC, "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let out = stdout_ok(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        r.to_str().expect("UTF-8"),
        "--tstop-model",
        "400",
    ]);
    assert!(out.contains("time-scale calibration factor"), "{out}");
    let rep = report(&r);
    let ev = &rep["evidence"];
    let spikes = ngspice_events(&r, &rep);
    assert_report_events_are_the_netlists(&rep, &spikes);
    assert_eq!(spikes.len(), 8, "{spikes:?}");
    let rate = rate_hz(&spikes);
    let want = target(SPEC, "rate_hz");
    // Deterministic (identical in every run). Halving the maximum step moves
    // the rate by 3.9e-5 of itself (102.53495 -> 102.53097 Hz): 1e-4 is
    // 2.6x that.
    assert_pinned("rate against the design target", rate / want, 1.025_349_5, 1e-4);
    // Measured 2.2e-16 (one ulp); 2e-15 is a 9x margin.
    assert_pinned("reported rate", ev["nominal"]["rate_hz"].as_f64().expect("rate"), rate, 2e-15);
    // The calibration factor brings the measured rate to the target: the
    // design's own rate is the target within 1.3e-11; 1e-10 is 8x that.
    let cal = ev["calibration_factor"].as_f64().expect("calibration");
    assert_pinned("calibrated rate", cal * rate, want, 1e-10);
    // The ideal model of the realisation (native solver, deterministic):
    // 114.898 Hz, within 1e-4 (the native default tolerances give events
    // within 2.8e-5 of the interval on the FitzHugh-Nagumo cell,
    // docs/performance.md: 3.5x).
    let ideal = ev["ideal"]["rate_hz"].as_f64().expect("ideal rate");
    assert_pinned("ideal model rate", ideal, 114.898_2, 1e-4);
    assert_pinned(
        "ideal calibration",
        ev["calibration_ideal_model"].as_f64().expect("cal"),
        want / ideal,
        1e-9,
    );
    assert!(ev["trim"].is_null(), "the spiker has no knee: no trim");
    // Every transistor in weak inversion, within the technology's limits.
    let devices = rep["realisation"]["devices"].as_array().expect("devices");
    let mos: Vec<_> = devices.iter().filter(|d| d["kind"] == "nmos" || d["kind"] == "pmos").collect();
    // Rf, nine leak amplifiers, two followers of three amplifiers, two output amplifiers.
    assert_eq!(mos.len(), 72, "18 amplifiers of 4 transistors");
    // The followers' built-in offsets: the long input device is e^3 times
    // longer, times the technology's offset_length_factor 1.757 (the 2 µm
    // device's reverse short-channel deficit).
    let long: Vec<_> =
        mos.iter().filter(|d| d["role"].as_str().is_some_and(|r| r.contains("long"))).collect();
    assert_eq!(long.len(), 4, "two offset pairs per follower");
    for d in &long {
        let ratio = d["l_m"].as_f64().expect("L") / 2e-6;
        // Measured 4.7e-3 (L on the layout grid); 0.01 is a 2.1x margin.
        assert!((ratio - 1.757 * 3f64.exp()).abs() < 0.01, "{d}");
    }
    for m in &mos {
        assert_eq!(m["region"], "weak inversion", "{m}");
        assert!(m["inversion"].as_f64().expect("IC") < 0.1, "{m}");
    }
    let cir = std::fs::read_to_string(r.join("realised.cir")).expect("netlist");
    assert!(cir.contains("\n.options temp=27\n"), "{cir}");
    assert!(cir.contains(" gmin=") && cir.contains(".model nch NMOS(LEVEL=54"), "{cir}");
    let xyce = std::fs::read_to_string(r.join("realised.xyce.cir")).expect("Xyce netlist");
    assert!(xyce.contains(".OPTIONS DEVICE TEMP=27") && xyce.contains(".OPTIONS DEVICE GMIN="), "{xyce}");
    assert!(r.join("comparison.png").exists() && r.join("report.md").exists());
    // No clobbering without --force.
    let again = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        r.to_str().expect("UTF-8"),
        "--no-sim",
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("pass --force"));
}

/// A bias sweep of the spiker (0.5, 1 and 2 times every bias current, a
/// short window of 260 model units): subthreshold theory predicts rate ∝
/// scale (log-log slope 1, every time constant is `C s / I`). Measured:
/// slope 0.9930, rates 51.36 and 203.5 Hz (ratio 3.962, -0.95 % from 4),
/// largest deviation from `rate(1) x scale` 0.55 %; the bands are 3x these.
/// The guide's full sweep (500 model units) is in
/// `scripts/realise-evidence.sh`.
#[test]
fn bias_sweep_scales_the_rate_as_subthreshold_theory_predicts() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fc");
    let r = tmp.path().join("sweep");
    stdout_ok(&["design", "docs/examples/four-conductance-spiking.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = stdout_ok(&[
        "realise",
        d.join("design.json").to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        r.to_str().expect("UTF-8"),
        "--tstop-model",
        "260",
        "--sweep",
        "0.5,2",
    ]);
    assert!(out.contains("fitted log-log slope"), "{out}");
    let ev = &report(&r)["evidence"];
    let slope = ev["sweep_slope"].as_f64().expect("slope");
    assert!((slope - 1.0).abs() < 0.021, "slope {slope}");
    let dev = ev["sweep_max_deviation"].as_f64().expect("deviation");
    assert!(dev < 0.0165, "largest deviation from rate(1) x scale: {dev}");
    let rates: Vec<f64> =
        ev["sweep"].as_array().expect("sweep").iter().map(|s| s["rate_hz"].as_f64().expect("rate")).collect();
    assert_eq!(rates.len(), 2);
    assert!((rates[1] / rates[0] / 4.0 - 1.0).abs() < 0.0285, "{rates:?}");
}

/// The burster (13 spikes per 0.5 s) realised in generic-bsim4 bursts in
/// ngspice with the design's spikes per burst and, after the time-scale
/// calibration (one factor fitted on the mean intra-burst interval, the
/// fast time scale), the design's burst period within the pinned -1.07 %.
/// The test computes the bursts itself from a separate ngspice run of the
/// written netlist. The membrane trim (`--trim`: the transistor circuit's static
/// current error at the design's knee, -70 pA) is what makes the period
/// right: untrimmed (the default), the same circuit bursts every 288 ms (-40.8 % after
/// calibration), because the design's period moves by about 15 % per 1 %
/// of its bias current. A 2 s window (four bursts) and a maximum step of
/// 3.2 model units (400 µs, 4x the realisation's own) keep it fast; the
/// full-resolution run is in `scripts/realise-evidence.sh` and the guide.
#[test]
fn realised_burster_bursts_in_ngspice() {
    const SPEC: &str = "docs/examples/bursting.toml";
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("b");
    stdout_ok(&["design", SPEC, "-o", d.to_str().expect("UTF-8")]);
    let run = |name: &str, extra: &[&str]| {
        let r = tmp.path().join(name);
        let mut args = vec![
            "realise",
            d.join("design.json").to_str().expect("UTF-8"),
            "--tech",
            "generic-bsim4",
            "-o",
            r.to_str().expect("UTF-8"),
            "--tstop-model",
            "16000",
            "--max-step-model",
            "3.2",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
        args.extend(extra.iter().map(|x| x.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = stdout_ok(&refs);
        assert!(out.contains("after calibration: burst period"), "{out}");
        (r.clone(), report(&r))
    };
    let (dir, rep) = run("real", &["--trim"]);
    let ev = &rep["evidence"];
    let spikes = ngspice_events(&dir, &rep);
    assert_report_events_are_the_netlists(&rep, &spikes);
    let (n, period, ibi) = bursts(&spikes);
    let (want_n, want_p) = (target(SPEC, "spikes_per_burst"), target(SPEC, "burst_period_s"));
    assert_eq!(n as f64, want_n, "spikes per burst: the design's 13");
    // Measured: period 483.95 ms, intra-burst interval 10.212 ms against
    // the design's 10.438 ms (factor 0.9784), so the calibrated period is
    // 494.6 ms, -1.074 % from the target. Deterministic; changing the
    // maximum step by 0.1 % moves the period by up to 3e-4 of itself and
    // the intra-burst interval by 2e-4, so the calibrated deviation by about
    // 5e-4: pinned within 2e-3 (4x). (Halving the step moves the period by
    // 0.8 %: the coarse step is part of what is pinned.)
    let design_ibi = ev["design_intra_burst_interval_s"].as_f64().expect("design intra-burst interval");
    let cal = ibi / design_ibi;
    let dev = period / cal / want_p - 1.0;
    assert!(
        (dev + 0.010_74).abs() < 2e-3,
        "calibrated period deviation {dev}: period {period} s, factor {cal}"
    );
    assert_pinned("burst period", period, 0.483_95, 1e-3);
    // The report says the same (its design period is the target within 7e-10).
    assert_pinned("reported factor", ev["calibration_factor"].as_f64().expect("factor"), cal, 1e-9);
    let reported = ev["calibrated_period_deviation"].as_f64().expect("calibrated deviation");
    // Measured 6.9e-10; 1e-8 is a 14x margin.
    assert!((reported - dev).abs() < 1e-8, "report {reported}, measured {dev}");
    let trim = &ev["trim"];
    let knee = trim["knee_model_v"].as_f64().expect("knee");
    let trim_a = trim["trim_a"].as_f64().expect("trim");
    // The knee is searched on a grid of 0.01 model V: -1.17 exactly, within
    // half a grid step.
    assert!((knee + 1.17).abs() < 5e-3, "{knee}");
    // -70.011 pA from the ngspice DC operating point (identical in every
    // run); 1e-3 of it is 0.07 pA, 7e-5 of the membrane's 1.06 nA, below
    // the operating point's own accuracy at reltol 1e-4 (0.1 pA).
    assert_pinned("trim", trim_a, -70.011e-12, 1e-3);
    // Untrimmed, the burst period is far off: -40.75 % after calibration
    // (12 spikes per 288.2 ms). Changing the maximum step by 0.1 % moves
    // the period by 3.1e-4 and the intra-burst interval by 1.9e-4 of
    // themselves: pinned within 3e-3 (6x).
    let (_, raw) = run("untrimmed", &[]);
    let raw = &raw["evidence"];
    assert!(raw["trim"].is_null());
    // Untrimmed, the same measurement is reported as the static current error,
    // with what such an error does to the ideal model's burst period.
    let err = raw["static_error"]["trim_a"].as_f64().expect("static error");
    assert!((err / trim_a - 1.0).abs() < 1e-9, "static error {err} A, trim {trim_a} A");
    let sens = &raw["sensitivity"];
    assert_eq!(sens["metric"], "burst period");
    let (plus, minus) = (sens["plus"].as_f64().expect("plus"), sens["minus"].as_f64().expect("minus"));
    // Measured -6.14 % and +10.61 % for 4.986 pA (0.01 model units):
    // crates/atscale-design/tests/design/sensitivity.rs checks the runs.
    assert!(plus < -0.05 && minus > 0.1, "{sens}");
    let raw_dev = raw["calibrated_period_deviation"].as_f64().expect("untrimmed deviation");
    assert!((raw_dev + 0.4075).abs() < 3e-3, "untrimmed calibrated period deviation {raw_dev}");
}

/// The FitzHugh-Nagumo spiker (100 Hz) realised in generic-bsim4: the cubic
/// as nine amplifiers (a signed multi-tanh fit, negative resistance in the
/// middle), the inductor branch as a state capacitor and three linearised
/// transconductors. Its rate, measured by a separate ngspice run of the
/// written netlist, is pinned against the design target: -10.81 % (89.186
/// Hz with `--trim` against 100 Hz; its ideal model 99.91 Hz: the documented
/// deficit of the amplifiers' parasitic capacitance).
#[test]
fn realised_fitzhugh_nagumo_spikes_in_ngspice() {
    const SPEC: &str = "docs/examples/tonic-spiking-100hz.toml";
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fhn");
    let r = tmp.path().join("real");
    stdout_ok(&["design", SPEC, "-o", d.to_str().expect("UTF-8")]);
    let out = stdout_ok(&[
        "realise",
        d.join("design.json").to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        r.to_str().expect("UTF-8"),
        "--trim",
    ]);
    assert!(out.contains("signed multi-tanh fit of the cubic") && out.contains("recovery branch"), "{out}");
    let rep = report(&r);
    let ev = &rep["evidence"];
    let spikes = ngspice_events(&r, &rep);
    assert_report_events_are_the_netlists(&rep, &spikes);
    assert_eq!(spikes.len(), 14, "{spikes:?}");
    let rate = rate_hz(&spikes);
    let want = target(SPEC, "rate_hz");
    // Deterministic. Halving the maximum step moves the rate by 3.2e-5 of
    // itself (89.18624 -> 89.18336 Hz): 1e-4 is 3x that.
    assert_pinned("rate against the design target", rate / want, 0.891_862_4, 1e-4);
    // The ideal model (native, deterministic) is the design within 0.09 %.
    assert_pinned("ideal model rate", ev["ideal"]["rate_hz"].as_f64().expect("ideal"), 99.911_75, 1e-4);
    // The calibration brings the measured rate to the target: the design's
    // own rate is the target within 1.6e-10; 1e-9 is 6x that.
    let cal = ev["calibration_factor"].as_f64().expect("calibration");
    assert_pinned("calibrated rate", cal * rate, want, 1e-9);
    // The trim at the knee (0 model V): -12.953 pA (identical in every run;
    // 1e-3 of it is 0.013 pA, 6e-5 of the membrane's 202 pA).
    assert_pinned("trim", ev["trim"]["trim_a"].as_f64().expect("trim"), -12.953e-12, 1e-3);
    let mos = rep["realisation"]["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| d["kind"] == "nmos" || d["kind"] == "pmos")
        .count();
    assert_eq!(mos, 144, "cubic 9 + recovery 27 amplifiers of 4 transistors");
}

fn design_at(dir: &std::path::Path, rate_hz: f64) -> std::path::PathBuf {
    let spec = dir.join(format!("spec{rate_hz}.toml"));
    std::fs::write(
        &spec,
        format!(
            "template = \"four-conductance-spiking\"\n[target]\nrate_hz = {rate_hz:?}\n[scale]\namplitude_v = 0.1\ncapacitance_f = 1e-12\n"
        ),
    )
    .expect("spec");
    let d = dir.join(format!("d{rate_hz}"));
    stdout_ok(&["design", spec.to_str().expect("UTF-8"), "-o", d.to_str().expect("UTF-8")]);
    d.join("design.json")
}

/// The level-1 realisation (above threshold) of a 200 kHz spiker: its rate
/// in ngspice is pinned against the design target (103.47 kHz, -48.3 %: the
/// single-pair followers slew, which its ideal model, 102.41 kHz, explains
/// within 1.03 %), and it verifies across ngspice, the native solver and
/// spice21. Measured |dt| against ngspice over the matched spikes: native
/// 4.4e-4 (4.3 ns), spice21 1.23e-3 (14.0 ns) of the local interval
/// (~9.7 µs); allowed 2e-3 (4.5x) and 5e-3 (4x: spice21's fixed-step
/// backward Euler drifts along the train).
#[test]
fn level1_realisation_verifies_across_ngspice_native_and_spice21() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = design_at(tmp.path(), 200_000.0);
    let r = tmp.path().join("real");
    stdout_ok(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "generic-level1",
        "-o",
        r.to_str().expect("UTF-8"),
    ]);
    let rep = report(&r);
    let spikes = ngspice_events(&r, &rep);
    assert_report_events_are_the_netlists(&rep, &spikes);
    // Deterministic; halving the maximum step moves the rate by 4.9e-5 of
    // itself (103471.8 -> 103466.8 Hz): 1.5e-4 is 3x that.
    let rate = rate_hz(&spikes);
    assert_pinned("rate against the design target", rate / 200_000.0, 0.517_358_97, 1.5e-4);
    let ideal = rep["evidence"]["ideal"]["rate_hz"].as_f64().expect("ideal");
    assert_pinned("ideal model rate", ideal, 102_413.38, 1e-4);
    let thr = rep["realisation"]["threshold_v"].as_f64().expect("threshold");
    let hyst = rep["realisation"]["hysteresis_v"].as_f64().expect("hysteresis");
    let events = format!("v,{thr:e},{hyst:e}");
    let cir = r.join("realised.cir");
    let out = atscale(&[
        "verify",
        cir.to_str().expect("UTF-8"),
        "--events",
        &events,
        "--engines",
        "ngspice,native,spice21",
        "--tol",
        "5e-3",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0), "{json:#}\n{}", String::from_utf8_lossy(&out.stderr));
    let comparisons = json["comparisons"].as_array().expect("comparisons");
    let others: Vec<_> = comparisons.iter().map(|c| c["other"].as_str().expect("engine")).collect();
    assert_eq!(others, ["native", "spice21"], "{json:#}");
    for c in comparisons {
        assert_eq!(c["reference"], "ngspice");
        let cmp = &c["signals"][0]["comparison"];
        assert_eq!(cmp["counts"]["matched"].as_u64(), Some(8), "{cmp:#}");
        assert_eq!(cmp["counts"]["missing"].as_u64(), Some(0), "{cmp:#}");
        let worst = cmp["matched"]
            .as_array()
            .expect("matched")
            .iter()
            .map(|m| m["dt_rel_local"].as_f64().expect("dt").abs())
            .fold(0.0, f64::max);
        let allowed = if c["other"] == "native" { 2e-3 } else { 5e-3 };
        assert!(worst < allowed, "{}: {worst}", c["other"]);
    }
}

#[test]
fn limits_and_unrealisable_designs_are_errors_naming_device_and_limit() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // At 20 kHz the ultraslow follower's current needs a level-1 device longer than allowed.
    let design = design_at(tmp.path(), 20_000.0);
    let out = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "generic-level1",
        "-o",
        tmp.path().join("x").to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("device MMusf_p: length") && err.contains("sizing.l_max_m = 100 µm"), "{err}");
    // The FitzHugh-Nagumo cubic is realised below threshold only: above, said so, naming the element.
    let d = tmp.path().join("fhn");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = atscale(&[
        "realise",
        d.join("design.json").to_str().expect("UTF-8"),
        "--tech",
        "generic-level1",
        "-o",
        tmp.path().join("y").to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("element Rnl cannot be realised in transistors"), "{err}");
    assert!(err.contains("below threshold only"), "{err}");
    // A technology file with a bad value: file and line.
    let tech = tmp.path().join("t.toml");
    let text = std::fs::read_to_string("../../docs/examples/tech/generic-bsim4.toml")
        .or_else(|_| std::fs::read_to_string(crate::root().join("docs/examples/tech/generic-bsim4.toml")))
        .expect("example tech");
    std::fs::write(&tech, text.replace("capacitance_max_f = 50e-12", "capacitance_max_f = 0")).expect("tech");
    let out = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        tech.to_str().expect("UTF-8"),
        "-o",
        tmp.path().join("z").to_str().expect("UTF-8"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("t.toml:") && err.contains("limits.capacitance_max_f must be positive"), "{err}");
}

#[test]
fn example_technologies_are_the_builtins() {
    for name in atscale_design::realise::tech::BUILTIN_NAMES {
        let doc = std::fs::read_to_string(crate::root().join(format!("docs/examples/tech/{name}.toml")))
            .expect("doc");
        let asset = std::fs::read_to_string(
            crate::root().join(format!("crates/atscale-design/assets/tech/{name}.toml")),
        )
        .expect("asset");
        assert_eq!(doc, asset, "{name}");
    }
}

/// Bias currents from current mirrors (`--bias mirrors`): one reference
/// current source into a diode-connected NMOS, every tail (and the
/// membrane's bias, an NMOS sink) a mirror of fingers of one unit device,
/// their count and length corrected on the mirror bank in ngspice, each
/// drain held where the circuit's operating point puts it. Measured (400
/// model units): 101.173 Hz with mirrors against 102.535 Hz with ideal
/// sources (-1.33 %), both pinned; every mirror's current within 0.11 % on
/// the mirror bank (bound 2 %), and the sweep, which scales the one
/// reference current, within 3 % of twice the rate at twice the reference.
/// A bias below the unit's current is one longer finger; a technology
/// whose lengths cannot hold the ratios is refused, naming the limit
/// (`mirror_size`, whose limits its unit test checks); a level-1
/// technology is refused.
#[test]
fn mirror_biased_spiker_spikes_at_the_ideal_source_rate() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fc");
    stdout_ok(&["design", "docs/examples/four-conductance-spiking.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let run = |name: &str, extra: &[&str]| {
        let r = tmp.path().join(name);
        let mut args = vec![
            "realise",
            design.to_str().expect("UTF-8"),
            "--tech",
            "generic-bsim4",
            "-o",
            r.to_str().expect("UTF-8"),
            "--tstop-model",
            "400",
        ];
        args.extend_from_slice(extra);
        let out = stdout_ok(&args);
        (out, report(&r))
    };
    let (_, ideal) = run("ideal", &[]);
    let (out, mirrors) = run("mirrors", &["--bias", "mirrors", "--sweep", "2"]);
    assert!(out.contains("bias mirrors: one reference current") && out.contains("reference current x scale"));
    let rate = |rep: &serde_json::Value| rep["evidence"]["nominal"]["rate_hz"].as_f64().expect("spikes");
    let (ri, rm) = (rate(&ideal), rate(&mirrors));
    // Deterministic; halving the maximum step moves either rate by 3.9e-5
    // of itself: 1e-4 is 2.6x that.
    assert_pinned("ideal sources", ri, 102.534_95, 1e-4);
    assert_pinned("mirrors", rm, 101.172_69, 1e-4);
    let err = mirrors["evidence"]["mirror_error"].as_f64().expect("mirror error");
    assert!(err < 0.02, "{err}");
    let devices = mirrors["realisation"]["devices"].as_array().expect("devices");
    let sources: Vec<_> = devices.iter().filter(|d| d["kind"] == "current source").collect();
    assert_eq!(sources.len(), 1, "one reference source: {sources:?}");
    assert_eq!(sources[0]["name"], "Iref");
    let tails = devices.iter().filter(|d| d["role"] == "tail bias (mirror)").count();
    assert_eq!(tails, 18, "one mirror per amplifier");
    let sink = devices.iter().find(|d| d["name"] == "MIext_b").expect("membrane bias mirror");
    assert_eq!(sink["kind"], "nmos", "the spiker's bias draws current from the membrane");
    for m in devices.iter().filter(|d| d["kind"] == "nmos" || d["kind"] == "pmos") {
        let w = m["w_m"].as_f64().expect("W");
        assert!((0.22e-6..=100e-6).contains(&w) && m["region"] == "weak inversion", "{m}");
    }
    let cir = std::fs::read_to_string(tmp.path().join("mirrors/realised.cir")).expect("netlist");
    // The reference diode: eight fingers of the unit device (2 µm square).
    assert!(cir.contains("\nMref_n nbias nbias 0 0 nch W=2e-6 L=2e-6 M=8\n"), "{cir}");
    // Every mirror is fingers of the unit's width; the fingers scale its
    // current, the length trims it (within a quarter of the unit's from
    // four fingers on; a bias below the unit's is one or two fingers, longer).
    for m in devices.iter().filter(|d| d["role"] == "tail bias (mirror)" || d["name"] == "MIext_b") {
        assert_eq!(m["w_m"].as_f64(), Some(2e-6), "{m}");
        let (l, fingers) = (m["l_m"].as_f64().expect("L"), m["fingers"].as_u64().unwrap_or(1));
        let range = if fingers >= 4 { 1.5e-6..2.5e-6 } else { 1.5e-6..100e-6 };
        assert!(range.contains(&l), "{m}");
    }
    let sweep = mirrors["evidence"]["sweep"][0]["rate_hz"].as_f64().expect("sweep rate");
    // Measured -9.3e-3 (the mirrors' departure from an ideal x2); 0.03 is 3.2x.
    assert!((sweep / (2.0 * rm) - 1.0).abs() < 0.03, "x2 reference: {sweep} Hz against {rm} Hz");
    // A current into the membrane (the spiker's bias reversed, 50 model
    // units: it need not spike) is a PMOS source mirrored through Mref_pn
    // into the diode Mref_p, sized on the mirror bank as well (measured 0.74 %).
    let flip = iext_into_membrane(&design, tmp.path());
    let fr = tmp.path().join("flip");
    realise_bsim4(&flip, &fr, &["--bias", "mirrors", "--tstop-model", "50"]);
    let frep = report(&fr);
    let fdev = frep["realisation"]["devices"].as_array().expect("devices");
    let kind = |n: &str| fdev.iter().find(|d| d["name"] == n).map(|d| d["kind"].clone());
    assert_eq!(kind("MIext_b"), Some(serde_json::json!("pmos")));
    assert_eq!(kind("Mref_p"), Some(serde_json::json!("pmos")));
    assert_eq!(kind("Mref_pn"), Some(serde_json::json!("nmos")));
    let ferr = frep["evidence"]["mirror_error"].as_f64().expect("mirror error");
    assert!(ferr < 0.02, "{ferr}");
    // The smallest bias, below the unit's current, is one finger of the
    // unit's width made longer; its W/L is the reference's times the
    // current ratio (to the 10 nm length grid) before the bank's trim.
    let text =
        std::fs::read_to_string(crate::root().join("docs/examples/tech/generic-bsim4.toml")).expect("tech");
    let tech = tmp.path().join("narrow.toml");
    std::fs::write(&tech, text.replace("w_max_m = 100e-6", "w_max_m = 5e-6")).expect("tech");
    let args = |t: &str, o: &str| {
        atscale(&[
            "realise",
            design.to_str().expect("UTF-8"),
            "--tech",
            t,
            "-o",
            tmp.path().join(o).to_str().expect("UTF-8"),
            "--bias",
            "mirrors",
            "--no-sim",
        ])
    };
    let out = args("generic-bsim4", "n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let nrep = report(&tmp.path().join("n"));
    let ndev = nrep["realisation"]["devices"].as_array().expect("devices");
    let dev = |n: &str| ndev.iter().find(|d| d["name"] == n).unwrap_or_else(|| panic!("{n}"));
    let fingers = |d: &Value| d["fingers"].as_f64().unwrap_or(1.0);
    let wl = |d: &Value| fingers(d) * d["w_m"].as_f64().expect("W") / d["l_m"].as_f64().expect("L");
    let current = |d: &Value| d["current_a"].as_f64().expect("I");
    let (small, reference) = (dev("MMusf0_b"), dev("Mref_n"));
    assert_eq!((small["w_m"].as_f64(), fingers(small)), (Some(2e-6), 1.0), "{small}");
    let l = small["l_m"].as_f64().expect("L");
    assert!(l > 2e-6, "{small}");
    let want = wl(reference) * current(small) / current(reference);
    assert!((wl(small) / want - 1.0).abs() < 0.5 * 0.01e-6 / l, "W/L {} against {want}", wl(small));
    // A 5 µm widest device: the largest mirror at half of it leaves the
    // smallest bias a unit device longer than the longest: refused, named.
    let out = args(tech.to_str().expect("UTF-8"), "narrow");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a device outside the technology's sizing.l_max_m = 100 µm"), "{err}");
    let out = args("generic-level1", "l1");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("current mirrors are realised below threshold only")
    );
}

/// A technology whose devices are subcircuits, as a PDK names them: a
/// local model library wrapping the generic BSIM4 cards in `gen_nfet` and
/// `gen_pfet` (width and length parameters in micrometres, `scale = 1e6`).
/// The netlist writes `X` instances of them; the realised spiker gives the
/// rate of the plain-`M` realisation (measured identical, 102.535 Hz, 400
/// model units). A subcircuit name that would start a line of
/// its own is refused with the file and line.
#[test]
fn pdk_subcircuit_devices_give_the_plain_model_rate() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fc");
    stdout_ok(&["design", "docs/examples/four-conductance-spiking.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let text =
        std::fs::read_to_string(crate::root().join("docs/examples/tech/generic-bsim4.toml")).expect("tech");
    let card = |line: &str| {
        let at = text.find(line).expect("card");
        let params = &text[at..];
        let params =
            &params[params.find("params = { ").expect("params") + 11..params.find(" }").expect("end")];
        params.replace(", ", " ").replace(" = ", "=")
    };
    let lib = format!(
        "* toy PDK: generic-bsim4 cards wrapped in subcircuits (W, L in um)\n.lib tt\n\
         .model nch nmos (level=54 {})\n.model pch pmos (level=54 {})\n\
         .subckt gen_nfet d g s b w=1 l=1\nM1 d g s b nch w={{w*1e-6}} l={{l*1e-6}}\n.ends gen_nfet\n\
         .subckt gen_pfet d g s b w=1 l=1\nM1 d g s b pch w={{w*1e-6}} l={{l*1e-6}}\n.ends gen_pfet\n.endl tt\n",
        card("name = \"nch\""),
        card("name = \"pch\"")
    );
    std::fs::write(tmp.path().join("models.lib"), lib).expect("lib");
    let (a, c) = (text.find("[[models.card]]").expect("cards"), text.find("[subthreshold]").expect("sub"));
    let toy = |nmos: &str| {
        format!(
            "{}[models]\nlibrary = {{ path = \"models.lib\", section = \"tt\" }}\n[devices]\nnmos = {nmos}\n\
             pmos = {{ subckt = \"gen_pfet\", w_param = \"w\", l_param = \"l\", scale = 1e6 }}\n{}",
            &text[..a],
            &text[c..]
        )
    };
    let tech = tmp.path().join("toy.toml");
    std::fs::write(&tech, toy("{ subckt = \"gen_nfet\", w_param = \"w\", l_param = \"l\", scale = 1e6 }"))
        .expect("tech");
    let run = |t: &str, o: &str| {
        let r = tmp.path().join(o);
        stdout_ok(&[
            "realise",
            design.to_str().expect("UTF-8"),
            "--tech",
            t,
            "-o",
            r.to_str().expect("UTF-8"),
            "--tstop-model",
            "400",
        ]);
        r
    };
    let plain = run("generic-bsim4", "plain");
    let sub = run(tech.to_str().expect("UTF-8"), "sub");
    let rate = |r: &std::path::Path| report(r)["evidence"]["nominal"]["rate_hz"].as_f64().expect("spikes");
    let (rp, rs) = (rate(&plain), rate(&sub));
    // Measured: identical to the bit (the same devices in the same matrix);
    // 1e-12 allows the last bits.
    assert_pinned("subcircuit devices", rs, rp, 1e-12);
    assert_pinned("plain M cards", rp, 102.534_95, 1e-4);
    let cir = std::fs::read_to_string(sub.join("realised.cir")).expect("netlist");
    assert!(cir.contains("\nXMRf_p Rf_m v Rf_t 0 gen_nfet w=2 l=2\n"), "{cir}");
    assert!(cir.contains(" gen_pfet w=") && !cir.contains("\nMRf_p "), "{cir}");
    assert!(cir.contains("models.lib\" tt\n"), "{cir}");
    // A name that would inject a line.
    std::fs::write(&tech, toy("{ subckt = \"gen_nfet\\n.control\" }")).expect("tech");
    let out = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        tech.to_str().expect("UTF-8"),
        "-o",
        tmp.path().join("bad").to_str().expect("UTF-8"),
        "--no-sim",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("toy.toml:") && e.contains("devices.nmos.subckt") && e.contains("not a netlist name"),
        "{e}"
    );
}

/// `--compensate-strays` on the FitzHugh-Nagumo spiker: the stray
/// capacitance the report measures (a 1 mV sine at 39.5 kHz) is checked
/// against a separate ngspice run of the written netlist, membrane
/// capacitor taken out, probed at 100 kHz and fitted here; the membrane
/// capacitor is the design's minus it; and the rate moves to within 7 % of
/// the ideal model's prediction (12.0 % without, the test above).
#[test]
fn compensated_strays_bring_the_spiker_to_its_ideal_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fhn");
    let r = tmp.path().join("real");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    stdout_ok(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        r.to_str().expect("UTF-8"),
        "--compensate-strays",
        // The figures below were measured trimmed (the default until the trim became `--trim`).
        "--trim",
    ]);
    let rep = report(&r);
    let ev = &rep["evidence"];
    let stray = ev["stray"]["capacitance_f"].as_f64().expect("stray");
    let membrane = ev["stray"]["membrane_f"].as_f64().expect("membrane");
    // The separate measurement: the netlist with the membrane capacitor replaced by a probe.
    let netlist = std::fs::read_to_string(r.join("realised.cir")).expect("netlist");
    let compensated = netlist.lines().find(|l| l.starts_with("CC1 v 0 ")).expect("membrane capacitor");
    let c: f64 = compensated.split_whitespace().nth(3).expect("value").parse().expect("number");
    // The capacitor is the design's minus the stray, to the digits written.
    assert!((c - (membrane - stray)).abs() < 1e-9 * membrane, "{compensated} vs {membrane} - {stray}");
    let v_ref = rep["realisation"]["scales"]["v_ref_v"].as_f64().expect("v_ref");
    let probe = netlist
        .lines()
        .map(|l| {
            if l.starts_with("CC1 v 0 ") {
                format!("VP v 0 DC {v_ref} SIN({v_ref} 1m 100k)")
            } else if l.to_ascii_lowercase().starts_with(".tran") {
                ".tran 10n 30u 0 10n".into()
            } else if l.to_ascii_lowercase().starts_with(".ic") {
                String::new()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let deck = tmp.path().join("probe.cir");
    std::fs::write(&deck, probe + "\n").expect("probe deck");
    let (rows, _) = crate::sim_rows(&deck, "ngspice", &["i(vp)"], &[]);
    let w = 2.0 * std::f64::consts::PI * 1e5;
    let fitted: Vec<(f64, f64)> = rows.iter().filter(|r| r[0] >= 10e-6).map(|r| (r[0], r[1])).collect();
    let separate = -quadrature(&fitted, w) / (w * 1e-3);
    // Measured: 260.1 fF at 39.5 kHz in the report, 251.5 fF at 100 kHz here
    // (the amplifiers' internal nodes follow less at the higher frequency): 3.4 %; 10 % allowed.
    assert!((stray / separate - 1.0).abs() < 0.1, "report {stray:e} F, separate run {separate:e} F");
    let dev = ev["deviation_from_ideal"].as_f64().expect("deviation");
    // Measured +5.62 % (ngspice 39, deterministic); without the compensation +12.03 %.
    assert!(dev > 0.03 && dev < 0.07, "deviation from the ideal model {dev}");
}

/// The quadrature (cosine) amplitude of `(t, i)` at angular frequency `w`:
/// least squares of `a sin + b cos + c`, solved by Cramer's rule.
fn quadrature(points: &[(f64, f64)], w: f64) -> f64 {
    let mut m = [[0.0f64; 3]; 3];
    let mut r = [0.0f64; 3];
    for &(t, i) in points {
        let row = [(w * t).sin(), (w * t).cos(), 1.0];
        for j in 0..3 {
            for k in 0..3 {
                m[j][k] += row[j] * row[k];
            }
            r[j] += row[j] * i;
        }
    }
    let det = |a: [[f64; 3]; 3]| {
        a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
            + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    };
    let mut b = m;
    for j in 0..3 {
        b[j][1] = r[j];
    }
    det(b) / det(m)
}

/// `--amplifier cascoded`: every amplifier's PMOS mirror load gains a
/// diode-connected device under its diode and a cascode under its output,
/// gated by that lower diode, so the output device's drain sits where the
/// diode's does. `--amplifier symmetric`: the `-` input device drains into
/// its own cascoded PMOS mirror, which feeds a cascoded NMOS mirror sinking
/// from the output. `--amplifier self-cascoded`: the symmetric amplifier
/// with every mirror device a composite. The ideal model does not change
/// with the topology.
#[test]
fn cascoded_and_symmetric_amplifiers_place_their_mirrors_on_the_right_nodes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fhn");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let run = |name: &str| {
        let out = tmp.path().join(name);
        let mut args =
            vec!["realise", design.to_str().expect("UTF-8"), "--tech", "generic-bsim4", "--no-sim"];
        args.extend_from_slice(&["-o", out.to_str().expect("UTF-8"), "--amplifier", name]);
        stdout_ok(&args);
        report(&out)
    };
    let [plain, cascoded, symmetric, composite] =
        ["five-transistor", "cascoded", "symmetric", "self-cascoded"].map(run);
    let devices = |r: &Value| r["realisation"]["devices"].as_array().expect("devices").clone();
    let mos =
        |r: &Value| devices(r).into_iter().filter(|d| d["kind"] == "nmos" || d["kind"] == "pmos").count();
    assert_eq!(
        [&plain, &cascoded, &symmetric, &composite].map(mos),
        [144, 216, 504, 504],
        "36 amplifiers of 4, 6, 14 and 14 transistors (the tails are ideal sources)"
    );
    for r in [&cascoded, &symmetric, &composite] {
        assert_eq!(plain["realisation"]["ideal_model"], r["realisation"]["ideal_model"]);
    }
    let nodes = |r: &Value, name: &str| {
        let elements = r["realisation"]["circuit"]["elements"].as_array().expect("elements");
        let e = elements.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("{name}"));
        ["d", "g", "s"].map(|k| e[k].as_str().expect("node").to_string())
    };
    let n = |s: &str| s.to_string();
    // The first amplifier of the cubic: its output is the membrane.
    for r in [&cascoded, &symmetric] {
        assert_eq!(nodes(r, "MRnl0_oc"), [n("v"), n("Rnl0_m"), n("Rnl0_c")]);
        assert_eq!(nodes(r, "MRnl0_o"), [n("Rnl0_c"), n("Rnl0_a"), n("vdd")]);
        assert_eq!(nodes(r, "MRnl0_dc"), [n("Rnl0_m"), n("Rnl0_m"), n("Rnl0_a")]);
        assert_eq!(nodes(r, "MRnl0_d"), [n("Rnl0_a"), n("Rnl0_a"), n("vdd")]);
    }
    assert_eq!(nodes(&cascoded, "MRnl0_n")[0], "v", "the - device drains the output");
    assert_eq!(nodes(&symmetric, "MRnl0_n")[0], "Rnl0_q", "the - device drains its own diode stack");
    assert_eq!(nodes(&symmetric, "MRnl0_x_dc"), [n("Rnl0_q"), n("Rnl0_q"), n("Rnl0_x_a")]);
    assert_eq!(nodes(&symmetric, "MRnl0_x_oc"), [n("Rnl0_k"), n("Rnl0_q"), n("Rnl0_x_c")]);
    assert_eq!(nodes(&symmetric, "MRnl0_y_dc"), [n("Rnl0_k"), n("Rnl0_k"), n("Rnl0_y_a")]);
    assert_eq!(nodes(&symmetric, "MRnl0_y_d"), [n("Rnl0_y_a"), n("Rnl0_y_a"), n("0")]);
    assert_eq!(nodes(&symmetric, "MRnl0_y_oc"), [n("v"), n("Rnl0_k"), n("Rnl0_y_c")]);
    let roles: Vec<String> = devices(&cascoded)
        .iter()
        .filter(|d| d["name"].as_str().is_some_and(|n| n.starts_with("MRnl0_")))
        .map(|d| d["role"].as_str().expect("role").to_string())
        .collect();
    assert!(roles.contains(&"mirror cascode (output)".to_string()), "{roles:?}");
    // Self-cascoded: each mirror device a composite, one gate (the mirror's
    // input), the upper device SELF_CASCODE_WIDTH_RATIO = 8 times wider.
    assert_eq!(nodes(&composite, "MRnl0_n")[0], "Rnl0_q");
    assert_eq!(nodes(&composite, "MRnl0_d"), [n("Rnl0_a"), n("Rnl0_m"), n("vdd")]);
    assert_eq!(nodes(&composite, "MRnl0_dc"), [n("Rnl0_m"), n("Rnl0_m"), n("Rnl0_a")]);
    assert_eq!(nodes(&composite, "MRnl0_o"), [n("Rnl0_c"), n("Rnl0_m"), n("vdd")]);
    assert_eq!(nodes(&composite, "MRnl0_oc"), [n("v"), n("Rnl0_m"), n("Rnl0_c")]);
    assert_eq!(nodes(&composite, "MRnl0_y_d"), [n("Rnl0_y_a"), n("Rnl0_k"), n("0")]);
    assert_eq!(nodes(&composite, "MRnl0_y_oc"), [n("v"), n("Rnl0_k"), n("Rnl0_y_c")]);
    let size = |name: &str| {
        let d = devices(&composite).into_iter().find(|d| d["name"] == name).expect(name);
        (d["w_m"].as_f64().expect("w"), d["l_m"].as_f64().expect("l"))
    };
    for (lower, upper) in [("MRnl0_d", "MRnl0_dc"), ("MRnl0_o", "MRnl0_oc"), ("MRnl0_y_o", "MRnl0_y_oc")] {
        let ((wl, ll), (wu, lu)) = (size(lower), size(upper));
        assert_eq!(ll, lu, "{upper}: the lower device's length");
        assert!((wu / wl - 8.0).abs() < 0.01, "{upper}: {wu} m wide over {lower}'s {wl} m");
    }
    assert_eq!(composite["realisation"]["options"]["amplifier"], "self-cascoded");
    assert_eq!(cascoded["realisation"]["options"]["amplifier"], "cascoded");
    assert_eq!(symmetric["realisation"]["options"]["amplifier"], "symmetric");
}

/// The headroom check: at a 1.2 V supply (generic-bsim4 otherwise) the
/// symmetric amplifiers' diode stacks leave input devices out of
/// saturation, and the report names them with their `|V_DS|`, which a
/// separate ngspice operating point of the written netlist, the membrane
/// held at the knee as the probe holds it, confirms; the five-transistor
/// and self-cascoded amplifiers fit.
#[test]
fn headroom_names_the_transistors_a_low_supply_drives_out_of_saturation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("fhn");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let tech_text = std::fs::read_to_string(crate::root().join("docs/examples/tech/generic-bsim4.toml"))
        .expect("tech")
        .replace("supply_v = 1.8", "supply_v = 1.2");
    let tech = tmp.path().join("low.toml");
    std::fs::write(&tech, tech_text).expect("write");
    let design = d.join("design.json");
    let run = |amp: &str| {
        let out = tmp.path().join(amp);
        let args = [
            "realise",
            design.to_str().expect("UTF-8"),
            "--tech",
            tech.to_str().expect("UTF-8"),
            "--amplifier",
            amp,
            "--tstop-model",
            "20",
            "-o",
            out.to_str().expect("UTF-8"),
        ];
        let o = atscale(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (report(&out), String::from_utf8_lossy(&o.stderr).into_owned(), out)
    };
    let (five, _, _) = run("five-transistor");
    let h = &five["evidence"]["static_error"]["headroom"];
    assert_eq!(h["transistors"], 144);
    assert_eq!(h["out_of_saturation"].as_array().expect("list").len(), 0, "{h}");
    let (sym, stderr, out) = run("symmetric");
    let h = &sym["evidence"]["static_error"]["headroom"];
    let limit = h["limit_v"].as_f64().expect("limit");
    // 4 U_T at 27 °C.
    assert!((limit - 4.0 * 8.617_333_262e-5 * 300.15).abs() < 1e-12, "{limit}");
    let bad = h["out_of_saturation"].as_array().expect("list");
    let names: Vec<&str> = bad.iter().map(|x| x[0].as_str().expect("name")).collect();
    // Measured: MRnl8_p 14.89 mV, ML1o8_p and ML1m8_p 48.57 mV, ML1i8_n 72.53 mV.
    assert_eq!(names, ["MRnl8_p", "ML1o8_p", "ML1m8_p", "ML1i8_n"], "{h}");
    assert!(stderr.contains("4 of 504 transistors are out of saturation"), "{stderr}");
    let v = held_operating_point(&out, 0.6, &["rnl8_m", "rnl8_t"]);
    let vds = v[0] - v[1];
    let reported = bad[0][1].as_f64().expect("V_DS");
    // The probe is this operating point: measured equal to ngspice's printed digits.
    assert!((vds.abs() - reported).abs() < 1e-6, "ngspice {vds} V, report {reported} V");
    // Self-cascoded mirrors take one V_SG per diode: they fit 1.2 V.
    let (composite, _, out) = run("self-cascoded");
    let h = &composite["evidence"]["static_error"]["headroom"];
    assert_eq!(
        (h["transistors"].as_u64(), h["out_of_saturation"].as_array().map(Vec::len)),
        (Some(504), Some(0))
    );
    // Their lower devices work below saturation by design (the check
    // passes over them): |V_DS| = U_T ln(1 + 8) = 56.8 mV in weak
    // inversion, more nearer threshold; measured 91.72 mV (MRnl8_o,
    // between vdd and Rnl8_c), below the 103.5 mV limit.
    let v = held_operating_point(&out, 0.6, &["rnl8_c"]);
    let (ut, vds) = (8.617_333_262e-5 * 300.15, 1.2 - v[0]);
    assert!(vds > ut && vds < 4.0 * ut, "MRnl8_o |V_DS| = {vds} V");
}

/// The node voltages `nodes` (ngspice's printed digits) at a separate
/// ngspice operating point of the realisation in `out`: its `realised.cir`
/// with the membrane capacitor, bias source and transient out and the
/// membrane `v` held at `held_v`, as the static-error probe holds it.
fn held_operating_point(out: &std::path::Path, held_v: f64, nodes: &[&str]) -> Vec<f64> {
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("netlist");
    let mut op = String::new();
    for line in netlist.lines() {
        if line.starts_with("CC1 ") || line.starts_with("IIext ") || line.starts_with(".tran") {
            continue;
        }
        if line == ".end" {
            let print: Vec<String> = nodes.iter().map(|n| format!("v({n})")).collect();
            op.push_str(&format!("Vtrim v 0 DC {held_v}\n.control\nop\nprint {}\n.endc\n", print.join(" ")));
        }
        op.push_str(line);
        op.push('\n');
    }
    let path = out.join("op.cir");
    std::fs::write(&path, op).expect("write");
    let o = std::process::Command::new("ngspice")
        .args(["-n", "-b", path.to_str().expect("UTF-8")])
        .current_dir(out)
        .output()
        .expect("ngspice (make ngspice installs it)");
    let text = String::from_utf8_lossy(&o.stdout);
    nodes
        .iter()
        .map(|node| {
            let line =
                text.lines().find(|l| l.trim_start().starts_with(&format!("v({node}) ="))).expect(node);
            line.split('=').nth(1).expect("value").trim().parse().expect("number")
        })
        .collect()
}

/// `atscale realise DESIGN --tech generic-bsim4 -o OUT` with `extra`.
fn realise_bsim4(design: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["realise", design.to_str().expect("UTF-8"), "--tech", "generic-bsim4", "-o"];
    args.push(out.to_str().expect("UTF-8"));
    args.extend_from_slice(extra);
    stdout_ok(&args);
}

/// `design.json` with its bias `Iext` reversed (1 model unit into the
/// membrane, which mirrors bias with a PMOS source), written as
/// `flip.json` in `dir`.
fn iext_into_membrane(design: &Path, dir: &Path) -> std::path::PathBuf {
    let mut flipped: Value =
        serde_json::from_str(&std::fs::read_to_string(design).expect("design")).expect("JSON");
    for e in flipped["mother"]["elements"].as_array_mut().expect("elements") {
        if e["name"] == "Iext" {
            e["waveform"]["value"] = serde_json::json!(1.0);
        }
    }
    let flip = dir.join("flip.json");
    std::fs::write(&flip, flipped.to_string()).expect("flipped design");
    flip
}

/// Every line of `starts` begins a line of `dir/realised.cir`.
fn assert_netlist_has(dir: &Path, starts: &[&str]) {
    let netlist = std::fs::read_to_string(dir.join("realised.cir")).expect("netlist");
    for line in starts {
        assert!(netlist.lines().any(|l| l.starts_with(line)), "{line}\n{netlist}");
    }
}

/// The relative change of the current a membrane bias mirror carries per
/// 100 mV of membrane, from 0.8 to 1.0 V: the written netlist's reference
/// and membrane mirror devices (`keep`, with its model cards and
/// tolerances) in ngspice, the membrane held by a source ramped slowly
/// from 0.6 to 1.2 V (quasi-static).
fn membrane_mirror_slope(dir: &Path, keep: &[&str]) -> f64 {
    let text = std::fs::read_to_string(dir.join("realised.cir")).expect("realised.cir");
    let mut deck = String::from("membrane mirror\n");
    for l in text.lines() {
        let name = l.split_whitespace().next().unwrap_or("");
        if l.starts_with(".model") || l.starts_with(".option") || l.starts_with('+') || keep.contains(&name) {
            deck.push_str(l);
            deck.push('\n');
        }
    }
    deck.push_str("Vm v 0 PWL(0 0.6 1 1.2)\n.tran 10m 1\n.end\n");
    let path = dir.join("membrane-mirror.cir");
    std::fs::write(&path, &deck).expect("deck");
    let (rows, _) = crate::sim_rows(&path, "ngspice", &["i(vm)", "v(v)"], &[]);
    let at = |v: f64| {
        let k = rows.iter().position(|r| r[2] >= v).expect("the ramp reaches it");
        let (a, b) = (&rows[k - 1], &rows[k]);
        a[1] + (b[1] - a[1]) * (v - a[2]) / (b[2] - a[2])
    };
    (at(1.0) / at(0.8) - 1.0) / 2.0
}

/// `--cascode-membrane` (with `--bias mirrors`): the membrane's bias mirror
/// under a cascode whose gate is a diode stacked on the reference diode
/// (NMOS: `Mref_nc` on `Mref_n`; PMOS: `Mref_pc` under `Mref_p`). The
/// plain mirror's current follows the membrane (drain-induced barrier
/// lowering; measured +0.249 % per 100 mV), the cascoded one does not
/// (measured 0.0007 %): the burster with mirrors and `--trim` then keeps
/// its ideal model's burst period (measured 473.5 ms against 471.9 ms,
/// +0.33 %; the plain mirror's 459.7 ms, -2.6 %), though at 12 spikes per
/// burst where the ideal model has 13 (the design sits at the edge between
/// counts).
#[test]
fn a_cascoded_membrane_mirror_holds_its_current_and_the_bursters_period() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/bursting.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let cas = tmp.path().join("cas");
    realise_bsim4(&design, &cas, &["--bias", "mirrors", "--trim", "--cascode-membrane"]);
    assert_netlist_has(
        &cas,
        &[
            "Iref vdd ncas DC ",
            "Mref_nc ncas ncas nbias 0 nch ",
            "Mref_n nbias nbias 0 0 nch ",
            "MIext_bc v ncas MIext_b_c 0 nch ",
            "MIext_b MIext_b_c nbias 0 0 nch ",
        ],
    );
    let rep = report(&cas);
    let role = |n: &str| {
        let devices = rep["realisation"]["devices"].as_array().expect("devices");
        devices.iter().find(|d| d["name"] == n).map(|d| d["role"].clone()).expect(n)
    };
    assert_eq!(role("MIext_bc"), "membrane bias (mirror cascode)");
    assert_eq!(role("Mref_nc"), "mirror reference (cascode bias diode)");
    let headroom = &rep["evidence"]["trim"]["headroom"];
    assert_eq!(headroom["out_of_saturation"], serde_json::json!([]), "{headroom}");
    let cascoded = membrane_mirror_slope(&cas, &["Vdd", "Iref", "Mref_n", "Mref_nc", "MIext_b", "MIext_bc"]);
    assert!(cascoded.abs() < 5e-5, "cascoded: {cascoded:e} per 100 mV");
    let plain = tmp.path().join("plain");
    realise_bsim4(&design, &plain, &["--bias", "mirrors", "--no-sim"]);
    let slope = membrane_mirror_slope(&plain, &["Vdd", "Iref", "Mref_n", "MIext_b"]);
    assert!(slope > 1e-3, "plain: {slope:e} per 100 mV");
    let ev = ngspice_events(&cas, &rep);
    assert_report_events_are_the_netlists(&rep, &ev);
    let (_, period, _) = bursts(&ev);
    let ideal = rep["evidence"]["ideal"]["burst_period_s"].as_f64().expect("ideal period");
    assert!((period / ideal - 1.0).abs() < 0.01, "{period} s against the ideal model's {ideal} s");
    // A current into the membrane is a PMOS mirror: its cascode's gate is a
    // PMOS diode under the reference's.
    let flip = iext_into_membrane(&design, tmp.path());
    let fo = tmp.path().join("flip");
    realise_bsim4(&flip, &fo, &["--bias", "mirrors", "--cascode-membrane", "--no-sim"]);
    assert_netlist_has(
        &fo,
        &[
            "Mref_pn pcas nbias 0 0 nch ",
            "Mref_pc pcas pcas pbias vdd pch ",
            "Mref_p pbias pbias vdd vdd pch ",
            "MIext_bc v pcas MIext_b_c vdd pch ",
            "MIext_b MIext_b_c pbias vdd vdd pch ",
        ],
    );
    let keep = ["Vdd", "Iref", "Mref_n", "Mref_pn", "Mref_pc", "Mref_p", "MIext_b", "MIext_bc"];
    let pmos = membrane_mirror_slope(&fo, &keep);
    assert!(pmos.abs() < 5e-5, "cascoded PMOS: {pmos:e} per 100 mV");
    let never = tmp.path().join("never");
    let never_dir = never.to_str().expect("UTF-8");
    let o = atscale(&[
        "realise",
        flip.to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        never_dir,
        "--cascode-membrane",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--cascode-membrane cascodes the membrane's bias mirror: it needs --bias mirrors"),
        "{err}"
    );
    assert!(!never.exists());
}

/// `--ideal-blocks`: an extra run of the transistor circuit with some
/// blocks replaced by their part of the ideal model. With every block
/// ideal it is the ideal model run in ngspice, at the native solver's
/// prediction (measured 99.92 Hz against 99.91 Hz); the nominal run is the
/// same as without the option, and the run's netlist is written as
/// `ideal-blocks.cir`; names no block realises or named twice, `--no-sim`,
/// `--trim` and a technology that runs in VACASK are refused before the
/// circuit runs.
#[test]
fn ideal_blocks_run_the_ideal_model_in_the_transistor_circuit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("d");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let (plain, all) = (tmp.path().join("plain"), tmp.path().join("all"));
    realise_bsim4(&design, &plain, &[]);
    realise_bsim4(&design, &all, &["--ideal-blocks", "C1,Rnl,L1,Iext"]);
    let (p, a) = (report(&plain), report(&all));
    let ideal = a["evidence"]["ideal"]["rate_hz"].as_f64().expect("ideal rate");
    let run = &a["evidence"]["ideal_blocks"];
    assert_eq!(run["elements"], serde_json::json!(["C1", "Rnl", "L1", "Iext"]));
    let hybrid = run["measured"]["rate_hz"].as_f64().expect("hybrid rate");
    assert!((hybrid / ideal - 1.0).abs() < 1e-3, "{hybrid} Hz against the ideal model's {ideal} Hz");
    assert_eq!(p["evidence"]["nominal"]["events_s"], a["evidence"]["nominal"]["events_s"]);
    assert!(p["evidence"]["ideal_blocks"].is_null());
    let md = std::fs::read_to_string(all.join("report.md")).expect("report.md");
    assert!(md.contains("with the blocks of C1, Rnl, L1, Iext replaced by their ideal model"), "{md}");
    let out = tmp.path().join("never");
    let o = out.to_str().expect("UTF-8");
    let refused = |extra: &[&str], want: &str| {
        let mut args = vec!["realise", design.to_str().expect("UTF-8"), "-o", o];
        args.extend_from_slice(extra);
        let r = atscale(&args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(!out.exists());
    };
    refused(
        &["--tech", "generic-bsim4", "--ideal-blocks", "Rnl,Gx"],
        "--ideal-blocks Gx: no block realises it; this realisation's are C1, Rnl, L1, Iext",
    );
    refused(&["--tech", "generic-bsim4", "--ideal-blocks", "Rnl", "--no-sim"], "drop --no-sim");
    refused(&["--tech", "ihp-sg13g2", "--ideal-blocks", "Rnl"], "this technology runs in VACASK");
    refused(&["--tech", "generic-bsim4", "--ideal-blocks", "Rnl", "--trim"], "drop --trim");
    refused(&["--tech", "generic-bsim4", "--ideal-blocks", "Rnl,L1,Rnl"], "--ideal-blocks names Rnl twice");
    // The run's netlist is written beside the others: the ideal sources, no cubic transistor.
    let written = std::fs::read_to_string(all.join("ideal-blocks.cir")).expect("ideal-blocks.cir");
    assert!(written.lines().any(|l| l.starts_with("BRnl ")) && !written.contains("MRnl0_p"), "{written}");
    assert!(!plain.join("ideal-blocks.cir").exists());
    assert!(run["measured"]["energy_per_spike_j"].is_null());
}

/// `--followers linearised`: each follower is two nine-pair linearised
/// transconductors (`lin(v)` into the state capacitor, `lin(x)` out of
/// it, against the leak's references), the netlist carries the shunt its
/// operating point needs, and the five-transistor amplifier is refused.
/// (The transistor runs, a minute each, are in the guide and
/// `scripts/pdk-evidence.sh`; the ideal model's period is tested in
/// `atscale-design`.)
#[test]
fn linearised_followers_are_eighteen_amplifiers_with_a_shunt() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("d");
    stdout_ok(&["design", "docs/examples/bursting.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let out = tmp.path().join("lin");
    realise_bsim4(&design, &out, &["--followers", "linearised", "--amplifier", "symmetric", "--no-sim"]);
    let rep = report(&out);
    let shunt = rep["realisation"]["run"]["rshunt_ohm"].as_f64().expect("a shunt");
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("netlist");
    let card = netlist.lines().find(|l| l.contains("rshunt=")).expect("the shunt card");
    let written: f64 = card
        .split("rshunt=")
        .nth(1)
        .and_then(|v| v.split_whitespace().next())
        .expect("value")
        .parse()
        .expect("a number");
    assert!((written / shunt - 1.0).abs() < 1e-9, "{card} against {shunt}");
    // Xyce has no rshunt: its netlist has the resistors.
    let xyce = std::fs::read_to_string(out.join("realised.xyce.cir")).expect("Xyce netlist");
    assert!(
        !xyce.to_lowercase().contains("rshunt=") && xyce.lines().any(|l| l.starts_with("Rshunt_Msp_x ")),
        "{xyce}"
    );
    for follower in ["Msp", "Msn", "Mus"] {
        let count =
            |tag: &str| (0..9).filter(|j| netlist.contains(&format!("\nI{follower}{tag}{j}_b "))).count();
        assert_eq!((count("fi"), count("fo")), (9, 9), "{follower}");
    }
    let block = rep["realisation"]["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .find(|b| b["element"] == "Msp")
        .expect("Msp");
    assert!(
        block["block"].as_str().expect("text").starts_with("linearised follower-integrator (18 amplifiers"),
        "{block}"
    );
    let o = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "generic-bsim4",
        "-o",
        tmp.path().join("never").to_str().expect("UTF-8"),
        "--followers",
        "linearised",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("linearised followers need the symmetric amplifiers") && err.contains("five-transistor"),
        "{err}"
    );
}

/// `--cancel-follower-offsets`: a realisation with linearised followers
/// measures each follower's offset `x - v` (the membrane held at its
/// output pair's reference) and moves the output pair's reference by it. Checked in separate ngspice
/// runs of the netlist written, the membrane held at each output pair's
/// offset (`Msn`: -0.88 model V, `Msp` and `Mus`: 0): each state sits at
/// its output pair's reference, so the pair sees the design's
/// `v - delta`, where without the move it would see the follower's offset
/// (generic-bsim4: `Mus` -229.6 µV, `Msn` and `Msp` about 2 µV).
#[test]
fn linearised_followers_offsets_are_measured_and_cancelled() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("d");
    stdout_ok(&["design", "docs/examples/bursting.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = tmp.path().join("lin");
    let short = ["--followers", "linearised", "--amplifier", "symmetric", "--tstop-model", "50"];
    let plain = tmp.path().join("plain");
    realise_bsim4(&d.join("design.json"), &plain, &short);
    assert_eq!(report(&plain)["evidence"]["follower_offsets"].as_array().map(Vec::len), Some(0));
    realise_bsim4(&d.join("design.json"), &out, &[&short[..], &["--cancel-follower-offsets"]].concat());
    let rep = report(&out);
    let offsets = rep["evidence"]["follower_offsets"].as_array().expect("offsets");
    assert_eq!(offsets.len(), 3, "{offsets:?}");
    let of = |element: &str| {
        offsets.iter().find(|o| o["element"] == element).and_then(|o| o["offset_v"].as_f64()).expect(element)
    };
    // Not a vacuous check: the ultraslow follower's offset (measured -229.6 µV).
    assert!(of("Mus").abs() > 5e-5, "{offsets:?}");
    let scales = &rep["realisation"]["scales"];
    let (s, vref) = (scales["s_volt"].as_f64().expect("s"), scales["v_ref_v"].as_f64().expect("V_ref"));
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("netlist");
    for (delta, elements) in [(-0.88, &["Msn"][..]), (0.0, &["Msp", "Mus"][..])] {
        let held = vref + delta * s;
        let (x, r) = held_states(&netlist, held, elements, tmp.path());
        for (k, e) in elements.iter().enumerate() {
            let o = of(e);
            assert!(
                (r[k] - (held + o)).abs() < 1e-9,
                "{e}: reference {} V, held {held} V, offset {o} V",
                r[k]
            );
            // Measured within 1e-15 V.
            assert!(
                (x[k] - r[k]).abs() < 1e-3 * o.abs().max(1e-6),
                "{e}: x {} V, reference {} V",
                x[k],
                r[k]
            );
        }
    }
}

/// The realisation `netlist` run in ngspice with its membrane `v` held at
/// `held` volts: each element's state `v({e}_x)` and its output pair's
/// reference (the gate of the pair device that is not on the state) at
/// the operating point.
fn held_states(netlist: &str, held: f64, elements: &[&str], dir: &Path) -> (Vec<f64>, Vec<f64>) {
    let gate = |device: String| {
        netlist
            .lines()
            .find(|l| l.starts_with(&device))
            .and_then(|l| l.split_whitespace().nth(2))
            .map(String::from)
    };
    let mut probes = Vec::new();
    for e in elements {
        let state = format!("{e}_x");
        let reference = [gate(format!("M{e}_p ")), gate(format!("M{e}_n "))]
            .into_iter()
            .flatten()
            .find(|g| *g != state)
            .expect("the output pair's reference");
        probes.push(format!("v({state})"));
        probes.push(format!("v({reference})"));
    }
    let mut deck: Vec<String> = netlist
        .lines()
        .filter(|l| !l.starts_with(".ic ") && !l.starts_with(".tran ") && !l.starts_with(".end"))
        .map(String::from)
        .collect();
    deck.extend([format!("Vhold v 0 DC {held}"), ".tran 1e-6 2e-6".into(), ".end".into()]);
    let path = dir.join("held.cir");
    std::fs::write(&path, deck.join("\n")).expect("writes");
    let probes: Vec<&str> = probes.iter().map(String::as_str).collect();
    let (rows, _) = crate::sim_rows(&path, "ngspice", &probes, &[]);
    let first = &rows[0][1..];
    (first.iter().step_by(2).copied().collect(), first.iter().skip(1).step_by(2).copied().collect())
}
