//! An element's numeric parameters addressed by path: what sweeps, Monte
//! Carlo and realisation read and set.
//!
//! A path names a number inside an element the way the element's JSON form
//! nests it (`atscale summary --json`): `r_ohm`, `waveform.value`,
//! `waveform.points.2.1`, `law.alpha`, `law.terms.0.w`, `states.0.x0`,
//! `law.gates.1.logistic.c`, `w_m`. The paths are written out here, one
//! arm per element kind, not derived from serde, so renaming a Rust field
//! cannot silently change a sweep file's meaning; a test checks that they
//! agree with the JSON form. Only continuous parameters are listed: state
//! indices and gate exponents are structure, not parameters, and optional
//! values that are absent (a PULSE without `per`) have no path.

use crate::element::ElementKind;
use crate::law::{Gate, MemristiveLaw, Relaxation, ResistiveLaw};
use crate::waveform::Waveform;

/// Unit of a dimensionless parameter.
pub const DIMENSIONLESS: &str = "-";

/// A numeric parameter of an element.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Its path (`law.alpha`, `states.0.x0`).
    pub path: String,
    /// Its unit (`V`, `A`, `Ohm`, `1/V`, ...; [`DIMENSIONLESS`] for none).
    pub unit: &'static str,
    /// Its value.
    pub value: f64,
}

/// Why a field could not be set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldError {
    /// The path names no numeric parameter of the element.
    #[error("no numeric parameter `{path}`; the element's are {}", list(.known))]
    Unknown {
        /// The path asked for.
        path: String,
        /// The paths the element has.
        known: Vec<String>,
    },
    /// The new value is not a finite number.
    #[error("`{path}` would be {value}; it must be a finite number")]
    NotFinite {
        /// The path.
        path: String,
        /// The value refused.
        value: f64,
    },
}

fn list(known: &[String]) -> String {
    if known.is_empty() {
        "none".into()
    } else {
        known.join(", ")
    }
}

/// A mutable numeric slot with its path and unit.
type Slot<'a> = (String, &'static str, &'a mut f64);

impl ElementKind<f64> {
    /// Every numeric parameter of the element, in the order of its JSON form.
    pub fn fields(&self) -> Vec<Field> {
        let mut copy = self.clone();
        copy.slots().into_iter().map(|(path, unit, v)| Field { path, unit, value: *v }).collect()
    }

    /// The parameter at `path`, if the element has it.
    pub fn field(&self, path: &str) -> Option<Field> {
        self.fields().into_iter().find(|f| f.path == path)
    }

    /// Sets the parameter at `path` to `value`.
    ///
    /// # Errors
    ///
    /// [`FieldError::Unknown`] listing the element's paths;
    /// [`FieldError::NotFinite`] for a value that is not finite.
    pub fn set_field(&mut self, path: &str, value: f64) -> Result<(), FieldError> {
        if !value.is_finite() {
            return Err(FieldError::NotFinite { path: path.into(), value });
        }
        let mut slots = self.slots();
        let known: Vec<String> = slots.iter().map(|s| s.0.clone()).collect();
        match slots.iter_mut().find(|s| s.0 == path) {
            Some(slot) => {
                *slot.2 = value;
                Ok(())
            }
            None => Err(FieldError::Unknown { path: path.into(), known }),
        }
    }

