//! Plots of a results table (PNG, plotters): a heatmap of a metric over two
//! parameters with the boundaries between behaviour classes, a curve of
//! each metric over one parameter (the f-I curve when the parameter is a
//! current), and Monte Carlo histograms. Axes carry units; an axis is
//! logarithmic when its parameter spans more than two decades.

use std::collections::BTreeMap;

use atscale_verify::plot::{plot_error, png_bytes, svg_bytes, COLOURS};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::table::{column_name, column_unit, Table};
use crate::error::{Error, Result};

fn err(what: &str) -> impl Fn(atscale_verify::Error) -> Error + '_ {
    move |e| Error::Plot { what: what.to_string(), reason: e.to_string() }
}

/// The file format of a plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// PNG bitmap.
    #[default]
    Png,
    /// SVG document.
    Svg,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// A plot that can draw itself on any plotters backend.
trait Figure {
    /// Width and height, pixels.
    fn size(&self) -> (u32, u32);
    /// Draws onto `root`.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String>;
}

fn render(f: &impl Figure, format: Format, what: &str) -> Result<Vec<u8>> {
    let size = f.size();
    match format {
        Format::Png => png_bytes(|path| {
            let root = BitMapBackend::new(path, size).into_drawing_area();
            f.draw(&root).map_err(plot_error)?;
            root.present().map_err(plot_error)
        }),
        Format::Svg => svg_bytes(size, |root| {
            f.draw(&root).map_err(plot_error)?;
            root.present().map_err(plot_error)
        }),
    }
    .map_err(err(what))
}

fn e(x: impl std::fmt::Display) -> String {
    x.to_string()
}

/// An axis: linear, or log10 of the values.
#[derive(Debug, Clone, Copy)]
struct Axis {
    log: bool,
}

impl Axis {
    fn of(values: &[f64]) -> Axis {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Axis { log: lo > 0.0 && hi / lo > 100.0 }
    }
    fn map(self, x: f64) -> f64 {
        if self.log {
            x.log10()
        } else {
            x
        }
    }
    fn label(self, x: f64) -> String {
        tick(if self.log { 10f64.powf(x) } else { x })
    }
}

/// A tick label: plain for moderate magnitudes, scientific otherwise.
fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-3..1e4).contains(&a) {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.2e}")
    }
}

fn axis_title(column: &str) -> String {
    let unit = column_unit(column);
    match unit {
        "" | "1" => column_name(column).to_string(),
        u => format!("{} ({u})", column_name(column)),
    }
}

fn viridis(u: f64) -> RGBColor {
    const A: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let u = if u.is_finite() { u.clamp(0.0, 1.0) } else { 0.0 };
    let h = u * 4.0;
    let k = (h.floor() as usize).min(3);
    let w = h - k as f64;
    let mix = |a: f64, b: f64| (a + w * (b - a)).round() as u8;
    RGBColor(mix(A[k].0, A[k + 1].0), mix(A[k].1, A[k + 1].1), mix(A[k].2, A[k + 1].2))
}

fn range(v: &[f64]) -> (f64, f64) {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi > lo {
        (lo, hi)
    } else {
        let d = if lo == 0.0 { 1.0 } else { 0.05 * lo.abs() };
        (lo - d, hi + d)
    }
}

/// Cell edges of sorted distinct centres (midpoints, half a step beyond the ends).
fn edges(c: &[f64]) -> Vec<f64> {
    if c.len() == 1 {
        return vec![c[0] - 0.5, c[0] + 0.5];
    }
    let mut e = vec![c[0] - 0.5 * (c[1] - c[0])];
    e.extend(c.windows(2).map(|w| 0.5 * (w[0] + w[1])));
    e.push(c[c.len() - 1] + 0.5 * (c[c.len() - 1] - c[c.len() - 2]));
    e
}

fn distinct(v: &[f64]) -> Vec<f64> {
    let mut d = v.to_vec();
    d.sort_by(f64::total_cmp);
    d.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * a.abs().max(b.abs()));
    d
}

fn index_of(d: &[f64], x: f64) -> usize {
    d.iter().position(|v| (v - x).abs() <= 1e-12 * v.abs().max(x.abs())).unwrap_or(0)
}

struct Heatmap {
    title: String,
    x_title: String,
    y_title: String,
    z_title: String,
    ax: Axis,
    ay: Axis,
    ex: Vec<f64>,
    ey: Vec<f64>,
    dx: Vec<f64>,
    dy: Vec<f64>,
    means: BTreeMap<(usize, usize), f64>,
    classes: BTreeMap<(usize, usize), String>,
    z: (f64, f64),
}

