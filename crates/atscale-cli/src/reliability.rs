//! `atscale reliability SPEC.toml -o DIR`: the reliability experiment of
//! theory section 9 (a frozen fluctuating current against a constant one),
//! written as `report.json`, `report.md`, `raster.png` and the ngspice
//! netlists of trial 0 of each case. Exit 0 when the frozen-noise case is
//! reliable and the constant one is not, 1 otherwise, 2 on error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use atscale_circuit::Circuit;
use atscale_design::reliability::{
    run as run_experiment, trial_circuit, Case, CaseResult, Reliability, ReliabilitySpec,
};
use atscale_spice::{write_flat_netlist, Analysis, Header, Ngspice};
use atscale_verify::plot::{raster_psth_png, RasterPanel};

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
    let md = markdown(&r, &args.spec);
    let png = raster(&r)?;
    let bytes: [&[u8]; 5] =
        [json.as_bytes(), md.as_bytes(), png.as_slice(), netlists[0].as_bytes(), netlists[1].as_bytes()];
    let files: Vec<(std::path::PathBuf, &[u8])> =
        FILES.iter().map(|f| args.output.join(f)).zip(bytes).collect();
    write_all(&files, args.force)?;
    if args.json {
        crate::outln!("{json}")?;
    } else {
        crate::out!("{}", summary(&r, &args.output))?;
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

fn precision_text(c: &CaseResult, unit: &str) -> String {
    c.stats
        .precision
        .map_or_else(|| "none (no events)".to_string(), |p| format!("{p:.4} {unit}").trim_end().to_string())
}

fn case_title(c: &CaseResult) -> &'static str {
    match c.case {
        Case::FrozenNoise => "frozen noise",
        Case::Constant => "constant current",
    }
}

fn raster(r: &Reliability) -> Result<Vec<u8>> {
    let windows: Vec<Vec<(f64, f64)>> = [&r.frozen, &r.constant]
        .iter()
        .map(|c| c.stats.events.iter().map(|e| (e.start, e.end)).collect())
        .collect();
    let titles: Vec<String> = [&r.frozen, &r.constant]
        .iter()
        .map(|c| {
            format!(
                "{}: reliability {:.3}, precision {}",
                case_title(c),
                c.stats.reliability,
                precision_text(c, &r.time_unit)
            )
        })
        .collect();
    let panels: Vec<RasterPanel<'_>> = [&r.frozen, &r.constant]
        .iter()
        .zip(titles.iter().zip(&windows))
        .map(|(c, (title, events))| RasterPanel {
            title,
            trains: &c.spike_times,
            psth_start: c.stats.psth.start,
            bin_width: c.stats.psth.bin_width,
            psth_rate: &c.stats.psth.rate,
            events,
        })
        .collect();
    Ok(raster_psth_png(&panels, r.spec.duration, r.spec.settle_time, &r.time_unit)?)
}

