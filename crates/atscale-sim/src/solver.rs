//! Newton iterations, the operating point and the variable-step,
//! variable-order BDF integrator with root-found events.

use crate::error::{Error, Result, StepFailure};
use crate::events::{Detector, Event};
use crate::linalg::{make_solver, LinearSolver, SolverKind};
use crate::mna::{EvalCtx, EvalOut, Mna, UnknownKind, NONE};
use crate::{Stats, Tolerances};

/// Largest BDF order.
pub(crate) const MAX_ORDER: usize = 5;
/// History points kept (order + 2 for the order-raise estimate, plus the new point).
const HIST: usize = MAX_ORDER + 3;
/// Newton tolerance as a fraction of the local error tolerance.
const NEWTON_TOL: f64 = 0.05;
/// Maximum Newton iterations in a time step.
const TRAN_MAX_ITER: usize = 7;
/// The first conductance from every node to ground of a transient step's
/// gmin stepping, S (ngspice's dynamic gmin stepping starts at 1e-2 S too
/// when its `gmin` is the default 1e-12 S times 1e10).
const GMIN_START: f64 = 1e-2;
/// Below this conductance, S, gmin stepping takes its last stage with none.
const GMIN_END: f64 = 1e-12;
/// Maximum Newton iterations of one operating-point attempt (SPICE `itl1`).
const OP_MAX_ITER: usize = 100;

/// Why the integrator returned.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// An internal step was accepted; the solution is now at `t` (s).
    Step {
        /// Time reached, s.
        t: f64,
    },
    /// A threshold crossing was located inside the last step.
    Event(Event),
    /// The stop time is reached.
    Stop,
}

/// The engine shared by the operating point and the transient.
pub(crate) struct Engine {
    pub mna: Mna,
    pub lin: Box<dyn LinearSolver>,
    pub out: EvalOut,
    pub tol: Tolerances,
    pub stats: Stats,
    /// Absolute tolerance of every unknown.
    pub atol: Vec<f64>,
    delta: Vec<f64>,
    row_slots: Option<Vec<Vec<usize>>>,
    /// The memory limit of the linear solver, bytes.
    pub max_bytes: u64,
    /// Rows whose charge may pass the error test instead of the unknown:
    /// every row but a memristive state's and a driven algebraic one's (an
    /// untested row holds no charge, so it always passes).
    pub charge_test: Vec<bool>,
    /// Unknowns with no error test of their own: the algebraic ones (no
    /// charge, flux or state in their row) and the nodes a behavioural
    /// source pins (see `Roles::pinned`), except the nodes an element
    /// that depends on time drives (see `Roles::driven`). As SPICE tests the
    /// truncation error of charges and fluxes only, an algebraic unknown (a
    /// source's current, a node joined by resistors and junctions) follows
    /// the reactive ones and the inputs, and cannot stall the step.
    pub untested: Vec<bool>,
    /// The tested algebraic unknowns (driven by an element that depends on
    /// time), whose error may come from a jump rather than from truncation.
    pub driven_algebraic: Vec<bool>,
    /// The unknowns an element that depends on time drives (see `Roles::driven`).
    pub driven: Vec<bool>,
    /// The rows the truncation-error test leaves out: `[0]` the untested
    /// ones, `[1]` those and the driven algebraic ones (one mask per
    /// variant of `Integrator::lte_norm`, so its loop reads one flag).
    pub lte_skip: [Vec<bool>; 2],
}

impl Engine {
    pub fn new(
        mna: Mna,
        tol: Tolerances,
        dense_limit: usize,
        kind: SolverKind,
        max_bytes: u64,
    ) -> Result<Engine> {
        let blocks = match kind {
            SolverKind::BlockKrylov => mna.blocks(),
            SolverKind::Auto if mna.n >= dense_limit => mna.blocks(),
            _ => None,
        };
        let lin =
            make_solver(&mna.pattern, dense_limit, blocks.as_deref(), kind, max_bytes).map_err(|bytes| {
                Error::TooLarge {
                    what: "the factors of the circuit's matrix (estimated from its structure)",
                    bytes,
                    limit: max_bytes,
                    flag: "--max-memory",
                }
            })?;
        let out = mna.new_out();
        let atol = mna
            .kinds
            .iter()
            .map(|k| match k {
                UnknownKind::Voltage => tol.vntol,
                UnknownKind::Current => tol.abstol,
                UnknownKind::State => tol.statetol,
            })
            .collect();
        let n = mna.n;
        let driven = |i: usize| mna.roles.driven.get(i) == Some(&true);
        // A node a behavioural source pins is tested as an algebraic one: its
        // charge holds no state (see `Roles::pinned`).
        let algebraic = |i: usize| !mna.differential[i] || mna.roles.pinned.get(i) == Some(&true);
        let untested: Vec<bool> = (0..n).map(|i| algebraic(i) && !driven(i)).collect();
        // (A driven algebraic row holds no charge: its unknown is tested.)
        let charge_test =
            (0..n).map(|i| mna.kinds[i] != UnknownKind::State && (!algebraic(i) || !driven(i))).collect();
        let driven_algebraic: Vec<bool> = (0..n).map(|i| algebraic(i) && driven(i)).collect();
        let skip_driven = untested.iter().zip(&driven_algebraic).map(|(u, d)| u | d).collect();
        let lte_skip = [untested.clone(), skip_driven];
        let driven = (0..n).map(driven).collect();
        Ok(Engine {
            lte_skip,
            driven,
            driven_algebraic,
            max_bytes,
            mna,
            lin,
            out,
            tol,
            stats: Stats::default(),
            atol,
            delta: vec![0.0; n],
            row_slots: None,
            charge_test,
            untested,
        })
    }

    /// The statistics, with the linear solver's iterations.
    pub fn stats(&self) -> Stats {
        Stats { linear_iterations: self.lin.iterations(), ..self.stats }
    }

    fn factor(&mut self, t: f64) -> Result<()> {
        self.stats.factorizations += 1;
        let r = self.lin.factor(&self.mna.pattern, &self.out.jac);
        self.refused()?;
        r.map_err(|col| Error::Singular {
            time_s: t,
            unknown: self.mna.names.get(col).cloned().unwrap_or_else(|| format!("unknown {col}")),
        })
    }

    /// An error when the linear solver refused a factorization beyond the memory limit.
    pub fn refused(&self) -> Result<()> {
        match self.lin.refused_bytes() {
            Some(bytes) => Err(Error::TooLarge {
                what: "the direct factorization the iterative solver fell back to",
                bytes,
                limit: self.max_bytes,
                flag: "--max-memory",
            }),
            None => Ok(()),
        }
    }

    /// The index of the largest |r_i| and that value.
    fn worst_index(&self, r: &[f64]) -> (usize, f64) {
        let mut best = (0, 0.0f64);
        for (i, v) in r.iter().enumerate() {
            if !(v.abs() <= best.1) {
                best = (i, v.abs());
            }
        }
        best
    }

    /// The error of a step that fell below the minimum at `t` (step `h`)
    /// on unknown `worst`.
    fn underflow(
        &self,
        (t, h): (f64, f64),
        iterations: usize,
        residual: f64,
        worst: usize,
        cause: StepFailure,
    ) -> Error {
        Error::StepUnderflow {
            time_s: t,
            step_s: h,
            iterations,
            residual,
            worst_kind: self.mna.kinds.get(worst).copied(),
            worst: self.mna.names.get(worst).cloned().unwrap_or_default(),
            elements: self.mna.elements_at(worst),
            cause,
        }
    }

