//! Voltage-clamp runs ([`atscale_design::clamp`]): one transient per step
//! voltage, each a clamped copy of the circuit run by one of
//! `atscale-verify`'s engines (native, ngspice or VACASK), on a thread pool;
//! the clamp current is read at the protocol's times from the engine's own
//! samples (the clamp source has a corner at each, so every engine steps
//! onto them).

use std::path::{Path, PathBuf};

use atscale_circuit::{Analysis, Circuit, FlatCircuit};
use atscale_design::clamp::{ClampCurve, ClampTolerances, Protocol};
use atscale_design::realise::mapping::{with_subckt_resistors, Ladder};
use atscale_design::realise::{with_subckt_devices, SubcktDevice};
use atscale_spice::{write_flat_netlist, write_netlist_with, Deck, Header, Ngspice, Setup};
use atscale_verify::engines::{
    run_native, run_ngspice, run_vacask, EngineRun, NgspiceSettings, Overrides, Prepared, VacaskSettings,
};
use atscale_verify::limits::Limits;
use atscale_verify::ngspice::NgspiceRunner;
use atscale_verify::vacask::VacaskRunner;
use rayon::prelude::*;
use serde::Serialize;

use atscale_design::Error as DesignError;

use crate::error::{Error, Result};

/// What to clamp and how to run it.
#[derive(Debug, Clone, Copy)]
pub struct ClampRequest<'a> {
    /// The circuit's name in messages (its file).
    pub name: &'a str,
    /// The circuit.
    pub circuit: &'a FlatCircuit,
    /// Its analysis (a netlist's options are kept; its `.tran` and `.ic` are not).
    pub base: &'a Analysis,
    /// The protocol.
    pub protocol: &'a Protocol,
    /// The runs' tolerances.
    pub tolerances: ClampTolerances,
    /// The engine.
    pub engine: ClampEngine,
    /// The limits of each run (its timeout among them).
    pub limits: Limits,
    /// How a realisation writes its netlist, when the circuit is one
    /// (`None`: the circuit as it is).
    pub realised: Option<&'a RealisedDeck>,
}

/// How `atscale realise` writes a realisation's netlist: the PDK's
/// subcircuit devices and ladder resistors for its MOSFETs and resistors,
/// the model library and temperature (`Setup`). A clamped copy of the
/// realisation's circuit is written the same way, so that ngspice reads
/// the foundry's models where atscale's parser cannot (their statistical
/// functions).
#[derive(Debug, Clone)]
pub struct RealisedDeck {
    /// The technology's subcircuit devices (empty: model cards).
    pub device_subckts: Vec<SubcktDevice>,
    /// The reference ladder, when its resistors are a library subcircuit.
    pub ladder: Option<Ladder>,
    /// The model library (an absolute path) and temperature.
    pub setup: Setup,
}

impl RealisedDeck {
    fn text(&self, flat: &FlatCircuit, analysis: &Analysis, header: &Header) -> Result<String> {
        let mut c = with_subckt_devices(flat, &self.device_subckts);
        if let Some(l) = &self.ladder {
            with_subckt_resistors(&mut c, l);
        }
        Ok(write_netlist_with(&c, analysis, &self.setup, &Ngspice, header)?)
    }

    /// Whether the realisation's devices are a library's subcircuits
    /// (which only ngspice reads).
    fn needs_ngspice(&self) -> bool {
        !self.device_subckts.is_empty() || self.ladder.as_ref().is_some_and(|l| l.subckt.is_some())
    }
}

/// The clamp's measurements.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// One curve per read time of the protocol, in its order.
    pub curves: Vec<ClampCurve>,
    /// How much the current still moved towards the last read: the largest
    /// change between the settling check and the last read time, relative
    /// to the largest current of the last read.
    pub settle_residual: f64,
    /// The engine and its version.
    pub engine: String,
    /// The engine's version, when it reports one.
    pub version: Option<String>,
    /// Wall time of the runs together (each engine's own), s.
    pub wall_s: f64,
    /// The number of runs (step voltages times runs per step).
    pub runs: usize,
    /// What the engine does not model as ngspice does (from its first run).
    pub unmodelled: Vec<String>,
    /// Warnings of the clamped circuit's validation (from its first run).
    pub warnings: Vec<String>,
    /// The capacitors from the node to ground the clamped circuit leaves
    /// out ([`Protocol::clamped`]), with their capacitance, F.
    pub left_out: Vec<(String, f64)>,
}

/// The engines a clamp runs in: those that step onto the read times
/// (spice21's fixed steps do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClampEngine {
    /// atscale's own solver.
    Native,
    /// ngspice, run as a process.
    Ngspice,
    /// VACASK, run as a process.
    Vacask,
}

/// One run of one step voltage: the currents it read (`(read index, A)`),
/// at the settling check, the engine's run and the circuit's warnings.
struct StepRun {
    reads: Vec<(usize, f64)>,
    check: Option<f64>,
    run: EngineRun,
    warnings: Vec<String>,
}

