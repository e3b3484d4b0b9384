//! I-V curves and energy landscapes per timescale (theory sections 2 and 3).
//!
//! A single-membrane neuron is a node (the *membrane*, usually `v`) with a
//! capacitor to ground and conductance branches. [`Membrane::new`] reads such
//! a circuit into branches, each with the current `i_k∞(v)` it carries at
//! steady state when the membrane sits at `v` volts:
//!
//! - resistors and nonlinear resistors from the membrane to ground act
//!   instantaneously (timescale 0);
//! - a memristive conductance from the membrane to ground contributes one
//!   timescale per internal state: `tau_s` of a linear relaxation, `τ(v_op)`
//!   of a kinetic one; at steady state its states sit at `x∞(v)`;
//! - a linear sub-network hanging off the membrane (resistors, DC voltage and
//!   current sources, at most one inductor, e.g. the FitzHugh-Nagumo
//!   inductor-resistor-battery branch) contributes its affine DC current
//!   `g v + i0`; its timescale is `L g` (`L/R`) with an inductor, 0 without;
//! - DC current sources between the membrane and ground are the external
//!   current `I_ext` (their `dc` value, else their waveform's value at
//!   `t = 0`, so a PULSE stimulus counts with its base level `v1`).
//!
//! The I-V curve at timescale `tau` around the operating point `v_op`
//! (theory section 3) is
//!
//! ```text
//! I_tau(v) = Σ_{tau_k <= tau} i_k∞(v) + Σ_{tau_k > tau} i_k∞(v_op) - I_ext
//! ```
//!
//! (a memristive state slower than `tau` is frozen at `x∞(v_op)`), so that
//! `C dv/dt = -I_tau(v)` at that scale, and its landscape is
//! `P_tau(v) = ∫ I_tau dv`. Equilibria are zeros of `I_tau`: *wells*
//! (minima of `P`, `I_tau` crossing upward) and *barriers* (maxima).
//! Folds are local extrema of `I_tau`.
//!
//! [`classify`] reads the behaviour from the sequence of landscapes; see
//! [`Behaviour`] for the rule.

use atscale_circuit::{
    Element, ElementKind, FlatCircuit, MemristiveLaw, Relaxation, ResistiveLaw, TranTiming, GROUND,
};
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The timescale of one branch or internal state of a membrane.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timescale {
    /// The element name.
    pub element: String,
    /// The internal state of a memristive element (index), if the timescale is a state's.
    pub state: Option<usize>,
    /// Time constant, s (0 for instantaneous elements).
    pub tau_s: f64,
}

/// How one branch carries current out of the membrane.
#[derive(Debug, Clone, PartialEq)]
enum BranchModel {
    /// `i = sign f(sign v)`: a nonlinear resistor, `sign = -1` when its
    /// positive node is ground.
    Resistive { law: ResistiveLaw<f64>, sign: f64 },
    /// `i = g v + i0` acting instantaneously (resistors, linear networks
    /// without inductor) or with timescale `tau_s` (with one inductor).
    Affine { g_siemens: f64, i0_amp: f64, tau_s: f64 },
    /// A memristive conductance to ground.
    Memristive { states: Vec<Relaxation<f64>>, law: MemristiveLaw<f64>, sign: f64 },
}

#[derive(Debug, Clone, PartialEq)]
struct Branch {
    name: String,
    model: BranchModel,
}

/// A single-membrane circuit read as conductance branches (see the module
/// documentation for what is accepted).
#[derive(Debug, Clone)]
pub struct Membrane {
    /// The membrane node.
    pub node: String,
    /// Total capacitance from the membrane to ground, F.
    pub capacitance_f: f64,
    /// DC current injected into the membrane by current sources, A.
    pub i_ext_amp: f64,
    branches: Vec<Branch>,
    /// Polled while curves are computed (default: the process-wide one).
    stop: Option<atscale_sim::StopCheck>,
}

/// The most distinct timescales a landscape analysis draws: each is a
/// landscape over every element, so the cost grows as their product.
pub const MAX_TIMESCALES: usize = 100;

fn unsupported(name: &str, class: &'static str, reason: impl Into<String>) -> Error {
    Error::UnsupportedElement {
        element: name.to_string(),
        class,
        analysis: "landscape",
        reason: reason.into(),
    }
}

/// The DC value of a source: its `dc` field, else its waveform at `t = 0`.
fn dc_value(waveform: &atscale_circuit::Waveform<f64>, dc: Option<f64>) -> f64 {
    dc.unwrap_or_else(|| waveform.initial_value(&TranTiming { tstep: 1.0, tstop: 1.0 }))
}

