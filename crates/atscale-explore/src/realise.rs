//! Realisation evidence in the technology's simulator (ngspice, or VACASK:
//! [`crate::simulator`]): the run layer of `atscale realise`.
//!
//! [`realise_with_evidence`] realises a design in a technology
//! ([`atscale_design::realise`]), sizes its bias mirrors on the simulator's
//! mirror bank, measures the membrane trim at the design's knee, writes the
//! netlists, runs the nominal circuit and a bias sweep and compares each
//! with the ideal model's prediction and the behavioural design
//! ([`Evidence`]). Every run goes through one [`Simulator`]: the engine is
//! a parameter of the technology (`engine = "vacask"`), not another path.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use atscale_circuit::units::si;
use atscale_circuit::{Analysis, ElementKind, FlatCircuit, Options as SpiceOptions, Tran};
use atscale_design::realise::mapping::{
    design_knee, is_mirror, measure_model, mirror_equivalent_width, mirror_probe, mirror_size_of,
    mirror_unit, resize_mirror, set_mirror, trim_probe, DeviceKind, MirrorSize, MAX_MIRROR_FINGERS,
};
use atscale_design::realise::tech::K_OVER_Q;
use atscale_design::realise::{
    current_sensitivity, predict, realise, ModelSource, Options, Prediction, Realisation, RunSettings,
    Sensitivity, Technology, SENSITIVITY_STEP_MODEL,
};
use atscale_design::spec::Design;
use atscale_design::spikes::{burst_count, burst_starts, bursts, intra_burst_interval, spike_period};
use atscale_sim::EventSpec;
use atscale_spice::{write_netlist_with, Header, Library, Setup, Xyce};
use atscale_verify::events::crossings;
use atscale_verify::raw::Plot;
use serde::Serialize;

use crate::drawn::Statistics;
use crate::error::{Error, Result};
use crate::followers::{cancelling, followers, measure_follower_offsets, FollowerOffset};
use crate::simulator::{netlist_files, shunts_as_resistors, write, Ran, RunLimits, Simulator, Written};
use crate::strays::{measure_membrane_stray, Stray};

/// What one run of a realisation showed.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// Bias scale of the run.
    pub bias_scale: f64,
    /// Spike times on the membrane, s.
    pub events_s: Vec<f64>,
    /// Firing rate, Hz (steady mean after two spikes).
    pub rate_hz: Option<f64>,
    /// Spikes per burst (settled), if it bursts.
    pub spikes_per_burst: Option<u32>,
    /// Burst period, s.
    pub burst_period_s: Option<f64>,
    /// Mean interval between spikes inside a burst, s.
    pub intra_burst_interval_s: Option<f64>,
    /// Energy the supply `Vdd` delivers per spike, J: its power integrated
    /// from the first spike to the last over the spikes between.
    pub energy_per_spike_j: Option<f64>,
    /// The simulator's wall time, s.
    pub wall_s: f64,
}

/// Monte Carlo on the technology's statistical library section: the same
/// sized circuit run once per seed (`.options seed`), the models' random
/// draws (process variation and mismatch, as the section defines them)
/// differing between runs.
#[derive(Debug, Clone, Serialize)]
pub struct MonteCarlo {
    /// The library section.
    pub section: String,
    /// What atscale drew itself for the section ([`crate::drawn`]), if
    /// the simulator does not draw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drawn: Option<String>,
    /// Each run.
    pub runs: Vec<SeedRun>,
}

/// One Monte Carlo run.
#[derive(Debug, Clone, Serialize)]
pub struct SeedRun {
    /// Its seed.
    pub seed: u64,
    /// What it showed, unless it failed.
    pub measured: Option<Measured>,
    /// Why it failed (the simulator's error: no convergence, the time limit), if it did.
    pub error: Option<String>,
    /// The netlist run, when atscale drew its values ([`crate::drawn`]):
    /// the draw is in its text, not in a seed the simulator reads.
    #[serde(skip)]
    pub netlist: Option<String>,
}

impl MonteCarlo {
    /// The runs' rates, Hz (spikers), or burst periods, s (bursters), whichever a run has.
    pub fn values(&self) -> (&'static str, Vec<f64>) {
        let measured = || self.runs.iter().filter_map(|r| r.measured.as_ref());
        let bursting = measured().any(|m| m.burst_period_s.is_some());
        let pick = |m: &Measured| if bursting { m.burst_period_s } else { m.rate_hz };
        let values = measured().filter_map(pick).collect();
        (if bursting { "burst period" } else { "rate" }, values)
    }
}

/// One run of a corner sweep (`--corners`, `--temperatures`): the same
/// sized circuit on another section of the model library or at another
/// temperature.
#[derive(Debug, Clone, Serialize)]
pub struct CornerRun {
    /// The library section (process corner), if the technology has a library.
    pub section: Option<String>,
    /// Temperature, °C.
    pub temperature_c: f64,
    /// What the run showed, unless it failed.
    pub measured: Option<Measured>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// The evidence section of the report.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// The simulator that ran it, with its version (`ngspice 39`, `vacask ...`).
    pub simulator: String,
    /// The nominal run.
    pub nominal: Measured,
    /// The behavioural design's rate (native solver), Hz.
    pub design_rate_hz: Option<f64>,
    /// The behavioural design's spikes per burst and burst period, s.
    pub design_bursts: Option<(u32, f64)>,
    /// What the ideal model of the realisation predicts.
    pub ideal: Prediction,
    /// The membrane trim, if any (`--trim`): the design's knee (model V), the
    /// transistor circuit's and the design's steady-state current drawn from
    /// the membrane there, A, and the trim source's current, A.
    pub trim: Option<Trim>,
    /// Without the trim: the same measurement, the transistor circuit's
    /// static current error at the design's knee, left in.
    pub static_error: Option<Trim>,
    /// How the ideal model's period moves with a DC current into the
    /// membrane (what a static current error does to the design).
    pub sensitivity: Option<Sensitivity>,
    /// The behavioural design's mean intra-burst interval, s (native solver).
    pub design_intra_burst_interval_s: Option<f64>,
    /// Time-scale calibration factor, one number fitted on one quantity:
    /// the transistor period over the behavioural one for a spiker (1/rate);
    /// for a burster the transistor's mean intra-burst interval over the
    /// design's (the fast time scale), after which the burst period is
    /// compared.
    pub calibration_factor: Option<f64>,
    /// Burster: the transistor burst period divided by the calibration
    /// factor, relative to the design's (`calibrated / design - 1`).
    pub calibrated_period_deviation: Option<f64>,
    /// Burster: spikes per burst relative to the design's (`transistor / design - 1`).
    pub spikes_per_burst_deviation: Option<f64>,
    /// Of which the block nonlinearities (ideal model over behavioural design) explain this much.
    pub calibration_ideal_model: Option<f64>,
    /// Relative deviation of the transistor circuit from the ideal model's prediction (no fit).
    pub deviation_from_ideal: Option<f64>,
    /// Mirror-biased: the largest relative deviation of a mirror's current
    /// (measured on the mirror bank in ngspice after sizing) from its bias.
    pub mirror_error: Option<f64>,
    /// The sweep, if any: each run.
    pub sweep: Vec<Measured>,
    /// The membrane's stray capacitance, measured and taken off its
    /// capacitor (`--compensate-strays`).
    pub stray: Option<Stray>,
    /// The linearised followers' offsets, measured and cancelled in their
    /// output pairs' references ([`crate::followers`]).
    pub follower_offsets: Vec<FollowerOffset>,
    /// The corner and temperature runs, if any.
    pub corners: Vec<CornerRun>,
    /// The Monte Carlo runs, if any.
    pub monte_carlo: Option<MonteCarlo>,
    /// The run with some blocks replaced by their ideal model
    /// (`--ideal-blocks`), if asked.
    pub ideal_blocks: Option<IdealBlocksRun>,
    /// Fitted slope of log(rate) against log(bias scale), with the theory's 1.
    pub sweep_slope: Option<f64>,
    /// Largest relative deviation of a sweep point from `rate(1) x scale` (the calibrated prediction).
    pub sweep_max_deviation: Option<f64>,
}

