//! `atscale realise DESIGN.json --tech TECH -o DIR`: a designed neuron
//! realised in transistors, its netlists, sizing report and, unless
//! `--no-sim`, the evidence from ngspice: rate (or bursts) against the
//! behavioural design, the time-scale calibration factor, an optional bias
//! sweep with its fitted log-log slope, and a comparison plot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_design::realise::mapping::{
    design_knee, is_mirror, measure_model, mirror_probe, resize_mirror, trim_probe,
};
use atscale_design::realise::{predict, realise, BiasSource, Options, Prediction, Realisation, Technology};
use atscale_design::spec::Design;
use atscale_design::spikes::{burst_count, bursts, intra_burst_interval, spike_period};
use atscale_spice::{
    write_netlist_with, Analysis, Header, Library, Ngspice, Options as SpiceOptions, Setup, Tran, Xyce,
};
use atscale_spice::{Deck, DeckLimits};
use atscale_verify::events::{crossings, EventSpec};
use atscale_verify::ngspice::{NgspiceRun, NgspiceRunner, RunOptions};
use plotters::prelude::*;
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

/// What one ngspice run of a realisation showed.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// Bias scale of the run.
    pub bias_scale: f64,
    /// Spike times on the membrane, s.
    pub events_s: Vec<f64>,
    /// Firing rate, Hz (steady mean after two spikes).
    pub rate_hz: Option<f64>,
    /// Spikes per burst (settled), if it bursts.
    pub spikes_per_burst: Option<u32>,
    /// Burst period, s.
    pub burst_period_s: Option<f64>,
    /// Mean interval between spikes inside a burst, s.
    pub intra_burst_interval_s: Option<f64>,
    /// ngspice wall time, s.
    pub wall_s: f64,
}

/// The evidence section of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// ngspice version.
    pub ngspice: String,
    /// The nominal run.
    pub nominal: Measured,
    /// The behavioural design's rate (native solver), Hz.
    pub design_rate_hz: Option<f64>,
    /// The behavioural design's spikes per burst and burst period, s.
    pub design_bursts: Option<(u32, f64)>,
    /// What the ideal model of the realisation predicts.
    pub ideal: Prediction,
    /// The membrane trim, if any: the design's knee (model V), the
    /// transistor circuit's and the design's steady-state current drawn from
    /// the membrane there, A, and the trim source's current, A.
    pub trim: Option<Trim>,
    /// The behavioural design's mean intra-burst interval, s (native solver).
    pub design_intra_burst_interval_s: Option<f64>,
    /// Time-scale calibration factor, one number fitted on one quantity:
    /// the transistor period over the behavioural one for a spiker (1/rate);
    /// for a burster the transistor's mean intra-burst interval over the
    /// design's (the fast time scale), after which the burst period is
    /// compared.
    pub calibration_factor: Option<f64>,
    /// Burster: the transistor burst period divided by the calibration
    /// factor, relative to the design's (`calibrated / design - 1`).
    pub calibrated_period_deviation: Option<f64>,
    /// Burster: spikes per burst relative to the design's (`transistor / design - 1`).
    pub spikes_per_burst_deviation: Option<f64>,
    /// Of which the block nonlinearities (ideal model over behavioural design) explain this much.
    pub calibration_ideal_model: Option<f64>,
    /// Relative deviation of the transistor circuit from the ideal model's prediction (no fit).
    pub deviation_from_ideal: Option<f64>,
    /// Mirror-biased: the largest relative deviation of a mirror's current
    /// (measured on the mirror bank in ngspice after sizing) from its bias.
    pub mirror_error: Option<f64>,
    /// The sweep, if any: each run.
    pub sweep: Vec<Measured>,
    /// Fitted slope of log(rate) against log(bias scale), with the theory's 1.
    pub sweep_slope: Option<f64>,
    /// Largest relative deviation of a sweep point from `rate(1) x scale` (the calibrated prediction).
    pub sweep_max_deviation: Option<f64>,
}

