//! The native transient solver of atscale.
//!
//! A tour, in the order a user meets it:
//!
//! - [`Simulation`]: the builder. Give it a checked
//!   `FlatCircuit` (from `atscale_circuit`), a stop time, tolerances
//!   ([`Tolerances`], SPICE names and defaults), probes, events
//!   ([`Direction`], threshold, hysteresis), `uic` or `.ic` values.
//! - [`Simulation::run`] integrates to the stop time and returns a
//!   [`SimResult`]: the probed [`Trace`]s, the [`Event`]s in time order and
//!   the solver [`Stats`]. [`Simulation::start`] returns a [`Transient`]
//!   instead, which you drive one [`StepOutcome`] at a time (an internal step,
//!   an event, or the stop).
//! - [`Simulation::operating_point`]: the DC operating point alone.
//! - [`reference`](mod@reference): reference circuits as public data (RC, RLC, the three
//!   cases of `crates/atscale-spice/tests/spice/data/reference/events.json`, chains and random networks of
//!   FitzHugh-Nagumo cells) with their expected events and tolerances.
//! - [`Error`]: what went wrong, with the time, step, iterations, residual and
//!   the node or element concerned.
//!
//! # Method
//!
//! Modified nodal analysis in charge/flux form `d/dt q(y) + f(y, t) = 0`
//! ([`mna`]); unknowns are node voltages, branch currents of voltage sources
//! and inductors, and the internal states of memristive elements. Time
//! integration is variable-step, variable-order (1 to 5) BDF in
//! variable-coefficient form applied to the charges, with a modified Newton
//! iteration that reuses the Jacobian factorization across iterations and
//! steps while it converges well. The local truncation error is tested, as
//! in SPICE, on the differential unknowns only (or their charge or flux):
//! below `reltol * |y| + atol` (max norm), `atol` being `vntol` for
//! voltages, `abstol` for currents and `statetol` for states, and charges
//! and fluxes to `reltol * max(|q|, chgtol)`; algebraic unknowns are not
//! tested, except the nodes at a terminal of an element that depends on
//! time (a source with a waveform, a behavioural element reading `time`). Source corners (PULSE,
//! PWL, EXP delays) are breakpoints: a step never crosses one. Events are
//! located by Illinois root finding on the step's interpolating polynomial.
//! Linear systems are solved by a dense LU below
//! [`Simulation::dense_limit`] unknowns; above, by GMRES preconditioned
//! with the factored block diagonal when the circuit decomposes into small
//! blocks (cells) joined only by linear resistors and a sparse LU would fill
//! in ([`linalg::BlockKrylov`], networks), else by faer's sparse LU (COLAMD
//! ordering and symbolic analysis once per run) ([`linalg`], [`SolverKind`]).
//!
//! ```
//! use atscale_sim::{reference, Simulation, Direction};
//! let case = reference::fitzhugh_nagumo();
//! let result = Simulation::new(&case.circuit)?
//!     .tstop(100.0)
//!     .uic(true)
//!     .probe("v")
//!     .event("v", 1.0, 0.5, Direction::Rising)
//!     .run()?;
//! assert_eq!(result.event_times("v").len(), 2); // at t = 23.28 and 62.75
//! # Ok::<(), atscale_sim::Error>(())
//! ```
#![warn(missing_docs)]
// `!(a <= b)` is used on purpose: it is true for NaN, which must count as a failure.
#![allow(clippy::neg_cmp_op_on_partial_ord)]
// Index loops over several parallel vectors read better than zipped iterators here.
#![allow(clippy::needless_range_loop)]

pub mod error;
pub mod events;
pub mod fidelity;
pub mod linalg;
pub mod measure;
pub mod mna;
pub mod reference;
mod solver;

use atscale_circuit::{FlatCircuit, TranTiming};
use serde::{Deserialize, Serialize};

pub use error::{Error, Result};
pub use events::{Direction, Event, EventSpec};
pub use fidelity::unmodelled;
pub use linalg::SolverKind;
pub use solver::StepOutcome;

