//! `atscale clamp INPUT --node v`: the landscape measured as a voltage
//! clamp. The node is held at a holding potential, stepped to each voltage
//! of a grid by an ideal source, and the source's current read at chosen
//! times after the step, in any engine; the measured I-V curves and
//! potentials are set against what the circuit's own landscape (or the
//! design it was realised from) predicts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use atscale_circuit::units::si;
use atscale_circuit::{Analysis, FlatCircuit};
use atscale_design::clamp::{
    check_node, ClampCurve, ClampTolerances, Frame, Prediction, Protocol, ReadSpec, Timing,
    INSTANT_FRACTION_ALGEBRAIC, INSTANT_FRACTION_DEVICES,
};
use atscale_design::landscape::{linspace, Membrane, Nature};
use atscale_design::realise::mapping::Ladder;
use atscale_design::realise::{RealisedScales, RunSettings, SubcktDevice};
use atscale_design::spec::Design;
use atscale_explore::clamp::{measure, ClampEngine, ClampRequest, Measured, RealisedDeck};
use atscale_explore::realise::library_setup;
use atscale_render::plots::design::{clamp as clamp_plot, ClampPlot, ClampRead};
use atscale_render::Format;
use atscale_verify::limits::Limits;
use serde::{Deserialize, Serialize};

use crate::output::write_atomically;

/// Arguments of `atscale clamp`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// An ngspice netlist, a circuit file (.json/.toml), a design.json written
    /// by `atscale design`, or the folder `atscale realise` wrote.
    input: PathBuf,
    /// The node to clamp. Default: the design's or realisation's membrane, else `v`.
    #[arg(long, value_name = "NODE")]
    node: Option<String>,
    /// When to read the clamp current after the step, comma-separated:
    /// `instant`, `steady`, or times in seconds (SPICE suffixes). Default:
    /// instant, each timescale of the prediction (one time constant after
    /// the step), steady.
    #[arg(long, value_name = "LIST")]
    timescales: Option<String>,
    /// Step voltages from LO to HI, V (SPICE suffixes). Default: -3..3 model
    /// units of a design or realisation, else -3..3 V.
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    range: Option<String>,
    /// Number of step voltages (one transient each).
    #[arg(long, default_value_t = 41, value_name = "N")]
    points: usize,
    /// Holding potential, V (SPICE suffixes). Default: the operating point
    /// of the predicted landscape (`atscale landscape`'s).
    #[arg(long, value_name = "VOLTS", allow_hyphen_values = true)]
    hold: Option<String>,
    /// The design (`design.json`) whose curves are drawn as predicted. Default:
    /// a realisation's own design, else the input's own landscape.
    #[arg(long, value_name = "DESIGN.json")]
    design: Option<PathBuf>,
    /// Engine: native (default), ngspice or vacask.
    #[arg(long, default_value = "native", value_name = "ENGINE")]
    engine: String,
    /// Relative tolerance of every run [default: 1e-9, the absolute ones
    /// following it at the prediction's scales; for a circuit with devices
    /// (transistors, diodes) the netlist's tolerances, else 1e-6].
    #[arg(long, value_name = "R")]
    reltol: Option<String>,
    /// Write the measured and predicted I-V curves and potentials (PNG).
    #[arg(long, value_name = "FILE.png")]
    plot: Option<PathBuf>,
    /// Overwrite the plot if it exists.
    #[arg(long)]
    force: bool,
    /// Print the protocol and curves as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Wall-clock limit of each run, s.
    #[arg(long, default_value = "600", value_name = "SECONDS")]
    timeout: String,
}

/// The validated arguments.
struct Config {
    engine: ClampEngine,
    range: Option<(f64, f64)>,
    hold: Option<f64>,
    specs: Option<Vec<ReadSpec>>,
    reltol: Option<f64>,
    limits: Limits,
}

