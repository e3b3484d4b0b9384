//! Validation of flattened circuits.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::circuit::{Circuit, FlatCircuit};
use crate::element::{Element, ElementKind, SwitchControl, GROUND};
use crate::error::{Error, Problem, Result, Warning};
use crate::expr::Expr;
use crate::flatten::BRANCH_VOLTAGE_VAR;
use crate::law::{Relaxation, ResistiveLaw};
use crate::model::ModelKind;

/// A flattened circuit that passed validation, with the warnings found.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The flat circuit.
    pub circuit: FlatCircuit,
    /// Suspicious but simulable features (e.g. floating nodes).
    pub warnings: Vec<Warning>,
}

impl Circuit {
    /// Flattens and validates the circuit within the default limits.
    ///
    /// # Errors
    ///
    /// As [`Circuit::check_within`].
    pub fn check(&self) -> Result<Checked> {
        self.check_within(&crate::CircuitLimits::default())
    }

    /// Flattens (within `limits`) and validates the circuit.
    ///
    /// # Errors
    ///
    /// As [`Circuit::flatten_within`] and [`FlatCircuit::validate`].
    pub fn check_within(&self, limits: &crate::CircuitLimits) -> Result<Checked> {
        let circuit = self.flatten_within(limits)?;
        let warnings = circuit.validate()?;
        Ok(Checked { circuit, warnings })
    }
}

impl FlatCircuit {
    /// Validates the circuit: unique names, known nodes, currents, models,
    /// values in range, well-formed laws, waveforms and expressions, no loop
    /// of voltage sources and inductors. Returns the warnings (nodes with no
    /// DC path to ground) or every problem found.
    pub fn validate(&self) -> Result<Vec<Warning>> {
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        for e in &self.elements {
            if !seen.insert(e.name.to_ascii_lowercase()) {
                problems.push(Problem::DuplicateName {
                    what: "element",
                    name: e.name.clone(),
                    scope: "the flattened circuit".into(),
                });
            }
        }
        // Node names compare case-insensitively, as in SPICE.
        let nodes: HashSet<String> =
            self.elements.iter().flat_map(|e| e.kind.nodes()).map(str::to_ascii_lowercase).collect();
        let currents: HashSet<String> = self
            .elements
            .iter()
            .filter(|e| e.kind.has_branch_current())
            .map(|e| e.name.to_ascii_lowercase())
            .collect();
        for e in &self.elements {
            check_values(e, &mut problems);
            check_models(self, e, &mut problems);
            check_expressions(e, &nodes, &currents, &mut problems);
            check_references(self, e, &currents, &mut problems);
        }
        let mut warnings = Vec::new();
        check_source_loops(self, &mut problems, &mut warnings);
        if problems.is_empty() {
            warnings.extend(floating_nodes(self));
            Ok(warnings)
        } else {
            Err(Error::Invalid(problems))
        }
    }
}

fn bad(
    e: &Element<f64>,
    (field, unit): (&'static str, &'static str),
    requirement: &'static str,
    value: f64,
) -> Problem {
    Problem::BadValue { class: e.kind.class_name(), element: e.name.clone(), field, unit, requirement, value }
}

fn bad_element(e: &Element<f64>, reason: impl ToString) -> Problem {
    Problem::BadElement { class: e.kind.class_name(), element: e.name.clone(), reason: reason.to_string() }
}

const POS: &str = "positive and finite";
const FINITE: &str = "finite";

