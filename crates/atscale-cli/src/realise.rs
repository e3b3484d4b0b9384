//! `atscale realise DESIGN.json --tech TECH -o DIR`: a designed neuron
//! realised in transistors, its netlists, sizing report and, unless
//! `--no-sim`, the evidence from ngspice: rate (or bursts) against the
//! behavioural design, the time-scale calibration factor, an optional bias
//! sweep with its fitted log-log slope, and a comparison plot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_design::realise::{BiasSource, Options, Realisation, Technology};
use atscale_design::spec::Design;
use atscale_explore::realise::{realise_with_evidence, Evidence, Outcome, Request};
use atscale_render::plots::design::{comparison, Comparison};
use atscale_render::Format;
use serde::Serialize;

use crate::output::write_all;

/// Arguments of `atscale realise`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The design (`design.json` written by `atscale design`).
    design: PathBuf,
    /// Technology: a built-in (`generic-bsim4`, `generic-level1`) or a TOML file.
    #[arg(long, value_name = "NAME|FILE")]
    tech: String,
    /// Output directory.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// Multiply every bias current by this factor (the circuit runs that much faster).
    #[arg(long, default_value_t = 1.0)]
    bias_scale: f64,
    /// Bias currents from ideal sources (`ideal`) or from current mirrors of
    /// one reference current (`mirrors`; below threshold only). With mirrors
    /// the bias scale and `--sweep` scale the reference current alone.
    #[arg(long, value_enum, default_value_t = BiasArg::Ideal)]
    bias: BiasArg,
    /// Also realise and simulate at these bias scales (comma-separated) and fit rate ∝ scale^slope.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    sweep: Vec<f64>,
    /// Stop time of the ngspice run in model units (default: the realisation's window).
    #[arg(long, value_name = "MODEL_UNITS")]
    tstop_model: Option<f64>,
    /// Maximum step of the ngspice runs in model units (default: the realisation's).
    #[arg(long, value_name = "MODEL_UNITS")]
    max_step_model: Option<f64>,
    /// Do not trim the membrane bias (by default, with ngspice, the
    /// transistor circuit's static current error at the design's knee is
    /// measured at its DC operating point and cancelled by a trim source;
    /// a design without a knee, e.g. the spiker, is not trimmed).
    #[arg(long)]
    no_trim: bool,
    /// Write the netlists and the sizing report only; run no simulation (and no trim).
    #[arg(long)]
    no_sim: bool,
    /// Wall-clock limit of each ngspice run, s.
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    timeout: String,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
}

/// `--bias`: where the bias currents come from.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum BiasArg {
    /// One ideal current source per bias.
    Ideal,
    /// Current mirrors of one reference current.
    Mirrors,
}

const FILES: [&str; 5] = ["realised.cir", "realised.xyce.cir", "report.json", "report.md", "comparison.png"];

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    design: String,
    realisation: &'a Realisation,
    evidence: Option<Evidence>,
}

fn tech_from(arg: &str) -> Result<(Technology, Option<PathBuf>)> {
    if Technology::builtin_text(arg).is_some() {
        return Ok((Technology::builtin(arg)?, None));
    }
    let path = PathBuf::from(arg);
    let text = crate::input::read_text(&path, "the technology file").with_context(|| {
        format!(
            "cannot read technology {arg} (not a built-in: {})",
            atscale_design::realise::tech::BUILTIN_NAMES.join(", ")
        )
    })?;
    let dir = path.parent().map(Path::to_path_buf);
    Ok((Technology::from_toml_str(&text, &path.display().to_string())?, dir))
}

/// Runs `atscale realise`.
pub fn run(args: Args) -> Result<ExitCode> {
    if !(args.bias_scale > 0.0 && args.bias_scale.is_finite()) {
        bail!("--bias-scale must be positive, got {}", args.bias_scale);
    }
    if let Some(x) = args.sweep.iter().find(|x| !(**x > 0.0 && x.is_finite())) {
        bail!("--sweep values must be positive bias scales, got {x}");
    }
    if let Some(x) = args.max_step_model.filter(|x| !(*x > 0.0 && x.is_finite())) {
        bail!("--max-step-model must be a positive number of model units, got {x}");
    }
    let timeout = crate::run_args::timeout("--timeout", &args.timeout)?;
    for f in FILES.iter().chain(["comparison.png"].iter()) {
        atscale_files::check_target(&args.output.join(f), args.force)?;
    }
    let text = crate::input::read_text(&args.design, "the design")?;
    let design: Design = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a design.json written by `atscale design`", args.design.display())
    })?;
    let (tech, tech_dir) = tech_from(&args.tech)?;
    let bias = match args.bias {
        BiasArg::Ideal => BiasSource::Ideal,
        BiasArg::Mirrors => BiasSource::Mirrors,
    };
    let opts = Options { bias_scale: args.bias_scale, bias, ..Options::default() };
    let req = Request {
        design: &design,
        design_path: &args.design,
        tech: &tech,
        tech_dir: tech_dir.as_deref(),
        options: opts,
        no_sim: args.no_sim,
        no_trim: args.no_trim,
        sweep: &args.sweep,
        max_step_model: args.max_step_model,
        tstop_model: args.tstop_model,
        timeout,
    };
    let Outcome { realisation: r, ngspice: text_ng, xyce: text_xy, evidence, trace } =
        realise_with_evidence(&req)?;
    let png = match &trace {
        None => None,
        Some(tr) => Some(
            comparison(
                &Comparison {
                    technology: &r.technology,
                    transistor: &tr.transistor,
                    behavioural: &tr.behavioural,
                    calibration: tr.calibration,
                    sweep: &tr.sweep_points,
                },
                Format::Png,
            )?
            .bytes,
        ),
    };
    let report =
        Report { schema_version: 1, design: args.design.display().to_string(), realisation: &r, evidence };
    let json = serde_json::to_string_pretty(&report)?;
    let md = atscale_render::markdown::realise::markdown(report.realisation, report.evidence.as_ref());
    let mut files: Vec<(PathBuf, &[u8])> = FILES
        .iter()
        .map(|f| args.output.join(f))
        .zip([text_ng.as_bytes(), text_xy.as_bytes(), json.as_bytes(), md.as_bytes()])
        .collect();
    if let Some(png) = &png {
        files.push((args.output.join("comparison.png"), png));
    }
    write_all(&files, args.force)?;
    crate::out!("{md}")?;
    Ok(ExitCode::SUCCESS)
}
