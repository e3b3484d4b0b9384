//! The docs as written are the tool as built: every crate is named in
//! `docs/ARCHITECTURE.md` (which stays under two pages), the pure crates
//! depend on nothing that touches files or starts processes, every option
//! the guide or `--help` documents is exercised by an end-to-end test, and
//! `make demo`'s steps run and agree.

use std::collections::BTreeSet;
use std::process::Command;

use crate::{root, stdout_ok};

/// Crates that touch files, start processes or hold threads and signals.
const IMPURE: [&str; 12] = [
    "atscale-files",
    "atscale-spice",
    "atscale-verify",
    "atscale-explore",
    "atscale-render",
    "atscale-cli",
    "tempfile",
    "rustix",
    "ctrlc",
    "gag",
    "spice21",
    "rayon",
];

/// Calls that reach the outside world.
const CALLS: [&str; 7] =
    ["std::fs", "std::process", "Command::new", "std::env::", "File::", "Instant::now", "SystemTime"];

const PURE: [&str; 3] = ["atscale-circuit", "atscale-sim", "atscale-design"];

#[test]
fn every_crate_is_named_in_a_short_architecture() {
    let text = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let words = text.split_whitespace().count();
    assert!(words <= 1100, "docs/ARCHITECTURE.md has {words} words; two pages are about 1100");
    let mut crates: Vec<String> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    crates.sort();
    assert!(crates.len() >= 9, "{crates:?}");
    for c in &crates {
        assert!(text.contains(&format!("**`{c}`**")), "docs/ARCHITECTURE.md has no entry for {c}");
    }
}

#[test]
fn the_pure_crates_depend_on_nothing_that_touches_files_or_processes() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    for krate in PURE {
        let out = Command::new(&cargo)
            .args(["tree", "-p", krate, "-e", "normal", "--prefix", "none", "--offline"])
            .current_dir(root())
            .output()
            .expect("cargo tree runs");
        assert!(out.status.success(), "cargo tree -p {krate}: {}", String::from_utf8_lossy(&out.stderr));
        let tree = String::from_utf8_lossy(&out.stdout);
        let deps: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
        assert!(deps.contains(&krate), "{krate}: {tree}");
        for bad in IMPURE {
            assert!(!deps.contains(&bad), "{krate} depends on {bad}:\n{tree}");
        }
        // And no source file of the crate reaches out itself.
        let src = root().join("crates").join(krate).join("src");
        for file in rust_files(&src) {
            let code = std::fs::read_to_string(&file).expect("reads");
            for call in CALLS {
                let hit = code.lines().find(|l| !l.trim_start().starts_with("//") && l.contains(call));
                assert!(hit.is_none(), "{} uses {call}: {}", file.display(), hit.unwrap_or_default());
            }
        }
    }
}

/// Each third-party package's features as `cargo tree` resolves them for `args`.
fn resolved_features(args: &[&str]) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(&cargo)
        .args(["tree", "-e", "features", "-f", "{p}|{f}", "--prefix", "none", "--offline"])
        .args(args)
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let mut map: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((package, features)) = line.split_once('|') else { continue };
        let package = package.trim_end_matches(" (*)").trim();
        if package.starts_with("atscale") || package.contains(" feature ") {
            continue;
        }
        let set = map.entry(package.to_string()).or_default();
        set.extend(
            features.split(',').map(|f| f.trim_end_matches(" (*)").to_string()).filter(|f| !f.is_empty()),
        );
    }
    map
}

