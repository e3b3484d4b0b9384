//! Modified nodal analysis in charge/flux form: `d/dt q(y) + f(y, t) = 0`.
//!
//! Unknowns `y`, in this order: the non-ground node voltages (V), the branch
//! currents of voltage sources, behavioural voltage sources and inductors
//! (A), and the internal states of memristive elements (their own units).
//! Row `i` of `f` is the sum of currents leaving node `i` (KCL), the branch
//! equation of branch `i`, or `-dx/dt` of state `i`; row `i` of `q` is the
//! charge on node `i`, the flux `L i` of an inductor branch (plus `M i'`
//! for every inductor `i'` coupled to it by a `K` card), or the state
//! itself.
//!
//! The Jacobian `df/dy + cj dq/dy` is assembled into a sparsity pattern
//! computed once ([`Pattern`]): every device knows the slots it writes.

use std::collections::HashMap;

use atscale_circuit::{ElementKind, Expr, FlatCircuit, TranTiming, Waveform};

use crate::error::{Error, Result};
use crate::linalg::Pattern;

/// Breakpoints this close to the current time, relative to the stop time,
/// count as reached.
const MIN_BREAK: f64 = 1e-12;

/// Sentinel index for ground (and for "no slot").
pub(crate) const NONE: usize = usize::MAX;

/// Boltzmann's constant as ngspice 39 has it (`CONSTboltz`, CODATA 2014), J/K.
pub(crate) const BOLTZMANN: f64 = 1.380_648_52e-23;
/// The elementary charge as ngspice 39 has it (`CHARGE`, CODATA 2014), C.
pub(crate) const CHARGE: f64 = 1.602_176_620_8e-19;
/// SPICE's nominal temperature 27 °C, K (`REFTEMP`).
pub(crate) const T_NOMINAL: f64 = 300.15;
/// Thermal voltage kT/q at SPICE's nominal 27 °C with ngspice's constants
/// (the 2019 SI values differ by 3.5e-7 relative, which shifts a junction
/// current by about 1e-5), V.
pub(crate) const VT_NOMINAL: f64 = BOLTZMANN * T_NOMINAL / CHARGE;

/// Conductance SPICE puts across every junction, S.
pub(crate) const GMIN: f64 = 1e-12;

/// What an unknown is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownKind {
    /// A node voltage, V.
    Voltage,
    /// A branch current, A.
    Current,
    /// An internal state of a memristive element.
    State,
}

impl UnknownKind {
    /// The unit of the residual of this unknown's equation: a node's is its
    /// KCL (A), a branch current's the KVL of its source or inductor (V); a
    /// state's is in the state's own unit per second (none given).
    pub fn residual_unit(self) -> &'static str {
        match self {
            UnknownKind::Voltage => "A",
            UnknownKind::Current => "V",
            UnknownKind::State => "",
        }
    }
}

mod build;
mod devices;

use devices::{add, get, Crossing, Dev};

/// What the circuit's elements say about the unknowns, beyond the equations.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roles {
    /// Whether each unknown is a node at a terminal of an element that
    /// depends on time itself: an independent source whose waveform is not
    /// constant, or an element whose expression reads `time`. Where such a
    /// node is algebraic, its error test is how the step follows the input
    /// (the sources' corners are breakpoints besides); ngspice follows it
    /// with its default maximum step instead.
    pub driven: Vec<bool>,
    /// Whether each unknown is a node whose voltage a behavioural voltage
    /// source fixes (to ground, or to a node fixed likewise or by an
    /// independent source) and whose source's current no element reads. A
    /// capacitor there holds no state: its charge follows the source's
    /// expression, which reads unknowns tested on their own, and its current
    /// flows only through the source. Its truncation error is not tested:
    /// when the expression jumps (a `?:` switching) the charge jumps with it,
    /// which no step is small enough to pass (ngspice passes it because its
    /// tolerance grows with the capacitor's current).
    pub pinned: Vec<bool>,
    /// The times a behavioural expression compares `time` with (`time > 1m
    /// ? 1 : 0`, `t0 <= time`), sorted: breakpoints, as a source's corners
    /// are, so that a step ends exactly where such an expression jumps.
    pub time_breaks: Vec<f64>,
    /// Every element's name with the unknowns of its terminals.
    pub terminals: Vec<(String, Vec<usize>)>,
}