impl Membrane {
    /// Reads `circuit` as a membrane at node `membrane`.
    ///
    /// # Errors
    ///
    /// [`Error::NoMembrane`] without a capacitor from the node to ground;
    /// [`Error::UnsupportedElement`] for an element the analysis cannot
    /// read (diodes, MOSFETs, behavioural sources, a memristive element or
    /// nonlinear resistor not between the membrane and ground, capacitors or
    /// several inductors inside a side network, a voltage source on the
    /// membrane).
    pub fn new(circuit: &FlatCircuit, membrane: &str) -> Result<Membrane> {
        let is_m = |n: &str| n.eq_ignore_ascii_case(membrane);
        let mut capacitance_f = 0.0;
        let mut i_ext_amp = 0.0;
        let mut branches = Vec::new();
        // Elements not touching the membrane, or touching it and a non-ground node.
        let mut side: Vec<usize> = Vec::new();
        for (k, e) in circuit.elements.iter().enumerate() {
            let nodes = e.kind.nodes();
            let touches = nodes.iter().any(|n| is_m(n));
            if !touches {
                side.push(k);
                continue;
            }
            let (p, n) = (nodes[0], nodes.get(1).copied().unwrap_or(GROUND));
            let other = if is_m(p) { n } else { p };
            let sign = if is_m(p) { 1.0 } else { -1.0 };
            let to_ground = other == GROUND;
            match &e.kind {
                ElementKind::Capacitor { c_farad, .. } if to_ground => capacitance_f += c_farad,
                ElementKind::CurrentSource { waveform, dc, .. } if to_ground => {
                    // Current flows p -> n through the source: into the membrane when n is it.
                    i_ext_amp -= sign * dc_value(waveform, *dc);
                }
                ElementKind::Resistor { r_ohm, .. } if to_ground => branches.push(Branch {
                    name: e.name.clone(),
                    model: BranchModel::Affine { g_siemens: 1.0 / r_ohm, i0_amp: 0.0, tau_s: 0.0 },
                }),
                ElementKind::NonlinearResistor { law, .. } if to_ground => branches.push(Branch {
                    name: e.name.clone(),
                    model: BranchModel::Resistive { law: law.clone(), sign },
                }),
                ElementKind::Memristive { states, law, .. } if to_ground => branches.push(Branch {
                    name: e.name.clone(),
                    model: BranchModel::Memristive { states: states.clone(), law: law.clone(), sign },
                }),
                ElementKind::Resistor { .. } | ElementKind::Inductor { .. } if !to_ground => side.push(k),
                ElementKind::Capacitor { .. } | ElementKind::CurrentSource { .. } => side.push(k),
                other_kind => {
                    return Err(unsupported(
                        &e.name,
                        other_kind.class_name(),
                        "on the membrane only capacitors, current sources, resistors, nonlinear resistors \
                         and memristive elements to ground, and resistors or inductors into a linear \
                         side network are read",
                    ))
                }
            }
        }
        if capacitance_f <= 0.0 {
            return Err(Error::NoMembrane { node: membrane.to_string() });
        }
        branches.extend(side_networks(circuit, membrane, &side)?);
        let stop = atscale_sim::default_stop_check();
        Ok(Membrane { node: membrane.to_string(), capacitance_f, i_ext_amp, branches, stop })
    }

    /// The timescale of every branch and internal state, kinetic states
    /// evaluated at the operating point `v_op` (V), in circuit order.
    pub fn timescales(&self, v_op: f64) -> Vec<Timescale> {
        let mut out = Vec::new();
        for b in &self.branches {
            match &b.model {
                BranchModel::Resistive { .. } => {
                    out.push(Timescale { element: b.name.clone(), state: None, tau_s: 0.0 })
                }
                BranchModel::Affine { tau_s, .. } => {
                    out.push(Timescale { element: b.name.clone(), state: None, tau_s: *tau_s })
                }
                BranchModel::Memristive { states, sign, .. } => {
                    for (k, s) in states.iter().enumerate() {
                        out.push(Timescale {
                            element: b.name.clone(),
                            state: Some(k),
                            tau_s: s.time_constant(sign * v_op),
                        });
                    }
                }
            }
        }
        out
    }

    /// The distinct positive timescales, ascending, s.
    pub fn distinct_timescales(&self, v_op: f64) -> Vec<f64> {
        let mut taus: Vec<f64> = self
            .timescales(v_op)
            .into_iter()
            .map(|t| t.tau_s)
            .filter(|t| *t > 0.0 && t.is_finite())
            .collect();
        taus.sort_by(f64::total_cmp);
        taus.dedup_by(|a, b| (*a - *b).abs() <= 1e-12 * b.abs());
        taus
    }

    /// `I_tau(v)` in A: the current leaving the membrane at `v` (V) at timescale
    /// `tau` (s; `f64::INFINITY` for the coarsest scale) around `v_op` (V),
    /// minus the external current.
    pub fn current(&self, tau: f64, v_op: f64, v: f64) -> f64 {
        self.branch_current(tau, v_op, v) - self.i_ext_amp
    }

    /// The branch currents alone (without `I_ext`), A.
    fn branch_current(&self, tau: f64, v_op: f64, v: f64) -> f64 {
        let mut i = 0.0;
        let mut x = Vec::new();
        for b in &self.branches {
            i += match &b.model {
                BranchModel::Resistive { law, sign } => sign * law.current(sign * v),
                BranchModel::Affine { g_siemens, i0_amp, tau_s } => {
                    let u = if *tau_s <= tau { v } else { v_op };
                    g_siemens * u + i0_amp
                }
                BranchModel::Memristive { states, law, sign } => {
                    x.clear();
                    for s in states {
                        let u = if s.time_constant(sign * v_op) <= tau { v } else { v_op };
                        x.push(s.steady_state(sign * u));
                    }
                    sign * law.current(sign * v, &x)
                }
            };
        }
        i
    }

