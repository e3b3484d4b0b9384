//! The one way a plot is drawn: a [`Figure`] of stacked [`Panel`]s, each a
//! chart of [`Series`] over two [`Axis`]es with its legend in a strip
//! beside the chart (never over the data), or a heatmap with its colour
//! bar there. One palette, one font (DejaVu Sans, shipped in
//! `assets/fonts`, so no system font library is needed), PNG (encoded in
//! memory) or SVG.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::axis::{Axis, Scale};
use crate::error::{Error, Result};

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const FONT: &str = "sans-serif";

/// The colours of successive series.
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
];
/// Secondary marks (spikes before the analysis window, silent points).
pub const GREY: RGBColor = RGBColor(150, 150, 150);
/// Shaded spans (event windows).
pub const SHADE: RGBColor = RGBColor(255, 224, 170);
/// Width of the strip beside a chart that holds its legend or colour bar, pixels.
pub const STRIP: u32 = 300;

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

/// A colour of the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// The `k`-th colour of [`PALETTE`] (wrapping).
    Palette(usize),
    /// [`GREY`].
    Grey,
    /// [`SHADE`].
    Shade,
}

impl Colour {
    /// The colour.
    pub fn rgb(self) -> RGBColor {
        match self {
            Colour::Palette(k) => PALETTE[k % PALETTE.len()],
            Colour::Grey => GREY,
            Colour::Shade => SHADE,
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A line through the points (broken where a point is not finite).
    Line,
    /// Filled dots.
    Points,
    /// Open circles (points that stand for something else: a silent neuron at 0 Hz).
    Rings,
    /// A vertical tick `±half` (y units) at each point: spike rasters and event ticks.
    Ticks {
        /// Half the tick's height, in y units.
        half: f64,
    },
    /// A bar from 0 (the axis bottom on a log axis) to `y`, from `x` to `x + width`.
    Bars {
        /// Bar width, x units.
        width: f64,
    },
    /// A band over the whole height from `x` to `y` (x units): shaded windows.
    Spans,
}

/// One series of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its legend entry (`None`: not in the legend).
    pub label: Option<String>,
    /// Its colour.
    pub colour: Colour,
    /// How it is drawn.
    pub mark: Mark,
    /// Its points, in the axes' units.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series without a legend entry.
    pub fn new(mark: Mark, colour: Colour, points: Vec<(f64, f64)>) -> Series {
        Series { label: None, colour, mark, points }
    }

    /// The same series with a legend entry.
    pub fn label(mut self, label: impl Into<String>) -> Series {
        self.label = Some(label.into());
        self
    }
}

/// A heatmap: cells coloured by value, lines between cells of different
/// classes, class names, and a colour bar in the strip.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Cells `(x0, x1, y0, y1, value)` in axis units; `None`: no value (grey).
    pub cells: Vec<(f64, f64, f64, f64, Option<f64>)>,
    /// Boundary segments between classes, axis units.
    pub boundaries: Vec<[(f64, f64); 2]>,
    /// Class names at their centres, axis units.
    pub labels: Vec<(String, (f64, f64))>,
    /// The colour bar's axis (its range: the values').
    pub z: Axis,
}

/// What a panel holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// Series, with a legend of the labelled ones.
    Series(Vec<Series>),
    /// A heatmap.
    Heatmap(Heatmap),
}

/// One chart of a figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// What it shows.
    pub content: Content,
    /// Height, pixels.
    pub height: u32,
}

/// A figure: panels stacked top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Width, pixels.
    pub width: u32,
    /// The panels.
    pub panels: Vec<Panel>,
}

/// A rectangle of pixels, `x0..x1` by `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left.
    pub x0: i32,
    /// Top.
    pub y0: i32,
    /// Right (exclusive).
    pub x1: i32,
    /// Bottom (exclusive).
    pub y1: i32,
}

impl Rect {
    /// Whether the rectangles share a pixel.
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
}

/// Where a panel was drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelLayout {
    /// The plotting area (inside the axes).
    pub plot: Rect,
    /// The legend or colour bar, when drawn.
    pub legend: Option<Rect>,
}

