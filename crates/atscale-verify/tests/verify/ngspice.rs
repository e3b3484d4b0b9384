//! The ngspice runner against real ngspice: success (RC and RLC against their
//! exact solutions), failures, timeout.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use atscale_spice::{Deck, DeckLimits};
use atscale_verify::events::{crossings, EventSpec};
use atscale_verify::ngspice::{MaxStepSource, NgspiceRun, NgspiceRunner, RunOptions};
use atscale_verify::Error;

use crate::{close, fixture};

fn runner() -> NgspiceRunner {
    match NgspiceRunner::detect() {
        Ok(r) => r,
        Err(e) => panic!("these tests need ngspice ({e}); install it with scripts/install-ngspice.sh"),
    }
}

fn run(name: &str, opts: &RunOptions) -> (PathBuf, Result<NgspiceRun, Error>) {
    let path = fixture(name);
    let r = Deck::load(&path, &DeckLimits::default())
        .map_err(Error::from)
        .and_then(|d| runner().run(&d, &path, opts));
    (path, r)
}

fn deck_of(text: &str, path: &Path) -> Deck {
    Deck::from_text(text, &path.display().to_string(), path.parent(), &DeckLimits::default()).unwrap()
}

fn expect_err(name: &str, opts: &RunOptions) -> Error {
    match run(name, opts) {
        (_, Err(e)) => e,
        (p, Ok(r)) => panic!(
            "{} ran without error; command ngspice -b -r out.raw deck.cir\ndeck:\n{}\nstdout:\n{}\nstderr:\n{}",
            p.display(),
            r.deck,
            r.stdout,
            r.stderr
        ),
    }
}

#[test]
fn detects_version() {
    let r = runner();
    assert!(r.version().major >= 39, "{}", r.version());
}

#[test]
fn fitzhugh_nagumo_events_match_reference() {
    // crates/atscale-spice/tests/spice/data/reference/events.json, fitzhugh_nagumo (scipy Radau, rtol 1e-12).
    let expected = [23.275820859, 62.750235838, 102.224650818];
    // fhn_uic.cir stops at 100 s; derive TMAX from an accuracy of 0.04 s (TMAX = 0.01 s).
    let opts = RunOptions { max_step_s: None, event_accuracy_s: Some(0.04), ..RunOptions::default() };
    let (path, r) = run("fhn_uic.cir", &opts);
    let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(matches!(r.max_step.source, MaxStepSource::Explicit { .. } | MaxStepSource::FromNetlist));
    // The netlist's TMAX (0.1) wins over the accuracy; force the derived one instead:
    let text =
        std::fs::read_to_string(&path).unwrap().replace(".tran 0.1 100 0 0.1 uic", ".tran 0.1 100 uic");
    let r = runner().run(&deck_of(&text, &path), &path, &opts).unwrap();
    assert_eq!(
        r.max_step.source,
        MaxStepSource::DerivedFromAccuracy { event_accuracy_s: 0.04, factor: 0.25 }
    );
    // Measured exactly 0.
    assert!(close(r.max_step.value_s, 0.01, 1e-15, 0.0));
    let mut plot = r.plot().unwrap().clone();
    plot.prepend_initial_state(0.0, &[("v", -1.0), ("i(l1)", 1.0)]).unwrap();
    let ev = crossings(plot.time().unwrap(), plot.real("v").unwrap(), &EventSpec::rising("v", 1.0, 0.5));
    let want: Vec<f64> = expected.iter().copied().filter(|&t| t < 100.0).collect();
    assert_eq!(ev.len(), want.len(), "{ev:?} vs {want:?}");
    for (a, b) in ev.iter().zip(&want) {
        // Measured 1.9e-4; the bound is the event accuracy requested (0.04),
        // the promise under test, so it stays at 200x.
        assert!((a - b).abs() < 0.04, "{a} vs {b}");
    }
}

