//! One test per validation problem: the message names the element and the problem.

use atscale_circuit::{
    Circuit, DiodeParams, Element, ElementKind, Expr, Instance, Model, ModelKind, Param, Problem,
    ResistiveLaw, Subckt, Value, Warning, Waveform,
};

fn s(x: &str) -> String {
    x.to_string()
}

fn n(x: f64) -> Value {
    Value::Num(x)
}

fn el(name: &str, kind: ElementKind<Value>) -> Element<Value> {
    Element { name: s(name), kind }
}

fn r(name: &str, p: &str, q: &str, ohm: f64) -> Element<Value> {
    el(name, ElementKind::Resistor { p: s(p), n: s(q), r_ohm: n(ohm) })
}

fn vdc(name: &str, p: &str, q: &str, volt: f64) -> Element<Value> {
    el(
        name,
        ElementKind::VoltageSource { p: s(p), n: s(q), waveform: Waveform::Dc { value: n(volt) }, dc: None },
    )
}

fn bcur(name: &str, p: &str, q: &str, e: &str) -> Element<Value> {
    el(name, ElementKind::BehaviouralCurrent { p: s(p), n: s(q), expr: Expr::parse(e).expect("parses") })
}

fn circuit(elements: Vec<Element<Value>>) -> Circuit {
    Circuit { title: s("t"), elements, ..Circuit::default() }
}

/// The circuit's single problem and its message.
fn problem(c: &Circuit) -> (Problem, String) {
    let err = c.check().expect_err("circuit should be invalid");
    let problems = err.problems();
    assert_eq!(problems.len(), 1, "expected one problem, got: {err}");
    (problems[0].clone(), err.to_string())
}

#[test]
fn duplicate_element_names_are_named() {
    let c = circuit(vec![r("R1", "a", "0", 1.0), r("r1", "a", "0", 2.0)]);
    let (p, msg) = problem(&c);
    assert!(matches!(p, Problem::DuplicateName { what: "element", .. }), "{p:?}");
    assert_eq!(msg, "invalid circuit: duplicate element name `r1` in the top level");
}

#[test]
fn unknown_node_in_expression() {
    let c = circuit(vec![r("R1", "a", "0", 1.0), bcur("B1", "a", "0", "V(nowhere)*1m")]);
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: B1 reads V(nowhere), but no element connects node `nowhere`");
}

#[test]
fn unknown_current_in_expression() {
    let c = circuit(vec![r("R1", "a", "0", 1.0), bcur("B1", "a", "0", "I(Vmissing)")]);
    let (_, msg) = problem(&c);
    assert_eq!(
        msg,
        "invalid circuit: B1 reads I(Vmissing), but there is no voltage source or inductor `Vmissing`"
    );
}

#[test]
fn unknown_parameter() {
    let mut c = circuit(vec![el(
        "R1",
        ElementKind::Resistor {
            p: s("a"),
            n: s("0"),
            r_ohm: Value::from(Expr::parse("2*gain").expect("parses")),
        },
    )]);
    c.params.push(Param::new("gian", 1.0));
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: resistor `R1` uses parameter `gain`, which is not defined");
}

#[test]
fn unknown_parameter_in_behavioural_source() {
    let c = circuit(vec![r("R1", "a", "0", 1.0), bcur("B1", "a", "0", "k*V(a)")]);
    let (_, msg) = problem(&c);
    assert_eq!(
        msg,
        "invalid circuit: behavioural current source `B1` uses parameter `k`, which is not defined"
    );
}

#[test]
fn unknown_model() {
    let c = circuit(vec![
        r("R1", "a", "0", 1.0),
        el("D1", ElementKind::Diode { p: s("a"), n: s("0"), model: s("dx"), area: None }),
    ]);
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: D1 uses model `dx`, which is not defined");
}

#[test]
fn wrong_model_type() {
    let mut c = circuit(vec![
        r("R1", "d", "0", 1.0),
        el(
            "M1",
            ElementKind::Mosfet {
                d: s("d"),
                g: s("d"),
                s: s("0"),
                b: s("0"),
                model: s("dmod"),
                w_m: n(1e-6),
                l_m: n(1e-6),
                instance: Default::default(),
            },
        ),
    ]);
    c.models.push(Model { name: s("dmod"), kind: ModelKind::Diode(DiodeParams::default()) });
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: M1 needs a NMOS or PMOS model, but `dmod` is a diode model");
}

