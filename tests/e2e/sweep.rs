//! `atscale sweep`: the examples run as a user runs them; shards merged
//! against the unsharded run; resume after a kill; Monte Carlo seeds; a
//! failing point recorded; ngspice verification of sampled points; bad
//! sweep files; the scripts (SLURM with a stand-in `sbatch`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{atscale, root, stdout_ok};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The rows of a results file as maps column → cell.
fn rows(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = read(p);
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<String> = lines.next().expect("column line").split(',').map(str::to_string).collect();
    let rows = lines
        .map(|l| {
            // The tests' rows have no quoted commas except in `error`, which they read last.
            let mut f: Vec<String> = l.split(',').map(str::to_string).collect();
            if f.len() > header.len() {
                let extra = f.len() - header.len();
                let at = header.iter().position(|h| h == "error").expect("error column");
                let joined = f[at..=at + extra].join(",");
                f.splice(at..=at + extra, [joined]);
            }
            f
        })
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name || h.starts_with(&format!("{name} ["))).unwrap_or_else(|| {
        panic!("no column {name} in {header:?}");
    })
}

fn num(s: &str) -> Option<f64> {
    s.parse().ok()
}

fn out_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn the_fi_example_reproduces_the_designed_rate_and_the_excitable_threshold() {
    let dir = out_dir();
    let csv = dir.path().join("fi.csv");
    let report = dir.path().join("report");
    let out = stdout_ok(&["sweep", "docs/examples/sweep-fi.toml", "-o", s(&csv), "--report", s(&report)]);
    assert!(out.contains("41 points (0 failed)"), "{out}");
    let (h, r) = rows(&csv);
    assert_eq!(
        h[2..11],
        [
            "Iext [x nominal]",
            "firing_rate [Hz]",
            "spike_count [1]",
            "first_spike_latency [s]",
            "energy_per_spike [J]",
            "threshold_current [A]",
            "landscape_class [class]",
            "activity [class]",
            "status"
        ]
    );
    let (f, rate, act, land, thr) = (
        col(&h, "Iext"),
        col(&h, "firing_rate"),
        col(&h, "activity"),
        col(&h, "landscape_class"),
        col(&h, "threshold_current"),
    );
    // The nominal point is the design itself: 100 Hz, measured by the
    // designer with tight tolerances; the sweep runs default tolerances.
    let nominal = r.iter().find(|row| num(&row[f]) == Some(1.0)).expect("factor 1 point");
    let got = num(&nominal[rate]).expect("a rate");
    assert!((got / 100.0 - 1.0).abs() < 2e-3, "rate at the nominal bias {got} Hz");
    // No bias: excitable and silent, with a positive threshold current;
    // twice the bias: tonic spiking.
    let zero = &r[0];
    assert_eq!((zero[act].as_str(), zero[land].as_str()), ("silent", "excitable"));
    // Every excitable point's threshold current against its closed form.
    let excitable: Vec<&Vec<String>> = r.iter().filter(|x| x[land] == "excitable").collect();
    assert_eq!(excitable.len(), 12, "excitable from 0 to 0.55x");
    let omega = design_omega_s(dir.path());
    for row in &excitable {
        let factor = num(&row[f]).expect("factor");
        let want = threshold_current_closed_form(0.5 * factor, 0.1, 1e-12, omega);
        let got = num(&row[thr]).expect("a threshold");
        // Measured at most 1.1e-25 A apart (round-off of 2/3 - f(v*) at the
        // current scale s C0 / omega = 0.39 nA); 10x margin.
        assert!((got - want).abs() <= 1e-24, "threshold at {factor}x: {got:e} A, closed form {want:e} A");
    }
    // The guide's figures: from 17 pA at no bias to 69 fA at 0.55x.
    let guide = |factor: f64| threshold_current_closed_form(0.5 * factor, 0.1, 1e-12, omega);
    assert_eq!(((guide(0.0) * 1e12).round(), (guide(0.55) * 1e15).round()), (17.0, 69.0));
    let top = &r[40];
    assert_eq!((top[act].as_str(), top[land].as_str()), ("tonic", "tonic-spiking"));
    // The onset of firing: every silent point lies below every tonic one.
    let silent_max = r.iter().filter(|x| x[act] == "silent").filter_map(|x| num(&x[f])).fold(0.0, f64::max);
    let tonic_min = r.iter().filter(|x| x[act] == "tonic").filter_map(|x| num(&x[f])).fold(9.0, f64::min);
    assert!(silent_max < tonic_min, "silent up to {silent_max}, tonic from {tonic_min}");
    for p in ["summary.md", "summary.json", "curve-firing_rate.png", "curve-threshold_current.png"] {
        let len = std::fs::metadata(report.join(p)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 1000, "{p}: {len} bytes");
    }
    let md = read(&report.join("summary.md"));
    assert!(md.contains("| firing_rate [Hz] | 28 |"), "{md}");
}

