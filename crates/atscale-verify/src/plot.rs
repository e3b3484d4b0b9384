//! The overlay plot of a verification: each engine's waveform of the first
//! event signal with its event ticks, and a panel of the time difference of
//! every matched event. Axes carry units. Fonts come from the DejaVu Sans
//! file shipped in `assets/fonts`, so no system font library is needed.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::engines::EngineRun;
use crate::error::{Error, Result};
use crate::report::Report;

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(Error::Plot { reason: "the shipped DejaVu Sans font could not be loaded".into() })
    }
}

/// The colours of successive series.
pub const COLOURS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];

/// Renders the overlay plot as PNG bytes (1200 x 900 pixels).
pub fn overlay_png(report: &Report, runs: &[EngineRun]) -> Result<Vec<u8>> {
    png_bytes(|path| draw(path, report, runs))
}

/// Renders a plot drawn by `draw` onto a bitmap at the path it is given
/// (with the shipped font registered) and returns the PNG bytes, so the
/// caller can write them atomically where the user asked.
pub fn png_bytes(draw: impl FnOnce(&std::path::Path) -> Result<()>) -> Result<Vec<u8>> {
    ensure_font()?;
    let dir = tempfile::tempdir().map_err(|source| Error::Io {
        action: "create a temporary directory for the plot",
        path: std::env::temp_dir(),
        source,
    })?;
    let path = dir.path().join("plot.png");
    draw(&path)?;
    std::fs::read(&path).map_err(|source| Error::Io { action: "read the rendered plot", path, source })
}

/// Renders a plot drawn by `draw` onto an SVG document of `size` pixels
/// (with the shipped font registered, which plotters uses to lay out text)
/// and returns its bytes.
pub fn svg_bytes(
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<()>,
) -> Result<Vec<u8>> {
    ensure_font()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        draw(root)?;
    }
    Ok(text.into_bytes())
}

/// Converts a plotters error into this crate's error.
pub fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot { reason: e.to_string() }
}

fn draw(path: &std::path::Path, report: &Report, runs: &[EngineRun]) -> Result<()> {
    let root = BitMapBackend::new(path, (1200, 900)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, bottom) = root.split_vertically(560);
    let Some(spec) = report.events.first() else {
        return Err(Error::Plot { reason: "no event signal to plot".into() });
    };
    let node = crate::engines::node_name(&spec.signal).to_string();
    let key = crate::events::event_keys(&report.events).swap_remove(0);
    let tstop = report.tstop_s.unwrap_or(1.0);
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in runs {
        if let Some((_, v)) = r.waveforms.signals.iter().find(|(n, _)| n.eq_ignore_ascii_case(&node)) {
            for x in v.iter().copied().filter(|x| x.is_finite()) {
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        lo = spec.threshold - 1.0;
        hi = spec.threshold + 1.0;
    }
    let pad = 0.08 * (hi - lo).max(1e-12);
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!("{} — {} (threshold {} V)", report.netlist, spec.signal, spec.threshold),
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..tstop, (lo - pad)..(hi + 2.0 * pad))
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("time (s)")
        .y_desc(match crate::events::signal_unit(&spec.signal) {
            "V" => format!("v({node}) (V)"),
            unit => format!("{} ({unit})", spec.signal),
        })
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(plot_error)?;
    for (k, r) in runs.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        if let Some((_, v)) = r.waveforms.signals.iter().find(|(n, _)| n.eq_ignore_ascii_case(&node)) {
            let pts: Vec<(f64, f64)> = r
                .waveforms
                .time_s
                .iter()
                .copied()
                .zip(v.iter().copied())
                .filter(|(_, y)| y.is_finite())
                .collect();
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(plot_error)?
                .label(r.report.name.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3)));
        }
        // Event ticks: short vertical bars at the top, one row per engine.
        let y0 = hi + pad * (0.3 + 0.5 * k as f64);
        let ticks = r.report.events.get(&key).cloned().unwrap_or_default();
        chart
            .draw_series(
                ticks
                    .into_iter()
                    .map(|t| PathElement::new(vec![(t, y0), (t, y0 + 0.4 * pad)], colour.stroke_width(2))),
            )
            .map_err(plot_error)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(plot_error)?;

    // dt panel.
    let pairs: Vec<(String, Vec<(f64, f64)>)> = report
        .comparisons
        .iter()
        .filter_map(|c| {
            let s = c.signals.iter().find(|s| s.signal == key)?;
            let pts = s.comparison.matched.iter().map(|m| (m.reference_s, m.dt_s)).collect();
            Some((format!("{} − {}", c.other, c.reference), pts))
        })
        .collect();
    let max_dt =
        pairs.iter().flat_map(|(_, p)| p.iter().map(|(_, d)| d.abs())).fold(0.0f64, f64::max).max(1e-15);
    let mut dt_chart = ChartBuilder::on(&bottom)
        .caption("time difference per matched event", ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..tstop, (-1.2 * max_dt)..(1.2 * max_dt))
        .map_err(plot_error)?;
    dt_chart
        .configure_mesh()
        .x_desc("event time (s)")
        .y_desc("dt (s)")
        .y_label_formatter(&|y| format!("{y:.1e}"))
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(plot_error)?;
    for (k, (label, pts)) in pairs.into_iter().enumerate() {
        let colour = COLOURS[(k + 1) % COLOURS.len()];
        dt_chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, colour.filled())))
            .map_err(plot_error)?
            .label(label)
            .legend(move |(x, y)| Circle::new((x + 10, y), 4, colour.filled()));
    }
    dt_chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// One case of a reliability experiment, as [`raster_psth_png`] draws it.