    /// The current leaving the membrane (A, minus `I_ext`) a time `t_s` (s)
    /// after an ideal voltage clamp stepped it from `v_hold` (V), where every
    /// branch had settled, to `v` (V), held there: each internal state (and
    /// an inductor branch's current) relaxes from its steady state at
    /// `v_hold` to that at `v` as `exp(-t/τ(v))`, exact for linear and
    /// kinetic relaxations and for a side network's inductor at a fixed
    /// membrane voltage. At `t_s = 0` it is [`Membrane::current`] at
    /// `tau = 0` around `v_op = v_hold`, at `t_s = ∞` at `tau = ∞`; between
    /// them it is not the landscape's step approximation (an element is not
    /// either settled or frozen: one time constant after the step it has
    /// gone 63 % of its way).
    pub fn relaxed_current(&self, v_hold: f64, v: f64, t_s: f64) -> f64 {
        let remaining = |tau: f64| if tau > 0.0 { (-t_s / tau).exp() } else { 0.0 };
        let mut i = 0.0;
        let mut x = Vec::new();
        for b in &self.branches {
            i += match &b.model {
                BranchModel::Resistive { law, sign } => sign * law.current(sign * v),
                BranchModel::Affine { g_siemens, i0_amp, tau_s } => {
                    g_siemens * (v + (v_hold - v) * remaining(*tau_s)) + i0_amp
                }
                BranchModel::Memristive { states, law, sign } => {
                    x.clear();
                    for s in states {
                        let (to, from) = (s.steady_state(sign * v), s.steady_state(sign * v_hold));
                        x.push(to + (from - to) * remaining(s.time_constant(sign * v)));
                    }
                    sign * law.current(sign * v, &x)
                }
            };
        }
        i - self.i_ext_amp
    }

    /// The shortest and longest positive time constants of the branches at
    /// any voltage of `v_grid` (V), s; `None` when every branch is instantaneous.
    pub fn timescale_range(&self, v_grid: &[f64]) -> Option<(f64, f64)> {
        let taus: Vec<f64> = v_grid
            .iter()
            .flat_map(|&v| self.timescales(v))
            .map(|t| t.tau_s)
            .filter(|t| *t > 0.0 && t.is_finite())
            .collect();
        let lo = taus.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = taus.iter().copied().fold(0.0, f64::max);
        (hi > 0.0).then_some((lo, hi))
    }

    /// Polls `stop` (an interruption, a time limit) instead of the process-wide check.
    pub fn with_stop_check(mut self, stop: atscale_sim::StopCheck) -> Membrane {
        self.stop = Some(stop);
        self
    }

    fn check_stop(&self) -> Result<()> {
        match self.stop.as_ref().and_then(atscale_sim::StopCheck::check) {
            Some(reason) => Err(Error::Stopped { reason }),
            None => Ok(()),
        }
    }