/// A rendered figure: its bytes and where each panel went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// PNG or SVG bytes.
    pub bytes: Vec<u8>,
    /// Width and height, pixels.
    pub size: (u32, u32),
    /// Each panel's layout, top to bottom.
    pub panels: Vec<PanelLayout>,
}

fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    if *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()) {
        Ok(())
    } else {
        Err(Error::new("a plot", "the shipped DejaVu Sans font could not be loaded"))
    }
}

impl Figure {
    /// Width and height, pixels.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.panels.iter().map(|p| p.height).sum::<u32>().max(1))
    }

    /// Renders the figure; `what` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error`] when the font cannot be loaded or plotting fails.
    pub fn render(&self, format: Format, what: &str) -> Result<Rendered> {
        ensure_font()?;
        let (w, h) = self.size();
        let err = |e: String| Error::new(what, e);
        match format {
            Format::Png => {
                let mut rgb = vec![0u8; w as usize * h as usize * 3];
                let panels = {
                    let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
                    let panels = self.draw(&root).map_err(err)?;
                    root.present().map_err(|e| err(e.to_string()))?;
                    panels
                };
                Ok(Rendered { bytes: encode_png(&rgb, w, h).map_err(err)?, size: (w, h), panels })
            }
            Format::Svg => {
                let mut text = String::new();
                let panels = {
                    let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
                    let panels = self.draw(&root).map_err(err)?;
                    root.present().map_err(|e| err(e.to_string()))?;
                    panels
                };
                Ok(Rendered { bytes: text.into_bytes(), size: (w, h), panels })
            }
        }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<Vec<PanelLayout>, String> {
        root.fill(&WHITE).map_err(s)?;
        let mut rest = root.clone();
        let mut out = Vec::new();
        for p in &self.panels {
            let (area, below) = rest.split_vertically(p.height);
            out.push(p.draw(&area)?);
            rest = below;
        }
        Ok(out)
    }
}

fn s(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(s)?;
        writer.write_image_data(rgb).map_err(s)?;
    }
    Ok(out)
}

fn rect_of(range: (std::ops::Range<i32>, std::ops::Range<i32>)) -> Rect {
    Rect { x0: range.0.start, x1: range.0.end, y0: range.1.start, y1: range.1.end }
}

