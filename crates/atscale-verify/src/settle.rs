//! Refinement until an engine's events stop moving: the native engine's
//! tolerance is derived from the requested event tolerance and confirmed
//! by a finer run ([`settle_native`]); ngspice's maximum step is refined
//! (and VACASK's) when it disagrees with another engine ([`settle_stepped`]). Both stop
//! when a refinement moves no event by more than [`SETTLED_FRACTION`] of
//! the allowed |dt|, so a verdict says something about the circuit and not
//! about an engine's defaults.

use atscale_circuit::units::si;

use crate::compare::{compare_trains, verdict, CompareOptions};
use crate::engines::{EngineRun, Overrides, Prepared};
use crate::error::Result;
use crate::events::event_keys;
use crate::interrupt;
use crate::ngspice::{MaxStepSource, NgspiceRunner, TMAX_PER_EVENT_ACCURACY};
use crate::report::{ReltolSource, Report};
use crate::verify::{assemble, from_tstart, run_one, Convergence, EngineKind, SignalDrift, VerifyOptions};

/// A refinement has settled when it moves no event by more than this
/// fraction of the allowed |dt| (and keeps every count).
pub(crate) const SETTLED_FRACTION: f64 = 0.25;

/// The native engine's first reltol in `verify`, as a fraction of the
/// requested event tolerance (`--tol`, relative to the interval). Measured
/// on the corpus, the native engine's event error relative to the interval
/// is about its reltol (1.43e-3 at reltol 1e-3 on a Colpitts oscillator,
/// 1.24e-3 on a bursting neuron), so a quarter of the tolerance leaves the
/// first run inside it with room for the confirmation.
pub(crate) const NATIVE_RELTOL_PER_TOLERANCE: f64 = 0.25;

/// Each confirmation run of the native engine divides its reltol by this
/// (its cost grows about as the square root of the division for the
/// second-order formulas).
const NATIVE_REFINE_DIVISOR: f64 = 4.0;

/// How much each refinement of [`settle_stepped`] shrinks ngspice's (or VACASK's) maximum
/// step: a little under half, so that the finer time grid does not hold the
/// coarser one. ngspice decides a switch's state only at its time points
/// (swload.c), so a switching oscillator's events lock to the grid: on the
/// corpus's `switch-oscillators.cir`, maximum steps of 140.4 fs and 70.2 fs
/// (an exact halving) give the same period, 4.492994 ns, 0.8 ps per period
/// from where ngspice converges (4.49378 ns at 10 fs and 5 fs), and the
/// halving would have looked converged.
const REFINE_FACTOR: f64 = 0.45;

/// At most this many refinements of an engine (ngspice's step down to
/// 0.45⁴ ≈ 1/24 of it; the native reltol down to 1/256 of its first).
const MAX_REFINEMENTS: usize = 4;

/// Per event signal, how far `again`'s events lie from `first`'s, and the
/// |dt| the verdict allows on `first`'s train.
pub(crate) fn drift(
    first: &EngineRun,
    again: &EngineRun,
    opts: &VerifyOptions,
    tstop: f64,
) -> Vec<SignalDrift> {
    let options = CompareOptions { duration_s: Some(tstop), ..opts.compare.clone() };
    event_keys(&opts.events)
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
                allowed_s: verdict(&c, &opts.tolerances).limit_s,
            }
        })
        .collect()
}

/// Whether a refinement kept every signal's event count and moved none of
/// its events by more than [`SETTLED_FRACTION`] of the signal's allowed
/// |dt| (a signal with shifts and no allowed |dt| has not settled).
pub(crate) fn settled(signals: &[SignalDrift]) -> bool {
    signals.iter().all(|s| {
        s.count == s.refined_count
            && match (s.max_shift_s, s.allowed_s) {
                (None, _) => true,
                (Some(d), Some(l)) => d <= SETTLED_FRACTION * l,
                (Some(_), None) => false,
            }
    })
}

