//! `atscale scale fit|coarsen|bode`: the amplitude and time scale analyses of
//! one element of a circuit (theory sections 5-6), with plots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_circuit::{ElementKind, Relaxation, ResistiveLaw};
use atscale_design::amplitude::{fingerprint_amplitude, GlmFit, SoftplusBasis};
use atscale_design::timescale::Filter;
use atscale_render::plots::design::{bode as bode_plot, fingerprint, scale_plot, BodeCurve};
use atscale_render::Format;
use atscale_spice::number::parse_number;
use serde_json::json;

use crate::output::write_atomically;

/// Arguments of `atscale scale`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Fit a nonlinear resistor's conductance on the softplus basis and show its scale plot.
    Fit(FitArgs),
    /// Critical points of a resistor's landscape versus Pólya smoothing scale.
    Coarsen(CoarsenArgs),
    /// Bode magnitude of each relaxation state of a memristive element.
    Bode(BodeArgs),
}

/// Options shared by every `atscale scale` subcommand.
#[derive(Debug, clap::Args)]
struct Common {
    /// A circuit file: ngspice netlist (.cir) or circuit (.json/.toml).
    input: PathBuf,
    /// The element to analyse.
    #[arg(long, value_name = "NAME")]
    element: String,
    /// Write a plot (PNG).
    #[arg(long, value_name = "FILE.png")]
    plot: Option<PathBuf>,
    /// Overwrite the plot if it exists.
    #[arg(long)]
    force: bool,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `atscale scale fit`.
#[derive(Debug, clap::Args)]
struct FitArgs {
    #[command(flatten)]
    common: Common,
    /// Voltage window of the fit, V (SPICE suffixes allowed). Default: -3,3.
    #[arg(long, value_name = "LO,HI")]
    range: Option<String>,
    /// Slopes per decade of the softplus basis.
    #[arg(long, default_value_t = 4, value_name = "N")]
    per_decade: usize,
}

/// Arguments of `atscale scale coarsen`.
#[derive(Debug, clap::Args)]
struct CoarsenArgs {
    #[command(flatten)]
    common: Common,
    /// Bias current I of the landscape `G(v) - I v`, A (SPICE suffixes allowed).
    #[arg(long, value_name = "AMPS", allow_hyphen_values = true)]
    bias: String,
    /// Voltage window, V (SPICE suffixes allowed). Default: -3,3.
    #[arg(long, value_name = "LO,HI")]
    range: Option<String>,
    /// Smoothing scales, V, comma-separated (SPICE suffixes allowed; 0 is
    /// the law itself). Default: 0 and 0.05·2^k (k = 0..6) times width/6.
    #[arg(long, value_name = "LIST")]
    scales: Option<String>,
}

/// Arguments of `atscale scale bode`.
#[derive(Debug, clap::Args)]
struct BodeArgs {
    #[command(flatten)]
    common: Common,
    /// Operating voltage of the linearisation, V (SPICE suffixes allowed).
    #[arg(long, default_value = "0", value_name = "VOLTS", allow_hyphen_values = true)]
    v_op: String,
}

/// Runs `atscale scale`.
pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Fit(a) => fit(a),
        Sub::Coarsen(a) => coarsen(a),
        Sub::Bode(a) => bode(a),
    }
}

fn number(flag: &str, text: &str) -> Result<f64> {
    let x = parse_number(text.trim()).map_err(|e| anyhow::anyhow!("{flag} `{text}`: {e}"))?;
    if !x.is_finite() {
        bail!("{flag} `{text}`: must be finite");
    }
    Ok(x)
}

fn parse_range(range: Option<&str>) -> Result<(f64, f64)> {
    range.map_or(Ok((-3.0, 3.0)), |r| crate::run_args::voltage_range("--range", r))
}

fn check_plot(c: &Common) -> Result<()> {
    if let Some(p) = &c.plot {
        if p.exists() && !c.force {
            bail!("{} exists; pass --force to overwrite it", p.display());
        }
    }
    Ok(())
}

fn element(c: &Common) -> Result<ElementKind<f64>> {
    let circuit = crate::summary::read_circuit(&c.input)?;
    let checked = circuit.check().with_context(|| format!("in {}", c.input.display()))?;
    match checked.circuit.element(&c.element) {
        Some(e) => Ok(e.kind.clone()),
        None => bail!("{}: no element named `{}`", c.input.display(), c.element),
    }
}

fn resistive_law(c: &Common) -> Result<ResistiveLaw<f64>> {
    match element(c)? {
        ElementKind::NonlinearResistor { law, .. } => Ok(law),
        _ => bail!("element `{}` of {} is not a nonlinear resistor", c.element, c.input.display()),
    }
}

