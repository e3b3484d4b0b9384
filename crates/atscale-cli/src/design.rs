//! `atscale design SPEC.toml -o DIR`: a neuron designed to specification by
//! energy shaping, written as `design.json`, `design.cir` (ngspice),
//! `design.xyce.cir` and `landscape.png`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use atscale_circuit::units::si;
use atscale_circuit::Circuit;
use atscale_design::spec::{design, Design, Spec};
use atscale_render::plots::design::{landscape, Units};
use atscale_render::Format;
use atscale_spice::{write_netlist, Header, Ngspice, Xyce};

use crate::output::write_all;

/// Arguments of `atscale design`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The design specification (TOML).
    spec: PathBuf,
    /// Output directory.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: PathBuf,
    /// Overwrite existing output files.
    #[arg(long)]
    force: bool,
}

const FILES: [&str; 4] = ["design.json", "design.cir", "design.xyce.cir", "landscape.png"];

fn header(d: &Design, spec_path: &std::path::Path) -> Header {
    let s = &d.scales;
    let mut lines = vec![
        format!(
            "Designed by atscale from {}: template {}, membrane node {}",
            spec_path.display(),
            d.template,
            d.membrane
        ),
        format!(
            "Scales: amplitude s = {} per model unit, time omega = {} per model unit, capacitance C0 = {}",
            si(s.s_volt, "V"),
            si(s.omega_s, "s"),
            si(s.c0_farad, "F")
        ),
        format!("Landscape class of the mother circuit: {:?}", d.classification.behaviour),
    ];
    if let Some(r) = d.achieved.rate_hz {
        lines.push(format!("Achieved firing rate (native solver): {}", si(r, "Hz")));
    }
    if let (Some(n), Some(p)) = (d.achieved.spikes_per_burst, d.achieved.burst_period_s) {
        lines.push(format!("Achieved: {n} spikes per burst, burst period {}", si(p, "s")));
    }
    if let Some(t) = &d.tuning {
        lines.push(format!("Tuned {} = {} in {} iterations", t.parameter, t.value, t.iterations));
    }
    if let Some(b) = &d.bias_band {
        lines.push(band_line(b));
        lines.push(margins_line(b, d.spec.constraints.bias_margin));
    }
    lines.push(format!(
        "Spike event: v({}) rising through {}, hysteresis {}",
        d.membrane,
        si(d.event.threshold_v, "V"),
        si(d.event.hysteresis_v, "V")
    ));
    Header { lines, ..Header::default() }
}

/// The bias band of a burster designed with `constraints.bias_margin`.
fn band_line(b: &atscale_design::spec::BiasBand) -> String {
    format!(
        "Bias band: {} spikes per burst for bias {:.4} to {:.4} model units, {:.2} % either way of the \
         designed {:.4} (scanned in {} % steps{})",
        b.count,
        b.low,
        b.high,
        100.0 * b.margin(),
        b.bias,
        100.0 * atscale_design::spec::BAND_STEP,
        if b.clipped { ", up to the end of the template's bias range" } else { "" }
    )
}

/// How far each other parameter may move alone at the designed bias,
/// those narrower than the bias margin marked.
fn margins_line(b: &atscale_design::spec::BiasBand, bias_margin: Option<f64>) -> String {
    let scan = 100.0 * atscale_design::spec::MARGIN_SCAN;
    let list: Vec<String> = b
        .margins
        .iter()
        .map(|m| {
            let (lo, hi) = (-m.low, m.high);
            let lost = |reach: f64| reach < atscale_design::spec::MARGIN_SCAN - 1e-12;
            let narrow = bias_margin.is_some_and(|w| (lost(lo) && lo < w) || (lost(hi) && hi < w));
            let side = |reach: f64, sign: char| {
                if lost(reach) {
                    format!("{sign}{:.1}", 100.0 * reach)
                } else {
                    format!("{sign}{scan} or more")
                }
            };
            let range = if m.beyond_scan() {
                format!("±{scan} % or more")
            } else {
                format!("{}..{} %", side(lo, '-'), side(hi, '+'))
            };
            format!(
                "{} {} {range}{}",
                m.element,
                m.quantity,
                if narrow { " (narrower than the bias margin)" } else { "" }
            )
        })
        .collect();
    format!(
        "Count margins at the designed bias ({} spikes per burst kept with one parameter moved, in {} % \
         steps up to {scan} %): {}",
        b.count,
        100.0 * atscale_design::spec::BAND_STEP,
        list.join(", ")
    )
}

/// Runs `atscale design`.
pub fn run(args: Args) -> Result<ExitCode> {
    for f in FILES {
        atscale_files::check_target(&args.output.join(f), args.force)?;
    }
    let text = crate::input::read_text(&args.spec, "the design spec")?;
    let spec = Spec::from_toml_str(&text, &args.spec.display().to_string())?;
    let d = design(&spec)?;
    let analysis = d.analysis();
    let header = header(&d, &args.spec);
    let circuit = Circuit::from(d.physical.clone());
    let ngspice = write_netlist(&circuit, &analysis, &Ngspice, &header)?;
    let xyce = write_netlist(&circuit, &analysis, &Xyce, &header)?;
    let json = serde_json::to_string_pretty(&d)?;
    // The mother's landscapes, shown at the design's physical scales.
    let units = Units { volt: d.scales.s_volt, amp: d.scales.current_a(), second: d.scales.omega_s };
    let png = landscape(&d.classification, &d.template, units, Format::Png)?.bytes;
    let files: Vec<(std::path::PathBuf, &[u8])> = FILES
        .iter()
        .map(|f| args.output.join(f))
        .zip([json.as_bytes(), ngspice.as_bytes(), xyce.as_bytes(), png.as_slice()])
        .collect();
    write_all(&files, args.force)?;
    crate::out!("{}", summary(&d, &args.output))?;
    Ok(ExitCode::SUCCESS)
}

fn summary(d: &Design, dir: &std::path::Path) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "designed a {} neuron from template {}",
        atscale_design::spec::behaviour_name(d.classification.behaviour),
        d.template
    );
    let sc = &d.scales;
    let _ = writeln!(
        s,
        "scales: s = {}, omega = {}, C0 = {}",
        si(sc.s_volt, "V"),
        si(sc.omega_s, "s"),
        si(sc.c0_farad, "F")
    );
    if let Some(r) = d.achieved.rate_hz {
        let _ = writeln!(s, "achieved rate: {} (native solver)", si(r, "Hz"));
    }
    if let (Some(n), Some(p)) = (d.achieved.spikes_per_burst, d.achieved.burst_period_s) {
        let _ = writeln!(s, "achieved: {n} spikes per burst, burst period {}", si(p, "s"));
    }
    if let Some(b) = &d.bias_band {
        let _ = writeln!(s, "{}", band_line(b));
        let _ = writeln!(s, "{}", margins_line(b, d.spec.constraints.bias_margin));
    }
    if let Some(t) = d.achieved.threshold_a {
        let _ = writeln!(s, "threshold current: {}", si(t, "A"));
    }
    let _ = writeln!(
        s,
        "largest bias current {}, largest |v| {}",
        si(d.achieved.max_bias_a, "A"),
        si(d.achieved.max_abs_v, "V")
    );
    let _ = writeln!(s, "components:");
    for c in &d.components {
        let _ = writeln!(s, "  {:10} {:28} {}", c.element, c.quantity, si(c.value, &c.unit));
    }
    let _ =
        writeln!(s, "wrote {}/{{design.json, design.cir, design.xyce.cir, landscape.png}}", dir.display());
    s
}