fn sub(name: &str, ports: &[&str], params: Vec<Param>, elements: Vec<Element<Value>>) -> Subckt {
    Subckt { name: s(name), ports: ports.iter().map(|p| s(p)).collect(), params, elements, instances: vec![] }
}

fn inst(name: &str, subckt: &str, nodes: &[&str], params: Vec<Param>) -> Instance {
    Instance { name: s(name), subckt: s(subckt), nodes: nodes.iter().map(|p| s(p)).collect(), params }
}

#[test]
fn unknown_subcircuit() {
    let mut c = circuit(vec![r("R1", "a", "0", 1.0)]);
    c.instances.push(inst("x1", "amp", &["a"], vec![]));
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: instance `x1` uses subcircuit `amp`, which is not defined");
}

#[test]
fn wrong_port_count() {
    let mut c = circuit(vec![r("R1", "a", "0", 1.0)]);
    c.subckts.push(sub("load", &["p", "q"], vec![], vec![r("R1", "p", "q", 1.0)]));
    c.instances.push(inst("x1", "load", &["a"], vec![]));
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: instance `x1` connects 1 nodes, but subcircuit `load` has 2 ports");
}

#[test]
fn unknown_override() {
    let mut c = circuit(vec![r("R1", "a", "0", 1.0)]);
    c.subckts.push(sub("load", &["p"], vec![Param::new("r", 1.0)], vec![r("R1", "p", "0", 1.0)]));
    c.instances.push(inst("x1", "load", &["a"], vec![Param::new("rr", 2.0)]));
    let (_, msg) = problem(&c);
    assert_eq!(
        msg,
        "invalid circuit: instance `x1` sets parameter `rr`, which subcircuit `load` does not declare"
    );
}

#[test]
fn recursive_subcircuit() {
    let mut c = circuit(vec![r("R1", "a", "0", 1.0)]);
    let mut a = sub("a", &["p"], vec![], vec![r("R1", "p", "0", 1.0)]);
    a.instances.push(inst("xb", "b", &["p"], vec![]));
    let mut b = sub("b", &["p"], vec![], vec![]);
    b.instances.push(inst("xa", "a", &["p"], vec![]));
    c.subckts = vec![a, b];
    c.instances.push(inst("x1", "a", &["a"], vec![]));
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: subcircuit `a` instantiates itself through a -> b -> a");
}

#[test]
fn parameter_cycle() {
    let mut c = circuit(vec![r("R1", "a", "0", 1.0)]);
    c.params = vec![
        Param::new("a", Value::from(Expr::parse("b+1").expect("parses"))),
        Param::new("b", Value::from(Expr::parse("2*c").expect("parses"))),
        Param::new("c", Value::from(Expr::parse("a").expect("parses"))),
    ];
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: parameters `a`, `b`, `c`, `a` depend on each other in a cycle");
}

#[test]
fn parameter_reading_a_voltage_cannot_be_evaluated() {
    let mut c = circuit(vec![r("R1", "a", "0", 1.0)]);
    c.params = vec![Param::new("k", Value::from(Expr::parse("V(a)*2").expect("parses")))];
    let (p, msg) = problem(&c);
    assert!(matches!(p, Problem::Eval { .. }), "{p:?}");
    assert!(msg.starts_with("invalid circuit: parameter `k`: cannot evaluate `"), "{msg}");
    assert!(msg.ends_with("`v(a)` has no value outside a simulation"), "{msg}");
}

#[test]
fn loop_of_voltage_sources_and_inductors() {
    // Voltage sources alone: over-determined, refused.
    let c = circuit(vec![vdc("V1", "a", "0", 1.0), vdc("V2", "a", "0", 2.0), r("R1", "a", "0", 1.0)]);
    let (p, msg) = problem(&c);
    assert_eq!(p, Problem::SourceLoop { elements: vec![s("V1"), s("V2")] });
    assert_eq!(msg, "invalid circuit: voltage sources and inductors `V1`, `V2` form a loop");
    // With an inductor: a transient from initial conditions runs (ngspice
    // runs it too), only the operating point is singular: a warning.
    let c = circuit(vec![
        vdc("V1", "a", "0", 1.0),
        el("L1", ElementKind::Inductor { p: s("a"), n: s("b"), l_henry: n(1e-3), ic_amp: None }),
        vdc("V2", "b", "0", 2.0),
        r("R1", "b", "0", 1.0),
    ]);
    let checked = c.check().unwrap();
    // Named in order around the loop, ending with the element that closed it.
    assert_eq!(checked.warnings, [Warning::InductorLoop { elements: vec![s("L1"), s("V1"), s("V2")] }]);
    assert_eq!(
        checked.warnings[0].to_string(),
        "voltage sources and inductors `L1`, `V1`, `V2` form a loop: its DC operating point is singular unless \
         the transient starts from initial conditions (`uic`)"
    );
}

