//! The overlay plot of a verification, and the rasters of a reliability
//! experiment.

use atscale_verify::engines::{node_name, EngineRun};
use atscale_verify::events::{event_keys, signal_unit};
use atscale_verify::report::Report;

use crate::axis::{quantity, Axis};
use crate::error::{Error, Result};
use crate::figure::{Colour, Content, Figure, Format, Mark, Panel, Rendered, Series};

/// Each engine's waveform of the first event signal with its event ticks
/// above it, and a panel of the time difference of every matched event.
///
/// # Errors
///
/// [`Error`] without an event signal, or when plotting fails.
pub fn overlay(report: &Report, runs: &[EngineRun], format: Format) -> Result<Rendered> {
    let what = "the verification overlay";
    let spec = report.events.first().ok_or_else(|| Error::new(what, "no event signal to plot"))?;
    let node = node_name(&spec.signal).to_string();
    let key = event_keys(&report.events).swap_remove(0);
    let tstop = report.tstop_s.unwrap_or(1.0);
    let unit = signal_unit(&spec.signal);
    let trace = |r: &EngineRun| -> Vec<(f64, f64)> {
        let v = r.waveforms.signals.iter().find(|(n, _)| n.eq_ignore_ascii_case(&node)).map(|(_, v)| v);
        v.map(|v| r.waveforms.time_s.iter().copied().zip(v.iter().copied()).collect()).unwrap_or_default()
    };
    let (lo, hi) = runs
        .iter()
        .flat_map(|r| trace(r).into_iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
    let (lo, hi) =
        if lo.is_finite() && hi > lo { (lo, hi) } else { (spec.threshold - 1.0, spec.threshold + 1.0) };
    let pad = 0.08 * (hi - lo);
    let mut series = Vec::new();
    for (k, r) in runs.iter().enumerate() {
        series.push(
            Series::new(Mark::Line, Colour::Palette(k), trace(r))
                .label(format!("{} waveform", r.report.name)),
        );
        // Event ticks above the waveforms, one row per engine.
        let row = hi + pad * (0.6 + 0.7 * k as f64);
        let ticks =
            r.report.events.get(&key).cloned().unwrap_or_default().into_iter().map(|t| (t, row)).collect();
        series.push(
            Series::new(Mark::Ticks { half: 0.25 * pad }, Colour::Palette(k), ticks)
                .label(format!("{} events", r.report.name)),
        );
    }
    let quantity_name = if unit == "V" { format!("v({node})") } else { spec.signal.clone() };
    let waves = Panel {
        title: format!("{}: {} (threshold {})", report.netlist, spec.signal, quantity(spec.threshold, unit)),
        x: Axis::new("time", "s").range(0.0, tstop),
        y: Axis::new(quantity_name, unit),
        content: Content::Series(series),
        height: 560,
    };
    let pairs: Vec<Series> = report
        .comparisons
        .iter()
        .enumerate()
        .filter_map(|(k, c)| {
            let s = c.signals.iter().find(|s| s.signal == key)?;
            let pts = s.comparison.matched.iter().map(|m| (m.reference_s, m.dt_s)).collect();
            Some(
                Series::new(Mark::Points, Colour::Palette(k + 1), pts)
                    .label(format!("{} − {}", c.other, c.reference)),
            )
        })
        .collect();
    let dt = Panel {
        title: "time difference per matched event".into(),
        x: Axis::new("event time", "s").range(0.0, tstop),
        y: Axis::new("dt", "s"),
        content: Content::Series(pairs),
        height: 340,
    };
    Figure { width: 1300, panels: vec![waves, dt] }.render(format, what)
}

/// One case of a reliability experiment, as [`rasters`] draws it.
#[derive(Debug, Clone, Copy)]
pub struct RasterCase<'a> {
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

/// Spike rasters with their PSTH, one raster above its PSTH per case.
/// `tstop` ends the time axis, `time_unit` is its unit (`s`, `model time
/// units`); spikes before `settle` (not analysed) are grey.
///
/// # Errors
///
/// [`Error`] when plotting fails.
pub fn rasters(
    cases: &[RasterCase<'_>],
    tstop: f64,
    settle: f64,
    time_unit: &str,
    format: Format,
) -> Result<Rendered> {
    // "model time units" -> "model time unit"; a symbol (`s`) stays as it is.
    let singular = if time_unit.len() > 2 { time_unit.trim_end_matches('s') } else { time_unit };
    let rate_unit = if time_unit == "s" { "1/s".to_string() } else { format!("1/{singular}") };
    let max_rate = cases.iter().flat_map(|c| c.psth_rate.iter().copied()).fold(0.0f64, f64::max).max(1e-12);
    let mut panels = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        let spikes = |early: bool| -> Vec<(f64, f64)> {
            c.trains
                .iter()
                .enumerate()
                .flat_map(|(i, t)| {
                    t.iter().filter(move |&&t| (t < settle) == early).map(move |&t| (t, i as f64))
                })
                .collect()
        };
        let n = c.trains.len().max(1) as f64;
        panels.push(Panel {
            title: c.title.to_string(),
            x: Axis::new("time", time_unit).range(0.0, tstop),
            y: Axis::new("trial", "").range(-0.5, n - 0.5),
            content: Content::Series(vec![
                Series::new(Mark::Ticks { half: 0.4 }, Colour::Palette(k), spikes(false)).label("spikes"),
                Series::new(Mark::Ticks { half: 0.4 }, Colour::Grey, spikes(true))
                    .label("before settle_time (not analysed)"),
            ]),
            height: 280,
        });
        let bars = c.psth_rate.iter().enumerate().filter(|(_, r)| **r > 0.0);
        let bars = bars.map(|(j, &r)| (c.psth_start + j as f64 * c.bin_width, r)).collect();
        panels.push(Panel {
            title: String::new(),
            x: Axis::new("time", time_unit).range(0.0, tstop),
            y: Axis::new("PSTH", rate_unit.clone()).range(0.0, 1.1 * max_rate),
            content: Content::Series(vec![
                Series::new(Mark::Spans, Colour::Shade, c.events.to_vec()).label("event windows"),
                Series::new(Mark::Bars { width: c.bin_width }, Colour::Palette(k), bars)
                    .label("PSTH (spikes per trial per unit time)"),
            ]),
            height: 200,
        });
    }
    Figure { width: 1300, panels }.render(format, "the rasters")
}
