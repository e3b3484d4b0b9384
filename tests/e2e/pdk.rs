//! `atscale realise` on the open PDKs' own models (sky130, GF180; installed
//! by `scripts/install-pdks.sh`, which `make test` runs): the technology's
//! subthreshold parameters measured on the models against an independent
//! script's, and the corner, temperature and Monte Carlo runs against
//! separate ngspice runs of the written netlist with the section (and seed)
//! changed by hand.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{atscale, stdout_ok};

/// The report.json of a realisation written into `dir`.
pub(crate) fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).expect("report.json"))
        .expect("JSON")
}

/// The example design spec `spec` (under docs/examples/), designed into
/// `dir/design`: its design.json.
pub(crate) fn designed(dir: &Path, spec: &str) -> PathBuf {
    let d = dir.join("design");
    stdout_ok(&["design", &format!("docs/examples/{spec}"), "-o", d.to_str().expect("UTF-8")]);
    d.join("design.json")
}

/// The 100 Hz tonic spiker of the examples, designed into `dir`.
pub(crate) fn spiker(dir: &Path) -> PathBuf {
    designed(dir, "tonic-spiking-100hz.toml")
}

/// `design` realised into `out` with `extra` arguments (a failure fails
/// the test): its report.
pub(crate) fn realise(design: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["realise", design.to_str().expect("UTF-8"), "-o", out.to_str().expect("UTF-8")];
    args.extend_from_slice(extra);
    let o = atscale(&args);
    assert!(
        o.status.success(),
        "atscale {args:?}: {}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    report(out)
}

/// atscale's characterisation (one operating point of one transistor per
/// gate voltage, in ngspice or for IHP in VACASK) against
/// scripts/characterise-pdk.py's (an ngspice `.dc` sweep, or a VACASK
/// `sweep` of `op`, of one transistor per length, and of the pair devices
/// over their common source, fitted in numpy), recorded
/// in tests/e2e/data/pdk/characterisation.json by that script.
#[test]
fn pdk_characterisation_agrees_with_the_independent_script() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(crate::root().join("tests/e2e/data/pdk/characterisation.json"))
            .expect("reference"),
    )
    .expect("JSON");
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    crate::vacask::vacask();
    for tech in ["sky130", "sky130-hv", "gf180", "ihp-sg13g2"] {
        let rep = realise(&design, &tmp.path().join(tech), &["--tech", tech, "--no-sim", "--force"]);
        let got = &rep["characterisation"]["measured"];
        let want = &reference[tech];
        for key in [
            "kappa_n",
            "kappa_p",
            "specific_current_n_a",
            "specific_current_p_a",
            "offset_length_factor",
            "kappa_pair",
            "pair_source_v",
        ] {
            let (g, w) = (got[key].as_f64().expect(key), want[key].as_f64().expect(key));
            // Measured: 8.5e-8 relative at most (sky130's NMOS specific current; the
            // two benches' currents differ in ngspice's last digits), IHP in VACASK
            // 3.3e-12 (the PMOS specific current); 12x margin.
            assert!((g / w - 1.0).abs() < 1e-6, "{tech} {key}: atscale {g}, script {w}");
        }
        assert_eq!(got["offset_length_at_longest"], want["offset_length_at_longest"], "{tech}");
        assert_eq!(got["square_m"], want["square_m"], "{tech}");
    }
}