/// The largest |ngspice - exact| over every time point of `signal` in the
/// transient plot of `netlists/ngspice/<name>` (run with its own TMAX).
fn max_error_against(name: &str, signal: &str, exact: &dyn Fn(f64) -> f64) -> (f64, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../netlists/ngspice").join(name);
    let deck = Deck::load(&path, &DeckLimits::default()).unwrap();
    let r = runner().run(&deck, &path, &RunOptions::default()).unwrap();
    let plot = r.plot().unwrap();
    let (t, v) = (plot.time().unwrap(), plot.real(signal).unwrap());
    let worst = t.iter().zip(v).map(|(&t, &v)| (v - exact(t)).abs()).fold(0.0, f64::max);
    eprintln!("{name}: {signal} over {} points, largest error {worst:.3e}", t.len());
    (worst, t.len())
}

#[test]
fn rc_and_rlc_match_their_exact_solutions() {
    // RC discharge from 1 V, tau = 1 kOhm x 1 uF: v = exp(-t / tau).
    let tau = 1e3 * 1e-6;
    let (rc, n) = max_error_against("rc.cir", "v(a)", &|t| (-t / tau).exp());
    // Measured 1.79e-7 V over 2009 points at the netlist's TMAX of 2.5 us; 10x margin.
    assert!(n > 1000, "{n} points");
    assert!(rc <= 1.8e-6, "RC: largest error {rc:e} V");
    // Series RLC ring-down (C 1 uF from 1 V, L 1 mH, R 10 Ohm, no initial
    // current): v = exp(-a t) (cos(w t) + a / w sin(w t)), a = R / 2L,
    // w = sqrt(1 / LC - a^2); the inductor current is C (a^2 + w^2) / w exp(-a t) sin(w t).
    let (l, c, r) = (1e-3f64, 1e-6f64, 10.0f64);
    let a = r / (2.0 * l);
    let w = (1.0 / (l * c) - a * a).sqrt();
    let v = |t: f64| (-a * t).exp() * ((w * t).cos() + a / w * (w * t).sin());
    let i = |t: f64| c * (a * a + w * w) / w * (-a * t).exp() * (w * t).sin();
    let (rlc_v, _) = max_error_against("rlc.cir", "v(a)", &v);
    let (rlc_i, _) = max_error_against("rlc.cir", "i(l1)", &i);
    // Measured at the netlist's TMAX of 0.5 us (400 steps per period): 4.79e-5 V
    // (of a 1 V swing) and 1.54e-6 A (of a 32 mA swing); 10x margin.
    assert!(rlc_v <= 4.8e-4, "RLC: largest voltage error {rlc_v:e} V");
    assert!(rlc_i <= 1.5e-5, "RLC: largest current error {rlc_i:e} A");
}

#[test]
fn timestep_too_small_names_time_and_node() {
    match expect_err("failures/timestep_too_small.cir", &RunOptions::default()) {
        Error::TimestepTooSmall { run, time_s, timestep_s, trouble } => {
            assert!(run.path.ends_with("timestep_too_small.cir"));
            // A failed run's status names the memory limit too (`limited_status`).
            assert!(run.status.starts_with("exit status: 1; its memory was limited to"), "{}", run.status);
            // The time is parsed from ngspice 39's printed message: measured exact.
            assert!(close(time_s.unwrap(), 0.997696, 1e-15, 0.0), "{time_s:?}");
            // Measured 4.9e-15 s; 5e-14 s is a 10x margin.
            assert!(timestep_s.unwrap() < 5e-14, "{timestep_s:?}");
            assert_eq!(trouble.as_deref(), Some("node \"x\""));
            assert!(run.stderr_tail.contains("aborted"));
        }
        e => panic!("{e}"),
    }
}

#[test]
fn singular_matrix_names_node() {
    match expect_err("failures/singular_vsource_loop.cir", &RunOptions::default()) {
        Error::SingularMatrix { node, recovered, .. } => {
            assert_eq!(node, "v1#branch");
            assert!(!recovered);
        }
        e => panic!("{e}"),
    }
    match expect_err("failures/singular_recovered.cir", &RunOptions::default()) {
        Error::SingularMatrix { node, recovered, .. } => {
            assert_eq!(node, "b");
            assert!(recovered);
        }
        e => panic!("{e}"),
    }
    let ok = RunOptions { accept_recovered_singular: true, ..RunOptions::default() };
    let (_, r) = run("failures/singular_recovered.cir", &ok);
    let r = r.unwrap();
    assert!(r.warnings.iter().any(|w| w.contains("singular matrix")));
}

