//! The sweep file: what to vary, what to measure, how to simulate.
//!
//! ```toml
//! design = "tonic-spiking-100hz.toml"   # or: netlist = "neuron.cir", or a [realise] table
//! seed = 1
//! sampling = "grid"                      # grid | uniform | lhs
//! metrics = ["firing_rate", "spike_count", "energy_per_spike"]
//!
//! [simulation]
//! tstop_units = 1000                     # model time units (designs); or tstop_s
//!
//! [[parameter]]
//! name = "Iext"                          # element value, ELEMENT.path, or .param name
//! min = 0.5
//! max = 2.0
//! steps = 20
//! relative = true                        # values multiply the nominal
//! ```
//!
//! A realisation's Monte Carlo on a technology's statistical library
//! section (`atscale realise --monte-carlo` as a sweep):
//!
//! ```toml
//! seed = 1                               # point i runs with the simulator's seed seed + i
//! [realise]
//! design = "tonic-spiking-100hz.toml"    # a design spec or a design.json
//! tech = "gf180"                         # a built-in technology or a technology file
//! [monte_carlo]
//! samples = 100
//! ```
//!
//! Every problem is reported with the sweep file's name and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use atscale_design::realise::mapping::ReferenceSource;
use atscale_design::realise::{Amplifier, BiasSource, Followers, Technology};
use atscale_sim::EventSpec;
use serde::Deserialize;
use toml::Spanned;

use super::metrics::Metric;
use crate::error::{Error, Result};
use atscale_design::toml_file::TomlFile;

/// How parameter points are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Every combination of each parameter's `steps` values (first parameter slowest).
    Grid,
    /// `points` independent uniform draws (uniform in the logarithm for log parameters).
    Uniform,
    /// A Latin hypercube of `points` draws: each parameter's range cut into
    /// `points` strata, each stratum used once.
    LatinHypercube,
}

impl Sampling {
    /// The name used in sweep files.
    pub fn name(self) -> &'static str {
        match self {
            Sampling::Grid => "grid",
            Sampling::Uniform => "uniform",
            Sampling::LatinHypercube => "lhs",
        }
    }
}

/// One varied parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// What it addresses: an element (`Iext`: its value), a field of an
    /// element (`Msn.law.alpha`, `Msp.states.0.x0`) or a `.param` of a netlist.
    pub name: String,
    /// Lower end (inclusive).
    pub min: f64,
    /// Upper end (inclusive for grids).
    pub max: f64,
    /// Grid values per parameter (grid sampling).
    pub steps: usize,
    /// Explicit values (grid sampling; replaces min/max/steps).
    pub values: Option<Vec<f64>>,
    /// Spaced (or drawn) uniformly in the logarithm.
    pub log: bool,
    /// Values are factors of the nominal value, not absolute values.
    pub relative: bool,
    /// The unit the user gave, if any.
    pub unit: Option<String>,
    /// Line of its `[[parameter]]` table in the sweep file.
    pub line: usize,
}

/// Monte Carlo mismatch: relative Gaussian spreads (standard deviation as
/// a fraction of the nominal value).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonteCarlo {
    /// Draws per parameter point.
    pub samples: usize,
    /// Spread per element class (`resistor`, `capacitor`, `inductor`,
    /// `current_source`, `voltage_source`, `nonlinear_resistor`, `memristive`,
    /// `behavioural_current`).
    pub class: BTreeMap<String, f64>,
    /// Spread per named parameter (element, element field or `.param`), with
    /// the line it was given on.
    pub parameter: Vec<(String, f64, usize)>,
}

/// Simulation settings of every point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimSettings {
    /// Stop time, s.
    pub tstop_s: Option<f64>,
    /// Stop time in model time units (designs only).
    pub tstop_units: Option<f64>,
    /// Largest step, s.
    pub max_step_s: Option<f64>,
    /// Relative tolerance of the native solver.
    pub reltol: Option<f64>,
}

