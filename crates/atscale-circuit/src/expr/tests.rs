//! Tests of the expression language: parser, semantics, derivatives,
//! printing and serde.

use proptest::prelude::*;

use super::*;

fn p(s: &str) -> Expr {
    match Expr::parse(s) {
        Ok(e) => e,
        Err(e) => panic!("`{s}` did not parse: {e}"),
    }
}

fn val(s: &str) -> f64 {
    match p(s).eval_const(&mut |_| None) {
        Ok(v) => v,
        Err(e) => panic!("`{s}` did not evaluate: {e}"),
    }
}

fn err(s: &str) -> ExprError {
    match Expr::parse(s) {
        Ok(e) => panic!("`{s}` parsed as {e:?}"),
        Err(e) => e,
    }
}

fn var(n: &str) -> Expr {
    Expr::var(n)
}

fn n(x: f64) -> Expr {
    Expr::Num(x)
}

fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
    Expr::binary(op, a, b)
}

fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

/// Compiles with nodes a, b, c → 0, 1, 2, ground 0 → None, currents vx, l1 →
/// 3, 4 and variable p → 5.
fn compile(e: &Expr) -> CompiledExpr {
    let r = CompiledExpr::compile(e, &mut |leaf| match leaf {
        Input::Node("a") => Ok(Some(0)),
        Input::Node("b") => Ok(Some(1)),
        Input::Node("c") => Ok(Some(2)),
        Input::Node("0") => Ok(None),
        Input::Current("vx") => Ok(Some(3)),
        Input::Current("l1") => Ok(Some(4)),
        Input::Var("p") => Ok(Some(5)),
        other => Err(format!("no {other}")),
    });
    match r {
        Ok(c) => c,
        Err(err) => panic!("{e} did not compile: {err}"),
    }
}

/// The tree with every leaf replaced by its value in `x` (layout of
/// [`compile`]).
fn substitute_state(e: &Expr, x: &[f64], t: f64) -> Expr {
    let node = |n: &str| match n {
        "a" => x[0],
        "b" => x[1],
        "c" => x[2],
        _ => 0.0,
    };
    e.map_leaves(&mut |l| match l {
        Expr::Voltage(a, None) => Some(n(node(a))),
        Expr::Voltage(a, Some(b)) => Some(n(node(a) - node(b))),
        Expr::Current(c) if c == "vx" => Some(n(x[3])),
        Expr::Current(_) => Some(n(x[4])),
        Expr::Var(_) => Some(n(x[5])),
        Expr::Time => Some(n(t)),
        _ => None,
    })
}

/// Central differences of the compiled value, for every input.
fn finite_differences(f: &CompiledExpr, x: &[f64], t: f64) -> Vec<f64> {
    let mut ws = f.workspace();
    f.inputs()
        .iter()
        .map(|&i| {
            let h = 1e-6 * (1.0 + x[i].abs());
            let mut xp = x.to_vec();
            xp[i] += h;
            let up = f.value(&xp, t, &mut ws);
            xp[i] = x[i] - h;
            let down = f.value(&xp, t, &mut ws);
            (up - down) / (2.0 * h)
        })
        .collect()
}

// ---------------------------------------------------------------- parser

#[test]
fn precedence_and_associativity_follow_ngspice() {
    use BinaryOp::*;
    // `^` is left-associative in ngspice's grammar (`%left '^'`).
    assert_eq!(p("2^3^2"), bin(Pow, bin(Pow, n(2.0), n(3.0)), n(2.0)));
    assert_eq!(val("2^3^2"), 64.0);
    assert_eq!(val("2**3**2"), 64.0);
    // Unary minus binds looser than `^`.
    assert_eq!(p("-2^2"), Expr::unary(UnaryOp::Neg, bin(Pow, n(2.0), n(2.0))));
    assert_eq!(val("-2^2"), -4.0);
    assert_eq!(p("-a^b"), Expr::unary(UnaryOp::Neg, bin(Pow, var("a"), var("b"))));
    assert_eq!(p("2^-2"), bin(Pow, n(2.0), n(-2.0)));
    assert_eq!(val("2^-2"), 0.25);
    assert_eq!(val("-2^-2"), -0.25);
    assert_eq!(p("2^-3^2"), bin(Pow, n(2.0), Expr::unary(UnaryOp::Neg, bin(Pow, n(3.0), n(2.0)))));
    assert_eq!(p("2^-3*4"), bin(Mul, bin(Pow, n(2.0), n(-3.0)), n(4.0)));
    assert_eq!(p("a-b-c"), bin(Sub, bin(Sub, var("a"), var("b")), var("c")));
    assert_eq!(p("a/b/c"), bin(Div, bin(Div, var("a"), var("b")), var("c")));
    assert_eq!(val("8/2/2"), 2.0);
    assert_eq!(p("1+2*3"), bin(Add, n(1.0), bin(Mul, n(2.0), n(3.0))));
    assert_eq!(val("1+2*3"), 7.0);
    assert_eq!(p("a*-b"), bin(Mul, var("a"), Expr::unary(UnaryOp::Neg, var("b"))));
    assert_eq!(p("a<b ? c : d"), Expr::ternary(bin(Lt, var("a"), var("b")), var("c"), var("d")));
    assert_eq!(
        p("a ? b : c ? d : e1"),
        Expr::ternary(var("a"), var("b"), Expr::ternary(var("c"), var("d"), var("e1")))
    );
    assert_eq!(
        p("a ? b ? c : d : f"),
        Expr::ternary(var("a"), Expr::ternary(var("b"), var("c"), var("d")), var("f"))
    );
    assert_eq!(p("a || b ? c : d"), Expr::ternary(bin(Or, var("a"), var("b")), var("c"), var("d")));
    assert_eq!(p("!a && b || c"), bin(Or, bin(And, Expr::unary(UnaryOp::Not, var("a")), var("b")), var("c")));
    assert_eq!(p("a || b && c"), bin(Or, var("a"), bin(And, var("b"), var("c"))));
    assert_eq!(p("a == b < c"), bin(Eq, var("a"), bin(Lt, var("b"), var("c"))));
    assert_eq!(p("a < b < c"), bin(Lt, bin(Lt, var("a"), var("b")), var("c")));
    assert_eq!(p("a <> b"), bin(Ne, var("a"), var("b")));
    assert_eq!(p("a + b > c * d"), bin(Gt, bin(Add, var("a"), var("b")), bin(Mul, var("c"), var("d"))));
    assert_eq!(p("!a == b"), bin(Eq, Expr::unary(UnaryOp::Not, var("a")), var("b")));
    assert_eq!(p("+a"), var("a"));
    assert_eq!(p("- 2"), n(-2.0));
    assert_eq!(p("-(2)"), Expr::unary(UnaryOp::Neg, n(2.0)));
    assert_eq!(p("- -a"), Expr::unary(UnaryOp::Neg, Expr::unary(UnaryOp::Neg, var("a"))));
    // Values measured with ngspice 39.3 (`.op` of B-sources).
    assert_eq!(val("0 ? 1 : 0 ? 2 : 3"), 3.0);
    assert_eq!(val("1 ? 0 ? 5 : 6 : 7"), 6.0);
    assert_eq!(val("1 < 2 < 1.5"), 1.0);
    assert_eq!(val("0 || 0 ? 7 : 8"), 8.0);
}

