//! Design-space exploration: sweeps, Monte Carlo mismatch, shards.
//!
//! A sweep file ([`spec`]) names a base circuit (a design spec, designed
//! once, a netlist, or a design realised in a technology: [`realised`]), the parameters to vary ([`sample`]: grid, uniform,
//! Latin hypercube; linear or log; seeded), an optional Monte Carlo
//! mismatch and the metrics to record ([`metrics`]). [`Sweep::prepare`]
//! loads the base and resolves every name ([`point`]); [`run`] simulates the
//! points on all cores and writes one CSV row per point ([`table`]) as each
//! finishes, so an interrupted sweep loses nothing and `resume` skips the
//! points already written. A failing point is recorded with its error; it
//! never stops the sweep.
//!
//! Every random draw of point `i` comes from the stream `(seed, i)`
//! ([`atscale_circuit::random::Rng::stream`]), so a point's row does not depend on
//! the shard, the number of threads or the order of completion: the
//! merged shards of a sweep equal its unsharded run byte for byte.

pub mod metrics;
pub mod parquet;
pub mod point;
pub mod realised;
pub mod sample;
pub mod spec;
pub mod summary;
pub mod table;

use std::collections::BTreeSet;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use atscale_circuit::{Circuit, FlatCircuit, TranTiming};
use atscale_files::{check_target, Lock};
use atscale_sim::EventSpec;
use atscale_sim::{Output, Tolerances};
use atscale_spice::Analysis;
use atscale_verify::engines::{simulation_for, Overrides, Prepared};
use atscale_verify::interrupt;
use atscale_verify::limits::Limits;
use atscale_verify::ngspice::NgspiceRunner;
use atscale_verify::verify::{verify, EngineKind, VerifyOptions};
use rayon::prelude::*;

use crate::error::{Error, Result};
use atscale_circuit::random::Rng;
use metrics::{Context, Metric};
use point::{Resolved, Spread};
pub use spec::SweepSpec;

use spec::BaseSource;
use table::{Header, Table};

/// The circuit a sweep varies, with everything a point needs.
#[derive(Debug, Clone)]
pub struct Base {
    /// What it is, for reports (`design tonic.toml (template fitzhugh-nagumo)`).
    pub description: String,
    /// The parametric circuit (`.param`s of a netlist).
    pub circuit: Circuit,
    /// The nominal flat circuit.
    pub flat: FlatCircuit,
    /// Analysis of every point: `.tran`, tolerances, `.ic`.
    pub analysis: Analysis,
    /// Stop time, s.
    pub tstop_s: f64,
    /// The spike event.
    pub event: EventSpec,
    /// Membrane voltage range of landscape metrics, V.
    pub v_range: (f64, f64),
    /// The largest step of the netlists written for ngspice verification, s
    /// (`None`: the analysis' own). ngspice's accuracy is set by it.
    pub verify_max_step_s: Option<f64>,
    /// A realisation (`[realise]`): its points run its netlist in ngspice
    /// ([`realised`]), not `flat` (then empty) in the native solver.
    pub realised: Option<Box<realised::Realised>>,
}