    /// The I-V curve and landscape at timescale `tau` (s) around `v_op` (V)
    /// on the voltage grid `v_grid` (V, strictly increasing, at least 3 points).
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] for a grid that is too short, not increasing
    /// or not finite; [`Error::Stopped`] when the stop check fires.
    pub fn iv_curve(&self, tau: f64, v_op: f64, v_grid: &[f64]) -> Result<IvCurve> {
        check_grid(v_grid)?;
        let f = |v: f64| self.current(tau, v_op, v);
        let mut current_a = Vec::with_capacity(v_grid.len());
        for (k, &v) in v_grid.iter().enumerate() {
            if k % 64 == 0 {
                self.check_stop()?;
            }
            current_a.push(f(v));
        }
        let potential_j = cumulative_integral(v_grid, &current_a);
        // Sign changes between grid points (Brent), and zeros exactly on an
        // interior grid point with neighbours of opposite signs.
        let mut critical = Vec::new();
        for k in 0..v_grid.len() - 1 {
            let (fa, fb) = (current_a[k], current_a[k + 1]);
            if fa != 0.0 && fb != 0.0 && fa.signum() != fb.signum() {
                let v = brent(&f, v_grid[k], v_grid[k + 1], fa, fb);
                let nature = if fb > fa { Nature::Well } else { Nature::Barrier };
                critical.push(CriticalPoint { v_volt: v, nature });
            } else if fb == 0.0 && k + 2 < v_grid.len() {
                let next = current_a[k + 2];
                if fa != 0.0 && next != 0.0 && fa.signum() != next.signum() {
                    let nature = if next > fa { Nature::Well } else { Nature::Barrier };
                    critical.push(CriticalPoint { v_volt: v_grid[k + 1], nature });
                }
            }
        }
        let mut folds = Vec::new();
        for k in 1..v_grid.len() - 1 {
            let (l, m, r) = (current_a[k - 1], current_a[k], current_a[k + 1]);
            let kind = if m > l && m >= r {
                FoldKind::Maximum
            } else if m < l && m <= r {
                FoldKind::Minimum
            } else {
                continue;
            };
            let s = if kind == FoldKind::Maximum { -1.0 } else { 1.0 };
            let v = golden_min(&|v| s * f(v), v_grid[k - 1], v_grid[k + 1]);
            let i_tau = f(v);
            folds.push(Fold { v_volt: v, current_a: i_tau, threshold_amp: i_tau + self.i_ext_amp, kind });
        }
        Ok(IvCurve {
            tau_s: tau,
            v_op_volt: v_op,
            v_volt: v_grid.to_vec(),
            current_a,
            potential_j,
            critical,
            folds,
        })
    }

    /// The number of critical points of the landscape at each timescale of
    /// `taus` (s) around `v_op` (V), on the grid `v_grid` (V).
    ///
    /// # Errors
    ///
    /// As [`Membrane::iv_curve`].
    pub fn fingerprint(&self, v_op: f64, taus: &[f64], v_grid: &[f64]) -> Result<Vec<(f64, usize)>> {
        taus.iter().map(|&t| Ok((t, self.iv_curve(t, v_op, v_grid)?.critical.len()))).collect()
    }

    /// Classifies the behaviour from the landscapes across timescales on the
    /// grid `v_grid` (V); see [`Behaviour`] for the rule.
    ///
    /// # Errors
    ///
    /// As [`Membrane::iv_curve`]; [`Error::BadParameter`] when the coarsest
    /// landscape has no equilibrium on the grid (widen it).
    pub fn classify(&self, v_grid: &[f64]) -> Result<Classification> {
        // The coarsest landscape does not depend on v_op: every branch is at steady state.
        let coarse = self.iv_curve(f64::INFINITY, 0.0, v_grid)?;
        let Some(first) = coarse.critical.first() else {
            return Err(Error::BadParameter {
                name: "voltage grid end (V)".into(),
                requirement: "wide enough to contain an equilibrium of the coarsest landscape",
                value: v_grid.last().copied().unwrap_or(f64::NAN),
            });
        };
        let v_op = first.v_volt;
        let mut scales = vec![0.0];
        scales.extend(self.distinct_timescales(v_op));
        if scales.len() > MAX_TIMESCALES {
            return Err(Error::TooManyTimescales { count: scales.len() - 1, limit: MAX_TIMESCALES });
        }
        let mut curves = Vec::with_capacity(scales.len());
        for (j, &tau) in scales.iter().enumerate() {
            // The last finite scale is the coarsest: everything at steady state.
            let t = if j + 1 == scales.len() { f64::INFINITY } else { tau };
            curves.push(self.iv_curve(t, v_op, v_grid)?);
        }
        let fingerprint: Vec<(f64, usize)> =
            scales.iter().zip(&curves).map(|(t, c)| (*t, c.critical.len())).collect();
        let behaviour = if coarse.critical.len() >= 3 {
            Behaviour::Bistable
        } else {
            let last = curves.len() - 1;
            let memory: Vec<usize> = (0..last).filter(|&j| curves[j].critical.len() >= 3).collect();
            match memory.first() {
                None => Behaviour::Monostable,
                Some(&j0) => {
                    let slow_negative = memory.iter().any(|&j| {
                        j > j0
                            && v_grid.windows(2).any(|w| {
                                let d = |v: f64| {
                                    self.current(scales[j], v_op, v) - self.current(scales[j0], v_op, v)
                                };
                                d(w[1]) < d(w[0])
                            })
                    });
                    let h = 1e-6 * (v_grid[v_grid.len() - 1] - v_grid[0]);
                    let fine = |v: f64| self.current(scales[j0], v_op, v);
                    let slope = (fine(v_op + h) - fine(v_op - h)) / (2.0 * h);
                    if slow_negative {
                        Behaviour::Bursting
                    } else if slope < 0.0 {
                        Behaviour::TonicSpiking
                    } else {
                        Behaviour::Excitable
                    }
                }
            }
        };
        Ok(Classification { behaviour, v_op_volt: v_op, fingerprint, curves })
    }
}

/// The branches of the linear side networks hanging off the membrane.
fn side_networks(circuit: &FlatCircuit, membrane: &str, side: &[usize]) -> Result<Vec<Branch>> {
    let is_m = |n: &str| n.eq_ignore_ascii_case(membrane);
    // Components of the side nodes (not membrane, not ground), by union-find.
    let mut nodes: Vec<String> = Vec::new();
    let index = |n: &str, nodes: &mut Vec<String>| -> Option<usize> {
        if n == GROUND || is_m(n) {
            return None;
        }
        Some(nodes.iter().position(|m| m == n).unwrap_or_else(|| {
            nodes.push(n.to_string());
            nodes.len() - 1
        }))
    };
    let mut terminals: Vec<(Option<usize>, Option<usize>)> = Vec::new();
    for &k in side {
        let ns = circuit.elements[k].kind.nodes();
        let p = index(ns[0], &mut nodes);
        let n = index(ns.get(1).copied().unwrap_or(GROUND), &mut nodes);
        terminals.push((p, n));
    }
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn find(parent: &mut [usize], mut a: usize) -> usize {
        while parent[a] != a {
            parent[a] = parent[parent[a]];
            a = parent[a];
        }
        a
    }
    for &(p, n) in &terminals {
        if let (Some(a), Some(b)) = (p, n) {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            parent[ra] = rb;
        }
    }
    let mut roots: Vec<usize> = Vec::new();
    for a in 0..nodes.len() {
        let r = find(&mut parent, a);
        if !roots.contains(&r) {
            roots.push(r);
        }
    }
    let mut out = Vec::new();
    for root in roots {
        let comp: Vec<usize> = (0..nodes.len()).filter(|&a| find(&mut parent, a) == root).collect();
        let members: Vec<usize> = (0..side.len())
            .filter(|&j| {
                let (p, n) = terminals[j];
                p.or(n).is_some_and(|a| comp.contains(&a))
            })
            .collect();
        // A component not attached to the membrane does not load it.
        let attached =
            members.iter().any(|&j| circuit.elements[side[j]].kind.nodes().iter().any(|n| is_m(n)));
        if !attached {
            continue;
        }
        out.push(solve_side(circuit, membrane, side, &members, &terminals, &comp)?);
    }
    Ok(out)
}

