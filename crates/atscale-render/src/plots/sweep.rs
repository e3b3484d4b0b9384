//! Plots of a sweep's results table: a heatmap of a metric over two
//! parameters with the boundaries between behaviour classes, a curve of
//! each metric over one parameter (the f-I curve when the parameter is a
//! current, its silent points at 0 Hz), and Monte Carlo histograms. An
//! axis is logarithmic when its parameter spans more than two decades.

use std::collections::BTreeMap;

use atscale_explore::sweep::summary::stats;
use atscale_explore::sweep::table::{column_name, column_unit, Table};

use crate::axis::{quantity, Axis};
use crate::error::{Error, Result};
use crate::figure::{Colour, Content, Figure, Format, Heatmap, Mark, Panel, Rendered, Series};

/// The axis of a column: its name and unit (a unit of `1` or `x nominal`
/// reads as a plain number), logarithmic over more than two decades.
fn axis(t: &Table, column: usize, values: &[f64]) -> Axis {
    let c = &t.header.columns[column];
    let unit = match column_unit(c) {
        "1" => "",
        u => u,
    };
    let a = Axis::new(column_name(c), unit);
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo > 0.0 && hi / lo > 100.0 {
        a.log()
    } else {
        a
    }
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

/// Cell edges of sorted distinct centres (midpoints, half a step beyond the
/// ends; geometric on a log axis).
fn edges(c: &[f64], log: bool) -> Vec<f64> {
    let m: Vec<f64> = c.iter().map(|v| if log { v.log10() } else { *v }).collect();
    let mut e = if m.len() == 1 {
        vec![m[0] - 0.5, m[0] + 0.5]
    } else {
        let mut e = vec![m[0] - 0.5 * (m[1] - m[0])];
        e.extend(m.windows(2).map(|w| 0.5 * (w[0] + w[1])));
        e.push(m[m.len() - 1] + 0.5 * (m[m.len() - 1] - m[m.len() - 2]));
        e
    };
    if log {
        e.iter_mut().for_each(|x| *x = 10f64.powf(*x));
    }
    e
}

/// A heatmap of column `metric` over columns `x` and `y`, with black lines
/// between neighbouring cells of different `class` (a class column).
///
/// # Errors
///
/// [`Error`] when plotting fails.
pub fn heatmap(
    t: &Table,
    x: usize,
    y: usize,
    metric: usize,
    class: Option<usize>,
    format: Format,
) -> Result<Rendered> {
    let (xs, ys, zs) = (t.numbers(x), t.numbers(y), t.numbers(metric));
    let cls: Vec<&str> = class.map(|c| t.cells(c)).unwrap_or_default();
    let xv: Vec<f64> = xs.iter().flatten().copied().collect();
    let yv: Vec<f64> = ys.iter().flatten().copied().collect();
    let (ax, ay) = (axis(t, x, &xv), axis(t, y, &yv));
    let (dx, dy) = (distinct(&xv), distinct(&yv));
    let (ex, ey) = (edges(&dx, ax.log), edges(&dy, ay.log));
    // Cell means and majority classes.
    let mut sum: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
    let mut votes: BTreeMap<(usize, usize), BTreeMap<String, usize>> = BTreeMap::new();
    for k in 0..xs.len() {
        let (Some(xk), Some(yk)) = (xs[k], ys[k]) else { continue };
        let cell = (index_of(&dx, xk), index_of(&dy, yk));
        if let Some(z) = zs[k].filter(|z| z.is_finite()) {
            let e = sum.entry(cell).or_insert((0.0, 0));
            e.0 += z;
            e.1 += 1;
        }
        if let Some(c) = cls.get(k).filter(|c| !c.is_empty()) {
            *votes.entry(cell).or_default().entry((*c).to_string()).or_insert(0) += 1;
        }
    }
    let classes: BTreeMap<(usize, usize), String> = votes
        .iter()
        .filter_map(|(k, v)| v.iter().max_by_key(|(_, n)| **n).map(|(c, _)| (*k, c.clone())))
        .collect();
    let cells = (0..dx.len())
        .flat_map(|i| (0..dy.len()).map(move |j| (i, j)))
        .map(|(i, j)| (ex[i], ex[i + 1], ey[j], ey[j + 1], sum.get(&(i, j)).map(|(s, n)| s / *n as f64)))
        .collect();
    let mut boundaries = Vec::new();
    for ((i, j), c) in &classes {
        if classes.get(&(i + 1, *j)).is_some_and(|r| r != c) {
            boundaries.push([(ex[i + 1], ey[*j]), (ex[i + 1], ey[j + 1])]);
        }
        if classes.get(&(*i, j + 1)).is_some_and(|u| u != c) {
            boundaries.push([(ex[*i], ey[j + 1]), (ex[i + 1], ey[j + 1])]);
        }
    }
    let mut centres: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
    for ((i, j), c) in &classes {
        let e = centres.entry(c.as_str()).or_insert((0.0, 0.0, 0));
        e.0 += dx[*i];
        e.1 += dy[*j];
        e.2 += 1;
    }
    let labels =
        centres.iter().map(|(c, (sx, sy, n))| (c.to_string(), (sx / *n as f64, sy / *n as f64))).collect();
    let cz = &t.header.columns[metric];
    let z = Axis::new(column_name(cz), column_unit(cz));
    let title = format!("{} over {} and {}", column_name(cz), ax.quantity, ay.quantity);
    let panel = Panel {
        title,
        x: ax,
        y: ay,
        content: Content::Heatmap(Heatmap { cells, boundaries, labels, z }),
        height: 850,
    };
    let what = format!("the heatmap of {}", column_name(cz));
    Figure { width: 1300, panels: vec![panel] }.render(format, &what)
}

/// Column `metric` over column `x`: every point, and a line through the
/// mean at each distinct `x`. A rate (Hz) without a value at a point that
/// ran (`status` ok) is a silent neuron: drawn at 0 Hz as an open circle,
/// so the jump of a type-II neuron's f-I curve shows.
///
/// # Errors
///
/// [`Error`] when plotting fails.
pub fn curve(t: &Table, x: usize, metric: usize, format: Format) -> Result<Rendered> {
    let xs = t.numbers(x);
    let ys = t.numbers(metric);
    let (cx, cy) = (&t.header.columns[x], &t.header.columns[metric]);
    let rate = column_unit(cy) == "Hz";
    let status = t.header.column("status").map(|c| t.cells(c)).unwrap_or_default();
    let ran = |k: usize| status.get(k).is_none_or(|s| *s == "ok");
    let mut points = Vec::new();
    let mut silent = Vec::new();
    for k in 0..xs.len() {
        match (xs[k], ys[k]) {
            (Some(a), Some(b)) if a.is_finite() && b.is_finite() => points.push((a, b)),
            (Some(a), None) if rate && ran(k) && a.is_finite() => silent.push((a, 0.0)),
            _ => {}
        }
    }
    let mut by_x: BTreeMap<u64, (f64, f64, usize)> = BTreeMap::new();
    for (a, b) in points.iter().chain(&silent) {
        let e = by_x.entry(a.to_bits()).or_insert((*a, 0.0, 0));
        e.1 += b;
        e.2 += 1;
    }
    let mut means: Vec<(f64, f64)> = by_x.values().map(|(a, s, n)| (*a, s / *n as f64)).collect();
    means.sort_by(|p, q| p.0.total_cmp(&q.0));
    let all_x: Vec<f64> = xs.iter().flatten().copied().collect();
    let title = if column_name(cy) == "firing_rate" && column_unit(cx) == "A" {
        format!("f-I curve: firing rate over {}", column_name(cx))
    } else {
        format!("{} over {}", column_name(cy), column_name(cx))
    };
    let mut series = vec![
        Series::new(Mark::Points, Colour::Palette(0), points).label("points"),
        Series::new(Mark::Line, Colour::Palette(1), means).label("mean at each value"),
    ];
    if !silent.is_empty() {
        series.push(Series::new(Mark::Rings, Colour::Grey, silent).label("silent (no spikes): 0 Hz"));
    }
    let panel = Panel {
        title,
        x: axis(t, x, &all_x),
        y: axis(t, metric, &[]),
        content: Content::Series(series),
        height: 700,
    };
    Figure { width: 1300, panels: vec![panel] }.render(format, "the curve")
}

/// A histogram of column `metric`, with its mean and spread in the title.
///
/// # Errors
///
/// [`Error`] when the column has no value or plotting fails.
pub fn histogram(t: &Table, metric: usize, format: Format) -> Result<Rendered> {
    let v: Vec<f64> = t.numbers(metric).into_iter().flatten().collect();
    let column = &t.header.columns[metric];
    values_histogram(column_name(column), column_unit(column), &v, format)
}

/// A histogram of `v` (a quantity `name` in `unit`, `1` for none; the
/// values that are not finite left out), with its mean and spread in the title.
///
/// # Errors
///
/// [`Error`] when no value is finite or plotting fails.
pub fn values_histogram(name: &str, unit: &str, v: &[f64], format: Format) -> Result<Rendered> {
    let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    let values: Vec<Option<f64>> = v.iter().map(|x| Some(*x)).collect();
    let what = format!("the histogram of {name}");
    let s = stats(name, unit, &values).ok_or_else(|| Error::new(&what, "no point has a value"))?;
    let lo = s.min;
    let span = if s.max > s.min { s.max - s.min } else { s.min.abs().max(1.0) * 0.1 };
    let bins = ((v.len() as f64).sqrt().ceil() as usize).clamp(10, 50);
    let width = span / bins as f64;
    let mut counts = vec![0usize; bins];
    for x in &v {
        counts[(((x - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1) as f64;
    let u = if unit == "1" { "" } else { unit };
    let panel = Panel {
        title: format!(
            "{name}: mean {}, std {} ({} points)",
            quantity(s.mean, u),
            quantity(s.std, u),
            s.count
        ),
        x: Axis::new(name, u),
        y: Axis::new("points", ""),
        content: Content::Series(vec![
            Series::new(
                Mark::Bars { width },
                Colour::Palette(0),
                counts.iter().enumerate().map(|(k, c)| (lo + width * k as f64, *c as f64)).collect(),
            )
            .label("points per bin"),
            Series::new(Mark::Line, Colour::Palette(1), vec![(s.mean, 0.0), (s.mean, 1.05 * top)])
                .label("mean"),
        ]),
        height: 700,
    };
    Figure { width: 1300, panels: vec![panel] }.render(format, &what)
}

/// The plots of a results table, as `(file name, bytes)` in `format`: with two
/// parameters a heatmap of `metric` (default `firing_rate`, else the first
/// numeric metric) with class boundaries (`landscape_class`, else
/// `activity`); with one parameter a curve per numeric metric; with a Monte
/// Carlo table a histogram per numeric metric.
///
/// # Errors
///
/// [`Error`] for an unknown `metric` or a failed plot.
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
        Some(m) => Some(numeric.iter().find(|(n, _)| n == m).map(|(_, c)| *c).ok_or_else(|| {
            Error::new(
                format!("a plot of `{m}`"),
                format!(
                    "the table has no numeric metric `{m}` with values (it has {})",
                    numeric.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?),
        None => numeric.iter().find(|(n, _)| n == "firing_rate").or(numeric.first()).map(|(_, c)| *c),
    };
    let ext = format.extension();
    let mut out = Vec::new();
    if params.len() >= 2 {
        if let Some(z) = chosen {
            let class = h.column("landscape_class").or(h.column("activity"));
            let name = format!("heatmap-{}.{ext}", column_name(&h.columns[z]));
            out.push((name, heatmap(t, params[0], params[1], z, class, format)?.bytes));
        }
    } else if params.len() == 1 {
        for (name, c) in &numeric {
            out.push((format!("curve-{name}.{ext}"), curve(t, params[0], *c, format)?.bytes));
        }
    }
    if h.get("monte_carlo").is_some_and(|m| m != "none") {
        for (name, c) in &numeric {
            out.push((format!("hist-{name}.{ext}"), histogram(t, *c, format)?.bytes));
        }
    }
    Ok(out)
}