impl Base {
    /// Loads the base of a sweep: designs the spec or reads the netlist.
    ///
    /// # Errors
    ///
    /// The designer's or the netlist reader's error; [`Error::Spec`] when
    /// the sweep's settings do not fit the base.
    pub fn load(spec: &SweepSpec, limits: &Limits) -> Result<Base> {
        let at0 = |message: String| Error::Spec { file: spec.file.clone(), line: 0, message };
        match &spec.base {
            BaseSource::Design(path) => {
                let text = crate::read_text(path, "the design spec")?;
                let d = atscale_design::spec::design(&atscale_design::spec::Spec::from_toml_str(
                    &text,
                    &path.display().to_string(),
                )?)?;
                let s = d.scales.s_volt;
                let designed = d.analysis();
                let tstop_s = match (spec.simulation.tstop_s, spec.simulation.tstop_units) {
                    (Some(t), _) => t,
                    (None, Some(u)) => u * d.scales.omega_s,
                    (None, None) => designed.tran.map_or(1000.0 * d.scales.omega_s, |t| t.tstop_s),
                };
                let mut analysis = Analysis::tran_uic(tstop_s / 1000.0, tstop_s, f64::INFINITY);
                if let Some(t) = analysis.tran.as_mut() {
                    t.tmax_s = spec.simulation.max_step_s;
                }
                // The solver's default tolerances, in the design's units.
                Tolerances::at_scale(s, d.scales.current_a(), d.scales.c0_farad)
                    .write_options(&mut analysis.options);
                analysis.options.reltol = spec.simulation.reltol;
                let event = spec.event.clone().unwrap_or_else(|| {
                    EventSpec::rising(d.membrane.clone(), d.event.threshold_v, d.event.hysteresis_v)
                });
                Ok(Base {
                    description: format!("design {} (template {})", path.display(), d.template),
                    circuit: Circuit::from(d.physical.clone()),
                    flat: d.physical,
                    analysis,
                    tstop_s,
                    event,
                    v_range: spec.landscape_v.unwrap_or((-3.0 * s, 3.0 * s)),
                    verify_max_step_s: spec.simulation.max_step_s.or(designed.tran.and_then(|t| t.tmax_s)),
                    realised: None,
                })
            }
            BaseSource::Netlist(path) => {
                let p = Prepared::load(path, limits)?;
                let mut analysis = p.analysis.clone();
                let tstop_s =
                    spec.simulation.tstop_s.or(analysis.tran.map(|t| t.tstop_s)).ok_or_else(|| {
                        at0(format!("{} has no .tran; give [simulation] tstop_s", path.display()))
                    })?;
                if let Some(t) = analysis.tran.as_mut() {
                    t.tstop_s = tstop_s;
                    if spec.simulation.max_step_s.is_some() {
                        t.tmax_s = spec.simulation.max_step_s;
                    }
                } else {
                    analysis.tran = Analysis::tran_uic(tstop_s / 1000.0, tstop_s, 1.0).tran.map(|mut t| {
                        t.tmax_s = spec.simulation.max_step_s;
                        t.uic = false;
                        t
                    });
                }
                if spec.simulation.reltol.is_some() {
                    analysis.options.reltol = spec.simulation.reltol;
                }
                let event = spec.event.clone().ok_or_else(|| at0("a netlist sweep needs [event]".into()))?;
                Ok(Base {
                    description: format!("netlist {}", path.display()),
                    circuit: p.source,
                    flat: p.circuit,
                    analysis,
                    tstop_s,
                    event,
                    v_range: spec.landscape_v.unwrap_or((-1.0, 1.0)),
                    verify_max_step_s: None,
                    realised: None,
                })
            }
            BaseSource::Realise(src) => {
                let rb =
                    realised::Realised::load(src, &spec.simulation, limits.timeout).map_err(|e| match e {
                        Error::Technology(message) => {
                            Error::Spec { file: spec.file.clone(), line: src.tech_line, message }
                        }
                        other => other,
                    })?;
                let r = &rb.realisation;
                Ok(Base {
                    description: rb.describe(),
                    circuit: Circuit::default(),
                    flat: FlatCircuit { title: String::new(), models: Vec::new(), elements: Vec::new() },
                    analysis: crate::realise::analysis(r, rb.tstop_s),
                    tstop_s: rb.tstop_s,
                    event: EventSpec::rising(r.membrane.clone(), r.threshold_v, r.hysteresis_v),
                    v_range: (r.threshold_v, r.threshold_v),
                    verify_max_step_s: None,
                    realised: Some(Box::new(rb)),
                })
            }
        }
    }
}

/// A sweep ready to run: its base, resolved parameters and spreads, and points.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// The sweep file.
    pub spec: SweepSpec,
    /// The base circuit.
    pub base: Base,
    /// The parameters, resolved in the base.
    pub resolved: Vec<Resolved>,
    /// The Monte Carlo spreads, resolved.
    pub spreads: Vec<Spread>,
    /// Parameter points (values as the sweep gives them: factors for relative parameters).
    pub parameter_points: Vec<Vec<f64>>,
    /// Draws per parameter point.
    pub samples: usize,
}

/// The limits of a sweep: its size, and those of each point's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepLimits {
    /// Largest number of points (parameter points × Monte Carlo samples), default 1,000,000.
    pub max_points: usize,
    /// The limits of each point's runs (the timeout is per point).
    pub run: Limits,
}

impl Default for SweepLimits {
    fn default() -> Self {
        SweepLimits { max_points: 1_000_000, run: Limits::default() }
    }
}

/// Parameter values a sweep may draw per point of its `--max-points`
/// (1,000,000 points of 32 parameters by default, 256 MB of values).
pub const VALUES_PER_POINT: u128 = 32;

/// The column of a realisation's points' simulator seeds.
pub const ENGINE_SEED: &str = "engine_seed";

/// Largest `--jobs`: more threads than this only cost memory.
pub const MAX_JOBS: usize = 1024;

