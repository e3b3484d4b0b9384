//! Plots of the designer: energy landscapes per timescale, voltage-clamp
//! curves over their prediction, the
//! realisation's comparison with its design, and the amplitude and time
//! scale analyses of one element (`atscale scale`).

use atscale_design::amplitude::ScalePoint;
use atscale_design::clamp::ClampCurve;
use atscale_design::landscape::Classification;
use atscale_design::spec::behaviour_name;

use crate::axis::{si, Axis};
use crate::error::Result;
use crate::figure::{Colour, Content, Figure, Format, Mark, Panel, Rendered, Series};

/// The units of a classification: the volt, ampere and second it is
/// written in, as multiples of V, A and s. A designed circuit's mother is
/// in model units and is shown physically through its scales; a netlist's
/// circuit is already in V, A and s ([`Units::PHYSICAL`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Units {
    /// One voltage unit, V.
    pub volt: f64,
    /// One current unit, A.
    pub amp: f64,
    /// One time unit, s.
    pub second: f64,
}

impl Units {
    /// A circuit in V, A and s.
    pub const PHYSICAL: Units = Units { volt: 1.0, amp: 1.0, second: 1.0 };
}

fn timescale(tau: f64) -> String {
    if tau == 0.0 {
        "instantaneous".into()
    } else if tau.is_infinite() {
        "coarsest (steady state)".into()
    } else {
        si(tau, "s")
    }
}

/// The I-V curves and potentials of a classification per timescale, in V,
/// A and W (the potential `∫ I dv`).
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn landscape(c: &Classification, title: &str, u: Units, format: Format) -> Result<Rendered> {
    let behaviour = behaviour_name(c.behaviour);
    let curves = |f: &dyn Fn(&atscale_design::landscape::IvCurve) -> &Vec<f64>, scale: f64| -> Vec<Series> {
        c.curves
            .iter()
            .enumerate()
            .map(|(k, curve)| {
                let pts = curve.v_volt.iter().zip(f(curve)).map(|(v, y)| (v * u.volt, y * scale)).collect();
                Series::new(Mark::Line, Colour::Palette(k), pts)
                    .label(format!("timescale {}", timescale(curve.tau_s * u.second)))
            })
            .collect()
    };
    let iv = Panel {
        title: format!("{title}: I-V curve per timescale ({behaviour})"),
        x: Axis::new("membrane voltage", "V"),
        y: Axis::new("current out of the membrane", "A"),
        content: Content::Series(curves(&|k| &k.current_a, u.amp)),
        height: 450,
    };
    let energy = Panel {
        title: format!("{title}: energy landscape per timescale"),
        x: Axis::new("membrane voltage", "V"),
        y: Axis::new("potential ∫ I dv", "W"),
        content: Content::Series(curves(&|k| &k.potential_j, u.amp * u.volt)),
        height: 450,
    };
    Figure { width: 1300, panels: vec![iv, energy] }.render(format, "the landscape")
}

/// One read time of a voltage clamp: the measured curve and the predicted one, when known.
#[derive(Debug, Clone, Copy)]
pub struct ClampRead<'a> {
    /// The measured curve.
    pub measured: &'a ClampCurve,
    /// The prediction's curve on the same voltages.
    pub predicted: Option<&'a ClampCurve>,
}

/// What [`clamp`] draws.
#[derive(Debug, Clone, Copy)]
pub struct ClampPlot<'a> {
    /// The circuit's name.
    pub title: &'a str,
    /// The engine the runs were made in.
    pub engine: &'a str,
    /// Where the predicted curves come from, in a few words (`the design`).
    pub predicted_from: &'a str,
    /// One entry per read time.
    pub reads: &'a [ClampRead<'a>],
}

/// A voltage clamp's I-V curves and potentials per read time: the measured
/// points over the predicted lines, one colour per read time.
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn clamp(c: &ClampPlot<'_>, format: Format) -> Result<Rendered> {
    let series = |f: &dyn Fn(&ClampCurve) -> &Vec<f64>| -> Vec<Series> {
        let mut out = Vec::new();
        for (k, r) in c.reads.iter().enumerate() {
            let pts =
                |curve: &ClampCurve| curve.v_volt.iter().copied().zip(f(curve).iter().copied()).collect();
            let label = r.measured.read.label();
            if let Some(p) = r.predicted {
                out.push(
                    Series::new(Mark::Line, Colour::Palette(k), pts(p)).label(format!("{label}: predicted")),
                );
            }
            out.push(
                Series::new(Mark::Points, Colour::Palette(k), pts(r.measured))
                    .label(format!("{label}: clamp ({})", c.engine)),
            );
        }
        out
    };
    let what = if c.reads.iter().any(|r| r.predicted.is_some()) {
        format!("{} (points) over {} (lines)", c.engine, c.predicted_from)
    } else {
        format!("{}, no prediction", c.engine)
    };
    let iv = Panel {
        title: format!("{}: voltage clamp, {what}", c.title),
        x: Axis::new("clamped voltage", "V"),
        y: Axis::new("clamp current (out of the membrane)", "A"),
        content: Content::Series(series(&|k| &k.current_a)),
        height: 480,
    };
    let energy = Panel {
        title: format!("{}: potential per read time", c.title),
        x: Axis::new("clamped voltage", "V"),
        y: Axis::new("potential ∫ I dv", "W"),
        content: Content::Series(series(&|k| &k.potential_j)),
        height: 480,
    };
    Figure { width: 1300, panels: vec![iv, energy] }.render(format, "the clamp plot")
}

