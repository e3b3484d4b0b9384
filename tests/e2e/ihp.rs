//! `atscale realise --tech ihp-sg13g2`: IHP SG13G2's PSP 103 transistors in
//! VACASK (the models installed and compiled by scripts/install-ihp.sh, which
//! `make pdks` runs): the 100 Hz spiker realised, characterised and run in
//! VACASK, its rate against the design's, and the reported run against a
//! separate VACASK run of the netlist written.

use std::path::Path;
use std::process::Command;

use atscale_verify::events::{crossings, EventSpec};
use serde_json::Value;

use crate::pdk::{designed, realise, sharded_as_whole, spiker};
use crate::vacask::vacask;
use crate::{atscale, root, stdout_ok};

/// The PDK's folder, installed (a clear failure when it is not).
fn ihp_installed() -> std::path::PathBuf {
    let dir = root().join(".venv/atscale/pdk/ihp-sg13g2");
    assert!(
        dir.join("atscale.lib").is_file() && dir.join("osdi/psp103.osdi").is_file(),
        "these tests need IHP SG13G2's models at {}: run `make pdks` (scripts/install-ihp.sh, after \
         `make vacask`)",
        dir.display()
    );
    dir
}

/// The membrane's rising crossings in a separate VACASK run of `netlist`
/// (in its own folder, as written), at the report's threshold.
fn separate_vacask_events(netlist: &Path, rep: &Value) -> Vec<f64> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(netlist, dir.path().join("deck.sim")).expect("copies");
    let out = Command::new(vacask())
        .args(["-qp", "-se", "-sp", "deck.sim"])
        .current_dir(dir.path())
        .output()
        .expect("vacask runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && !stdout.contains("aborted"), "{stdout}");
    let raw = atscale_verify::raw::RawFile::read(&dir.path().join("tran1.raw")).expect("VACASK's raw file");
    let plot = &raw.plots[0];
    let real = &rep["realisation"];
    let node = real["membrane"].as_str().expect("membrane");
    let spec = EventSpec::rising(
        node,
        real["threshold_v"].as_f64().expect("threshold"),
        real["hysteresis_v"].as_f64().expect("hysteresis"),
    );
    crossings(plot.time().expect("time"), plot.real(node).expect("membrane"), &spec)
}

