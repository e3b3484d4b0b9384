//! The cross-check: one netlist through several engines, events compared one
//! by one, and optionally each engine rerun at half its step or tolerance to
//! show whether it had converged.
//!
//! Two rules make the comparison fair to every circuit:
//! - Events are compared from the `.tran` start time TSTART on: ngspice
//!   records nothing before it, the native engine and spice21 report the
//!   whole run.
//! - ngspice's maximum step is a rule of thumb (a quarter of the event
//!   accuracy, or the netlist's own TMAX) that does not hold for every
//!   circuit, so when ngspice disagrees verify shrinks ngspice's step until
//!   the engines agree or ngspice's events stop moving (each refinement is
//!   listed in [`Verification::convergence`]).

use serde::Serialize;

use crate::compare::{compare_trains, CompareOptions, Tolerances};
use crate::engines::{run_native, run_ngspice, run_spice21, EngineRun, NgspiceSettings, Overrides, Prepared};
use crate::error::Result;
use crate::events::{event_keys, EventSpec};
use crate::interrupt;
use crate::limits::Limits;
use crate::ngspice::{MaxStepSource, NgspiceRunner, TMAX_PER_EVENT_ACCURACY};
use crate::report::Report;

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
}

impl EngineKind {
    /// Parses `native` or `ngspice`.
    pub fn parse(name: &str) -> Option<EngineKind> {
        match name.trim().to_ascii_lowercase().as_str() {
            "native" => Some(EngineKind::Native),
            "ngspice" => Some(EngineKind::Ngspice),
            "spice21" => Some(EngineKind::Spice21),
            _ => None,
        }
    }

