//! Where a sweep parameter lands in a circuit, and how a point's circuit
//! is built: parameter values, then Monte Carlo mismatch.
//!
//! A parameter name addresses, in this order:
//!
//! 1. a `.param` of a netlist (`gain`),
//! 2. an element's value (`Iext`: a DC source's value, a resistance, a
//!    capacitance or an inductance),
//! 3. a numeric parameter of an element (`Msn.law.alpha`, `Msp.states.0.x0`):
//!    its path as [`atscale_circuit::field`] names it (the path of the number
//!    in the element's JSON form, see `atscale summary --json`).

use atscale_circuit::{Circuit, ElementKind, FlatCircuit, Value as CValue, Waveform};

use atscale_circuit::random::Rng;
use atscale_design::scaling::magnify;

/// What a parameter addresses.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A global `.param`, by index in `Circuit::params`.
    Param(usize),
    /// An element's value, by index in the flat circuit.
    Value(usize),
    /// A numeric parameter of an element: element index and path ([`atscale_circuit::field`]).
    Field(usize, String),
}

/// A resolved parameter: where it lands, its nominal value and unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Where it lands.
    pub target: Target,
    /// The nominal value, in `unit`.
    pub nominal: f64,
    /// The unit of absolute values (`-` when unknown and not given).
    pub unit: String,
}

fn class_key(kind: &ElementKind<f64>) -> &'static str {
    match kind {
        ElementKind::Resistor { .. } => "resistor",
        ElementKind::Capacitor { .. } => "capacitor",
        ElementKind::Inductor { .. } => "inductor",
        ElementKind::VoltageSource { .. } => "voltage_source",
        ElementKind::CurrentSource { .. } => "current_source",
        ElementKind::BehaviouralCurrent { .. } => "behavioural_current",
        ElementKind::BehaviouralVoltage { .. } => "behavioural_voltage",
        ElementKind::NonlinearResistor { .. } => "nonlinear_resistor",
        ElementKind::Memristive { .. } => "memristive",
        ElementKind::Diode { .. } => "diode",
        ElementKind::Mosfet { .. } => "mosfet",
        ElementKind::Bjt { .. } => "bjt",
        ElementKind::Switch { .. } => "switch",
        ElementKind::Coupling { .. } => "coupling",
    }
}

/// The value and unit of an element that has one number for a value.
fn element_value(kind: &ElementKind<f64>) -> Option<(f64, &'static str)> {
    match kind {
        ElementKind::Resistor { r_ohm, .. } => Some((*r_ohm, "Ohm")),
        ElementKind::Capacitor { c_farad, .. } => Some((*c_farad, "F")),
        ElementKind::Inductor { l_henry, .. } => Some((*l_henry, "H")),
        ElementKind::CurrentSource { waveform: Waveform::Dc { value }, .. } => Some((*value, "A")),
        ElementKind::VoltageSource { waveform: Waveform::Dc { value }, .. } => Some((*value, "V")),
        _ => None,
    }
}

fn set_element_value(kind: &mut ElementKind<f64>, x: f64) {
    match kind {
        ElementKind::Resistor { r_ohm, .. } => *r_ohm = x,
        ElementKind::Capacitor { c_farad, .. } => *c_farad = x,
        ElementKind::Inductor { l_henry, .. } => *l_henry = x,
        ElementKind::CurrentSource { waveform: Waveform::Dc { value }, .. }
        | ElementKind::VoltageSource { waveform: Waveform::Dc { value }, .. } => *value = x,
        _ => {}
    }
}

fn field_list(kind: &ElementKind<f64>, element: &str) -> String {
    let paths: Vec<String> = kind.fields().into_iter().map(|f| format!("{element}.{}", f.path)).collect();
    if paths.is_empty() {
        "none".into()
    } else {
        paths.join(", ")
    }
}