impl Figure for Heatmap {
    fn size(&self) -> (u32, u32) {
        (1100, 850)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let (ex, ey, dx, dy) = (&self.ex, &self.ey, &self.dx, &self.dy);
        let (ax, ay) = (self.ax, self.ay);
        let (zlo, zhi) = self.z;
        root.fill(&WHITE).map_err(e)?;
        let (main, bar) = root.split_horizontally(960);
        let mut chart = ChartBuilder::on(&main)
            .caption(&self.title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(55)
            .y_label_area_size(100)
            .build_cartesian_2d(ex[0]..ex[ex.len() - 1], ey[0]..ey[ey.len() - 1])
            .map_err(e)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(self.x_title.as_str())
            .y_desc(self.y_title.as_str())
            .x_label_formatter(&|v| ax.label(*v))
            .y_label_formatter(&|v| ay.label(*v))
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(e)?;
        let grey = RGBColor(200, 200, 200);
        let cells = (0..dx.len()).flat_map(|i| (0..dy.len()).map(move |j| (i, j)));
        chart
            .draw_series(cells.map(|(i, j)| {
                let colour = self.means.get(&(i, j)).map_or(grey, |z| viridis((z - zlo) / (zhi - zlo)));
                Rectangle::new([(ex[i], ey[j]), (ex[i + 1], ey[j + 1])], colour.filled())
            }))
            .map_err(e)?;
        // Class boundaries: shared edges of neighbouring cells of different classes.
        let mut lines = Vec::new();
        for ((i, j), c) in &self.classes {
            if self.classes.get(&(i + 1, *j)).is_some_and(|r| r != c) {
                lines.push(vec![(ex[i + 1], ey[*j]), (ex[i + 1], ey[j + 1])]);
            }
            if self.classes.get(&(*i, j + 1)).is_some_and(|u| u != c) {
                lines.push(vec![(ex[*i], ey[j + 1]), (ex[i + 1], ey[j + 1])]);
            }
        }
        chart
            .draw_series(lines.into_iter().map(|l| PathElement::new(l, BLACK.stroke_width(3))))
            .map_err(e)?;
        // Class names at the centre of their cells.
        let mut centres: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
        for ((i, j), c) in &self.classes {
            let entry = centres.entry(c.as_str()).or_insert((0.0, 0.0, 0));
            entry.0 += dx[*i];
            entry.1 += dy[*j];
            entry.2 += 1;
        }
        chart
            .draw_series(centres.iter().map(|(c, (sx, sy, n))| {
                Text::new(
                    c.to_string(),
                    (sx / *n as f64, sy / *n as f64),
                    ("sans-serif", 20).into_font().color(&WHITE),
                )
            }))
            .map_err(e)?;
        // Colour bar.
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(60)
            .margin_bottom(70)
            .margin_right(10)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..1.0, zlo..zhi)
            .map_err(e)?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_desc(self.z_title.as_str())
            .y_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(e)?;
        let n = 100;
        cb.draw_series((0..n).map(|k| {
            let a = zlo + (zhi - zlo) * k as f64 / n as f64;
            let b = zlo + (zhi - zlo) * (k + 1) as f64 / n as f64;
            Rectangle::new([(0.0, a), (1.0, b)], viridis(k as f64 / (n - 1) as f64).filled())
        }))
        .map_err(e)?;
        Ok(())
    }
}