/// The transistor circuit run with the blocks of some design elements
/// replaced by their part of the ideal model ([`Realisation::with_ideal_blocks`]).
#[derive(Debug, Clone, Serialize)]
pub struct IdealBlocksRun {
    /// The design elements whose blocks were ideal.
    pub elements: Vec<String>,
    /// What that circuit did.
    pub measured: Measured,
}

/// The membrane trim (see [`Evidence::trim`]).
#[derive(Debug, Clone, Serialize)]
pub struct Trim {
    /// The design's knee, model V (where its steady-state I-V curve is flattest).
    pub knee_model_v: f64,
    /// Current the transistor circuit draws from the membrane there, A.
    pub transistor_a: f64,
    /// Current the design draws there, A.
    pub design_a: f64,
    /// The trim source's current into the membrane, A (transistor minus design).
    pub trim_a: f64,
    /// The simulator's wall time of the measurement, s.
    pub wall_s: f64,
    /// The transistors' headroom at the knee, from the same operating point.
    pub headroom: Headroom,
}

/// Which transistors are out of saturation at an operating point: `|V_DS|`
/// below [`SATURATION_THERMAL_VOLTAGES`] thermal voltages, where a device
/// below threshold no longer acts as a current source (a cascode or a
/// symmetric amplifier's diode stack that does not fit the supply, an
/// output driven to a rail). Its current then depends on its drain: the
/// circuit no longer does what its ideal model says. Diode-connected
/// devices are always saturated, and a device whose `|V_GS|` is below the
/// same limit is off (the side of a pair the input has steered away from):
/// neither is counted.
#[derive(Debug, Clone, Serialize)]
pub struct Headroom {
    /// Transistors checked.
    pub transistors: usize,
    /// The `|V_DS|` below which a device is out of saturation, V.
    pub limit_v: f64,
    /// Those out of saturation: name and `|V_DS|`, V, smallest first.
    pub out_of_saturation: Vec<(String, f64)>,
}

/// A device below threshold saturates at `|V_DS|` of about this many thermal voltages.
pub const SATURATION_THERMAL_VOLTAGES: f64 = 4.0;

/// The headroom of `circuit`'s transistors at the first point of `plot`.
fn headroom(circuit: &FlatCircuit, plot: &Plot, temperature_c: f64) -> Result<Headroom> {
    let limit_v = SATURATION_THERMAL_VOLTAGES * K_OVER_Q * (temperature_c + 273.15);
    let volt = |node: &str| -> Result<f64> {
        if node == "0" {
            return Ok(0.0);
        }
        let v = plot.real(&format!("v({})", node.to_ascii_lowercase()))?;
        v.first().copied().ok_or(Error::Measurement { what: "the headroom check", missing: "time points" })
    };
    let mosfets: Vec<(&str, &str, &str, &str)> = circuit
        .elements
        .iter()
        .filter_map(|e| match &e.kind {
            ElementKind::Mosfet { d, g, s, .. } => {
                Some((e.name.as_str(), d.as_str(), g.as_str(), s.as_str()))
            }
            _ => None,
        })
        .collect();
    // The lower devices of a series stack or a self-cascoded (composite)
    // device, whose drain is the source of a device with their gate, work
    // in the linear region by design: the stack saturates with its top.
    let lower = |d: &str, g: &str| mosfets.iter().any(|&(_, _, g2, s2)| s2 == d && g2 == g);
    let mut out = Vec::new();
    for &(name, d, g, s) in &mosfets {
        let (vd, vg, vs) = (volt(d)?, volt(g)?, volt(s)?);
        let vds = (vd - vs).abs();
        if d != g && !lower(d, g) && (vg - vs).abs() >= limit_v && vds < limit_v {
            out.push((name.to_string(), vds));
        }
    }
    out.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(Headroom { transistors: mosfets.len(), limit_v, out_of_saturation: out })
}

/// What to realise and how to gather the evidence.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The design (`design.json` of `atscale design`).
    pub design: &'a Design,
    /// Its file, named in the netlists' headers.
    pub design_path: &'a Path,
    /// The technology.
    pub tech: &'a Technology,
    /// The technology file's folder (relative library paths resolve there).
    pub tech_dir: Option<&'a Path>,
    /// Bias scale and bias source of the realisation.
    pub options: Options,
    /// Run no simulation: netlists and sizing only.
    pub no_sim: bool,
    /// Trim the membrane bias at the design's knee (measured in the simulator).
    pub trim: bool,
    /// Bias scales of the sweep (empty: none).
    pub sweep: &'a [f64],
    /// Library sections (process corners) to run the sized circuit on
    /// (empty: the technology's own).
    pub corners: &'a [String],
    /// Temperatures to run the sized circuit at, °C (empty: the technology's).
    pub temperatures_c: &'a [f64],
    /// Monte Carlo on the technology's statistical section: (samples, first seed).
    pub monte_carlo: Option<(usize, u64)>,
    /// Largest step, model time units (default: the realisation's).
    pub max_step_model: Option<f64>,
    /// Stop time, model time units (default: the realisation's).
    pub tstop_model: Option<f64>,
    /// Wall-clock limit of each simulator run.
    pub timeout: Duration,
    /// Measure the transistors' stray capacitance on the membrane and take
    /// it off the membrane capacitor ([`crate::strays`]).
    pub compensate_strays: bool,
    /// Measure the linearised followers' offsets and move their output
    /// pairs' references by them ([`crate::followers`]).
    pub cancel_follower_offsets: bool,
    /// Design elements whose blocks an extra run replaces by their ideal
    /// model (empty: no such run).
    pub ideal_blocks: &'a [String],
}

/// The nominal run's waveform and what the comparison plot needs.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Time points of the transistor circuit's run, s.
    pub time_s: Vec<f64>,
    /// Its membrane voltage, V.
    pub membrane_v: Vec<f64>,
    /// The calibration factor (1 when there is none).
    pub calibration: f64,
    /// The sweep's (bias scale, rate in Hz) points.
    pub sweep_points: Vec<(f64, f64)>,
    /// The transistor circuit's membrane as the comparison shows it: time
    /// divided by the calibration factor, s, and model volts.
    pub transistor: Vec<(f64, f64)>,
    /// The behavioural design's membrane over the same window (native
    /// solver, at the realised time scale): time, s, and model volts.
    pub behavioural: Vec<(f64, f64)>,
}

/// `(time, value)` points.
type Curve = Vec<(f64, f64)>;

