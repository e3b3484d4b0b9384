//! Every error class of the parser, with its exact message: the messages
//! of all cases are compared byte for byte with `data/errors.txt`
//! (regenerate with `UPDATE_GOLDEN=1 cargo test -p atscale-spice`).

use atscale_spice::parse_str;

fn err(text: &str) -> String {
    match parse_str(text, "bad.cir") {
        Ok(n) => panic!("no error for:\n{text}\n{n:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn every_error_class_has_its_exact_message() {
    let cases = [
        "t\nR1 a b abc\n",
        "t\nR1 a b 1k5\n",
        "t\nR1 a b {1 +}\n",
        "t\nB1 a 0 I={foo(v(a))}\n",
        "t\nR1 a b {2*x\n",
        "t\n.foo 1\n",
        "t\n.step param r 1 2 1\n",
        "t\n.endif\n",
        "t\n.param a=1\n.if (a)\nR1 a b 1\n",
        "t\n.if (1)\n.else\n.elseif (1)\n.endif\n",
        "t\n.if (nope > 1)\n.endif\n",
        "t\n.subckt s a b w=1\n.if (w > 1)\nR1 a b 1\n.endif\n.ends\n",
        "t\nK1 L1 0.9\n",
        "t\nQ1 c b\n",
        "t\nW1 a b\n",
        "t\nS1 a b c d sw maybe\n",
        "t\nT1 a 0 b 0 z0=50 td=1n\n",
        "t\n.model s1 SW(VX=1)\n",
        "t\n.model q1 NPN(level=1.5)\n",
        "t\n.model d1 D(FOO=1.1)\n",
        "t\n.subckt s a b\nR1 a b 1\n",
        "t\n.ends\n",
        "t\n.subckt s a\n.subckt u b\n",
        "t\n.endc\n",
        "t\n.control\nrun\n",
        "+ R1 a b 1\n+ x",
        "t\n+ 1\n",
        "t\n.include other.cir\n",
        "t\n.tran 1u\n",
        "t\n.tran 1u 1m\n.tran 1u 2m\n",
        "t\n.param a={b} b={a}\n",
        "t\nB1 a 0 Q={1}\n",
        "t\nR1 a\n",
        "t\nV1 a 0 AC 1 0 2 3\n",
        "t\nV1 a 0 SFFM(0)\n",
        "t\nV1 a 0 PULSE(0 1 2 3 4 5 6 7 8)\n",
        "t\nV1 a 0 PWL(0 1 2)\n",
        "t\nE1 a 0 POLY(1) b 0 0 1\n",
        "t\nC1 a 0 {v(b)}\n",
        "t\nV1 a 0 {2*time}\n",
        "t\nM1 d g s b nch W=1u L=1u FOO=1p\n",
        "t\n.func f(x) {x\n",
        "t\n.func f(x) {f(x)}\nB1 a 0 I=f(1)\n",
        "t\n.func exp(x) {x}\n",
        "t\n.options method=euler\n",
        "t\n.ic v(a)={1}\n",
        "t\nR1 a b 1 tc3=0.1\n",
        "t\nV1 a 0 TRRANDOM(7 1u)\n",
        "t\nV1 a 0 TRNOISE(1m 1u 0 0 1m 1u 0)\n",
        "t\nV1 a 0 PWL(0 0 1 1) r=0.5\n",
        "t\n.global\n",
        "t\n\tR1 a b ?\n",
    ];
    let mut report = String::new();
    for c in cases {
        report.push_str(&format!("=== {c:?}\n{}\n\n", err(c)));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spice/data/errors.txt");
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &report).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == report,
        "parser messages changed; if intended, regenerate with UPDATE_GOLDEN=1 cargo test -p atscale-spice\n\
         --- expected ({}) ---\n{expected}\n--- got ---\n{report}",
        path.display()
    );
}

/// The diagnostic's fields, for a caller that wants them separately.
#[test]
fn diagnostic_fields() {
    let e = parse_str("title\nR1 a b\t{1 +}\n", "x.cir").unwrap_err();
    let d = e.diagnostic().unwrap();
    assert_eq!((d.file.as_str(), d.line, d.column, d.line_text.as_str()), ("x.cir", 2, 12, "R1 a b\t{1 +}"));
    assert_eq!(d.expected, None);
    assert_eq!(d.message, "bad expression: expected an expression, found end of input");
}

#[test]
fn card_name_clashes_are_refused() {
    use atscale_circuit::{Circuit, Element, ElementKind, Value};
    use atscale_spice::{write_netlist, Analysis, Header, Ngspice};
    let r = |name: &str| Element {
        name: name.into(),
        kind: ElementKind::Resistor { p: "a".into(), n: "0".into(), r_ohm: Value::Num(1.0) },
    };
    let c = Circuit { title: "t".into(), elements: vec![r("1"), r("r1")], ..Circuit::default() };
    let err =
        write_netlist(&c, &Analysis::tran_uic(1.0, 2.0, 1.0), &Ngspice, &Header::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "resistor `r1` would be written as card `r1`, which another element or instance of the top level already uses; rename one of them"
    );
}
