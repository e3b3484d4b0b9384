//! The spice21 engine: runs a flat circuit in-process through the
//! [`spice21`](https://crates.io/crates/spice21) crate (version 0.1.5).
//!
//! # What spice21 is
//!
//! spice21 integrates with **fixed-step backward Euler** (first order): its
//! `analysis::Tran::solve` first solves an operating point, then steps
//! `t = tstep, 2·tstep, …` while `t < tstop`, each step a Newton iteration
//! (at most 100 iterations, converged when every update is below `reltol`
//! (1e-3 V) and every KCL residual below `iabstol` (1e-12 A)). Its
//! trapezoidal rule panics ("Trapezoidal Integration is Disabled!") and there
//! is no step control, so an event time it gives is wrong by O(step): the step
//! is the only accuracy knob. [`StepChoice`] says which step was used and why.
//!
//! # Element set ([`capability`])
//!
//! Resistors, capacitors, DC voltage and current sources, diodes and level-1
//! MOSFETs. Everything else is [`Unsupported`], with a sentence saying why.
//! Model parameters are mapped faithfully or refused, after reading spice21's
//! `comps/diode.rs` and `comps/mos.rs`:
//!
//! - Diode: `IS`, `N` and `RS` are honoured. `CJO` and `TT` are refused (its
//!   junction charge is not SPICE's: it uses `-M·ln(1 − v/VJ)` for
//!   `(1 − v/VJ)^-M`, multiplies the depletion charge by `TT` and uses `TT`
//!   for `TT·gd` above `FC·VJ`), `BV` is refused (the breakdown exponent has
//!   the wrong sign), and an area other than 1 is refused (spice21 does not
//!   scale the saturation current by it). With `CJO = TT = 0` the junction
//!   holds no charge in SPICE; spice21 would still add a spurious
//!   `M·v/VJ` capacitance in its Jacobian above `FC·VJ`, so the engine passes
//!   `VJ` = [`DIODE_VJ_NO_CHARGE`] volts, which keeps spice21 in its (exactly
//!   zero) depletion branch; `VJ` and `M` have no effect without `CJO`.
//! - MOSFET level 1: `VTO`, `KP`, `LAMBDA`, `PHI`, W and L, and from the
//!   extra parameters `IS` and `LD` are honoured. spice21 compares `VGS`
//!   with `VTO` in the polarity-flipped frame without flipping `VTO`, so a
//!   PMOS `VTO` is passed negated. `GAMMA ≠ 0` is refused (spice21 leaves
//!   `gmbs·vbs` out of the Newton right-hand side, so body-biased currents
//!   are wrong), as are the gate and junction capacitances (`TOX`, `CGSO`,
//!   `CGDO`, `CGBO`, `CJ`, `CJSW`, `CBD`, `CBS`: its Meyer charge update
//!   overwrites the gate-source integrator with the gate-drain one),
//!   terminal resistances and every other parameter except those with no
//!   effect once the capacitances are zero (`PB`, `MJ`, `MJSW`, `FC`,
//!   `KF`, `AF`, `JS` without drain/source areas). Junction areas are set
//!   to 0 so that `IS` is used, as in SPICE (spice21's own defaults would
//!   use `JS = 1e-8 A/m²` times a 1 pm² area).
//! - spice21's Boltzmann constant and electron charge are older CODATA
//!   values: its thermal voltage at 300.15 K is 2.8e-5 relative below
//!   ngspice's.
//!
//! # Initial conditions
//!
//! spice21's `TranOptions::ic` holds a node through 1 Ω to a source during
//! the operating point, then leaves a 1 nS conductance from the node to a
//! 0 V source for the whole transient (its `Tran::solve`). That is SPICE's
//! `.ic` without `uic`. With [`Spice21Options::uic`] the engine imitates
//! `uic`: every node with a grounded capacitor is held at the capacitor's
//! `ic_volt` (0 V when absent), [`Spice21Options::initial`] overriding. Two
//! approximations follow, both of relative size about 1 Ω / R and
//! 1 nS · R for a node of driving resistance R: the held value is missed by
//! the 1 Ω divider, and the 1 nS leak stays.
//!
//! # Console and panics
//!
//! spice21 prints with `println!` and panics on several inputs (a MOSFET
//! whose `LD` exceeds half its length, a diode model it does not know). The
//! call runs under [`std::panic::catch_unwind`] with the process's stdout and
//! stderr captured by `gag` (one spice21 run at a time, behind a lock); what
//! it printed is logged with `tracing::debug!` and kept in
//! [`Spice21Run::console`]. A panic becomes [`Error::Spice21Panic`].

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::Instant;