/// `maturin build` builds the Python package alone: its dependencies must
/// resolve to the features the workspace's test build gives them, else
/// the wheel compiles them and every crate above them again in `make test`
/// (crates/atscale-py/Cargo.toml names them).
#[test]
fn the_python_package_resolves_the_test_builds_features() {
    let workspace = resolved_features(&["--workspace"]);
    let python = resolved_features(&["-p", "atscale-py"]);
    assert!(python.len() > 50, "{python:?}");
    let differ: Vec<String> = python
        .iter()
        .filter(|(p, f)| workspace.get(*p).is_some_and(|w| w != *f))
        .map(|(p, f)| format!("{p}: workspace {:?}, atscale-py {f:?}", workspace[p]))
        .collect();
    assert!(differ.is_empty(), "name these features in crates/atscale-py/Cargo.toml:\n{}", differ.join("\n"));
}

fn rust_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("lists").filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

/// Options of other tools that the guide quotes, with the text every guide
/// line quoting them holds (so no atscale option can hide here).
const FOREIGN: [(&str, &str); 7] = [
    ("--bench", "cargo bench"),
    ("--release", "cargo run --release"),
    ("--example", "cargo run --release -p atscale-design --example"),
    ("--cpus-per-task", "slurm-sweep.sh"),
    ("--time", "slurm-sweep.sh"),
    ("--check-wrapper", "characterise-pdk.py"),
    ("--table", "block-iv.py"),
];

/// Every `--option` in a text: two dashes, a letter, then letters, digits
/// and dashes, not inside a word.
fn options_in(text: &str) -> BTreeSet<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    for i in 0..b.len().saturating_sub(2) {
        let starts = b[i] == b'-' && b[i + 1] == b'-' && b[i + 2].is_ascii_lowercase();
        let free = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'-');
        if starts && free {
            let end = (i + 2..b.len())
                .find(|&j| !(b[j].is_ascii_lowercase() || b[j].is_ascii_digit() || b[j] == b'-'))
                .unwrap_or(b.len());
            out.insert(text[i..end].trim_end_matches('-').to_owned());
        }
    }
    out
}

/// The subcommands a `--help` text lists (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The `--help` texts of atscale and of every (sub)command.
fn all_help() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(cmd) = todo.pop() {
        let mut args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        args.push("--help");
        let text = stdout_ok(&args);
        for sub in subcommands(&text) {
            let mut next = cmd.clone();
            next.push(sub);
            todo.push(next);
        }
        out.push((cmd.join(" "), text));
    }
    out
}

/// Every option the guide mentions and every option of `atscale <command>
/// --help` is passed by some end-to-end test (as `"--option"` or
/// `"--option=`); `tests/e2e/options.rs` holds those no other test needs.
#[test]
fn every_documented_option_is_exercised_by_an_end_to_end_test() {
    let guide = std::fs::read_to_string(root().join("docs/guide.md")).expect("guide");
    let mut documented: Vec<(String, String)> =
        options_in(&guide).into_iter().map(|o| (o, "docs/guide.md".to_owned())).collect();
    let helps = all_help();
    assert!(helps.len() >= 14, "atscale, 9 commands, scale's 3 and sweep's 2: {}", helps.len());
    for (cmd, text) in &helps {
        documented.extend(options_in(text).into_iter().map(|o| (o, format!("atscale {cmd} --help"))));
    }
    let mut tests = String::new();
    for file in rust_files(&root().join("tests/e2e")) {
        if file.file_name().is_some_and(|n| n != "docs.rs") {
            tests.push_str(&std::fs::read_to_string(&file).expect("reads"));
        }
    }
    let mut missing = BTreeSet::new();
    for (opt, place) in &documented {
        if let Some((_, context)) = FOREIGN.iter().find(|(o, _)| o == opt) {
            for line in guide.lines().filter(|l| options_in(l).contains(opt)) {
                assert!(
                    line.contains(context),
                    "{opt} is another tool's option only after {context}: {line}"
                );
            }
            continue;
        }
        if !tests.contains(&format!("\"{opt}\"")) && !tests.contains(&format!("\"{opt}=")) {
            missing.insert(format!("{opt} ({place})"));
        }
    }
    assert!(documented.len() > 60, "{documented:?}");
    assert!(missing.is_empty(), "documented options no end-to-end test passes: {missing:#?}");
}

