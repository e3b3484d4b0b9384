//! The voltage clamp: the landscape of any circuit measured as
//! electrophysiologists measure I-V curves (issue 18).
//!
//! The membrane node is held by an ideal voltage source at a holding
//! potential `v_h` until every branch has settled (each run starts from its
//! DC operating point with the source at `v_h`), then stepped to a voltage
//! `v` of a grid and held there; the current the source injects into the
//! membrane is read at chosen times after the step. Once the step's ramp is
//! over the membrane capacitor carries no current, so the clamp current is
//! the current leaving the membrane through its branches minus `I_ext`:
//! the sign convention of [`crate::landscape`]'s `I_tau(v)`.
//!
//! What each read time measures:
//!
//! - [`ReadSpec::Instant`], just after the step: the fast elements have
//!   settled at `v`, the slow states are still at their values at `v_h`:
//!   the landscape's finest curve `I_0(v)` around `v_op = v_h`;
//! - [`ReadSpec::Steady`], long after: every state at its steady state at
//!   `v`, the coarsest curve `I_∞(v)`;
//! - [`ReadSpec::After`] a time `t`: each state has relaxed from its value at
//!   `v_h` towards that at `v` by `1 - exp(-t/τ(v))`
//!   ([`Membrane::relaxed_current`]). The landscape's `I_tau` is the step
//!   approximation of this (settled if `τ <= tau`, frozen else): at
//!   `t = τ_k` the clamp sees element `k` 63 % of its way, and the slower
//!   ones already moving.
//!
//! This module is the pure part: the protocol and its timing, the clamped
//! circuit and its analysis, currents read from a run's samples, curves,
//! potentials `P = ∫ I dv` and critical points, and the prediction of a
//! [`Membrane`] in the clamped circuit's units. The runs are in
//! `atscale-explore`.

use atscale_circuit::units::si;
use atscale_circuit::{Analysis, Element, ElementKind, FlatCircuit, Method, Tran, Waveform, GROUND};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::landscape::{cumulative_integral, CriticalPoint, Membrane, Nature};

/// "Instantaneous" is read this fraction of the fastest time constant after
/// the step when every fast element is algebraic (a behavioural membrane):
/// the slow states have then moved by about 1e-8 of their way.
pub const INSTANT_FRACTION_ALGEBRAIC: f64 = 1e-8;
/// "Instantaneous" for a circuit with internal dynamics of its own
/// (transistors and their capacitances), as a fraction of the fastest
/// designed time constant: subthreshold amplifiers at picoamperes settle
/// their internal nodes in tens of microseconds (measured on the
/// four-conductance spiker in `generic-bsim4`: at its lowest step the
/// clamp current 1 µs after the step was 3.5 times its value at 30 µs, 10
/// ms being the fastest designed time constant), so "instantaneous" is read
/// when the slow states have moved by about 1 % of their way (the
/// prediction at the same time includes that move).
pub const INSTANT_FRACTION_DEVICES: f64 = 1e-2;
/// "Steady" is read this many slowest time constants after the step
/// (`exp(-40)` = 4e-18 of the way left).
pub const STEADY_MULTIPLE: f64 = 40.0;
/// The settling check reads the current again at this fraction of the
/// steady read time (`exp(-30)` left for a pure exponential).
pub const SETTLE_CHECK_FRACTION: f64 = 0.75;
/// The fewest voltages of a clamp protocol.
pub const MIN_STEPS: usize = 3;

/// When the clamp current is read after the step, as asked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReadSpec {
    /// Just after the step: fast elements settled, slow states not yet moved.
    Instant,
    /// A time after the step's end, s.
    After {
        /// The time, s (positive).
        t_s: f64,
    },
    /// Steady state.
    Steady,
}

/// A read time resolved to seconds after the step's end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ReadTime {
    /// As asked.
    pub spec: ReadSpec,
    /// Seconds after the step's end.
    pub t_s: f64,
}

impl ReadTime {
    /// A label: `instantaneous`, `steady state`, or the time with its unit.
    pub fn label(&self) -> String {
        match self.spec {
            ReadSpec::Instant => "instantaneous".into(),
            ReadSpec::Steady => "steady state".into(),
            ReadSpec::After { t_s } => format!("{} after the step", si(t_s, "s")),
        }
    }
}

