//! A summary of a flat circuit: its elements, their energy nature, its nodes.

use serde::Serialize;

use crate::circuit::FlatCircuit;
use crate::element::{ElementKind, EnergyNature, SwitchControl};
use crate::law::{MemristiveLaw, ResistiveLaw};
use crate::units::si;
use crate::waveform::Waveform;

/// One element in a [`Summary`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ElementSummary {
    /// Hierarchical name.
    pub name: String,
    /// Element class (`capacitor`, `memristive conductance`, ...).
    pub class: &'static str,
    /// Energy nature.
    pub energy: EnergyNature,
    /// Nodes it connects.
    pub nodes: Vec<String>,
    /// Its defining values with units, e.g. `1 pF, initial 0 V`.
    pub value: String,
}

/// What a circuit is made of.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Title.
    pub title: String,
    /// Elements in order.
    pub elements: Vec<ElementSummary>,
    /// Number of non-ground nodes.
    pub node_count: usize,
    /// Number of internal states of memristive conductances.
    pub internal_states: usize,
}

impl FlatCircuit {
    /// Summarises the circuit.
    pub fn summary(&self) -> Summary {
        let elements = self
            .elements
            .iter()
            .map(|e| ElementSummary {
                name: e.name.clone(),
                class: e.kind.class_name(),
                energy: e.kind.energy(),
                nodes: e.kind.nodes().into_iter().map(str::to_string).collect(),
                value: describe(&e.kind),
            })
            .collect();
        let internal_states = self
            .elements
            .iter()
            .map(|e| match &e.kind {
                ElementKind::Memristive { states, .. } => states.len(),
                _ => 0,
            })
            .sum();
        Summary { title: self.title.clone(), elements, node_count: self.nodes().len(), internal_states }
    }
}

fn waveform(w: &Waveform<f64>, unit: &str) -> String {
    match w {
        Waveform::Dc { value } => format!("DC {}", si(*value, unit)),
        Waveform::Pulse { v1, v2, .. } => format!("PULSE {} to {}", si(*v1, unit), si(*v2, unit)),
        Waveform::Pwl { points } => format!("PWL with {} corners", points.len()),
        Waveform::PwlRepeat { points, r, td } => format!(
            "PWL with {} corners{}{}",
            points.len(),
            r.filter(|r| *r >= -0.5).map(|r| format!(", repeating from {}", si(r, "s"))).unwrap_or_default(),
            td.map(|d| format!(", delayed {}", si(d, "s"))).unwrap_or_default()
        ),
        Waveform::Sffm { vo, va, fc, .. } => format!(
            "SFFM offset {}, amplitude {}{}",
            si(*vo, unit),
            si(*va, unit),
            fc.map(|f| format!(", carrier {}", si(f, "Hz"))).unwrap_or_default()
        ),
        Waveform::Am { va, fc, .. } => format!(
            "AM amplitude {}{}",
            si(*va, unit),
            fc.map(|f| format!(", carrier {}", si(f, "Hz"))).unwrap_or_default()
        ),
        Waveform::TrNoise { offset, na, nt, .. } => {
            format!("TRNOISE {} rms every {} on {}", si(*na, unit), si(*nt, "s"), si(*offset, unit))
        }
        Waveform::TrRandom { offset, dist, ts, .. } => {
            format!("TRRANDOM {dist:?} held {} on {}", si(*ts, "s"), si(*offset, unit))
        }
        Waveform::Sin { vo, va, freq, .. } => format!(
            "SIN offset {}, amplitude {}{}",
            si(*vo, unit),
            si(*va, unit),
            freq.map(|f| format!(", {}", si(f, "Hz"))).unwrap_or_default()
        ),
        Waveform::Exp { v1, v2, .. } => format!("EXP {} to {}", si(*v1, unit), si(*v2, unit)),
    }
}

fn describe(k: &ElementKind<f64>) -> String {
    match k {
        ElementKind::Resistor { r_ohm, .. } => si(*r_ohm, "Ω"),
        ElementKind::Capacitor { c_farad, ic_volt, .. } => match ic_volt {
            Some(ic) => format!("{}, initial {}", si(*c_farad, "F"), si(*ic, "V")),
            None => si(*c_farad, "F"),
        },
        ElementKind::Inductor { l_henry, ic_amp, .. } => match ic_amp {
            Some(ic) => format!("{}, initial {}", si(*l_henry, "H"), si(*ic, "A")),
            None => si(*l_henry, "H"),
        },
        ElementKind::VoltageSource { waveform: w, .. } => waveform(w, "V"),
        ElementKind::CurrentSource { waveform: w, .. } => waveform(w, "A"),
        ElementKind::BehaviouralCurrent { expr, .. } => format!("I = {expr} (A)"),
        ElementKind::BehaviouralVoltage { expr, .. } => format!("V = {expr} (V)"),
        ElementKind::NonlinearResistor { law, .. } => match law {
            ResistiveLaw::Cubic { a, b } => {
                format!("i = a v³ - b v, a = {}, b = {}", si(*a, "A/V³"), si(*b, "S"))
            }
            ResistiveLaw::Tanh { alpha, delta, w } => format!(
                "i = alpha tanh((v - delta)/w), alpha = {}, delta = {}, w = {}",
                si(*alpha, "A"),
                si(*delta, "V"),
                si(*w, "V")
            ),
            ResistiveLaw::Logistic { alpha, a, c } => {
                format!("logistic, alpha = {}, a = {}, c = {}", si(*alpha, "A"), si(*a, "/V"), si(*c, "V"))
            }
            ResistiveLaw::Softplus { alpha, a, c } => {
                format!("softplus, alpha = {}, a = {}, c = {}", si(*alpha, "A"), si(*a, "/V"), si(*c, "V"))
            }
            ResistiveLaw::Glm { g0, terms } => {
                format!("GLM, g0 = {}, {} softplus terms", si(*g0, "S"), terms.len())
            }
            ResistiveLaw::Pwl { points } => format!("PWL with {} corners", points.len()),
            ResistiveLaw::Expression { expr } => format!("i = {expr} (A)"),
        },
        ElementKind::Memristive { states, law, .. } => {
            let law = match law {
                MemristiveLaw::Tanh { alpha, delta, .. } => {
                    format!(
                        "i = alpha tanh(x - delta), alpha = {}, delta = {}",
                        si(*alpha, "A"),
                        si(*delta, "V")
                    )
                }
                MemristiveLaw::Gates { gbar, e_volt, gates } => {
                    format!("gbar = {}, E = {}, {} gates", si(*gbar, "S"), si(*e_volt, "V"), gates.len())
                }
                MemristiveLaw::Glm { gbar, e_volt, terms } => {
                    format!("GLM gbar = {}, E = {}, {} terms", si(*gbar, "S"), si(*e_volt, "V"), terms.len())
                }
            };
            format!("{law}, {} states", states.len())
        }
        ElementKind::Diode { model, .. } => format!("model {model}"),
        ElementKind::Mosfet { model, w_m, l_m, .. } => {
            format!("model {model}, W = {}, L = {}", si(*w_m, "m"), si(*l_m, "m"))
        }
        ElementKind::Bjt { model, .. } => format!("model {model}"),
        ElementKind::Switch { model, control, .. } => match control {
            SwitchControl::Voltage { cp, cn } => format!("model {model}, controlled by v({cp}, {cn})"),
            SwitchControl::Current { source } => format!("model {model}, controlled by i({source})"),
        },
        ElementKind::Coupling { l1, l2, k } => format!("{l1} and {l2}, k = {k}"),
    }
}