/// `make demo`, as the Makefile writes it: its `$(ATSCALE)` steps run with
/// the binary under test, `out/demo` replaced by a temporary folder. Every
/// output the guide names is written, the verification agrees (native
/// against ngspice), and the f-I sweep gives the guide's figures (the
/// threshold currents are checked against their closed form in
/// `tests/e2e/sweep.rs`).
#[test]
fn make_demo_steps_run_and_the_verification_agrees() {
    let make = std::fs::read_to_string(root().join("Makefile")).expect("Makefile");
    let steps: Vec<&str> = make
        .lines()
        .skip_while(|l| !l.starts_with("demo:"))
        .skip(1)
        .take_while(|l| l.starts_with('\t'))
        .map(|l| {
            l.trim_start().strip_prefix("$(ATSCALE) ").unwrap_or_else(|| panic!("not an atscale step: {l}"))
        })
        .collect();
    assert_eq!(steps.len(), 3, "design, verify, sweep: {steps:?}");
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("demo");
    let out_s = out.to_str().expect("UTF-8");
    for step in &steps {
        let args: Vec<String> = step
            .split_whitespace()
            .map(|a| a.strip_prefix("out/demo").map_or_else(|| a.to_owned(), |rest| format!("{out_s}{rest}")))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        stdout_ok(&args);
    }
    for f in [
        "design.json",
        "design.cir",
        "design.xyce.cir",
        "landscape.png",
        "verify/report.json",
        "verify/report.md",
        "verify/overlay.png",
        "f-i.csv",
        "f-i/summary.md",
        "f-i/summary.json",
        "f-i/curve-firing_rate.png",
    ] {
        let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 100, "make demo writes {f}: {len} bytes");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("verify/report.json")).expect("report"))
            .expect("JSON");
    assert_eq!(report["verdict"]["agree"], true, "{report:#}");
    let md = std::fs::read_to_string(out.join("verify/report.md")).expect("report.md");
    assert!(md.contains(": **AGREE**"), "{md}");
    fi_figures_are_the_guides(&out.join("f-i.csv"));
}

/// The guide's f-I figures (`docs/examples/sweep-fi.toml`): excitable up to
/// 0.55x, silent up to 0.6x, tonic from 0.65x at 76 Hz, 100 Hz at the
/// nominal bias (the design target), 108 Hz at most. Deterministic: pinned
/// to the digits the guide prints.
fn fi_figures_are_the_guides(csv: &std::path::Path) {
    let text = std::fs::read_to_string(csv).expect("f-i.csv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| h.starts_with(name)).expect(name);
    let (f, rate, act, land) = (col("Iext"), col("firing_rate"), col("activity"), col("landscape_class"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 41);
    let factor = |r: &Vec<&str>| r[f].parse::<f64>().expect("factor");
    for r in &rows {
        let x = factor(r);
        assert_eq!(r[land] == "excitable", x < 0.575, "landscape at {x}x: {}", r[land]);
        assert_eq!(r[act], if x < 0.625 { "silent" } else { "tonic" }, "activity at {x}x");
    }
    let rate_at = |x: f64| {
        let r = rows.iter().find(|r| (factor(r) - x).abs() < 1e-9).expect("point");
        r[rate].parse::<f64>().expect("rate")
    };
    assert_eq!(rate_at(0.65).round(), 76.0, "onset rate {}", rate_at(0.65));
    // The design's 100 Hz, at the sweep's default tolerances: measured
    // 100.00029 Hz (2.9e-6 off); 1e-5 is 3.5x.
    assert!((rate_at(1.0) / 100.0 - 1.0).abs() < 1e-5, "nominal {}", rate_at(1.0));
    let top = rows.iter().filter_map(|r| r[rate].parse::<f64>().ok()).fold(0.0, f64::max);
    assert_eq!(top.round(), 108.0, "highest rate {top}");
}