use atscale_circuit::{DiodeParams, ElementKind, FlatCircuit, ModelKind, MosParams, Waveform, GROUND};
use serde::{Deserialize, Serialize};
use spice21::proto;

use crate::error::{Error, Result};
use crate::events::{crossings, EventSpec};

/// Event accuracy divided into the fixed step: `step = accuracy × factor`.
///
/// Measured on the RC/diode charging circuit of the integration tests (5 V
/// through 22 kΩ and a diode with `IS` = 1e-14 A charging 10 nF, event at
/// 2 V, 134 µs, reference a native run at reltol 1e-11): backward Euler
/// delays the crossing by 0.300, 0.296 and 0.292 steps at steps of 4, 2 and
/// 1 µs (0.25 steps on the same RC without the diode, where the effective
/// time constant `h / ln(1 + h/τ)` predicts `t·h/(2τ)` = 0.255 h). A factor
/// of 1 thus gives about a third of the requested accuracy on that circuit;
/// the margin covers events later in units of the time constant (the lag
/// grows with it). Oscillators accumulate the lag period after period (see
/// the ring oscillator test), so there the accuracy holds for early events only.
pub const STEP_PER_EVENT_ACCURACY: f64 = 1.0;

/// Number of steps over the run when neither a step nor an accuracy is given.
pub const DEFAULT_STEPS: usize = 10_000;

/// Junction potential passed for diodes, V: keeps spice21's junction charge
/// in its depletion branch, exactly zero when `CJO = TT = 0` (see module docs).
pub const DIODE_VJ_NO_CHARGE: f64 = 1e6;

/// An element spice21 cannot simulate, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsupported {
    /// Element name as in the circuit.
    pub element: String,
    /// A sentence naming the element and the reason, e.g. "inductor `L1`: spice21 has no inductors".
    pub reason: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

/// Where the fixed step came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepSource {
    /// Given explicitly ([`Spice21Options::step_s`]).
    Explicit,
    /// `event_accuracy_s × factor` ([`STEP_PER_EVENT_ACCURACY`]).
    DerivedFromAccuracy {
        /// Requested event accuracy, s.
        event_accuracy_s: f64,
        /// Step per unit accuracy (dimensionless).
        factor: f64,
    },
    /// `tstop / steps` with [`DEFAULT_STEPS`].
    Default {
        /// Number of steps.
        steps: usize,
    },
}

/// The fixed step a run used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepChoice {
    /// Step, s.
    pub value_s: f64,
    /// Why this step.
    pub source: StepSource,
}

/// Options of [`run`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spice21Options {
    /// Stop time, s (required, positive).
    pub tstop_s: f64,
    /// Fixed step, s. Wins over `event_accuracy_s`. Default: derived.
    pub step_s: Option<f64>,
    /// Requested event accuracy, s; the step is `accuracy × STEP_PER_EVENT_ACCURACY`.
    /// Default: `tstop / DEFAULT_STEPS` as the step.
    pub event_accuracy_s: Option<f64>,
    /// Node voltages held during the operating point, `(node, volts)`; SPICE `.ic`.
    pub initial: Vec<(String, f64)>,
    /// Imitate SPICE `uic` (see module docs): also hold every node with a
    /// grounded capacitor at its `ic_volt` (default 0 V). Default false.
    pub uic: bool,
    /// Limits: the number of fixed steps and the bytes of the node
    /// waveforms it returns are checked before the run (spice21 runs
    /// in-process and cannot be stopped once started).
    #[serde(skip)]
    pub limits: crate::limits::Limits,
}

/// The result of a spice21 run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spice21Run {
    /// Time points, s: 0 (the operating point) and then every step.
    pub time: Vec<f64>,
    /// Node voltages, V, by node name as in the circuit; one value per time point.
    pub signals: BTreeMap<String, Vec<f64>>,
    /// The fixed step used.
    pub step: StepChoice,
    /// Wall time of the spice21 call, s.
    pub wall_s: f64,
    /// What spice21 printed on stdout and stderr.
    pub console: String,
}

