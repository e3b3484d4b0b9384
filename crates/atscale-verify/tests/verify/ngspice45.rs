//! The runner and the raw reader on real ngspice 45.2 output: ngspice 45.2 is
//! the npm package eecircuit-engine 1.8.0 (WebAssembly) behind
//! `scripts/ngspice45.mjs`. The fixtures in `tests/fixtures/ngspice45/` are
//! its recorded output (`scripts/ngspice45-fixtures.sh`); the failure
//! detection is run on them through the public runner with a stand-in
//! executable that replays a recording, and once on the shim itself.

use std::path::{Path, PathBuf};

use atscale_spice::{Deck, DeckLimits, Tran};
use atscale_verify::events::{crossings, EventSpec};
use atscale_verify::ngspice::{NgspiceRun, NgspiceRunner, RunOptions};
use atscale_verify::raw::{Encoding, Plot, RawFile};
use atscale_verify::Error;

use crate::{close, fixture};

fn rec(name: &str) -> PathBuf {
    fixture("ngspice45").join(name)
}

fn read(name: &str) -> RawFile {
    RawFile::read(&rec(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// v(out) of `fixtures/rc_step.cir` (1 kΩ, 1 µF, a 0→1 V ramp from 100 µs
/// over 1 µs), exactly.
fn rc_step_exact(t: f64) -> f64 {
    let (td, tr, rc) = (1e-4, 1e-6, 1e-3);
    if t <= td {
        0.0
    } else if t <= td + tr {
        (t - td) / tr - rc / tr * (1.0 - (-(t - td) / rc).exp())
    } else {
        1.0 - rc / tr * ((tr / rc).exp() - 1.0) * (-(t - td) / rc).exp()
    }
}

/// Bound on [`rc_step_error`] of ngspice 45.2's run: measured 5.52e-6 V (the
/// recording; the live run is the same computation); 3e-5 V is a 5.4x margin.
const RC_STEP_BOUND_V: f64 = 3e-5;

/// Largest |v(out) − exact| of an rc_step plot, in volts.
fn rc_step_error(p: &Plot) -> f64 {
    let (t, v) = (p.time().unwrap(), p.real("v(out)").unwrap());
    t.iter().zip(v).map(|(t, v)| (v - rc_step_exact(*t)).abs()).fold(0.0, f64::max)
}

#[test]
fn raw_rc_step_binary_and_ascii() {
    let (b, a) = (read("rc_step.raw"), read("rc_step_ascii.raw"));
    for (f, encoding) in [(&b, Encoding::Binary), (&a, Encoding::Ascii)] {
        assert_eq!(f.plots.len(), 1);
        let p = &f.plots[0];
        assert_eq!(p.encoding, encoding);
        assert_eq!(p.plotname, "Transient Analysis");
        let command = p.command.as_deref().unwrap_or_default();
        assert!(command.starts_with("ngspice-45.2, Build "), "{command}");
        assert_eq!(p.flags, ["real"]);
        assert_eq!(p.names(), ["time", "v(in)", "v(out)", "i(v1)"]);
        assert_eq!(p.len(), 219);
        assert_eq!(p.time().unwrap()[0], 0.0);
        // Measured exactly 0.
        assert!(close(*p.time().unwrap().last().unwrap(), 2e-3, 1e-15, 0.0));
        // The whole waveform against the closed form: measured 5.52e-6 V
        // (trapezoidal error at the default TMAX = 10 µs); 3e-5 V is a 5.4x margin.
        let err = rc_step_error(p);
        assert!(err < RC_STEP_BOUND_V, "max |v(out) - exact| = {err:e} V");
        // i(v1) is the source's current, -(v(in) - v(out)) / 1 kΩ: measured at most
        // 7.1e-16 relative (1.1e-19 A); 5e-15 is a 7x margin.
        let (vi, vo, i) = (p.real("v(in)").unwrap(), p.real("v(out)").unwrap(), p.real("i(v1)").unwrap());
        for k in 0..p.len() {
            assert!(close(i[k], -(vi[k] - vo[k]) / 1e3, 5e-15, 1e-21), "row {k}");
        }
    }
    // ASCII (15 significant digits) equals binary: measured at most 4.0e-16 relative;
    // 4e-15 is a 10x margin.
    for name in ["time", "v(in)", "v(out)", "i(v1)"] {
        let (x, y) = (a.plots[0].real(name).unwrap(), b.plots[0].real(name).unwrap());
        for (u, v) in x.iter().zip(y) {
            assert!(close(*u, *v, 4e-15, 1e-300), "{name}: {u} vs {v}");
        }
    }
    // ngspice 39.3 computed the same numbers from the same netlist
    // (fixtures/rc_step.raw): measured identical, bit for bit.
    assert_eq!(b.plots[0].columns, RawFile::read(&fixture("rc_step.raw")).unwrap().plots[0].columns);
}

#[test]
fn raw_ac_complex_binary_and_ascii() {
    for name in ["ac_rc.raw", "ac_rc_ascii.raw"] {
        let f = read(name);
        let p = &f.plots[0];
        assert!(p.is_complex(), "{name}");
        assert_eq!(p.plotname, "AC Analysis");
        assert!(p.command.as_deref().unwrap_or_default().starts_with("ngspice-45.2, Build "));
        assert_eq!(p.flags, ["complex"]);
        assert_eq!(p.len(), 21);
        let (freq, out) = (p.complex("frequency").unwrap(), p.complex("v(out)").unwrap());
        for (f, v) in freq.iter().zip(out) {
            // First-order low-pass, RC = 1 ms: H = 1 / (1 + j w RC).
            let w = 2.0 * std::f64::consts::PI * f.re;
            let d = 1.0 + (w * 1e-3).powi(2);
            // Measured at most 8.4e-16 relative (real part) and 4.4e-16 (imaginary);
            // 8e-15 is a 9.5x margin.
            assert!(close(v.re, 1.0 / d, 8e-15, 1e-300), "{name} f = {}: {}", f.re, v.re);
            assert!(close(v.im, -w * 1e-3 / d, 8e-15, 1e-300), "{name} f = {}: {}", f.re, v.im);
        }
    }
}

#[test]
fn raw_aborted_run_and_uic_as_39_computed_them() {
    // The transient that fails at t = 0.9977 s (failures/timestep_too_small.cir):
    // ngspice 39.3 in batch mode declared `No. Points: 0` (fixtures/aborted_blowup.raw,
    // the same netlist); 45.2's `write` after the failure declares the 255 points.
    let f = read("timestep_too_small.raw");
    let p = &f.plots[0];
    assert_eq!((p.declared_points, p.len(), p.truncated), (255, 255, false));
    let old = RawFile::read(&fixture("aborted_blowup.raw")).unwrap();
    assert_eq!(old.plots[0].declared_points, 0);
    // Measured identical, bit for bit.
    assert_eq!(p.columns, old.plots[0].columns);
    // Under uic both omit the t = 0 row (the runner prepends the initial state).
    // 45.2 orders the variables differently (time, v(e), i(l1), v(m), i(vbat),
    // v(v) against 39.3's time, v(v), v(m), v(e), i(l1), i(vbat)): read by name,
    // every column is identical, bit for bit (measured).
    let f = read("fhn_uic.raw");
    let p = &f.plots[0];
    assert!(p.time().unwrap()[0] > 0.0);
    let old = RawFile::read(&fixture("fhn_uic.raw")).unwrap();
    let old = &old.plots[0];
    assert_ne!(p.names(), old.names());
    for name in old.names() {
        assert!(p.real(&name).unwrap() == old.real(&name).unwrap(), "{name}");
    }
}

/// A stand-in ngspice that answers `-v` with the recorded banner and a run
/// with the recording `stem` (stdout, stderr, raw file, exit status).
fn replayer(dir: &Path, stem: &str) -> PathBuf {
    let r = |ext: &str| rec(&format!("{stem}.{ext}")).display().to_string();
    let script = format!(
        "#!/bin/sh\n\
         if [ \"$1\" = -v ]; then exec cat '{version}'; fi\n\
         while [ $# -gt 0 ]; do if [ \"$1\" = -r ]; then raw=$2; fi; shift; done\n\
         cat '{stdout}'; cat '{stderr}' >&2\n\
         if [ -f '{raw_in}' ]; then cp '{raw_in}' \"$raw\"; fi\n\
         exit $(cat '{status}')\n",
        version = rec("version.stdout").display(),
        stdout = r("stdout"),
        stderr = r("stderr"),
        raw_in = r("raw"),
        status = r("status"),
    );
    let path = dir.join("ngspice-replay");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// Runs `netlist` (under `tests/fixtures/`) through the runner with the
/// recording `stem` replayed as ngspice's answer.
fn replay(stem: &str, netlist: &str, opts: &RunOptions) -> (PathBuf, Result<NgspiceRun, Error>) {
    let dir = tempfile::tempdir().unwrap();
    let runner = NgspiceRunner::with_program(replayer(dir.path(), stem)).unwrap();
    assert_eq!(runner.version().to_string(), "45.2", "the recorded banner names ngspice-45.2");
    let path = fixture(netlist);
    let deck = Deck::load(&path, &DeckLimits::default()).unwrap();
    (path.clone(), runner.run(&deck, &path, opts))
}

fn replay_err(stem: &str, netlist: &str, opts: &RunOptions) -> (PathBuf, Error) {
    match replay(stem, netlist, opts) {
        (p, Err(e)) => (p, e),
        (p, Ok(r)) => panic!("{}: classified as a success\nstdout:\n{}", p.display(), r.stdout),
    }
}

#[test]
fn replayed_success_is_read() {
    let (_, r) = replay("rc_step", "rc_step.cir", &RunOptions::default());
    let r = r.unwrap();
    assert_eq!((r.version.major, r.version.minor), (45, 2));
    assert!(rc_step_error(r.plot().unwrap()) < RC_STEP_BOUND_V);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn replayed_failures_are_classified() {
    // What ngspice 45.2 printed (read by hand from the recordings): the
    // transient failures as ngspice 39.3 printed them (failures/expected.json),
    // the parser's errors partly in new words.
    let d = RunOptions::default();
    match replay_err("timestep_too_small", "failures/timestep_too_small.cir", &d).1 {
        Error::TimestepTooSmall { time_s, timestep_s, trouble, run } => {
            // ngspice prints six significant digits: the parsed number is that text exactly.
            assert_eq!(time_s, Some(0.997696));
            assert_eq!(timestep_s, Some(4.93492e-15));
            assert_eq!(trouble.as_deref(), Some("node \"x\""));
            assert!(run.stderr_tail.contains("run simulation(s) aborted"), "{}", run.stderr_tail);
        }
        e => panic!("{e}"),
    }
    match replay_err("singular_vsource_loop", "failures/singular_vsource_loop.cir", &d).1 {
        Error::SingularMatrix { node, recovered, .. } => {
            assert_eq!((node.as_str(), recovered), ("v1#branch", false))
        }
        e => panic!("{e}"),
    }
    match replay_err("singular_recovered", "failures/singular_recovered.cir", &d).1 {
        Error::SingularMatrix { node, recovered, .. } => assert_eq!((node.as_str(), recovered), ("b", true)),
        e => panic!("{e}"),
    }
    // `.tran foo` does not parse for atscale either: the card is given.
    let tran = Tran { tstep_s: 1e-3, tstop_s: 1.0, tstart_s: 0.0, tmax_s: None, uic: false };
    let given = RunOptions { tran: Some(tran), ..RunOptions::default() };
    let cases = [
        ("syntax_bad_tran", &given, ".tran foo", "TSTEP is invalid, must be greater than zero."),
        (
            "syntax_unknown_model",
            &d,
            "Q1 a b c nosuchmodel",
            "warning, can't find model 'nosuchmodel' from line; could not find a valid modelname",
        ),
        // New in 45.2: a fatal exit naming the line.
        (
            "syntax_unknown_function",
            &d,
            "B1 a 0 I={nosuchfn(v(a))}",
            "Error: no such function 'nosuchfn' at line 4",
        ),
        (
            "syntax_unbalanced_paren",
            &d,
            "B1 a 0 I={(v(a) + 1}",
            "YYparse error, syntax error, in expression: parsing stopped at line 4",
        ),
    ];
    for (stem, opts, want_text, want_message) in cases {
        let (path, e) = replay_err(stem, &format!("failures/{stem}.cir"), opts);
        match e {
            Error::NetlistRejected { file, line, text, message, .. } => {
                assert_eq!(file.as_deref(), Some(path.display().to_string().as_str()), "{stem}");
                assert_eq!(line, Some(4), "{stem}");
                assert_eq!(text.as_deref(), Some(want_text), "{stem}");
                assert_eq!(message, want_message, "{stem}");
            }
            e => panic!("{stem}: {e}"),
        }
    }
}

/// The shim, failing with what to run when Node or the package is missing.
fn shim() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let node =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("node").is_file()));
    assert!(node, "this test needs Node.js (`node` on PATH) to run ngspice 45.2: install Node.js 20+, then scripts/install-eecircuit.sh");
    assert!(
        root.join(".cache/eecircuit/banner.txt").is_file(),
        "this test needs ngspice 45.2 (npm eecircuit-engine): run scripts/install-eecircuit.sh (make eecircuit)"
    );
    root.join("scripts/ngspice45.mjs")
}

#[test]
fn live_ngspice45_through_the_runner() {
    let runner = NgspiceRunner::with_program(shim()).unwrap();
    assert_eq!(runner.version().to_string(), "45.2");
    // Node's WebAssembly reserves about 22 GiB of address space.
    let opts = RunOptions { max_engine_memory_bytes: 32 << 30, ..RunOptions::default() };
    let path = fixture("rc_step.cir");
    let deck = Deck::load(&path, &DeckLimits::default()).unwrap();
    let r = runner.run(&deck, &path, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(rc_step_error(r.plot().unwrap()) < RC_STEP_BOUND_V);
    let path = fixture("failures/timestep_too_small.cir");
    let deck = Deck::load(&path, &DeckLimits::default()).unwrap();
    match runner.run(&deck, &path, &opts) {
        Err(Error::TimestepTooSmall { time_s, .. }) => assert_eq!(time_s, Some(0.997696)),
        other => panic!("{other:?}"),
    }
    // Under atscale's default 4 GiB limit the shim says what to raise.
    match runner.run(&deck, &path, &RunOptions::default()) {
        Err(Error::NoOutput { run }) => {
            assert!(run.stderr_tail.contains("--max-engine-memory 32G"), "{}", run.stderr_tail)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn live_ngspice45_fitzhugh_nagumo_spikes_at_the_reference_times() {
    // atscale_sim::reference::fitzhugh_nagumo() (scipy Radau, rtol 1e-12;
    // crates/atscale-spice/tests/spice/data/reference/events.json).
    let expected = atscale_sim::reference::fitzhugh_nagumo().expected_events;
    let runner = NgspiceRunner::with_program(shim()).unwrap();
    let opts = RunOptions { max_engine_memory_bytes: 32 << 30, ..RunOptions::default() };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../netlists/ngspice/fitzhugh_nagumo.cir");
    let deck = Deck::load(&path, &DeckLimits::default()).unwrap();
    let r = runner.run(&deck, &path, &opts).unwrap_or_else(|e| panic!("{e}"));
    let mut plot = r.plot().unwrap().clone();
    plot.prepend_initial_state(0.0, &[("v", -1.0), ("i(l1)", 1.0)]).unwrap();
    let ev = crossings(plot.time().unwrap(), plot.real("v").unwrap(), &EventSpec::rising("v", 1.0, 0.5));
    assert_eq!(ev.len(), expected.len(), "{ev:?}");
    for (a, b) in ev.iter().zip(&expected) {
        // Measured at most 3.53e-4 s (the netlist's TMAX of 9.9 ms; ngspice
        // 39.3 gives the same times to the last digit); 1.5e-3 s is a 4.2x margin.
        assert!((a - b).abs() < 1.5e-3, "{a} vs {b}");
    }
}
