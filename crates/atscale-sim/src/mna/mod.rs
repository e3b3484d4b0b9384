//! Modified nodal analysis in charge/flux form: `d/dt q(y) + f(y, t) = 0`.
//!
//! Unknowns `y`, in this order: the non-ground node voltages (V), the branch
//! currents of voltage sources, behavioural voltage sources and inductors
//! (A), and the internal states of memristive elements (their own units).
//! Row `i` of `f` is the sum of currents leaving node `i` (KCL), the branch
//! equation of branch `i`, or `-dx/dt` of state `i`; row `i` of `q` is the
//! charge on node `i`, the flux `L i` of an inductor branch, or the state
//! itself.
//!
//! The Jacobian `df/dy + cj dq/dy` is assembled into a sparsity pattern
//! computed once ([`Pattern`]): every device knows the slots it writes.

use std::collections::HashMap;

use atscale_circuit::{FlatCircuit, TranTiming};

use crate::error::{Error, Result};
use crate::linalg::Pattern;

/// Sentinel index for ground (and for "no slot").
pub(crate) const NONE: usize = usize::MAX;

/// Thermal voltage kT/q at SPICE's nominal 27 °C, V.
pub(crate) const VT_NOMINAL: f64 = 1.380_649e-23 * 300.15 / 1.602_176_634e-19;

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

mod build;
mod devices;

use devices::{add, get, Dev};

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
    /// Whether a junction limiter changed a voltage in this evaluation.
    pub limited: bool,
    /// Whether a device's small-signal conductance moved so far from the
    /// one in the last Jacobian that a chord step cannot be trusted.
    pub stale: bool,
}

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
    /// The Jacobian pattern.
    pub pattern: Pattern,
    /// Diagonal slot of every unknown.
    pub diag: Vec<usize>,
    devices: Vec<Dev>,
    /// Indices of the devices with junction limiters (diodes, MOSFETs).
    limited: Vec<usize>,
    /// Indices of the devices with charges or fluxes.
    storage: Vec<usize>,
    /// Initial values for `uic`: capacitor voltages `(p, n, volts)`,
    /// inductor currents and states.
    pub(crate) cap_ics: Vec<(usize, usize, f64)>,
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
        Ok(b.finish(timing))
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

    /// The breakpoint of any source strictly after `t`, if any.
    pub(crate) fn next_breakpoint(&self, t: f64) -> Option<f64> {
        let mut best: Option<f64> = None;
        for d in &self.devices {
            let w = match d {
                Dev::VSource { wave, .. } | Dev::ISource { wave, .. } => wave,
                _ => continue,
            };
            if let Some(b) = w.next_breakpoint(t, &self.timing) {
                best = Some(best.map_or(b, |x: f64| x.min(b)));
            }
        }
        best
    }

    /// Resets the junction limiters' memory to the voltages of `y`.
    pub(crate) fn reset_limiters(&mut self, y: &[f64]) {
        for &k in &self.limited {
            match &mut self.devices[k] {
                Dev::Diode(dd) => dd.vold = get(y, dd.a) - get(y, dd.b),
                Dev::Mosfet(m) => {
                    let (vgs, vds, vbs) = m.terminal(y);
                    m.vgs_old = vgs;
                    m.vds_old = vds;
                    m.vbs_old = vbs;
                    m.vbd_old = vbs - vds;
                }
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
                Dev::Memristive(m) => {
                    for j in 0..m.relax.len() {
                        q[m.x0 + j] += y[m.x0 + j];
                    }
                }
                Dev::Diode(dd) if dd.cjo > 0.0 || dd.tt > 0.0 => {
                    let ctx = EvalCtx { t: 0.0, src_scale: 1.0, cj: 0.0, jac: false, limit: false };
                    let mut tmp = EvalOut {
                        f: vec![0.0; q.len()],
                        q: vec![0.0; q.len()],
                        jac: Vec::new(),
                        limited: false,
                        stale: false,
                    };
                    let saved = dd.vold;
                    dd.eval(y, ctx, &mut tmp);
                    dd.vold = saved;
                    for (qi, ti) in q.iter_mut().zip(&tmp.q) {
                        *qi += ti;
                    }
                }
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

    /// Initial state for `uic`: capacitor voltages, inductor currents and
    /// memristive states from the circuit, then `node_ics` (unknown, value).
    pub(crate) fn uic_state(&self, node_ics: &[(usize, f64)]) -> Vec<f64> {
        let mut y = vec![0.0; self.n];
        let mut known = vec![false; self.n];
        for &(i, v) in node_ics {
            y[i] = v;
            known[i] = true;
        }
        // Propagate capacitor initial voltages along capacitors to ground first.
        for _ in 0..3 {
            for &(p, n, v) in &self.cap_ics {
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
        for &(k, i) in &self.branch_ics {
            if k != NONE {
                y[k] = i;
            }
        }
        for &(k, x) in &self.state_x0 {
            y[k] = x;
        }
        y
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
