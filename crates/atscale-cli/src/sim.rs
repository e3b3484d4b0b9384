//! `atscale sim NETLIST`: run a netlist through the native engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use atscale_sim::{Direction, Simulation, Tolerances};
use atscale_spice::number::parse_number;
use serde::Serialize;

use crate::output::write_atomically;

/// Arguments of `atscale sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ngspice netlist to simulate.
    netlist: PathBuf,
    /// Stop time, s (overrides the netlist's `.tran`; SPICE suffixes allowed, e.g. `10m`).
    #[arg(long, value_name = "SECONDS")]
    tstop: Option<String>,
    /// Largest time step, s (overrides the netlist's `.tran` tmax and `.options maxstep`).
    #[arg(long, value_name = "SECONDS")]
    max_step: Option<String>,
    /// Relative tolerance (overrides `.options reltol`).
    #[arg(long, value_name = "R")]
    reltol: Option<String>,
    /// Record this node's voltage (repeatable); `v(n)` and `i(Vsrc)` are accepted.
    #[arg(long = "probe", value_name = "NODE")]
    probes: Vec<String>,
    /// Report rising crossings of NODE through THRESHOLD volts, re-armed only
    /// after the signal falls below THRESHOLD - HYSTERESIS (default 0 V). Repeatable.
    #[arg(long = "events", value_name = "NODE,THRESHOLD[,HYSTERESIS]")]
    events: Vec<String>,
    /// Write the probed waveforms to this CSV file.
    #[arg(short = 'o', long = "output", value_name = "FILE.csv")]
    output: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// One event request, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRequest {
    /// Node (or signal) name.
    pub signal: String,
    /// Threshold, V.
    pub threshold: f64,
    /// Hysteresis, V.
    pub hysteresis: f64,
}

/// Parses `NODE,THRESHOLD[,HYSTERESIS]` with SPICE suffixes.
pub fn parse_event(text: &str) -> Result<EventRequest> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let (signal, threshold, hysteresis) = match parts.as_slice() {
        [s, t] => (*s, *t, "0"),
        [s, t, h] => (*s, *t, *h),
        _ => bail!("--events `{text}`: expected NODE,THRESHOLD[,HYSTERESIS]"),
    };
    if signal.is_empty() {
        bail!("--events `{text}`: the node name is empty");
    }
    let threshold = parse_number(threshold)
        .map_err(|e| anyhow::anyhow!("--events `{text}`: threshold `{threshold}`: {e}"))?;
    let hysteresis = parse_number(hysteresis)
        .map_err(|e| anyhow::anyhow!("--events `{text}`: hysteresis `{hysteresis}`: {e}"))?;
    if !threshold.is_finite() || !hysteresis.is_finite() || hysteresis < 0.0 {
        bail!("--events `{text}`: threshold must be finite and hysteresis finite and non-negative");
    }
    Ok(EventRequest { signal: strip_v(signal).to_string(), threshold, hysteresis })
}

/// `v(n)` → `n`; anything else unchanged.
fn strip_v(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("v(") && lower.ends_with(')') && !name[2..name.len() - 1].contains(',') {
        &name[2..name.len() - 1]
    } else {
        name
    }
}

fn positive_seconds(flag: &str, text: &Option<String>) -> Result<Option<f64>> {
    match text {
        None => Ok(None),
        Some(t) => {
            let x = parse_number(t).map_err(|e| anyhow::anyhow!("{flag} `{t}`: {e}"))?;
            if !(x.is_finite() && x > 0.0) {
                bail!("{flag} `{t}`: must be a positive time in seconds");
            }
            Ok(Some(x))
        }
    }
}

/// The validated configuration of a run.
pub struct Config {
    netlist: PathBuf,
    tstop: Option<f64>,
    max_step: Option<f64>,
    reltol: Option<f64>,
    probes: Vec<String>,
    events: Vec<EventRequest>,
    output: Option<PathBuf>,
    force: bool,
    json: bool,
}

impl Args {
    fn config(self) -> Result<Config> {
        let reltol = match &self.reltol {
            None => None,
            Some(t) => {
                let x = parse_number(t).map_err(|e| anyhow::anyhow!("--reltol `{t}`: {e}"))?;
                if !(x.is_finite() && x > 0.0 && x < 1.0) {
                    bail!("--reltol `{t}`: must lie strictly between 0 and 1");
                }
                Some(x)
            }
        };
        let events = self.events.iter().map(|e| parse_event(e)).collect::<Result<Vec<_>>>()?;
        if let Some(out) = &self.output {
            if out.exists() && !self.force {
                bail!("{} exists; pass --force to overwrite it", out.display());
            }
        }
        Ok(Config {
            tstop: positive_seconds("--tstop", &self.tstop)?,
            max_step: positive_seconds("--max-step", &self.max_step)?,
            reltol,
            probes: self.probes.iter().map(|p| strip_v(p).to_string()).collect(),
            events,
            output: self.output,
            force: self.force,
            json: self.json,
            netlist: self.netlist,
        })
    }
}

/// The JSON printed by `--json`.
#[derive(Debug, Serialize)]
pub struct SimJson {
    /// Always `native` here.
    pub engine: &'static str,
    /// Event times in seconds, by signal.
    pub events: BTreeMap<String, Vec<f64>>,
    /// Solver statistics.
    pub stats: atscale_sim::Stats,
    /// Settings used.
    pub settings: Settings,
    /// Wall-clock time of the simulation, s.
    pub wall_s: f64,
}

