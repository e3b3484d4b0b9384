//! Scaling a dimensionless mother circuit to a physical one, and back
//! (theory section 4).
//!
//! Four [`Scales`] map model units to SI units: the amplitude `s` (V per
//! model unit of voltage), the time `omega` (s per model unit of time), the
//! capacitance unit `C0` (F) and the space scale `epsilon` (m per model unit
//! of length). With `k = s C0 / omega` the current unit, [`to_physical`]
//! maps every element exactly:
//!
//! | quantity | physical value |
//! |---|---|
//! | voltage, battery, offset, centre, capacitor IC | `s v` |
//! | time, time constant, waveform delay/width/period | `omega t` |
//! | frequency, damping, kinetic rate | `f / omega` |
//! | capacitance | `C0 c` |
//! | conductance (resistance) | `(C0/omega) g` (`(omega/C0) r`) |
//! | current, current source, inductor IC, saturation current | `k i` |
//! | inductance | `(omega²/C0) l` |
//! | nonlinear law | `i_phys(v) = k f(v / s)` |
//!
//! Every [`ResistiveLaw`] family is closed under `f -> k f(· / s)`: the cubic
//! `a v³ - b v` becomes `(k a / s³) v³ - (C0/omega) b v`, tanh, logistic and
//! softplus laws scale their current by `k`, offsets and widths by `s` and
//! slopes by `1/s`; the GLM conductor its `g0` by `C0/omega`, slopes and
//! centres as above; PWL corners `(s v, k i)`; an expression law becomes
//! `k * expr` with `v` replaced by `v * (1/s)` (a multiplication, so that
//! ngspice's division nudge never enters).
//!
//! Memristive states: a linear relaxation keeps its state a voltage
//! (`tau_s` ×omega, `x0` ×s); a kinetic one keeps its dimensionless state
//! and its rates become `alpha(v * (1/s)) * (1/omega)`. The laws: gate and
//! GLM conductances ×C0/omega, batteries ×s, and for a state that is a
//! voltage (linear relaxation) logistic and softplus slopes ÷s and centres
//! ×s. The memristive tanh law `alpha tanh(x - delta)` has no width, so its
//! family is not closed under a change of amplitude: its state is therefore
//! kept in model units by turning its linear relaxation `tau dx/dt = v - x`
//! into the equivalent kinetic relaxation with rates `alpha(v) = v/(s tau)`,
//! `beta(v) = 1/tau - v/(s tau)` (so `dx/dt = (v/s - x)/tau` exactly),
//! `delta` unchanged and `alpha` ×k. [`to_mother`] recognises this form and
//! gives the linear relaxation back.
//!
//! Sources: voltage waveforms ×s, current waveforms ×k, every time field
//! ×omega, SIN frequency and damping ÷omega. Behavioural sources read
//! `V(·) * (1/s)`, `time * (1/omega)` and `I(·) * (1/k)`, and their output
//! is scaled by `s` (voltage) or `k` (current). Diodes and MOSFETs have their
//! own physical scale (thermal voltage, threshold): scaling returns
//! [`Error::NotScalable`] naming the element.
//!
//! **Space.** A mother circuit is a network of lumped compartments; the space
//! scale `epsilon` is the physical length of one model unit of length. It does
//! not change any element of an already built circuit: a cable template (see
//! [`crate::templates::cable`]) is built from per-length parameters and a
//! compartment length `dx` in model units (membrane capacitance `c dx`,
//! axial conductance `g_a / dx`), and its physical compartment is
//! `epsilon dx` metres long. [`Scales::length_m`] converts lengths.
//!
//! [`to_mother`] is the exact inverse: the same map with `1/s`, `1/omega`,
//! `1/C0`. Numbers come back within rounding (1e-15 relative); expressions
//! come back equal in value, not in form (each round trip multiplies by the
//! factor and its inverse).