/// What the sweep starts from.
#[derive(Debug, Clone, PartialEq)]
pub enum BaseSource {
    /// A design spec (designed once; its physical circuit is varied).
    Design(PathBuf),
    /// A netlist (its `.param`s and elements are varied).
    Netlist(PathBuf),
    /// A design realised in a technology (`[realise]`), sized once; each
    /// point runs it on the technology's statistical library section with
    /// its own simulator seed.
    Realise(RealiseSource),
}

/// What a `[realise]` base realises and how (as `atscale realise` options).
#[derive(Debug, Clone, PartialEq)]
pub struct RealiseSource {
    /// The design: a design spec (TOML, designed once) or a `design.json`.
    pub design: PathBuf,
    /// The technology: a built-in name or a technology file.
    pub tech: String,
    /// Where the bias currents come from (`bias = "ideal" | "mirrors"`).
    pub bias: BiasSource,
    /// Where the reference voltages come from (`references = "ideal" | "ladder"`).
    pub references: ReferenceSource,
    /// The amplifiers' topology (`amplifier = "five-transistor" | "cascoded" | "symmetric" | "self-cascoded"`);
    /// `None`: the technology's ([`Technology::amplifier`](atscale_design::realise::Technology::amplifier)).
    pub amplifier: Option<Amplifier>,
    /// The membrane's bias mirror cascoded (`cascode_membrane = true`, with `bias = "mirrors"`).
    pub cascode_membrane: bool,
    /// The followers (`followers = "offset-pairs" | "linearised"`); `None`:
    /// the technology's ([`Technology::followers`](atscale_design::realise::Technology::followers)).
    pub followers: Option<Followers>,
    /// Multiplies every bias current (`bias_scale`, default 1).
    pub bias_scale: f64,
    /// The membrane's stray capacitance measured and taken off its
    /// capacitor (`compensate_strays = true`, as `--compensate-strays`).
    pub compensate_strays: bool,
    /// The linearised followers' offsets measured and cancelled
    /// (`cancel_follower_offsets = true`, as `--cancel-follower-offsets`).
    pub cancel_follower_offsets: bool,
    /// The line of `tech` in the sweep file (the technology's errors name it).
    pub tech_line: usize,
}

