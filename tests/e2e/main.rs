//! End-to-end tests: the `atscale` binary as a user runs it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bjt;
mod clamp;
mod conditional;
mod corpus;
mod ddt;
mod design;
mod disagree;
mod docs;
mod hostile;
mod ihp;
mod landscape;
mod measure;
mod mos1;
mod mos23;
mod noise;
mod options;
mod parity;
mod pdk;
mod realise;
mod references;
mod reliability;
mod resistor;
mod scale;
mod security;
mod sim;
mod solver_stops;
mod summary;
mod sweep;
mod switch;
mod vacask;
mod vacask_ring;
mod verify;
mod waveforms;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root exists")
}

/// The VACASK binary the tests use: `ATSCALE_VACASK`, else the project's
/// (`make vacask` installs it into `.venv/`).
pub fn vacask_path() -> PathBuf {
    std::env::var_os("ATSCALE_VACASK").map_or_else(|| root().join(".venv/atscale/vacask"), PathBuf::from)
}

/// Runs `atscale` with arguments from the repository root, with
/// `ATSCALE_VACASK` set to [`vacask_path`] and compiled Verilog-A modules
/// cached under `target/`, not in the home folder.
pub fn atscale(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_atscale"))
        .args(args)
        .current_dir(root())
        .env("ATSCALE_VACASK", vacask_path())
        .env("XDG_CACHE_HOME", root().join("target/e2e-cache"))
        .env("ATSCALE_PDK_ROOT", root().join(".venv/atscale/pdk"))
        .output()
        .expect("the atscale binary runs");
    out
}

/// Standard output as text, with a helpful failure when the command failed.
pub fn stdout_ok(args: &[&str]) -> String {
    let out = atscale(args);
    assert!(
        out.status.success(),
        "atscale {args:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs `atscale sim NETLIST --engine ENGINE -o CSV` with a `--probe` per
/// probe and `extra` arguments; returns the CSV's rows (time first) and the
/// run's stderr. A failed run fails the test with the netlist and stderr.
pub fn sim_rows(netlist: &Path, engine: &str, probes: &[&str], extra: &[&str]) -> (Vec<Vec<f64>>, String) {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join(format!("{engine}.csv"));
    let mut args = vec!["sim", netlist.to_str().unwrap(), "--engine", engine, "-o", csv.to_str().unwrap()];
    for p in probes {
        args.extend(["--probe", p]);
    }
    args.extend(extra);
    let out = atscale(&args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "atscale {args:?} failed (is ngspice installed for the ngspice engine?)\nnetlist:\n{}\nstderr:\n{stderr}",
        std::fs::read_to_string(netlist).unwrap_or_default()
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let rows = text.lines().skip(1).map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    (rows, stderr)
}

/// `atscale sim` on a deck of `card` with a 1 kΩ load: it fails (exit
/// status 2) with `expected` after `m.cir:` (line:column and message).
pub fn card_is_refused(dir: &Path, card: &str, expected: &str) {
    let p = dir.join("m.cir");
    std::fs::write(&p, format!("t\n{card}\nR9 a 0 1k\n.tran 1u 1m\n.end\n")).unwrap();
    let out = atscale(&["sim", p.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{card}: {stderr}");
    assert!(stderr.contains(&format!("m.cir:{expected}")), "{card}: {stderr}");
}

/// Rising crossings (s) of `node` in a separate ngspice run of `netlist`,
/// with `threshold` and `hysteresis` in volts: `atscale sim --engine ngspice
/// --events ... --json`.
pub fn ngspice_events(netlist: &Path, node: &str, threshold: f64, hysteresis: f64) -> Vec<f64> {
    let events = format!("{node},{threshold:e},{hysteresis:e}");
    let out = stdout_ok(&[
        "sim",
        netlist.to_str().expect("UTF-8"),
        "--engine",
        "ngspice",
        "--events",
        &events,
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    json["events"][node].as_array().expect("events").iter().map(|t| t.as_f64().expect("time")).collect()
}
