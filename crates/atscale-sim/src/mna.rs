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

use atscale_circuit::expr::{CompiledExpr, Input, Workspace};
use atscale_circuit::{
    ElementKind, FlatCircuit, MemristiveLaw, ModelKind, Relaxation, ResistiveLaw, TranTiming, Waveform,
    GROUND,
};

use crate::error::{Error, Result};
use crate::linalg::Pattern;

/// Sentinel index for ground (and for "no slot").
pub(crate) const NONE: usize = usize::MAX;

/// Thermal voltage kT/q at SPICE's nominal 27 °C, V.
const VT_NOMINAL: f64 = 1.380_649e-23 * 300.15 / 1.602_176_634e-19;

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

#[inline]
fn get(y: &[f64], i: usize) -> f64 {
    if i == NONE {
        0.0
    } else {
        y[i]
    }
}

#[inline]
fn add(v: &mut [f64], i: usize, x: f64) {
    if i != NONE {
        v[i] += x;
    }
}

/// Stamps a voltage source (independent or behavioural) between nodes `a`
/// and `b` with branch current unknown `k`: the current enters the node
/// equations, the branch equation holds `v(a) - v(b) = v`. `s` are the
/// Jacobian slots of (a,k), (b,k), (k,a), (k,b).
#[inline]
fn stamp_vsource(
    out: &mut EvalOut,
    y: &[f64],
    (a, b, k): (usize, usize, usize),
    s: &[usize; 4],
    v: f64,
    jac: bool,
) {
    let ik = y[k];
    add(&mut out.f, a, ik);
    add(&mut out.f, b, -ik);
    out.f[k] += get(y, a) - get(y, b) - v;
    if jac {
        add(&mut out.jac, s[0], 1.0);
        add(&mut out.jac, s[1], -1.0);
        add(&mut out.jac, s[2], 1.0);
        add(&mut out.jac, s[3], -1.0);
    }
}

/// A compiled expression with its scratch space and the slots its gradient writes.
#[derive(Debug, Clone)]
struct Behav {
    expr: CompiledExpr,
    ws: Workspace,
}

#[derive(Debug, Clone)]
enum NlLaw {
    Law(ResistiveLaw<f64>),
    Expr(Behav),
}

#[derive(Debug, Clone)]
enum Relax {
    Linear(Relaxation<f64>),
    Kinetic { alpha: Box<Behav>, beta: Box<Behav> },
}

#[derive(Debug, Clone)]
enum Dev {
    Resistor {
        a: usize,
        b: usize,
        g: f64,
        s: [usize; 4],
    },
    Capacitor {
        a: usize,
        b: usize,
        c: f64,
        s: [usize; 4],
    },
    Inductor {
        a: usize,
        b: usize,
        k: usize,
        l: f64,
        s: [usize; 5],
    },
    VSource {
        a: usize,
        b: usize,
        k: usize,
        wave: Box<Waveform<f64>>,
        s: [usize; 4],
    },
    ISource {
        a: usize,
        b: usize,
        wave: Box<Waveform<f64>>,
    },
    /// A constant current source, A.
    IDc {
        a: usize,
        b: usize,
        i: f64,
    },
    Nonlinear {
        a: usize,
        b: usize,
        law: Box<NlLaw>,
        s: [usize; 4],
    },
    Memristive(Box<MemDev>),
    BCurrent {
        a: usize,
        b: usize,
        f: Box<Behav>,
        sa: Vec<usize>,
        sb: Vec<usize>,
    },
    BVoltage {
        a: usize,
        b: usize,
        k: usize,
        f: Box<Behav>,
        s: [usize; 4],
        sk: Vec<usize>,
    },
    Diode(Box<Diode>),
    Mosfet(Box<Mosfet>),
}

/// A memristive element (boxed: the device list stays compact, which
/// keeps the evaluation loop of large circuits in cache).
#[derive(Debug, Clone)]
struct MemDev {
    a: usize,
    b: usize,
    x0: usize,
    relax: Vec<Relax>,
    law: MemristiveLaw<f64>,
    di_dx: Vec<f64>,
    s: [usize; 4],
    sx: Vec<[usize; 5]>,
}

#[derive(Debug, Clone)]
struct Diode {
    a: usize,
    b: usize,
    isat: f64,
    nvt: f64,
    vcrit: f64,
    cjo: f64,
    vj: f64,
    m: f64,
    tt: f64,
    vold: f64,
    s: [usize; 4],
}