/// A sweep file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSpec {
    /// The file's name as given.
    pub file: String,
    /// FNV-1a hash of the file's text: identifies the sweep in results files.
    pub hash: String,
    /// The base circuit.
    pub base: BaseSource,
    /// Seed of every random draw.
    pub seed: u64,
    /// Sampling of the parameters.
    pub sampling: Sampling,
    /// Number of random points (uniform and lhs).
    pub points: Option<usize>,
    /// Varied parameters.
    pub parameters: Vec<Parameter>,
    /// Metrics recorded per point.
    pub metrics: Vec<Metric>,
    /// Simulation settings.
    pub simulation: SimSettings,
    /// The spike event, rising through `threshold_v` on `node`, re-armed
    /// `hysteresis_v` below (required for netlists; a design brings its own).
    pub event: Option<EventSpec>,
    /// The line of the `[event]` table, when there is one.
    pub event_line: Option<usize>,
    /// Membrane voltage range of landscape metrics, V (netlists; a design uses ±3 amplitude units).
    pub landscape_v: Option<(f64, f64)>,
    /// Monte Carlo mismatch.
    pub monte_carlo: Option<MonteCarlo>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    design: Option<Spanned<String>>,
    netlist: Option<Spanned<String>>,
    realise: Option<Spanned<RawRealise>>,
    seed: Option<Spanned<i64>>,
    sampling: Option<Spanned<String>>,
    points: Option<Spanned<i64>>,
    metrics: Option<Spanned<Vec<Spanned<String>>>>,
    simulation: Option<Spanned<RawSimulation>>,
    event: Option<Spanned<RawEvent>>,
    landscape: Option<Spanned<RawLandscape>>,
    parameter: Option<Vec<Spanned<RawParameter>>>,
    monte_carlo: Option<Spanned<RawMonteCarlo>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRealise {
    design: Spanned<String>,
    tech: Spanned<String>,
    bias: Option<Spanned<String>>,
    references: Option<Spanned<String>>,
    amplifier: Option<Spanned<String>>,
    cascode_membrane: Option<Spanned<bool>>,
    followers: Option<Spanned<String>>,
    bias_scale: Option<Spanned<f64>>,
    compensate_strays: Option<Spanned<bool>>,
    cancel_follower_offsets: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulation {
    tstop_s: Option<Spanned<f64>>,
    tstop_units: Option<Spanned<f64>>,
    max_step_s: Option<Spanned<f64>>,
    reltol: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    node: Spanned<String>,
    threshold_v: Spanned<f64>,
    hysteresis_v: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLandscape {
    v_min_v: Spanned<f64>,
    v_max_v: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParameter {
    name: Spanned<String>,
    min: Option<Spanned<f64>>,
    max: Option<Spanned<f64>>,
    steps: Option<Spanned<i64>>,
    values: Option<Spanned<Vec<f64>>>,
    scale: Option<Spanned<String>>,
    relative: Option<bool>,
    unit: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonteCarlo {
    samples: Option<Spanned<i64>>,
    class: Option<BTreeMap<String, Spanned<f64>>>,
    parameter: Option<BTreeMap<String, Spanned<f64>>>,
}

/// The element classes a Monte Carlo spread may name.
pub const CLASSES: [&str; 8] = [
    "resistor",
    "capacitor",
    "inductor",
    "current_source",
    "voltage_source",
    "nonlinear_resistor",
    "memristive",
    "behavioural_current",
];

/// FNV-1a, 64 bits, as 16 hex digits.
pub fn fnv1a(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

type Ctx<'a> = TomlFile<'a>;

/// The sweep file's errors, on the designer's TOML reader.
trait SweepFile {
    /// [`Error::Spec`] at the line of `offset`.
    fn spec_err(&self, offset: usize, message: impl Into<String>) -> Error;
    /// A whole number of at least `min`.
    fn count(&self, key: &str, v: &Spanned<i64>, min: i64) -> Result<usize>;
}

impl SweepFile for Ctx<'_> {
    fn spec_err(&self, offset: usize, message: impl Into<String>) -> Error {
        Error::Spec { file: self.file.to_string(), line: self.line(offset), message: message.into() }
    }

    fn count(&self, key: &str, v: &Spanned<i64>, min: i64) -> Result<usize> {
        let n = *v.get_ref();
        if n < min {
            return Err(self.spec_err(v.span().start, format!("{key} must be at least {min}, got {n}")));
        }
        usize::try_from(n).map_err(|_| self.spec_err(v.span().start, format!("{key} is too large: {n}")))
    }
}

impl SweepSpec {
    /// Reads a sweep file.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if it cannot be read, [`Error::Spec`] naming the file,
    /// line and problem otherwise.
    pub fn from_file(path: &Path) -> Result<SweepSpec> {
        let text = crate::read_text(path, "the sweep file")?;
        let mut spec = SweepSpec::from_toml_str(&text, &path.display().to_string())?;
        // Paths in the file are relative to the file.
        let dir = path.parent().unwrap_or(Path::new(""));
        spec.base = match spec.base {
            BaseSource::Design(p) => BaseSource::Design(dir.join(p)),
            BaseSource::Netlist(p) => BaseSource::Netlist(dir.join(p)),
            BaseSource::Realise(r) => {
                // A built-in technology is a name; any other is a file beside the sweep.
                let tech = if Technology::builtin_text(&r.tech).is_some() {
                    r.tech
                } else {
                    dir.join(&r.tech).display().to_string()
                };
                BaseSource::Realise(RealiseSource { design: dir.join(r.design), tech, ..r })
            }
        };
        Ok(spec)
    }

    /// Reads a sweep from TOML text; `file` names it in errors. Relative
    /// paths stay as written.
    ///
    /// # Errors
    ///
    /// [`Error::Spec`] naming the file, the line and the problem.
    pub fn from_toml_str(text: &str, file: &str) -> Result<SweepSpec> {
        let cx = Ctx { text, file };
        let raw: RawSweep = cx.parse()?;
        let base = base(&cx, &raw)?;
        let seed = match &raw.seed {
            None => 0,
            Some(s) => u64::try_from(*s.get_ref()).map_err(|_| {
                cx.spec_err(s.span().start, format!("seed must be non-negative, got {}", s.get_ref()))
            })?,
        };
        let sampling = sampling(&cx, raw.sampling.as_ref())?;
        let points = raw.points.as_ref().map(|p| cx.count("points", p, 1)).transpose()?;
        let realised = matches!(base, BaseSource::Realise(_));
        let metrics = metrics(&cx, raw.metrics.as_ref(), realised)?;
        let simulation = match &raw.simulation {
            None => SimSettings::default(),
            Some(s) => simulation(&cx, s, &base)?,
        };
        let event = raw.event.as_ref().map(|e| event(&cx, e.get_ref())).transpose()?;
        if matches!(base, BaseSource::Netlist(_)) && event.is_none() {
            return Err(cx.spec_err(
                0,
                "a netlist sweep needs its spike event: add [event] with node, threshold_v and hysteresis_v",
            ));
        }
        let landscape_v = raw.landscape.as_ref().map(|l| landscape(&cx, l)).transpose()?;
        let parameters = raw
            .parameter
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|p| parameter(&cx, p, sampling))
            .collect::<Result<Vec<_>>>()?;
        check_parameters(&cx, &parameters, sampling, raw.points.as_ref())?;
        let monte_carlo = raw.monte_carlo.as_ref().map(|m| monte_carlo(&cx, m, realised)).transpose()?;
        if realised {
            check_realise(&cx, &raw, seed, monte_carlo.as_ref())?;
        }
        if parameters.is_empty() && monte_carlo.is_none() {
            return Err(cx.spec_err(0, "nothing to sweep: add a [[parameter]] or a [monte_carlo] table"));
        }
        if let Some(m) = metrics.iter().find(|m| m.needs_landscape()) {
            if matches!(base, BaseSource::Netlist(_)) && landscape_v.is_none() {
                return Err(cx.spec_err(
                    0,
                    format!(
                        "metric `{}` of a netlist sweep needs the membrane voltage range: add [landscape] \
                         with v_min_v and v_max_v",
                        m.name()
                    ),
                ));
            }
        }
        Ok(SweepSpec {
            file: file.to_string(),
            hash: fnv1a(text),
            base,
            seed,
            sampling,
            points,
            parameters,
            metrics,
            simulation,
            event_line: raw.event.as_ref().map(|e| cx.line(e.span().start)),
            event,
            landscape_v,
            monte_carlo,
        })
    }

    /// The number of points the sweep has (parameter points times Monte
    /// Carlo samples), computed without drawing them; saturates at `u128::MAX`.
    pub fn total_points(&self) -> u128 {
        let params: u128 = match self.sampling {
            _ if self.parameters.is_empty() => 1,
            Sampling::Grid => {
                self.parameters.iter().fold(1u128, |n, p| n.saturating_mul(p.steps.max(1) as u128))
            }
            Sampling::Uniform | Sampling::LatinHypercube => self.points.unwrap_or(1) as u128,
        };
        params.saturating_mul(self.monte_carlo.as_ref().map_or(1, |m| m.samples) as u128)
    }

    /// What [`SweepSpec::total_points`] multiplies, in words
    /// (`steps 100000 x 100000, samples 1`).
    pub fn size_terms(&self) -> String {
        let params = match self.sampling {
            _ if self.parameters.is_empty() => "no parameters".to_string(),
            Sampling::Grid => format!(
                "steps {}",
                self.parameters.iter().map(|p| p.steps.max(1).to_string()).collect::<Vec<_>>().join(" x ")
            ),
            Sampling::Uniform | Sampling::LatinHypercube => format!("points {}", self.points.unwrap_or(1)),
        };
        format!("{params}, samples {}", self.monte_carlo.as_ref().map_or(1, |m| m.samples))
    }
}

/// The base circuit: a design spec, a netlist or a realisation, exactly one.
fn base(cx: &Ctx<'_>, raw: &RawSweep) -> Result<BaseSource> {
    let given: Vec<(&str, usize)> = [
        ("`design`", raw.design.as_ref().map(|d| d.span().start)),
        ("`netlist`", raw.netlist.as_ref().map(|n| n.span().start)),
        ("[realise]", raw.realise.as_ref().map(|r| r.span().start)),
    ]
    .into_iter()
    .filter_map(|(k, at)| Some((k, at?)))
    .collect();
    if let [(a, _), (b, at), ..] = given.as_slice() {
        return Err(cx.spec_err(*at, format!("give one base circuit: {a} or {b}, not both")));
    }
    match (&raw.design, &raw.netlist, &raw.realise) {
        (Some(d), _, _) => Ok(BaseSource::Design(PathBuf::from(d.get_ref()))),
        (_, Some(n), _) => Ok(BaseSource::Netlist(PathBuf::from(n.get_ref()))),
        (_, _, Some(r)) => Ok(BaseSource::Realise(realise(cx, r)?)),
        (None, None, None) => Err(cx.spec_err(
            0,
            "the sweep names no base circuit: add `design = \"SPEC.toml\"`, `netlist = \"FILE.cir\"` \
             or a [realise] table",
        )),
    }
}

/// The `[realise]` table: a design, a technology, and `atscale realise`'s
/// bias and reference options.
fn realise(cx: &Ctx<'_>, r: &Spanned<RawRealise>) -> Result<RealiseSource> {
    let r = r.get_ref();
    for (key, v) in [("design", &r.design), ("tech", &r.tech)] {
        if v.get_ref().trim().is_empty() {
            return Err(cx.spec_err(v.span().start, format!("[realise] {key} is empty")));
        }
    }
    let bias = match r.bias.as_ref().map(|b| (b.get_ref().as_str(), b.span().start)) {
        None | Some(("ideal", _)) => BiasSource::Ideal,
        Some(("mirrors", _)) => BiasSource::Mirrors,
        Some((other, at)) => {
            return Err(cx.spec_err(at, format!("unknown bias `{other}`, expected `ideal` or `mirrors`")))
        }
    };
    let references = match r.references.as_ref().map(|b| (b.get_ref().as_str(), b.span().start)) {
        None | Some(("ideal", _)) => ReferenceSource::Ideal,
        Some(("ladder", _)) => ReferenceSource::Ladder,
        Some((other, at)) => {
            return Err(cx.spec_err(at, format!("unknown references `{other}`, expected `ideal` or `ladder`")))
        }
    };
    let amplifier = r
        .amplifier
        .as_ref()
        .map(|a| Amplifier::from_name(a.get_ref()).map_err(|e| cx.spec_err(a.span().start, e)))
        .transpose()?;
    let cascode_membrane = match &r.cascode_membrane {
        Some(c) if *c.get_ref() && bias != BiasSource::Mirrors => {
            return Err(cx.spec_err(
                c.span().start,
                "cascode_membrane cascodes the membrane's bias mirror: it needs bias = \"mirrors\"",
            ))
        }
        Some(c) => *c.get_ref(),
        None => false,
    };
    let followers = r
        .followers
        .as_ref()
        .map(|f| Followers::from_name(f.get_ref()).map_err(|e| cx.spec_err(f.span().start, e)))
        .transpose()?;
    Ok(RealiseSource {
        design: PathBuf::from(r.design.get_ref()),
        tech: r.tech.get_ref().clone(),
        bias,
        references,
        amplifier,
        cascode_membrane,
        followers,
        bias_scale: cx.positive_opt("bias_scale", &r.bias_scale)?.unwrap_or(1.0),
        compensate_strays: r.compensate_strays.as_ref().is_some_and(|c| *c.get_ref()),
        cancel_follower_offsets: r.cancel_follower_offsets.as_ref().is_some_and(|c| *c.get_ref()),
        tech_line: cx.line(r.tech.span().start),
    })
}

/// What a realisation's sweep cannot take: it runs Monte Carlo draws of
/// the sized realisation on the technology's statistical section, with the
/// realisation's spike event, and `seed + i` is point i's simulator seed.
fn check_realise(cx: &Ctx<'_>, raw: &RawSweep, seed: u64, mc: Option<&MonteCarlo>) -> Result<()> {
    if let Some(p) = raw.parameter.as_deref().and_then(<[_]>::first) {
        return Err(cx.spec_err(
            p.span().start,
            "[[parameter]] is not supported with a [realise] base yet: it runs Monte Carlo draws of the \
             sized realisation only",
        ));
    }
    if let Some(e) = &raw.event {
        return Err(cx.spec_err(
            e.span().start,
            "a [realise] base has its spike event (the realisation's): remove [event]",
        ));
    }
    if let Some(l) = &raw.landscape {
        return Err(
            cx.spec_err(l.span().start, "[landscape] applies to design and netlist bases, not [realise]")
        );
    }
    if let Some(r) = raw.simulation.as_ref().and_then(|s| s.get_ref().reltol.as_ref()) {
        return Err(
            cx.spec_err(r.span().start, "a realisation runs with its technology's tolerances: remove reltol")
        );
    }
    let Some(mc) = mc else {
        return Err(
            cx.spec_err(0, "a [realise] base runs Monte Carlo draws: add [monte_carlo] with samples = N")
        );
    };
    // ngspice takes `.options seed` from 1 to 2^31 - 1 (0 is skipped, larger seeds wrap).
    let last = seed.checked_add(mc.samples as u64 - 1);
    if seed == 0 || last.is_none_or(|l| l > i32::MAX as u64) {
        let at = raw.seed.as_ref().map_or(0, |s| s.span().start);
        return Err(cx.spec_err(
            at,
            format!(
                "point i of a [realise] base runs with the simulator's seed `seed + i`, which must be \
                 from 1 to {} (ngspice's seeds); seed is {seed} with {} samples{}",
                i32::MAX,
                mc.samples,
                if raw.seed.is_none() { " (give `seed = 1` or more)" } else { "" }
            ),
        ));
    }
    Ok(())
}

fn sampling(cx: &Ctx<'_>, raw: Option<&Spanned<String>>) -> Result<Sampling> {
    let Some(s) = raw else { return Ok(Sampling::Grid) };
    match s.get_ref().as_str() {
        "grid" => Ok(Sampling::Grid),
        "uniform" => Ok(Sampling::Uniform),
        "lhs" | "latin-hypercube" => Ok(Sampling::LatinHypercube),
        other => Err(cx.spec_err(
            s.span().start,
            format!("unknown sampling `{other}`, expected `grid`, `uniform` or `lhs`"),
        )),
    }
}

/// The metrics asked for (all by default; a realisation's: all but the
/// landscape's), each known and listed once.
fn metrics(cx: &Ctx<'_>, raw: Option<&Spanned<Vec<Spanned<String>>>>, realised: bool) -> Result<Vec<Metric>> {
    let Some(list) = raw else {
        return Ok(Metric::ALL.into_iter().filter(|m| !(realised && m.needs_landscape())).collect());
    };
    if list.get_ref().is_empty() {
        return Err(cx.spec_err(list.span().start, "metrics is empty: name at least one"));
    }
    let mut out = Vec::new();
    for m in list.get_ref() {
        let metric = Metric::parse(m.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            cx.spec_err(
                m.span().start,
                format!("unknown metric `{}`, expected one of {}", m.get_ref(), names.join(", ")),
            )
        })?;
        if realised && metric.needs_landscape() {
            return Err(cx.spec_err(
                m.span().start,
                format!(
                    "metric `{}` needs the landscape of a behavioural circuit; a [realise] base runs \
                     transistors in ngspice",
                    m.get_ref()
                ),
            ));
        }
        if out.contains(&metric) {
            return Err(cx.spec_err(m.span().start, format!("metric `{}` is listed twice", m.get_ref())));
        }
        out.push(metric);
    }
    Ok(out)
}

fn simulation(cx: &Ctx<'_>, s: &Spanned<RawSimulation>, base: &BaseSource) -> Result<SimSettings> {
    let r = s.get_ref();
    let settings = SimSettings {
        tstop_s: cx.positive_opt("tstop_s", &r.tstop_s)?,
        tstop_units: cx.positive_opt("tstop_units", &r.tstop_units)?,
        max_step_s: cx.positive_opt("max_step_s", &r.max_step_s)?,
        reltol: cx.positive_opt("reltol", &r.reltol)?,
    };
    if settings.tstop_s.is_some() && settings.tstop_units.is_some() {
        return Err(cx.spec_err(s.span().start, "give either tstop_s or tstop_units, not both"));
    }
    if let (Some(t), BaseSource::Netlist(_)) = (&r.tstop_units, base) {
        return Err(cx.spec_err(
            t.span().start,
            "tstop_units needs a design (its time scale); a netlist sweep gives tstop_s",
        ));
    }
    if settings.reltol.is_some_and(|r| r >= 1.0) {
        return Err(cx.spec_err(s.span().start, "reltol must be below 1"));
    }
    Ok(settings)
}

fn event(cx: &Ctx<'_>, r: &RawEvent) -> Result<EventSpec> {
    let hysteresis_v = match &r.hysteresis_v {
        None => 0.0,
        Some(h) if *h.get_ref() >= 0.0 && h.get_ref().is_finite() => *h.get_ref(),
        Some(h) => {
            return Err(cx
                .spec_err(h.span().start, format!("hysteresis_v must be non-negative, got {}", h.get_ref())))
        }
    };
    if !r.threshold_v.get_ref().is_finite() {
        return Err(cx.spec_err(r.threshold_v.span().start, "threshold_v must be finite"));
    }
    Ok(EventSpec::rising(r.node.get_ref().clone(), *r.threshold_v.get_ref(), hysteresis_v))
}

fn landscape(cx: &Ctx<'_>, l: &Spanned<RawLandscape>) -> Result<(f64, f64)> {
    let (a, b) = (*l.get_ref().v_min_v.get_ref(), *l.get_ref().v_max_v.get_ref());
    if !(a.is_finite() && b.is_finite() && a < b) {
        return Err(
            cx.spec_err(l.span().start, format!("landscape needs v_min_v < v_max_v, got {a} and {b}"))
        );
    }
    Ok((a, b))
}

/// Each parameter varied once; `points` where the sampling draws them.
fn check_parameters(
    cx: &Ctx<'_>,
    parameters: &[Parameter],
    sampling: Sampling,
    points: Option<&Spanned<i64>>,
) -> Result<()> {
    for (i, p) in parameters.iter().enumerate() {
        if parameters[..i].iter().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
            return Err(Error::Spec {
                file: cx.file.into(),
                line: p.line,
                message: format!("parameter `{}` is varied twice", p.name),
            });
        }
    }
    match (sampling, points) {
        (Sampling::Grid, Some(p)) => Err(cx.spec_err(
            p.span().start,
            "points applies to uniform and lhs sampling; a grid has steps per parameter",
        )),
        (Sampling::Grid, None) => Ok(()),
        _ if parameters.is_empty() => {
            Err(cx.spec_err(0, format!("{} sampling needs at least one [[parameter]]", sampling.name())))
        }
        (_, None) => Err(cx.spec_err(0, format!("{} sampling needs `points`", sampling.name()))),
        (_, Some(_)) => Ok(()),
    }
}

fn parameter(cx: &Ctx<'_>, p: &Spanned<RawParameter>, sampling: Sampling) -> Result<Parameter> {
    let at = p.span().start;
    let r = p.get_ref();
    let name = r.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(cx.spec_err(r.name.span().start, "parameter name is empty"));
    }
    let log = match &r.scale {
        None => false,
        Some(s) => match s.get_ref().as_str() {
            "linear" => false,
            "log" => true,
            other => {
                return Err(cx.spec_err(
                    s.span().start,
                    format!("unknown scale `{other}`, expected `linear` or `log`"),
                ))
            }
        },
    };
    let unit = r.unit.as_ref().map(|u| u.get_ref().clone());
    if let Some(u) = &r.unit {
        if !u.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || "/^*.-_".contains(c))
            || u.get_ref().is_empty()
        {
            return Err(cx.spec_err(
                u.span().start,
                format!("unit `{}` may only hold letters, digits and / ^ * . - _", u.get_ref()),
            ));
        }
    }
    let relative = r.relative.unwrap_or(false);
    if let Some(values) = &r.values {
        if sampling != Sampling::Grid {
            return Err(cx.spec_err(values.span().start, "explicit values apply to grid sampling only"));
        }
        if r.min.is_some() || r.max.is_some() || r.steps.is_some() {
            return Err(cx.spec_err(values.span().start, "give either values or min/max/steps, not both"));
        }
        let v = values.get_ref();
        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
            return Err(cx.spec_err(values.span().start, "values must be a non-empty list of finite numbers"));
        }
        if log && v.iter().any(|x| *x <= 0.0) {
            return Err(cx.spec_err(values.span().start, "a log parameter's values must be positive"));
        }
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        return Ok(Parameter {
            name,
            min,
            max,
            steps: v.len(),
            values: Some(v.clone()),
            log,
            relative,
            unit,
            line: cx.line(at),
        });
    }
    let (Some(min), Some(max)) = (&r.min, &r.max) else {
        return Err(cx.spec_err(at, format!("parameter `{name}` needs min and max (or values)")));
    };
    let (lo, hi) = (*min.get_ref(), *max.get_ref());
    if !(lo.is_finite() && hi.is_finite()) || lo > hi {
        return Err(cx.spec_err(
            min.span().start,
            format!("parameter `{name}` needs finite min <= max, got {lo} and {hi}"),
        ));
    }
    if log && lo <= 0.0 {
        return Err(cx.spec_err(min.span().start, format!("log parameter `{name}` needs min > 0, got {lo}")));
    }
    let steps = match (&r.steps, sampling) {
        (Some(s), Sampling::Grid) => cx.count("steps", s, 1)?,
        (None, Sampling::Grid) => {
            return Err(cx.spec_err(at, format!("grid parameter `{name}` needs steps (the number of values)")))
        }
        (Some(s), _) => {
            return Err(
                cx.spec_err(s.span().start, "steps applies to grid sampling; random sampling uses `points`")
            )
        }
        (None, _) => 0,
    };
    if steps == 1 && lo != hi {
        return Err(
            cx.spec_err(at, format!("parameter `{name}` has one step but min != max; give steps >= 2"))
        );
    }
    Ok(Parameter { name, min: lo, max: hi, steps, values: None, log, relative, unit, line: cx.line(at) })
}