/// The time scale omega (s) the designer picks for
/// docs/examples/tonic-spiking-100hz.toml, the design the f-I sweep runs.
fn design_omega_s(dir: &Path) -> f64 {
    let out = dir.join("design");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", s(&out)]);
    let json: serde_json::Value = serde_json::from_str(&read(&out.join("design.json"))).expect("JSON");
    json["scales"]["omega_s"].as_f64().expect("omega")
}

/// The fine-scale threshold current (A) of the FitzHugh-Nagumo design at a
/// mother bias `bias`, in closed form (docs/theory.md, sections 3 and 4).
///
/// The mother circuit is C dv/dt = -(v^3/3 - v) - i_L + I, L di_L/dt =
/// v + E - R i_L with C = 1, L = 12.5, R = 0.8, E = 0.7. At the finest
/// scale the inductor branch (time constant L/R = 15.6) is frozen at its
/// rest current i* = (v* + E)/R, so the I-V curve is f(v) + i* with
/// f(v) = v^3/3 - v. The rest state v* solves f(v) + (v + E)/R = I, i.e.
/// v^3 + (3/4) v + 3 (7/8 - I) = 0: one real root (p = 3/4 > 0), by
/// Cardano. It lies on the left branch (v* < -1), whose fold is at v = -1
/// (f' = v^2 - 1 = 0) with f(-1) = 2/3: a DC step removes the rest state
/// once the applied current reaches f(-1) + i*, so the threshold is
/// f(-1) + i* - I = 2/3 - f(v*). In physical units a current is
/// s C0 / omega times the mother's.
fn threshold_current_closed_form(bias: f64, s_volt: f64, c0_farad: f64, omega_s: f64) -> f64 {
    let (p, q) = (0.75, 3.0 * (0.875 - bias));
    let root = (q * q / 4.0 + p * p * p / 27.0).sqrt();
    let v = (-q / 2.0 + root).cbrt() + (-q / 2.0 - root).cbrt();
    assert!(v < -1.0, "rest state {v} on the left branch");
    let mother = 2.0 / 3.0 - (v * v * v / 3.0 - v);
    mother * s_volt * c0_farad / omega_s
}

#[test]
fn merged_shards_equal_the_unsharded_run_and_merge_checks_its_parts() {
    let dir = out_dir();
    let whole = dir.path().join("whole.csv");
    stdout_ok(&["sweep", "docs/examples/sweep-netlist.toml", "-o", s(&whole)]);
    let mut parts = Vec::new();
    for i in 1..=3 {
        let p = dir.path().join(format!("part-{i}.csv"));
        stdout_ok(&["sweep", "docs/examples/sweep-netlist.toml", "-o", s(&p), "--shard", &format!("{i}/3")]);
        assert!(read(&p).contains(&format!("# shard: {i}/3\n")));
        parts.push(p);
    }
    let merged = dir.path().join("merged.csv");
    let out = stdout_ok(&["sweep", "merge", s(&merged), s(&parts[0]), s(&parts[1]), s(&parts[2])]);
    assert!(out.contains("24 points from 3 parts"), "{out}");
    assert_eq!(read(&merged), read(&whole), "merged shards differ from the unsharded run");

    let missing = atscale(&["sweep", "merge", s(&dir.path().join("m2.csv")), s(&parts[0]), s(&parts[2])]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("8 of 24 points are in no part (points 1, 4, 7,"), "{err}");
    let twice =
        atscale(&["sweep", "merge", s(&dir.path().join("m3.csv")), s(&parts[0]), s(&parts[1]), s(&parts[1])]);
    let err = String::from_utf8_lossy(&twice.stderr);
    assert!(err.contains("point 1 is also in"), "{err}");
    let again = atscale(&["sweep", "merge", s(&merged), s(&parts[0]), s(&parts[1]), s(&parts[2])]);
    assert_eq!(again.status.code(), Some(2), "an existing merged file is kept without --force");
}