fn shown_nodes(flat: &FlatCircuit) -> String {
    let nodes = flat.nodes();
    let mut shown: Vec<&str> = nodes.iter().copied().take(20).collect();
    if nodes.len() > 20 {
        shown.push("...");
    }
    shown.join(", ")
}

/// Which part of a sweep to run: shard `index` (1-based) of `count`; a
/// point `i` belongs to shard `i mod count + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N`.
    ///
    /// # Errors
    ///
    /// A sentence saying what is wrong.
    pub fn parse(text: &str) -> std::result::Result<Shard, String> {
        let (i, n) = text.split_once('/').ok_or_else(|| format!("shard `{text}` is not of the form I/N"))?;
        let index: usize = i.trim().parse().map_err(|_| format!("shard index `{i}` is not a number"))?;
        let count: usize = n.trim().parse().map_err(|_| format!("shard count `{n}` is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("shard {index}/{count} is out of range: I must be in 1..=N"));
        }
        Ok(Shard { index, count })
    }

    /// Whether point `i` is in this shard.
    pub fn contains(self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
}

impl Sweep {
    /// Loads the base and resolves every name of the sweep.
    ///
    /// # Errors
    ///
    /// As [`Base::load`]; [`Error::Spec`] naming the sweep's line for a
    /// parameter or spread that does not exist in the base.
    pub fn prepare(spec: SweepSpec, limits: &SweepLimits) -> Result<Sweep> {
        let err = |line: usize, message: String| Error::Spec { file: spec.file.clone(), line, message };
        let total = spec.total_points();
        if total > limits.max_points as u128 {
            return Err(err(
                0,
                format!(
                    "the sweep has {total} points ({}), more than the limit of {}; raise it with --max-points",
                    spec.size_terms(),
                    limits.max_points
                ),
            ));
        }
        // Every point holds a value per parameter, in memory and in the results file.
        let values = total.saturating_mul(spec.parameters.len().max(1) as u128);
        let max_values = (limits.max_points as u128).saturating_mul(VALUES_PER_POINT);
        if values > max_values {
            return Err(err(
                0,
                format!(
                    "the sweep has {total} points of {} parameters, {values} values, more than the limit of \
                     {max_values} ({VALUES_PER_POINT} per point of --max-points); lower the points or the \
                     parameters, or raise --max-points",
                    spec.parameters.len()
                ),
            ));
        }
        let base = Base::load(&spec, &limits.run)?;
        if base.realised.is_none()
            && !base.flat.nodes().iter().any(|n| n.eq_ignore_ascii_case(&base.event.signal))
        {
            let line = spec.event_line.unwrap_or(0);
            return Err(err(
                line,
                format!(
                    "the event node `{}` is not a node of the base circuit ({}); nodes: {}",
                    base.event.signal,
                    base.description,
                    shown_nodes(&base.flat)
                ),
            ));
        }
        let mut resolved = Vec::new();
        for p in &spec.parameters {
            let unit = if p.relative { None } else { p.unit.as_deref() };
            let mut r =
                point::resolve(&base.circuit, &base.flat, &p.name, unit).map_err(|m| err(p.line, m))?;
            if p.relative && r.nominal == 0.0 {
                return Err(err(p.line, format!("`{}` is relative but its nominal value is 0", p.name)));
            }
            if p.relative {
                r.unit = "x nominal".into();
            }
            resolved.push(r);
        }
        let mut spreads = Vec::new();
        let mut samples = 1;
        if let Some(mc) = &spec.monte_carlo {
            samples = mc.samples;
            let present = point::classes_present(&base.flat);
            for (class, sigma) in &mc.class {
                if !present.contains(&class.as_str()) {
                    return Err(err(
                        0,
                        format!("monte_carlo class `{class}`: the base circuit has no {class}"),
                    ));
                }
                spreads.push(Spread::Class(class.clone(), *sigma));
            }
            for (name, sigma, line) in &mc.parameter {
                let t = point::resolve_spread(&base.circuit, &base.flat, name).map_err(|m| err(*line, m))?;
                spreads.push(Spread::Named(t, *sigma));
            }
        }
        let parameter_points = sample::points(&spec.parameters, spec.sampling, spec.points, spec.seed);
        Ok(Sweep { spec, base, resolved, spreads, parameter_points, samples })
    }

    /// The number of points of the whole sweep.
    pub fn total(&self) -> usize {
        self.parameter_points.len() * self.samples
    }

    /// The column names (with units).
    pub fn columns(&self) -> Vec<String> {
        let mut c = vec!["point".to_string(), "seed".to_string()];
        if self.base.realised.is_some() {
            c.push(ENGINE_SEED.to_string());
        }
        for (p, r) in self.spec.parameters.iter().zip(&self.resolved) {
            c.push(format!("{} [{}]", p.name, r.unit));
        }
        for m in &self.spec.metrics {
            c.push(format!("{} [{}]", m.name(), m.unit()));
        }
        for s in ["status", "error", "verify", "atscale_version", "ngspice_version"] {
            c.push(s.to_string());
        }
        c
    }

    /// The points that are verified through ngspice: `k` distinct points
    /// drawn from the seed.
    pub fn verify_points(&self, k: usize) -> BTreeSet<usize> {
        let total = self.total();
        let perm = Rng::stream(self.spec.seed, u64::MAX - 1).permutation(total);
        perm.into_iter().take(k.min(total)).collect()
    }

    /// The header of a results file.
    pub fn header(&self, ngspice: &str, verify_sample: usize, shard: Option<Shard>) -> Header {
        let mc = match &self.spec.monte_carlo {
            None => "none".to_string(),
            Some(m) => {
                let mut parts = vec![format!("samples={}", m.samples)];
                if let Some(r) = &self.base.realised {
                    parts.push(format!("section={} {ENGINE_SEED}=seed+point", r.section));
                    if r.statistics.is_some() {
                        parts.push("drawn_by=atscale".into());
                    }
                }
                parts.extend(m.class.iter().map(|(k, v)| format!("{k}={v}")));
                parts.extend(m.parameter.iter().map(|(k, v, _)| format!("{k}={v}")));
                parts.join(" ")
            }
        };
        let mut meta = vec![
            ("atscale".to_string(), env!("CARGO_PKG_VERSION").to_string()),
            ("ngspice".into(), self.simulator_version(ngspice)),
            ("sweep".into(), self.spec.file.clone()),
            ("sweep_hash".into(), self.spec.hash.clone()),
            ("base".into(), self.base.description.clone()),
            ("seed".into(), self.spec.seed.to_string()),
            ("sampling".into(), self.spec.sampling.name().to_string()),
            ("points".into(), self.total().to_string()),
            (
                "parameters".into(),
                self.spec.parameters.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join("|"),
            ),
            ("metrics".into(), self.spec.metrics.iter().map(|m| m.name()).collect::<Vec<_>>().join("|")),
            ("monte_carlo".into(), mc),
            ("verify_sample".into(), verify_sample.to_string()),
            ("tstop_s".into(), format!("{:?}", self.base.tstop_s)),
        ];
        if let Some(r) = &self.base.realised {
            meta.push(("sizing".into(), r.sizing()));
        }
        if let Some(s) = shard {
            meta.push(("shard".into(), format!("{}/{}", s.index, s.count)));
        }
        Header::new(meta, self.columns())
    }

    /// The circuit of point `i`.
    ///
    /// # Errors
    ///
    /// A sentence: a value the circuit refuses (a negative resistance drawn
    /// by a mismatch, ...).
    pub fn circuit(&self, i: usize) -> std::result::Result<FlatCircuit, String> {
        let values = self.absolute_values(i);
        let mut rng = Rng::stream(self.spec.seed, i as u64);
        point::build(&self.base.circuit, &self.base.flat, &self.resolved, &values, &self.spreads, &mut rng)
    }

    fn sweep_values(&self, i: usize) -> &[f64] {
        &self.parameter_points[i / self.samples]
    }

    fn absolute_values(&self, i: usize) -> Vec<f64> {
        self.sweep_values(i)
            .iter()
            .zip(&self.spec.parameters)
            .zip(&self.resolved)
            .map(|((v, p), r)| if p.relative { v * r.nominal } else { *v })
            .collect()
    }

    /// Simulates point `i`'s circuit and measures its metrics.
    ///
    /// # Errors
    ///
    /// A sentence: the solver's or the landscape analysis' error.
    pub fn measure(
        &self,
        flat: &FlatCircuit,
        limits: &Limits,
    ) -> std::result::Result<Vec<metrics::Value>, String> {
        let b = &self.base;
        let (sim, _) =
            simulation_for(flat, &b.analysis, &Overrides::default(), b.tstop_s).map_err(|e| e.to_string())?;
        let deadline = std::time::Instant::now().checked_add(limits.timeout);
        let mut sim = sim.limits(limits.sim()).stop_check(interrupt::stop_check(deadline));
        if self.spec.metrics.contains(&Metric::EnergyPerSpike) {
            sim = sim.output(Output::All);
            for p in atscale_design::energy::energy_probes(flat).map_err(|e| e.to_string())? {
                sim = sim.probe(&p);
            }
        }
        let sim = sim.event_spec(&b.event);
        let result = sim.run().map_err(|e| e.to_string())?;
        let tstep = b.analysis.tran.map_or(b.tstop_s / 1000.0, |t| t.tstep_s);
        let cx = Context {
            circuit: flat,
            membrane: &b.event.signal,
            v_range: b.v_range,
            timing: TranTiming { tstep, tstop: b.tstop_s },
        };
        metrics::measure(&self.spec.metrics, &cx, &result).map_err(|e| e.to_string())
    }

    /// Runs point `i`'s circuit through the native engine and ngspice and
    /// compares the spike events: `agree`, or `disagree: ...`.
    ///
    /// # Errors
    ///
    /// A sentence: the netlist could not be written or an engine failed.
    pub fn verify_point(
        &self,
        flat: &FlatCircuit,
        i: usize,
        limits: &Limits,
    ) -> std::result::Result<String, String> {
        let mut analysis = self.base.analysis.clone();
        if let (Some(h), Some(t)) = (self.base.verify_max_step_s, analysis.tran.as_mut()) {
            t.tmax_s = Some(h);
        }
        let title = format!("Point {i} of sweep {}", self.spec.file);
        let p = Prepared::for_circuit(
            &format!("point-{i}.cir"),
            &title,
            flat.clone(),
            analysis,
            Vec::new(),
            limits,
        )
        .map_err(|e| e.to_string())?;
        let ev = &self.base.event;
        let opts = VerifyOptions {
            engines: vec![EngineKind::Native, EngineKind::Ngspice],
            events: vec![EventSpec { signal: format!("v({})", ev.signal), ..ev.clone() }],
            probes: Vec::new(),
            overrides: Overrides::default(),
            tolerances: atscale_verify::compare::Tolerances::default(),
            compare: atscale_verify::compare::CompareOptions::default(),
            converged: false,
            limits: *limits,
            allow_control: false,
        };
        let v = verify(&p, &opts).map_err(|e| e.to_string())?;
        let counts: Vec<String> = v
            .runs
            .iter()
            .map(|r| format!("{} {}", r.report.name, r.report.events.values().map(Vec::len).sum::<usize>()))
            .collect();
        Ok(if v.report.verdict.agree {
            format!("agree ({} events)", counts.join("; "))
        } else {
            format!("disagree ({} events)", counts.join("; "))
        })
    }

    /// The row of point `i`: never fails; a failure is written in the row.
    pub fn row(&self, i: usize, verify: bool, limits: &Limits, ngspice: &str) -> Vec<String> {
        let mut fields = vec![i.to_string(), self.spec.seed.to_string()];
        let engine_seed = realised::engine_seed(self.spec.seed, i);
        if self.base.realised.is_some() {
            fields.push(engine_seed.to_string());
        }
        fields.extend(self.sweep_values(i).iter().map(|v| format!("{v:?}")));
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if let Some(r) = &self.base.realised {
                return Ok((r.measure(&self.spec.metrics, engine_seed, limits.timeout)?, String::new()));
            }
            let flat = self.circuit(i)?;
            let values = self.measure(&flat, limits)?;
            let verdict = if verify {
                self.verify_point(&flat, i, limits).unwrap_or_else(|e| format!("error: {e}"))
            } else {
                String::new()
            };
            Ok::<_, String>((values, verdict))
        }))
        .unwrap_or_else(|panic| {
            let what = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("internal error (please report): {what}"))
        });
        match outcome {
            Ok((values, verdict)) => {
                fields.extend(values.iter().map(metrics::Value::cell));
                fields.extend(["ok".to_string(), String::new(), verdict]);
            }
            Err(e) => {
                fields.extend(self.spec.metrics.iter().map(|_| String::new()));
                fields.extend(["failed".to_string(), e, String::new()]);
            }
        }
        fields.push(env!("CARGO_PKG_VERSION").to_string());
        fields.push(self.simulator_version(ngspice));
        fields
    }

    /// The version the rows record: ngspice's, or for a realisation that
    /// runs in another simulator (IHP in VACASK), that simulator's.
    fn simulator_version(&self, ngspice: &str) -> String {
        match &self.base.realised {
            Some(r) if r.simulator.engine() != atscale_design::realise::Engine::Ngspice => {
                r.simulator.version()
            }
            _ => ngspice.to_string(),
        }
    }
}