/// The membrane trim (see [`Evidence::trim`]).
#[derive(Debug, Clone, Serialize)]
pub struct Trim {
    /// The design's knee, model V (where its steady-state I-V curve is flattest).
    pub knee_model_v: f64,
    /// Current the transistor circuit draws from the membrane there, A.
    pub transistor_a: f64,
    /// Current the design draws there, A.
    pub design_a: f64,
    /// The trim source's current into the membrane, A (transistor minus design).
    pub trim_a: f64,
    /// ngspice wall time of the measurement, s.
    pub wall_s: f64,
}

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

fn setup(r: &Realisation, tech_dir: Option<&Path>) -> Result<Setup> {
    let mut libraries = Vec::new();
    if let Some((path, section)) = &r.library {
        // A relative path is relative to the technology file; written absolute so the deck runs anywhere.
        let p = match tech_dir {
            Some(d) if Path::new(path).is_relative() => d.join(path),
            _ => PathBuf::from(path),
        };
        let p =
            std::fs::canonicalize(&p).with_context(|| format!("model library {} not found", p.display()))?;
        libraries.push(Library { path: p.display().to_string(), section: section.clone() });
    }
    Ok(Setup { libraries, temp_c: Some(r.temperature_c) })
}

fn analysis(r: &Realisation, tstop_s: f64) -> Analysis {
    let rs = &r.run;
    Analysis {
        tran: Some(Tran { tstep_s: rs.tmax_s, tstop_s, tstart_s: 0.0, tmax_s: Some(rs.tmax_s), uic: false }),
        options: SpiceOptions {
            reltol: Some(rs.reltol),
            abstol: Some(rs.abstol_a),
            chgtol: Some(rs.chgtol_c),
            gmin: Some(rs.gmin_s),
            ..SpiceOptions::default()
        },
        ic: rs.ic.clone(),
    }
}

fn header(r: &Realisation, design: &Path) -> Header {
    let s = &r.scales;
    Header {
        lines: vec![
            format!(
                "Realised by atscale from {} in technology {} at {} C",
                design.display(),
                r.technology,
                r.temperature_c
            ),
            format!(
                "Model volt s = {} (design asked {}), omega = {}, C0 = {}, unit current {}, model 0 V at {}",
                si(s.s_volt, "V"),
                si(s.design_s_volt, "V"),
                si(s.omega_s, "s"),
                si(s.c0_farad, "F"),
                si(s.current_a, "A"),
                si(s.v_ref_v, "V")
            ),
            format!(
                "Spike event: v({}) rising through {}, hysteresis {}",
                r.membrane,
                si(r.threshold_v, "V"),
                si(r.hysteresis_v, "V")
            ),
        ],
        ..Header::default()
    }
}

/// The netlist text of a realisation (ngspice) with its stop time.
pub fn netlist(r: &Realisation, tech_dir: Option<&Path>, design: &Path, tstop_s: f64) -> Result<String> {
    let c = r.netlist_circuit();
    Ok(write_netlist_with(&c, &analysis(r, tstop_s), &setup(r, tech_dir)?, &Ngspice, &header(r, design))?)
}

/// Runs a deck atscale wrote (its libraries are absolute paths; anything
/// relative resolves against the current folder).
fn run_text(runner: &NgspiceRunner, text: &str, name: &str, opts: &RunOptions) -> Result<NgspiceRun> {
    let here = std::env::current_dir().context("cannot read the current folder")?;
    let deck = Deck::from_text(text, name, Some(&here), &DeckLimits::default())?;
    Ok(runner.run(&deck, Path::new(name), opts)?)
}

fn simulate(
    runner: &NgspiceRunner,
    r: &Realisation,
    text: &str,
    tstop_s: f64,
    timeout: Duration,
) -> Result<(Measured, Vec<f64>, Vec<f64>)> {
    let opts = RunOptions {
        tstop_s: Some(tstop_s),
        timeout,
        accept_recovered_singular: true,
        ..RunOptions::default()
    };
    let run = run_text(runner, text, "realised.cir", &opts)?;
    let plot = run.plot().context("ngspice wrote no transient plot")?;
    let t = plot.time()?.to_vec();
    let v = plot.real(&format!("v({})", r.membrane))?.to_vec();
    let spec = EventSpec::rising(format!("v({})", r.membrane), r.threshold_v, r.hysteresis_v);
    let ev = crossings(&t, &v, &spec);
    let ibi = intra_burst_interval(&ev);
    let (spb, bp, rate) = match bursts(&ev) {
        Some((counts, p)) => (burst_count(&counts), Some(p), None),
        None => (None, None, spike_period(&ev).map(|p| 1.0 / p)),
    };
    Ok((
        Measured {
            bias_scale: r.options.bias_scale,
            events_s: ev,
            rate_hz: rate,
            spikes_per_burst: spb,
            burst_period_s: bp,
            intra_burst_interval_s: if spb.is_some() { ibi } else { None },
            wall_s: run.wall_time_s,
        },
        t,
        v,
    ))
}