impl Args {
    fn config(&self) -> Result<Config> {
        let engine = match self.engine.trim().to_ascii_lowercase().as_str() {
            "native" => ClampEngine::Native,
            "ngspice" => ClampEngine::Ngspice,
            "vacask" => ClampEngine::Vacask,
            other => bail!("--engine `{other}`: expected native, ngspice or vacask"),
        };
        if !(3..=10_000).contains(&self.points) {
            bail!("--points {}: from 3 to 10000 step voltages", self.points);
        }
        let number = |flag: &str, t: &str| {
            atscale_spice::number::parse_number(t).map_err(|e| anyhow::anyhow!("{flag} `{t}`: {e}"))
        };
        let hold = self.hold.as_deref().map(|h| number("--hold", h)).transpose()?;
        if let Some(h) = hold.filter(|h| !(h.is_finite() && h.abs() <= 1e3)) {
            bail!("--hold {h}: a holding potential within -1 kV..1 kV");
        }
        let reltol = self.reltol.as_deref().map(|r| number("--reltol", r)).transpose()?;
        if let Some(r) = reltol.filter(|r| !(*r > 0.0 && *r < 1.0)) {
            bail!("--reltol {r}: must lie strictly between 0 and 1");
        }
        if let Some(p) = &self.plot {
            atscale_files::check_target(p, self.force)?;
        }
        let timeout = crate::run_args::timeout("--timeout", &self.timeout)?;
        Ok(Config {
            engine,
            range: self.range.as_deref().map(|r| crate::run_args::voltage_range("--range", r)).transpose()?,
            hold,
            specs: self.timescales.as_deref().map(parse_timescales).transpose()?,
            reltol,
            limits: Limits { timeout, ..Limits::default() },
        })
    }
}

/// `instant`, `steady` and times in seconds, comma-separated.
fn parse_timescales(text: &str) -> Result<Vec<ReadSpec>> {
    let mut out = Vec::new();
    for item in text.split(',').map(str::trim) {
        out.push(match item.to_ascii_lowercase().as_str() {
            "instant" | "instantaneous" => ReadSpec::Instant,
            "steady" | "slowest" => ReadSpec::Steady,
            t => {
                let t_s = atscale_spice::number::parse_number(t)
                    .map_err(|e| anyhow::anyhow!("--timescales `{text}`: `{item}`: {e}"))?;
                if !(t_s > 0.0 && t_s.is_finite()) {
                    bail!("--timescales `{text}`: `{item}` is not instant, steady or a positive time in seconds");
                }
                ReadSpec::After { t_s }
            }
        });
    }
    Ok(out)
}

/// What predicts the clamp's curves.
struct Predicted {
    membrane: Membrane,
    frame: Frame,
    /// Where it comes from, for the report.
    from: String,
    /// The same in a few words, for the plot.
    short: &'static str,
}

/// The circuit to clamp and what goes with it.
struct Loaded {
    circuit: FlatCircuit,
    analysis: Analysis,
    /// The default step range, V.
    range: (f64, f64),
    /// The default node.
    node: String,
    prediction: Option<Predicted>,
    /// Whether the circuit's own fast elements are algebraic (it reads as a membrane).
    algebraic: bool,
    warnings: Vec<String>,
    /// Why there is no prediction, when there is none.
    note: Option<String>,
    /// How a realisation's netlist is written (a realise folder).
    realised: Option<RealisedDeck>,
}

/// The part of `atscale realise`'s report.json the clamp reads.
#[derive(Deserialize)]
struct RealiseReport {
    design: String,
    /// The `--tech` of `atscale realise` (absent from older reports: the
    /// technology's name is used).
    #[serde(default)]
    technology_source: Option<String>,
    realisation: RealisationPart,
}

/// What `realised.cir` is written from: the transistor circuit, its
/// devices, library and options, and the realisation's scales.
#[derive(Deserialize)]
struct RealisationPart {
    technology: String,
    temperature_c: f64,
    library: Option<(String, Option<String>)>,
    #[serde(default)]
    device_subckts: Vec<SubcktDevice>,
    circuit: FlatCircuit,
    membrane: String,
    scales: RealisedScales,
    ladder: Option<Ladder>,
    run: RunSettings,
}

impl RealisationPart {
    /// The netlist's options (as `realised.cir` has them).
    fn analysis(&self) -> Analysis {
        // The models' seed is a Monte Carlo draw's, not the netlist's.
        let run = RunSettings { seed: None, ..self.run.clone() };
        Analysis { options: atscale_explore::realise::run_options(&run), ..Analysis::default() }
    }