    /// Replaces the equations of `held` unknowns by `y_i = value`.
    fn apply_holds(&mut self, held: &[(usize, f64)], y: &[f64], jac: bool) {
        if held.is_empty() {
            return;
        }
        if self.row_slots.is_none() {
            self.row_slots = Some(self.mna.row_slots());
        }
        let Some(rows) = &self.row_slots else { return };
        for &(i, v) in held {
            self.out.f[i] = y[i] - v;
            self.out.q[i] = 0.0;
            if jac {
                for &s in &rows[i] {
                    self.out.jac[s] = 0.0;
                }
                self.out.jac[self.mna.diag[i]] = 1.0;
            }
        }
    }

    /// `held` and the unknowns it leaves undetermined, held at their values in `y`.
    fn with_undetermined(&self, held: &[(usize, f64)], y: &[f64]) -> Vec<(usize, f64)> {
        let mut out = held.to_vec();
        if held.is_empty() {
            return out;
        }
        let mut mask = vec![false; self.mna.n];
        held.iter().for_each(|&(i, _)| mask[i] = true);
        for i in self.mna.undetermined(&mask) {
            tracing::debug!(unknown = %self.mna.names[i], value = y[i], "held: no equation of the solve determines it");
            out.push((i, y[i]));
        }
        out
    }

    /// Newton for `f(y) + gshunt y = 0` (DC) with holds; returns iterations.
    fn dc_newton(
        &mut self,
        y: &mut [f64],
        t: f64,
        src_scale: f64,
        gshunt: f64,
        held: &[(usize, f64)],
        max_iter: usize,
    ) -> Result<std::result::Result<usize, (usize, f64, usize)>> {
        self.mna.reset_limiters(y);
        let mut last = (0, f64::INFINITY);
        for iter in 0..max_iter {
            let ctx = EvalCtx { t, src_scale, cj: 0.0, jac: true, limit: true };
            self.mna.eval(y, ctx, &mut self.out);
            self.stats.function_evals += 1;
            self.stats.jacobian_evals += 1;
            self.stats.newton_iterations += 1;
            if gshunt > 0.0 {
                self.mna.add_shunt(gshunt, y, &mut self.out, true);
            }
            self.apply_holds(held, y, true);
            if self.out.f.iter().any(|v| !v.is_finite()) {
                let (w, _) = self.worst_index(&self.out.f);
                return Ok(Err((iter + 1, f64::NAN, w)));
            }
            last = self.worst_index(&self.out.f);
            self.factor(t)?;
            for (d, f) in self.delta.iter_mut().zip(&self.out.f) {
                *d = -f;
            }
            self.lin.solve(&mut self.delta);
            self.refused()?;
            let mut conv = !self.out.limited;
            for i in 0..y.len() {
                let d = self.delta[i];
                if !d.is_finite() {
                    return Ok(Err((iter + 1, f64::NAN, i)));
                }
                let ynew = y[i] + d;
                if d.abs() > self.tol.reltol * ynew.abs().max(y[i].abs()) + self.atol[i] {
                    conv = false;
                }
                y[i] = ynew;
            }
            // Converged with the switches' flags: release them to their rules (and go on if one changed).
            if conv && iter > 0 && !self.mna.switches_dc_release(y) {
                return Ok(Ok(iter + 1));
            }
        }
        Ok(Err((max_iter, last.1, last.0)))
    }

    /// The DC operating point at time `t` from the guess `y`: Newton, then
    /// gmin stepping, then source stepping. Unknowns the holds leave
    /// undetermined ([`Mna::undetermined`]: under `uic`, a node joined only
    /// by inductors) keep their value in `y`, as ngspice's `uic` start
    /// (which solves nothing at t = 0) leaves every node at its initial value.
    pub fn operating_point(&mut self, y: &mut [f64], t: f64, held: &[(usize, f64)]) -> Result<()> {
        let held = self.with_undetermined(held, y);
        let held = held.as_slice();
        let y0 = y.to_vec();
        self.mna.switches_dc_start();
        let mut total = 0;
        let mut last;
        match self.dc_newton(y, t, 1.0, 0.0, held, OP_MAX_ITER)? {
            Ok(_) => return Ok(()),
            Err(e) => {
                total += e.0;
                tracing::debug!(residual = e.1, worst = %self.mna.names[e.2], "direct Newton failed");
            }
        }
        // gmin stepping: a shunt from every node, reduced a decade at a time.
        tracing::debug!("operating point: direct Newton failed, trying gmin stepping");
        y.copy_from_slice(&y0);
        self.mna.switches_dc_start();
        let mut ok = true;
        let mut g = 1e-2;
        while g > 1e-13 {
            match self.dc_newton(y, t, 1.0, g, held, OP_MAX_ITER)? {
                Ok(n) => total += n,
                Err(e) => {
                    total += e.0;
                    tracing::debug!(gmin = g, residual = e.1, worst = %self.mna.names[e.2], "gmin step failed");
                    ok = false;
                    break;
                }
            }
            g /= 10.0;
        }
        if ok {
            match self.dc_newton(y, t, 1.0, 0.0, held, OP_MAX_ITER)? {
                Ok(_) => {
                    self.stats.gmin_steps += 1;
                    return Ok(());
                }
                Err(e) => {
                    total += e.0;
                    tracing::debug!(residual = e.1, worst = %self.mna.names[e.2], "Newton after gmin stepping failed");
                }
            }
        }
        // Source stepping: ramp every independent source from 0.
        tracing::debug!("operating point: gmin stepping failed, trying source stepping");
        y.iter_mut().for_each(|v| *v = 0.0);
        self.mna.switches_dc_start();
        let mut scale = 0.0f64;
        let mut step = 0.1f64;
        let mut good = y.to_vec();
        while scale < 1.0 {
            let next = (scale + step).min(1.0);
            match self.dc_newton(y, t, next, 0.0, held, OP_MAX_ITER)? {
                Ok(n) => {
                    total += n;
                    scale = next;
                    good.copy_from_slice(y);
                    step = (step * 1.5).min(0.5);
                }
                Err(e) => {
                    total += e.0;
                    last = e;
                    y.copy_from_slice(&good);
                    step /= 4.0;
                    if step < 1e-6 {
                        return Err(Error::OperatingPoint {
                            iterations: total,
                            residual: last.1,
                            worst_kind: self.mna.kinds.get(last.2).copied(),
                            worst: self.mna.names[last.2].clone(),
                        });
                    }
                }
            }
        }
        self.stats.source_steps += 1;
        Ok(())
    }
}

/// One recorded point of history.
struct Hist {
    t: Vec<f64>,
    y: Vec<Vec<f64>>,
    q: Vec<Vec<f64>>,
    /// Number of valid points (position 0 is the most recent).
    len: usize,
}

impl Hist {
    fn new(n: usize) -> Hist {
        Hist { t: vec![0.0; HIST], y: vec![vec![0.0; n]; HIST], q: vec![vec![0.0; n]; HIST], len: 0 }
    }
    /// Pushes a new most recent point (reusing the oldest buffer).
    fn push(&mut self, t: f64, y: &[f64], q: &[f64]) {
        self.t.rotate_right(1);
        self.y.rotate_right(1);
        self.q.rotate_right(1);
        self.t[0] = t;
        self.y[0].copy_from_slice(y);
        self.q[0].copy_from_slice(q);
        self.len = (self.len + 1).min(HIST);
    }
}

