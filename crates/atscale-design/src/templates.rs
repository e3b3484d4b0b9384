//! Mother circuits: dimensionless templates of neuromorphic circuits
//! (theory sections 3, 7 and 8), each with its membrane node, how long to
//! run it, how to detect its events and the behaviour it is built to show.
//!
//! Every template is in model units (`s = omega = C0 = 1`): map it to a
//! physical circuit with [`crate::scaling::to_physical`].
//!
//! - [`fitzhugh_nagumo`]: the FitzHugh-Nagumo circuit with a bias current.
//! - [`four_conductance`]: the Ribar-Sepulchre neuromorphic neuron, tanh
//!   elements in four roles, in a [`Setting::Spiking`] or
//!   [`Setting::Bursting`] setting.
//! - [`hodgkin_huxley`]: the Hodgkin-Huxley membrane as memristive conductances.
//! - [`bistable_switch`]: a capacitor and a cubic negative resistor.
//! - [`cable`]: a chain of passive or FitzHugh-Nagumo compartments.
//! - [`hopfield`]: a network of bistable units storing binary patterns.

use atscale_circuit::expr::Expr;
use atscale_circuit::{Element, ElementKind, FlatCircuit, MemristiveLaw, Relaxation, ResistiveLaw, Waveform};
use atscale_sim::{Direction, Simulation};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The behaviour a template is built to show: the same classes the
/// landscape analysis finds ([`crate::landscape::classify`]).
pub use crate::landscape::Behaviour;

/// A mother circuit with what is needed to run it and what to expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Short name (`fitzhugh-nagumo`, `four-conductance-bursting`, ...).
    pub name: String,
    /// The circuit, in model units.
    pub circuit: FlatCircuit,
    /// The membrane node whose events are the output (`v` for a single neuron).
    pub membrane: String,
    /// One sentence on what the circuit is.
    pub description: String,
    /// A stop time, model units, long enough to show the behaviour.
    pub default_tstop: f64,
    /// Event threshold on the membrane voltage, model units.
    pub threshold: f64,
    /// Event hysteresis (re-arm below `threshold - hysteresis`), model units.
    pub hysteresis: f64,
    /// The behaviour the template is built to show.
    pub behaviour: Behaviour,
}

impl Template {
    /// A simulation of the template: its stop time, `uic` (start from the
    /// initial conditions in the circuit), the membrane probed and its
    /// rising events requested.
    ///
    /// # Errors
    ///
    /// [`Error::Sim`] if the native solver cannot formulate the circuit.
    pub fn simulation(&self) -> Result<Simulation> {
        Ok(Simulation::new(&self.circuit)?.tstop(self.default_tstop).uic(true).probe(&self.membrane).event(
            &self.membrane,
            self.threshold,
            self.hysteresis,
            Direction::Rising,
        ))
    }

    /// The template with a rectangular current pulse of `amplitude` (model
    /// units of current) injected into the membrane from `t_start` for
    /// `width` (model units of time), with rise and fall times of
    /// `width / 100` (one PULSE of period `2 width`, `np = 1`). The source is
    /// named `Ipulse`.
    pub fn with_pulse(mut self, amplitude: f64, t_start: f64, width: f64) -> Template {
        let edge = width / 100.0;
        self.circuit.elements.push(el(
            "Ipulse",
            ElementKind::CurrentSource {
                p: "0".into(),
                n: self.membrane.clone(),
                waveform: Waveform::Pulse {
                    v1: 0.0,
                    v2: amplitude,
                    td: Some(t_start),
                    tr: Some(edge),
                    tf: Some(edge),
                    pw: Some(width - edge),
                    per: Some(2.0 * width),
                    np: Some(1.0),
                },
                dc: None,
            },
        ));
        self
    }
}

fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
    Element { name: name.into(), kind }
}

fn s(x: &str) -> String {
    x.to_string()
}

fn cap(p: &str, c: f64, v0: f64) -> ElementKind<f64> {
    ElementKind::Capacitor { p: s(p), n: s("0"), c_farad: c, ic_volt: Some(v0) }
}

fn bias(n: &str, i: f64) -> ElementKind<f64> {
    ElementKind::CurrentSource { p: s("0"), n: s(n), waveform: Waveform::Dc { value: i }, dc: None }
}

fn flat(title: &str, elements: Vec<Element<f64>>) -> FlatCircuit {
    FlatCircuit { title: title.into(), models: Vec::new(), elements }
}