/// One linear side network of the membrane: its elements (`members`,
/// indices into `side`), their terminals and the network's free nodes (`comp`).
struct SideNetwork<'a> {
    circuit: &'a FlatCircuit,
    membrane: &'a str,
    side: &'a [usize],
    members: &'a [usize],
    terminals: &'a [(Option<usize>, Option<usize>)],
    comp: &'a [usize],
}

/// A linear system of a side network, and the branch rows of the elements on the membrane.
struct SideSystem {
    a: DMatrix<f64>,
    rhs: DVector<f64>,
    /// `(member, branch row)` of the branches attached to the membrane.
    stamps: Vec<(usize, usize)>,
}

/// Solves one linear side network at DC for the current it draws from the
/// membrane at 0 V and 1 V.
fn solve_side(
    circuit: &FlatCircuit,
    membrane: &str,
    side: &[usize],
    members: &[usize],
    terminals: &[(Option<usize>, Option<usize>)],
    comp: &[usize],
) -> Result<Branch> {
    let net = SideNetwork { circuit, membrane, side, members, terminals, comp };
    let (n_branch, inductor) = net.branches()?;
    let name = members.iter().map(|&j| net.element(j).name.as_str()).collect::<Vec<_>>().join("+");
    let (Some(i0), Some(i1)) = (net.current(0.0, n_branch), net.current(1.0, n_branch)) else {
        return Err(unsupported(&name, "side network", "its DC equations are singular"));
    };
    let g = i1 - i0;
    let tau_s = match inductor {
        None => 0.0,
        Some((j, l)) => net.inductor_tau(j, l, g)?,
    };
    Ok(Branch { name, model: BranchModel::Affine { g_siemens: g, i0_amp: i0, tau_s } })
}

impl SideNetwork<'_> {
    fn element(&self, j: usize) -> &Element<f64> {
        &self.circuit.elements[self.side[j]]
    }

    fn is_m(&self, n: &str) -> bool {
        n.eq_ignore_ascii_case(self.membrane)
    }

    fn on_membrane(&self, j: usize) -> bool {
        self.element(j).kind.nodes().iter().any(|n| self.is_m(n))
    }

    fn local(&self, a: Option<usize>) -> Option<usize> {
        a.and_then(|a| self.comp.iter().position(|&c| c == a))
    }

    /// The number of branch unknowns (voltage sources and inductors, shorts
    /// at DC) and the inductor, if any, as `(member, L)`; refuses any other
    /// element and a second inductor.
    fn branches(&self) -> Result<(usize, Option<(usize, f64)>)> {
        let mut n_branch = 0;
        let mut inductors = Vec::new();
        for &j in self.members {
            let e = self.element(j);
            match &e.kind {
                ElementKind::Resistor { .. } | ElementKind::CurrentSource { .. } => {}
                ElementKind::VoltageSource { .. } => n_branch += 1,
                ElementKind::Inductor { l_henry, .. } => {
                    inductors.push((j, *l_henry));
                    n_branch += 1;
                }
                other => {
                    return Err(unsupported(
                        &e.name,
                        other.class_name(),
                        "a side network of the membrane may hold only resistors, DC sources and one inductor",
                    ))
                }
            }
        }
        if let Some(&(j, _)) = inductors.get(1) {
            let e = self.element(j);
            return Err(unsupported(
                &e.name,
                e.kind.class_name(),
                "a side network may hold at most one inductor",
            ));
        }
        Ok((n_branch, inductors.first().copied()))
    }

    /// The DC system with the membrane held at `vm`.
    fn assemble(&self, vm: f64, n_branch: usize) -> SideSystem {
        let nn = self.comp.len();
        let mut s = SideSystem {
            a: DMatrix::zeros(nn + n_branch, nn + n_branch),
            rhs: DVector::zeros(nn + n_branch),
            stamps: Vec::new(),
        };
        let mut br = nn;
        for &j in self.members {
            let e = self.element(j);
            let ns = e.kind.nodes();
            let (p, n) = (self.local(self.terminals[j].0), self.local(self.terminals[j].1));
            // Voltage of a fixed terminal: the membrane at vm, ground at 0.
            let fixed = |name: &str| if self.is_m(name) { vm } else { 0.0 };
            let (fp, fnn) = (fixed(ns[0]), fixed(ns[1]));
            match &e.kind {
                ElementKind::Resistor { r_ohm, .. } => s.conductance(p, n, 1.0 / r_ohm, fp, fnn),
                ElementKind::CurrentSource { waveform, dc, .. } => s.current(p, n, dc_value(waveform, *dc)),
                ElementKind::VoltageSource { .. } | ElementKind::Inductor { .. } => {
                    let vsrc = match &e.kind {
                        ElementKind::VoltageSource { waveform, dc, .. } => dc_value(waveform, *dc),
                        _ => 0.0,
                    };
                    // Branch current flows p -> n through the element.
                    let mut known = vsrc;
                    if p.is_none() {
                        known -= fp;
                    }
                    if n.is_none() {
                        known += fnn;
                    }
                    s.branch(br, p, n, known);
                    if self.is_m(ns[0]) || self.is_m(ns[1]) {
                        s.stamps.push((j, br));
                    }
                    br += 1;
                }
                _ => {}
            }
        }
        s
    }

    /// The current leaving the membrane into the network with the membrane at `vm`.
    fn current(&self, vm: f64, n_branch: usize) -> Option<f64> {
        let s = self.assemble(vm, n_branch);
        let x = s.a.lu().solve(&s.rhs)?;
        let mut i = 0.0;
        for &j in self.members {
            let e = self.element(j);
            let ns = e.kind.nodes();
            let sign = if self.is_m(ns[0]) {
                1.0
            } else if self.is_m(ns[1]) {
                -1.0
            } else {
                continue;
            };
            match &e.kind {
                ElementKind::Resistor { r_ohm, .. } => {
                    let (p, n) = self.terminals[j];
                    let other = if sign > 0.0 { self.local(n) } else { self.local(p) };
                    i += (vm - other.map_or(0.0, |o| x[o])) / r_ohm;
                }
                ElementKind::CurrentSource { waveform, dc, .. } => i += sign * dc_value(waveform, *dc),
                _ => {
                    if let Some(&(_, row)) = s.stamps.iter().find(|(m, _)| *m == j) {
                        i += sign * x[row];
                    }
                }
            }
        }
        Some(i)
    }

    /// The time constant `L g` of the network's inductor, which must be the
    /// only element joining it to the membrane, in series with a positive resistance.
    fn inductor_tau(&self, j: usize, l: f64, g: f64) -> Result<f64> {
        let n_attached = self.members.iter().filter(|&&m| self.on_membrane(m)).count();
        if !self.on_membrane(j) || n_attached != 1 || g <= 0.0 {
            let e = self.element(j);
            return Err(unsupported(
                &e.name,
                e.kind.class_name(),
                "an inductor must be the only element joining its side network to the membrane, \
                 in series with a positive resistance",
            ));
        }
        Ok(l * g)
    }
}