/// Lagrange basis weights at `t` over `nodes` (one division per weight).
fn lagrange(nodes: &[f64], t: f64, w: &mut [f64]) {
    for (j, &tj) in nodes.iter().enumerate() {
        let mut num = 1.0;
        let mut den = 1.0;
        for &tm in &nodes[..j] {
            num *= t - tm;
            den *= tj - tm;
        }
        for &tm in &nodes[j + 1..] {
            num *= t - tm;
            den *= tj - tm;
        }
        w[j] = num / den;
    }
}

/// `x^(1/m)` for the step-ratio formulas: `sqrt` and `cbrt` for the
/// common roots (cheaper than `powf`).
fn root(x: f64, m: usize) -> f64 {
    match m {
        1 => x,
        2 => x.sqrt(),
        3 => x.cbrt(),
        4 => x.sqrt().sqrt(),
        _ => x.powf(1.0 / m as f64),
    }
}

/// The variable-step, variable-order BDF integrator.
pub(crate) struct Integrator {
    pub eng: Engine,
    hist: Hist,
    pub tstop: f64,
    pub max_step: f64,
    h: f64,
    order: usize,
    /// Order of the last accepted step (its interpolant has `k + 1` nodes).
    last_k: usize,
    steps_at_order: usize,
    y: Vec<f64>,
    ypred: Vec<f64>,
    qsum: Vec<f64>,
    tmp: Vec<f64>,
    coef: [f64; MAX_ORDER + 2],
    /// Lagrange weights of the current step's predictor.
    pred_w: [f64; MAX_ORDER + 3],
    factor_valid: bool,
    jac_cj: f64,
    jac_age: usize,
    consecutive_fail: usize,
    /// The last failed attempt (Newton iterations, residual or error, the
    /// worst unknown, which test; kept after the tiny step it led to was
    /// accepted): what a step that falls below the minimum before it is
    /// tried reports.
    last_fail: Option<(usize, f64, usize, StepFailure)>,
    pub detectors: Vec<Detector>,
    pending: std::collections::VecDeque<Event>,
    done: bool,
    next_bp: Option<f64>,
    hmin: f64,
    /// The next step starts from a single point (start or breakpoint): it
    /// has no error estimate, so it is taken tiny.
    restart: bool,
    /// The first point's charges are not its own (`uic`): the history
    /// restarts after the first step.
    kicked: bool,
    /// A switch changed at the last accepted point: the algebraic unknowns
    /// jump during the next (restart) step, and the one after it restarts too.
    jump: bool,
    /// The current restart is that second one.
    extra: bool,
    /// No step has been accepted yet.
    first: bool,
    /// Under `uic`, the state whose junction voltages the limiters start
    /// from in every attempt of the first step (ngspice's first iteration
    /// reads each junction's voltage at t = 0 from its `uic` state, not
    /// from the nodes the initial conditions set).
    limiter_start: Option<Vec<f64>>,
    /// The last failed error test on a driven algebraic unknown: its step's
    /// start and size and the error (see [`Integrator::input_jump`]).
    jump_probe: Option<(f64, f64, f64)>,
    /// Scratch evaluation for the error estimate of a restart step (the
    /// circuit's equations at the corner; see [`Integrator::restart_error`]).
    corner: Option<EvalOut>,
    /// The conductance from every node to ground of the current gmin-stepped
    /// Newton, S (0 outside [`Integrator::newton_gmin`] and in its last stage).
    gshunt: f64,
    /// Inside [`Integrator::newton_gmin`]: every stage is a full Newton.
    gmin_active: bool,
    /// The current restart is at a source breakpoint: its first step may
    /// hold a jump of the source (then one more restart follows, as after a
    /// switch).
    at_breakpoint: bool,
}

impl Integrator {
    pub fn new(eng: Engine, y0: &[f64], t0: f64, tstop: f64, max_step: f64, h0: Option<f64>) -> Integrator {
        let n = eng.mna.n;
        let mut q0 = vec![0.0; n];
        let mut eng = eng;
        eng.mna.start(y0);
        eng.mna.start_switches(y0);
        eng.mna.charges(y0, &mut q0);
        let mut hist = Hist::new(n);
        hist.push(t0, y0, &q0);
        let span = tstop - t0;
        let next_bp = eng.mna.next_breakpoint(t0).filter(|b| *b < tstop);
        let mut h = h0.unwrap_or(1e-7 * span).min(max_step);
        if let Some(b) = next_bp {
            h = h.min(0.1 * (b - t0));
        }
        Integrator {
            eng,
            hist,
            tstop,
            max_step,
            h,
            order: 1,
            last_k: 1,
            steps_at_order: 0,
            y: y0.to_vec(),
            ypred: vec![0.0; n],
            qsum: vec![0.0; n],
            tmp: vec![0.0; n],
            coef: [0.0; MAX_ORDER + 2],
            pred_w: [0.0; MAX_ORDER + 3],
            factor_valid: false,
            jac_cj: 0.0,
            jac_age: 0,
            consecutive_fail: 0,
            last_fail: None,
            detectors: Vec::new(),
            pending: std::collections::VecDeque::new(),
            done: false,
            next_bp,
            hmin: 1e-15 * span.abs().max(1e-300),
            restart: true,
            kicked: false,
            jump: false,
            extra: false,
            first: true,
            limiter_start: None,
            jump_probe: None,
            corner: None,
            gshunt: 0.0,
            gmin_active: false,
            at_breakpoint: false,
        }
    }

    /// Starts from ngspice's `uic` charges with `node_ics` (unknown, value)
    /// ([`Mna::uic_charges`]) instead of the first point's: the first step
    /// moves the difference, the history restarts after it. The junction
    /// limiters start the first step from the same `uic` state.
    pub fn uic_charges(&mut self, node_ics: &[(usize, f64)]) {
        let mut q = vec![0.0; self.hist.q[0].len()];
        self.eng.mna.uic_charges(node_ics, &mut q);
        // A `ddt` argument's internal node starts at the argument's value
        // (ngspice's `ddt` has no charge: it starts at 0, not at a jump).
        for (i, name) in self.eng.mna.names.iter().enumerate() {
            if name.contains(crate::mna::DDT_NODE) && i < q.len() {
                q[i] = self.hist.q[0][i];
            }
        }
        self.limiter_start = Some(self.eng.mna.uic_start(node_ics));
        // A consistent start (every charge its own to rounding) keeps its history.
        let moved = q.iter().zip(&self.hist.q[0]).any(|(a, b)| (a - b).abs() > 1e-12 * a.abs().max(b.abs()));
        if moved {
            self.hist.q[0] = q;
            self.kicked = true;
        }
    }

    /// Current time, s.
    pub fn time(&self) -> f64 {
        self.hist.t[0]
    }

    /// Current solution.
    pub fn solution(&self) -> &[f64] {
        &self.hist.y[0]
    }

    /// Initialises the event detectors' arming at the initial point.
    pub fn arm_detectors(&mut self) {
        for d in &mut self.detectors {
            d.init(self.hist.y[0][d.unknown]);
        }
    }

    /// The value of unknown `i` at time `t` inside the last step.
    pub fn interp(&self, i: usize, t: f64) -> f64 {
        let k = self.last_k.min(self.hist.len - 1);
        let nodes = &self.hist.t[..=k];
        let mut v = 0.0;
        for j in 0..=k {
            let mut p = 1.0;
            for m in 0..=k {
                if m != j {
                    p *= (t - nodes[m]) / (nodes[j] - nodes[m]);
                }
            }
            v += p * self.hist.y[j][i];
        }
        v
    }