/// A Monte Carlo sweep of the tonic design written into `dir` with `seed`.
fn mc_sweep(dir: &Path, name: &str, seed: u64, samples: usize) -> PathBuf {
    let design = root().join("docs/examples/tonic-spiking-100hz.toml");
    let text = format!(
        "design = \"{}\"\nseed = {seed}\nmetrics = [\"firing_rate\", \"spike_count\", \"activity\"]\n\
         [simulation]\ntstop_units = 400\n[monte_carlo]\nsamples = {samples}\n\
         [monte_carlo.class]\nresistor = 0.02\nnonlinear_resistor = 0.05\n[monte_carlo.parameter]\nIext = 0.03\n",
        design.display()
    );
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write the sweep");
    p
}

#[test]
fn monte_carlo_repeats_with_its_seed_and_differs_with_another() {
    let dir = out_dir();
    let run = |sweep: &Path, out: &str| {
        let csv = dir.path().join(out);
        stdout_ok(&["sweep", s(sweep), "-o", s(&csv)]);
        csv
    };
    let one = mc_sweep(dir.path(), "one.toml", 11, 24);
    let a = run(&one, "a.csv");
    let b = dir.path().join("b.csv");
    stdout_ok(&["sweep", s(&one), "-o", s(&b), "--jobs", "1"]);
    assert_eq!(read(&a), read(&b), "the same seed must give the same file, on any number of threads");
    let two = mc_sweep(dir.path(), "two.toml", 12, 24);
    let c = run(&two, "c.csv");
    let rates = |p: &Path| {
        let (h, r) = rows(p);
        let k = col(&h, "firing_rate");
        r.iter().map(|x| num(&x[k]).expect("tonic")).collect::<Vec<f64>>()
    };
    let (ra, rc) = (rates(&a), rates(&c));
    assert!(ra.iter().zip(&rc).all(|(x, y)| x != y), "another seed must draw other circuits");
    // The spread is the one the sigmas imply. The expected relative standard
    // deviation comes from the mother circuit in scipy
    // (tests/e2e/data/mc_spread/make_mc_spread.py): sensitivities d ln(rate) /
    // d ln(p) of -0.864 (law gain, sigma 5 %), -0.110 (R1, 2 %) and 0.262
    // (Iext, 3 %) give sigma = 0.0440; 400 direct draws give 0.0441 +- 0.0016
    // and a mean of 0.9969 +- 0.0022 of the nominal rate. For N = 24 draws,
    // (N - 1) s^2 / sigma^2 is chi-square with 23 degrees of freedom: with
    // probability 0.999, s / sigma lies in [0.549, 1.504], i.e. s in
    // [0.0241, 0.0661] of the mean; the mean lies within 3.29 standard errors
    // (sqrt(sigma^2 / N + 0.0022^2) = 0.0093) of 0.9969 x 100 Hz, plus the
    // nominal point's own 2e-3 (the f-I test), i.e. within 0.0325.
    let expected: serde_json::Value =
        serde_json::from_str(&read(&root().join("tests/e2e/data/mc_spread/mc_spread.json"))).expect("JSON");
    let sigma = expected["linear_relative_sd"].as_f64().expect("sigma");
    let bound = &expected["bound_for_n"];
    assert_eq!(bound["n"].as_u64(), Some(ra.len() as u64), "the bound is for this many draws");
    let (lo, hi) =
        (bound["sd_ratio_low"].as_f64().expect("low"), bound["sd_ratio_high"].as_f64().expect("high"));
    let mean = ra.iter().sum::<f64>() / ra.len() as f64;
    let sd = (ra.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (ra.len() - 1) as f64).sqrt();
    assert!(
        (lo * sigma..=hi * sigma).contains(&(sd / mean)),
        "relative spread {} outside [{}, {}]",
        sd / mean,
        lo * sigma,
        hi * sigma
    );
    let mc = &expected["monte_carlo"];
    let expected_mean = 100.0 * mc["mean_over_nominal"].as_f64().expect("mean");
    let se =
        (sigma * sigma / ra.len() as f64 + mc["mean_standard_error"].as_f64().expect("se").powi(2)).sqrt();
    // A statistical bound (measured -4.7e-3 against 3.2e-2 allowed): z standard
    // errors of the sample and of the reference mean, plus 2e-3 for the rate.
    let allowed = bound["mean_z"].as_f64().expect("z") * se + 2e-3;
    assert!(
        (mean / expected_mean - 1.0).abs() <= allowed,
        "mean rate {mean} Hz, expected {expected_mean} Hz"
    );
    // The summary of the table agrees with these numbers.
    let rep = dir.path().join("rep");
    stdout_ok(&["sweep", "report", s(&a), "-o", s(&rep)]);
    let json: serde_json::Value = serde_json::from_str(&read(&rep.join("summary.json"))).expect("JSON");
    let stats = json["numeric"]
        .as_array()
        .expect("numeric")
        .iter()
        .find(|x| x["name"] == "firing_rate")
        .expect("rate");
    // Measured 1.4e-16 and 0 relative; 2e-15 is a 14x margin.
    assert!((stats["mean"].as_f64().expect("mean") - mean).abs() < 2e-15 * mean);
    assert!((stats["std"].as_f64().expect("std") - sd).abs() < 2e-15 * sd);
    assert!(rep.join("hist-firing_rate.png").exists());
    // SVG where asked.
    let svg = dir.path().join("svg");
    stdout_ok(&["sweep", "report", s(&a), "-o", s(&svg), "--svg"]);
    let doc = read(&svg.join("hist-firing_rate.svg"));
    assert!(doc.starts_with("<svg") && doc.contains("firing_rate (Hz)"), "{}", &doc[..doc.len().min(200)]);
}