/// The transistor circuit's membrane in calibrated time and model volts,
/// and the behavioural design's over the same window.
fn comparison(
    r: &Realisation,
    design: &Design,
    t: &[f64],
    v: &[f64],
    calibration: f64,
) -> Result<(Curve, Curve)> {
    let s = &r.scales;
    let transistor = t.iter().zip(v).map(|(a, b)| (a / calibration, (b - s.v_ref_v) / s.s_volt)).collect();
    let m = r.options.bias_scale;
    let tstop = t.last().copied().unwrap_or(1.0) / calibration;
    let run = || {
        atscale_sim::Simulation::new(&design.physical)?
            .tstop(tstop * m)
            .uic(true)
            .probe(&design.membrane)
            .run()
    };
    let sim = run().map_err(atscale_design::Error::from)?;
    let trace = sim.trace(&design.membrane).unwrap_or_default();
    let behavioural = sim.time.iter().zip(trace).map(|(a, b)| (a / m, b / design.scales.s_volt)).collect();
    Ok((transistor, behavioural))
}

/// What [`realise_with_evidence`] gives.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The realisation (mirrors sized and trim applied when measured).
    pub realisation: Realisation,
    /// Its netlists, by file name ([`netlist_files`] of the technology's
    /// engine: ngspice's and Xyce's, or VACASK's), the first the one that runs.
    pub netlists: Vec<(&'static str, String)>,
    /// The evidence, unless `no_sim`.
    pub evidence: Option<Evidence>,
    /// The nominal waveform, unless `no_sim`.
    pub trace: Option<Trace>,
}

/// The deck settings of a realisation: its model library (written as an
/// absolute path, relative ones resolved in `tech_dir`) and temperature.
pub fn setup(r: &Realisation, tech_dir: Option<&Path>) -> Result<Setup> {
    library_setup(r.library.as_ref(), r.temperature_c, tech_dir)
}

/// [`setup`] from a model library (`path`, `section`) and a temperature, °C.
pub fn library_setup(
    library: Option<&(String, Option<String>)>,
    temp_c: f64,
    tech_dir: Option<&Path>,
) -> Result<Setup> {
    let mut libraries = Vec::new();
    if let Some((path, section)) = library {
        // A relative path is relative to the technology file; written absolute so the deck runs anywhere.
        let p = match tech_dir {
            Some(d) if Path::new(path).is_relative() => d.join(path),
            _ => PathBuf::from(path),
        };
        let p = std::fs::canonicalize(&p).map_err(|source| Error::Io {
            action: "find the model library",
            path: p.clone(),
            source,
        })?;
        libraries.push(Library { path: p.display().to_string(), section: section.clone() });
    }
    Ok(Setup { libraries, temp_c: Some(temp_c), ..Setup::default() })
}

/// The analysis of a realisation's netlists, to `tstop_s`.
pub fn analysis(r: &Realisation, tstop_s: f64) -> Analysis {
    let rs = &r.run;
    Analysis {
        tran: Some(Tran { tstep_s: rs.tmax_s, tstop_s, tstart_s: 0.0, tmax_s: Some(rs.tmax_s), uic: false }),
        options: run_options(rs),
        ic: rs.ic.clone(),
        nodeset: Vec::new(),
    }
}

/// The circuit and analysis of a realisation's Xyce netlist: ngspice's
/// shunt written as resistors ([`shunts_as_resistors`]).
fn xyce_run(r: &Realisation, tstop_s: f64) -> (atscale_circuit::Circuit, Analysis) {
    shunts_as_resistors(&r.netlist_circuit(), &analysis(r, tstop_s))
}

/// The simulator options of a realisation's runs: its tolerances, `gmin`,
/// the models' seed and the shunt of linearised followers.
pub fn run_options(rs: &RunSettings) -> SpiceOptions {
    SpiceOptions {
        reltol: Some(rs.reltol),
        abstol: Some(rs.abstol_a),
        chgtol: Some(rs.chgtol_c),
        gmin: Some(rs.gmin_s),
        other: rs
            .seed
            .map(|k| ("seed".to_string(), Some(k.to_string())))
            .into_iter()
            .chain(rs.rshunt_ohm.map(|r| ("rshunt".to_string(), Some(format!("{r:e}")))))
            .collect(),
        ..SpiceOptions::default()
    }
}

/// The header comment of a realisation's netlists.
pub fn header(r: &Realisation, design: &Path) -> Header {
    let s = &r.scales;
    Header {
        lines: vec![
            format!(
                "Realised by atscale from {} in technology {} at {} C",
                design.display(),
                r.technology,
                r.temperature_c
            ),
            format!("Scales: {}", s.describe()),
            format!(
                "Spike event: v({}) rising through {}, hysteresis {}",
                r.membrane,
                si(r.threshold_v, "V"),
                si(r.hysteresis_v, "V")
            ),
        ],
        ..Header::default()
    }
}

/// The netlist of a realisation with its stop time, written for `engine`.
pub fn netlist(
    r: &Realisation,
    engine: atscale_design::realise::Engine,
    tech_dir: Option<&Path>,
    design: &Path,
    tstop_s: f64,
) -> Result<Written> {
    let c = r.netlist_circuit();
    write(engine, &c, &analysis(r, tstop_s), &setup(r, tech_dir)?, &header(r, design))
}

/// Where a probe's netlist comes from and how long its run may take: the
/// technology's folder, the design's file and the time limit.
pub(crate) type ProbeContext<'a> = (Option<&'a Path>, &'a Path, Duration);

/// The analysis of a probe of `r` to `tstop_s`: the realisation's, with no
/// initial conditions (the followers start at their DC equilibrium).
pub(crate) fn probe_analysis(r: &Realisation, tstop_s: f64) -> Analysis {
    let mut an = analysis(r, tstop_s);
    an.ic.clear();
    an
}

/// Runs `circuit`, a probe of the realisation `r` (its devices, library and
/// header), under `an` in the simulator as `name`.
pub(crate) fn run_probe(
    sim: &Simulator,
    r: &Realisation,
    (circuit, an): (&FlatCircuit, &Analysis),
    name: &str,
    (tech_dir, design_path, timeout): ProbeContext<'_>,
) -> Result<Ran> {
    let c = r.to_circuit(circuit);
    let w = write(sim.engine(), &c, an, &setup(r, tech_dir)?, &header(r, design_path))?;
    let tstop_s = an.tran.as_ref().map_or(0.0, |t| t.tstop_s);
    sim.run(&w, name, &RunLimits { tstop_s, timeout, accept_recovered_singular: true, saves: &[] })
}

/// Runs a realisation's netlist and measures its membrane. A `bursting`
/// design's run is never read as a tonic spiker: without bursts it has no
/// rate (its window may hold too few bursts).
fn simulate(
    sim: &Simulator,
    r: &Realisation,
    w: &Written,
    (tstop_s, bursting): (f64, bool),
    timeout: Duration,
) -> Result<(Measured, Vec<f64>, Vec<f64>)> {
    // Only what is measured: a long transistor run saving every vector
    // writes hundreds of megabytes.
    let saves = [format!("v({})", r.membrane), "v(vdd)".to_string(), "i(vdd)".to_string()];
    let limits = RunLimits { tstop_s, timeout, accept_recovered_singular: true, saves: &saves };
    let name = netlist_files(w.engine)[0];
    let run = sim.run(w, name, &limits)?;
    let plot = run
        .plot()
        .ok_or(Error::Measurement { what: "the realisation's run", missing: "a transient plot" })?;
    let t = plot.time()?.to_vec();
    let v = plot.real(&format!("v({})", r.membrane))?.to_vec();
    let spec = EventSpec::rising(format!("v({})", r.membrane), r.threshold_v, r.hysteresis_v);
    let ev = crossings(&t, &v, &spec);
    let ibi = intra_burst_interval(&ev);
    let supply = plot.real("v(vdd)").and_then(|v| Ok((v, plot.real("i(vdd)")?)));
    let window = energy_window(&ev, bursting);
    let energy_per_spike_j = supply.ok().zip(window).and_then(|((vs, is), w)| supply_energy(&t, vs, is, w));
    let (spb, bp, rate) = match bursts(&ev) {
        Some((counts, p)) => (burst_count(&counts), Some(p), None),
        None if bursting => (None, None, None),
        None => (None, None, spike_period(&ev).map(|p| 1.0 / p)),
    };
    Ok((
        Measured {
            bias_scale: r.options.bias_scale,
            events_s: ev,
            rate_hz: rate,
            spikes_per_burst: spb,
            burst_period_s: bp,
            intra_burst_interval_s: if spb.is_some() { ibi } else { None },
            energy_per_spike_j,
            wall_s: run.wall_s,
        },
        t,
        v,
    ))
}