/// The native engine's reltol for `verify`'s first run and where it came
/// from: the user's `--reltol` as given; else [`NATIVE_RELTOL_PER_TOLERANCE`]
/// times the relative event tolerance when that is tighter than the
/// netlist's (or the default) reltol; else the netlist's. `None` keeps the
/// user's (or, with an absolute tolerance, the netlist's) setting, which
/// the confirmation then refines.
fn native_first_reltol(netlist_reltol: Option<f64>, opts: &VerifyOptions) -> Option<(f64, ReltolSource)> {
    if opts.overrides.reltol.is_some() || opts.tolerances.max_abs_dt_s.is_some() {
        return None;
    }
    let base = netlist_reltol.unwrap_or(atscale_sim::Tolerances::default().reltol);
    let rel = opts.tolerances.max_abs_dt_rel;
    let derived = NATIVE_RELTOL_PER_TOLERANCE * rel;
    (derived < base).then_some((
        derived,
        ReltolSource::DerivedFromTolerance { event_tolerance_rel: rel, factor: NATIVE_RELTOL_PER_TOLERANCE },
    ))
}

/// The native run of `verify`: at the reltol derived from the requested
/// event tolerance ([`native_first_reltol`]), then confirmed by runs at a
/// quarter of the reltol until one moves no event by more than
/// [`SETTLED_FRACTION`] of the allowed |dt|. The finest run is returned
/// (its settings say where its reltol came from) with each confirmation's
/// drift. The user's `--reltol` is never replaced: it is confirmed only
/// with `--converged`. A confirmation that fails or would outlast the
/// timeout is recorded and the last run stands; a first run that fails at
/// the derived reltol is retried at the netlist's.
///
/// # Errors
///
/// The native engine's error at the netlist's own reltol;
/// [`crate::Error::Interrupted`].
pub(crate) fn settle_native(
    p: &Prepared,
    opts: &VerifyOptions,
    tstop: f64,
    runner: &mut Option<NgspiceRunner>,
) -> Result<(EngineRun, Vec<Convergence>)> {
    let tstart = p.analysis.tran.map_or(0.0, |t| t.tstart_s);
    let mut steps = Vec::new();
    let run_at = |o: &Overrides, runner: &mut Option<NgspiceRunner>| {
        run_one(EngineKind::Native, p, o, opts, runner, 0.0).map(|r| from_tstart(r, tstart))
    };
    let first = native_first_reltol(p.analysis.options.reltol, opts);
    let mut run = match &first {
        Some((reltol, source)) => {
            let o = Overrides { reltol: Some(*reltol), ..opts.overrides };
            match run_at(&o, runner) {
                Ok(mut r) => {
                    r.report.settings.reltol_source = Some(source.clone());
                    r
                }
                Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
                Err(e) => {
                    let refinement = format!("reltol {reltol:e} (from the event tolerance): not run ({e})");
                    steps.push(native(refinement, Vec::new()));
                    return Ok((run_at(&opts.overrides, runner)?, steps));
                }
            }
        }
        None => run_at(&opts.overrides, runner)?,
    };
    if opts.overrides.reltol.is_some() {
        return Ok((run, steps));
    }
    for _ in 0..MAX_REFINEMENTS {
        let Some(reltol) = run.report.settings.reltol else { break };
        let fine = reltol / NATIVE_REFINE_DIVISOR;
        let what = format!("reltol {reltol:e} -> {fine:e} (confirmation)");
        if run.report.wall_time_s * NATIVE_REFINE_DIVISOR >= opts.limits.timeout.as_secs_f64() {
            steps.push(native(format!("{what}: not run (it would outlast the timeout)"), Vec::new()));
            break;
        }
        let again = match run_at(&Overrides { reltol: Some(fine), ..opts.overrides }, runner) {
            Ok(r) => r,
            Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
            Err(e) => {
                steps.push(native(format!("{what}: not run ({e})"), Vec::new()));
                break;
            }
        };
        let signals = drift(&run, &again, opts, tstop);
        let done = settled(&signals);
        let source = refined_source(run.report.settings.reltol_source.as_ref(), reltol);
        steps.push(native(what, signals));
        run = again;
        run.report.settings.reltol_source = Some(source);
        if done || interrupt::requested() {
            break;
        }
    }
    Ok((run, steps))
}

fn native(refinement: String, signals: Vec<SignalDrift>) -> Convergence {
    Convergence { engine: EngineKind::Native.name().into(), refinement, signals }
}