use atscale_circuit::expr::{BinaryOp, Expr};
use atscale_circuit::{
    Distribution, Element, ElementKind, FlatCircuit, Gate, MemristiveLaw, Relaxation, ResistiveLaw, Slope,
    SoftplusTerm, StateTerm, Waveform,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The scales mapping a mother (dimensionless) circuit to a physical one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scales {
    /// Amplitude scale `s`, V per model unit of voltage (positive, finite).
    pub s_volt: f64,
    /// Time scale `omega`, s per model unit of time (positive, finite).
    pub omega_s: f64,
    /// Capacitance unit `C0`, F (positive, finite).
    pub c0_farad: f64,
    /// Space scale `epsilon`, m per model unit of length (positive, finite).
    pub epsilon_m: f64,
}

impl Default for Scales {
    /// The identity: every scale 1.
    fn default() -> Self {
        Scales { s_volt: 1.0, omega_s: 1.0, c0_farad: 1.0, epsilon_m: 1.0 }
    }
}

impl Scales {
    /// Scales from amplitude (V), time (s) and capacitance (F), with space
    /// scale 1 m; validated.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] naming the first scale that is not positive and finite.
    pub fn new(s_volt: f64, omega_s: f64, c0_farad: f64) -> Result<Scales> {
        let scales = Scales { s_volt, omega_s, c0_farad, epsilon_m: 1.0 };
        scales.validate()?;
        Ok(scales)
    }

    /// Checks that every scale is positive and finite.
    ///
    /// # Errors
    ///
    /// [`Error::BadParameter`] naming the scale and its unit.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [
            ("amplitude scale s (V per model unit)", self.s_volt),
            ("time scale omega (s per model unit)", self.omega_s),
            ("capacitance unit C0 (F)", self.c0_farad),
            ("space scale epsilon (m per model unit)", self.epsilon_m),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(Error::BadParameter {
                    name: name.to_string(),
                    requirement: "positive and finite",
                    value,
                });
            }
        }
        Ok(())
    }

    /// The current unit `s C0 / omega`, A.
    pub fn current_a(&self) -> f64 {
        self.s_volt * self.c0_farad / self.omega_s
    }

    /// The conductance unit `C0 / omega`, S.
    pub fn conductance_s(&self) -> f64 {
        self.c0_farad / self.omega_s
    }

    /// The inductance unit `omega² / C0`, H.
    pub fn inductance_h(&self) -> f64 {
        self.omega_s * self.omega_s / self.c0_farad
    }

    /// A length of `x` model units in metres (`epsilon x`).
    pub fn length_m(&self, x: f64) -> f64 {
        self.epsilon_m * x
    }

    /// The inverse scales (`1/s`, `1/omega`, `1/C0`, `1/epsilon`), which map
    /// a physical circuit back to its mother.
    pub fn inverse(&self) -> Scales {
        Scales {
            s_volt: 1.0 / self.s_volt,
            omega_s: 1.0 / self.omega_s,
            c0_farad: 1.0 / self.c0_farad,
            epsilon_m: 1.0 / self.epsilon_m,
        }
    }
}

/// The physical circuit of a mother circuit at `scales` (see the
/// [module documentation](self) for the map of every element).
///
/// # Errors
///
/// [`Error::BadParameter`] for an invalid scale, [`Error::NotScalable`] for a
/// diode or MOSFET.
pub fn to_physical(mother: &FlatCircuit, scales: &Scales) -> Result<FlatCircuit> {
    scales.validate()?;
    scale(mother, scales)
}

/// The mother circuit of a physical circuit built at `scales`: the inverse
/// of [`to_physical`].
///
/// # Errors
///
/// As [`to_physical`].
pub fn to_mother(physical: &FlatCircuit, scales: &Scales) -> Result<FlatCircuit> {
    scales.validate()?;
    scale(physical, &scales.inverse())
}

/// A physical circuit (model 0 V at 0 V) moved to a circuit whose model
/// 0 V is `v_ref_v` above ground, as a realisation's: every node voltage
/// a behavioural current reads against ground becomes `v(n) - v_ref_v`
/// (`v(0, n)` becomes `v(0, n) + v_ref_v`; differences of two nodes stay),
/// and a capacitor to ground starts `v_ref_v` higher. Capacitors, current
/// sources and behavioural currents are moved exactly.
///
/// # Errors
///
/// [`Error::IdealBlock`] for any other element (a resistor or a law to
/// ground would draw another current in the moved frame).
pub fn with_reference(physical: &FlatCircuit, v_ref_v: f64) -> Result<FlatCircuit> {
    let shift = |e: &Expr| {
        map_leaves(e, &mut |leaf| match leaf {
            Expr::Voltage(a, b) => match (a.as_str(), b.as_deref()) {
                ("0", None | Some("0")) => None,
                (_, None | Some("0")) => Some(leaf.clone() - Expr::Num(v_ref_v)),
                ("0", Some(_)) => Some(leaf.clone() + Expr::Num(v_ref_v)),
                _ => None,
            },
            _ => None,
        })
    };
    let mut out = physical.clone();
    for e in &mut out.elements {
        e.kind = match &e.kind {
            ElementKind::BehaviouralCurrent { p, n, expr } => {
                ElementKind::BehaviouralCurrent { p: p.clone(), n: n.clone(), expr: shift(expr) }
            }
            ElementKind::Capacitor { p, n, c_farad, ic_volt } => {
                let grounded = usize::from(p == "0") + usize::from(n == "0") == 1;
                let sign = if n == "0" { 1.0 } else { -1.0 };
                let ic_volt = ic_volt.map(|v| if grounded { v + sign * v_ref_v } else { v });
                ElementKind::Capacitor { p: p.clone(), n: n.clone(), c_farad: *c_farad, ic_volt }
            }
            k @ ElementKind::CurrentSource { .. } => k.clone(),
            k => {
                return Err(Error::IdealBlock {
                    element: e.name.clone(),
                    reason: format!(
                        "its ideal model holds a {} to ground, which reads another current once moved to the \
                         realisation's reference voltage {} (capacitors, current sources and behavioural \
                         currents move exactly)",
                        k.class_name(),
                        atscale_circuit::units::si(v_ref_v, "V")
                    ),
                })
            }
        };
    }
    Ok(out)
}