/// Resolves a parameter name against a circuit (parametric form and flat
/// form); `unit` is the unit the user gave. Errors are sentences naming
/// what exists instead.
pub fn resolve(
    circuit: &Circuit,
    flat: &FlatCircuit,
    name: &str,
    unit: Option<&str>,
) -> Result<Resolved, String> {
    if let Some(k) = circuit.params.iter().position(|p| p.name.eq_ignore_ascii_case(name)) {
        let nominal = match &circuit.params[k].value {
            CValue::Num(x) => *x,
            CValue::Expr(e) => {
                return Err(format!(
                    ".param `{name}` is an expression ({e}); sweep the parameters it reads instead"
                ))
            }
        };
        return Ok(Resolved { target: Target::Param(k), nominal, unit: unit.unwrap_or("-").to_string() });
    }
    let (element, path) = name.split_once('.').unwrap_or((name, ""));
    let Some(k) = flat.elements.iter().position(|e| e.name.eq_ignore_ascii_case(element)) else {
        let params: Vec<&str> = circuit.params.iter().map(|p| p.name.as_str()).collect();
        let elements: Vec<&str> = flat.elements.iter().map(|e| e.name.as_str()).collect();
        return Err(format!(
            "`{name}` is neither a .param ({}) nor an element ({})",
            if params.is_empty() { "none".to_string() } else { params.join(", ") },
            elements.join(", ")
        ));
    };
    let kind = &flat.elements[k].kind;
    if path.is_empty() {
        let Some((nominal, u)) = element_value(kind) else {
            return Err(format!(
                "element `{element}` ({}) has no single value; name one of its fields: {}",
                kind.class_name(),
                field_list(kind, &flat.elements[k].name)
            ));
        };
        if let Some(given) = unit.filter(|g| *g != u) {
            return Err(format!("`{name}` is in {u}, not {given}"));
        }
        return Ok(Resolved { target: Target::Value(k), nominal, unit: u.to_string() });
    }
    let Some(field) = kind.field(path) else {
        return Err(format!(
            "`{name}` is not a numeric field of `{element}`; its numeric fields are {}",
            field_list(kind, &flat.elements[k].name)
        ));
    };
    if let Some(given) = unit.filter(|g| *g != field.unit) {
        return Err(format!("`{name}` is in {}, not {given}", field.unit));
    }
    Ok(Resolved {
        target: Target::Field(k, path.to_string()),
        nominal: field.value,
        unit: field.unit.to_string(),
    })
}

fn set_field(flat: &mut FlatCircuit, k: usize, path: &str, f: impl FnOnce(f64) -> f64) -> Result<(), String> {
    let el = &mut flat.elements[k];
    let old = el.kind.field(path).map_or(f64::NAN, |f| f.value);
    el.kind.set_field(path, f(old)).map_err(|e| format!("`{}`: {e}", el.name))
}

/// A Monte Carlo spread resolved against the circuit.
#[derive(Debug, Clone, PartialEq)]
pub enum Spread {
    /// Every element of a class (by the class key), relative sigma.
    Class(String, f64),
    /// One named parameter: where it lands (a value target is an element,
    /// whose whole magnitude is scaled), relative sigma.
    Named(Target, f64),
}