/// The read times of `instant` and `steady`, s after the step's end.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// When `instant` is read, s.
    pub instant_s: f64,
    /// When `steady` is read, s.
    pub steady_s: f64,
}

impl Timing {
    /// `instant` at `instant_fraction` of the fastest time constant `tau_min`
    /// (s), `steady` at [`STEADY_MULTIPLE`] times the slowest `tau_max` (s).
    pub fn from_timescales(tau_min: f64, tau_max: f64, instant_fraction: f64) -> Timing {
        Timing { instant_s: instant_fraction * tau_min, steady_s: STEADY_MULTIPLE * tau_max }
    }
}

/// A clamp protocol: the node, the holding potential, the step voltages,
/// the read times and the runs that read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// The clamped node.
    pub node: String,
    /// Holding potential, V.
    pub hold_v: f64,
    /// Step voltages, V (strictly increasing).
    pub steps_v: Vec<f64>,
    /// Read times, in the order asked.
    pub reads: Vec<ReadTime>,
    /// The runs of each step voltage, each reading a group of read times.
    pub runs: Vec<RunPlan>,
}

/// One transient run of each step voltage: the clamp source holds
/// `hold_v` for `ramp_s`, ramps linearly to the step voltage over `ramp_s`,
/// and holds it to `tstop_s`. Times after the step count from the middle of
/// the ramp: to first order in `ramp_s / τ` a ramp acts on every slow state
/// as a step at its middle, so what is left is of order `(ramp_s / τ)²`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunPlan {
    /// The read times this run reads (indices into [`Protocol::reads`]).
    pub reads: Vec<usize>,
    /// Whether it also reads the settling check.
    pub settle_check: bool,
    /// The ramp's duration, s: [`RAMP_FRACTION`] of the run's first read time.
    pub ramp_s: f64,
    /// The step's time (the middle of the ramp), s from the start of the run.
    pub step_s: f64,
    /// The run's stop time, s.
    pub tstop_s: f64,
}

/// The ramp of a run lasts this fraction of its first read time.
pub const RAMP_FRACTION: f64 = 1e-4;
/// A run reads times up to this many times its first: the runs' steps then
/// span at most about 1e8 of their stop time (ngspice's smallest step is
/// 1e-11 of its largest, the native engine's breakpoints 1e-12 of the stop time).
pub const RUN_SPAN: f64 = 1e4;

