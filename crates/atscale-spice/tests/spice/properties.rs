//! Property tests: write-then-parse round trip over generated circuits, and
//! injection safety with hostile strings.

use atscale_circuit::{Circuit, Element, ElementKind, Expr, Param, Value, Waveform};
use atscale_spice::names::is_line_breaking;
use atscale_spice::number::{format_number, parse_number};
use atscale_spice::{parse_str, write_netlist, Analysis, Error, Header, Ngspice, Xyce};
use proptest::prelude::*;

use crate::generators;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn numbers_round_trip(x in generators::num()) {
        let s = format_number(x).unwrap();
        prop_assert_eq!(parse_number(&s).map(f64::to_bits), Ok(x.to_bits()), "{}", s);
    }

    #[test]
    fn write_then_parse_gives_the_same_circuit(circuit in generators::circuit()) {
        let analysis = Analysis::tran_uic(1e-3, 1.0, 1e-4);
        let written = write_netlist(&circuit, &analysis, &Ngspice, &Header::default());
        // Independently generated names can collide once card letters are
        // put in front (an instance `K` is written `XK`); the writer refuses
        // such a circuit by design (tested in `errors.rs`), so it is not a
        // round-trip case.
        prop_assume!(!matches!(written, Err(Error::CardNameClash { .. })));
        let text = written.map_err(|e| TestCaseError::fail(format!("write: {e}")))?;
        let parsed = parse_str(&text, "generated.cir")
            .map_err(|e| TestCaseError::fail(format!("parse: {e}\n{text}")))?;
        prop_assert!(parsed.warnings.is_empty(), "{:?}\n{}", parsed.warnings, text);
        prop_assert_eq!(&parsed.circuit, &circuit, "{}", text);
        prop_assert_eq!(&parsed.analysis, &analysis);
        // The Xyce writer takes every circuit the ngspice writer takes.
        let xyce = write_netlist(&circuit, &analysis, &Xyce, &Header::default())
            .map_err(|e| TestCaseError::fail(format!("xyce: {e}")))?;
        prop_assert!(xyce.ends_with(".end\n"));
    }
}

const FRAGMENTS: &[&str] = &[
    "\n",
    "\r",
    "\r\n",
    ".control",
    ".endc",
    "shell rm -rf ~",
    "!ls",
    ";",
    "$",
    "\u{2028}",
    "\u{2029}",
    "\u{85}",
    "\0",
    "\u{b}",
    "\u{c}",
    "*",
    "+",
    "{",
    "}",
    "'",
    "\"",
    "=",
    "(",
    " ",
    "\t",
    "x",
    "R1",
    "é",
    ".end",
    "quit",
];

fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..8).prop_map(|v| v.concat())
}

fn safe_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '#')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
}