/// The element with its magnitude multiplied by `factor` (mismatch):
/// resistance, capacitance and inductance values; source waveforms and DC
/// values; the current of a law (nonlinear resistor, memristive
/// conductance, behavioural current source). Voltages and time constants
/// are unchanged.
///
/// # Errors
///
/// [`Error::NotScalable`] for a diode, MOSFET or behavioural voltage source
/// (their magnitude is not one number).
pub fn magnify(name: &str, kind: &ElementKind<f64>, factor: f64) -> Result<ElementKind<f64>> {
    let current = Factors { v: 1.0, t: 1.0, i: factor, g: factor, c: 1.0, l: 1.0 };
    Ok(match kind {
        ElementKind::Resistor { p, n, r_ohm } => {
            ElementKind::Resistor { p: p.clone(), n: n.clone(), r_ohm: r_ohm * factor }
        }
        ElementKind::Capacitor { p, n, c_farad, ic_volt } => ElementKind::Capacitor {
            p: p.clone(),
            n: n.clone(),
            c_farad: c_farad * factor,
            ic_volt: *ic_volt,
        },
        ElementKind::Inductor { p, n, l_henry, ic_amp } => {
            ElementKind::Inductor { p: p.clone(), n: n.clone(), l_henry: l_henry * factor, ic_amp: *ic_amp }
        }
        ElementKind::VoltageSource { p, n, waveform, dc } => ElementKind::VoltageSource {
            p: p.clone(),
            n: n.clone(),
            waveform: scale_waveform(waveform, factor, 1.0),
            dc: dc.map(|x| x * factor),
        },
        // Its inputs (`v()`, `i()`, time) are the circuit's, unchanged: only
        // the current it gives is multiplied.
        ElementKind::BehaviouralCurrent { p, n, expr } => ElementKind::BehaviouralCurrent {
            p: p.clone(),
            n: n.clone(),
            expr: Expr::Num(factor) * expr.clone(),
        },
        ElementKind::CurrentSource { .. }
        | ElementKind::NonlinearResistor { .. }
        | ElementKind::Memristive { .. } => scale_kind(name, kind, &current)?,
        // A coupling coefficient is a ratio: the same at every magnitude.
        ElementKind::Coupling { .. } => kind.clone(),
        ElementKind::BehaviouralVoltage { .. }
        | ElementKind::Diode { .. }
        | ElementKind::Mosfet { .. }
        | ElementKind::Bjt { .. }
        | ElementKind::Switch { .. } => {
            return Err(Error::NotScalable { element: name.to_string(), class: kind.class_name() })
        }
    })
}

/// The factors of one change of scales.
struct Factors {
    /// Voltage factor `s`.
    v: f64,
    /// Time factor `omega`.
    t: f64,
    /// Current factor `s C0 / omega`.
    i: f64,
    /// Conductance factor `C0 / omega`.
    g: f64,
    /// Capacitance factor `C0`.
    c: f64,
    /// Inductance factor `omega² / C0`.
    l: f64,
}

fn scale(circuit: &FlatCircuit, scales: &Scales) -> Result<FlatCircuit> {
    let f = Factors {
        v: scales.s_volt,
        t: scales.omega_s,
        i: scales.current_a(),
        g: scales.conductance_s(),
        c: scales.c0_farad,
        l: scales.inductance_h(),
    };
    let elements = circuit
        .elements
        .iter()
        .map(|e| Ok(Element { name: e.name.clone(), kind: scale_kind(&e.name, &e.kind, &f)? }))
        .collect::<Result<Vec<_>>>()?;
    Ok(FlatCircuit { title: circuit.title.clone(), models: circuit.models.clone(), elements })
}

fn scale_kind(name: &str, kind: &ElementKind<f64>, f: &Factors) -> Result<ElementKind<f64>> {
    let pn = |p: &String, n: &String| (p.clone(), n.clone());
    Ok(match kind {
        ElementKind::Resistor { p, n, r_ohm } => {
            let (p, n) = pn(p, n);
            ElementKind::Resistor { p, n, r_ohm: r_ohm / f.g }
        }
        ElementKind::Capacitor { p, n, c_farad, ic_volt } => {
            let (p, n) = pn(p, n);
            ElementKind::Capacitor { p, n, c_farad: c_farad * f.c, ic_volt: ic_volt.map(|x| x * f.v) }
        }
        ElementKind::Inductor { p, n, l_henry, ic_amp } => {
            let (p, n) = pn(p, n);
            ElementKind::Inductor { p, n, l_henry: l_henry * f.l, ic_amp: ic_amp.map(|x| x * f.i) }
        }
        ElementKind::VoltageSource { p, n, waveform, dc } => {
            let (p, n) = pn(p, n);
            ElementKind::VoltageSource {
                p,
                n,
                waveform: scale_waveform(waveform, f.v, f.t),
                dc: dc.map(|x| x * f.v),
            }
        }
        ElementKind::CurrentSource { p, n, waveform, dc } => {
            let (p, n) = pn(p, n);
            ElementKind::CurrentSource {
                p,
                n,
                waveform: scale_waveform(waveform, f.i, f.t),
                dc: dc.map(|x| x * f.i),
            }
        }
        ElementKind::BehaviouralCurrent { p, n, expr } => {
            let (p, n) = pn(p, n);
            ElementKind::BehaviouralCurrent { p, n, expr: f.i * scale_behavioural(expr, f) }
        }
        ElementKind::BehaviouralVoltage { p, n, expr } => {
            let (p, n) = pn(p, n);
            ElementKind::BehaviouralVoltage { p, n, expr: f.v * scale_behavioural(expr, f) }
        }
        ElementKind::NonlinearResistor { p, n, law } => {
            let (p, n) = pn(p, n);
            ElementKind::NonlinearResistor { p, n, law: scale_resistive(law, f) }
        }
        ElementKind::Memristive { p, n, states, law } => {
            let (p, n) = pn(p, n);
            let (states, law) = scale_memristive(states, law, f);
            ElementKind::Memristive { p, n, states, law }
        }
        // Both inductances scale by the same factor: k is unchanged.
        ElementKind::Coupling { .. } => kind.clone(),
        ElementKind::Diode { .. }
        | ElementKind::Mosfet { .. }
        | ElementKind::Bjt { .. }
        | ElementKind::Switch { .. } => {
            return Err(Error::NotScalable { element: name.to_string(), class: kind.class_name() })
        }
    })
}