/// Lower bias current of the FitzHugh-Nagumo Hopf bifurcation
/// (`a = 0.7, b = 0.8, eps = 0.08`): below it the circuit is excitable,
/// above it (up to [`FHN_HOPF_HIGH`]) it spikes tonically. Model units.
pub const FHN_HOPF_LOW: f64 = 0.331_28;
/// Upper bias current of the FitzHugh-Nagumo Hopf bifurcation, model units
/// (above it the circuit rests depolarised).
pub const FHN_HOPF_HIGH: f64 = 1.418_72;

/// The FitzHugh-Nagumo rest state `(v, i_L)` at bias `i_bias`: the unique
/// root of `v - v³/3 - (v + 0.7)/0.8 + I = 0`.
pub fn fhn_rest(i_bias: f64) -> (f64, f64) {
    let mut v = -1.0;
    for _ in 0..100 {
        let g = -v * v * v / 3.0 - 0.25 * v - 0.875 + i_bias;
        let dg = -v * v - 0.25;
        let dv = g / dg;
        v -= dv;
        if dv.abs() < 1e-15 * (1.0 + v.abs()) {
            break;
        }
    }
    (v, (v + 0.7) / 0.8)
}

fn fhn_cell(els: &mut Vec<Element<f64>>, tag: &str, scale: f64, v0: f64, il0: f64, i_bias: f64) {
    let v = format!("v{tag}");
    let m = format!("m{tag}");
    let e = format!("e{tag}");
    els.push(el(&format!("C{tag}"), cap(&v, scale, v0)));
    els.push(el(
        &format!("Rnl{tag}"),
        ElementKind::NonlinearResistor {
            p: v.clone(),
            n: s("0"),
            law: ResistiveLaw::Cubic { a: scale / 3.0, b: scale },
        },
    ));
    els.push(el(
        &format!("L{tag}"),
        ElementKind::Inductor {
            p: v.clone(),
            n: m.clone(),
            l_henry: 12.5 / scale,
            ic_amp: Some(il0 * scale),
        },
    ));
    els.push(el(&format!("R{tag}"), ElementKind::Resistor { p: m, n: e.clone(), r_ohm: 0.8 / scale }));
    els.push(el(
        &format!("Vbat{tag}"),
        ElementKind::VoltageSource { p: e, n: s("0"), waveform: Waveform::Dc { value: -0.7 }, dc: None },
    ));
    if i_bias != 0.0 {
        els.push(el(&format!("Iext{tag}"), bias(&v, i_bias * scale)));
    }
}

/// The FitzHugh-Nagumo circuit of theory section 3 with bias current
/// `i_bias` (model units): the elements of
/// `atscale_circuit::builtin::fitzhugh_nagumo` (`C = 1`, cubic
/// `v³/3 - v`, `L = 12.5`, `R = 0.8`, battery `E = 0.7`), membrane `v`,
/// starting from its rest state (see [`fhn_rest`]) when excitable so that
/// it rests, else from `v = -1, i_L = 1` (the reference case). Behaviour: excitable below [`FHN_HOPF_LOW`], tonic spiking
/// up to [`FHN_HOPF_HIGH`], monostable (depolarised rest) above. Events:
/// rising crossings of `v = 1`, hysteresis 0.5. With `i_bias = 0.5` it
/// spikes every 39.47 time units.
pub fn fitzhugh_nagumo(i_bias: f64) -> Template {
    let (v0, il0) = if i_bias < FHN_HOPF_LOW { fhn_rest(i_bias) } else { (-1.0, 1.0) };
    let mut els = Vec::new();
    fhn_cell(&mut els, "", 1.0, v0, il0, i_bias);
    // The builtin names the nodes `v`, `m`, `e` and the elements C1, L1, R1.
    for e in &mut els {
        e.name = match e.name.as_str() {
            "C" => s("C1"),
            "L" => s("L1"),
            "R" => s("R1"),
            other => other.to_string(),
        };
    }
    let behaviour = if i_bias < FHN_HOPF_LOW {
        Behaviour::Excitable
    } else if i_bias <= FHN_HOPF_HIGH {
        Behaviour::TonicSpiking
    } else {
        Behaviour::Monostable
    };
    Template {
        name: s("fitzhugh-nagumo"),
        circuit: flat(&format!("FitzHugh-Nagumo circuit, bias {i_bias}"), els),
        membrane: s("v"),
        description: s("capacitor, cubic negative resistor and an inductor-resistor-battery recovery branch"),
        default_tstop: 200.0,
        threshold: 1.0,
        hysteresis: 0.5,
        behaviour,
    }
}