    /// How its netlist is written: the library resolved as `atscale
    /// realise` resolves it (a built-in PDK's under `ATSCALE_PDK_ROOT`, a
    /// technology file's relative to it), the technology loaded from
    /// `source` (the `--tech` it was made with) or else its name.
    fn deck(&self, source: Option<&str>) -> Result<RealisedDeck> {
        let dir = match &self.library {
            Some((path, _)) if Path::new(path).is_relative() => {
                let source = source.unwrap_or(&self.technology);
                let (tech, dir) = crate::realise::tech_from(source).with_context(|| {
                    format!("the model library {path} of technology {source} (relative to it)")
                })?;
                if tech.engine != atscale_design::realise::Engine::Ngspice {
                    bail!(
                        "technology {} runs in {} (its library is in VACASK's language, realised.sim): \
                         clamping its realisation is not supported yet",
                        self.technology,
                        tech.engine
                    );
                }
                dir
            }
            _ => None,
        };
        let setup = library_setup(self.library.as_ref(), self.temperature_c, dir.as_deref())?;
        Ok(RealisedDeck { device_subckts: self.device_subckts.clone(), ladder: self.ladder.clone(), setup })
    }
}

fn read_design(path: &Path) -> Result<Design> {
    let text = crate::input::read_text(path, "the design")?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a design.json written by `atscale design`", path.display()))
}

/// A design's physical circuit, predicted by its own landscape.
fn design_prediction(design: &Design, path: &Path) -> Result<Predicted> {
    let membrane = Membrane::new(&design.physical, &design.membrane)
        .with_context(|| format!("the landscape of {}", path.display()))?;
    Ok(Predicted {
        membrane,
        frame: Frame::IDENTITY,
        from: format!("the design {}", path.display()),
        short: "the design",
    })
}

/// The folder `atscale realise` wrote: `realised.cir`, and the design's
/// mother seen through the realisation's scales.
fn load_realisation(dir: &Path, design: Option<&Path>) -> Result<Loaded> {
    let report_path = dir.join("report.json");
    let text = crate::input::read_text(&report_path, "the realisation's report")?;
    let report: RealiseReport = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a report.json written by `atscale realise`", report_path.display())
    })?;
    let design_path = design.map_or_else(|| PathBuf::from(&report.design), Path::to_path_buf);
    if design.is_none() && !design_path.is_file() {
        bail!(
            "{} names the design {}, which is not a file here; pass it with --design",
            report_path.display(),
            design_path.display()
        );
    }
    let d = read_design(&design_path)?;
    let membrane = Membrane::new(&d.mother, &d.membrane)
        .with_context(|| format!("the landscape of {}", design_path.display()))?;
    let r = report.realisation;
    let s = r.scales;
    let frame = Frame { v_offset_v: s.v_ref_v, v_scale: s.s_volt, t_scale: s.omega_s, i_scale: s.current_a };
    let from =
        format!("the design {} (mother at the {} realisation's scales)", design_path.display(), r.technology);
    Ok(Loaded {
        analysis: r.analysis(),
        realised: Some(r.deck(report.technology_source.as_deref())?),
        range: (s.v_ref_v - 3.0 * s.s_volt, s.v_ref_v + 3.0 * s.s_volt),
        node: r.membrane,
        circuit: r.circuit,
        prediction: Some(Predicted { membrane, frame, from, short: "the design" }),
        algebraic: false,
        warnings: Vec::new(),
        note: None,
    })
}