impl Roles {
    fn new(mna: &Mna, circuit: &FlatCircuit) -> Roles {
        let mut driven = vec![false; mna.n];
        let mut terminals = Vec::with_capacity(circuit.elements.len());
        for e in &circuit.elements {
            let at: Vec<usize> =
                e.kind.nodes().iter().filter_map(|n| mna.node_map.get(&lc(n)).copied()).collect();
            let timed = match &e.kind {
                ElementKind::VoltageSource { waveform, .. } | ElementKind::CurrentSource { waveform, .. } => {
                    !matches!(waveform, Waveform::Dc { .. })
                }
                // (Time inside `ddt(...)` drives the derivative's own node, which is a capacitor's.)
                kind => {
                    kind.expressions().iter().any(|x| x.split_ddt(&mut |_| Expr::Num(0.0)).0.reads_time())
                }
            };
            if timed {
                at.iter().for_each(|&i| driven[i] = true);
            }
            terminals.push((e.name.clone(), at));
        }
        let pinned = pinned_nodes(mna, circuit);
        let mut time_breaks = Vec::new();
        for e in &circuit.elements {
            e.kind.expressions().iter().for_each(|x| compared_times(x, &mut time_breaks));
        }
        time_breaks.retain(|t| t.is_finite());
        time_breaks.sort_by(f64::total_cmp);
        time_breaks.dedup();
        Roles { driven, pinned, time_breaks, terminals }
    }
}

/// Pushes onto `out` every constant that `e` compares `time` with.
fn compared_times(e: &Expr, out: &mut Vec<f64>) {
    use atscale_circuit::expr::BinaryOp::{Eq, Ge, Gt, Le, Lt, Ne};
    let constant = |x: &Expr| if x.is_constant() { x.eval_const(&mut |_| None).ok() } else { None };
    match e {
        Expr::Binary(op, a, b) => {
            if matches!(op, Lt | Le | Gt | Ge | Eq | Ne) {
                let t = match (&**a, &**b) {
                    (Expr::Time, x) | (x, Expr::Time) => constant(x),
                    _ => None,
                };
                out.extend(t);
            }
            compared_times(a, out);
            compared_times(b, out);
        }
        Expr::Unary(_, a) => compared_times(a, out),
        Expr::Chain(first, rest) => {
            compared_times(first, out);
            rest.iter().for_each(|(_, x)| compared_times(x, out));
        }
        Expr::Ternary(c, a, b) => [c, a, b].iter().for_each(|x| compared_times(x, out)),
        Expr::Call(_, args) => args.iter().for_each(|x| compared_times(x, out)),
        Expr::Num(_) | Expr::Var(_) | Expr::Const(_) | Expr::Time | Expr::Voltage(..) | Expr::Current(_) => {}
    }
}

/// The nodes of [`Roles::pinned`]: in ground's group of nodes joined by
/// voltage sources (behavioural ones whose current nothing reads included),
/// but not in it through independent sources alone.
fn pinned_nodes(mna: &Mna, circuit: &FlatCircuit) -> Vec<bool> {
    let mut read: Vec<String> = Vec::new();
    for e in &circuit.elements {
        for x in e.kind.expressions() {
            read.extend(x.currents().iter().map(|c| lc(c)));
        }
        if let ElementKind::Switch { control: atscale_circuit::SwitchControl::Current { source }, .. } =
            &e.kind
        {
            read.push(lc(source));
        }
    }
    let node = |name: &str| {
        if name == atscale_circuit::GROUND {
            Some(NONE)
        } else {
            mna.node_map.get(&lc(name)).copied()
        }
    };
    let (read, node) = (&read, &node);
    let pairs = |with_behavioural: bool| {
        circuit.elements.iter().filter_map(move |e| match &e.kind {
            ElementKind::VoltageSource { p, n, .. } => Some((node(p)?, node(n)?)),
            ElementKind::BehaviouralVoltage { p, n, .. }
                if with_behavioural && !read.contains(&lc(&e.name)) =>
            {
                Some((node(p)?, node(n)?))
            }
            _ => None,
        })
    };
    let (all, independent) = (source_groups(mna.n, pairs(true)), source_groups(mna.n, pairs(false)));
    let n = mna.n;
    (0..n).map(|i| all[i] == all[n] && independent[i] != independent[n]).collect()
}