#[test]
fn numbers_take_spice_suffixes() {
    let cases = [
        ("1f", 1e-15),
        ("1p", 1e-12),
        ("1n", 1e-9),
        ("1u", 1e-6),
        ("1m", 1e-3),
        ("1k", 1e3),
        ("1meg", 1e6),
        ("1MEG", 1e6),
        ("1Meg", 1e6),
        ("1g", 1e9),
        ("1t", 1e12),
        ("1mil", 2.54e-5),
        ("2.5mil", 6.35e-5),
        ("10pF", 1e-11),
        ("3ms", 3e-3),
        ("1mF", 1e-3),
        ("1kohm", 1e3),
        ("4.7K", 4.7e3),
        ("2.5u", 2.5e-6),
        ("1e3k", 1e6),
        ("1e-3", 1e-3),
        ("1E+2", 100.0),
        ("1d3", 1e3),
        ("2e", 2.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("0.1", 0.1),
        // `a` (atto) is no suffix through ngspice's front end; letters are
        // ignored.
        ("1a", 1.0),
        ("1x", 1.0),
        ("1e999", f64::INFINITY),
        ("1e-999", 0.0),
        ("123456789012345678901234567890", 1.2345678901234568e29),
    ];
    for (text, want) in cases {
        assert_eq!(p(text), n(want), "{text}");
    }
    assert_eq!(val("2*1k"), 2000.0);
    assert_eq!(p("-10p"), n(-1e-11));
}

#[test]
fn keywords_are_case_insensitive_and_names_keep_case() {
    assert_eq!(p("V(Out)"), Expr::v("Out"));
    assert_eq!(p("v(out)"), Expr::v("out"));
    assert_eq!(p("v ( a , b )"), Expr::v_diff("a", "b"));
    assert_eq!(p("V(x1.n2,0)"), Expr::v_diff("x1.n2", "0"));
    assert_eq!(p("v(n+)"), Expr::v("n+"));
    assert_eq!(p("I(V1)"), Expr::i("V1"));
    assert_eq!(p("i(l.x0.l1)"), Expr::i("l.x0.l1"));
    assert_eq!(p("TANH(x)"), Expr::call(Func::Tanh, vec![var("x")]));
    assert_eq!(p("Exp(x)"), Expr::call(Func::Exp, vec![var("x")]));
    assert_eq!(p("TIME"), Expr::Time);
    assert_eq!(p("Time"), Expr::Time);
    assert_eq!(p("PI"), Expr::Const(Constant::Pi));
    assert_eq!(p("E"), Expr::Const(Constant::E));
    assert_eq!(p("Gain"), var("Gain"));
    assert_eq!(p("v"), var("v"));
    assert_eq!(p("v*2"), bin(BinaryOp::Mul, var("v"), n(2.0)));
    assert_eq!(p("e1"), var("e1"));
    assert_eq!(p("x_1.b"), var("x_1.b"));
}

#[test]
fn every_function_parses_with_its_argument_count() {
    for f in Func::ALL {
        let args: Vec<Expr> = ["x", "y"].iter().take(f.arity()).map(|a| var(a)).collect();
        let list = ["x", "y"][..f.arity()].join(", ");
        assert_eq!(p(&format!("{}({list})", f.name())), Expr::call(f, args.clone()));
        assert_eq!(p(&format!("{}({list})", f.name().to_uppercase())), Expr::call(f, args));
        assert_eq!(Func::from_name(f.name()), Some(f));
        let wrong = if f.arity() == 1 { "x, y" } else { "x" };
        if f.takes(3 - f.arity()) {
            // The one-argument `.param` forms of min and max.
            assert_eq!(p(&format!("{}({wrong})", f.name())), Expr::call(f, vec![var("x")]));
            continue;
        }
        assert_eq!(
            err(&format!("{}({wrong})", f.name())),
            ExprError::ArgCount { offset: 0, name: f.name(), expected: f.arity(), found: 3 - f.arity() }
        );
    }
    assert_eq!(Func::ALL.len(), 30);
    let one: Vec<Func> = Func::ALL.into_iter().filter(|f| f.arity() == 2 && f.takes(1)).collect();
    assert_eq!(one, vec![Func::Min, Func::Max]);
}

#[test]
fn errors_give_the_column_and_what_was_expected() {
    let e = err("2 * tanh(x");
    assert_eq!(e.offset(), 10);
    assert_eq!(
        e.to_string(),
        "column 11: expected `)` to close `tanh(` opened at column 5, found end of input"
    );

    let e = err("1 + ");
    assert_eq!(e.offset(), 4);
    assert_eq!(e.to_string(), "column 5: expected an expression, found end of input");

    let e = err("2 * foo(1)");
    assert_eq!(e, ExprError::UnknownFunction { offset: 4, name: "foo".into() });
    assert_eq!(e.to_string(), "column 5: unknown function `foo`");

    assert_eq!(err("pow(1)").to_string(), "column 1: `pow` takes 2 arguments, found 1");
    assert_eq!(err("min()").to_string(), "column 1: `min` takes 2 arguments, found 0");
    assert_eq!(err("ddt(1, 2)").to_string(), "column 1: `ddt` takes 1 argument, found 2");
    assert_eq!(err("exp()").to_string(), "column 1: `exp` takes 1 argument, found 0");

    let e = err("a ? b");
    assert_eq!(e.offset(), 5);
    assert!(e.to_string().contains("expected `:` to complete the `?` at column 3"), "{e}");

    let e = err("(a + b");
    assert_eq!(
        e,
        ExprError::Unclosed { offset: 6, opener: "(".into(), open_offset: 0, found: "end of input".into() }
    );

    let e = err("a = b");
    assert_eq!(e.offset(), 2);
    assert!(e.to_string().contains("compare with `==`"), "{e}");

    let e = err("a b");
    assert_eq!(e.offset(), 2);
    assert_eq!(e.to_string(), "column 3: expected an operator or the end of the expression, found `b`");

    let e = err("x + v(a");
    assert_eq!(
        e,
        ExprError::Unclosed { offset: 7, opener: "v(".into(), open_offset: 4, found: "end of input".into() }
    );

    assert_eq!(err("v()").offset(), 2);
    assert!(err("v()").to_string().contains("expected a node name"));
    assert_eq!(err("i(a,b)").offset(), 3);
    assert_eq!(err("a)").offset(), 1);
    assert_eq!(err("1 + $").to_string(), "column 5: unexpected character `$`");
    assert_eq!(err("1 + µ").offset(), 4);
    assert_eq!(err("2 ** * 3").offset(), 5);
    assert_eq!(err("").to_string(), "column 1: expected an expression, found end of input");
    assert_eq!(err("1.5.3").offset(), 3);
    assert_eq!(
        err("1k5").to_string(),
        "column 3: expected an operator or the end of the expression, found number `5`"
    );
    assert_eq!(err("a & b").offset(), 2);
    assert_eq!(err(". + 1").offset(), 0);
    assert!(err("{2*a}").to_string().contains("without its braces"));
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let deep = format!("{}1{}", "(".repeat(MAX_NESTING + 5), ")".repeat(MAX_NESTING + 5));
    assert!(matches!(err(&deep), ExprError::TooDeep { limit: MAX_NESTING, .. }));
    let ok = format!("{}1{}", "(".repeat(MAX_NESTING - 5), ")".repeat(MAX_NESTING - 5));
    assert_eq!(p(&ok), n(1.0));
    assert!(matches!(err(&"-".repeat(10_000)), ExprError::TooDeep { .. }));
    // `^` chains are left-associative trees: their depth is limited.
    let tower = vec!["x"; MAX_DEPTH + 10].join("^");
    assert!(matches!(err(&tower), ExprError::TooDeep { limit: MAX_DEPTH, .. }));
    let sum = vec!["1"; 500].join(" + ");
    assert_eq!(val(&sum), 500.0);
    assert_eq!(p(&p(&sum).to_string()), p(&sum));
}

/// A flat sum as long as a netlist may write (ngspice accepts them) is held
/// flat: parsed, evaluated, compiled, printed and dropped without deep
/// recursion (on a 256 KiB stack), with exactly the value of the left-deep
/// tree it means (the same rounding, term by term, as ngspice's).
#[test]
fn long_flat_chains_are_not_deep() {
    let run = || {
        for terms in [CHAIN_MIN, CHAIN_MIN + 1, 1_001, 100_000] {
            let xs: Vec<f64> = (0..terms).map(|k| 1.0 / (k as f64 + 3.0)).collect();
            let mut text = String::new();
            let mut want = 0.0;
            for (k, x) in xs.iter().enumerate() {
                let sub = k % 3 == 2;
                if k > 0 {
                    text.push_str(if sub { " - " } else { " + " });
                }
                text.push_str(&format!("{x:?}*p"));
                want = if k == 0 {
                    x * 0.5
                } else if sub {
                    want - x * 0.5
                } else {
                    want + x * 0.5
                };
            }
            let e = p(&text);
            assert_eq!(matches!(e, Expr::Chain(..)), terms > CHAIN_MIN, "{terms} terms");
            let got = e.eval_const(&mut |name| (name == "p").then_some(0.5)).unwrap();
            assert_eq!(got.to_bits(), want.to_bits(), "{terms} terms: {got} != {want}");
            let c = compile(&e);
            let mut ws = c.workspace();
            let x = [0.0, 0.0, 0.0, 0.0, 0.0, 0.5];
            assert_eq!(c.eval(&x, 0.0, &mut ws).to_bits(), want.to_bits());
            assert_eq!(p(&e.to_string()), e);
            drop(e);
        }
    };
    let h = std::thread::Builder::new().stack_size(256 << 10).spawn(run).unwrap();
    if let Err(p) = h.join() {
        std::panic::resume_unwind(p);
    }
}

// ------------------------------------------------------------- semantics

#[test]
fn function_values_follow_ngspice() {
    use std::f64::consts::{E, FRAC_PI_2, FRAC_PI_4, LN_2, PI, TAU};
    let exact = [
        // Powers (PTpowerH, PTpower, PTpwr).
        ("(-2)^3", 8.0),
        ("(-2)**3", 8.0),
        ("pow(-2,3)", 8.0),
        ("pwr(-2,3)", -8.0),
        ("pwr(-8, 1/3)", -2.0),
        ("(-4)^0.5", 2.0),
        ("pow(0,0)", 1.0),
        ("pwr(0,0)", 1.0),
        ("pwr(2,-1)", 0.5),
        // Steps (PTustep, PTustep2, PTuramp, PTsgn).
        ("u(0)", 0.5),
        ("u(-1)", 0.0),
        ("u(1e-300)", 1.0),
        ("u2(-1)", 0.0),
        ("u2(0.25)", 0.25),
        ("u2(3)", 1.0),
        ("uramp(-1)", 0.0),
        ("uramp(2.5)", 2.5),
        ("sgn(-3)", -1.0),
        ("sgn(0)", 0.0),
        ("sgn(2)", 1.0),
        ("abs(-3)", 3.0),
        // Rounding (PTnint rounds half to even).
        ("nint(2.5)", 2.0),
        ("nint(3.5)", 4.0),
        ("nint(-2.5)", -2.0),
        ("nint(0.49999)", 0.0),
        ("nint(-1.6)", -2.0),
        ("ceil(1.2)", 2.0),
        ("ceil(-1.2)", -1.0),
        ("floor(-1.2)", -2.0),
        ("floor(1.9)", 1.0),
        ("min(1,2)", 1.0),
        ("max(1,2)", 2.0),
        ("min(3,-1)", -1.0),
        ("max(3,-1)", 3.0),
        // exp is capped (PTexp); the logarithms give -1e99 at 0 (PTlog).
        ("exp(228)", 1e99),
        ("exp(1e10)", 1e99),
        ("ln(0)", -1e99),
        ("log(0)", -1e99),
        ("log10(0)", -1e99),
        ("log10(1000)", 3.0),
        ("ln(1)", 0.0),
        ("sqrt(0)", 0.0),
        ("sqrt(6.25)", 2.5),
        ("cos(0)", 1.0),
        ("sin(0)", 0.0),
        ("cosh(0)", 1.0),
        ("sinh(0)", 0.0),
        ("acosh(1)", 0.0),
        ("atanh(-1)", f64::NEG_INFINITY),
        // Division nudges the divisor by gmin*1e-20 (PTdivide).
        ("1/0", 1e32),
        ("-1/0", -1e32),
        ("0/0", 0.0),
        ("1/4", 0.25),
        // Comparisons and logic.
        ("2 < 3", 1.0),
        ("3 <= 3", 1.0),
        ("2 > 3", 0.0),
        ("2 >= 3", 0.0),
        ("2 == 2", 1.0),
        ("2 != 2", 0.0),
        ("2 <> 3", 1.0),
        ("1 && 0", 0.0),
        ("1 && 2", 1.0),
        ("0 || 0", 0.0),
        ("0 || -3", 1.0),
        ("!0", 1.0),
        ("!5", 0.0),
        ("1 ? 2 : 3", 2.0),
        ("0 ? 2 : 3", 3.0),
        ("0 ? sqrt(-1) : 3", 3.0),
        ("1e999 == 1e999", 0.0),
        ("-1e308 * 10", f64::NEG_INFINITY),
        ("pi", PI),
        ("e", E),
    ];
    for (text, want) in exact {
        assert_eq!(val(text), want, "{text}");
    }
    let approx = [
        ("exp(1)", E),
        ("exp(227.9)", 227.9f64.exp()),
        ("ln(e)", 1.0),
        ("log(100)", 100f64.ln()),
        ("ln(2)", LN_2),
        ("sin(pi/2)", 1.0),
        ("tan(pi/4)", 1.0),
        ("asin(1)", FRAC_PI_2),
        ("acos(0)", FRAC_PI_2),
        ("atan(1)", FRAC_PI_4),
        ("asinh(1)", (1.0 + 2f64.sqrt()).ln()),
        ("acosh(2)", (2.0 + 3f64.sqrt()).ln()),
        ("acosh(1e300)", 1e300f64.ln() + LN_2),
        ("atanh(0.5)", 0.5 * 3f64.ln()),
        ("tanh(1)", 1f64.tanh()),
        ("cosh(1)", (E + 1.0 / E) / 2.0),
        ("sinh(1)", (E - 1.0 / E) / 2.0),
    ];
    for (text, want) in approx {
        assert!(close(val(text), want, 1e-15, 1e-15), "{text}: {} vs {want}", val(text));
    }
    // sin, cos and tan reduce the argument first (MODULUS in ptfuncs.c).
    assert_eq!(val("sin(7)"), (7.0 - TAU).sin());
    assert_eq!(val("cos(-20)"), (-20.0 + 3.0 * TAU).cos());
    assert_eq!(val("tan(4)"), (4.0 - PI).tan());
    // Beyond the C `int` range ngspice's quotient becomes INT_MIN (x86-64);
    // values printed by ngspice 39.3 (`numdgt=17`), shortest form.
    assert_eq!(val("sin(1e15)"), 0.8693638200131949);
    assert_eq!(val("sin(-1e15)"), -0.8467656628464935);
    assert_eq!(val("cos(1e12)"), 0.7914179992167973);
    assert_eq!(val("tan(1e10)"), -0.558349982790738);
    assert_eq!(val("sin(1.3e10)"), 0.9401109677865126);
    assert_eq!(val("sin(1.4e10)"), 0.9737680286866925);
    assert!(val("acos(2)").is_nan());
    assert!(val("acosh(0.5)").is_nan());
}

#[test]
fn infinite_results_are_out_of_range_as_in_ngspice() {
    for (text, op) in [
        ("sqrt(-1)", "sqrt"),
        ("ln(-1)", "ln"),
        ("log(-2)", "log"),
        ("log10(-1)", "log10"),
        ("0^-1", "^"),
        ("pow(0,-2)", "pow"),
        ("pwr(0,-2)", "pwr"),
        ("atanh(1)", "atanh"),
        ("1e308*10", "*"),
        ("1e308+1e308", "+"),
        ("sinh(1000)", "sinh"),
        ("-(-1e999)", "-"),
        ("1e999 > 0", "-"),
        ("2 + sqrt(-4) * 0", "sqrt"),
    ] {
        match p(text).eval_const(&mut |_| None) {
            Err(EvalError::OutOfRange(o)) => assert_eq!(o.op, op, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(
        p("sqrt(-4)").eval_const(&mut |_| None).map_err(|e| e.to_string()),
        Err("-4.0 out of range for `sqrt`".to_string())
    );
}

#[test]
fn eval_const_reports_what_it_cannot_evaluate() {
    let e = p("2*gain + offset");
    let mut lookup = |n: &str| match n {
        "gain" => Some(3.0),
        _ => None,
    };
    assert_eq!(e.eval_const(&mut lookup), Err(EvalError::UnknownVariable { name: "offset".into() }));
    assert_eq!(p("2*gain").eval_const(&mut lookup), Ok(6.0));
    assert_eq!(p("v(a) + 1").eval_const(&mut lookup), Err(EvalError::NotConstant { leaf: "v(a)".into() }));
    assert_eq!(p("i(v1)").eval_const(&mut lookup), Err(EvalError::NotConstant { leaf: "i(v1)".into() }));
    assert_eq!(
        p("time").eval_const(&mut lookup).map_err(|e| e.to_string()),
        Err("`time` has no value outside a simulation".into())
    );
    assert_eq!(p("1 ? 2 : v(a)").eval_const(&mut lookup), Ok(2.0));
    let bad = Expr::call(Func::Pow, vec![n(1.0)]);
    assert_eq!(bad.eval_const(&mut lookup), Err(EvalError::ArgCount { name: "pow", expected: 2, found: 1 }));
    let bad = Expr::call(Func::Max, vec![]);
    assert_eq!(bad.eval_const(&mut lookup), Err(EvalError::ArgCount { name: "max", expected: 2, found: 0 }));
    assert_eq!(Func::Pwr.apply(&[-2.0, 3.0]), Ok(-8.0));
    assert!(matches!(Func::Sqrt.apply(&[-1.0]), Err(EvalError::OutOfRange(_))));
    assert!(matches!(Func::Sqrt.apply(&[1.0, 2.0]), Err(EvalError::ArgCount { .. })));
}

#[test]
fn ddt_parses_prints_and_has_no_value_outside_a_transient() {
    let e = p("DDT(v(a)) * 2");
    assert_eq!(e, bin(BinaryOp::Mul, Expr::v("a").ddt(), n(2.0)));
    assert_eq!(e.to_string(), "ddt(v(a)) * 2");
    assert_eq!(Func::from_name("Ddt"), Some(Func::Ddt));
    // A `.param` (or any constant evaluation) names ddt.
    assert_eq!(
        p("1 + ddt(3)").eval_const(&mut |_| None).map_err(|e| e.to_string()),
        Err(
            "`ddt(3)`: the time derivative `ddt` has a value only in a transient simulation (in a B, E or G \
             source)"
                .into()
        )
    );
    assert!(matches!(Func::Ddt.apply(&[1.0]), Err(EvalError::TimeDerivative { .. })));
    // Only a branch taken is evaluated, as for `v()`.
    assert_eq!(val("1 ? 2 : ddt(3)"), 2.0);
    // Folding simplifies the argument and keeps the call.
    assert_eq!(p("ddt(2*3)").fold_constants(), Expr::call(Func::Ddt, vec![n(6.0)]));
    let r = CompiledExpr::compile(&p("v(a) + ddt(v(a))"), &mut |_| Ok(Some(0)));
    assert_eq!(
        r.map(|_| ()).map_err(|e| e.to_string()),
        Err("`ddt(v(a))`: the time derivative `ddt` is computed only in B, E and G sources".into())
    );
}

#[test]
fn split_ddt_numbers_the_calls_innermost_first() {
    let d = |k: usize| var(&format!("d{k}"));
    let e = p("ddt(ddt(v(a)) + time) * ddt(i(l1))");
    let (outer, args) = e.split_ddt(&mut |k| d(k));
    assert_eq!(outer, bin(BinaryOp::Mul, d(1), d(2)));
    assert_eq!(args, vec![Expr::v("a"), d(0) + Expr::Time, Expr::i("l1")]);
    // Inside every kind of node: prefix operators, ternaries, calls, chains.
    let e = p("-ddt(1) ? max(ddt(2), 0) : !ddt(3)");
    let (outer, args) = e.split_ddt(&mut |k| d(k));
    assert_eq!(outer, p("-d0 ? max(d1, 0) : !d2"));
    assert_eq!(args, vec![n(1.0), n(2.0), n(3.0)]);
    let chain = vec!["ddt(v(a))"; CHAIN_MIN + 1].join(" + ");
    let (outer, args) = p(&chain).split_ddt(&mut |k| d(k));
    let want: Vec<String> = (0..=CHAIN_MIN).map(|k| format!("d{k}")).collect();
    assert_eq!(outer, p(&want.join(" + ")));
    assert_eq!(args.len(), CHAIN_MIN + 1);
    // A tree without ddt comes back equal.
    let plain = p("v(a) ? max(1, 2) : -time");
    assert_eq!(plain.split_ddt(&mut |_| n(0.0)), (plain.clone(), vec![]));
    // The first ddt holding another (a second derivative), outermost first.
    let nested = p("ddt(v(a)) + 2*ddt(1 + ddt(ddt(time)))");
    assert_eq!(nested.nested_ddt(), Some(&p("ddt(1 + ddt(ddt(time)))")));
    assert_eq!(p("ddt(v(a)) * ddt(time)").nested_ddt(), None);
    assert_eq!(plain.nested_ddt(), None);
    assert!(nested.has_ddt() && p("1 ? 2 : -max(ddt(time), 0)").has_ddt() && !plain.has_ddt());
}

#[test]
fn one_argument_min_and_max_are_the_param_forms() {
    // ngspice's numparam (xpressn.c) calls MAX(x, v) and MIN(x, v) with the
    // missing operand v = 1.0 (macros.h: `a > b ? a : b`, `a < b ? a : b`).
    // ngspice 39 gives these values for `.param a = 'max(0.3)'` etc.; the
    // e2e test tests/e2e/ddt.rs runs that deck.
    for (text, want) in [
        ("max(0.3)", 1.0),
        ("max(3)", 3.0),
        ("min(0.3)", 0.3),
        ("min(3)", 1.0),
        ("max(-2)", 1.0),
        ("min(-2)", -2.0),
    ] {
        assert_eq!(val(text), want, "{text}");
    }
    // NaN compares false: both macros then give 1.
    assert_eq!(Func::Max.apply(&[f64::NAN]), Ok(1.0));
    assert_eq!(Func::Min.apply(&[f64::NAN]), Ok(1.0));
    assert_eq!(
        Func::Max.apply(&[f64::INFINITY]).map_err(|e| e.to_string()),
        Err("inf out of range for `max`".into())
    );
    assert_eq!(p("MAX(x)"), Expr::call(Func::Max, vec![var("x")]));
    assert_eq!(p("max(x)").to_string(), "max(x)");
    // Left for the place of use: folded nowhere, refused in B sources
    // (ngspice 39 crashes on `B1 a 0 V=max(v(b))`).
    assert_eq!(p("max(2)").fold_constants(), Expr::call(Func::Max, vec![n(2.0)]));
    let r = CompiledExpr::compile(&p("1 + min(v(a))"), &mut |_| Ok(Some(0)));
    assert_eq!(
        r.map(|_| ()).map_err(|e| e.to_string()),
        Err("`min(v(a))`: one-argument `min` is ngspice's .param form (meaning `min(x, 1)`); ngspice's B \
             sources do not accept it: give both arguments"
            .into())
    );
}

#[test]
fn tree_utilities() {
    let e = p("v(b,a) + v(a) * i(V1) - gain * time + i(l1) / k + v(0) + gain");
    assert_eq!(e.nodes(), vec!["0", "a", "b"]);
    assert_eq!(e.currents(), vec!["V1", "l1"]);
    assert_eq!(e.variables(), vec!["gain", "k"]);
    assert!(e.reads_time());
    assert!(!p("v(a)").reads_time());
    assert!(p("2*pi + sqrt(2)").is_constant());
    assert!(!p("2*k").is_constant());
    let mut leaves = Vec::new();
    p("v(a,b) * x + time").visit_leaves(&mut |l| leaves.push(l.to_string()));
    assert_eq!(leaves, ["v(a)", "v(b)", "x", "time"]);

    let s = e.substitute_vars(&mut |name| (name == "gain").then(|| n(2.0)));
    assert_eq!(s.variables(), vec!["k"]);
    assert_eq!(s.to_string(), "v(b,a) + v(a) * i(V1) - 2 * time + i(l1) / k + v(0) + 2");

    let r = p("v(in, 0) * i(vdd) + v(out)")
        .rename(&mut |node| if node == "0" { node.to_string() } else { format!("x1.{node}") }, &mut |dev| {
            format!("x1.{dev}")
        });
    assert_eq!(r, p("v(x1.in,0) * i(x1.vdd) + v(x1.out)"));

    assert_eq!(p("2*3 + x*(4 - 1)").fold_constants(), p("6 + x*3"));
    assert_eq!(p("pi").fold_constants(), n(std::f64::consts::PI));
    assert_eq!(p("-(2)").fold_constants(), n(-2.0));
    assert_eq!(p("1 > 0 ? v(a) : v(b)").fold_constants(), p("v(a)"));
    assert_eq!(p("x > 0 ? 1 + 1 : sqrt(4)").fold_constants(), p("x > 0 ? 2 : 2"));
    assert_eq!(p("sqrt(-1) + 1").fold_constants(), p("sqrt(-1) + 1"));
    assert_eq!(p("1/0").fold_constants(), p("1/0"));
    assert_eq!(p("0 * v(a)").fold_constants(), p("0 * v(a)"));
    assert_eq!(p("min(2, 3) * x").fold_constants(), p("2 * x"));
}

#[test]
fn builders_and_operators() {
    let e = 2.0 * Expr::v("a") + Expr::num(1.0) - Expr::i("v1") / 3.0;
    assert_eq!(e, p("2 * v(a) + 1 - i(v1) / 3"));
    assert_eq!(e.to_string(), "2 * v(a) + 1 - i(v1) / 3");
    let g = -(Expr::v_diff("a", "b") * Expr::var("k")).tanh();
    assert_eq!(g, p("-tanh(v(a,b) * k)"));
    assert_eq!(Expr::v("a").pow(2.0), p("v(a)^2"));
    assert_eq!(Expr::v("a").pwr(Expr::var("n")), p("pwr(v(a), n)"));
    assert_eq!(Expr::v("a").min(1.0).max(Expr::num(0.0)), p("max(min(v(a), 1), 0)"));
    assert_eq!(Expr::ternary(Expr::time().gt(1e-3), Expr::pi(), 0.0.into()), p("time > 1m ? pi : 0"));
    assert_eq!(
        Expr::v("a").lt(1.0) + Expr::v("a").le(1.0) + Expr::v("a").ge(1.0),
        p("(v(a) < 1) + (v(a) <= 1) + (v(a) >= 1)")
    );
    assert_eq!("uramp(x) + 1".parse::<Expr>(), Ok(var("x").uramp() + 1.0));
}

// ---------------------------------------------------------- compiled form

#[test]
fn compiled_values_and_gradients() {
    let f = compile(&p("v(a,b)^2 + 3*i(vx) + p*v(c, 0) + time"));
    assert_eq!(f.inputs(), &[0, 1, 2, 3, 5]);
    let mut ws = f.workspace();
    let x = [3.0, 1.0, 2.0, 0.5, 9.0, -1.0];
    assert_eq!(f.eval(&x, 10.0, &mut ws), 4.0 + 1.5 - 2.0 + 10.0);
    assert_eq!(ws.gradient(), &[4.0, -4.0, -1.0, 3.0, 2.0]);
    assert_eq!(ws.fault(), None);
    assert_eq!(f.value(&x, 10.0, &mut ws), 13.5);

    // The same workspace serves repeated evaluations.
    let x2 = [1.0, 1.0, 0.0, 0.0, 0.0, 0.0];
    assert_eq!(f.eval(&x2, 0.0, &mut ws), 0.0);
    assert_eq!(ws.gradient(), &[0.0, 0.0, 0.0, 3.0, 0.0]);

    // Ground and unused leaves.
    let g = compile(&p("v(0) + v(0, a) * 2"));
    assert_eq!(g.inputs(), &[0]);
    let mut ws = g.workspace();
    assert_eq!(g.eval(&[5.0], 0.0, &mut ws), -10.0);
    assert_eq!(ws.gradient(), &[-2.0]);

    // Two leaves resolving to the same index share one gradient entry.
    let h = CompiledExpr::compile(&p("v(a) * i(vx)"), &mut |_| Ok(Some(7))).unwrap();
    assert_eq!(h.inputs(), &[7]);
    let mut ws = h.workspace();
    let mut x = vec![0.0; 8];
    x[7] = 3.0;
    assert_eq!(h.eval(&x, 0.0, &mut ws), 9.0);
    assert_eq!(ws.gradient(), &[6.0]);
}

#[test]
fn compiled_evaluation_reports_faults() {
    let f = compile(&p("sqrt(v(a)) + v(b)"));
    let mut ws = f.workspace();
    assert!(f.eval(&[-1.0, 0.0], 0.0, &mut ws).is_nan());
    assert!(ws.gradient().iter().all(|g| g.is_nan()));
    assert_eq!(ws.fault().map(ToString::to_string), Some("-1.0 out of range for `sqrt`".to_string()));
    assert_eq!(f.eval(&[4.0, 1.0], 0.0, &mut ws), 3.0);
    assert_eq!(ws.fault(), None);

    // Only the branch taken is evaluated.
    let g = compile(&p("v(a) > 0 ? sqrt(v(a)) : -v(a)"));
    let mut ws = g.workspace();
    assert_eq!(g.eval(&[-4.0], 0.0, &mut ws), 4.0);
    assert_eq!(ws.gradient(), &[-1.0]);
    assert_eq!(g.eval(&[4.0], 0.0, &mut ws), 2.0);
    assert_eq!(ws.gradient(), &[0.25]);

    // The state must cover every index read.
    let mut ws = f.workspace();
    assert!(f.value(&[1.0], 0.0, &mut ws).is_nan());
    assert_eq!(ws.fault(), Some(&EvalFault::StateTooShort { len: 1, index: 1 }));

    // Division: ngspice's nudge by default, out of range with gmin = 0.
    let d = compile(&p("1/v(a)"));
    let mut ws = d.workspace();
    assert_eq!(d.eval(&[0.0], 0.0, &mut ws), 1e32);
    let d0 = d.with_gmin(0.0);
    assert!(d0.eval(&[0.0], 0.0, &mut ws).is_nan());
    assert!(matches!(ws.fault(), Some(EvalFault::OutOfRange(OutOfRange { op: "/", .. }))));
    assert_eq!(d0.eval(&[4.0], 0.0, &mut ws), 0.25);
    assert_eq!(ws.gradient(), &[-1.0 / 16.0]);

    // A workspace of another expression is resized rather than overrun.
    let big = compile(&p("v(a) + (v(b) * (v(c) + (i(vx) * (i(l1) + p))))"));
    let mut small = compile(&p("1")).workspace();
    assert_eq!(big.eval(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.0, &mut small), 1.0 + 2.0 * (3.0 + 4.0 * 11.0));
    assert_eq!(small.gradient().len(), 6);
}

#[test]
fn compile_errors_name_the_leaf() {
    let r = CompiledExpr::compile(&p("v(a) + v(zz)"), &mut |leaf| match leaf {
        Input::Node("a") => Ok(Some(0)),
        other => Err(format!("no such {other}")),
    });
    let e = r.err().map(|e| e.to_string());
    assert_eq!(e.as_deref(), Some("cannot resolve node `zz`: no such node `zz`"));
    let bad = Expr::call(Func::Pow, vec![n(1.0)]);
    assert!(matches!(
        CompiledExpr::compile(&bad, &mut |_| Ok(None)),
        Err(CompileError::ArgCount { name: "pow", expected: 2, found: 1 })
    ));
}

/// Derivatives of every function at fixed points, against hand-written
/// slopes and central differences.
#[test]
fn derivative_of_every_function() {
    let sq = |x: f64| x * x;
    #[rustfmt::skip]
    let one: [(Func, f64, f64); 32] = [
        (Func::Abs, -0.7, -1.0),
        (Func::Abs, 0.7, 1.0),
        (Func::Acos, 0.3, -1.0 / (1.0 - sq(0.3)).sqrt()),
        (Func::Acosh, 1.7, 1.0 / (sq(1.7) - 1.0).sqrt()),
        (Func::Asin, 0.3, 1.0 / (1.0 - sq(0.3)).sqrt()),
        (Func::Asinh, 0.8, 1.0 / (sq(0.8) + 1.0).sqrt()),
        (Func::Atan, 0.5, 0.8),
        (Func::Atanh, 0.4, 1.0 / (1.0 - 0.16)),
        (Func::Cos, 0.9, -(0.9f64).sin()),
        (Func::Cosh, 0.6, (0.6f64).sinh()),
        (Func::Sin, 0.9, (0.9f64).cos()),
        (Func::Sinh, 0.6, (0.6f64).cosh()),
        (Func::Tan, 0.7, 1.0 / sq((0.7f64).cos())),
        (Func::Tanh, 0.7, 1.0 / sq((0.7f64).cosh())),
        (Func::Exp, 1.3, (1.3f64).exp()),
        (Func::Exp, 300.0, 0.0),
        (Func::Ln, 2.0, 0.5),
        (Func::Log, 2.0, 0.5),
        (Func::Log10, 2.0, std::f64::consts::LOG10_E / 2.0),
        (Func::Sqrt, 4.0, 0.25),
        (Func::Sgn, 1.0, 0.0),
        (Func::U, 0.3, 0.0),
        (Func::U2, 0.4, 1.0),
        (Func::U2, 1.5, 0.0),
        (Func::U2, -0.5, 0.0),
        (Func::Uramp, 0.4, 1.0),
        (Func::Uramp, -0.4, 0.0),
        (Func::Ceil, 0.3, 0.0),
        (Func::Floor, 0.3, 0.0),
        (Func::Nint, 0.3, 0.0),
        (Func::Sin, 40.0, (40.0f64).cos()),
        (Func::Tan, 7.0, 1.0 / sq((7.0f64).cos())),
    ];
    for (f, x0, slope) in one {
        let c = compile(&Expr::call(f, vec![Expr::v("a")]));
        let mut ws = c.workspace();
        c.eval(&[x0], 0.0, &mut ws);
        let g = ws.gradient()[0];
        // Measured at most 1.1e-15 (1.6e-3 of the old 1e-12/1e-14 bound); 2e-14/2e-16 is a 12x margin.
        assert!(close(g, slope, 2e-14, 2e-16), "{f:?}({x0}): {g} vs {slope}");
        let fd = finite_differences(&c, &[x0], 0.0)[0];
        // Measured 2e-4 of the old 1e-6/1e-8 bound (1.4e-10 absolute); 5e-9/5e-11 is a 25x margin.
        assert!(close(g, fd, 5e-9, 5e-11), "{f:?}({x0}): {g} vs finite difference {fd}");
    }
    let (a, b) = (-1.5f64, 2.5f64);
    let two = [
        (Func::Min, 1.0, 2.0, [1.0, 0.0]),
        (Func::Min, 3.0, 2.0, [0.0, 1.0]),
        (Func::Max, 1.0, 2.0, [0.0, 1.0]),
        (Func::Max, 3.0, 2.0, [1.0, 0.0]),
        (Func::Pow, a, b, [-b * a.abs().powf(b - 1.0), a.abs().powf(b) * a.abs().ln()]),
        (Func::Pow, 1.5, b, [b * 1.5f64.powf(b - 1.0), 1.5f64.powf(b) * 1.5f64.ln()]),
        (Func::Pwr, a, b, [b * a.abs().powf(b - 1.0), -a.abs().powf(b) * a.abs().ln()]),
        (Func::Pwr, 1.5, b, [b * 1.5f64.powf(b - 1.0), 1.5f64.powf(b) * 1.5f64.ln()]),
    ];
    for (f, x0, x1, slopes) in two {
        for e in [
            Expr::call(f, vec![Expr::v("a"), Expr::v("b")]),
            if f == Func::Pow {
                Expr::v("a").pow(Expr::v("b"))
            } else {
                Expr::call(f, vec![Expr::v("a"), Expr::v("b")])
            },
        ] {
            let c = compile(&e);
            let mut ws = c.workspace();
            c.eval(&[x0, x1], 0.0, &mut ws);
            let fd = finite_differences(&c, &[x0, x1], 0.0);
            for k in 0..2 {
                let g = ws.gradient()[k];
                assert!(
                    close(g, slopes[k], 2e-14, 2e-16), // measured exactly 0
                    "{e} at ({x0}, {x1}), d/dx{k}: {g} vs {}",
                    slopes[k]
                );
                // Measured 4.2e-5 of the old 1e-6/1e-8 bound (4.8e-11 absolute); 5e-10/5e-12 is 12x.
                assert!(close(g, fd[k], 5e-10, 5e-12), "{e}: {g} vs finite difference {}", fd[k]);
            }
        }
    }
    // A constant exponent: d|x|^3/dx = 3 x |x| (ngspice: 3 * pwr(x, 2)).
    let c = compile(&p("v(a)^3 + pow(v(b), 2)"));
    let mut ws = c.workspace();
    c.eval(&[-2.0, -3.0], 0.0, &mut ws);
    assert_eq!(ws.gradient(), &[-12.0, -6.0]);
    // Operators.
    let c = compile(&p("v(a)/v(b) - v(a)*v(b) + (v(a) < v(b)) + !v(a) + (v(a) && v(b))"));
    let mut ws = c.workspace();
    c.eval(&[3.0, 2.0], 0.0, &mut ws);
    assert!(close(ws.gradient()[0], 0.5 - 2.0, 1e-15, 0.0));
    assert!(close(ws.gradient()[1], -0.75 - 3.0, 1e-15, 0.0));
    // No 0 * inf: an input that does not reach sqrt keeps slope 0.
    let c = compile(&p("sqrt(v(a) - v(a)) + v(b)"));
    let mut ws = c.workspace();
    c.eval(&[1.0, 1.0], 0.0, &mut ws);
    assert_eq!(ws.gradient(), &[0.0, 1.0]);
}

// ------------------------------------------------------------ proptests

fn var_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,4}"
        .prop_filter("not a keyword", |s| !["time", "pi", "e"].iter().any(|k| s.eq_ignore_ascii_case(k)))
}

fn node_name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.#+-]{1,5}"
}

fn any_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(Expr::Num),
        (-1e3f64..1e3).prop_map(Expr::Num),
        (0u32..100).prop_map(|k| Expr::Num(f64::from(k))),
        Just(Expr::Num(f64::INFINITY)),
        Just(Expr::Num(f64::NEG_INFINITY)),
        Just(Expr::Num(-0.0)),
        var_name().prop_map(Expr::Var),
        Just(Expr::Const(Constant::Pi)),
        Just(Expr::Const(Constant::E)),
        Just(Expr::Time),
        (node_name(), proptest::option::of(node_name())).prop_map(|(a, b)| Expr::Voltage(a, b)),
        node_name().prop_map(Expr::Current),
    ];
    leaf.prop_recursive(5, 48, 3, |inner| {
        prop_oneof![
            (prop_oneof![Just(UnaryOp::Neg), Just(UnaryOp::Not)], inner.clone())
                .prop_map(|(op, a)| Expr::unary(op, a)),
            (proptest::sample::select(BinaryOp::ALL.to_vec()), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Expr::binary(op, a, b)),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, t, e)| Expr::ternary(c, t, e)),
            (proptest::sample::select(Func::ALL.to_vec()), proptest::collection::vec(inner, 2)).prop_map(
                |(f, mut args)| {
                    args.truncate(f.arity());
                    Expr::call(f, args)
                }
            ),
        ]
    })
}

