//! The cross-check: one netlist through several engines, events compared one
//! by one, and optionally each engine rerun at half its step or tolerance to
//! show whether it had converged.
//!
//! Three rules make the comparison fair to every circuit:
//! - Events are compared from the `.tran` start time TSTART on: ngspice
//!   records nothing before it, the native engine and spice21 report the
//!   whole run.
//! - The native engine's reltol follows from the requested event tolerance
//!   (a quarter of it) and is confirmed by a run at a quarter of that
//!   reltol, refined until its events stop moving (by a quarter of the
//!   allowed |dt|); the user's `--reltol` is kept as given.
//! - ngspice's maximum step is a rule of thumb (a quarter of the event
//!   accuracy, or the netlist's own TMAX) that does not hold for every
//!   circuit, so when ngspice disagrees verify shrinks ngspice's step until
//!   the engines agree or ngspice's events stop moving. VACASK's maximum
//!   step follows the same rule and the same refinement.
//!
//! Each refinement is listed with its drift in [`Verification::convergence`].

use atscale_circuit::units::si;
use serde::Serialize;

use crate::compare::{CompareOptions, Tolerances};
use crate::engines::{run_native, run_ngspice, run_spice21, EngineRun, NgspiceSettings, Overrides, Prepared};
use crate::error::Result;
use crate::events::{event_keys, EventSpec};
use crate::interrupt;
use crate::limits::Limits;
use crate::ngspice::NgspiceRunner;
use crate::report::Report;
use crate::settle::{drift, settle_native, settle_stepped};

/// An engine that can run a netlist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// atscale's own solver.
    Native,
    /// ngspice, run as a process.
    Ngspice,
    /// spice21, in-process (resistors, capacitors, DC sources, diodes, level-1 MOSFETs).
    Spice21,
    /// VACASK, run as a process on the netlist atscale writes for it.
    Vacask,
}

impl EngineKind {
    /// Parses `native`, `ngspice`, `spice21` or `vacask`.
    pub fn parse(name: &str) -> Option<EngineKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "native" => Some(EngineKind::Native),
            "ngspice" => Some(EngineKind::Ngspice),
            "spice21" => Some(EngineKind::Spice21),
            "vacask" => Some(EngineKind::Vacask),
            _ => None,
        }
    }

    /// The engine's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Native => "native",
            EngineKind::Ngspice => "ngspice",
            EngineKind::Spice21 => "spice21",
            EngineKind::Vacask => "vacask",
        }
    }
}

/// What to verify and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Engines in order; the first is the reference of every comparison.
    pub engines: Vec<EngineKind>,
    /// The events to compare.
    pub events: Vec<EventSpec>,
    /// Extra signals to record for plots.
    pub probes: Vec<String>,
    /// Settings that override the netlist's.
    pub overrides: Overrides,
    /// Verdict tolerances.
    pub tolerances: Tolerances,
    /// Comparison windows and parameters.
    pub compare: CompareOptions,
    /// Rerun each engine at half its step or tolerance.
    pub converged: bool,
    /// The limits of each run (its timeout among them).
    pub limits: Limits,
    /// Let ngspice run the netlist's commands (`--allow-control`).
    pub allow_control: bool,
}

/// How far one engine's events moved when its step or tolerance was
/// refined: halved with `converged`, or (ngspice's maximum step) shrunk to
/// 0.45 times because ngspice disagreed with another engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Convergence {
    /// Engine name.
    pub engine: String,
    /// What was refined, e.g. `max step 0.01 s -> 0.005 s`; a refinement
    /// that could not run says why (and has no signals).
    pub refinement: String,
    /// Per signal: event count before and after, and the largest shift.
    pub signals: Vec<SignalDrift>,
}

/// The drift of one signal's events under refinement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalDrift {
    /// Signal name.
    pub signal: String,
    /// Events in the first run.
    pub count: usize,
    /// Events in the refined run.
    pub refined_count: usize,
    /// Largest |shift| of a matched event, s (`None` without matched events).
    pub max_shift_s: Option<f64>,
    /// The same relative to the local inter-event interval.
    pub max_shift_rel: Option<f64>,
    /// The |dt| the verdict allows on the first run's train, s (`None`
    /// without a time scale); a refinement has settled when no shift
    /// exceeds a quarter of it.
    pub allowed_s: Option<f64>,
}