use events::Detector;
use mna::Mna;
use solver::{Engine, Integrator};

/// Error tolerances, with SPICE's names and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerances {
    /// Relative tolerance of every unknown and charge (default 1e-3).
    pub reltol: f64,
    /// Absolute tolerance of branch currents, A (default 1e-12).
    pub abstol: f64,
    /// Absolute tolerance of node voltages, V (default 1e-6).
    pub vntol: f64,
    /// Smallest charge or flux the relative tolerance of charges applies
    /// to (SPICE's CHGTOL: the tolerance is `reltol * max(|q|, chgtol)`),
    /// C or Wb (default 1e-14).
    pub chgtol: f64,
    /// Absolute tolerance of memristive states, in their unit (default 1e-6).
    pub statetol: f64,
    /// Truncation-error tolerance factor, SPICE's `TRTOL`: the local error
    /// of a step may reach `trtol` times the tolerance above. SPICE's
    /// default is 7; the native default is 1e-3, chosen (by the measurements
    /// in `docs/performance.md`) so that default runs place events within
    /// 1e-4 of an inter-spike interval.
    pub trtol: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances { reltol: 1e-3, abstol: 1e-12, vntol: 1e-6, chgtol: 1e-14, statetol: 1e-6, trtol: 1e-3 }
    }
}

impl Tolerances {
    /// The defaults for a circuit whose voltages are of order `volt_v`,
    /// currents of order `amp_a` and capacitances of order `farad_f` (a
    /// design's scales): each absolute tolerance scaled by its unit
    /// (`vntol = 1e-6 volt_v`, `abstol = 1e-12 amp_a`,
    /// `chgtol = 1e-14 volt_v farad_f`); relative ones unchanged. The one
    /// rule by which atscale picks tolerances for a physical circuit.
    pub fn at_scale(volt_v: f64, amp_a: f64, farad_f: f64) -> Tolerances {
        let d = Tolerances::default();
        Tolerances {
            abstol: d.abstol * amp_a,
            vntol: d.vntol * volt_v,
            chgtol: d.chgtol * volt_v * farad_f,
            ..d
        }
    }

    /// The tolerances an analysis' `.options` ask for (reltol, abstol,
    /// vntol, chgtol), the defaults for the others.
    pub fn from_options(o: &atscale_circuit::Options) -> Tolerances {
        let d = Tolerances::default();
        Tolerances {
            reltol: o.reltol.unwrap_or(d.reltol),
            abstol: o.abstol.unwrap_or(d.abstol),
            vntol: o.vntol.unwrap_or(d.vntol),
            chgtol: o.chgtol.unwrap_or(d.chgtol),
            ..d
        }
    }

    /// Writes these tolerances as `.options` (reltol, abstol, vntol, chgtol).
    pub fn write_options(&self, o: &mut atscale_circuit::Options) {
        o.reltol = Some(self.reltol);
        o.abstol = Some(self.abstol);
        o.vntol = Some(self.vntol);
        o.chgtol = Some(self.chgtol);
    }
}

/// Work done by a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Accepted time steps.
    pub accepted: usize,
    /// Steps rejected by the error test.
    pub rejected: usize,
    /// Steps whose Newton iteration failed (the step was retried smaller).
    pub newton_failures: usize,
    /// Newton iterations (operating point and transient).
    pub newton_iterations: usize,
    /// Jacobian evaluations.
    pub jacobian_evals: usize,
    /// LU factorizations.
    pub factorizations: usize,
    /// Evaluations of the circuit equations.
    pub function_evals: usize,
    /// Events located.
    pub events: usize,
    /// Whether (1) the operating point needed gmin stepping.
    pub gmin_steps: usize,
    /// Whether (1) the operating point needed source stepping.
    pub source_steps: usize,
    /// Iterations of the iterative linear solver (GMRES), 0 with a direct one.
    #[serde(default)]
    pub linear_iterations: usize,
    /// Time steps whose Newton iteration converged only through gmin
    /// stepping (a temporary conductance from every node to ground, stepped
    /// down to none; the accepted solution has none).
    #[serde(default)]
    pub tran_gmin_steps: usize,
}