/// Expressions over the inputs of [`compile`] whose every function argument
/// stays inside its smooth domain, away from kinks and jumps.
fn smooth_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        Just(Expr::v("a")),
        Just(Expr::v("b")),
        Just(Expr::v_diff("a", "b")),
        Just(Expr::v_diff("c", "0")),
        Just(Expr::v_diff("0", "b")),
        Just(Expr::i("vx")),
        Just(Expr::i("l1")),
        Just(Expr::var("p")),
        Just(Expr::Time),
        (-2.0f64..2.0).prop_map(Expr::Num),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone(), 0..4u8).prop_map(|(a, b, k)| match k {
                0 => a + b,
                1 => a - b,
                2 => a * b,
                _ => a / (2.0 + b.tanh()),
            }),
            (inner.clone(), 0..29u8).prop_map(|(a, k)| smooth_unary(k, a)),
            (inner.clone(), inner, 0..12u8).prop_map(|(a, b, k)| smooth_binary(k, a, b)),
        ]
    })
}

fn smooth_unary(k: u8, a: Expr) -> Expr {
    let t = a.clone().tanh(); // in (-1, 1)
    match k {
        0 => (1.5 + t).abs(),
        1 => (t - 1.5).abs(),
        2 => (0.8 * t).acos(),
        3 => (2.0 + t).acosh(),
        4 => (0.8 * t).asin(),
        5 => a.asinh(),
        6 => a.atan(),
        7 => (0.8 * t).atanh(),
        8 => a.cos(),
        9 => (2.0 * t).cosh(),
        10 => a.sin(),
        11 => (2.0 * t).sinh(),
        12 => t.tan(),
        13 => a.tanh(),
        14 => (3.0 * t).exp(),
        15 => (2.0 + t).ln(),
        16 => (2.0 + t).log(),
        17 => (2.0 + t).log10(),
        18 => (2.0 + t).sqrt(),
        19 => (1.5 + t).sgn() * a,
        20 => (t - 1.5).u() + a,
        21 => (0.5 + 0.4 * t).u2(),
        22 => (1.5 + t).uramp(),
        23 => (0.5 + 0.4 * t).ceil() * a,
        24 => (0.5 + 0.4 * t).floor() + a,
        25 => (0.3 * t).nint() + a,
        26 => -a,
        27 => Expr::unary(UnaryOp::Not, t - 3.0) + a,
        _ => (300.0 + t).exp().atan(),
    }
}