/// Renders and writes the plot when one was asked for.
fn write_plot(c: &Common, render: impl FnOnce() -> atscale_render::Result<Vec<u8>>) -> Result<()> {
    if let Some(p) = &c.plot {
        write_atomically(p, &render()?, c.force)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- fit

fn fit(args: FitArgs) -> Result<ExitCode> {
    let c = &args.common;
    let (lo, hi) = parse_range(args.range.as_deref())?;
    if args.per_decade == 0 || args.per_decade > 50 {
        bail!("--per-decade {}: must be between 1 and 50", args.per_decade);
    }
    check_plot(c)?;
    let law = resistive_law(c)?;
    // Slopes from the window's scale (about 1/width) over two decades.
    let width = hi - lo;
    let a_min = 10f64.powf((1.0 / width).log10().floor());
    let a_max = 100.0 * a_min;
    let basis = SoftplusBasis::log_spaced(a_min, a_max, args.per_decade, vec![])?;
    let voltages: Vec<f64> = (0..400).map(|k| lo + width * (k as f64 + 0.5) / 400.0).collect();
    let g: Vec<f64> = voltages.iter().filter(|v| v.abs() >= 1e-12).map(|&v| law.current(v) / v).collect();
    let sign = if g.iter().all(|&x| x > 0.0) {
        1.0
    } else if g.iter().all(|&x| x < 0.0) {
        -1.0
    } else {
        bail!(
            "element `{}`: its conductance f(v)/v changes sign in {}..{}; the softplus GLM needs one sign \
             (try a narrower --range)",
            c.element,
            si(lo, "V"),
            si(hi, "V")
        );
    };
    let samples: Vec<(f64, f64)> =
        voltages.iter().filter(|v| v.abs() >= 1e-12).zip(&g).map(|(&v, &g)| (v, sign * g)).collect();
    let mut glm: GlmFit = basis.fit(&samples, 1e-8).with_context(|| format!("fitting `{}`", c.element))?;
    glm.g0 *= sign;
    let plot = glm.scale_plot();
    let title = format!("{}: {}", c.input.display(), c.element);
    write_plot(c, || Ok(scale_plot(&plot, &title, Format::Png)?.bytes))?;
    if c.json {
        let pts: Vec<_> = plot
            .iter()
            .map(|p| json!({"a_per_volt": p.a_per_volt, "log10_abs_a": p.log10_abs_a, "weight": p.weight}))
            .collect();
        let v = json!({
            "element": c.element,
            "range_volt": [lo, hi],
            "g0_siemens": glm.g0,
            "residual_rms": glm.residual_rms,
            "slopes_per_volt": [a_min, a_max],
            "scale_plot": pts,
        });
        crate::outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        crate::outln!(
            "element {}: g(v) = g0 exp(Σ w softplus(a v)) on {}..{}, {} slopes {}..{} 1/V",
            c.element,
            si(lo, "V"),
            si(hi, "V"),
            plot.len(),
            a_min,
            a_max
        )?;
        crate::outln!("g0 = {}", si(glm.g0, "S"))?;
        crate::outln!("residual (rms of ln g) = {:.3e} (dimensionless, ≈ relative error)", glm.residual_rms)?;
        crate::outln!("scale plot (a in 1/V, weight dimensionless):")?;
        for p in &plot {
            crate::outln!(
                "  a = {:>+10.4} 1/V  log10|a| = {:>+7.3}  weight = {:>+.6}",
                p.a_per_volt,
                p.log10_abs_a,
                p.weight
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- coarsen

fn coarsen(args: CoarsenArgs) -> Result<ExitCode> {
    let c = &args.common;
    let (lo, hi) = parse_range(args.range.as_deref())?;
    let width = hi - lo;
    let bias = number("--bias", &args.bias)?;
    let scales: Vec<f64> = match &args.scales {
        None => std::iter::once(0.0).chain((0..7).map(|k| 0.05 * 2f64.powi(k) * width / 6.0)).collect(),
        Some(list) => list.split(',').map(|s| number("--scales", s)).collect::<Result<_>>()?,
    };
    if scales.is_empty() {
        bail!("--scales: give at least one smoothing scale");
    }
    for &s in &scales {
        if !(0.0..=10.0 * width).contains(&s) {
            bail!(
                "--scales: {} is outside 0..{} (ten times the window width)",
                si(s, "V"),
                si(10.0 * width, "V")
            );
        }
    }
    check_plot(c)?;
    let law = resistive_law(c)?;
    let base_step = width / 2000.0;
    let mut rows = Vec::with_capacity(scales.len());
    for &s in &scales {
        let step = if s > 0.0 { base_step.min(0.5 * s) } else { base_step };
        let r = fingerprint_amplitude(&law, bias, (lo, hi), step, &[s])
            .with_context(|| format!("smoothing `{}` at scale {}", c.element, si(s, "V")))?;
        rows.extend(r);
    }
    let title = format!("{}: {} at bias {}", c.input.display(), c.element, si(bias, "A"));
    write_plot(c, || Ok(fingerprint(&rows, &title, Format::Png)?.bytes))?;
    if c.json {
        let pts: Vec<_> = rows.iter().map(|&(s, n)| json!({"scale_volt": s, "critical_points": n})).collect();
        let v = json!({"element": c.element, "bias_amp": bias, "range_volt": [lo, hi], "fingerprint": pts});
        crate::outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        crate::outln!(
            "element {}: critical points of G(v) - I v, I = {}, on {}..{}, vs Pólya (logistic) smoothing scale",
            c.element,
            si(bias, "A"),
            si(lo, "V"),
            si(hi, "V")
        )?;
        crate::outln!("  {:>14}  critical points", "scale")?;
        for &(s, n) in &rows {
            let scale = if s == 0.0 { "0 V (law)".to_owned() } else { si(s, "V") };
            crate::outln!("  {scale:>14}  {n}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------- bode

/// One relaxation state's linearised filter.
struct StateBode {
    index: usize,
    unit: &'static str,
    tau_s: f64,
    gain: f64,
    curve: Vec<(f64, f64)>,
}

fn bode(args: BodeArgs) -> Result<ExitCode> {
    let c = &args.common;
    let v_op = number("--v-op", &args.v_op)?;
    check_plot(c)?;
    let states = match element(c)? {
        ElementKind::Memristive { states, .. } => states,
        _ => {
            bail!("element `{}` of {} is not memristive (no relaxation states)", c.element, c.input.display())
        }
    };
    let mut filters = Vec::with_capacity(states.len());
    for (k, state) in states.iter().enumerate() {
        let f = Filter::from_relaxation(state, v_op)
            .with_context(|| format!("state {k} of `{}` at v_op = {}", c.element, si(v_op, "V")))?;
        let unit = match state {
            Relaxation::Linear { .. } => "V/V",
            Relaxation::Kinetic { .. } => "1/V",
        };
        filters.push((k, unit, f));
    }
    let taus: Vec<f64> = filters.iter().flat_map(|(_, _, f)| f.poles.iter().map(|p| p.0)).collect();
    let tau_max = taus.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tau_min = taus.iter().copied().fold(f64::INFINITY, f64::min);
    let (w_lo, w_hi) = if taus.is_empty() { (1e-3, 1e3) } else { (1e-3 / tau_max, 1e3 / tau_min) };
    let mut rows = Vec::with_capacity(filters.len());
    for (index, unit, f) in filters {
        let curve = f.bode(w_lo, w_hi, 401)?;
        let tau_s = f.poles.first().map_or(f64::NAN, |p| p.0);
        rows.push(StateBode { index, unit, tau_s, gain: f.gain, curve });
    }
    let title = format!("{}: {} at v_op = {}", c.input.display(), c.element, si(v_op, "V"));
    write_plot(c, || {
        let curves: Vec<BodeCurve> = rows
            .iter()
            .map(|r| BodeCurve {
                label: format!("state {} (τ = {})", r.index, si(r.tau_s, "s")),
                points: r.curve.iter().map(|&(w, m)| (w, m)).collect(),
            })
            .collect();
        Ok(bode_plot(&curves, &title, Format::Png)?.bytes)
    })?;
    let corner_db = |r: &StateBode| r.gain.abs().log10() - 0.5 * 2f64.log10();
    if c.json {
        let states: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({
                    "state": r.index,
                    "tau_s": r.tau_s,
                    "corner_rad_per_s": 1.0 / r.tau_s,
                    "static_gain": r.gain,
                    "gain_unit": r.unit,
                    "log10_gain_at_corner": corner_db(r),
                    "bode": r.curve.iter().map(|&(w, m)| [w.log10(), m]).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = json!({"element": c.element, "v_op_volt": v_op, "states": states});
        crate::outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        crate::outln!(
            "element {}: {} relaxation state(s), linearised at v_op = {}",
            c.element,
            rows.len(),
            si(v_op, "V")
        )?;
        for r in &rows {
            crate::outln!(
                "  state {}: corner time τ = {} (ω = {}), static gain |G0| = {:.4e} {} (log10 {:+.4}), \
                 log10|G| at the corner = {:+.4}",
                r.index,
                si(r.tau_s, "s"),
                si(1.0 / r.tau_s, "rad/s"),
                r.gain.abs(),
                r.unit,
                r.gain.abs().log10(),
                corner_db(r)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