impl SideSystem {
    /// A conductance `g` between `p` and `n`; a fixed terminal (`None`) at `fp` or `fnn`.
    fn conductance(&mut self, p: Option<usize>, n: Option<usize>, g: f64, fp: f64, fnn: f64) {
        match (p, n) {
            (Some(p), Some(n)) => {
                self.a[(p, p)] += g;
                self.a[(n, n)] += g;
                self.a[(p, n)] -= g;
                self.a[(n, p)] -= g;
            }
            (Some(p), None) => {
                self.a[(p, p)] += g;
                self.rhs[p] += g * fnn;
            }
            (None, Some(n)) => {
                self.a[(n, n)] += g;
                self.rhs[n] += g * fp;
            }
            (None, None) => {}
        }
    }

    /// A current `i` from `p` through the source to `n`.
    fn current(&mut self, p: Option<usize>, n: Option<usize>, i: f64) {
        if let Some(p) = p {
            self.rhs[p] -= i;
        }
        if let Some(n) = n {
            self.rhs[n] += i;
        }
    }

    /// A branch current unknown at row `br` flowing `p -> n`, with `v(p) - v(n)`
    /// equal to `known` once the fixed terminals are moved to the right.
    fn branch(&mut self, br: usize, p: Option<usize>, n: Option<usize>, known: f64) {
        if let Some(p) = p {
            self.a[(p, br)] += 1.0;
            self.a[(br, p)] += 1.0;
        }
        if let Some(n) = n {
            self.a[(n, br)] -= 1.0;
            self.a[(br, n)] -= 1.0;
        }
        self.rhs[br] = known;
    }
}

/// The nature of a critical point of a landscape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// A minimum of `P_tau` (`I_tau` crosses zero upward): a stable equilibrium at that scale.
    Well,
    /// A maximum of `P_tau` (`I_tau` crosses zero downward): a threshold.
    Barrier,
}

/// A critical point of a landscape: an equilibrium at that timescale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CriticalPoint {
    /// Membrane voltage, V.
    pub v_volt: f64,
    /// Well or barrier.
    pub nature: Nature,
}

/// Whether a fold is a local maximum or minimum of `I_tau`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoldKind {
    /// Local maximum of `I_tau`.
    Maximum,
    /// Local minimum of `I_tau`.
    Minimum,
}

/// A fold of the I-V curve: a local extremum of `I_tau`, where two
/// critical points meet as the external current changes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fold {
    /// Membrane voltage, V.
    pub v_volt: f64,
    /// `I_tau` at the fold, A (external current included).
    pub current_a: f64,
    /// The external DC current at which this fold is an equilibrium, A:
    /// the branch currents at the fold, `current_a + I_ext`. A threshold.
    pub threshold_amp: f64,
    /// Maximum or minimum.
    pub kind: FoldKind,
}

