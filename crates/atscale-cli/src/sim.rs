//! `atscale sim NETLIST`: run a netlist through one engine (native by default).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use atscale_spice::number::parse_number;
use atscale_verify::engines::{
    node_name, run_native, run_ngspice, run_spice21, run_vacask, EngineRun, NgspiceSettings, Overrides,
    Prepared, VacaskSettings,
};
use atscale_verify::events::EventSpec;
use atscale_verify::limits::Limits;
use atscale_verify::ngspice::NgspiceRunner;
use serde::Serialize;

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

/// Which engine `atscale sim` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Native,
    Ngspice,
    Spice21,
    Vacask,
}

/// The validated configuration of a run.
struct Config {
    netlist: PathBuf,
    engine: Engine,
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
        let engine = match self.engine.to_ascii_lowercase().as_str() {
            "native" => Engine::Native,
            "ngspice" => Engine::Ngspice,
            "spice21" => Engine::Spice21,
            "vacask" => Engine::Vacask,
            other => bail!("--engine `{other}`: expected native, ngspice, spice21 or vacask"),
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

/// The JSON printed by `--json`.
#[derive(Debug, Serialize)]
pub struct SimJson<'a> {
    /// `native`, `ngspice`, `spice21` or `vacask`.
    pub engine: &'a str,
    /// Engine version.
    pub version: Option<&'a str>,
    /// Event times in seconds, by signal.
    pub events: &'a BTreeMap<String, Vec<f64>>,
    /// Solver statistics (native engine; `null` for ngspice).
    pub stats: Option<atscale_sim::Stats>,
    /// Settings used (maximum step and where it came from, tolerances).
    pub settings: &'a atscale_verify::report::EngineSettings,
    /// Stop time, s.
    pub tstop_s: f64,
    /// Wall-clock time of the simulation, s.
    pub wall_s: f64,
    /// What the engine does not model as ngspice does (parameters, options).
    pub unmodelled: &'a [String],
    /// The netlist's `.meas tran` measurements on this run: name, value,
    /// unit, and the error when there is no value.
    pub measures: &'a [atscale_verify::report::MeasureResult],
}

/// Warns of each parameter or option the engine did not model as ngspice does.
pub fn warn_unmodelled(r: &atscale_verify::report::EngineReport) {
    for u in &r.unmodelled {
        crate::errln!("warning: {} engine: {u}; its result may differ from ngspice's", r.name);
    }
}

/// Runs `atscale sim`.
pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = args.config()?;
    let mut deck = atscale_spice::Deck::load(&cfg.netlist, &cfg.limits.deck())?;
    crate::run_args::screen_deck(
        &mut deck,
        cfg.engine == Engine::Ngspice,
        cfg.allow_control,
        cfg.skip_control,
    )?;
    // ngspice runs what ngspice reads, whatever atscale's parser knows: keep
    // the deck for it (only then) in case the parser refuses.
    let kept = (cfg.engine == Engine::Ngspice).then(|| deck.clone());
    let prepared = match (Prepared::from_deck(deck, &cfg.netlist, &cfg.limits), kept) {
        (Err(e), Some(deck)) if e.is_unreadable_circuit() => Prepared::ngspice_only(deck, &cfg.netlist, &e),
        (other, _) => other?,
    };
    for w in &prepared.warnings {
        crate::errln!("warning: {w}");
    }
    if cfg.engine != Engine::Ngspice {
        for r in prepared.deck.control_routes() {
            crate::errln!("warning: {r}: this engine does not run it");
        }
    }
    let tstop = match prepared.tstop_s(&cfg.overrides) {
        Ok(t) => Some(t),
        // A `.tran` atscale cannot read (in braces, in a `.control` block): ngspice's own.
        Err(_) if cfg.engine == Engine::Ngspice => None,
        Err(e) => return Err(e.into()),
    };
    let run: EngineRun = match cfg.engine {
        Engine::Native => run_native(&prepared, &cfg.overrides, &cfg.probes, &cfg.events, &cfg.limits)?,
        Engine::Ngspice => {
            let runner = NgspiceRunner::detect_within(cfg.limits.timeout)?;
            let settings = NgspiceSettings::new(&cfg.limits, cfg.allow_control, None);
            run_ngspice(&runner, &prepared, &cfg.overrides, &cfg.probes, &cfg.events, &settings)?
        }
        Engine::Spice21 => {
            run_spice21(&prepared, &cfg.overrides, &cfg.probes, &cfg.events, None, &cfg.limits)?
        }
        Engine::Vacask => {
            let runner = atscale_verify::vacask::VacaskRunner::detect_within(cfg.limits.timeout)?;
            let settings = VacaskSettings::new(&cfg.limits, None);
            run_vacask(&runner, &prepared, &cfg.overrides, &cfg.probes, &cfg.events, &settings)?
        }
    };
    warn_unmodelled(&run.report);
    let tstop = tstop.or(run.waveforms.time_s.last().copied()).unwrap_or(0.0);
    if let Some(out) = &cfg.output {
        write_atomically(out, csv_text(&run.waveforms).as_bytes(), cfg.force)?;
    }
    if cfg.json {
        let json = SimJson {
            engine: &run.report.name,
            version: run.report.version.as_deref(),
            events: &run.report.events,
            stats: run.native_stats,
            settings: &run.report.settings,
            tstop_s: tstop,
            wall_s: run.report.wall_time_s,
            unmodelled: &run.report.unmodelled,
            measures: &run.report.measures,
        };
        crate::outln!("{}", serde_json::to_string_pretty(&json)?)?;
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
