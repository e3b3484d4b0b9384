//! `atscale sim NETLIST`: run a netlist through one engine (native by default).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use atscale_spice::number::parse_number;
use atscale_verify::engines::{node_name, EngineRun, Overrides};
use atscale_verify::events::EventSpec;
use atscale_verify::limits::Limits;
use atscale_verify::simulate::{simulate, ReadOptions, SimJson, SimRequest, Simulated};
use atscale_verify::verify::EngineKind;

use crate::output::write_atomically;
use crate::run_args::RunArgs;

/// Arguments of `atscale sim`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ngspice netlist to simulate.
    netlist: PathBuf,
    #[command(flatten)]
    run: RunArgs,
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
    /// Engine: native (default), ngspice, spice21 or vacask.
    #[arg(long, default_value = "native", value_name = "ENGINE")]
    engine: String,
}

/// Parses `NODE,THRESHOLD[,HYSTERESIS]` with SPICE suffixes.
pub fn parse_event(text: &str) -> Result<EventSpec> {
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
    Ok(EventSpec::rising(node_name(signal), threshold, hysteresis))
}

/// Parses every `--events` argument; the same spec twice is an error (a
/// second spec on one node with another threshold is fine: their events are
/// reported apart).
pub fn parse_events(texts: &[String]) -> Result<Vec<EventSpec>> {
    let mut specs: Vec<EventSpec> = Vec::new();
    for t in texts {
        let e = parse_event(t)?;
        if specs.iter().any(|o| {
            o.signal.eq_ignore_ascii_case(&e.signal)
                && o.threshold == e.threshold
                && o.direction == e.direction
        }) {
            bail!("--events `{t}`: the same node and threshold are given twice");
        }
        specs.push(e);
    }
    Ok(specs)
}

/// The validated configuration of a run.
struct Config {
    netlist: PathBuf,
    engine: EngineKind,
    overrides: Overrides,
    probes: Vec<String>,
    events: Vec<EventSpec>,
    output: Option<PathBuf>,
    force: bool,
    json: bool,
    allow_control: bool,
    skip_control: bool,
    limits: Limits,
}

impl Args {
    fn config(self) -> Result<Config> {
        let Some(engine) = EngineKind::parse(&self.engine) else {
            bail!("--engine `{}`: expected native, ngspice, spice21 or vacask", self.engine.trim());
        };
        let events = parse_events(&self.events)?;
        if let Some(out) = &self.output {
            atscale_files::check_target(out, self.force)?;
        }
        Ok(Config {
            engine,
            overrides: self.run.overrides()?,
            probes: self.probes.iter().map(|p| node_name(p).to_string()).collect(),
            events,
            output: self.output,
            force: self.force,
            json: self.json,
            allow_control: self.run.allow_control,
            skip_control: self.run.skip_control,
            limits: self.run.limits()?,
            netlist: self.netlist,
        })
    }
}

/// Warns of each parameter or option the engine did not model as ngspice does.
pub fn warn_unmodelled(r: &atscale_verify::report::EngineReport) {
    for w in r.unmodelled_warnings() {
        crate::errln!("warning: {w}");
    }
}

