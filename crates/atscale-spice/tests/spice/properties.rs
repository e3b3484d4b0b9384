//! Property tests: write-then-parse round trip over generated circuits, and
//! injection safety with hostile strings.

use atscale_circuit::expr::{CompiledExpr, Input};
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
        // The Xyce writer takes every circuit the ngspice writer takes, but for
        // what Xyce cannot compute as ngspice does, which it refuses by name
        // (tests/spice/xyce.rs).
        match write_netlist(&circuit, &analysis, &Xyce, &Header::default()) {
            Ok(xyce) => prop_assert!(xyce.ends_with(".end\n")),
            Err(Error::Unrepresentable { dialect: "Xyce", .. }) => {}
            Err(e) => return Err(TestCaseError::fail(format!("xyce: {e}"))),
        }
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

/// `v(a)`, `v(b)`, `v(c)` as state entries 0, 1, 2.
fn compile_abc(e: &Expr) -> CompiledExpr {
    CompiledExpr::compile(e, &mut |leaf| match leaf {
        Input::Node("a") => Ok(Some(0)),
        Input::Node("b") => Ok(Some(1)),
        Input::Node("c") => Ok(Some(2)),
        other => Err(format!("unexpected {other}")),
    })
    .unwrap()
}

/// Which side of each switch `x` lies on (-1, 0 or 1 for each switch argument).
fn branches(switches: &[CompiledExpr], x: &[f64]) -> Vec<i8> {
    switches
        .iter()
        .map(|s| {
            let v = s.value(x, 0.0, &mut s.workspace());
            if v > 0.0 {
                1
            } else if v < 0.0 {
                -1
            } else {
                0
            }
        })
        .collect()
}

/// The outcome of comparing one derivative with its finite difference.
enum Check {
    /// Compared: the gradient entry, the finite difference and the rounding
    /// noise of the finite difference.
    Compared { g: f64, fd: f64, noise: f64 },
    /// The stencil touches or crosses a switch (a kink or jump).
    NearKink,
}

/// `df/dx[k]` from the compiled gradient against a Richardson-extrapolated
/// central difference with steps `h = 1e-6 |x[k]|` and `h/2`, unless a
/// switch changes sign between any two of the five stencil points or is
/// exactly 0 at `x`: that is how the property decides it is near a kink.
/// The noise is the rounding bound of the values (`Kinked::rounding`)
/// amplified by the differencing: `3 eps max(rounding) / h`.
fn check_derivative(f: &Compiled, x: &[f64], k: usize) -> Check {
    let h = 1e-6 * x[k].abs();
    let at = |d: f64| {
        let mut y = x.to_vec();
        y[k] += d;
        y
    };
    let stencil = [at(-h), at(-h / 2.0), at(h / 2.0), at(h)];
    let here = branches(&f.switches, x);
    if here.contains(&0) || stencil.iter().any(|y| branches(&f.switches, y) != here) {
        return Check::NearKink;
    }
    let mut ws = f.expr.workspace();
    let vals: Vec<f64> = stencil.iter().map(|y| f.expr.value(y, 0.0, &mut ws)).collect();
    let step = |j: usize| stencil[j][k] - x[k];
    let d1 = (vals[3] - vals[0]) / (step(3) - step(0));
    let d2 = (vals[2] - vals[1]) / (step(2) - step(1));
    let fd = (4.0 * d2 - d1) / 3.0;
    let mut wr = f.rounding.workspace();
    let rounding = stencil.iter().map(|y| f.rounding.value(y, 0.0, &mut wr)).fold(0.0, f64::max);
    let noise = 3.0 * f64::EPSILON * rounding / h;
    f.expr.eval(x, 0.0, &mut ws);
    let g = f.expr.inputs().iter().position(|&i| i == k).map_or(0.0, |slot| ws.gradient()[slot]);
    Check::Compared { g, fd, noise }
}

/// A [`generators::Kinked`] compiled.
struct Compiled {
    expr: CompiledExpr,
    switches: Vec<CompiledExpr>,
    rounding: CompiledExpr,
}

/// Largest relative error of a gradient entry against its finite
/// difference, beyond the rounding noise: measured at most 2.8e-9 (two runs
/// of 20,000 cases, 56,000 derivatives each) where the noise is negligible,
/// the Richardson difference's truncation error; 10x margin. The noise is
/// a bound, not an estimate: the largest error seen was 0.48 of it.
const FD_REL_TOL: f64 = 3e-8;