impl Protocol {
    /// A protocol on `node` from `hold_v` (V) to each of `steps_v` (V), read
    /// at `specs` resolved by `timing`.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] for a holding potential or grid that is not
    /// finite, a grid not strictly increasing or shorter than
    /// [`MIN_STEPS`], no read time, or a read time that is not positive and
    /// finite.
    pub fn new(
        node: &str,
        hold_v: f64,
        steps_v: &[f64],
        specs: &[ReadSpec],
        timing: Timing,
    ) -> Result<Protocol> {
        let bad = |name: &str, requirement: &'static str, value: f64| Error::BadParameter {
            name: name.into(),
            requirement,
            value,
        };
        if !hold_v.is_finite() {
            return Err(bad("holding potential (V)", "finite", hold_v));
        }
        let increasing = steps_v.iter().all(|v| v.is_finite()) && steps_v.windows(2).all(|w| w[1] > w[0]);
        if steps_v.len() < MIN_STEPS || !increasing {
            return Err(bad(
                "clamp step voltages (V)",
                "finite, strictly increasing, at least 3",
                steps_v.len() as f64,
            ));
        }
        if specs.is_empty() {
            return Err(bad("number of read times", "at least 1", 0.0));
        }
        let reads: Vec<ReadTime> = specs
            .iter()
            .map(|&spec| {
                let t_s = match spec {
                    ReadSpec::Instant => timing.instant_s,
                    ReadSpec::Steady => timing.steady_s,
                    ReadSpec::After { t_s } => t_s,
                };
                ReadTime { spec, t_s }
            })
            .collect();
        if let Some(r) = reads.iter().find(|r| !(r.t_s > 0.0 && r.t_s.is_finite())) {
            return Err(bad("clamp read time after the step (s)", "positive and finite", r.t_s));
        }
        let runs = plan_runs(&reads);
        Ok(Protocol { node: node.to_string(), hold_v, steps_v: steps_v.to_vec(), reads, runs })
    }

    /// The latest read time after the step, s.
    pub fn last_read_s(&self) -> f64 {
        self.reads.iter().map(|r| r.t_s).fold(0.0, f64::max)
    }

    /// When the settling check reads the current, s after the step.
    pub fn settle_check_s(&self) -> f64 {
        SETTLE_CHECK_FRACTION * self.last_read_s()
    }

    /// The read times of `run`, s after the step, with the settling check last when it has it.
    fn run_times(&self, run: &RunPlan) -> Vec<f64> {
        let mut t: Vec<f64> = run.reads.iter().map(|&j| self.reads[j].t_s).collect();
        if run.settle_check {
            t.push(self.settle_check_s());
        }
        t
    }

    /// The clamp source's waveform of `run` for a step to `v` (V): a PWL
    /// with a corner at every read time, so that every engine steps onto them.
    pub fn waveform(&self, run: &RunPlan, v: f64) -> Waveform<f64> {
        let mut times = self.run_times(run);
        times.sort_by(f64::total_cmp);
        times.dedup();
        let (start, end) = (run.step_s - run.ramp_s / 2.0, run.step_s + run.ramp_s / 2.0);
        let mut points = vec![(0.0, self.hold_v), (start, self.hold_v), (end, v)];
        points.extend(times.iter().map(|t| (run.step_s + t, v)));
        Waveform::Pwl { points }
    }

    /// `circuit` clamped: the clamp source on the node, stepping to `v` (V)
    /// as `run` times it, and the capacitors from the node to ground left
    /// out. Once the step's ramp is over they carry no current (their
    /// voltage is held), so the clamp current after it is the same; during
    /// the ramp they would carry `C Δv / ramp`, a spike no engine needs to
    /// resolve (ngspice stops on it: "timestep too small").
    ///
    /// # Errors
    ///
    /// [`Error::UnknownNode`] when the circuit has no such node;
    /// [`Error::Unclampable`] for ground, or a node tied to ground through
    /// voltage sources and inductors alone (the clamp would short them at DC).
    pub fn clamped(&self, circuit: &FlatCircuit, run: &RunPlan, v: f64) -> Result<Clamped> {
        let node = check_node(circuit, &self.node)?;
        let source = source_name(circuit);
        let mut out = circuit.clone();
        let mut left_out = Vec::new();
        out.elements.retain(|e| match &e.kind {
            ElementKind::Capacitor { p, n, c_farad, .. } => {
                let on = |a: &str, b: &str| a.eq_ignore_ascii_case(&node) && b == GROUND;
                let keep = !(on(p, n) || on(n, p));
                if !keep {
                    left_out.push((e.name.clone(), *c_farad));
                }
                keep
            }
            _ => true,
        });
        out.elements.push(Element {
            name: source.clone(),
            kind: ElementKind::VoltageSource {
                p: node,
                n: GROUND.to_string(),
                waveform: self.waveform(run, v),
                dc: None,
            },
        });
        Ok(Clamped { circuit: out, source, left_out })
    }

    /// The analysis of `run` from `base` (a netlist's): its stop time, an
    /// operating point first (no `uic`, no `.ic`: the run starts with every
    /// branch settled at the holding potential), the netlist's options with
    /// the tolerances `tol` sets.
    pub fn analysis(&self, run: &RunPlan, base: &Analysis, tol: &ClampTolerances) -> Analysis {
        let tstop_s = run.tstop_s;
        let mut options = base.options.clone();
        options.reltol = Some(tol.reltol);
        let tighter = |netlist: Option<f64>, ours: Option<f64>| match (netlist, ours) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        options.abstol = tighter(options.abstol, tol.abstol_a);
        options.vntol = tighter(options.vntol, tol.vntol_v);
        options.chgtol = tighter(options.chgtol, tol.chgtol_c);
        options.maxstep_s = None;
        // The clamp source drives the node's capacitances: with the
        // trapezoidal rule its current rings from step to step (measured on
        // a sky130-hv burster in ngspice: ±318 nA about a 1 nA current, to
        // the end of the run). Gear's backward differences damp it.
        options.method = Some(Method::Gear);
        let node = self.node.to_ascii_lowercase();
        let tran = Tran {
            tstep_s: tstop_s / 1000.0,
            tstop_s,
            tstart_s: 0.0,
            tmax_s: Some(tstop_s / 50.0),
            uic: false,
        };
        Analysis {
            tran: Some(tran),
            options,
            ic: Vec::new(),
            nodeset: base.nodeset.iter().filter(|(n, _)| n.to_ascii_lowercase() != node).cloned().collect(),
        }
    }

    /// The current the clamp injected into the membrane in `run` at each of
    /// its read times (`(read index, A)`) and at the settling check when it
    /// has it: minus the source's branch current (`i_source`, SPICE's sign:
    /// into its positive node's terminal), interpolated linearly on the
    /// run's samples at `time_s`; `name` names the run in the error.
    ///
    /// # Errors
    ///
    /// [`Error::ClampRun`] for a read time outside the run's samples.
    pub fn read(&self, run: &RunPlan, time_s: &[f64], i_source: &[f64], name: &str) -> Result<RunReads> {
        let at = |t: f64| {
            let t = run.step_s + t;
            sample_at(time_s, i_source, t).map(|i| -i).ok_or_else(|| Error::ClampRun {
                run: name.to_string(),
                problem: format!(
                    "its {} samples span {}..{}, not the read time {}",
                    time_s.len().min(i_source.len()),
                    si(time_s.first().copied().unwrap_or(f64::NAN), "s"),
                    si(time_s.last().copied().unwrap_or(f64::NAN), "s"),
                    si(t, "s")
                ),
            })
        };
        let reads = run.reads.iter().map(|&j| Ok((j, at(self.reads[j].t_s)?))).collect::<Result<Vec<_>>>()?;
        let check = if run.settle_check { Some(at(self.settle_check_s())?) } else { None };
        Ok((reads, check))
    }
}

