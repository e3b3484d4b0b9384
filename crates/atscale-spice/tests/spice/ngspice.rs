//! Running ngspice on netlists and reading its raw files.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The result of one ngspice run: variable names and point-major data.
pub struct Run {
    pub names: Vec<String>,
    pub points: Vec<Vec<f64>>,
}

impl Run {
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let k = self.names.iter().position(|n| n.eq_ignore_ascii_case(name))?;
        Some(self.points.iter().map(|p| p[k]).collect())
    }
}

fn scratch_dir() -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "atscale-spice-test-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `ngspice -b -r out.raw netlist` and checks it succeeded and reached
/// `tstop`. Panics with the command, directory, netlist and output otherwise.
pub fn run(netlist_text: &str, label: &str, tstop: f64) -> Run {
    let dir = scratch_dir();
    let cir = dir.join("net.cir");
    let raw = dir.join("out.raw");
    std::fs::write(&cir, netlist_text).unwrap();
    let mut cmd = Command::new("ngspice");
    cmd.arg("-b").arg("-r").arg(&raw).arg(&cir).current_dir(&dir);
    let shown = format!("ngspice -b -r {} {}", raw.display(), cir.display());
    let out = match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run ngspice for {label} ({e}): these tests need ngspice on PATH (`make test` installs it, \
             or `apt-get install ngspice`); command: {shown}"
        ),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = |why: &str| -> String {
        format!(
            "ngspice run of {label} failed: {why}\ncommand: {shown}\nworking directory: {}\n--- netlist ---\n{netlist_text}\n\
             --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            dir.display()
        )
    };
    assert!(out.status.success(), "{}", report(&format!("exit status {}", out.status)));
    for bad in ["Timestep too small", "aborted", "singular matrix", "Error", "error:"] {
        let hit = stdout.contains(bad) || stderr.contains(bad);
        assert!(!hit, "{}", report(&format!("the output mentions `{bad}`")));
    }
    let bytes = std::fs::read(&raw).unwrap_or_else(|e| panic!("{}", report(&format!("no raw file ({e})"))));
    let run =
        parse_raw(&bytes).unwrap_or_else(|e| panic!("{}", report(&format!("unreadable raw file: {e}"))));
    let time = run.column("time").unwrap_or_else(|| panic!("{}", report("no time vector")));
    let last = time.last().copied().unwrap_or(f64::NAN);
    assert!(
        last >= tstop * (1.0 - 1e-9),
        "{}",
        report(&format!("the last time point {last} is before tstop {tstop}"))
    );
    let _ = std::fs::remove_dir_all(&dir);
    run
}

/// A minimal reader of ngspice's binary raw files (first plot only).
pub fn parse_raw(bytes: &[u8]) -> Result<Run, String> {
    let marker = b"Binary:\n";
    let pos = bytes.windows(marker.len()).position(|w| w == marker).ok_or("no `Binary:` line")?;
    let header = std::str::from_utf8(&bytes[..pos]).map_err(|e| e.to_string())?;
    let data = &bytes[pos + marker.len()..];
    let mut nvars = 0usize;
    let mut names = Vec::new();
    let mut in_vars = false;
    for line in header.lines() {
        if let Some(v) = line.strip_prefix("No. Variables:") {
            nvars = v.trim().parse().map_err(|_| "bad variable count")?;
        } else if line.starts_with("Variables:") {
            in_vars = true;
        } else if in_vars {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 2 {
                names.push(f[1].to_string());
            }
        }
    }
    if nvars == 0 || names.len() != nvars {
        return Err(format!("{nvars} variables declared, {} named", names.len()));
    }
    let npoints = data.len() / (8 * nvars);
    let mut points = Vec::with_capacity(npoints);
    for p in 0..npoints {
        let row = (0..nvars)
            .map(|k| {
                let o = (p * nvars + k) * 8;
                f64::from_le_bytes(data[o..o + 8].try_into().unwrap())
            })
            .collect();
        points.push(row);
    }
    Ok(Run { names, points })
}

/// Rising crossings of `threshold` with re-arming below `threshold - hysteresis`,
/// located by linear interpolation.
pub fn crossings(t: &[f64], v: &[f64], threshold: f64, hysteresis: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut armed = v.first().is_some_and(|&x| x < threshold);
    for k in 0..t.len().saturating_sub(1) {
        if armed && v[k] < threshold && v[k + 1] >= threshold {
            let f = (threshold - v[k]) / (v[k + 1] - v[k]);
            out.push(t[k] + f * (t[k + 1] - t[k]));
            armed = false;
        }
        if !armed && v[k + 1] < threshold - hysteresis {
            armed = true;
        }
    }
    out
}

pub fn netlists_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../netlists")
}