/// A netlist, a circuit file or a design.json.
fn load_circuit(path: &Path, node: &str, limits: &Limits) -> Result<Loaded> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let is_design = ext == "json" && {
        let text = crate::input::read_text(path, "the circuit file")?;
        serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("physical").is_some())
    };
    let (circuit, analysis, range, warnings, design) = if is_design {
        let d = read_design(path)?;
        let s = d.scales.s_volt;
        (d.physical.clone(), Analysis::default(), (-3.0 * s, 3.0 * s), Vec::new(), Some(d))
    } else if matches!(ext.as_str(), "json" | "toml") {
        let checked =
            crate::summary::read_circuit(path)?.check().with_context(|| format!("in {}", path.display()))?;
        let warnings = checked.warnings.iter().map(ToString::to_string).collect();
        (checked.circuit, Analysis::default(), (-3.0, 3.0), warnings, None)
    } else {
        let p = atscale_verify::engines::Prepared::load(path, limits)?;
        (p.circuit, p.analysis, (-3.0, 3.0), p.warnings, None)
    };
    let node = design.as_ref().map_or(node.to_string(), |d| d.membrane.clone());
    let own = Membrane::new(&circuit, &node);
    let mut note = None;
    let algebraic = own.is_ok();
    let prediction = match (&design, own) {
        (Some(d), _) => Some(design_prediction(d, path)?),
        (None, Ok(membrane)) => Some(Predicted {
            membrane,
            frame: Frame::IDENTITY,
            from: "the circuit's own landscape".into(),
            short: "its landscape",
        }),
        (None, Err(e)) => {
            note = Some(format!("no predicted curves from the circuit itself: {e}"));
            None
        }
    };
    Ok(Loaded { circuit, analysis, range, node, prediction, algebraic, warnings, note, realised: None })
}

fn load(args: &Args, limits: &Limits) -> Result<Loaded> {
    if args.input.is_dir() {
        return load_realisation(&args.input, args.design.as_deref());
    }
    let mut loaded = load_circuit(&args.input, args.node.as_deref().unwrap_or("v"), limits)?;
    if let Some(path) = &args.design {
        loaded.prediction = Some(design_prediction(&read_design(path)?, path)?);
        loaded.note = None;
    }
    Ok(loaded)
}

/// The read times asked for, or the default: instant, each distinct
/// timescale of the prediction at the holding potential, steady.
fn read_specs(asked: Option<&[ReadSpec]>, p: Option<&Prediction<'_>>, hold_v: f64) -> Result<Vec<ReadSpec>> {
    if let Some(s) = asked {
        return Ok(s.to_vec());
    }
    let Some(p) = p else {
        bail!("no prediction to take timescales from: give --timescales with times in seconds");
    };
    let hold = (hold_v - p.frame.v_offset_v) / p.frame.v_scale;
    let mut specs = vec![ReadSpec::Instant];
    specs.extend(
        p.membrane.distinct_timescales(hold).iter().map(|t| ReadSpec::After { t_s: t * p.frame.t_scale }),
    );
    specs.push(ReadSpec::Steady);
    Ok(specs)
}

/// When `instant` and `steady` are read, from the prediction's timescales.
fn timing(specs: &[ReadSpec], p: Option<&Prediction<'_>>, steps: &[f64], algebraic: bool) -> Result<Timing> {
    let needs = specs.iter().any(|s| matches!(s, ReadSpec::Instant | ReadSpec::Steady));
    match p.and_then(|p| p.timescale_range(steps)) {
        Some((lo, hi)) => {
            let fraction = if algebraic { INSTANT_FRACTION_ALGEBRAIC } else { INSTANT_FRACTION_DEVICES };
            Ok(Timing::from_timescales(lo, hi, fraction))
        }
        None if needs => bail!(
            "`instant` and `steady` are read at times set by the predicted timescales, and {}: give times in \
             seconds with --timescales",
            if p.is_some() { "the prediction has no slow element" } else { "there is no prediction" }
        ),
        None => Ok(Timing { instant_s: f64::NAN, steady_s: f64::NAN }),
    }
}

/// The relative tolerance of a behavioural circuit's runs by default.
const RELTOL_ALGEBRAIC: f64 = 1e-9;
/// ... and of a circuit with devices whose netlist gives none.
const RELTOL_DEVICES: f64 = 1e-6;