#[derive(Debug, Clone)]
struct Mosfet {
    d: usize,
    g: usize,
    s: usize,
    b: usize,
    sign: f64,
    beta: f64,
    vto: f64,
    lambda: f64,
    gamma: f64,
    phi: f64,
    vgs_old: f64,
    vds_old: f64,
    /// Saturation current of each bulk junction (`IS`), A.
    isat: f64,
    /// Critical voltage of the junction limiter, V.
    vcrit: f64,
    vbs_old: f64,
    vbd_old: f64,
    /// Channel conductance `gm + gds + gmbs` when the Jacobian was last written, S.
    g_jac: f64,
    /// Slots `[row][col]` for rows d, s and columns d, g, s, b.
    slots: [[usize; 4]; 2],
    /// Slots `[row][col]` for rows d, s with the roles of d and s swapped.
    slots_rev: [[usize; 4]; 2],
    /// Slots of the bulk-source and bulk-drain junctions (`quad` order, b first).
    slots_bs: [usize; 4],
    slots_bd: [usize; 4],
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
        let mut names = Vec::new();
        let mut kinds = Vec::new();
        let mut node_map = HashMap::new();
        let node_of = |name: &str,
                       names: &mut Vec<String>,
                       kinds: &mut Vec<UnknownKind>,
                       node_map: &mut HashMap<String, usize>|
         -> usize {
            if name == GROUND {
                return NONE;
            }
            let key = lc(name);
            if let Some(&i) = node_map.get(&key) {
                return i;
            }
            let i = names.len();
            names.push(name.to_string());
            kinds.push(UnknownKind::Voltage);
            node_map.insert(key, i);
            i
        };
        for e in &circuit.elements {
            for nd in e.kind.nodes() {
                node_of(nd, &mut names, &mut kinds, &mut node_map);
            }
        }
        // Internal nodes of diodes with series resistance.
        let mut internal: HashMap<String, usize> = HashMap::new();
        for e in &circuit.elements {
            if let ElementKind::Diode { model, .. } = &e.kind {
                if let Some(ModelKind::Diode(p)) = circuit.model(model).map(|m| &m.kind) {
                    if p.rs.is_some_and(|r| r > 0.0) {
                        let nm = format!("{}#int", e.name);
                        let i = node_of(&nm, &mut names, &mut kinds, &mut node_map);
                        internal.insert(lc(&e.name), i);
                    }
                }
            }
        }
        let mut branch_map = HashMap::new();
        for e in &circuit.elements {
            if e.kind.has_branch_current() {
                let i = names.len();
                names.push(format!("i({})", e.name));
                kinds.push(UnknownKind::Current);
                branch_map.insert(lc(&e.name), i);
            }
        }
        let mut state_map = HashMap::new();
        let mut state_x0 = Vec::new();
        for e in &circuit.elements {
            if let ElementKind::Memristive { states, .. } = &e.kind {
                let first = names.len();
                for (k, s) in states.iter().enumerate() {
                    state_x0.push((names.len(), *s.x0()));
                    names.push(format!("x({},{k})", e.name));
                    kinds.push(UnknownKind::State);
                }
                state_map.insert(lc(&e.name), (first, states.len()));
            }
        }
        let n = names.len();
        let mut devices = Vec::with_capacity(circuit.elements.len());
        let mut cap_ics = Vec::new();
        let mut branch_ics = Vec::new();
        let node = |name: &str| -> usize {
            if name == GROUND {
                NONE
            } else {
                node_map.get(&lc(name)).copied().unwrap_or(NONE)
            }
        };
        let compile_circuit_expr = |ename: &str, expr: &atscale_circuit::Expr| -> Result<Behav> {
            let mut resolve = |leaf: Input<'_>| -> std::result::Result<Option<usize>, String> {
                match leaf {
                    Input::Node(nm) => {
                        if nm == GROUND {
                            Ok(None)
                        } else {
                            node_map.get(&lc(nm)).copied().map(Some).ok_or_else(|| format!("no node {nm}"))
                        }
                    }
                    Input::Current(nm) => branch_map
                        .get(&lc(nm))
                        .copied()
                        .map(Some)
                        .ok_or_else(|| format!("{nm} has no branch current")),
                    Input::Var(nm) => Err(format!("unresolved parameter {nm}")),
                }
            };
            let expr =
                CompiledExpr::compile(expr, &mut resolve).map_err(|e| unsupported(ename, e.to_string()))?;
            let ws = expr.workspace();
            Ok(Behav { expr, ws })
        };
        let compile_v_expr = |ename: &str, expr: &atscale_circuit::Expr| -> Result<Behav> {
            let mut resolve = |leaf: Input<'_>| -> std::result::Result<Option<usize>, String> {
                match leaf {
                    Input::Var(nm) if nm.eq_ignore_ascii_case("v") => Ok(Some(0)),
                    other => Err(format!("a law may only read `v`, not {other}")),
                }
            };
            let expr =
                CompiledExpr::compile(expr, &mut resolve).map_err(|e| unsupported(ename, e.to_string()))?;
            let ws = expr.workspace();
            Ok(Behav { expr, ws })
        };
        for e in &circuit.elements {
            let name = &e.name;
            let dev = match &e.kind {
                ElementKind::Resistor { p, n, r_ohm } => {
                    if *r_ohm == 0.0 || !r_ohm.is_finite() {
                        return Err(unsupported(name, format!("resistance {r_ohm} Ω")));
                    }
                    Dev::Resistor { a: node(p), b: node(n), g: 1.0 / r_ohm, s: [NONE; 4] }
                }
                ElementKind::Capacitor { p, n, c_farad, ic_volt } => {
                    if let Some(v) = ic_volt {
                        cap_ics.push((node(p), node(n), *v));
                    }
                    Dev::Capacitor { a: node(p), b: node(n), c: *c_farad, s: [NONE; 4] }
                }
                ElementKind::Inductor { p, n, l_henry, ic_amp } => {
                    let k = branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                    if let Some(i) = ic_amp {
                        branch_ics.push((k, *i));
                    }
                    Dev::Inductor { a: node(p), b: node(n), k, l: *l_henry, s: [NONE; 5] }
                }
                ElementKind::VoltageSource { p, n, waveform, dc } => {
                    let k = branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                    let _ = dc;
                    Dev::VSource { a: node(p), b: node(n), k, wave: Box::new(waveform.clone()), s: [NONE; 4] }
                }
                ElementKind::CurrentSource { p, n, waveform, .. } => {
                    match waveform {
                        // Constant sources (the bias of every neuron cell) skip the waveform.
                        Waveform::Dc { value } => Dev::IDc { a: node(p), b: node(n), i: *value },
                        w => Dev::ISource { a: node(p), b: node(n), wave: Box::new(w.clone()) },
                    }
                }
                ElementKind::BehaviouralCurrent { p, n, expr } => {
                    let f = Box::new(compile_circuit_expr(name, expr)?);
                    Dev::BCurrent { a: node(p), b: node(n), f, sa: Vec::new(), sb: Vec::new() }
                }
                ElementKind::BehaviouralVoltage { p, n, expr } => {
                    let k = branch_map.get(&lc(name)).copied().unwrap_or(NONE);
                    let f = Box::new(compile_circuit_expr(name, expr)?);
                    Dev::BVoltage { a: node(p), b: node(n), k, f, s: [NONE; 4], sk: Vec::new() }
                }
                ElementKind::NonlinearResistor { p, n, law } => {
                    let law = match law {
                        ResistiveLaw::Expression { expr } => NlLaw::Expr(compile_v_expr(name, expr)?),
                        other => NlLaw::Law(other.clone()),
                    };
                    Dev::Nonlinear { a: node(p), b: node(n), law: Box::new(law), s: [NONE; 4] }
                }
                ElementKind::Memristive { p, n, states, law } => {
                    let (x0, ns) = state_map.get(&lc(name)).copied().unwrap_or((NONE, 0));
                    let mut relax = Vec::with_capacity(ns);
                    for s in states {
                        relax.push(match s {
                            Relaxation::Kinetic { alpha, beta, .. } => Relax::Kinetic {
                                alpha: Box::new(compile_v_expr(name, alpha)?),
                                beta: Box::new(compile_v_expr(name, beta)?),
                            },
                            lin => Relax::Linear(lin.clone()),
                        });
                    }
                    for st in law.states_read() {
                        if st >= ns {
                            return Err(unsupported(name, format!("the law reads state {st} of {ns}")));
                        }
                    }
                    Dev::Memristive(Box::new(MemDev {
                        a: node(p),
                        b: node(n),
                        x0,
                        relax,
                        law: law.clone(),
                        di_dx: vec![0.0; ns],
                        s: [NONE; 4],
                        sx: vec![[NONE; 5]; ns],
                    }))
                }
                ElementKind::Diode { p, n, model, area } => {
                    let Some(ModelKind::Diode(dp)) = circuit.model(model).map(|m| &m.kind) else {
                        return Err(unsupported(name, format!("no diode model {model:?}")));
                    };
                    let area = area.unwrap_or(1.0);
                    let isat = dp.is_amp() * area;
                    let nvt = dp.emission() * VT_NOMINAL;
                    let a = node(p);
                    let b = node(n);
                    let ja = match internal.get(&lc(name)) {
                        Some(&i) => {
                            let rs = dp.rs.unwrap_or(0.0) / area;
                            devices.push(Dev::Resistor { a, b: i, g: 1.0 / rs, s: [NONE; 4] });
                            i
                        }
                        None => a,
                    };
                    Dev::Diode(Box::new(Diode {
                        a: ja,
                        b,
                        isat,
                        nvt,
                        vcrit: nvt * (nvt / (std::f64::consts::SQRT_2 * isat)).ln(),
                        cjo: dp.cjo.unwrap_or(0.0) * area,
                        vj: dp.vj.unwrap_or(1.0),
                        m: dp.m.unwrap_or(0.5),
                        tt: dp.tt.unwrap_or(0.0),
                        vold: 0.0,
                        s: [NONE; 4],
                    }))
                }
                ElementKind::Mosfet { d, g, s, b, model, w_m, l_m } => {
                    let (sign, mp) = match circuit.model(model).map(|m| &m.kind) {
                        Some(ModelKind::Nmos(mp)) => (1.0, mp),
                        Some(ModelKind::Pmos(mp)) => (-1.0, mp),
                        _ => return Err(unsupported(name, format!("no MOSFET model {model:?}"))),
                    };
                    // Bulk junctions as ngspice's MOS1 without areas: `IS` (default 1e-14 A).
                    let isat = mp.extra.get("is").copied().unwrap_or(1e-14);
                    if !(isat.is_finite() && isat > 0.0) {
                        return Err(unsupported(name, format!("junction saturation current IS = {isat} A")));
                    }
                    if mp.level != 1 {
                        return Err(unsupported(
                            name,
                            format!("MOSFET level {} (only level 1 is simulated natively)", mp.level),
                        ));
                    }
                    Dev::Mosfet(Box::new(Mosfet {
                        d: node(d),
                        g: node(g),
                        s: node(s),
                        b: node(b),
                        sign,
                        beta: mp.kp() * w_m / l_m,
                        vto: sign * mp.vto_volt(),
                        lambda: mp.lambda(),
                        gamma: mp.gamma(),
                        phi: mp.phi(),
                        vgs_old: 0.0,
                        vds_old: 0.0,
                        isat,
                        vcrit: VT_NOMINAL * (VT_NOMINAL / (std::f64::consts::SQRT_2 * isat)).ln(),
                        vbs_old: 0.0,
                        vbd_old: 0.0,
                        g_jac: 0.0,
                        slots: [[NONE; 4]; 2],
                        slots_rev: [[NONE; 4]; 2],
                        slots_bs: [NONE; 4],
                        slots_bd: [NONE; 4],
                    }))
                }
            };
            devices.push(dev);
        }
        // Pattern: every device's pairs plus the diagonal.
        let mut pairs: Vec<(usize, usize)> = (0..n).map(|i| (i, i)).collect();
        let mut push = |r: usize, c: usize| {
            if r != NONE && c != NONE {
                pairs.push((r, c));
            }
        };
        for d in &devices {
            d.pairs(&mut push);
        }
        let (pattern, _) = Pattern::from_pairs(n, &pairs);
        let slot = |r: usize, c: usize| -> usize {
            if r == NONE || c == NONE {
                NONE
            } else {
                pattern.slot(r, c).unwrap_or(NONE)
            }
        };
        for d in &mut devices {
            d.assign(&slot);
        }
        let diag = (0..n).map(|i| slot(i, i)).collect();
        let mut differential = vec![false; n];
        for d in &devices {
            d.mark_differential(&mut differential);
        }
        let limited =
            (0..devices.len()).filter(|&i| matches!(devices[i], Dev::Diode(_) | Dev::Mosfet(_))).collect();
        let storage = (0..devices.len())
            .filter(|&i| {
                matches!(devices[i], Dev::Capacitor { .. } | Dev::Inductor { .. } | Dev::Memristive(_))
                    || matches!(&devices[i], Dev::Diode(d) if d.cjo > 0.0 || d.tt > 0.0)
            })
            .collect();
        Ok(Mna {
            n,
            names,
            limited,
            storage,
            kinds,
            node_map,
            branch_map,
            state_map,
            differential,
            pattern,
            diag,
            devices,
            cap_ics,
            branch_ics,
            state_x0,
            timing,
        })
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

