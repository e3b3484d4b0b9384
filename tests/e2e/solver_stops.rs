//! The corpus decks the native solver stopped on where ngspice finishes
//! (issue 16), run through `verify` against ngspice as tests/e2e/corpus.rs
//! runs them, and a rectifier's steps against ngspice's time points.

use crate::{atscale, root, sim_rows};

/// `atscale verify --skip-control DECK --events SPEC --json` plus `extra`:
/// the exit status and the report.
fn verify(deck: &str, events: &str, extra: &[&str]) -> (Option<i32>, serde_json::Value) {
    let path = format!("tests/corpus/{deck}");
    let mut args = vec!["verify", path.as_str(), "--skip-control", "--events", events, "--json"];
    args.extend_from_slice(extra);
    let out = atscale(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "atscale {args:?}: no report ({e}); is ngspice installed?\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), json)
}

/// The worst |dt| of the first signal, relative to the local interval
/// (or to the run when there is one event), and the limit verify allowed,
/// in the same unit.
fn worst(json: &serde_json::Value) -> (f64, f64) {
    let s = &json["comparisons"][0]["signals"][0];
    let c = &s["comparison"];
    let dt = c["max_abs_dt_s"].as_f64().expect("max |dt|");
    let limit = s["verdict"]["limit_s"].as_f64().expect("limit");
    (dt, limit)
}

/// Hartley oscillator, `uic`: the tap between its two coupled inductors has
/// no equation at t = 0 (both inductor currents are initial conditions), so
/// the native engine stopped with "singular matrix ... no pivot for tap".
/// ngspice solves nothing at t = 0 under `uic`; the tap keeps its initial
/// 0 V there, and the first step sets it.
#[test]
fn the_hartley_oscillator_with_a_node_joined_only_by_inductors_agrees_with_ngspice() {
    let deck = "learning_ngspice/circuits/03_osciladores/oscilador_hartley.cir";
    let (code, json) = verify(deck, "base,0.062", &[]);
    let (dt, limit) = worst(&json);
    // Measured 3.6e-10 s against a limit of 5e-8 s (1e-3 of the run: one event).
    assert_eq!(code, Some(0), "{json:#}");
    assert!(dt < limit, "|dt| {dt:e} s over the limit {limit:e} s");
}

/// Colpitts oscillator, `uic`: the base capacitor's initial 1.75 V stands
/// across the base-emitter junction, whose charge starts at 0 V. The native
/// engine stopped at t = 0 with "time step too small" (a residual of 7e40 in
/// the emitter's equation: the first iteration was linearised at 1.75 V).
/// ngspice's first iteration takes the junction at its `uic` state (0 V) and
/// limits it up from there; so does the native engine now. 20 µs of the
/// deck's 200 µs (22 periods) keep ngspice, at the quarter of the event
/// accuracy verify gives it, under 3 s.
#[test]
fn the_colpitts_oscillator_started_across_a_forward_junction_agrees_with_ngspice() {
    let deck = "learning_ngspice/circuits/03_osciladores/colpitts_bc548.cir";
    let (code, json) = verify(deck, "c,1.57,0.25", &["--tstop", "20u"]);
    let (dt, limit) = worst(&json);
    let matched = json["comparisons"][0]["signals"][0]["comparison"]["counts"]["matched"].as_u64();
    // Measured 1.05e-10 s over 22 periods (1.2e-4 of the 0.87 µs period), the limit 8.7e-10 s.
    assert_eq!((code, matched), (Some(0), Some(22)), "{json:#}");
    assert!(dt < limit, "|dt| {dt:e} s over the limit {limit:e} s");
}

/// Half- and full-wave rectifiers with and without filter capacitors on two
/// 60 Hz sources. The native engine stopped at 8.29 ms ("time step too small
/// ... n_brf_top"): the error test of a source's current, algebraic and tiny
/// near the zero crossing, failed on Newton's noise at every step size.
/// SPICE tests charges and fluxes only.
#[test]
fn the_rectifiers_agree_with_ngspice() {
    let deck = "learning_ngspice/circuits/09_fontes_alimentacao/01_retificadores.cir";
    let (code, json) = verify(deck, "out_hw,7.88,1.6", &[]);
    let (dt, limit) = worst(&json);
    // Measured 2.9e-7 s (1.7e-5 of the 16.7 ms period) against a limit of 1.7e-5 s.
    assert_eq!(code, Some(0), "{json:#}");
    assert!(dt < limit, "|dt| {dt:e} s over the limit {limit:e} s");
}

/// The two half-wave branches of that deck (one filtered by 470 µF) take
/// a number of steps within 10x of ngspice's time points (issue 16's
/// acceptance): measured 3788 native steps, 848 ngspice time points (4.5x).
#[test]
fn a_half_wave_rectifier_takes_steps_within_ten_times_ngspices_points() {
    let deck = root().join("tests/e2e/data/solver_stops/half_wave.cir");
    let (ng_rows, _) = sim_rows(&deck, "ngspice", &["out"], &[]);
    let out = atscale(&["sim", deck.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = json["stats"]["accepted"].as_u64().unwrap() as usize;
    assert!(
        steps <= 10 * ng_rows.len(),
        "{steps} native steps against {} ngspice time points",
        ng_rows.len()
    );
}