/// Values ×`fv`, times ×`ft`, frequencies and damping ÷`ft`.
fn scale_waveform(w: &Waveform<f64>, fv: f64, ft: f64) -> Waveform<f64> {
    let t = |x: &Option<f64>| x.map(|x| x * ft);
    match w {
        Waveform::Dc { value } => Waveform::Dc { value: value * fv },
        Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => Waveform::Pulse {
            v1: v1 * fv,
            v2: v2 * fv,
            td: t(td),
            tr: t(tr),
            tf: t(tf),
            pw: t(pw),
            per: t(per),
            np: *np,
        },
        Waveform::Pwl { points } => {
            Waveform::Pwl { points: points.iter().map(|(a, b)| (a * ft, b * fv)).collect() }
        }
        // `r` is one of the point times, scaled alike (below -0.5 it means none and stays).
        Waveform::PwlRepeat { points, r, td } => Waveform::PwlRepeat {
            points: points.iter().map(|(a, b)| (a * ft, b * fv)).collect(),
            r: r.map(|r| if r < -0.5 { r } else { r * ft }),
            td: t(td),
        },
        Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => Waveform::Sffm {
            vo: vo * fv,
            va: va * fv,
            fc: fc.map(|x| x / ft),
            mdi: *mdi,
            fs: fs.map(|x| x / ft),
            phasec: *phasec,
            phases: *phases,
        },
        // `vo` is in units of the modulating sine's amplitude: only `va` carries the value.
        Waveform::Am { va, vo, mf, fc, td, phasec, phases } => Waveform::Am {
            va: va * fv,
            vo: *vo,
            mf: mf.map(|x| x / ft),
            fc: fc.map(|x| x / ft),
            td: t(td),
            phasec: *phasec,
            phases: *phases,
        },
        Waveform::Sin { vo, va, freq, td, theta, phase } => Waveform::Sin {
            vo: vo * fv,
            va: va * fv,
            freq: freq.map(|x| x / ft),
            td: t(td),
            theta: theta.map(|x| x / ft),
            phase: *phase,
        },
        Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
            Waveform::Exp { v1: v1 * fv, v2: v2 * fv, td1: t(td1), tau1: t(tau1), td2: t(td2), tau2: t(tau2) }
        }
        // The 1/f samples are per sample, so NALPHA keeps its value.
        Waveform::TrNoise { offset, na, nt, nalpha, namp, rtsam, rtscapt, rtsemt, seed, .. } => {
            Waveform::TrNoise {
                offset: offset * fv,
                na: na * fv,
                nt: nt * ft,
                nalpha: *nalpha,
                namp: namp.map(|x| x * fv),
                rtsam: rtsam.map(|x| x * fv),
                rtscapt: t(rtscapt),
                rtsemt: t(rtsemt),
                seed: *seed,
                flicker: Default::default(),
            }
        }
        // A Poisson count is a number of events, not a value: only its
        // offset scales.
        Waveform::TrRandom { offset, dist, ts, td, p1, p2, seed } => Waveform::TrRandom {
            offset: offset * fv,
            dist: *dist,
            ts: ts * ft,
            td: t(td),
            p1: if *dist == Distribution::Poisson { *p1 } else { p1.map(|x| x * fv) },
            p2: p2.map(|x| x * fv),
            seed: *seed,
        },
    }
}

/// Rebuilds `e`, replacing each leaf for which `f` returns a replacement.
fn map_leaves(e: &Expr, f: &mut impl FnMut(&Expr) -> Option<Expr>) -> Expr {
    match e {
        Expr::Unary(op, a) => Expr::unary(*op, map_leaves(a, f)),
        Expr::Binary(op, a, b) => {
            let a = map_leaves(a, f);
            Expr::binary(*op, a, map_leaves(b, f))
        }
        Expr::Chain(first, rest) => Expr::Chain(
            Box::new(map_leaves(first, f)),
            rest.iter().map(|(op, t)| (*op, map_leaves(t, f))).collect(),
        ),
        Expr::Ternary(c, a, b) => {
            let c = map_leaves(c, f);
            let a = map_leaves(a, f);
            Expr::ternary(c, a, map_leaves(b, f))
        }
        Expr::Call(func, args) => Expr::call(*func, args.iter().map(|a| map_leaves(a, f)).collect()),
        leaf => f(leaf).unwrap_or_else(|| leaf.clone()),
    }
}