/// The `.lib` line of a written netlist with its section replaced by
/// `section`, `.options temp=` by `temp_c`, and `extra` cards added before `.end`.
fn with_section(netlist: &str, section: &str, temp_c: f64, extra: &str) -> String {
    let mut out = String::new();
    let mut replaced = 0;
    for line in netlist.lines() {
        if line.to_ascii_lowercase().starts_with(".options temp=") {
            out.push_str(&format!(".options temp={temp_c}\n"));
        } else if line.to_ascii_lowercase().starts_with(".lib ") {
            let cut = line.rfind(' ').expect("a section");
            out.push_str(&format!("{} {section}\n", &line[..cut]));
            replaced += 1;
        } else if line.eq_ignore_ascii_case(".end") {
            out.push_str(extra);
            out.push_str(".end\n");
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(replaced, 1, "one .lib line in\n{netlist}");
    out
}

fn events(v: &Value) -> Vec<f64> {
    v["events_s"].as_array().expect("events").iter().map(|t| t.as_f64().expect("time")).collect()
}

/// Events of a separate ngspice run of `text` at the report's threshold.
fn separate_run(dir: &Path, name: &str, text: &str, rep: &Value) -> Vec<f64> {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("netlist");
    let real = &rep["realisation"];
    crate::ngspice_events(
        &path,
        real["membrane"].as_str().expect("membrane"),
        real["threshold_v"].as_f64().expect("threshold"),
        real["hysteresis_v"].as_f64().expect("hysteresis"),
    )
}

fn assert_same_events(what: &str, reported: &[f64], separate: &[f64]) {
    assert_eq!(reported.len(), separate.len(), "{what}: report {reported:?}\nseparate {separate:?}");
    for (a, b) in reported.iter().zip(separate) {
        // Measured: identical to the bit (the same netlist text); 1e-15 s admits rounding only.
        assert!((a - b).abs() < 1e-15, "{what}: report {reported:?}\nseparate {separate:?}");
    }
}

/// GF180's corners, temperatures and Monte Carlo: each reported run is the
/// written netlist on that section (temperature, seed) run separately; the
/// `tt` corner at 27 °C is the nominal run; the Monte Carlo seeds give
/// different circuits.
#[test]
fn gf180_corners_and_monte_carlo_are_the_netlist_on_those_sections() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    let out = tmp.path().join("gf");
    let args = [
        "--tech",
        "gf180",
        "--amplifier",
        "five-transistor",
        "--corners",
        "tt,ss",
        "--temperatures",
        "27,85",
        "--monte-carlo",
        "2",
        "--seed",
        "1",
        // Eight periods of the spiker (half the default window): seven spikes a run.
        "--tstop-model",
        "320",
        "--force",
    ];
    let rep = realise(&design, &out, &args);
    let ev = &rep["evidence"];
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("realised.cir");
    let corners = ev["corners"].as_array().expect("corners");
    let order: Vec<(String, f64)> = corners
        .iter()
        .map(|c| (c["section"].as_str().expect("section").into(), c["temperature_c"].as_f64().expect("temp")))
        .collect();
    assert_eq!(order, [("tt".into(), 27.0), ("tt".into(), 85.0), ("ss".into(), 27.0), ("ss".into(), 85.0)]);
    assert_same_events("tt against nominal", &events(&corners[0]["measured"]), &events(&ev["nominal"]));
    for (c, (section, temp)) in corners.iter().zip(&order).skip(1) {
        let text = with_section(&netlist, section, *temp, "");
        let separate = separate_run(tmp.path(), &format!("{section}{temp}.cir"), &text, &rep);
        assert_same_events(&format!("{section} {temp}"), &events(&c["measured"]), &separate);
        let e = c["measured"]["energy_per_spike_j"].as_f64().expect("energy");
        // The supply's energy per spike: 325 pJ measured at tt (3.3 V, ~1 nA of bias).
        assert!(e > 1e-11 && e < 1e-8, "{section} {temp}: {e} J");
    }
    let mc = ev["monte_carlo"]["runs"].as_array().expect("monte carlo runs");
    let seeds: Vec<u64> = mc.iter().map(|r| r["seed"].as_u64().expect("seed")).collect();
    assert_eq!(seeds, [1, 2]);
    // Seed 1 spikes (94.4 Hz in ngspice 39), seed 2 does not (its mismatch
    // stops the spiker): different circuits.
    assert_ne!(events(&mc[0]["measured"]), events(&mc[1]["measured"]), "seeds 1 and 2 gave the same circuit");
    for (k, r) in mc.iter().enumerate() {
        let seed = format!(".options seed={}\n", k + 1);
        let separate =
            separate_run(tmp.path(), &format!("mc{k}.cir"), &with_section(&netlist, "mc", 27.0, &seed), &rep);
        assert_same_events(&format!("seed {}", k + 1), &events(&r["measured"]), &separate);
    }
    let png = std::fs::read(out.join("monte-carlo.png")).expect("monte-carlo.png");
    assert!(png.starts_with(b"\x89PNG"));
}

/// Errors name what is missing: corners of a technology of model cards, a
/// corner the technology does not list, Monte Carlo without a statistical
/// section, a PDK that is not installed.
#[test]
fn pdk_options_refuse_what_the_technology_cannot_do() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    let d = design.to_str().expect("UTF-8");
    let out = tmp.path().join("x");
    let o = out.to_str().expect("UTF-8");
    for (args, want) in [
        (vec!["--tech", "generic-bsim4", "--corners", "ff"], "generic-bsim4 has model cards"),
        (
            vec!["--tech", "gf180", "--corners", "tt,xx"],
            "gf180 has no corner `xx`; its corners: tt, ff, ss, sf, fs",
        ),
        (vec!["--tech", "generic-bsim4", "--monte-carlo", "2"], "generic-bsim4 has none"),
        (vec!["--tech", "gf180", "--corners", "tt;.control"], "is not a library section name"),
        (vec!["--tech", "gf180", "--temperatures", "-300"], "--temperatures values must be between"),
        (vec!["--tech", "gf180", "--corners", "ff", "--no-sim"], "not with --no-sim"),
        (
            vec!["--tech", "gf180", "--monte-carlo", "2", "--seed", "2147483647"],
            "at most 10000 runs, with seeds up to 2147483647",
        ),
    ] {
        let mut all = vec!["realise", d, "-o", o];
        all.extend(args.iter());
        let r = atscale(&all);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_atscale"))
        .args(["realise", d, "-o", o, "--no-sim", "--tech", "sky130"])
        .current_dir(crate::root())
        .env("ATSCALE_PDK_ROOT", tmp.path())
        .output()
        .expect("atscale runs");
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("the sky130 PDK is not installed") && err.contains("make pdks"), "{err}");
}