/// The FitzHugh-Nagumo spiker of docs/examples/tonic-spiking-100hz.toml in
/// IHP SG13G2 (sg13_hv_nmos/pmos, 3.3 V): characterised and run in VACASK,
/// written as a VACASK netlist, with the symmetric amplifiers (the
/// five-transistor ones leave a static error of 55.26 pA at the knee, and
/// run 11.2 % fast) and tape-out biasing: only the supply and one reference
/// current ideal, every bias a mirror (the spiker's membrane bias a PMOS
/// source) and every reference a tap of one string of IHP's rhigh
/// resistors. It spikes at the design's rate within 10 %, and the reported
/// spikes are those of the written netlist run alone.
#[test]
fn ihp_spiker_runs_in_vacask_at_the_designs_rate() {
    vacask();
    let pdk = ihp_installed();
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = tmp.path().join("ihp");
    let o = out.to_str().expect("UTF-8");
    let design = d.join("design.json");
    // Eight periods of the spiker (the default window is twice as long; the same rate).
    let args = [
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        "ihp-sg13g2",
        "--amplifier",
        "symmetric",
        "--bias",
        "mirrors",
        "--references",
        "ladder",
        "-o",
        o,
        "--tstop-model",
        "320",
    ];
    let r = atscale(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let rep: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).expect("report"))
        .expect("JSON");
    let ev = &rep["evidence"];
    assert!(ev["simulator"].as_str().is_some_and(|s| s.starts_with("vacask")), "{}", ev["simulator"]);
    assert!(rep["characterisation"]["simulator"].as_str().is_some_and(|s| s.starts_with("vacask")));
    // VACASK's netlist, on the installed PDK's library and hv devices; no ngspice or Xyce netlist.
    let netlist = std::fs::read_to_string(out.join("realised.sim")).expect("realised.sim");
    let include =
        format!("include \"{}\" section=tt", pdk.canonicalize().expect("pdk").join("atscale.lib").display());
    assert!(netlist.lines().any(|l| l == include), "{include}\n{netlist}");
    assert!(netlist.contains("'sg13_hv_nmos' w=") && netlist.contains("'sg13_hv_pmos' w="));
    assert!(!out.join("realised.cir").exists() && !out.join("realised.xyce.cir").exists());
    // Ideal: the supply and the reference current. The ladder: the PDK's
    // resistor (0.5 um wide, its body at ground); the membrane bias: a PMOS mirror.
    let devices = rep["realisation"]["devices"].as_array().expect("devices");
    let sources: Vec<_> = devices.iter().filter(|d| d["kind"] == "current source").collect();
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert!(!netlist.contains("atscale_r r="), "an ideal resistor:\n{netlist}");
    let ladder = netlist.lines().filter(|l| l.starts_with("'Rladder")).collect::<Vec<_>>();
    assert!(!ladder.is_empty() && ladder.iter().all(|l| l.contains(" 0) 'rhigh' w=5e-7 l=")), "{ladder:?}");
    let iext = devices.iter().find(|d| d["name"] == "MIext_b").expect("membrane bias mirror");
    assert_eq!(iext["kind"], "pmos", "{iext}");
    let rate = ev["nominal"]["rate_hz"].as_f64().expect("the spiker spikes");
    let design_rate = ev["design_rate_hz"].as_f64().expect("design rate");
    eprintln!("IHP SG13G2 in VACASK: {rate} Hz, design {design_rate} Hz");
    // Measured 103.8 Hz against 100 Hz (+3.8 %, the default window; 102.2 Hz
    // with ideal sources): the target is 10 %.
    assert!((rate / design_rate - 1.0).abs() < 0.10, "{rate} Hz against {design_rate} Hz");
    let reported: Vec<f64> = ev["nominal"]["events_s"]
        .as_array()
        .expect("events")
        .iter()
        .map(|t| t.as_f64().expect("s"))
        .collect();
    let separate = separate_vacask_events(&out.join("realised.sim"), &rep);
    assert_eq!(reported.len(), separate.len(), "report {reported:?}\nseparate {separate:?}");
    for (a, b) in reported.iter().zip(&separate) {
        // Measured: identical (the same netlist text in the same VACASK).
        assert!((a - b).abs() < 1e-15, "report {reported:?}\nseparate {separate:?}");
    }
}

/// `atscale clamp` writes ngspice decks of a realisation: an IHP realisation
/// (a VACASK library) is refused, naming why, instead of reaching ngspice
/// with a library it cannot read.
#[test]
fn clamping_an_ihp_realisation_is_refused_naming_why() {
    vacask();
    ihp_installed();
    let tmp = tempfile::tempdir().expect("temp dir");
    let d = tmp.path().join("design");
    stdout_ok(&["design", "docs/examples/tonic-spiking-100hz.toml", "-o", d.to_str().expect("UTF-8")]);
    let out = tmp.path().join("ihp");
    let design = d.join("design.json");
    let o = out.to_str().expect("UTF-8");
    stdout_ok(&["realise", design.to_str().expect("UTF-8"), "--tech", "ihp-sg13g2", "-o", o, "--no-sim"]);
    let r = atscale(&["clamp", o, "--engine", "ngspice", "--points", "3"]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("technology ihp-sg13g2 runs in VACASK") && err.contains("not supported yet"),
        "{err}"
    );
}