    /// Error-weighted max norm of `v` relative to `y` (NaN if any term is).
    fn wnorm(&self, v: &[f64], y: &[f64], yprev: &[f64]) -> f64 {
        let rt = self.eng.tol.reltol;
        let n = v.len();
        let (y, yprev, atol) = (&y[..n], &yprev[..n], &self.eng.atol[..n]);
        let untested = &self.eng.untested[..n];
        let mut m = 0.0f64;
        let mut nan = false;
        for i in 0..n {
            if untested[i] {
                continue;
            }
            let w = v[i].abs() / (rt * y[i].abs().max(yprev[i].abs()) + atol[i]);
            nan |= w.is_nan();
            m = m.max(w);
        }
        if nan {
            f64::NAN
        } else {
            m
        }
    }

    /// Predicts at `t` through history points `first..=first + deg` into `out`.
    fn predict(&self, t: f64, first: usize, deg: usize, out: &mut [f64], use_q: bool) {
        let mut w = [0.0; MAX_ORDER + 3];
        lagrange(&self.hist.t[first..=first + deg], t, &mut w);
        self.predict_with(&w, first, deg, out, use_q);
    }

    /// [`Integrator::predict`] with the Lagrange weights given.
    fn predict_with(&self, w: &[f64; MAX_ORDER + 3], first: usize, deg: usize, out: &mut [f64], use_q: bool) {
        let src = if use_q { &self.hist.q } else { &self.hist.y };
        let s = &src[first..=first + deg];
        // One pass, summing in the order 0..=deg (as a pass per point would).
        match deg {
            0 => out.copy_from_slice(&s[0]),
            1 => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = 0.0 + w[0] * s[0][i] + w[1] * s[1][i];
                }
            }
            2 => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = 0.0 + w[0] * s[0][i] + w[1] * s[1][i] + w[2] * s[2][i];
                }
            }
            3 => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = 0.0 + w[0] * s[0][i] + w[1] * s[1][i] + w[2] * s[2][i] + w[3] * s[3][i];
                }
            }
            4 => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = 0.0
                        + w[0] * s[0][i]
                        + w[1] * s[1][i]
                        + w[2] * s[2][i]
                        + w[3] * s[3][i]
                        + w[4] * s[4][i];
                }
            }
            5 => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = 0.0
                        + w[0] * s[0][i]
                        + w[1] * s[1][i]
                        + w[2] * s[2][i]
                        + w[3] * s[3][i]
                        + w[4] * s[4][i]
                        + w[5] * s[5][i];
                }
            }
            _ => {
                out.iter_mut().for_each(|v| *v = 0.0);
                for (j, wj) in w.iter().enumerate().take(deg + 1) {
                    for (o, x) in out.iter_mut().zip(&s[j]) {
                        *o += wj * x;
                    }
                }
            }
        }
    }

    /// Advances: returns a pending event, or takes one step.
    pub fn step(&mut self) -> Result<StepOutcome> {
        if let Some(e) = self.pending.pop_front() {
            return Ok(StepOutcome::Event(e));
        }
        if self.done {
            return Ok(StepOutcome::Stop);
        }
        let t = self.hist.t[0];
        if t >= self.tstop {
            self.done = true;
            return Ok(StepOutcome::Stop);
        }
        self.take_step()?;
        Ok(StepOutcome::Step { t: self.hist.t[0] })
    }

    /// The BDF coefficients of order `k` for a step to `t_new` (the
    /// derivative at `t_new` of the Lagrange basis over `[t_new, t_0, ...,
    /// t_{k-1}]`) into `coef`, and the history part of dq/dt into `qsum`.
    /// Returns the coefficient of the new point (`cj`).
    fn bdf_coefficients(&mut self, t_new: f64, k: usize) -> f64 {
        let mut nodes = [0.0; MAX_ORDER + 2];
        nodes[0] = t_new;
        nodes[1..=k].copy_from_slice(&self.hist.t[..k]);
        for j in 0..=k {
            let mut c = 0.0;
            if j == 0 {
                for m in 1..=k {
                    c += 1.0 / (t_new - nodes[m]);
                }
            } else {
                let mut num = 1.0;
                let mut den = nodes[j] - nodes[0];
                for m in 1..=k {
                    if m != j {
                        num *= t_new - nodes[m];
                        den *= nodes[j] - nodes[m];
                    }
                }
                c = num / den;
            }
            self.coef[j] = c;
        }
        self.qsum.iter_mut().for_each(|v| *v = 0.0);
        for j in 1..=k {
            let c = self.coef[j];
            for (s, q) in self.qsum.iter_mut().zip(&self.hist.q[j - 1]) {
                *s += c * q;
            }
        }
        self.coef[0]
    }

    fn take_step(&mut self) -> Result<()> {
        if self.restart {
            self.hist.len = 1;
        }
        loop {
            let t = self.hist.t[0];
            let mut h = self.h.min(self.max_step);
            let t_end = self.next_bp.map_or(self.tstop, |b| b.min(self.tstop));
            let mut hit = false;
            if t + h >= t_end - 1e-12 * h || t + 1.01 * h >= t_end {
                h = t_end - t;
                hit = true;
            }
            if h < self.hmin {
                let (iters, r, w, cause) = self.last_fail.unwrap_or_else(|| {
                    let (w, r) = self.eng.worst_index(&self.eng.out.f);
                    (0, r, w, StepFailure::Newton)
                });
                return Err(self.eng.underflow((t, h), iters, r, w, cause));
            }
            let t_new = if hit { t_end } else { t + h };
            let k = self.order.min(self.hist.len);
            let cj = self.bdf_coefficients(t_new, k);
            // Predictor of degree kp through the last kp + 1 points.
            let kp = k.min(self.hist.len - 1);
            let mut yp = std::mem::take(&mut self.ypred);
            lagrange(&self.hist.t[..=kp], t_new, &mut self.pred_w);
            self.predict_with(&self.pred_w, 0, kp, &mut yp, false);
            self.ypred = yp;
            self.y.copy_from_slice(&self.ypred);
            let mut newton = self.newton(t_new, cj)?;
            if newton.is_err() && h * 0.25 < self.hmin {
                newton = self.newton_gmin(t_new, cj)?.map_or(newton, Ok);
            }
            if let Err((iters, resid, worst)) = newton {
                tracing::trace!(t, h, k, iters, resid, worst = %self.eng.mna.names[worst], "Newton failed");
                self.eng.stats.newton_failures += 1;
                self.consecutive_fail += 1;
                self.last_fail = Some((iters, resid, worst, StepFailure::Newton));
                self.h = h * 0.25;
                self.order = 1;
                if self.h < self.hmin {
                    return Err(self.eng.underflow((t, self.h), iters, resid, worst, StepFailure::Newton));
                }
                continue;
            }
            // Local truncation error estimate.
            let fac = h / (t_new - self.hist.t[kp]);
            // An input may jump at its breakpoint (a telegraph noise switch, a
            // PULSE or repeated PWL that starts again at the stop time): the
            // step that ends on one is judged without the unknowns inputs drive.
            let (mut err, worst_i) = if self.restart {
                self.restart_error(h)
            } else if hit && self.ends_on_breakpoint(t, t_new) {
                self.lte_norm::<true>(fac, kp)
            } else {
                self.lte_norm::<false>(fac, kp)
            };
            if !(err <= 1.0) {
                if let Some(rest) = self.input_jump((t, h), err, worst_i, fac, kp) {
                    tracing::trace!(
                        t,
                        h,
                        k,
                        err,
                        rest,
                        "an input jumped inside the step: judged on the rest"
                    );
                    err = rest;
                }
            }
            if !(err <= 1.0) {
                tracing::trace!(t, h, k, err, worst = %self.eng.mna.names[worst_i], "error test failed");
                self.eng.stats.rejected += 1;
                self.consecutive_fail += 1;
                self.last_fail = Some((0, err, worst_i, StepFailure::ErrorTest));
                let r = if err.is_finite() { root(0.5 / err, k + 1).clamp(0.1, 0.9) } else { 0.1 };
                self.h = h * r;
                if self.consecutive_fail >= 3 {
                    self.order = 1;
                }
                if self.h < self.hmin {
                    return Err(self.eng.underflow((t, self.h), 0, err, worst_i, StepFailure::ErrorTest));
                }
                continue;
            }
            tracing::trace!(t, h, k, err, "step accepted");
            // Accept; a switch changing its conductance inside the step ends
            // the step where its control crosses the threshold.
            let mut t_new = t_new;
            if let Some(tc) = self.switch_crossing(t, t_new, k) {
                self.truncate(tc, t_new, k);
                t_new = tc;
                hit = false;
            }
            self.consecutive_fail = 0;
            // A restart step that held a jump of the algebraic unknowns (from a
            // switch, or from `.ic` values released at the start) is followed by one more.
            // The first step after a switch changed holds the jump of the algebraic unknowns.
            let jump = self.jump;
            let from_start = self.first || std::mem::take(&mut self.at_breakpoint);
            let again = self.restart
                && !self.extra
                && (std::mem::take(&mut self.jump) || (from_start && self.jumped()));
            self.first = false;
            self.extra = false;
            self.restart = std::mem::take(&mut self.kicked);
            self.eng.stats.accepted += 1;
            self.limiter_start = None;
            let t_prev = t;
            self.hist.push(t_new, &self.y, &self.eng.out.q);
            self.eng.mna.accept(&self.y);
            let switched = self.eng.mna.commit_switches(&self.y);
            self.last_k = k;
            self.steps_at_order += 1;
            self.find_events(t_prev, t_new, jump);
            self.next_order_and_step(err, k, h);
            if hit {
                self.reached_target(t_new, h);
            }
            if !self.done {
                self.restart_after_jump(again, switched, h);
            }
            return Ok(());
        }
    }

    /// After an accepted step of size `h`: one more restart step when it
    /// held a jump of the algebraic unknowns (`again`; events saw it, it
    /// stays out of every predictor), and a corner when a switch changed
    /// (its new conductance makes one as a source's does, and the algebraic
    /// unknowns jump in the next step).
    fn restart_after_jump(&mut self, again: bool, switched: bool, h: f64) {
        if again {
            self.restart = true;
            self.extra = true;
        }
        if switched {
            self.factor_valid = false;
            self.jump = true;
            self.extra = false;
            self.restart_from_corner(h);
        }
    }

    /// The order and step after an accepted step of order `k` and size `h`
    /// with error ratio `err`.
    fn next_order_and_step(&mut self, err: f64, k: usize, h: f64) {
        let (new_order, ratio) = self.select_order(err, k, h);
        if new_order != self.order {
            self.order = new_order;
            self.steps_at_order = 0;
        }
        let mut hn = h;
        if ratio >= 1.5 {
            hn = h * ratio.min(2.0);
        } else if ratio < 1.0 {
            hn = h * ratio.clamp(0.5, 0.9);
        }
        self.h = hn.min(self.max_step);
    }

    /// A step of size `h` that ended on its target `t_new`: the stop time
    /// (done) or a source corner (restart at order 1 with a step fitted to
    /// the next gap).
    fn reached_target(&mut self, t_new: f64, h: f64) {
        if t_new >= self.tstop {
            self.done = true;
        } else if self.next_bp.is_some_and(|b| t_new >= b) {
            self.next_bp = self.eng.mna.next_breakpoint(t_new).filter(|b| *b < self.tstop);
            self.restart_from_corner(h);
            self.at_breakpoint = true;
        }
    }

    /// Whether the step from `t` to its target `t_new` ends on a source
    /// breakpoint: the next one, or one at the stop time (which is not kept
    /// as the next: a PULSE whose width and period default to the stop time
    /// ends there).
    fn ends_on_breakpoint(&self, t: f64, t_new: f64) -> bool {
        self.next_bp.is_some_and(|b| t_new >= b)
            || (t_new >= self.tstop && self.eng.mna.next_breakpoint(t).is_some_and(|b| b <= t_new))
    }

    /// Whether an algebraic unknown moved by more than its tolerance in
    /// the (tiny) step just solved from a single point: a jump (a switch's
    /// new conductance, `.ic` values released at the start, a source that
    /// jumps at its breakpoint: a repeated PWL's return to its start).
    fn jumped(&self) -> bool {
        let rt = self.eng.tol.reltol;
        let (y, y0) = (&self.y, &self.hist.y[0]);
        (0..y.len()).any(|i| {
            !self.eng.mna.differential[i]
                && (y[i] - y0[i]).abs() > rt * y[i].abs().max(y0[i].abs()) + self.eng.atol[i]
        })
    }

    /// The history before a corner of the solution (a source breakpoint, a
    /// switch changing) does not predict what follows: restarts from the
    /// corner alone at order 1 with a tiny first step, fitted to the gap
    /// to the next breakpoint.
    fn restart_from_corner(&mut self, h: f64) {
        self.order = 1;
        self.steps_at_order = 0;
        self.restart = true;
        let mut hr = h;
        if let Some(b) = self.next_bp {
            hr = hr.min(0.1 * (b - self.hist.t[0]));
        }
        self.h = (hr * 1e-3).max(self.hmin * 10.0);
    }

    /// The earliest time inside the step from `t` to `t_new` (order `k`)
    /// where a switch's control crosses a threshold that changes its
    /// conductance: found on the step's polynomial (as events are), just
    /// past the threshold (by 1/20 of the control's error tolerance
    /// `trtol (reltol |threshold| + atol)`). `None` when no switch changes,
    /// or the control at `t_new` is within that tolerance past the
    /// threshold (the switch changes at `t_new`).
    fn switch_crossing(&self, t: f64, t_new: f64, k: usize) -> Option<f64> {
        let mut nodes = [0.0; MAX_ORDER + 2];
        nodes[0] = t_new;
        nodes[1..=k].copy_from_slice(&self.hist.t[..k]);
        let mut first: Option<f64> = None;
        for (cp, cn, x) in self.eng.mna.switch_crossings(&self.y) {
            let at = |y: &[f64], i: usize| if i == NONE { 0.0 } else { y[i] };
            let control = |y: &[f64]| at(y, cp) - at(y, cn);
            let atol = self.eng.atol[if cp == NONE { cn } else { cp }];
            let window = self.eng.tol.trtol * (self.eng.tol.reltol * x.threshold.abs() + atol);
            if x.dir * (control(&self.y) - x.threshold) <= window {
                continue;
            }
            let mut values = [0.0; MAX_ORDER + 2];
            values[0] = control(&self.y);
            for j in 0..k {
                values[j + 1] = control(&self.hist.y[j]);
            }
            // Bisection: short of the target at t (the committed side), past it at t_new.
            let target = x.threshold + x.dir * window / 20.0;
            let mut w = [0.0; MAX_ORDER + 3];
            let mut past = |tt: f64| {
                lagrange(&nodes[..=k], tt, &mut w);
                let p: f64 = values[..=k].iter().zip(&w).map(|(v, wj)| v * wj).sum();
                x.dir * (p - target) > 0.0
            };
            let (mut lo, mut hi) = (t, t_new);
            loop {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    break;
                }
                if past(mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            // Not closer to t than the history can take.
            let tc = hi.max(t + (1e-6 * (t_new - t)).max(10.0 * self.hmin));
            if tc < t_new {
                first = Some(first.map_or(tc, |f: f64| f.min(tc)));
            }
        }
        first
    }

    /// Ends the step just solved (to `t_new`, order `k`) at `tc` instead:
    /// the solution there on the step's polynomial, and its charges.
    fn truncate(&mut self, tc: f64, t_new: f64, k: usize) {
        let mut nodes = [0.0; MAX_ORDER + 2];
        nodes[0] = t_new;
        nodes[1..=k].copy_from_slice(&self.hist.t[..k]);
        let mut w = [0.0; MAX_ORDER + 3];
        lagrange(&nodes[..=k], tc, &mut w);
        for (i, v) in self.y.iter_mut().enumerate() {
            let mut sum = w[0] * *v;
            for j in 0..k {
                sum += w[j + 1] * self.hist.y[j][i];
            }
            *v = sum;
        }
        let mut q = std::mem::take(&mut self.eng.out.q);
        self.eng.mna.charges(&self.y, &mut q);
        self.eng.out.q = q;
    }

    /// The local error of the step in units of the tolerance (max norm) and
    /// the unknown where it is largest. A differential row passes when its
    /// unknown meets `reltol |y| + atol` or its charge meets
    /// `reltol |q| + chgtol` (as SPICE takes the looser of its voltage and
    /// charge tolerances); an algebraic row holds no charge and always
    /// passes (SPICE tests charges and fluxes only). The first step of a
    /// run has no error test: its size is chosen tiny instead.
    /// With `SKIP_DRIVEN`, the driven algebraic unknowns are left out.
    fn lte_norm<const SKIP_DRIVEN: bool>(&mut self, fac: f64, kp: usize) -> (f64, usize) {
        if self.restart {
            return (0.0, 0);
        }
        let n = self.eng.mna.n;
        let scale = 1.0 / self.eng.tol.trtol;
        let mut qp = std::mem::take(&mut self.tmp);
        // The same weights as the predictor of y (same time and points).
        self.predict_with(&self.pred_w, 0, kp, &mut qp, true);
        let rt = self.eng.tol.reltol;
        let ct = self.eng.tol.chgtol;
        let (y, yp, y0) = (&self.y[..n], &self.ypred[..n], &self.hist.y[0][..n]);
        let (qn, q0, qpr) = (&self.eng.out.q[..n], &self.hist.q[0][..n], &qp[..n]);
        let (atol, qtest) = (&self.eng.atol[..n], &self.eng.charge_test[..n]);
        // Rows without an error test, and with `SKIP_DRIVEN` the driven algebraic ones too.
        let skip = &self.eng.lte_skip[usize::from(SKIP_DRIVEN)][..n];
        let elem = |i: usize| -> f64 {
            if skip[i] {
                return 0.0;
            }
            let ey = (fac * (y[i] - yp[i])).abs() / (rt * y[i].abs().max(y0[i].abs()) + atol[i]);
            let eq = (fac * (qn[i] - qpr[i])).abs() / (rt * qn[i].abs().max(q0[i].abs()).max(ct));
            (if qtest[i] { ey.min(eq) } else { ey }) * scale
        };
        // Branch-free max (vectorises); a NaN anywhere makes the norm NaN.
        let mut err = 0.0f64;
        let mut nan = false;
        for i in 0..n {
            // As `elem(i)`, written out so that it inlines.
            let ey = (fac * (y[i] - yp[i])).abs() / (rt * y[i].abs().max(y0[i].abs()) + atol[i]);
            let eq = (fac * (qn[i] - qpr[i])).abs() / (rt * qn[i].abs().max(q0[i].abs()).max(ct));
            let mut e = (if qtest[i] { ey.min(eq) } else { ey }) * scale;
            if skip[i] {
                e = 0.0;
            }
            nan |= e.is_nan();
            err = err.max(e);
        }
        let mut worst = 0;
        if nan {
            err = f64::NAN;
            worst = (0..n).find(|&i| elem(i).is_nan()).unwrap_or(0);
        } else if err > 1.0 {
            worst = (0..n).find(|&i| elem(i) == err).unwrap_or(0);
        }
        self.tmp = qp;
        (err, worst)
    }

    /// The local error of a restart step (from a single point: the start,
    /// a source corner, a switch's change) in units of the tolerance, and
    /// the unknown where it is largest. Backward Euler's error over the
    /// step from `t0` to `t1 = t0 + h` is `h/2 |q'(t1) - q'(t0+)|` in each
    /// charge (flux, state) row, that is half the difference of the step's
    /// increment `q1 - q0 = h q'(t1)` and the explicit one `h q'(t0+)`,
    /// where `q'(t0+) = -f(y(t0+), t0)` is the derivative just after the
    /// corner: the reactive unknowns keep their values at `t0`, the
    /// algebraic ones (which jump at a switch) take the step's values.
    /// Tested as [`Integrator::lte_norm`] tests charges: each differential
    /// row passes when its charge or its unknown (the same relative error of
    /// their increments) is within tolerance. Without it a restart step,
    /// sized from the step before the corner, went unchecked: a switch
    /// closing on a 100 ns discharge after 100 µs steps took two 0.1 µs
    /// steps of backward Euler through it. No estimate for the first step
    /// of the run (sized tiny instead; under `uic` its charges are not its
    /// start's own, and a junction started forward has an initial layer
    /// of femtoseconds) nor for the nodes an input drives (a telegraph
    /// source jumps at its breakpoints; see [`Engine::untested`]).
    fn restart_error(&mut self, h: f64) -> (f64, usize) {
        if self.first {
            return (0.0, 0);
        }
        let n = self.eng.mna.n;
        let t0 = self.hist.t[0];
        let diff = std::mem::take(&mut self.eng.mna.differential);
        // The reactive unknowns at t0, the algebraic ones from the step (in the scratch buffer).
        let mut mix = std::mem::take(&mut self.tmp);
        for (i, m) in mix.iter_mut().enumerate().take(n) {
            *m = if diff[i] { self.hist.y[0][i] } else { self.y[i] };
        }
        let mut out = self.corner.take().unwrap_or_else(|| self.eng.mna.new_out());
        let ctx = EvalCtx { t: t0, src_scale: 1.0, cj: 0.0, jac: false, limit: false };
        self.eng.mna.eval(&mix, ctx, &mut out);
        self.tmp = mix;
        self.eng.stats.function_evals += 1;
        let (rt, ct, scale) = (self.eng.tol.reltol, self.eng.tol.chgtol, 1.0 / self.eng.tol.trtol);
        let (y, y0, qn, q0) = (&self.y, &self.hist.y[0], &self.eng.out.q, &self.hist.q[0]);
        let mut worst = (0.0f64, 0);
        let (driven, untested) = (&self.eng.driven, &self.eng.untested);
        for i in (0..n).filter(|&i| diff[i] && !driven[i] && !untested[i]) {
            let dq = qn[i] - q0[i];
            let r = 0.5 * (dq + h * out.f[i]).abs();
            let eq = r / (rt * qn[i].abs().max(q0[i].abs()).max(ct));
            let dy = (y[i] - y0[i]).abs();
            let ey = if r == 0.0 {
                0.0
            } else if dq == 0.0 {
                // The charge moved less than its rounding (a state at rest
                // over a step a millionth of its time constant): its
                // increment cannot scale the unknown's (r / 0 * 0 was NaN,
                // and the step shrank to nothing); its relative error stands in.
                eq
            } else {
                r / dq.abs() * dy / (rt * y[i].abs().max(y0[i].abs()) + self.eng.atol[i])
            };
            let e = if self.eng.charge_test[i] { ey.min(eq) } else { ey } * scale;
            if !(e <= worst.0) {
                worst = (e, i);
            }
        }
        self.corner = Some(out);
        self.eng.mna.differential = diff;
        worst
    }

    /// After a failed error test (`err`, worst on unknown `worst`) of the
    /// step from `t` of size `h`: when the worst is an algebraic unknown an
    /// input drives (a node of a behavioural source reading `time`) and its
    /// error did not shrink, not even in proportion, since the last attempt
    /// from `t` (a smooth input's shrinks as `h^(k+1)`), the input jumped
    /// inside the step: a jump is not a truncation error and no step can
    /// make it one, so the step is judged on the other unknowns (whose own
    /// error tests see the jump's effect). Returns their error then.
    fn input_jump(&mut self, (t, h): (f64, f64), err: f64, worst: usize, fac: f64, kp: usize) -> Option<f64> {
        if !self.eng.driven_algebraic[worst] {
            return None;
        }
        let (t0, h0, e0) = self.jump_probe.replace((t, h, err))?;
        if t0 != t || !(h < h0) || err < e0 * (h / h0) {
            return None;
        }
        Some(self.lte_norm::<true>(fac, kp).0)
    }

    /// Chooses the next order and the step ratio it allows.
    fn select_order(&mut self, err_k: f64, k: usize, h: f64) -> (usize, f64) {
        let ratio = |e: f64, q: usize| -> f64 {
            if e <= 0.0 {
                10.0
            } else {
                root(0.5 / e, q + 1)
            }
        };
        let mut best = (k, ratio(err_k, k));
        let t_new = self.hist.t[0];
        let mut buf = std::mem::take(&mut self.tmp);
        // Lower order: predictor through points 1..=k (degree k - 1).
        if k > 1 && self.hist.len > k {
            self.predict(t_new, 1, k - 1, &mut buf, false);
            let fac = h / (t_new - self.hist.t[k]);
            for (b, y) in buf.iter_mut().zip(&self.hist.y[0]) {
                *b = fac * (y - *b);
            }
            let e = self.wnorm(&buf, &self.hist.y[0], &self.hist.y[1]);
            let r = ratio(e / self.eng.tol.trtol, k - 1);
            if r >= best.1 {
                best = (k - 1, r);
            }
        }
        // Higher order: predictor through points 1..=k+2 (degree k + 1).
        if k < MAX_ORDER && self.steps_at_order > k && self.hist.len > k + 2 && best.0 == k {
            self.predict(t_new, 1, k + 1, &mut buf, false);
            let fac = h / (t_new - self.hist.t[k + 2]);
            for (b, y) in buf.iter_mut().zip(&self.hist.y[0]) {
                *b = fac * (y - *b);
            }
            let e = self.wnorm(&buf, &self.hist.y[0], &self.hist.y[1]);
            let r = ratio(e / self.eng.tol.trtol, k + 1);
            if r > 1.2 * best.1 {
                best = (k + 1, r);
            }
        }
        self.tmp = buf;
        best
    }

    /// Modified Newton for the BDF equation `cj q(y) + qsum + f(y, t) = 0`.
    #[allow(clippy::type_complexity)]
    fn newton(&mut self, t_new: f64, cj: f64) -> Result<std::result::Result<usize, (usize, f64, usize)>> {
        let mut fresh_tried = false;
        let mut long = false;
        'outer: loop {
            let mut prev_norm = f64::INFINITY;
            let mut fresh = false;
            let need = !self.factor_valid || (cj / self.jac_cj - 1.0).abs() > 0.3 || self.jac_age > 50;
            let mut want_jac = need;
            // The first step after a switch changed may turn junctions on or
            // off from far away: a full Newton with the operating point's
            // iterations; so is the retry of an iteration a limiter held back.
            let full = self.jump || long || self.gmin_active;
            let max_iter = if full { OP_MAX_ITER } else { TRAN_MAX_ITER };
            for iter in 0..max_iter {
                want_jac |= full;
                let ctx = EvalCtx { t: t_new, src_scale: 1.0, cj, jac: want_jac, limit: true };
                if iter == 0 {
                    self.eng.mna.reset_limiters(self.limiter_start.as_deref().unwrap_or(&self.y));
                }
                self.eng.mna.eval(&self.y, ctx, &mut self.eng.out);
                self.eng.stats.function_evals += 1;
                self.eng.stats.newton_iterations += 1;
                // Residual r = cj q + qsum + f.
                let out = &mut self.eng.out;
                for ((f, q), s) in out.f.iter_mut().zip(&out.q).zip(&self.qsum) {
                    *f += cj * q + s;
                }
                if self.gshunt > 0.0 {
                    self.eng.mna.add_shunt(self.gshunt, &self.y, out, want_jac);
                }
                if want_jac {
                    self.eng.stats.jacobian_evals += 1;
                    self.eng.factor(t_new)?;
                    self.factor_valid = true;
                    self.jac_cj = cj;
                    self.jac_age = 0;
                    fresh = true;
                    want_jac = false;
                }
                let delta = &mut self.eng.delta;
                for (d, f) in delta.iter_mut().zip(&self.eng.out.f) {
                    *d = -f;
                }
                self.eng.lin.solve(delta);
                if let Some(bytes) = self.eng.lin.refused_bytes() {
                    return Err(Error::TooLarge {
                        what: "the direct factorization the iterative solver fell back to",
                        bytes,
                        limit: self.eng.max_bytes,
                        flag: "--max-memory",
                    });
                }
                // A stale factorization for another cj: scale the step as
                // CVODE does, which corrects the leading-order error.
                let scale = if !fresh && (self.jac_cj - cj).abs() > 0.0 {
                    Some(2.0 / (1.0 + cj / self.jac_cj))
                } else {
                    None
                };
                let rt = self.eng.tol.reltol;
                let n = self.y.len();
                let (y, delta, atol) = (&mut self.y[..n], &mut delta[..n], &self.eng.atol[..n]);
                let mut norm = 0.0f64;
                let mut nan = false;
                for i in 0..n {
                    if let Some(s) = scale {
                        delta[i] *= s;
                    }
                    y[i] += delta[i];
                    let w = delta[i].abs() / (rt * y[i].abs() + atol[i]);
                    nan |= w.is_nan();
                    norm = norm.max(w);
                }
                if nan {
                    norm = f64::NAN;
                }
                tracing::trace!(
                    iter,
                    norm,
                    limited = self.eng.out.limited,
                    stale = self.eng.out.stale,
                    fresh,
                    "Newton iteration"
                );
                if !norm.is_finite() {
                    break;
                }
                if self.eng.out.stale {
                    // A device left the Jacobian's linearisation: a full Newton step next.
                    prev_norm = norm;
                    want_jac = true;
                    continue;
                }
                let rate = if iter == 0 { 0.0 } else { norm / prev_norm };
                if iter > 0 && rate > 0.9 && !full {
                    break;
                }
                // (Past a switch's change the rate may exceed 1 for a while: no estimate then.)
                let conv_est = if iter == 0 {
                    norm
                } else if rate < 1.0 {
                    norm * rate / (1.0 - rate)
                } else {
                    f64::INFINITY
                };
                // The rate estimate needs the last update itself within the
                // tolerance: from a far start (a CMOS output switching over
                // one long step) a first update of 2.6e6 then one of 18.7
                // tolerances estimated 1.4e-4 and stopped 0.6 V from the
                // solution.
                let settled = conv_est <= NEWTON_TOL && norm <= 1.0;
                if !self.eng.out.limited && (settled || norm <= 1e-3 * NEWTON_TOL) {
                    return Ok(Ok(self.newton_converged(iter)));
                }
                prev_norm = norm;
            }
            if self.within_rounding(cj) {
                tracing::trace!(t_new, "Newton stalled at the rounding floor of the charges: accepted");
                return Ok(Ok(self.newton_converged(max_iter - 1)));
            }
            // Failed: retry once with a fresh Jacobian.
            if !fresh && !fresh_tried {
                fresh_tried = true;
                self.factor_valid = false;
                self.y.copy_from_slice(&self.ypred);
                continue 'outer;
            }
            // A junction limiter was still walking a voltage toward its
            // solution (pnjlim moves a forward junction by a few thermal
            // voltages per iteration): a smaller step would not bring the
            // solution closer, more iterations do. A full Newton with the
            // operating point's iterations, as ngspice allows every step
            // (`NIiter` raises its iteration limit to 100).
            if self.eng.out.limited && !long {
                long = true;
                self.y.copy_from_slice(&self.ypred);
                continue 'outer;
            }
            self.factor_valid = false;
            let (w, r) = self.eng.worst_index(&self.eng.out.f);
            return Ok(Err((max_iter, r, w)));
        }
    }

    /// The last resort of a step whose Newton iteration failed at every size
    /// down to the minimum (step cut, then order 1): gmin stepping, as
    /// ngspice steps its operating point. A conductance from every node to
    /// ground, 10 mS first, makes the equations nearly linear; each solution
    /// seeds the Newton iteration with a conductance ten times smaller, down
    /// to 1 pS; then one without any, whose solution alone is kept. A stage
    /// that fails is retried from the last solution with the factor's fourth
    /// root (as ngspice's dynamic gmin stepping does), until the factor is
    /// 1.0001. Every stage is a full Newton with the operating point's
    /// iterations. The iterations of every stage; `None` when it gives up
    /// (the step then fails as before). A jump of an algebraic unknown's
    /// root inside the step (a behavioural source switching with `?:`) is
    /// where this helps: no step is small enough for Newton from the old
    /// solution to reach a root that moved by many times its
    /// nonlinearity's scale.
    fn newton_gmin(&mut self, t_new: f64, cj: f64) -> Result<Option<usize>> {
        let ypred = self.ypred.clone();
        let mut total = 0;
        let (mut g, mut factor) = (GMIN_START, 10.0f64);
        self.gmin_active = true;
        let result = loop {
            self.gshunt = if g < GMIN_END { 0.0 } else { g };
            self.y.copy_from_slice(&self.ypred);
            match self.newton(t_new, cj) {
                Ok(Ok(n)) => {
                    total += n;
                    tracing::trace!(t_new, gmin = self.gshunt, "gmin step of a transient Newton converged");
                    if self.gshunt == 0.0 {
                        break Ok(Some(total));
                    }
                    self.ypred.copy_from_slice(&self.y);
                    g /= factor;
                }
                // Back to the last conductance that converged, approached more slowly.
                Ok(Err(_)) if g < GMIN_START && factor > 1.0001 => {
                    g *= factor;
                    factor = factor.sqrt().sqrt();
                    g /= factor;
                }
                Ok(Err(_)) => break Ok(None),
                Err(e) => break Err(e),
            }
        };
        (self.gshunt, self.gmin_active) = (0.0, false);
        self.ypred = ypred;
        if let Ok(Some(_)) = result {
            self.eng.stats.tran_gmin_steps += 1;
        } else {
            self.factor_valid = false;
        }
        result
    }

    /// Ends a converged Newton iteration (`iter` + 1 iterations): the
    /// charges at the final iterate; a slow one asks for a fresh Jacobian.
    fn newton_converged(&mut self, iter: usize) -> usize {
        let mut q = std::mem::take(&mut self.eng.out.q);
        self.eng.mna.charges(&self.y, &mut q);
        self.eng.out.q = q;
        self.jac_age += 1;
        if iter >= 3 {
            self.factor_valid = false;
        }
        iter + 1
    }

    /// Whether Newton's last update (which did not meet the tolerance) is
    /// within what rounding allows. The residual `cj q + qsum + f` adds
    /// terms of size `|q| / h`: at a step tiny beside a large charge (a
    /// 10 µF supply capacitor under a step of picoseconds) their rounding
    /// alone (`eps |q| / h`) moves the currents that carry them (the supply
    /// source's current) by more than their tolerance, in every iteration.
    /// That floor, carried through the factored Jacobian (with two sign
    /// patterns, as a bound on its size), is added to each unknown's
    /// tolerance; no floor when a junction limiter was active or the
    /// update is not finite.
    fn within_rounding(&mut self, cj: f64) -> bool {
        let n = self.y.len();
        if self.eng.out.limited || !self.eng.delta.iter().all(|d| d.is_finite()) {
            return false;
        }
        let noise = |i: usize| 8.0 * f64::EPSILON * ((cj * self.eng.out.q[i]).abs() + self.qsum[i].abs());
        let mut floor = vec![0.0f64; n];
        for pattern in [1.0f64, -1.0] {
            let mut z: Vec<f64> =
                (0..n).map(|i| if i % 2 == 0 { noise(i) } else { pattern * noise(i) }).collect();
            self.eng.lin.solve(&mut z);
            for (f, v) in floor.iter_mut().zip(&z) {
                *f = f.max(v.abs());
            }
        }
        let rt = self.eng.tol.reltol;
        (0..n).all(|i| {
            let w = rt * self.y[i].abs() + self.eng.atol[i];
            self.eng.delta[i].abs() <= NEWTON_TOL * w + floor[i]
        })
    }

    /// Locates the crossings of the step from `t0` to `t1`; after a switch
    /// changed at `t0` (`jump`), the algebraic unknowns jump there.
    fn find_events(&mut self, t0: f64, t1: f64, jump: bool) {
        if self.detectors.is_empty() {
            return;
        }
        let mut found: Vec<Event> = Vec::new();
        let mut dets = std::mem::take(&mut self.detectors);
        // The step's interpolant of each signal in Newton form (divided
        // differences once per step, then a nested product per evaluation).
        let k = self.last_k.min(self.hist.len - 1);
        let nodes = &self.hist.t[..=k];
        for (di, d) in dets.iter_mut().enumerate() {
            let i = d.unknown;
            let hy = &self.hist.y;
            let mut dd = [0.0f64; MAX_ORDER + 3];
            for j in 0..=k {
                dd[j] = hy[j][i];
            }
            for level in 1..=k {
                for j in (level..=k).rev() {
                    dd[j] = (dd[j] - dd[j - 1]) / (nodes[j] - nodes[j - level]);
                }
            }
            let stepped = jump && !self.eng.mna.differential[i];
            let f = |t: f64| {
                // Exactly the history value at a node (t0 and t1 are nodes).
                if t == nodes[0] {
                    return hy[0][i];
                }
                if k >= 1 && t == nodes[1] {
                    return hy[1][i];
                }
                if stepped {
                    return hy[0][i];
                }
                let mut v = dd[k];
                for j in (0..k).rev() {
                    v = dd[j] + (t - nodes[j]) * v;
                }
                v
            };
            d.scan(di, t0, t1, &f, &mut found);
        }
        self.detectors = dets;
        found.sort_by(|a, b| a.t.total_cmp(&b.t));
        self.eng.stats.events += found.len();
        self.pending.extend(found);
    }
}