/// The four-conductance burster's ultraslow follower needs 11.05 pA at the
/// largest capacitor (50 pF for a 312.5 ms time constant): its devices carry
/// down to 0.75 pA, below GF180's `limits.bias_min_a` of 20 pA per square (ten
/// times a square's current at `V_GS = 0`, 1.7 pA). They are sized narrower
/// and longer instead of refused, so that every transistor carries at least
/// `bias_min_a` per square of `W/L`: the burster realises.
#[test]
fn gf180_sizes_picoampere_devices_long_enough_for_their_leakage() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/bursting.toml", "-o", d.to_str().expect("UTF-8")]);
    let args = ["--tech", "gf180", "--followers", "offset-pairs", "--no-sim"];
    let rep = realise(&d.join("design.json"), &tmp.path().join("gf"), &args);
    let bias_min = 20e-12;
    let mut smallest = f64::INFINITY;
    for dev in rep["realisation"]["devices"].as_array().expect("devices") {
        if !matches!(dev["kind"].as_str(), Some("nmos" | "pmos")) {
            continue;
        }
        let f = |k: &str| dev[k].as_f64().unwrap_or_else(|| panic!("{k} of {dev}"));
        let per_square = f("current_a") / (f("w_m") / f("l_m"));
        assert!(per_square >= bias_min * (1.0 - 1e-9), "{dev}: {per_square:e} A per square");
        smallest = smallest.min(f("current_a"));
    }
    // The offset pairs' long side: 15.77 pA / (1 + e^3) = 747.7 fA (the
    // pairs' kappa, 0.749, makes the model volt 69.06 mV and the unit current
    // with it 6.8 % smaller than at the grounded kappa's 801.9 fA).
    assert!((smallest - 747.7e-15).abs() < 0.1e-15, "smallest device current {smallest:e} A");
    // With linearised followers the ultraslow one's eighteen amplifiers are
    // biased below the floor: their pairs are longer than the unit device
    // the pairs' kappa is measured on, which the CLI and the report name.
    let out = tmp.path().join("lin");
    let design = d.join("design.json");
    let (design, o) = (design.to_str().expect("UTF-8"), out.to_str().expect("UTF-8"));
    let o = atscale(&["realise", design, "-o", o, "--tech", "gf180", "--no-sim"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let want =
        "Mus: 36 input-pair devices are 5.71 µm to 7.475 µm long, biased below limits.bias_min_a = 20 pA; \
                the pairs' kappa is measured on 1 µm devices (sizing.l_m)";
    assert!(err.contains(want), "{err}");
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains(&format!("**Warning:** {want}")), "{md}");
    assert_eq!(report(&out)["realisation"]["warnings"].as_array().map(Vec::len), Some(1));
}

/// The guide's GF180 Monte Carlo sweep of the spiker
/// (`docs/examples/sweep-mc-gf180.toml`: seed 1) with `samples` draws of
/// eight periods each, written into `dir`.
fn mc_sweep_file(dir: &Path, samples: usize) -> PathBuf {
    let example = crate::root().join("docs/examples/sweep-mc-gf180.toml");
    let text = std::fs::read_to_string(&example).expect("the example");
    let design = crate::root().join("docs/examples/tonic-spiking-100hz.toml");
    let quoted = "\"tonic-spiking-100hz.toml\"";
    assert!(text.contains(quoted) && text.contains("samples = 100 "), "{text}");
    let text = text
        .replace(quoted, &format!("\"{}\"", design.display()))
        .replace("samples = 100 ", &format!("samples = {samples} "));
    let p = dir.join("mc.toml");
    std::fs::write(&p, format!("{text}\n[simulation]\ntstop_units = 320\n")).expect("sweep file");
    p
}

/// `sweep` run whole into `dir/whole.csv` and as two shards merged into
/// `dir/merged.csv`: the merged file is the whole one byte for byte (every
/// point run twice, in separate processes). The whole file's text.
pub(crate) fn sharded_as_whole(dir: &Path, sweep: &Path) -> String {
    let t = |name: &str| dir.join(name).to_str().expect("UTF-8").to_string();
    let sw = sweep.to_str().expect("UTF-8");
    stdout_ok(&["sweep", sw, "-o", &t("whole.csv")]);
    for i in 1..=2 {
        stdout_ok(&["sweep", sw, "-o", &t(&format!("part{i}.csv")), "--shard", &format!("{i}/2")]);
    }
    stdout_ok(&["sweep", "merge", &t("merged.csv"), &t("part1.csv"), &t("part2.csv")]);
    let whole = std::fs::read_to_string(t("whole.csv")).expect("whole");
    assert_eq!(whole, std::fs::read_to_string(t("merged.csv")).expect("merged"), "merged shards differ");
    whole
}

/// The column line and rows (cells) of a results file whose rows have no quoted commas.
fn results(p: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(p).expect("results");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let split = |l: &str| l.split(',').map(str::to_string).collect::<Vec<_>>();
    let header = split(lines.next().expect("column line"));
    (header, lines.map(split).collect())
}

