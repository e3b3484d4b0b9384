//! One netlist through one engine: what `atscale sim` and the Python
//! package's `sim` run. Reading (the deck screened for ngspice's commands,
//! parsed, validated) and running are apart, so a caller can inspect or
//! change the circuit in between; every warning comes back as a sentence
//! for the caller to show.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::engines::{
    run_native, run_ngspice, run_spice21, run_vacask, EngineRun, NgspiceSettings, Overrides, Prepared,
    VacaskSettings,
};
use crate::error::Result;
use crate::events::EventSpec;
use crate::limits::Limits;
use crate::ngspice::NgspiceRunner;
use crate::vacask::VacaskRunner;
use crate::verify::EngineKind;

/// How a netlist is read for the engines that will run it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadOptions {
    /// ngspice is among the engines (its commands are screened, and a deck
    /// atscale cannot parse is still run by ngspice alone).
    pub ngspice: bool,
    /// Let ngspice run the deck's commands (`--allow-control`).
    pub allow_control: bool,
    /// Set `.control` blocks aside instead of refusing them (`--skip-control`).
    pub skip_control: bool,
    /// Keep a deck atscale cannot parse for ngspice alone (when `ngspice`)
    /// instead of failing: `sim` runs it, `verify` has nothing to compare it with.
    pub ngspice_alone: bool,
    /// The limits of reading and of every run.
    pub limits: Limits,
}

/// A netlist read for running, with what the reading had to say.
#[derive(Debug, Clone)]
pub struct Read {
    /// The netlist, parsed and validated.
    pub prepared: Prepared,
    /// Warnings, as sentences, in the order they arose.
    pub warnings: Vec<String>,
}

/// Reads `path`: the deck with its includes, its `.control` blocks set aside
/// when asked (or when no engine is ngspice, as the others never run
/// commands), any command route refused for ngspice unless allowed, then
/// parsed and validated. A deck atscale cannot parse is kept for ngspice
/// alone when asked ([`ReadOptions::ngspice_alone`]).
///
/// # Errors
///
/// The reader's (file, limits, refused commands), parser's or validator's error.
pub fn read(path: &Path, o: &ReadOptions) -> Result<Read> {
    let mut deck = atscale_spice::Deck::load(path, &o.limits.deck())?;
    let mut warnings = Vec::new();
    if o.skip_control || !o.ngspice {
        warnings.extend(deck.skip_control_blocks());
    }
    if o.ngspice {
        deck.check_control(o.allow_control)?;
    }
    let kept = (o.ngspice && o.ngspice_alone).then(|| deck.clone());
    let prepared = match (Prepared::from_deck(deck, path, &o.limits), kept) {
        (Err(e), Some(deck)) if e.is_unreadable_circuit() => Prepared::ngspice_only(deck, path, &e),
        (other, _) => other?,
    };
    warnings.extend(prepared.warnings.iter().cloned());
    if !o.ngspice {
        warnings.extend(
            prepared.deck.control_routes().iter().map(|r| format!("{r}: this engine does not run it")),
        );
    }
    Ok(Read { prepared, warnings })
}

/// What to run and record.
#[derive(Debug, Clone, PartialEq)]
pub struct SimRequest {
    /// The engine.
    pub engine: EngineKind,
    /// Settings that override the netlist's.
    pub overrides: Overrides,
    /// Signals to record (`n`, `v(n)`, `i(Vsrc)`).
    pub probes: Vec<String>,
    /// Event trains to extract.
    pub events: Vec<EventSpec>,
    /// Let ngspice run the deck's commands.
    pub allow_control: bool,
    /// The limits of the run (the timeout among them).
    pub limits: Limits,
}

/// One engine's run with its stop time.
#[derive(Debug, Clone)]
pub struct Simulated {
    /// The run: report (events, settings, what is not modelled), waveforms, statistics.
    pub run: EngineRun,
    /// The stop time, s: the override, the netlist's `.tran`, else the last time point.
    pub tstop_s: f64,
}

/// Runs `p` through the engine `req` names.
///
/// # Errors
///
/// No stop time for an engine that needs one; the engine's own error (not
/// installed, failed run, limits, interruption).
pub fn simulate(p: &Prepared, req: &SimRequest) -> Result<Simulated> {
    let tstop = match p.tstop_s(&req.overrides) {
        Ok(t) => Some(t),
        // A `.tran` atscale cannot read (in braces, in a `.control` block): ngspice's own.
        Err(_) if req.engine == EngineKind::Ngspice => None,
        Err(e) => return Err(e),
    };
    let (o, probes, events, limits) = (&req.overrides, &req.probes, &req.events, &req.limits);
    let run = match req.engine {
        EngineKind::Native => run_native(p, o, probes, events, limits)?,
        EngineKind::Ngspice => {
            let runner = NgspiceRunner::detect_within(limits.timeout)?;
            let settings = NgspiceSettings::new(limits, req.allow_control, None);
            run_ngspice(&runner, p, o, probes, events, &settings)?
        }
        EngineKind::Spice21 => run_spice21(p, o, probes, events, None, limits)?,
        EngineKind::Vacask => {
            let runner = VacaskRunner::detect_within(limits.timeout)?;
            run_vacask(&runner, p, o, probes, events, &VacaskSettings::new(limits, None))?
        }
    };
    let tstop_s = tstop.or(run.waveforms.time_s.last().copied()).unwrap_or(0.0);
    Ok(Simulated { run, tstop_s })
}

/// A run as JSON: what `atscale sim --json` prints and the Python package returns.
#[derive(Debug, Serialize)]
pub struct SimJson<'a> {
    /// `native`, `ngspice`, `spice21` or `vacask`.
    pub engine: &'a str,
    /// Engine version.
    pub version: Option<&'a str>,
    /// Event times in seconds, by signal.
    pub events: &'a BTreeMap<String, Vec<f64>>,
    /// Solver statistics (native engine; `null` for ngspice).
    pub stats: Option<atscale_sim::Stats>,
    /// Settings used (maximum step and where it came from, tolerances).
    pub settings: &'a crate::report::EngineSettings,
    /// Stop time, s.
    pub tstop_s: f64,
    /// Wall-clock time of the simulation, s.
    pub wall_s: f64,
    /// What the engine does not model as ngspice does (parameters, options).
    pub unmodelled: &'a [String],
    /// The netlist's `.meas tran` measurements on this run: name, value,
    /// unit, and the error when there is no value.
    pub measures: &'a [crate::report::MeasureResult],
}

impl<'a> SimJson<'a> {
    /// The JSON of `run`, stopped at `tstop_s`.
    pub fn new(run: &'a EngineRun, tstop_s: f64) -> SimJson<'a> {
        SimJson {
            engine: &run.report.name,
            version: run.report.version.as_deref(),
            events: &run.report.events,
            stats: run.native_stats,
            settings: &run.report.settings,
            tstop_s,
            wall_s: run.report.wall_time_s,
            unmodelled: &run.report.unmodelled,
            measures: &run.report.measures,
        }
    }
}