/// Which time points the probed waveforms keep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// Every accepted time point.
    All,
    /// Every k-th accepted time point (and the first and last).
    Every(usize),
    /// Exactly these times (s), interpolated on the step polynomials.
    Times(Vec<f64>),
}

/// One probed signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The name as requested.
    pub name: String,
    /// One value per entry of [`SimResult::time`].
    pub values: Vec<f64>,
}

/// The result of a transient run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimResult {
    /// Output time points, s.
    pub time: Vec<f64>,
    /// Probed signals.
    pub traces: Vec<Trace>,
    /// Events in time order.
    pub events: Vec<Event>,
    /// Work done.
    pub stats: Stats,
}

impl SimResult {
    /// The values of a probed signal.
    pub fn trace(&self, name: &str) -> Option<&[f64]> {
        self.traces.iter().find(|t| t.name.eq_ignore_ascii_case(name)).map(|t| t.values.as_slice())
    }

    /// The times of the events of the `index`-th requested event specification, in order.
    pub fn event_times_of(&self, index: usize) -> Vec<f64> {
        self.events.iter().filter(|e| e.index == index).map(|e| e.t).collect()
    }

    /// The times of the events on `signal` (of every specification on it), in order.
    pub fn event_times(&self, signal: &str) -> Vec<f64> {
        self.events.iter().filter(|e| e.signal.eq_ignore_ascii_case(signal)).map(|e| e.t).collect()
    }
}

/// The operating point: one value per unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatingPoint {
    /// Unknown names (`v(n)`, `i(L1)`, `x(M1,0)`).
    pub names: Vec<String>,
    /// Values, in the same order.
    pub values: Vec<f64>,
    /// Work done.
    pub stats: Stats,
}

impl OperatingPoint {
    /// The value of a node voltage (by node name or `v(node)`), a branch
    /// current `i(element)` or a state `x(element,k)`.
    pub fn get(&self, name: &str) -> Option<f64> {
        let key = name.trim().to_ascii_lowercase();
        let alt = format!("v({key})");
        self.names
            .iter()
            .position(|n| {
                let n = n.to_ascii_lowercase();
                n == key || n == alt || format!("v({n})") == key
            })
            .map(|i| self.values[i])
    }
}

/// Limits of a run. The defaults bound a run to a few GiB of work at
/// most; raise them for long runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimLimits {
    /// Largest number of time steps tried (default 10,000,000).
    pub max_steps: u64,
    /// Largest size of the stored waveforms and events, and of the matrix
    /// factors (estimated before they are made), bytes (default 256 MiB).
    pub max_stored_bytes: u64,
}

impl Default for SimLimits {
    fn default() -> Self {
        SimLimits { max_steps: 10_000_000, max_stored_bytes: 256 << 20 }
    }
}

/// A check the run calls after every step: `Some(reason)` stops it with
/// [`Error::Stopped`]. The caller decides (an interruption flag, a
/// deadline); the solver itself reads no clock.
#[derive(Clone)]
pub struct StopCheck(std::sync::Arc<dyn Fn() -> Option<String> + Send + Sync>);

impl StopCheck {
    /// Wraps a check.
    pub fn new(check: impl Fn() -> Option<String> + Send + Sync + 'static) -> Self {
        StopCheck(std::sync::Arc::new(check))
    }

    /// Runs the check.
    pub fn check(&self) -> Option<String> {
        (self.0)()
    }
}

impl std::fmt::Debug for StopCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StopCheck")
    }
}

/// How far a caller lets its runs go: the limits of each run and a stop
/// check (a deadline, an interruption) shared by all of them.
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    /// The limits of each run.
    pub limits: SimLimits,
    /// The stop check of every run (default: the process-wide one).
    pub stop: Option<StopCheck>,
}