/// `--monte-carlo` on IHP: VACASK has no random functions, so atscale draws
/// IHP's own statistics (`atscale_explore::drawn`). Checked: the statistics
/// as read from the installed PDK's ngspice files (numbers copied from
/// sg13g2_moshv_stat.lib, sg13g2_moshv_mismatch.lib and cornerMOShv.lib by
/// hand); each draw's netlist, written beside the report, is the run
/// reported (a separate VACASK run gives its spikes to the bit); its
/// mismatch has IHP's Pelgrom spread over the circuit's devices; and with
/// every drawn value put back to its nominal the draw's netlist runs as the
/// tt netlist, spike for spike (within 1e-12 s): section mc and the
/// parameters atscale writes are IHP's tt models when nothing varies. The
/// same draws run as a sweep, sharded and merged, point 0 the realisation's
/// draw of the same seed.
#[test]
fn ihp_monte_carlo_draws_ihps_own_statistics_in_vacask() {
    use atscale_design::realise::Technology;
    use atscale_explore::drawn::Statistics;
    vacask();
    let pdk = ihp_installed();
    let tech = Technology::builtin("ihp-sg13g2").expect("built-in");
    let files = tech.monte_carlo_draws.as_ref().expect("ihp-sg13g2 draws its statistics");
    let stats =
        Statistics::load(files, &pdk, &["sg13_hv_nmos", "sg13_hv_pmos"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.process.len(), 41, "{:?}", stats.process);
    let process = |name: &str| stats.process.iter().find(|p| p.0 == name).map(|p| (p.2, p.3));
    // gauss(sg13g2_hv_nmos_mueo_norm, 0.0335, num_sigmas) with num_sigmas = 1, nominal 1.0780.
    assert_eq!(process("sg13g2_hv_nmos_vfbo"), Some((1.0, 0.004)));
    assert_eq!(process("sg13g2_hv_nmos_mueo"), Some((1.078, 1.078 * 0.0335)));
    assert_eq!(process("sg13g2_hv_pmos_dphiblw"), Some((-0.1693, 0.1693 * 1.0138)));
    let mm: Vec<_> =
        stats.devices.iter().map(|d| (d.prefix.as_str(), d.delvto, d.factuo, d.dw, d.dl)).collect();
    assert_eq!(
        mm,
        [("sg13g2_hv_nmos", 0.007, 0.005, 3e-9, 3e-9), ("sg13g2_hv_pmos", 0.0045, 0.004, 3e-9, 3e-9)]
    );

    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    let dj = design.to_str().expect("UTF-8");
    let out = tmp.path().join("mc");
    // The five-transistor amplifiers: a run takes a few seconds. Seed 2 spikes (138.9 Hz), seed 3 does not.
    let args = ["--tech", "ihp-sg13g2", "--amplifier", "five-transistor", "--tstop-model", "160"];
    let rep = realise(&design, &out, &[&args[..], &["--monte-carlo", "2", "--seed", "2"]].concat());
    let mc = &rep["evidence"]["monte_carlo"];
    assert_eq!(mc["section"], "mc");
    assert!(mc["drawn"].as_str().is_some_and(|s| s.starts_with("41 process parameters")), "{mc}");
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md");
    assert!(md.contains("Drawn by atscale (the simulator has no random functions)"), "{md}");
    let runs = mc["runs"].as_array().expect("runs");
    assert_eq!(runs.iter().map(|r| r["seed"].as_u64()).collect::<Vec<_>>(), [Some(2), Some(3)]);
    for run in runs {
        let seed = run["seed"].as_u64().expect("seed");
        let file = out.join(format!("monte-carlo-seed-{seed}.sim"));
        let text = std::fs::read_to_string(&file).expect("the draw's netlist");
        assert!(
            text.contains(&format!("// Monte Carlo draw of seed {seed} by atscale: 41 process parameters"))
        );
        assert_eq!(text.lines().filter(|l| l.starts_with("parameters sg13g2_hv_")).count(), 41);
        assert!(text.contains("atscale.lib\" section=mc"), "{text}");
        // The spikes reported are the written draw's.
        let reported: Vec<f64> = run["measured"]["events_s"]
            .as_array()
            .expect("events")
            .iter()
            .map(|t| t.as_f64().expect("s"))
            .collect();
        assert_eq!(reported, separate_vacask_events(&file, &rep), "seed {seed}");
        assert!(seed != 2 || reported.len() >= 4, "seed 2 spikes: {reported:?}");
        // IHP's Pelgrom law: delvto sqrt(W L / um^2) / A_VT is a standard normal over the devices.
        let z: Vec<f64> = text
            .lines()
            .filter(|l| l.contains("'sg13_hv_"))
            .map(|l| {
                let p = |k: &str| {
                    l.split_whitespace()
                        .find_map(|t| t.strip_prefix(k))
                        .and_then(|v| v.parse::<f64>().ok())
                        .unwrap_or_else(|| panic!("{k} in {l}"))
                };
                let a_vt = if l.contains("'sg13_hv_nmos'") { 0.007 } else { 0.0045 };
                p("mc_delvto=") * (p("w=") * p("l=") * 1e12).sqrt() / a_vt
            })
            .collect();
        let n = z.len() as f64;
        let sd = (z.iter().map(|x| x * x).sum::<f64>() / n).sqrt();
        // 144 devices: the sample sd within 25 % (4 standard errors) of 1.
        assert!(n > 100.0 && (sd - 1.0).abs() < 0.25, "{n} devices, sd {sd}");
    }
    // The same draws as a sweep: sharded and merged, the unsharded file byte
    // for byte; point 0 (seed 2) is the realisation's run of seed 2.
    let sweep = tmp.path().join("mc.toml");
    std::fs::write(
        &sweep,
        format!(
            "seed = 2\nmetrics = [\"spike_count\", \"first_spike_latency\"]\n\n[realise]\ndesign = \"{dj}\"\n\
             tech = \"ihp-sg13g2\"\namplifier = \"five-transistor\"\n\n[monte_carlo]\nsamples = 2\n\n\
             [simulation]\ntstop_units = 160\n"
        ),
    )
    .expect("sweep file");
    let whole = sharded_as_whole(tmp.path(), &sweep);
    assert!(whole.contains("# monte_carlo: samples=2 section=mc engine_seed=seed+point drawn_by=atscale\n"));
    let line = whole.lines().find(|l| l.starts_with("0,2,2,")).expect("point 0");
    // The rows record the simulator that ran them (in quotes: its version has commas).
    assert!(line.contains(",\"vacask "), "{line}");
    let row = line.split(',').collect::<Vec<_>>();
    let seed2: Vec<f64> = runs[0]["measured"]["events_s"]
        .as_array()
        .expect("events")
        .iter()
        .map(|t| t.as_f64().expect("s"))
        .collect();
    assert_eq!(row[3], format!("{:?}", seed2.len() as f64), "{whole}");
    assert_eq!(row[4], format!("{:?}", seed2[0]), "{whole}");
    // Every drawn value at its nominal: the tt run, spike for spike.
    let drawn = std::fs::read_to_string(out.join("monte-carlo-seed-2.sim")).expect("draw");
    let nominal: Vec<String> = drawn
        .lines()
        .map(|l| {
            if let Some(name) = l.strip_prefix("parameters ").and_then(|a| a.split_once('=')).map(|(n, _)| n)
            {
                let (nom, _) = process(name).unwrap_or_else(|| panic!("{name}"));
                return format!("parameters {name}={nom}");
            }
            let neutral = |t: &str| {
                let k = t.split_once('=').map_or(t, |(k, _)| k);
                match k {
                    "mc_factuo" => "mc_factuo=1".to_string(),
                    "mc_delvto" | "mc_dw" | "mc_dl" => format!("{k}=0"),
                    _ => t.to_string(),
                }
            };
            if l.contains("'sg13_hv_") {
                l.split(' ').map(neutral).collect::<Vec<_>>().join(" ")
            } else {
                l.to_string()
            }
        })
        .collect();
    let zero = tmp.path().join("nominal-draw.sim");
    std::fs::write(&zero, nominal.join("\n") + "\n").expect("write");
    let tt = separate_vacask_events(&out.join("realised.sim"), &rep);
    let back = separate_vacask_events(&zero, &rep);
    assert!(tt.len() >= 4 && back.len() == tt.len(), "tt {tt:?}\nnominal draw {back:?}");
    for (a, b) in back.iter().zip(&tt) {
        // Measured: within 8e-14 s, not to the bit (VACASK loads the models
        // of section mc in another order, which moves its sums' rounding:
        // the waveforms differ by 3.5e-10 at most); a draw moves them by ms.
        assert!((a - b).abs() < 1e-12, "tt {tt:?}\nnominal draw {back:?}");
    }
}

/// A technology whose statistics atscale does not draw as the PDK defines
/// them is refused before any run, naming the file and the line: here a
/// copy of ihp-sg13g2 whose law is a mismatch law of another form.
#[test]
fn ihp_statistics_atscale_cannot_draw_are_refused_before_any_run() {
    vacask();
    let pdk = ihp_installed();
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = spiker(tmp.path());
    // The law with sigma over sqrt(W L) without the multiplier, in a folder of its own.
    let law = std::fs::read_to_string(pdk.join("ngspice/sg13g2_moshv_mod_mismatch.lib")).expect("law");
    let other = tmp.path().join("law.lib");
    std::fs::write(&other, law.replacen("sqrt(m*l*w*1e12)", "sqrt(l*w*1e12)", 1)).expect("write");
    let line = 1 + law[..law.find("sqrt(m*l*w*1e12)").expect("IHP's law")].matches('\n').count();
    let tech = std::fs::read_to_string(root().join("docs/examples/tech/ihp-sg13g2.toml")).expect("tech");
    let rel = pathdiff(&other, &pdk);
    let tech = tech.replace("law = \"ngspice/sg13g2_moshv_mod_mismatch.lib\"", &format!("law = \"{rel}\""));
    let tf = tmp.path().join("ihp-other.toml");
    std::fs::write(&tf, tech).expect("write");
    let o = tmp.path().join("out");
    let r = atscale(&[
        "realise",
        design.to_str().expect("UTF-8"),
        "--tech",
        tf.to_str().expect("UTF-8"),
        "-o",
        o.to_str().expect("UTF-8"),
        "--monte-carlo",
        "2",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "law.lib:{line}: `+ delvto='agauss(0, sg13g2_hv_nmos_delvto_mm/sqrt(l*w*1e12)"
        )) && err.contains("is not the law atscale draws"),
        "{err}"
    );
    assert!(!o.join("report.json").exists() && !o.join("realised.sim").exists());
}

