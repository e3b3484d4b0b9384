//! Every kind of figure atscale writes, rendered from real data and decoded
//! again: the PNG is what its layout says, every panel has drawn content in
//! its series' colours, and every legend (or colour bar) sits in its strip,
//! clear of every panel's data.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use atscale_design::landscape::{classify, linspace};
use atscale_design::reliability::{run, ReliabilitySpec};
use atscale_explore::sweep::table::Table;
use atscale_render::figure::{Rect, PALETTE};
use atscale_render::plots::{design, sweep, verify};
use atscale_render::{Format, Rendered};
use atscale_verify::compare::{CompareOptions, Tolerances};
use atscale_verify::engines::{EngineRun, Waveforms};
use atscale_verify::events::EventSpec;
use atscale_verify::report::{EngineReport, EngineSettings, Report};

/// A decoded RGB image.
struct Image {
    w: usize,
    rgb: Vec<u8>,
}

fn decode(r: &Rendered) -> Image {
    let decoder = png::Decoder::new(std::io::Cursor::new(&r.bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("one frame");
    assert_eq!((info.width, info.height), r.size, "the PNG's size is the layout's");
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    Image { w: info.width as usize, rgb: buf }
}

impl Image {
    /// Pixels of `rect` whose colour is one of the palette's first `n`.
    fn palette_pixels(&self, rect: &Rect, n: usize) -> usize {
        let mut count = 0;
        for y in rect.y0.max(0) as usize..rect.y1.max(0) as usize {
            for x in rect.x0.max(0) as usize..rect.x1.max(0) as usize {
                let i = 3 * (y * self.w + x);
                if let Some(p) = self.rgb.get(i..i + 3) {
                    count += usize::from(PALETTE[..n].iter().any(|c| p == [c.0, c.1, c.2]));
                }
            }
        }
        count
    }

    /// Pixels of `rect` that are not white.
    fn ink(&self, rect: &Rect) -> usize {
        let mut count = 0;
        for y in rect.y0.max(0) as usize..rect.y1.max(0) as usize {
            for x in rect.x0.max(0) as usize..rect.x1.max(0) as usize {
                let i = 3 * (y * self.w + x);
                count += usize::from(self.rgb.get(i..i + 3).is_some_and(|p| p != [255, 255, 255]));
            }
        }
        count
    }
}

/// The checks every figure passes; `data` is how many panels hold series
/// drawn in palette colours, `legends` how many panels have a legend.
fn check(name: &str, r: &Rendered, panels: usize, legends: usize) {
    assert_eq!(r.panels.len(), panels, "{name}: panels");
    let img = decode(r);
    for (k, p) in r.panels.iter().enumerate() {
        assert!(
            p.plot.x1 - p.plot.x0 > 300 && p.plot.y1 - p.plot.y0 > 100,
            "{name}: panel {k} is {:?}",
            p.plot
        );
        let drawn = img.palette_pixels(&p.plot, PALETTE.len());
        assert!(drawn > 50, "{name}: panel {k} has {drawn} pixels of data");
    }
    let with_legend: Vec<&Rect> = r.panels.iter().filter_map(|p| p.legend.as_ref()).collect();
    assert_eq!(with_legend.len(), legends, "{name}: legends");
    for (k, legend) in with_legend.iter().enumerate() {
        for p in &r.panels {
            assert!(
                !legend.intersects(&p.plot),
                "{name}: legend {k} {legend:?} covers the data {:?}",
                p.plot
            );
        }
        assert!(img.ink(legend) > 100, "{name}: legend {k} is empty");
    }
}

fn engine_run(name: &str, shift: f64) -> EngineRun {
    let time_s: Vec<f64> = (0..2000).map(|k| k as f64 * 1e-4).collect();
    let v: Vec<f64> =
        time_s.iter().map(|t| 0.2 * (2.0 * std::f64::consts::PI * 50.0 * (t - shift)).sin()).collect();
    let events: Vec<f64> = (0..10).map(|k| 0.005 + 0.02 * k as f64 + shift).collect();
    EngineRun {
        report: EngineReport {
            name: name.into(),
            version: None,
            settings: EngineSettings::default(),
            wall_time_s: 0.01,
            events: BTreeMap::from([("v".to_string(), events)]),
            unmodelled: Vec::new(),
            measures: Vec::new(),
        },
        waveforms: Waveforms { time_s, signals: vec![("v".into(), v)] },
        native_stats: None,
    }
}

#[test]
fn verification_overlay() {
    let runs = vec![engine_run("native", 0.0), engine_run("ngspice", 2e-5)];
    let report = Report::assemble(
        "sine.cir",
        Some(0.2),
        vec![EventSpec::rising("v", 0.1, 0.05)],
        runs.iter().map(|r| r.report.clone()).collect(),
        &CompareOptions::default(),
        &Tolerances::default(),
    );
    let r = verify::overlay(&report, &runs, Format::Png).unwrap();
    check("overlay", &r, 2, 2);
}

#[test]
fn reliability_rasters() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/examples/reliability.toml"))
            .unwrap()
            .replace("trials = 30", "trials = 4");
    let spec = ReliabilitySpec::from_toml_str(&text, "reliability.toml").unwrap();
    let rel = run(&spec, &Default::default()).unwrap();
    let r = atscale_render::markdown::reliability::raster(&rel, Format::Png).unwrap();
    check("rasters", &r, 4, 4);
}

#[test]
fn landscape_and_designer_plots() {
    let fhn = atscale_circuit::builtin::fitzhugh_nagumo().check().unwrap().circuit;
    let c = classify(&fhn, "v", &linspace(-3.0, 3.0, 601)).unwrap();
    let units = design::Units { volt: 0.1, amp: 1e-10, second: 1e-3 };
    check("landscape", &design::landscape(&c, "fhn", units, Format::Png).unwrap(), 2, 2);
    let wave: Vec<(f64, f64)> = (0..500).map(|k| (k as f64 * 1e-4, (k as f64 * 0.05).sin() * 2.0)).collect();
    let sweep = [(0.5, 48.0), (1.0, 101.0), (2.0, 197.0)];
    let cmp = design::Comparison {
        technology: "generic-bsim4",
        transistor: &wave,
        behavioural: &wave,
        calibration: 1.05,
        sweep: &sweep,
    };
    check("comparison", &design::comparison(&cmp, Format::Png).unwrap(), 2, 2);
    // Without a sweep the comparison is one panel, not a half-empty canvas.
    let one = design::Comparison { sweep: &[], ..cmp };
    let r = design::comparison(&one, Format::Png).unwrap();
    check("comparison without a sweep", &r, 1, 1);
    assert_eq!(r.size, (1300, 480), "one panel's height");
    let pts: Vec<atscale_design::amplitude::ScalePoint> = [(2.0, 0.5), (5.0, 0.3), (-3.0, 0.2), (-8.0, 0.1)]
        .iter()
        .map(|&(a, w)| atscale_design::amplitude::ScalePoint {
            a_per_volt: a,
            log10_abs_a: f64::log10(f64::abs(a)),
            weight: w,
        })
        .collect();
    check("scale plot", &design::scale_plot(&pts, "N1", Format::Png).unwrap(), 1, 1);
    check(
        "fingerprint",
        &design::fingerprint(&[(0.0, 3), (0.01, 3), (0.1, 1), (1.0, 1)], "N1", Format::Png).unwrap(),
        1,
        1,
    );
    let curve = design::BodeCurve {
        label: "state 0".into(),
        points: (0..50).map(|k| (10f64.powf(k as f64 / 10.0), -(k as f64) / 20.0)).collect(),
    };
    check("bode", &design::bode(&[curve], "M1", Format::Png).unwrap(), 1, 1);
}

/// The voltage clamp's figure: measured points over predicted lines, one
/// colour per read time; the lines are drawn (more ink than the points alone).
#[test]
fn clamp_curves_over_their_prediction() {
    use atscale_design::clamp::{ClampCurve, Frame, Prediction, Protocol, ReadSpec, Timing};
    let fhn = atscale_circuit::builtin::fitzhugh_nagumo().check().unwrap().circuit;
    let m = atscale_design::landscape::Membrane::new(&fhn, "v").unwrap();
    let specs = [ReadSpec::Instant, ReadSpec::After { t_s: 15.625 }, ReadSpec::Steady];
    let p = Protocol::new(
        "v",
        -0.8,
        &linspace(-3.0, 3.0, 21),
        &specs,
        Timing::from_timescales(15.625, 15.625, 1e-8),
    )
    .unwrap();
    let predicted = Prediction { membrane: &m, frame: Frame::IDENTITY }.curves(&p);
    let measured: Vec<ClampCurve> = predicted
        .iter()
        .map(|c| {
            ClampCurve::new(c.read, &c.v_volt, &c.current_a.iter().map(|i| 1.05 * i).collect::<Vec<_>>())
        })
        .collect();
    let reads: Vec<design::ClampRead<'_>> = measured
        .iter()
        .zip(&predicted)
        .map(|(m, p)| design::ClampRead { measured: m, predicted: Some(p) })
        .collect();
    let plot =
        design::ClampPlot { title: "fhn", engine: "native", predicted_from: "its landscape", reads: &reads };
    let both = design::clamp(&plot, Format::Png).unwrap();
    check("clamp", &both, 2, 2);
    let alone: Vec<design::ClampRead<'_>> =
        measured.iter().map(|m| design::ClampRead { measured: m, predicted: None }).collect();
    let only = design::clamp(&design::ClampPlot { reads: &alone, ..plot }, Format::Png).unwrap();
    check("clamp without a prediction", &only, 2, 2);
    let ink = |r: &Rendered| decode(r).palette_pixels(&r.panels[0].plot, 3);
    assert!(ink(&both) > ink(&only) + 1000, "lines {} against points alone {}", ink(&both), ink(&only));
}

fn table(meta: &str, columns: &str, rows: &[String]) -> Table {
    let text = format!("# atscale sweep results\n{meta}{columns}\n{}\n", rows.join("\n"));
    Table::parse(&text, "t.csv").unwrap()
}

#[test]
fn sweep_curves_heatmaps_and_histograms() {
    // An f-I curve with silent points: drawn at 0 Hz.
    let rows: Vec<String> = (0..21)
        .map(|k| {
            let i = k as f64 * 1e-10;
            let rate = if k < 8 { String::new() } else { format!("{}", 50.0 + 5.0 * k as f64) };
            format!("{k},1,{i},{rate},ok,,")
        })
        .collect();
    let t = table(
        "# points: 21\n# parameters: Iext\n# metrics: firing_rate\n# monte_carlo: none\n",
        "point,seed,Iext [A],firing_rate [Hz],status,error,verify",
        &rows,
    );
    let c = sweep::curve(&t, 2, 3, Format::Png).unwrap();
    check("f-I curve", &c, 1, 1);
    let img = decode(&c);
    let grey = atscale_render::figure::GREY;
    let p = c.panels[0].plot;
    let greys = (p.y0..p.y1)
        .flat_map(|y| (p.x0..p.x1).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let i = 3 * (y as usize * img.w + x as usize);
            img.rgb[i..i + 3] == [grey.0, grey.1, grey.2]
        })
        .count();
    assert!(greys > 50, "the silent points are drawn ({greys} grey pixels)");
    // A heatmap over two parameters with two classes.
    let rows: Vec<String> = (0..36)
        .map(|k| {
            let (a, b) = ((k % 6) as f64, (k / 6) as f64);
            let class = if a + b > 5.0 { "tonic" } else { "silent" };
            format!("{k},1,{a},{b},{},{class},ok,,", a * b)
        })
        .collect();
    let t = table(
        "# points: 36\n# parameters: a|b\n# metrics: firing_rate|activity\n# monte_carlo: none\n",
        "point,seed,a [1],b [1],firing_rate [Hz],activity [class],status,error,verify",
        &rows,
    );
    let h = sweep::heatmap(&t, 2, 3, 4, Some(5), Format::Png).unwrap();
    assert_eq!(h.panels.len(), 1);
    let img = decode(&h);
    assert!(img.ink(&h.panels[0].plot) > 100_000, "the cells are drawn");
    let bar = h.panels[0].legend.expect("a colour bar");
    assert!(!bar.intersects(&h.panels[0].plot) && img.ink(&bar) > 1000, "colour bar {bar:?}");
    // A Monte Carlo histogram.
    let rows: Vec<String> =
        (0..200).map(|k| format!("{k},{k},{}", 100.0 + (k as f64 * 0.7).sin() * 5.0) + ",ok,,").collect();
    let t = table(
        "# points: 200\n# parameters: \n# metrics: firing_rate\n# monte_carlo: 200 samples\n",
        "point,seed,firing_rate [Hz],status,error,verify",
        &rows,
    );
    check("histogram", &sweep::histogram(&t, 2, Format::Png).unwrap(), 1, 1);
}

#[test]
fn svg_output_is_a_document() {
    let pts = [(0.0, 3), (0.01, 3), (0.1, 1)];
    let r = design::fingerprint(&pts, "N1", Format::Svg).unwrap();
    let text = String::from_utf8(r.bytes).unwrap();
    assert!(text.starts_with("<svg") && text.contains("critical points"), "{}", &text[..200.min(text.len())]);
}