fn stamp_g(jac: &mut [f64], s: &[usize; 4], g: f64) {
    if s[0] != NONE {
        jac[s[0]] += g;
    }
    if s[1] != NONE {
        jac[s[1]] -= g;
    }
    if s[2] != NONE {
        jac[s[2]] -= g;
    }
    if s[3] != NONE {
        jac[s[3]] += g;
    }
}

fn quad(slot: &impl Fn(usize, usize) -> usize, a: usize, b: usize) -> [usize; 4] {
    [slot(a, a), slot(a, b), slot(b, a), slot(b, b)]
}

fn pairs2(push: &mut impl FnMut(usize, usize), a: usize, b: usize) {
    push(a, a);
    push(a, b);
    push(b, a);
    push(b, b);
}

impl Behav {
    fn eval(&mut self, x: &[f64], t: f64) -> f64 {
        self.expr.eval(x, t, &mut self.ws)
    }
    fn eval_v(&mut self, v: f64) -> (f64, f64) {
        let val = self.expr.eval(&[v], 0.0, &mut self.ws);
        let d = self.ws.gradient().first().copied().unwrap_or(0.0);
        (val, d)
    }
}

impl Dev {
    fn pairs(&self, push: &mut impl FnMut(usize, usize)) {
        match self {
            Dev::Resistor { a, b, .. } | Dev::Capacitor { a, b, .. } | Dev::Nonlinear { a, b, .. } => {
                pairs2(push, *a, *b)
            }
            Dev::Inductor { a, b, k, .. } | Dev::VSource { a, b, k, .. } => {
                push(*a, *k);
                push(*b, *k);
                push(*k, *a);
                push(*k, *b);
                push(*k, *k);
            }
            Dev::ISource { .. } | Dev::IDc { .. } => {}
            Dev::Memristive(m) => {
                let MemDev { a, b, x0, relax, .. } = &**m;
                pairs2(push, *a, *b);
                for j in 0..relax.len() {
                    let x = x0 + j;
                    push(*a, x);
                    push(*b, x);
                    push(x, *a);
                    push(x, *b);
                    push(x, x);
                }
            }
            Dev::BCurrent { a, b, f, .. } => {
                for &c in f.expr.inputs() {
                    push(*a, c);
                    push(*b, c);
                }
            }
            Dev::BVoltage { a, b, k, f, .. } => {
                push(*a, *k);
                push(*b, *k);
                push(*k, *a);
                push(*k, *b);
                for &c in f.expr.inputs() {
                    push(*k, c);
                }
            }
            Dev::Diode(d) => pairs2(push, d.a, d.b),
            Dev::Mosfet(m) => {
                for r in [m.d, m.s] {
                    for c in [m.d, m.g, m.s, m.b] {
                        push(r, c);
                    }
                }
                pairs2(push, m.b, m.s);
                pairs2(push, m.b, m.d);
            }
        }
    }