/// How to run a sweep.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run only this shard.
    pub shard: Option<Shard>,
    /// Continue an interrupted run from its `.partial` file.
    pub resume: bool,
    /// Overwrite existing results (regular files only).
    pub force: bool,
    /// Verify this many random points through ngspice.
    pub verify_sample: usize,
    /// Worker threads (default: all cores; at most [`MAX_JOBS`]).
    pub jobs: Option<usize>,
    /// The limits of each point's runs (native and ngspice; the timeout is per run).
    pub limits: Limits,
}

/// What happened, as the run goes.
#[derive(Debug)]
pub enum Progress<'a> {
    /// The run starts: points to compute, points already done (resumed).
    Started {
        /// Points to compute now.
        todo: usize,
        /// Points found in the partial file.
        resumed: usize,
    },
    /// A point finished.
    Point {
        /// Its row.
        row: &'a [String],
        /// Points finished in this run so far.
        done: usize,
        /// Points to compute in this run.
        todo: usize,
        /// Whether it failed.
        failed: bool,
    },
}

/// The outcome of [`run`].
#[derive(Debug, Clone, PartialEq)]
pub struct RunSummary {
    /// The results file.
    pub path: PathBuf,
    /// Points in this run's part (the shard, or the whole sweep).
    pub points: usize,
    /// Points computed now.
    pub computed: usize,
    /// Points taken from the partial file.
    pub resumed: usize,
    /// Points that failed (in the whole file).
    pub failed: usize,
    /// Wall time of this run, s.
    pub wall_s: f64,
}