/// The I-V curve and landscape at one timescale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IvCurve {
    /// The timescale, s (`inf` for the coarsest; JSON writes it `null`,
    /// which reads back as `inf`).
    #[serde(deserialize_with = "inf_if_null")]
    pub tau_s: f64,
    /// The operating point slower elements are frozen at, V.
    pub v_op_volt: f64,
    /// The voltage grid, V.
    pub v_volt: Vec<f64>,
    /// `I_tau` on the grid, A.
    pub current_a: Vec<f64>,
    /// `P_tau = ∫ I_tau dv` on the grid, W (V·A); zero at the first grid
    /// point (each interval by the cubic through its four nearest samples).
    pub potential_j: Vec<f64>,
    /// Zeros of `I_tau` strictly inside the grid, ascending (sign changes
    /// located by Brent's method to machine precision; tangential zeros
    /// without a sign change are not seen).
    pub critical: Vec<CriticalPoint>,
    /// Local extrema of `I_tau`, ascending.
    pub folds: Vec<Fold>,
}

impl IvCurve {
    /// The critical points (zeros of `I_tau`), ascending in voltage.
    pub fn critical_points(&self) -> &[CriticalPoint] {
        &self.critical
    }

    /// The folds (local extrema of `I_tau`), ascending in voltage.
    pub fn folds(&self) -> &[Fold] {
        &self.folds
    }

    /// The number of wells.
    pub fn wells(&self) -> usize {
        self.critical.iter().filter(|c| c.nature == Nature::Well).count()
    }
}

/// The behaviour read from the landscapes across timescales.
///
/// The rule, with `v*` the first (lowest) equilibrium of the coarsest
/// landscape (every element at steady state), the scales `0 < tau_1 < ... <
/// tau_m` (instantaneous, then each distinct element timescale at `v*`, the
/// last one read as the coarsest, `tau = ∞`), every landscape taken around
/// `v_op = v*` (so `v*` is a critical point of each), and "double well" =
/// at least three critical points on the grid:
///
/// 1. the coarsest landscape is a double well: [`Bistable`](Self::Bistable);
/// 2. else, no finer scale is a double well: [`Monostable`](Self::Monostable);
/// 3. else, with `j0` the finest double-well scale: if a slower scale
///    `j > j0` below the coarsest is also a double well and the elements
///    added between `j0` and `j` have a negative slope somewhere on the grid
///    (slow negative conductance): [`Bursting`](Self::Bursting);
/// 4. else, if `dI_{j0}/dv (v*) < 0` (the coarse equilibrium sits on the
///    negative-slope branch of the fine curve: a barrier of the fine
///    landscape, so it cannot rest): [`TonicSpiking`](Self::TonicSpiking);
/// 5. else (it rests in a well, a barrier away from the other well):
///    [`Excitable`](Self::Excitable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    /// One well at every scale: fading memory.
    Monostable,
    /// A double well at the coarsest scale: memory.
    Bistable,
    /// Double well at a fine scale, convex coarse, resting in a fine-scale well.
    Excitable,
    /// Double well at a fine scale, convex coarse, coarse equilibrium on the
    /// fine negative-slope branch.
    TonicSpiking,
    /// Double wells at a fine and a slower scale (slow negative conductance),
    /// convex at the slowest.
    Bursting,
}

/// The result of [`classify`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// The behaviour.
    pub behaviour: Behaviour,
    /// The coarse-scale equilibrium every landscape is taken around, V.
    pub v_op_volt: f64,
    /// `(tau_s, number of critical points)` per scale, the last scale being the coarsest.
    pub fingerprint: Vec<(f64, usize)>,
    /// The landscapes, one per scale.
    pub curves: Vec<IvCurve>,
}

/// The timescales of the branches of `circuit` at `membrane` (see [`Membrane::timescales`]).
///
/// # Errors
///
/// As [`Membrane::new`].
pub fn timescales(circuit: &FlatCircuit, membrane: &str, v_op: f64) -> Result<Vec<Timescale>> {
    Ok(Membrane::new(circuit, membrane)?.timescales(v_op))
}

/// The I-V curve at timescale `tau` (s) around `v_op` (V) on `v_grid` (V).
///
/// # Errors
///
/// As [`Membrane::new`] and [`Membrane::iv_curve`].
pub fn iv_curve(
    circuit: &FlatCircuit,
    membrane: &str,
    tau: f64,
    v_op: f64,
    v_grid: &[f64],
) -> Result<IvCurve> {
    Membrane::new(circuit, membrane)?.iv_curve(tau, v_op, v_grid)
}

/// The behaviour of `circuit` at `membrane` on the voltage grid `v_grid` (V).
///
/// # Errors
///
/// As [`Membrane::new`] and [`Membrane::classify`].
pub fn classify(circuit: &FlatCircuit, membrane: &str, v_grid: &[f64]) -> Result<Classification> {
    Membrane::new(circuit, membrane)?.classify(v_grid)
}

/// The number of critical points versus timescale (see [`Membrane::fingerprint`]).
///
/// # Errors
///
/// As [`Membrane::new`] and [`Membrane::iv_curve`].
pub fn fingerprint(
    circuit: &FlatCircuit,
    membrane: &str,
    v_op: f64,
    taus: &[f64],
    v_grid: &[f64],
) -> Result<Vec<(f64, usize)>> {
    Membrane::new(circuit, membrane)?.fingerprint(v_op, taus, v_grid)
}