/// The settings a run used, with where each came from.
#[derive(Debug, Serialize)]
pub struct Settings {
    /// Stop time, s.
    pub tstop_s: f64,
    /// Largest step, s, if any.
    pub max_step_s: Option<f64>,
    /// Relative tolerance.
    pub reltol: f64,
    /// Whether the operating point was skipped (`uic`).
    pub uic: bool,
}

/// Runs `atscale sim`.
pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = args.config()?;
    let netlist = atscale_spice::parse_file(&cfg.netlist)?;
    for w in &netlist.warnings {
        eprintln!("warning: {w}");
    }
    for b in &netlist.control_blocks {
        eprintln!(
            "warning: {}:{}: a .control block is present; the native engine does not run it",
            cfg.netlist.display(),
            b.line
        );
    }
    let checked = netlist.circuit.check().with_context(|| format!("in {}", cfg.netlist.display()))?;
    for w in &checked.warnings {
        eprintln!("warning: {w}");
    }
    let tran = netlist.analysis.tran;
    let opts = &netlist.analysis.options;
    let tstop = match (cfg.tstop, tran) {
        (Some(t), _) => t,
        (None, Some(tr)) => tr.tstop_s,
        (None, None) => bail!("{} has no .tran line; give the stop time with --tstop", cfg.netlist.display()),
    };
    let max_step = cfg.max_step.or(tran.and_then(|t| t.tmax_s)).or(opts.maxstep_s);
    let defaults = Tolerances::default();
    let tol = Tolerances {
        reltol: cfg.reltol.or(opts.reltol).unwrap_or(defaults.reltol),
        abstol: opts.abstol.unwrap_or(defaults.abstol),
        vntol: opts.vntol.unwrap_or(defaults.vntol),
        chgtol: opts.chgtol.unwrap_or(defaults.chgtol),
        ..defaults
    };
    let uic = tran.is_some_and(|t| t.uic);
    let mut sim = Simulation::new(&checked.circuit)?.tstop(tstop).tolerances(tol).uic(uic);
    if let Some(tr) = tran {
        sim = sim.tstep(tr.tstep_s);
    }
    if let Some(h) = max_step {
        sim = sim.max_step(h);
    }
    for (node, v) in &netlist.analysis.ic {
        sim = sim.ic(node, *v);
    }
    let mut probes = cfg.probes.clone();
    for e in &cfg.events {
        if !probes.iter().any(|p| p.eq_ignore_ascii_case(&e.signal)) {
            probes.push(e.signal.clone());
        }
        sim = sim.event(&e.signal, e.threshold, e.hysteresis, Direction::Rising);
    }
    for p in &probes {
        sim = sim.probe(p);
    }
    let started = Instant::now();
    let result = sim.run().with_context(|| format!("simulating {}", cfg.netlist.display()))?;
    let wall_s = started.elapsed().as_secs_f64();

    if let Some(out) = &cfg.output {
        let csv = csv_text(&result);
        write_atomically(out, csv.as_bytes(), cfg.force)?;
    }
    let events: BTreeMap<String, Vec<f64>> =
        cfg.events.iter().map(|e| (e.signal.clone(), result.event_times(&e.signal))).collect();
    if cfg.json {
        let json = SimJson {
            engine: "native",
            events,
            stats: result.stats,
            settings: Settings { tstop_s: tstop, max_step_s: max_step, reltol: tol.reltol, uic },
            wall_s,
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        print!("{}", human(&cfg.netlist, &result, &events, tstop, wall_s));
    }
    Ok(ExitCode::SUCCESS)
}

fn unit_of(signal: &str) -> &'static str {
    let l = signal.to_ascii_lowercase();
    if l.starts_with("i(") {
        "A"
    } else if l.starts_with("x(") {
        "state"
    } else {
        "V"
    }
}

fn csv_text(r: &atscale_sim::SimResult) -> String {
    use std::fmt::Write;
    let mut s = String::from("time (s)");
    for t in &r.traces {
        let _ = write!(s, ",{} ({})", t.name, unit_of(&t.name));
    }
    s.push('\n');
    for (k, t) in r.time.iter().enumerate() {
        let _ = write!(s, "{t:e}");
        for tr in &r.traces {
            let _ = write!(s, ",{:e}", tr.values[k]);
        }
        s.push('\n');
    }
    s
}

fn human(
    path: &Path,
    r: &atscale_sim::SimResult,
    events: &BTreeMap<String, Vec<f64>>,
    tstop: f64,
    wall_s: f64,
) -> String {
    use atscale_circuit::units::si;
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: simulated to {} in {} (native engine)",
        path.display(),
        si(tstop, "s"),
        si(wall_s, "s")
    );
    let st = &r.stats;
    let _ = writeln!(
        s,
        "steps: {} accepted, {} rejected; {} Newton iterations, {} factorizations",
        st.accepted, st.rejected, st.newton_iterations, st.factorizations
    );
    for (sig, times) in events {
        let shown: Vec<String> = times.iter().take(10).map(|t| si(*t, "s")).collect();
        let more =
            if times.len() > 10 { format!(", ... ({} more)", times.len() - 10) } else { String::new() };
        let _ = writeln!(s, "events on {sig}: {} [{}{}]", times.len(), shown.join(", "), more);
    }
    s
}
