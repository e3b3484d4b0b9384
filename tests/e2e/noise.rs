//! `TRNOISE` white, 1/f and random telegraph noise: one run of
//! `data/noise/noise.cir` in each engine, checked against ngspice 39's
//! definitions of the processes (`data/noise/reference.json`, written by
//! `reference.py` beside it from ngspice's `1-f-code.c` and `vsrcacct.c`)
//! and against each other. The engines draw different samples, so every
//! check is statistical, to 5 standard errors of the run's sample size.

use std::sync::OnceLock;

use crate::{root, sim_rows};

/// The deck's probes: eight 1/f sources, four telegraph sources, one sum.
const PROBES: [&str; 13] = ["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "r1", "r2", "r3", "r4", "all"];
const FLICKER: std::ops::Range<usize> = 1..9;
const TELEGRAPH: std::ops::Range<usize> = 9..13;
const SUM: usize = 13;
/// The sample time NT, s.
const NT: f64 = 1e-6;

/// An engine's name, its rows (time first, then [`PROBES`]) and its stderr.
type Run = (&'static str, Vec<Vec<f64>>, String);

/// Each engine's run of the deck (run once, shared by the tests).
fn runs() -> &'static [Run; 2] {
    static RUNS: OnceLock<[Run; 2]> = OnceLock::new();
    RUNS.get_or_init(|| {
        let path = root().join("tests/e2e/data/noise/noise.cir");
        ["native", "ngspice"].map(|engine| {
            let (rows, stderr) = sim_rows(&path, engine, &PROBES, &[]);
            (engine, rows, stderr)
        })
    })
}

fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("tests/e2e/data/noise/reference.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, found {v}"))
}

/// Column `col` at the sample instants `k NT`, `k = 0 .. n-1` (rows there:
/// each sample instant is a breakpoint in both engines).
fn samples(rows: &[Vec<f64>], col: usize, n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| {
            let t = k as f64 * NT;
            let i = rows.partition_point(|r| r[0] < t - 1e-12);
            assert!((rows[i][0] - t).abs() < 1e-12, "no row at the sample instant {t} s");
            rows[i][col]
        })
        .collect()
}

/// Periodogram `|sum_k x_k exp(-2 pi i ik/n)|^2 / n` at bins `0 ..= n/2` (a direct DFT).
fn periodogram(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..=n / 2)
        .map(|i| {
            let (mut re, mut im) = (0.0, 0.0);
            for (k, v) in x.iter().enumerate() {
                let (s, c) = (std::f64::consts::TAU * ((i * k) % n) as f64 / n as f64).sin_cos();
                re += v * c;
                im -= v * s;
            }
            (re * re + im * im) / n as f64
        })
        .collect()
}

/// Least-squares slope of `y` against `x`, and the spread `sum (x - mean)^2`.
fn slope(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    (x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum::<f64>() / sxx, sxx)
}

/// The 1/f statistics of one engine's run: periodogram level per octave
/// and slope against ngspice's expected periodogram, structure function.
/// Returns the fitted slope.
fn check_flicker(engine: &str, rows: &[Vec<f64>], r: &serde_json::Value) -> f64 {
    let n = num(&r["samples"]) as usize;
    let expected: Vec<f64> = r["periodogram"].as_array().unwrap().iter().map(num).collect();
    let runs: Vec<Vec<f64>> = FLICKER.map(|c| samples(rows, c, n)).collect();
    let sources = runs.len() as f64;
    let mut mean = vec![0.0; n / 2 + 1];
    for x in &runs {
        for (m, p) in mean.iter_mut().zip(periodogram(x)) {
            *m += p / sources;
        }
    }
    // Level per octave of bins: each bin's mean of 8 periodograms is 8
    // exponential draws (relative sd 1/sqrt(8)); m bins, 1/sqrt(8 m).
    for lo in [8, 16, 32, 64, 128, 256, 512] {
        let bins = lo..(2 * lo).min(n / 2);
        let ratio = bins.clone().map(|i| mean[i] / expected[i]).sum::<f64>() / bins.len() as f64;
        let se = 1.0 / (sources * bins.len() as f64).sqrt();
        assert!(
            (ratio - 1.0).abs() < 5.0 * se,
            "{engine}: bins {bins:?} at {ratio} of ngspice's level (se {se:.3})"
        );
    }
    // Slope of the log periodogram: the log of a mean of 8 exponentials has
    // variance trigamma(8) = 0.1331.
    let [lo, hi] = [0, 1].map(|k| num(&r["slope_bins"][k]) as usize);
    let lx: Vec<f64> = (lo..=hi).map(|i| (i as f64).ln()).collect();
    let ly: Vec<f64> = (lo..=hi).map(|i| mean[i].ln()).collect();
    let (got, sxx) = slope(&lx, &ly);
    let (want, se) = (num(&r["slope"]), (0.1331 / sxx).sqrt());
    assert!((got - want).abs() < 5.0 * se, "{engine}: slope {got}, ngspice's definition {want} (se {se:.4})");
    for s in r["structure"].as_array().unwrap() {
        let m = num(&s["lag"]) as usize;
        let d =
            runs.iter().map(|x| x[m..].iter().zip(x).map(|(a, b)| (a - b).powi(2)).sum::<f64>()).sum::<f64>()
                / (sources * (n - m) as f64);
        let (want, se) = (num(&s["mean_v2"]), num(&s["sd_v2"]) / sources.sqrt());
        assert!(
            (d - want).abs() < 5.0 * se,
            "{engine}: structure function at lag {m}: {d:e} V², expected {want:e}"
        );
    }
    got
}