    fn assign(&mut self, slot: &impl Fn(usize, usize) -> usize) {
        match self {
            Dev::Resistor { a, b, s, .. }
            | Dev::Capacitor { a, b, s, .. }
            | Dev::Nonlinear { a, b, s, .. } => *s = quad(slot, *a, *b),
            Dev::Inductor { a, b, k, s, .. } => {
                *s = [slot(*a, *k), slot(*b, *k), slot(*k, *a), slot(*k, *b), slot(*k, *k)]
            }
            Dev::VSource { a, b, k, s, .. } => *s = [slot(*a, *k), slot(*b, *k), slot(*k, *a), slot(*k, *b)],
            Dev::ISource { .. } | Dev::IDc { .. } => {}
            Dev::Memristive(m) => {
                let MemDev { a, b, x0, s, sx, .. } = &mut **m;
                *s = quad(slot, *a, *b);
                for (j, sj) in sx.iter_mut().enumerate() {
                    let x = *x0 + j;
                    *sj = [slot(*a, x), slot(*b, x), slot(x, *a), slot(x, *b), slot(x, x)];
                }
            }
            Dev::BCurrent { a, b, f, sa, sb } => {
                *sa = f.expr.inputs().iter().map(|&c| slot(*a, c)).collect();
                *sb = f.expr.inputs().iter().map(|&c| slot(*b, c)).collect();
            }
            Dev::BVoltage { a, b, k, f, s, sk } => {
                *s = [slot(*a, *k), slot(*b, *k), slot(*k, *a), slot(*k, *b)];
                *sk = f.expr.inputs().iter().map(|&c| slot(*k, c)).collect();
            }
            Dev::Diode(d) => d.s = quad(slot, d.a, d.b),
            Dev::Mosfet(m) => {
                let cols = [m.d, m.g, m.s, m.b];
                for (ri, r) in [m.d, m.s].into_iter().enumerate() {
                    for (ci, c) in cols.into_iter().enumerate() {
                        m.slots[ri][ci] = slot(r, c);
                    }
                }
                let cols_rev = [m.s, m.g, m.d, m.b];
                for (ri, r) in [m.s, m.d].into_iter().enumerate() {
                    for (ci, c) in cols_rev.into_iter().enumerate() {
                        m.slots_rev[ri][ci] = slot(r, c);
                    }
                }
                m.slots_bs = quad(slot, m.b, m.s);
                m.slots_bd = quad(slot, m.b, m.d);
            }
        }
    }