static DEFAULT_STOP: std::sync::OnceLock<StopCheck> = std::sync::OnceLock::new();

/// Sets the stop check of every simulation not given one
/// ([`Simulation::stop_check`]): the binary sets one that watches for
/// Ctrl-C, so that every native run of the process stops on it. Only the
/// first call counts; the check is all the state this crate keeps.
pub fn set_default_stop_check(check: StopCheck) {
    let _ = DEFAULT_STOP.set(check);
}

/// The process-wide stop check, if one is set ([`set_default_stop_check`]):
/// long computations outside a simulation (a landscape) poll it too.
pub fn default_stop_check() -> Option<StopCheck> {
    DEFAULT_STOP.get().cloned()
}

/// Bytes a stored event is counted for (its time, signal name and fields).
const EVENT_BYTES: u64 = 64;

/// The builder of a simulation.
#[derive(Debug, Clone)]
pub struct Simulation {
    mna: Mna,
    tstart: f64,
    tstop: f64,
    tstep: Option<f64>,
    max_step: Option<f64>,
    initial_step: Option<f64>,
    tol: Tolerances,
    probes: Vec<String>,
    events: Vec<EventSpec>,
    uic: bool,
    ics: Vec<(String, f64)>,
    nodesets: Vec<(String, f64)>,
    output: Output,
    dense_limit: usize,
    solver: SolverKind,
    limits: SimLimits,
    stop: Option<StopCheck>,
}

impl Simulation {
    /// Formulates `circuit` (flattened and checked, e.g. by
    /// `Circuit::check`). Defaults: start 0, stop 1 s, no maximum step,
    /// [`Tolerances::default`], all accepted points output, operating point
    /// computed first (no `uic`).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for elements the native solver cannot simulate.
    pub fn new(circuit: &FlatCircuit) -> Result<Simulation> {
        let mna = Mna::new(circuit, TranTiming { tstep: 1e-2, tstop: 1.0 })?;
        Ok(Simulation {
            mna,
            tstart: 0.0,
            tstop: 1.0,
            tstep: None,
            max_step: None,
            initial_step: None,
            tol: Tolerances::default(),
            probes: Vec::new(),
            events: Vec::new(),
            uic: false,
            ics: Vec::new(),
            nodesets: Vec::new(),
            output: Output::All,
            dense_limit: 60,
            solver: SolverKind::Auto,
            limits: SimLimits::default(),
            stop: DEFAULT_STOP.get().cloned(),
        })
    }

    /// The run's limits (default [`SimLimits::default`]).
    pub fn limits(mut self, limits: SimLimits) -> Self {
        self.limits = limits;
        self
    }

    /// A check called after every step that may stop the run.
    pub fn stop_check(mut self, check: StopCheck) -> Self {
        self.stop = Some(check);
        self
    }

    /// The limits and stop check of `bounds`.
    pub fn bounded(mut self, bounds: &Bounds) -> Self {
        self.limits = bounds.limits;
        if let Some(s) = &bounds.stop {
            self.stop = Some(s.clone());
        }
        self
    }

    /// The simulation `analysis` asks for, to `tstop_s`: its `.tran` (print
    /// step, maximum step, `uic`), `.options` (tolerances by
    /// [`Tolerances::from_options`], `maxstep` when `.tran` has none) and
    /// `.ic`. The one constructor from an analysis description: every
    /// netlist run and sweep point gets its settings here.
    ///
    /// # Errors
    ///
    /// As [`Simulation::new`].
    pub fn for_analysis(
        circuit: &FlatCircuit,
        analysis: &atscale_circuit::Analysis,
        tstop_s: f64,
    ) -> Result<Simulation> {
        let tran = analysis.tran;
        let mut sim = Simulation::new(circuit)?
            .tstop(tstop_s)
            .tolerances(Tolerances::from_options(&analysis.options))
            .uic(tran.is_some_and(|t| t.uic));
        if let Some(t) = tran {
            sim = sim.tstep(t.tstep_s);
        }
        if let Some(h) = tran.and_then(|t| t.tmax_s).or(analysis.options.maxstep_s) {
            sim = sim.max_step(h);
        }
        for (node, v) in &analysis.ic {
            sim = sim.ic(node, *v);
        }
        for (node, v) in &analysis.nodeset {
            sim = sim.nodeset(node, *v);
        }
        Ok(sim)
    }