#[test]
fn flicker_noise_has_ngspice_s_spectrum_in_both_engines() {
    let r = reference();
    // ngspice's 1/f noise is Kasdin's filter truncated to 2048 samples and
    // applied circularly: over bins 8 to 511 its slope is -0.955, not the
    // -NALPHA = -1 of an ideal 1/f^NALPHA spectrum (reference.py).
    assert!((num(&r["slope"]) + 0.955).abs() < 1e-3, "{}", r["slope"]);
    let [(_, native, _), (_, ngspice, _)] = runs();
    let (a, b) = (check_flicker("native", native, &r), check_flicker("ngspice", ngspice, &r));
    // Each slope's standard error is 0.019 (see check_flicker): the two engines' agree to 5 of their difference's.
    assert!((a - b).abs() < 5.0 * 0.019 * 2f64.sqrt(), "slopes {a} (native) and {b} (ngspice)");
}

/// The dwell times (s) empty and trapped of telegraph column `col`, whose
/// value is 0 or `amp` on every row (both switch instants trapped): to
/// 2.5e-6 V, 10x the largest difference measured (2.5e-7 V natively, at a
/// capture instant, within Newton's tolerance of 6e-6 V; ngspice exact).
fn dwells(engine: &str, rows: &[Vec<f64>], col: usize, amp: f64) -> (Vec<f64>, Vec<f64>) {
    let (mut empty, mut trapped) = (vec![], vec![]);
    let (mut since, mut high) = (0.0, false);
    let mut last_high = 0.0;
    for row in rows {
        let (t, v) = (row[0], row[col]);
        let now = (v - amp).abs() < 2.5e-6;
        assert!(now || v.abs() < 2.5e-6, "{engine}: {} at {t} s is neither 0 nor {amp} V", PROBES[col - 1]);
        if now && !high {
            empty.push(t - since);
            since = t;
        } else if !now && high {
            trapped.push(last_high - since);
            since = last_high;
        }
        if now {
            last_high = t;
        }
        high = now;
    }
    (empty, trapped)
}

#[test]
fn telegraph_noise_dwells_and_levels_in_both_engines() {
    // TRNOISE(0 0 0 0 5m 5u 10u): 0 or 5 mV, exponential dwells of means
    // 5 us empty and 10 us trapped, starting empty. About 540 dwells each
    // way over four sources: 5 standard errors (mean/sqrt(n)) allowed.
    for (engine, rows, _) in runs() {
        let (mut empty, mut trapped) = (vec![], vec![]);
        for col in TELEGRAPH {
            let (e, t) = dwells(engine, rows, col, 5e-3);
            assert_eq!(rows[0][col], 0.0, "{engine}: {} is not empty at 0", PROBES[col - 1]);
            empty.extend(e);
            trapped.extend(t);
        }
        for (what, d, mean) in [("empty", &empty, 5e-6), ("trapped", &trapped, 10e-6)] {
            let got = d.iter().sum::<f64>() / d.len() as f64;
            let se = mean / (d.len() as f64).sqrt();
            assert!(d.len() > 400, "{engine}: only {} {what} dwells", d.len());
            assert!(
                (got - mean).abs() < 5.0 * se,
                "{engine}: mean {what} dwell {got:e} s, expected {mean:e} s"
            );
        }
    }
}

#[test]
fn white_flicker_and_telegraph_add_in_both_engines() {
    // TRNOISE(1m 1u 1 1m 5m 5u 10u) on DC 1: the mean over the run and the
    // mean square of its sample-to-sample differences, against the sums of
    // the three independent parts (reference.py; the latter's sd from 2000
    // Monte Carlo runs of ngspice's processes).
    let r = reference();
    let n = num(&r["samples"]) as usize;
    for (engine, rows, stderr) in runs() {
        let v = samples(rows, SUM, n);
        let mean = v.iter().sum::<f64>() / n as f64;
        let (want, se) = (num(&r["sum_mean_v"]), num(&r["sum_mean_sd_v"]));
        assert!((mean - want).abs() < 5.0 * se, "{engine}: mean {mean} V, expected {want} V (sd {se:e} V)");
        let d = v.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>() / (n - 1) as f64;
        let (want, se) = (num(&r["sum_diff_mean_square_v2"]), num(&r["sum_diff_mean_square_sd_v2"]));
        assert!(
            (d - want).abs() < 5.0 * se,
            "{engine}: difference mean square {d:e} V², expected {want:e} V²"
        );
        // Only the native engine draws its own samples, and says so.
        assert_eq!(stderr.contains("drawn from atscale's own generator"), *engine == "native", "{stderr}");
    }
}

#[test]
fn telegraph_noise_ngspice_cannot_run_alike_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "V1 a 0 TRNOISE(0 0 0 0 1m 5u 0)",
            "2:30: TRNOISE random telegraph emission time `rtsemt` is 0 after capture time `rtscapt` 5 µs: \
             ngspice makes a one-time-point spike at each capture, which depends on its time steps; not \
             simulated natively (give `rtsemt` > 0, or run the netlist with --engine ngspice)",
        ),
        (
            "V1 a 0 TRNOISE(0 0 0 0 1m -5u 1u)",
            "2:27: TRNOISE parameter `rtscapt` is -0.000005; a mean capture time cannot be negative",
        ),
    ];
    for (card, expected) in cases {
        crate::card_is_refused(dir.path(), card, expected);
    }
}