/// Measures the transistor circuit's steady-state current at the design's
/// knee (DC operating point, then a few steps) and returns the trim.
fn measure_trim(
    sim: &Simulator,
    r: &Realisation,
    design: &Design,
    tech_dir: Option<&Path>,
    design_path: &Path,
    timeout: Duration,
) -> Result<Option<Trim>> {
    let Some((knee, i_design)) = design_knee(design)? else {
        return Ok(None);
    };
    let probe = trim_probe(r, knee);
    let an = probe_analysis(r, 10.0 * r.run.tmax_s);
    let run = run_probe(sim, r, (&probe, &an), "trim", (tech_dir, design_path, timeout))?;
    let plot =
        run.plot().ok_or(Error::Measurement { what: "the trim measurement", missing: "a transient plot" })?;
    let i = plot.real("i(vtrim)")?;
    let first =
        *i.first().ok_or(Error::Measurement { what: "the trim measurement", missing: "time points" })?;
    let transistor_a = -first;
    let design_a = i_design * r.scales.current_a;
    let headroom = headroom(&probe, plot, r.temperature_c)?;
    if let Some((worst, vds)) = headroom.out_of_saturation.first() {
        tracing::warn!(
            "{} of {} transistors are out of saturation at the design's knee ({knee} model V): {worst} has \
             |V_DS| = {} (below {}); the circuit will not follow its ideal model (the amplifier topology or \
             the references do not fit the supply)",
            headroom.out_of_saturation.len(),
            headroom.transistors,
            si(*vds, "V"),
            si(headroom.limit_v, "V")
        );
    }
    Ok(Some(Trim {
        knee_model_v: knee,
        transistor_a,
        design_a,
        trim_a: transistor_a - design_a,
        wall_s: run.wall_s,
        headroom,
    }))
}

/// Sizes the bias mirrors of a mirror-biased realisation in the simulator:
/// the mirror bank ([`mirror_probe`]) is solved at its DC operating point,
/// [`MIRROR_PASSES`] times, and each mirror corrected on its own (the
/// bank holds every drain, and the gates come from the reference). After
/// the first run, its fingers: as many as its measured current per finger
/// asks (fingers of one device scale a current exactly); then its length,
/// by secant steps on `ln I` against `ln L` (a short channel's current
/// falls slower than `1/L`; the first step assumes `1/L`). The `W/L` rule
/// misses what the model knows: drain-induced barrier lowering between the
/// diode and a mirror, short-channel and width effects. Returns the
/// geometries and the largest remaining relative current error of the
/// last measurement.
const MIRROR_PASSES: usize = 6;

/// The bias mirrors' geometries by device name.
type MirrorSizes = Vec<(String, MirrorSize)>;

/// One mirror's last length and the current it gave (the secant's memory).
type LastStep = Option<(f64, f64)>;

fn size_mirrors(
    sim: &Simulator,
    r: &mut Realisation,
    tech: &Technology,
    tech_dir: Option<&Path>,
    design_path: &Path,
    timeout: Duration,
) -> Result<Option<(MirrorSizes, f64)>> {
    let mut worst = f64::NAN;
    if !r.devices.iter().any(is_mirror) {
        return Ok(None);
    }
    let drains = mirror_drains(sim, r, (tech_dir, design_path, timeout))?;
    let drain_v = |dev: &str| drains.get(dev).copied();
    let mut last: HashMap<String, LastStep> = HashMap::new();
    for pass in 0..=MIRROR_PASSES {
        let Some((bank, probes)) = mirror_probe(r, &drain_v) else { return Ok(None) };
        let an = probe_analysis(r, 10.0 * r.run.tmax_s);
        let run = run_probe(sim, r, (&bank, &an), "mirrors", (tech_dir, design_path, timeout))?;
        let what = "the mirror bank";
        let plot = run.plot().ok_or(Error::Measurement { what, missing: "a transient plot" })?;
        worst = 0.0;
        for (dev, src) in &probes {
            let i = plot.real(&format!("i({})", src.to_ascii_lowercase()))?;
            let measured = i.first().ok_or(Error::Measurement { what, missing: "time points" })?.abs();
            let d = r
                .devices
                .iter()
                .find(|d| &d.name == dev)
                .ok_or(Error::Measurement { what, missing: "a mirror device it names" })?;
            let (target, size) = (d.current_a.unwrap_or(0.0), mirror_size_of(d));
            let size = size.ok_or(Error::Measurement { what, missing: "a mirror's size" })?;
            worst = f64::max(worst, (measured / target - 1.0).abs());
            tracing::debug!(
                mirror = %dev, pass, measured_a = measured, target_a = target, fingers = size.fingers,
                l_m = size.l_m, w_m = size.w_m,
                "mirror bank"
            );
            if pass == MIRROR_PASSES || !(measured > 0.0 && target > 0.0) {
                continue;
            }
            let step = last.entry(dev.clone()).or_default();
            let fingers = tech.fingers(d.kind == DeviceKind::Pmos);
            if !fingers && size.w_m > mirror_unit(tech).0 * (1.0 + 1e-9) {
                // One device wider than the unit: its width, damped (the
                // current grows faster than the width).
                let w_eq = mirror_equivalent_width(tech, d).unwrap_or(0.0);
                resize_mirror(r, tech, dev, w_eq * (target / measured).powf(0.7))?;
                continue;
            }
            let next = if pass == 0 && fingers {
                *step = None;
                let n = (f64::from(size.fingers) * target / measured).round();
                MirrorSize { fingers: n.clamp(1.0, f64::from(MAX_MIRROR_FINGERS)) as u32, ..size }
            } else {
                let l_m = next_length(tech, size.l_m, (measured, target), *step);
                *step = Some((size.l_m, measured));
                MirrorSize { l_m, ..size }
            };
            set_mirror(r, dev, next)?;
        }
    }
    let mirrors = r
        .devices
        .iter()
        .filter(|d| is_mirror(d))
        .filter_map(|d| Some((d.name.clone(), mirror_size_of(d)?)))
        .collect();
    Ok(Some((mirrors, worst)))
}