    /// The tolerances in force.
    pub fn current_tolerances(&self) -> Tolerances {
        self.tol
    }

    /// The maximum step in force, s.
    pub fn current_max_step(&self) -> Option<f64> {
        self.max_step
    }

    /// Stop time, s.
    pub fn tstop(mut self, t: f64) -> Self {
        self.tstop = t;
        self
    }
    /// Start time, s (default 0).
    pub fn tstart(mut self, t: f64) -> Self {
        self.tstart = t;
        self
    }
    /// The `.tran` print step, s, used only by waveform defaults (PULSE rise
    /// time, ...); default `(tstop - tstart) / 100`.
    pub fn tstep(mut self, t: f64) -> Self {
        self.tstep = Some(t);
        self
    }
    /// Maximum internal step, s (default: none).
    pub fn max_step(mut self, h: f64) -> Self {
        self.max_step = Some(h);
        self
    }
    /// First step, s (default `1e-7 (tstop - tstart)`).
    pub fn initial_step(mut self, h: f64) -> Self {
        self.initial_step = Some(h);
        self
    }
    /// All tolerances at once.
    pub fn tolerances(mut self, tol: Tolerances) -> Self {
        self.tol = tol;
        self
    }
    /// Relative tolerance (default 1e-3).
    pub fn reltol(mut self, v: f64) -> Self {
        self.tol.reltol = v;
        self
    }
    /// Absolute current tolerance, A (default 1e-12).
    pub fn abstol(mut self, v: f64) -> Self {
        self.tol.abstol = v;
        self
    }
    /// Absolute voltage tolerance, V (default 1e-6).
    pub fn vntol(mut self, v: f64) -> Self {
        self.tol.vntol = v;
        self
    }
    /// Absolute charge tolerance, C (default 1e-14).
    pub fn chgtol(mut self, v: f64) -> Self {
        self.tol.chgtol = v;
        self
    }
    /// Absolute tolerance of memristive states (default 1e-6).
    pub fn statetol(mut self, v: f64) -> Self {
        self.tol.statetol = v;
        self
    }
    /// Truncation-error tolerance factor (default 1e-3; SPICE's is 7).
    pub fn trtol(mut self, v: f64) -> Self {
        self.tol.trtol = v;
        self
    }
    /// Records a signal: a node name, `v(node)`, `i(element)` or `x(element,k)`.
    pub fn probe(mut self, signal: &str) -> Self {
        self.probes.push(signal.to_string());
        self
    }
    /// Which time points to keep (default [`Output::All`]).
    pub fn output(mut self, output: Output) -> Self {
        self.output = output;
        self
    }
    /// Requests events: crossings of `threshold` by `signal` in `direction`,
    /// re-armed only after the signal has gone `hysteresis` past the
    /// threshold the other way.
    pub fn event(mut self, signal: &str, threshold: f64, hysteresis: f64, direction: Direction) -> Self {
        self.events.push(EventSpec { signal: signal.to_string(), threshold, hysteresis, direction });
        self
    }