/// `atscale sweep` on a `[realise]` base is `realise --monte-carlo` as a
/// sweep: two shards merged are the unsharded file byte for byte (every
/// point run twice, in separate processes: the seed alone fixes a row);
/// point i runs with ngspice's seed `seed + i`; a row is the written
/// netlist on the `mc` section with that seed, run separately in ngspice;
/// the draws differ.
#[test]
fn gf180_monte_carlo_runs_as_a_sharded_sweep() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let sweep = mc_sweep_file(tmp.path(), 2);
    let whole = sharded_as_whole(tmp.path(), &sweep);
    assert!(whole.contains("# monte_carlo: samples=2 section=mc engine_seed=seed+point\n"), "{whole}");
    assert!(whole.contains(", amplifier five-transistor, "), "{whole}");
    let (header, rows) = results(&tmp.path().join("whole.csv"));
    let c = |name: &str| header.iter().position(|h| h.split(' ').next() == Some(name)).expect(name);
    let seeds: Vec<&str> = rows.iter().map(|r| r[c("engine_seed")].as_str()).collect();
    assert_eq!(seeds, ["1", "2"]);
    assert!(rows.iter().all(|r| r[c("status")] == "ok"), "{whole}");
    // Seed 1 spikes, seed 2 does not (as `realise --monte-carlo`): different circuits.
    let counts: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r[c("spike_count")].as_str()).collect();
    assert!(counts.len() >= 2, "every draw gave the same spike count: {whole}");
    // Point 0 against the netlist `realise` writes, on `mc` with seed 1, run separately.
    let rep = realise(
        &spiker(tmp.path()),
        &tmp.path().join("gf"),
        &["--tech", "gf180", "--amplifier", "five-transistor", "--no-sim", "--tstop-model", "320"],
    );
    let netlist = std::fs::read_to_string(tmp.path().join("gf/realised.cir")).expect("realised.cir");
    let text = with_section(&netlist, "mc", 27.0, ".options seed=1\n");
    let ev = separate_run(tmp.path(), "seed1.cir", &text, &rep);
    let row = &rows[0];
    assert_eq!(row[c("spike_count")], format!("{:?}", ev.len() as f64), "{ev:?}");
    assert!(ev.len() >= 5, "seed 1 spikes (94 Hz in ngspice 39): {ev:?}");
    assert_eq!(row[c("first_spike_latency")], format!("{:?}", ev[0]));
    // The steady rate: the mean interval after the first two spikes.
    let rate = (ev.len() - 3) as f64 / (ev[ev.len() - 1] - ev[2]);
    let got: f64 = row[c("firing_rate")].parse().expect("rate");
    // Measured: equal to the bit (the same events, the same sums); 1e-12 admits rounding only.
    assert!((got / rate - 1.0).abs() < 1e-12, "sweep {got} Hz, separate run {rate} Hz");
    let e: f64 = row[c("energy_per_spike")].parse().expect("energy");
    // The supply's energy per spike, as realise reports it: ~300 pJ (3.3 V, ~1 nA of bias).
    assert!(e > 1e-11 && e < 1e-8, "{e} J");
}