/// Every bias mirror's drain voltage, V, at the DC operating point of the
/// realisation as sized by its `W/L` rule (its first time point): where
/// the mirror bank holds it, since a mirror's current depends on its
/// drain (drain-induced barrier lowering: sky130's mirrors at 0.8 µm
/// carry 15 to 25 % more at 0.9 V than their diode).
fn mirror_drains(sim: &Simulator, r: &Realisation, ctx: ProbeContext<'_>) -> Result<HashMap<String, f64>> {
    let an = probe_analysis(r, 10.0 * r.run.tmax_s);
    let run = run_probe(sim, r, (&r.circuit, &an), "mirror drains", ctx)?;
    let what = "the mirrors' drains";
    let plot = run.plot().ok_or(Error::Measurement { what, missing: "a transient plot" })?;
    let mirrors: HashSet<&str> = r.devices.iter().filter(|d| is_mirror(d)).map(|d| d.name.as_str()).collect();
    let mut drains = HashMap::new();
    for e in r.circuit.elements.iter().filter(|e| mirrors.contains(e.name.as_str())) {
        if let ElementKind::Mosfet { d, .. } = &e.kind {
            let v = plot.real(&format!("v({})", d.to_ascii_lowercase()))?;
            let v = *v.first().ok_or(Error::Measurement { what, missing: "time points" })?;
            drains.insert(e.name.clone(), v);
        }
    }
    Ok(drains)
}

/// The next length of a mirror measured `measured` A at `l_m` against
/// `target`: a secant step on `ln I` against `ln L` through the last step
/// (the exponent kept within 0.1..3; without a last step, `1/L`), at most
/// halving or doubling, on the grid and within the technology's lengths.
fn next_length(tech: &Technology, l_m: f64, (measured, target): (f64, f64), last: LastStep) -> f64 {
    let slope = last
        .filter(|(l0, i0)| *i0 > 0.0 && (l_m / l0).ln().abs() > 1e-6)
        .map_or(1.0, |(l0, i0)| -((measured / i0).ln() / (l_m / l0).ln()))
        .clamp(0.1, 3.0);
    let factor = (measured / target).powf(1.0 / slope).clamp(0.5, 2.0);
    let sz = &tech.sizing;
    sz.on_grid(l_m * factor, f64::round).clamp(sz.l_min_m, sz.l_max_m)
}

/// Gives the bias mirrors the geometries `mirrors` (by device name).
pub fn apply_mirror_sizes(r: &mut Realisation, mirrors: &[(String, MirrorSize)]) -> Result<()> {
    for (dev, size) in mirrors {
        set_mirror(r, dev, *size)?;
    }
    Ok(())
}

/// Least-squares slope of `ln y` against `ln x`.
pub fn loglog_slope(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> =
        points.iter().filter(|(x, y)| *x > 0.0 && *y > 0.0).map(|(x, y)| (x.ln(), y.ln())).collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

impl Measured {
    /// The period, s: the burst period of a burster, else 1 / rate.
    pub fn period_s(&self) -> Option<f64> {
        self.burst_period_s.or(self.rate_hz.map(|r| 1.0 / r))
    }
}

/// Realises `req.design`, gathers the evidence in the technology's
/// simulator (unless `req.no_sim`) and writes the netlists.
///
/// # Errors
///
/// The designer's, the runner's or the netlist writer's error.
pub fn realise_with_evidence(req: &Request<'_>) -> Result<Outcome> {
    let engine = req.tech.engine;
    check_ideal_blocks(req.ideal_blocks, engine, req.trim)?;
    if req.no_sim && req.cancel_follower_offsets {
        return Err(Error::Request {
            option: "--cancel-follower-offsets",
            message: "the offsets are measured in the simulator: not with --no-sim".into(),
        });
    }
    // Before any run: the statistics atscale would draw from are readable and its own.
    let statistics = if req.monte_carlo.is_some() { drawn_statistics(req)? } else { None };
    let sim = if req.no_sim { None } else { Some(Simulator::detect(engine, req.timeout)?) };
    let (r, mirrors, mirror_error, (knee, stray, follower_offsets)) =
        sized_and_trimmed(req, sim.as_ref(), true)?;
    // Measured in every run with a simulator; applied with `--trim`.
    let (trim, static_error) = if req.trim { (knee, None) } else { (None, knee) };
    let tstop_s = stop_time(req, &r);
    let runs = netlist(&r, engine, req.tech_dir, req.design_path, tstop_s)?;
    if let Some(m) = runs.modules.first() {
        // A realisation is transistors, capacitors, resistors and sources: the
        // netlist file must run as written, without modules beside it.
        return Err(atscale_spice::Error::Unrepresentable {
            context: "the realisation's netlist".into(),
            dialect: "VACASK",
            reason: format!("it needs the Verilog-A module `{}`", m.file_stem),
        }
        .into());
    }
    let mut netlists = vec![(netlist_files(engine)[0], runs.text.clone())];
    if engine == atscale_design::realise::Engine::Ngspice {
        let (circuit, an) = xyce_run(&r, tstop_s);
        let xyce = write_netlist_with(
            &circuit,
            &an,
            &setup(&r, req.tech_dir)?,
            &Xyce,
            &header(&r, req.design_path),
        )?;
        netlists.push((netlist_files(engine)[1], xyce));
    }
    let (evidence, trace) = match &sim {
        None => (None, None),
        Some(sim) => {
            let found = Found {
                mirrors: &mirrors,
                mirror_error,
                trim,
                static_error,
                stray,
                follower_offsets,
                statistics: statistics.as_ref(),
            };
            let (e, t, ideal_netlist) = evidence(req, sim, &r, &runs, tstop_s, found)?;
            if let Some(text) = ideal_netlist {
                netlists.push((IDEAL_BLOCKS_NETLIST, text));
            }
            (Some(e), Some(t))
        }
    };
    Ok(Outcome { realisation: r, netlists, evidence, trace })
}

/// What sizing and trimming found.
struct Found<'a> {
    mirrors: &'a [(String, MirrorSize)],
    mirror_error: Option<f64>,
    trim: Option<Trim>,
    static_error: Option<Trim>,
    stray: Option<Stray>,
    follower_offsets: Vec<FollowerOffset>,
    /// What atscale draws for `--monte-carlo` ([`drawn_statistics`]).
    statistics: Option<&'a Statistics>,
}

/// The membrane's static current error at the design's knee (the trim,
/// when applied), its stray capacitance and the followers' offsets, as
/// measured.
type MembraneFixes = (Option<Trim>, Option<Stray>, Vec<FollowerOffset>);