/// The group of every unknown among nodes joined by voltage sources
/// (`pairs` of unknowns, ground as [`NONE`]): a representative per node,
/// ground's at index `n`.
fn source_groups(n: usize, pairs: impl IntoIterator<Item = (usize, usize)>) -> Vec<usize> {
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..=n).collect();
    for (a, b) in pairs {
        let [a, b] = [a, b].map(|i| if i == NONE { n } else { i });
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        parent[ra.max(rb)] = ra.min(rb);
    }
    (0..=n).map(|i| find(&mut parent, i)).collect()
}

/// Inputs of one evaluation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EvalCtx {
    /// Time, s.
    pub t: f64,
    /// Scale of every independent source (1 except in source stepping).
    pub src_scale: f64,
    /// Coefficient of `dq/dy` in the Jacobian (0 for the operating point).
    pub cj: f64,
    /// Whether to write the Jacobian.
    pub jac: bool,
    /// Whether junction voltage limiting applies (Newton iterations of a solve).
    pub limit: bool,
}

/// Output buffers of one evaluation.
#[derive(Debug, Clone)]
pub(crate) struct EvalOut {
    /// `f(y, t)`.
    pub f: Vec<f64>,
    /// `q(y)`.
    pub q: Vec<f64>,
    /// Jacobian slot values `df/dy + cj dq/dy`.
    pub jac: Vec<f64>,
    /// Whether a junction limiter changed a voltage in this evaluation, or a
    /// device is not converged by its own test (ngspice's `noncon`: a BJT).
    pub limited: bool,
    /// Whether a device's small-signal conductance moved so far from the
    /// one in the last Jacobian that a chord step cannot be trusted.
    pub stale: bool,
}

/// The mark in the name of the internal node (and, as a variable, the
/// derivative) of each `ddt` call: `B1#ddt0`. No SPICE name holds `#`.
pub(crate) const DDT_NODE: &str = "#ddt";

/// The assembled formulation of a flat circuit.
#[derive(Debug, Clone)]
pub struct Mna {
    /// Number of unknowns.
    pub n: usize,
    /// Display name of every unknown: `v(node)`, `i(element)`, `x(element,k)`.
    pub names: Vec<String>,
    /// What every unknown is.
    pub kinds: Vec<UnknownKind>,
    /// Node name (lower case) to unknown.
    node_map: HashMap<String, usize>,
    /// Element name (lower case) to branch unknown.
    branch_map: HashMap<String, usize>,
    /// Element name (lower case) to its first state unknown and count.
    state_map: HashMap<String, (usize, usize)>,
    /// Whether each unknown appears in `q` (a differential unknown).
    pub differential: Vec<bool>,
    /// What the circuit's elements say about the unknowns.
    pub(crate) roles: Roles,
    /// The Jacobian pattern.
    pub pattern: Pattern,
    /// Diagonal slot of every unknown.
    pub diag: Vec<usize>,
    devices: Vec<Dev>,
    /// Indices of the devices with junction limiters (diodes, MOSFETs).
    limited: Vec<usize>,
    /// Indices of the devices with charges or fluxes.
    storage: Vec<usize>,
    /// Indices of the switches.
    switches: Vec<usize>,
    /// Initial values for `uic`: capacitor voltages `(p, n, volts)`,
    /// inductor currents and states.
    /// and capacitance `(p, n, volts, farads)`, inductor currents and states.
    pub(crate) cap_ics: Vec<(usize, usize, f64, f64)>,
    pub(crate) branch_ics: Vec<(usize, f64)>,
    pub(crate) state_x0: Vec<(usize, f64)>,
    /// Analysis timing used by waveform defaults.
    pub(crate) timing: TranTiming,
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn unsupported(element: &str, reason: impl Into<String>) -> Error {
    Error::Unsupported { element: element.to_string(), reason: reason.into() }
}

impl Mna {
    /// Builds the formulation of `circuit`.
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] for a missing model, a MOSFET level other than
    /// 1, or an expression that does not compile against the circuit.
    pub fn new(circuit: &FlatCircuit, timing: TranTiming) -> Result<Mna> {
        let mut b = build::Builder::new(circuit);
        b.devices(circuit)?;
        let mut mna = b.finish(timing);
        mna.roles = Roles::new(&mna, circuit);
        Ok(mna)
    }