    /// Requests the events of `spec` (see [`Simulation::event`]).
    pub fn event_spec(mut self, spec: &EventSpec) -> Self {
        self.events.push(spec.clone());
        self
    }
    /// SPICE `uic`: skip the operating point and start from the capacitor
    /// and inductor initial conditions, the `.ic` values and the memristive
    /// states' initial values (other unknowns are solved for consistency).
    pub fn uic(mut self, on: bool) -> Self {
        self.uic = on;
        self
    }
    /// SPICE `.ic`: hold `signal` at `value` during the operating point
    /// (then release it); with `uic`, start from it.
    pub fn ic(mut self, signal: &str, value: f64) -> Self {
        self.ics.push((signal.to_string(), value));
        self
    }
    /// SPICE `.nodeset`: a guess for the operating point. As in ngspice,
    /// `signal` is held at `value` for a first solution, then released and
    /// the operating point solved again from there (in a circuit with
    /// several, this picks the one near the guess).
    pub fn nodeset(mut self, signal: &str, value: f64) -> Self {
        self.nodesets.push((signal.to_string(), value));
        self
    }
    /// Below this number of unknowns a dense LU is used (default 60).
    pub fn dense_limit(mut self, n: usize) -> Self {
        self.dense_limit = n;
        self
    }

    /// The linear solver (default [`SolverKind::Auto`]).
    pub fn linear_solver(mut self, kind: SolverKind) -> Self {
        self.solver = kind;
        self
    }