    fn mark_differential(&self, diff: &mut [bool]) {
        let mut mark = |i: usize| {
            if i != NONE {
                diff[i] = true;
            }
        };
        match self {
            Dev::Capacitor { a, b, .. } => {
                mark(*a);
                mark(*b);
            }
            Dev::Inductor { k, .. } => mark(*k),
            Dev::Memristive(m) => {
                for j in 0..m.relax.len() {
                    mark(m.x0 + j);
                }
            }
            Dev::Diode(d) if d.cjo > 0.0 || d.tt > 0.0 => {
                mark(d.a);
                mark(d.b);
            }
            _ => {}
        }
    }

    fn eval(&mut self, y: &[f64], ctx: EvalCtx, timing: &TranTiming, out: &mut EvalOut) {
        let jac = ctx.jac;
        match self {
            Dev::Resistor { a, b, g, s } => {
                let i = *g * (get(y, *a) - get(y, *b));
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    stamp_g(&mut out.jac, s, *g);
                }
            }
            Dev::Capacitor { a, b, c, s } => {
                let qv = *c * (get(y, *a) - get(y, *b));
                add(&mut out.q, *a, qv);
                add(&mut out.q, *b, -qv);
                if jac && ctx.cj != 0.0 {
                    stamp_g(&mut out.jac, s, ctx.cj * *c);
                }
            }
            Dev::Inductor { a, b, k, l, s } => {
                let ik = y[*k];
                add(&mut out.f, *a, ik);
                add(&mut out.f, *b, -ik);
                out.q[*k] += *l * ik;
                out.f[*k] -= get(y, *a) - get(y, *b);
                if jac {
                    add(&mut out.jac, s[0], 1.0);
                    add(&mut out.jac, s[1], -1.0);
                    add(&mut out.jac, s[2], -1.0);
                    add(&mut out.jac, s[3], 1.0);
                    add(&mut out.jac, s[4], ctx.cj * *l);
                }
            }
            Dev::VSource { a, b, k, wave, s } => {
                let v = ctx.src_scale * wave.value(ctx.t, timing);
                stamp_vsource(out, y, (*a, *b, *k), s, v, jac);
            }
            Dev::IDc { a, b, i } => {
                let i = ctx.src_scale * *i;
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
            }
            Dev::ISource { a, b, wave } => {
                let i = ctx.src_scale * wave.value(ctx.t, timing);
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
            }
            Dev::Nonlinear { a, b, law, s } => {
                let v = get(y, *a) - get(y, *b);
                let (i, g) = match &mut **law {
                    NlLaw::Law(l) => l.current_slope(v),
                    NlLaw::Expr(e) => e.eval_v(v),
                };
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    stamp_g(&mut out.jac, s, g);
                }
            }
            Dev::Memristive(m) => {
                let MemDev { a, b, x0, relax, law, di_dx, s, sx } = &mut **m;
                let v = get(y, *a) - get(y, *b);
                let ns = relax.len();
                let xs = &y[*x0..*x0 + ns];
                let (i, g) = law.eval(v, xs, di_dx);
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    stamp_g(&mut out.jac, s, g);
                }
                for (j, r) in relax.iter_mut().enumerate() {
                    let xi = *x0 + j;
                    let x = y[xi];
                    let (rate, dv, dx) = match r {
                        Relax::Linear(l) => l.rate(v, x),
                        Relax::Kinetic { alpha, beta } => {
                            let (al, dal) = alpha.eval_v(v);
                            let (be, dbe) = beta.eval_v(v);
                            (al * (1.0 - x) - be * x, dal * (1.0 - x) - dbe * x, -(al + be))
                        }
                    };
                    out.q[xi] += x;
                    out.f[xi] -= rate;
                    if jac {
                        let sj = &sx[j];
                        add(&mut out.jac, sj[0], di_dx[j]);
                        add(&mut out.jac, sj[1], -di_dx[j]);
                        add(&mut out.jac, sj[2], -dv);
                        add(&mut out.jac, sj[3], dv);
                        add(&mut out.jac, sj[4], ctx.cj - dx);
                    }
                }
            }
            Dev::BCurrent { a, b, f, sa, sb } => {
                let i = f.eval(y, ctx.t);
                add(&mut out.f, *a, i);
                add(&mut out.f, *b, -i);
                if jac {
                    for (k, gk) in f.ws.gradient().iter().enumerate() {
                        add(&mut out.jac, sa[k], *gk);
                        add(&mut out.jac, sb[k], -*gk);
                    }
                }
            }
            Dev::BVoltage { a, b, k, f, s, sk } => {
                let v = f.eval(y, ctx.t);
                stamp_vsource(out, y, (*a, *b, *k), s, v, jac);
                if jac {
                    for (j, gk) in f.ws.gradient().iter().enumerate() {
                        add(&mut out.jac, sk[j], -*gk);
                    }
                }
            }
            Dev::Diode(d) => d.eval(y, ctx, out),
            Dev::Mosfet(m) => m.eval(y, ctx, out),
        }
    }
}