/// The outcome of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The report (engines, comparisons, verdict).
    pub report: Report,
    /// Each engine's run, in the order of the report.
    pub runs: Vec<EngineRun>,
    /// ngspice's refinements made because it disagreed, then with
    /// `converged` each engine's drift under halving.
    pub convergence: Vec<Convergence>,
}

impl Verification {
    /// What `atscale verify --json` prints, `report.json` holds and the
    /// Python package returns: the report with the convergence steps.
    pub fn json(&self) -> VerificationJson<'_> {
        VerificationJson { report: &self.report, convergence: &self.convergence }
    }
}

/// The JSON form of a [`Verification`] (without the waveforms).
#[derive(Debug, Serialize)]
pub struct VerificationJson<'a> {
    /// The report, its fields at the top level.
    #[serde(flatten)]
    pub report: &'a Report,
    /// The refinements and `converged` drifts.
    pub convergence: &'a [Convergence],
}

/// The event accuracy ngspice's maximum step is derived from, when neither
/// the options nor the netlist give a maximum step: a quarter of the allowed
/// |dt|, measured on the median interval of the reference engine's events
/// (or of `tstop / 10` when no engine ran before it).
fn event_accuracy(runs: &[EngineRun], events: &[EventSpec], tol: &Tolerances, tstop: f64) -> f64 {
    if let Some(abs) = tol.max_abs_dt_s {
        return abs / 4.0;
    }
    let key = event_keys(events).into_iter().next();
    let median = runs
        .first()
        .zip(key)
        .and_then(|(r, k)| r.report.events.get(&k).and_then(|ts| crate::compare::median_interval(ts)))
        .unwrap_or(tstop / 10.0);
    tol.max_abs_dt_rel * median / 4.0
}

/// spice21's fixed-step backward Euler makes a timing error per event that
/// accumulates along a train (measured on the ring oscillator against a
/// scipy reference: about 1.2 steps per period, 12.0 steps at the tenth
/// event). Its step is therefore derived from the accuracy divided by the
/// number of events the reference engine found (at least 1), so the last of
/// n events lands about 1.2 times the accuracy late: a quarter of the
/// allowed |dt| times 1.2, still inside the verdict's tolerance.
fn accumulation(runs: &[EngineRun], events: &[EventSpec]) -> f64 {
    runs.first()
        .map(|r| {
            event_keys(events).iter().filter_map(|k| r.report.events.get(k)).map(Vec::len).max().unwrap_or(1)
        })
        .unwrap_or(1)
        .max(1) as f64
}

pub(crate) fn run_one(
    kind: EngineKind,
    p: &Prepared,
    o: &Overrides,
    opts: &VerifyOptions,
    runner: &mut Option<NgspiceRunner>,
    accuracy: f64,
) -> Result<EngineRun> {
    match kind {
        EngineKind::Native => run_native(p, o, &opts.probes, &opts.events, &opts.limits),
        EngineKind::Ngspice => {
            let r = match runner.take() {
                Some(r) => r,
                None => NgspiceRunner::detect_within(opts.limits.timeout)?,
            };
            let s = NgspiceSettings::new(&opts.limits, opts.allow_control, Some(accuracy));
            let run = run_ngspice(&r, p, o, &opts.probes, &opts.events, &s);
            *runner = Some(r);
            run
        }
        EngineKind::Spice21 => run_spice21(p, o, &opts.probes, &opts.events, Some(accuracy), &opts.limits),
        EngineKind::Vacask => {
            let r = crate::vacask::VacaskRunner::detect_within(opts.limits.timeout)?;
            let s = crate::engines::VacaskSettings::new(&opts.limits, Some(accuracy));
            crate::engines::run_vacask(&r, p, o, &opts.probes, &opts.events, &s)
        }
    }
}