/// The runs' tolerances. A behavioural circuit (`algebraic`): `reltol`
/// (default [`RELTOL_ALGEBRAIC`]) and absolute ones at the prediction's
/// scales. A circuit with devices: `reltol`, else the netlist's, else
/// [`RELTOL_DEVICES`], and the netlist's absolute tolerances (device
/// models carry their own rounding floor: 1e-9 of a subthreshold current
/// is below it).
fn tolerances(
    reltol: Option<f64>,
    l: &Loaded,
    p: Option<&Prediction<'_>>,
    predicted: &[ClampCurve],
) -> ClampTolerances {
    match p.filter(|_| l.algebraic) {
        Some(p) => {
            let reltol = reltol.unwrap_or(RELTOL_ALGEBRAIC);
            let amp = predicted.iter().flat_map(|c| &c.current_a).fold(0.0f64, |m, i| m.max(i.abs()));
            let f = p.frame;
            let farad = p.membrane.capacitance_f * f.i_scale * f.t_scale / f.v_scale;
            ClampTolerances::at_scale(reltol, f.v_scale, amp, farad)
        }
        None if l.algebraic => ClampTolerances::relative(reltol.unwrap_or(RELTOL_ALGEBRAIC)),
        None => ClampTolerances::relative(reltol.or(l.analysis.options.reltol).unwrap_or(RELTOL_DEVICES)),
    }
}

/// Runs `atscale clamp`.
pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = args.config()?;
    let loaded = load(&args, &cfg.limits)?;
    for w in &loaded.warnings {
        crate::errln!("warning: {w}");
    }
    let node = args.node.clone().unwrap_or_else(|| loaded.node.clone());
    check_node(&loaded.circuit, &node).with_context(|| format!("{}", args.input.display()))?;
    if let Some(n) = &loaded.note {
        crate::errln!("note: {n}");
    }
    let (lo, hi) = cfg.range.unwrap_or(loaded.range);
    let steps = linspace(lo, hi, args.points);
    let pred = loaded.prediction.as_ref().map(|p| Prediction { membrane: &p.membrane, frame: p.frame });
    let hold_v = match (cfg.hold, &pred) {
        (Some(h), _) => h,
        (None, Some(p)) => p
            .operating_point(&linspace(lo, hi, 1201))
            .context("the holding potential (the predicted landscape's operating point); give --hold")?,
        (None, None) => bail!("no prediction to take the holding potential from: give --hold"),
    };
    let specs = read_specs(cfg.specs.as_deref(), pred.as_ref(), hold_v)?;
    let timing = timing(&specs, pred.as_ref(), &steps, loaded.algebraic)?;
    let protocol = Protocol::new(&node, hold_v, &steps, &specs, timing)?;
    let predicted: Option<Vec<ClampCurve>> = pred.as_ref().map(|p| p.curves(&protocol));
    let tol = tolerances(cfg.reltol, &loaded, pred.as_ref(), predicted.as_deref().unwrap_or_default());
    let name = args.input.display().to_string();
    let req = ClampRequest {
        name: &name,
        circuit: &loaded.circuit,
        base: &loaded.analysis,
        protocol: &protocol,
        tolerances: tol,
        engine: cfg.engine,
        limits: cfg.limits,
        realised: loaded.realised.as_ref(),
    };
    let m = measure(&req).with_context(|| format!("voltage clamp of {name} at node `{node}`"))?;
    for w in &m.warnings {
        crate::errln!("warning: the clamped circuit: {w}");
    }
    for u in &m.unmodelled {
        crate::errln!("warning: {}", atscale_verify::report::unmodelled_warning(&m.engine, u));
    }
    let from = loaded.prediction.as_ref().map(|p| p.from.as_str());
    let report =
        Report::new(&name, &protocol, tol, &m, predicted.as_deref(), from, loaded.prediction.as_ref());
    if let Some(path) = &args.plot {
        let reads: Vec<ClampRead<'_>> =
            report.reads.iter().map(|r| ClampRead { measured: r.measured, predicted: r.predicted }).collect();
        let plot = ClampPlot {
            title: &name,
            engine: &m.engine,
            predicted_from: loaded.prediction.as_ref().map_or("nothing", |p| p.short),
            reads: &reads,
        };
        write_atomically(path, &clamp_plot(&plot, Format::Png)?.bytes, args.force)?;
    }
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out!("{}", report.human())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What the clamp prints: the protocol, and per read time the measured
/// curve, the predicted one and their largest difference.
#[derive(Serialize)]
struct Report<'a> {
    input: &'a str,
    engine: &'a str,
    version: Option<&'a str>,
    protocol: &'a Protocol,
    tolerances: ClampTolerances,
    /// Where the predicted curves come from, and their frame.
    prediction: Option<PredictionJson<'a>>,
    reads: Vec<ReadJson<'a>>,
    /// How much the last read still moved over its last quarter, relative to its largest current.
    settle_residual: f64,
    /// Engine time of the runs together, s.
    wall_s: f64,
    /// Capacitors from the node to ground left out of the clamped circuit, with their capacitance, F.
    left_out: &'a [(String, f64)],
}