/// Runs `atscale sim`.
pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = args.config()?;
    let ngspice = cfg.engine == EngineKind::Ngspice;
    let read = atscale_verify::simulate::read(
        &cfg.netlist,
        &ReadOptions {
            ngspice,
            allow_control: cfg.allow_control,
            skip_control: cfg.skip_control,
            ngspice_alone: true,
            limits: cfg.limits,
        },
    )?;
    for w in &read.warnings {
        crate::errln!("warning: {w}");
    }
    let request = SimRequest {
        engine: cfg.engine,
        overrides: cfg.overrides,
        probes: cfg.probes,
        events: cfg.events,
        allow_control: cfg.allow_control,
        limits: cfg.limits,
    };
    let Simulated { run, tstop_s: tstop } = simulate(&read.prepared, &request)?;
    warn_unmodelled(&run.report);
    if let Some(out) = &cfg.output {
        write_atomically(out, csv_text(&run.waveforms).as_bytes(), cfg.force)?;
    }
    if cfg.json {
        crate::outln!("{}", serde_json::to_string_pretty(&SimJson::new(&run, tstop))?)?;
    } else {
        crate::out!("{}", human(&cfg.netlist, &run, tstop))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn csv_text(w: &atscale_verify::engines::Waveforms) -> String {
    use std::fmt::Write;
    let mut s = String::from("time (s)");
    for (name, _) in &w.signals {
        let field = format!("{name} ({})", atscale_verify::events::signal_unit(name));
        if field.contains([',', '"', '\n', '\r']) {
            let _ = write!(s, ",\"{}\"", field.replace('"', "\"\""));
        } else {
            let _ = write!(s, ",{field}");
        }
    }
    s.push('\n');
    for (k, t) in w.time_s.iter().enumerate() {
        let _ = write!(s, "{t:e}");
        for (_, values) in &w.signals {
            let _ = write!(s, ",{:e}", values.get(k).copied().unwrap_or(f64::NAN));
        }
        s.push('\n');
    }
    s
}

fn human(path: &Path, run: &EngineRun, tstop: f64) -> String {
    use atscale_circuit::units::si;
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: simulated to {} in {} ({} engine{})",
        path.display(),
        si(tstop, "s"),
        si(run.report.wall_time_s, "s"),
        run.report.name,
        run.report.version.as_ref().map(|v| format!(", {v}")).unwrap_or_default()
    );
    if let Some(m) = &run.report.settings.max_step {
        let _ = writeln!(s, "maximum step {} ({})", si(m.value_s, "s"), describe_max_step(&m.source));
    }
    if let Some(st) = &run.native_stats {
        let _ = writeln!(
            s,
            "steps: {} accepted, {} rejected; {} Newton iterations, {} factorizations",
            st.accepted, st.rejected, st.newton_iterations, st.factorizations
        );
    }
    for (sig, times) in &run.report.events {
        let shown: Vec<String> = times.iter().take(10).map(|t| si(*t, "s")).collect();
        let more =
            if times.len() > 10 { format!(", ... ({} more)", times.len() - 10) } else { String::new() };
        let _ = writeln!(s, "events on {sig}: {} [{}{}]", times.len(), shown.join(", "), more);
    }
    measures(&mut s, &run.report.measures);
    s
}

/// `name = value unit` per measurement, or why it failed.
fn measures(s: &mut String, results: &[atscale_verify::report::MeasureResult]) {
    use atscale_circuit::units::si;
    use std::fmt::Write;
    if !results.is_empty() {
        let _ = writeln!(s, "measurements:");
    }
    for m in results {
        let _ = match (m.value, &m.error) {
            (Some(v), _) => writeln!(s, "  {} = {}", m.name, si(v, &m.unit)),
            (None, e) => writeln!(s, "  {}: failed: {}", m.name, e.as_deref().unwrap_or("no value")),
        };
        if let Some(n) = &m.note {
            let _ = writeln!(s, "    note: {n}");
        }
    }
}

/// Where a maximum step came from, as a phrase.
pub fn describe_max_step(source: &atscale_verify::ngspice::MaxStepSource) -> String {
    use atscale_circuit::units::si;
    use atscale_verify::ngspice::MaxStepSource as S;
    match source {
        S::Explicit { replaced_netlist_value_s: Some(v) } => {
            format!("given on the command line, replacing the netlist's {}", si(*v, "s"))
        }
        S::Explicit { replaced_netlist_value_s: None } => "given on the command line".into(),
        S::FromNetlist => "from the netlist".into(),
        S::DerivedFromAccuracy { event_accuracy_s, factor } => {
            format!("{factor} x the requested event accuracy of {}", si(*event_accuracy_s, "s"))
        }
        S::NgspiceDefault => "ngspice's default min(tstep, span/50)".into(),
    }
}