fn smooth_binary(k: u8, a: Expr, b: Expr) -> Expr {
    let (ta, tb) = (a.clone().tanh(), b.clone().tanh());
    match k {
        0 => Expr::call(Func::Pow, vec![1.5 + ta, tb]),
        1 => (-1.5 - ta).pow(2.0 + tb),
        2 => (-1.5 - ta).pow(3.0),
        3 => (-1.5 - ta).pwr(1.5 + tb),
        4 => (1.5 + ta).pwr(tb),
        5 => ta.min(tb + 3.0),
        6 => (ta + 3.0).min(tb),
        7 => ta.max(tb + 3.0),
        8 => (ta + 3.0).max(tb),
        9 => Expr::ternary((ta + 3.0).gt(0.0), a, b),
        10 => Expr::ternary(Expr::binary(BinaryOp::And, (ta + 3.0).gt(0.0), tb.lt(-3.0)), a, b),
        _ => Expr::binary(BinaryOp::Or, ta.ge(3.0), tb.le(-3.0)) * a + b,
    }
}

fn state() -> impl Strategy<Value = (Vec<f64>, f64)> {
    (proptest::collection::vec(-2.0f64..2.0, 6), 0.0f64..1.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn display_parses_back_to_the_same_tree(e in any_expr()) {
        let text = e.to_string();
        let back = Expr::parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&e), "printed as {}", text);
    }

    #[test]
    fn serde_json_round_trip(e in any_expr()) {
        let json = serde_json::to_string(&e).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&e.to_string()).unwrap());
        let back: Expr = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, e);
    }

    #[test]
    fn random_text_never_panics(s in "\\PC{0,40}") {
        if let Ok(e) = Expr::parse(&s) {
            prop_assert_eq!(Expr::parse(&e.to_string()), Ok(e));
        }
    }

    #[test]
    fn expression_like_text_never_panics(s in "[-+*/^()?:<>=!&|,. vViIaeEpkmu0-9_]{0,40}") {
        if let Ok(e) = Expr::parse(&s) {
            prop_assert_eq!(Expr::parse(&e.to_string()), Ok(e));
        }
    }

    #[test]
    fn mutated_expressions_never_panic(
        e in any_expr(),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0..3u8, any::<char>()), 1..4),
    ) {
        let mut chars: Vec<char> = e.to_string().chars().collect();
        for (at, kind, c) in edits {
            let i = at.index(chars.len() + 1);
            match kind {
                0 => chars.insert(i, c),
                1 if i < chars.len() => { chars.remove(i); }
                _ if i < chars.len() => chars[i] = c,
                _ => chars.push(c),
            }
        }
        let text: String = chars.into_iter().collect();
        let _ = Expr::parse(&text);
    }

    #[test]
    fn gradient_matches_finite_differences(e in smooth_expr(), (x, t) in state()) {
        let f = compile(&e);
        let mut ws = f.workspace();
        let v = f.eval(&x, t, &mut ws);
        prop_assert!(v.is_finite(), "{} = {}", e, v);
        let g = ws.gradient().to_vec();
        let fd = finite_differences(&f, &x, t);
        for (k, (&g, &fd)) in g.iter().zip(&fd).enumerate() {
            let ok = (g - fd).abs() <= 1e-5 * (1.0 + g.abs().max(fd.abs())) + 1e-9 * v.abs();
            prop_assert!(ok, "{}: d/dx[{}] = {} but finite difference {}", e, f.inputs()[k], g, fd);
        }
    }

    #[test]
    fn compiled_value_equals_tree_value(e in any_expr(), (x, t) in state()) {
        // `ddt` has no value at one state: the engine's unknowns stand in for it.
        let (e, _) = e.split_ddt(&mut |_| Expr::var("p"));
        let e = e
            .rename(&mut |n| ["a", "b", "c", "0"][n.len() % 4].to_string(), &mut |d| ["vx", "l1"][d.len() % 2].to_string())
            .substitute_vars(&mut |_| Some(Expr::var("p")));
        let f = compile(&e);
        let mut ws = f.workspace();
        let compiled = f.value(&x, t, &mut ws);
        let tree = substitute_state(&e, &x, t).eval_const(&mut |_| None);
        match tree {
            Ok(v) => prop_assert!(v.to_bits() == compiled.to_bits() || (v.is_nan() && compiled.is_nan()), "{}: {} vs {}", e, v, compiled),
            Err(EvalError::OutOfRange(o)) => {
                prop_assert!(compiled.is_nan());
                // Compared as text: an argument may be NaN (NaN != NaN).
                prop_assert_eq!(format!("{:?}", ws.fault()), format!("{:?}", Some(&EvalFault::OutOfRange(o))));
            }
            Err(other) => prop_assert!(false, "{}: {}", e, other),
        }
        // eval agrees with value.
        let with_grad = f.eval(&x, t, &mut ws);
        prop_assert!(with_grad.to_bits() == compiled.to_bits() || (with_grad.is_nan() && compiled.is_nan()));
    }

    #[test]
    fn folding_keeps_the_value(e in any_expr(), (x, t) in state()) {
        let e = e
            .rename(&mut |n| ["a", "b", "c", "0"][n.len() % 4].to_string(), &mut |d| ["vx", "l1"][d.len() % 2].to_string())
            .substitute_vars(&mut |_| Some(Expr::var("p")));
        let s = substitute_state(&e, &x, t);
        let before = s.eval_const(&mut |_| None);
        let after = s.fold_constants().eval_const(&mut |_| None);
        match (before, after) {
            (Ok(a), Ok(b)) => prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{}: {} vs {}", s, a, b),
            // The argument of `ddt` is folded in the error's text.
            (Err(EvalError::TimeDerivative { .. }), Err(EvalError::TimeDerivative { .. })) => {}
            // The same error; compared as text, since an argument may be NaN
            // (and NaN != NaN).
            (a, b) => prop_assert_eq!(format!("{a:?}"), format!("{b:?}")),
        }
    }
}

#[test]
fn serde_inside_documents() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Doc {
        law: Expr,
    }
    let doc = Doc { law: p("1e-6 * tanh(v / 0.1)") };
    let json = serde_json::to_string(&doc).unwrap();
    assert_eq!(json, r#"{"law":"1e-6 * tanh(v / 0.1)"}"#);
    assert_eq!(serde_json::from_str::<Doc>(&json).unwrap(), doc);
    let toml_text = toml::to_string(&doc).unwrap();
    assert_eq!(toml::from_str::<Doc>(&toml_text).unwrap(), doc);
    let bad = serde_json::from_str::<Doc>(r#"{"law":"tanh(v"}"#).unwrap_err().to_string();
    assert!(bad.contains("expected `)` to close `tanh(`"), "{bad}");
}
