//! `atscale scale fit|coarsen|bode`: the amplitude and time scale analyses of
//! one element of a circuit (theory sections 5-6), with plots.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_circuit::{ElementKind, ResistiveLaw};
use atscale_design::amplitude::{coarsen_law, default_smoothing_scales, fit_conductance};
use atscale_design::timescale::bode_states;
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
    let fit = fit_conductance(&law, (lo, hi), args.per_decade)
        .with_context(|| format!("element `{}` (--range {}..{})", c.element, si(lo, "V"), si(hi, "V")))?;
    let title = format!("{}: {}", c.input.display(), c.element);
    write_plot(c, || Ok(scale_plot(&fit.scale_plot, &title, Format::Png)?.bytes))?;
    if c.json {
        let mut v = serde_json::to_value(&fit)?;
        v["element"] = json!(c.element);
        crate::outln!("{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let [a_min, a_max] = fit.slopes_per_volt;
    crate::outln!(
        "element {}: g(v) = g0 exp(Σ w softplus(a v)) on {}..{}, {} slopes {}..{} 1/V",
        c.element,
        si(lo, "V"),
        si(hi, "V"),
        fit.scale_plot.len(),
        a_min,
        a_max
    )?;
    crate::outln!("g0 = {}", si(fit.g0_siemens, "S"))?;
    crate::outln!("residual (rms of ln g) = {:.3e} (dimensionless, ≈ relative error)", fit.residual_rms)?;
    crate::outln!("scale plot (a in 1/V, weight dimensionless):")?;
    for p in &fit.scale_plot {
        crate::outln!(
            "  a = {:>+10.4} 1/V  log10|a| = {:>+7.3}  weight = {:>+.6}",
            p.a_per_volt,
            p.log10_abs_a,
            p.weight
        )?;
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
        None => default_smoothing_scales(width),
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
    let rows = coarsen_law(&law, bias, (lo, hi), &scales)
        .with_context(|| format!("smoothing `{}` on {}..{}", c.element, si(lo, "V"), si(hi, "V")))?;
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
    let rows =
        bode_states(&states, v_op).with_context(|| format!("`{}` at v_op = {}", c.element, si(v_op, "V")))?;
    let title = format!("{}: {} at v_op = {}", c.input.display(), c.element, si(v_op, "V"));
    write_plot(c, || {
        let curves: Vec<BodeCurve> = rows
            .iter()
            .map(|r| BodeCurve {
                label: format!("state {} (τ = {})", r.state, si(r.tau_s, "s")),
                points: r.bode.iter().map(|&[w, m]| (10f64.powf(w), m)).collect(),
            })
            .collect();
        Ok(bode_plot(&curves, &title, Format::Png)?.bytes)
    })?;
    if c.json {
        let v = json!({"element": c.element, "v_op_volt": v_op, "states": rows});
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
                r.state,
                si(r.tau_s, "s"),
                si(r.corner_rad_per_s, "rad/s"),
                r.static_gain.abs(),
                r.gain_unit,
                r.static_gain.abs().log10(),
                r.log10_gain_at_corner
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