/// Builds the circuit of one point: `values` are the absolute values of
/// the resolved parameters; then each spread multiplies its target by
/// `1 + sigma N(0, 1)`, drawn from `rng` (named spreads first in the
/// order given, then classes element by element).
pub fn build(
    circuit: &Circuit,
    flat: &FlatCircuit,
    resolved: &[Resolved],
    values: &[f64],
    spreads: &[Spread],
    rng: &mut Rng,
) -> Result<FlatCircuit, String> {
    let named: Vec<(Target, f64)> = spreads
        .iter()
        .filter_map(|s| match s {
            Spread::Named(t, sigma) => Some((t.clone(), 1.0 + sigma * rng.normal())),
            Spread::Class(..) => None,
        })
        .collect();
    let param_values: Vec<(usize, f64)> = resolved
        .iter()
        .zip(values)
        .filter_map(|(r, v)| match r.target {
            Target::Param(k) => Some((k, *v)),
            _ => None,
        })
        .collect();
    let param_draws: Vec<(usize, f64)> = named
        .iter()
        .filter_map(|(t, f)| match t {
            Target::Param(k) => Some((*k, *f)),
            _ => None,
        })
        .collect();
    let mut out = if param_values.is_empty() && param_draws.is_empty() {
        flat.clone()
    } else {
        let mut c = circuit.clone();
        for (k, v) in &param_values {
            c.params[*k].value = CValue::Num(*v);
        }
        for (k, f) in &param_draws {
            let x = c.params[*k].value.as_num().ok_or("a drawn .param is an expression")?;
            c.params[*k].value = CValue::Num(x * f);
        }
        c.flatten().map_err(|e| e.to_string())?
    };
    for (r, v) in resolved.iter().zip(values) {
        match &r.target {
            Target::Param(_) => {}
            Target::Value(k) => set_element_value(&mut out.elements[*k].kind, *v),
            Target::Field(k, path) => set_field(&mut out, *k, path, |_| *v)?,
        }
    }
    for (t, f) in &named {
        match t {
            Target::Param(_) => {}
            Target::Value(k) => {
                let e = &out.elements[*k];
                out.elements[*k].kind = magnify(&e.name, &e.kind, *f).map_err(|e| e.to_string())?;
            }
            Target::Field(k, path) => set_field(&mut out, *k, path, |x| x * f)?,
        }
    }
    let classes: Vec<(&str, f64)> = spreads
        .iter()
        .filter_map(|s| match s {
            Spread::Class(c, sigma) => Some((c.as_str(), *sigma)),
            Spread::Named(..) => None,
        })
        .collect();
    if !classes.is_empty() {
        for k in 0..out.elements.len() {
            let key = class_key(&out.elements[k].kind);
            if let Some((_, sigma)) = classes.iter().find(|(c, _)| *c == key) {
                let f = 1.0 + sigma * rng.normal();
                let e = &out.elements[k];
                out.elements[k].kind = magnify(&e.name, &e.kind, f).map_err(|e| e.to_string())?;
            }
        }
    }
    out.validate().map_err(|e| e.to_string())?;
    Ok(out)
}

/// Resolves the named spreads of a Monte Carlo table; a named element is
/// scaled as a whole ([`magnify`]).
pub fn resolve_spread(circuit: &Circuit, flat: &FlatCircuit, name: &str) -> Result<Target, String> {
    if circuit.params.iter().any(|p| p.name.eq_ignore_ascii_case(name)) || name.contains('.') {
        return resolve(circuit, flat, name, Some("-"))
            .or_else(|_| resolve(circuit, flat, name, None))
            .map(|r| r.target);
    }
    flat.elements.iter().position(|e| e.name.eq_ignore_ascii_case(name)).map(Target::Value).ok_or_else(|| {
        let elements: Vec<&str> = flat.elements.iter().map(|e| e.name.as_str()).collect();
        format!("`{name}` is neither a .param nor an element ({})", elements.join(", "))
    })
}

