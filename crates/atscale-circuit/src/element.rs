//! Circuit elements and their energy nature.

use serde::{Deserialize, Serialize};

use crate::expr::Expr;
use crate::law::{MemristiveLaw, Relaxation, ResistiveLaw};
use crate::waveform::Waveform;

/// The name of the ground node.
pub const GROUND: &str = "0";

/// One element of a circuit: a name unique in its scope and what it is.
///
/// `V` is the value type: [`Value`](crate::Value) in a circuit as written,
/// `f64` in a [`FlatCircuit`](crate::FlatCircuit).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element<V> {
    /// Name, unique (case-insensitively) in its circuit or subcircuit.
    pub name: String,
    /// What the element is and how it is connected.
    #[serde(flatten)]
    pub kind: ElementKind<V>,
}

/// What an element is. Two-terminal elements have a positive node `p` and a
/// negative node `n`; their branch voltage is `v(p) - v(n)` and their branch
/// current flows from `p` through the element to `n`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub enum ElementKind<V> {
    /// Linear resistor.
    Resistor {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Resistance, Ω (finite, non-zero; negative values are negative resistors).
        r_ohm: V,
    },
    /// Linear capacitor, `q = C v`.
    Capacitor {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Capacitance, F (positive).
        c_farad: V,
        /// Initial voltage, V (used when the analysis skips the operating point).
        #[serde(skip_serializing_if = "Option::is_none")]
        ic_volt: Option<V>,
    },
    /// Linear inductor, `phi = L i`.
    Inductor {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Inductance, H (positive).
        l_henry: V,
        /// Initial current from `p` to `n`, A.
        #[serde(skip_serializing_if = "Option::is_none")]
        ic_amp: Option<V>,
    },
    /// Independent voltage source: `v(p) - v(n) = waveform(t)`.
    VoltageSource {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Time course, V.
        waveform: Waveform<V>,
        /// Separate DC value for a DC operating point, V (SPICE's `DC` field
        /// beside a transient waveform).
        #[serde(skip_serializing_if = "Option::is_none")]
        dc: Option<V>,
    },
    /// Independent current source: `waveform(t)` amperes flow from `p`
    /// through the source to `n` (SPICE convention).
    CurrentSource {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Time course, A.
        waveform: Waveform<V>,
        /// Separate DC value for a DC operating point, A.
        #[serde(skip_serializing_if = "Option::is_none")]
        dc: Option<V>,
    },
    /// Behavioural current source: `expr` amperes flow from `p` through it to `n`.
    BehaviouralCurrent {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Current in amperes as an expression of node voltages, branch
        /// currents, `time` and parameters.
        expr: Expr,
    },
    /// Behavioural voltage source: `v(p) - v(n) = expr`.
    BehaviouralVoltage {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Voltage in volts as an expression.
        expr: Expr,
    },
    /// Nonlinear voltage-controlled resistor `i = f(v)`.
    NonlinearResistor {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Constitutive law.
        law: ResistiveLaw<V>,
    },
    /// Memristive conductance: internal relaxation states of the branch
    /// voltage and a law giving the current from the voltage and the states.
    Memristive {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// Internal states, in order (laws refer to them by index).
        states: Vec<Relaxation<V>>,
        /// Current law over the states.
        law: MemristiveLaw<V>,
    },
    /// Junction diode, anode `p`, cathode `n`.
    Diode {
        /// Anode.
        p: String,
        /// Cathode.
        n: String,
        /// Name of a diode [`Model`](crate::Model).
        model: String,
        /// Area factor (default 1).
        #[serde(skip_serializing_if = "Option::is_none")]
        area: Option<V>,
    },
    /// MOSFET (drain, gate, source, bulk).
    Mosfet {
        /// Drain.
        d: String,
        /// Gate.
        g: String,
        /// Source.
        s: String,
        /// Bulk.
        b: String,
        /// Name of an NMOS or PMOS [`Model`](crate::Model).
        model: String,
        /// Channel width, m.
        w_m: V,
        /// Channel length, m.
        l_m: V,
        /// Multiplier, drain and source geometry, `OFF` and `IC=`.
        #[serde(default, skip_serializing_if = "MosInstance::is_default")]
        instance: MosInstance<V>,
    },
    /// Bipolar junction transistor (collector, base, emitter, and the
    /// substrate when given; SPICE's default substrate is ground).
    Bjt {
        /// Collector.
        c: String,
        /// Base.
        b: String,
        /// Emitter.
        e: String,
        /// Substrate node (default ground).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sub: Option<String>,
        /// Name of an NPN or PNP [`Model`](crate::Model).
        model: String,
        /// Area factor (default 1).
        #[serde(skip_serializing_if = "Option::is_none")]
        area: Option<V>,
        /// Parallel multiplier `M` (default 1): every current, conductance
        /// and charge times M. Not the same as the area in ngspice 39, which
        /// applies the area twice to the B-C saturation current.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        m: Option<V>,
        /// `OFF`: ngspice starts its operating point with the device off.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        off: bool,
        /// `IC=vbe,vce`, V: ngspice's initial device voltages under `uic` (at most two).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ic_volt: Vec<V>,
    },
    /// Switch between `p` and `n` (SPICE `S` or `W`).
    Switch {
        /// Positive node.
        p: String,
        /// Negative node.
        n: String,
        /// What controls it.
        control: SwitchControl,
        /// Name of an SW (voltage control) or CSW (current control) [`Model`](crate::Model).
        model: String,
        /// Initial state for the operating point (`ON`/`OFF`), if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<bool>,
    },
    /// Mutual inductance between two inductors (SPICE `K`): `M = k √(L1 L2)`.
    Coupling {
        /// First inductor's name.
        l1: String,
        /// Second inductor's name.
        l2: String,
        /// Coupling coefficient (0 < |k| ≤ 1).
        k: V,
    },
}