#[test]
fn non_positive_and_non_finite_values() {
    let c = circuit(vec![
        vdc("V1", "a", "0", 1.0),
        el("C1", ElementKind::Capacitor { p: s("a"), n: s("0"), c_farad: n(-1e-12), ic_volt: None }),
    ]);
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: capacitor `C1`: capacitance must be positive and finite, got -1 pF");

    let c = circuit(vec![r("R1", "a", "0", 0.0)]);
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: resistor `R1`: resistance must be finite and non-zero, got 0 Ω");

    let c = circuit(vec![
        r("R1", "a", "0", 1.0),
        el("L1", ElementKind::Inductor { p: s("a"), n: s("0"), l_henry: n(f64::INFINITY), ic_amp: None }),
    ]);
    let (_, msg) = problem(&c);
    assert_eq!(msg, "invalid circuit: inductor `L1`: inductance must be positive and finite, got inf H");
}

#[test]
fn malformed_law_is_named() {
    let c = circuit(vec![el(
        "N1",
        ElementKind::NonlinearResistor {
            p: s("a"),
            n: s("0"),
            law: ResistiveLaw::Tanh { alpha: n(1.0), delta: n(0.0), w: n(0.0) },
        },
    )]);
    let (p, msg) = problem(&c);
    assert!(matches!(&p, Problem::BadElement { element, .. } if element == "N1"), "{p:?}");
    assert!(msg.starts_with("invalid circuit: nonlinear resistor `N1`: "), "{msg}");
    assert!(msg.contains('w'), "{msg}");
}

#[test]
fn malformed_waveform_is_named() {
    let c = circuit(vec![
        r("R1", "a", "0", 1.0),
        el(
            "I1",
            ElementKind::CurrentSource {
                p: s("0"),
                n: s("a"),
                waveform: Waveform::Pwl { points: vec![(n(1.0), n(0.0)), (n(0.5), n(1.0))] },
                dc: None,
            },
        ),
    ]);
    let (p, msg) = problem(&c);
    assert!(matches!(&p, Problem::BadElement { element, .. } if element == "I1"), "{p:?}");
    assert!(msg.starts_with("invalid circuit: current source `I1`: "), "{msg}");
}

#[test]
fn several_problems_are_all_reported() {
    let c = circuit(vec![r("R1", "a", "0", 0.0), bcur("B1", "a", "0", "V(zz)")]);
    let err = c.check().expect_err("invalid");
    assert_eq!(err.problems().len(), 2, "{err}");
    assert!(err.to_string().starts_with("invalid circuit: 2 problems\n  - "), "{err}");
}

#[test]
fn nodes_without_dc_path_are_a_warning() {
    let c = circuit(vec![
        vdc("V1", "a", "0", 1.0),
        el("C1", ElementKind::Capacitor { p: s("a"), n: s("f1"), c_farad: n(1e-12), ic_volt: None }),
        r("R1", "f1", "f2", 1e3),
    ]);
    let checked = c.check().expect("valid with a warning");
    assert_eq!(checked.warnings, vec![Warning::NoDcPath { nodes: vec![s("f1"), s("f2")] }]);
    assert_eq!(checked.warnings[0].to_string(), "nodes `f1`, `f2` have no DC path to ground");
}

#[test]
fn node_names_compare_case_insensitively_as_in_spice() {
    // V(OUT) reads node `out`; a subcircuit port `IN` used inside as `in` is the port.
    let mut c = circuit(vec![r("R1", "out", "0", 1.0), bcur("B1", "out", "0", "V(OUT)*1m")]);
    c.subckts.push(sub("load", &["IN"], vec![], vec![r("R1", "in", "0", 1.0)]));
    c.instances.push(inst("x1", "load", &["out"], vec![]));
    let checked = c.check().expect("valid");
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    let flat = checked.circuit;
    match &flat.element("x1.R1").expect("exists").kind {
        ElementKind::Resistor { p, .. } => assert_eq!(p, "out"),
        other => panic!("{other:?}"),
    }
    assert_eq!(flat.nodes(), vec!["out"]);
}