/// The partial file of a results file (`OUT.csv.partial`).
pub fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + 'a {
    move |source| Error::Io { action, path: path.to_path_buf(), source }
}

/// The ngspice version as results files record it (`absent` when none is installed).
pub fn ngspice_version(runner: Option<&NgspiceRunner>) -> String {
    runner.map_or_else(|| "absent".to_string(), |r| r.version().to_string())
}

/// Header keys that may differ between a run and its resumption: the
/// ngspice found, and the sweep and base files as spelled (`s.toml` and
/// `./s.toml` are one sweep; the content hash `sweep_hash` decides).
const RESUME_IGNORES: [&str; 3] = ["ngspice", "sweep", "base"];

/// Runs a sweep (or one shard of it) into `out`: rows are appended to
/// `out.partial` as points finish; when every point is in, the rows are
/// sorted and `out` is written atomically and the partial file removed.
/// The run holds an exclusive lock on `out` (`out.lock`) from start to end,
/// so a second run (or a `--resume`) on the same file is refused while the
/// first goes on. An interruption (Ctrl-C, SIGTERM) stops scheduling
/// points, kills the simulators in flight and keeps the partial file.
///
/// # Errors
///
/// [`Error::File`] when another run holds `out`, when `out` is not a
/// regular file, or exists without `force`; [`Error::Io`] or
/// [`Error::Table`] for the partial file (one without `resume` or `force`,
/// one of another sweep); [`Error::Interrupted`]; the ngspice runner's
/// error when `verify_sample` is set and ngspice is missing. A failing point
/// is not an error: it is recorded in its row.
pub fn run(
    sweep: &Sweep,
    out: &Path,
    opts: &RunOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<RunSummary> {
    let started = Instant::now();
    check_jobs(sweep, opts)?;
    let partial = partial_path(out);
    let folder = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Err(source) = std::fs::read_dir(folder) {
        return Err(Error::Io {
            action: "write the results into the folder",
            path: folder.to_path_buf(),
            source,
        });
    }
    let _lock = Lock::acquire(out)?;
    check_target(&partial, true)?;
    let runner = detect_runner(opts)?;
    let ngspice = ngspice_version(runner.as_ref());
    let header = sweep.header(&ngspice, opts.verify_sample, opts.shard);
    let mine: Vec<usize> = (0..sweep.total()).filter(|i| opts.shard.is_none_or(|s| s.contains(*i))).collect();
    if out.exists() && !opts.force {
        check_target(out, true)?;
        if opts.resume && !partial.exists() {
            let t = Table::read(out)?;
            let failed =
                t.cells(t.header.column("status").unwrap_or(0)).iter().filter(|s| **s == "failed").count();
            return Ok(RunSummary {
                path: out.into(),
                points: mine.len(),
                computed: 0,
                resumed: t.rows.len(),
                failed,
                wall_s: 0.0,
            });
        }
        return Err(atscale_files::Error::Exists { path: out.to_path_buf() }.into());
    }
    check_target(out, true)?;
    let done = open_partial(&partial, &header, opts)?;
    let todo: Vec<usize> = mine.iter().copied().filter(|i| !done.contains(i)).collect();
    let resumed = mine.len() - todo.len();
    progress(Progress::Started { todo: todo.len(), resumed });
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&partial)
        .map_err(io("open the partial results", &partial))?;
    let mut write_error = None;
    compute(
        sweep,
        &todo,
        opts,
        runner.as_ref(),
        &ngspice,
        &mut |row| {
            if write_error.is_none() {
                let line = table::row_line(row);
                if let Err(e) = file.write_all(line.as_bytes()).and_then(|()| file.flush()) {
                    write_error = Some(e);
                }
            }
            write_error.is_none()
        },
        progress,
    )
    .map_err(|source| Error::Io { action: "start worker threads for", path: out.into(), source })?;
    if let Some(e) = write_error {
        return Err(io("write the partial results", &partial)(e));
    }
    file.sync_all().map_err(io("write the partial results", &partial))?;
    drop(file);
    if interrupt::requested() {
        return Err(Error::Interrupted { partial });
    }
    let t = Table::read(&partial)?;
    let missing = mine.iter().filter(|i| !t.rows.contains_key(i)).count();
    if missing > 0 {
        return Err(Error::Table {
            file: partial.display().to_string(),
            line: 0,
            message: format!("{missing} points are missing after the run; pass --resume to compute them"),
        });
    }
    atscale_files::write_atomically(out, &t.bytes_for(out)?, opts.force)?;
    std::fs::remove_file(&partial).map_err(io("remove the partial results", &partial))?;
    let status = t.header.column("status").unwrap_or(0);
    let failed = t.cells(status).iter().filter(|s| **s == "failed").count();
    Ok(RunSummary {
        path: out.to_path_buf(),
        points: mine.len(),
        computed: todo.len(),
        resumed,
        failed,
        wall_s: started.elapsed().as_secs_f64(),
    })
}