impl Panel {
    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<PanelLayout, String> {
        let strip = match &self.content {
            Content::Series(series) => series.iter().any(|x| x.label.is_some()),
            Content::Heatmap(_) => true,
        };
        let (width, _) = area.dim_in_pixel();
        let (main, side) = if strip && width > 2 * STRIP {
            let (a, b) = area.split_horizontally(width - STRIP);
            (a, Some(b))
        } else {
            (area.clone(), None)
        };
        let (xs, ys) = self.scales();
        let mut chart = ChartBuilder::on(&main)
            .caption(&self.title, (FONT, 19))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(95)
            .build_cartesian_2d(xs.lo..xs.hi, ys.lo..ys.hi)
            .map_err(s)?;
        let heat = matches!(self.content, Content::Heatmap(_));
        let xf = |c: &f64| xs.tick(*c);
        let yf = |c: &f64| ys.tick(*c);
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(xs.title())
            .y_desc(ys.title())
            .x_label_formatter(&xf)
            .y_label_formatter(&yf)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(235, 235, 235));
        if heat {
            mesh.disable_mesh();
        }
        mesh.draw().map_err(s)?;
        let plot = rect_of(chart.plotting_area().get_pixel_range());
        let legend = match &self.content {
            Content::Series(series) => {
                for x in series {
                    draw_series(&mut chart, x, &xs, &ys)?;
                }
                match side {
                    Some(side) => Some(draw_legend(&side, series, plot.y0)?),
                    None => None,
                }
            }
            Content::Heatmap(h) => {
                draw_heatmap(&mut chart, h, &xs, &ys)?;
                match side {
                    Some(side) => Some(draw_colour_bar(&side, h, plot)?),
                    None => None,
                }
            }
        };
        Ok(PanelLayout { plot, legend })
    }

    fn scales(&self) -> (Scale, Scale) {
        match &self.content {
            Content::Series(series) => {
                let bars = series.iter().any(|x| matches!(x.mark, Mark::Bars { .. }));
                let xs = series.iter().flat_map(|x| {
                    let extra = match x.mark {
                        Mark::Bars { width } => x.points.iter().map(|p| p.0 + width).collect(),
                        Mark::Spans => x.points.iter().map(|p| p.1).collect(),
                        _ => Vec::new(),
                    };
                    x.points.iter().map(|p| p.0).chain(extra)
                });
                let ys = series.iter().filter(|x| x.mark != Mark::Spans).flat_map(|x| {
                    let half = match x.mark {
                        Mark::Ticks { half } => half,
                        _ => 0.0,
                    };
                    x.points.iter().flat_map(move |p| [p.1 - half, p.1 + half])
                });
                (Scale::new(&self.x, xs, false), Scale::new(&self.y, ys, bars))
            }
            Content::Heatmap(h) => (
                Scale::new(&self.x, h.cells.iter().flat_map(|c| [c.0, c.1]), false),
                Scale::new(&self.y, h.cells.iter().flat_map(|c| [c.2, c.3]), false),
            ),
        }
    }
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn draw_series<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    series: &Series,
    xs: &Scale,
    ys: &Scale,
) -> std::result::Result<(), String> {
    let c = series.colour.rgb();
    let map = |p: &(f64, f64)| Some((xs.map(p.0)?, ys.map(p.1)?));
    match series.mark {
        Mark::Line => {
            // Broken where a point is off the axes' domain.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for p in &series.points {
                match map(p) {
                    Some(q) => run.push(q),
                    None if run.is_empty() => {}
                    None => {
                        chart
                            .draw_series(LineSeries::new(std::mem::take(&mut run), c.stroke_width(2)))
                            .map_err(s)?;
                    }
                }
            }
            chart.draw_series(LineSeries::new(run, c.stroke_width(2))).map_err(s)?;
        }
        Mark::Points => {
            chart
                .draw_series(series.points.iter().filter_map(map).map(|q| Circle::new(q, 4, c.filled())))
                .map_err(s)?;
        }
        Mark::Rings => {
            chart
                .draw_series(
                    series.points.iter().filter_map(map).map(|q| Circle::new(q, 5, c.stroke_width(2))),
                )
                .map_err(s)?;
        }
        Mark::Ticks { half } => {
            let ticks = series.points.iter().filter_map(|&(x, y)| {
                Some(PathElement::new(
                    vec![(xs.map(x)?, ys.map(y - half)?), (xs.map(x)?, ys.map(y + half)?)],
                    c.stroke_width(2),
                ))
            });
            chart.draw_series(ticks).map_err(s)?;
        }
        Mark::Bars { width } => {
            let base = if ys.lo > 0.0 || ys.hi < 0.0 { ys.lo } else { 0.0 };
            let bars = series.points.iter().filter_map(|&(x, y)| {
                Some(Rectangle::new([(xs.map(x)?, base), (xs.map(x + width)?, ys.map(y)?)], c.filled()))
            });
            chart.draw_series(bars).map_err(s)?;
        }
        Mark::Spans => {
            let spans = series.points.iter().filter_map(|&(a, b)| {
                Some(Rectangle::new([(xs.map(a)?, ys.lo), (xs.map(b)?, ys.hi)], c.mix(0.7).filled()))
            });
            chart.draw_series(spans).map_err(s)?;
        }
    }
    Ok(())
}

