//! The architecture as written is the architecture as built: every crate is
//! named in `docs/ARCHITECTURE.md` (which stays under two pages), and the
//! pure crates depend on nothing that touches files or starts processes.

use std::process::Command;

use crate::root;

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