/// What [`comparison`] draws of a realisation.
#[derive(Debug, Clone, Copy)]
pub struct Comparison<'a> {
    /// The technology's name.
    pub technology: &'a str,
    /// The transistor circuit's membrane: time (s, divided by the
    /// calibration factor) and model volts.
    pub transistor: &'a [(f64, f64)],
    /// The behavioural design's membrane at the realised time scale: time (s) and model volts.
    pub behavioural: &'a [(f64, f64)],
    /// The time-scale calibration factor.
    pub calibration: f64,
    /// The bias sweep's `(bias scale, rate in Hz)` points.
    pub sweep: &'a [(f64, f64)],
}

/// The realisation's membrane against its behavioural design, and (with
/// two or more bias scales) the bias sweep against rate ∝ bias.
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn comparison(c: &Comparison<'_>, format: Format) -> Result<Rendered> {
    let tstop = c.transistor.last().map_or(1.0, |p| p.0);
    let mut panels = vec![Panel {
        title: format!(
            "membrane: transistor circuit (time / {:.3}) against the behavioural design",
            c.calibration
        ),
        x: Axis::new("time, transistor time calibrated", "s").range(0.0, tstop),
        y: Axis::new("membrane", "model V"),
        content: Content::Series(vec![
            Series::new(Mark::Line, Colour::Palette(0), c.behavioural.to_vec())
                .label("behavioural design (native)"),
            Series::new(Mark::Line, Colour::Palette(1), c.transistor.to_vec())
                .label(format!("transistor circuit ({}, ngspice)", c.technology)),
        ]),
        height: 480,
    }];
    if c.sweep.len() >= 2 {
        let (k0, r0) = c.sweep[0];
        let xs = c.sweep.iter().map(|p| p.0);
        let (x0, x1) = xs.clone().fold((f64::INFINITY, 0.0f64), |(a, b), x| (a.min(x), b.max(x)));
        let theory = vec![(0.8 * x0, r0 * 0.8 * x0 / k0), (1.25 * x1, r0 * 1.25 * x1 / k0)];
        panels.push(Panel {
            title: "bias sweep: firing rate against bias scale".into(),
            x: Axis::new("bias scale (all bias currents)", "").log(),
            y: Axis::new("rate", "Hz").log(),
            content: Content::Series(vec![
                Series::new(Mark::Line, Colour::Palette(0), theory).label("theory: rate ∝ bias"),
                Series::new(Mark::Points, Colour::Palette(1), c.sweep.to_vec())
                    .label("transistor circuit (ngspice)"),
            ]),
            height: 420,
        });
    }
    Figure { width: 1300, panels }.render(format, "the realisation comparison")
}

/// The scale plot of a softplus fit: summed weight against slope `|a|`, per sign.
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn scale_plot(pts: &[ScalePoint], title: &str, format: Format) -> Result<Rendered> {
    let side = |positive: bool, k: usize, label: &str| {
        let p: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| (p.a_per_volt > 0.0) == positive)
            .map(|p| (p.a_per_volt.abs(), p.weight))
            .collect();
        [
            Series::new(Mark::Line, Colour::Palette(k), p.clone()).label(label),
            Series::new(Mark::Points, Colour::Palette(k), p),
        ]
    };
    let mut series = side(true, 0, "slope a > 0").to_vec();
    series.extend(side(false, 1, "slope a < 0"));
    let panel = Panel {
        title: format!("{title}: scale plot"),
        x: Axis::new("slope |a|", "1/V").log(),
        y: Axis::new("summed weight", ""),
        content: Content::Series(series),
        height: 700,
    };
    Figure { width: 1300, panels: vec![panel] }.render(format, "the scale plot")
}

/// The amplitude fingerprint: critical points against smoothing scale.
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn fingerprint(rows: &[(f64, usize)], title: &str, format: Format) -> Result<Rendered> {
    let pts: Vec<(f64, f64)> = rows.iter().filter(|r| r.0 > 0.0).map(|&(s, n)| (s, n as f64)).collect();
    let nmax = rows.iter().map(|r| r.1).max().unwrap_or(1) as f64;
    let panel = Panel {
        title: format!("{title}: amplitude fingerprint"),
        x: Axis::new("smoothing scale", "V").log(),
        y: Axis::new("critical points", "").range(-0.2, nmax + 1.0),
        content: Content::Series(vec![
            Series::new(Mark::Line, Colour::Palette(0), pts.clone()).label("critical points"),
            Series::new(Mark::Points, Colour::Palette(0), pts),
        ]),
        height: 700,
    };
    Figure { width: 1300, panels: vec![panel] }.render(format, "the fingerprint")
}

/// One state's Bode magnitude: `(ω in rad/s, log10 |G|)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct BodeCurve {
    /// Legend entry (`state 0 (τ = 10 ms)`).
    pub label: String,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

/// Bode magnitudes of a memristive element's states.
///
/// # Errors
///
/// [`Error`](crate::Error) when plotting fails.
pub fn bode(curves: &[BodeCurve], title: &str, format: Format) -> Result<Rendered> {
    let series = curves
        .iter()
        .enumerate()
        .map(|(k, c)| Series::new(Mark::Line, Colour::Palette(k), c.points.clone()).label(c.label.clone()))
        .collect();
    let panel = Panel {
        title: format!("{title}: Bode magnitude"),
        x: Axis::new("angular frequency ω", "rad/s").log(),
        y: Axis::new("log10 |G|", ""),
        content: Content::Series(series),
        height: 700,
    };
    Figure { width: 1300, panels: vec![panel] }.render(format, "the Bode plot")
}