/// SPICE's junction voltage limiter.
fn pnjlim(vnew: f64, vold: f64, vt: f64, vcrit: f64) -> (f64, bool) {
    if vnew > vcrit && (vnew - vold).abs() > vt + vt {
        if vold > 0.0 {
            let arg = 1.0 + (vnew - vold) / vt;
            if arg > 0.0 {
                (vold + vt * arg.ln(), true)
            } else {
                (vcrit, true)
            }
        } else {
            (vt * (vnew / vt).ln(), true)
        }
    } else {
        (vnew, false)
    }
}

impl Diode {
    fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let vd_true = get(y, self.a) - get(y, self.b);
        let mut vd = vd_true;
        if ctx.limit {
            let (v, lim) = pnjlim(vd_true, self.vold, self.nvt, self.vcrit);
            vd = v;
            out.limited |= lim;
        }
        self.vold = vd;
        let (id, gd) = if vd >= -3.0 * self.nvt {
            let e = (vd / self.nvt).min(700.0).exp();
            (self.isat * (e - 1.0) + GMIN * vd, self.isat * e / self.nvt + GMIN)
        } else {
            let arg = 3.0 * self.nvt / (vd * std::f64::consts::E);
            let arg3 = arg * arg * arg;
            (-self.isat * (1.0 + arg3) + GMIN * vd, self.isat * 3.0 * arg3 / vd + GMIN)
        };
        // Linearised at the limited voltage.
        let i = id + gd * (vd_true - vd);
        add(&mut out.f, self.a, i);
        add(&mut out.f, self.b, -i);
        let mut c = 0.0;
        if self.cjo > 0.0 || self.tt > 0.0 {
            let fc = 0.5;
            let (qj, cj) = if self.cjo == 0.0 {
                (0.0, 0.0)
            } else if vd < fc * self.vj {
                let arg = 1.0 - vd / self.vj;
                let sarg = arg.powf(-self.m);
                (self.cjo * self.vj * (1.0 - arg * sarg) / (1.0 - self.m), self.cjo * sarg)
            } else {
                let f1 = self.vj * (1.0 - (1.0 - fc).powf(1.0 - self.m)) / (1.0 - self.m);
                let f2 = (1.0 - fc).powf(1.0 + self.m);
                let f3 = 1.0 - fc * (1.0 + self.m);
                let vf = fc * self.vj;
                (
                    self.cjo * (f1 + (f3 * (vd - vf) + self.m / (2.0 * self.vj) * (vd * vd - vf * vf)) / f2),
                    self.cjo / f2 * (f3 + self.m * vd / self.vj),
                )
            };
            let q = qj + self.tt * id + (cj + self.tt * gd) * (vd_true - vd);
            c = cj + self.tt * gd;
            add(&mut out.q, self.a, q);
            add(&mut out.q, self.b, -q);
        }
        if ctx.jac {
            stamp_g(&mut out.jac, &self.s, gd + ctx.cj * c);
        }
    }
}