/// The source of a reltol [`NATIVE_REFINE_DIVISOR`] times finer than
/// `reltol`, which came from `source`.
fn refined_source(source: Option<&ReltolSource>, reltol: f64) -> ReltolSource {
    match source {
        Some(ReltolSource::DerivedFromTolerance { event_tolerance_rel, factor }) => {
            ReltolSource::DerivedFromTolerance {
                event_tolerance_rel: *event_tolerance_rel,
                factor: factor / NATIVE_REFINE_DIVISOR,
            }
        }
        Some(ReltolSource::Refined { first_reltol, factor }) => {
            ReltolSource::Refined { first_reltol: *first_reltol, factor: factor / NATIVE_REFINE_DIVISOR }
        }
        _ => ReltolSource::Refined { first_reltol: reltol, factor: 1.0 / NATIVE_REFINE_DIVISOR },
    }
}

/// When ngspice (or VACASK: `kind`) disagrees with another engine and its maximum step is not
/// the user's (`--max-step`), reruns it at [`REFINE_FACTOR`] times its
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
pub(crate) fn settle_stepped(
    kind: EngineKind,
    p: &Prepared,
    opts: &VerifyOptions,
    runs: &mut [EngineRun],
    runner: &mut Option<NgspiceRunner>,
    tstop: f64,
) -> Result<Vec<Convergence>> {
    let mut steps = Vec::new();
    let Some(k) = opts.engines.iter().position(|&e| e == kind) else {
        return Ok(steps);
    };
    let tstart = p.analysis.tran.map_or(0.0, |t| t.tstart_s);
    for _ in 0..MAX_REFINEMENTS {
        if !disagrees(kind, &assemble(p, opts, tstop, runs)) {
            break;
        }
        let Some((o, accuracy, refinement)) = finer_step(&runs[k], opts) else { break };
        let again = match run_one(kind, p, &o, opts, runner, accuracy) {
            Ok(r) => from_tstart(r, tstart),
            Err(crate::Error::Interrupted) => return Err(crate::Error::Interrupted),
            Err(e) => {
                tracing::warn!(%refinement, error = %e, engine = kind.name(), "refined run failed; the last run stands");
                let refinement = format!("{refinement}: not run ({e})");
                steps.push(Convergence { engine: kind.name().into(), refinement, signals: Vec::new() });
                break;
            }
        };
        if interrupt::requested() {
            return Err(crate::Error::Interrupted);
        }
        let signals = drift(&runs[k], &again, opts, tstop);
        let done = settled(&signals);
        steps.push(Convergence { engine: kind.name().into(), refinement, signals });
        runs[k] = again;
        if done {
            break;
        }
    }
    Ok(steps)
}