    /// The engine's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Native => "native",
            EngineKind::Ngspice => "ngspice",
            EngineKind::Spice21 => "spice21",
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

fn run_one(
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
    for &kind in &opts.engines {
        let mut accuracy = event_accuracy(&runs, &opts.events, &opts.tolerances, tstop);
        if kind == EngineKind::Spice21 {
            accuracy /= accumulation(&runs, &opts.events);
        }
        runs.push(from_tstart(run_one(kind, p, &opts.overrides, opts, &mut runner, accuracy)?, tstart));
        if interrupt::requested() {
            return Err(crate::Error::Interrupted);
        }
    }
    let mut convergence = settle_ngspice(p, opts, &mut runs, &mut runner, tstop)?;
    if opts.converged {
        for (k, &kind) in opts.engines.iter().enumerate() {
            let first = &runs[k];
            let (o, refinement) = refine(kind, first, &opts.overrides);
            let mut accuracy = event_accuracy(&runs, &opts.events, &opts.tolerances, tstop) / 2.0;
            if kind == EngineKind::Spice21 {
                accuracy /= accumulation(&runs, &opts.events);
            }
            let again = from_tstart(run_one(kind, p, &o, opts, &mut runner, accuracy)?, tstart);
            let signals = drift(&opts.events, first, &again, tstop, &opts.compare);
            convergence.push(Convergence { engine: kind.name().into(), refinement, signals });
        }
    }
    let report = assemble(p, opts, tstop, &runs);
    Ok(Verification { report, runs, convergence })
}

/// The report of `runs`: every engine compared with the first.
fn assemble(p: &Prepared, opts: &VerifyOptions, tstop: f64, runs: &[EngineRun]) -> Report {
    Report::assemble(
        p.path.display().to_string(),
        Some(tstop),
        opts.events.clone(),
        runs.iter().map(|r| r.report.clone()).collect(),
        &opts.compare,
        &opts.tolerances,
    )
}

/// Per event signal, how far `again`'s events lie from `first`'s.
fn drift(
    events: &[EventSpec],
    first: &EngineRun,
    again: &EngineRun,
    tstop: f64,
    compare: &CompareOptions,
) -> Vec<SignalDrift> {
    let options = CompareOptions { duration_s: Some(tstop), ..compare.clone() };
    event_keys(events)
        .into_iter()
        .map(|key| {
            let empty = Vec::new();
            let a = first.report.events.get(&key).unwrap_or(&empty);
            let b = again.report.events.get(&key).unwrap_or(&empty);
            let c = compare_trains(a, b, &options);
            SignalDrift {
                signal: key,
                count: a.len(),
                refined_count: b.len(),
                max_shift_s: c.max_abs_dt_s,
                max_shift_rel: c.max_abs_dt_rel_local,
            }
        })
        .collect()
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
fn from_tstart(mut run: EngineRun, tstart_s: f64) -> EngineRun {
    if tstart_s > 0.0 {
        for times in run.report.events.values_mut() {
            times.retain(|&t| t >= tstart_s);
        }
    }
    run
}

/// How much each refinement of [`settle_ngspice`] shrinks ngspice's maximum
/// step: a little under half, so that the finer time grid does not hold the
/// coarser one. ngspice decides a switch's state only at its time points
/// (swload.c), so a switching oscillator's events lock to the grid: on the
/// corpus's `switch-oscillators.cir`, maximum steps of 140.4 fs and 70.2 fs
/// (an exact halving) give the same period, 4.492994 ns, 0.8 ps per period
/// from where ngspice converges (4.49378 ns at 10 fs and 5 fs), and the
/// halving would have looked converged.
const REFINE_FACTOR: f64 = 0.45;

/// At most this many refinements of ngspice's step (down to 0.45⁴ ≈ 1/24
/// of it, about 24 times the run time).
const MAX_REFINEMENTS: usize = 4;

/// ngspice has settled when a refinement moves none of its events by more
/// than this fraction of the allowed |dt| (and keeps their counts): its
/// disagreement with the other engine is then not its step's.
const SETTLED_FRACTION: f64 = 0.25;

/// When ngspice disagrees with another engine and its maximum step is not
/// the user's (`--max-step`), reruns ngspice at [`REFINE_FACTOR`] times its
/// step until the engines agree, ngspice's events settle
/// ([`SETTLED_FRACTION`]), [`MAX_REFINEMENTS`] is reached, the next run
/// would outlast the timeout, or a refined run fails (its error is
/// recorded and the last run kept). The last run replaces ngspice's; each
/// refinement is returned with how far it moved ngspice's events.
///
/// The rule of thumb behind ngspice's first step (a quarter of the event
/// accuracy, or the netlist's TMAX) fails on circuits where ngspice's
/// error is not set by the step alone: measured on the corpus, a BJT
/// astable multivibrator whose trapezoidal steps at ngspice's default
/// `reltol`/`trtol` put its fifth event 6.2 ms (2.9 % of a period) late at
/// the derived 13.5 µs step, 0.024 % at 3.4 µs; a netlist TMAX of
/// 20.8 µs leaving a fuzz amplifier 1.1e-3 of a period off.
///
/// # Errors
///
/// [`crate::Error::Interrupted`].
fn settle_ngspice(
    p: &Prepared,
    opts: &VerifyOptions,
    runs: &mut [EngineRun],
    runner: &mut Option<NgspiceRunner>,
    tstop: f64,
) -> Result<Vec<Convergence>> {
    let mut steps = Vec::new();
    let Some(k) = opts.engines.iter().position(|&e| e == EngineKind::Ngspice) else {
        return Ok(steps);
    };
    let tstart = p.analysis.tran.map_or(0.0, |t| t.tstart_s);
    for _ in 0..MAX_REFINEMENTS {
        let report = assemble(p, opts, tstop, runs);
        let Some(allowed) = ngspice_disagreement(&report) else { break };
        let Some((o, accuracy, refinement)) = finer_step(&runs[k], opts) else { break };
        let again = match run_one(EngineKind::Ngspice, p, &o, opts, runner, accuracy) {
            Ok(r) => from_tstart(r, tstart),
            Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
            Err(e) => {
                tracing::warn!(%refinement, error = %e, "ngspice's refined run failed; its last run stands");
                let refinement = format!("{refinement}: not run ({e})");
                steps.push(Convergence { engine: "ngspice".into(), refinement, signals: Vec::new() });
                break;
            }
        };
        if interrupt::requested() {
            return Err(crate::Error::Interrupted);
        }
        let signals = drift(&opts.events, &runs[k], &again, tstop, &opts.compare);
        let settled = settled(&signals, &allowed);
        steps.push(Convergence { engine: "ngspice".into(), refinement, signals });
        runs[k] = again;
        if settled {
            break;
        }
    }
    Ok(steps)
}

/// Whether a refinement kept every signal's event count and moved none of
/// its events by more than [`SETTLED_FRACTION`] of the signal's allowed
/// |dt| (`allowed`, s; a signal without one has not settled).
fn settled(signals: &[SignalDrift], allowed: &[(String, f64)]) -> bool {
    signals.iter().all(|s| {
        let limit = allowed.iter().find(|(name, _)| *name == s.signal).map(|(_, l)| *l);
        s.count == s.refined_count
            && match (s.max_shift_s, limit) {
                (None, _) => true,
                (Some(d), Some(l)) => d <= SETTLED_FRACTION * l,
                (Some(_), None) => false,
            }
    })
}

/// When a comparison with ngspice disagrees: the allowed |dt| of each
/// signal (s; the smallest over the comparisons with ngspice). `None` when
/// ngspice agrees with every engine.
fn ngspice_disagreement(report: &Report) -> Option<Vec<(String, f64)>> {
    let with_ngspice: Vec<_> = report
        .comparisons
        .iter()
        .filter(|c| c.reference == EngineKind::Ngspice.name() || c.other == EngineKind::Ngspice.name())
        .flat_map(|c| &c.signals)
        .collect();
    if with_ngspice.iter().all(|s| s.verdict.agree) {
        return None;
    }
    let mut allowed: Vec<(String, f64)> = Vec::new();
    for s in with_ngspice {
        let Some(l) = s.verdict.limit_s else { continue };
        match allowed.iter_mut().find(|(k, _)| *k == s.signal) {
            Some((_, old)) => *old = old.min(l),
            None => allowed.push((s.signal.clone(), l)),
        }
    }
    Some(allowed)
}

/// The settings of ngspice's next refined run: its overrides, the event
/// accuracy (s) and a description. A step verify derived from the accuracy
/// is refined through the accuracy (ngspice's report keeps saying so); the
/// netlist's TMAX is replaced by an explicit step. `None` when the step is
/// the user's (`--max-step`), unknown, or the run would outlast the timeout.
fn finer_step(run: &EngineRun, opts: &VerifyOptions) -> Option<(Overrides, f64, String)> {
    let step = run.report.settings.max_step.as_ref()?;
    let fits = run.report.wall_time_s / REFINE_FACTOR < opts.limits.timeout.as_secs_f64();
    if opts.overrides.max_step_s.is_some() || !fits {
        return None;
    }
    let (h, fine) = (step.value_s, step.value_s * REFINE_FACTOR);
    let what = format!("max step {h:e} s -> {fine:e} s (the engines disagreed)");
    let accuracy = fine / TMAX_PER_EVENT_ACCURACY;
    match step.source {
        MaxStepSource::DerivedFromAccuracy { .. } => Some((opts.overrides, accuracy, what)),
        _ => Some((Overrides { max_step_s: Some(fine), ..opts.overrides }, accuracy, what)),
    }
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
            let mut what = format!("reltol {reltol:e} -> {:e}", reltol / 2.0);
            if let Some(h) = max_step {
                r.max_step_s = Some(h / 2.0);
                what.push_str(&format!(", max step {h:e} s -> {:e} s", h / 2.0));
            }
            (r, what)
        }
        EngineKind::Ngspice => {
            let h = max_step.unwrap_or(f64::NAN);
            (Overrides { max_step_s: Some(h / 2.0), ..*o }, format!("max step {h:e} s -> {:e} s", h / 2.0))
        }
        EngineKind::Spice21 => {
            let h = first.report.settings.fixed_step_s.unwrap_or(f64::NAN);
            (Overrides { max_step_s: Some(h / 2.0), ..*o }, format!("fixed step {h:e} s -> {:e} s", h / 2.0))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::engines::Waveforms;
    use crate::report::{EngineReport, EngineSettings};

    fn reference_run(events: &[f64]) -> EngineRun {
        EngineRun {
            report: EngineReport {
                name: "native".into(),
                version: None,
                settings: EngineSettings { max_step: None, fixed_step_s: None, reltol: None, abstol: None },
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

    fn ngspice_run(step_s: f64, source: MaxStepSource, wall_time_s: f64) -> EngineRun {
        let mut r = reference_run(&[]);
        r.report.name = "ngspice".into();
        r.report.wall_time_s = wall_time_s;
        r.report.settings.max_step = Some(crate::ngspice::MaxStepChoice { value_s: step_s, source });
        r
    }

    fn options(max_step_s: Option<f64>, timeout_s: u64) -> VerifyOptions {
        VerifyOptions {
            engines: vec![EngineKind::Native, EngineKind::Ngspice],
            events: vec![EventSpec::rising("v", 1.0, 0.5)],
            probes: Vec::new(),
            overrides: Overrides { max_step_s, ..Overrides::default() },
            tolerances: Tolerances::default(),
            compare: CompareOptions::default(),
            converged: false,
            limits: Limits { timeout: std::time::Duration::from_secs(timeout_s), ..Limits::default() },
            allow_control: false,
        }
    }

    #[test]
    fn events_before_tstart_are_dropped_and_the_rest_kept() {
        let run = from_tstart(reference_run(&[1.0, 2.0, 2.5, 4.0]), 2.0);
        assert_eq!(run.report.events["v"], [2.0, 2.5, 4.0]);
        let all = from_tstart(reference_run(&[0.0, 1.0]), 0.0);
        assert_eq!(all.report.events["v"], [0.0, 1.0]);
    }

    #[test]
    fn ngspice_step_is_refined_through_the_accuracy_or_replaces_the_netlists_never_the_users() {
        let derived = MaxStepSource::DerivedFromAccuracy { event_accuracy_s: 4.0, factor: 0.25 };
        // Derived from the accuracy: the accuracy shrinks (0.45 x 1 s / 0.25), no override.
        let (o, acc, what) =
            finer_step(&ngspice_run(1.0, derived.clone(), 1.0), &options(None, 600)).unwrap();
        assert_eq!(o.max_step_s, None);
        assert!((acc - 1.8).abs() <= 1e-15, "{acc}");
        assert_eq!(what, "max step 1e0 s -> 4.5e-1 s (the engines disagreed)");
        // The netlist's TMAX: replaced by an explicit 0.45 s.
        let (o, _, _) =
            finer_step(&ngspice_run(1.0, MaxStepSource::FromNetlist, 1.0), &options(None, 600)).unwrap();
        assert_eq!(o.max_step_s, Some(0.45));
        // The user's --max-step is kept; a run whose refinement (1/0.45 = 2.2 times
        // longer) would outlast the timeout is not refined.
        assert!(finer_step(&ngspice_run(1.0, derived.clone(), 1.0), &options(Some(1.0), 600)).is_none());
        assert!(finer_step(&ngspice_run(1.0, derived.clone(), 5.0), &options(None, 11)).is_none());
        assert!(finer_step(&ngspice_run(1.0, derived, 4.0), &options(None, 11)).is_some());
    }

    #[test]
    fn only_a_disagreement_involving_ngspice_asks_for_a_refinement() {
        let spec = vec![EventSpec::rising("v", 1.0, 0.5)];
        let mut native = reference_run(&[1.0, 3.0, 5.0]).report;
        let ngspice = EngineReport { name: "ngspice".into(), ..reference_run(&[1.0, 3.0, 5.01]).report };
        let spice21 = EngineReport { name: "spice21".into(), ..reference_run(&[1.0, 3.0, 5.0]).report };
        let report = |engines: Vec<EngineReport>| {
            Report::assemble(
                "x.cir",
                Some(6.0),
                spec.clone(),
                engines,
                &CompareOptions::default(),
                &Tolerances::default(),
            )
        };
        // ngspice 10 ms off, allowed 1e-3 x the 2 s median interval = 2 ms.
        let allowed = ngspice_disagreement(&report(vec![native.clone(), ngspice.clone()])).unwrap();
        assert_eq!(allowed.len(), 1);
        assert_eq!(allowed[0].0, "v");
        assert!((allowed[0].1 - 2e-3).abs() <= 1e-15, "{allowed:?}");
        // ngspice agrees; spice21 alone is off: no refinement of ngspice.
        native.events.insert("v".into(), vec![1.0, 3.0, 5.01]);
        let off21 = EngineReport { events: BTreeMap::from([("v".into(), vec![1.0, 3.0, 6.0])]), ..spice21 };
        assert!(ngspice_disagreement(&report(vec![native, ngspice, off21])).is_none());
    }

    #[test]
    fn ngspice_settles_when_its_events_move_by_a_quarter_of_the_allowed_dt_at_most() {
        let shift = |d: Option<f64>, refined_count: usize| SignalDrift {
            signal: "v".into(),
            count: 3,
            refined_count,
            max_shift_s: d,
            max_shift_rel: None,
        };
        let allowed = [("v".to_string(), 2e-3)];
        assert!(settled(&[shift(Some(5e-4), 3)], &allowed));
        assert!(!settled(&[shift(Some(5.01e-4), 3)], &allowed));
        assert!(!settled(&[shift(Some(1e-9), 4)], &allowed));
        assert!(settled(&[shift(None, 3)], &allowed));
        assert!(!settled(&[shift(Some(1e-9), 3)], &[]));
    }
}