/// A sweep's `[realise]` takes `compensate_strays` and
/// `cancel_follower_offsets` as `atscale realise` takes the options: the
/// GF180 burster (linearised followers, the technology's) sized by the
/// sweep has the strays and offsets `realise` measures, and the results
/// file's header says so, with their values.
#[test]
fn a_realise_sweep_measures_strays_and_follower_offsets_as_realise_does() {
    use atscale_circuit::units::si;
    let tmp = tempfile::tempdir().expect("temp dir");
    let spec = crate::root().join("docs/examples/bursting.toml");
    let d = tmp.path().join("design");
    stdout_ok(&["design", spec.to_str().expect("UTF-8"), "-o", d.to_str().expect("UTF-8")]);
    // Five model units of run: the sizing is what is compared.
    let rep = realise(
        &d.join("design.json"),
        &tmp.path().join("r"),
        &["--tech", "gf180", "--compensate-strays", "--cancel-follower-offsets", "--tstop-model", "5"],
    );
    let o = &rep["realisation"]["options"];
    let s = rep["realisation"]["scales"]["s_volt"].as_f64().expect("s_volt");
    let stray = o["membrane_stray_f"].as_f64().expect("stray");
    let offsets: Vec<String> = o["follower_offsets"]
        .as_array()
        .expect("offsets")
        .iter()
        .map(|e| format!("{} {}", e[0].as_str().expect("name"), si(e[1].as_f64().expect("x") * s, "V")))
        .collect();
    assert!(stray > 0.0 && offsets.len() == 3, "{o}");
    let sweep = tmp.path().join("b.toml");
    let text = format!(
        "seed = 1\nmetrics = [\"spike_count\"]\n\n[realise]\ndesign = \"{}\"\ntech = \"gf180\"\n\
         compensate_strays = true\ncancel_follower_offsets = true\n\n[monte_carlo]\nsamples = 1\n\n\
         [simulation]\ntstop_units = 5\n",
        d.join("design.json").display()
    );
    std::fs::write(&sweep, text).expect("sweep file");
    let csv = tmp.path().join("b.csv");
    stdout_ok(&["sweep", sweep.to_str().expect("UTF-8"), "-o", csv.to_str().expect("UTF-8")]);
    let results = std::fs::read_to_string(&csv).expect("results");
    let want = format!(
        ", membrane strays of {} compensated, follower offsets cancelled ({})),",
        si(stray, "F"),
        offsets.join(" ")
    );
    assert!(results.contains(&want), "{want}\n{results}");
    // The `sizing` line records them exactly, and a resume compares it: a
    // partial file sized otherwise is another sweep's.
    let exact: Vec<String> = o["follower_offsets"]
        .as_array()
        .expect("offsets")
        .iter()
        .map(|e| format!("{}:{:e}", e[0].as_str().expect("name"), e[1].as_f64().expect("x")))
        .collect();
    let sizing =
        format!("# sizing: membrane_stray_f={stray:e} follower_offsets_model_v={}\n", exact.join(","));
    assert!(results.contains(&sizing), "{sizing}\n{results}");
    let other = results.replace(&sizing, "# sizing: membrane_stray_f=1e-13 follower_offsets_model_v=\n");
    std::fs::remove_file(&csv).expect("remove");
    std::fs::write(tmp.path().join("b.csv.partial"), other).expect("partial");
    let r =
        atscale(&["sweep", sweep.to_str().expect("UTF-8"), "-o", csv.to_str().expect("UTF-8"), "--resume"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(!r.status.success() && err.contains("the partial file of another sweep"), "{err}");
}

/// `design` realised in GF180 into `out` with `extra` arguments, no run:
/// the report's option `key` as realised, its Markdown and its netlist.
fn gf180_choice(design: &Path, out: &Path, extra: &[&str], key: &str) -> (String, String, String) {
    let mut args = vec!["--tech", "gf180", "--no-sim"];
    args.extend_from_slice(extra);
    let rep = realise(design, out, &args);
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("realised.cir");
    (rep["realisation"]["options"][key].as_str().expect("the option").to_string(), md, netlist)
}

/// A technology names the amplifiers its realisations take unless
/// `--amplifier` (or a sweep's `amplifier`) says otherwise: GF180's are
/// symmetric. The report says which ran, and the netlist has them.
#[test]
fn the_technology_chooses_the_amplifier_unless_told() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    let run = |out: &str, extra: &[&str]| gf180_choice(&design, &tmp.path().join(out), extra, "amplifier");
    // The symmetric amplifier copies its `-` device's current through a
    // second PMOS mirror (`M<tag>_x_*`), which the five-transistor one has not.
    let (amp, md, netlist) = run("default", &[]);
    assert_eq!(amp, "symmetric");
    assert!(md.contains("bias scale 1, symmetric amplifiers\n"), "{md}");
    assert!(netlist.lines().any(|l| l.starts_with("XMRnl0_x_d ")), "{netlist}");
    let (amp, md, netlist) = run("five", &["--amplifier", "five-transistor"]);
    assert_eq!(amp, "five-transistor");
    assert!(md.contains("bias scale 1, five-transistor amplifiers\n"), "{md}");
    assert!(!netlist.contains("_x_d "), "{netlist}");
    // A sweep's [realise] without `amplifier` takes the technology's too.
    let text = std::fs::read_to_string(mc_sweep_file(tmp.path(), 1)).expect("sweep file");
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("amplifier = "))
        .map(|l| if l == "tstop_units = 320" { "tstop_units = 20".to_string() } else { format!("{l}\n") })
        .collect();
    assert!(text.ends_with("tstop_units = 20") && !text.contains("five-transistor\""), "{text}");
    let sweep = tmp.path().join("default.toml");
    std::fs::write(&sweep, text).expect("sweep file");
    let csv = tmp.path().join("default.csv");
    stdout_ok(&["sweep", sweep.to_str().expect("UTF-8"), "-o", csv.to_str().expect("UTF-8")]);
    let results = std::fs::read_to_string(&csv).expect("results");
    assert!(results.contains(", amplifier symmetric, "), "{results}");
}