/// `V(·) -> V(·) (1/s)`, `time -> time (1/omega)`, `I(·) -> I(·) (1/k)`.
fn scale_behavioural(e: &Expr, f: &Factors) -> Expr {
    map_leaves(e, &mut |leaf| match leaf {
        Expr::Voltage(..) => Some(leaf.clone() * (1.0 / f.v)),
        Expr::Time => Some(leaf.clone() * (1.0 / f.t)),
        Expr::Current(_) => Some(leaf.clone() * (1.0 / f.i)),
        _ => None,
    })
}

/// The law variable `v -> v (1/s)`.
fn scale_law_expr(e: &Expr, fv: f64) -> Expr {
    map_leaves(e, &mut |leaf| match leaf {
        Expr::Var(name) if name == "v" => Some(leaf.clone() * (1.0 / fv)),
        _ => None,
    })
}

fn scale_resistive(law: &ResistiveLaw<f64>, f: &Factors) -> ResistiveLaw<f64> {
    let term = |t: &SoftplusTerm<f64>| SoftplusTerm { w: t.w, a: t.a / f.v, c: t.c * f.v };
    match law {
        ResistiveLaw::Cubic { a, b } => ResistiveLaw::Cubic { a: a * f.i / (f.v * f.v * f.v), b: b * f.g },
        ResistiveLaw::Tanh { alpha, delta, w } => {
            ResistiveLaw::Tanh { alpha: alpha * f.i, delta: delta * f.v, w: w * f.v }
        }
        ResistiveLaw::Logistic { alpha, a, c } => {
            ResistiveLaw::Logistic { alpha: alpha * f.i, a: a / f.v, c: c * f.v }
        }
        ResistiveLaw::Softplus { alpha, a, c } => {
            ResistiveLaw::Softplus { alpha: alpha * f.i, a: a / f.v, c: c * f.v }
        }
        ResistiveLaw::Glm { g0, terms } => {
            ResistiveLaw::Glm { g0: g0 * f.g, terms: terms.iter().map(term).collect() }
        }
        ResistiveLaw::Pwl { points } => {
            ResistiveLaw::Pwl { points: points.iter().map(|(v, i)| (v * f.v, i * f.i)).collect() }
        }
        ResistiveLaw::Expression { expr } => {
            ResistiveLaw::Expression { expr: f.i * scale_law_expr(expr, f.v) }
        }
    }
}

/// The affine kinetic form `alpha = v c1`, `beta = c2 - v c1` that stands
/// for a linear relaxation read by a tanh law: `(c1, c2)` if `r` has it.
fn affine_kinetic(r: &Relaxation<f64>) -> Option<(f64, f64, f64)> {
    let Relaxation::Kinetic { alpha, beta, x0 } = r else { return None };
    let v_times = |e: &Expr| match e {
        Expr::Binary(BinaryOp::Mul, a, b) => match (a.as_ref(), b.as_ref()) {
            (Expr::Var(v), Expr::Num(c)) if v == "v" => Some(*c),
            _ => None,
        },
        _ => None,
    };
    let c1 = v_times(alpha)?;
    match beta {
        Expr::Binary(BinaryOp::Sub, a, b) => match (a.as_ref(), v_times(b)) {
            (Expr::Num(c2), Some(c1b)) if c1b == c1 => Some((c1, *c2, *x0)),
            _ => None,
        },
        _ => None,
    }
}

/// `dx/dt = c1 v - c2 x` as the kinetic relaxation `alpha = v c1`,
/// `beta = c2 - v c1`.
fn affine(c1: f64, c2: f64, x0: f64) -> Relaxation<f64> {
    let v = || Expr::var("v");
    Relaxation::Kinetic { alpha: v() * c1, beta: c2 - v() * c1, x0 }
}