/// The setting of the [`four_conductance`] neuron.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Setting {
    /// Tonic spiking: no slow negative conductance.
    Spiking,
    /// Bursting: a slow negative conductance makes the slow scale bistable.
    Bursting,
}

/// Time constant of the slow tanh elements of [`four_conductance`], model units.
pub const TAU_SLOW: f64 = 50.0;
/// Time constant of the ultraslow tanh element of [`four_conductance`], model units.
pub const TAU_ULTRASLOW: f64 = 2500.0;

/// The parameters of [`four_conductance`] in a setting:
/// `(alpha_s_minus, bias)`, model units.
pub fn four_conductance_parameters(setting: Setting) -> (f64, f64) {
    match setting {
        Setting::Spiking => (0.0, -1.0),
        Setting::Bursting => (-1.5, -2.0),
    }
}

fn tanh_memristor(tau: f64, alpha: f64, delta: f64, x0: f64) -> ElementKind<f64> {
    ElementKind::Memristive {
        p: s("v"),
        n: s("0"),
        states: vec![Relaxation::Linear { tau_s: tau, x0 }],
        law: MemristiveLaw::Tanh { state: 0, alpha, delta },
    }
}

/// The neuromorphic neuron of Ribar and Sepulchre (theory section 7): a
/// unit membrane capacitor, a unit leak and four tanh conductance elements,
///
/// ```text
/// dv/dt = -v - I_f - I_s+ - I_s- - I_us + I
/// I_f  = -2 tanh(v)                         fast negative (instantaneous)
/// I_s+ =  2 tanh(v_s)                       slow positive,     50 dv_s/dt = v - v_s
/// I_s- = alpha_s- tanh(v_s + 0.88)          slow negative      (its own state, same tau)
/// I_us =  1.5 tanh(v_us)                    ultraslow positive, 2500 dv_us/dt = v - v_us
/// ```
///
/// Spiking: `alpha_s- = 0`, `I = -1`; bursting: `alpha_s- = -1.5`,
/// `I = -2` (see [`four_conductance_parameters`]). Membrane `v`, events:
/// rising crossings of `v = 0`, hysteresis 0.5. Element names: `C1`, `Gl`,
/// `Rf`, `Msp`, `Msn`, `Mus`, `Iext`.
pub fn four_conductance(setting: Setting) -> Template {
    let (alpha_sn, i_bias) = four_conductance_parameters(setting);
    let v0 = -1.0;
    let mut els = vec![
        el("C1", cap("v", 1.0, v0)),
        el("Gl", ElementKind::Resistor { p: s("v"), n: s("0"), r_ohm: 1.0 }),
        el(
            "Rf",
            ElementKind::NonlinearResistor {
                p: s("v"),
                n: s("0"),
                law: ResistiveLaw::Tanh { alpha: -2.0, delta: 0.0, w: 1.0 },
            },
        ),
        el("Msp", tanh_memristor(TAU_SLOW, 2.0, 0.0, v0)),
    ];
    if alpha_sn != 0.0 {
        els.push(el("Msn", tanh_memristor(TAU_SLOW, alpha_sn, -0.88, v0)));
    }
    els.push(el("Mus", tanh_memristor(TAU_ULTRASLOW, 1.5, 0.0, v0)));
    els.push(el("Iext", bias("v", i_bias)));
    let (name, behaviour, tstop) = match setting {
        Setting::Spiking => ("four-conductance-spiking", Behaviour::TonicSpiking, 500.0),
        Setting::Bursting => ("four-conductance-bursting", Behaviour::Bursting, 12_000.0),
    };
    Template {
        name: s(name),
        circuit: flat(&format!("four-conductance neuron ({name})"), els),
        membrane: s("v"),
        description: s("membrane capacitor, leak and tanh conductances: fast negative, slow positive, \
                        slow negative, ultraslow positive"),
        default_tstop: tstop,
        threshold: 0.0,
        hysteresis: 0.5,
        behaviour,
    }
}