fn check_values(e: &Element<f64>, problems: &mut Vec<Problem>) {
    let mut need = |ok: bool, field, req, value| {
        if !ok {
            problems.push(bad(e, field, req, value));
        }
    };
    let pos = |x: f64| x.is_finite() && x > 0.0;
    match &e.kind {
        ElementKind::Resistor { r_ohm, .. } => {
            need(r_ohm.is_finite() && *r_ohm != 0.0, ("resistance", "Ω"), "finite and non-zero", *r_ohm)
        }
        ElementKind::Capacitor { c_farad, ic_volt, .. } => {
            need(pos(*c_farad), ("capacitance", "F"), POS, *c_farad);
            if let Some(ic) = ic_volt {
                need(ic.is_finite(), ("initial voltage", "V"), FINITE, *ic);
            }
        }
        ElementKind::Inductor { l_henry, ic_amp, .. } => {
            need(pos(*l_henry), ("inductance", "H"), POS, *l_henry);
            if let Some(ic) = ic_amp {
                need(ic.is_finite(), ("initial current", "A"), FINITE, *ic);
            }
        }
        ElementKind::VoltageSource { waveform, dc, .. } | ElementKind::CurrentSource { waveform, dc, .. } => {
            let unit = if matches!(e.kind, ElementKind::VoltageSource { .. }) { "V" } else { "A" };
            if let Some(dc) = dc {
                need(dc.is_finite(), ("DC value", unit), FINITE, *dc);
            }
            if let Err(err) = waveform.check() {
                problems.push(bad_element(e, err));
            }
        }
        ElementKind::NonlinearResistor { law, .. } => {
            if let Err(err) = law.check() {
                problems.push(bad_element(e, err));
            }
        }
        ElementKind::Memristive { states, law, .. } => {
            for (j, s) in states.iter().enumerate() {
                if let Err(err) = s.check() {
                    problems.push(bad_element(e, format!("state {j}: {err}")));
                }
            }
            if let Err(err) = law.check(states.len()) {
                problems.push(bad_element(e, err));
            }
        }
        ElementKind::Diode { area, .. } => {
            if let Some(a) = area {
                need(pos(*a), ("area factor", ""), POS, *a);
            }
        }
        ElementKind::Mosfet { w_m, l_m, instance, .. } => {
            need(pos(*w_m), ("channel width", "m"), POS, *w_m);
            need(pos(*l_m), ("channel length", "m"), POS, *l_m);
            if let Some(m) = instance.m {
                need(pos(m), ("multiplier M", ""), POS, m);
            }
            let geometry = [
                (instance.ad_m2, ("drain area AD", "m²")),
                (instance.as_m2, ("source area AS", "m²")),
                (instance.pd_m, ("drain perimeter PD", "m")),
                (instance.ps_m, ("source perimeter PS", "m")),
                (instance.nrd, ("drain squares NRD", "")),
                (instance.nrs, ("source squares NRS", "")),
            ];
            for (v, field) in geometry {
                if let Some(x) = v {
                    need(x.is_finite() && x >= 0.0, field, "non-negative and finite", x);
                }
            }
            for &v in &instance.ic_volt {
                need(v.is_finite(), ("initial voltage IC", "V"), FINITE, v);
            }
        }
        ElementKind::Bjt { area, .. } => {
            if let Some(a) = area {
                need(pos(*a), ("area factor", ""), POS, *a);
            }
        }
        ElementKind::Coupling { k, .. } => need(
            k.is_finite() && *k != 0.0 && k.abs() <= 1.0,
            ("coupling coefficient", ""),
            "in [-1, 1] and non-zero",
            *k,
        ),
        ElementKind::Switch { .. } => {}
        ElementKind::BehaviouralCurrent { .. } | ElementKind::BehaviouralVoltage { .. } => {}
    }
}

fn check_models(c: &FlatCircuit, e: &Element<f64>, problems: &mut Vec<Problem>) {
    let (model, expected) = match &e.kind {
        ElementKind::Diode { model, .. } => (model, "diode"),
        ElementKind::Mosfet { model, .. } => (model, "NMOS or PMOS"),
        ElementKind::Bjt { model, .. } => (model, "NPN or PNP"),
        ElementKind::Switch { model, control: SwitchControl::Voltage { .. }, .. } => (model, "SW"),
        ElementKind::Switch { model, control: SwitchControl::Current { .. }, .. } => (model, "CSW"),
        _ => return,
    };
    let Some(m) = c.model(model) else {
        problems.push(missing_model(c, e, model));
        return;
    };
    let found = match &m.kind {
        ModelKind::Diode(_) => "diode",
        other => other.keyword(),
    };
    let ok = match (&e.kind, &m.kind) {
        (ElementKind::Diode { .. }, ModelKind::Diode(_))
        | (ElementKind::Mosfet { .. }, ModelKind::Nmos(_) | ModelKind::Pmos(_))
        | (ElementKind::Bjt { .. }, ModelKind::Npn(_) | ModelKind::Pnp(_)) => true,
        (ElementKind::Switch { control, .. }, ModelKind::Sw(_)) => {
            matches!(control, SwitchControl::Voltage { .. })
        }
        (ElementKind::Switch { control, .. }, ModelKind::Csw(_)) => {
            matches!(control, SwitchControl::Current { .. })
        }
        _ => false,
    };
    if !ok {
        problems.push(Problem::WrongModelType {
            element: e.name.clone(),
            model: m.name.clone(),
            expected,
            found,
        });
        return;
    }
    let mut check = |(name, unit): (&'static str, &'static str), x: Option<f64>, positive: bool| {
        if let Some(x) = x {
            let ok = x.is_finite() && (!positive || x > 0.0);
            if !ok {
                problems.push(Problem::BadElement {
                    class: e.kind.class_name(),
                    element: e.name.clone(),
                    reason: format!(
                        "model `{}` parameter {name} must be {}, got {}",
                        m.name,
                        if positive { POS } else { FINITE },
                        crate::units::si(x, unit)
                    ),
                });
            }
        }
    };
    match &m.kind {
        ModelKind::Diode(d) => {
            check(("IS", "A"), d.is, true);
            check(("N", ""), d.n, true);
            check(("RS", "Ω"), d.rs, false);
            check(("CJO", "F"), d.cjo, false);
            check(("VJ", "V"), d.vj, true);
            check(("M", ""), d.m, false);
            check(("TT", "s"), d.tt, false);
            check(("BV", "V"), d.bv, true);
            check(("IBV", "A"), d.ibv, true);
        }
        ModelKind::Nmos(p) | ModelKind::Pmos(p) => {
            check(("VTO", "V"), p.vto, false);
            check(("KP", "A/V²"), p.kp, true);
            check(("LAMBDA", "1/V"), p.lambda, false);
            check(("GAMMA", "√V"), p.gamma, false);
            check(("PHI", "V"), p.phi, true);
        }
        ModelKind::Npn(p) | ModelKind::Pnp(p) => {
            for (k, v) in &p.params {
                check((bjt_param_label(k), ""), Some(*v), false);
            }
        }
        ModelKind::Sw(p) | ModelKind::Csw(p) => {
            let unit = if matches!(m.kind, ModelKind::Sw(_)) { "V" } else { "A" };
            check(("threshold", unit), p.threshold, false);
            check(("hysteresis", unit), p.hysteresis, false);
            check(("RON", "Ω"), p.ron, true);
            check(("ROFF", "Ω"), p.roff, true);
        }
    }
}