fn scale_memristive(
    states: &[Relaxation<f64>],
    law: &MemristiveLaw<f64>,
    f: &Factors,
) -> (Vec<Relaxation<f64>>, MemristiveLaw<f64>) {
    // States read by a memristive tanh law stay in model units (see the
    // module documentation).
    let tanh_state = match law {
        MemristiveLaw::Tanh { state, .. } => Some(*state),
        _ => None,
    };
    let new_states = states
        .iter()
        .enumerate()
        .map(|(j, r)| {
            if Some(j) == tanh_state {
                let (c1, c2, x0) = match r {
                    Relaxation::Linear { tau_s, x0 } => (1.0 / tau_s, 1.0 / tau_s, *x0),
                    _ => match affine_kinetic(r) {
                        Some(c) => c,
                        None => return scale_relaxation(r, f),
                    },
                };
                // alpha(v) -> alpha(v/s)/omega: c1 -> c1/(s omega), c2 -> c2/omega.
                let (c1, c2) = (c1 / (f.v * f.t), c2 / f.t);
                if ((c1 - c2) / c2).abs() <= 1e-12 {
                    return Relaxation::Linear { tau_s: 1.0 / c2, x0 };
                }
                return affine(c1, c2, x0);
            }
            scale_relaxation(r, f)
        })
        .collect();
    let is_voltage = |j: usize| matches!(states.get(j), Some(Relaxation::Linear { .. }));
    let law = match law {
        MemristiveLaw::Tanh { state, alpha, delta } => {
            MemristiveLaw::Tanh { state: *state, alpha: alpha * f.i, delta: *delta }
        }
        MemristiveLaw::Gates { gbar, e_volt, gates } => MemristiveLaw::Gates {
            gbar: gbar * f.g,
            e_volt: e_volt * f.v,
            gates: gates
                .iter()
                .map(|g| Gate {
                    state: g.state,
                    power: g.power,
                    logistic: g.logistic.as_ref().map(|sl| {
                        if is_voltage(g.state) {
                            Slope { a: sl.a / f.v, c: sl.c * f.v }
                        } else {
                            sl.clone()
                        }
                    }),
                })
                .collect(),
        },
        MemristiveLaw::Glm { gbar, e_volt, terms } => MemristiveLaw::Glm {
            gbar: gbar * f.g,
            e_volt: e_volt * f.v,
            terms: terms
                .iter()
                .map(|t| {
                    if is_voltage(t.state) {
                        StateTerm { state: t.state, w: t.w, a: t.a / f.v, c: t.c * f.v }
                    } else {
                        t.clone()
                    }
                })
                .collect(),
        },
    };
    (new_states, law)
}