impl Spice21Run {
    /// Values of a node voltage, by `name` or `v(name)` (case-insensitive).
    pub fn signal(&self, name: &str) -> Option<&[f64]> {
        let bare = crate::engines::node_name(name.trim());
        self.signals.iter().find(|(k, _)| k.eq_ignore_ascii_case(bare)).map(|(_, v)| v.as_slice())
    }

    /// Event times (s) of `spec`, by [`crossings`] on spice21's own points.
    ///
    /// # Errors
    ///
    /// [`Error::MissingSignal`] when the signal is not a node of the circuit.
    pub fn events(&self, spec: &EventSpec) -> Result<Vec<f64>> {
        match self.signal(&spec.signal) {
            Some(v) => Ok(crossings(&self.time, v, spec)),
            None => Err(Error::MissingSignal {
                name: spec.signal.clone(),
                plot: "spice21".to_string(),
                available: self.signals.keys().cloned().collect(),
            }),
        }
    }
}

fn unsupported(element: &str, reason: String) -> Unsupported {
    Unsupported { element: element.to_string(), reason }
}

/// Whether spice21 can simulate `circuit`; else every element it cannot, with why.
///
/// # Errors
///
/// The list of [`Unsupported`] elements (in circuit order).
pub fn capability(circuit: &FlatCircuit) -> std::result::Result<(), Vec<Unsupported>> {
    let mut out = Vec::new();
    for e in &circuit.elements {
        let name = e.name.as_str();
        let class = e.kind.class_name();
        match &e.kind {
            ElementKind::Resistor { .. } | ElementKind::Capacitor { .. } => {}
            ElementKind::Inductor { .. } => {
                out.push(unsupported(name, format!("inductor `{name}`: spice21 has no inductors")));
            }
            ElementKind::VoltageSource { waveform, dc, .. }
            | ElementKind::CurrentSource { waveform, dc, .. } => match waveform {
                Waveform::Dc { value } => {
                    if let Some(d) = dc {
                        if d != value {
                            out.push(unsupported(
                                name,
                                format!(
                                    "{class} `{name}`: its DC value {d} differs from its transient value \
                                         {value}; a spice21 source has one value"
                                ),
                            ));
                        }
                    }
                }
                other => out.push(unsupported(
                    name,
                    format!(
                        "{class} `{name}`: spice21 sources are constant (DC); a {} waveform is time-varying",
                        other.keyword()
                    ),
                )),
            },
            ElementKind::BehaviouralCurrent { .. } | ElementKind::BehaviouralVoltage { .. } => {
                out.push(unsupported(name, format!("{class} `{name}`: spice21 has no behavioural sources")));
            }
            ElementKind::NonlinearResistor { .. } => {
                out.push(unsupported(name, format!("{class} `{name}`: spice21 has no nonlinear resistors")));
            }
            ElementKind::Memristive { .. } => {
                out.push(unsupported(name, format!("{class} `{name}`: spice21 has no memristive elements")));
            }
            ElementKind::Diode { model, area, .. } => {
                match circuit.model(model).map(|m| &m.kind) {
                    Some(ModelKind::Diode(p)) => diode_problems(name, model, p, &mut out),
                    _ => out.push(unsupported(
                        name,
                        format!("diode `{name}`: model `{model}` is not a diode model"),
                    )),
                }
                if let Some(a) = area {
                    if *a != 1.0 {
                        out.push(unsupported(
                            name,
                            format!(
                                "diode `{name}`: area {a}: spice21 does not scale the saturation current by the area"
                            ),
                        ));
                    }
                }
            }
            ElementKind::Mosfet { model, .. } => match circuit.model(model).map(|m| &m.kind) {
                Some(ModelKind::Nmos(p) | ModelKind::Pmos(p)) => mos_problems(name, model, p, &mut out),
                _ => out.push(unsupported(
                    name,
                    format!("MOSFET `{name}`: model `{model}` is not a MOSFET model"),
                )),
            },
            ElementKind::Bjt { .. } | ElementKind::Switch { .. } | ElementKind::Coupling { .. } => {
                out.push(unsupported(name, format!("{class} `{name}`: not translated to spice21")));
            }
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

fn nonzero(x: Option<f64>) -> Option<f64> {
    x.filter(|v| *v != 0.0)
}

fn diode_problems(name: &str, model: &str, p: &DiodeParams<f64>, out: &mut Vec<Unsupported>) {
    let mut refuse = |param: &str, value: f64, why: &str| {
        out.push(unsupported(name, format!("diode `{name}` (model `{model}`): {param} = {value}: {why}")));
    };
    if let Some(v) = nonzero(p.cjo) {
        refuse(
            "CJO",
            v,
            "spice21's depletion charge is not SPICE's (it uses -M·ln(1 - v/VJ) for (1 - v/VJ)^-M)",
        );
    }
    if let Some(v) = nonzero(p.tt) {
        refuse(
            "TT",
            v,
            "spice21's diffusion charge is not SPICE's TT·Id (it scales the depletion charge by TT)",
        );
    }
    if let Some(v) = p.bv {
        refuse("BV", v, "spice21's breakdown current has the wrong sign in its exponent");
    }
}

/// MOSFET extra parameters honoured by the translation (passed to spice21).
const MOS_PASSED: [&str; 2] = ["is", "ld"];
/// MOSFET extra parameters without effect once capacitances and areas are zero.
const MOS_INERT: [&str; 7] = ["pb", "mj", "mjsw", "fc", "kf", "af", "js"];
/// MOSFET capacitance parameters; refused unless zero.
const MOS_CAPS: [&str; 8] = ["tox", "cgso", "cgdo", "cgbo", "cj", "cjsw", "cbd", "cbs"];

fn mos_problems(name: &str, model: &str, p: &MosParams<f64>, out: &mut Vec<Unsupported>) {
    if p.level != 1 {
        out.push(unsupported(
            name,
            format!(
                "MOSFET `{name}` (model `{model}`): level {}: spice21 simulates level 1 only here",
                p.level
            ),
        ));
        return;
    }
    if let Some(g) = nonzero(p.gamma) {
        out.push(unsupported(
            name,
            format!(
                "MOSFET `{name}` (model `{model}`): GAMMA = {g}: spice21 leaves the body-effect term out of its \
                 Newton right-hand side, so body-biased currents are wrong"
            ),
        ));
    }
    for (key, value) in &p.extra {
        let k = key.to_ascii_lowercase();
        if MOS_PASSED.contains(&k.as_str()) || MOS_INERT.contains(&k.as_str()) {
            continue;
        }
        let why = if MOS_CAPS.contains(&k.as_str()) {
            if *value == 0.0 {
                continue;
            }
            "spice21's level-1 capacitance integration is broken (the gate-drain charge overwrites the \
             gate-source one)"
        } else if matches!(k.as_str(), "rd" | "rs" | "rsh") {
            "terminal resistances are not mapped to spice21"
        } else {
            "spice21's level-1 model does not take this parameter here"
        };
        out.push(unsupported(
            name,
            format!("MOSFET `{name}` (model `{model}`): {} = {value}: {why}", key.to_ascii_uppercase()),
        ));
    }
}

/// Prefix of spice21 component names, keeping them apart from node names
/// (spice21 names a voltage source's current variable after the source).
const PREFIX: &str = "@";

fn node(n: &str) -> String {
    if n == GROUND {
        String::new()
    } else {
        n.to_string()
    }
}

fn inst(comp: proto::instance::Comp) -> proto::Instance {
    proto::Instance { comp: Some(comp) }
}

fn def(d: proto::def::Defines) -> proto::Def {
    proto::Def { defines: Some(d) }
}

/// Translates `circuit` into spice21's circuit description. Every node is
/// declared as a top-level signal first (spice21 looks diode nodes up
/// without creating them).
fn translate(circuit: &FlatCircuit) -> proto::Circuit {
    use proto::def::Defines;
    use proto::instance::Comp;
    let nodes: Vec<String> = circuit.nodes().into_iter().map(str::to_string).collect();
    let mut defs = Vec::new();
    let mut comps = Vec::new();
    let mut models_done = BTreeSet::new();
    for e in &circuit.elements {
        let name = format!("{PREFIX}{}", e.name);
        match &e.kind {
            ElementKind::Resistor { p, n, r_ohm } => {
                comps.push(inst(Comp::R(proto::Resistor { name, p: node(p), n: node(n), g: 1.0 / r_ohm })))
            }
            ElementKind::Capacitor { p, n, c_farad, .. } => {
                comps.push(inst(Comp::C(proto::Capacitor { name, p: node(p), n: node(n), c: *c_farad })))
            }
            ElementKind::VoltageSource { p, n, waveform: Waveform::Dc { value }, .. } => {
                comps.push(inst(Comp::V(proto::Vsrc { name, p: node(p), n: node(n), dc: *value, acm: 0.0 })))
            }
            // spice21 injects a current source's value into `p`; SPICE takes it out of `p`.
            ElementKind::CurrentSource { p, n, waveform: Waveform::Dc { value }, .. } => {
                comps.push(inst(Comp::I(proto::Isrc { name, p: node(n), n: node(p), dc: *value })))
            }
            ElementKind::Diode { p, n, model, .. } => {
                let mname = format!("{PREFIX}{model}");
                if let Some(ModelKind::Diode(dp)) = circuit.model(model).map(|m| &m.kind) {
                    if models_done.insert(mname.clone()) {
                        defs.push(def(Defines::Diodemodel(proto::DiodeModel {
                            name: mname.clone(),
                            is: Some(dp.is_amp()),
                            n: Some(dp.emission()),
                            rs: nonzero(dp.rs),
                            vj: Some(DIODE_VJ_NO_CHARGE),
                            ..Default::default()
                        })));
                        defs.push(def(Defines::Diodeinst(proto::DiodeInstParams {
                            name: mname.clone(),
                            model: mname.clone(),
                            area: Some(1.0),
                            temp: None,
                        })));
                    }
                }
                comps.push(inst(Comp::D(proto::Diode {
                    name,
                    p: node(p),
                    n: node(n),
                    model: mname.clone(),
                    params: mname,
                })));
            }
            ElementKind::Mosfet { d, g, s, b, model, w_m, l_m, instance } => {
                let mname = format!("{PREFIX}{model}");
                let (polarity, params) = match circuit.model(model).map(|m| &m.kind) {
                    Some(ModelKind::Pmos(mp)) => (-1.0, Some(mp)),
                    Some(ModelKind::Nmos(mp)) => (1.0, Some(mp)),
                    _ => (1.0, None),
                };
                if let Some(mp) = params {
                    if models_done.insert(mname.clone()) {
                        let extra = |k: &str| {
                            mp.extra.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|x| *x.1)
                        };
                        defs.push(def(Defines::Mos1model(proto::Mos1Model {
                            name: mname.clone(),
                            mos_type: if polarity < 0.0 { 1 } else { 0 },
                            vt0: Some(polarity * mp.vto_volt()),
                            kp: Some(mp.kp()),
                            lambda: Some(mp.lambda()),
                            phi: Some(mp.phi()),
                            gamma: Some(0.0),
                            is: Some(extra("is").unwrap_or(1e-14)),
                            ld: Some(extra("ld").unwrap_or(0.0)),
                            ..Default::default()
                        })));
                    }
                }
                defs.push(def(Defines::Mos1inst(proto::Mos1InstParams {
                    name: name.clone(),
                    m: Some(instance.m.unwrap_or(1.0)),
                    l: Some(*l_m),
                    w: Some(*w_m),
                    a_d: Some(instance.ad_m2.unwrap_or(0.0)),
                    a_s: Some(instance.as_m2.unwrap_or(0.0)),
                    pd: Some(instance.pd_m.unwrap_or(0.0)),
                    ps: Some(instance.ps_m.unwrap_or(0.0)),
                    nrd: Some(instance.nrd.unwrap_or(1.0)),
                    nrs: Some(instance.nrs.unwrap_or(1.0)),
                    temp: None,
                })));
                comps.push(inst(Comp::M(proto::Mos {
                    name: name.clone(),
                    model: mname,
                    params: name,
                    ports: Some(proto::MosPorts { d: node(d), g: node(g), s: node(s), b: node(b) }),
                })));
            }
            // Refused by `capability`.
            _ => {}
        }
    }
    proto::Circuit { name: circuit.title.clone(), signals: nodes, defs, comps }
}

/// Nodes to hold during the operating point: `initial`, and under `uic` the
/// grounded capacitors' initial voltages.
fn held_nodes(circuit: &FlatCircuit, opts: &Spice21Options) -> Result<Vec<(String, f64)>> {
    let nodes = circuit.nodes();
    let find = |n: &str| nodes.iter().find(|k| k.eq_ignore_ascii_case(n)).map(|k| k.to_string());
    let mut held: BTreeMap<String, f64> = BTreeMap::new();
    let mut floating = Vec::new();
    if opts.uic {
        for e in &circuit.elements {
            if let ElementKind::Capacitor { p, n, ic_volt, .. } = &e.kind {
                let v = ic_volt.unwrap_or(0.0);
                match (p.as_str() == GROUND, n.as_str() == GROUND) {
                    (false, true) => {
                        held.insert(p.clone(), v);
                    }
                    (true, false) => {
                        held.insert(n.clone(), -v);
                    }
                    (false, false) => floating.push((e.name.clone(), p.clone(), n.clone(), v)),
                    (true, true) => {}
                }
            }
        }
    }
    for (n, v) in &opts.initial {
        let bare = crate::engines::node_name(n.trim());
        match find(bare) {
            Some(k) => {
                held.insert(k, *v);
            }
            None => {
                return Err(Error::MissingSignal {
                    name: n.clone(),
                    plot: "spice21 initial conditions".to_string(),
                    available: nodes.iter().map(|s| s.to_string()).collect(),
                })
            }
        }
    }
    let mut refused = Vec::new();
    for (name, p, n, v) in floating {
        let ok = matches!((held.get(&p), held.get(&n)), (Some(a), Some(b)) if (a - b - v).abs() <= 1e-12);
        if !ok {
            refused.push(unsupported(
                &name,
                format!(
                    "capacitor `{name}` between `{p}` and `{n}`: under uic its initial voltage {v} V cannot be \
                     imposed, spice21 holds node voltages only (hold both nodes with initial conditions)"
                ),
            ));
        }
    }
    if !refused.is_empty() {
        return Err(Error::Spice21Unsupported { items: refused });
    }
    Ok(held.into_iter().collect())
}

/// Picks the fixed step.
pub fn choose_step(opts: &Spice21Options) -> Result<StepChoice> {
    if !(opts.tstop_s > 0.0 && opts.tstop_s.is_finite()) {
        return Err(Error::BadOption {
            name: "tstop",
            value: opts.tstop_s,
            reason: "must be positive and finite",
        });
    }
    let choice = if let Some(h) = opts.step_s {
        StepChoice { value_s: h, source: StepSource::Explicit }
    } else if let Some(a) = opts.event_accuracy_s {
        if !(a > 0.0 && a.is_finite()) {
            return Err(Error::BadOption {
                name: "event accuracy",
                value: a,
                reason: "must be positive and finite",
            });
        }
        StepChoice {
            value_s: a * STEP_PER_EVENT_ACCURACY,
            source: StepSource::DerivedFromAccuracy { event_accuracy_s: a, factor: STEP_PER_EVENT_ACCURACY },
        }
    } else {
        StepChoice {
            value_s: opts.tstop_s / DEFAULT_STEPS as f64,
            source: StepSource::Default { steps: DEFAULT_STEPS },
        }
    };
    let h = choice.value_s;
    if !(h > 0.0 && h.is_finite()) {
        return Err(Error::BadOption { name: "step", value: h, reason: "must be positive and finite" });
    }
    Ok(choice)
}

/// One spice21 run at a time: gag's redirection is process-wide.
static SPICE21_LOCK: Mutex<()> = Mutex::new(());

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

fn read_all(mut r: impl Read) -> String {
    let mut bytes = Vec::new();
    let _ = r.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Runs `circuit` through spice21's transient analysis with a fixed step.
///
/// # Errors
///
/// [`Error::Spice21Unsupported`] for elements out of its reach;
/// [`Error::BadOption`] for a bad stop time or step;
/// [`Error::MissingSignal`] for an initial condition on an unknown node;
/// [`Error::Spice21Failed`] when spice21 gives up (with the time when it said);
/// [`Error::Spice21Panic`] when it panics; [`Error::Spice21Capture`] when its
/// console cannot be captured.
pub fn run(circuit: &FlatCircuit, opts: &Spice21Options) -> Result<Spice21Run> {
    capability(circuit).map_err(|items| Error::Spice21Unsupported { items })?;
    let step = choose_step(opts)?;
    let steps = opts.tstop_s / step.value_s;
    if steps > opts.limits.max_steps as f64 {
        return Err(Error::Limit {
            what: "spice21's fixed steps (tstop / step)",
            found: steps,
            limit: opts.limits.max_steps as f64,
            flag: "--max-steps",
        });
    }
    let bytes = (steps + 1.0) * 8.0 * (circuit.nodes().len() as f64 + 1.0);
    if bytes > opts.limits.max_memory_bytes as f64 {
        return Err(Error::Limit {
            what: "spice21's waveforms, in bytes,",
            found: bytes,
            limit: opts.limits.max_memory_bytes as f64,
            flag: "--max-memory",
        });
    }
    let held = held_nodes(circuit, opts)?;
    let ckt_proto = translate(circuit);
    let tran_opts = spice21::analysis::TranOptions {
        tstep: step.value_s,
        tstop: opts.tstop_s,
        ic: held.iter().map(|(n, v)| (spice21::circuit::NodeRef::Name(n.clone()), *v)).collect(),
    };
    tracing::debug!(step_s = step.value_s, held = ?held, "running spice21");

    let guard = SPICE21_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let out_cap = gag::BufferRedirect::stdout().map_err(|source| Error::Spice21Capture { source })?;
    let err_cap = gag::BufferRedirect::stderr().map_err(|source| Error::Spice21Capture { source })?;
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(move || {
        let ckt = spice21::circuit::Ckt::from_proto(ckt_proto)?;
        spice21::analysis::tran(ckt, None, Some(tran_opts))
    }));
    let wall_s = start.elapsed().as_secs_f64();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let mut console = read_all(out_cap.into_inner());
    let err_text = read_all(err_cap.into_inner());
    drop(guard);
    if !err_text.is_empty() {
        console.push_str(&err_text);
    }
    if !console.is_empty() {
        tracing::debug!(console = %console, "spice21 printed");
    }
    let result = match outcome {
        Err(payload) => {
            return Err(Error::Spice21Panic {
                message: panic_text(payload.as_ref()),
                console: tail(&console),
            })
        }
        Ok(Err(e)) => {
            return Err(Error::Spice21Failed {
                message: e.desc,
                time_s: failure_time(&console),
                step_s: step.value_s,
                console: tail(&console),
            })
        }
        Ok(Ok(r)) => r,
    };
    let mut signals = BTreeMap::new();
    for n in circuit.nodes() {
        if let Ok(v) = result.get(n) {
            signals.insert(n.to_string(), v.clone());
        }
    }
    Ok(Spice21Run { time: result.time.clone(), signals, step, wall_s, console })
}

/// The time in spice21's "Failed at t=…" line.
fn failure_time(console: &str) -> Option<f64> {
    console
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Failed at t="))
        .and_then(|t| t.trim().parse().ok())
}

/// The last (at most 20) non-empty lines.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn failure_time_is_parsed() {
        assert_eq!(failure_time("x\nFailed at t=1.5e-9\n"), Some(1.5e-9));
        assert_eq!(failure_time("Failed to find initial solution"), None);
    }

    #[test]
    fn step_choice() {
        // The documented rule, `step = accuracy × 1`, worked by hand.
        for (accuracy, step) in [(1e-3, 1e-3), (4e-6, 4e-6), (2.5e-12, 2.5e-12)] {
            let o = Spice21Options { tstop_s: 1.0, event_accuracy_s: Some(accuracy), ..Default::default() };
            let s = choose_step(&o).unwrap();
            assert_eq!(s.value_s, step, "accuracy {accuracy:e}");
            assert_eq!(s.source, StepSource::DerivedFromAccuracy { event_accuracy_s: accuracy, factor: 1.0 });
        }
        let o = Spice21Options { tstop_s: 1.0, event_accuracy_s: Some(1e-3), ..Default::default() };
        let o = Spice21Options { step_s: Some(2e-3), ..o };
        assert_eq!(choose_step(&o).unwrap().source, StepSource::Explicit);
        let o = Spice21Options { tstop_s: 1.0, ..Default::default() };
        assert_eq!(choose_step(&o).unwrap().value_s, 1e-4);
        // The number of steps is checked against the run's limits by `run`
        // (tests/e2e/hostile.rs), not here.
        let o = Spice21Options { tstop_s: 1.0, step_s: Some(-1e-9), ..Default::default() };
        assert!(matches!(choose_step(&o), Err(Error::BadOption { name: "step", .. })));
    }
}