/// Whether a comparison involving engine `kind` disagrees.
fn disagrees(kind: EngineKind, report: &Report) -> bool {
    report
        .comparisons
        .iter()
        .filter(|c| c.reference == kind.name() || c.other == kind.name())
        .flat_map(|c| &c.signals)
        .any(|s| !s.verdict.agree)
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
    let what = format!("max step {} -> {} (the engines disagreed)", si(h, "s"), si(fine, "s"));
    let factor = match step.source {
        MaxStepSource::DerivedFromAccuracy { factor, .. } => factor,
        _ => TMAX_PER_EVENT_ACCURACY,
    };
    let accuracy = fine / factor;
    match step.source {
        MaxStepSource::DerivedFromAccuracy { .. } => Some((opts.overrides, accuracy, what)),
        _ => Some((Overrides { max_step_s: Some(fine), ..opts.overrides }, accuracy, what)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use std::collections::BTreeMap;

    use super::*;
    use crate::compare::Tolerances;
    use crate::events::EventSpec;
    use crate::limits::Limits;
    use crate::report::EngineReport;
    use crate::verify::tests::reference_run;

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
    fn ngspice_step_is_refined_through_the_accuracy_or_replaces_the_netlists_never_the_users() {
        let derived = MaxStepSource::DerivedFromAccuracy { event_accuracy_s: 4.0, factor: 0.25 };
        // Derived from the accuracy: the accuracy shrinks (0.45 x 1 s / 0.25), no override.
        let (o, acc, what) =
            finer_step(&ngspice_run(1.0, derived.clone(), 1.0), &options(None, 600)).unwrap();
        assert_eq!(o.max_step_s, None);
        assert!((acc - 1.8).abs() <= 1e-15, "{acc}");
        assert_eq!(what, "max step 1 s -> 450 ms (the engines disagreed)");
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
        assert!(disagrees(EngineKind::Ngspice, &report(vec![native.clone(), ngspice.clone()])));
        // ngspice agrees; spice21 alone is off: no refinement of ngspice.
        native.events.insert("v".into(), vec![1.0, 3.0, 5.01]);
        let off21 = EngineReport { events: BTreeMap::from([("v".into(), vec![1.0, 3.0, 6.0])]), ..spice21 };
        assert!(!disagrees(EngineKind::Ngspice, &report(vec![native, ngspice, off21])));
    }

    #[test]
    fn an_engine_settles_when_its_events_move_by_a_quarter_of_the_allowed_dt_at_most() {
        let shift = |d: Option<f64>, refined_count: usize, allowed_s: Option<f64>| SignalDrift {
            signal: "v".into(),
            count: 3,
            refined_count,
            max_shift_s: d,
            max_shift_rel: None,
            allowed_s,
        };
        let allowed = Some(2e-3);
        assert!(settled(&[shift(Some(5e-4), 3, allowed)]));
        assert!(!settled(&[shift(Some(5.01e-4), 3, allowed)]));
        assert!(!settled(&[shift(Some(1e-9), 4, allowed)]));
        assert!(settled(&[shift(None, 3, allowed)]));
        assert!(!settled(&[shift(Some(1e-9), 3, None)]));
    }

    #[test]
    fn drift_measures_the_shift_and_the_allowed_dt_on_the_first_train() {
        // Intervals 2 s: allowed 1e-3 x 2 s = 2 ms; the third event moved 1.5 ms.
        let d = drift(
            &reference_run(&[1.0, 3.0, 5.0]),
            &reference_run(&[1.0, 3.0, 5.0015]),
            &options(None, 60),
            6.0,
        );
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].count, d[0].refined_count), (3, 3));
        assert!((d[0].max_shift_s.unwrap() - 1.5e-3).abs() <= 1e-12, "{d:?}");
        assert!((d[0].allowed_s.unwrap() - 2e-3).abs() <= 1e-15, "{d:?}");
        assert!(!settled(&d));
    }

    #[test]
    fn the_native_reltol_is_a_quarter_of_the_tolerance_unless_the_user_or_netlist_is_tighter() {
        let mut o = options(None, 60);
        // --tol 1e-3: reltol 2.5e-4, tighter than the default 1e-3.
        let (r, source) = native_first_reltol(None, &o).unwrap();
        assert!((r - 2.5e-4).abs() <= 1e-18, "{r}");
        assert_eq!(source, ReltolSource::DerivedFromTolerance { event_tolerance_rel: 1e-3, factor: 0.25 });
        // The netlist's reltol 1e-5 is tighter: kept (None).
        assert!(native_first_reltol(Some(1e-5), &o).is_none());
        // --tol 1e-2 derives 2.5e-3, looser than the default: the default stands.
        o.tolerances.max_abs_dt_rel = 1e-2;
        assert!(native_first_reltol(None, &o).is_none());
        // The user's --reltol, or an absolute tolerance (no interval yet): kept.
        o.tolerances.max_abs_dt_rel = 1e-3;
        o.overrides.reltol = Some(1e-3);
        assert!(native_first_reltol(None, &o).is_none());
        o.overrides.reltol = None;
        o.tolerances.max_abs_dt_s = Some(1e-6);
        assert!(native_first_reltol(None, &o).is_none());
        // Each confirmation divides the factor by 4.
        let derived = ReltolSource::DerivedFromTolerance { event_tolerance_rel: 1e-3, factor: 0.25 };
        assert_eq!(
            refined_source(Some(&derived), 2.5e-4),
            ReltolSource::DerivedFromTolerance { event_tolerance_rel: 1e-3, factor: 0.0625 }
        );
        assert_eq!(
            refined_source(Some(&ReltolSource::FromNetlist), 1e-4),
            ReltolSource::Refined { first_reltol: 1e-4, factor: 0.25 }
        );
    }
}
