//! `atscale reliability SPEC.toml -o DIR`: the reliability experiment of
//! theory section 9 (a frozen fluctuating current against a constant one),
//! written as `report.json`, `report.md`, `raster.png` and the ngspice
//! netlists of trial 0 of each case. Exit 0 when the frozen-noise case is
//! reliable and the constant one is not, 1 otherwise, 2 on error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use atscale_circuit::Circuit;
use atscale_design::reliability::{run as run_experiment, trial_circuit, Case, Reliability, ReliabilitySpec};
use atscale_render::markdown::reliability as report;
use atscale_render::Format;
use atscale_spice::{write_flat_netlist, Analysis, Header, Ngspice};

use crate::output::write_all;
use crate::run_args::{timeout, LimitArgs};
use atscale_sim::Bounds;

/// Arguments of `atscale reliability`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The experiment (TOML; every key optional, see the guide).
    spec: PathBuf,
    /// Output directory.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
    /// Print the JSON report on standard output instead of the summary.
    #[arg(long)]
    json: bool,
    /// Stop the whole experiment (all trials) after this many seconds.
    #[arg(long, default_value = "3600", value_name = "SECONDS")]
    timeout: String,
    #[command(flatten)]
    limits: LimitArgs,
}

const FILES: [&str; 5] =
    ["report.json", "report.md", "raster.png", "frozen_trial0.cir", "constant_trial0.cir"];

/// The largest time step of the exported netlists, model time units: a
/// four-thousandth of the FitzHugh-Nagumo period (about 39.5), which keeps
/// ngspice's spike times within about 1e-3 of the period of the native ones.
const NETLIST_MAX_STEP: f64 = 0.01;

/// Runs `atscale reliability`.
pub fn run(args: Args) -> Result<ExitCode> {
    for f in FILES {
        atscale_files::check_target(&args.output.join(f), args.force)?;
    }
    let text = crate::input::read_text(&args.spec, "the reliability spec")?;
    let spec = ReliabilitySpec::from_toml_str(&text, &args.spec.display().to_string())?;
    let limits = args.limits.limits(timeout("--timeout", &args.timeout)?)?;
    let deadline = std::time::Instant::now().checked_add(limits.timeout);
    let bounds = Bounds { limits: limits.sim(), stop: Some(atscale_verify::interrupt::stop_check(deadline)) };
    let r = run_experiment(&spec, &bounds)?;
    let netlists =
        [netlist(&spec, Case::FrozenNoise, &args.spec)?, netlist(&spec, Case::Constant, &args.spec)?];
    let json = serde_json::to_string_pretty(&report_json(&r)?)?;
    let md = report::markdown(&r, &args.spec.display().to_string());
    let png = report::raster(&r, Format::Png)?.bytes;
    let bytes: [&[u8]; 5] =
        [json.as_bytes(), md.as_bytes(), png.as_slice(), netlists[0].as_bytes(), netlists[1].as_bytes()];
    let files: Vec<(std::path::PathBuf, &[u8])> =
        FILES.iter().map(|f| args.output.join(f)).zip(bytes).collect();
    write_all(&files, args.force)?;
    if args.json {
        crate::outln!("{json}")?;
    } else {
        crate::out!("{}", report::summary(&r, &args.output.display().to_string(), &FILES))?;
    }
    Ok(if r.passed { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// Trial 0 of `case` as an ngspice netlist: the PWL drive, the trial's
/// initial state (`uic`), the whole duration.
fn netlist(spec: &ReliabilitySpec, case: Case, spec_path: &Path) -> Result<String> {
    let flat = trial_circuit(spec, case, 0)?;
    let analysis = Analysis::tran_uic(spec.duration / 1000.0, spec.duration, NETLIST_MAX_STEP);
    let header = Header {
        lines: vec![
            format!(
                "Reliability experiment from {}: {} case, trial 0 of {}, seed {}",
                spec_path.display(),
                case.short(),
                spec.trials,
                spec.seed
            ),
            "Model units: time in model time units, current in model current units (C = 1).".into(),
            format!(
                "Drive Iext: mean {} + {}private noise (std {}), OU correlation time {}, PWL step {}",
                spec.mean_current,
                match case {
                    Case::FrozenNoise => format!("frozen noise (std {}) + ", spec.noise_std),
                    Case::Constant => String::new(),
                },
                spec.trial_noise_std,
                spec.correlation_time,
                spec.grid_step()
            ),
            format!(
                "Spikes: v(v) rising through {}, hysteresis {}",
                spec.spike_threshold, spec.spike_hysteresis
            ),
        ],
        ..Header::default()
    };
    Ok(write_flat_netlist(&Circuit::from(flat), &analysis, &Ngspice, &header)?)
}

fn report_json(r: &Reliability) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(r)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "units".into(),
            serde_json::json!({
                "time": r.time_unit,
                "current": "model current units",
                "rate": "spikes per trial per model time unit",
                "reliability": "fraction of analysed spikes that fall in events (1)",
                "precision": format!("mean standard deviation of spike times within events ({})", r.time_unit),
            }),
        );
    }
    Ok(v)
}