/// Splits a legend label into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(l) if l.chars().count() + 1 + word.chars().count() <= width => {
                l.push(' ');
                l.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn draw_legend<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    series: &[Series],
    top: i32,
) -> std::result::Result<Rect, String> {
    let (ox, oy) = (side.get_base_pixel().0, side.get_base_pixel().1);
    let mut y = (top - oy).max(10) + 8;
    let x = 16;
    let start = y - 12;
    for entry in series.iter().filter(|e| e.label.is_some()) {
        let c = entry.colour.rgb();
        match entry.mark {
            Mark::Points => side.draw(&Circle::new((x + 12, y), 5, c.filled())).map_err(s)?,
            Mark::Rings => side.draw(&Circle::new((x + 12, y), 5, c.stroke_width(2))).map_err(s)?,
            Mark::Bars { .. } | Mark::Spans => {
                side.draw(&Rectangle::new([(x + 2, y - 7), (x + 22, y + 7)], c.filled())).map_err(s)?
            }
            Mark::Ticks { .. } => side
                .draw(&PathElement::new(vec![(x + 12, y - 8), (x + 12, y + 8)], c.stroke_width(2)))
                .map_err(s)?,
            Mark::Line => {
                side.draw(&PathElement::new(vec![(x, y), (x + 24, y)], c.stroke_width(3))).map_err(s)?
            }
        }
        for line in wrap(entry.label.as_deref().unwrap_or(""), 30) {
            side.draw(&Text::new(line, (x + 34, y - 8), (FONT, 15))).map_err(s)?;
            y += 19;
        }
        y += 8;
    }
    let (w, _) = side.dim_in_pixel();
    Ok(Rect { x0: ox + x - 4, y0: oy + start, x1: ox + w as i32 - 4, y1: oy + y })
}

/// The viridis colour map at `u` in 0..1.
pub fn viridis(u: f64) -> RGBColor {
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

fn z_range(h: &Heatmap) -> (f64, f64) {
    let z = Scale::new(&h.z, h.cells.iter().filter_map(|c| c.4), false);
    (z.lo, z.hi)
}

fn draw_heatmap<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    h: &Heatmap,
    xs: &Scale,
    ys: &Scale,
) -> std::result::Result<(), String> {
    let (zlo, zhi) = z_range(h);
    let cell = |&(x0, x1, y0, y1, z): &(f64, f64, f64, f64, Option<f64>)| {
        let colour = z.map_or(RGBColor(210, 210, 210), |z| viridis((z - zlo) / (zhi - zlo)));
        Some(Rectangle::new([(xs.map(x0)?, ys.map(y0)?), (xs.map(x1)?, ys.map(y1)?)], colour.filled()))
    };
    chart.draw_series(h.cells.iter().filter_map(cell)).map_err(s)?;
    let line = |seg: &[(f64, f64); 2]| {
        let a = (xs.map(seg[0].0)?, ys.map(seg[0].1)?);
        let b = (xs.map(seg[1].0)?, ys.map(seg[1].1)?);
        Some(PathElement::new(vec![a, b], BLACK.stroke_width(3)))
    };
    chart.draw_series(h.boundaries.iter().filter_map(line)).map_err(s)?;
    let text = |(name, (x, y)): &(String, (f64, f64))| {
        Some(Text::new(name.clone(), (xs.map(*x)?, ys.map(*y)?), (FONT, 18).into_font().color(&WHITE)))
    };
    chart.draw_series(h.labels.iter().filter_map(text)).map_err(s)?;
    Ok(())
}

fn draw_colour_bar<DB: DrawingBackend>(
    side: &DrawingArea<DB, Shift>,
    h: &Heatmap,
    plot: Rect,
) -> std::result::Result<Rect, String> {
    let (zlo, zhi) = z_range(h);
    let z = Scale::new(&h.z.clone().range(zlo, zhi), std::iter::empty(), false);
    let oy = side.get_base_pixel().1;
    let mut bar = ChartBuilder::on(side)
        .margin_top((plot.y0 - oy).max(0) as u32)
        .margin_bottom(60)
        .margin_right(150)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..1.0, zlo..zhi)
        .map_err(s)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(z.title())
        .y_label_formatter(&|v| z.tick(*v))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(s)?;
    let n = 100;
    bar.draw_series((0..n).map(|k| {
        let a = zlo + (zhi - zlo) * k as f64 / n as f64;
        let b = zlo + (zhi - zlo) * (k + 1) as f64 / n as f64;
        Rectangle::new([(0.0, a), (1.0, b)], viridis(k as f64 / (n - 1) as f64).filled())
    }))
    .map_err(s)?;
    Ok(rect_of(bar.plotting_area().get_pixel_range()))
}