/// The class key of every element (for checking that a class spread applies to something).
pub fn classes_present(flat: &FlatCircuit) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = flat.elements.iter().map(|e| class_key(&e.kind)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use atscale_circuit::{
        Element, Gate, MemristiveLaw, Relaxation, ResistiveLaw, Slope, SoftplusTerm, StateTerm,
    };

    use super::*;

    fn el(name: &str, kind: ElementKind<f64>) -> Element<f64> {
        Element { name: name.into(), kind }
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    /// Two elements of every class a Monte Carlo class spread can name
    /// (and a nonlinear resistor and sources, which must stay untouched).
    fn mixed() -> FlatCircuit {
        let linear = |tau_s: f64| vec![Relaxation::Linear { tau_s, x0: -0.4 }];
        let m = |states, law| ElementKind::Memristive { p: s("a"), n: s("0"), states, law };
        FlatCircuit {
            title: s("every class"),
            models: vec![],
            elements: vec![
                el(
                    "V1",
                    ElementKind::VoltageSource {
                        p: s("b"),
                        n: s("0"),
                        waveform: Waveform::Dc { value: 0.5 },
                        dc: None,
                    },
                ),
                el("R1", ElementKind::Resistor { p: s("b"), n: s("a"), r_ohm: 4e3 }),
                el("C1", ElementKind::Capacitor { p: s("a"), n: s("0"), c_farad: 2e-12, ic_volt: Some(0.3) }),
                el("C2", ElementKind::Capacitor { p: s("a"), n: s("c"), c_farad: 5e-13, ic_volt: None }),
                el("R2", ElementKind::Resistor { p: s("c"), n: s("0"), r_ohm: 1e6 }),
                el("L1", ElementKind::Inductor { p: s("a"), n: s("0"), l_henry: 3e-3, ic_amp: Some(2e-9) }),
                el("L2", ElementKind::Inductor { p: s("c"), n: s("0"), l_henry: 7e3, ic_amp: None }),
                el(
                    "M1",
                    m(
                        linear(5e-3),
                        MemristiveLaw::Gates {
                            gbar: 1.5e-9,
                            e_volt: 0.08,
                            gates: vec![Gate {
                                state: 0,
                                power: 2,
                                logistic: Some(Slope { a: 50.0, c: 0.01 }),
                            }],
                        },
                    ),
                ),
                el(
                    "M2",
                    m(
                        linear(7e-3),
                        MemristiveLaw::Glm {
                            gbar: 3e-10,
                            e_volt: -0.05,
                            terms: vec![StateTerm { state: 0, w: 1.2, a: -30.0, c: 0.025 }],
                        },
                    ),
                ),
                el("M3", m(linear(2e-2), MemristiveLaw::Tanh { state: 0, alpha: -2e-9, delta: 0.2 })),
                el(
                    "N1",
                    ElementKind::NonlinearResistor {
                        p: s("a"),
                        n: s("0"),
                        law: ResistiveLaw::Glm {
                            g0: 1e-9,
                            terms: vec![SoftplusTerm { w: 0.7, a: 40.0, c: 0.01 }],
                        },
                    },
                ),
                el(
                    "I1",
                    ElementKind::CurrentSource {
                        p: s("0"),
                        n: s("a"),
                        waveform: Waveform::Dc { value: 1e-10 },
                        dc: None,
                    },
                ),
            ],
        }
    }

    /// The magnitude a class spread multiplies (capacitance, inductance,
    /// memristive conductance or tanh current) and the element with that
    /// magnitude set to 1, to compare the rest.
    fn split(kind: &ElementKind<f64>) -> Option<(f64, ElementKind<f64>)> {
        let mut rest = kind.clone();
        let x = match &mut rest {
            ElementKind::Capacitor { c_farad: x, .. } | ElementKind::Inductor { l_henry: x, .. } => x,
            ElementKind::Memristive {
                law: MemristiveLaw::Gates { gbar: x, .. } | MemristiveLaw::Glm { gbar: x, .. },
                ..
            } => x,
            ElementKind::Memristive { law: MemristiveLaw::Tanh { alpha: x, .. }, .. } => x,
            _ => return None,
        };
        let magnitude = *x;
        *x = 1.0;
        Some((magnitude, rest))
    }

    /// Whether `kind` is of the Monte Carlo class `class` (written here, not
    /// taken from the code under test).
    fn is(class: &str, kind: &ElementKind<f64>) -> bool {
        match class {
            "capacitor" => matches!(kind, ElementKind::Capacitor { .. }),
            "inductor" => matches!(kind, ElementKind::Inductor { .. }),
            "memristive" => matches!(kind, ElementKind::Memristive { .. }),
            other => panic!("no class {other} here"),
        }
    }

    /// Sample mean, standard deviation, and the fractions within 1 and
    /// beyond 2 standard deviations `sigma` of 1.
    fn moments(r: &[f64], sigma: f64) -> (f64, f64, f64, f64) {
        let n = r.len() as f64;
        let mean = r.iter().sum::<f64>() / n;
        let sd = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let within1 = r.iter().filter(|x| (*x - 1.0).abs() < sigma).count() as f64 / n;
        let beyond2 = r.iter().filter(|x| (*x - 1.0).abs() > 2.0 * sigma).count() as f64 / n;
        (mean, sd, within1, beyond2)
    }

    /// Each Monte Carlo class multiplies every element of its class by its
    /// own draw of `1 + sigma N(0, 1)` and leaves everything else as it is.
    ///
    /// Statistics over N = 4000 samples (the streams `(seed 7, i)` a sweep
    /// uses), sigma = 5 %, per element, each bound five standard errors:
    /// - mean of the factor: 1 within 5 sigma/sqrt(N) = 4.0e-3;
    /// - sample standard deviation: sigma within 5 sigma/sqrt(2N) = 2.8e-3;
    /// - fraction within 1 sigma: 0.6827 within 5 sqrt(p(1-p)/N) = 0.037
    ///   (a uniform spread of the same deviation gives 0.577);
    /// - fraction beyond 2 sigma: 0.0455 within 5 sqrt(p(1-p)/N) = 0.016;
    /// - correlation of the two elements of the class: 0 within 5/sqrt(N) = 0.079.
    ///
    /// Measured (worst element): mean 1 - 1.2e-3, standard deviation
    /// 0.04941, 0.6873 within 1 sigma, 0.0415 beyond 2 sigma, correlation 0.0033.
    #[test]
    fn each_class_perturbs_exactly_its_elements_by_gaussian_factors() {
        let flat = mixed();
        let circuit = Circuit::from(flat.clone());
        let (n, sigma) = (4000usize, 0.05);
        let sqrt_n = (n as f64).sqrt();
        for class in ["capacitor", "inductor", "memristive"] {
            let spreads = [Spread::Class(s(class), sigma)];
            let members: Vec<usize> =
                (0..flat.elements.len()).filter(|&k| is(class, &flat.elements[k].kind)).collect();
            assert!(members.len() >= 2, "{class}: {members:?}");
            let mut factors: Vec<Vec<f64>> = vec![Vec::with_capacity(n); members.len()];
            for i in 0..n {
                let mut rng = Rng::stream(7, i as u64);
                let out = build(&circuit, &flat, &[], &[], &spreads, &mut rng).unwrap();
                for (k, (nominal, got)) in flat.elements.iter().zip(&out.elements).enumerate() {
                    let Some(slot) = members.iter().position(|&m| m == k) else {
                        assert_eq!(got, nominal, "{class} spread changed {}", nominal.name);
                        continue;
                    };
                    let ((x0, rest0), (x, rest)) = (split(&nominal.kind).unwrap(), split(&got.kind).unwrap());
                    assert_eq!(
                        rest, rest0,
                        "{class} spread changed more than the magnitude of {}",
                        nominal.name
                    );
                    factors[slot].push(x / x0);
                }
            }
            for (slot, r) in factors.iter().enumerate() {
                let name = &flat.elements[members[slot]].name;
                let (mean, sd, within1, beyond2) = moments(r, sigma);
                assert!((mean - 1.0).abs() <= 5.0 * sigma / sqrt_n, "{name}: mean factor {mean}");
                assert!((sd - sigma).abs() <= 5.0 * sigma / (2.0 * n as f64).sqrt(), "{name}: sd {sd}");
                let p1 = 0.682_689_492_137_085_9;
                assert!(
                    (within1 - p1).abs() <= 5.0 * (p1 * (1.0 - p1) / n as f64).sqrt(),
                    "{name}: {within1} within 1 sigma"
                );
                let p2 = 0.045_500_263_896_358_4;
                assert!(
                    (beyond2 - p2).abs() <= 5.0 * (p2 * (1.0 - p2) / n as f64).sqrt(),
                    "{name}: {beyond2} beyond 2 sigma"
                );
            }
            let (a, b) = (&factors[0], &factors[1]);
            let (ma, sa, ..) = moments(a, sigma);
            let (mb, sb, ..) = moments(b, sigma);
            let cov = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (n as f64 - 1.0);
            let corr = cov / (sa * sb);
            assert!(corr.abs() <= 5.0 / sqrt_n, "{class}: factors of two elements correlate {corr}");
        }
    }
}