#[derive(Debug, Clone, Copy)]
pub struct RasterPanel<'a> {
    /// Panel title (`frozen noise: reliability 0.99, precision 0.09 model time units`).
    pub title: &'a str,
    /// Spike times of each trial, in the time unit of the plot.
    pub trains: &'a [Vec<f64>],
    /// Start of the first PSTH bin.
    pub psth_start: f64,
    /// PSTH bin width.
    pub bin_width: f64,
    /// PSTH rate per bin, spikes per trial per time unit.
    pub psth_rate: &'a [f64],
    /// Event windows `(start, end)`, shaded on the PSTH.
    pub events: &'a [(f64, f64)],
}

/// Renders spike rasters with their PSTH, one raster above its PSTH per
/// panel, as PNG bytes (1200 x 450 pixels per panel). `tstop` is the end
/// of the time axis and `time_unit` its unit (`s`, `model time units`);
/// spikes before `settle` (not analysed) are drawn in grey.
pub fn raster_psth_png(
    panels: &[RasterPanel<'_>],
    tstop: f64,
    settle: f64,
    time_unit: &str,
) -> Result<Vec<u8>> {
    png_bytes(|path| draw_rasters(path, panels, tstop, settle, time_unit))
}

fn draw_rasters(
    path: &std::path::Path,
    panels: &[RasterPanel<'_>],
    tstop: f64,
    settle: f64,
    time_unit: &str,
) -> Result<()> {
    let height = 450 * u32::try_from(panels.len().max(1)).unwrap_or(1);
    let root = BitMapBackend::new(path, (1200, height)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let areas = root.split_evenly((panels.len().max(1), 1));
    // "model time units" -> "model time unit"; a symbol (`s`) stays as it is.
    let singular = if time_unit.len() > 2 { time_unit.trim_end_matches('s') } else { time_unit };
    let max_rate = panels.iter().flat_map(|p| p.psth_rate.iter().copied()).fold(0.0f64, f64::max).max(1e-12);
    for (k, (panel, area)) in panels.iter().zip(areas.iter()).enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let (top, bottom) = area.split_vertically(270);
        let n = panel.trains.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&top)
            .caption(panel.title, ("sans-serif", 20))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..tstop, -0.5..(n - 0.5))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .y_desc("trial")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .disable_x_mesh()
            .disable_y_mesh()
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(plot_error)?;
        let grey = RGBColor(170, 170, 170);
        chart
            .draw_series(panel.trains.iter().enumerate().flat_map(|(i, train)| {
                train.iter().map(move |&t| {
                    let c = if t < settle { grey } else { colour };
                    PathElement::new(vec![(t, i as f64 - 0.4), (t, i as f64 + 0.4)], c.stroke_width(2))
                })
            }))
            .map_err(plot_error)?;
        let mut psth = ChartBuilder::on(&bottom)
            .margin(10)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..tstop, 0.0..(1.1 * max_rate))
            .map_err(plot_error)?;
        psth.configure_mesh()
            .x_desc(format!("time ({time_unit})"))
            .y_desc(format!("PSTH (1/{singular})"))
            .y_max_light_lines(1)
            .disable_x_mesh()
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(plot_error)?;
        psth.draw_series(panel.events.iter().map(|&(a, b)| {
            Rectangle::new([(a, 0.0), (b, 1.1 * max_rate)], RGBColor(255, 220, 150).mix(0.6).filled())
        }))
        .map_err(plot_error)?;
        psth.draw_series(panel.psth_rate.iter().enumerate().filter(|(_, r)| **r > 0.0).map(|(j, &r)| {
            let a = panel.psth_start + j as f64 * panel.bin_width;
            Rectangle::new([(a, 0.0), (a + panel.bin_width, r)], colour.filled())
        }))
        .map_err(plot_error)?;
    }
    root.present().map_err(plot_error)?;
    Ok(())
}
