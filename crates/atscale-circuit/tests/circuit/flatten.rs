//! Flattening of nested subcircuits with parameters and overrides.

use atscale_circuit::{Circuit, Element, ElementKind, Expr, Instance, Param, Subckt, Value, Waveform};

fn s(x: &str) -> String {
    x.to_string()
}

fn expr(src: &str) -> Value {
    Value::from(Expr::parse(src).expect("test expression parses"))
}

fn el(name: &str, kind: ElementKind<Value>) -> Element<Value> {
    Element { name: s(name), kind }
}

/// `stage (in out) params: r=1k c={2*cu}`: R in-out, C out-0, and a nested
/// `load (a) params: g=1m` instance whose value depends on the stage's `r`.
fn nested() -> Circuit {
    let load = Subckt {
        name: s("load"),
        ports: vec![s("a")],
        params: vec![Param::new("g", 1e-3)],
        elements: vec![
            el("R1", ElementKind::Resistor { p: s("a"), n: s("mid"), r_ohm: expr("1/g") }),
            el(
                "B1",
                ElementKind::BehaviouralCurrent {
                    p: s("mid"),
                    n: s("0"),
                    expr: Expr::parse("g*V(mid) + 0*I(Vs)").expect("parses"),
                },
            ),
            el(
                "Vs",
                ElementKind::VoltageSource {
                    p: s("mid"),
                    n: s("low"),
                    waveform: Waveform::Dc { value: Value::Num(0.0) },
                    dc: None,
                },
            ),
            el("R2", ElementKind::Resistor { p: s("low"), n: s("0"), r_ohm: Value::Num(1.0) }),
        ],
        instances: vec![],
    };
    let stage = Subckt {
        name: s("stage"),
        ports: vec![s("in"), s("out")],
        params: vec![Param::new("r", 1e3), Param::new("c", expr("2*cu"))],
        elements: vec![
            el("R1", ElementKind::Resistor { p: s("in"), n: s("out"), r_ohm: expr("r") }),
            el("C1", ElementKind::Capacitor { p: s("out"), n: s("0"), c_farad: expr("c"), ic_volt: None }),
        ],
        instances: vec![Instance {
            name: s("x9"),
            subckt: s("LOAD"),
            nodes: vec![s("out")],
            params: vec![Param::new("g", expr("1/r"))],
        }],
    };
    Circuit {
        title: s("nested"),
        params: vec![Param::new("rtop", expr("cu*1e15")), Param::new("cu", 1e-12)],
        subckts: vec![stage, load],
        elements: vec![el(
            "V1",
            ElementKind::VoltageSource {
                p: s("a"),
                n: s("0"),
                waveform: Waveform::Dc { value: Value::Num(1.0) },
                dc: None,
            },
        )],
        instances: vec![
            Instance { name: s("x1"), subckt: s("stage"), nodes: vec![s("a"), s("b")], params: vec![] },
            Instance {
                name: s("x2"),
                subckt: s("stage"),
                nodes: vec![s("b"), s("c")],
                params: vec![Param::new("r", expr("rtop*2"))],
            },
        ],
        ..Circuit::default()
    }
}

fn resistance(c: &atscale_circuit::FlatCircuit, name: &str) -> (String, String, f64) {
    match &c.element(name).unwrap_or_else(|| panic!("no element {name}")).kind {
        ElementKind::Resistor { p, n, r_ohm } => (p.clone(), n.clone(), *r_ohm),
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn nested_subcircuits_get_hierarchical_names_and_overrides() {
    let flat = nested().check().expect("valid").circuit;
    let names: Vec<&str> = flat.elements.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "V1", "x1.R1", "x1.C1", "x1.x9.R1", "x1.x9.B1", "x1.x9.Vs", "x1.x9.R2", "x2.R1", "x2.C1",
            "x2.x9.R1", "x2.x9.B1", "x2.x9.Vs", "x2.x9.R2"
        ]
    );
    // x1 keeps the default r = 1 kΩ; its load gets g = 1/r = 1 mS, so 1/g = 1 kΩ.
    assert_eq!(resistance(&flat, "x1.R1"), (s("a"), s("b"), 1e3));
    let (p, n, r) = resistance(&flat, "x1.x9.R1");
    assert_eq!((p.as_str(), n.as_str()), ("b", "x1.x9.mid"));
    // Parameter arithmetic measured exact (difference 0) here and below; the
    // bounds are a few ulp of the value.
    assert!((r - 1e3).abs() < 1e-12);
    // x2 overrides r = rtop*2 = 2 kΩ (rtop = cu*1e15 = 1000, defined after its use).
    let (p, n, r) = resistance(&flat, "x2.R1");
    assert_eq!((p.as_str(), n.as_str()), ("b", "c"));
    assert!((r - 2e3).abs() < 2e-12, "{r}");
    let (_, _, r) = resistance(&flat, "x2.x9.R1");
    assert!((r - 2e3).abs() < 2e-12, "{r}");
    // c = 2*cu reads a global from a subcircuit default.
    match &flat.element("x2.C1").expect("exists").kind {
        ElementKind::Capacitor { p, n, c_farad, .. } => {
            assert_eq!((p.as_str(), n.as_str()), ("c", "0"));
            assert!((c_farad - 2e-12).abs() < 2e-27);
        }
        other => panic!("{other:?}"),
    }
    // Expressions: parameters substituted, nodes and currents renamed.
    match &flat.element("x2.x9.B1").expect("exists").kind {
        ElementKind::BehaviouralCurrent { expr, .. } => {
            assert_eq!(expr.nodes(), vec!["x2.x9.mid"]);
            assert_eq!(expr.currents(), vec!["x2.x9.Vs"]);
            assert!(expr.variables().is_empty(), "{expr}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(flat.nodes(), vec!["a", "b", "x1.x9.mid", "x1.x9.low", "c", "x2.x9.mid", "x2.x9.low"]);
}

#[test]
fn builtin_fitzhugh_nagumo_is_valid_and_has_no_warnings() {
    let checked = atscale_circuit::builtin::fitzhugh_nagumo().check().expect("valid");
    assert!(checked.warnings.is_empty(), "{:?}", checked.warnings);
    let s = checked.circuit.summary();
    assert_eq!(s.node_count, 3);
    assert_eq!(s.elements.len(), 6);
}