/// What one run read: `(read index, A)` per read time, and the settling check's current, A.
pub type RunReads = (Vec<(usize, f64)>, Option<f64>);

/// The runs that read `reads`: read times sorted and grouped so that each
/// run's last is at most [`RUN_SPAN`] times its first; the settling check
/// goes with the last run.
fn plan_runs(reads: &[ReadTime]) -> Vec<RunPlan> {
    let mut order: Vec<usize> = (0..reads.len()).collect();
    order.sort_by(|&a, &b| reads[a].t_s.total_cmp(&reads[b].t_s));
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for j in order {
        match groups.last_mut() {
            Some(g) if reads[j].t_s <= RUN_SPAN * reads[g[0]].t_s => g.push(j),
            _ => groups.push(vec![j]),
        }
    }
    let n = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(k, g)| {
            let first = reads[g[0]].t_s;
            let last = reads[g[g.len() - 1]].t_s;
            let ramp_s = RAMP_FRACTION * first;
            // Held for one ramp, then the ramp: its middle is the step.
            let step_s = 1.5 * ramp_s;
            RunPlan { reads: g, settle_check: k + 1 == n, ramp_s, step_s, tstop_s: step_s + last }
        })
        .collect()
}

/// A circuit clamped by [`Protocol::clamped`].
#[derive(Debug, Clone, PartialEq)]
pub struct Clamped {
    /// The circuit with the clamp source.
    pub circuit: FlatCircuit,
    /// The clamp source's name (`Vclamp`, or numbered when that is taken).
    pub source: String,
    /// The capacitors from the node to ground left out, with their capacitance, F.
    pub left_out: Vec<(String, f64)>,
}

/// Tolerances of the clamp runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClampTolerances {
    /// Relative tolerance.
    pub reltol: f64,
    /// Absolute current tolerance, A (a netlist's smaller one is kept;
    /// `None`: the netlist's, else the engine's default).
    pub abstol_a: Option<f64>,
    /// Absolute voltage tolerance, V (as `abstol_a`).
    pub vntol_v: Option<f64>,
    /// Charge tolerance, C (as `abstol_a`).
    pub chgtol_c: Option<f64>,
}