fn monte_carlo(cx: &Ctx<'_>, m: &Spanned<RawMonteCarlo>, realised: bool) -> Result<MonteCarlo> {
    let r = m.get_ref();
    let samples = r.samples.as_ref().map(|s| cx.count("samples", s, 1)).transpose()?.unwrap_or(1);
    let spread = |key: &str, v: &Spanned<f64>| -> Result<f64> {
        let x = *v.get_ref();
        if x >= 0.0 && x.is_finite() && x < 1.0 {
            Ok(x)
        } else {
            Err(cx
                .spec_err(v.span().start, format!("spread of `{key}` must be a fraction in [0, 1), got {x}")))
        }
    };
    let mut class = BTreeMap::new();
    for (k, v) in r.class.iter().flatten() {
        if !CLASSES.contains(&k.as_str()) {
            return Err(cx.spec_err(
                v.span().start,
                format!("unknown element class `{k}`, expected one of {}", CLASSES.join(", ")),
            ));
        }
        class.insert(k.clone(), spread(k, v)?);
    }
    let mut parameter = Vec::new();
    for (k, v) in r.parameter.iter().flatten() {
        parameter.push((k.clone(), spread(k, v)?, cx.line(v.span().start)));
    }
    if realised && !(class.is_empty() && parameter.is_empty()) {
        return Err(cx.spec_err(
            m.span().start,
            "a [realise] base draws from the technology's statistical library section (its process and \
             mismatch models): relative spreads ([monte_carlo.class], [monte_carlo.parameter]) do not apply; \
             remove them",
        ));
    }
    if class.is_empty() && parameter.is_empty() && !realised {
        return Err(cx.spec_err(
            m.span().start,
            "monte_carlo gives no spread: add [monte_carlo.class] or [monte_carlo.parameter]",
        ));
    }
    Ok(MonteCarlo { samples, class, parameter })
}
