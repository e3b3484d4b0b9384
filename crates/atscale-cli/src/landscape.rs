//! `atscale landscape NETLIST|DESIGN.json`: the energy landscape of a
//! single-membrane neuron at each of its timescales, its critical points and
//! the behaviour they imply (theory sections 2-3).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_circuit::FlatCircuit;
use atscale_design::landscape::{linspace, Classification, Membrane, Nature};
use plotters::prelude::*;

use crate::output::write_atomically;

/// Arguments of `atscale landscape`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An ngspice netlist, a circuit file (.json/.toml) or a design.json written by `atscale design`.
    input: PathBuf,
    /// The membrane node.
    #[arg(long, default_value = "v", value_name = "NODE")]
    membrane: String,
    /// Voltage range of the landscapes, V (SPICE suffixes allowed). Default: -3..3
    /// model units (times the amplitude scale of a design).
    #[arg(long, value_name = "LO,HI")]
    range: Option<String>,
    /// Write a plot of the I-V curves and potentials per timescale (PNG).
    #[arg(long, value_name = "FILE.png")]
    plot: Option<PathBuf>,
    /// Overwrite the plot if it exists.
    #[arg(long)]
    force: bool,
    /// Print the classification as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Wall-clock limit of the analysis, s.
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    timeout: String,
}

/// Reads the circuit to analyse and the default voltage range for it.
fn load(path: &std::path::Path) -> Result<(FlatCircuit, (f64, f64))> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "json" {
        let text = crate::input::read_text(path, "the circuit file")?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", path.display(), e.line(), e.column()))?;
        if let (Some(physical), Some(s)) =
            (v.get("physical"), v.pointer("/scales/s_volt").and_then(|s| s.as_f64()))
        {
            let flat: FlatCircuit = serde_json::from_value(physical.clone())
                .map_err(|e| anyhow::anyhow!("{}: `physical` is not a circuit: {e}", path.display()))?;
            return Ok((flat, (-3.0 * s, 3.0 * s)));
        }
    }
    let circuit = crate::summary::read_circuit(path)?;
    let checked = circuit.check().with_context(|| format!("in {}", path.display()))?;
    Ok((checked.circuit, (-3.0, 3.0)))
}

/// Runs `atscale landscape`.
pub fn run(args: Args) -> Result<ExitCode> {
    let range = args.range.as_deref().map(|r| crate::run_args::voltage_range("--range", r)).transpose()?;
    let timeout = crate::run_args::timeout("--timeout", &args.timeout)?;
    let stop = atscale_verify::interrupt::stop_check(std::time::Instant::now().checked_add(timeout));
    if let Some(p) = &args.plot {
        if p.exists() && !args.force {
            bail!("{} exists; pass --force to overwrite it", p.display());
        }
    }
    let (circuit, default_range) = load(&args.input)?;
    let (lo, hi) = range.unwrap_or(default_range);
    let grid = linspace(lo, hi, 1201);
    let c = Membrane::new(&circuit, &args.membrane)
        .and_then(|m| m.with_stop_check(stop).classify(&grid))
        .with_context(|| format!("landscape of {} at node `{}`", args.input.display(), args.membrane))?;
    if let Some(p) = &args.plot {
        let png = atscale_verify::plot::png_bytes(|path| draw(path, &c, &args.input.display().to_string()))?;
        write_atomically(p, &png, args.force)?;
    }
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&c)?)?;
    } else {
        crate::out!("{}", human(&c))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn tau_text(tau: f64) -> String {
    if tau == 0.0 {
        "instantaneous".into()
    } else if tau.is_infinite() {
        "coarsest".into()
    } else {
        si(tau, "s")
    }
}

fn human(c: &Classification) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "behaviour: {:?} (operating point {})", c.behaviour, si(c.v_op_volt, "V"));
    for curve in &c.curves {
        let pts: Vec<String> = curve
            .critical_points()
            .iter()
            .map(|p| {
                let kind = match p.nature {
                    Nature::Well => "well",
                    Nature::Barrier => "barrier",
                };
                format!("{kind} at {}", si(p.v_volt, "V"))
            })
            .collect();
        let folds: Vec<String> = curve
            .folds()
            .iter()
            .map(|f| format!("{} at {}", si(f.current_a, "A"), si(f.v_volt, "V")))
            .collect();
        let _ = writeln!(
            s,
            "timescale {}: {} critical points [{}]; folds [{}]",
            tau_text(curve.tau_s),
            pts.len(),
            pts.join(", "),
            folds.join(", ")
        );
    }
    s
}

/// Draws the I-V curves and potentials of a classification.
pub fn draw(path: &std::path::Path, c: &Classification, title: &str) -> atscale_verify::Result<()> {
    use atscale_verify::plot::{plot_error, COLOURS};
    let root = BitMapBackend::new(path, (1200, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, bottom) = root.split_vertically(450);
    let v: Vec<f64> = c.curves.first().map(|k| k.v_volt.clone()).unwrap_or_default();
    let (lo, hi) = (v.first().copied().unwrap_or(-1.0), v.last().copied().unwrap_or(1.0));
    let span = |f: &dyn Fn(&atscale_design::landscape::IvCurve) -> &Vec<f64>| {
        let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
        for k in &c.curves {
            for x in f(k).iter().copied().filter(|x| x.is_finite()) {
                a = a.min(x);
                b = b.max(x);
            }
        }
        if a.is_finite() && b > a {
            let pad = 0.05 * (b - a);
            (a - pad, b + pad)
        } else {
            (-1.0, 1.0)
        }
    };
    for (area, label, pick, unit) in [
        (&top, "I-V curve per timescale", 0usize, "current (A)"),
        (&bottom, "energy landscape (potential) per timescale", 1usize, "potential (W = V·A)"),
    ] {
        let (ya, yb) = if pick == 0 { span(&|k| &k.current_a) } else { span(&|k| &k.potential_j) };
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{title}: {label} — {:?}", c.behaviour), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(90)
            .build_cartesian_2d(lo..hi, ya..yb)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("membrane voltage (V)")
            .y_desc(unit)
            .y_label_formatter(&|y| format!("{y:.2e}"))
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(plot_error)?;
        for (k, curve) in c.curves.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let ys = if pick == 0 { &curve.current_a } else { &curve.potential_j };
            let pts: Vec<(f64, f64)> = curve.v_volt.iter().copied().zip(ys.iter().copied()).collect();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(format!("timescale {}", tau_text(curve.tau_s)))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(plot_error)?;
    }
    root.present().map_err(plot_error)?;
    Ok(())
}