#[test]
fn syntax_errors_name_the_line() {
    let cases: [(&str, usize, &str); 4] = [
        ("failures/syntax_unknown_model.cir", 4, "could not find a valid modelname"),
        ("failures/syntax_bad_tran.cir", 4, "TSTEP is invalid"),
        ("failures/syntax_unknown_function.cir", 4, "no such function 'nosuchfn'"),
        ("failures/syntax_unbalanced_paren.cir", 4, "syntax error"),
    ];
    for (name, line_no, msg) in cases {
        // syntax_bad_tran has a .tran card the deck reader cannot read: it refuses first.
        match expect_err(name, &RunOptions::default()) {
            Error::NetlistRejected { line, message, text, .. } => {
                assert_eq!(line, Some(line_no), "{name}");
                assert!(message.contains(msg), "{name}: {message}");
                assert!(text.is_some());
            }
            Error::Netlist(e) if name.contains("bad_tran") => {
                assert_eq!(e.diagnostic().map(|d| d.line), Some(line_no), "{e}")
            }
            e => panic!("{name}: {e}"),
        }
    }
}

#[test]
fn incomplete_run_is_reported() {
    // Ask for a later stop time than the deck runs to.
    let opts = RunOptions { tstop_s: Some(5e-3), ..RunOptions::default() };
    match expect_err("rc_step.cir", &opts) {
        Error::Incomplete { last_time_s, tstop_s, .. } => {
            // Measured exactly 0.
            assert!(close(last_time_s, 2e-3, 1e-15, 0.0));
            assert_eq!(tstop_s, 5e-3);
        }
        e => panic!("{e}"),
    }
}

#[test]
fn explicit_max_step_is_written_and_reported() {
    let opts = RunOptions { max_step_s: Some(1e-6), ..RunOptions::default() };
    let (_, r) = run("rc_step.cir", &opts);
    let r = r.unwrap();
    assert_eq!(r.max_step.source, MaxStepSource::Explicit { replaced_netlist_value_s: None });
    assert!(r.deck.contains(".tran 1e-5 0.002 0 1e-6"), "{}", r.deck);
    let t = r.plot().unwrap().time().unwrap();
    // The largest step measured 1.3e-13 above 1 us (rounding of t); 2e-12 is 15x.
    assert!(t.windows(2).all(|w| w[1] - w[0] <= 1e-6 * (1.0 + 2e-12)));
    let default = run("rc_step.cir", &RunOptions::default()).1.unwrap();
    assert_eq!(default.max_step.source, MaxStepSource::NgspiceDefault);
    // Measured exactly 0.
    assert!(close(default.max_step.value_s, 1e-5, 1e-15, 0.0));
}

#[test]
fn timeout_kills_the_process_group() {
    let opts = RunOptions { timeout: Duration::from_millis(300), ..RunOptions::default() };
    let start = Instant::now();
    match expect_err("failures/slow.cir", &opts) {
        Error::Timeout { seconds, run } => {
            // Measured exactly 0 (the configured timeout echoed back).
            assert!(close(seconds, 0.3, 1e-15, 0.0));
            assert!(run.path.ends_with("slow.cir"));
            assert!(run.status.contains("signal: 9"), "{}", run.status);
        }
        e => panic!("{e}"),
    }
    assert!(start.elapsed() < Duration::from_secs(5), "kill took {:?}", start.elapsed());
    // The reader threads only return once every holder of the pipes is dead, so
    // returning quickly shows the whole group was killed (the run takes minutes).
}

#[test]
fn missing_ngspice_is_a_clear_error() {
    let e = NgspiceRunner::with_program(Path::new("/nonexistent/ngspice")).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("ngspice not found on PATH"), "{msg}");
    assert!(msg.contains("scripts/install-ngspice.sh"), "{msg}");
}