/// The instance parameters of a MOSFET beyond W and L (SPICE's `M`, `AD`,
/// `AS`, `PD`, `PS`, `NRD`, `NRS`, `OFF`, `IC=`); an absent one takes the
/// SPICE default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct MosInstance<V> {
    /// Parallel multiplier `M` (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m: Option<V>,
    /// Drain diffusion area `AD`, m² (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_m2: Option<V>,
    /// Source diffusion area `AS`, m² (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_m2: Option<V>,
    /// Drain perimeter `PD`, m (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd_m: Option<V>,
    /// Source perimeter `PS`, m (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ps_m: Option<V>,
    /// Squares of drain diffusion `NRD`, multiplying the sheet resistance (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nrd: Option<V>,
    /// Squares of source diffusion `NRS` (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nrs: Option<V>,
    /// `OFF`: ngspice starts its operating point with the device off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub off: bool,
    /// `IC=vds,vgs,vbs`, V: ngspice's initial device voltages (at most three).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ic_volt: Vec<V>,
}

impl<V> Default for MosInstance<V> {
    /// Every instance parameter at its SPICE default.
    fn default() -> Self {
        MosInstance {
            m: None,
            ad_m2: None,
            as_m2: None,
            pd_m: None,
            ps_m: None,
            nrd: None,
            nrs: None,
            off: false,
            ic_volt: Vec::new(),
        }
    }
}

impl<V> MosInstance<V> {
    /// Whether every parameter is at its SPICE default (nothing to write).
    pub fn is_default(&self) -> bool {
        let MosInstance { m, ad_m2, as_m2, pd_m, ps_m, nrd, nrs, off, ic_volt } = self;
        [m, ad_m2, as_m2, pd_m, ps_m, nrd, nrs].iter().all(|v| v.is_none()) && !off && ic_volt.is_empty()
    }

