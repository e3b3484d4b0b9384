//! `atscale landscape NETLIST|DESIGN.json`: the energy landscape of a
//! single-membrane neuron at each of its timescales, its critical points and
//! the behaviour they imply (theory sections 2-3).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_circuit::FlatCircuit;
use atscale_design::landscape::{linspace, Classification, Membrane, Nature};
use atscale_design::spec::behaviour_name;
use atscale_render::plots::design::{landscape, Units};
use atscale_render::Format;

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
        let title = args.input.display().to_string();
        let png = landscape(&c, &title, Units::PHYSICAL, Format::Png)?.bytes;
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
    let _ =
        writeln!(s, "behaviour: {} (operating point {})", behaviour_name(c.behaviour), si(c.v_op_volt, "V"));
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
