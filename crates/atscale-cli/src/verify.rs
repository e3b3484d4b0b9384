//! `atscale verify NETLIST`: the same netlist through several engines, events
//! compared one by one. Exit status 0 when the engines agree, 1 when they
//! disagree, 2 on an error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use atscale_render::markdown::verify as md_verify;
use atscale_spice::number::parse_number;
use atscale_verify::compare::{CompareOptions, Tolerances};
use atscale_verify::events::EventSpec;
use atscale_verify::simulate::ReadOptions;
use atscale_verify::verify::{verify, EngineKind, VerifyOptions};

use crate::run_args::{positive_seconds, RunArgs};
use crate::sim::parse_events;

/// Arguments of `atscale verify`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ngspice netlist to verify.
    netlist: PathBuf,
    /// Compare rising crossings of NODE through THRESHOLD volts (re-armed
    /// below THRESHOLD - HYSTERESIS); repeatable, at least one.
    #[arg(long = "events", value_name = "NODE,THRESHOLD[,HYSTERESIS]", required = true)]
    events: Vec<String>,
    /// Engines, comma separated; the first is the reference.
    #[arg(long, default_value = "native,ngspice", value_name = "LIST")]
    engines: String,
    /// Largest allowed |dt| relative to the median inter-event interval.
    #[arg(long, default_value = "1e-3", value_name = "REL")]
    tol: String,
    /// Largest allowed |dt| in seconds (replaces --tol).
    #[arg(long, value_name = "SECONDS")]
    tol_abs: Option<String>,
    /// Accept different event counts (default: counts must be equal).
    #[arg(long)]
    allow_count_mismatch: bool,
    /// Coincidence window of the Gamma factor, s (default 1% of the median interval).
    #[arg(long, value_name = "SECONDS")]
    window: Option<String>,
    /// Rerun each engine with its step or tolerance halved and report how far its events moved.
    #[arg(long)]
    converged: bool,
    /// Write report.json, report.md and overlay.png into this directory.
    #[arg(long, value_name = "DIR")]
    report: Option<PathBuf>,
    /// Overwrite existing report files.
    #[arg(long)]
    force: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Also record these nodes for the overlay plot; repeatable.
    #[arg(long = "probe", value_name = "NODE")]
    probes: Vec<String>,
    #[command(flatten)]
    run: RunArgs,
}

/// The files `--report DIR` writes.
const REPORT_FILES: [&str; 3] = ["report.json", "report.md", "overlay.png"];

struct Config {
    netlist: PathBuf,
    options: VerifyOptions,
    report_dir: Option<PathBuf>,
    force: bool,
    json: bool,
    skip_control: bool,
}

impl Args {
    fn config(self) -> Result<Config> {
        let mut engines = Vec::new();
        for name in self.engines.split(',') {
            let Some(kind) = EngineKind::parse(name) else {
                bail!(
                    "--engines: unknown engine `{}`; engines: native, ngspice, spice21, vacask",
                    name.trim()
                );
            };
            if engines.contains(&kind) {
                bail!("--engines: `{}` is listed twice", kind.name());
            }
            engines.push(kind);
        }
        if engines.len() < 2 && !self.converged {
            bail!("--engines: give at least two engines to compare (or one with --converged)");
        }
        let events: Vec<EventSpec> = parse_events(&self.events)?;
        let tol = parse_number(&self.tol).map_err(|e| anyhow::anyhow!("--tol `{}`: {e}", self.tol))?;
        if !(tol.is_finite() && tol > 0.0) {
            bail!("--tol `{}`: must be positive", self.tol);
        }
        let tolerances = Tolerances {
            require_equal_counts: !self.allow_count_mismatch,
            max_abs_dt_rel: tol,
            max_abs_dt_s: positive_seconds("--tol-abs", &self.tol_abs)?,
        };
        let compare = CompareOptions {
            coincidence_window_s: positive_seconds("--window", &self.window)?,
            ..CompareOptions::default()
        };
        Ok(Config {
            options: VerifyOptions {
                engines,
                events,
                probes: self.probes,
                overrides: self.run.overrides()?,
                tolerances,
                compare,
                converged: self.converged,
                limits: self.run.limits()?,
                allow_control: self.run.allow_control,
            },
            netlist: self.netlist,
            report_dir: self.report,
            force: self.force,
            json: self.json,
            skip_control: self.run.skip_control,
        })
    }
}

/// Runs `atscale verify`.
pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = args.config()?;
    if let Some(dir) = &cfg.report_dir {
        for f in REPORT_FILES {
            atscale_files::check_target(&dir.join(f), cfg.force)?;
        }
    }
    let options = ReadOptions {
        ngspice: cfg.options.engines.contains(&EngineKind::Ngspice),
        allow_control: cfg.options.allow_control,
        skip_control: cfg.skip_control,
        ngspice_alone: false,
        limits: cfg.options.limits,
    };
    let read = match atscale_verify::simulate::read(&cfg.netlist, &options) {
        Err(e) if e.is_unreadable_circuit() => anyhow::bail!(
            "{e}\nthe native engine cannot run this netlist, so there is nothing to compare it with; `atscale \
             sim --engine ngspice` runs it in ngspice alone"
        ),
        other => other?,
    };
    for w in &read.warnings {
        crate::errln!("warning: {w}");
    }
    let prepared = read.prepared;
    let v = verify(&prepared, &cfg.options)?;
    for e in &v.report.engines {
        crate::sim::warn_unmodelled(e);
    }
    let json = serde_json::to_string_pretty(&v.json())?;
    let mut md = md_verify::report(&v.report);
    md.push_str(&md_verify::convergence(&v.convergence));
    if let Some(dir) = &cfg.report_dir {
        // All three files or none.
        let png =
            atscale_render::plots::verify::overlay(&v.report, &v.runs, atscale_render::Format::Png)?.bytes;
        let mut set = atscale_files::OutputSet::new(cfg.force);
        for (f, bytes) in REPORT_FILES.iter().zip([json.as_bytes(), md.as_bytes(), &png]) {
            set.add(&dir.join(f), bytes)?;
        }
        set.commit()?;
    }
    if cfg.json {
        crate::outln!("{json}")?;
    } else {
        crate::out!("{md}")?;
        if let Some(dir) = &cfg.report_dir {
            crate::outln!("\nReport written to {}", dir.display())?;
        }
    }
    Ok(if v.report.verdict.agree { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