/// Whether `(lo, hi)` (V) is a window the analyses can sample: finite,
/// `lo < hi`, within ±1 kV and at least 1 µV wide (else the reason).
///
/// # Errors
///
/// The reason, as a phrase, when it is not.
pub fn check_voltage_window(lo: f64, hi: f64) -> std::result::Result<(), &'static str> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        Err("needs finite LO < HI")
    } else if lo.abs().max(hi.abs()) > 1e3 || hi - lo < 1e-6 {
        Err("the range must lie within -1 kV..1 kV and span at least 1 µV")
    } else {
        Ok(())
    }
}

/// `n` evenly spaced values from `a` to `b` inclusive.
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    let m = n.max(2) - 1;
    (0..=m).map(|k| a + (b - a) * k as f64 / m as f64).collect()
}

fn check_grid(v: &[f64]) -> Result<()> {
    let ok = v.len() >= 3 && v.iter().all(|x| x.is_finite()) && v.windows(2).all(|w| w[1] > w[0]);
    if ok {
        Ok(())
    } else {
        Err(Error::BadParameter {
            name: "voltage grid (V)".into(),
            requirement: "finite, strictly increasing, with at least 3 points",
            value: v.len() as f64,
        })
    }
}

/// Brent's root finder on `[a, b]` with `f(a) = fa`, `f(b) = fb` of opposite signs.
fn brent(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64, mut fa: f64, mut fb: f64) -> f64 {
    if fa.abs() < fb.abs() {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut fa, &mut fb);
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut bisected = true;
    for _ in 0..200 {
        if fb == 0.0 || (b - a).abs() <= 4.0 * f64::EPSILON * b.abs().max(1e-300) {
            break;
        }
        let mut s = if fa != fc && fb != fc {
            a * fb * fc / ((fa - fb) * (fa - fc))
                + b * fa * fc / ((fb - fa) * (fb - fc))
                + c * fa * fb / ((fc - fa) * (fc - fb))
        } else {
            b - fb * (b - a) / (fb - fa)
        };
        let lo = (3.0 * a + b) / 4.0;
        let between = (s > lo.min(b)) && (s < lo.max(b));
        let tol = 2.0 * f64::EPSILON * b.abs();
        if !between
            || (bisected && (s - b).abs() >= (b - c).abs() / 2.0)
            || (!bisected && (s - b).abs() >= (c - d).abs() / 2.0)
            || (bisected && (b - c).abs() < tol)
            || (!bisected && (c - d).abs() < tol)
        {
            s = (a + b) / 2.0;
            bisected = true;
        } else {
            bisected = false;
        }
        let fs = f(s);
        d = c;
        c = b;
        fc = fb;
        if fa.signum() != fs.signum() {
            b = s;
            fb = fs;
        } else {
            a = s;
            fa = fs;
        }
        if fa.abs() < fb.abs() {
            std::mem::swap(&mut a, &mut b);
            std::mem::swap(&mut fa, &mut fb);
        }
    }
    b
}

/// Golden-section minimisation of `f` on `[a, b]`.
fn golden_min(f: &dyn Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = b - r * (b - a);
    let mut x2 = a + r * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..200 {
        if (b - a).abs() <= 1e-12 * (a.abs() + b.abs()).max(1e-300) {
            break;
        }
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - r * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + r * (b - a);
            f2 = f(x2);
        }
    }
    (a + b) / 2.0
}

/// The cumulative integral of samples `y` at increasing abscissae `x`,
/// zero at `x[0]`: each interval by the cubic through its four nearest
/// samples (the quadratic through three at the ends, the trapezoid with two
/// samples), exact for cubics on any spacing.
pub(crate) fn cumulative_integral(x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len().min(y.len());
    let mut out = vec![0.0; n];
    for i in 0..n.saturating_sub(1) {
        let (lo, hi) = if n < 3 {
            (i, i + 1)
        } else if n == 3 {
            (0, 2)
        } else {
            let lo = i.saturating_sub(1).min(n - 4);
            (lo, lo + 3)
        };
        out[i + 1] = out[i] + interval_integral(&x[lo..=hi], &y[lo..=hi], x[i], x[i + 1]);
    }
    out
}

/// `∫_a^b` of the polynomial interpolating `(xs, ys)` (up to 4 points).
/// Allocation-free: it runs once per output interval of an energy account.
fn interval_integral(xs: &[f64], ys: &[f64], a: f64, b: f64) -> f64 {
    let h = b - a;
    if h == 0.0 {
        return 0.0;
    }
    let n = xs.len().min(ys.len()).min(4);
    // Scaled abscissae s = (x - a)/h; integrate each Lagrange basis over [0, 1].
    let mut s = [0.0; 4];
    for (sk, x) in s.iter_mut().zip(&xs[..n]) {
        *sk = (x - a) / h;
    }
    let mut total = 0.0;
    for j in 0..n {
        // Coefficients of Π_{m≠j} (s - s_m), ascending powers (degree < 4).
        let mut c = [0.0; 5];
        c[0] = 1.0;
        let mut len = 1;
        let mut denom = 1.0;
        for m in (0..n).filter(|&m| m != j) {
            for k in (0..len).rev() {
                c[k + 1] += c[k];
                c[k] *= -s[m];
            }
            len += 1;
            denom *= s[j] - s[m];
        }
        let integral: f64 = c[..len].iter().enumerate().map(|(k, ck)| ck / (k + 1) as f64).sum();
        total += ys[j] * integral / denom;
    }
    total * h
}

/// Reads a number that JSON wrote as `null` because it was infinite.
fn inf_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
}