/// The Hodgkin-Huxley squid axon membrane as a memristive circuit (model
/// units mV, ms, uA/cm², mS/cm², uF/cm²): the circuit of
/// `atscale_sim::reference::hodgkin_huxley` (sodium and potassium channels
/// with kinetic gates, leak with its battery, bias 10 uA/cm²). Events:
/// rising crossings of 0 mV, hysteresis 10 mV; it spikes every 14.6 ms.
pub fn hodgkin_huxley() -> Template {
    let case = atscale_sim::reference::hodgkin_huxley();
    Template {
        name: s("hodgkin-huxley"),
        circuit: case.circuit,
        membrane: s("v"),
        description: s("Hodgkin-Huxley membrane: sodium and potassium channels as memristive conductances"),
        default_tstop: case.tstop,
        threshold: 0.0,
        hysteresis: 10.0,
        behaviour: Behaviour::TonicSpiking,
    }
}

/// A bistable switch: a unit capacitor and the cubic negative resistor
/// `v³/3 - v`, no recovery; its landscape `v⁴/12 - v²/2` is a double well
/// at every scale, wells at `v = ±√3`. It starts at `v = 0.1` (and goes to
/// `+√3`); start it elsewhere with `Simulation::ic`. Events: rising
/// crossings of `v = 1`, hysteresis 0.5.
pub fn bistable_switch() -> Template {
    let els = vec![
        el("C1", cap("v", 1.0, 0.1)),
        el(
            "Rnl",
            ElementKind::NonlinearResistor {
                p: s("v"),
                n: s("0"),
                law: ResistiveLaw::Cubic { a: 1.0 / 3.0, b: 1.0 },
            },
        ),
    ];
    Template {
        name: s("bistable-switch"),
        circuit: flat("bistable switch", els),
        membrane: s("v"),
        description: s("capacitor and cubic negative resistor: a double well at every scale"),
        default_tstop: 20.0,
        threshold: 1.0,
        hysteresis: 0.5,
        behaviour: Behaviour::Bistable,
    }
}

/// The compartment of a [`cable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compartment {
    /// Passive membrane: capacitance 1 and conductance 1 per unit length
    /// (membrane time constant 1); the first compartment is held by a
    /// unit current injection.
    Passive,
    /// FitzHugh-Nagumo membrane per unit length; the first compartment is
    /// biased to spike (1 per unit length), the others rest (bias 0,
    /// excitable) and are excited by the wave.
    FitzHughNagumo,
}

/// A cable of `n` compartments of length `dx` (model units of length; the
/// physical length is `Scales::length_m(dx)`, the space scale `epsilon`
/// times `dx`). Per unit length the membrane has capacitance 1 (and for a
/// passive cable conductance 1), the axial conductance-times-length is 1,
/// so the length constant is 1 model unit; each compartment therefore
/// has membrane capacitance `dx` (FitzHugh-Nagumo elements: every current
/// ×`dx`) and neighbours are joined by axial resistors `dx` (conductance
/// `1/dx`). Membrane nodes `v0`...; the template's membrane is the last one,
/// `v{n-1}`, where the stimulus at `v0` arrives.
///
/// # Errors
///
/// [`Error::BadTemplate`] for `n = 0` or a `dx` that is not positive and finite.
pub fn cable(n: usize, compartment: Compartment, dx: f64) -> Result<Template> {
    if n == 0 {
        return Err(Error::BadTemplate { template: "cable", reason: s("needs at least one compartment") });
    }
    if !(dx > 0.0 && dx.is_finite()) {
        return Err(Error::BadTemplate {
            template: "cable",
            reason: format!("compartment length dx must be positive and finite, got {dx}"),
        });
    }
    let mut els = Vec::new();
    let (rest_v, rest_i) = fhn_rest(0.0);
    for k in 0..n {
        let tag = k.to_string();
        let v = format!("v{k}");
        match compartment {
            Compartment::Passive => {
                els.push(el(&format!("C{tag}"), cap(&v, dx, 0.0)));
                els.push(el(
                    &format!("Rm{tag}"),
                    ElementKind::Resistor { p: v.clone(), n: s("0"), r_ohm: 1.0 / dx },
                ));
                if k == 0 {
                    els.push(el("Iext0", bias(&v, 1.0)));
                }
            }
            Compartment::FitzHughNagumo => {
                let i_bias = if k == 0 { 1.0 } else { 0.0 };
                fhn_cell(&mut els, &tag, dx, rest_v, rest_i, i_bias);
            }
        }
        if k > 0 {
            els.push(el(
                &format!("Ra{tag}"),
                ElementKind::Resistor { p: format!("v{}", k - 1), n: v, r_ohm: dx },
            ));
        }
    }
    let (behaviour, threshold, tstop) = match compartment {
        Compartment::Passive => (Behaviour::Monostable, 0.5, 10.0),
        Compartment::FitzHughNagumo => (Behaviour::TonicSpiking, 1.0, 200.0),
    };
    Ok(Template {
        name: s("cable"),
        circuit: flat(&format!("cable of {n} compartments"), els),
        membrane: format!("v{}", n - 1),
        description: format!("cable of {n} compartments of length {dx} coupled by axial resistors"),
        default_tstop: tstop,
        threshold,
        hysteresis: 0.5,
        behaviour,
    })
}