impl ClampTolerances {
    /// `reltol`, and the absolute tolerances at the clamp's scales: a
    /// current `amp_a` (A), a voltage `volt_v` (V) and a capacitance
    /// `farad_f` (F), each `reltol` times its scale.
    pub fn at_scale(reltol: f64, volt_v: f64, amp_a: f64, farad_f: f64) -> ClampTolerances {
        ClampTolerances {
            reltol,
            abstol_a: Some(reltol * amp_a),
            vntol_v: Some(reltol * volt_v),
            chgtol_c: Some(reltol * volt_v * farad_f),
        }
    }

    /// `reltol` alone: the absolute tolerances are the netlist's (a circuit
    /// whose scales are not known).
    pub fn relative(reltol: f64) -> ClampTolerances {
        ClampTolerances { reltol, abstol_a: None, vntol_v: None, chgtol_c: None }
    }
}

/// The node of `circuit` named `node` (as the circuit spells it), checked
/// for a clamp.
///
/// # Errors
///
/// As [`Protocol::clamped`].
pub fn check_node(circuit: &FlatCircuit, node: &str) -> Result<String> {
    if node == GROUND || node.eq_ignore_ascii_case("gnd") {
        return Err(Error::Unclampable { node: node.into(), reason: "it is ground".into() });
    }
    let nodes = circuit.nodes();
    let Some(found) = nodes.iter().find(|n| n.eq_ignore_ascii_case(node)) else {
        let mut known: Vec<&str> = nodes.iter().take(12).copied().collect();
        if nodes.len() > known.len() {
            known.push("...");
        }
        return Err(Error::UnknownNode { node: node.into(), known: known.join(", ") });
    };
    // Nodes reached from the clamped node through voltage sources and inductors.
    let mut reached = vec![found.to_ascii_lowercase()];
    let mut path: Vec<&str> = Vec::new();
    let mut grew = true;
    while grew {
        grew = false;
        for e in circuit.elements.iter().filter(|e| e.kind.has_branch_current()) {
            let ns = e.kind.nodes();
            let (a, b) =
                (ns[0].to_ascii_lowercase(), ns.get(1).map_or(String::new(), |n| n.to_ascii_lowercase()));
            let (ha, hb) = (reached.contains(&a), reached.contains(&b));
            if ha != hb {
                reached.push(if ha { b } else { a });
                path.push(&e.name);
                grew = true;
            }
        }
    }
    if reached.iter().any(|n| n == GROUND) {
        return Err(Error::Unclampable {
            node: node.into(),
            reason: format!(
                "it is tied to ground through voltage sources or inductors alone ({}), which the clamp \
                 source would short",
                path.join(", ")
            ),
        });
    }
    Ok((*found).to_string())
}

/// `Vclamp`, or `Vclamp1`, `Vclamp2`, ... when the circuit has an element of that name.
fn source_name(circuit: &FlatCircuit) -> String {
    let mut name = "Vclamp".to_string();
    let mut k = 0;
    while circuit.element(&name).is_some() {
        k += 1;
        name = format!("Vclamp{k}");
    }
    name
}

/// `values` at time `t` (s), interpolated linearly between the samples at
/// `time_s` (non-decreasing); `None` outside them.
pub fn sample_at(time_s: &[f64], values: &[f64], t: f64) -> Option<f64> {
    let n = time_s.len().min(values.len());
    let (first, last) = (*time_s.first()?, time_s[n - 1]);
    // The last sample may stop a rounding short of the stop time.
    let tol = 1e-12 * last.abs().max(t.abs());
    if t < first - tol || t > last + tol {
        return None;
    }
    let k = time_s[..n].partition_point(|&s| s < t);
    if k == 0 {
        return Some(values[0]);
    }
    if k == n {
        return Some(values[n - 1]);
    }
    let (t0, t1) = (time_s[k - 1], time_s[k]);
    if time_s[k] == t || t1 == t0 {
        return Some(values[k]);
    }
    let w = (t - t0) / (t1 - t0);
    Some(values[k - 1] + w * (values[k] - values[k - 1]))
}