/// Measures the transistor circuit's steady-state current at the design's
/// knee (ngspice DC operating point, then a few steps) and returns the trim.
fn measure_trim(
    runner: &NgspiceRunner,
    r: &Realisation,
    design: &Design,
    tech_dir: Option<&Path>,
    design_path: &Path,
    timeout: Duration,
) -> Result<Option<Trim>> {
    let Some((knee, i_design)) = design_knee(design)? else {
        return Ok(None);
    };
    let probe = Realisation { circuit: trim_probe(r, knee), ..r.clone() };
    let tstop_s = 10.0 * r.run.tmax_s;
    let mut an = analysis(&probe, tstop_s);
    // No initial conditions: the followers start at their DC equilibrium.
    an.ic.clear();
    let c = r.to_circuit(&probe.circuit);
    let text = write_netlist_with(&c, &an, &setup(r, tech_dir)?, &Ngspice, &header(r, design_path))?;
    let opts = RunOptions {
        tstop_s: Some(tstop_s),
        timeout,
        accept_recovered_singular: true,
        ..RunOptions::default()
    };
    let run = run_text(runner, &text, "trim.cir", &opts)?;
    let plot = run.plot().context("ngspice wrote no plot for the trim measurement")?;
    let i = plot.real("i(vtrim)")?;
    let first = *i.first().context("the trim measurement has no points")?;
    let transistor_a = -first;
    let design_a = i_design * r.scales.current_a;
    Ok(Some(Trim {
        knee_model_v: knee,
        transistor_a,
        design_a,
        trim_a: transistor_a - design_a,
        wall_s: run.wall_time_s,
    }))
}

/// Sizes the bias mirrors of a mirror-biased realisation on ngspice: the
/// mirror bank ([`mirror_probe`]) is solved at its DC operating point and
/// every mirror's width multiplied by its reported current over the
/// measured one (damped), [`MIRROR_PASSES`] times (the `W/L` rule misses the narrow-width and
/// short-channel threshold shifts of the model). Returns the widths, m, and
/// the largest remaining relative current error of the last measurement.
const MIRROR_PASSES: usize = 6;

/// The bias mirrors' widths, m, by device name.
type Widths = Vec<(String, f64)>;

fn size_mirrors(
    runner: &NgspiceRunner,
    r: &mut Realisation,
    tech: &Technology,
    tech_dir: Option<&Path>,
    design_path: &Path,
    timeout: Duration,
) -> Result<Option<(Widths, f64)>> {
    let mut worst = f64::NAN;
    for pass in 0..=MIRROR_PASSES {
        let Some((bank, probes)) = mirror_probe(r) else { return Ok(None) };
        let probe = Realisation { circuit: bank, ..r.clone() };
        let tstop_s = 10.0 * r.run.tmax_s;
        let mut an = analysis(&probe, tstop_s);
        an.ic.clear();
        let c = r.to_circuit(&probe.circuit);
        let text = write_netlist_with(&c, &an, &setup(r, tech_dir)?, &Ngspice, &header(r, design_path))?;
        let opts = RunOptions {
            tstop_s: Some(tstop_s),
            timeout,
            accept_recovered_singular: true,
            ..RunOptions::default()
        };
        let run = run_text(runner, &text, "mirrors.cir", &opts)?;
        let plot = run.plot().context("ngspice wrote no plot for the mirror bank")?;
        worst = 0.0;
        for (dev, src) in &probes {
            let i = plot.real(&format!("i({})", src.to_ascii_lowercase()))?;
            let measured = i.first().context("the mirror bank has no points")?.abs();
            let d = r.devices.iter().find(|d| &d.name == dev).context("mirror device")?;
            let (target, w) = (d.current_a.unwrap_or(0.0), d.w_m.unwrap_or(0.0));
            worst = f64::max(worst, (measured / target - 1.0).abs());
            if pass < MIRROR_PASSES {
                // Damped: the current grows faster than the width (a narrow device's threshold is higher).
                resize_mirror(r, tech, dev, w * (target / measured).powf(0.7))?;
            }
        }
    }
    let widths =
        r.devices.iter().filter(|d| is_mirror(d)).filter_map(|d| Some((d.name.clone(), d.w_m?))).collect();
    Ok(Some((widths, worst)))
}