fn wide_point() -> impl Strategy<Value = Vec<f64>> {
    proptest::collection::vec(generators::wide_num(), 3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// The compiled gradient of expressions with kinks and jumps (abs, min,
    /// max, ?:, uramp, limits, the PWL hinge) at inputs of either sign from
    /// 1e-6 to 1e3 agrees with a finite difference wherever the difference
    /// stencil stays on one side of every kink.
    #[test]
    fn gradient_matches_finite_differences_away_from_kinks(k in generators::kinked_expr(), x in wide_point()) {
        let f = Compiled {
            expr: compile_abc(&k.expr),
            switches: k.switches.iter().map(compile_abc).collect(),
            rounding: compile_abc(&k.rounding),
        };
        for i in 0..3 {
            if let Check::Compared { g, fd, noise } = check_derivative(&f, &x, i) {
                let err = (g - fd).abs();
                let allowed = FD_REL_TOL * (g.abs() + fd.abs()) + noise;
                prop_assert!(
                    err <= allowed,
                    "{}: d/dv({}) = {} but the finite difference is {} (noise {:e}) at {:?}",
                    k.expr, ["a", "b", "c"][i], g, fd, noise, x
                );
            }
        }
    }
}

/// An expression, a kink `(a, b)` of it, the gradient promised there, and
/// the slopes in `a` on its left and right.
type KinkCase = (&'static str, [f64; 2], [f64; 2], [f64; 2]);

/// At a kink the gradient takes the value `atscale_circuit::expr::Func`
/// promises: `abs` 0 at 0, `uramp` 1/2 at 0, `u2` 1/2 at its corners, a tie
/// of `min` the slope of its first argument and of `max` its second, a
/// ternary the slope of the branch taken (`0 > 0` is false). The writer's
/// PWL hinge `(x + abs(x))/2` is then 1/2 at its corner, the mean of its
/// one-sided slopes. The one-sided finite differences on either side equal
/// the slopes of the pieces that meet there.
#[test]
fn gradient_at_a_kink_is_the_promised_one() {
    let cases: [KinkCase; 11] = [
        ("abs(v(a))", [0.0, 0.0], [0.0, 0.0], [-1.0, 1.0]),
        ("uramp(v(a))", [0.0, 0.0], [0.5, 0.0], [0.0, 1.0]),
        ("u2(v(a))", [0.0, 0.0], [0.5, 0.0], [0.0, 1.0]),
        ("u2(v(a))", [1.0, 0.0], [0.5, 0.0], [1.0, 0.0]),
        ("(v(a) + abs(v(a))) / 2", [0.0, 0.0], [0.5, 0.0], [0.0, 1.0]),
        ("min(2*v(a), -3*v(b))", [1.5, -1.0], [2.0, 0.0], [2.0, 0.0]),
        ("max(2*v(a), -3*v(b))", [1.5, -1.0], [0.0, -3.0], [0.0, 2.0]),
        ("v(a) > 0 ? 2*v(a) : -3*v(a)", [0.0, 0.0], [-3.0, 0.0], [-3.0, 2.0]),
        // A limit: at the upper bound min's tie takes max(v(a), -1), whose
        // slope is 1; at the lower bound max's tie takes the constant.
        ("min(max(v(a), -1), 1)", [1.0, 0.0], [1.0, 0.0], [1.0, 0.0]),
        ("min(max(v(a), -1), 1)", [-1.0, 0.0], [0.0, 0.0], [0.0, 1.0]),
        ("v(b) * abs(v(a) - 0.5)", [0.5, 3.0], [0.0, 0.0], [-3.0, 3.0]),
    ];
    // One-sided differences of piecewise-linear pieces are exact but for
    // rounding: measured 8.6e-11 at h = 1e-6; 11x margin.
    let (h, tol) = (1e-6, 1e-9);
    for (text, [a, b], promised, [left, right]) in cases {
        let e = Expr::parse(text).unwrap();
        let f = CompiledExpr::compile(&e, &mut |leaf| match leaf {
            Input::Node("a") => Ok(Some(0)),
            Input::Node("b") => Ok(Some(1)),
            other => Err(format!("unexpected {other}")),
        })
        .unwrap();
        let mut ws = f.workspace();
        let y = f.eval(&[a, b], 0.0, &mut ws);
        let mut g = [0.0; 2];
        for (slot, &i) in f.inputs().iter().enumerate() {
            g[i] = ws.gradient()[slot];
        }
        assert_eq!(g, promised, "{text} at ({a}, {b})");
        let one_sided =
            [(y - f.value(&[a - h, b], 0.0, &mut ws)) / h, (f.value(&[a + h, b], 0.0, &mut ws) - y) / h];
        for (side, (fd, want)) in ["left", "right"].iter().zip(one_sided.iter().zip([left, right])) {
            assert!((fd - want).abs() <= tol, "{text} at ({a}, {b}): {side} slope {fd}, expected {want}");
        }
    }
}