/// The coupling gain of [`hopfield`]: `W = (gain / N) Σ_p ξ_p ξ_pᵀ`, zero diagonal.
pub const HOPFIELD_GAIN: f64 = 1.0;

/// The Hebbian weight matrix of [`hopfield`] for `patterns` (rows of `±1`).
pub fn hebbian_weights(patterns: &[Vec<bool>]) -> Vec<Vec<f64>> {
    let n = patterns.first().map_or(0, Vec::len);
    let sign = |b: bool| if b { 1.0 } else { -1.0 };
    let mut w = vec![vec![0.0; n]; n];
    for p in patterns {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    w[i][j] += HOPFIELD_GAIN * sign(p[i]) * sign(p[j]) / n as f64;
                }
            }
        }
    }
    w
}

/// A Hopfield network of `N` bistable units (each a unit capacitor and the
/// cubic negative resistor `v³/3 - v`, wells at `±√3`) storing `patterns`
/// (`true` = `+`, `false` = `-`) by the Hebbian rule of [`hebbian_weights`].
///
/// Weights of both signs are realised by one behavioural current source per
/// neuron, `Iw{i}`, injecting `Σ_j W_ij v(v{j})` into node `v{i}` (a
/// voltage-controlled current: a bank of transconductors). With `W`
/// symmetric the network is a gradient system with energy
/// `Σ_i (v_i⁴/12 - v_i²/2) - ½ vᵀ W v`, whose wells include the stored
/// patterns. Nodes `v0`...`v{N-1}`, all starting at 0 (an unstable
/// equilibrium: set initial states with `Simulation::ic`).
///
/// # Errors
///
/// [`Error::BadTemplate`] if there are no patterns, a pattern is empty, or
/// patterns differ in length.
pub fn hopfield(patterns: &[Vec<bool>]) -> Result<Template> {
    let n = patterns.first().map_or(0, Vec::len);
    if n == 0 {
        return Err(Error::BadTemplate {
            template: "hopfield",
            reason: s("needs at least one non-empty pattern"),
        });
    }
    if let Some(bad) = patterns.iter().position(|p| p.len() != n) {
        return Err(Error::BadTemplate {
            template: "hopfield",
            reason: format!("pattern {bad} has {} entries, pattern 0 has {n}", patterns[bad].len()),
        });
    }
    let w = hebbian_weights(patterns);
    let mut els = Vec::new();
    for (i, row) in w.iter().enumerate() {
        let v = format!("v{i}");
        els.push(el(&format!("C{i}"), cap(&v, 1.0, 0.0)));
        els.push(el(
            &format!("Rnl{i}"),
            ElementKind::NonlinearResistor {
                p: v.clone(),
                n: s("0"),
                law: ResistiveLaw::Cubic { a: 1.0 / 3.0, b: 1.0 },
            },
        ));
        let mut expr: Option<Expr> = None;
        for (j, wij) in row.iter().enumerate() {
            if *wij != 0.0 {
                let term = *wij * Expr::v(format!("v{j}"));
                expr = Some(match expr {
                    Some(e) => e + term,
                    None => term,
                });
            }
        }
        if let Some(expr) = expr {
            els.push(el(&format!("Iw{i}"), ElementKind::BehaviouralCurrent { p: s("0"), n: v, expr }));
        }
    }
    Ok(Template {
        name: s("hopfield"),
        circuit: flat(&format!("Hopfield network of {n} bistable units, {} patterns", patterns.len()), els),
        membrane: s("v0"),
        description: format!("{n} bistable units coupled by Hebbian transconductances"),
        default_tstop: 30.0,
        threshold: 1.0,
        hysteresis: 0.5,
        behaviour: Behaviour::Bistable,
    })
}