fn fetlim(vnew: f64, vold: f64, vto: f64) -> f64 {
    let vtsthi = (2.0 * (vold - vto)).abs() + 2.0;
    let vtstlo = vtsthi / 2.0 + 2.0;
    let vtox = vto + 3.5;
    let delv = vnew - vold;
    let mut v = vnew;
    if vold >= vto {
        if vold >= vtox {
            if delv <= 0.0 {
                if vnew >= vtox {
                    if -delv > vtstlo {
                        v = vold - vtstlo;
                    }
                } else {
                    v = vnew.max(vto + 2.0);
                }
            } else if delv >= vtsthi {
                v = vold + vtsthi;
            }
        } else if delv <= 0.0 {
            v = vnew.max(vto - 0.5);
        } else {
            v = vnew.min(vto + 4.0);
        }
    } else if delv <= 0.0 {
        if -delv > vtsthi {
            v = vold - vtsthi;
        }
    } else {
        let vtemp = vto + 0.5;
        if vnew <= vtemp {
            if delv > vtstlo {
                v = vold + vtstlo;
            }
        } else {
            v = vtemp;
        }
    }
    v
}

fn limvds(vnew: f64, vold: f64) -> f64 {
    if vold >= 3.5 {
        if vnew > vold {
            vnew.min(3.0 * vold + 2.0)
        } else if vnew < 3.5 {
            vnew.max(2.0)
        } else {
            vnew
        }
    } else if vnew > vold {
        vnew.min(4.0)
    } else {
        vnew.max(-0.5)
    }
}

impl Mosfet {
    /// `(vgs, vds, vbs)` in the n-channel frame.
    fn terminal(&self, y: &[f64]) -> (f64, f64, f64) {
        let vs = get(y, self.s);
        (
            self.sign * (get(y, self.g) - vs),
            self.sign * (get(y, self.d) - vs),
            self.sign * (get(y, self.b) - vs),
        )
    }

    /// Level-1 drain current and its derivatives in the normal mode
    /// (`vds >= 0`): `(ids, gm, gds, gmbs)`.
    fn level1(&self, vgs: f64, vds: f64, vbs: f64) -> (f64, f64, f64, f64) {
        let sphi = self.phi.sqrt();
        let sarg = if vbs <= 0.0 { (self.phi - vbs).sqrt() } else { (sphi - vbs / (2.0 * sphi)).max(0.0) };
        let von = self.vto + self.gamma * (sarg - sphi);
        let vgst = vgs - von;
        if vgst <= 0.0 {
            return (0.0, 0.0, 0.0, 0.0);
        }
        let arg = if sarg > 0.0 { self.gamma / (2.0 * sarg) } else { 0.0 };
        let lam = 1.0 + self.lambda * vds;
        if vgst <= vds {
            let ids = 0.5 * self.beta * vgst * vgst * lam;
            let gm = self.beta * vgst * lam;
            let gds = 0.5 * self.lambda * self.beta * vgst * vgst;
            (ids, gm, gds, gm * arg)
        } else {
            let ids = self.beta * vds * (vgst - 0.5 * vds) * lam;
            let gm = self.beta * vds * lam;
            let gds = self.beta * (vgst - vds) * lam + self.lambda * self.beta * vds * (vgst - 0.5 * vds);
            (ids, gm, gds, gm * arg)
        }
    }