/// Runs the netlist through every engine and compares their events.
///
/// # Errors
///
/// An engine's error; [`crate::Error::Interrupted`]; a deck with commands
/// when ngspice is among the engines and `allow_control` is not set
/// (refused before any engine runs).
pub fn verify(p: &Prepared, opts: &VerifyOptions) -> Result<Verification> {
    let tstop = p.tstop_s(&opts.overrides)?;
    let tstart = p.analysis.tran.map_or(0.0, |t| t.tstart_s);
    if opts.engines.contains(&EngineKind::Ngspice) {
        p.deck.check_control(opts.allow_control)?;
    }
    let mut runner = None;
    let mut runs: Vec<EngineRun> = Vec::new();
    let mut convergence = Vec::new();
    for &kind in &opts.engines {
        let run = if kind == EngineKind::Native {
            let (run, steps) = settle_native(p, opts, tstop, &mut runner)?;
            convergence.extend(steps);
            run
        } else {
            let mut accuracy = event_accuracy(&runs, &opts.events, &opts.tolerances, tstop);
            if kind == EngineKind::Spice21 {
                accuracy /= accumulation(&runs, &opts.events);
            }
            from_tstart(run_one(kind, p, &opts.overrides, opts, &mut runner, accuracy)?, tstart)
        };
        runs.push(run);
        if interrupt::requested() {
            return Err(crate::Error::Interrupted);
        }
    }
    for kind in [EngineKind::Ngspice, EngineKind::Vacask] {
        convergence.extend(settle_stepped(kind, p, opts, &mut runs, &mut runner, tstop)?);
    }
    if opts.converged {
        for (k, &kind) in opts.engines.iter().enumerate() {
            let first = &runs[k];
            let (o, refinement) = refine(kind, first, &opts.overrides);
            let mut accuracy = event_accuracy(&runs, &opts.events, &opts.tolerances, tstop) / 2.0;
            if kind == EngineKind::Spice21 {
                accuracy /= accumulation(&runs, &opts.events);
            }
            let again = from_tstart(run_one(kind, p, &o, opts, &mut runner, accuracy)?, tstart);
            let signals = drift(first, &again, opts, tstop);
            convergence.push(Convergence { engine: kind.name().into(), refinement, signals });
        }
    }
    let report = assemble(p, opts, tstop, &runs);
    Ok(Verification { report, runs, convergence })
}

/// The report of `runs`: every engine compared with the first.
pub(crate) fn assemble(p: &Prepared, opts: &VerifyOptions, tstop: f64, runs: &[EngineRun]) -> Report {
    Report::assemble(
        p.path.display().to_string(),
        Some(tstop),
        opts.events.clone(),
        runs.iter().map(|r| r.report.clone()).collect(),
        &opts.compare,
        &opts.tolerances,
    )
}

/// The run with only its events at or after the `.tran` start time
/// `tstart_s` (seconds). ngspice keeps no point before TSTART, so its
/// events start there, with its detectors armed by its first point; the
/// native engine and spice21 simulate from 0 and report every event
/// (the colpitts oscillator of ngspice's examples, TSTART 20 µs: 61 native
/// events against ngspice's 3). One case stays apart: a detector the
/// native run left disarmed at TSTART with the signal between
/// `threshold - hysteresis` and `threshold` fires in ngspice's run (armed
/// at its first point) and not in the native one, which shows as a count
/// mismatch, never as a false agreement.
pub(crate) fn from_tstart(mut run: EngineRun, tstart_s: f64) -> EngineRun {
    if tstart_s > 0.0 {
        for times in run.report.events.values_mut() {
            times.retain(|&t| t >= tstart_s);
        }
    }
    run
}