/// The I-V curve and potential of one read time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClampCurve {
    /// When it was read.
    pub read: ReadTime,
    /// Step voltages, V.
    pub v_volt: Vec<f64>,
    /// Clamp current at each, A (the current leaving the membrane through
    /// its branches, minus `I_ext`).
    pub current_a: Vec<f64>,
    /// `P = ∫ I dv`, W (V·A), zero at the first voltage.
    pub potential_j: Vec<f64>,
    /// Zeros of the current between the voltages (linear interpolation), ascending.
    pub critical: Vec<CriticalPoint>,
}

impl ClampCurve {
    /// The curve of `current_a` (A) at `v_volt` (V) read at `read`.
    pub fn new(read: ReadTime, v_volt: &[f64], current_a: &[f64]) -> ClampCurve {
        ClampCurve {
            read,
            v_volt: v_volt.to_vec(),
            current_a: current_a.to_vec(),
            potential_j: cumulative_integral(v_volt, current_a),
            critical: sampled_zeros(v_volt, current_a),
        }
    }

    /// The largest difference from `other`'s current on the same voltages,
    /// relative to `other`'s largest current magnitude.
    pub fn relative_difference(&self, other: &ClampCurve) -> f64 {
        let scale = other.current_a.iter().fold(0.0f64, |m, i| m.max(i.abs()));
        let diff = self.current_a.iter().zip(&other.current_a).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        diff / scale
    }
}

/// Zeros of samples `f` at `v`: sign changes located on the cubic through
/// the four nearest samples (the line through two with fewer than four),
/// and zeros exactly on an interior sample whose neighbours have opposite
/// signs.
fn sampled_zeros(v: &[f64], f: &[f64]) -> Vec<CriticalPoint> {
    let n = v.len().min(f.len());
    let nature = |rising: bool| if rising { Nature::Well } else { Nature::Barrier };
    let mut out = Vec::new();
    for k in 0..n.saturating_sub(1) {
        let (fa, fb) = (f[k], f[k + 1]);
        if fa != 0.0 && fb != 0.0 && fa.signum() != fb.signum() {
            let lo = if n < 4 { k } else { k.saturating_sub(1).min(n - 4) };
            let hi = if n < 4 { k + 1 } else { lo + 3 };
            let p = |x: f64| lagrange(&v[lo..=hi], &f[lo..=hi], x);
            // Bisection on the interpolant, which keeps the samples' signs at both ends.
            let (mut a, mut b) = (v[k], v[k + 1]);
            for _ in 0..200 {
                let m = 0.5 * (a + b);
                if m <= a || m >= b {
                    break;
                }
                if p(m).signum() == fa.signum() {
                    a = m;
                } else {
                    b = m;
                }
            }
            out.push(CriticalPoint { v_volt: 0.5 * (a + b), nature: nature(fb > fa) });
        } else if fb == 0.0 && k + 2 < n {
            let next = f[k + 2];
            if fa != 0.0 && next != 0.0 && fa.signum() != next.signum() {
                out.push(CriticalPoint { v_volt: v[k + 1], nature: nature(next > fa) });
            }
        }
    }
    out
}

/// The polynomial through `(xs, ys)` at `x` (Lagrange form).
fn lagrange(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let mut total = 0.0;
    for (j, (&xj, &yj)) in xs.iter().zip(ys).enumerate() {
        let w: f64 =
            xs.iter().enumerate().filter(|&(m, _)| m != j).map(|(_, &xm)| (x - xm) / (xj - xm)).product();
        total += yj * w;
    }
    total
}

/// How a membrane's own units map to the clamped circuit's:
/// `v = v_offset_v + v_scale v_m`, `t = t_scale t_m`, `I = i_scale I_m`.
/// A design's mother in a realisation: offset the realisation's model 0 V,
/// scales its model volt, time scale and unit current.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The clamped circuit's voltage at the membrane's 0, V.
    pub v_offset_v: f64,
    /// Volts per membrane voltage unit.
    pub v_scale: f64,
    /// Seconds per membrane time unit.
    pub t_scale: f64,
    /// Amperes per membrane current unit.
    pub i_scale: f64,
}