fn scale_relaxation(r: &Relaxation<f64>, f: &Factors) -> Relaxation<f64> {
    match r {
        Relaxation::Linear { tau_s, x0 } => Relaxation::Linear { tau_s: tau_s * f.t, x0: x0 * f.v },
        Relaxation::Kinetic { alpha, beta, x0 } => Relaxation::Kinetic {
            alpha: scale_law_expr(alpha, f.v) * (1.0 / f.t),
            beta: scale_law_expr(beta, f.v) * (1.0 / f.t),
            x0: *x0,
        },
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use atscale_circuit::expr::{CompiledExpr, Input};
    use serde_json::Value as J;

    use super::*;

    /// The mismatch factor of every case: not a power of two, so that a
    /// factor applied twice, inverted or dropped shows.
    const F: f64 = 1.3;

    fn s(x: &str) -> String {
        x.to_string()
    }

    /// `got` and `want` equal in structure, numbers within one rounding of
    /// the product (`x * F` and the literal are each rounded once: 4e-16
    /// relative covers both).
    fn assert_same(got: &J, want: &J, what: &str) {
        match (got, want) {
            (J::Number(x), J::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                assert!((x - y).abs() <= 4e-16 * y.abs(), "{what}: got {x:e}, want {y:e}");
            }
            (J::Array(x), J::Array(y)) => {
                assert_eq!(x.len(), y.len(), "{what}");
                x.iter()
                    .zip(y)
                    .enumerate()
                    .for_each(|(k, (x, y))| assert_same(x, y, &format!("{what}[{k}]")));
            }
            (J::Object(x), J::Object(y)) => {
                let keys = |m: &serde_json::Map<String, J>| m.keys().cloned().collect::<Vec<_>>();
                assert_eq!(keys(x), keys(y), "{what}");
                for (k, v) in x {
                    assert_same(v, &y[k], &format!("{what}.{k}"));
                }
            }
            _ => assert_eq!(got, want, "{what}"),
        }
    }

    fn check(kind: ElementKind<f64>, want: ElementKind<f64>) {
        let got = magnify("X1", &kind, F).unwrap();
        let what = kind.class_name();
        assert_same(&serde_json::to_value(&got).unwrap(), &serde_json::to_value(&want).unwrap(), what);
    }

    fn nl(law: ResistiveLaw<f64>) -> ElementKind<f64> {
        ElementKind::NonlinearResistor { p: s("a"), n: s("0"), law }
    }

    fn memristive(states: Vec<Relaxation<f64>>, law: MemristiveLaw<f64>) -> ElementKind<f64> {
        ElementKind::Memristive { p: s("a"), n: s("0"), states, law }
    }

    #[test]
    fn magnify_multiplies_passive_values_but_not_initial_conditions() {
        check(
            ElementKind::Resistor { p: s("a"), n: s("b"), r_ohm: 2e3 },
            ElementKind::Resistor { p: s("a"), n: s("b"), r_ohm: 2.6e3 },
        );
        check(
            ElementKind::Capacitor { p: s("a"), n: s("0"), c_farad: 2e-12, ic_volt: Some(0.3) },
            ElementKind::Capacitor { p: s("a"), n: s("0"), c_farad: 2.6e-12, ic_volt: Some(0.3) },
        );
        check(
            ElementKind::Inductor { p: s("a"), n: s("0"), l_henry: 5e-3, ic_amp: Some(1e-6) },
            ElementKind::Inductor { p: s("a"), n: s("0"), l_henry: 6.5e-3, ic_amp: Some(1e-6) },
        );
    }

    #[test]
    fn magnify_multiplies_source_values_but_not_times() {
        let vsrc = |waveform, dc| ElementKind::VoltageSource { p: s("a"), n: s("0"), waveform, dc };
        let isrc = |waveform, dc| ElementKind::CurrentSource { p: s("0"), n: s("a"), waveform, dc };
        check(vsrc(Waveform::Dc { value: 2.0 }, None), vsrc(Waveform::Dc { value: 2.6 }, None));
        let pulse = |v1: f64, v2: f64| Waveform::Pulse {
            v1,
            v2,
            td: Some(1e-3),
            tr: Some(1e-6),
            tf: Some(2e-6),
            pw: Some(5e-4),
            per: Some(2e-3),
            np: Some(3.0),
        };
        check(vsrc(pulse(-0.5, 1.0), Some(0.5)), vsrc(pulse(-0.65, 1.3), Some(0.65)));
        let sin = |vo: f64, va: f64| Waveform::Sin {
            vo,
            va,
            freq: Some(50.0),
            td: Some(1e-3),
            theta: Some(10.0),
            phase: Some(30.0),
        };
        check(isrc(sin(1e-9, 2e-9), Some(1e-9)), isrc(sin(1.3e-9, 2.6e-9), Some(1.3e-9)));
        let exp = |v1: f64, v2: f64| Waveform::Exp {
            v1,
            v2,
            td1: Some(1e-3),
            tau1: Some(2e-3),
            td2: Some(5e-3),
            tau2: Some(3e-3),
        };
        check(isrc(exp(0.0, 1e-6), None), isrc(exp(0.0, 1.3e-6), None));
        check(
            isrc(Waveform::Pwl { points: vec![(0.0, 0.0), (1e-3, 2e-9), (4e-3, -1e-9)] }, None),
            isrc(Waveform::Pwl { points: vec![(0.0, 0.0), (1e-3, 2.6e-9), (4e-3, -1.3e-9)] }, None),
        );
    }

    #[test]
    fn magnify_multiplies_the_current_of_every_resistive_law_family() {
        check(nl(ResistiveLaw::Cubic { a: 1.0, b: 3.0 }), nl(ResistiveLaw::Cubic { a: 1.3, b: 3.9 }));
        check(
            nl(ResistiveLaw::Tanh { alpha: -2.0, delta: 0.1, w: 0.5 }),
            nl(ResistiveLaw::Tanh { alpha: -2.6, delta: 0.1, w: 0.5 }),
        );
        check(
            nl(ResistiveLaw::Logistic { alpha: 1.0, a: 3.0, c: -0.2 }),
            nl(ResistiveLaw::Logistic { alpha: 1.3, a: 3.0, c: -0.2 }),
        );
        check(
            nl(ResistiveLaw::Softplus { alpha: 0.5, a: -2.0, c: 0.4 }),
            nl(ResistiveLaw::Softplus { alpha: 0.65, a: -2.0, c: 0.4 }),
        );
        let terms = vec![SoftplusTerm { w: 0.7, a: 4.0, c: 0.1 }, SoftplusTerm { w: -0.2, a: -1.0, c: 0.3 }];
        check(
            nl(ResistiveLaw::Glm { g0: 0.1, terms: terms.clone() }),
            nl(ResistiveLaw::Glm { g0: 0.13, terms }),
        );
        check(
            nl(ResistiveLaw::Pwl { points: vec![(-1.0, -0.5), (0.0, 0.0), (2.0, 3.0)] }),
            nl(ResistiveLaw::Pwl { points: vec![(-1.0, -0.65), (0.0, 0.0), (2.0, 3.9)] }),
        );
    }

    #[test]
    fn magnify_multiplies_memristive_conductances_but_not_batteries_or_states() {
        let linear = vec![Relaxation::Linear { tau_s: 5.0, x0: -0.4 }];
        let gates = |gbar: f64| MemristiveLaw::Gates {
            gbar,
            e_volt: 0.8,
            gates: vec![Gate { state: 0, power: 2, logistic: Some(Slope { a: 5.0, c: 0.1 }) }],
        };
        check(memristive(linear.clone(), gates(1.5)), memristive(linear.clone(), gates(1.95)));
        let glm = |gbar: f64| MemristiveLaw::Glm {
            gbar,
            e_volt: -0.5,
            terms: vec![StateTerm { state: 0, w: 1.2, a: -3.0, c: 0.25 }],
        };
        check(memristive(linear.clone(), glm(0.3)), memristive(linear.clone(), glm(0.39)));
        // The tanh law's state goes through the kinetic form and back to the
        // same linear relaxation (tau = 1/(1/tau), within one rounding).
        let tanh = |alpha: f64| MemristiveLaw::Tanh { state: 0, alpha, delta: 0.2 };
        check(memristive(linear.clone(), tanh(-2.0)), memristive(linear, tanh(-2.6)));
    }

    /// Value of `e` at node voltages `nodes`, branch currents `currents` and time `t`.
    fn eval(e: &Expr, nodes: &[(&str, f64)], currents: &[(&str, f64)], t: f64) -> f64 {
        let mut x = Vec::new();
        let mut resolve = |input: Input<'_>| -> std::result::Result<Option<usize>, String> {
            let value = match input {
                Input::Node(n) => nodes.iter().find(|(k, _)| *k == n).map(|p| p.1),
                Input::Current(n) => currents.iter().find(|(k, _)| *k == n).map(|p| p.1),
                Input::Var(n) => nodes.iter().find(|(k, _)| *k == n).map(|p| p.1),
            };
            x.push(value.ok_or(format!("no value for {input}"))?);
            Ok(Some(x.len() - 1))
        };
        let c = CompiledExpr::compile(e, &mut resolve).unwrap();
        c.eval(&x, t, &mut c.workspace())
    }

    #[test]
    fn magnify_multiplies_expression_currents_and_keeps_their_inputs() {
        // Expression law: i(v) -> F i(v) at every v.
        let law = ResistiveLaw::Expression { expr: Expr::parse("1e-3*(exp(v/0.5)-1) + v*v*v").unwrap() };
        let ElementKind::NonlinearResistor { law: got, .. } = magnify("N1", &nl(law.clone()), F).unwrap()
        else {
            panic!("not a nonlinear resistor")
        };
        for v in [-2.0, -0.3, 0.0, 0.4, 1.7] {
            let (want, have) = (F * law.current(v), got.current(v));
            assert!((have - want).abs() <= 4e-16 * want.abs(), "expression law at {v} V: {have} vs {want}");
        }
        // Behavioural current: F times the expression, reading V(·) and time unchanged.
        let expr = Expr::parse("1e-6*tanh(V(a)-V(b)) + 2e-6*sin(1e3*time)").unwrap();
        let b = ElementKind::BehaviouralCurrent { p: s("a"), n: s("0"), expr: expr.clone() };
        let ElementKind::BehaviouralCurrent { expr: got, .. } = magnify("B1", &b, F).unwrap() else {
            panic!("not a behavioural current")
        };
        for (va, vb, t) in [(0.3, -0.1, 1e-3), (-1.0, 0.5, 2.5e-3), (2.0, 2.0, 0.0)] {
            let nodes = [("a", va), ("b", vb)];
            let (want, have) = (F * eval(&expr, &nodes, &[], t), eval(&got, &nodes, &[], t));
            assert!((have - want).abs() <= 4e-16 * want.abs(), "B1 at {nodes:?}, {t} s: {have} vs {want}");
        }
        // One that reads a branch current: the current read is the circuit's,
        // unchanged (it was once scaled by the current factor and back).
        let expr = Expr::parse("2*I(vx)").unwrap();
        let b = ElementKind::BehaviouralCurrent { p: s("a"), n: s("0"), expr: expr.clone() };
        let ElementKind::BehaviouralCurrent { expr: got, .. } = magnify("B2", &b, F).unwrap() else {
            panic!("not a behavioural current")
        };
        let (want, have) = (F * 2e-6, eval(&got, &[], &[("vx", 1e-6)], 0.0));
        assert!((have - want).abs() <= 4e-16 * want.abs(), "B2: {have} vs {want}");
        // Kinetic states keep their rates: only the conductance is multiplied.
        let kinetic = vec![Relaxation::Kinetic {
            alpha: Expr::parse("0.1*exp(v/2)").unwrap(),
            beta: Expr::parse("0.4*exp(-v/3)").unwrap(),
            x0: 0.3,
        }];
        let law = MemristiveLaw::Gates {
            gbar: 2.0,
            e_volt: -0.7,
            gates: vec![Gate { state: 0, power: 3, logistic: None }],
        };
        let m = memristive(kinetic.clone(), law);
        let ElementKind::Memristive { states, law: got_law, .. } = magnify("M1", &m, F).unwrap() else {
            panic!("not memristive")
        };
        for v in [-1.0, 0.0, 0.8] {
            let (x, y) = (&kinetic[0], &states[0]);
            for (a, b) in [(x.steady_state(v), y.steady_state(v)), (x.time_constant(v), y.time_constant(v))] {
                assert!((a - b).abs() <= 4e-16 * a.abs(), "kinetic state at {v} V: {a} vs {b}");
            }
            let (want, have) = (1.3 * 2.0 * 0.3f64.powi(3) * (v + 0.7), got_law.current(v, &[0.3]));
            assert!((have - want).abs() <= 1e-15 * want.abs(), "gate current at {v} V: {have} vs {want}");
        }
    }

    #[test]
    fn magnify_refuses_what_has_no_single_magnitude() {
        let refused = [
            ElementKind::BehaviouralVoltage { p: s("a"), n: s("0"), expr: Expr::parse("2*V(b)").unwrap() },
            ElementKind::Diode { p: s("a"), n: s("0"), model: s("d"), area: None },
            ElementKind::Mosfet {
                d: s("a"),
                g: s("b"),
                s: s("0"),
                b: s("0"),
                model: s("nm"),
                w_m: 1e-6,
                l_m: 1e-6,
                instance: Default::default(),
            },
        ];
        for kind in refused {
            let e = magnify("X9", &kind, F).unwrap_err().to_string();
            assert!(e.contains("X9") && e.contains("not scalable"), "{e}");
        }
    }
}