    fn eval(&mut self, y: &[f64], ctx: EvalCtx, out: &mut EvalOut) {
        let (vgs_t, vds_t, vbs_t) = self.terminal(y);
        let (mut vgs, mut vds) = (vgs_t, vds_t);
        if ctx.limit {
            // Limit in the frame of the previous iterate, as SPICE does.
            if self.vds_old >= 0.0 {
                vgs = fetlim(vgs_t, self.vgs_old, self.vto);
                vds = limvds(vds_t, self.vds_old);
            } else {
                let vgd = fetlim(vgs_t - vds_t, self.vgs_old - self.vds_old, self.vto);
                vds = -limvds(-vds_t, -self.vds_old);
                vgs = vgd + vds;
            }
            if (vgs - vgs_t).abs() > 1e-15 || (vds - vds_t).abs() > 1e-15 {
                out.limited = true;
            }
        }
        self.vgs_old = vgs;
        self.vds_old = vds;
        let vbs = vbs_t;
        // Normal or reversed mode.
        let (ids, gm, gds, gmbs, rev) = if vds >= 0.0 {
            let (i, a, b, c) = self.level1(vgs, vds, vbs);
            (i, a, b, c, false)
        } else {
            let (i, a, b, c) = self.level1(vgs - vds, -vds, vbs - vds);
            (i, a, b, c, true)
        };
        // The level-1 channel's conductance vanishes at the threshold (its
        // current is square-law above and zero below): near it, a chord
        // step with a Jacobian from another iterate is wrong by any factor
        // and can accept a solution picoamperes but hundreds of microvolts
        // off, or oscillate around it. Such an iterate asks for a fresh
        // Jacobian (SPICE refactors every iteration).
        let g = gm + gds + gmbs;
        if ctx.jac {
            self.g_jac = g;
        } else if ctx.limit && (g - self.g_jac).abs() > 0.5 * g.max(self.g_jac) && g.max(self.g_jac) > GMIN {
            out.stale = true;
        }
        // Linearised current into the (effective) drain, n-channel frame,
        // then the terminal current into drain `d`.
        let (dvgs, dvds, dvbs) = (vgs_t - vgs, vds_t - vds, 0.0);
        let i_n = if rev {
            // Effective drain is s; voltages relative to d.
            let (dvgd, dvsd) = (dvgs - dvds, -dvds);
            -(ids + gm * dvgd + gds * dvsd + gmbs * (dvbs - dvds))
        } else {
            ids + gm * dvgs + gds * dvds + gmbs * dvbs
        };
        let i_d = self.sign * i_n;
        add(&mut out.f, self.d, i_d);
        add(&mut out.f, self.s, -i_d);
        // Bulk-source and bulk-drain junctions with gmin across each, as
        // ngspice's MOS1: they give every drain and source a path to the bulk,
        // so the node between a cut-off device and a diode-connected one is
        // not left to the drain-source gmin divider (which can park it on the
        // diode's threshold, where its current and slope vanish).
        let vbd_t = vbs_t - vds_t;
        let (mut vbs_j, mut vbd_j) = (vbs_t, vbd_t);
        if ctx.limit {
            // The junction on the source side of the (limited) mode is
            // limited, the other follows from the limited vds.
            let lim;
            if vds >= 0.0 {
                (vbs_j, lim) = pnjlim(vbs_t, self.vbs_old, VT_NOMINAL, self.vcrit);
                vbd_j = vbs_j - vds;
            } else {
                (vbd_j, lim) = pnjlim(vbd_t, self.vbd_old, VT_NOMINAL, self.vcrit);
                vbs_j = vbd_j + vds;
            }
            out.limited |= lim;
        }
        self.vbs_old = vbs_j;
        self.vbd_old = vbd_j;
        let (cbs, gbs) = junction(self.isat, vbs_j);
        let (cbd, gbd) = junction(self.isat, vbd_j);
        // Currents from bulk into source and drain, linearised at the limited voltages.
        let i_bs = self.sign * (cbs + gbs * (vbs_t - vbs_j));
        let i_bd = self.sign * (cbd + gbd * (vbd_t - vbd_j));
        add(&mut out.f, self.b, i_bs + i_bd);
        add(&mut out.f, self.s, -i_bs);
        add(&mut out.f, self.d, -i_bd);
        if ctx.jac {
            // Rows (D', S') and columns (D', g, S', b) of the effective orientation.
            let sl = if rev { &self.slots_rev } else { &self.slots };
            let cols = [gds, gm, -(gm + gds + gmbs), gmbs];
            for (ci, g) in cols.iter().enumerate() {
                add(&mut out.jac, sl[0][ci], *g);
                add(&mut out.jac, sl[1][ci], -*g);
            }
            stamp_g(&mut out.jac, &self.slots_bs, gbs);
            stamp_g(&mut out.jac, &self.slots_bd, gbd);
        }
    }
}

/// A MOS1 bulk junction of saturation current `isat` at `v` (n-channel
/// frame), with gmin across it: `(current, conductance)`.
fn junction(isat: f64, v: f64) -> (f64, f64) {
    if v <= -3.0 * VT_NOMINAL {
        (GMIN * v - isat, GMIN)
    } else {
        let e = (v / VT_NOMINAL).min(700.0).exp();
        (isat * (e - 1.0) + GMIN * v, isat * e / VT_NOMINAL + GMIN)
    }
}