fn markdown(r: &Reliability, spec_path: &Path) -> String {
    let s = &r.spec;
    let u = &r.time_unit;
    let mut m = String::new();
    let _ = writeln!(m, "# Reliability experiment\n");
    let _ = writeln!(
        m,
        "From `{}`: template `{}`, seed {}, {} trials per case. Times in {u}, currents in model current \
         units.\n",
        spec_path.display(),
        s.template,
        s.seed,
        s.trials
    );
    let _ = writeln!(
        m,
        "**Verdict: {}.** Criterion: {}.\n",
        if r.passed { "the frozen-noise case is reliable and the constant case is not" } else { "FAILED" },
        r.criterion
    );
    let _ = writeln!(m, "| | frozen noise | constant current |");
    let _ = writeln!(m, "|---|---|---|");
    let (f, c) = (&r.frozen, &r.constant);
    let row = |m: &mut String, name: &str, a: String, b: String| {
        let _ = writeln!(m, "| {name} | {a} | {b} |");
    };
    row(
        &mut m,
        "reliability (fraction of spikes in events)",
        fmt3(f.stats.reliability),
        fmt3(c.stats.reliability),
    );
    row(&mut m, &format!("precision ({u})"), precision_text(f, ""), precision_text(c, ""));
    row(&mut m, "events", f.stats.events.len().to_string(), c.stats.events.len().to_string());
    row(&mut m, "spikes analysed (all trials)", f.stats.spikes.to_string(), c.stats.spikes.to_string());
    row(
        &mut m,
        "spikes in events",
        f.stats.spikes_in_events.to_string(),
        c.stats.spikes_in_events.to_string(),
    );
    row(
        &mut m,
        &format!("mean rate (spikes per trial per {})", u.trim_end_matches('s')),
        format!("{:.5}", f.stats.mean_rate),
        format!("{:.5}", c.stats.mean_rate),
    );
    let _ = writeln!(m, "\n## Parameters\n");
    for (k, v) in [
        ("mean_current (model current units)", s.mean_current.to_string()),
        ("noise_std, frozen noise (model current units)", s.noise_std.to_string()),
        (&format!("correlation_time ({u})") as &str, s.correlation_time.to_string()),
        (&format!("PWL grid step ({u})"), s.grid_step().to_string()),
        ("trial_noise_std, private noise (model current units)", s.trial_noise_std.to_string()),
        ("random_initial_states", s.random_initial_states.to_string()),
        (&format!("duration ({u})"), s.duration.to_string()),
        (&format!("settle_time ({u})"), s.settle_time.to_string()),
        (&format!("bin_width ({u})"), s.bin_width.to_string()),
        (
            "event_fraction (least fraction of trials firing in an event bin)",
            format!("{} (at least {} spikes per bin)", s.event_fraction, f.stats.event_min_count),
        ),
        (
            "spike threshold / hysteresis (model voltage units)",
            format!("{} / {}", s.spike_threshold, s.spike_hysteresis),
        ),
        ("seed", s.seed.to_string()),
    ] {
        let _ = writeln!(m, "- {k}: {v}");
    }
    let _ = writeln!(
        m,
        "\n## Definitions\n\n\
         The PSTH counts the spikes of all trials in bins of `bin_width` over the window from `settle_time` \
         to `duration`, divided by trials × bin width. An event is a run of consecutive bins each holding at \
         least max(2, ceil(event_fraction × trials)) spikes. Reliability is the fraction of the analysed \
         spikes that fall in events (Mainen & Sejnowski 1995); precision is the mean over events of the \
         (population) standard deviation of the spike times in the event.\n\n\
         Files: `raster.png` (rasters and PSTHs, events shaded, spikes before `settle_time` in grey), \
         `report.json` (everything, with spike times), `frozen_trial0.cir` and `constant_trial0.cir` (trial 0 \
         of each case for ngspice)."
    );
    m
}

fn fmt3(x: f64) -> String {
    format!("{x:.3}")
}

fn summary(r: &Reliability, dir: &Path) -> String {
    let mut s = String::new();
    let u = &r.time_unit;
    let _ = writeln!(
        s,
        "reliability experiment: {} trials per case, seed {}, template {}",
        r.spec.trials, r.spec.seed, r.spec.template
    );
    for c in [&r.frozen, &r.constant] {
        let _ = writeln!(
            s,
            "{:17} reliability {:.3}, precision {}, {} events, {} spikes ({} in events), mean rate {:.5} \
             spikes per trial per {}",
            format!("{}:", case_title(c)),
            c.stats.reliability,
            precision_text(c, u),
            c.stats.events.len(),
            c.stats.spikes,
            c.stats.spikes_in_events,
            c.stats.mean_rate,
            u.trim_end_matches('s')
        );
    }
    let _ = writeln!(s, "{}: {}", if r.passed { "PASS" } else { "FAIL" }, r.criterion);
    let _ = writeln!(s, "wrote {}/{{{}}}", dir.display(), FILES.join(", "));
    s
}