    fn slots(&mut self) -> Vec<Slot<'_>> {
        let mut out = Vec::new();
        match self {
            ElementKind::Resistor { r_ohm, .. } => out.push(slot("r_ohm", "Ohm", r_ohm)),
            ElementKind::Capacitor { c_farad, ic_volt, .. } => {
                out.push(slot("c_farad", "F", c_farad));
                opt(&mut out, "ic_volt", "V", ic_volt);
            }
            ElementKind::Inductor { l_henry, ic_amp, .. } => {
                out.push(slot("l_henry", "H", l_henry));
                opt(&mut out, "ic_amp", "A", ic_amp);
            }
            ElementKind::VoltageSource { waveform, dc, .. } => {
                waveform_slots(&mut out, waveform, "V");
                opt(&mut out, "dc", "V", dc);
            }
            ElementKind::CurrentSource { waveform, dc, .. } => {
                waveform_slots(&mut out, waveform, "A");
                opt(&mut out, "dc", "A", dc);
            }
            ElementKind::BehaviouralCurrent { .. } | ElementKind::BehaviouralVoltage { .. } => {}
            ElementKind::NonlinearResistor { law, .. } => resistive_slots(&mut out, law),
            ElementKind::Memristive { states, law, .. } => {
                let units: Vec<&'static str> = states.iter().map(state_unit).collect();
                for (k, s) in states.iter_mut().enumerate() {
                    match s {
                        Relaxation::Linear { tau_s, x0 } => {
                            out.push((format!("states.{k}.tau_s"), "s", tau_s));
                            out.push((format!("states.{k}.x0"), "V", x0));
                        }
                        Relaxation::Kinetic { x0, .. } => {
                            out.push((format!("states.{k}.x0"), DIMENSIONLESS, x0))
                        }
                    }
                }
                memristive_slots(&mut out, law, &units);
            }
            ElementKind::Diode { area, .. } => opt(&mut out, "area", DIMENSIONLESS, area),
            ElementKind::Mosfet { w_m, l_m, .. } => {
                out.push(slot("w_m", "m", w_m));
                out.push(slot("l_m", "m", l_m));
            }
            ElementKind::Bjt { area, .. } => opt(&mut out, "area", DIMENSIONLESS, area),
            ElementKind::Switch { .. } => {}
            ElementKind::Coupling { k, .. } => out.push(slot("k", DIMENSIONLESS, k)),
        }
        out
    }
}

fn slot<'a>(path: &str, unit: &'static str, v: &'a mut f64) -> Slot<'a> {
    (path.to_string(), unit, v)
}

fn opt<'a>(out: &mut Vec<Slot<'a>>, path: &str, unit: &'static str, v: &'a mut Option<f64>) {
    if let Some(v) = v {
        out.push(slot(path, unit, v));
    }
}

/// The unit of a relaxation state: volts (a low-pass of the voltage) or none (a gate).
fn state_unit(s: &Relaxation<f64>) -> &'static str {
    match s {
        Relaxation::Linear { .. } => "V",
        Relaxation::Kinetic { .. } => DIMENSIONLESS,
    }
}

/// `1/unit` of a state.
fn per(unit: &'static str) -> &'static str {
    if unit == "V" {
        "1/V"
    } else {
        DIMENSIONLESS
    }
}

fn waveform_slots<'a>(out: &mut Vec<Slot<'a>>, w: &'a mut Waveform<f64>, unit: &'static str) {
    let p = |name: &str| format!("waveform.{name}");
    match w {
        Waveform::Dc { value } => out.push((p("value"), unit, value)),
        Waveform::Pulse { v1, v2, td, tr, tf, pw, per, np } => {
            out.push((p("v1"), unit, v1));
            out.push((p("v2"), unit, v2));
            for (name, v) in [("td", td), ("tr", tr), ("tf", tf), ("pw", pw), ("per", per)] {
                opt(out, &p(name), "s", v);
            }
            opt(out, &p("np"), DIMENSIONLESS, np);
        }
        Waveform::Pwl { points } => {
            for (k, (t, v)) in points.iter_mut().enumerate() {
                out.push((p(&format!("points.{k}.0")), "s", t));
                out.push((p(&format!("points.{k}.1")), unit, v));
            }
        }
        Waveform::PwlRepeat { points, r, td } => {
            for (k, (t, v)) in points.iter_mut().enumerate() {
                out.push((p(&format!("points.{k}.0")), "s", t));
                out.push((p(&format!("points.{k}.1")), unit, v));
            }
            opt(out, &p("r"), "s", r);
            opt(out, &p("td"), "s", td);
        }
        Waveform::Sffm { vo, va, fc, mdi, fs, phasec, phases } => {
            out.push((p("vo"), unit, vo));
            out.push((p("va"), unit, va));
            opt(out, &p("fc"), "Hz", fc);
            opt(out, &p("mdi"), DIMENSIONLESS, mdi);
            opt(out, &p("fs"), "Hz", fs);
            opt(out, &p("phasec"), "deg", phasec);
            opt(out, &p("phases"), "deg", phases);
        }
        Waveform::Am { va, vo, mf, fc, td, phasec, phases } => {
            out.push((p("va"), unit, va));
            out.push((p("vo"), DIMENSIONLESS, vo));
            opt(out, &p("mf"), "Hz", mf);
            opt(out, &p("fc"), "Hz", fc);
            opt(out, &p("td"), "s", td);
            opt(out, &p("phasec"), "deg", phasec);
            opt(out, &p("phases"), "deg", phases);
        }
        Waveform::Sin { vo, va, freq, td, theta, phase } => {
            out.push((p("vo"), unit, vo));
            out.push((p("va"), unit, va));
            opt(out, &p("freq"), "Hz", freq);
            opt(out, &p("td"), "s", td);
            opt(out, &p("theta"), "1/s", theta);
            opt(out, &p("phase"), "deg", phase);
        }
        Waveform::Exp { v1, v2, td1, tau1, td2, tau2 } => {
            out.push((p("v1"), unit, v1));
            out.push((p("v2"), unit, v2));
            for (name, v) in [("td1", td1), ("tau1", tau1), ("td2", td2), ("tau2", tau2)] {
                opt(out, &p(name), "s", v);
            }
        }
        Waveform::TrNoise { offset, na, nt, .. } => {
            out.push((p("offset"), unit, offset));
            out.push((p("na"), unit, na));
            out.push((p("nt"), "s", nt));
        }
        Waveform::TrRandom { offset, ts, td, p1, p2, .. } => {
            out.push((p("offset"), unit, offset));
            out.push((p("ts"), "s", ts));
            opt(out, &p("td"), "s", td);
            opt(out, &p("p1"), unit, p1);
            opt(out, &p("p2"), unit, p2);
        }
    }
}