fn apply_widths(r: &mut Realisation, tech: &Technology, widths: &[(String, f64)]) -> Result<()> {
    for (dev, w) in widths {
        resize_mirror(r, tech, dev, *w)?;
    }
    Ok(())
}

/// Least-squares slope of `ln y` against `ln x`.
pub fn loglog_slope(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> =
        points.iter().filter(|(x, y)| *x > 0.0 && *y > 0.0).map(|(x, y)| (x.ln(), y.ln())).collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

fn period_of(m: &Measured) -> Option<f64> {
    m.burst_period_s.or(m.rate_hz.map(|r| 1.0 / r))
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
    let mut mirror_error = None;
    let mut r = realise(&design, &tech, &opts)?;
    let runner = if args.no_sim {
        None
    } else {
        Some(
            NgspiceRunner::detect_within(timeout)
                .context("ngspice is needed for the evidence (or pass --no-sim)")?,
        )
    };
    let mut widths = Vec::new();
    if let Some(runner) = &runner {
        if let Some((w, err)) =
            size_mirrors(runner, &mut r, &tech, tech_dir.as_deref(), &args.design, timeout)?
        {
            widths = w;
            mirror_error = Some(err);
        }
    }
    let mut trim = None;
    if let (Some(runner), false) = (&runner, args.no_trim) {
        trim = measure_trim(runner, &r, &design, tech_dir.as_deref(), &args.design, timeout)?;
        if let Some(t) = &trim {
            r = realise(&design, &tech, &Options { membrane_trim_a: t.trim_a, ..opts })?;
            apply_widths(&mut r, &tech, &widths)?;
        }
    }
    if let Some(m) = args.max_step_model {
        r.run.tmax_s = m * r.scales.omega_s;
    }
    let tstop_s = args.tstop_model.map_or(r.run.tstop_s, |t| t * r.scales.omega_s);
    let text_ng = netlist(&r, tech_dir.as_deref(), &args.design, tstop_s)?;
    let c = r.netlist_circuit();
    let text_xy = write_netlist_with(
        &c,
        &analysis(&r, tstop_s),
        &setup(&r, tech_dir.as_deref())?,
        &Xyce,
        &header(&r, &args.design),
    )?;
    let mut evidence = None;
    let mut png = None;
    if let Some(runner) = runner {
        let (nominal, t, v) = simulate(&runner, &r, &text_ng, tstop_s, timeout)?;
        let th = design.event.threshold_v / design.scales.s_volt;
        let hy = design.event.hysteresis_v / design.scales.s_volt;
        // Bursters: enough for four bursts even when the realisation's are
        // twice as long as the design's (burst detection needs four).
        let measure_model_units = if design.achieved.spikes_per_burst.is_some() {
            design.mother_period.map_or(25_000.0, |p| (12.0 * p).max(25_000.0))
        } else {
            800.0
        };
        let ideal = predict(&r, th, hy, measure_model_units)?;
        // Behavioural design at the realised time scale (a bias scale speeds it up).
        let m = args.bias_scale;
        let design_rate = design.achieved.rate_hz.map(|x| x * m);
        let design_bursts =
            design.achieved.spikes_per_burst.zip(design.achieved.burst_period_s.map(|p| p / m));
        let design_period = design_bursts.map(|b| b.1).or(design_rate.map(|x| 1.0 / x));
        // Periods of the same kind as the design's: a burster that does not burst has no calibration.
        let bursting = design_bursts.is_some();
        let ideal_period = if bursting { ideal.burst_period_s } else { ideal.rate_hz.map(|x| 1.0 / x) };
        let t_period = if bursting { nominal.burst_period_s } else { nominal.rate_hz.map(|x| 1.0 / x) };
        // The behavioural design measured as the ideal model is (native solver, same window).
        let design_ibi = if bursting {
            measure_model(&design.mother, &r.membrane, r.scales.omega_s, th, hy, measure_model_units)?
                .intra_burst_interval_s
        } else {
            None
        };
        // One time factor fitted on one quantity: the period of a spiker, the
        // intra-burst interval of a burster (whose burst period is then compared).
        let (calibration, cal_ideal) = if bursting {
            (
                nominal.intra_burst_interval_s.zip(design_ibi).map(|(a, b)| a / b),
                ideal.intra_burst_interval_s.zip(design_ibi).map(|(a, b)| a / b),
            )
        } else {
            (
                t_period.zip(design_period).map(|(a, b)| a / b),
                ideal_period.zip(design_period).map(|(a, b)| a / b),
            )
        };
        let calibrated_period_deviation = if bursting {
            t_period.zip(calibration).zip(design_period).map(|((p, c), d)| p / c / d - 1.0)
        } else {
            None
        };
        let spikes_per_burst_deviation =
            nominal.spikes_per_burst.zip(design_bursts).map(|(n, (d, _))| f64::from(n) / f64::from(d) - 1.0);
        let dev = t_period.zip(ideal_period).map(|(a, b)| a / b - 1.0);
        let mut sweep = Vec::new();
        for &k in &args.sweep {
            // The trim scales with the bias currents.
            let trim_k = trim.as_ref().map_or(0.0, |t| t.trim_a * k / args.bias_scale);
            let mut rk = realise(&design, &tech, &Options { bias_scale: k, membrane_trim_a: trim_k, bias })?;
            apply_widths(&mut rk, &tech, &widths)?;
            if let Some(m) = args.max_step_model {
                rk.run.tmax_s = m * rk.scales.omega_s;
            }
            let tk = tstop_s * args.bias_scale / k;
            let text_k = netlist(&rk, tech_dir.as_deref(), &args.design, tk)?;
            sweep.push(simulate(&runner, &rk, &text_k, tk, timeout)?.0);
        }
        let pts: Vec<(f64, f64)> =
            sweep.iter().filter_map(|s| period_of(s).map(|p| (s.bias_scale, 1.0 / p))).collect();
        let slope = loglog_slope(&pts);
        let base = t_period.map(|p| 1.0 / p);
        let sweep_dev = base.and_then(|b| {
            pts.iter().map(|(k, rate)| (rate / (b * k / args.bias_scale) - 1.0).abs()).reduce(f64::max)
        });
        png = Some(atscale_verify::plot::png_bytes(|path| {
            draw(path, &r, &design, &t, &v, calibration.unwrap_or(1.0), &pts)
        })?);
        evidence = Some(Evidence {
            ngspice: format!("ngspice {}", runner.version()),
            nominal,
            design_rate_hz: design_rate,
            design_bursts,
            ideal,
            trim,
            design_intra_burst_interval_s: design_ibi,
            calibration_factor: calibration,
            calibrated_period_deviation,
            spikes_per_burst_deviation,
            calibration_ideal_model: cal_ideal,
            deviation_from_ideal: dev,
            mirror_error,
            sweep,
            sweep_slope: slope,
            sweep_max_deviation: sweep_dev,
        });
    }
    let report =
        Report { schema_version: 1, design: args.design.display().to_string(), realisation: &r, evidence };
    let json = serde_json::to_string_pretty(&report)?;
    let md = markdown(&report);
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

fn opt(x: Option<f64>, unit: &str) -> String {
    x.map_or_else(|| "none".to_string(), |x| si(x, unit))
}

fn markdown(rep: &Report) -> String {
    use std::fmt::Write;
    let r = rep.realisation;
    let s = &r.scales;
    let mut o = String::new();
    let _ = writeln!(o, "# Realisation of {} in {}\n", r.template, r.technology);
    let _ = writeln!(
        o,
        "model volt s = {} (design: {}), omega = {}, C0 = {}, unit current {}, model 0 V at {}, {} C, bias scale {}\n",
        si(s.s_volt, "V"),
        si(s.design_s_volt, "V"),
        si(s.omega_s, "s"),
        si(s.c0_farad, "F"),
        si(s.current_a, "A"),
        si(s.v_ref_v, "V"),
        r.temperature_c,
        r.options.bias_scale
    );
    let _ = writeln!(o, "## Blocks\n");
    for b in &r.blocks {
        let _ = writeln!(o, "- {}: {} — {}", b.element, b.block, b.realises);
    }
    let _ = writeln!(o, "\n## Devices ({})\n", r.devices.len());
    let _ = writeln!(o, "| device | kind | element | role | W | L | current | value | inversion | region |");
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for d in &r.devices {
        let value = match d.kind.as_str() {
            "capacitor" => opt(d.value, "F"),
            "voltage source" => opt(d.value, "V"),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            d.name,
            d.kind,
            d.element,
            d.role,
            d.w_m.map_or(String::new(), |x| si(x, "m")),
            d.l_m.map_or(String::new(), |x| si(x, "m")),
            d.current_a.map_or(String::new(), |x| si(x, "A")),
            value,
            d.inversion.map_or(String::new(), |x| format!("{x:.3}")),
            d.region.clone().unwrap_or_default()
        );
    }
    if let Some(e) = &rep.evidence {
        let _ = writeln!(o, "\n## Evidence ({})\n", e.ngspice);
        let n = &e.nominal;
        let _ = writeln!(o, "- transistor circuit: {} spikes, rate {}, {} spikes per burst, burst period {} (ngspice wall {})",
            n.events_s.len(), opt(n.rate_hz, "Hz"), n.spikes_per_burst.map_or("-".into(), |x| x.to_string()),
            opt(n.burst_period_s, "s"), si(n.wall_s, "s"));
        let _ = writeln!(
            o,
            "- behavioural design: rate {}, bursts {}",
            opt(e.design_rate_hz, "Hz"),
            e.design_bursts.map_or("-".into(), |(k, p)| format!("{k} spikes per {}", si(p, "s")))
        );
        let _ = writeln!(
            o,
            "- ideal model of the realisation: rate {}, {} spikes per burst, burst period {}",
            opt(e.ideal.rate_hz, "Hz"),
            e.ideal.spikes_per_burst.map_or("-".into(), |x| x.to_string()),
            opt(e.ideal.burst_period_s, "s")
        );
        if let Some(m) = e.mirror_error {
            let _ = writeln!(
                o,
                "- bias mirrors: one reference current, widths sized on the mirror bank in ngspice; largest \
                 mirror current error {:.3} %",
                100.0 * m
            );
        }
        if let Some(t) = &e.trim {
            let _ = writeln!(
                o,
                "- membrane trim: {} into the membrane (at the design's knee, {:.2} model V, the transistor \
                 circuit draws {} in steady state, the design {}; measured in {})",
                si(t.trim_a, "A"),
                t.knee_model_v,
                si(t.transistor_a, "A"),
                si(t.design_a, "A"),
                si(t.wall_s, "s")
            );
        }
        let what = if e.design_bursts.is_some() {
            format!(
                "transistor mean intra-burst interval {} / behavioural {}",
                opt(n.intra_burst_interval_s, "s"),
                opt(e.design_intra_burst_interval_s, "s")
            )
        } else {
            "transistor period / behavioural period".to_string()
        };
        let _ = writeln!(
            o,
            "- time-scale calibration factor ({what}): {}",
            e.calibration_factor.map_or("none".into(), |c| format!("{c:.4}"))
        );
        if e.design_bursts.is_some() {
            let _ = writeln!(
                o,
                "  - after calibration: burst period {} from the design's; spikes per burst {} from the design's",
                e.calibrated_period_deviation.map_or("none".into(), |d| format!("{:+.2} %", 100.0 * d)),
                e.spikes_per_burst_deviation.map_or("none".into(), |d| format!("{:+.2} %", 100.0 * d))
            );
        }
        let _ = writeln!(
            o,
            "  - explained by the blocks' nonlinearity (ideal model / behavioural): {}",
            e.calibration_ideal_model.map_or("none".into(), |c| format!("{c:.4}"))
        );
        let _ = writeln!(
            o,
            "  - transistor circuit against the ideal model's prediction (no fit): {}",
            e.deviation_from_ideal.map_or("none".into(), |d| format!("{:+.2} %", 100.0 * d))
        );
        if !e.sweep.is_empty() {
            let what =
                if e.mirror_error.is_some() { "the mirrors' reference current" } else { "all bias currents" };
            let _ = writeln!(o, "- bias sweep ({what} x scale; theory: rate ∝ scale, slope 1):");
            for m in &e.sweep {
                let _ = writeln!(
                    o,
                    "  - scale {}: rate {} (period {})",
                    m.bias_scale,
                    opt(period_of(m).map(|p| 1.0 / p), "Hz"),
                    opt(period_of(m), "s")
                );
            }
            let _ = writeln!(
                o,
                "  - fitted log-log slope {}; largest deviation from rate(1) x scale {}",
                e.sweep_slope.map_or("none".into(), |x| format!("{x:.4}")),
                e.sweep_max_deviation.map_or("none".into(), |d| format!("{:.2} %", 100.0 * d))
            );
        }
    }
    o
}

fn draw(
    path: &Path,
    r: &Realisation,
    d: &Design,
    t: &[f64],
    v: &[f64],
    calibration: f64,
    sweep: &[(f64, f64)],
) -> atscale_verify::Result<()> {
    use atscale_verify::plot::{plot_error, COLOURS};
    let root = BitMapBackend::new(path, (1200, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, bottom) = root.split_vertically(450);
    // Behavioural design (native), membrane in model volts, at the realised time scale.
    let m = r.options.bias_scale;
    let tstop = t.last().copied().unwrap_or(1.0) / calibration;
    let sim = atscale_sim::Simulation::new(&d.physical)
        .map_err(plot_error)?
        .tstop(tstop * m)
        .uic(true)
        .probe(&d.membrane)
        .run()
        .map_err(plot_error)?;
    let bt: Vec<f64> = sim.time.iter().map(|x| x / m).collect();
    let bv: Vec<f64> =
        sim.trace(&d.membrane).map(|x| x.iter().map(|y| y / d.scales.s_volt).collect()).unwrap_or_default();
    let tv: Vec<(f64, f64)> =
        t.iter().zip(v).map(|(a, b)| (a / calibration, (b - r.scales.v_ref_v) / r.scales.s_volt)).collect();
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!("membrane: transistor (time / {calibration:.3}) vs behavioural design"),
            ("sans-serif", 20),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..tstop, -4.0..4.0)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("time (s), transistor time calibrated")
        .y_desc("membrane (model V)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new(bt.iter().copied().zip(bv.iter().copied()), COLOURS[0].stroke_width(2)))
        .map_err(plot_error)?
        .label("behavioural design (native)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], COLOURS[0].stroke_width(3)));
    chart
        .draw_series(LineSeries::new(tv, COLOURS[1].stroke_width(2)))
        .map_err(plot_error)?
        .label(format!("transistor ({}, ngspice)", r.technology))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], COLOURS[1].stroke_width(3)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_error)?;
    if sweep.len() >= 2 {
        let xs: Vec<f64> = sweep.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = sweep.iter().map(|p| p.1).collect();
        let (x0, x1) = (
            xs.iter().copied().fold(f64::INFINITY, f64::min) * 0.8,
            xs.iter().copied().fold(0.0, f64::max) * 1.25,
        );
        let (y0, y1) = (
            ys.iter().copied().fold(f64::INFINITY, f64::min) * 0.8,
            ys.iter().copied().fold(0.0, f64::max) * 1.25,
        );
        let mut c2 = ChartBuilder::on(&bottom)
            .caption("bias sweep: firing rate against bias scale (log-log)", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(plot_error)?;
        c2.configure_mesh()
            .x_desc("bias scale (all bias currents)")
            .y_desc("rate (Hz)")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(plot_error)?;
        c2.draw_series(sweep.iter().map(|p| Circle::new(*p, 5, COLOURS[1].filled()))).map_err(plot_error)?;
        let (k0, r0) = sweep[0];
        c2.draw_series(LineSeries::new(
            vec![(x0, r0 * x0 / k0), (x1, r0 * x1 / k0)],
            COLOURS[0].stroke_width(1),
        ))
        .map_err(plot_error)?
        .label("theory: rate ∝ bias")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], COLOURS[0].stroke_width(3)));
        c2.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(plot_error)?;
    }
    root.present().map_err(plot_error)?;
    Ok(())
}