    /// The elements at unknown `i`, for messages: those with a terminal
    /// there, or the element an internal node, branch current or state
    /// belongs to (`D1#int`, `i(L1)`, `x(M1,0)`).
    pub(crate) fn elements_at(&self, i: usize) -> Vec<String> {
        let at: Vec<String> =
            self.roles.terminals.iter().filter(|(_, t)| t.contains(&i)).map(|(n, _)| n.clone()).collect();
        if !at.is_empty() {
            return at;
        }
        let name = self.names.get(i).map(String::as_str).unwrap_or_default();
        let inner =
            name.strip_prefix("i(").or_else(|| name.strip_prefix("x(")).and_then(|r| r.strip_suffix(')'));
        let owner = match inner {
            Some(r) => r.split(',').next().unwrap_or(r),
            None => name.split_once('#').map_or("", |(e, _)| e),
        };
        if owner.is_empty() {
            Vec::new()
        } else {
            vec![owner.to_string()]
        }
    }

    /// The unknown a signal name refers to: `node`, `v(node)`, `i(element)`
    /// or `x(element,k)` (case-insensitive).
    pub fn lookup(&self, name: &str) -> Option<usize> {
        let s = name.trim();
        let key = lc(s);
        if let Some(&i) = self.node_map.get(&key) {
            return Some(i);
        }
        let inner =
            |prefix: &str| -> Option<&str> { key.strip_prefix(prefix).and_then(|r| r.strip_suffix(')')) };
        if let Some(nd) = inner("v(") {
            return self.node_map.get(nd.trim()).copied();
        }
        if let Some(el) = inner("i(") {
            return self.branch_map.get(el.trim()).copied();
        }
        if let Some(arg) = inner("x(") {
            let (el, k) = arg.rsplit_once(',')?;
            let k: usize = k.trim().parse().ok()?;
            let (first, count) = self.state_map.get(el.trim()).copied()?;
            return (k < count).then_some(first + k);
        }
        None
    }

    /// The breakpoint of any source, or of an expression comparing `time`
    /// ([`Roles::time_breaks`]), strictly after `t`, if any.
    ///
    /// Breakpoints closer to `t` than [`MIN_BREAK`] of the stop time count
    /// as reached (as ngspice's minimum break): two sources whose corners
    /// differ by a rounding error (`5 * 1u` and `5u`) would otherwise ask
    /// for a step of one ulp.
    pub(crate) fn next_breakpoint(&self, t: f64) -> Option<f64> {
        let mut best: Option<f64> = None;
        let after = t + MIN_BREAK * self.timing.tstop.abs().max(t.abs());
        for d in &self.devices {
            let w = match d {
                Dev::VSource { wave, .. } | Dev::ISource { wave, .. } => wave,
                _ => continue,
            };
            if let Some(b) = w.next_breakpoint(after, &self.timing) {
                best = Some(best.map_or(b, |x: f64| x.min(b)));
            }
        }
        let breaks = &self.roles.time_breaks;
        if let Some(&b) = breaks.get(breaks.partition_point(|&x| x <= after)) {
            best = Some(best.map_or(b, |x: f64| x.min(b)));
        }
        best
    }

    /// Resets the junction limiters' memory to the voltages of `y`.
    pub(crate) fn reset_limiters(&mut self, y: &[f64]) {
        for &k in &self.limited {
            match &mut self.devices[k] {
                Dev::Diode(dd) => dd.reset_limiter(y),
                Dev::Bjt(q) => q.reset_limiter(y),
                Dev::Mosfet(m) => m.reset_limiter(y),
                _ => {}
            }
        }
    }