fn resistive_slots<'a>(out: &mut Vec<Slot<'a>>, law: &'a mut ResistiveLaw<f64>) {
    let p = |name: &str| format!("law.{name}");
    match law {
        ResistiveLaw::Cubic { a, b } => {
            out.push((p("a"), "A/V^3", a));
            out.push((p("b"), "S", b));
        }
        ResistiveLaw::Tanh { alpha, delta, w } => {
            out.push((p("alpha"), "A", alpha));
            out.push((p("delta"), "V", delta));
            out.push((p("w"), "V", w));
        }
        ResistiveLaw::Logistic { alpha, a, c } | ResistiveLaw::Softplus { alpha, a, c } => {
            out.push((p("alpha"), "A", alpha));
            out.push((p("a"), "1/V", a));
            out.push((p("c"), "V", c));
        }
        ResistiveLaw::Glm { g0, terms } => {
            out.push((p("g0"), "S", g0));
            for (k, t) in terms.iter_mut().enumerate() {
                out.push((p(&format!("terms.{k}.w")), DIMENSIONLESS, &mut t.w));
                out.push((p(&format!("terms.{k}.a")), "1/V", &mut t.a));
                out.push((p(&format!("terms.{k}.c")), "V", &mut t.c));
            }
        }
        ResistiveLaw::Pwl { points } => {
            for (k, (v, i)) in points.iter_mut().enumerate() {
                out.push((p(&format!("points.{k}.0")), "V", v));
                out.push((p(&format!("points.{k}.1")), "A", i));
            }
        }
        ResistiveLaw::Expression { .. } => {}
    }
}