#[derive(Serialize)]
struct PredictionJson<'a> {
    from: &'a str,
    frame: Frame,
}

#[derive(Serialize)]
struct ReadJson<'a> {
    measured: &'a ClampCurve,
    predicted: Option<&'a ClampCurve>,
    /// The largest difference between the measured and predicted currents,
    /// relative to the largest predicted current.
    relative_difference: Option<f64>,
}

impl<'a> Report<'a> {
    fn new(
        input: &'a str,
        protocol: &'a Protocol,
        tolerances: ClampTolerances,
        m: &'a Measured,
        predicted: Option<&'a [ClampCurve]>,
        from: Option<&'a str>,
        p: Option<&'a Predicted>,
    ) -> Report<'a> {
        let reads = m
            .curves
            .iter()
            .enumerate()
            .map(|(k, measured)| {
                let predicted = predicted.and_then(|c| c.get(k));
                ReadJson {
                    measured,
                    predicted,
                    relative_difference: predicted.map(|p| measured.relative_difference(p)),
                }
            })
            .collect();
        Report {
            input,
            engine: &m.engine,
            version: m.version.as_deref(),
            protocol,
            tolerances,
            prediction: from.zip(p).map(|(from, p)| PredictionJson { from, frame: p.frame }),
            reads,
            settle_residual: m.settle_residual,
            wall_s: m.wall_s,
            left_out: &m.left_out,
        }
    }

    fn human(&self) -> String {
        use std::fmt::Write;
        let p = self.protocol;
        let (lo, hi) = (p.steps_v[0], p.steps_v[p.steps_v.len() - 1]);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "voltage clamp of {} at node `{}` ({} engine): {} steps from {} to {}, held at {}",
            self.input,
            p.node,
            self.engine,
            p.steps_v.len(),
            si(lo, "V"),
            si(hi, "V"),
            si(p.hold_v, "V")
        );
        match &self.prediction {
            Some(pr) => {
                let _ = writeln!(s, "predicted by {}", pr.from);
            }
            None => {
                let _ = writeln!(s, "no prediction");
            }
        }
        if !self.left_out.is_empty() {
            let caps: Vec<String> =
                self.left_out.iter().map(|(n, c)| format!("{n} ({})", si(*c, "F"))).collect();
            let _ = writeln!(
                s,
                "left out of the clamped circuit (no current once the step is over): {}",
                caps.join(", ")
            );
        }
        for r in &self.reads {
            let pts: Vec<String> = r
                .measured
                .critical
                .iter()
                .map(|c| {
                    let kind = if c.nature == Nature::Well { "well" } else { "barrier" };
                    format!("{kind} at {}", si(c.v_volt, "V"))
                })
                .collect();
            let diff = r.relative_difference.map_or(String::new(), |d| {
                format!("; against the prediction {d:.2e} of its largest current")
            });
            let read = &r.measured.read;
            let when = match read.spec {
                ReadSpec::After { .. } => read.label(),
                _ => format!("{} ({} after the step)", read.label(), si(read.t_s, "s")),
            };
            let _ = writeln!(s, "{when}: {} critical points [{}]{diff}", pts.len(), pts.join(", "));
        }
        if p.reads.iter().any(|r| r.spec == ReadSpec::Steady) {
            let _ = writeln!(
                s,
                "settled: the last read moved {:.1e} of its largest current over its last quarter",
                self.settle_residual
            );
        }
        let runs = p.steps_v.len() * p.runs.len();
        let _ = writeln!(s, "{runs} runs, {} of engine time", si(self.wall_s, "s"));
        s
    }
}