    fn validate(&self) -> Result<()> {
        let t = &self.tol;
        for (name, v) in [
            ("reltol", t.reltol),
            ("abstol", t.abstol),
            ("vntol", t.vntol),
            ("chgtol", t.chgtol),
            ("statetol", t.statetol),
            ("trtol", t.trtol),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::InvalidSetting { name, value: v, reason: "must be positive and finite" });
            }
        }
        if !(self.tstop > self.tstart) || !self.tstop.is_finite() || !self.tstart.is_finite() {
            return Err(Error::InvalidSetting {
                name: "tstop",
                value: self.tstop,
                reason: "must be finite and after tstart",
            });
        }
        if let Some(h) = self.max_step {
            if !(h > 0.0) {
                return Err(Error::InvalidSetting { name: "max_step", value: h, reason: "must be positive" });
            }
            // A maximum step that needs more steps than allowed is refused before any work.
            if (self.tstop - self.tstart) / h > self.limits.max_steps as f64 {
                return Err(Error::Limit {
                    what: "the number of steps (tstop - tstart) / max_step",
                    limit: self.limits.max_steps,
                    time_s: self.tstart,
                    flag: "--max-steps",
                });
            }
        }
        Ok(())
    }

    fn lookup(&self, name: &str) -> Result<usize> {
        self.mna.lookup(name).ok_or_else(|| Error::UnknownSignal { name: name.to_string() })
    }

    fn held(&self) -> Result<Vec<(usize, f64)>> {
        self.ics.iter().map(|(s, v)| Ok((self.lookup(s)?, *v))).collect()
    }

    /// The operating point from the guess `y` with `held` nodes held:
    /// first with the `.nodeset` nodes held too (when there are any), then
    /// released, from that solution.
    fn solve_operating_point(&self, eng: &mut Engine, y: &mut [f64], held: &[(usize, f64)]) -> Result<()> {
        if !self.nodesets.is_empty() {
            let mut guided = held.to_vec();
            for (s, v) in &self.nodesets {
                let i = self.lookup(s)?;
                if !guided.iter().any(|h| h.0 == i) {
                    guided.push((i, *v));
                    y[i] = *v;
                }
            }
            eng.operating_point(y, self.tstart, &guided)?;
        }
        eng.operating_point(y, self.tstart, held)
    }

    /// Computes the DC operating point at `tstart` (with `.ic` nodes held).
    ///
    /// # Errors
    ///
    /// [`Error::OperatingPoint`] when Newton, gmin stepping and source
    /// stepping all fail; [`Error::Singular`] for a singular matrix.
    pub fn operating_point(mut self) -> Result<OperatingPoint> {
        self.mna.timing = self.timing();
        let held = self.held()?;
        let mut eng = self.engine()?;
        let mut y = self.mna.uic_state(&held);
        self.solve_operating_point(&mut eng, &mut y, &held)?;
        Ok(OperatingPoint { names: self.mna.names.clone(), values: y, stats: eng.stats() })
    }

    /// The stepping engine on this formulation, tolerances and limits.
    fn engine(&self) -> Result<Engine> {
        Engine::new(self.mna.clone(), self.tol, self.dense_limit, self.solver, self.limits.max_stored_bytes)
    }

    fn timing(&self) -> TranTiming {
        let span = self.tstop - self.tstart;
        TranTiming { tstep: self.tstep.unwrap_or(span / 100.0), tstop: self.tstop }
    }

    /// Computes the initial state and returns a stepper.
    ///
    /// # Errors
    ///
    /// Invalid settings, unknown signals, and operating-point failures.
    pub fn start(mut self) -> Result<Transient> {
        self.validate()?;
        self.mna.timing = self.timing();
        let held = self.held()?;
        let probes: Vec<usize> = self.probes.iter().map(|p| self.lookup(p)).collect::<Result<_>>()?;
        let detectors: Vec<Detector> = self
            .events
            .iter()
            .map(|e| {
                Ok(Detector::new(
                    self.lookup(&e.signal)?,
                    e.signal.clone(),
                    e.threshold,
                    e.hysteresis,
                    e.direction,
                ))
            })
            .collect::<Result<_>>()?;
        let mut eng = self.engine()?;
        let mut y;
        // Under `uic`, the first step starts from ngspice's starting charges.
        let uic = self.uic;
        if self.uic {
            eng.mna.switches_uic(&held);
            y = self.mna.uic_state(&held);
            // Hold the differential unknowns, solve the algebraic ones and
            // the nodes voltage sources set (their sources set them).
            let sourced = self.mna.source_nodes();
            let hold: Vec<(usize, f64)> = (0..self.mna.n)
                .filter(|&i| !sourced[i] && (self.mna.differential[i] || held.iter().any(|h| h.0 == i)))
                .map(|i| (i, y[i]))
                .collect();
            if hold.len() < self.mna.n {
                eng.operating_point(&mut y, self.tstart, &hold)?;
            }
        } else {
            y = self.mna.uic_state(&held);
            if held.is_empty() {
                y.iter_mut().for_each(|v| *v = 0.0);
            }
            self.solve_operating_point(&mut eng, &mut y, &held)?;
        }
        let max_step = self.max_step.unwrap_or(f64::INFINITY);
        let mut integ = Integrator::new(eng, &y, self.tstart, self.tstop, max_step, self.initial_step);
        if uic {
            integ.uic_charges(&held);
        }
        integ.detectors = detectors;
        integ.arm_detectors();
        let mut tr = Transient {
            integ,
            probes,
            probe_names: self.probes.clone(),
            output: self.output.clone(),
            time: Vec::new(),
            values: vec![Vec::new(); self.probes.len()],
            events: Vec::new(),
            next_time: 0,
            counter: 0,
            steps: 0,
            limits: self.limits,
            stop: self.stop.clone(),
        };
        tr.record_initial();
        Ok(tr)
    }

    /// Runs to the stop time.
    ///
    /// # Errors
    ///
    /// See [`Simulation::start`] and [`Transient::step`].
    pub fn run(self) -> Result<SimResult> {
        let mut tr = self.start()?;
        while tr.step()? != StepOutcome::Stop {}
        Ok(tr.finish())
    }
}

/// A transient run in progress, driven one [`StepOutcome`] at a time.
pub struct Transient {
    integ: Integrator,
    probes: Vec<usize>,
    probe_names: Vec<String>,
    output: Output,
    time: Vec<f64>,
    values: Vec<Vec<f64>>,
    events: Vec<Event>,
    next_time: usize,
    counter: usize,
    steps: u64,
    limits: SimLimits,
    stop: Option<StopCheck>,
}

impl std::fmt::Debug for Transient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transient")
            .field("t", &self.integ.time())
            .field("stats", &self.integ.eng.stats())
            .finish()
    }
}