/// No line of the output but the writer's own can be a command: the
/// netlist holds exactly the cards the circuit asks for, no `.control`, and
/// no line-breaking character.
fn assert_contained(text: &str, cards: usize) -> Result<(), TestCaseError> {
    prop_assert!(!text.chars().any(|c| c != '\n' && is_line_breaking(c)), "{:?}", text);
    let parsed = parse_str(text, "hostile.cir").map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
    prop_assert!(parsed.control_blocks.is_empty());
    let non_comment = text.lines().skip(1).filter(|l| !l.starts_with('*')).count();
    // cards + `.tran` + `.end`
    prop_assert_eq!(non_comment, cards + 2, "{}", text);
    for l in text.lines().skip(1).filter(|l| !l.starts_with('*')) {
        let lower = l.to_ascii_lowercase();
        prop_assert!(
            !lower.starts_with(".control") && !lower.starts_with("shell") && !lower.starts_with('!'),
            "{}",
            l
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn hostile_title_and_header_are_contained(title in hostile(), comment in hostile(), generator in hostile()) {
        let circuit = Circuit {
            title: title.clone(),
            elements: vec![Element {
                name: "R1".into(),
                kind: ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: Value::Num(1.0) },
            }],
            ..Circuit::default()
        };
        let header = Header { generator, lines: vec![comment.clone()] };
        let text = write_netlist(&circuit, &Analysis::tran_uic(1.0, 2.0, 1.0), &Ngspice, &header).unwrap();
        assert_contained(&text, 1)?;
        let parsed = parse_str(&text, "hostile.cir").unwrap();
        prop_assert_eq!(parsed.title, atscale_spice::names::safe_title(&title));
    }

    #[test]
    fn hostile_names_are_rejected_or_safe(s in hostile(), which in 0..7usize) {
        let mut circuit = Circuit {
            title: "t".into(),
            elements: vec![Element {
                name: "R1".into(),
                kind: ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: Value::Num(1.0) },
            }],
            ..Circuit::default()
        };
        let mut cards = 1;
        match which {
            0 => circuit.elements[0].name = s.clone(),
            1 => circuit.elements[0].kind = ElementKind::Resistor { p: s.clone(), n: "0".into(), r_ohm: Value::Num(1.0) },
            2 => {
                circuit.params.push(Param { name: s.clone(), value: Value::Num(1.0) });
                cards += 1;
            }
            3 => circuit.elements[0].kind = ElementKind::Resistor {
                p: "a".into(),
                n: "0".into(),
                r_ohm: Value::from(Expr::Var(s.clone())),
            },
            4 => circuit.elements.push(Element {
                name: "B1".into(),
                kind: ElementKind::BehaviouralCurrent { p: "a".into(), n: "0".into(), expr: Expr::v(s.clone()) },
            }),
            5 => circuit.elements.push(Element {
                name: "B1".into(),
                kind: ElementKind::BehaviouralCurrent { p: "a".into(), n: "0".into(), expr: Expr::i(s.clone()) },
            }),
            _ => circuit.elements.push(Element {
                name: "D1".into(),
                kind: ElementKind::Diode { p: "a".into(), n: "0".into(), model: s.clone(), area: None },
            }),
        }
        if which >= 4 {
            cards += 1;
        }
        match write_netlist(&circuit, &Analysis::tran_uic(1.0, 2.0, 1.0), &Ngspice, &Header::default()) {
            Ok(text) => {
                prop_assert!(safe_name(&s), "unsafe name {:?} was written:\n{}", s, text);
                assert_contained(&text, cards)?;
            }
            Err(Error::UnsafeName { .. }) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn hostile_option_and_ic_names_are_rejected(s in hostile()) {
        let mut analysis = Analysis::tran_uic(1.0, 2.0, 1.0);
        analysis.options.other.push((s.clone(), Some(s.clone())));
        let circuit = Circuit { title: "t".into(), ..Circuit::default() };
        if let Ok(text) = write_netlist(&circuit, &analysis, &Ngspice, &Header::default()) {
            prop_assert!(safe_name(&s), "{:?}", text);
        }
        let mut analysis = Analysis::tran_uic(1.0, 2.0, 1.0);
        analysis.ic.push((s.clone(), 1.0));
        if let Ok(text) = write_netlist(&circuit, &analysis, &Xyce, &Header::default()) {
            prop_assert!(safe_name(&s), "{:?}", text);
        }
    }
}

#[test]
fn non_finite_numbers_are_refused() {
    let circuit = Circuit {
        title: "t".into(),
        elements: vec![Element {
            name: "V1".into(),
            kind: ElementKind::VoltageSource {
                p: "a".into(),
                n: "0".into(),
                waveform: Waveform::Dc { value: Value::Num(f64::NAN) },
                dc: None,
            },
        }],
        ..Circuit::default()
    };
    let err = write_netlist(&circuit, &Analysis::default(), &Ngspice, &Header::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot write the waveform of voltage source V1: its value NaN is not a finite number"
    );
}