/// The problem of a device whose model is not defined: binned models
/// (`nch.1`, `nch.2`, ... chosen by W and L) are named, since atscale does
/// not select among them.
fn missing_model(c: &FlatCircuit, e: &Element<f64>, model: &str) -> Problem {
    let prefix = format!("{}.", model.to_ascii_lowercase());
    let bins: Vec<&str> = c
        .models
        .iter()
        .map(|m| m.name.as_str())
        .filter(|n| n.to_ascii_lowercase().strip_prefix(&prefix).is_some_and(|r| r.parse::<u32>().is_ok()))
        .collect();
    if bins.is_empty() {
        return Problem::UnknownModel { element: e.name.clone(), model: model.to_string() };
    }
    bad_element(
        e,
        format!(
            "model `{model}` is defined only as binned models ({}), chosen by W and L within their \
             LMIN/LMAX/WMIN/WMAX, which atscale does not select; run the netlist with --engine ngspice",
            bins.join(", ")
        ),
    )
}

/// A static label for a bipolar model parameter in messages.
fn bjt_param_label(name: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "is", "bf", "nf", "vaf", "ikf", "ise", "ne", "br", "nr", "var", "ikr", "isc", "nc", "rb", "irb",
        "rbm", "re", "rc", "cje", "vje", "mje", "tf", "xtf", "vtf", "itf", "ptf", "cjc", "vjc", "mjc",
        "xcjc", "tr", "cjs", "vjs", "mjs", "xtb", "eg", "xti", "kf", "af", "fc",
    ];
    KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)).copied().unwrap_or("parameter")
}

/// References to other elements: a `W` switch's controlling source and a
/// coupling's inductors must exist and be of the right kind.
fn check_references(
    c: &FlatCircuit,
    e: &Element<f64>,
    currents: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    match &e.kind {
        ElementKind::Switch { control: SwitchControl::Current { source }, .. }
            if !currents.contains(&source.to_ascii_lowercase()) =>
        {
            problems.push(bad_element(
                e,
                format!("the controlling element `{source}` is not a voltage source or inductor"),
            ));
        }
        ElementKind::Coupling { l1, l2, .. } => {
            for l in [l1, l2] {
                let found = c.elements.iter().find(|x| x.name.eq_ignore_ascii_case(l));
                if !matches!(found.map(|x| &x.kind), Some(ElementKind::Inductor { .. })) {
                    problems.push(bad_element(e, format!("`{l}` is not an inductor of the circuit")));
                }
            }
            if l1.eq_ignore_ascii_case(l2) {
                problems.push(bad_element(e, format!("couples `{l1}` with itself")));
            }
        }
        _ => {}
    }
}

/// Which variables an expression of this element may read.
fn allowed_vars(e: &Element<f64>, expr: &Expr) -> bool {
    match &e.kind {
        ElementKind::NonlinearResistor { law: ResistiveLaw::Expression { expr: x }, .. } => {
            std::ptr::eq(x, expr)
        }
        ElementKind::Memristive { states, .. } => states.iter().any(|s| match s {
            Relaxation::Kinetic { alpha, beta, .. } => std::ptr::eq(alpha, expr) || std::ptr::eq(beta, expr),
            Relaxation::Linear { .. } => false,
        }),
        _ => false,
    }
}