/// `to` relative to `from` (a folder), through `..` as needed.
fn pathdiff(to: &Path, from: &Path) -> String {
    let (to, from) = (to.canonicalize().expect("to"), from.canonicalize().expect("from"));
    let common = to.components().zip(from.components()).take_while(|(a, b)| a == b).count();
    let ups = from.components().count() - common;
    let rest: Vec<String> =
        to.components().skip(common).map(|c| c.as_os_str().to_string_lossy().into()).collect();
    std::iter::repeat_n("..".to_string(), ups).chain(rest).collect::<Vec<_>>().join("/")
}

/// IHP's burster takes the linearised followers (the technology's
/// default): VACASK has no `rshunt`, so every netlist it runs has a
/// resistor from every node to ground at the report's `run.rshunt_ohm`
/// instead, and its operating point converges. Checked: the written
/// netlist shunts every node exactly once at that resistance and has no
/// `rshunt` option; the knee probe (an operating point in VACASK) finds
/// the transistor circuit within picoamperes of the design (3.767 pA
/// measured) with every transistor saturated.
#[test]
fn ihp_burster_takes_linearised_followers_with_a_resistor_per_node() {
    vacask();
    ihp_installed();
    let tmp = tempfile::tempdir().expect("temp dir");
    let design = designed(tmp.path(), "bursting.toml");
    let out = tmp.path().join("b");
    // Two model units of run: the operating point and the knee probe are what is checked.
    let rep = realise(&design, &out, &["--tech", "ihp-sg13g2", "--tstop-model", "2"]);
    assert_eq!(rep["realisation"]["options"]["followers"], "linearised");
    let ohm = rep["realisation"]["run"]["rshunt_ohm"].as_f64().expect("a shunt");
    let netlist = std::fs::read_to_string(out.join("realised.sim")).expect("realised.sim");
    let options = netlist.lines().find(|l| l.trim_start().starts_with("options ")).expect("options");
    assert!(!options.contains("rshunt"), "{options}");
    let mut nodes = std::collections::BTreeSet::new();
    let mut shunted = Vec::new();
    for line in netlist.lines().filter(|l| l.starts_with('\'')) {
        let (head, _) = line.split_once(')').expect("nodes");
        let quoted: Vec<&str> = head.split('\'').skip(1).step_by(2).collect();
        if let Some(n) = quoted[0].strip_prefix("Rshunt_") {
            let r: f64 = line.rsplit_once("r=").expect("r=").1.parse().expect("ohm");
            assert!(line.contains(&format!("('{n}' 0)")) && (r / ohm - 1.0).abs() < 1e-12, "{line}");
            shunted.push(n.to_string());
        } else {
            nodes.extend(quoted[1..].iter().map(|n| (*n).to_string()));
        }
    }
    let once: std::collections::BTreeSet<String> = shunted.iter().cloned().collect();
    assert_eq!(once.len(), shunted.len(), "a node shunted twice");
    assert_eq!(once, nodes);
    assert!(nodes.len() > 500, "{}", nodes.len());
    let e = &rep["evidence"]["static_error"];
    let trim = e["trim_a"].as_f64().expect("the knee probe converged");
    assert!(trim.abs() < 20e-12, "{e}");
    assert_eq!(e["headroom"]["out_of_saturation"].as_array().map(Vec::len), Some(0), "{e}");
}