/// The overrides of a refined run: the native engine's reltol halved (and
/// its maximum step, when one is set); ngspice's maximum step and spice21's
/// fixed step halved.
fn refine(kind: EngineKind, first: &EngineRun, o: &Overrides) -> (Overrides, String) {
    let max_step = first.report.settings.max_step.as_ref().map(|m| m.value_s);
    match kind {
        EngineKind::Native => {
            let reltol = first.report.settings.reltol.unwrap_or(1e-3);
            let mut r = Overrides { reltol: Some(reltol / 2.0), ..*o };
            let mut what = format!("reltol {reltol:e} -> {:e} (--converged)", reltol / 2.0);
            if let Some(h) = max_step {
                r.max_step_s = Some(h / 2.0);
                what.push_str(&format!(", max step {} -> {}", si(h, "s"), si(h / 2.0, "s")));
            }
            (r, what)
        }
        EngineKind::Ngspice | EngineKind::Vacask => {
            let h = max_step.unwrap_or(f64::NAN);
            let what = format!("max step {} -> {} (--converged)", si(h, "s"), si(h / 2.0, "s"));
            (Overrides { max_step_s: Some(h / 2.0), ..*o }, what)
        }
        EngineKind::Spice21 => {
            let h = first.report.settings.fixed_step_s.unwrap_or(f64::NAN);
            let what = format!("fixed step {} -> {} (--converged)", si(h, "s"), si(h / 2.0, "s"));
            (Overrides { max_step_s: Some(h / 2.0), ..*o }, what)
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::engines::Waveforms;
    use crate::report::{EngineReport, EngineSettings};

    pub(crate) fn reference_run(events: &[f64]) -> EngineRun {
        EngineRun {
            report: EngineReport {
                name: "native".into(),
                version: None,
                settings: EngineSettings {
                    max_step: None,
                    fixed_step_s: None,
                    reltol: None,
                    reltol_source: None,
                    abstol: None,
                },
                wall_time_s: 0.0,
                events: BTreeMap::from([("v".to_string(), events.to_vec())]),
                unmodelled: Vec::new(),
                measures: Vec::new(),
            },
            waveforms: Waveforms { time_s: Vec::new(), signals: Vec::new() },
            native_stats: None,
        }
    }

    #[test]
    fn accuracy_is_a_quarter_of_the_allowed_dt_and_spice21_divides_it_by_the_events() {
        // The documented rule, worked by hand: the allowed |dt| is --tol times
        // the reference's median interval (here 2 s: intervals 2, 2 and 2.5 s),
        // or --tol-abs; the accuracy is a quarter of it; spice21's is further
        // divided by the reference's event count (4).
        let spec = [EventSpec::rising("v", 1.0, 0.5)];
        let runs = [reference_run(&[1.0, 3.0, 5.0, 7.5])];
        let rel = |r: f64| Tolerances { max_abs_dt_rel: r, ..Tolerances::default() };
        assert_eq!(event_accuracy(&runs, &spec, &rel(1e-3), 100.0), 5e-4);
        assert_eq!(event_accuracy(&runs, &spec, &rel(5e-3), 100.0), 2.5e-3);
        let abs = Tolerances { max_abs_dt_s: Some(4e-6), ..Tolerances::default() };
        assert_eq!(event_accuracy(&runs, &spec, &abs, 100.0), 1e-6);
        assert_eq!(accumulation(&runs, &spec), 4.0);
        // No reference run yet (or one event): a tenth of the run is the interval.
        let none = event_accuracy(&[], &spec, &rel(1e-3), 400.0);
        assert!((none - 0.01).abs() <= 1e-17, "{none}");
        let one = event_accuracy(&[reference_run(&[1.0])], &spec, &rel(1e-3), 400.0);
        assert!((one - 0.01).abs() <= 1e-17, "{one}");
        assert_eq!(accumulation(&[], &spec), 1.0);
        assert_eq!(accumulation(&[reference_run(&[])], &spec), 1.0);
    }

    #[test]
    fn events_before_tstart_are_dropped_and_the_rest_kept() {
        let run = from_tstart(reference_run(&[1.0, 2.0, 2.5, 4.0]), 2.0);
        assert_eq!(run.report.events["v"], [2.0, 2.5, 4.0]);
        let all = from_tstart(reference_run(&[0.0, 1.0]), 0.0);
        assert_eq!(all.report.events["v"], [0.0, 1.0]);
    }
}
