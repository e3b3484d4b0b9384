//! `atscale realise DESIGN.json --tech TECH -o DIR`: a designed neuron
//! realised in transistors, its netlists, sizing report and, unless
//! `--no-sim`, the evidence from ngspice: rate (or bursts) against the
//! behavioural design, the time-scale calibration factor, an optional bias
//! sweep with its fitted log-log slope, and a comparison plot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_design::realise::{BiasSource, DeviceKind, Options, Realisation, Technology};
use atscale_design::spec::Design;
use atscale_explore::realise::{realise_with_evidence, Evidence, Outcome, Request};
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
        Some(tr) => Some(atscale_verify::plot::png_bytes(|path| {
            draw(path, &r, &design, &tr.time_s, &tr.membrane_v, tr.calibration, &tr.sweep_points)
        })?),
    };
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
        let value = match d.kind {
            DeviceKind::Capacitor => opt(d.value, "F"),
            DeviceKind::VoltageSource => opt(d.value, "V"),
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
                    opt(m.period_s().map(|p| 1.0 / p), "Hz"),
                    opt(m.period_s(), "s")
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