/// The realisation with its mirrors sized and, with `req.trim`, its
/// membrane trimmed in the simulator (when one is given), the mirror
/// mirrors' geometries, the largest mirror error and the knee's current error
/// (measured with `req.trim` or `report_knee`).
fn sized_and_trimmed(
    req: &Request<'_>,
    runner: Option<&Simulator>,
    report_knee: bool,
) -> Result<(Realisation, MirrorSizes, Option<f64>, MembraneFixes)> {
    let (design, tech, mut opts, timeout) = (req.design, req.tech, req.options.clone(), req.timeout);
    let mut r = realise(design, tech, &opts)?;
    for w in &r.warnings {
        tracing::warn!("{w}");
    }
    if req.cancel_follower_offsets && followers(&r, design).is_empty() {
        return Err(Error::Request {
            option: "--cancel-follower-offsets",
            message: "the realisation has no linearised follower (a memristive element's, with `--followers \
                      linearised`, below threshold)"
                .into(),
        });
    }
    if !req.ideal_blocks.is_empty() {
        // Names checked before any run.
        r.with_ideal_blocks(req.ideal_blocks)?;
    }
    let mut mirrors = Vec::new();
    let mut mirror_error = None;
    if let Some(runner) = runner {
        if let Some((w, err)) = size_mirrors(runner, &mut r, tech, req.tech_dir, req.design_path, timeout)? {
            mirrors = w;
            mirror_error = Some(err);
        }
    }
    let mut offsets = Vec::new();
    if let (Some(runner), true) = (runner, req.cancel_follower_offsets) {
        offsets = measure_follower_offsets(runner, &r, design, (req.tech_dir, req.design_path, timeout))?;
        opts = cancelling(&opts, &offsets, r.scales.s_volt);
        r = realise(design, tech, &opts)?;
        apply_mirror_sizes(&mut r, &mirrors)?;
    }
    let mut stray = None;
    if let (Some(runner), true) = (runner, req.compensate_strays) {
        let s = measure_membrane_stray(runner, &r, req.tech_dir, req.design_path, timeout)?;
        opts.membrane_stray_f = s.capacitance_f;
        r = realise(design, tech, &opts)?;
        apply_mirror_sizes(&mut r, &mirrors)?;
        stray = Some(s);
    }
    let mut knee = None;
    if let (Some(runner), true) = (runner, req.trim || report_knee) {
        knee = measure_trim(runner, &r, design, req.tech_dir, req.design_path, timeout)?;
        if let (Some(t), true) = (&knee, req.trim) {
            r = realise(design, tech, &Options { membrane_trim_a: t.trim_a, ..opts })?;
            apply_mirror_sizes(&mut r, &mirrors)?;
        }
    }
    if let Some(m) = req.max_step_model {
        r.run.tmax_s = m * r.scales.omega_s;
    }
    Ok((r, mirrors, mirror_error, (knee, stray, offsets)))
}

/// The nominal run, the ideal model's prediction, the calibration against
/// the behavioural design and the bias sweep; the `--ideal-blocks` run's
/// netlist, if any.
fn evidence(
    req: &Request<'_>,
    runner: &Simulator,
    r: &Realisation,
    written: &Written,
    tstop_s: f64,
    found: Found<'_>,
) -> Result<(Evidence, Trace, Option<String>)> {
    let design = req.design;
    let (nominal, t, v) = simulate(runner, r, written, (tstop_s, bursting(req)), req.timeout)?;
    let th = design.event.threshold_v / design.scales.s_volt;
    let hy = design.event.hysteresis_v / design.scales.s_volt;
    // Bursters: enough for four bursts even when the realisation's are
    // twice as long as the design's (burst detection needs four).
    let measure_model_units = if design.achieved.spikes_per_burst.is_some() {
        design.mother_period.map_or(25_000.0, |p| (12.0 * p).max(25_000.0))
    } else {
        800.0
    };
    let ideal = predict(r, th, hy, measure_model_units)?;
    let sensitivity = current_sensitivity(r, &ideal, (th, hy), measure_model_units, SENSITIVITY_STEP_MODEL)?;
    let cal = calibrate(req, r, &nominal, &ideal, (th, hy, measure_model_units))?;
    let sweep = bias_sweep(req, runner, found.mirrors, &r.options, tstop_s)?;
    let (ideal_blocks, ideal_netlist) = ideal_blocks_run(req, runner, r, tstop_s)?.unzip();
    let corners = corner_runs(req, runner, r, tstop_s)?;
    let monte_carlo = match req.monte_carlo {
        Some((n, seed)) => Some(monte_carlo(req, runner, r, tstop_s, (n, seed), found.statistics)?),
        None => None,
    };
    let pts: Vec<(f64, f64)> =
        sweep.iter().filter_map(|s| s.period_s().map(|p| (s.bias_scale, 1.0 / p))).collect();
    let slope = loglog_slope(&pts);
    let base = cal.transistor_period.map(|p| 1.0 / p);
    let k0 = req.options.bias_scale;
    let sweep_dev =
        base.and_then(|b| pts.iter().map(|(k, rate)| (rate / (b * k / k0) - 1.0).abs()).reduce(f64::max));
    let calibration = cal.factor.unwrap_or(1.0);
    let (transistor, behavioural) = comparison(r, design, &t, &v, calibration)?;
    let trace = Trace { time_s: t, membrane_v: v, calibration, sweep_points: pts, transistor, behavioural };
    let evidence = Evidence {
        simulator: runner.version(),
        nominal,
        design_rate_hz: cal.design_rate,
        design_bursts: cal.design_bursts,
        ideal,
        trim: found.trim,
        static_error: found.static_error,
        sensitivity,
        design_intra_burst_interval_s: cal.design_ibi,
        calibration_factor: cal.factor,
        calibrated_period_deviation: cal.calibrated_period_deviation,
        spikes_per_burst_deviation: cal.spikes_per_burst_deviation,
        calibration_ideal_model: cal.ideal_factor,
        deviation_from_ideal: cal.deviation_from_ideal,
        mirror_error: found.mirror_error,
        stray: found.stray,
        follower_offsets: found.follower_offsets,
        sweep,
        corners,
        monte_carlo,
        ideal_blocks,
        sweep_slope: slope,
        sweep_max_deviation: sweep_dev,
    };
    Ok((evidence, trace, ideal_netlist))
}

/// The file the `--ideal-blocks` run's netlist is written to.
pub const IDEAL_BLOCKS_NETLIST: &str = "ideal-blocks.cir";

/// Refuses `--ideal-blocks` where it cannot run as asked: the ideal
/// model's behavioural sources run in ngspice, and the trim, measured on
/// the transistor blocks, would be a current the ideal ones do not have.
///
/// # Errors
///
/// [`atscale_design::Error::IdealBlock`] naming the elements and why.
pub fn check_ideal_blocks(
    elements: &[String],
    engine: atscale_design::realise::Engine,
    trim: bool,
) -> Result<()> {
    let refuse = |reason: String| -> Result<()> {
        Err(atscale_design::Error::IdealBlock { element: elements.join(","), reason }.into())
    };
    match (elements.is_empty(), engine, trim) {
        (true, _, _) | (false, atscale_design::realise::Engine::Ngspice, false) => Ok(()),
        (false, atscale_design::realise::Engine::Ngspice, true) => refuse(
            "the trim cancels the transistor blocks' static error, which ideal blocks do not have: drop --trim"
                .into(),
        ),
        (false, e, _) => refuse(format!(
            "the ideal model's behavioural sources run in ngspice; this technology runs in {e} (its models need it)"
        )),
    }
}

/// The run of `--ideal-blocks`: the nominal netlist with those blocks'
/// transistors replaced by their ideal model's behavioural sources, and
/// that netlist's text.
fn ideal_blocks_run(
    req: &Request<'_>,
    runner: &Simulator,
    r: &Realisation,
    tstop_s: f64,
) -> Result<Option<(IdealBlocksRun, String)>> {
    if req.ideal_blocks.is_empty() {
        return Ok(None);
    }
    let c = r.to_circuit(&r.with_ideal_blocks(req.ideal_blocks)?);
    let w = write(
        runner.engine(),
        &c,
        &analysis(r, tstop_s),
        &setup(r, req.tech_dir)?,
        &header(r, req.design_path),
    )?;
    let (mut measured, _, _) = simulate(runner, r, &w, (tstop_s, bursting(req)), req.timeout)?;
    // The ideal sources draw from ground, not from the supply: no energy figure.
    measured.energy_per_spike_j = None;
    Ok(Some((IdealBlocksRun { elements: req.ideal_blocks.to_vec(), measured }, w.text)))
}