    /// Evaluates `f`, `q` and (when asked) the Jacobian at `y`.
    pub(crate) fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        out.f.iter_mut().for_each(|v| *v = 0.0);
        out.q.iter_mut().for_each(|v| *v = 0.0);
        if ctx.jac {
            out.jac.iter_mut().for_each(|v| *v = 0.0);
        }
        out.limited = false;
        out.stale = false;
        let timing = self.timing;
        for d in &mut self.devices {
            d.eval(y, ctx, &timing, out);
        }
    }

    /// Whether each unknown is a node voltage a voltage source (independent
    /// or behavioural) sets: the nodes joined by voltage sources form groups;
    /// a group with ground in it is set whole, and in a floating group every
    /// node is set from one of them, its first differential node (a
    /// capacitor's `IC` there fixes the group: `Vx x x1 0` with `Cx x1 0 1
    /// IC=7k` starts x and x1 at 7 kV).
    pub(crate) fn source_nodes(&self) -> Vec<bool> {
        let n = self.n;
        let mut on_source = vec![false; n];
        let pairs: Vec<(usize, usize)> = self
            .devices
            .iter()
            .filter_map(|d| match d {
                Dev::VSource { a, b, .. } | Dev::BVoltage { a, b, .. } => Some((*a, *b)),
                _ => None,
            })
            .collect();
        for i in pairs.iter().flat_map(|&(a, b)| [a, b]).filter(|&i| i != NONE) {
            on_source[i] = true;
        }
        let group = source_groups(n, pairs);
        let mut anchor_taken = vec![false; n + 1];
        (0..n)
            .map(|i| {
                let r = group[i];
                if !on_source[i] || r == group[n] || !self.differential[i] || anchor_taken[r] {
                    return on_source[i];
                }
                anchor_taken[r] = true;
                false
            })
            .collect()
    }

    /// Starts a transient at `y`: devices whose charges depend on the path
    /// (Meyer's gate capacitances) take `y` as their first accepted point.
    pub(crate) fn start(&mut self, y: &[f64]) {
        for &k in &self.storage {
            if let Dev::Mosfet(m) = &mut self.devices[k] {
                m.start(y);
            }
        }
    }

    /// Takes `y` as the newly accepted time point (called once per accepted
    /// step, after the step's final [`Mna::charges`]).
    pub(crate) fn accept(&mut self, y: &[f64]) {
        for &k in &self.storage {
            if let Dev::Mosfet(m) = &mut self.devices[k] {
                m.accept(y);
            }
        }
    }

    /// Calls `f` on every switch.
    fn each_switch(&mut self, mut f: impl FnMut(&mut devices::Switch)) {
        for &i in &self.switches {
            if let Dev::Switch(w) = &mut self.devices[i] {
                f(w);
            }
        }
    }

    /// Starts an operating-point solve: every switch takes its instance
    /// flag (`ON` closed, otherwise open) until the solve first converges.
    pub(crate) fn switches_dc_start(&mut self) {
        self.each_switch(|w| w.dc_start());
    }

    /// `uic` with the initial node voltages `ics` (unknown, value): every
    /// switch keeps its instance flag's state until the transient starts,
    /// labelled by its control where only those voltages are set (as
    /// ngspice's first load sees them).
    pub(crate) fn switches_uic(&mut self, ics: &[(usize, f64)]) {
        let mut y = vec![0.0; self.n];
        for &(i, v) in ics {
            y[i] = v;
        }
        self.each_switch(|w| w.uic(&y));
    }

    /// The operating point converged at `y` with the switches' flags: the
    /// switches follow their rules from now on. Whether a conductance
    /// changed (then the solve must go on).
    pub(crate) fn switches_dc_release(&mut self, y: &[f64]) -> bool {
        let mut changed = false;
        self.each_switch(|w| changed |= w.dc_release(y));
        changed
    }

    /// Starts a transient at `y`: the switches' states as the operating
    /// point (or the flags, without one) left them meet their rules once.
    pub(crate) fn start_switches(&mut self, y: &[f64]) {
        self.each_switch(|w| w.start_transient(y));
    }

    /// The threshold crossings that would change a switch's conductance if
    /// a step ended at `y`, with the control's unknowns `(plus, minus)`.
    pub(crate) fn switch_crossings<'a>(
        &'a self,
        y: &'a [f64],
    ) -> impl Iterator<Item = (usize, usize, Crossing)> + 'a {
        self.switches.iter().filter_map(move |&i| match &self.devices[i] {
            Dev::Switch(w) => w.pending(y).map(|x| (w.cp, w.cn, x)),
            _ => None,
        })
    }

    /// Takes `y` as an accepted time point for the switches; whether a
    /// conductance changed (a corner of the solution).
    pub(crate) fn commit_switches(&mut self, y: &[f64]) -> bool {
        let mut changed = false;
        self.each_switch(|w| changed |= w.commit(y));
        changed
    }

    /// Recomputes only the charges `q(y)` (cheap: storage elements only).
    pub(crate) fn charges(&mut self, y: &[f64], q: &mut [f64]) {
        q.iter_mut().for_each(|v| *v = 0.0);
        for &k in &self.storage {
            match &mut self.devices[k] {
                Dev::Capacitor { a, b, c, .. } => {
                    let qv = *c * (get(y, *a) - get(y, *b));
                    add(q, *a, qv);
                    add(q, *b, -qv);
                }
                Dev::Inductor { k, l, .. } => q[*k] += *l * y[*k],
                Dev::Coupling { k1, k2, m, .. } => {
                    q[*k1] += *m * y[*k2];
                    q[*k2] += *m * y[*k1];
                }
                Dev::Memristive(m) => {
                    for j in 0..m.relax.len() {
                        q[m.x0 + j] += y[m.x0 + j];
                    }
                }
                Dev::Bjt(bjt) => bjt.charges(y, q),
                Dev::Diode(dd) => dd.charges(y, q),
                Dev::Mosfet(m) => m.charges(y, q),
                _ => {}
            }
        }
    }

    /// Adds a conductance `g` from every node to ground (gmin stepping).
    pub(crate) fn add_shunt(&self, g: f64, y: &[f64], out: &mut EvalOut, jac: bool) {
        for i in 0..self.n {
            if self.kinds[i] == UnknownKind::Voltage {
                out.f[i] += g * y[i];
                if jac {
                    out.jac[self.diag[i]] += g;
                }
            }
        }
    }

    /// The slots of every row (for replacing equations by "hold" equations).
    pub(crate) fn row_slots(&self) -> Vec<Vec<usize>> {
        let mut rows = vec![Vec::new(); self.n];
        for c in 0..self.n {
            for k in self.pattern.col_ptr[c]..self.pattern.col_ptr[c + 1] {
                rows[self.pattern.row_idx[k]].push(k);
            }
        }
        rows
    }

    /// The unknowns a solve with the unknowns `held` (their equations
    /// replaced by `y_i = value`) cannot determine: every equation that
    /// names them is held (a node joined only by inductors whose currents
    /// are held, a node between a held inductor and a current source).
    /// Holding one may leave another so, until none is left.
    pub(crate) fn undetermined(&self, held: &[bool]) -> Vec<usize> {
        // The devices' entries (the pattern also has every diagonal).
        let mut pairs = Vec::new();
        for d in &self.devices {
            d.pairs(&mut |r: usize, c: usize| {
                if r != NONE && c != NONE {
                    pairs.push((r, c));
                }
            });
        }
        let mut held = held.to_vec();
        let mut out = Vec::new();
        loop {
            let mut named = vec![false; self.n];
            for &(r, c) in &pairs {
                named[c] |= !held[r];
            }
            let free: Vec<usize> = (0..self.n).filter(|&c| !held[c] && !named[c]).collect();
            if free.is_empty() {
                return out;
            }
            for &c in &free {
                held[c] = true;
            }
            out.extend(free);
        }
    }

    /// Initial state for `uic`: capacitor voltages, inductor currents and
    /// memristive states from the circuit, then `node_ics` (unknown, value).
    pub(crate) fn uic_state(&self, node_ics: &[(usize, f64)]) -> Vec<f64> {
        let mut y = self.uic_start(node_ics);
        let mut known = vec![false; self.n];
        for &(i, _) in node_ics {
            known[i] = true;
        }
        // Propagate capacitor initial voltages along capacitors to ground first.
        for _ in 0..3 {
            for &(p, n, v, _) in &self.cap_ics {
                let kp = p == NONE || known[p];
                let kn = n == NONE || known[n];
                if !kp && kn {
                    y[p] = get(&y, n) + v;
                    known[p] = true;
                } else if kp && !kn {
                    y[n] = get(&y, p) - v;
                    known[n] = true;
                }
            }
        }
        self.start_bjt_internal_nodes(&mut y, (0..self.n).filter(|&i| known[i]));
        y
    }

    /// The state ngspice starts a `uic` run from: `node_ics` (unknown,
    /// value), 0 V on every other node, inductor currents and memristive
    /// states from the circuit.
    pub(crate) fn uic_start(&self, node_ics: &[(usize, f64)]) -> Vec<f64> {
        let mut y = vec![0.0; self.n];
        for &(i, v) in node_ics {
            y[i] = v;
        }
        for &(k, i) in &self.branch_ics {
            if k != NONE {
                y[k] = i;
            }
        }
        for &(k, x) in &self.state_x0 {
            y[k] = x;
        }
        self.start_bjt_internal_nodes(&mut y, node_ics.iter().map(|&(i, _)| i));
        y
    }

    /// Starts the internal nodes of bipolar transistors at their terminals'
    /// voltages in `y`, except the unknowns `known`.
    fn start_bjt_internal_nodes(&self, y: &mut [f64], known: impl Iterator<Item = usize>) {
        let mut is_known = vec![false; self.n];
        known.for_each(|i| is_known[i] = true);
        for d in &self.devices {
            if let Dev::Bjt(q) = d {
                q.start_internal_nodes(y, &is_known);
            }
        }
    }

    /// The charges ngspice starts a `uic` run with, into `q`: every device's
    /// at [`Mna::uic_start`] of `node_ics`, a capacitor with an initial
    /// voltage at that voltage (unless a node of it has an initial voltage
    /// of its own, which atscale lets win, as its `.ic` always has). Where
    /// they differ from the charges of the native starting point (a node a
    /// source sets, a node shared by capacitors with and without initial
    /// voltages), the first step moves the charge, as ngspice's does.
    pub(crate) fn uic_charges(&mut self, node_ics: &[(usize, f64)], q: &mut [f64]) {
        let y_start = self.uic_start(node_ics);
        self.start(&y_start);
        self.charges(&y_start, q);
        let set = |i: usize| node_ics.iter().any(|&(k, _)| k == i);
        for &(p, n, v, c) in &self.cap_ics {
            if set(p) || set(n) {
                continue;
            }
            let dq = c * (v - (get(&y_start, p) - get(&y_start, n)));
            add(q, p, dq);
            add(q, n, -dq);
        }
    }

    /// The block of every unknown when the circuit decomposes into blocks
    /// joined only by linear resistors between non-ground nodes: the
    /// connected components of the Jacobian pattern after removing the
    /// off-diagonal entries of those resistors. Blocks are numbered in order
    /// of their first unknown. `None` when there is a single block.
    pub fn blocks(&self) -> Option<Vec<usize>> {
        let mut parent: Vec<usize> = (0..self.n).collect();
        fn find(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                p[i] = p[p[i]];
                i = p[i];
            }
            i
        }
        for d in &self.devices {
            if let Dev::Resistor { a, b, .. } = d {
                if *a != NONE && *b != NONE {
                    continue;
                }
            }
            d.pairs(&mut |r: usize, c: usize| {
                if r != NONE && c != NONE {
                    let (x, y) = (find(&mut parent, r), find(&mut parent, c));
                    if x != y {
                        parent[x.max(y)] = x.min(y);
                    }
                }
            });
        }
        let mut id = vec![NONE; self.n];
        let mut block = vec![0usize; self.n];
        let mut count = 0;
        for i in 0..self.n {
            let r = find(&mut parent, i);
            if id[r] == NONE {
                id[r] = count;
                count += 1;
            }
            block[i] = id[r];
        }
        (count > 1).then_some(block)
    }

    /// A buffer set for evaluations.
    pub(crate) fn new_out(&self) -> EvalOut {
        EvalOut {
            f: vec![0.0; self.n],
            q: vec![0.0; self.n],
            jac: vec![0.0; self.pattern.nnz()],
            limited: false,
            stale: false,
        }
    }
}