    /// The named values with their SPICE names, in card order (`M AD AS PD PS NRD NRS`).
    pub fn named(&self) -> [(&'static str, &Option<V>); 7] {
        [
            ("M", &self.m),
            ("AD", &self.ad_m2),
            ("AS", &self.as_m2),
            ("PD", &self.pd_m),
            ("PS", &self.ps_m),
            ("NRD", &self.nrd),
            ("NRS", &self.nrs),
        ]
    }

    /// Maps every value through `f` (used to resolve parameters).
    pub fn try_map<W, E>(&self, f: &mut impl FnMut(&V) -> Result<W, E>) -> Result<MosInstance<W>, E> {
        let mut o = |x: &Option<V>| x.as_ref().map(&mut *f).transpose();
        Ok(MosInstance {
            m: o(&self.m)?,
            ad_m2: o(&self.ad_m2)?,
            as_m2: o(&self.as_m2)?,
            pd_m: o(&self.pd_m)?,
            ps_m: o(&self.ps_m)?,
            nrd: o(&self.nrd)?,
            nrs: o(&self.nrs)?,
            off: self.off,
            ic_volt: self.ic_volt.iter().map(f).collect::<Result<_, E>>()?,
        })
    }
}

/// What controls a [`ElementKind::Switch`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SwitchControl {
    /// `v(cp) - v(cn)` (SPICE `S`).
    Voltage {
        /// Positive controlling node.
        cp: String,
        /// Negative controlling node.
        cn: String,
    },
    /// The current through a voltage source or inductor (SPICE `W`).
    Current {
        /// The controlling element's name.
        source: String,
    },
}

/// How an element relates to energy (theory section 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnergyNature {
    /// Stores energy (capacitor `C v²/2`, inductor `L i²/2`).
    Storage,
    /// Dissipates energy (resistors, diodes, transistors, memristive
    /// conductances without a battery).
    Dissipation,
    /// A conductance in series with a battery: dissipates, and its battery
    /// supplies power.
    DissipationWithBattery,
    /// Supplies power (independent and behavioural sources).
    Supply,
}

impl EnergyNature {
    /// A short phrase for summaries.
    pub fn describe(self) -> &'static str {
        match self {
            EnergyNature::Storage => "stores energy",
            EnergyNature::Dissipation => "dissipates energy",
            EnergyNature::DissipationWithBattery => "dissipates energy, its battery supplies it",
            EnergyNature::Supply => "supplies energy",
        }
    }
}

impl<V> ElementKind<V> {
    /// The element's energy nature.
    pub fn energy(&self) -> EnergyNature {
        match self {
            ElementKind::Capacitor { .. } | ElementKind::Inductor { .. } | ElementKind::Coupling { .. } => {
                EnergyNature::Storage
            }
            ElementKind::Resistor { .. }
            | ElementKind::NonlinearResistor { .. }
            | ElementKind::Diode { .. }
            | ElementKind::Mosfet { .. }
            | ElementKind::Bjt { .. }
            | ElementKind::Switch { .. } => EnergyNature::Dissipation,
            ElementKind::Memristive { law, .. } => match law.battery() {
                Some(_) => EnergyNature::DissipationWithBattery,
                None => EnergyNature::Dissipation,
            },
            ElementKind::VoltageSource { .. }
            | ElementKind::CurrentSource { .. }
            | ElementKind::BehaviouralCurrent { .. }
            | ElementKind::BehaviouralVoltage { .. } => EnergyNature::Supply,
        }
    }