/// The comparison of the nominal run with the behavioural design and the
/// ideal model.
struct Calibration {
    design_rate: Option<f64>,
    design_bursts: Option<(u32, f64)>,
    design_ibi: Option<f64>,
    transistor_period: Option<f64>,
    factor: Option<f64>,
    ideal_factor: Option<f64>,
    calibrated_period_deviation: Option<f64>,
    spikes_per_burst_deviation: Option<f64>,
    deviation_from_ideal: Option<f64>,
}

/// One time factor fitted on one quantity: the period of a spiker, the
/// intra-burst interval of a burster (whose burst period is then compared).
fn calibrate(
    req: &Request<'_>,
    r: &Realisation,
    nominal: &Measured,
    ideal: &Prediction,
    (th, hy, window): (f64, f64, f64),
) -> Result<Calibration> {
    let design = req.design;
    // Behavioural design at the realised time scale (a bias scale speeds it up).
    let m = req.options.bias_scale;
    let design_rate = design.achieved.rate_hz.map(|x| x * m);
    let design_bursts = design.achieved.spikes_per_burst.zip(design.achieved.burst_period_s.map(|p| p / m));
    let design_period = design_bursts.map(|b| b.1).or(design_rate.map(|x| 1.0 / x));
    // Periods of the same kind as the design's: a burster that does not burst has no calibration.
    let bursting = design_bursts.is_some();
    let ideal_period = if bursting { ideal.burst_period_s } else { ideal.rate_hz.map(|x| 1.0 / x) };
    let t_period = if bursting { nominal.burst_period_s } else { nominal.rate_hz.map(|x| 1.0 / x) };
    // The behavioural design measured as the ideal model is (native solver, same window).
    let design_ibi = if bursting {
        measure_model(&design.mother, &r.membrane, r.scales.omega_s, th, hy, window)?.intra_burst_interval_s
    } else {
        None
    };
    let (factor, ideal_factor) = if bursting {
        (
            nominal.intra_burst_interval_s.zip(design_ibi).map(|(a, b)| a / b),
            ideal.intra_burst_interval_s.zip(design_ibi).map(|(a, b)| a / b),
        )
    } else {
        (t_period.zip(design_period).map(|(a, b)| a / b), ideal_period.zip(design_period).map(|(a, b)| a / b))
    };
    let calibrated_period_deviation = if bursting {
        t_period.zip(factor).zip(design_period).map(|((p, c), d)| p / c / d - 1.0)
    } else {
        None
    };
    Ok(Calibration {
        design_rate,
        design_bursts,
        design_ibi,
        transistor_period: t_period,
        factor,
        ideal_factor,
        calibrated_period_deviation,
        spikes_per_burst_deviation: nominal
            .spikes_per_burst
            .zip(design_bursts)
            .map(|(n, (d, _))| f64::from(n) / f64::from(d) - 1.0),
        deviation_from_ideal: t_period.zip(ideal_period).map(|(a, b)| a / b - 1.0),
    })
}

/// The realisation of `base` options (what was measured in: trim, strays,
/// follower offsets) run at each bias scale of `req.sweep` (the trim
/// scaled with the bias currents, the mirrors' geometries kept).
fn bias_sweep(
    req: &Request<'_>,
    runner: &Simulator,
    mirrors: &[(String, MirrorSize)],
    base: &Options,
    tstop_s: f64,
) -> Result<Vec<Measured>> {
    let k0 = base.bias_scale;
    let mut sweep = Vec::new();
    for &k in req.sweep {
        let trim_k = base.membrane_trim_a * k / k0;
        let opts = Options { bias_scale: k, membrane_trim_a: trim_k, ..base.clone() };
        let mut rk = realise(req.design, req.tech, &opts)?;
        apply_mirror_sizes(&mut rk, mirrors)?;
        if let Some(m) = req.max_step_model {
            rk.run.tmax_s = m * rk.scales.omega_s;
        }
        let tk = tstop_s * k0 / k;
        let text_k = netlist(&rk, runner.engine(), req.tech_dir, req.design_path, tk)?;
        sweep.push(simulate(runner, &rk, &text_k, (tk, bursting(req)), req.timeout)?.0);
    }
    Ok(sweep)
}

/// Whether the design bursts (its runs are read as bursts or not at all).
fn bursting(req: &Request<'_>) -> bool {
    req.design.achieved.spikes_per_burst.is_some()
}

/// The window over which the supply's energy is counted and the spikes it
/// holds: from the first spike to the last (a spiker), or from the start
/// of the first complete burst to the start of the last (a burster: whole
/// cycles, each with its quiet gap); `None` with fewer than two spikes or,
/// for a burster, two complete cycles.
fn energy_window(events: &[f64], bursting: bool) -> Option<(f64, f64, usize)> {
    if bursting {
        let starts = burst_starts(events)?;
        let (first, last) = (*starts.get(1)?, *starts.last()?);
        return (last > first && starts.len() >= 3).then(|| (events[first], events[last], last - first));
    }
    (events.len() >= 2).then(|| (events[0], events[events.len() - 1], events.len() - 1))
}

/// The energy the supply `Vdd` delivers per spike, J: `-v(vdd) i(vdd)`
/// integrated (trapezoids) over the window `(from, to, spikes)`, divided
/// by its spikes.
fn supply_energy(t: &[f64], v: &[f64], i: &[f64], (first, last, spikes): (f64, f64, usize)) -> Option<f64> {
    if spikes == 0 || last <= first || last.is_nan() {
        return None;
    }
    let p = |k: usize| -v[k] * i[k];
    let mut e = 0.0;
    for k in 1..t.len() {
        let (a, b) = (t[k - 1].max(first), t[k].min(last));
        if b > a {
            // The power at a and b, interpolated in the interval.
            let at = |x: f64| p(k - 1) + (p(k) - p(k - 1)) * (x - t[k - 1]) / (t[k] - t[k - 1]);
            e += 0.5 * (at(a) + at(b)) * (b - a);
        }
    }
    Some(e / spikes as f64)
}

/// The sized realisation `r` run on each library section of
/// `req.corners` at each temperature of `req.temperatures_c` (the
/// technology's own section or temperature where a list is empty; no run
/// when both are).
fn corner_runs(
    req: &Request<'_>,
    runner: &Simulator,
    r: &Realisation,
    tstop_s: f64,
) -> Result<Vec<CornerRun>> {
    if req.corners.is_empty() && req.temperatures_c.is_empty() {
        return Ok(Vec::new());
    }
    let own_section = r.library.as_ref().and_then(|(_, s)| s.clone());
    let sections: Vec<Option<String>> = if req.corners.is_empty() {
        vec![own_section]
    } else {
        req.corners.iter().cloned().map(Some).collect()
    };
    let temps =
        if req.temperatures_c.is_empty() { vec![r.temperature_c] } else { req.temperatures_c.to_vec() };
    let mut runs = Vec::new();
    for section in &sections {
        for &temperature_c in &temps {
            let mut rc = r.clone();
            if let (Some((_, s)), Some(c)) = (rc.library.as_mut(), section) {
                *s = Some(c.clone());
            }
            rc.temperature_c = temperature_c;
            let text = netlist(&rc, runner.engine(), req.tech_dir, req.design_path, tstop_s)?;
            // One failed run (no convergence at a corner, the time limit) is reported, not fatal.
            let (measured, error) = kept(simulate(runner, &rc, &text, (tstop_s, bursting(req)), req.timeout));
            runs.push(CornerRun { section: section.clone(), temperature_c, measured, error });
        }
    }
    Ok(runs)
}