/// A heatmap of column `metric` over columns `x` and `y`, with black lines
/// between neighbouring cells of different `class` (a class column).
///
/// # Errors
///
/// [`Error::Plot`] when plotting fails.
pub fn heatmap(
    t: &Table,
    x: usize,
    y: usize,
    metric: usize,
    class: Option<usize>,
    format: Format,
) -> Result<Vec<u8>> {
    let xs: Vec<Option<f64>> = t.numbers(x);
    let ys: Vec<Option<f64>> = t.numbers(y);
    let zs: Vec<Option<f64>> = t.numbers(metric);
    let cls: Vec<&str> = class.map(|c| t.cells(c)).unwrap_or_default();
    let xv: Vec<f64> = xs.iter().flatten().copied().collect();
    let yv: Vec<f64> = ys.iter().flatten().copied().collect();
    let (ax, ay) = (Axis::of(&xv), Axis::of(&yv));
    let dx = distinct(&xv.iter().map(|v| ax.map(*v)).collect::<Vec<_>>());
    let dy = distinct(&yv.iter().map(|v| ay.map(*v)).collect::<Vec<_>>());
    // Cell means and majority classes.
    let mut sum: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
    let mut votes: BTreeMap<(usize, usize), BTreeMap<String, usize>> = BTreeMap::new();
    for k in 0..xs.len() {
        let (Some(xk), Some(yk)) = (xs[k], ys[k]) else { continue };
        let cell = (index_of(&dx, ax.map(xk)), index_of(&dy, ay.map(yk)));
        if let Some(z) = zs[k].filter(|z| z.is_finite()) {
            let entry = sum.entry(cell).or_insert((0.0, 0));
            entry.0 += z;
            entry.1 += 1;
        }
        if let Some(c) = cls.get(k).filter(|c| !c.is_empty()) {
            *votes.entry(cell).or_default().entry((*c).to_string()).or_insert(0) += 1;
        }
    }
    let means: BTreeMap<(usize, usize), f64> = sum.iter().map(|(k, (s, n))| (*k, s / *n as f64)).collect();
    let classes: BTreeMap<(usize, usize), String> = votes
        .iter()
        .filter_map(|(k, v)| v.iter().max_by_key(|(_, n)| **n).map(|(c, _)| (*k, c.clone())))
        .collect();
    let z = range(&means.values().copied().collect::<Vec<_>>());
    let (cx, cy, cz) = (&t.header.columns[x], &t.header.columns[y], &t.header.columns[metric]);
    let h = Heatmap {
        title: format!("{} over {} and {}", axis_title(cz), column_name(cx), column_name(cy)),
        x_title: axis_title(cx),
        y_title: axis_title(cy),
        z_title: axis_title(cz),
        ax,
        ay,
        ex: edges(&dx),
        ey: edges(&dy),
        dx,
        dy,
        means,
        classes,
        z,
    };
    render(&h, format, "the heatmap")
}

struct Curve {
    title: String,
    x_title: String,
    y_title: String,
    ax: Axis,
    points: Vec<(f64, f64)>,
    means: Vec<(f64, f64)>,
    x: (f64, f64),
    y: (f64, f64),
}