    /// A human name of the element class (`resistor`, `memristive conductance`, ...).
    pub fn class_name(&self) -> &'static str {
        match self {
            ElementKind::Resistor { .. } => "resistor",
            ElementKind::Capacitor { .. } => "capacitor",
            ElementKind::Inductor { .. } => "inductor",
            ElementKind::VoltageSource { .. } => "voltage source",
            ElementKind::CurrentSource { .. } => "current source",
            ElementKind::BehaviouralCurrent { .. } => "behavioural current source",
            ElementKind::BehaviouralVoltage { .. } => "behavioural voltage source",
            ElementKind::NonlinearResistor { .. } => "nonlinear resistor",
            ElementKind::Memristive { .. } => "memristive conductance",
            ElementKind::Diode { .. } => "diode",
            ElementKind::Mosfet { .. } => "MOSFET",
            ElementKind::Bjt { .. } => "bipolar transistor",
            ElementKind::Switch { .. } => "switch",
            ElementKind::Coupling { .. } => "inductor coupling",
        }
    }

    /// The nodes the element connects, in terminal order.
    pub fn nodes(&self) -> Vec<&str> {
        match self {
            ElementKind::Resistor { p, n, .. }
            | ElementKind::Capacitor { p, n, .. }
            | ElementKind::Inductor { p, n, .. }
            | ElementKind::VoltageSource { p, n, .. }
            | ElementKind::CurrentSource { p, n, .. }
            | ElementKind::BehaviouralCurrent { p, n, .. }
            | ElementKind::BehaviouralVoltage { p, n, .. }
            | ElementKind::NonlinearResistor { p, n, .. }
            | ElementKind::Memristive { p, n, .. }
            | ElementKind::Diode { p, n, .. } => vec![p, n],
            ElementKind::Mosfet { d, g, s, b, .. } => vec![d, g, s, b],
            ElementKind::Bjt { c, b, e, sub, .. } => {
                let mut v = vec![c.as_str(), b, e];
                v.extend(sub.as_deref());
                v
            }
            ElementKind::Switch { p, n, control, .. } => match control {
                SwitchControl::Voltage { cp, cn } => vec![p, n, cp, cn],
                SwitchControl::Current { .. } => vec![p, n],
            },
            ElementKind::Coupling { .. } => vec![],
        }
    }

    /// Mutable access to the node names, in terminal order.
    pub fn nodes_mut(&mut self) -> Vec<&mut String> {
        match self {
            ElementKind::Resistor { p, n, .. }
            | ElementKind::Capacitor { p, n, .. }
            | ElementKind::Inductor { p, n, .. }
            | ElementKind::VoltageSource { p, n, .. }
            | ElementKind::CurrentSource { p, n, .. }
            | ElementKind::BehaviouralCurrent { p, n, .. }
            | ElementKind::BehaviouralVoltage { p, n, .. }
            | ElementKind::NonlinearResistor { p, n, .. }
            | ElementKind::Memristive { p, n, .. }
            | ElementKind::Diode { p, n, .. } => vec![p, n],
            ElementKind::Mosfet { d, g, s, b, .. } => vec![d, g, s, b],
            ElementKind::Bjt { c, b, e, sub, .. } => {
                let mut v = vec![c, b, e];
                v.extend(sub.as_mut());
                v
            }
            ElementKind::Switch { p, n, control, .. } => match control {
                SwitchControl::Voltage { cp, cn } => vec![p, n, cp, cn],
                SwitchControl::Current { .. } => vec![p, n],
            },
            ElementKind::Coupling { .. } => vec![],
        }
    }

    /// The expressions the element holds (behavioural sources, expression
    /// laws, kinetic relaxation rates).
    pub fn expressions(&self) -> Vec<&Expr> {
        match self {
            ElementKind::BehaviouralCurrent { expr, .. } | ElementKind::BehaviouralVoltage { expr, .. } => {
                vec![expr]
            }
            ElementKind::NonlinearResistor { law: ResistiveLaw::Expression { expr }, .. } => vec![expr],
            ElementKind::Memristive { states, .. } => states
                .iter()
                .flat_map(|s| match s {
                    Relaxation::Kinetic { alpha, beta, .. } => vec![alpha, beta],
                    Relaxation::Linear { .. } => vec![],
                })
                .collect(),
            _ => vec![],
        }
    }

    /// The names of other elements the element refers to (a `W` switch's
    /// controlling source, a coupling's inductors), for renaming in subcircuits.
    pub fn element_refs_mut(&mut self) -> Vec<&mut String> {
        match self {
            ElementKind::Switch { control: SwitchControl::Current { source }, .. } => vec![source],
            ElementKind::Coupling { l1, l2, .. } => vec![l1, l2],
            _ => vec![],
        }
    }

    /// Whether the element carries a branch current as an unknown of
    /// modified nodal analysis (voltage sources and inductors), so that
    /// expressions may read it as `I(name)`.
    pub fn has_branch_current(&self) -> bool {
        matches!(
            self,
            ElementKind::VoltageSource { .. }
                | ElementKind::Inductor { .. }
                | ElementKind::BehaviouralVoltage { .. }
        )
    }

    /// Whether the element conducts at DC between its nodes (for the
    /// "no DC path to ground" check). MOSFETs conduct between drain and source.
    pub fn dc_paths(&self) -> Vec<(&str, &str)> {
        match self {
            ElementKind::Capacitor { .. }
            | ElementKind::CurrentSource { .. }
            | ElementKind::BehaviouralCurrent { .. } => {
                vec![]
            }
            ElementKind::Mosfet { d, s, .. } => vec![(d, s)],
            ElementKind::Bjt { c, b, e, .. } => vec![(c, e), (b, e)],
            ElementKind::Switch { p, n, .. } => vec![(p, n)],
            ElementKind::Coupling { .. } => vec![],
            ElementKind::Resistor { p, n, .. }
            | ElementKind::Inductor { p, n, .. }
            | ElementKind::VoltageSource { p, n, .. }
            | ElementKind::BehaviouralVoltage { p, n, .. }
            | ElementKind::NonlinearResistor { p, n, .. }
            | ElementKind::Memristive { p, n, .. }
            | ElementKind::Diode { p, n, .. } => vec![(p, n)],
        }
    }

    /// Maps every value through `f` (used to resolve parameters), and every
    /// expression through `g` (used to substitute parameters and rename nodes).
    pub fn try_map<W, E>(
        &self,
        f: &mut impl FnMut(&V) -> Result<W, E>,
        g: &mut impl FnMut(&Expr) -> Result<Expr, E>,
    ) -> Result<ElementKind<W>, E> {
        let opt = |o: &Option<V>, f: &mut dyn FnMut(&V) -> Result<W, E>| o.as_ref().map(f).transpose();
        Ok(match self {
            ElementKind::Resistor { p, n, r_ohm } => {
                ElementKind::Resistor { p: p.clone(), n: n.clone(), r_ohm: f(r_ohm)? }
            }
            ElementKind::Capacitor { p, n, c_farad, ic_volt } => ElementKind::Capacitor {
                p: p.clone(),
                n: n.clone(),
                c_farad: f(c_farad)?,
                ic_volt: opt(ic_volt, f)?,
            },
            ElementKind::Inductor { p, n, l_henry, ic_amp } => ElementKind::Inductor {
                p: p.clone(),
                n: n.clone(),
                l_henry: f(l_henry)?,
                ic_amp: opt(ic_amp, f)?,
            },
            ElementKind::VoltageSource { p, n, waveform, dc } => ElementKind::VoltageSource {
                p: p.clone(),
                n: n.clone(),
                waveform: waveform.try_map(f)?,
                dc: opt(dc, f)?,
            },
            ElementKind::CurrentSource { p, n, waveform, dc } => ElementKind::CurrentSource {
                p: p.clone(),
                n: n.clone(),
                waveform: waveform.try_map(f)?,
                dc: opt(dc, f)?,
            },
            ElementKind::BehaviouralCurrent { p, n, expr } => {
                ElementKind::BehaviouralCurrent { p: p.clone(), n: n.clone(), expr: g(expr)? }
            }
            ElementKind::BehaviouralVoltage { p, n, expr } => {
                ElementKind::BehaviouralVoltage { p: p.clone(), n: n.clone(), expr: g(expr)? }
            }
            ElementKind::NonlinearResistor { p, n, law } => {
                let law = match law {
                    ResistiveLaw::Expression { expr } => ResistiveLaw::Expression { expr: g(expr)? },
                    other => other.try_map(f)?,
                };
                ElementKind::NonlinearResistor { p: p.clone(), n: n.clone(), law }
            }
            ElementKind::Memristive { p, n, states, law } => ElementKind::Memristive {
                p: p.clone(),
                n: n.clone(),
                states: states
                    .iter()
                    .map(|s| match s {
                        Relaxation::Kinetic { alpha, beta, x0 } => {
                            Ok(Relaxation::Kinetic { alpha: g(alpha)?, beta: g(beta)?, x0: f(x0)? })
                        }
                        Relaxation::Linear { .. } => s.try_map(f),
                    })
                    .collect::<Result<_, E>>()?,
                law: law.try_map(f)?,
            },
            ElementKind::Diode { p, n, model, area } => {
                ElementKind::Diode { p: p.clone(), n: n.clone(), model: model.clone(), area: opt(area, f)? }
            }
            ElementKind::Mosfet { d, g: gate, s, b, model, w_m, l_m, instance } => ElementKind::Mosfet {
                d: d.clone(),
                g: gate.clone(),
                s: s.clone(),
                b: b.clone(),
                model: model.clone(),
                w_m: f(w_m)?,
                l_m: f(l_m)?,
                instance: instance.try_map(f)?,
            },
            ElementKind::Bjt { c, b, e, sub, model, area, m, off, ic_volt } => ElementKind::Bjt {
                c: c.clone(),
                b: b.clone(),
                e: e.clone(),
                sub: sub.clone(),
                model: model.clone(),
                area: opt(area, f)?,
                m: opt(m, f)?,
                off: *off,
                ic_volt: ic_volt.iter().map(&mut *f).collect::<Result<_, _>>()?,
            },
            ElementKind::Switch { p, n, control, model, on } => ElementKind::Switch {
                p: p.clone(),
                n: n.clone(),
                control: control.clone(),
                model: model.clone(),
                on: *on,
            },
            ElementKind::Coupling { l1, l2, k } => {
                ElementKind::Coupling { l1: l1.clone(), l2: l2.clone(), k: f(k)? }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::law::{Gate, MemristiveLaw, Relaxation};

    fn two(p: &str) -> (String, String) {
        (p.to_string(), "0".to_string())
    }

    #[test]
    fn every_element_states_its_energy_nature() {
        let (p, n) = two("a");
        let lin = Relaxation::Linear { tau_s: 1.0, x0: 0.0 };
        let cases: Vec<(ElementKind<f64>, EnergyNature)> = vec![
            (
                ElementKind::Capacitor { p: p.clone(), n: n.clone(), c_farad: 1.0, ic_volt: None },
                EnergyNature::Storage,
            ),
            (
                ElementKind::Inductor { p: p.clone(), n: n.clone(), l_henry: 1.0, ic_amp: None },
                EnergyNature::Storage,
            ),
            (ElementKind::Resistor { p: p.clone(), n: n.clone(), r_ohm: 1.0 }, EnergyNature::Dissipation),
            (
                ElementKind::Memristive {
                    p: p.clone(),
                    n: n.clone(),
                    states: vec![lin.clone()],
                    law: MemristiveLaw::Tanh { state: 0, alpha: 1.0, delta: 0.0 },
                },
                EnergyNature::Dissipation,
            ),
            (
                ElementKind::Memristive {
                    p: p.clone(),
                    n: n.clone(),
                    states: vec![lin],
                    law: MemristiveLaw::Gates {
                        gbar: 1.0,
                        e_volt: -0.07,
                        gates: vec![Gate { state: 0, power: 1, logistic: None }],
                    },
                },
                EnergyNature::DissipationWithBattery,
            ),
            (
                ElementKind::CurrentSource {
                    p: p.clone(),
                    n: n.clone(),
                    waveform: crate::waveform::Waveform::Dc { value: 1.0 },
                    dc: None,
                },
                EnergyNature::Supply,
            ),
            (
                ElementKind::BehaviouralVoltage {
                    p: p.clone(),
                    n: n.clone(),
                    expr: crate::expr::Expr::Num(1.0),
                },
                EnergyNature::Supply,
            ),
            (ElementKind::Diode { p, n, model: "d".into(), area: None }, EnergyNature::Dissipation),
        ];
        for (kind, nature) in cases {
            assert_eq!(kind.energy(), nature, "{}", kind.class_name());
        }
    }
}