/// What a `[realise]` sweep cannot run is refused before any draw, naming
/// the file, line and reason.
#[test]
fn realise_sweeps_refuse_what_they_cannot_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let base = "[realise]\ndesign = \"d.toml\"\ntech = \"gf180\"\n";
    let mc = "[monte_carlo]\nsamples = 2\n";
    let cases = [
        (format!("seed = 1\n{base}"), ":1: a [realise] base runs Monte Carlo draws: add [monte_carlo]".to_string()),
        (format!("{base}{mc}"), ":1: point i of a [realise] base runs with the simulator's seed `seed + i`, which \
             must be from 1 to 2147483647 (ngspice's seeds); seed is 0 with 2 samples (give `seed = 1` or more)".into()),
        (format!("seed = 2147483647\n{base}{mc}"), ":1: point i of a [realise] base".into()),
        (format!("seed = 1\n{base}{mc}[monte_carlo.class]\ncapacitor = 0.1\n"), ":5: a [realise] base draws from \
             the technology's statistical library section".into()),
        (format!("seed = 1\n{base}cascode_membrane = true\n{mc}"), ":5: cascode_membrane cascodes the \
             membrane's bias mirror: it needs bias = \"mirrors\"".into()),
        (format!("seed = 1\n{base}{mc}[[parameter]]\nname = \"Iext\"\nvalues = [1]\n"), ":7: [[parameter]] is not \
             supported with a [realise] base yet".into()),
        (format!("seed = 1\nmetrics = [\"threshold_current\"]\n{base}{mc}"), ":2: metric `threshold_current` needs \
             the landscape of a behavioural circuit".into()),
        (format!("design = \"d.toml\"\n{base}{mc}"), ":2: give one base circuit: `design` or [realise], not both".into()),
        (format!("seed = 1\n{}bias = \"mirror\"\n{mc}", base), ":5: unknown bias `mirror`, expected `ideal` or `mirrors`".into()),
        (format!("seed = 1\n{}amplifier = \"folded\"\n{mc}", base), ":5: unknown amplifier `folded`, expected one \
             of `five-transistor`, `cascoded`, `symmetric`, `self-cascoded`".into()),
        (format!("seed = 1\n{}followers = \"linear\"\n{mc}", base), ":5: unknown followers `linear`, expected one \
             of `linearised`, `offset-pairs`".into()),
        (
            format!("seed = 1\n{}{mc}", base.replace("gf180", "generic-bsim4")),
            ":4: Monte Carlo needs a technology with a statistical library section (`library = { monte_carlo = ... }`); \
             generic-bsim4 has none".into(),
        ),
    ];
    let mut wrong = Vec::new();
    for (k, (text, want)) in cases.iter().enumerate() {
        let p = tmp.path().join(format!("bad{k}.toml"));
        std::fs::write(&p, text).expect("write");
        let out = atscale(&[
            "sweep",
            p.to_str().expect("UTF-8"),
            "-o",
            tmp.path().join("o.csv").to_str().expect("UTF-8"),
        ]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.code() != Some(2) || !err.contains(&format!("{}{want}", p.display())) {
            wrong.push(format!("case {k}: {err}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // The native solver cannot run the PDK's models: no ngspice verification.
    let sweep = mc_sweep_file(tmp.path(), 2);
    let out =
        atscale(&["sweep", sweep.to_str().expect("UTF-8"), "-o", "/tmp/never.csv", "--verify-sample", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--verify-sample compares the native solver with ngspice; a [realise] base's points"),
        "{err}"
    );
}

/// A pair offset beyond sky130's 20 µm bins: the burster's followers' 1.5
/// model V offsets are drawn as stacks of equal devices in series with
/// one gate, each within the bins (the characterisation measures such
/// stacks), and a separate ngspice operating point of the written devices
/// at the pairs' common source gives `ln(I_short / I_stack) / 2` of the
/// reported offset.
#[test]
fn sky130_draws_long_offset_devices_as_stacks_that_carry_the_offset() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/bursting.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = tmp.path().join("sky130");
    let rep = realise(&d.join("design.json"), &out, &["--tech", "sky130", "--no-sim"]);
    let devices = rep["realisation"]["devices"].as_array().expect("devices");
    let role = |name: &str| {
        let d = devices.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("{name}"));
        d["role"].as_str().expect("role").to_string()
    };
    // The fast gate's follower: its + device the short one of offset -1.5.
    let offset: f64 = role("MMspf0_p")
        .split("(offset ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|x| x.parse().ok())
        .expect("offset in the role");
    assert!((offset + 1.5).abs() < 0.01, "{offset}");
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("netlist");
    let line = |name: &str| netlist.lines().find(|l| l.split(' ').next() == Some(name)).map(str::to_string);
    let stack: Vec<String> = std::iter::once(line("XMMspf0_n").expect("top"))
        .chain((1..).map_while(|k| line(&format!("XMMspf0_n_s{k}"))))
        .collect();
    assert_eq!(stack.len(), 3, "3 segments for 52.8 µm: {stack:?}");
    let fields = |l: &str| l.split(' ').map(str::to_string).collect::<Vec<_>>();
    let mut bench = vec![netlist.lines().find(|l| l.starts_with(".lib")).expect(".lib").to_string()];
    let s_v = rep["characterisation"]["measured"]["pair_source_v"].as_f64().expect("source");
    bench.push(format!(".temp 27\nVg g 0 0.9\nVs s 0 {s_v}\nVd1 d1 0 1.8\nVd2 d2 0 1.8"));
    let short = fields(&line("XMMspf0_p").expect("short"));
    bench.push(format!("X1 d1 g s 0 {}", short[5..].join(" ")));
    for (k, seg) in stack.iter().enumerate() {
        let f = fields(seg);
        // One gate; drain to source down the stack, the top's drain d2, the last's source s.
        assert_eq!(f[2], "Msp_x", "{seg}");
        assert!(k == 0 || f[1] == fields(&stack[k - 1])[3], "{seg} follows {}", stack[k - 1]);
        let l_um: f64 = f.iter().find_map(|x| x.strip_prefix("l=")).and_then(|x| x.parse().ok()).expect("l");
        assert!(l_um <= 20.0, "{seg}: within the bins");
        let d = if k == 0 { "d2".to_string() } else { f[1].clone() };
        let s = if k + 1 == stack.len() { "s".to_string() } else { f[3].clone() };
        bench.push(format!("X2s{k} {d} g {s} 0 {}", f[5..].join(" ")));
    }
    assert_eq!(fields(stack.last().expect("last"))[3], "Mspf0_t", "the stack ends at the tail");
    bench.push(".control\nop\nprint i(vd1) i(vd2)\n.endc\n.end\n".into());
    let path = tmp.path().join("stack.cir");
    std::fs::write(&path, bench.join("\n")).expect("write");
    let o = std::process::Command::new("ngspice")
        .args(["-n", "-b", path.to_str().expect("UTF-8")])
        .output()
        .expect("ngspice (make ngspice installs it)");
    let text = String::from_utf8_lossy(&o.stdout);
    let i = |v: &str| -> f64 {
        let l = text.lines().find(|l| l.trim_start().starts_with(&format!("i({v}) ="))).expect(v);
        l.split('=').nth(1).expect("value").trim().parse().expect("number")
    };
    let measured = (i("vd1") / i("vd2")).ln() / 2.0;
    // Measured 1.50103 model V (three 17.585 µm devices): the stack's ratio
    // interpolated between the length bench's two- and three-device stacks of 20 µm.
    assert!((measured - offset.abs()).abs() < 0.01, "ngspice {measured} model V, reported {offset}");
}

/// sky130's bias mirrors are fingers of one unit device (`m` and `mult`
/// on each instance): the reference diodes eight, each mirror as many as
/// its current asks, all 0.8 µm wide and about 6 µm long. A separate
/// ngspice operating point of the written reference chain and membrane
/// mirror, its drain at the design's knee (900 mV), carries the reported
/// current within 5 % (the bank held it at the circuit's own operating
/// point); the same mirror drawn as one device of the
/// fingers' total width carries a different current (the models are binned
/// by width): fingers are needed, not a style.
#[test]
fn sky130_mirrors_are_fingers_of_one_unit_device() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("sky");
    let extra = ["--tech", "sky130", "--bias", "mirrors", "--tstop-model", "40"];
    let rep = realise(&spiker(tmp.path()), &out, &extra);
    let err = rep["evidence"]["mirror_error"].as_f64().expect("mirror error");
    // Measured 0.024 % on the full run.
    assert!(err < 5e-3, "{err}");
    let devices = rep["realisation"]["devices"].as_array().expect("devices");
    let mirrors: Vec<&Value> =
        devices.iter().filter(|d| d["role"].as_str().is_some_and(|r| r.contains("mirror)"))).collect();
    assert!(mirrors.len() >= 10, "{mirrors:?}");
    for m in &mirrors {
        assert_eq!(m["w_m"].as_f64(), Some(0.8e-6), "{m}");
        let l = m["l_m"].as_f64().expect("L");
        assert!((4e-6..8e-6).contains(&l), "within the models' 4..8 µm bin: {m}");
    }
    let fingers = |name: &str| {
        let d = devices.iter().find(|d| d["name"] == name).unwrap_or_else(|| panic!("{name}"));
        d["fingers"].as_u64().unwrap_or(1)
    };
    assert_eq!(fingers("Mref_n"), 8);
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("netlist");
    let line = |name: &str| {
        netlist
            .lines()
            .find(|l| l.split(' ').next() == Some(name))
            .unwrap_or_else(|| panic!("{name}"))
            .to_string()
    };
    assert!(line("XMref_n").ends_with(" m=8 mult=8"), "{}", line("XMref_n"));
    let sink = line("XMIext_b");
    let n = fingers("MIext_b");
    assert!(n > 1 && sink.ends_with(&format!(" m={n} mult={n}")), "{sink}");
    let reported = devices.iter().find(|d| d["name"] == "MIext_b").and_then(|d| d["current_a"].as_f64());
    let reported = reported.expect("current");
    // The bench: the reference chain as written, the mirror's drain held.
    let fields: Vec<&str> = sink.split(' ').collect();
    let held = |fields: &[&str]| format!("XM {} {}\nVh h 0 DC 0.9", "h", fields[2..].join(" "));
    let single: Vec<String> = fields
        .iter()
        .filter(|f| !f.starts_with("m=") && !f.starts_with("mult="))
        .map(|f| match f.strip_prefix("w=") {
            Some(w) => format!("w={}", w.parse::<f64>().expect("w") * n as f64),
            None => f.to_string(),
        })
        .collect();
    let run = |mirror: String, name: &str| {
        let text = [
            "* mirror bench".to_string(),
            line(".lib"),
            "Vdd vdd 0 DC 1.8".into(),
            line("Iref"),
            line("XMref_n"),
            line("XMref_pn"),
            line("XMref_p"),
            mirror,
            ".op".into(),
            ".end".into(),
        ]
        .join("\n");
        let path = tmp.path().join(name);
        std::fs::write(&path, text).expect("bench");
        let o = std::process::Command::new("ngspice").arg("-b").arg(&path).output().expect("ngspice");
        let log = String::from_utf8_lossy(&o.stdout).to_string();
        let i = log
            .lines()
            .find_map(|l| l.trim().strip_prefix("vh#branch").and_then(|r| r.trim().parse::<f64>().ok()))
            .unwrap_or_else(|| panic!("{log}"));
        i.abs()
    };
    let fingered = run(held(&fields), "fingers.cir");
    // Measured +3.5 %: the bank held the drain at the circuit's own DC
    // operating point, the bench at 900 mV.
    assert!((fingered / reported - 1.0).abs() < 0.05, "{fingered} A against {reported} A");
    let one = run(held(&single.iter().map(String::as_str).collect::<Vec<_>>()), "single.cir");
    // Measured: 21.82 pA for one 3.2 µm device against 144.2 pA for four
    // 0.8 µm fingers (bound: 10 %).
    assert!((one / fingered - 1.0).abs() > 0.1, "one device {one} A, fingers {fingered} A");
}

/// A technology file that names a multiplier its subcircuit does not pass
/// on (GF180 declares `m` and never uses it) gets mirrors whose fingers
/// carry one device's current: the mirror bank cannot correct that, and
/// the report says the mirrors miss their currents instead of staying
/// silent.
#[test]
fn a_multiplier_the_subcircuit_swallows_is_reported() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = std::fs::read_to_string(crate::root().join("docs/examples/tech/gf180.toml")).expect("tech");
    let swallowed = text
        .replace("name = \"gf180\"", "name = \"gf180-m\"")
        .replace("scale = 1.0 }", "scale = 1.0, m_params = [\"m\"] }");
    assert_eq!(swallowed.matches("m_params").count(), 2, "{swallowed}");
    let tech = tmp.path().join("gf180-m.toml");
    std::fs::write(&tech, swallowed).expect("tech");
    let out = tmp.path().join("m");
    let t = tech.to_str().expect("UTF-8");
    let extra = ["--tech", t, "--amplifier", "five-transistor", "--bias", "mirrors", "--tstop-model", "20"];
    let rep = realise(&spiker(tmp.path()), &out, &extra);
    let err = rep["evidence"]["mirror_error"].as_f64().expect("mirror error");
    assert!(err > 0.5, "{err}");
    let md = std::fs::read_to_string(out.join("report.md")).expect("report");
    assert!(md.contains("**the mirrors do not carry the design's currents**"), "{md}");
}

/// sky130's 5 V devices at 3.3 V (`sky130-hv`) hold the symmetric
/// amplifier that sky130's 1.8 V core devices cannot (there 50 of 504
/// transistors leave saturation): every transistor is in saturation at the
/// knee, and the written netlist, run separately in ngspice, spikes at the
/// design's rate within 5 % and at its ideal model's within 3 % (the
/// issue's criteria), untrimmed.
#[test]
fn sky130_hv_holds_the_symmetric_spiker_to_its_ideal_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("hv");
    let rep = realise(&spiker(tmp.path()), &out, &["--tech", "sky130-hv", "--amplifier", "symmetric"]);
    let ev = &rep["evidence"];
    let headroom = &ev["static_error"]["headroom"];
    assert_eq!(headroom["transistors"], 504, "{headroom}");
    assert_eq!(headroom["out_of_saturation"], serde_json::json!([]), "{headroom}");
    let netlist = std::fs::read_to_string(out.join("realised.cir")).expect("netlist");
    let separate = separate_run(tmp.path(), "separate.cir", &netlist, &rep);
    assert_same_events("nominal", &events(&ev["nominal"]), &separate);
    assert!(separate.len() >= 5, "too few spikes: {separate:?}");
    let rate = 1.0 / atscale_design::spikes::spike_period(&separate).expect("a steady period");
    let ideal = ev["ideal"]["rate_hz"].as_f64().expect("ideal rate");
    let design = ev["design_rate_hz"].as_f64().expect("design rate");
    // Measured: 98.80 Hz, ideal model 99.91 Hz (-1.1 %), design 100 Hz.
    assert!((rate / ideal - 1.0).abs() < 0.03, "{rate} Hz against the ideal model's {ideal} Hz");
    assert!((rate / design - 1.0).abs() < 0.05, "{rate} Hz against the design's {design} Hz");
}

/// A technology names its followers too: GF180's (and sky130-hv's) are
/// linearised, so its burster gets eighteen amplifiers per follower and
/// the shunt its operating point needs unless `--followers offset-pairs`
/// says otherwise; the report's first line says which ran. With
/// five-transistor amplifiers the linearised followers are refused, naming
/// the way out.
#[test]
fn the_technology_chooses_the_followers_unless_told() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/bursting.toml", "-o", d.to_str().expect("UTF-8")]);
    let design = d.join("design.json");
    let run = |out: &str, extra: &[&str]| gf180_choice(&design, &tmp.path().join(out), extra, "followers");
    let (f, md, netlist) = run("default", &[]);
    assert_eq!(f, "linearised");
    assert!(md.contains("bias scale 1, symmetric amplifiers, linearised followers\n"), "{md}");
    assert!(netlist.contains("rshunt=") && netlist.lines().any(|l| l.starts_with("IMspfo8_b ")), "{netlist}");
    let (f, md, netlist) = run("pairs", &["--followers", "offset-pairs"]);
    assert_eq!(f, "offset-pairs");
    assert!(md.contains("bias scale 1, symmetric amplifiers, offset-pairs followers\n"), "{md}");
    assert!(!netlist.contains("rshunt=") && netlist.lines().any(|l| l.starts_with("IMspf2_b ")), "{netlist}");
    let o = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "gf180",
        "--amplifier",
        "five-transistor",
        "--no-sim",
        "-o",
        tmp.path().join("never").to_str().expect("UTF-8"),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("linearised followers need the symmetric amplifiers")
            && err.contains("--followers offset-pairs"),
        "{err}"
    );
}