/// Runs the protocol: one transient per step voltage, in parallel.
///
/// # Errors
///
/// The clamped circuit's refusal (an unknown node, a node tied to ground);
/// the engine's error (not installed, a failed run, limits, interruption);
/// [`DesignError::ClampRun`] when a run holds no sample at a read time.
pub fn measure(req: &ClampRequest<'_>) -> Result<Measured> {
    let p = req.protocol;
    // Refused before any run.
    let left_out = p.clamped(req.circuit, &p.runs[0], p.hold_v)?.left_out;
    if req.realised.is_some_and(RealisedDeck::needs_ngspice) && req.engine != ClampEngine::Ngspice {
        return Err(DesignError::ClampRun {
            run: format!("the clamp of {}", req.name),
            problem: "its devices are a model library's subcircuits, which only ngspice reads: run it with \
                      --engine ngspice"
                .into(),
        }
        .into());
    }
    let runner = Runner::new(req.engine, &req.limits)?;
    let jobs: Vec<(usize, usize)> =
        (0..p.steps_v.len()).flat_map(|k| (0..p.runs.len()).map(move |r| (k, r))).collect();
    let runs: Vec<StepRun> =
        jobs.par_iter().map(|&(k, r)| run_step(req, &runner, k, r)).collect::<Result<_>>()?;
    let mut current = vec![vec![0.0; p.steps_v.len()]; p.reads.len()];
    let mut check = vec![0.0; p.steps_v.len()];
    for (&(k, _), run) in jobs.iter().zip(&runs) {
        for &(j, i) in &run.reads {
            current[j][k] = i;
        }
        if let Some(c) = run.check {
            check[k] = c;
        }
    }
    let curves =
        p.reads.iter().zip(&current).map(|(read, i)| ClampCurve::new(*read, &p.steps_v, i)).collect();
    let last = p.reads.iter().enumerate().max_by(|a, b| a.1.t_s.total_cmp(&b.1.t_s)).map_or(0, |(j, _)| j);
    let scale = current[last].iter().fold(0.0f64, |m, i| m.max(i.abs()));
    let moved = current[last].iter().zip(&check).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    let first = &runs[0].run.report;
    Ok(Measured {
        curves,
        settle_residual: moved / scale,
        engine: first.name.clone(),
        version: first.version.clone(),
        wall_s: runs.iter().map(|r| r.run.report.wall_time_s).sum(),
        runs: runs.len(),
        unmodelled: first.unmodelled.clone(),
        warnings: runs[0].warnings.clone(),
        left_out,
    })
}

/// An engine, detected once for every run.
enum Runner {
    Native,
    Ngspice(NgspiceRunner),
    Vacask(VacaskRunner),
}

impl Runner {
    fn new(engine: ClampEngine, limits: &Limits) -> Result<Runner> {
        Ok(match engine {
            ClampEngine::Native => Runner::Native,
            ClampEngine::Ngspice => Runner::Ngspice(NgspiceRunner::detect_within(limits.timeout)?),
            ClampEngine::Vacask => Runner::Vacask(VacaskRunner::detect_within(limits.timeout)?),
        })
    }

    fn run(&self, p: &Prepared, probe: &str, limits: &Limits) -> Result<EngineRun> {
        let o = Overrides::default();
        let probes = [probe.to_string()];
        Ok(match self {
            Runner::Native => run_native(p, &o, &probes, &[], limits)?,
            Runner::Ngspice(r) => {
                run_ngspice(r, p, &o, &probes, &[], &NgspiceSettings::new(limits, false, None))?
            }
            Runner::Vacask(r) => run_vacask(r, p, &o, &probes, &[], &VacaskSettings::new(limits, None))?,
        })
    }
}

/// Step `k` of the protocol, its run `r`.
fn run_step(req: &ClampRequest<'_>, runner: &Runner, k: usize, r: usize) -> Result<StepRun> {
    let p = req.protocol;
    let (plan, v) = (&p.runs[r], p.steps_v[k]);
    let clamped = p.clamped(req.circuit, plan, v)?;
    let analysis = p.analysis(plan, req.base, &req.tolerances);
    let header = Header {
        lines: vec![format!(
            "Voltage clamp of {} at node {}: step {} of {} to {v:e} V from {:e} V, run {} of {}",
            req.name,
            p.node,
            k + 1,
            p.steps_v.len(),
            p.hold_v,
            r + 1,
            p.runs.len()
        )],
        ..Header::default()
    };
    let name = format!("clamp-{}-{}.cir", k + 1, r + 1);
    let prepared = match req.realised {
        None => {
            let text =
                write_flat_netlist(&Circuit::from(clamped.circuit.clone()), &analysis, &Ngspice, &header)?;
            let deck = Deck::from_text(&text, &name, None::<&Path>, &req.limits.deck())?;
            Prepared::in_memory(&name, clamped.circuit, analysis, deck)?
        }
        Some(rd) => {
            // The library's path is absolute; the deck reads it in (as the realisation's runs do).
            let text = rd.text(&clamped.circuit, &analysis, &header)?;
            let here = std::env::current_dir().map_err(|source| Error::Io {
                action: "read the current folder",
                path: PathBuf::from("."),
                source,
            })?;
            let deck = Deck::from_text(&text, &name, Some(&here), &req.limits.deck())?;
            let source = Circuit::from(clamped.circuit.clone());
            let (path, circuit) = (PathBuf::from(&name), clamped.circuit);
            Prepared { path, deck, source, analysis, circuit, warnings: Vec::new(), measures: Vec::new() }
        }
    };
    let probe = format!("i({})", clamped.source);
    let run = runner.run(&prepared, &probe, &req.limits)?;
    let what =
        format!("clamp step {} of {} ({v:e} V), run {}, {}", k + 1, p.steps_v.len(), r + 1, run.report.name);
    let i = run
        .waveforms
        .signals
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(&probe))
        .map(|(_, i)| i.as_slice())
        .ok_or_else(|| DesignError::ClampRun {
            run: what.clone(),
            problem: format!("it recorded no {probe}"),
        })?;
    let (reads, check) = p.read(plan, &run.waveforms.time_s, i, &what)?;
    Ok(StepRun { reads, check, run, warnings: prepared.warnings })
}