/// Computes the points `todo` on a pool of `opts.jobs` threads, handing
/// each row to `keep` (in the order the points finish; `keep` returning
/// false stops scheduling points) and reporting each to `progress`. Points
/// stopped by an interruption are not handed over.
fn compute(
    sweep: &Sweep,
    todo: &[usize],
    opts: &RunOptions,
    runner: Option<&NgspiceRunner>,
    ngspice: &str,
    keep: &mut dyn FnMut(&[String]) -> bool,
    progress: &mut dyn FnMut(Progress<'_>),
) -> std::io::Result<()> {
    let verify_set = sweep.verify_points(opts.verify_sample);
    // Stacks as deep as the main thread's: flattening recurses once per subcircuit level.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .stack_size(8 << 20)
        .build()
        .map_err(std::io::Error::other)?;
    let cancel = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Vec<String>>();
    std::thread::scope(|scope| {
        let (cancel, verify_set, limits) = (&cancel, &verify_set, &opts.limits);
        scope.spawn(move || {
            pool.install(|| {
                todo.par_iter().for_each_with(tx, |tx, &i| {
                    if cancel.load(Ordering::Relaxed) || interrupt::requested() {
                        return;
                    }
                    let verify = runner.is_some() && verify_set.contains(&i);
                    let row = sweep.row(i, verify, limits, ngspice);
                    // A point stopped by the interruption is not a result: leave it for --resume.
                    if !interrupt::requested() {
                        let _ = tx.send(row);
                    }
                });
            });
        });
        for (k, row) in rx.into_iter().enumerate() {
            if !keep(&row) {
                cancel.store(true, Ordering::Relaxed);
            }
            let failed = row.get(row.len() - 5).is_some_and(|s| s == "failed");
            progress(Progress::Point { row: &row, done: k + 1, todo: todo.len(), failed });
        }
    });
    Ok(())
}

/// Runs a sweep (or one shard of it) in memory: the table [`run`] would
/// write, rows in point order, byte for byte the same text. Nothing is
/// written and nothing can be resumed.
///
/// # Errors
///
/// [`Error::Spec`] for a bad `jobs`; [`Error::Cancelled`] on an interruption; the ngspice runner's error when `verify_sample` is set and
/// ngspice is missing. A failing point is recorded in its row.
pub fn run_in_memory(
    sweep: &Sweep,
    opts: &RunOptions,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Table> {
    check_jobs(sweep, opts)?;
    let runner = detect_runner(opts)?;
    let ngspice = ngspice_version(runner.as_ref());
    let header = sweep.header(&ngspice, opts.verify_sample, opts.shard);
    let todo: Vec<usize> = (0..sweep.total()).filter(|i| opts.shard.is_none_or(|s| s.contains(*i))).collect();
    progress(Progress::Started { todo: todo.len(), resumed: 0 });
    let mut rows = std::collections::BTreeMap::new();
    compute(
        sweep,
        &todo,
        opts,
        runner.as_ref(),
        &ngspice,
        &mut |row| {
            if let Some(i) = row.first().and_then(|p| p.parse::<usize>().ok()) {
                rows.insert(i, (row.to_vec(), 0));
            }
            true
        },
        progress,
    )
    .map_err(|source| Error::Io {
        action: "start worker threads for",
        path: PathBuf::from(&sweep.spec.file),
        source,
    })?;
    if interrupt::requested() {
        return Err(Error::Cancelled);
    }
    Ok(Table { header, rows, complete_len: 0 })
}

fn check_jobs(sweep: &Sweep, opts: &RunOptions) -> Result<()> {
    if sweep.base.realised.is_some() && opts.verify_sample > 0 {
        return Err(Error::Spec {
            file: sweep.spec.file.clone(),
            line: 0,
            message:
                "--verify-sample compares the native solver with ngspice; a [realise] base's points run \
                      the technology's models in ngspice, which the native solver cannot read"
                    .into(),
        });
    }
    match opts.jobs {
        Some(j) if j == 0 || j > MAX_JOBS => Err(Error::Spec {
            file: sweep.spec.file.clone(),
            line: 0,
            message: format!("--jobs {j}: give 1 to {MAX_JOBS} worker threads"),
        }),
        _ => Ok(()),
    }
}

/// ngspice for the verified points: required when `verify_sample` is set,
/// else only its version is recorded (when installed).
fn detect_runner(opts: &RunOptions) -> Result<Option<NgspiceRunner>> {
    if opts.verify_sample > 0 {
        Ok(Some(NgspiceRunner::detect_within(opts.limits.timeout)?))
    } else {
        match NgspiceRunner::detect_within(opts.limits.timeout) {
            Ok(runner) => Ok(Some(runner)),
            // A setting of the user's that is wrong is an error, not an absent ngspice.
            Err(e @ atscale_verify::Error::BadThreads { .. }) => Err(e.into()),
            Err(_) => Ok(None),
        }
    }
}

/// Opens (or creates) the partial file of a run: with `resume`, checks it
/// belongs to the same sweep, drops a row torn by an interruption and
/// returns the points already in it; with `force`, starts it over.
fn open_partial(partial: &Path, header: &Header, opts: &RunOptions) -> Result<BTreeSet<usize>> {
    let mut done = BTreeSet::new();
    if partial.exists() {
        if opts.resume {
            let t = Table::read(partial)?;
            let keep = |(k, _): &&(String, String)| !RESUME_IGNORES.contains(&k.as_str());
            let same = t.header.columns == header.columns
                && t.header.meta.iter().filter(keep).eq(header.meta.iter().filter(keep));
            if !same {
                return Err(Error::Table {
                    file: partial.display().to_string(),
                    line: 0,
                    message: "it is the partial file of another sweep, shard or option set; pass --force to start over".into(),
                });
            }
            done = t.rows.keys().copied().collect();
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(partial)
                .map_err(io("open the partial results", partial))?;
            f.set_len(t.complete_len as u64).map_err(io("truncate the partial results", partial))?;
        } else if opts.force {
            std::fs::remove_file(partial).map_err(io("remove the partial results", partial))?;
        } else {
            return Err(Error::Io {
                action: "start the sweep into",
                path: partial.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "it is left from an interrupted run; pass --resume to continue it or --force to start over",
                ),
            });
        }
    }
    if !partial.exists() {
        let mut f = std::fs::File::create(partial).map_err(io("create the partial results", partial))?;
        f.write_all(header.text().as_bytes()).map_err(io("write the partial results", partial))?;
        f.sync_all().map_err(io("write the partial results", partial))?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_points() {
        let shards: Vec<Shard> = (1..=4).map(|i| Shard::parse(&format!("{i}/4")).unwrap()).collect();
        for p in 0..103 {
            assert_eq!(shards.iter().filter(|s| s.contains(p)).count(), 1, "point {p}");
        }
        assert_eq!(Shard::parse("0/4").unwrap_err(), "shard 0/4 is out of range: I must be in 1..=N");
        assert_eq!(Shard::parse("5/4").unwrap_err(), "shard 5/4 is out of range: I must be in 1..=N");
        assert_eq!(Shard::parse("2").unwrap_err(), "shard `2` is not of the form I/N");
        assert_eq!(Shard::parse("a/4").unwrap_err(), "shard index `a` is not a number");
    }

    #[test]
    fn the_partial_file_sits_next_to_the_results() {
        assert_eq!(partial_path(Path::new("out/r.csv")), PathBuf::from("out/r.csv.partial"));
    }
}
