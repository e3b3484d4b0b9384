//! The source waveforms of ngspice 39 beyond PULSE/SIN/EXP/PWL, and the
//! PULSE whose period cuts it short: each on its own node in both engines
//! (ngspice evaluates its sources exactly at its own time points, so its
//! samples are the truth there), and `verify` on RC filters they drive.

use std::path::Path;

use crate::{atscale, card_is_refused, root, sim_rows, stdout_ok};

/// Source nodes of `data/waveforms/sources.cir` and whether the waveform
/// is piecewise linear (PULSE, PWL: linear interpolation of the native
/// samples is exact between its corners) or smooth (AM, SFFM).
const NODES: [(&str, bool); 11] = [
    ("p1", true),
    ("p2", true),
    ("w1", true),
    ("w2", true),
    ("w3", true),
    ("a1", false),
    ("a2", false),
    ("s1", false),
    ("s2", false),
    ("i1", false),
    ("i2", false),
];

/// Times (s) where an AM of the deck leaves 0 with a jump in its slope:
/// the cubic interpolant does not hold across them.
const AM_DELAYS: [f64; 2] = [0.2e-3, 0.3e-3];

/// The native samples (`rows`, time first) of column `col` at time `t`:
/// the sample itself at a sample's time, else linear between the samples
/// around `t` or cubic through the four nearest (`None` at the ends).
fn interpolate(rows: &[Vec<f64>], col: usize, t: f64, linear: bool) -> Option<f64> {
    let i = rows.partition_point(|r| r[0] <= t).checked_sub(1)?;
    if rows[i][0] == t {
        return Some(rows[i][col]);
    }
    let window = if linear { i..i + 2 } else { i.checked_sub(1)?..i + 3 };
    let pts = rows.get(window)?;
    let mut v = 0.0;
    for (a, pa) in pts.iter().enumerate() {
        let mut l = 1.0;
        for (b, pb) in pts.iter().enumerate() {
            if a != b {
                l *= (t - pb[0]) / (pa[0] - pb[0]);
            }
        }
        v += l * pa[col];
    }
    Some(v)
}

/// The largest |native - ngspice| (V) on each node, at ngspice's time points.
fn worst_differences(native: &[Vec<f64>], ngspice: &[Vec<f64>]) -> Vec<(f64, f64)> {
    let mut worst = vec![(0.0, 0.0); NODES.len()];
    for row in ngspice {
        let t = row[0];
        for (k, &(_, linear)) in NODES.iter().enumerate() {
            if !linear && AM_DELAYS.iter().any(|d| (t - d).abs() < 5e-6) {
                continue;
            }
            let Some(v) = interpolate(native, k + 1, t, linear) else { continue };
            let d = (v - row[k + 1]).abs();
            if d > worst[k].0 {
                worst[k] = (d, t);
            }
        }
    }
    worst
}

#[test]
fn each_waveform_matches_ngspice_at_its_own_time_points() {
    let deck = root().join("tests/e2e/data/waveforms/sources.cir");
    let probes: Vec<&str> = NODES.iter().map(|n| n.0).collect();
    let (ngspice, _) = sim_rows(&deck, "ngspice", &probes, &[]);
    // A 1 µs maximum step keeps the cubic interpolation of the smooth
    // waveforms (carriers up to 11.8 kHz) near 1e-7 V; reltol 1e-6 keeps
    // the Newton iterations' error on the source nodes near 1e-9 V (at the
    // default 1e-3 they leave up to 6.7e-7 V against the closed form).
    let extra = ["--max-step", "1u", "--reltol", "1e-6"];
    let (native, stderr) = sim_rows(&deck, "native", &probes, &extra);
    assert!(!stderr.contains("warning"), "{stderr}");
    let mut bad = Vec::new();
    for ((node, linear), (d, t)) in NODES.iter().zip(worst_differences(&native, &ngspice)) {
        // ngspice's samples equal the closed forms exactly (checked with
        // numpy: difference 0). Piecewise linear: measured at most 1.6e-13 V
        // (w1), but up to 2.6e-8 V at the instant of a jump (p1 at 2 ms)
        // when another source of the deck changes the native steps: the
        // Newton iterations there stop within their tolerance (vntol 1 µV);
        // 4x margin on that. Smooth: measured at most 1.1e-7 V (a1), the
        // cubic interpolation between native samples; 5x margin.
        let tol = if *linear { 1e-7 } else { 5.5e-7 };
        if d > tol {
            bad.push(format!(
                "{node}: native differs from ngspice by {d:e} V at t = {t:e} s (allowed {tol:e} V)"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn rc_filters_driven_by_each_waveform_agree_with_ngspice() {
    let deck = root().join("tests/e2e/data/waveforms/rc.cir");
    let out = stdout_ok(&[
        "verify",
        deck.to_str().unwrap(),
        "--events",
        "o1,0.9,0.05",
        "--events",
        "o3,0.5",
        "--events",
        "o6,0.5",
        "--events",
        "o8,0.5",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["verdict"]["agree"], true, "{out}");
}

/// `atscale sim` of a one-line deck: its stderr, and whether it ran.
fn run_card(dir: &Path, card: &str) -> (bool, String) {
    let p = dir.join("w.cir");
    std::fs::write(&p, format!("t\n{card}\nR9 a 0 1k\n.tran 10u 1m\n.end\n")).unwrap();
    let out = atscale(&["sim", p.to_str().unwrap()]);
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn pwl_repeat_problems_are_refused_as_ngspice_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    card_is_refused(d, "V1 a 0 PWL(0 0 1m 1 2m 0) r=0.5m", "2:27: PWL repeat time `r` = 500 µs matches none");
    card_is_refused(d, "V1 a 0 PWL(0 0 1m 1 2m 0) r=3m", "2:27: PWL repeat time `r` = 3 ms is after");
    card_is_refused(d, "V1 a 0 PWL(0 0 1m 1 2m 0) r=2m", "2:27: PWL repeat time `r` = 2 ms is the last");
    card_is_refused(d, "I1 a 0 PWL(0 0 1m 1 2m 0) r=0", "2:27: PWL `r=` on a current source");
    card_is_refused(d, "I1 a 0 PWL(0 0 1m 1 td=1m)", "2:21: PWL `td=` on a current source");
    card_is_refused(d, "V1 a 0 SIN(0 1 1k) td=1m", "2:20: `r=` and `td=` belong to a PWL waveform");
    card_is_refused(d, "V1 a 0 PWL(0 0 1m 1) r=", "2:24: missing PWL repeat time");
    // r=-1: no repetition, as ngspice.
    let (ok, stderr) = run_card(d, "V1 a 0 PWL(0 0 1m 1 2m 0) r=-1 td=0.1m");
    assert!(ok, "{stderr}");
}

#[test]
fn am_and_sffm_with_later_ngspice_arguments_are_read_as_ngspice_39_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, stderr) = run_card(dir.path(), "V1 a 0 AM 0.5 2 1.8 1k 100k 1m 0 0");
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("AM has 8 arguments; ngspice 39, which atscale follows, reads the first 7")
            && stderr.contains("ngspice 43 or later"),
        "{stderr}"
    );
    let (ok, stderr) = run_card(dir.path(), "V1 a 0 SFFM(0 1 1k 2 100)");
    assert!(ok && !stderr.contains("arguments;"), "{stderr}");
    card_is_refused(dir.path(), "V1 a 0 SFFM(0)", "2:8: SFFM takes at least 2 arguments, found 1");
}