#[test]
fn resume_after_a_kill_reproduces_the_uninterrupted_file() {
    let dir = out_dir();
    let sweep = mc_sweep(dir.path(), "mc.toml", 3, 300);
    let whole = dir.path().join("whole.csv");
    stdout_ok(&["sweep", s(&sweep), "-o", s(&whole), "--jobs", "2"]);

    let out = dir.path().join("killed.csv");
    let partial = dir.path().join("killed.csv.partial");
    let mut child = Command::new(env!("CARGO_BIN_EXE_atscale"))
        .args(["sweep", s(&sweep), "-o", s(&out), "--jobs", "1"])
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the sweep");
    let started = Instant::now();
    let rows_written = |p: &Path| {
        std::fs::read_to_string(p).map_or(0, |t| t.lines().filter(|l| !l.starts_with('#')).count())
    };
    while rows_written(&partial) < 30 {
        assert!(started.elapsed() < Duration::from_secs(120), "the sweep wrote no rows");
        assert!(child.try_wait().expect("poll").is_none(), "the sweep ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill the sweep");
    child.wait().expect("reap");
    assert!(!out.exists(), "a killed sweep must not leave a finished file");
    // A row torn by the kill.
    let mut torn = read(&partial);
    torn.push_str("299,3,0.9");
    std::fs::write(&partial, torn).expect("tear the last row");

    let refused = atscale(&["sweep", s(&sweep), "-o", s(&out)]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --resume to continue it"));
    let resumed = stdout_ok(&["sweep", s(&sweep), "-o", s(&out), "--resume"]);
    assert!(resumed.contains("resumed"), "{resumed}");
    assert_eq!(read(&out), read(&whole), "resume must reproduce the uninterrupted file");
    assert!(!partial.exists());
}

#[test]
fn a_failing_point_is_recorded_and_the_sweep_completes() {
    let dir = out_dir();
    let sweep = dir.path().join("fail.toml");
    std::fs::write(
        &sweep,
        format!(
            "netlist = \"{}\"\nmetrics = [\"spike_count\", \"firing_rate\"]\n[event]\nnode = \"v\"\nthreshold_v = 0.5\n\
             hysteresis_v = 0.5\n[[parameter]]\nname = \"rrec\"\nvalues = [0.8, 0.0, 1.0]\nunit = \"Ohm\"\n",
            root().join("docs/examples/fhn-param.cir").display()
        ),
    )
    .expect("write");
    let csv = dir.path().join("fail.csv");
    let out = stdout_ok(&["sweep", s(&sweep), "-o", s(&csv)]);
    assert!(out.contains("3 points (1 failed)"), "{out}");
    let (h, r) = rows(&csv);
    let (st, er, n) = (col(&h, "status"), col(&h, "error"), col(&h, "spike_count"));
    assert_eq!(r.iter().map(|x| x[st].as_str()).collect::<Vec<_>>(), ["ok", "failed", "ok"]);
    assert!(r[1][er].contains("resistance") && r[1][er].contains("R1"), "{}", r[1][er]);
    assert!(r[1][n].is_empty());
    assert!(num(&r[0][n]).is_some_and(|c| c > 3.0) && num(&r[2][n]).is_some_and(|c| c > 3.0));
}

#[test]
fn sampled_points_are_verified_through_ngspice() {
    let dir = out_dir();
    let csv = dir.path().join("v.csv");
    stdout_ok(&["sweep", "docs/examples/sweep-netlist.toml", "-o", s(&csv), "--verify-sample", "2"]);
    let (h, r) = rows(&csv);
    let (v, ng) = (col(&h, "verify"), col(&h, "ngspice_version"));
    let verdicts: Vec<&str> = r.iter().map(|x| x[v].as_str()).filter(|x| !x.is_empty()).collect();
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    assert!(verdicts.iter().all(|x| x.starts_with("agree (native ")), "{verdicts:?}");
    // The truth for every point, verified or not: the FitzHugh-Nagumo ODE in
    // scipy at the sweep's parameters (tests/e2e/data/sweep_netlist/make_sweep_netlist.py).
    let reference: serde_json::Value =
        serde_json::from_str(&read(&root().join("tests/e2e/data/sweep_netlist/sweep_netlist.json")))
            .expect("JSON");
    let points = reference["points"].as_array().expect("points");
    assert_eq!(points.len(), r.len());
    let (ib, rr, count, lat, rate) = (
        col(&h, "ibias"),
        col(&h, "rrec"),
        col(&h, "spike_count"),
        col(&h, "first_spike_latency"),
        col(&h, "firing_rate"),
    );
    for (row, p) in r.iter().zip(points) {
        let k = &row[0];
        assert_eq!(
            num(&row[ib]),
            p["ibias"].as_f64(),
            "point {k}: the sweep draws other points; rerun the script"
        );
        assert_eq!(
            num(&row[rr]),
            p["rrec"].as_f64(),
            "point {k}: the sweep draws other points; rerun the script"
        );
        let spikes: Vec<f64> =
            p["spikes_s"].as_array().expect("spikes").iter().filter_map(|t| t.as_f64()).collect();
        assert_eq!(num(&row[count]), Some(spikes.len() as f64), "point {k}: spike count");
        // Both engines of a verified point count the reference's spikes.
        if !row[v].is_empty() {
            let n = spikes.len();
            assert_eq!(row[v], format!("agree (native {n}; ngspice {n} events)"), "point {k}");
        }
        // Measured: first spike 1.75e-6 model units at most, firing rate
        // 8.7e-8 of itself (native, default tolerances); 10x margin.
        if let Some(first) = spikes.first() {
            let got = num(&row[lat]).expect("a latency");
            assert!((got - first).abs() <= 1.75e-5, "point {k}: first spike {got}, reference {first}");
        }
        if spikes.len() >= 5 {
            let settled = &spikes[2..];
            let want = (settled.len() - 1) as f64 / (settled[settled.len() - 1] - settled[0]);
            let got = num(&row[rate]).expect("a rate");
            assert!((got / want - 1.0).abs() <= 8.7e-7, "point {k}: rate {got}, reference {want}");
        }
    }
    assert!(r
        .iter()
        .all(|x| x[ng].starts_with("39.") || x[ng].chars().next().is_some_and(|c| c.is_ascii_digit())));
}

#[test]
fn bad_sweep_files_name_the_file_line_and_problem() {
    let dir = out_dir();
    let cases = [
        (
            "design = \"x.toml\"\nsampling = \"sobol\"\n",
            "2: unknown sampling `sobol`, expected `grid`, `uniform` or `lhs`",
        ),
        (
            "design = \"x.toml\"\n[[parameter]]\nname = \"Iext\"\nmin = 1\nmax = 2\n",
            "2: grid parameter `Iext` needs steps",
        ),
        (
            "design = \"x.toml\"\nmetrics = [\"rate\"]\n",
            "2: unknown metric `rate`, expected one of spike_count,",
        ),
        (
            "netlist = \"x.cir\"\n[[parameter]]\nname = \"a\"\nvalues = [1]\n",
            "1: a netlist sweep needs its spike event",
        ),
        ("design = \"x.toml\"\nbogus = 1\n", "2: unknown field `bogus`"),
        (
            "design = \"x.toml\"\n[monte_carlo]\nsamples = 3\n[monte_carlo.class]\nresistors = 0.1\n",
            "5: unknown element class `resistors`",
        ),
    ];
    for (k, (text, want)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("bad{k}.toml"));
        std::fs::write(&p, text).expect("write");
        let out = atscale(&["sweep", s(&p), "-o", s(&dir.path().join("o.csv"))]);
        assert_eq!(out.status.code(), Some(2), "case {k}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("{}:{want}", p.display())), "case {k}: {err}");
    }
    // An output folder that does not exist: the cause once, not twice.
    let out = atscale(&["sweep", "docs/examples/sweep-netlist.toml", "-o", "/nonexistent/dir/o.csv"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.ends_with(
            "error: cannot write the results into the folder /nonexistent/dir: No such file or directory (os error 2)\n"
        ),
        "{err}"
    );
    // A name the base does not have, reported at the parameter's line.
    let p = dir.path().join("unknown.toml");
    std::fs::write(
        &p,
        format!(
            "design = \"{}\"\n\n[[parameter]]\nname = \"Rx\"\nvalues = [1]\n",
            root().join("docs/examples/tonic-spiking-100hz.toml").display()
        ),
    )
    .expect("write");
    let out = atscale(&["sweep", s(&p), "-o", s(&dir.path().join("o.csv"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}:3: `Rx` is neither a .param (none) nor an element (C1, Rnl, L1, R1, Vbat, Iext)",
            p.display()
        )),
        "{err}"
    );
}

fn run_script(script: &str, args: &[&str], path_prefix: Option<&Path>) -> String {
    let mut cmd = Command::new(root().join(script));
    cmd.args(args).env("ATSCALE", env!("CARGO_BIN_EXE_atscale")).current_dir(root());
    if let Some(dir) = path_prefix {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", dir.display()));
    }
    let out = cmd.output().expect("the script runs");
    assert!(
        out.status.success(),
        "{script} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn the_bursting_map_example_bursts_at_the_designed_gains() {
    // One shard in eight of the example map (30 of 240 points).
    let dir = out_dir();
    let csv = dir.path().join("bm.csv");
    stdout_ok(&["sweep", "docs/examples/sweep-bursting-map.toml", "-o", s(&csv), "--shard", "5/8"]);
    let (h, r) = rows(&csv);
    let (a, b, n, act) = (
        col(&h, "Msn.law.alpha"),
        col(&h, "Mus.law.alpha"),
        col(&h, "spikes_per_burst"),
        col(&h, "activity"),
    );
    // Shard 5/8 holds the points i = 4 mod 8, among them (Msn 1.0, Mus 1.0) = point 10 * 15 + 6 = 156.
    let nominal =
        r.iter().find(|x| num(&x[a]) == Some(1.0) && num(&x[b]) == Some(1.0)).expect("the nominal point");
    assert_eq!(nominal[act], "bursting");
    assert_eq!(num(&nominal[n]), Some(13.0), "the design's 13 spikes per burst");
    // Without the slow negative conductance there is no burst.
    assert!(r.iter().filter(|x| num(&x[a]) == Some(0.0)).all(|x| x[act] != "bursting"));

    // The script on a small copy of the map.
    let small = dir.path().join("small.toml");
    let text = read(&root().join("docs/examples/sweep-bursting-map.toml"))
        .replace(
            "design = \"bursting.toml\"",
            &format!("design = \"{}\"", root().join("docs/examples/bursting.toml").display()),
        )
        .replace("steps = 16", "steps = 3");
    std::fs::write(&small, text).expect("write");
    let out = dir.path().join("map");
    run_script("scripts/sweep-bursting-map.sh", &[s(&small), s(&out)], None);
    assert!(out.join("results.csv").exists() && out.join("report/heatmap-spikes_per_burst.png").exists());
}

#[test]
fn the_mismatch_script_summarises_its_draws() {
    let dir = out_dir();
    let sweep = mc_sweep(dir.path(), "mc.toml", 2026, 16);
    let out = dir.path().join("mm");
    let printed = run_script("scripts/sweep-mismatch.sh", &[s(&sweep), s(&out), "1"], None);
    assert!(printed.contains("verified through ngspice: 1 agree"), "{printed}");
    assert!(out.join("report/hist-firing_rate.png").exists());
}

#[test]
fn the_slurm_script_runs_shards_and_merges_them() {
    // A stand-in `sbatch` that runs array tasks and dependent jobs at once,
    // in order, as SLURM would once their dependencies are met.
    let dir = out_dir();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let sbatch = bin.join("sbatch");
    std::fs::write(
        &sbatch,
        r#"#!/bin/bash
set -eu
array=
args=()
for a in "$@"; do
    case "$a" in
    --array=*) array=${a#--array=} ;;
    --parsable|--job-name=*|--output=*|--dependency=*) ;;
    *) args+=("$a") ;;
    esac
done
if [ -n "$array" ]; then
    n=${array#1-}
    for i in $(seq 1 "$n"); do
        SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=$n SLURM_CPUS_PER_TASK=1 "${args[@]}" >/dev/null
    done
    echo 1001
else
    "${args[@]}" >/dev/null
    echo 1002
fi
"#,
    )
    .expect("write sbatch");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sbatch, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let out = dir.path().join("slurm");
    let printed =
        run_script("scripts/slurm-sweep.sh", &["docs/examples/sweep-netlist.toml", s(&out), "4"], Some(&bin));
    assert!(printed.contains("submitted array job 1001 (4 shards) and merge job 1002"), "{printed}");
    let whole = dir.path().join("whole.csv");
    stdout_ok(&["sweep", "docs/examples/sweep-netlist.toml", "-o", s(&whole)]);
    assert_eq!(read(&out.join("results.csv")), read(&whole));
    assert!(out.join("report/summary.md").exists());
}

/// The guide's burster bias sweep (`docs/examples/sweep-burster-bias.toml`,
/// native solver): the designed bias gives 13 spikes per 500 ms; 13 spikes
/// hold from 0.84 to 1.005 times it, with 14 below; at 1.02 times it the
/// neuron is silent, and on the way the period grows from 471.1 ms (0.995)
/// to 538.4 ms (1.005): the design sits 2 % from silence.
#[test]
fn the_burster_bias_example_shows_the_design_near_silence() {
    let dir = out_dir();
    let csv = dir.path().join("bias.csv");
    stdout_ok(&["sweep", "docs/examples/sweep-burster-bias.toml", "-o", s(&csv)]);
    let (h, r) = rows(&csv);
    assert_eq!(r.len(), 57);
    let (k, n, p, act) =
        (col(&h, "Iext"), col(&h, "spikes_per_burst"), col(&h, "burst_period"), col(&h, "activity"));
    let at =
        |x: f64| r.iter().find(|row| num(&row[k]).is_some_and(|v| (v - x).abs() < 1e-9)).expect("a point");
    let burst = |x: f64| (num(&at(x)[n]), num(&at(x)[p]));
    let close = |got: Option<f64>, want: f64| got.is_some_and(|g| (g / want - 1.0).abs() < 1e-3);
    let (n1, p1) = burst(1.0);
    assert_eq!(n1, Some(13.0));
    assert!(close(p1, 0.5), "{p1:?}");
    assert!(
        close(burst(0.995).1, 0.4711) && close(burst(1.005).1, 0.5384),
        "{:?} {:?}",
        burst(0.995),
        burst(1.005)
    );
    for x in [0.84, 0.9, 0.95, 1.005] {
        assert_eq!(burst(x).0, Some(13.0), "at {x}");
    }
    assert_eq!(burst(0.82).0, Some(14.0));
    assert_eq!(burst(1.01).0, Some(14.0));
    assert_eq!(at(1.02)[act], "silent");
}