fn check_expressions(
    e: &Element<f64>,
    nodes: &HashSet<String>,
    currents: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    for expr in e.kind.expressions() {
        let law_like = allowed_vars(e, expr);
        for v in expr.variables() {
            if !(law_like && v == BRANCH_VOLTAGE_VAR) {
                problems.push(Problem::UnknownParam {
                    context: format!("{} `{}`", e.kind.class_name(), e.name),
                    name: v.to_string(),
                });
            }
        }
        for n in expr.nodes() {
            if law_like {
                problems
                    .push(bad_element(e, format!("a law may only read its branch voltage `v`, not V({n})")));
            } else if n != GROUND && !nodes.contains(&n.to_ascii_lowercase()) {
                problems.push(Problem::UnknownNode { element: e.name.clone(), node: n.to_string() });
            }
        }
        for c in expr.currents() {
            if law_like {
                problems
                    .push(bad_element(e, format!("a law may only read its branch voltage `v`, not I({c})")));
            } else if !currents.contains(&c.to_ascii_lowercase()) {
                problems.push(Problem::UnknownCurrent { element: e.name.clone(), name: c.to_string() });
            }
        }
    }
}

/// Union-find over node names.
struct Dsu {
    index: HashMap<String, usize>,
    parent: Vec<usize>,
}

impl Dsu {
    fn new() -> Self {
        let mut d = Dsu { index: HashMap::new(), parent: Vec::new() };
        d.id(GROUND);
        d
    }
    /// The set of a node, by case-insensitive name.
    fn id(&mut self, n: &str) -> usize {
        let key = n.to_ascii_lowercase();
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.parent.len();
        self.parent.push(i);
        self.index.insert(key, i);
        i
    }
    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }
    /// Joins the sets of `a` and `b`; false when they were already joined.
    fn union(&mut self, a: &str, b: &str) -> bool {
        let (ia, ib) = (self.id(a), self.id(b));
        let (ra, rb) = (self.find(ia), self.find(ib));
        if ra == rb {
            return false;
        }
        self.parent[ra] = rb;
        true
    }
}

/// Loops of voltage sources (a problem) and of voltage sources with
/// inductors (a warning: only the DC operating point is singular).
fn check_source_loops(c: &FlatCircuit, problems: &mut Vec<Problem>, warnings: &mut Vec<Warning>) {
    let mut dsu = Dsu::new();
    // Edges accepted so far, as an adjacency list, to name the loop's members.
    let mut adj: HashMap<&str, Vec<(&str, &str)>> = HashMap::new();
    for e in &c.elements {
        let (p, n) = match &e.kind {
            ElementKind::VoltageSource { p, n, .. }
            | ElementKind::BehaviouralVoltage { p, n, .. }
            | ElementKind::Inductor { p, n, .. } => (p.as_str(), n.as_str()),
            _ => continue,
        };
        if dsu.union(p, n) {
            adj.entry(p).or_default().push((n, &e.name));
            adj.entry(n).or_default().push((p, &e.name));
        } else {
            let mut elements = path_between(&adj, p, n);
            elements.push(e.name.clone());
            let inductive = elements.iter().any(|name| {
                c.elements.iter().any(|x| x.name == *name && matches!(x.kind, ElementKind::Inductor { .. }))
            });
            if inductive {
                warnings.push(Warning::InductorLoop { elements });
            } else {
                problems.push(Problem::SourceLoop { elements });
            }
        }
    }
}

/// Element names along the path from `a` to `b` in a forest.
fn path_between(adj: &HashMap<&str, Vec<(&str, &str)>>, a: &str, b: &str) -> Vec<String> {
    let mut prev: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut queue = VecDeque::from([a]);
    let mut seen = HashSet::from([a]);
    while let Some(x) = queue.pop_front() {
        if x == b {
            break;
        }
        for &(y, el) in adj.get(x).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.insert(y) {
                prev.insert(y, (x, el));
                queue.push_back(y);
            }
        }
    }
    let mut out = Vec::new();
    let mut cur = b;
    while let Some(&(p, el)) = prev.get(cur) {
        out.push(el.to_string());
        cur = p;
    }
    out.reverse();
    out
}

fn floating_nodes(c: &FlatCircuit) -> Vec<Warning> {
    let mut dsu = Dsu::new();
    for e in &c.elements {
        for n in e.kind.nodes() {
            dsu.id(n);
        }
        for (a, b) in e.kind.dc_paths() {
            dsu.union(a, b);
        }
    }
    let g = dsu.id(GROUND);
    let root = dsu.find(g);
    let nodes: Vec<String> = c
        .nodes()
        .into_iter()
        .filter(|n| {
            let i = dsu.id(n);
            dsu.find(i) != root
        })
        .map(str::to_string)
        .collect();
    if nodes.is_empty() {
        vec![]
    } else {
        vec![Warning::NoDcPath { nodes }]
    }
}