impl Frame {
    /// The membrane is in the clamped circuit's own units.
    pub const IDENTITY: Frame = Frame { v_offset_v: 0.0, v_scale: 1.0, t_scale: 1.0, i_scale: 1.0 };
}

/// What a membrane predicts a clamp measures: a [`Membrane`] seen in the
/// clamped circuit's units.
#[derive(Debug, Clone, Copy)]
pub struct Prediction<'a> {
    /// The membrane.
    pub membrane: &'a Membrane,
    /// Its units in the clamped circuit's.
    pub frame: Frame,
}

impl Prediction<'_> {
    fn model_volts(&self, v: f64) -> f64 {
        (v - self.frame.v_offset_v) / self.frame.v_scale
    }

    /// The membrane's operating point (the first equilibrium of its coarsest
    /// landscape on `grid_v`, V of the clamped circuit), the landscape's `v_op`.
    ///
    /// # Errors
    ///
    /// As [`Membrane::classify`].
    pub fn operating_point(&self, grid_v: &[f64]) -> Result<f64> {
        let grid: Vec<f64> = grid_v.iter().map(|&v| self.model_volts(v)).collect();
        let c = self.membrane.classify(&grid)?;
        Ok(self.frame.v_offset_v + self.frame.v_scale * c.v_op_volt)
    }

    /// The fastest and slowest time constants over `grid_v` (V), s of the
    /// clamped circuit; `None` when the membrane has no slow element.
    pub fn timescale_range(&self, grid_v: &[f64]) -> Option<(f64, f64)> {
        let grid: Vec<f64> = grid_v.iter().map(|&v| self.model_volts(v)).collect();
        let (lo, hi) = self.membrane.timescale_range(&grid)?;
        Some((lo * self.frame.t_scale, hi * self.frame.t_scale))
    }

    /// The predicted curve of protocol `p` at its read `read`.
    pub fn curve(&self, p: &Protocol, read: ReadTime) -> ClampCurve {
        let hold = self.model_volts(p.hold_v);
        let t = read.t_s / self.frame.t_scale;
        let current: Vec<f64> = p
            .steps_v
            .iter()
            .map(|&v| self.frame.i_scale * self.membrane.relaxed_current(hold, self.model_volts(v), t))
            .collect();
        ClampCurve::new(read, &p.steps_v, &current)
    }

    /// The predicted curves of every read time of `p`.
    pub fn curves(&self, p: &Protocol) -> Vec<ClampCurve> {
        p.reads.iter().map(|&r| self.curve(p, r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_interpolate_and_refuse_outside() {
        let t = [0.0, 1.0, 3.0];
        let y = [0.0, 2.0, 6.0];
        assert_eq!(sample_at(&t, &y, 1.0), Some(2.0));
        assert_eq!(sample_at(&t, &y, 2.0), Some(4.0));
        assert_eq!(sample_at(&t, &y, 3.0 + 1e-15), Some(6.0));
        assert_eq!(sample_at(&t, &y, 3.1), None);
        assert_eq!(sample_at(&t, &y, -0.1), None);
    }

    #[test]
    fn zeros_of_samples_are_wells_and_barriers() {
        let v = [-2.0, -1.0, 0.0, 1.0, 2.0];
        // (v + 1.5) v (v - 1.5) sampled: zeros near -1.5 (up), 0 (down, on a sample), 1.5 (up).
        let f: Vec<f64> = v.iter().map(|x| (x + 1.5) * x * (x - 1.5)).collect();
        let z = sampled_zeros(&v, &f);
        assert_eq!(z.len(), 3, "{z:?}");
        assert_eq!(z[0].nature, Nature::Well);
        assert_eq!(z[1], CriticalPoint { v_volt: 0.0, nature: Nature::Barrier });
        assert_eq!(z[2].nature, Nature::Well);
        // A cubic is its own interpolant: the zeros are exact to rounding.
        assert!((z[0].v_volt + 1.5).abs() < 1e-14 && (z[2].v_volt - 1.5).abs() < 1e-14, "{z:?}");
    }
}