impl Figure for Curve {
    fn size(&self) -> (u32, u32) {
        (1000, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let ax = self.ax;
        let pad = 0.05 * (self.y.1 - self.y.0);
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(14)
            .x_label_area_size(55)
            .y_label_area_size(100)
            .build_cartesian_2d(self.x.0..self.x.1, (self.y.0 - pad)..(self.y.1 + pad))
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(self.x_title.as_str())
            .y_desc(self.y_title.as_str())
            .x_label_formatter(&|v| ax.label(*v))
            .y_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(e)?;
        chart.draw_series(self.points.iter().map(|p| Circle::new(*p, 3, COLOURS[0].filled()))).map_err(e)?;
        chart.draw_series(LineSeries::new(self.means.clone(), COLOURS[1].stroke_width(2))).map_err(e)?;
        Ok(())
    }
}

/// Column `metric` over column `x`: every point, and a line through the
/// mean at each distinct `x`.
///
/// # Errors
///
/// [`Error::Plot`] when plotting fails.
pub fn curve(t: &Table, x: usize, metric: usize, format: Format) -> Result<Vec<u8>> {
    let pts: Vec<(f64, f64)> = t
        .numbers(x)
        .into_iter()
        .zip(t.numbers(metric))
        .filter_map(|(a, b)| Some((a?, b?)))
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    let ax = Axis::of(&pts.iter().map(|p| p.0).collect::<Vec<_>>());
    let mapped: Vec<(f64, f64)> = pts.iter().map(|(a, b)| (ax.map(*a), *b)).collect();
    let mut by_x: BTreeMap<u64, (f64, f64, usize)> = BTreeMap::new();
    for (a, b) in &mapped {
        let entry = by_x.entry(a.to_bits()).or_insert((*a, 0.0, 0));
        entry.1 += b;
        entry.2 += 1;
    }
    let mut means: Vec<(f64, f64)> = by_x.values().map(|(a, s, n)| (*a, s / *n as f64)).collect();
    means.sort_by(|p, q| p.0.total_cmp(&q.0));
    let all_x: Vec<f64> = t.numbers(x).into_iter().flatten().map(|v| ax.map(v)).collect();
    let (cx, cy) = (&t.header.columns[x], &t.header.columns[metric]);
    let c = Curve {
        title: if column_name(cy) == "firing_rate" && column_unit(cx) == "A" {
            format!("f-I curve: firing rate over {}", column_name(cx))
        } else {
            format!("{} over {}", column_name(cy), column_name(cx))
        },
        x_title: axis_title(cx),
        y_title: axis_title(cy),
        ax,
        x: range(&all_x),
        y: range(&mapped.iter().map(|p| p.1).collect::<Vec<_>>()),
        points: mapped,
        means,
    };
    render(&c, format, "the curve")
}

struct Histogram {
    title: String,
    x_title: String,
    lo: f64,
    width: f64,
    counts: Vec<usize>,
    mean: f64,
}

impl Figure for Histogram {
    fn size(&self) -> (u32, u32) {
        (1000, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> std::result::Result<(), String> {
        let top = self.counts.iter().copied().max().unwrap_or(1) as f64;
        let hi = self.lo + self.width * self.counts.len() as f64;
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 20))
            .margin(14)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(self.lo..hi, 0.0..(1.1 * top))
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(self.x_title.as_str())
            .y_desc("points (1)")
            .x_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", 15))
            .draw()
            .map_err(e)?;
        chart
            .draw_series(self.counts.iter().enumerate().map(|(k, c)| {
                let a = self.lo + self.width * k as f64;
                Rectangle::new([(a, 0.0), (a + self.width, *c as f64)], COLOURS[0].mix(0.8).filled())
            }))
            .map_err(e)?;
        let mean_line =
            PathElement::new(vec![(self.mean, 0.0), (self.mean, 1.1 * top)], COLOURS[1].stroke_width(2));
        chart.draw_series(std::iter::once(mean_line)).map_err(e)?;
        Ok(())
    }
}

/// A histogram of column `metric`, with its mean and spread in the caption.
///
/// # Errors
///
/// [`Error::Plot`] when the column has no value or plotting fails.
pub fn histogram(t: &Table, metric: usize, format: Format) -> Result<Vec<u8>> {
    let v: Vec<f64> = t.numbers(metric).into_iter().flatten().filter(|x| x.is_finite()).collect();
    let column = &t.header.columns[metric];
    let values: Vec<Option<f64>> = v.iter().map(|x| Some(*x)).collect();
    let Some(s) = super::summary::stats(column_name(column), column_unit(column), &values) else {
        return Err(Error::Plot {
            what: format!("the histogram of {column}"),
            reason: "no point has a value".into(),
        });
    };
    let (lo, hi) = range(&v);
    let bins = ((v.len() as f64).sqrt().ceil() as usize).clamp(10, 50);
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for x in &v {
        counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let unit = column_unit(column);
    let h = Histogram {
        title: format!(
            "{}: mean {} {unit}, std {} {unit} ({} points)",
            column_name(column),
            tick(s.mean),
            tick(s.std),
            s.count
        ),
        x_title: axis_title(column),
        lo,
        width,
        counts,
        mean: s.mean,
    };
    render(&h, format, "the histogram")
}

/// The plots of a results table, as `(file name, bytes)` in `format`: with two
/// parameters a heatmap of `metric` (default `firing_rate`, else the first
/// numeric metric) with class boundaries (`landscape_class`, else
/// `activity`); with one parameter a curve per numeric metric; with a Monte
/// Carlo table a histogram per numeric metric.
///
/// # Errors
///
/// [`Error::Plot`] for an unknown `metric` or a failed plot.
pub fn plots(t: &Table, metric: Option<&str>, format: Format) -> Result<Vec<(String, Vec<u8>)>> {
    let h = &t.header;
    let params: Vec<usize> = h.parameters().iter().filter_map(|p| h.column(p)).collect();
    let numeric: Vec<(String, usize)> = h
        .metrics()
        .into_iter()
        .filter_map(|m| h.column(&m).map(|c| (m, c)))
        .filter(|(_, c)| column_unit(&h.columns[*c]) != "class")
        .filter(|(_, c)| t.numbers(*c).iter().any(Option::is_some))
        .collect();
    let chosen = match metric {
        Some(m) => {
            Some(numeric.iter().find(|(n, _)| n == m).map(|(_, c)| *c).ok_or_else(|| Error::Plot {
                what: format!("a plot of `{m}`"),
                reason: format!(
                    "the table has no numeric metric `{m}` with values (it has {})",
                    numeric.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })?)
        }
        None => numeric.iter().find(|(n, _)| n == "firing_rate").or(numeric.first()).map(|(_, c)| *c),
    };
    let mut out = Vec::new();
    if params.len() >= 2 {
        if let Some(z) = chosen {
            let class = h.column("landscape_class").or(h.column("activity"));
            let name = format!("heatmap-{}.{}", column_name(&h.columns[z]), format.extension());
            out.push((name, heatmap(t, params[0], params[1], z, class, format)?));
        }
    } else if params.len() == 1 {
        for (name, c) in &numeric {
            out.push((format!("curve-{name}.{}", format.extension()), curve(t, params[0], *c, format)?));
        }
    }
    if h.get("monte_carlo").is_some_and(|m| m != "none") {
        for (name, c) in &numeric {
            out.push((format!("hist-{name}.{}", format.extension()), histogram(t, *c, format)?));
        }
    }
    Ok(out)
}