/// A run's measurement, or its error as text.
fn kept(run: Result<(Measured, Vec<f64>, Vec<f64>)>) -> (Option<Measured>, Option<String>) {
    match run {
        Ok((m, _, _)) => (Some(m), None),
        Err(e) => (None, Some(e.to_string())),
    }
}

/// The sized realisation `r` run `n` times on the technology's statistical
/// section with seeds `seed, seed + 1, ...` (in parallel), each run a
/// [`monte_carlo_draw`]; the values drawn by atscale from `stats` when the
/// technology gives them ([`drawn_statistics`]).
fn monte_carlo(
    req: &Request<'_>,
    runner: &Simulator,
    r: &Realisation,
    tstop_s: f64,
    (n, seed): (usize, u64),
    stats: Option<&Statistics>,
) -> Result<MonteCarlo> {
    use rayon::prelude::*;
    let section = crate::technology::monte_carlo_section(req.tech)?;
    let runs = (0..n as u64)
        .into_par_iter()
        .map(|k| monte_carlo_draw(req, runner, r, tstop_s, (section, seed + k, stats)))
        .collect::<Result<Vec<_>>>()?;
    Ok(MonteCarlo { section: section.to_string(), drawn: stats.map(|s| s.source.clone()), runs })
}

/// The statistics atscale draws for `req`'s technology, if it draws any.
///
/// # Errors
///
/// The statistics files' ([`Statistics::load`]).
pub fn drawn_statistics(req: &Request<'_>) -> Result<Option<Statistics>> {
    let (Some(files), ModelSource::Library { path, .. }) = (&req.tech.monte_carlo_draws, &req.tech.models)
    else {
        return Ok(None);
    };
    let subckts: Vec<&str> = [&req.tech.nmos_subckt, &req.tech.pmos_subckt]
        .into_iter()
        .flatten()
        .map(|d| d.subckt.as_str())
        .collect();
    let dir = crate::drawn::files_dir(req.tech_dir, path);
    Statistics::load(files, &dir, &subckts).map(Some)
}

/// One Monte Carlo draw: the sized realisation `r` run to `tstop_s` on the
/// library section `section`, its random values drawn by the simulator
/// with its seed `seed` (`.options seed`), or by atscale from `stats`
/// with that seed ([`Statistics::draw`]). A failed run (no convergence,
/// the time limit) is recorded in the [`SeedRun`], not returned as an
/// error.
///
/// # Errors
///
/// The netlist writer's error; a device atscale cannot draw.
pub fn monte_carlo_draw(
    req: &Request<'_>,
    runner: &Simulator,
    r: &Realisation,
    tstop_s: f64,
    (section, seed, stats): (&str, u64, Option<&Statistics>),
) -> Result<SeedRun> {
    let mut rk = r.clone();
    if let Some((_, s)) = rk.library.as_mut() {
        *s = Some(section.to_string());
    }
    let text = match stats {
        None => {
            rk.run.seed = Some(seed);
            netlist(&rk, runner.engine(), req.tech_dir, req.design_path, tstop_s)?
        }
        Some(st) => {
            drawn_netlist(&rk, runner.engine(), (req.tech_dir, req.design_path), tstop_s, (st, seed))?
        }
    };
    let (measured, error) = kept(simulate(runner, &rk, &text, (tstop_s, bursting(req)), req.timeout));
    Ok(SeedRun { seed, measured, error, netlist: stats.map(|_| text.text) })
}

/// The netlist of `r` with the values of one draw from `stats` with
/// `seed`: its process parameters before the library, each device's
/// mismatch on its instance.
///
/// # Errors
///
/// A device atscale cannot draw; the netlist writer's error.
pub fn drawn_netlist(
    r: &Realisation,
    engine: atscale_design::realise::Engine,
    (tech_dir, design): (Option<&Path>, &Path),
    tstop_s: f64,
    (stats, seed): (&Statistics, u64),
) -> Result<Written> {
    let mut c = r.netlist_circuit();
    let draw = stats.draw(&mut c, seed, &r.device_subckts)?;
    let mut s = setup(r, tech_dir)?;
    s.parameters = draw.parameters;
    let mut h = header(r, design);
    h.lines.push(format!(
        "Monte Carlo draw of seed {seed} by atscale: {} process parameters, the mismatch of {} devices",
        s.parameters.len(),
        draw.instances
    ));
    write(engine, &c, &analysis(r, tstop_s), &s, &h)
}

/// The realisation of `req` sized (its mirrors in `runner`, its membrane
/// trimmed with `req.trim`) as [`realise_with_evidence`] sizes it, and
/// the stop time of its runs, s.
///
/// # Errors
///
/// The designer's or the runner's error.
pub fn sized(req: &Request<'_>, runner: &Simulator) -> Result<(Realisation, f64)> {
    let (r, ..) = sized_and_trimmed(req, Some(runner), req.trim)?;
    let tstop_s = stop_time(req, &r);
    Ok((r, tstop_s))
}

/// The stop time of the runs of `r`, s: `req.tstop_model`, else the realisation's own.
fn stop_time(req: &Request<'_>, r: &Realisation) -> f64 {
    req.tstop_model.map_or(r.run.tstop_s, |t| t * r.scales.omega_s)
}

#[cfg(test)]
mod tests {
    use super::{energy_window, supply_energy};

    #[test]
    fn supply_energy_integrates_between_the_first_and_last_spike() {
        // 1.8 V, i(vdd) = -(1 + t) µA (ngspice: current into the + terminal
        // through the source), spikes at 0.25, 0.5 and 1.75 s: the energy
        // is 1.8 µ [t + t²/2] from 0.25 to 1.75 = 1.8 µ (1.5 + 1.5) = 5.4 µJ
        // over 2 intervals.
        let t: Vec<f64> = (0..=200).map(|k| f64::from(k) * 0.01).collect();
        let v = vec![1.8; t.len()];
        let i: Vec<f64> = t.iter().map(|x| -(1.0 + x) * 1e-6).collect();
        let w = energy_window(&[0.25, 0.5, 1.75], false);
        assert_eq!(w, Some((0.25, 1.75, 2)));
        let e = supply_energy(&t, &v, &i, w.unwrap_or_default()).unwrap_or(f64::NAN);
        // Trapezoids are exact for a linear power: measured 4e-22 J.
        assert!((e - 2.7e-6).abs() < 1e-18, "{e}");
        assert_eq!(energy_window(&[0.5], false), None);
    }

    #[test]
    fn a_bursters_energy_window_is_whole_cycles() {
        // Bursts of 3 spikes 1 ms apart every 10 ms from t = 0: the window runs from
        // the second burst's start (10 ms, the first may be a transient) to the
        // last's (40 ms): 3 cycles, 9 spikes, each with its quiet gap.
        let ev: Vec<f64> =
            (0..5).flat_map(|b| (0..3).map(move |s| 1e-2 * f64::from(b) + 1e-3 * f64::from(s))).collect();
        assert_eq!(energy_window(&ev, true), Some((1e-2, 4e-2, 9)));
        // Read as a spiker the window would miss the last gap: first to last spike.
        assert_eq!(energy_window(&ev, false), Some((0.0, 4.2e-2, 14)));
    }
}