impl Transient {
    fn record_initial(&mut self) {
        let t0 = self.integ.time();
        match self.output.clone() {
            Output::All | Output::Every(_) => self.push_current(),
            Output::Times(ts) => {
                while self.next_time < ts.len() && ts[self.next_time] <= t0 {
                    if ts[self.next_time] == t0 {
                        self.push_current_at(t0);
                    }
                    self.next_time += 1;
                }
            }
        }
    }

    fn push_current(&mut self) {
        self.time.push(self.integ.time());
        let y = self.integ.solution();
        for (v, &p) in self.values.iter_mut().zip(&self.probes) {
            v.push(y[p]);
        }
    }

    fn push_current_at(&mut self, t: f64) {
        self.time.push(t);
        for k in 0..self.probes.len() {
            let v = if t == self.integ.time() {
                self.integ.solution()[self.probes[k]]
            } else {
                self.integ.interp(self.probes[k], t)
            };
            self.values[k].push(v);
        }
    }

    /// Advances to the next internal step or event.
    ///
    /// # Errors
    ///
    /// [`Error::StepUnderflow`] when the step size underflows (Newton
    /// failures or error-test failures), [`Error::Singular`].
    pub fn step(&mut self) -> Result<StepOutcome> {
        self.check_limits()?;
        let out = self.integ.step()?;
        match &out {
            StepOutcome::Step { t } => {
                let t = *t;
                let last = t >= self.integ.tstop;
                match &self.output {
                    Output::All => self.push_current(),
                    Output::Every(k) => {
                        self.counter += 1;
                        if self.counter.is_multiple_of((*k).max(1)) || last {
                            self.push_current();
                        }
                    }
                    Output::Times(ts) => {
                        let ts = ts.clone();
                        while self.next_time < ts.len() && ts[self.next_time] <= t {
                            self.push_current_at(ts[self.next_time]);
                            self.next_time += 1;
                        }
                    }
                }
            }
            StepOutcome::Event(e) => self.events.push(e.clone()),
            StepOutcome::Stop => {}
        }
        Ok(out)
    }

    fn check_limits(&mut self) -> Result<()> {
        let time_s = self.integ.time();
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(Error::Limit {
                what: "the number of time steps",
                limit: self.limits.max_steps,
                time_s,
                flag: "--max-steps",
            });
        }
        let stored = (self.time.len() as u64) * 8 * (1 + self.values.len() as u64)
            + self.events.len() as u64 * EVENT_BYTES;
        if stored > self.limits.max_stored_bytes {
            return Err(Error::Limit {
                what: "the stored waveforms and events, in bytes,",
                limit: self.limits.max_stored_bytes,
                time_s,
                flag: "--max-memory",
            });
        }
        if let Some(reason) = self.stop.as_ref().and_then(StopCheck::check) {
            return Err(Error::Stopped { reason, time_s });
        }
        Ok(())
    }

    /// Current time, s.
    pub fn time(&self) -> f64 {
        self.integ.time()
    }

    /// The current value of a signal (node, `v(n)`, `i(el)`, `x(el,k)`).
    pub fn value(&self, signal: &str) -> Option<f64> {
        self.integ.eng.mna.lookup(signal).map(|i| self.integ.solution()[i])
    }

    /// Work done so far.
    pub fn stats(&self) -> Stats {
        self.integ.eng.stats()
    }

    /// The name of the linear solver in use (`dense`, `sparse` or `block-krylov`).
    pub fn linear_solver(&self) -> &'static str {
        self.integ.eng.lin.name()
    }

    /// The recorded waveforms, events and statistics.
    pub fn finish(self) -> SimResult {
        let traces = self
            .probe_names
            .into_iter()
            .zip(self.values)
            .map(|(name, values)| Trace { name, values })
            .collect();
        let stats = self.integ.eng.stats();
        SimResult { time: self.time, traces, events: self.events, stats }
    }
}