fn memristive_slots<'a>(out: &mut Vec<Slot<'a>>, law: &'a mut MemristiveLaw<f64>, units: &[&'static str]) {
    let p = |name: &str| format!("law.{name}");
    let unit_of = |state: usize| units.get(state).copied().unwrap_or(DIMENSIONLESS);
    match law {
        MemristiveLaw::Tanh { alpha, delta, state } => {
            out.push((p("alpha"), "A", alpha));
            out.push((p("delta"), unit_of(*state), delta));
        }
        MemristiveLaw::Gates { gbar, e_volt, gates } => {
            out.push((p("gbar"), "S", gbar));
            out.push((p("e_volt"), "V", e_volt));
            for (k, Gate { state, logistic, .. }) in gates.iter_mut().enumerate() {
                if let Some(s) = logistic {
                    let u = unit_of(*state);
                    out.push((p(&format!("gates.{k}.logistic.a")), per(u), &mut s.a));
                    out.push((p(&format!("gates.{k}.logistic.c")), u, &mut s.c));
                }
            }
        }
        MemristiveLaw::Glm { gbar, e_volt, terms } => {
            out.push((p("gbar"), "S", gbar));
            out.push((p("e_volt"), "V", e_volt));
            for (k, t) in terms.iter_mut().enumerate() {
                let u = unit_of(t.state);
                out.push((p(&format!("terms.{k}.w")), DIMENSIONLESS, &mut t.w));
                out.push((p(&format!("terms.{k}.a")), per(u), &mut t.a));
                out.push((p(&format!("terms.{k}.c")), u, &mut t.c));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::Element;

    /// One element of every kind, waveform and law, with every optional value present.
    const ELEMENTS: &str = r#"[
        {"name": "R1", "kind": "resistor", "p": "a", "n": "0", "r_ohm": 1e3},
        {"name": "C1", "kind": "capacitor", "p": "a", "n": "0", "c_farad": 1e-12, "ic_volt": 0.1},
        {"name": "L1", "kind": "inductor", "p": "a", "n": "b", "l_henry": 2.0, "ic_amp": 1e-6},
        {"name": "V1", "kind": "voltage_source", "p": "a", "n": "0",
         "waveform": {"shape": "pulse", "v1": 0, "v2": 1, "td": 1e-3, "tr": 1e-6, "tf": 1e-6, "pw": 1e-3, "per": 2e-3, "np": 3},
         "dc": 0.5},
        {"name": "V2", "kind": "voltage_source", "p": "a", "n": "0",
         "waveform": {"shape": "sin", "vo": 0, "va": 1, "freq": 50, "td": 0, "theta": 2, "phase": 90}},
        {"name": "V3", "kind": "voltage_source", "p": "a", "n": "0",
         "waveform": {"shape": "exp", "v1": 0, "v2": 1, "td1": 0, "tau1": 1e-3, "td2": 5e-3, "tau2": 1e-3}},
        {"name": "I1", "kind": "current_source", "p": "0", "n": "a",
         "waveform": {"shape": "pwl", "points": [[0, 0], [1e-3, 1e-6]]}},
        {"name": "I2", "kind": "current_source", "p": "0", "n": "a", "waveform": {"shape": "dc", "value": 1e-9}},
        {"name": "N1", "kind": "nonlinear_resistor", "p": "a", "n": "0", "law": {"law": "cubic", "a": 0.3, "b": 1}},
        {"name": "N2", "kind": "nonlinear_resistor", "p": "a", "n": "0",
         "law": {"law": "tanh", "alpha": -1, "delta": 0, "w": 1}},
        {"name": "N3", "kind": "nonlinear_resistor", "p": "a", "n": "0",
         "law": {"law": "logistic", "alpha": 1, "a": 2, "c": 0}},
        {"name": "N4", "kind": "nonlinear_resistor", "p": "a", "n": "0",
         "law": {"law": "softplus", "alpha": 1, "a": 2, "c": 0}},
        {"name": "N5", "kind": "nonlinear_resistor", "p": "a", "n": "0",
         "law": {"law": "glm", "g0": 1e-3, "terms": [{"w": 1, "a": 2, "c": 0}]}},
        {"name": "N6", "kind": "nonlinear_resistor", "p": "a", "n": "0",
         "law": {"law": "pwl", "points": [[-1, -1], [1, 1]]}},
        {"name": "M1", "kind": "memristive", "p": "a", "n": "0",
         "states": [{"relaxation": "linear", "tau_s": 1e-3, "x0": 0}],
         "law": {"law": "tanh", "state": 0, "alpha": 1, "delta": 0.5}},
        {"name": "M2", "kind": "memristive", "p": "a", "n": "0",
         "states": [{"relaxation": "kinetic", "alpha": "1", "beta": "1", "x0": 0.1},
                    {"relaxation": "linear", "tau_s": 1e-3, "x0": 0}],
         "law": {"law": "gates", "gbar": 1e-3, "e_volt": 0.05,
                 "gates": [{"state": 0, "power": 3}, {"state": 1, "power": 1, "logistic": {"a": 2, "c": 0.1}}]}},
        {"name": "M3", "kind": "memristive", "p": "a", "n": "0",
         "states": [{"relaxation": "linear", "tau_s": 1e-3, "x0": 0}],
         "law": {"law": "glm", "gbar": 1e-3, "e_volt": 0, "terms": [{"state": 0, "w": 1, "a": 2, "c": 0}]}},
        {"name": "D1", "kind": "diode", "p": "a", "n": "0", "model": "dm", "area": 2},
        {"name": "Q1", "kind": "mosfet", "d": "a", "g": "b", "s": "0", "b": "0", "model": "nm", "w_m": 1e-6, "l_m": 1e-6}
    ]"#;

    fn elements() -> Vec<Element<f64>> {
        serde_json::from_str(ELEMENTS).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The numeric leaves of a JSON value, by path; state indices and exponents are structure.
    fn leaves(v: &serde_json::Value, prefix: &str, out: &mut Vec<(String, f64)>) {
        let join = |k: &str| if prefix.is_empty() { k.to_string() } else { format!("{prefix}.{k}") };
        match v {
            serde_json::Value::Number(x) => out.push((prefix.to_string(), x.as_f64().unwrap_or(f64::NAN))),
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter().filter(|(k, _)| !matches!(k.as_str(), "state" | "power")) {
                    leaves(x, &join(k), out);
                }
            }
            serde_json::Value::Array(a) => {
                for (k, x) in a.iter().enumerate() {
                    leaves(x, &join(&k.to_string()), out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn paths_are_the_numeric_leaves_of_the_json_form() {
        for e in elements() {
            let json = serde_json::to_value(&e.kind).unwrap_or_default();
            let mut want = Vec::new();
            leaves(&json, "", &mut want);
            want.sort_by(|a, b| a.0.cmp(&b.0));
            let mut got: Vec<(String, f64)> =
                e.kind.fields().into_iter().map(|f| (f.path, f.value)).collect();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(got, want, "{}", e.name);
            assert!(!got.is_empty() || matches!(e.kind, ElementKind::Diode { area: None, .. }), "{}", e.name);
        }
    }

    #[test]
    fn set_field_round_trips_and_touches_nothing_else() {
        for e in elements() {
            for f in e.kind.fields() {
                let mut k = e.kind.clone();
                let new = f.value * 1.5 + 0.25;
                k.set_field(&f.path, new).unwrap_or_else(|err| panic!("{}: {err}", e.name));
                assert_eq!(k.field(&f.path).map(|g| g.value), Some(new), "{} {}", e.name, f.path);
                for other in e.kind.fields().into_iter().filter(|o| o.path != f.path) {
                    assert_eq!(k.field(&other.path), Some(other), "{} {}", e.name, f.path);
                }
            }
        }
    }

    #[test]
    fn units_follow_the_element() {
        let units: Vec<(String, String, &str)> = elements()
            .iter()
            .flat_map(|e| e.kind.fields().into_iter().map(move |f| (e.name.clone(), f.path, f.unit)))
            .collect();
        let unit = |name: &str, path: &str| {
            units.iter().find(|u| u.0 == name && u.1 == path).map(|u| u.2).unwrap_or("absent")
        };
        assert_eq!(unit("R1", "r_ohm"), "Ohm");
        assert_eq!(unit("V1", "waveform.v2"), "V");
        assert_eq!(unit("V1", "waveform.per"), "s");
        assert_eq!(unit("I1", "waveform.points.1.1"), "A");
        assert_eq!(unit("I1", "waveform.points.1.0"), "s");
        assert_eq!(unit("N1", "law.a"), "A/V^3");
        assert_eq!(unit("M1", "states.0.tau_s"), "s");
        assert_eq!(unit("M1", "law.delta"), "V");
        assert_eq!(unit("M2", "states.0.x0"), DIMENSIONLESS);
        assert_eq!(unit("M2", "law.gates.1.logistic.a"), "1/V");
        assert_eq!(unit("Q1", "w_m"), "m");
    }

    #[test]
    fn unknown_paths_and_non_finite_values_are_refused() {
        let mut k = elements().remove(0).kind;
        let err = k.set_field("law.alpha", 1.0).err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(err, "no numeric parameter `law.alpha`; the element's are r_ohm");
        assert!(matches!(k.set_field("r_ohm", f64::NAN), Err(FieldError::NotFinite { .. })));
        assert_eq!(k.field("r_ohm").map(|f| f.value), Some(1e3));
    }
}
